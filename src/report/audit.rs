//! `audit` in every format: codes needing attention first (terminated, not in the release,
//! unknown, changed), then the active ones, then the dated rows that were not valid on their
//! date of service. CSV gives one row per line of the user's file, with its own columns, so
//! it joins back to that file. Rows come one at a time from a later reading of the file
//! (`audit::Judge::rows`) and are written as they come, or for CSV and JSON are formatted a
//! block of the file at a time on every core (`CsvRows`, `json_row`) and written in order: a
//! report of a million rows is never held whole.

use std::cell::RefCell;
use std::io::{self, Write};

use rustc_hash::FxHashMap;
use serde::ser::{Error as _, SerializeSeq, SerializeStruct};

use crate::audit::{Audit, CodeAudit, DateCheck, InputError, Numbered, Row, RowView, Status};
use crate::model::sections::{self, CodeSection};

use super::csv::push_field;
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
    // Every row listed as not valid is counted: by its date above, by its modifier here.
    if s.modifier_not_valid > 0 {
        line.push_str(&format!(
            "; {} rows with a modifier not valid; {} rows not valid in all",
            s.modifier_not_valid, s.rows_not_valid
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

/// The lines under a code: pricing and coverage, changes, replacements; `code` marks up a
/// code, `text` escapes the rest for the format (values and descriptions are CMS's text).
fn details(
    c: &CodeAudit,
    code: &dyn Fn(&str) -> String,
    text: &dyn Fn(&str) -> String,
) -> Vec<String> {
    let mut out = Vec::new();
    if !c.pricing.is_empty() || c.coverage.is_some() {
        out.push(text(&format!(
            "pricing: {}; coverage: {}",
            if c.pricing.is_empty() {
                "(blank)".to_string()
            } else {
                c.pricing.join("; ")
            },
            c.coverage.as_deref().unwrap_or("(blank)")
        )));
    }
    for f in &c.changes {
        out.push(text(&format!(
            "{}: {} -> {}",
            f.label,
            describe(f, &f.old),
            describe(f, &f.new)
        )));
    }
    for r in &c.replacements {
        out.push(format!("use instead: {}", chain(r, code)));
    }
    out
}

/// How many rows not valid text, markdown and HTML list unless told (`audit --max-rows`); they
/// count them all by code, reason and month. CSV and JSON give every row.
pub const MAX_ROWS: usize = 1000;

/// How many entries each count of the rows not valid names.
const TOP: usize = 20;

/// The rows not valid counted three ways, each as (what, counts in words): codes with the
/// most rows first, reasons, months of service newest first (undated rows last).
fn breakdown(a: &Audit) -> [(&'static str, String); 3] {
    let b = &a.not_valid_rows;
    let top = |items: Vec<String>| {
        let total = items.len();
        let mut shown: Vec<String> = items.into_iter().take(TOP).collect();
        if total > TOP {
            shown.push(format!("and {} more", total - TOP));
        }
        shown.join(", ")
    };
    let mut codes: Vec<(&String, &usize)> = b.by_code.iter().collect();
    codes.sort_by(|x, y| y.1.cmp(x.1).then(x.0.cmp(y.0)));
    [
        (
            "code",
            top(codes.iter().map(|(c, n)| format!("{c} {n}")).collect()),
        ),
        (
            "reason",
            top(b
                .by_reason
                .iter()
                .map(|(r, n)| format!("{r} {n}"))
                .collect()),
        ),
        (
            "month of service (newest first)",
            top(b
                .by_month
                .iter()
                .rev()
                .map(|(m, n)| match m {
                    Some((y, m)) => format!("{y:04}-{m:02} {n}"),
                    None => format!("undated {n}"),
                })
                .collect()),
        ),
    ]
}

/// Said under the rows listed when there are more than `limit`.
fn more_rows(a: &Audit, limit: usize) -> Option<String> {
    let total = a.summary.rows_not_valid;
    (total > limit).then(|| {
        format!(
            "{} more rows not valid are not listed here (the first {limit} are; --max-rows changes how many): \
             --format csv or --format json lists every row",
            total - limit
        )
    })
}

/// The judged rows of the user's file, in file order.
pub type Rows<'r> = dyn Iterator<Item = Result<Row, InputError>> + 'r;

/// The rows that are not valid, as they come.
fn rows_not_valid<'r>(rows: &'r mut Rows<'_>) -> impl Iterator<Item = io::Result<Row>> + 'r {
    rows.map(|r| r.map_err(io::Error::other))
        .filter(|r| r.as_ref().map_or(true, Row::not_valid))
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
            check.reason()
        ));
    }
    if let Some(p) = &r.modifier_problem {
        parts.push(p.clone());
    }
    format!("line {}  {}  {}", r.line, r.given, parts.join("; "))
}

/// `limit`: how many rows not valid are listed (see [`MAX_ROWS`]).
pub fn text(out: &mut dyn Write, a: &Audit, rows: &mut Rows, limit: usize) -> io::Result<()> {
    writeln!(out, "{}", title(a))?;
    writeln!(out, "{}", summary_line(a))?;
    sections_text(out, a)?;
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
            for d in details(c, &|code| code.to_string(), &|t| t.to_string()) {
                writeln!(out, "      {d}")?;
            }
        }
    }
    if a.summary.rows_not_valid > 0 {
        writeln!(out, "\nROWS NOT VALID ({})", a.summary.rows_not_valid)?;
        for (by, counts) in breakdown(a) {
            writeln!(out, "  by {by}: {counts}")?;
        }
        writeln!(out)?;
        for r in rows_not_valid(rows).take(limit) {
            writeln!(out, "  {}", row_words(&r?))?;
        }
        if let Some(more) = more_rows(a, limit) {
            writeln!(out, "  ... {more}")?;
        }
    }
    Ok(())
}

pub fn markdown(out: &mut dyn Write, a: &Audit, rows: &mut Rows, limit: usize) -> io::Result<()> {
    writeln!(out, "# {}\n", md(&title(a)))?;
    writeln!(out, "{}\n", summary_line(a))?;
    sections_markdown(out, a)?;
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
        let lines = details(c, &|code| format!("**{code}**"), &|t| md(t));
        if lines.is_empty() {
            continue;
        }
        writeln!(out, "\n## {}\n", c.code)?;
        for d in lines {
            writeln!(out, "- {d}")?;
        }
    }
    if a.summary.rows_not_valid > 0 {
        writeln!(out, "\n## Rows not valid ({})\n", a.summary.rows_not_valid)?;
        writeln!(out, "| Counted by | Rows not valid |\n|---|---|")?;
        for (by, counts) in breakdown(a) {
            writeln!(out, "| {by} | {} |", md(&counts))?;
        }
        writeln!(out)?;
        for r in rows_not_valid(rows).take(limit) {
            writeln!(out, "- {}", md(&row_words(&r?)))?;
        }
        if let Some(more) = more_rows(a, limit) {
            writeln!(out, "\n{}", md(&more))?;
        }
    }
    Ok(())
}

pub fn html(out: &mut dyn Write, a: &Audit, rows: &mut Rows, limit: usize) -> io::Result<()> {
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
    sections_html(out, a)?;
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
        let lines = details(c, &|code| format!("<code>{}</code>", esc(code)), &|t| {
            esc(t)
        });
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
    if a.summary.rows_not_valid > 0 {
        writeln!(
            out,
            "<h2>Rows not valid ({})</h2>\n<table><tr><th>Counted by</th><th>Rows not valid</th></tr>",
            a.summary.rows_not_valid
        )?;
        for (by, counts) in breakdown(a) {
            writeln!(out, "<tr><td>{by}</td><td>{}</td></tr>", esc(&counts))?;
        }
        writeln!(out, "</table>\n<ul>")?;
        for r in rows_not_valid(rows).take(limit) {
            writeln!(out, "<li>{}</li>", esc(&row_words(&r?)))?;
        }
        writeln!(out, "</ul>")?;
        if let Some(more) = more_rows(a, limit) {
            writeln!(out, "<p>{}</p>", esc(&more))?;
        }
    }
    writeln!(out, "</body></html>")
}

/// The audit and its rows as one JSON document, the rows serialized as they are judged.
struct Streamed<'a, 'r> {
    audit: &'a Audit,
    rows: RefCell<&'a mut Rows<'r>>,
}

impl serde::Serialize for Streamed<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = self.audit;
        let mut fields = s.serialize_struct("Audit", 8)?;
        fields.serialize_field("schema_version", &a.schema_version)?;
        fields.serialize_field("file", &a.file)?;
        fields.serialize_field("release", &a.release)?;
        fields.serialize_field("previous", &a.previous)?;
        fields.serialize_field("summary", &a.summary)?;
        fields.serialize_field("by_section", &by_section(a))?;
        fields.serialize_field("codes", &a.codes)?;
        fields.serialize_field("rows", &StreamedRows(&self.rows))?;
        fields.end()
    }
}

struct StreamedRows<'s, 'a, 'r>(&'s RefCell<&'a mut Rows<'r>>);

impl serde::Serialize for StreamedRows<'_, '_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut rows = self.0.borrow_mut();
        let mut seq = s.serialize_seq(None)?;
        for row in &mut **rows {
            seq.serialize_element(&row.map_err(S::Error::custom)?)?;
        }
        seq.end()
    }
}

pub fn json(out: &mut dyn Write, a: &Audit, rows: &mut Rows) -> io::Result<()> {
    let streamed = Streamed {
        audit: a,
        rows: RefCell::new(rows),
    };
    serde_json::to_writer_pretty(&mut *out, &streamed)?;
    writeln!(out)
}

/// The JSON report in parts, for rows written in blocks on every core (see `cmd::audit`):
/// what comes before the rows ([`json_head`]), each row as the array holds it
/// ([`json_row`]), and the end ([`json_tail`]), byte for byte what [`json`] writes.
pub fn json_head(a: &Audit) -> io::Result<Vec<u8>> {
    let mut none = std::iter::empty();
    let streamed = Streamed {
        audit: a,
        rows: RefCell::new(&mut none),
    };
    let mut head = serde_json::to_vec_pretty(&streamed)?;
    // It ends in the empty array of rows and the document's end: opened here, closed by the tail.
    let end = b"[]\n}";
    if !head.ends_with(end) {
        return Err(io::Error::other("the JSON report does not end in its rows"));
    }
    head.truncate(head.len() - end.len());
    head.push(b'[');
    Ok(head)
}

/// A row as the rows' array holds it, after a comma (drop the comma before the first row):
/// byte for byte what serde_json's pretty printer writes of a [`Row`] at that depth, written by
/// hand, a verdict's `date_check` once per verdict (kept in `written`).
pub fn json_row(buf: &mut Vec<u8>, r: &RowView, written: &mut Written<'_>) {
    let mut line = itoa::Buffer::new();
    buf.extend_from_slice(b",\n    {\n      \"line\": ");
    buf.extend_from_slice(line.format(r.line).as_bytes());
    json_field(buf, b",\n      \"given\": ", r.given);
    json_field(buf, b",\n      \"code\": ", r.code);
    if let Some(m) = r.modifier {
        json_field(buf, b",\n      \"modifier\": ", m);
    }
    if let Some(p) = r.modifier_problem {
        json_field(buf, b",\n      \"modifier_problem\": ", p);
    }
    if let Some(d) = r.date {
        json_field(buf, b",\n      \"date\": ", d);
    }
    if let Some(check) = r.date_check {
        buf.extend_from_slice(b",\n      \"date_check\": ");
        written.verdict(buf, check, |buf| {
            buf.extend_from_slice(b"{\n        \"valid\": ");
            buf.extend_from_slice(if check.valid { b"true" } else { b"false" });
            buf.extend_from_slice(b",\n        \"reason\": ");
            json_str(buf, &check.reason());
            buf.extend_from_slice(b",\n        \"release\": ");
            match check.release {
                Some(release) => json_str(buf, &release.to_string()),
                None => buf.extend_from_slice(b"null"),
            }
            buf.extend_from_slice(b"\n      }");
        });
    }
    if !r.columns.is_empty() {
        buf.extend_from_slice(b",\n      \"columns\": {");
        let mut i = 0;
        r.columns.each(|name, value| {
            json_field(buf, written.column_key(i, name), value);
            i += 1;
        });
        buf.extend_from_slice(b"\n      }");
    }
    buf.extend_from_slice(b"\n    }");
}

/// `key` (written as is), then `value` as a JSON string.
fn json_field(buf: &mut Vec<u8>, key: &[u8], value: &str) {
    buf.extend_from_slice(key);
    json_str(buf, value);
}

/// The bytes serde_json escapes in a string: controls, the quote and the backslash.
const JSON_ESCAPED: [bool; 256] = {
    let mut escaped = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        escaped[b] = true;
        b += 1;
    }
    escaped[b'"' as usize] = true;
    escaped[b'\\' as usize] = true;
    escaped
};

/// `value` as a JSON string, escaped as serde_json escapes it.
fn json_str(buf: &mut Vec<u8>, value: &str) {
    if !value.bytes().any(|b| JSON_ESCAPED[usize::from(b)]) {
        buf.reserve(value.len() + 2);
        buf.push(b'"');
        buf.extend_from_slice(value.as_bytes());
        buf.push(b'"');
        return;
    }
    // Writing a string to a vector does not fail.
    let _ = serde_json::to_writer(buf, value);
}

/// What the CSV or JSON lines of one judge's rows write once for many rows: each verdict's
/// cells (the CSV's valid_on_date, reason and release_in_effect, JSON's `date_check`), and for
/// CSV each code's, by the judge's numbers (a claims extract repeats a few hundred codes and
/// verdicts over millions of rows).
#[derive(Default)]
pub struct Written<'a> {
    /// The judge whose numbers these are; another judge's numbers mean other things.
    judge: Option<u32>,
    verdicts: Vec<Option<Box<[u8]>>>,
    codes: Vec<Option<&'a CodeCells>>,
    /// JSON's key of each of the file's other columns, with what opens it, by the column's
    /// place (the names are the file's header, the same on every row).
    column_keys: Vec<(Box<str>, Vec<u8>)>,
}

impl<'a> Written<'a> {
    /// Forgets what it holds if `n` is another judge's than the numbers it holds.
    fn same_judge(&mut self, n: Numbered) {
        if self.judge != Some(n.judge()) {
            self.judge = Some(n.judge());
            self.verdicts.clear();
            self.codes.clear();
        }
    }

    /// Writes what `write` writes of `check`, from what it wrote of the same verdict before.
    fn verdict(&mut self, buf: &mut Vec<u8>, check: &DateCheck, write: impl FnOnce(&mut Vec<u8>)) {
        let Some(verdict) = check.verdict() else {
            return write(buf);
        };
        self.same_judge(verdict);
        let n = verdict.number() as usize;
        if self.verdicts.len() <= n {
            self.verdicts.resize(n + 1, None);
        }
        let written = self.verdicts[n].get_or_insert_with(|| {
            let mut bytes = Vec::new();
            write(&mut bytes);
            bytes.into_boxed_slice()
        });
        buf.extend_from_slice(written);
    }

    /// JSON's key of the `i`th of the row's other columns, named `name`.
    fn column_key(&mut self, i: usize, name: &str) -> &[u8] {
        if self.column_keys.len() <= i {
            self.column_keys.resize_with(i + 1, Default::default);
        }
        let (named, key) = &mut self.column_keys[i];
        if key.is_empty() || **named != *name {
            *named = Box::from(name);
            key.clear();
            key.extend_from_slice(if i == 0 {
                b"\n        "
            } else {
                b",\n        "
            });
            json_str(key, name);
            key.extend_from_slice(b": ");
        }
        key
    }

    /// The cells of the row's code, found in `find` once per code number.
    fn code(
        &mut self,
        r: &RowView,
        find: impl FnOnce(&str) -> Option<&'a CodeCells>,
    ) -> Option<&'a CodeCells> {
        let Some(number) = r.code_number else {
            return find(r.code);
        };
        self.same_judge(number);
        let n = number.number() as usize;
        if self.codes.len() <= n {
            self.codes.resize(n + 1, None);
        }
        if self.codes[n].is_none() {
            self.codes[n] = find(r.code);
        }
        self.codes[n]
    }
}

/// The end of the document, after `any_rows` rows.
pub fn json_tail(any_rows: bool) -> &'static [u8] {
    if any_rows { b"\n  ]\n}\n" } else { b"]\n}\n" }
}

/// One row per line of the user's file: its own columns first, then the audit's.
pub fn csv(out: &mut dyn Write, a: &Audit, rows: &mut Rows) -> io::Result<()> {
    let writer = CsvRows::new(&a.codes);
    let mut written = Written::default();
    let mut buf = Vec::with_capacity(1 << 17);
    let mut header = true;
    for r in rows {
        let r = r.map_err(io::Error::other)?;
        if header {
            // Every row holds the same columns, in the file's order.
            writer.header(&mut buf, r.columns.iter().map(|(k, _)| k.as_ref()));
            header = false;
        }
        writer.row(&mut buf, &r.view(), &mut written)?;
        if buf.len() >= 1 << 16 {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    if header {
        writer.header(&mut buf, std::iter::empty());
    }
    out.write_all(&buf)?;
    out.flush()
}

/// The lines of the CSV report, built by hand (as `SafeWriter` would write them, see
/// `csv::push_field`) into buffers the caller writes out in large pieces: a claims extract
/// makes millions of them, on every core at once (see `cmd::audit`).
pub struct CsvRows<'a> {
    /// What a row says of its code, written once per code (claims repeat a few codes).
    per_code: FxHashMap<&'a str, CodeCells>,
}

/// A code's cells in the CSV report.
pub struct CodeCells {
    /// The code as a cell.
    code: Vec<u8>,
    /// Its columns from status to use_instead, each after a comma.
    fields: Vec<u8>,
    /// For an unknown code, what the reason column says of it.
    unknown: Option<String>,
}

impl<'a> CsvRows<'a> {
    /// The rows of an audit of `codes`.
    pub fn new(codes: &'a [CodeAudit]) -> Self {
        let per_code = codes
            .iter()
            .map(|c| {
                let mut code = Vec::new();
                push_field(&mut code, &c.code);
                let mut fields = Vec::new();
                for field in code_fields(c) {
                    fields.push(b',');
                    push_field(&mut fields, &field);
                }
                let unknown = (c.status == Status::Unknown).then(|| status_words(c));
                let cells = CodeCells {
                    code,
                    fields,
                    unknown,
                };
                (c.code.as_str(), cells)
            })
            .collect();
        CsvRows { per_code }
    }

    /// The header line: the file's own column names, then the audit's.
    pub fn header<'n>(&self, buf: &mut Vec<u8>, names: impl Iterator<Item = &'n str>) {
        record(buf, names.chain(CSV_COLUMNS));
    }

    /// One line of the user's file: its own columns, then the audit's; what the line says of
    /// its verdict written once per verdict (kept in `written`). A code the audit did not judge
    /// is an error, not a line left out.
    pub fn row<'w>(
        &'w self,
        buf: &mut Vec<u8>,
        r: &RowView,
        written: &mut Written<'w>,
    ) -> io::Result<()> {
        let Some(cells) = written.code(r, |code| self.per_code.get(code)) else {
            return Err(io::Error::other(format!(
                "line {}: code {} is not among the codes audited",
                r.line, r.code
            )));
        };
        let unknown = &cells.unknown;
        r.columns.each(|_, value| {
            push_field(buf, value);
            buf.push(b',');
        });
        // A line number is digits, a cell as it stands.
        buf.extend_from_slice(itoa::Buffer::new().format(r.line).as_bytes());
        buf.push(b',');
        if r.given == r.code {
            buf.extend_from_slice(&cells.code);
        } else {
            push_field(buf, r.given);
        }
        buf.push(b',');
        buf.extend_from_slice(&cells.code);
        buf.push(b',');
        push_field(buf, r.modifier.unwrap_or_default());
        buf.extend_from_slice(&cells.fields);
        buf.push(b',');
        push_field(buf, r.date.unwrap_or_default());
        buf.push(b',');
        let check = r.date_check;
        let tail = |buf: &mut Vec<u8>, more: [Option<&str>; 2]| {
            let because = check.map(DateCheck::reason);
            let mut parts = because
                .as_deref()
                .into_iter()
                .chain(more.into_iter().flatten());
            // Most rows give one reason or none: joined only when there are more.
            let reason: std::borrow::Cow<str> = match (parts.next(), parts.next()) {
                (None, _) => "".into(),
                (Some(one), None) => one.into(),
                (Some(one), Some(two)) => {
                    let mut joined = format!("{one}; {two}");
                    for part in parts {
                        joined.push_str("; ");
                        joined.push_str(part);
                    }
                    joined.into()
                }
            };
            let release = check.and_then(|d| d.release).map(|r| r.to_string());
            let valid = match check {
                Some(d) if d.valid => "true",
                Some(_) => "false",
                None => "",
            };
            record(
                buf,
                [valid, &reason, release.as_deref().unwrap_or_default()].into_iter(),
            );
        };
        match check {
            // The verdict's columns are the verdict's alone on a known code's row without a
            // modifier problem: the same on every such row.
            Some(check) if r.modifier_problem.is_none() && unknown.is_none() => {
                written.verdict(buf, check, |buf| tail(buf, [None, None]));
            }
            _ => tail(buf, [r.modifier_problem, unknown.as_deref()]),
        }
        Ok(())
    }
}

/// `fields` as one CSV line, as `SafeWriter` writes a record of several fields.
fn record<'f>(buf: &mut Vec<u8>, fields: impl Iterator<Item = &'f str>) {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        push_field(buf, field);
    }
    buf.push(b'\n');
}

const CSV_COLUMNS: [&str; 14] = [
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

/// A code's columns: status, description, pricing, coverage, termination date, use instead.
fn code_fields(c: &CodeAudit) -> [String; 6] {
    let instead: Vec<String> = c
        .replacements
        .iter()
        .map(|r| chain(r, &|code| code.to_string()))
        .collect();
    [
        c.status.as_str().to_string(),
        c.description.clone().unwrap_or_default(),
        c.pricing.join("; "),
        c.coverage.clone().unwrap_or_default(),
        c.termination_date
            .map(|d| d.to_string())
            .unwrap_or_default(),
        instead.join("; "),
    ]
}

/// The statuses a by-section count has a column for, in the order of the summary line.
const STATUSES: [Status; 5] = [
    Status::Active,
    Status::Changed,
    Status::Terminated,
    Status::NotInRelease,
    Status::Unknown,
];

/// The audited codes counted by section of HCPCS Level II and status.
#[derive(serde::Serialize)]
struct SectionCount {
    /// The section's name; for codes in none (not a code at all, most of the time), the words
    /// that say so.
    section: &'static str,
    /// Its range or `modifiers`; null for codes in no section.
    id: Option<&'static str>,
    codes: usize,
    active: usize,
    changed: usize,
    terminated: usize,
    not_in_release: usize,
    unknown: usize,
}

impl SectionCount {
    fn counts(&self) -> [usize; 5] {
        [
            self.active,
            self.changed,
            self.terminated,
            self.not_in_release,
            self.unknown,
        ]
    }
}

/// A row per section with audited codes, in the sections' order; codes in no section last.
fn by_section(a: &Audit) -> Vec<SectionCount> {
    let mut rows: Vec<(Option<&'static CodeSection>, SectionCount)> = Vec::new();
    for c in &a.codes {
        let section = match c.kind {
            Some(kind) => sections::of(&c.code, kind),
            None => sections::of_code(&c.code),
        };
        let at = match rows.iter().position(|(s, _)| *s == section) {
            Some(i) => i,
            None => {
                rows.push((
                    section,
                    SectionCount {
                        section: section.map_or(crate::diff::NO_SECTION, |s| s.name),
                        id: section.map(|s| s.id),
                        codes: 0,
                        active: 0,
                        changed: 0,
                        terminated: 0,
                        not_in_release: 0,
                        unknown: 0,
                    },
                ));
                rows.len() - 1
            }
        };
        let row = &mut rows[at].1;
        row.codes += 1;
        *match c.status {
            Status::Active => &mut row.active,
            Status::Changed => &mut row.changed,
            Status::Terminated => &mut row.terminated,
            Status::NotInRelease => &mut row.not_in_release,
            Status::Unknown => &mut row.unknown,
        } += 1;
    }
    rows.sort_by_key(|(s, _)| s.map_or(usize::MAX, |s| s.index()));
    rows.into_iter().map(|(_, r)| r).collect()
}

fn status_heads() -> Vec<String> {
    STATUSES
        .iter()
        .map(|s| {
            let w = s.as_str();
            w[..1].to_uppercase() + &w[1..]
        })
        .collect()
}

fn sections_text(out: &mut dyn Write, a: &Audit) -> io::Result<()> {
    let rows = by_section(a);
    if rows.is_empty() {
        return Ok(());
    }
    let heads = status_heads();
    let width = rows.iter().map(|r| r.section.len()).max().unwrap_or(0);
    writeln!(out, "\nBY SECTION OF HCPCS LEVEL II")?;
    writeln!(out, "  {:<width$}  Codes  {}", "Section", heads.join("  "))?;
    for r in &rows {
        let counts: Vec<String> = (heads.iter().zip(r.counts()))
            .map(|(h, n)| format!("{n:>w$}", w = h.len()))
            .collect();
        writeln!(
            out,
            "  {:<width$}  {:>5}  {}",
            r.section,
            r.codes,
            counts.join("  ")
        )?;
    }
    Ok(())
}

fn sections_markdown(out: &mut dyn Write, a: &Audit) -> io::Result<()> {
    let rows = by_section(a);
    if rows.is_empty() {
        return Ok(());
    }
    let heads = status_heads();
    writeln!(
        out,
        "| Section of HCPCS Level II | Codes | {} |",
        heads.join(" | ")
    )?;
    writeln!(out, "|---|---:|{}", "---:|".repeat(heads.len()))?;
    for r in &rows {
        let counts: Vec<String> = r.counts().iter().map(usize::to_string).collect();
        writeln!(
            out,
            "| {} | {} | {} |",
            md(r.section),
            r.codes,
            counts.join(" | ")
        )?;
    }
    writeln!(out)
}

fn sections_html(out: &mut dyn Write, a: &Audit) -> io::Result<()> {
    let rows = by_section(a);
    if rows.is_empty() {
        return Ok(());
    }
    let heads: String = status_heads()
        .iter()
        .map(|h| format!("<th scope=\"col\">{h}</th>"))
        .collect();
    writeln!(
        out,
        "<table class=\"sections\"><caption>Codes by section of HCPCS Level II</caption>\
         <tr><th scope=\"col\">Section</th><th scope=\"col\">Codes</th>{heads}</tr>"
    )?;
    for r in &rows {
        let counts: String = r.counts().iter().map(|n| format!("<td>{n}</td>")).collect();
        writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td>{counts}</tr>",
            esc(r.section),
            r.codes
        )?;
    }
    writeln!(out, "</table>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, Record, Snapshot, SourceInfo};
    use std::sync::Arc;

    /// The JSON report put together from its parts, as rows written in blocks are, is the
    /// report `json` writes in one piece, byte for byte: no rows, one, several, with columns,
    /// dates, modifiers and text that JSON escapes.
    #[test]
    fn the_json_report_in_parts_is_the_json_report() {
        let source = SourceInfo {
            file: "r.txt".into(),
            member: None,
            sha256: String::new(),
        };
        let mut e1392 = Record::new("E1392", Kind::Procedure);
        e1392.added_date = "2006-01-01".parse().ok();
        let all = [Snapshot::new(
            "2006-01".parse().unwrap(),
            source,
            vec![e1392],
        )];
        let audit = Audit {
            schema_version: 1,
            file: "claims \"2006\".csv".into(),
            release: "2006-01".parse().unwrap(),
            previous: None,
            summary: crate::audit::Summary::default(),
            codes: Vec::new(),
            not_valid_rows: Default::default(),
        };
        let names: [Arc<str>; 2] = [Arc::from("claim"), Arc::from("note \"n\"")];
        let row = |line: usize, date: Option<&str>, modifier: Option<&str>| Row {
            line,
            given: format!("E1392{}", modifier.unwrap_or_default()),
            code: "E1392".into(),
            modifier: modifier.map(str::to_string),
            modifier_problem: modifier.map(|m| format!("modifier {m} is not in release 2006-01")),
            date: date.map(str::to_string),
            date_check: date.map(|d| crate::audit::on_date("E1392", d.parse().unwrap(), &all)),
            columns: vec![
                (Arc::clone(&names[0]), format!("c{line}")),
                (Arc::clone(&names[1]), "a \"quoted\"\nline\u{7}".into()),
            ],
        };
        for rows in [
            vec![],
            vec![row(2, None, None)],
            vec![
                row(2, Some("2005-06-01"), Some("RR")),
                row(3, Some("2006-02-01"), None),
                row(9, None, Some("XX")),
            ],
        ] {
            let mut whole = Vec::new();
            json(&mut whole, &audit, &mut rows.clone().into_iter().map(Ok)).unwrap();
            let mut parts = json_head(&audit).unwrap();
            let mut body = Vec::new();
            for r in &rows {
                json_row(&mut body, &r.view(), &mut Written::default());
            }
            parts.extend_from_slice(body.get(1..).unwrap_or_default());
            parts.extend_from_slice(json_tail(!rows.is_empty()));
            assert_eq!(
                String::from_utf8(parts).unwrap(),
                String::from_utf8(whole).unwrap()
            );
        }
    }

    /// A row whose code the audit did not judge is an error naming its line, not a line the
    /// CSV report leaves out.
    #[test]
    fn a_row_of_a_code_not_audited_is_an_error() {
        let audit = Audit {
            schema_version: 1,
            file: "c.csv".into(),
            release: "2006-01".parse().unwrap(),
            previous: None,
            summary: crate::audit::Summary::default(),
            codes: Vec::new(),
            not_valid_rows: Default::default(),
        };
        let row = Row {
            line: 7,
            given: "E1392".into(),
            code: "E1392".into(),
            modifier: None,
            modifier_problem: None,
            date: None,
            date_check: None,
            columns: Vec::new(),
        };
        let mut buf = Vec::new();
        let e = CsvRows::new(&audit.codes)
            .row(&mut buf, &row.view(), &mut Written::default())
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 7: code E1392 is not among the codes audited"
        );
        assert!(buf.is_empty());
    }

    proptest::proptest! {
        /// The CSV and JSON lines written from rows as they are read (`Judge::each_row`), each
        /// verdict's and code's cells written once and reused, are the lines written of the
        /// same rows judged one by one without any reuse: CSV byte for byte, JSON byte for
        /// byte as serde_json writes the report in one piece. Codes known, terminated, in one
        /// release, unknown; modifiers known or not; dates before, between and after the
        /// releases; free text that CSV quotes and JSON escapes.
        #[test]
        fn rows_written_as_read_are_the_rows_judged_one_by_one(
            rows in proptest::collection::vec(
                (0..6usize, 0..3usize, 0..9000u32, "[a-z ,\"=\\n\u{e9}\t]{0,6}"),
                1..80,
            ),
            dated in proptest::bool::ANY,
        ) {
            let all = [
                crate::audit::release_for_tests("2016-01", &[
                    ("E0424", Some("1990-01-01"), None),
                    ("E0431", Some("2016-01-01"), Some("2017-12-31")),
                    ("RR", Some("1990-01-01"), None),
                ]),
                crate::audit::release_for_tests("2020-01", &[
                    ("E0424", Some("1990-01-01"), None),
                    ("E1392", Some("2019-04-01"), None),
                    ("RR", Some("1990-01-01"), None),
                ]),
            ];
            let codes = ["E0424", "E0431", "E1392", "J9999", "e1392", "=E0424"];
            let modifiers = ["", "RR", "XX"];
            let mut text = String::from("claim,HCPCS,MOD,DOS,note\n");
            if !dated {
                text = text.replace(",DOS", "");
            }
            for (i, (code, modifier, day, note)) in rows.iter().enumerate() {
                let d = "2012-01-01".parse::<chrono::NaiveDate>().unwrap()
                    + chrono::Days::new(u64::from(*day));
                let note = format!("\"{}\"", note.replace('"', "\"\""));
                let date = if dated { format!(",{d}") } else { String::new() };
                text.push_str(&format!("c{i},{},{}{date},{note}\n", codes[*code], modifiers[*modifier]));
            }
            let list = crate::read::list::ListFile::from_bytes("claims.csv", text.as_bytes()).unwrap();
            let columns = crate::audit::Columns {
                code: None,
                date: dated.then(|| "DOS".to_string()),
            };
            let input = crate::audit::input::read(list, &columns).unwrap();
            let releases = crate::audit::Releases::new(&all, 1);
            let (audit, _) = crate::audit::audit("claims.csv", &input, &releases, 0).unwrap();
            let csv = CsvRows::new(&audit.codes);

            // As read, every reuse on (two writers, as the blocks' workers have).
            let mut judge = crate::audit::Judge::new(&releases, &input);
            let (mut csv_written, mut json_written) = (Written::default(), Written::default());
            let (mut csv_as_read, mut json_as_read) = (Vec::new(), Vec::new());
            let lines = input.lines(&all[1]).unwrap();
            judge.each_row(lines, None, |row| {
                csv.row(&mut csv_as_read, row, &mut csv_written).unwrap();
                json_row(&mut json_as_read, row, &mut json_written);
            }).unwrap();

            // One by one: owned rows whose checks carry no verdict, so nothing is reused.
            let mut judge = crate::audit::Judge::new(&releases, &input);
            let owned: Vec<Row> = judge
                .rows(&input, false)
                .map(|row| {
                    let mut row = row.unwrap();
                    row.date_check = row.date.as_ref().map(|_| {
                        let date = crate::audit::input::parse_date(row.date.as_deref().unwrap()).unwrap();
                        crate::audit::on_date(&row.code, date, &all)
                    });
                    row
                })
                .collect();
            proptest::prop_assert!(owned.iter().all(|r| r.date_check.as_ref().is_none_or(|c| c.verdict().is_none())));
            let mut csv_one_by_one = Vec::new();
            for row in &owned {
                csv.row(&mut csv_one_by_one, &row.view(), &mut Written::default()).unwrap();
            }
            proptest::prop_assert_eq!(
                String::from_utf8(csv_as_read).unwrap(),
                String::from_utf8(csv_one_by_one).unwrap()
            );
            let mut whole = Vec::new();
            json(&mut whole, &audit, &mut owned.into_iter().map(Ok)).unwrap();
            let mut parts = json_head(&audit).unwrap();
            parts.extend_from_slice(&json_as_read[1..]);
            parts.extend_from_slice(json_tail(true));
            proptest::prop_assert_eq!(String::from_utf8(parts).unwrap(), String::from_utf8(whole).unwrap());
        }
    }
}
