//! `history CODE` as text, markdown or JSON.

use std::io::{self, Write};

use super::describe;
use crate::diff::Cosmetic;
use crate::diff::history::{History, Step};

fn lines(h: &History) -> Vec<(String, Vec<String>)> {
    h.events
        .iter()
        .map(|e| {
            let details = e
                .fields
                .iter()
                .map(|f| {
                    let tag = match f.cosmetic_reason {
                        Some(Cosmetic::Encoding) => " (encoding)",
                        Some(Cosmetic::Punctuation) => " (cosmetic)",
                        None => "",
                    };
                    format!(
                        "{}{tag}: {} -> {}",
                        f.label,
                        describe(f, &f.old),
                        describe(f, &f.new)
                    )
                })
                .collect();
            let action = e
                .action_code
                .as_deref()
                .map(|a| format!(" (CMS action {a})"))
                .unwrap_or_default();
            let mut dates = Vec::new();
            if let Some(d) = e.added_date.filter(|_| e.step != Step::FirstSeen) {
                dates.push(format!("effective {d}"));
            }
            if let Some(d) = e.termination_date {
                dates.push(format!("terminated {d}"));
            }
            let dates = if dates.is_empty() {
                String::new()
            } else {
                format!(", {}", dates.join(", "))
            };
            let redefined = if e.redefined {
                " (redefined: the code now stands for something else)"
            } else {
                ""
            };
            (
                format!(
                    "{}  {}{redefined}{dates}{action}",
                    e.release,
                    e.step.as_str()
                ),
                details,
            )
        })
        .collect()
}

/// "unchanged through 2025-01" when the code is still there after its last event.
fn quiet_since(h: &History) -> Option<String> {
    let last = h.events.last()?;
    let newest = *h.releases.last()?;
    (last.release < newest && last.step != Step::Dropped)
        .then(|| format!("unchanged through {newest}"))
}

/// Since when CMS has had the code, against when this store first has it: "in the code set
/// since 2006-01-01 (CMS's date added); first stored in 2012-01".
fn since(h: &History) -> Option<String> {
    let first = h.events.first()?.release;
    let added = h.added_date.map_or_else(
        || "CMS gives no date added".to_string(),
        |d| format!("in the code set since {d} (CMS's date added)"),
    );
    let end = h
        .termination_date
        .map(|d| format!("; terminated {d}"))
        .unwrap_or_default();
    Some(format!("{added}; first stored in {first}{end}"))
}

/// "Section: Durable medical equipment (E0100-E9999)", for a code some stored release has.
fn section(h: &History) -> Option<String> {
    let kind = h.kind?;
    Some(format!(
        "Section: {}",
        super::show::section_words(&h.code, kind)
    ))
}

fn span(h: &History) -> String {
    match (h.releases.first(), h.releases.last()) {
        (Some(a), Some(b)) => format!("{} stored releases, {a} to {b}", h.releases.len()),
        _ => "no stored releases".to_string(),
    }
}

pub fn text(out: &mut dyn Write, h: &History) -> io::Result<()> {
    writeln!(
        out,
        "{}  {}",
        h.code,
        h.description.as_deref().unwrap_or("(in no stored release)")
    )?;
    if let Some(since) = since(h) {
        writeln!(out, "{since}")?;
    }
    if let Some(section) = section(h) {
        writeln!(out, "{section}")?;
    }
    writeln!(out, "{}", span(h))?;
    for (head, details) in lines(h) {
        writeln!(out, "  {head}")?;
        for d in details {
            writeln!(out, "      {d}")?;
        }
    }
    if let Some(line) = quiet_since(h) {
        writeln!(out, "  {line}")?;
    }
    if !h.corrections.is_empty() {
        writeln!(out, "CMS corrections")?;
        for line in correction_lines(h) {
            writeln!(out, "  {line}")?;
        }
    }
    Ok(())
}

/// "2019-01  ADD CODE: add, effective 2019-01-01; states ... (file, version 1, row 7)".
fn correction_lines(h: &History) -> Vec<String> {
    h.corrections
        .iter()
        .map(|k| {
            let words = super::show::correction_words(&k.file, k.version, &k.correction);
            format!("{}  {words}", k.release)
        })
        .collect()
}

pub fn markdown(out: &mut dyn Write, h: &History) -> io::Result<()> {
    writeln!(out, "# {} history", h.code)?;
    writeln!(out)?;
    writeln!(
        out,
        "{}. {}.",
        h.description.as_deref().unwrap_or("In no stored release"),
        span(h)
    )?;
    if let Some(since) = since(h) {
        writeln!(out)?;
        writeln!(out, "{}.", capitalized(&since))?;
    }
    if let Some(section) = section(h) {
        writeln!(out)?;
        writeln!(out, "{}.", super::markdown::md(&section))?;
    }
    writeln!(out)?;
    for (head, details) in lines(h) {
        writeln!(out, "- {head}")?;
        for d in details {
            writeln!(out, "  - {d}")?;
        }
    }
    if let Some(line) = quiet_since(h) {
        writeln!(out, "- {line}")?;
    }
    if !h.corrections.is_empty() {
        writeln!(out, "\n## CMS corrections\n")?;
        for line in correction_lines(h) {
            writeln!(out, "- {}", super::markdown::md(&line))?;
        }
    }
    Ok(())
}

pub fn json(out: &mut dyn Write, h: &History) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, h)?;
    writeln!(out)
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
