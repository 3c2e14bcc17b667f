//! Renderers of a `Changeset`: text for the terminal and versioned JSON for cron jobs.

use std::io::{self, Write};

use serde::Serialize;

use crate::diff::words::{Span, words};
use crate::diff::{Change, Changeset, CodeChange, FieldChange, Summary};
use crate::model::fields::field;

/// Bumped when the JSON changeset's shape changes incompatibly.
pub const JSON_SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonChangeset<'a> {
    schema_version: u32,
    old: &'a crate::diff::ReleaseInfo,
    new: &'a crate::diff::ReleaseInfo,
    summary: Summary,
    changes: &'a [CodeChange],
}

pub fn json(out: &mut dyn Write, set: &Changeset) -> io::Result<()> {
    let doc = JsonChangeset {
        schema_version: JSON_SCHEMA_VERSION,
        old: &set.old,
        new: &set.new,
        summary: set.summary(),
        changes: &set.changes,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// ANSI styling, used only when the caller says the output is a colour terminal.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

fn values(f: &FieldChange, v: &[String]) -> String {
    if v.is_empty() {
        return "(blank)".to_string();
    }
    let def = field(f.field);
    v.iter()
        .map(|x| def.map_or(x.clone(), |d| d.describe(x)))
        .collect::<Vec<_>>()
        .join("; ")
}

fn word_diff(style: Style, old: &str, new: &str) -> String {
    words(old, new)
        .into_iter()
        .map(|s| match s {
            Span::Same(w) => w,
            // A change of spacing alone is not worth a mark.
            Span::Removed(w) if w.trim().is_empty() => String::new(),
            Span::Inserted(w) if w.trim().is_empty() => w,
            Span::Removed(w) if style.color => style.paint("31;9", &w),
            Span::Inserted(w) if style.color => style.paint("32", &w),
            Span::Removed(w) => format!("[-{w}-]"),
            Span::Inserted(w) => format!("{{+{w}+}}"),
        })
        .collect()
}

fn heading(out: &mut dyn Write, style: Style, title: &str) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "{}", style.paint("1", title))
}

pub fn text(out: &mut dyn Write, set: &Changeset, style: Style) -> io::Result<()> {
    let s = set.summary();
    writeln!(out, "HCPCS {} -> {}", set.old.release, set.new.release)?;
    writeln!(
        out,
        "{} added, {} retired, {} dropped, {} reinstated, {} changed ({} of them cosmetic only)",
        s.added, s.retired, s.dropped, s.reinstated, s.changed, s.cosmetic
    )?;
    for change in Change::ALL {
        let group: Vec<&CodeChange> = set
            .changes
            .iter()
            .filter(|c| c.change == change && !c.is_cosmetic())
            .collect();
        if group.is_empty() {
            continue;
        }
        heading(
            out,
            style,
            &format!("{} ({})", change.as_str().to_uppercase(), group.len()),
        )?;
        for c in group {
            writeln!(out, "  {}  {}", style.paint("1", &c.code), c.description)?;
            for f in &c.fields {
                if f.cosmetic {
                    writeln!(
                        out,
                        "      {} (cosmetic): {}",
                        f.label,
                        word_diff(style, &f.old.join(" "), &f.new.join(" "))
                    )?;
                } else if f.field.ends_with("description") && f.old.len() == 1 && f.new.len() == 1 {
                    writeln!(
                        out,
                        "      {}: {}",
                        f.label,
                        word_diff(style, &f.old[0], &f.new[0])
                    )?;
                } else {
                    writeln!(
                        out,
                        "      {}: {} -> {}",
                        f.label,
                        values(f, &f.old),
                        values(f, &f.new)
                    )?;
                }
            }
        }
    }
    let cosmetic: Vec<&CodeChange> = set.changes.iter().filter(|c| c.is_cosmetic()).collect();
    if !cosmetic.is_empty() {
        let title = format!(
            "COSMETIC ONLY ({}; --hide-cosmetic leaves them out)",
            cosmetic.len()
        );
        heading(out, style, &title)?;
        for c in cosmetic {
            let fields: Vec<&str> = c.fields.iter().map(|f| f.label).collect();
            writeln!(out, "  {}  {}", c.code, fields.join(", "))?;
        }
    }
    Ok(())
}
