//! `show CODE`: one record with every field, CMS's code values decoded into words.

use std::io::{self, Write};

use serde::Serialize;

use crate::model::Record;
use crate::model::fields::FIELDS;
use crate::model::{Kind, ReleaseId};

#[derive(Serialize)]
struct Value {
    value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    meaning: Option<&'static str>,
}

#[derive(Serialize)]
struct Shown<'a> {
    release: ReleaseId,
    code: &'a str,
    kind: Kind,
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
    writeln!(out)?;
    let width = FIELDS.iter().map(|f| f.label.len()).max().unwrap_or(0);
    for f in FIELDS {
        for (i, value) in (f.values)(record).iter().enumerate() {
            let label = if i == 0 { f.label } else { "" };
            writeln!(out, "{label:<width$}  {}", f.describe(value))?;
        }
    }
    Ok(())
}
