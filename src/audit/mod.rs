//! Supplier compliance: the codes a supplier bills (a watch list, a catalogue, a claims
//! extract) judged against the stored releases. Each code gets its status in one release
//! (active, changed since the release before, terminated with what replaces it, not in the
//! release, unknown with the nearest real codes); each dated row gets whether the code was
//! valid on its date of service. Pure: snapshots and the user's rows in, an `Audit` out.

pub mod input;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::diff::{self, FieldChange, Replacement};
use crate::model::codes;
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
    /// written once. `None` past the judge's bound ([`MAX_WORDED`]).
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

/// What a dated row of one code is judged by: CMS's dates in the newest stored release that
/// has the code (`None` when none has it), and which stored releases hold it. Worked out once
/// per code, so a row costs a look-up.
struct Known {
    dates: Option<(Option<NaiveDate>, Option<NaiveDate>)>,
    stored_in: Vec<bool>,
    /// Where in its [`Judge`]'s checks the check of the code's rows in each [`Slot`] is
    /// ([`NOT_KEPT`] where none is yet): every date of a slot gets the same.
    verdicts: Vec<u32>,
}

impl Known {
    fn of(code: &str, releases: &Releases) -> Known {
        Known {
            dates: releases
                .newest_with(code)
                .map(|(_, r)| (r.added_date, r.termination_date)),
            stored_in: releases.all.iter().map(|s| s.get(code).is_some()).collect(),
            verdicts: Vec::new(),
        }
    }
}

/// Where, among a code's verdicts, a date's lies: the release in effect on it and what decided
/// it (for one code, these make the whole verdict). A date before every stored release has
/// none: the date is in its words.
#[derive(Debug, Clone, Copy)]
struct Slot(usize);

impl Slot {
    fn of(why: Why, in_effect: Option<usize>) -> Option<Slot> {
        let why = match why {
            Why::NotStored => 0,
            Why::NotYetAdded(_) => 1,
            Why::Terminated(_) => 2,
            Why::Within(..) => 3,
        };
        in_effect.map(|i| Slot(i * 4 + why))
    }
}

/// Whether a code was valid on `date`: added on or before it and not terminated before it, by
/// CMS's dates in the newest stored release that has the code.
fn judge_date(known: &Known, date: NaiveDate, releases: &Releases) -> DateCheck {
    judge_date_in(known, date, releases).0
}

/// [`judge_date`], and where in `releases` the release in effect on `date` is.
fn judge_date_in(
    known: &Known,
    date: NaiveDate,
    releases: &Releases,
) -> (DateCheck, Option<usize>) {
    let in_effect = releases.in_effect(date);
    let mut check = DateCheck {
        valid: false,
        release: in_effect.map(|i| releases.all[i].release()),
        why: Why::NotStored,
        missing_from: None,
        before_oldest: None,
        worded: None,
    };
    if known.dates.is_none() {
        return (check, in_effect);
    }
    check.why = why_on(known.dates, date);
    check.valid = matches!(check.why, Why::Within(..));
    match in_effect {
        Some(i) => check.missing_from = (!known.stored_in[i]).then(|| releases.all[i].release()),
        None => check.before_oldest = releases.all.first().map(|o| (date, o.release())),
    }
    (check, in_effect)
}

/// What decides whether a code with CMS's `dates` (added, terminated; `None` when no stored
/// release has the code) was valid on `date`.
fn why_on(dates: Option<(Option<NaiveDate>, Option<NaiveDate>)>, date: NaiveDate) -> Why {
    match dates {
        None => Why::NotStored,
        Some((Some(added), _)) if date < added => Why::NotYetAdded(added),
        Some((_, Some(end))) if date > end => Why::Terminated(end),
        Some((added, end)) => Why::Within(added, end),
    }
}

/// What is wrong with `modifier` on a row: not in the release that applies (the one in effect on
/// the row's date of service, or the audited one for an undated row), or, by that release's
/// dates, not yet added or already terminated on the date.
fn modifier_problem(
    modifier: &str,
    date: Option<NaiveDate>,
    releases: &Releases,
) -> Option<(&'static str, String)> {
    modifier_trouble(modifier, date, releases).map(|(kind, words)| (kind, words()))
}

/// [`modifier_problem`]'s kind of problem, and its words only when asked for (counting a
/// claims extract's rows needs the kind alone).
fn modifier_trouble<'a>(
    modifier: &'a str,
    date: Option<NaiveDate>,
    releases: &'a Releases,
) -> Option<(&'static str, impl FnOnce() -> String + 'a)> {
    // The release that applies, and whether it was in effect on the date (`Some(false)`: the
    // oldest stored, none was).
    let (release, in_effect) = match date {
        None => (releases.audited(), None),
        Some(d) => match releases.in_effect(d) {
            Some(i) => (&releases.all[i], Some(true)),
            None => (releases.all.first()?, Some(false)),
        },
    };
    let id = release.release();
    let which = move || match (date, in_effect) {
        (Some(d), Some(true)) => format!(" (in effect on {d})"),
        (Some(d), _) => format!(" (the oldest stored: none was in effect on {d})"),
        _ => String::new(),
    };
    let record = release.get(modifier).filter(|r| r.kind == Kind::Modifier);
    let problem = match (record, date) {
        (None, _) => ModifierProblem::NotInRelease,
        (Some(_), None) => return None,
        (Some(record), Some(d)) => match (record.added_date, record.termination_date) {
            (Some(added), _) if d < added => ModifierProblem::NotYetAdded(d, added),
            (_, Some(end)) if d > end => ModifierProblem::Terminated(d, end),
            _ => return None,
        },
    };
    let words = move || match problem {
        ModifierProblem::NotInRelease => {
            format!("modifier {modifier} is not in release {id}{}", which())
        }
        ModifierProblem::NotYetAdded(d, added) => format!(
            "modifier {modifier} not yet added on {d}: CMS added it on {added} (release {id})"
        ),
        ModifierProblem::Terminated(d, end) => {
            format!("modifier {modifier} terminated {end}, before {d} (release {id})")
        }
    };
    Some((problem.kind(), words))
}

/// What is wrong with a row's modifier: (the date of service, and CMS's date beside it).
#[derive(Debug, Clone, Copy)]
enum ModifierProblem {
    NotInRelease,
    NotYetAdded(NaiveDate, NaiveDate),
    Terminated(NaiveDate, NaiveDate),
}

impl ModifierProblem {
    fn kind(self) -> &'static str {
        match self {
            ModifierProblem::NotInRelease => "modifier not in the release",
            ModifierProblem::NotYetAdded(..) => "modifier not yet added",
            ModifierProblem::Terminated(..) => "modifier terminated",
        }
    }
}

/// `check`'s reason in words and its verdict, from `worded` (the judge `judge`'s verdicts so
/// far) or added to it; past [`MAX_WORDED`] verdicts, `None` (put in words when asked).
fn word(
    worded: &mut FxHashMap<CheckKey, (Arc<str>, Numbered)>,
    judge: u32,
    check: &DateCheck,
) -> Option<(Arc<str>, Numbered)> {
    let key = check.key();
    if let Some(found) = worded.get(&key) {
        return Some(found.clone());
    }
    if worded.len() >= MAX_WORDED {
        return None;
    }
    let verdict = Numbered {
        judge,
        number: worded.len() as u32,
    };
    let words: Arc<str> = Arc::from(check.words());
    worded.insert(key, (Arc::clone(&words), verdict));
    Some((words, verdict))
}

/// `code` in one number, if it has at most 7 bytes: its bytes, and its length in the top byte.
fn packed(code: &str) -> Option<u64> {
    let bytes = code.as_bytes();
    (bytes.len() < 8).then(|| {
        let mut word = [0u8; 8];
        word[..bytes.len()].copy_from_slice(bytes);
        word[7] = bytes.len() as u8;
        u64::from_le_bytes(word)
    })
}

/// Judges the rows of the user's file, keeping what it learns of each code.
pub struct Judge<'a> {
    releases: &'a Releases<'a>,
    /// What is known of each code met, by its number.
    known: Vec<Known>,
    /// Codes' numbers: those of up to 7 bytes (nearly all) by their bytes in one number (see
    /// [`packed`]), others by themselves.
    short: FxHashMap<u64, u32>,
    long: FxHashMap<Box<str>, u32>,
    names: Vec<Arc<str>>,
    /// Reasons already put in words (see [`DateCheck::worded`]) and their verdicts' numbers,
    /// at most [`MAX_WORDED`].
    worded: FxHashMap<CheckKey, (Arc<str>, Numbered)>,
    /// This judge's number, which its verdicts carry.
    id: u32,
    /// The checks made of rows, one per code and [`Slot`] (see [`Known::verdicts`]).
    checks: Vec<DateCheck>,
    /// The last check of a date no [`Slot`] holds (before every stored release), or made
    /// past [`MAX_KEPT`].
    scratch: Option<DateCheck>,
}

/// Where a [`Judge`] keeps a row's check: among its checks, or in its scratch.
#[derive(Debug, Clone, Copy)]
enum Kept {
    At(usize),
    Scratch,
}

/// A [`Slot`] of a code's whose check is not kept yet.
const NOT_KEPT: u32 = u32::MAX;

/// How many checks a [`Judge`] keeps (one per code and [`Slot`] met, at most): past this,
/// a row's check is made anew each time, so memory stays bounded whatever the file (a few in
/// tests, so that they pass it).
const MAX_KEPT: usize = if cfg!(test) { 8 } else { 1 << 18 };

/// How many distinct reasons a [`Judge`] keeps in words: they are few (a code's dates, the
/// release in effect) but for a date before the oldest stored release, which is in the words.
const MAX_WORDED: usize = 1 << 16;

impl<'a> Judge<'a> {
    pub fn new(releases: &'a Releases<'a>, input: &Input) -> Judge<'a> {
        static JUDGES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        Judge {
            releases,
            id: JUDGES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            known: Vec::new(),
            short: FxHashMap::default(),
            long: FxHashMap::default(),
            worded: FxHashMap::default(),
            checks: Vec::new(),
            scratch: None,
            names: input
                .extra_columns
                .iter()
                .map(|n| Arc::from(n.as_str()))
                .collect(),
        }
    }

    /// The number of `code` among the codes met, what is known of it worked out on meeting it.
    fn number(&mut self, code: &str) -> usize {
        let found = match packed(code) {
            Some(key) => self.short.get(&key),
            None => self.long.get(code),
        };
        if let Some(&n) = found {
            return n as usize;
        }
        let n = self.known.len();
        self.known.push(Known::of(code, self.releases));
        match packed(code) {
            Some(key) => self.short.insert(key, n as u32),
            None => self.long.insert(Box::from(code), n as u32),
        };
        n
    }

    /// A line's code, by number, judged on its date: where its check is kept, made (with its
    /// reason in words, once for all the rows that share it) if it is not yet.
    fn judge_row(&mut self, code: &str, date: Option<NaiveDate>) -> (usize, Option<Kept>) {
        let n = self.number(code);
        let Some(date) = date else {
            return (n, None);
        };
        let releases = self.releases;
        let known = &mut self.known[n];
        let slot = Slot::of(why_on(known.dates, date), releases.in_effect(date));
        let Some(Slot(slot)) = slot else {
            let mut check = judge_date_in(known, date, releases).0;
            check.worded = word(&mut self.worded, self.id, &check);
            self.scratch = Some(check);
            return (n, Some(Kept::Scratch));
        };
        if let Some(&at) = known.verdicts.get(slot).filter(|&&at| at != NOT_KEPT) {
            return (n, Some(Kept::At(at as usize)));
        }
        let mut check = judge_date_in(known, date, releases).0;
        check.worded = word(&mut self.worded, self.id, &check);
        if self.checks.len() >= MAX_KEPT {
            self.scratch = Some(check);
            return (n, Some(Kept::Scratch));
        }
        if known.verdicts.len() <= slot {
            known.verdicts.resize(slot + 1, NOT_KEPT);
        }
        known.verdicts[slot] = self.checks.len() as u32;
        self.checks.push(check);
        (n, Some(Kept::At(self.checks.len() - 1)))
    }

    /// The check kept where [`Judge::judge_row`] said.
    fn kept(&self, kept: Option<Kept>) -> Option<&DateCheck> {
        match kept? {
            Kept::At(at) => self.checks.get(at),
            Kept::Scratch => self.scratch.as_ref(),
        }
    }

    /// A line's code, by number, judged on its date, and its modifier's problem if it has one.
    fn check(
        &mut self,
        code: &str,
        modifier: Option<&str>,
        date: Option<NaiveDate>,
    ) -> (Numbered, Option<DateCheck>, Option<(&'static str, String)>) {
        let (n, kept) = self.judge_row(code, date);
        let date_check = self.kept(kept).cloned();
        let modifier_problem = modifier.and_then(|m| modifier_problem(m, date, self.releases));
        (self.numbered(n), date_check, modifier_problem)
    }

    fn numbered(&self, n: usize) -> Numbered {
        Numbered {
            judge: self.id,
            number: n as u32,
        }
    }

    /// One line of the user's file, judged.
    fn row_of(
        &self,
        e: Entry,
        date_check: Option<DateCheck>,
        modifier_problem: Option<String>,
    ) -> Row {
        Row {
            line: e.line,
            given: e.given,
            code: e.code,
            modifier: e.modifier,
            modifier_problem,
            date: e.date.map(|(raw, _)| raw),
            date_check,
            columns: self.names.iter().cloned().zip(e.extra).collect(),
        }
    }

    /// The lines of `input`, judged, one at a time (the second pass, as a report is written);
    /// with `only_not_valid`, only the rows that are not valid, the others skipped before
    /// anything of them is copied.
    pub fn rows<'j>(
        &'j mut self,
        input: &'j Input,
        only_not_valid: bool,
    ) -> impl Iterator<Item = Result<Row, InputError>> + 'j {
        // A file that cannot be opened again is one error, then the end of the rows.
        let (lines, error) = match input.lines(self.releases.audited()) {
            Ok(lines) => (Some(lines), None),
            Err(e) => (None, Some(e)),
        };
        let rows = lines.map(|lines| self.rows_in(lines, only_not_valid));
        error.map(Err).into_iter().chain(rows.into_iter().flatten())
    }

    /// The rows of `lines` (of the whole file, or of one block of it), judged, as
    /// [`Judge::rows`] gives them.
    pub fn rows_in<'j>(
        &'j mut self,
        mut lines: input::Lines<'j>,
        only_not_valid: bool,
    ) -> impl Iterator<Item = Result<Row, InputError>> + 'j {
        std::iter::from_fn(move || {
            loop {
                let seen = match lines.advance()? {
                    Ok(seen) => seen,
                    Err(e) => return Some(Err(e)),
                };
                let (_, date_check, modifier_problem) =
                    self.check(&seen.code, seen.modifier.as_deref(), seen.date);
                if only_not_valid && !not_valid(date_check.as_ref(), modifier_problem.is_some()) {
                    continue;
                }
                let modifier_problem = modifier_problem.map(|(_, problem)| problem);
                return Some(Ok(self.row_of(
                    seen.to_entry(),
                    date_check,
                    modifier_problem,
                )));
            }
        })
    }

    /// Every row of `lines`, judged, handed to `each` as a view of the line read: nothing of
    /// it is copied (the CSV and JSON reports of a claims extract, millions of rows). The
    /// first line that cannot be read is the error.
    pub fn each_row(
        &mut self,
        mut lines: input::Lines<'_>,
        mut each: impl FnMut(&RowView<'_>),
    ) -> Result<(), InputError> {
        while let Some(seen) = lines.advance() {
            let seen = seen?;
            let (n, kept) = self.judge_row(&seen.code, seen.date);
            let modifier_problem = seen
                .modifier
                .as_deref()
                .and_then(|m| modifier_problem(m, seen.date, self.releases));
            let date_check = self.kept(kept);
            each(&RowView {
                code_number: Some(self.numbered(n)),
                line: seen.line,
                given: &seen.given,
                code: &seen.code,
                modifier: seen.modifier.as_deref(),
                modifier_problem: modifier_problem.as_ref().map(|(_, p)| p.as_str()),
                date: seen.written_date.as_deref(),
                date_check,
                columns: RowColumns::Read(&self.names, seen.extra),
            });
        }
        Ok(())
    }
}

/// How many distinct codes in no stored release an audit judges before it stops: every real
/// code is in the store, so more than this is a column that holds no codes (a claim number),
/// and each would cost a search for the nearest codes and memory that follows the file.
pub const MAX_UNKNOWN_CODES: usize = 10_000;

/// Judges every code of `input` against `releases` and counts its rows (the first pass over
/// the file). A line that cannot be read is an error naming it. Of the rows not valid, the
/// first `keep` are kept and returned (a report that lists no more than those needs no second
/// pass); no other row is.
pub fn audit(
    file: &str,
    input: &Input,
    releases: &Releases,
    keep: usize,
) -> Result<(Audit, Vec<Row>), InputError> {
    let release = releases.audited();
    let mut judge = Judge::new(releases, input);
    // Each distinct code judged once, its id its place in `codes`.
    let mut codes: Vec<CodeAudit> = Vec::new();
    let mut ids: FxHashMap<Box<str>, usize> = FxHashMap::default();
    let mut tally = Tally::default();
    let mut unknown = 0;
    let mut kept = Vec::new();
    let mut lines = input.lines(release)?;
    while let Some(seen) = lines.advance() {
        let seen = seen?;
        let (_, date_check, modifier_problem) =
            judge.check(&seen.code, seen.modifier.as_deref(), seen.date);
        let id = match ids.get(seen.code.as_ref()) {
            Some(&id) => id,
            None => {
                let judged = judge_code(&seen.code, releases);
                if judged.status == Status::Unknown {
                    unknown += 1;
                    if unknown > MAX_UNKNOWN_CODES {
                        return Err(InputError::Line {
                            file: input.name().to_string(),
                            line: seen.line,
                            problem: Box::new(input::LineProblem::TooManyUnknown {
                                code: seen.code.into_owned(),
                                limit: MAX_UNKNOWN_CODES,
                            }),
                        });
                    }
                }
                ids.insert(Box::from(seen.code.as_ref()), codes.len());
                codes.push(judged);
                codes.len() - 1
            }
        };
        let not_valid = tally.count(
            id,
            &codes[id],
            seen.date,
            date_check.as_ref().map(|d| (d.valid, d.kind())),
            modifier_problem.as_ref().map(|(kind, _)| *kind),
        );
        if !not_valid {
            continue;
        }
        if kept.len() < keep {
            let modifier_problem = modifier_problem.map(|(_, problem)| problem);
            kept.push(judge.row_of(seen.to_entry(), date_check, modifier_problem));
        }
    }
    Ok((tally.audit(file, releases, codes), kept))
}

/// The counts of an audit's rows, made as they are judged. The rows not valid are counted by
/// code id (a code's place among those judged), reason (a few) and month in quick tables, put
/// in order once at the end.
#[derive(Default)]
struct Tally {
    summary: Summary,
    by_code: Vec<usize>,
    by_reason: Vec<(&'static str, usize)>,
    by_month: FxHashMap<Option<(i32, u32)>, usize>,
}

impl Tally {
    /// Counts a row of the code of id `code` (judged as `judged`); whether it is not valid.
    /// `dated`: for a dated row, whether its code was valid on the date, and if not the kind
    /// of reason (see [`Why::counted`]).
    fn count(
        &mut self,
        code: usize,
        judged: &CodeAudit,
        date: Option<NaiveDate>,
        dated: Option<(bool, Option<&'static str>)>,
        modifier_problem: Option<&'static str>,
    ) -> bool {
        let summary = &mut self.summary;
        summary.rows += 1;
        match dated {
            Some((true, _)) => summary.valid_on_date += 1,
            Some(_) => summary.not_valid_on_date += 1,
            None => {}
        }
        let not_valid = modifier_problem.is_some() || dated.is_some_and(|(valid, _)| !valid);
        summary.rows_not_valid += usize::from(not_valid);
        summary.modifier_not_valid += usize::from(modifier_problem.is_some());
        summary.needs_attention |=
            not_valid || (dated.is_none() && judged.status.needs_attention());
        if not_valid {
            if self.by_code.len() <= code {
                self.by_code.resize(code + 1, 0);
            }
            self.by_code[code] += 1;
            let reasons = dated.and_then(|(_, kind)| kind).into_iter();
            for reason in reasons.chain(modifier_problem) {
                self.add_reason(reason, 1);
            }
            use chrono::Datelike;
            let month = date.map(|d| (d.year(), d.month()));
            *self.by_month.entry(month).or_default() += 1;
        }
        not_valid
    }

    fn add_reason(&mut self, reason: &'static str, n: usize) {
        match self.by_reason.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, all)) => *all += n,
            None => self.by_reason.push((reason, n)),
        }
    }

    /// Adds the counts of `other` (another part of the same rows).
    fn add(&mut self, other: Tally) {
        let (all, part) = (&mut self.summary, other.summary);
        all.rows += part.rows;
        all.valid_on_date += part.valid_on_date;
        all.not_valid_on_date += part.not_valid_on_date;
        all.modifier_not_valid += part.modifier_not_valid;
        all.rows_not_valid += part.rows_not_valid;
        all.needs_attention |= part.needs_attention;
        if self.by_code.len() < other.by_code.len() {
            self.by_code.resize(other.by_code.len(), 0);
        }
        for (all, n) in self.by_code.iter_mut().zip(other.by_code) {
            *all += n;
        }
        for (reason, n) in other.by_reason {
            self.add_reason(reason, n);
        }
        for (month, n) in other.by_month {
            *self.by_month.entry(month).or_default() += n;
        }
    }

    /// The audit of `codes` (in id order) with these counts.
    fn audit(self, file: &str, releases: &Releases, mut codes: Vec<CodeAudit>) -> Audit {
        let not_valid_rows = Breakdown {
            by_code: codes
                .iter()
                .zip(self.by_code)
                .filter(|&(_, n)| n > 0)
                .map(|(c, n)| (c.code.clone(), n))
                .collect(),
            by_reason: self.by_reason.into_iter().collect(),
            by_month: self.by_month.into_iter().collect(),
        };
        codes.sort_unstable_by(|a, b| a.code.cmp(&b.code));
        let mut summary = self.summary;
        count_codes(&mut summary, &codes);
        Audit {
            schema_version: 1,
            file: file.to_string(),
            release: releases.audited().release(),
            previous: releases.previous().map(Snapshot::release),
            summary,
            codes,
            not_valid_rows,
        }
    }
}

/// How many surveyed rows one thread counts at a time (a few in tests, so that the parts'
/// counts are added up there too).
const COUNTED_AT_ONCE: usize = if cfg!(test) { 16 } else { 1 << 18 };

/// The audit [`audit`] makes of a CSV, made from its survey (every row's code, modifier and
/// date, read once) without reading the file again; `None` when the survey does not hold
/// every row, found a row that does not read, or names more than [`MAX_UNKNOWN_CODES`]
/// unknown codes: [`audit`] then reads the file and says which line is wrong.
pub fn audit_surveyed(file: &str, survey: &input::Survey, releases: &Releases) -> Option<Audit> {
    let rows = survey.rows.as_ref().filter(|_| survey.clean)?;
    let judged: Vec<CodeAudit> = survey
        .codes
        .iter()
        .map(|code| judge_code(code, releases))
        .collect();
    let unknown = judged
        .iter()
        .filter(|c| c.status == Status::Unknown)
        .count();
    if unknown > MAX_UNKNOWN_CODES {
        return None;
    }
    // CMS's dates of each code in the newest stored release that has it (`None`: none has).
    let dates: Vec<_> = survey
        .codes
        .iter()
        .map(|code| {
            releases
                .newest_with(code)
                .map(|(_, r)| (r.added_date, r.termination_date))
        })
        .collect();
    // Counted on every core, a part of the rows each, the parts' counts added up after.
    let parts = crate::par::map(&rows.chunks(COUNTED_AT_ONCE).collect::<Vec<_>>(), |rows| {
        let mut tally = Tally::default();
        for row in *rows {
            let code = row.code as usize;
            let dated = row.date.map(|date| why_on(dates[code], date).counted());
            let modifier_problem = survey
                .modifiers
                .get(row.modifier as usize)
                .and_then(|m| modifier_trouble(m, row.date, releases))
                .map(|(kind, _)| kind);
            tally.count(code, &judged[code], row.date, dated, modifier_problem);
        }
        tally
    });
    let mut tally = Tally::default();
    for part in parts {
        tally.add(part);
    }
    Some(tally.audit(file, releases, judged))
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

fn count_codes(s: &mut Summary, codes: &[CodeAudit]) {
    s.codes = codes.len();
    for c in codes {
        *match c.status {
            Status::Active => &mut s.active,
            Status::Changed => &mut s.changed,
            Status::Terminated => &mut s.terminated,
            Status::NotInRelease => &mut s.not_in_release,
            Status::Unknown => &mut s.unknown,
        } += 1;
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::list::ListFile;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn release(id: &str, codes: &[(&str, Option<&str>, Option<&str>)]) -> Snapshot {
        release_for_tests(id, codes)
    }

    proptest::proptest! {
        /// The counts made from a survey of a CSV (no second reading) are the counts the
        /// judging pass makes, whatever the rows: codes in one release, both, none, added or
        /// terminated around the date; modifiers known, unknown, terminated; dates before the
        /// oldest release.
        #[test]
        fn counts_from_a_survey_are_the_counts_of_the_judging_pass(
            rows in proptest::collection::vec((0..6usize, 0..4usize, 0..7000u32), 1..120),
            audited in 0..2usize,
        ) {
            let all = [
                release("2016-01", &[
                    ("E0424", Some("1990-01-01"), None),
                    ("E0431", Some("2016-01-01"), Some("2017-12-31")),
                    ("K0001", Some("1994-01-01"), None),
                    ("RR", Some("1990-01-01"), None),
                    ("NU", Some("2016-01-01"), Some("2018-06-30")),
                ]),
                release("2020-01", &[
                    ("E0424", Some("1990-01-01"), None),
                    ("E1392", Some("2019-04-01"), None),
                    ("K0001", Some("1994-01-01"), Some("2019-12-31")),
                    ("RR", Some("1990-01-01"), None),
                ]),
            ];
            let codes = ["E0424", "E0431", "E1392", "J9999", "K0001", "e1392"];
            let modifiers = ["", "RR", "XX", "NU"];
            let mut text = String::from("claim,HCPCS,MOD,DOS\n");
            for (i, (code, modifier, day)) in rows.iter().enumerate() {
                let d = date("2012-01-01") + chrono::Days::new(u64::from(*day));
                text.push_str(&format!("c{i},{},{},{d}\n", codes[*code], modifiers[*modifier]));
            }
            let list = ListFile::from_bytes("claims.csv", text.as_bytes()).unwrap();
            let columns = Columns { code: None, date: Some("DOS".into()) };
            let input = input::read(list, &columns).unwrap();
            let survey = input.survey().unwrap().unwrap();
            let releases = Releases::new(&all, audited);
            let surveyed = audit_surveyed("claims.csv", &survey, &releases).unwrap();
            let (judged, _) = audit("claims.csv", &input, &releases, 0).unwrap();
            proptest::prop_assert_eq!(surveyed, judged);
        }
    }
}
