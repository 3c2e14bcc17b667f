//! Search: a page with a form, the script that searches (`search.js`) and the index it
//! searches (`search-index.js`, which sets a global, so that it loads by `<script src>` from a
//! `file://` page, where `fetch` of a JSON file is refused). Without scripts the page says so
//! and points at the browse pages; every other page works without them.

use std::io::{self, Write};

use serde::Serialize;

use super::layout::{Frame, page};
use super::{Site, code_page};

pub fn render(out: &mut dyn Write, site: &Site) -> io::Result<()> {
    let frame = Frame {
        root: "",
        title: "Search codes",
        scripts: &["search-index.js", "search.js"],
        dated: false,
    };
    page(out, site, &frame, |out| {
        writeln!(
            out,
            "<h1>Search codes</h1>\n\
             <form id=\"search-form\" class=\"search\" role=\"search\" action=\"search.html\" method=\"get\">\
             <label for=\"q\">Code or words of a description</label>\
             <input id=\"q\" name=\"q\" type=\"search\" autocomplete=\"off\" aria-describedby=\"search-hint\">\
             <button type=\"submit\">Search</button></form>\n\
             <p id=\"search-hint\" class=\"note\">A code (E1392), the start of one (E13), or words \
             that must all be in the description (oxygen rental). Results show as you type.</p>\n\
             <noscript><p>Search needs JavaScript. Without it, every code is on the \
             <a href=\"sections/index.html\">section pages</a>, and every release's changes are \
             listed on the <a href=\"index.html#releases\">home page</a>.</p></noscript>\n\
             <div id=\"results\" aria-live=\"polite\"></div>"
        )
    })
}

#[derive(Serialize)]
struct Entry<'a>(&'a str, &'a str, String, String);

/// `search-index.js`: `window.HCPCS_SITE_INDEX = [[code, description, status, page], ...];`,
/// JSON-escaped (a description can hold nothing that leaves its string).
pub fn index(out: &mut dyn Write, site: &Site) -> io::Result<()> {
    let newest = site.newest();
    let entries: Vec<Entry> = site
        .codes
        .iter()
        .map(|c| {
            Entry(
                &c.code,
                &c.description,
                newest.map_or_else(String::new, |n| c.status(n)),
                code_page(&c.code),
            )
        })
        .collect();
    write!(out, "window.HCPCS_SITE_INDEX = ")?;
    serde_json::to_writer(&mut *out, &entries)?;
    writeln!(out, ";")
}

/// The search script: reads `?q=` (so a form submitted without it, or a link, works), then
/// searches as the reader types. Results are built as DOM nodes, never as HTML text.
pub const SCRIPT: &str = r#""use strict";
(function () {
  var index = window.HCPCS_SITE_INDEX || [];
  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  var results = document.getElementById("results");
  if (!form || !input || !results) {
    return;
  }
  var MAX = 200;

  function find(query) {
    var q = query.trim().toUpperCase();
    if (q === "") {
      return [];
    }
    var hits = [];
    var seen = {};
    var i;
    if (/^[A-Z0-9]{1,5}$/.test(q)) {
      for (i = 0; i < index.length; i++) {
        if (index[i][0] === q) {
          hits.push(index[i]);
          seen[i] = true;
        }
      }
      for (i = 0; i < index.length; i++) {
        if (!seen[i] && index[i][0].indexOf(q) === 0) {
          hits.push(index[i]);
          seen[i] = true;
        }
      }
    }
    var words = q.split(/\s+/);
    for (i = 0; i < index.length; i++) {
      if (seen[i]) {
        continue;
      }
      var text = index[i][1].toUpperCase();
      var all = true;
      for (var w = 0; w < words.length; w++) {
        if (text.indexOf(words[w]) < 0) {
          all = false;
          break;
        }
      }
      if (all) {
        hits.push(index[i]);
      }
    }
    return hits;
  }

  function show(query) {
    while (results.firstChild) {
      results.removeChild(results.firstChild);
    }
    if (query.trim() === "") {
      return;
    }
    var hits = find(query);
    var count = document.createElement("p");
    count.id = "result-count";
    count.textContent = hits.length === 0
      ? "No code matches \u201c" + query.trim() + "\u201d."
      : hits.length + (hits.length === 1 ? " code matches" : " codes match") +
        (hits.length > MAX ? "; the first " + MAX + " are listed." : ".");
    results.appendChild(count);
    var list = document.createElement("ul");
    list.className = "results";
    for (var i = 0; i < hits.length && i < MAX; i++) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = hits[i][3];
      link.textContent = hits[i][0];
      item.appendChild(link);
      item.appendChild(document.createTextNode(" " + hits[i][1] + " (" + hits[i][2] + ")"));
      list.appendChild(item);
    }
    results.appendChild(list);
  }

  var params = new URLSearchParams(window.location.search);
  var given = params.get("q");
  if (given !== null) {
    input.value = given;
    show(given);
  }
  input.addEventListener("input", function () {
    show(input.value);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    show(input.value);
  });
})();
"#;
