//! `show CODE`: one record with every field, CMS's code values decoded into words.

use std::io::{self, Write};

use serde::Serialize;

use crate::model::Record;
use crate::model::correction::{Correction, CorrectionsFile, Op};
use crate::model::fields::{FIELDS, field};
use crate::model::sections::{self, CodeSection};
use crate::model::{Kind, ReleaseId};

#[derive(Serialize)]
struct Value {
    value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    meaning: Option<&'static str>,
    /// A pricing indicator's pricing group: its name, or null for 00 and 99 (and a value CMS's
    /// table does not hold), which have none.
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<Option<&'static str>>,
}

#[derive(Serialize)]
struct Shown<'a> {
    release: ReleaseId,
    code: &'a str,
    kind: Kind,
    /// The section of HCPCS Level II (its name), null outside every range.
    section: Option<&'static CodeSection>,
    section_id: Option<&'static str>,
    status: &'static str,
    fields: serde_json::Map<String, serde_json::Value>,
}

fn status(record: &Record) -> &'static str {
    if record.is_terminated() {
        "discontinued"
    } else {
        "active"
    }
}

pub fn json(out: &mut dyn Write, release: ReleaseId, record: &Record) -> io::Result<()> {
    let mut fields = serde_json::Map::new();
    for f in FIELDS {
        let values = (f.values)(record);
        if values.is_empty() {
            continue;
        }
        let values: Vec<Value> = values
            .into_iter()
            .map(|v| Value {
                meaning: f.meaning(&v),
                group: f.pricing_group(&v).map(|g| g.name()),
                value: v,
            })
            .collect();
        fields.insert(
            f.key.to_string(),
            serde_json::to_value(values).expect("values serialize"),
        );
    }
    let shown = Shown {
        release,
        code: &record.code,
        kind: record.kind,
        section: sections::of(&record.code, record.kind),
        section_id: sections::of(&record.code, record.kind).map(|s| s.id),
        status: status(record),
        fields,
    };
    serde_json::to_writer_pretty(&mut *out, &shown)?;
    writeln!(out)
}

pub fn text(out: &mut dyn Write, release: ReleaseId, record: &Record) -> io::Result<()> {
    writeln!(out, "{}  {}", record.code, record.long_description)?;
    let kind = match record.kind {
        Kind::Procedure => "procedure/supply code",
        Kind::Modifier => "modifier",
    };
    writeln!(out, "{kind}, {} in release {release}", status(record))?;
    writeln!(out, "Section: {}", section_words(&record.code, record.kind))?;
    writeln!(out)?;
    let width = FIELDS.iter().map(|f| f.label.len()).max().unwrap_or(0);
    for f in FIELDS {
        for (i, value) in (f.values)(record).iter().enumerate() {
            let label = if i == 0 { f.label } else { "" };
            writeln!(out, "{label:<width$}  {}", f.describe(value))?;
            if let Some(group) = f.pricing_group(value) {
                writeln!(out, "{:<width$}  pricing group: {}", "", group.words())?;
            }
        }
    }
    Ok(())
}

/// The section of HCPCS Level II a code is in, in words: `Durable medical equipment
/// (E0100-E9999)`, or that it is in none.
pub fn section_words(code: &str, kind: Kind) -> String {
    sections::of(code, kind).map_or_else(|| crate::diff::NO_SECTION.to_string(), |s| s.to_string())
}

/// One correction in words: "ADD CODE: add, effective 2019-01-01; states Coverage D = Special
/// coverage instructions apply, ... (HCPC2019_Corrections_ALPHA.xlsx, version 1, row 7)".
pub fn correction_words(file: &str, version: u32, c: &Correction) -> String {
    let mut words = format!("{}: {}", c.action, c.class.as_str());
    match (&c.effective, &c.effective_unread) {
        (Some(d), _) => words.push_str(&format!(", effective {d}")),
        (None, Some(raw)) => words.push_str(&format!(", effective '{raw}' (not a date)")),
        (None, None) => {}
    }
    let stated: Vec<String> = c
        .stated
        .iter()
        .map(|s| {
            let def = field(&s.field);
            let label = def.map_or(s.field.as_str(), |d| d.label);
            let value = s
                .value
                .split(';')
                .map(|v| def.map_or(v.to_string(), |d| d.describe(v)))
                .collect::<Vec<_>>()
                .join("; ");
            match s.op {
                Op::Set => format!("{label} {value}"),
                Op::Include => format!("{label} + {value}"),
                Op::Exclude if s.value.is_empty() => format!("{label} cleared"),
                Op::Exclude => format!("{label} - {value}"),
            }
        })
        .collect();
    if !stated.is_empty() {
        words.push_str(&format!("; states {}", stated.join(", ")));
    }
    let name = file.rsplit('/').next().unwrap_or(file);
    format!("{words} ({name}, version {version}, {})", c.at)
}

/// The corrections CMS posted to `release` for one code.
pub fn corrections_text(
    out: &mut dyn Write,
    release: ReleaseId,
    rows: &[(&CorrectionsFile, &Correction)],
) -> io::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nCMS corrections to {release}:")?;
    for (file, c) in rows {
        writeln!(out, "  {}", correction_words(&file.name, file.version, c))?;
    }
    Ok(())
}
