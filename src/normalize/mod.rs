//! Turns reader rows into typed `Record`s: joins description continuation lines, trims and
//! types every value by the same rules whatever the source form, and rejects what cannot be
//! read without guessing (naming file, line and field).

pub mod corrections;
pub mod damaged;

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::error::{Location, ReadError, Warning};
use crate::model::{Kind, Record, codes};
use crate::read::layout::{Field, RawRow, spec_of};
use crate::read::{Parsed, Row};

/// A release's records, sorted by code, and the warnings met on the way.
#[derive(Debug)]
pub struct Normalized {
    pub records: Vec<Record>,
    pub warnings: Vec<Warning>,
}

/// Collapses runs of white space (CMS's files mix double spaces, tabs and no-break spaces into
/// otherwise equal text) and trims; `None` for a blank value.
pub fn clean(value: &str) -> Option<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return None;
    }
    // Nearly every value is printable ASCII with single spaces: already clean once trimmed.
    if trimmed.bytes().all(|b| matches!(b, b' '..=b'~')) && !trimmed.contains("  ") {
        return Some(trimmed.to_string());
    }
    let mut out = String::with_capacity(value.len());
    for word in value.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    (!out.is_empty()).then_some(out)
}

pub fn normalize(file: &str, parsed: Parsed) -> Result<Normalized, ReadError> {
    let mut warnings = parsed.warnings;
    // Records in file order with where each starts, and where each code is among them.
    let mut records: Vec<(Record, Location)> = Vec::with_capacity(parsed.rows.len());
    let mut index: HashMap<u64, usize> = HashMap::with_capacity(parsed.rows.len());
    // The description parts of the last record, which continuation rows extend.
    let mut parts: Vec<String> = Vec::new();
    let close = |records: &mut Vec<(Record, Location)>, parts: &mut Vec<String>| {
        if let Some((record, _)) = records.last_mut()
            && !parts.is_empty()
        {
            record.long_description = clean(&parts.join(" ")).unwrap_or_default();
        }
        parts.clear();
    };
    for Row { at, raw } in parsed.rows {
        let field_error = |field: Field, problem: String| ReadError::Field {
            file: file.to_string(),
            at: at.clone(),
            field: spec_of(field).name,
            problem,
        };
        let code = raw.get(Field::Code).trim();
        let (kind, first) = match raw.get(Field::RecordId).trim() {
            "3" => (Kind::Procedure, true),
            "4" => (Kind::Procedure, false),
            "7" => (Kind::Modifier, true),
            "8" => (Kind::Modifier, false),
            other => {
                return Err(field_error(
                    Field::RecordId,
                    format!(
                        "'{other}' is not a record identification code (3 or 7 start a code, 4 or 8 continue its description)"
                    ),
                ));
            }
        };
        let key = check_code(code, kind).map_err(|p| field_error(Field::Code, p.to_string()))?;
        let description = raw.get(Field::LongDescription).to_string();
        if first {
            close(&mut records, &mut parts);
            let mut record = record_from(code, kind, &raw).map_err(|(f, p)| field_error(f, p))?;
            if let Some(warning) = repair_shifted_asc_date(&mut record, &raw, &at) {
                warnings.push(warning);
            }
            if let Some(&earlier) = index.get(&key) {
                return Err(ReadError::Record {
                    file: file.to_string(),
                    at,
                    problem: format!("duplicate code {code} (first at {})", records[earlier].1),
                });
            }
            index.insert(key, records.len());
            records.push((record, at));
            parts.push(description);
        } else {
            match records.last() {
                Some((open, _)) if open.code == code && open.kind == kind => {
                    parts.push(description)
                }
                _ => {
                    return Err(ReadError::Record {
                        file: file.to_string(),
                        at,
                        problem: format!(
                            "continuation line for {code} does not follow a first line of {code}"
                        ),
                    });
                }
            }
        }
    }
    close(&mut records, &mut parts);
    let mut records: Vec<Record> = records.into_iter().map(|(r, _)| r).collect();
    records.sort_unstable_by(|a, b| a.code.cmp(&b.code));
    Ok(Normalized { records, warnings })
}

/// Checks a code's form; its bytes as a number, a key no other code shares.
fn check_code(code: &str, kind: Kind) -> Result<u64, BadValue> {
    let (fits, shape) = match kind {
        Kind::Procedure => (codes::is_procedure_code(code), "a letter and four digits"),
        Kind::Modifier => (codes::is_modifier(code), "two letters or digits"),
    };
    if fits {
        Ok(code.bytes().fold(0, |key, b| key << 8 | u64::from(b)))
    } else {
        Err(BadValue::Code {
            code: code.to_string(),
            kind,
            shape,
        })
    }
}

type FieldProblem = (Field, String);

fn record_from(code: &str, kind: Kind, raw: &RawRow) -> Result<Record, FieldProblem> {
    let text = |f| clean(raw.get(f));
    let list = |f| raw.all(f).filter_map(clean).collect::<Vec<_>>();
    let date = |f| parse_date(raw.get(f)).map_err(|p| (f, p.to_string()));
    let mut r = Record::new(code, kind);
    r.short_description = text(Field::ShortDescription);
    r.pricing_indicators = list(Field::PricingIndicator);
    r.multiple_pricing_indicator = text(Field::MultiplePricingIndicator);
    r.coverage_issues_manual = list(Field::CoverageIssuesManual);
    r.medicare_carriers_manual = list(Field::MedicareCarriersManual);
    r.statute = text(Field::Statute);
    r.lab_certifications = list(Field::LabCertification);
    r.cross_references = list(Field::CrossReference);
    r.coverage = text(Field::Coverage);
    r.asc_payment_group = text(Field::AscPaymentGroup);
    r.asc_effective_date = match shifted_asc_date(raw) {
        Some(_) => None,
        None => date(Field::AscEffectiveDate)?,
    };
    r.mog_payment_group = text(Field::MogPaymentGroup);
    r.mog_payment_indicator = text(Field::MogPaymentIndicator);
    r.mog_effective_date = date(Field::MogEffectiveDate)?;
    r.processing_note = text(Field::ProcessingNote);
    r.betos = text(Field::Betos);
    r.types_of_service = list(Field::TypeOfService);
    r.anesthesia_base_units = parse_units(raw.get(Field::AnesthesiaBaseUnits))
        .map_err(|p| (Field::AnesthesiaBaseUnits, p.to_string()))?;
    r.added_date = date(Field::AddedDate)?;
    r.action_effective_date = date(Field::ActionEffectiveDate)?;
    r.termination_date = date(Field::TerminationDate)?;
    r.action_code = text(Field::ActionCode);
    Ok(r)
}

/// CMS's 2018 file writes a few ASC effective dates two columns early, over the payment group
/// (`20` in the group, `170401` in the date; 2019 has `YY` and `20170401` for the same code).
/// The date is certain; the group is not, so it is left absent.
fn shifted_asc_date(raw: &RawRow) -> Option<NaiveDate> {
    let group = raw.get(Field::AscPaymentGroup).trim();
    let date = raw.get(Field::AscEffectiveDate).trim();
    if group.len() == 2
        && date.len() == 6
        && group
            .bytes()
            .chain(date.bytes())
            .all(|b| b.is_ascii_digit())
    {
        parse_date(&format!("{group}{date}")).ok().flatten()
    } else {
        None
    }
}

fn repair_shifted_asc_date(record: &mut Record, raw: &RawRow, at: &Location) -> Option<Warning> {
    let date = shifted_asc_date(raw)?;
    record.asc_effective_date = Some(date);
    record.asc_payment_group = None;
    Some(Warning {
        at: at.clone(),
        field: Some(spec_of(Field::AscEffectiveDate).name),
        message: format!(
            "'{}' and '{}' read as the date {date} written two columns early; the ASC payment group is left blank",
            raw.get(Field::AscPaymentGroup).trim(),
            raw.get(Field::AscEffectiveDate).trim()
        ),
    })
}

/// A field's value that is not what the layout says the field holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum BadValue {
    #[error("'{code}' is not a {kind} code ({shape})")]
    Code {
        code: String,
        kind: Kind,
        shape: &'static str,
    },
    #[error("'{0}' is not a date (YYYYMMDD)")]
    Date(String),
    #[error("'{0}' is not a number of base units")]
    Units(String),
}

/// `YYYYMMDD`, or blank for no date.
fn parse_date(value: &str) -> Result<Option<NaiveDate>, BadValue> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let number = |range: std::ops::Range<usize>| v[range].parse::<u32>().ok();
    if v.len() == 8
        && v.bytes().all(|b| b.is_ascii_digit())
        && let (Some(y), Some(m), Some(d)) = (number(0..4), number(4..6), number(6..8))
        && let Some(date) = NaiveDate::from_ymd_opt(y as i32, m, d)
    {
        return Ok(Some(date));
    }
    Err(BadValue::Date(v.to_string()))
}

/// Anesthesia base units; CMS writes 0 on most codes and blank on others for "none", so both
/// are absent here (otherwise a change of file format would read as a change of every code).
fn parse_units(value: &str) -> Result<Option<u16>, BadValue> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    match v.parse::<u16>() {
        Ok(0) => Ok(None),
        Ok(n) => Ok(Some(n)),
        Err(_) => Err(BadValue::Units(v.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_collapses_every_kind_of_space() {
        assert_eq!(clean("  a \u{a0}b\t c  ").as_deref(), Some("a b c"));
        assert_eq!(clean(" \t "), None);
        assert_eq!(clean("a  b").as_deref(), Some("a b"));
        assert_eq!(clean(" a b\r").as_deref(), Some("a b"));
    }

    proptest::proptest! {
        /// The fast path for plain ASCII agrees with collapsing every run of white space.
        #[test]
        fn clean_is_words_joined_by_one_space(value in "[ a-c\t\r\u{a0}\u{2003}~!]{0,12}") {
            let words: Vec<&str> = value.split_whitespace().collect();
            let want = (!words.is_empty()).then(|| words.join(" "));
            proptest::prop_assert_eq!(clean(&value), want);
        }
    }

    #[test]
    fn dates_and_units() {
        assert_eq!(
            parse_date("20060101").unwrap(),
            NaiveDate::from_ymd_opt(2006, 1, 1)
        );
        assert_eq!(parse_date("        ").unwrap(), None);
        assert_eq!(
            parse_date("2006013X").unwrap_err().to_string(),
            "'2006013X' is not a date (YYYYMMDD)"
        );
        assert_eq!(
            parse_date("20061301").unwrap_err().to_string(),
            "'20061301' is not a date (YYYYMMDD)"
        );
        assert_eq!(parse_units("  0").unwrap(), None);
        assert_eq!(parse_units(" 02").unwrap(), Some(2));
    }
}
