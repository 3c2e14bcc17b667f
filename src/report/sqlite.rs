//! `export --format sqlite`: the whole store as one SQLite database, for analysts who join codes
//! to claims in SQL. Tables: `releases` (one row per stored release), `codes` (one row per
//! release and code, every field of the record), `changes` (one row per code and field change
//! between each pair of consecutive stored releases, as `diff` computes them), `validity`
//! (one row per code: the first and last release that hold it and CMS's dates) and `sections`
//! (the sections of HCPCS Level II, which each row of `codes` names). The schema is
//! in README; `SCHEMA_VERSION` is the database's `user_version`.
//!
//! Values are kept as the snapshot keeps them: text, or NULL when blank; repeating fields as a
//! JSON array (`[]` when empty), which SQLite's `json_each` opens; dates as `YYYY-MM-DD`.

use std::path::Path;

use rusqlite::types::Value;
use rusqlite::{Connection, Transaction, params};

use crate::diff::{self, Changeset, Cosmetic};
use crate::model::fields::{FIELDS, FieldDef};
use crate::model::{Record, Snapshot, sections};

/// The database's `PRAGMA user_version`: bumped when a table or column changes incompatibly.
/// 2: the `sections` table and `codes.section`.
pub const SCHEMA_VERSION: i32 = 2;

#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// How a field of the record is kept in its column of `codes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// One value, or NULL when blank.
    Text,
    /// A repeating field: a JSON array of strings, `[]` when empty.
    List,
    /// A number, or NULL when blank.
    Integer,
}

/// The column kind of a field of `FIELDS`.
pub fn column(key: &str) -> Column {
    match key {
        "pricing_indicators"
        | "coverage_issues_manual"
        | "medicare_carriers_manual"
        | "lab_certifications"
        | "cross_references"
        | "types_of_service" => Column::List,
        "anesthesia_base_units" => Column::Integer,
        _ => Column::Text,
    }
}

/// What the database holds, for the command's message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    pub releases: usize,
    pub codes: usize,
    pub changes: usize,
}

const RELEASES: &str = "CREATE TABLE releases (
    id TEXT PRIMARY KEY,
    effective_date TEXT NOT NULL,
    source_file TEXT NOT NULL,
    source_member TEXT,
    source_sha256 TEXT NOT NULL,
    records INTEGER NOT NULL,
    procedure_codes INTEGER NOT NULL,
    modifiers INTEGER NOT NULL,
    records_sha256 TEXT NOT NULL
)";

/// The sections of HCPCS Level II (`model::sections`), in their order.
const SECTIONS: &str = "CREATE TABLE sections (
    id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    letter TEXT,
    first_code TEXT,
    last_code TEXT,
    name TEXT NOT NULL,
    short_name TEXT NOT NULL
)";

const CHANGES: &str = "CREATE TABLE changes (
    old_release TEXT NOT NULL REFERENCES releases(id),
    new_release TEXT NOT NULL REFERENCES releases(id),
    code TEXT NOT NULL,
    kind TEXT NOT NULL,
    change TEXT NOT NULL,
    field_group TEXT,
    field TEXT,
    old_value,
    new_value,
    cosmetic INTEGER NOT NULL,
    cosmetic_reason TEXT,
    action_code TEXT,
    cms_agrees INTEGER
)";

/// One row per code: the first and last stored release that hold it, and CMS's dates as the
/// last of them gives them (CMS sets a termination date after the fact).
const VALIDITY: &str = "CREATE TABLE validity (
    code TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    first_release TEXT NOT NULL REFERENCES releases(id),
    last_release TEXT NOT NULL REFERENCES releases(id),
    releases INTEGER NOT NULL,
    added_date TEXT,
    termination_date TEXT,
    long_description TEXT NOT NULL
);
INSERT INTO validity
SELECT c.code, c.kind, s.first_release, s.last_release, s.releases,
       c.added_date, c.termination_date, c.long_description
FROM (SELECT code, min(release) AS first_release, max(release) AS last_release,
             count(*) AS releases
      FROM codes GROUP BY code) AS s
JOIN codes AS c ON c.release = s.last_release AND c.code = s.code";

/// Made after the rows are in: one sort per index instead of an update per row.
const INDEXES: &str = "
CREATE INDEX codes_by_code ON codes (code, release);
CREATE INDEX changes_by_code ON changes (code, new_release);
CREATE INDEX changes_by_release ON changes (new_release, change);
CREATE INDEX validity_by_termination ON validity (termination_date);
CREATE INDEX validity_by_added ON validity (added_date)";

/// `CREATE TABLE codes`: the release and code, then a column per field of `FIELDS`.
fn codes_table() -> String {
    let columns: Vec<String> = FIELDS
        .iter()
        .map(|f| {
            let ty = match column(f.key) {
                Column::Integer => "INTEGER",
                Column::Text | Column::List => "TEXT",
            };
            let not_null = match (f.key, column(f.key)) {
                ("long_description", _) | (_, Column::List) => " NOT NULL",
                _ => "",
            };
            format!("    {} {ty}{not_null}", f.key)
        })
        .collect();
    format!(
        "CREATE TABLE codes (\n    release TEXT NOT NULL REFERENCES releases(id),\n    \
         code TEXT NOT NULL,\n    kind TEXT NOT NULL,\n    section TEXT REFERENCES sections(id),\n{},\n    \
         PRIMARY KEY (release, code)\n)",
        columns.join(",\n")
    )
}

/// The column value of `values` (a field's values as `FieldDef::values` gives them).
fn value(column: Column, values: Vec<String>) -> Value {
    match column {
        Column::List => Value::Text(serde_json::to_string(&values).unwrap_or_default()),
        Column::Integer => match values.first().map(|v| v.parse::<i64>()) {
            Some(Ok(n)) => Value::Integer(n),
            Some(Err(_)) => Value::Text(values.concat()),
            None => Value::Null,
        },
        Column::Text => values.into_iter().next().map_or(Value::Null, Value::Text),
    }
}

fn field_value(f: &FieldDef, record: &Record) -> Value {
    value(column(f.key), (f.values)(record))
}

/// Writes every snapshot (oldest first) and the changes between each consecutive pair to a new
/// database at `path`, atomically: a temporary file in the same folder, renamed into place.
pub fn write(path: &Path, snapshots: &[Snapshot]) -> Result<Written, SqliteError> {
    let mut written = Written::default();
    crate::fs::create_atomically(path, |tmp: &Path| -> Result<(), SqliteError> {
        written = fill(&mut Connection::open(tmp)?, snapshots)?;
        Ok(())
    })?;
    Ok(written)
}

fn fill(db: &mut Connection, snapshots: &[Snapshot]) -> Result<Written, SqliteError> {
    // The file is renamed into place only once complete: no journal is needed to survive a
    // crash, and nothing need reach the disk before the end.
    db.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")?;
    db.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    let tx = db.transaction()?;
    tx.execute_batch(&format!(
        "{RELEASES};\n{SECTIONS};\n{};\n{CHANGES};",
        codes_table()
    ))?;
    insert_sections(&tx)?;
    let mut written = Written::default();
    for snapshot in snapshots {
        insert_release(&tx, snapshot)?;
        written.codes += insert_codes(&tx, snapshot)?;
    }
    for pair in snapshots.windows(2) {
        written.changes += insert_changes(&tx, &diff::diff(&pair[0], &pair[1]))?;
    }
    tx.execute_batch(&format!("{VALIDITY};\n{INDEXES};"))?;
    tx.commit()?;
    written.releases = snapshots.len();
    Ok(written)
}

fn insert_release(tx: &Transaction, snapshot: &Snapshot) -> Result<(), SqliteError> {
    let p = &snapshot.provenance;
    tx.execute(
        "INSERT INTO releases VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            p.release.to_string(),
            p.release.first_day().to_string(),
            p.source.file,
            p.source.member,
            p.source.sha256,
            p.records as i64,
            p.counts.procedure as i64,
            p.counts.modifier as i64,
            p.records_sha256,
        ],
    )?;
    Ok(())
}

fn insert_sections(tx: &Transaction) -> Result<(), SqliteError> {
    let mut insert = tx.prepare("INSERT INTO sections VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?;
    for (i, s) in sections::SECTIONS.iter().enumerate() {
        let nonempty = |v: &str| (!v.is_empty()).then(|| v.to_string());
        insert.execute(params![
            s.id,
            i as i64,
            s.letter.map(String::from),
            nonempty(s.first),
            nonempty(s.last),
            s.name,
            s.short
        ])?;
    }
    Ok(())
}

fn insert_codes(tx: &Transaction, snapshot: &Snapshot) -> Result<usize, SqliteError> {
    let slots: Vec<String> = (1..=FIELDS.len() + 4).map(|i| format!("?{i}")).collect();
    let mut insert = tx.prepare(&format!("INSERT INTO codes VALUES ({})", slots.join(", ")))?;
    let release = snapshot.release().to_string();
    for r in &snapshot.records {
        let row = [
            Value::Text(release.clone()),
            Value::Text(r.code.clone()),
            Value::Text(r.kind.as_str().to_string()),
            sections::of(&r.code, r.kind).map_or(Value::Null, |s| Value::Text(s.id.to_string())),
        ]
        .into_iter()
        .chain(FIELDS.iter().map(|f| field_value(f, r)));
        insert.execute(rusqlite::params_from_iter(row))?;
    }
    Ok(snapshot.records.len())
}

/// One row per field change; a code with none (added, dropped) gets one row without a field.
fn insert_changes(tx: &Transaction, set: &Changeset) -> Result<usize, SqliteError> {
    let mut insert = tx.prepare(
        "INSERT INTO changes VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?;
    let (old, new) = (set.old.release.to_string(), set.new.release.to_string());
    let mut rows = 0;
    for c in &set.changes {
        let base = params![old, new, c.code, c.kind.as_str(), c.change.as_str()];
        let tail = params![c.action_code, c.cms_agrees];
        if c.fields.is_empty() {
            let blank = params![
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                false,
                Value::Null
            ];
            let row: Vec<&dyn rusqlite::ToSql> = [base, blank, tail].concat();
            insert.execute(row.as_slice())?;
            rows += 1;
        }
        for f in &c.fields {
            let kind = column(f.field);
            let (o, n) = (value(kind, f.old.clone()), value(kind, f.new.clone()));
            let reason = f.cosmetic_reason.map(|r| match r {
                Cosmetic::Punctuation => "punctuation",
                Cosmetic::Encoding => "encoding",
            });
            let middle = params![f.group.label(), f.field, o, n, f.cosmetic, reason];
            let row: Vec<&dyn rusqlite::ToSql> = [base, middle, tail].concat();
            insert.execute(row.as_slice())?;
            rows += 1;
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;

    /// Every field of the record has a column, of the shape its JSON has in the snapshot.
    #[test]
    fn every_field_of_the_record_has_a_column_of_its_shape() {
        let mut r = Record::new("E1392", Kind::Procedure);
        r.long_description = "x".into();
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            json.as_object().unwrap().len(),
            3,
            "a blank record: code, kind, long"
        );
        let full = serde_json::json!({
            "code": "E1392", "kind": "procedure", "long_description": "x",
            "short_description": "x", "pricing_indicators": ["33"],
            "multiple_pricing_indicator": "A", "coverage_issues_manual": ["60-4"],
            "medicare_carriers_manual": ["x"], "statute": "x", "lab_certifications": ["x"],
            "cross_references": ["x"], "coverage": "D", "asc_payment_group": "x",
            "asc_effective_date": "2006-01-01", "mog_payment_group": "x",
            "mog_payment_indicator": "x", "mog_effective_date": "2006-01-01",
            "processing_note": "x", "betos": "x", "types_of_service": ["R"],
            "anesthesia_base_units": 5, "added_date": "2006-01-01",
            "action_effective_date": "2006-01-01", "termination_date": "2006-01-01",
            "action_code": "N"
        });
        let record: Record = serde_json::from_str(&full.to_string()).unwrap();
        let back = serde_json::to_value(&record).unwrap();
        assert_eq!(back, full, "the JSON above names every field of the record");
        let keys: Vec<&str> = back
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.len(), FIELDS.len() + 2);
        for f in FIELDS {
            let shape = match &back[f.key] {
                serde_json::Value::Array(_) => Column::List,
                serde_json::Value::Number(_) => Column::Integer,
                _ => Column::Text,
            };
            assert_eq!(column(f.key), shape, "{}", f.key);
        }
    }

    #[test]
    fn lists_are_json_arrays_and_blanks_null() {
        assert_eq!(
            value(Column::List, vec!["33".into(), "34".into()]),
            Value::Text(r#"["33","34"]"#.into())
        );
        assert_eq!(value(Column::List, vec![]), Value::Text("[]".into()));
        assert_eq!(value(Column::Text, vec![]), Value::Null);
        assert_eq!(value(Column::Integer, vec!["5".into()]), Value::Integer(5));
    }
}
