//! Supplier compliance: the codes a supplier bills (a watch list, a catalogue, a claims
//! extract) judged against the stored releases. Each code gets its status in one release
//! (active, changed since the release before, terminated with what replaces it, not in the
//! release, unknown with the nearest real codes); each dated row gets whether the code was
//! valid on its date of service. Pure: snapshots and the user's rows in, an `Audit` out.
//! What the user's file says is read in `input`; rows are judged one at a time in `judge`, and
//! counted in `count`.

mod count;
pub mod input;
mod judge;
mod tally;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;

use crate::diff::{self, FieldChange, Replacement};
use crate::model::codes;
use crate::model::fields::field;
use crate::model::{Kind, Record, ReleaseId, Snapshot};

pub use count::{MAX_UNKNOWN_CODES, audit, audit_surveyed, surveyed_codes};
pub use input::{Columns, Entry, Input, InputError};
pub use judge::Judge;
use judge::{Known, judge_date};
pub use tally::Counts;

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

/// Whether a row's code was valid on its date of service. The reason is put in words only
/// when a report asks ([`DateCheck::reason`]): a claims extract has millions of rows, most of
/// them valid, which a text report never shows.
#[derive(Debug, Clone)]
pub struct DateCheck {
    pub valid: bool,
    /// The stored release in effect on that date, if the store has one.
    pub release: Option<ReleaseId>,
    why: Why,
    /// The release in effect on the date, when it does not hold the code.
    missing_from: Option<ReleaseId>,
    /// When no stored release was in effect: the date and the oldest stored release.
    before_oldest: Option<(NaiveDate, ReleaseId)>,
    /// The reason in words, when the rows of a report were judged ([`Judge::rows`]): the same
    /// few reasons come back on millions of rows, so each is written once and shared, with a
    /// number that tells it from the judge's other verdicts ([`DateCheck::verdict`]).
    worded: Option<(Arc<str>, Numbered)>,
}

impl PartialEq for DateCheck {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for DateCheck {}

/// What a [`DateCheck`]'s verdict and reason are made of.
type CheckKey = (
    bool,
    Option<ReleaseId>,
    Why,
    Option<ReleaseId>,
    Option<(NaiveDate, ReleaseId)>,
);

/// What decided a [`DateCheck`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Why {
    NotStored,
    NotYetAdded(NaiveDate),
    Terminated(NaiveDate),
    /// Valid: the dates added and terminated, where CMS gives them.
    Within(Option<NaiveDate>, Option<NaiveDate>),
}

impl Why {
    /// Whether a date so judged is valid, and if not, the kind of reason, for counting.
    fn counted(self) -> (bool, Option<&'static str>) {
        match self {
            Why::NotStored => (false, Some("in no stored release")),
            Why::NotYetAdded(_) => (false, Some("not yet added on the date")),
            Why::Terminated(_) => (false, Some("terminated before the date")),
            Why::Within(..) => (true, None),
        }
    }
}

impl DateCheck {
    fn key(&self) -> CheckKey {
        (
            self.valid,
            self.release,
            self.why,
            self.missing_from,
            self.before_oldest,
        )
    }

    /// What kind of reason makes it not valid, for counting; `None` when valid.
    pub fn kind(&self) -> Option<&'static str> {
        if self.valid {
            None
        } else {
            self.why.counted().1
        }
    }

    /// Why, in words: "terminated 2020-06-30", "added 2006-01-01; not in 2020-04 (in effect
    /// on that date)", ...
    pub fn reason(&self) -> Cow<'_, str> {
        match &self.worded {
            Some((worded, _)) => Cow::Borrowed(worded),
            None => Cow::Owned(self.words()),
        }
    }

    /// Which of its judge's verdicts (valid or not, reason, release in effect) this is: two
    /// checks with the same verdict are the same, so what a report writes of it can be
    /// written once. `None` past the judge's bound (`MAX_WORDED`, 65,536 verdicts).
    pub fn verdict(&self) -> Option<Numbered> {
        self.worded.as_ref().map(|&(_, verdict)| verdict)
    }

    fn words(&self) -> String {
        let mut reason = match self.why {
            Why::NotStored => return "in no stored release".to_string(),
            Why::NotYetAdded(added) => format!("not yet added: CMS added it on {added}"),
            Why::Terminated(end) => format!("terminated {end}"),
            Why::Within(added, end) => format!(
                "{}{}",
                added.map_or("no date added".to_string(), |a| format!("added {a}")),
                end.map_or(String::new(), |e| format!(", terminated {e}"))
            ),
        };
        if let Some(r) = self.missing_from {
            reason.push_str(&format!("; not in {r} (in effect on that date)"));
        }
        if let Some((date, oldest)) = self.before_oldest {
            reason.push_str(&format!(
                "; no stored release was in effect on {date} (the oldest is {oldest}): judged by CMS's dates"
            ));
        }
        reason
    }
}

impl Serialize for DateCheck {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut fields = s.serialize_struct("DateCheck", 3)?;
        fields.serialize_field("valid", &self.valid)?;
        fields.serialize_field("reason", &self.reason())?;
        fields.serialize_field("release", &self.release)?;
        fields.end()
    }
}

/// One of a [`Judge`]'s verdicts, or of the codes it judged, by number: the judge (each judge
/// made has its own number) and the verdict's or code's number among the judge's. Reports key
/// what they write once for many rows by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Numbered {
    judge: u32,
    number: u32,
}

impl Numbered {
    pub fn judge(self) -> u32 {
        self.judge
    }

    pub fn number(self) -> u32 {
        self.number
    }
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
    pub date_check: Option<DateCheck>,
    /// The row's other columns, by name, in the file's order (names shared by every row).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "columns_as_map"
    )]
    pub columns: Vec<(Arc<str>, String)>,
}

/// A judged row as the reports write it, borrowed: from a [`Row`], or from the line being read
/// ([`Judge::each_row`]).
pub struct RowView<'a> {
    /// The code's number among its judge's codes, for a row judged as it is read.
    pub code_number: Option<Numbered>,
    pub line: usize,
    pub given: &'a str,
    pub code: &'a str,
    pub modifier: Option<&'a str>,
    pub modifier_problem: Option<&'a str>,
    pub date: Option<&'a str>,
    pub date_check: Option<&'a DateCheck>,
    pub columns: RowColumns<'a>,
}

/// A row's other columns: a [`Row`]'s, or the names and the line's values.
#[derive(Clone, Copy)]
pub enum RowColumns<'a> {
    Owned(&'a [(Arc<str>, String)]),
    Read(&'a [Arc<str>], input::Extra<'a>),
}

impl<'a> RowColumns<'a> {
    /// Hands `each` each column's name and value, in the file's order (the CSV and JSON
    /// reports' way through millions of rows: no iterator to step through).
    pub fn each(self, mut each: impl FnMut(&str, &str)) {
        match self {
            RowColumns::Owned(columns) => {
                for (name, value) in columns {
                    each(name, value);
                }
            }
            RowColumns::Read(names, extra) => {
                for (name, value) in names.iter().zip(extra.values()) {
                    each(name, &value);
                }
            }
        }
    }

    pub fn is_empty(self) -> bool {
        match self {
            RowColumns::Owned(columns) => columns.is_empty(),
            RowColumns::Read(names, _) => names.is_empty(),
        }
    }
}

impl Row {
    /// The row as the reports write it.
    pub fn view(&self) -> RowView<'_> {
        RowView {
            code_number: None,
            line: self.line,
            given: &self.given,
            code: &self.code,
            modifier: self.modifier.as_deref(),
            modifier_problem: self.modifier_problem.as_deref(),
            date: self.date.as_deref(),
            date_check: self.date_check.as_ref(),
            columns: RowColumns::Owned(&self.columns),
        }
    }
}

fn columns_as_map<S: serde::Serializer>(
    columns: &[(Arc<str>, String)],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_map(columns.iter().map(|(k, v)| (k.as_ref(), v)))
}

impl Row {
    /// Whether the row itself is wrong: its code not valid on its date, or its modifier not in
    /// the release. Reports list these rows.
    pub fn not_valid(&self) -> bool {
        not_valid(self.date_check.as_ref(), self.modifier_problem.is_some())
    }

    pub fn needs_attention(&self, code: &CodeAudit) -> bool {
        needs_attention(self.not_valid(), self.date_check.as_ref(), code)
    }
}

fn not_valid(date_check: Option<&DateCheck>, modifier_problem: bool) -> bool {
    modifier_problem || date_check.is_some_and(|d| !d.valid)
}

/// A row needs attention when it is not valid, or, undated, when its code does.
fn needs_attention(not_valid: bool, date_check: Option<&DateCheck>, code: &CodeAudit) -> bool {
    not_valid || (date_check.is_none() && code.status.needs_attention())
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
    /// Rows whose modifier is not in the release that applies to them.
    pub modifier_not_valid: usize,
    /// Rows not valid (on their date, or for their modifier): the rows reports list.
    pub rows_not_valid: usize,
    /// Whether any row needs a supplier's attention (exit status 1).
    #[serde(skip)]
    pub needs_attention: bool,
}

/// The whole audit but its rows, which are many (a claims extract) and are judged again, one
/// at a time, as a report writes them ([`Judge::rows`]).
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
    /// The rows not valid, counted (JSON and CSV give the rows themselves).
    #[serde(skip)]
    pub not_valid_rows: Breakdown,
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
        self.summary.needs_attention
    }
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
    all: &'a [Snapshot],
    audited: usize,
    /// The day each release took effect (asked of every dated row).
    starts: Vec<NaiveDate>,
}

impl<'a> Releases<'a> {
    /// `all` oldest first, not empty; `audited` an index into it.
    pub fn new(all: &'a [Snapshot], audited: usize) -> Releases<'a> {
        Releases {
            all,
            audited,
            starts: all.iter().map(|s| s.release().first_day()).collect(),
        }
    }

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

    /// Where in `all` the newest stored release in effect on `date` is (releases are stored
    /// oldest first).
    fn in_effect(&self, date: NaiveDate) -> Option<usize> {
        let after = self.starts.partition_point(|&start| start <= date);
        after.checked_sub(1)
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
        audit.problem = Some(if codes::is_code(code) {
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

/// The rows not valid, counted by code, by reason and by month of service: what a report too
/// long to list every row says of them all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Breakdown {
    pub by_code: BTreeMap<String, usize>,
    /// A row not valid for two reasons (its date and its modifier) counts under both.
    pub by_reason: BTreeMap<&'static str, usize>,
    /// By `YYYY-MM` of the date of service; undated rows (a modifier) under `None`.
    pub by_month: BTreeMap<Option<(i32, u32)>, usize>,
}

/// Whether `code` was valid on `date`, and the stored release in effect then (`show --on`).
/// `all` holds every stored release, oldest first, and is not empty.
pub fn on_date(code: &str, date: NaiveDate, all: &[Snapshot]) -> DateCheck {
    let releases = Releases::new(all, all.len().saturating_sub(1));
    judge_date(&Known::of(code, &releases), date, &releases)
}

/// A release of `codes` (code, date added, date terminated; two characters make a modifier),
/// each described with words a CSV quotes, for tests.
#[cfg(test)]
pub(crate) fn release_for_tests(
    id: &str,
    codes: &[(&str, Option<&str>, Option<&str>)],
) -> Snapshot {
    let source = crate::model::SourceInfo {
        file: "r.txt".into(),
        member: None,
        sha256: String::new(),
    };
    let records = codes
        .iter()
        .map(|&(code, added, end)| {
            let kind = if code.len() == 2 {
                Kind::Modifier
            } else {
                Kind::Procedure
            };
            let mut r = Record::new(code, kind);
            r.long_description = format!("{code}, \"quoted\", with commas");
            r.added_date = added.and_then(|d| d.parse().ok());
            r.termination_date = end.and_then(|d| d.parse().ok());
            r
        })
        .collect();
    Snapshot::new(id.parse().unwrap(), source, records)
}
