//! `import --apply-corrections`: CMS's classified corrections applied to the snapshot they
//! correct, where they say plainly what to do: a code added with its description, a code
//! discontinued, terminated no longer, removed, or a field set to a stated value. Each applied
//! one is recorded in the snapshot's provenance; the rest (a code put back without its fields,
//! words left unparsed, a change to a code the release does not hold) stay notes.

use chrono::NaiveDate;

use crate::model::correction::{Action, Correction, CorrectionsFile, Op, Stated};
use crate::model::snapshot::Applied;
use crate::model::{Kind, Record, Snapshot};

/// A correction not applied, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotApplied {
    pub file: String,
    pub code: String,
    pub action: String,
    pub why: String,
}

/// Why a correction is not applied; the words are a `NotApplied`'s `why`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum Refusal {
    #[error("the release already holds the code")]
    AlreadyHeld,
    #[error("no effective date to end the code the day before")]
    NoEffectiveDate,
    #[error("states no new value")]
    NoValue,
    #[error("puts the code back without its fields")]
    ReinstatedBare,
    #[error("words this tool does not read without guessing")]
    Unparsed,
    #[error("the release does not hold the code")]
    NotHeld,
    #[error("adds the code without its long description")]
    AddedBare,
    #[error("{field}: '{value}' is not a date")]
    NotADate { field: String, value: String },
    #[error("cannot set {0}")]
    NotSettable(String),
}

/// What `apply` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Corrections that changed the records (each also in the provenance).
    pub applied: usize,
    /// Corrections the release already agreed with.
    pub already: usize,
    pub not_applied: Vec<NotApplied>,
}

/// `snapshot` with the corrections of `files` applied, oldest version first (a later version
/// has the last word), and what became of each.
pub fn apply(snapshot: Snapshot, files: &[CorrectionsFile]) -> (Snapshot, Outcome) {
    let release = snapshot.release();
    let source = snapshot.provenance.source.clone();
    let mut records = snapshot.records;
    let mut applied = snapshot.provenance.applied_corrections;
    let mut outcome = Outcome::default();
    let mut ordered: Vec<&CorrectionsFile> = files.iter().collect();
    ordered.sort_by_key(|f| f.version);
    for file in ordered {
        for c in &file.corrections {
            let before = records.clone();
            match apply_one(&mut records, c) {
                Ok(()) if records == before => outcome.already += 1,
                Ok(()) => {
                    outcome.applied += 1;
                    applied.push(Applied {
                        file: file.name.clone(),
                        version: file.version,
                        at: c.at.clone(),
                        code: c.code.clone(),
                        action: c.action.clone(),
                    });
                }
                Err(why) => outcome.not_applied.push(NotApplied {
                    file: file.name.clone(),
                    code: c.code.clone(),
                    action: c.action.clone(),
                    why: why.to_string(),
                }),
            }
        }
    }
    let mut corrected = Snapshot::new(release, source, records);
    corrected.provenance.applied_corrections = applied;
    (corrected, outcome)
}

fn apply_one(records: &mut Vec<Record>, c: &Correction) -> Result<(), Refusal> {
    let at = records.iter().position(|r| r.code == c.code);
    match (c.class, at) {
        (Action::Add, None) => {
            let record = added(c)?;
            records.push(record);
            Ok(())
        }
        (Action::Add, Some(_)) => Err(Refusal::AlreadyHeld),
        (Action::Remove, Some(i)) => {
            records.remove(i);
            Ok(())
        }
        (Action::Terminate, Some(i)) => {
            if c.sets("termination_date").is_none() {
                return Err(Refusal::NoEffectiveDate);
            }
            set_all(&mut records[i], c)
        }
        (Action::DoNotTerminate, Some(i)) => {
            records[i].termination_date = None;
            Ok(())
        }
        (Action::Change | Action::ReviseDescription, Some(i)) => {
            if c.stated.is_empty() {
                return Err(Refusal::NoValue);
            }
            set_all(&mut records[i], c)
        }
        (Action::Reinstate, _) => Err(Refusal::ReinstatedBare),
        (Action::Unparsed, _) => Err(Refusal::Unparsed),
        (_, None) => Err(Refusal::NotHeld),
    }
}

/// Every value `c` states, set on `record`, or none if one cannot be.
fn set_all(record: &mut Record, c: &Correction) -> Result<(), Refusal> {
    let mut changed = record.clone();
    for s in &c.stated {
        set(&mut changed, s)?;
    }
    *record = changed;
    Ok(())
}

/// The record an "ADD CODE" row gives: it must state the long description.
fn added(c: &Correction) -> Result<Record, Refusal> {
    if c.sets("long_description").is_none() {
        return Err(Refusal::AddedBare);
    }
    let kind = if c.code.len() == 2 {
        Kind::Modifier
    } else {
        Kind::Procedure
    };
    let mut record = Record::new(c.code.clone(), kind);
    record.action_code = Some("A".to_string());
    record.action_effective_date = c.effective;
    for s in &c.stated {
        set(&mut record, s)?;
    }
    Ok(record)
}

/// Sets one field of `r` as `s` says.
fn set(r: &mut Record, s: &Stated) -> Result<(), Refusal> {
    let date = |v: &str| -> Result<Option<NaiveDate>, Refusal> {
        if v.is_empty() {
            return Ok(None);
        }
        NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| Refusal::NotADate {
                field: s.field.clone(),
                value: v.to_string(),
            })
    };
    let value = (s.op != Op::Exclude || !s.value.is_empty()).then(|| s.value.clone());
    let one = |slot: &mut Option<String>| match s.op {
        Op::Set | Op::Include => *slot = value.clone(),
        Op::Exclude => *slot = None,
    };
    let list = |slot: &mut Vec<String>| match s.op {
        Op::Set => *slot = s.value.split(';').map(str::to_string).collect(),
        Op::Include if !slot.contains(&s.value) => slot.push(s.value.clone()),
        Op::Include => {}
        Op::Exclude if s.value.is_empty() => slot.clear(),
        Op::Exclude => slot.retain(|v| *v != s.value),
    };
    let cleared = s.op == Op::Exclude;
    match s.field.as_str() {
        "long_description" => r.long_description = s.value.clone(),
        "short_description" => one(&mut r.short_description),
        "coverage" => one(&mut r.coverage),
        "betos" => one(&mut r.betos),
        "asc_payment_group" => one(&mut r.asc_payment_group),
        "action_code" => one(&mut r.action_code),
        "pricing_indicators" => list(&mut r.pricing_indicators),
        "types_of_service" => list(&mut r.types_of_service),
        "cross_references" => list(&mut r.cross_references),
        "lab_certifications" => list(&mut r.lab_certifications),
        "asc_effective_date" => r.asc_effective_date = if cleared { None } else { date(&s.value)? },
        "action_effective_date" => r.action_effective_date = date(&s.value)?,
        "termination_date" => r.termination_date = date(&s.value)?,
        "added_date" => r.added_date = date(&s.value)?,
        other => return Err(Refusal::NotSettable(other.to_string())),
    }
    Ok(())
}
