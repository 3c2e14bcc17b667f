//! `site DIR`: the static website of a store. Every page's links resolve inside the site and
//! nothing loads from outside (a crawler); code pages say what CMS's files say; a failed run
//! leaves the previous site as it was; the same store and time give the same bytes, and a
//! rebuild keeps the files of unchanged pages; headless Chromium runs the search.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::real_releases::imported;
use crate::util::{Work, browser, oxygen, real_data, stderr};

/// Every file under `dir`, by its path from `dir` (`codes/E1392.html`).
fn files(dir: &Path) -> BTreeSet<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let name = format!("{prefix}{}", e.file_name().to_string_lossy());
            if e.file_type().unwrap().is_dir() {
                walk(&e.path(), &format!("{name}/"), out);
            } else {
                out.insert(name);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, "", &mut out);
    out
}

/// Each file's bytes and inode: what "left as it was" and "kept" are checked against.
fn state(dir: &Path) -> BTreeMap<String, (Vec<u8>, u64)> {
    use std::os::unix::fs::MetadataExt;
    files(dir)
        .into_iter()
        .map(|f| {
            let path = dir.join(&f);
            let ino = std::fs::metadata(&path).unwrap().ino();
            (f, (std::fs::read(&path).unwrap(), ino))
        })
        .collect()
}

/// The values of every `attr="..."` in `html`.
fn attributes<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!(" {attr}=\"");
    html.split(needle.as_str())
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect()
}

/// Follows every `href` and `src` of every page of the site in `dir`: each must be a path
/// inside the site (no scheme, no `//`) to a file that is there, and an anchor must be an `id`
/// of its page. The search index's pages are followed too. Returns how many links were
/// followed.
fn crawl(dir: &Path) -> usize {
    let all = files(dir);
    let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut followed = 0;
    for page in all.iter().filter(|f| f.ends_with(".html")) {
        let html = std::fs::read_to_string(dir.join(page)).unwrap();
        assert!(!html.contains("url("), "{page} loads something through CSS");
        let here = Path::new(page).parent().unwrap_or(Path::new(""));
        for link in attributes(&html, "href")
            .into_iter()
            .chain(attributes(&html, "src"))
            .chain(attributes(&html, "action"))
        {
            assert!(
                !link.contains(':') && !link.starts_with("//") && !link.is_empty(),
                "{page} refers outside the site: {link}"
            );
            let (path, anchor) = link.split_once('#').unwrap_or((link, ""));
            let path = path.split('?').next().unwrap();
            let target = if path.is_empty() {
                page.clone()
            } else {
                normalize(&here.join(path))
            };
            assert!(all.contains(&target), "{page} links to {link}: no {target}");
            if !anchor.is_empty() {
                let found = ids.entry(target.clone()).or_insert_with(|| {
                    let html = std::fs::read_to_string(dir.join(&target)).unwrap();
                    attributes(&html, "id")
                        .into_iter()
                        .map(String::from)
                        .collect()
                });
                assert!(
                    found.contains(anchor),
                    "{page} links to {link}: no id {anchor}"
                );
            }
            followed += 1;
        }
    }
    let index = std::fs::read_to_string(dir.join("search-index.js")).unwrap();
    let json = index
        .strip_prefix("window.HCPCS_SITE_INDEX = ")
        .and_then(|s| s.trim_end().strip_suffix(';'))
        .expect("the index assigns a global");
    let entries: Vec<(String, String, String, String)> = serde_json::from_str(json).unwrap();
    assert!(!entries.is_empty());
    for (code, _, _, page) in &entries {
        assert!(
            all.contains(page),
            "the search index's {code} leads to no {page}"
        );
        followed += 1;
    }
    followed
}

/// `a/../b/c.html` → `b/c.html`.
fn normalize(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                assert!(
                    parts.pop().is_some(),
                    "a link above the site: {}",
                    path.display()
                );
            }
            std::path::Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

fn build(work: &Work, dir: &Path) -> String {
    let out = work.cmd().arg("site").arg(dir).assert().success();
    stderr(&out)
}

fn page(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn the_site_of_the_fixtures_links_only_to_itself_and_tells_each_codes_history() {
    let work = oxygen();
    let dir = work.path("site");
    let said = build(&work, &dir);
    assert!(said.contains("2 releases"), "{said}");
    assert!(crawl(&dir) > 20);
    let e1392 = page(&dir, "codes/E1392.html");
    assert!(
        e1392.contains("Portable oxygen concentrator, rental"),
        "{e1392}"
    );
    assert!(
        e1392.contains("Valid from 2006-01-01 (CMS's date added); CMS gives no termination date."),
        "{e1392}"
    );
    assert!(e1392.contains("<td>Added</td>"), "{e1392}");
    assert!(
        e1392.contains("href=\"../releases/2006-01.html#E1392\""),
        "{e1392}"
    );
    assert!(
        e1392.contains("Section: <a href=\"../sections/E0100-E9999.html\">Durable medical equipment (E0100-E9999)</a>"),
        "{e1392}"
    );
    assert!(
        e1392.contains("(pricing group: Durable Medical Equipment, Prosthetics, Orthotics, Supplies And Surgical Dressings)"),
        "{e1392}"
    );
    // Its section's page lists it, with its status and date added.
    let section = page(&dir, "sections/E0100-E9999.html");
    assert!(
        section.contains("<a href=\"../codes/E1392.html\">E1392</a></th><td>Portable oxygen concentrator, rental</td><td class=\"active\">active</td><td>2006-01-01</td>"),
        "{section}"
    );
    // K0738 was retired in 2006 with E1392 to use instead: a link to E1392's page.
    let k0738 = page(&dir, "codes/K0738.html");
    assert!(k0738.contains("to 2005-12-31 (CMS"), "{k0738}");
    assert!(
        k0738.contains("Use instead: <a href=\"../codes/E1392.html\"><code>E1392</code></a>"),
        "{k0738}"
    );
    // The release page is the changelog, its codes linked to their pages, with navigation.
    let release = page(&dir, "releases/2006-01.html");
    assert!(
        release.contains("<h1>HCPCS changes 2005-01 → 2006-01</h1>"),
        "{release}"
    );
    assert!(release.contains("<a rel=\"prev\" href=\"../releases/2005-01.html\">"));
    assert!(
        release.contains("<tr id=\"E1392\"><th scope=\"row\"><a href=\"../codes/E1392.html\">")
    );
    for rel in [
        "index.html",
        "search.html",
        "releases/2005-01.html",
        "codes/E1392.html",
        "sections/E0100-E9999.html",
    ] {
        let html = page(&dir, rel);
        for landmark in [
            "<header",
            "<nav",
            "<main",
            "<footer",
            "<form class=\"search\" role=\"search\"",
        ] {
            assert!(html.contains(landmark), "{rel} lacks {landmark}");
        }
        assert!(
            html.contains("content=\"default-src 'none'; script-src 'self'; style-src 'self';")
        );
        assert!(
            !html.contains("<style") && !html.contains(" style=\""),
            "{rel}: inline style"
        );
        assert!(!html.contains("<script>"), "{rel}: inline script");
    }
    let home = page(&dir, "index.html");
    assert!(home.contains("<svg class=\"chart fit\""), "{home}");
    // CMS's file names (2025's corrections file runs past 80 characters) wrap in their cells
    // rather than push the releases table past a desktop window.
    assert!(home.contains("<td class=\"file\">"), "{home}");
    let css = std::fs::read_to_string(dir.join("site.css")).unwrap();
    assert!(css.contains("td.file{overflow-wrap:anywhere"), "{css}");
    // Codes in effect by section, release by release: K0738 (terminated 2005-12-31) in
    // 2005-01 only, with E1392 (added 2006-01-01) in 2006-01 only.
    let row = home
        .split("<a href=\"sections/K0000-K9999.html\">")
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .unwrap_or_else(|| panic!("no K row: {home}"));
    assert!(
        row.contains("<td class=\"n\">1</td><td class=\"n\">0</td>"),
        "{row}"
    );
    assert!(
        home.contains("<a href=\"releases/2006-01.html\">2005-01 → 2006-01</a>"),
        "{home}"
    );
}

/// Stores 2007-01: the 2006 fixture with E1392's long description replaced by `description`
/// (40 characters at most, the width of its first line).
fn import_2007(work: &Work, description: &str) {
    let text =
        std::fs::read_to_string(crate::util::fixture("oxygen/2006/HCPC2006_CONTR_ANWEB.txt"))
            .unwrap();
    let line = text.lines().find(|l| l.starts_with("E1392")).unwrap();
    let changed = format!("{}{description:<40}{}", &line[..11], &line[51..]);
    let release = work.path("2007");
    std::fs::create_dir_all(&release).unwrap();
    let body: String = text
        .lines()
        .map(|l| {
            if l.starts_with("E1392") {
                changed.clone()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n");
    std::fs::write(release.join("HCPC2007_CONTR_ANWEB.txt"), body + "\r\n").unwrap();
    work.cmd()
        .arg("import")
        .arg(&release)
        .args(["--release", "2007-01"])
        .assert()
        .success();
}

/// Text from a release reaches the pages escaped: a description with markup in it shows as
/// text, in the page and in the search index.
#[test]
fn release_text_is_escaped_on_every_page() {
    let work = oxygen();
    import_2007(&work, "<script>alert(1)</script>&x\"");
    let dir = work.path("site");
    build(&work, &dir);
    crawl(&dir);
    for rel in files(&dir).iter().filter(|f| f.ends_with(".html")) {
        assert!(
            !page(&dir, rel).contains("<script>alert"),
            "{rel} holds the release's markup"
        );
    }
    assert!(
        page(&dir, "codes/E1392.html")
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;x&quot;")
    );
    assert!(page(&dir, "search-index.js").contains("<script>alert(1)</script>&x\\\""));
}

#[test]
fn a_failed_run_leaves_the_previous_site_as_it_was() {
    let work = oxygen();
    let dir = work.path("site");
    build(&work, &dir);
    let before = state(&dir);
    // A damaged snapshot: the run fails after it has begun writing the new site.
    let snapshot = work.store().join("2006-01.jsonl");
    let mut bytes = std::fs::read(&snapshot).unwrap();
    let last = bytes.len() - 10;
    bytes[last] ^= 1;
    std::fs::write(&snapshot, bytes).unwrap();
    let out = work.cmd().arg("site").arg(&dir).assert().code(2);
    assert!(stderr(&out).contains("2006-01.jsonl"), "{}", stderr(&out));
    assert!(state(&dir) == before, "the failed run changed the site");
    let left: Vec<String> = std::fs::read_dir(work.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(
        left.is_empty(),
        "the failed run left {left:?} beside the site"
    );
}

#[test]
fn a_folder_the_site_did_not_make_is_never_replaced() {
    let work = oxygen();
    let dir = work.path("mine");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let out = work.cmd().arg("site").arg(&dir).assert().code(2);
    assert!(
        stderr(&out).contains("not a site made by hcpcs-diff"),
        "{}",
        stderr(&out)
    );
    assert_eq!(files(&dir), BTreeSet::from(["notes.txt".to_string()]));
    let file = work.write("file", "x");
    let out = work.cmd().arg("site").arg(&file).assert().code(2);
    assert!(
        stderr(&out).contains(&format!("{}: is not a folder", file.display())),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
}

#[test]
fn the_same_store_and_time_give_the_same_site_and_a_rebuild_keeps_unchanged_files() {
    let work = oxygen();
    let (a, b) = (work.path("a"), work.path("b"));
    build(&work, &a);
    build(&work, &b);
    let (first, second) = (state(&a), state(&b));
    let bytes = |s: &BTreeMap<String, (Vec<u8>, u64)>| -> BTreeMap<String, Vec<u8>> {
        s.iter().map(|(k, v)| (k.clone(), v.0.clone())).collect()
    };
    assert!(bytes(&first) == bytes(&second), "two builds differ");
    // Rebuilt in place with nothing new: every file kept, not rewritten.
    let said = build(&work, &a);
    assert!(said.contains("(0 rewritten"), "{said}");
    assert!(
        state(&a) == first,
        "a rebuild of the same store rewrote files"
    );
    // Another time: only the pages that say it are rewritten; the stylesheet is kept.
    let out = work
        .cmd()
        .arg("site")
        .arg(&a)
        .env("HCPCS_DIFF_GENERATED_AT", "2027-01-02T03:04:05Z")
        .assert()
        .success();
    assert!(
        stderr(&out).contains("(1 rewritten, 19 unchanged and kept)"),
        "{}",
        stderr(&out)
    );
    let third = state(&a);
    for kept in ["site.css", "codes/E1392.html", "releases/2006-01.html"] {
        assert!(third[kept] == first[kept], "{kept} was rewritten");
    }
    assert!(third["index.html"].1 != first["index.html"].1);
    // A new release changing E1392 alone: E1392's page is rewritten, E0424's kept, file and
    // all; the new release has its page.
    import_2007(&work, "Portable oxygen concentrator, rental, 2");
    build(&work, &a);
    let fourth = state(&a);
    for kept in ["codes/E0424.html", "sections/modifiers.html", "site.css"] {
        assert!(fourth[kept] == first[kept], "{kept} was rewritten");
    }
    assert!(fourth["codes/E1392.html"].0 != first["codes/E1392.html"].0);
    assert!(fourth.contains_key("releases/2007-01.html"));
}

#[test]
fn the_site_of_the_real_releases_tells_e1392_and_c9053s_histories() {
    let Some(data) = real_data!() else { return };
    let work = imported(&data);
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let said = build(work, &site);
    assert!(said.contains("11 releases"), "{said}");
    assert!(crawl(&site) > 10_000);
    let e1392 = page(&site, "codes/E1392.html");
    assert!(
        e1392.contains("Portable oxygen concentrator, rental"),
        "{e1392}"
    );
    assert!(e1392.contains("Valid from 2006-01-01"), "{e1392}");
    assert!(e1392.contains("<h2 id=\"history\">"), "{e1392}");
    let c9053 = page(&site, "codes/C9053.html");
    assert!(
        c9053.contains("Valid from 2020-04-01 (CMS's date added) to 2020-06-30"),
        "{c9053}"
    );
    assert!(
        c9053.contains("<a href=\"../codes/J0791.html\"><code>J0791</code></a>"),
        "{c9053}"
    );
    let changelog = page(&site, "releases/2020-01.html");
    assert!(
        changelog.contains("<section id=\"retired\">"),
        "{changelog}"
    );
}

/// A static server of `dir` on 127.0.0.1 for the browser test, serving until the test ends.
fn serve(dir: PathBuf) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // Headers up to the blank line.
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            let target = line.split(' ').nth(1).unwrap_or("/");
            let path = target.split('?').next().unwrap().trim_start_matches('/');
            let file = dir.join(if path.is_empty() { "index.html" } else { path });
            let (status, body) = match std::fs::read(&file) {
                Ok(b) if file.starts_with(&dir) && !path.contains("..") => ("200 OK", b),
                _ => ("404 Not Found", Vec::new()),
            };
            let kind = match file.extension().and_then(|e| e.to_str()) {
                Some("html") => "text/html; charset=utf-8",
                Some("css") => "text/css",
                Some("js") => "text/javascript",
                _ => "application/octet-stream",
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    port
}

/// Headless Chromium's DOM of `url` once its scripts ran, and what it logged: the console's
/// messages and any refusal by the page's content security policy.
fn dom(chromium: &Path, work: &Work, url: &str) -> (String, String) {
    let profile = format!(
        "--user-data-dir={}",
        work.path("chromium-profile").display()
    );
    let out = assert_cmd::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
        ])
        .arg(&profile)
        .arg(url)
        .timeout(Duration::from_secs(120))
        .output()
        .expect("Chromium ran");
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "Chromium failed on {url}: {log}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), log)
}

/// The console lines of Chromium's log (`CONSOLE(...)`), and its CSP refusals.
fn console_errors(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| {
            l.contains("CONSOLE") || l.contains("Content Security Policy") || l.contains("Refused")
        })
        .collect()
}

/// From `file://` and from a static server: the home page and a code page render with their
/// search form and no console error; the search page, given `?q=E1392` as the home page's form
/// submits it, runs its script and lists E1392 as a link to its page.
#[test]
fn headless_chromium_searches_the_site_from_disk_and_from_a_server() {
    let Some(chromium) = browser!() else { return };
    let work = oxygen();
    let dir = work.path("site");
    build(&work, &dir);
    let home = page(&dir, "index.html");
    assert!(home.contains("action=\"search.html\" method=\"get\""));
    assert!(home.contains("name=\"q\""));
    let port = serve(dir.clone());
    for base in [
        format!("file://{}/", dir.display()),
        format!("http://127.0.0.1:{port}/"),
    ] {
        for rel in ["index.html", "codes/E1392.html"] {
            let (html, log) = dom(&chromium, &work, &format!("{base}{rel}"));
            assert!(
                html.contains("<form class=\"search\" role=\"search\""),
                "{base}{rel}: {html}"
            );
            assert!(console_errors(&log).is_empty(), "{base}{rel}: {log}");
        }
        let (html, log) = dom(&chromium, &work, &format!("{base}search.html?q=E1392"));
        assert!(console_errors(&log).is_empty(), "{base}search.html: {log}");
        assert!(
            html.contains("<p id=\"result-count\">1 code matches.</p>"),
            "{base}: {html}"
        );
        assert!(
            html.contains(
                "<a href=\"codes/E1392.html\">E1392</a> Portable oxygen concentrator, rental"
            ),
            "{base}: {html}"
        );
        let (html, _) = dom(
            &chromium,
            &work,
            &format!("{base}search.html?q=oxygen%20rental"),
        );
        assert!(
            html.contains("<a href=\"codes/E1392.html\">E1392</a>"),
            "{base}: {html}"
        );
    }
    // Typed: a page beside the site (same origin, so served, not from disk) opens the search
    // page in a frame, types "e139" into its box a character at a time as a keyboard does
    // (each key an input event), then "2", and copies what the page lists after each.
    std::fs::write(
        dir.join("typing.html"),
        r#"<!doctype html><html><body><pre id="seen"></pre>
<iframe id="f" src="search.html" onload="
  var d = this.contentDocument, box = d.getElementById('q'), seen = [];
  box.focus();
  for (var c of 'e139') { box.value += c; box.dispatchEvent(new Event('input', {bubbles: true})); }
  seen.push(d.getElementById('results').textContent);
  box.value += '2'; box.dispatchEvent(new Event('input', {bubbles: true}));
  seen.push(d.getElementById('results').innerHTML);
  seen.push(d.activeElement === box ? 'focused' : 'not focused');
  document.getElementById('seen').textContent = seen.join('\n---\n');
"></iframe></body></html>"#,
    )
    .unwrap();
    let (html, log) = dom(
        &chromium,
        &work,
        &format!("http://127.0.0.1:{port}/typing.html"),
    );
    assert!(console_errors(&log).is_empty(), "typing: {log}");
    let seen = html
        .split("<pre id=\"seen\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .expect("the frame's results were copied");
    let parts: Vec<&str> = seen.split("\n---\n").collect();
    assert_eq!(parts.len(), 3, "{seen}");
    // "e139" matches E1390, E1391 and E1392; one more key leaves E1392 alone, as a link.
    for code in ["E1390", "E1391", "E1392"] {
        assert!(parts[0].contains(code), "{code} after typing e139: {seen}");
    }
    assert!(
        parts[1].contains("href=\"codes/E1392.html\"") && !parts[1].contains("E1391"),
        "after typing e1392: {seen}"
    );
    assert_eq!(
        parts[2], "focused",
        "the search box keeps the keyboard's focus"
    );
}

/// A mirror folder holding the 2006 fixture as CMS's April 2005 quarterly zip.
fn mirror_with_april(work: &Work) -> PathBuf {
    let mirror = work.path("mirror");
    std::fs::create_dir_all(&mirror).unwrap();
    let name = "HCPC2006_CONTR_ANWEB.txt";
    let text = std::fs::read(crate::util::fixture(&format!("oxygen/2006/{name}"))).unwrap();
    let zip = crate::util::zip_of(&[(name, text.as_slice())]);
    std::fs::write(mirror.join("april-2005-alpha-numeric-hcpcs-file.zip"), zip).unwrap();
    mirror
}

/// `check --site DIR`, for cron: the site is refreshed after check stored a new release and
/// wrote its report; a run with nothing new leaves the pages as they were.
#[test]
fn check_refreshes_the_site_after_a_new_release() {
    let work = Work::with(&[crate::util::fixture("oxygen/2005")]);
    let dir = work.path("site");
    build(&work, &dir);
    assert!(!dir.join("releases/2005-04.html").exists());
    let mirror = mirror_with_april(&work);
    let out = work
        .cmd()
        .args(["check", "--base-url"])
        .arg(&mirror)
        .arg("--site")
        .arg(&dir)
        .assert()
        .code(1);
    // The report first, then the site.
    assert!(crate::util::stdout(&out).contains("2005-04"));
    crawl(&dir);
    let release = page(&dir, "releases/2005-04.html");
    assert!(
        release.contains("<h1>HCPCS changes 2005-01 → 2005-04</h1>"),
        "{release}"
    );
    assert!(page(&dir, "index.html").contains("<a href=\"releases/2005-04.html\">"));
    assert!(page(&dir, "codes/E1392.html").contains("Portable oxygen concentrator, rental"));
    let before = state(&dir);
    work.cmd()
        .args(["check", "--base-url"])
        .arg(&mirror)
        .arg("--site")
        .arg(&dir)
        .assert()
        .code(0);
    assert!(
        state(&dir) == before,
        "a run with nothing new changed the site"
    );
}

/// A site that cannot be refreshed does not change what check says: the release is stored
/// and reported (status 1), and the failure is named.
#[test]
fn a_site_check_cannot_refresh_is_named_and_check_still_reports() {
    let work = Work::with(&[crate::util::fixture("oxygen/2005")]);
    let dir = work.path("mine");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let mirror = mirror_with_april(&work);
    let out = work
        .cmd()
        .args(["check", "--base-url"])
        .arg(&mirror)
        .arg("--site")
        .arg(&dir)
        .assert()
        .code(1);
    assert!(
        stderr(&out).contains("error: the site in") && stderr(&out).contains("was not refreshed"),
        "{}",
        stderr(&out)
    );
    assert!(work.store().join("2005-04.jsonl").is_file());
    assert_eq!(files(&dir), BTreeSet::from(["notes.txt".to_string()]));
}

/// A store of `n` quarterly releases from 1990-01 on (see `releases_at`).
fn many_releases(n: usize) -> Work {
    let ids: Vec<String> = (0..n)
        .map(|i| format!("{}-{:02}", 1990 + i / 4, 1 + 3 * (i % 4)))
        .collect();
    releases_at(&ids)
}

/// A store of releases `ids` (oldest first), each the 2006 fixture with some of its eight codes
/// left out (which ones turns with the release), so that counts vary.
fn releases_at(ids: &[String]) -> Work {
    let work = Work::new();
    let text =
        std::fs::read_to_string(crate::util::fixture("oxygen/2006/HCPC2006_CONTR_ANWEB.txt"))
            .unwrap();
    let codes: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('*') && !l.is_empty())
        .map(|l| &l[..5])
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for (i, id) in ids.iter().enumerate() {
        let left_out: Vec<&str> = (codes.iter().enumerate())
            .filter(|(j, _)| (i * 3 + j) % 5 == 0)
            .map(|(_, c)| *c)
            .collect();
        let body: Vec<&str> = text
            .lines()
            .filter(|l| l.len() < 5 || !left_out.contains(&&l[..5]))
            .collect();
        std::fs::create_dir_all(work.path(&format!("r{i}"))).unwrap();
        let file = work.write(
            &format!("r{i}/HCPC_CONTR_ANWEB.txt"),
            body.join("\r\n") + "\r\n",
        );
        work.cmd()
            .arg("import")
            .arg(&file)
            .args(["--release", id])
            .assert()
            .success();
    }
    work
}

/// A `<text>` of an SVG: where it is anchored, its size and its words.
struct Label {
    x: f64,
    y: f64,
    size: f64,
    middle: bool,
    text: String,
}

impl Label {
    /// The box it takes at most: every character as wide as a digit of DejaVu Sans, the widest
    /// sans-serif digits (0.64 em), as high as the font size above the baseline.
    fn bounds(&self) -> (f64, f64, f64, f64) {
        let w = self.text.chars().count() as f64 * 0.64 * self.size;
        let left = if self.middle {
            self.x - w / 2.0
        } else {
            self.x
        };
        (left, left + w, self.y - self.size, self.y)
    }
}

/// The number of `attr="..."` in `element` (an SVG tag's text).
fn number(element: &str, attr: &str) -> f64 {
    let value = attributes(element, attr);
    assert_eq!(value.len(), 1, "{attr} in {element}");
    value[0]
        .parse()
        .unwrap_or_else(|_| panic!("{attr} in {element}"))
}

/// The first trend line of the home page: its points as written, and their x coordinates.
fn first_spark(home: &str) -> (&str, Vec<f64>) {
    let spark = home.find("<svg class=\"spark\"").expect("a trend line");
    let points = attributes(&home[spark..], "points")[0];
    let xs = points
        .split(' ')
        .map(|p| p.split(',').next().unwrap().parse().unwrap())
        .collect();
    (points, xs)
}

/// The home page's chart: its SVG, the text before it, its labels and its bars (x, width) of
/// codes in effect.
fn chart(home: &str) -> (&str, &str, Vec<Label>, Vec<(f64, f64)>) {
    let start = home.find("<svg class=\"chart").expect("a chart");
    let end = start + home[start..].find("</svg>").unwrap();
    let svg = &home[start..end];
    let labels = svg
        .split("<text")
        .skip(1)
        .map(|t| {
            let (tag, rest) = t.split_once('>').unwrap();
            Label {
                x: number(tag, "x"),
                y: number(tag, "y"),
                size: if tag.contains("class=\"small\"") {
                    9.5
                } else {
                    12.0
                },
                middle: tag.contains("text-anchor=\"middle\""),
                text: rest.split('<').next().unwrap().to_string(),
            }
        })
        .collect();
    let bars = svg
        .split("<rect class=\"effect\"")
        .skip(1)
        .map(|r| {
            let tag = r.split('>').next().unwrap();
            (number(tag, "x"), number(tag, "width"))
        })
        .collect();
    (svg, &home[..start], labels, bars)
}

/// No two labels of the chart overlap (`Label::bounds`).
fn assert_labels_apart(labels: &[Label]) {
    for (i, a) in labels.iter().enumerate() {
        let (al, ar, at, ab) = a.bounds();
        for b in &labels[i + 1..] {
            let (bl, br, bt, bb) = b.bounds();
            let apart = ar <= bl || br <= al || ab <= bt || bb <= at;
            assert!(
                apart,
                "'{}' at ({}, {}) overlaps '{}' at ({}, {})",
                a.text, a.x, a.y, b.text, b.x, b.y
            );
        }
    }
}

/// 120 releases: the chart's bars keep a readable width (the chart, drawn at its own size,
/// scrolls in its box), no two labels overlap, every year is named, the newest too, and each
/// section's trend line spans its whole width in order.
#[test]
fn the_home_chart_holds_120_releases_without_squeezing_or_overlapping() {
    let n = 120;
    let work = many_releases(n);
    let dir = work.path("site");
    build(&work, &dir);
    let home = page(&dir, "index.html");
    let (svg, before, labels, bars) = chart(&home);
    assert_labels_apart(&labels);
    assert_eq!(bars.len(), n);
    for pair in bars.windows(2) {
        assert!(pair[0].1 >= 9.0, "a bar {} wide", pair[0].1);
        assert!(pair[0].0 + pair[0].1 < pair[1].0, "bars touch: {pair:?}");
    }
    // Drawn at its own width (one unit a pixel), in a box that scrolls.
    let tag = svg.split('>').next().unwrap();
    let view: Vec<f64> = attributes(tag, "viewBox")[0]
        .split(' ')
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(view[2] >= 9.0 / 0.6 * n as f64, "{view:?}");
    assert_eq!(number(tag, "width"), view[2]);
    assert_eq!(number(tag, "height"), view[3]);
    assert!(before.ends_with("<div class=\"scroll\">"), "{before}");
    let years: Vec<String> = (1990..2020).map(|y| y.to_string()).collect();
    let named: Vec<String> = (labels.iter())
        .filter(|l| years.contains(&l.text))
        .map(|l| l.text.clone())
        .collect();
    assert_eq!(named, years);
    // The trend lines: every point, left to right, the last at the right edge.
    let (points, xs) = first_spark(&home);
    assert_eq!(xs.len(), n);
    assert!(xs.windows(2).all(|w| w[0] < w[1]), "{points}");
    assert_eq!(xs[n - 1], 100.0);
}

/// A few releases: the chart fits the page, every release's year is named and every release
/// counted, and no two labels overlap.
#[test]
fn the_home_chart_of_a_few_releases_names_each_and_fits_the_page() {
    let work = oxygen();
    let dir = work.path("site");
    build(&work, &dir);
    let home = page(&dir, "index.html");
    let (svg, _, labels, bars) = chart(&home);
    assert_labels_apart(&labels);
    assert_eq!(bars.len(), 2);
    // Releases a year or less apart: nothing to say of the change between them.
    assert!(!home.contains("is more than a year"), "{home}");
    assert!(svg.starts_with("<svg class=\"chart fit\""), "{svg}");
    let texts: Vec<&str> = labels.iter().map(|l| l.text.as_str()).collect();
    for year in ["2005", "2006"] {
        assert!(texts.contains(&year), "{texts:?}");
    }
    // A January release's bar stands at the start of its year (the year's name is written
    // from its tick on), not in the middle of the year it is the newest release of.
    let year = labels.iter().find(|l| l.text == "2006").unwrap();
    let (x, width) = bars[1];
    assert!(
        year.x - 2.0 <= x && x + width <= year.x + 48.0,
        "{bars:?}, 2006 at {}",
        year.x
    );
}

/// Releases are placed by their dates, as CMS's are (years apart, then quarterly): 2010-01,
/// 2013-01, 2013-04 and 2013-07 stand 36, 3 and 3 months apart on the chart, each bar in its
/// own place, and each section's trend line likewise; the axis names every year from 2010 to
/// 2013, and no two labels overlap. Spaced evenly, three years looked like three months.
#[test]
fn the_home_chart_spaces_releases_by_their_dates() {
    let ids: Vec<String> = ["2010-01", "2013-01", "2013-04", "2013-07"]
        .map(String::from)
        .to_vec();
    let work = releases_at(&ids);
    let dir = work.path("site");
    build(&work, &dir);
    let home = page(&dir, "index.html");
    let (svg, _, labels, bars) = chart(&home);
    assert!(svg.starts_with("<svg class=\"chart fit\""), "{svg}");
    assert_labels_apart(&labels);
    let centres: Vec<f64> = bars.iter().map(|(x, w)| x + w / 2.0).collect();
    assert_eq!(centres.len(), 4);
    let gaps: Vec<f64> = centres.windows(2).map(|w| w[1] - w[0]).collect();
    assert!((gaps[0] / gaps[1] - 12.0).abs() < 0.05, "{centres:?}");
    assert!((gaps[2] - gaps[1]).abs() < 0.2, "{centres:?}");
    for pair in bars.windows(2) {
        assert!(pair[0].0 + pair[0].1 < pair[1].0, "bars touch: {pair:?}");
    }
    let texts: Vec<&str> = labels.iter().map(|l| l.text.as_str()).collect();
    for year in ["2010", "2011", "2012", "2013"] {
        assert!(texts.contains(&year), "{texts:?}");
    }
    // 2013-01's added and retired bars count three years' change: the note under the chart
    // says so, and of it alone.
    assert!(
        home.contains(
            "Added and retired count the change since the release stored before, which for \
             2013-01 (since 2010-01) is more than a year: the releases between are not stored."
        ),
        "{home}"
    );
    let (points, xs) = first_spark(&home);
    assert_eq!(xs, [0.0, 85.7, 92.9, 100.0], "{points}");
}
