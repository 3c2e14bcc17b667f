//! One row per field change, for spreadsheets; every row names its code's description and
//! dates, so that a row read alone (sorted, filtered) still says what the code is. A code
//! added, dropped, retired or reinstated without field changes still gets one row, with the
//! field columns empty. Columns are listed in README.

use std::io::{self, Write};

use chrono::NaiveDate;

use super::chain;
use crate::diff::{Changeset, CodeChange, Cosmetic, FieldChange};

pub const HEADER: [&str; 22] = [
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
/// field columns empty; each ends with the code's section of HCPCS Level II.
pub fn rows(set: &Changeset, c: &CodeChange) -> Vec<Vec<String>> {
    let section = c.section.map_or(crate::diff::NO_SECTION, |s| s.name);
    let mut rows = field_rows(set, c);
    for row in &mut rows {
        row.push(section.to_string());
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
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    for c in &set.changes {
        for row in rows(set, c) {
            w.write_record(&row)?;
        }
    }
    w.flush()
}
