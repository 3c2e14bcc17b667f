//! `audit` in every format: codes needing attention first (terminated, not in the release,
//! unknown, changed), then the active ones, then the dated rows that were not valid on their
//! date of service. CSV gives one row per line of the user's file, with its own columns, so
//! it joins back to that file.

use std::io::{self, Write};

use crate::audit::{Audit, CodeAudit, Row, Status};

use super::html::esc;
use super::markdown::md;
use super::{chain, describe};

/// The codes in the order a supplier acts on them.
fn by_urgency(a: &Audit) -> Vec<&CodeAudit> {
    let rank = |s: Status| match s {
        Status::Terminated => 0,
        Status::NotInRelease => 1,
        Status::Unknown => 2,
        Status::Changed => 3,
        Status::Active => 4,
    };
    let mut codes: Vec<&CodeAudit> = a.codes.iter().collect();
    codes.sort_by_key(|c| (rank(c.status), c.code.as_str()));
    codes
}

fn title(a: &Audit) -> String {
    let since = a
        .previous
        .map(|p| format!(" (changes since {p})"))
        .unwrap_or_default();
    format!(
        "HCPCS audit of {} against release {}{since}",
        a.file, a.release
    )
}

fn summary_line(a: &Audit) -> String {
    let s = &a.summary;
    let mut line = format!(
        "{} codes: {} active, {} changed, {} terminated, {} not in release, {} unknown",
        s.codes, s.active, s.changed, s.terminated, s.not_in_release, s.unknown
    );
    if s.valid_on_date + s.not_valid_on_date > 0 {
        line.push_str(&format!(
            "; {} dated rows: {} valid on their date of service, {} not valid",
            s.valid_on_date + s.not_valid_on_date,
            s.valid_on_date,
            s.not_valid_on_date
        ));
    }
    line
}

/// "terminated 2020-06-30", "not in release (last in 2020-10)", "unknown: ...; did you mean
/// E1392?", or the status alone.
pub fn status_words(c: &CodeAudit) -> String {
    match c.status {
        Status::Terminated => match c.termination_date {
            Some(d) => format!("terminated {d}"),
            None => "terminated".to_string(),
        },
        Status::NotInRelease => match (c.last_release, &c.problem) {
            (Some(r), _) => format!("not in release (last in {r})"),
            (None, Some(p)) => format!("not in release ({p})"),
            (None, None) => "not in release".to_string(),
        },
        Status::Unknown => {
            let mut s = format!(
                "unknown: {}",
                c.problem.as_deref().unwrap_or("no such code")
            );
            if !c.suggestions.is_empty() {
                s.push_str(&format!("; did you mean {}?", c.suggestions.join(" or ")));
            }
            s
        }
        Status::Changed if c.new_in_release => "changed: new in this release".to_string(),
        other => other.as_str().to_string(),
    }
}

/// The lines under a code: pricing and coverage, changes, replacements.
fn details(c: &CodeAudit, code: &dyn Fn(&str) -> String) -> Vec<String> {
    let mut out = Vec::new();
    if !c.pricing.is_empty() || c.coverage.is_some() {
        out.push(format!(
            "pricing: {}; coverage: {}",
            if c.pricing.is_empty() {
                "(blank)".to_string()
            } else {
                c.pricing.join("; ")
            },
            c.coverage.as_deref().unwrap_or("(blank)")
        ));
    }
    for f in &c.changes {
        out.push(format!(
            "{}: {} -> {}",
            f.label,
            describe(f, &f.old),
            describe(f, &f.new)
        ));
    }
    for r in &c.replacements {
        out.push(format!("use instead: {}", chain(r, code)));
    }
    out
}

fn rows_not_valid(a: &Audit) -> impl Iterator<Item = &Row> {
    a.rows
        .iter()
        .filter(|r| r.modifier_problem.is_some() || r.date_check.as_ref().is_some_and(|d| !d.valid))
}

fn row_words(r: &Row) -> String {
    let mut parts = Vec::new();
    if let (Some(date), Some(check)) = (&r.date, &r.date_check) {
        let release = check
            .release
            .map(|r| format!(" (release {r})"))
            .unwrap_or_default();
        parts.push(format!(
            "{date}: {}: {}{release}",
            if check.valid { "valid" } else { "NOT VALID" },
            check.reason
        ));
    }
    if let Some(p) = &r.modifier_problem {
        parts.push(p.clone());
    }
    format!("line {}  {}  {}", r.line, r.given, parts.join("; "))
}

pub fn text(out: &mut dyn Write, a: &Audit) -> io::Result<()> {
    writeln!(out, "{}", title(a))?;
    writeln!(out, "{}", summary_line(a))?;
    let codes = by_urgency(a);
    let (attention, fine): (Vec<&CodeAudit>, Vec<&CodeAudit>) =
        codes.into_iter().partition(|c| c.status.needs_attention());
    for (heading, group) in [("NEEDS ATTENTION", attention), ("ACTIVE", fine)] {
        if group.is_empty() {
            continue;
        }
        writeln!(out, "\n{heading} ({})", group.len())?;
        for c in group {
            let what = c.description.as_deref().unwrap_or("");
            writeln!(out, "  {}  {}  {what}", c.code, status_words(c))?;
            for d in details(c, &|code| code.to_string()) {
                writeln!(out, "      {d}")?;
            }
        }
    }
    let rows: Vec<&Row> = rows_not_valid(a).collect();
    if !rows.is_empty() {
        writeln!(out, "\nROWS NOT VALID ({})", rows.len())?;
        for r in rows {
            writeln!(out, "  {}", row_words(r))?;
        }
    }
    Ok(())
}

pub fn markdown(out: &mut dyn Write, a: &Audit) -> io::Result<()> {
    writeln!(out, "# {}\n", md(&title(a)))?;
    writeln!(out, "{}\n", summary_line(a))?;
    writeln!(out, "| Code | Status | Description |")?;
    writeln!(out, "|---|---|---|")?;
    for c in by_urgency(a) {
        writeln!(
            out,
            "| **{}** | {} | {} |",
            c.code,
            md(&status_words(c)),
            md(c.description.as_deref().unwrap_or(""))
        )?;
    }
    for c in by_urgency(a) {
        let lines = details(c, &|code| format!("**{code}**"));
        if lines.is_empty() {
            continue;
        }
        writeln!(out, "\n## {}\n", c.code)?;
        for d in lines {
            writeln!(out, "- {d}")?;
        }
    }
    let rows: Vec<&Row> = rows_not_valid(a).collect();
    if !rows.is_empty() {
        writeln!(out, "\n## Rows not valid ({})\n", rows.len())?;
        for r in rows {
            writeln!(out, "- {}", md(&row_words(r)))?;
        }
    }
    Ok(())
}

pub fn html(out: &mut dyn Write, a: &Audit) -> io::Result<()> {
    let title = esc(&title(a));
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>"
    )?;
    writeln!(
        out,
        "<style>body{{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.2em .6em;text-align:left;vertical-align:top}}.attention{{background:#fff3f0}}</style></head><body>"
    )?;
    writeln!(out, "<h1>{title}</h1>\n<p>{}</p>", esc(&summary_line(a)))?;
    writeln!(
        out,
        "<table><tr><th>Code</th><th>Status</th><th>Description</th><th>Details</th></tr>"
    )?;
    for c in by_urgency(a) {
        let class = if c.status.needs_attention() {
            " class=\"attention\""
        } else {
            ""
        };
        let lines: Vec<String> = details(c, &|code| format!("<code>{}</code>", esc(code)))
            .iter()
            .map(|d| {
                if d.contains("<code>") {
                    d.clone()
                } else {
                    esc(d)
                }
            })
            .collect();
        writeln!(
            out,
            "<tr{class}><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.code),
            esc(&status_words(c)),
            esc(c.description.as_deref().unwrap_or("")),
            lines.join("<br>")
        )?;
    }
    writeln!(out, "</table>")?;
    let rows: Vec<&Row> = rows_not_valid(a).collect();
    if !rows.is_empty() {
        writeln!(out, "<h2>Rows not valid ({})</h2>\n<ul>", rows.len())?;
        for r in rows {
            writeln!(out, "<li>{}</li>", esc(&row_words(r)))?;
        }
        writeln!(out, "</ul>")?;
    }
    writeln!(out, "</body></html>")
}

pub fn json(out: &mut dyn Write, a: &Audit) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, a)?;
    writeln!(out)
}

/// One row per line of the user's file: its own columns first, then the audit's.
pub fn csv(out: &mut dyn Write, a: &Audit) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    // Every row holds the same columns, in the file's order.
    let extra: Vec<&str> = a
        .rows
        .first()
        .map(|r| r.columns.iter().map(|(k, _)| k.as_ref()).collect())
        .unwrap_or_default();
    let header = [
        "line",
        "given",
        "code",
        "modifier",
        "status",
        "description",
        "pricing",
        "coverage",
        "termination_date",
        "use_instead",
        "date_of_service",
        "valid_on_date",
        "reason",
        "release_in_effect",
    ];
    w.write_record(extra.iter().copied().chain(header))?;
    for r in &a.rows {
        let Some(c) = a.code(&r.code) else { continue };
        let check = r.date_check.as_ref();
        let mut reason: Vec<String> = check.map(|d| d.reason.clone()).into_iter().collect();
        reason.extend(r.modifier_problem.clone());
        if c.status == Status::Unknown {
            reason.push(status_words(c));
        }
        let fields = [
            r.line.to_string(),
            r.given.clone(),
            r.code.clone(),
            r.modifier.clone().unwrap_or_default(),
            c.status.as_str().to_string(),
            c.description.clone().unwrap_or_default(),
            c.pricing.join("; "),
            c.coverage.clone().unwrap_or_default(),
            c.termination_date
                .map(|d| d.to_string())
                .unwrap_or_default(),
            c.replacements
                .iter()
                .map(|r| chain(r, &|code| code.to_string()))
                .collect::<Vec<_>>()
                .join("; "),
            r.date.clone().unwrap_or_default(),
            check.map(|d| d.valid.to_string()).unwrap_or_default(),
            reason.join("; "),
            check
                .and_then(|d| d.release)
                .map(|r| r.to_string())
                .unwrap_or_default(),
        ];
        let own = r.columns.iter().map(|(_, v)| v.clone());
        w.write_record(own.chain(fields))?;
    }
    w.flush()
}
