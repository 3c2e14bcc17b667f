//! A changelog document: summary table, a section per kind of change, word-level wording
//! changes (~~removed~~ **inserted**), cosmetic changes folded away, CMS disagreements last.

use std::io::{self, Write};

use super::{
    added_note, agreement_note, chain, cosmetic, cosmetic_title, describe, is_wording, mark_words,
    sections,
};
use crate::diff::{Changeset, CodeChange};

/// Markdown-safe text: table pipes and emphasis characters escaped.
pub(super) fn md(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('*', "\\*")
        .replace('_', "\\_")
        .replace('~', "\\~")
}

/// `s` as a CommonMark code span: backslashes are literal there, so nothing is escaped; the
/// fence is one backtick longer than any run of backticks inside.
fn code_span(s: &str) -> String {
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

fn word_diff(old: &str, new: &str) -> String {
    mark_words(
        old,
        new,
        md,
        |w| format!("~~{}~~", md(w)),
        |w| format!("**{}**", md(w)),
    )
}

/// One code's entry: its fields' old and new values and its replacements.
fn code_item(out: &mut dyn Write, c: &CodeChange) -> io::Result<()> {
    writeln!(out, "- **{}** {}", c.code, md(&c.description))?;
    if let Some(note) = added_note(c) {
        writeln!(out, "  - {}", capitalized(&note))?;
    }
    for f in &c.fields {
        if is_wording(f) {
            writeln!(out, "  - {}: {}", f.label, word_diff(&f.old[0], &f.new[0]))?;
        } else {
            writeln!(
                out,
                "  - {}: {} → {}",
                f.label,
                md(&describe(f, &f.old)),
                md(&describe(f, &f.new))
            )?;
        }
    }
    for r in &c.replacements {
        let chain = chain(r, &|code| format!("**{code}**"));
        writeln!(out, "  - Use instead: {chain}")?;
    }
    Ok(())
}

pub fn render(out: &mut dyn Write, set: &Changeset) -> io::Result<()> {
    let s = set.summary();
    writeln!(
        out,
        "# HCPCS changes {} → {}",
        set.old.label(),
        set.new.label()
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "From {} to {}.",
        code_span(&set.old.source),
        code_span(&set.new.source)
    )?;
    writeln!(out)?;
    writeln!(out, "| Change | Codes |")?;
    writeln!(out, "|---|---:|")?;
    for (label, n) in [
        ("Added", s.added),
        ("Retired", s.retired),
        ("Dropped", s.dropped),
        ("Reinstated", s.reinstated),
        ("Changed", s.changed),
        ("… of them cosmetic only", s.cosmetic),
        ("… of them encoding only", s.encoding),
        (
            "Disagreeing with CMS's action code",
            set.disagreements.len(),
        ),
    ] {
        writeln!(out, "| {label} | {n} |")?;
    }
    if let Some(note) = agreement_note(set) {
        writeln!(out)?;
        writeln!(out, "{}", md(&note))?;
    }
    for (change, group) in sections(set) {
        writeln!(out)?;
        writeln!(out, "## {} ({})", capitalized(change.as_str()), group.len())?;
        writeln!(out)?;
        for c in group {
            code_item(out, c)?;
        }
    }
    cosmetic_and_disagreements(out, set)
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The folded list of cosmetic-only changes, then the codes that disagree with CMS.
fn cosmetic_and_disagreements(out: &mut dyn Write, set: &Changeset) -> io::Result<()> {
    for (reason, codes) in cosmetic(set) {
        writeln!(out)?;
        writeln!(out, "## {} ({})", cosmetic_title(reason), codes.len())?;
        writeln!(out)?;
        writeln!(out, "<details><summary>{}</summary>", reason.reason())?;
        writeln!(out)?;
        for c in codes {
            writeln!(out, "- **{}** {}", c.code, md(&c.description))?;
            for f in &c.fields {
                writeln!(
                    out,
                    "  - {}: {}",
                    f.label,
                    word_diff(&f.old.join(" "), &f.new.join(" "))
                )?;
            }
        }
        writeln!(out)?;
        writeln!(out, "</details>")?;
    }
    if !set.disagreements.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "## Disagreements with CMS's action codes ({})",
            set.disagreements.len()
        )?;
        writeln!(out)?;
        for d in &set.disagreements {
            writeln!(out, "- **{}** {}", d.code, md(&d.reason))?;
        }
    }
    Ok(())
}
