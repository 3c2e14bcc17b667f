//! Supplier compliance: the codes a supplier bills (a watch list, a catalogue, a claims
//! extract) judged against the stored releases. Each code gets its status in one release
//! (active, changed since the release before, terminated with what replaces it, not in the
//! release, unknown with the nearest real codes); each dated row gets whether the code was
//! valid on its date of service. Pure: snapshots and the user's rows in, an `Audit` out.

pub mod input;

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use chrono::NaiveDate;
use serde::Serialize;

use crate::diff::{self, FieldChange, Replacement};
use crate::model::fields::field;
use crate::model::{Kind, Record, ReleaseId, Snapshot};

pub use input::{Columns, Entry, Input, InputError};

/// A code's standing in the audited release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// In the release, not terminated, unchanged since the release before.
    Active,
    /// In the release and not terminated, but changed since the release before.
    Changed,
    /// The release gives it a termination date.
    Terminated,
    /// In an earlier stored release, not in this one.
    NotInRelease,
    /// In no stored release.
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Changed => "changed",
            Status::Terminated => "terminated",
            Status::NotInRelease => "not in release",
            Status::Unknown => "unknown",
        }
    }

    /// Whether a supplier must look at it.
    pub fn needs_attention(self) -> bool {
        self != Status::Active
    }
}

/// One distinct code of the user's file, judged in the audited release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeAudit {
    pub code: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    /// The long description in the audited release, or in the last release that had it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Pricing indicators, decoded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pricing: Vec<String>,
    /// Coverage, decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_date: Option<NaiveDate>,
    /// What changed since the release before (status `changed`, or with a termination).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    /// Not in the release before: new in this one (status `changed`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub new_in_release: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replacements: Vec<Replacement>,
    /// For a code not in the release: the last stored release that had it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_release: Option<ReleaseId>,
    /// For an unknown code: the nearest codes of the release, and why it is unknown.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// Whether a row's code was valid on its date of service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DateCheck {
    pub valid: bool,
    pub reason: String,
    /// The stored release in effect on that date, if the store has one.
    pub release: Option<ReleaseId>,
}

/// One line of the user's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub line: usize,
    /// The code as the file writes it.
    pub given: String,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modifier: Option<String>,
    /// A modifier that is not in the audited release.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modifier_problem: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Shared by every row of the same code and date.
    pub date_check: Option<Rc<DateCheck>>,
    /// The row's other columns, by name, in the file's order (names shared by every row).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "columns_as_map"
    )]
    pub columns: Vec<(Rc<str>, String)>,
}

fn columns_as_map<S: serde::Serializer>(
    columns: &[(Rc<str>, String)],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_map(columns.iter().map(|(k, v)| (k.as_ref(), v)))
}

impl Row {
    pub fn needs_attention(&self, code: &CodeAudit) -> bool {
        self.modifier_problem.is_some()
            || self.date_check.as_ref().is_some_and(|d| !d.valid)
            || (self.date_check.is_none() && code.status.needs_attention())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub codes: usize,
    pub active: usize,
    pub changed: usize,
    pub terminated: usize,
    pub not_in_release: usize,
    pub unknown: usize,
    pub rows: usize,
    /// Dated rows judged valid and not valid on their date of service.
    pub valid_on_date: usize,
    pub not_valid_on_date: usize,
}

/// The whole audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Audit {
    pub schema_version: u32,
    pub file: String,
    pub release: ReleaseId,
    /// The stored release before it, which `changed` is measured against.
    pub previous: Option<ReleaseId>,
    pub summary: Summary,
    /// Every distinct code, in code order.
    pub codes: Vec<CodeAudit>,
    pub rows: Vec<Row>,
}

impl Audit {
    pub fn code(&self, code: &str) -> Option<&CodeAudit> {
        self.codes
            .binary_search_by(|c| c.code.as_str().cmp(code))
            .ok()
            .map(|i| &self.codes[i])
    }

    /// Whether anything needs a supplier's attention (exit status 1).
    pub fn needs_attention(&self) -> bool {
        self.rows
            .iter()
            .any(|r| self.code(&r.code).is_some_and(|c| r.needs_attention(c)))
    }
}

/// Whether `code` has the shape of a HCPCS Level II code (a letter and four digits) or a
/// modifier (two letters or digits).
pub fn well_formed(code: &str) -> bool {
    diff::is_level_ii(code) || (code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Up to three codes of `snapshot` nearest to `code`, nearest first.
pub fn nearest(code: &str, snapshot: &Snapshot) -> Vec<String> {
    let codes: Vec<&str> = snapshot.records.iter().map(|r| r.code.as_str()).collect();
    diff::watch::nearest(code, &codes)
        .into_iter()
        .map(str::to_string)
        .collect()
}

fn decoded(key: &str, values: &[String]) -> Vec<String> {
    let def = field(key);
    values
        .iter()
        .map(|v| def.map_or(v.clone(), |d| d.describe(v)))
        .collect()
}

/// The stored releases an audit reads: every one, oldest first, and which is audited.
pub struct Releases<'a> {
    pub all: &'a [Snapshot],
    pub audited: usize,
}

impl Releases<'_> {
    fn audited(&self) -> &Snapshot {
        &self.all[self.audited]
    }

    fn previous(&self) -> Option<&Snapshot> {
        self.audited.checked_sub(1).map(|i| &self.all[i])
    }

    /// The newest stored release that has `code` (CMS's latest word on its dates).
    fn newest_with(&self, code: &str) -> Option<(&Snapshot, &Record)> {
        self.all
            .iter()
            .rev()
            .find_map(|s| s.get(code).map(|r| (s, r)))
    }

    /// The newest stored release in effect on `date`.
    fn in_effect(&self, date: NaiveDate) -> Option<&Snapshot> {
        self.all
            .iter()
            .rev()
            .find(|s| s.release().first_day() <= date)
    }
}

fn judge_code(code: &str, releases: &Releases) -> CodeAudit {
    let release = releases.audited();
    let mut audit = CodeAudit {
        code: code.to_string(),
        status: Status::Unknown,
        kind: None,
        description: None,
        pricing: Vec::new(),
        coverage: None,
        added_date: None,
        termination_date: None,
        changes: Vec::new(),
        new_in_release: false,
        replacements: Vec::new(),
        last_release: None,
        suggestions: Vec::new(),
        problem: None,
    };
    let Some((last, known)) = releases.newest_with(code) else {
        audit.suggestions = nearest(code, release);
        audit.problem = Some(if well_formed(code) {
            "in no stored release".to_string()
        } else {
            "not a HCPCS Level II code (a letter and four digits) or modifier (two characters)"
                .to_string()
        });
        return audit;
    };
    let record = release.get(code).unwrap_or(known);
    audit.kind = Some(record.kind);
    audit.description = Some(record.long_description.clone());
    audit.pricing = decoded("pricing_indicators", &record.pricing_indicators);
    audit.coverage = decoded(
        "coverage",
        &record.coverage.iter().cloned().collect::<Vec<_>>(),
    )
    .into_iter()
    .next();
    audit.added_date = known.added_date;
    audit.termination_date = known.termination_date;
    let Some(current) = release.get(code) else {
        audit.status = Status::NotInRelease;
        // The last stored release before this one that had it: gone since. A code only in
        // later releases is not "gone": it had not been added yet.
        let audited = release.release();
        let before = releases.all[..releases.audited]
            .iter()
            .rev()
            .find_map(|s| s.get(code).map(|r| (s.release(), r)));
        match before {
            Some((last, record)) => {
                audit.last_release = Some(last);
                audit.replacements = diff::replacements(record, release);
            }
            None => {
                let first = releases.all[releases.audited..]
                    .iter()
                    .find(|s| s.get(code).is_some())
                    .map_or(last.release(), Snapshot::release);
                audit.problem = Some(format!(
                    "not yet added in {audited}: first stored in {first}"
                ));
            }
        }
        return audit;
    };
    if let Some(before) = releases.previous() {
        audit.new_in_release = before.get(code).is_none();
        audit.changes = diff::compare(before.get(code), Some(current)).1;
    }
    audit.status = if current.is_terminated() {
        audit.replacements = diff::replacements(current, release);
        Status::Terminated
    } else if audit.changes.is_empty() && !audit.new_in_release {
        Status::Active
    } else {
        Status::Changed
    };
    audit
}

/// Whether `code` was valid on `date`: added on or before it and not terminated before it, by
/// CMS's dates in the newest stored release that has the code.
fn judge_date(code: &str, date: NaiveDate, releases: &Releases) -> DateCheck {
    let in_effect = releases.in_effect(date);
    let release = in_effect.map(Snapshot::release);
    let no_release = || match (in_effect, releases.all.first()) {
        (None, Some(oldest)) => format!(
            "; no stored release was in effect on {date} (the oldest is {}): judged by CMS's dates",
            oldest.release()
        ),
        _ => String::new(),
    };
    let Some((_, record)) = releases.newest_with(code) else {
        return DateCheck {
            valid: false,
            reason: "in no stored release".to_string(),
            release,
        };
    };
    let (valid, mut reason) = match (record.added_date, record.termination_date) {
        (Some(added), _) if date < added => {
            (false, format!("not yet added: CMS added it on {added}"))
        }
        (_, Some(end)) if date > end => (false, format!("terminated {end}")),
        (added, end) => (
            true,
            format!(
                "{}{}",
                added.map_or("no date added".to_string(), |a| format!("added {a}")),
                end.map_or(String::new(), |e| format!(", terminated {e}"))
            ),
        ),
    };
    if let Some(s) = in_effect
        && s.get(code).is_none()
    {
        reason.push_str(&format!(
            "; not in {} (in effect on that date)",
            s.release()
        ));
    }
    reason.push_str(&no_release());
    DateCheck {
        valid,
        reason,
        release,
    }
}

/// Judges every row of `input` against `releases`.
pub fn audit(file: &str, input: Input, releases: &Releases) -> Audit {
    let release = releases.audited();
    let mut codes: BTreeMap<String, CodeAudit> = BTreeMap::new();
    for e in &input.entries {
        if !codes.contains_key(&e.code) {
            codes.insert(e.code.clone(), judge_code(&e.code, releases));
        }
    }
    // Claims repeat a few codes and dates many times: each pair is judged once.
    let mut dates: HashMap<String, HashMap<NaiveDate, Rc<DateCheck>>> = HashMap::new();
    let names: Vec<Rc<str>> = input
        .extra_columns
        .iter()
        .map(|n| Rc::from(n.as_str()))
        .collect();
    let mut rows = Vec::with_capacity(input.entries.len());
    for e in input.entries {
        let date_check = e.date.as_ref().map(|&(_, d)| {
            let by_date = match dates.get_mut(&e.code) {
                Some(m) => m,
                None => dates.entry(e.code.clone()).or_default(),
            };
            Rc::clone(
                by_date
                    .entry(d)
                    .or_insert_with(|| Rc::new(judge_date(&e.code, d, releases))),
            )
        });
        let modifier_problem = e.modifier.as_ref().and_then(|m| {
            (release.get(m).is_none_or(|r| r.kind != Kind::Modifier))
                .then(|| format!("modifier {m} is not in release {}", release.release()))
        });
        rows.push(Row {
            line: e.line,
            given: e.given,
            code: e.code,
            modifier: e.modifier,
            modifier_problem,
            date: e.date.map(|(raw, _)| raw),
            date_check,
            columns: names.iter().cloned().zip(e.extra).collect(),
        });
    }
    let codes: Vec<CodeAudit> = codes.into_values().collect();
    let summary = summarize(&codes, &rows);
    Audit {
        schema_version: 1,
        file: file.to_string(),
        release: release.release(),
        previous: releases.previous().map(Snapshot::release),
        summary,
        codes,
        rows,
    }
}

fn summarize(codes: &[CodeAudit], rows: &[Row]) -> Summary {
    let mut s = Summary {
        codes: codes.len(),
        rows: rows.len(),
        ..Summary::default()
    };
    for c in codes {
        *match c.status {
            Status::Active => &mut s.active,
            Status::Changed => &mut s.changed,
            Status::Terminated => &mut s.terminated,
            Status::NotInRelease => &mut s.not_in_release,
            Status::Unknown => &mut s.unknown,
        } += 1;
    }
    for r in rows {
        match &r.date_check {
            Some(d) if d.valid => s.valid_on_date += 1,
            Some(_) => s.not_valid_on_date += 1,
            None => {}
        }
    }
    s
}

/// Whether `code` was valid on `date`, and the stored release in effect then (`show --on`).
/// `all` holds every stored release, oldest first, and is not empty.
pub fn on_date(code: &str, date: NaiveDate, all: &[Snapshot]) -> DateCheck {
    let releases = Releases {
        all,
        audited: all.len().saturating_sub(1),
    };
    judge_date(code, date, &releases)
}
