//! One row per field change, for spreadsheets; every row names its code's description and
//! dates, so that a row read alone (sorted, filtered) still says what the code is. A code
//! added, dropped, retired or reinstated without field changes still gets one row, with the
//! field columns empty. Columns are listed in README. A cell a spreadsheet would take for a
//! formula is written with a leading `'` (`SafeWriter`), as OWASP advises for CSV files.

use std::borrow::Cow;
use std::io::{self, Write};

use chrono::NaiveDate;

use super::chain;
use crate::diff::{Changeset, CodeChange, Cosmetic, FieldChange};

pub const HEADER: [&str; 23] = [
    "old_release",
    "new_release",
    "code",
    "description",
    "kind",
    "change",
    "group",
    "field",
    "old",
    "new",
    "cosmetic",
    "cms_action_code",
    "cms_agrees",
    "cosmetic_reason",
    "added_date",
    "termination_date",
    "replacements",
    "explained_by",
    "redefined",
    "old_meaning",
    "new_meaning",
    "section",
    "section_id",
];

/// What Excel needs at the start of a CSV file to read it as UTF-8 rather than the system's
/// code page.
const BOM: &[u8] = "\u{FEFF}".as_bytes();

/// The columns a code's rows share: (before the field columns, after them).
fn code_columns(set: &Changeset, c: &CodeChange) -> ([String; 6], [String; 3], [String; 5]) {
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let replacements: Vec<String> = c
        .replacements
        .iter()
        .map(|r| chain(r, &|code| code.to_string()))
        .collect();
    (
        [
            set.old.release.to_string(),
            set.new.release.to_string(),
            c.code.clone(),
            c.description.clone(),
            c.kind.as_str().to_string(),
            c.change.as_str().to_string(),
        ],
        [
            c.action_code.clone().unwrap_or_default(),
            super::agrees_cell(set, c.cms_agrees),
            String::new(),
        ],
        [
            date(c.standing.added_date),
            date(c.standing.termination_date),
            replacements.join("; "),
            c.explained_by
                .iter()
                .map(|e| e.words())
                .collect::<Vec<_>>()
                .join("; "),
            c.redefined.to_string(),
        ],
    )
}

/// A field change's own columns: group, field, old, new, cosmetic; then its cosmetic reason.
fn field_columns(f: &FieldChange) -> ([String; 5], &'static str) {
    let reason = f.cosmetic_reason.map_or("", |r| match r {
        Cosmetic::Punctuation => "punctuation",
        Cosmetic::Encoding => "encoding",
    });
    (
        [
            f.group.label().to_string(),
            f.field.to_string(),
            f.old.join("; "),
            f.new.join("; "),
            f.cosmetic.to_string(),
        ],
        reason,
    )
}

/// Values' meanings from the field's code table (`36 = Capped rental DME ...` gives
/// `Capped rental DME ...`), several joined with `; `; empty for a field without a table.
fn meanings(f: &FieldChange, values: &[String]) -> String {
    let Some(def) = crate::model::fields::field(f.field) else {
        return String::new();
    };
    let words: Vec<&str> = values.iter().filter_map(|v| def.meaning(v)).collect();
    words.join("; ")
}

/// A code's rows, as `HEADER` names their columns: one per field change, or one with the
/// field columns empty; each ends with the code's section of HCPCS Level II, by name and by
/// the id the SQLite and Parquet exports give it (its range or `modifiers`; empty for a code
/// outside every section, where they have NULL).
pub fn rows(set: &Changeset, c: &CodeChange) -> Vec<Vec<String>> {
    let section = c.section.map_or(crate::diff::NO_SECTION, |s| s.name);
    let id = c.section.map_or("", |s| s.id);
    let mut rows = field_rows(set, c);
    for row in &mut rows {
        row.push(section.to_string());
        row.push(id.to_string());
    }
    rows
}

fn field_rows(set: &Changeset, c: &CodeChange) -> Vec<Vec<String>> {
    let (head, mut cms, tail) = code_columns(set, c);
    if c.fields.is_empty() {
        let empty: [String; 7] = Default::default();
        let row = head.iter().chain(&empty[..5]).chain(&cms).chain(&tail);
        return vec![row.chain(&empty[5..]).cloned().collect()];
    }
    c.fields
        .iter()
        .map(|f| {
            let (fields, reason) = field_columns(f);
            cms[2] = reason.to_string();
            let meaning = [meanings(f, &f.old), meanings(f, &f.new)];
            let row = head.iter().chain(&fields).chain(&cms).chain(&tail);
            row.chain(&meaning).cloned().collect()
        })
        .collect()
}

pub fn render(out: &mut dyn Write, set: &Changeset, bom: bool) -> io::Result<()> {
    if bom {
        out.write_all(BOM)?;
    }
    let mut w = SafeWriter::from_writer(out);
    w.write_record(HEADER)?;
    for c in &set.changes {
        for row in rows(set, c) {
            w.write_record(&row)?;
        }
    }
    w.flush()
}

/// Whether a spreadsheet program opening a CSV file would take `value` for a formula (or the
/// start of one): it begins with `=`, `+`, `-` or `@`, or a tab or carriage return, the
/// characters OWASP lists for CSV injection, and it is not a plain number (`-5`, `+2.50`),
/// which a spreadsheet reads as the number it is. Dates as CMS and this tool write them
/// (`2019-12-31`, `20191231`) begin with a digit and are never formulas.
pub fn formula_like(value: &str) -> bool {
    let Some(first) = value.chars().next() else {
        return false;
    };
    FORMULA_STARTS.contains(&first) && !plain_number(value)
}

/// The characters a spreadsheet takes a cell beginning with for a formula (all ASCII).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `-5`, `+2.50`, `-.5`: a sign, digits, at most one decimal point, and nothing else.
fn plain_number(value: &str) -> bool {
    let digits = value.strip_prefix(['+', '-']).unwrap_or(value);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    !(whole.is_empty() && fraction.is_empty()) && all_digits(whole) && all_digits(fraction)
}

/// `value` as a CSV cell a spreadsheet will show and not run: a formula-like value (see
/// `formula_like`) gets a leading `'`, which spreadsheet programs read as "this is text".
pub fn spreadsheet_cell(value: &str) -> Cow<'_, str> {
    if formula_like(value) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// `value` appended to `out` as one field of a CSV record, byte for byte as
/// [`SafeWriter::write_field`] writes it in a record of several fields: through
/// [`spreadsheet_cell`], then in quotes (its quotes doubled) when it holds a comma, a quote or a
/// line end. For reports of millions of rows, which build their lines themselves.
pub fn push_field(out: &mut Vec<u8>, value: &str) {
    let bytes = value.as_bytes();
    // Most fields are short (a code, a date, a claim's number) and plain: looked at byte by
    // byte, no formula's first character (all ASCII) and nothing to quote.
    let plain = bytes.len() < 32
        && !bytes
            .first()
            .is_some_and(|&b| FORMULA_STARTS.contains(&char::from(b)))
        && !bytes
            .iter()
            .any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'));
    if plain {
        out.extend_from_slice(bytes);
        return;
    }
    let cell = spreadsheet_cell(value);
    let bytes = cell.as_bytes();
    let special = memchr::memchr3(b',', b'"', b'\n', bytes).is_some() || bytes.contains(&b'\r');
    if !special {
        out.extend_from_slice(bytes);
        return;
    }
    out.push(b'"');
    for part in bytes.split_inclusive(|&b| b == b'"') {
        out.extend_from_slice(part);
        if part.ends_with(b"\"") {
            out.push(b'"');
        }
    }
    out.push(b'"');
}

/// A CSV writer whose every field (header included: an audited file's own column names are
/// the user's input) goes through `spreadsheet_cell`.
pub struct SafeWriter<W: Write>(csv::Writer<W>);

impl<W: Write> SafeWriter<W> {
    pub fn from_writer(out: W) -> Self {
        SafeWriter(csv::Writer::from_writer(out))
    }

    pub fn write_record<I, T>(&mut self, record: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        for field in record {
            self.write_field(field)?;
        }
        self.end_record()
    }

    pub fn write_field(&mut self, field: impl AsRef<str>) -> csv::Result<()> {
        self.0
            .write_field(spreadsheet_cell(field.as_ref()).as_bytes())
    }

    pub fn end_record(&mut self) -> csv::Result<()> {
        self.0.write_record(None::<&[u8]>)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::{SafeWriter, push_field, spreadsheet_cell};

    proptest::proptest! {
        /// A record built with `push_field` is the record `SafeWriter` writes, whatever the
        /// fields hold (commas, quotes, line ends, formula-like starts, any character).
        #[test]
        fn push_field_writes_what_the_csv_writer_writes(
            fields in proptest::collection::vec("[a-z,\"\r\n=+@ -]{0,6}|\\PC{0,8}", 2..6)
        ) {
            let mut ours = Vec::new();
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    ours.push(b',');
                }
                push_field(&mut ours, f);
            }
            ours.push(b'\n');
            let mut theirs = SafeWriter::from_writer(Vec::new());
            theirs.write_record(&fields).unwrap();
            theirs.flush().unwrap();
            let theirs = theirs.0.into_inner().unwrap();
            proptest::prop_assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs));
        }
    }

    #[test]
    fn formulas_are_quoted_and_numbers_and_dates_are_not() {
        for formula in [
            "=1+1", "+A1", "-A1", "@SUM(A1)", "\t=1", "\r=1", "-", "+", "-1e5", "--1",
        ] {
            assert_eq!(spreadsheet_cell(formula), format!("'{formula}"));
        }
        for value in [
            "-5",
            "+2.50",
            "-.5",
            "0217",
            "60-9",
            "2019-12-31",
            "E1392",
            "",
            " =1",
        ] {
            assert_eq!(spreadsheet_cell(value), value);
        }
    }
}
