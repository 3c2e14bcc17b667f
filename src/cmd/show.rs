//! `show CODE`: one code or modifier with every field decoded into words.

use std::io::Write;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::ValueEnum;

use hcpcs_diff::exit;
use hcpcs_diff::model::ReleaseId;
use hcpcs_diff::report;
use hcpcs_diff::store::{Store, StoreError};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The code (E1392) or modifier (RR).
    code: String,
    /// The release to read; the newest stored one if absent.
    #[arg(long, conflicts_with = "on")]
    release: Option<ReleaseId>,
    /// The code as it stood on this date (the stored release in effect then), and whether it
    /// was valid that day: YYYY-MM-DD, MM/DD/YYYY or YYYYMMDD. Exit status 1 when it was not.
    #[arg(long, value_name = "DATE", value_parser = parse_on)]
    on: Option<NaiveDate>,
    #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
    format: ShowFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ShowFormat {
    Text,
    Json,
}

fn parse_on(value: &str) -> Result<NaiveDate, super::args::ValueError> {
    hcpcs_diff::audit::input::parse_date(value)
        .ok_or_else(|| super::args::ValueError::Date(value.to_string()))
}

pub fn run(store: &Store, args: Args, out: &mut dyn Write) -> Result<u8> {
    let code = args.code.trim().to_ascii_uppercase();
    if let Some(date) = args.on {
        return on(store, &code, date, args.format, out);
    }
    let release = match args.release {
        Some(r) => r,
        None => store.latest()?,
    };
    let snapshot = store.load(release)?;
    let kept = store.corrections(release)?;
    let corrections = hcpcs_diff::model::correction::for_code(&kept, &code);
    let Some(record) = snapshot.get(&code) else {
        // Not in the release's file, but CMS's corrections to it name the code.
        anyhow::ensure!(!corrections.is_empty(), {
            let near = super::did_you_mean(&code, &[&snapshot]);
            format!("{code} is not in release {release}{near}")
        });
        return corrections_only(out, &code, release, &corrections, args.format);
    };
    match args.format {
        ShowFormat::Text => {
            report::show::text(out, release, record)?;
            report::show::corrections_text(out, release, &corrections)?;
        }
        ShowFormat::Json => {
            let mut shown = Vec::new();
            report::show::json(&mut shown, release, record)?;
            let mut value: serde_json::Value = serde_json::from_slice(&shown)?;
            if !corrections.is_empty() {
                value["corrections"] = corrections_json(&corrections);
            }
            serde_json::to_writer_pretty(&mut *out, &value)?;
            writeln!(out)?;
        }
    }
    Ok(exit::OK)
}

type Noted<'a> = (
    &'a hcpcs_diff::model::correction::CorrectionsFile,
    &'a hcpcs_diff::model::correction::Correction,
);

fn corrections_json(rows: &[Noted]) -> serde_json::Value {
    rows.iter()
        .map(|(file, c)| {
            let mut v = serde_json::to_value(c).unwrap_or_default();
            v["file"] = serde_json::json!(file.name);
            v["version"] = serde_json::json!(file.version);
            v
        })
        .collect()
}

/// A code the release's file does not hold, but its corrections name.
fn corrections_only(
    out: &mut dyn Write,
    code: &str,
    release: ReleaseId,
    rows: &[Noted],
    format: ShowFormat,
) -> Result<u8> {
    match format {
        ShowFormat::Text => {
            writeln!(
                out,
                "{code} is not in release {release}'s file; CMS's corrections to {release} name it."
            )?;
            report::show::corrections_text(out, release, rows)?;
        }
        ShowFormat::Json => {
            let value = serde_json::json!({
                "release": release,
                "code": code,
                "in_release_file": false,
                "corrections": corrections_json(rows),
            });
            serde_json::to_writer_pretty(&mut *out, &value)?;
            writeln!(out)?;
        }
    }
    Ok(exit::OK)
}

/// `show CODE --on DATE`: the record in the release in effect that day, then the verdict.
fn on(
    store: &Store,
    code: &str,
    date: NaiveDate,
    format: ShowFormat,
    out: &mut dyn Write,
) -> Result<u8> {
    let all = store.load_all()?;
    anyhow::ensure!(!all.is_empty(), StoreError::Empty);
    let check = hcpcs_diff::audit::on_date(code, date, &all);
    // Before the oldest stored release, the oldest that has the code shows what it was.
    let snapshot = check
        .release
        .and_then(|r| all.iter().find(|s| s.release() == r))
        .filter(|s| s.get(code).is_some())
        .or_else(|| all.iter().find(|s| s.get(code).is_some()))
        .with_context(|| {
            let near = super::did_you_mean(code, &all.iter().collect::<Vec<_>>());
            format!(
                "{code} is in none of the {} stored releases{near}",
                all.len()
            )
        })?;
    let record = snapshot.get(code).context("looked up above")?;
    let verdict = if check.valid { "valid" } else { "NOT VALID" };
    match format {
        ShowFormat::Text => {
            report::show::text(out, snapshot.release(), record)?;
            writeln!(out, "\nOn {date}: {verdict}: {}", check.reason())?;
        }
        ShowFormat::Json => {
            let mut shown = Vec::new();
            report::show::json(&mut shown, snapshot.release(), record)?;
            let mut value: serde_json::Value = serde_json::from_slice(&shown)?;
            value["on"] = serde_json::json!({
                "date": date,
                "valid": check.valid,
                "reason": check.reason(),
                "release_in_effect": check.release,
            });
            serde_json::to_writer_pretty(&mut *out, &value)?;
            writeln!(out)?;
        }
    }
    // As `audit` says of a row: a script can ask whether a code could be billed that day.
    Ok(if check.valid { exit::OK } else { exit::CHANGES })
}
