//! A code's (or modifier's) page: every field decoded into words, "valid from ... to ..." as
//! CMS's dates say, and its whole history across the stored releases: added, each change old
//! → new, termination with the codes to use instead (links), redefinitions, and CMS's
//! corrections that name it.

use std::io::{self, Write};

use super::layout::{Frame, page};
use super::{Site, code_page, esc, group_of, group_page, group_title, release_page};
use crate::diff::Replacement;
use crate::diff::history::{Event, History, Step};
use crate::model::fields::FIELDS;
use crate::model::sections;
use crate::model::{Kind, Record, ReleaseId};
use crate::report::{action_label, chain, describe};

/// What a code's page shows.
pub struct CodeView<'a> {
    /// The code's history, with the corrections that name it.
    pub history: &'a History,
    /// The code in the newest stored release that has it, and that release.
    pub record: &'a Record,
    pub record_release: ReleaseId,
    /// For each release that retired or dropped the code: the codes to use instead, as that
    /// release has them.
    pub replacements: Vec<(ReleaseId, Vec<Replacement>)>,
}

pub fn render(out: &mut dyn Write, site: &Site, view: &CodeView) -> io::Result<()> {
    let h = view.history;
    let record = view.record;
    let title = format!("{} {}", record.code, record.long_description);
    let frame = Frame {
        root: "../",
        title: &title,
        scripts: &[],
        dated: false,
    };
    let link = |code: &str| code_link(site, code);
    page(out, site, &frame, |out| {
        let group = group_of(&record.code, record.kind);
        writeln!(
            out,
            "<nav class=\"pager\" aria-label=\"Browse\"><ul><li><a href=\"../{}\">{}</a></li></ul></nav>",
            group_page(&group),
            esc(&group_title(&group))
        )?;
        writeln!(
            out,
            "<h1><code>{}</code> {}</h1>",
            esc(&record.code),
            esc(&record.long_description)
        )?;
        let kind = match record.kind {
            Kind::Procedure => "Procedure or supply code",
            Kind::Modifier => "Modifier",
        };
        writeln!(out, "<p class=\"valid\">{}</p>", valid(site, view))?;
        let section = match sections::of(&record.code, record.kind) {
            Some(_) => format!(
                "<a href=\"../{}\">{}</a>",
                group_page(&group),
                esc(&group_title(&group))
            ),
            None => esc(crate::diff::NO_SECTION),
        };
        // Named by the release that last changed the code, not the newest: the page of a code
        // a new release leaves alone keeps its bytes.
        let since = h
            .events
            .iter()
            .rev()
            .find(|e| e.step != Step::Dropped && e.release <= view.record_release)
            .map_or(view.record_release, |e| e.release);
        writeln!(
            out,
            "<p>{kind}. Section: {section}. The fields below are as CMS's files give them from \
             release <a href=\"../{}\">{since}</a> on.</p>",
            release_page(since),
        )?;
        fields(out, record, &link)?;
        history(out, site, view, &link)?;
        corrections(out, h)
    })
}

/// `<a href="../codes/J0791.html"><code>J0791</code></a>` for a code with a page.
fn code_link(site: &Site, code: &str) -> String {
    if site.has_page(code) {
        format!(
            "<a href=\"../{}\"><code>{}</code></a>",
            esc(&code_page(code)),
            esc(code)
        )
    } else {
        format!("<code>{}</code>", esc(code))
    }
}

/// "Valid from 2006-01-01 (CMS's date added) to 2020-06-30 (CMS's termination date: not
/// billable after it)".
fn valid(site: &Site, view: &CodeView) -> String {
    let h = view.history;
    let from = h.added_date.map_or_else(
        || "CMS gives no date added".to_string(),
        |d| format!("Valid from {d} (CMS's date added)"),
    );
    // Said without naming the newest release, so that the page of a code a new release
    // leaves alone keeps its bytes.
    let newest = site.newest().unwrap_or(view.record_release);
    let to = match h.termination_date {
        Some(t) => format!(" to {t} (CMS's termination date: not billable after it)"),
        None if view.record_release < newest => {
            format!("; not in CMS's file after {}", view.record_release)
        }
        None => "; CMS gives no termination date".to_string(),
    };
    format!("{from}{to}.")
}

fn fields(out: &mut dyn Write, record: &Record, link: &dyn Fn(&str) -> String) -> io::Result<()> {
    writeln!(
        out,
        "<section aria-labelledby=\"fields\"><h2 id=\"fields\">Every field, in words</h2>\n\
         <div class=\"scroll\"><table class=\"list\"><thead><tr><th scope=\"col\">Field</th>\
         <th scope=\"col\">Value</th></tr></thead><tbody>"
    )?;
    for f in FIELDS {
        let values = (f.values)(record);
        if values.is_empty() {
            continue;
        }
        let shown: Vec<String> = values
            .iter()
            .map(|v| {
                if f.key == "cross_references" {
                    link(v)
                } else if let Some(group) = f.pricing_group(v) {
                    format!(
                        "{} <span class=\"field\">(pricing group: {})</span>",
                        esc(&f.describe(v)),
                        esc(group.words())
                    )
                } else {
                    esc(&f.describe(v))
                }
            })
            .collect();
        writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
            esc(f.label),
            shown.join("<br>")
        )?;
    }
    writeln!(out, "</tbody></table></div></section>")
}

fn history(
    out: &mut dyn Write,
    site: &Site,
    view: &CodeView,
    link: &dyn Fn(&str) -> String,
) -> io::Result<()> {
    let h = view.history;
    writeln!(
        out,
        "<section aria-labelledby=\"history\"><h2 id=\"history\">History across the stored releases</h2>\n\
         <div class=\"scroll\"><table class=\"list\"><thead><tr><th scope=\"col\">Release</th>\
         <th scope=\"col\">What happened</th><th scope=\"col\">Details</th></tr></thead><tbody>"
    )?;
    for e in &h.events {
        // The oldest stored release has no changelog, so no row to point at.
        let href = match e.step {
            Step::FirstSeen => format!("../{}", release_page(e.release)),
            _ => format!("../{}#{}", release_page(e.release), esc(&h.code)),
        };
        let details = details(e, view, link);
        let details = if details.is_empty() {
            "—".to_string()
        } else {
            format!("<ul><li>{}</li></ul>", details.join("</li><li>"))
        };
        writeln!(
            out,
            "<tr><th scope=\"row\"><a href=\"{href}\">{}</a></th><td>{}</td><td>{details}</td></tr>",
            e.release,
            step_words(e)
        )?;
    }
    writeln!(out, "</tbody></table></div>")?;
    if let (Some(last), Some(newest)) = (h.events.last(), site.newest())
        && last.release < newest
        && last.step != Step::Dropped
    {
        writeln!(
            out,
            "<p>Unchanged since {} in every later stored release.</p>",
            last.release
        )?;
    }
    let redefined: Vec<String> = h
        .events
        .iter()
        .filter(|e| e.redefined)
        .map(|e| e.release.to_string())
        .collect();
    if !redefined.is_empty() {
        writeln!(
            out,
            "<p class=\"redefined\">Redefined in {}: the description changed so far that the \
             code stands for something else; a claim billed under the old meaning is wrong.</p>",
            redefined.join(", ")
        )?;
    }
    writeln!(out, "</section>")
}

fn step_words(e: &Event) -> String {
    let mut words = match e.step {
        Step::FirstSeen => "In the oldest stored release".to_string(),
        Step::Added => "Added".to_string(),
        Step::Retired => "Retired".to_string(),
        Step::Dropped => "Left out of CMS's file".to_string(),
        Step::Reinstated => "Reinstated".to_string(),
        Step::Changed => "Changed".to_string(),
    };
    if e.redefined {
        words.push_str(" <strong class=\"redefined\">(redefined)</strong>");
    }
    words
}

fn details(e: &Event, view: &CodeView, link: &dyn Fn(&str) -> String) -> Vec<String> {
    let mut items = Vec::new();
    if let Some(d) = e.added_date {
        items.push(format!("CMS's date added {d}"));
    }
    if let Some(t) = e.termination_date {
        items.push(format!(
            "<strong>Terminated {t}: not billable after it</strong>"
        ));
    }
    for f in &e.fields {
        items.push(format!(
            "<span class=\"field\">{}:</span> <del>{}</del> → <ins>{}</ins>",
            esc(f.label),
            esc(&describe(f, &f.old)),
            esc(&describe(f, &f.new))
        ));
    }
    if matches!(e.step, Step::Retired | Step::Dropped | Step::Added) {
        for (release, list) in &view.replacements {
            if *release != e.release {
                continue;
            }
            for r in list {
                items.push(format!("Use instead: {}", chain(r, link)));
            }
        }
    }
    if let Some(a) = &e.action_code {
        items.push(format!("CMS action {}", esc(&action_label(a))));
    }
    items
}

fn corrections(out: &mut dyn Write, h: &History) -> io::Result<()> {
    if h.corrections.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "<section aria-labelledby=\"corrections\"><h2 id=\"corrections\">CMS's corrections that name it</h2><ul>"
    )?;
    for k in &h.corrections {
        let words = super::super::show::correction_words(&k.file, k.version, &k.correction);
        writeln!(
            out,
            "<li>To <a href=\"../{}\">{}</a>: {}</li>",
            release_page(k.release),
            k.release,
            esc(&words)
        )?;
    }
    writeln!(out, "</ul></section>")
}
