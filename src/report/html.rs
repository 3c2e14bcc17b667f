//! One self-contained HTML file (inline CSS, no scripts or links out) that reads well when
//! e-mailed: summary table, a section per kind of change, `<del>`/`<ins>` word highlights.

use std::io::{self, Write};

use super::{
    added_note, chain, cosmetic, cosmetic_title, describe, is_wording, mark_words, sections,
    summary_line,
};
use crate::diff::{Changeset, CodeChange};

pub(super) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn word_diff(old: &str, new: &str) -> String {
    mark_words(
        old,
        new,
        esc,
        |w| format!("<del>{}</del>", esc(w)),
        |w| format!("<ins>{}</ins>", esc(w)),
    )
}

const CSS: &str = "body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;color:#222}\
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}\
code{font-weight:bold}del{background:#fdd;color:#900}ins{background:#dfd;color:#060;text-decoration:none}\
li{margin:.3em 0}.field{color:#555}";

/// One code's entry: its fields' old and new values and its replacements.
fn code_item(out: &mut dyn Write, c: &CodeChange) -> io::Result<()> {
    writeln!(
        out,
        "<li><code>{}</code> {}",
        esc(&c.code),
        esc(&c.description)
    )?;
    let note = added_note(c);
    let nested = !c.fields.is_empty() || !c.replacements.is_empty() || note.is_some();
    if nested {
        writeln!(out, "<ul>")?;
    }
    if let Some(note) = note {
        writeln!(out, "<li>{}</li>", esc(&note))?;
    }
    for f in &c.fields {
        let body = if is_wording(f) {
            word_diff(&f.old[0], &f.new[0])
        } else {
            format!(
                "<del>{}</del> → <ins>{}</ins>",
                esc(&describe(f, &f.old)),
                esc(&describe(f, &f.new))
            )
        };
        writeln!(
            out,
            "<li><span class=\"field\">{}:</span> {body}</li>",
            esc(f.label)
        )?;
    }
    for r in &c.replacements {
        let chain = chain(r, &|code| format!("<code>{}</code>", esc(code)));
        writeln!(out, "<li>Use instead: {chain}</li>")?;
    }
    if nested {
        writeln!(out, "</ul>")?;
    }
    writeln!(out, "</li>")?;
    Ok(())
}

pub fn render(out: &mut dyn Write, set: &Changeset) -> io::Result<()> {
    let title = format!("HCPCS changes {} → {}", set.old.label(), set.new.label());
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>"
    )?;
    writeln!(out, "<style>{CSS}</style></head><body>")?;
    writeln!(out, "<h1>{title}</h1>")?;
    writeln!(out, "<p>{}</p>", esc(&summary_line(set)))?;
    if let Some(note) = super::agreement_note(set) {
        writeln!(out, "<p>{}</p>", esc(&note))?;
    }
    writeln!(
        out,
        "<p>From <code>{}</code> to <code>{}</code>.</p>",
        esc(&set.old.source),
        esc(&set.new.source)
    )?;
    for (change, group) in sections(set) {
        writeln!(out, "<h2>{} ({})</h2>\n<ul>", change.as_str(), group.len())?;
        for c in group {
            code_item(out, c)?;
        }
        writeln!(out, "</ul>")?;
    }
    cosmetic_and_disagreements(out, set)?;
    writeln!(out, "</body></html>")
}

/// The folded list of cosmetic-only changes, then the codes that disagree with CMS.
fn cosmetic_and_disagreements(out: &mut dyn Write, set: &Changeset) -> io::Result<()> {
    for (reason, codes) in cosmetic(set) {
        writeln!(
            out,
            "<details><summary>{} ({}): {}</summary><ul>",
            cosmetic_title(reason),
            codes.len(),
            esc(reason.reason())
        )?;
        for c in codes {
            writeln!(
                out,
                "<li><code>{}</code> {}<ul>",
                esc(&c.code),
                esc(&c.description)
            )?;
            for f in &c.fields {
                writeln!(
                    out,
                    "<li><span class=\"field\">{}:</span> {}</li>",
                    esc(f.label),
                    word_diff(&f.old.join(" "), &f.new.join(" "))
                )?;
            }
            writeln!(out, "</ul></li>")?;
        }
        writeln!(out, "</ul></details>")?;
    }
    if !set.disagreements.is_empty() {
        writeln!(
            out,
            "<h2>Disagreements with CMS's action codes ({})</h2>\n<ul>",
            set.disagreements.len()
        )?;
        for d in &set.disagreements {
            writeln!(
                out,
                "<li><code>{}</code> {}</li>",
                esc(&d.code),
                esc(&d.reason)
            )?;
        }
        writeln!(out, "</ul>")?;
    }
    Ok(())
}
