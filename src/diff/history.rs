//! A code's timeline across stored releases: where it first appears and every release that
//! added, changed, retired, dropped or reinstated it. Pure: snapshots in, timeline out.

use chrono::NaiveDate;
use serde::Serialize;

use super::{Change, FieldChange, compare};
use crate::model::Snapshot;
use crate::model::sections::{self, CodeSection};
use crate::model::{Kind, ReleaseId};

/// One step in a code's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// In the oldest stored release that has it, with nothing stored before to compare with.
    FirstSeen,
    Added,
    Retired,
    Dropped,
    /// Back after being dropped, or its termination date removed.
    Reinstated,
    Changed,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::FirstSeen => "first stored",
            Step::Added => "added",
            Step::Retired => "retired",
            Step::Dropped => "dropped",
            Step::Reinstated => "reinstated",
            Step::Changed => "changed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub release: ReleaseId,
    pub step: Step,
    /// The step changed the description so far that the code now means something else (see
    /// `redefined`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub redefined: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
    /// CMS's action code in this release.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_code: Option<String>,
    /// CMS's date added, for the step that brings the code in (first stored, added,
    /// reinstated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added_date: Option<NaiveDate>,
    /// The termination date the code has in this release, for the step that retires it (or
    /// one that brings it in already terminated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct History {
    pub code: String,
    pub kind: Option<Kind>,
    /// The section of HCPCS Level II (its name in JSON); null for a code in no stored release
    /// or outside every range `model::sections` knows.
    pub section: Option<&'static CodeSection>,
    /// The description in the newest release that has the code.
    pub description: Option<String>,
    /// CMS's date added, in the newest release that has the code: when it entered the code
    /// set, which may be long before the oldest stored release.
    pub added_date: Option<NaiveDate>,
    /// The termination date in the newest release that has the code.
    pub termination_date: Option<NaiveDate>,
    /// Every release looked at, oldest first.
    pub releases: Vec<ReleaseId>,
    pub events: Vec<Event>,
    /// CMS's corrections to the stored releases that name the code, oldest release first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<KeptCorrection>,
}

/// A correction to a stored release, with the file it is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeptCorrection {
    pub release: ReleaseId,
    pub file: String,
    pub version: u32,
    #[serde(flatten)]
    pub correction: crate::model::correction::Correction,
}

/// The history of `code` across `snapshots` (oldest first).
pub fn history(code: &str, snapshots: &[Snapshot]) -> History {
    let mut events = Vec::new();
    let mut seen = false;
    let mut previous = None;
    let mut latest = None;
    for (i, snap) in snapshots.iter().enumerate() {
        let record = snap.get(code);
        let (change, fields) = compare(previous, record);
        let step = match change {
            _ if i == 0 && record.is_some() => Some(Step::FirstSeen),
            Some(Change::Added) if seen => Some(Step::Reinstated),
            Some(Change::Added) => Some(Step::Added),
            Some(Change::Retired) => Some(Step::Retired),
            Some(Change::Dropped) => Some(Step::Dropped),
            Some(Change::Reinstated) => Some(Step::Reinstated),
            Some(Change::Changed) => Some(Step::Changed),
            None => None,
        };
        if let Some(step) = step {
            let brings_in = matches!(step, Step::FirstSeen | Step::Added | Step::Reinstated);
            let ends = matches!(step, Step::Retired | Step::FirstSeen | Step::Added);
            let redefined = previous
                .zip(record)
                .is_some_and(|(o, n)| super::redefined::is_redefined(o, n, &fields));
            events.push(Event {
                release: snap.release(),
                step,
                redefined,
                fields,
                action_code: record.and_then(|r| r.action_code.clone()),
                added_date: record.and_then(|r| r.added_date).filter(|_| brings_in),
                termination_date: record.and_then(|r| r.termination_date).filter(|_| ends),
            });
        }
        seen |= record.is_some();
        if record.is_some() {
            latest = record;
        }
        previous = record;
    }
    History {
        code: code.to_string(),
        kind: latest.map(|r| r.kind),
        section: latest.and_then(|r| sections::of(&r.code, r.kind)),
        description: latest.map(|r| r.long_description.clone()),
        added_date: latest.and_then(|r| r.added_date),
        termination_date: latest.and_then(|r| r.termination_date),
        releases: snapshots.iter().map(Snapshot::release).collect(),
        events,
        corrections: Vec::new(),
    }
}
