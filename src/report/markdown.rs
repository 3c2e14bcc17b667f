//! A changelog document: a summary table that links to the sections (the table of contents),
//! a section per kind of change in the order a reviewer acts on them, word-level wording
//! changes (~~removed~~ **inserted**), cosmetic changes folded away, CMS disagreements last.
//! CommonMark with GitHub's tables and strike-through.

use std::io::{self, Write};

use super::{
    Section, added_note, agreement_note, chain, date_note, describe, is_wording, mark_values,
    mark_words, pricing_and_coverage, sections, shown_fields,
};
use crate::diff::{Change, Changeset, CodeChange, Cosmetic};

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

/// A code's date in words, capitalized as a list item.
fn dated(c: &CodeChange) -> Option<String> {
    let note = match c.change {
        Change::Added => added_note(c),
        Change::Retired | Change::Dropped => {
            date_note(c).map(|d| format!("{d}: not billable after it"))
        }
        Change::Changed | Change::Reinstated => {
            date_note(c).map(|d| format!("{d} (CMS's action effective date)"))
        }
    };
    note.map(|n| capitalized(&n))
}

/// One code's entry: its date, pricing and coverage when added, its fields' old and new
/// values, its replacements.
fn code_item(out: &mut dyn Write, c: &CodeChange) -> io::Result<()> {
    writeln!(out, "- **{}** {}", c.code, md(&c.description))?;
    if let Some(note) = super::redefined_note(c) {
        writeln!(out, "  - **{}**", md(note))?;
    }
    if let Some(note) = dated(c) {
        writeln!(out, "  - {}", md(&note))?;
    }
    let what = pricing_and_coverage(&c.standing).join("; ");
    if c.change == Change::Added && !what.is_empty() {
        writeln!(out, "  - {}", md(&capitalized(&what)))?;
    }
    for f in shown_fields(c) {
        let values = mark_values(
            f,
            md,
            |w| format!("~~{}~~", md(w)),
            |w| format!("**{}**", md(w)),
        );
        if is_wording(f) {
            writeln!(out, "  - {}: {}", f.label, word_diff(&f.old[0], &f.new[0]))?;
        } else if let Some(values) = values {
            writeln!(out, "  - {}: {values}", f.label)?;
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
    for e in &c.explained_by {
        writeln!(out, "  - Explained by CMS's correction: {}", md(&e.words()))?;
    }
    Ok(())
}

/// The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens.
fn slug(heading: &str) -> String {
    heading
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .flat_map(char::to_lowercase)
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn heading(section: Section, count: usize) -> String {
    format!("{} ({count})", section.title())
}

/// The summary table, which is also the table of contents: each section with codes links to
/// its heading.
fn summary(out: &mut dyn Write, set: &Changeset) -> io::Result<()> {
    writeln!(out, "| Section | Codes | What it holds |")?;
    writeln!(out, "|---|---:|---|")?;
    for section in Section::ALL {
        let n = section.count(set);
        let name = if n == 0 {
            section.title().to_string()
        } else {
            format!("[{}](#{})", section.title(), slug(&heading(section, n)))
        };
        writeln!(out, "| {name} | {n} | {} |", md(section.hint()))?;
    }
    Ok(())
}

/// The counts by section of HCPCS Level II as a table (nothing when no code changed).
fn by_section(out: &mut dyn Write, set: &Changeset) -> io::Result<()> {
    if set.changes.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "## By section of HCPCS Level II")?;
    writeln!(out)?;
    let heads = super::change_columns();
    writeln!(out, "| Section | Range | {} | Total |", heads.join(" | "))?;
    writeln!(out, "|---|---|{}---:|", "---:|".repeat(heads.len()))?;
    let rows = super::section_rows(set);
    let last = rows.len() - 1;
    for (i, r) in rows.iter().enumerate() {
        let counts: Vec<String> = r.counts.iter().map(usize::to_string).collect();
        let (label, total) = match i == last {
            true => (format!("**{}**", md(&r.label)), format!("**{}**", r.total)),
            false => (md(&r.label), r.total.to_string()),
        };
        writeln!(
            out,
            "| {label} | {} | {} | {total} |",
            r.id,
            counts.join(" | ")
        )?;
    }
    Ok(())
}

pub fn render(out: &mut dyn Write, set: &Changeset) -> io::Result<()> {
    writeln!(
        out,
        "# HCPCS changes {} → {}",
        set.old.label(),
        set.new.label()
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "From {} (release {}, {} codes) to {} (release {}, {} codes).",
        code_span(&set.old.source),
        set.old.label(),
        set.old.codes,
        code_span(&set.new.source),
        set.new.label(),
        set.new.codes
    )?;
    writeln!(out)?;
    for line in super::context_lines(set) {
        writeln!(out, "- {}", md(&line))?;
    }
    writeln!(out)?;
    summary(out, set)?;
    if let Some(note) = agreement_note(set) {
        writeln!(out)?;
        writeln!(out, "{}", md(&note))?;
    }
    by_section(out, set)?;
    for (section, codes) in sections(set) {
        writeln!(out)?;
        writeln!(out, "## {}", heading(section, codes.len()))?;
        writeln!(out)?;
        match section.cosmetic_reason() {
            Some(reason) => cosmetic_items(out, reason, &codes)?,
            None => {
                for c in codes {
                    code_item(out, c)?;
                }
            }
        }
    }
    disagreements(out, set)
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A cosmetic section's codes, folded away.
fn cosmetic_items(out: &mut dyn Write, reason: Cosmetic, codes: &[&CodeChange]) -> io::Result<()> {
    writeln!(out, "<details><summary>{}</summary>", reason.reason())?;
    writeln!(out)?;
    for c in codes {
        writeln!(out, "- **{}** {}", c.code, md(&c.description))?;
        if let Some(note) = super::redefined_note(c) {
            writeln!(out, "  - **{}**", md(note))?;
        }
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
    writeln!(out, "</details>")
}

/// The codes whose CMS action code or dates disagree with what changed.
fn disagreements(out: &mut dyn Write, set: &Changeset) -> io::Result<()> {
    if set.disagreements.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "## {}",
        heading(Section::Disagreements, set.disagreements.len())
    )?;
    writeln!(out)?;
    for d in &set.disagreements {
        writeln!(out, "- **{}** {}", d.code, md(&d.reason))?;
    }
    Ok(())
}
