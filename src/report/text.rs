//! The changelog for a terminal: sections by kind of change, word-level highlights (colour on a
//! TTY, `[-removed-]{+inserted+}` otherwise), cosmetic changes collapsed to one line each.

use std::io::{self, Write};

use super::{
    added_note, agreement_note, chain, cosmetic, cosmetic_title, describe, is_wording, mark_words,
    sections, summary_line,
};
use crate::diff::{Changeset, CodeChange};

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    fn heading(&self, out: &mut dyn Write, title: &str) -> io::Result<()> {
        writeln!(out)?;
        writeln!(out, "{}", self.paint("1", title))
    }
}

fn word_diff(style: &Style, old: &str, new: &str) -> String {
    let (color, plain) = (style.color, |w: &str| w.to_string());
    mark_words(
        old,
        new,
        plain,
        |w| {
            if color {
                style.paint("31;9", w)
            } else {
                format!("[-{w}-]")
            }
        },
        |w| {
            if color {
                style.paint("32", w)
            } else {
                format!("{{+{w}+}}")
            }
        },
    )
}

/// One code's entry: what an added code is, its fields' old and new values, its replacements.
fn code_item(out: &mut dyn Write, style: &Style, c: &CodeChange) -> io::Result<()> {
    writeln!(out, "  {}  {}", style.paint("1", &c.code), c.description)?;
    if let Some(note) = added_note(c) {
        writeln!(out, "      {note}")?;
    }
    for f in &c.fields {
        if is_wording(f) || f.cosmetic {
            let tag = if f.cosmetic { " (cosmetic)" } else { "" };
            writeln!(
                out,
                "      {}{tag}: {}",
                f.label,
                word_diff(style, &f.old.join(" "), &f.new.join(" "))
            )?;
        } else {
            writeln!(
                out,
                "      {}: {} -> {}",
                f.label,
                describe(f, &f.old),
                describe(f, &f.new)
            )?;
        }
    }
    for r in &c.replacements {
        // The description names the code itself; a followed chain ends elsewhere.
        let what = r
            .description
            .as_deref()
            .filter(|_| r.then.is_empty())
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        let chain = chain(r, &|code| code.to_string());
        writeln!(out, "      use instead: {chain}{what}")?;
    }
    Ok(())
}

pub fn render(out: &mut dyn Write, set: &Changeset, color: bool) -> io::Result<()> {
    let style = Style { color };
    writeln!(out, "HCPCS {} -> {}", set.old.label(), set.new.label())?;
    writeln!(out, "{}", summary_line(set))?;
    if let Some(note) = agreement_note(set) {
        writeln!(out, "{note}")?;
    }
    for (change, group) in sections(set) {
        style.heading(
            out,
            &format!("{} ({})", change.as_str().to_uppercase(), group.len()),
        )?;
        for c in group {
            code_item(out, &style, c)?;
        }
    }
    for (reason, codes) in cosmetic(set) {
        style.heading(
            out,
            &format!(
                "{} ({}; {}; --hide-cosmetic leaves them out)",
                cosmetic_title(reason).to_uppercase(),
                codes.len(),
                reason.reason()
            ),
        )?;
        for c in codes {
            writeln!(out, "  {}  {}", style.paint("1", &c.code), c.description)?;
            for f in &c.fields {
                writeln!(
                    out,
                    "      {}: {}",
                    f.label,
                    word_diff(&style, &f.old.join(" "), &f.new.join(" "))
                )?;
            }
        }
    }
    if !set.disagreements.is_empty() {
        style.heading(
            out,
            &format!(
                "DISAGREES WITH CMS'S ACTION CODE ({})",
                set.disagreements.len()
            ),
        )?;
        for d in &set.disagreements {
            writeln!(out, "  {}  {}", d.code, d.reason)?;
        }
    }
    Ok(())
}
