//! `export --format parquet`: the whole store as Parquet tables, the form warehouse engines
//! (DuckDB, Spark, BigQuery, Snowflake) take as their own, for claims joins that outgrow one
//! machine. The tables are those of the SQLite export (`report::sqlite`), with typed columns:
//! dates as DATE, counts as INT64, flags as BOOLEAN, repeating fields as lists of strings.
//! `validity` is the slowly changing dimension a claims join needs: one row per code and run
//! of consecutive stored releases that state the same CMS dates, the newest marked `current`
//! (the dates `audit --date-column` judges by). `sql/audit_claims.sql` is that join.
//!
//! Written with the parquet crate's column writers (no Arrow): a table is built in memory as
//! columns (the largest, `codes` of every stored release, is a few tens of megabytes) and
//! written as one row group, Snappy-compressed.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use parquet::basic::Compression;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use super::sqlite::{Column as Shape, column};
use crate::diff::{self, Changeset, Cosmetic};
use crate::model::fields::FIELDS;
use crate::model::{ReleaseId, Snapshot, sections};

/// The tables, one file each, in the order they are written.
pub const TABLES: [&str; 5] = ["releases", "sections", "codes", "changes", "validity"];

#[derive(Debug, thiserror::Error)]
pub enum ParquetError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
}

/// What the export holds, for the command's message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    pub releases: usize,
    pub sections: usize,
    pub codes: usize,
    pub changes: usize,
    pub validity: usize,
}

/// A column's values, as its Parquet type holds them.
enum Values {
    /// `BYTE_ARRAY (STRING)`; `None` is NULL (and only where `optional`).
    Text(Vec<Option<String>>),
    /// `INT32 (DATE)`, always optional.
    Date(Vec<Option<NaiveDate>>),
    /// `INT64`.
    Int(Vec<Option<i64>>),
    /// `BOOLEAN`.
    Bool(Vec<Option<bool>>),
    /// A `LIST` of required strings; an empty list for a blank field.
    List(Vec<Vec<String>>),
}

struct Col {
    name: String,
    optional: bool,
    values: Values,
}

impl Col {
    fn new(name: &str, optional: bool, values: Values) -> Col {
        Col {
            name: name.to_string(),
            optional,
            values,
        }
    }

    /// The column's line in the schema's message type.
    fn schema(&self) -> String {
        let repetition = if self.optional {
            "OPTIONAL"
        } else {
            "REQUIRED"
        };
        let name = &self.name;
        match &self.values {
            Values::Text(_) => format!("{repetition} BYTE_ARRAY {name} (STRING);"),
            Values::Date(_) => format!("{repetition} INT32 {name} (DATE);"),
            Values::Int(_) => format!("{repetition} INT64 {name};"),
            Values::Bool(_) => format!("{repetition} BOOLEAN {name};"),
            Values::List(_) => format!(
                "REQUIRED GROUP {name} (LIST) {{ REPEATED GROUP list {{ REQUIRED BYTE_ARRAY element (STRING); }} }}"
            ),
        }
    }

    fn len(&self) -> usize {
        match &self.values {
            Values::Text(v) => v.len(),
            Values::Date(v) => v.len(),
            Values::Int(v) => v.len(),
            Values::Bool(v) => v.len(),
            Values::List(v) => v.len(),
        }
    }
}

/// Definition levels of an optional column (1 present, 0 NULL) and its present values.
fn levels<T: Clone>(values: &[Option<T>]) -> (Vec<i16>, Vec<T>) {
    let defs = values.iter().map(|v| i16::from(v.is_some())).collect();
    (defs, values.iter().flatten().cloned().collect())
}

fn days(d: NaiveDate) -> i32 {
    (d - NaiveDate::default()).num_days() as i32
}

/// Writes `columns` (all of one length) as the table `path`.
fn write_table(path: &Path, columns: &[Col]) -> Result<usize, ParquetError> {
    let rows = columns.first().map_or(0, Col::len);
    debug_assert!(columns.iter().all(|c| c.len() == rows));
    let fields: Vec<String> = columns.iter().map(Col::schema).collect();
    let schema = Arc::new(parse_message_type(&format!(
        "message schema {{ {} }}",
        fields.join(" ")
    ))?);
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by(format!("hcpcs-diff {}", env!("CARGO_PKG_VERSION")))
        .build();
    let mut writer = SerializedFileWriter::new(File::create(path)?, schema, properties.into())?;
    let mut group = writer.next_row_group()?;
    for col in columns {
        let Some(mut column) = group.next_column()? else {
            return Err(parquet::errors::ParquetError::General(format!(
                "{}: the schema holds fewer columns than the table ({})",
                path.display(),
                col.name
            ))
            .into());
        };
        let optional = col.optional;
        match &col.values {
            Values::Text(values) => {
                let (defs, present) = levels(values);
                let bytes: Vec<ByteArray> = present
                    .iter()
                    .map(|s| ByteArray::from(s.as_str()))
                    .collect();
                let defs = optional.then_some(defs.as_slice());
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&bytes, defs, None)?;
            }
            Values::Date(values) => {
                let (defs, present) = levels(values);
                let present: Vec<i32> = present.into_iter().map(days).collect();
                let defs = optional.then_some(defs.as_slice());
                column
                    .typed::<Int32Type>()
                    .write_batch(&present, defs, None)?;
            }
            Values::Int(values) => {
                let (defs, present) = levels(values);
                let defs = optional.then_some(defs.as_slice());
                column
                    .typed::<Int64Type>()
                    .write_batch(&present, defs, None)?;
            }
            Values::Bool(values) => {
                let (defs, present) = levels(values);
                let defs = optional.then_some(defs.as_slice());
                column
                    .typed::<BoolType>()
                    .write_batch(&present, defs, None)?;
            }
            Values::List(lists) => {
                // Three-level list: an empty list is definition level 0; each item level 1,
                // the first of a row at repetition level 0, the others at 1.
                let (mut defs, mut reps, mut items) = (Vec::new(), Vec::new(), Vec::new());
                for list in lists {
                    if list.is_empty() {
                        defs.push(0);
                        reps.push(0);
                    }
                    for (i, item) in list.iter().enumerate() {
                        defs.push(1);
                        reps.push(i16::from(i > 0));
                        items.push(ByteArray::from(item.as_str()));
                    }
                }
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&items, Some(&defs), Some(&reps))?;
            }
        }
        column.close()?;
    }
    group.close()?;
    writer.close()?;
    Ok(rows)
}

/// Writes every table of `snapshots` (oldest first) into the folder `dir`, each file whole.
pub fn write(dir: &Path, snapshots: &[Snapshot]) -> Result<Written, ParquetError> {
    let changesets: Vec<Changeset> = snapshots
        .windows(2)
        .map(|pair| diff::diff(&pair[0], &pair[1]))
        .collect();
    Ok(Written {
        releases: write_table(&dir.join("releases.parquet"), &releases(snapshots))?,
        sections: write_table(&dir.join("sections.parquet"), &sections_table())?,
        codes: write_table(&dir.join("codes.parquet"), &codes(snapshots))?,
        changes: write_table(&dir.join("changes.parquet"), &changes(&changesets))?,
        validity: write_table(&dir.join("validity.parquet"), &validity(snapshots))?,
    })
}

fn text(values: impl IntoIterator<Item = String>) -> Values {
    Values::Text(values.into_iter().map(Some).collect())
}

fn releases(snapshots: &[Snapshot]) -> Vec<Col> {
    let p = || snapshots.iter().map(|s| &s.provenance);
    let count = |f: &dyn Fn(&crate::model::Provenance) -> usize| {
        Values::Int(p().map(|p| Some(f(p) as i64)).collect())
    };
    vec![
        Col::new("id", false, text(p().map(|p| p.release.to_string()))),
        Col::new(
            "effective_date",
            true,
            Values::Date(p().map(|p| Some(p.release.first_day())).collect()),
        ),
        Col::new(
            "source_file",
            false,
            text(p().map(|p| p.source.file.clone())),
        ),
        Col::new(
            "source_member",
            true,
            Values::Text(p().map(|p| p.source.member.clone()).collect()),
        ),
        Col::new(
            "source_sha256",
            false,
            text(p().map(|p| p.source.sha256.clone())),
        ),
        Col::new("records", false, count(&|p| p.records)),
        Col::new("procedure_codes", false, count(&|p| p.counts.procedure)),
        Col::new("modifiers", false, count(&|p| p.counts.modifier)),
        Col::new(
            "records_sha256",
            false,
            text(p().map(|p| p.records_sha256.clone())),
        ),
    ]
}

/// The sections of HCPCS Level II (`model::sections`), as the SQLite export's `sections`.
fn sections_table() -> Vec<Col> {
    let all = sections::SECTIONS;
    let nonempty = |v: &str| (!v.is_empty()).then(|| v.to_string());
    vec![
        Col::new("id", false, text(all.iter().map(|s| s.id.to_string()))),
        Col::new(
            "position",
            false,
            Values::Int((0..all.len() as i64).map(Some).collect()),
        ),
        Col::new(
            "letter",
            true,
            Values::Text(all.iter().map(|s| s.letter.map(String::from)).collect()),
        ),
        Col::new(
            "first_code",
            true,
            Values::Text(all.iter().map(|s| nonempty(s.first)).collect()),
        ),
        Col::new(
            "last_code",
            true,
            Values::Text(all.iter().map(|s| nonempty(s.last)).collect()),
        ),
        Col::new("name", false, text(all.iter().map(|s| s.name.to_string()))),
        Col::new(
            "short_name",
            false,
            text(all.iter().map(|s| s.short.to_string())),
        ),
    ]
}

/// Whether a field of `FIELDS` is a date (kept as DATE).
fn is_date(key: &str) -> bool {
    key.ends_with("_date")
}

fn parse_date(value: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()
}

fn codes(snapshots: &[Snapshot]) -> Vec<Col> {
    let records = || {
        snapshots
            .iter()
            .flat_map(|s| s.records.iter().map(move |r| (s.release(), r)))
    };
    let mut columns = vec![
        Col::new(
            "release",
            false,
            text(records().map(|(id, _)| id.to_string())),
        ),
        Col::new("code", false, text(records().map(|(_, r)| r.code.clone()))),
        Col::new(
            "kind",
            false,
            text(records().map(|(_, r)| r.kind.as_str().to_string())),
        ),
        Col::new(
            "section",
            true,
            Values::Text(
                records()
                    .map(|(_, r)| sections::of(&r.code, r.kind).map(|s| s.id.to_string()))
                    .collect(),
            ),
        ),
    ];
    for f in FIELDS {
        let values = records().map(|(_, r)| (f.values)(r));
        let (optional, values) = match column(f.key) {
            Shape::List => (false, Values::List(values.collect())),
            Shape::Integer => (
                true,
                Values::Int(
                    values
                        .map(|v| v.first().and_then(|n| n.parse().ok()))
                        .collect(),
                ),
            ),
            Shape::Text if is_date(f.key) => (
                true,
                Values::Date(
                    values
                        .map(|v| v.first().and_then(|d| parse_date(d)))
                        .collect(),
                ),
            ),
            Shape::Text => (
                f.key != "long_description",
                Values::Text(values.map(|v| v.into_iter().next()).collect()),
            ),
        };
        columns.push(Col::new(f.key, optional, values));
    }
    columns
}

/// A changed value as the SQLite export's `changes` gives it, as text: one value, or a JSON
/// array for a repeating field; NULL when blank.
fn change_value(field: &str, values: &[String]) -> Option<String> {
    match column(field) {
        Shape::List => Some(serde_json::to_string(values).unwrap_or_else(|_| "[]".into())),
        Shape::Integer | Shape::Text => values.first().cloned(),
    }
}

/// A row of `changes`, as the SQLite export's.
struct ChangeRow<'a> {
    old_release: String,
    new_release: String,
    code: &'a str,
    kind: &'static str,
    change: &'static str,
    field_group: Option<&'static str>,
    field: Option<&'static str>,
    old_value: Option<String>,
    new_value: Option<String>,
    cosmetic: bool,
    cosmetic_reason: Option<&'static str>,
    action_code: Option<&'a str>,
    cms_agrees: Option<bool>,
}

fn changes(changesets: &[Changeset]) -> Vec<Col> {
    // One row per field change; a code with none (added, dropped) gets one row without a
    // field, as in the SQLite export.
    let mut rows = Vec::new();
    for set in changesets {
        for c in &set.changes {
            let row = || ChangeRow {
                old_release: set.old.release.to_string(),
                new_release: set.new.release.to_string(),
                code: &c.code,
                kind: c.kind.as_str(),
                change: c.change.as_str(),
                field_group: None,
                field: None,
                old_value: None,
                new_value: None,
                cosmetic: false,
                cosmetic_reason: None,
                action_code: c.action_code.as_deref(),
                cms_agrees: c.cms_agrees,
            };
            if c.fields.is_empty() {
                rows.push(row());
            }
            for f in &c.fields {
                rows.push(ChangeRow {
                    field_group: Some(f.group.label()),
                    field: Some(f.field),
                    old_value: change_value(f.field, &f.old),
                    new_value: change_value(f.field, &f.new),
                    cosmetic: f.cosmetic,
                    cosmetic_reason: f.cosmetic_reason.map(|r| match r {
                        Cosmetic::Punctuation => "punctuation",
                        Cosmetic::Encoding => "encoding",
                    }),
                    ..row()
                });
            }
        }
    }
    let owned = |s: Option<&str>| s.map(str::to_string);
    let required = |f: &dyn Fn(&ChangeRow) -> String| text(rows.iter().map(f));
    let optional =
        |f: &dyn Fn(&ChangeRow) -> Option<String>| Values::Text(rows.iter().map(f).collect());
    vec![
        Col::new("old_release", false, required(&|r| r.old_release.clone())),
        Col::new("new_release", false, required(&|r| r.new_release.clone())),
        Col::new("code", false, required(&|r| r.code.to_string())),
        Col::new("kind", false, required(&|r| r.kind.to_string())),
        Col::new("change", false, required(&|r| r.change.to_string())),
        Col::new("field_group", true, optional(&|r| owned(r.field_group))),
        Col::new("field", true, optional(&|r| owned(r.field))),
        Col::new("old_value", true, optional(&|r| r.old_value.clone())),
        Col::new("new_value", true, optional(&|r| r.new_value.clone())),
        Col::new(
            "cosmetic",
            false,
            Values::Bool(rows.iter().map(|r| Some(r.cosmetic)).collect()),
        ),
        Col::new(
            "cosmetic_reason",
            true,
            optional(&|r| owned(r.cosmetic_reason)),
        ),
        Col::new("action_code", true, optional(&|r| owned(r.action_code))),
        Col::new(
            "cms_agrees",
            true,
            Values::Bool(rows.iter().map(|r| r.cms_agrees).collect()),
        ),
    ]
}

/// One interval of a code's validity as a run of consecutive stored releases states it.
struct Interval {
    code: String,
    kind: &'static str,
    valid_from: Option<NaiveDate>,
    valid_to: Option<NaiveDate>,
    release: ReleaseId,
    through_release: ReleaseId,
    long_description: String,
}

fn validity(snapshots: &[Snapshot]) -> Vec<Col> {
    // Per code, its intervals in release order; a new one starts where CMS's dates change or
    // the code was missing from the release before.
    let mut by_code: BTreeMap<&str, Vec<Interval>> = BTreeMap::new();
    let mut previous: Option<&Snapshot> = None;
    for s in snapshots {
        for r in &s.records {
            let intervals = by_code.entry(r.code.as_str()).or_default();
            let same = intervals.last().is_some_and(|last| {
                last.valid_from == r.added_date
                    && last.valid_to == r.termination_date
                    && previous.is_some_and(|p| p.release() == last.through_release)
            });
            if same {
                let last = intervals.last_mut().expect("checked above");
                last.through_release = s.release();
                last.long_description = r.long_description.clone();
            } else {
                intervals.push(Interval {
                    code: r.code.clone(),
                    kind: r.kind.as_str(),
                    valid_from: r.added_date,
                    valid_to: r.termination_date,
                    release: s.release(),
                    through_release: s.release(),
                    long_description: r.long_description.clone(),
                });
            }
        }
        previous = Some(s);
    }
    let rows: Vec<(&Interval, bool)> = by_code
        .values()
        .flat_map(|v| {
            v.iter()
                .enumerate()
                .map(move |(i, x)| (x, i + 1 == v.len()))
        })
        .collect();
    let text_of = |f: &dyn Fn(&Interval) -> String| text(rows.iter().map(|(x, _)| f(x)));
    vec![
        Col::new("code", false, text_of(&|x| x.code.clone())),
        Col::new("kind", false, text_of(&|x| x.kind.to_string())),
        Col::new(
            "valid_from",
            true,
            Values::Date(rows.iter().map(|(x, _)| x.valid_from).collect()),
        ),
        Col::new(
            "valid_to",
            true,
            Values::Date(rows.iter().map(|(x, _)| x.valid_to).collect()),
        ),
        Col::new("release", false, text_of(&|x| x.release.to_string())),
        Col::new(
            "through_release",
            false,
            text_of(&|x| x.through_release.to_string()),
        ),
        Col::new(
            "current",
            false,
            Values::Bool(rows.iter().map(|(_, current)| Some(*current)).collect()),
        ),
        Col::new(
            "long_description",
            false,
            text_of(&|x| x.long_description.clone()),
        ),
    ]
}
