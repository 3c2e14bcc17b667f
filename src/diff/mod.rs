//! Pure comparison: two snapshots in, one `Changeset` out. Decides what happened to each code
//! (added, retired, dropped, reinstated, changed) and which fields changed, marking description
//! changes of case, spacing or punctuation only as cosmetic. Formats nothing.

pub mod cms;
pub mod context;
pub mod corrections;
pub mod history;
pub mod redefined;
pub mod watch;
pub mod words;

use chrono::NaiveDate;
use serde::Serialize;

use crate::model::Snapshot;
use crate::model::fields::{FIELDS, Group};
use crate::model::sections::{self, CodeSection};
use crate::model::{Kind, Record, ReleaseId, codes};

/// What happened to a code between two releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// In NEW, not in OLD.
    Added,
    /// A termination date newly set: CMS discontinued it.
    Retired,
    /// No longer in the file at all.
    Dropped,
    /// Termination date removed.
    Reinstated,
    /// Fields changed.
    Changed,
}

impl Change {
    pub const ALL: [Change; 5] = [
        Change::Added,
        Change::Retired,
        Change::Dropped,
        Change::Reinstated,
        Change::Changed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Retired => "retired",
            Change::Dropped => "dropped",
            Change::Reinstated => "reinstated",
            Change::Changed => "changed",
        }
    }
}

/// One field's old and new values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: &'static str,
    pub label: &'static str,
    pub group: Group,
    pub old: Vec<String>,
    pub new: Vec<String>,
    /// For a field of values (every field but the descriptions): the values in NEW, not in
    /// OLD, and those in OLD, not in NEW, item by item. Absent for a description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed: Option<Vec<String>>,
    /// The change carries no meaning (see `Cosmetic`).
    pub cosmetic: bool,
    /// Why it carries none, when `cosmetic`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cosmetic_reason: Option<Cosmetic>,
}

/// Why a description change carries no meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Cosmetic {
    /// Letter case, white space or punctuation only.
    Punctuation,
    /// A character that a Windows-1252 export loses (`?` where the other release has a dash,
    /// a quote or a symbol) or a damaged byte misreads (`ParkinsonÆs` for `Parkinson's`), or
    /// spacing around a dash.
    Encoding,
}

impl Cosmetic {
    /// The reason in words, for reports.
    pub fn reason(self) -> &'static str {
        match self {
            Cosmetic::Punctuation => "letter case, spacing or punctuation only",
            Cosmetic::Encoding => {
                "encoding only: '?' or a misread letter where the other release has a dash, quote or symbol (characters a Windows-1252 export loses or damages), or spacing around a dash"
            }
        }
    }
}

/// A code named in a retired or dropped code's cross-references, as it stands in NEW.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Replacement {
    pub code: String,
    /// `active`, `discontinued` (terminated in NEW), `missing` (a Level II code not in NEW) or
    /// `outside_level_ii` (not a HCPCS Level II code: a CPT code such as 99493).
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// For a discontinued code: its own cross-references, followed until active codes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub then: Vec<Replacement>,
}

/// How far a chain of discontinued cross-references is followed; real chains are one or two
/// long, and a cycle stops at the first code met twice.
const MAX_CHAIN: usize = 8;

/// A code's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeChange {
    pub code: String,
    pub kind: Kind,
    /// The section of HCPCS Level II the code is in (its name in JSON); `None` (null) for a
    /// code outside every range `model::sections` knows.
    pub section: Option<&'static CodeSection>,
    pub change: Change,
    /// The description changed so far that the code now means something else (see
    /// `redefined`): listed before every other change.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub redefined: bool,
    /// The description in NEW (OLD for a dropped code).
    pub description: String,
    pub fields: Vec<FieldChange>,
    /// For a retired or dropped code, or one added already terminated: its cross-reference
    /// codes ("use instead").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replacements: Vec<Replacement>,
    /// For an added code: CMS's date added, as NEW gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added_date: Option<NaiveDate>,
    /// For an added code that NEW already terminates: the termination date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_date: Option<NaiveDate>,
    /// CMS's action code in NEW.
    pub action_code: Option<String>,
    /// Whether CMS's action code (or, across a gap, its dates) says the same as the computed
    /// change; `None` where nothing could be checked (see `Changeset::cms_agreement`).
    pub cms_agrees: Option<bool>,
    /// The CMS corrections that account for this change (see `corrections::explain`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub explained_by: Vec<corrections::Explanation>,
    /// The code as it stands in NEW (OLD for a dropped code), for reports that show every
    /// code's dates, pricing and coverage. Not in the JSON changeset, which keeps its shape.
    #[serde(skip)]
    pub standing: Standing,
}

/// What a reviewer reads beside a code's change: its dates, pricing and coverage in the release
/// that has it last (NEW, or OLD for a dropped code).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Standing {
    /// CMS's date added.
    pub added_date: Option<NaiveDate>,
    /// CMS's action effective date, when it dates this change: for a code in both releases,
    /// only where it differs from OLD's (a date CMS left as it was belongs to an earlier
    /// action: E0210 gained a type of service in 2020-01 under its 2003 date).
    pub effective_date: Option<NaiveDate>,
    pub termination_date: Option<NaiveDate>,
    pub pricing_indicators: Vec<String>,
    pub coverage: Option<String>,
}

impl Standing {
    /// `record`'s standing, after `old` (the code in OLD, if there).
    pub fn between(old: Option<&Record>, record: &Record) -> Self {
        let dated = old.is_none_or(|o| o.action_effective_date != record.action_effective_date);
        Standing {
            added_date: record.added_date,
            effective_date: record.action_effective_date.filter(|_| dated),
            termination_date: record.termination_date,
            pricing_indicators: record.pricing_indicators.clone(),
            coverage: record.coverage.clone(),
        }
    }
}

impl CodeChange {
    /// Whether every field change is cosmetic (a change a reviewer may collapse).
    pub fn is_cosmetic(&self) -> bool {
        self.change == Change::Changed && self.fields.iter().all(|f| f.cosmetic)
    }

    /// For a code whose changes are all cosmetic, why: encoding if any of them is.
    pub fn cosmetic_reason(&self) -> Option<Cosmetic> {
        if !self.is_cosmetic() {
            return None;
        }
        self.fields.iter().filter_map(|f| f.cosmetic_reason).max()
    }
}

/// A code whose CMS action code in NEW does not match what changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disagreement {
    pub code: String,
    pub kind: Kind,
    /// The computed change, absent when nothing changed.
    pub change: Option<Change>,
    pub action_code: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseInfo {
    pub release: ReleaseId,
    /// Which revision of the release (1 = its first posting), when the caller compares
    /// revisions; the diff itself leaves it unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<u32>,
    pub source: String,
    pub codes: usize,
}

impl ReleaseInfo {
    fn of(s: &Snapshot) -> Self {
        ReleaseInfo {
            release: s.release(),
            revision: None,
            source: s.provenance.source.display(),
            codes: s.provenance.counts.procedure + s.provenance.counts.modifier,
        }
    }

    /// How reports name it: `2019-01`, or `2019-01@2` for a revision.
    pub fn label(&self) -> String {
        match self.revision {
            Some(n) => format!("{}@{n}", self.release),
            None => self.release.to_string(),
        }
    }
}

/// Everything that changed from OLD to NEW, in code order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changeset {
    pub old: ReleaseInfo,
    pub new: ReleaseInfo,
    pub changes: Vec<CodeChange>,
    /// Whether CMS's action codes were checked, and why not.
    pub cms_agreement: cms::Agreement,
    /// Codes whose CMS action code disagrees with the computed change (changed or not).
    pub disagreements: Vec<Disagreement>,
    /// Disagreements CMS's corrections account for: no longer counted as disagreements.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub explained_disagreements: Vec<Disagreement>,
    /// What the report covers beside its releases (see `context`).
    pub context: context::Context,
}

/// Text equal but for letter case, spacing and punctuation that carries no meaning (commas,
/// periods, colons, semicolons, quotes, brackets). Signs that do (`>` against `>=`, `%`, `-` in
/// `21-40`, `/` in `and/or`) count as wording.
pub fn cosmetic_only(a: &str, b: &str) -> bool {
    let key = |s: &str| {
        s.chars()
            .filter(|c| !(c.is_whitespace() || quiet(*c) || matches!(c, '\'' | '"')))
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    a != b && key(a) == key(b)
}

/// Characters a Windows-1252 text export writes as `?` or a workbook writes differently: dashes,
/// quotes and symbols.
const LOSSY: &[char] = &[
    '?', '\u{FFFD}', '-', '\u{2013}', '\u{2014}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}',
    '"', '\'', '\u{2022}', '\u{2026}', '\u{B0}', '\u{B1}', '\u{2264}', '\u{2265}', '\u{AE}',
    '\u{2122}', '\u{A9}', '\u{BD}', '\u{BC}', '\u{BE}', '\u{D7}', '\u{B5}',
];

/// What a Windows-1252 quote, dash, ellipsis or bullet byte (0x85, 0x91 to 0x97) reads as in
/// the DOS code pages 437 and 850, lower-cased: CMS's 2012 text and workbook have `ParkinsonÆs`
/// (0x92, `'`) and `östackedö` (0x94, `"`), which its 2013 files repaired. No HCPCS text holds
/// these letters (import warns of each).
const MISREAD: &[char] = &['à', 'æ', 'ô', 'ö', 'ò', 'û', 'ù'];

/// Text equal but for characters an encoding can lose or damage: where one side has `?` (or
/// U+FFFD, or a letter a damaged quote or dash byte reads as: `MISREAD`) the other has a dash,
/// quote or symbol, or the spacing around such a character differs. Letter case and
/// meaningless punctuation are ignored as in `cosmetic_only`.
pub fn encoding_only(a: &str, b: &str) -> bool {
    encoding_keys_equal(a, b) && (marks(a) != marks(b) || tight_dashes(a) == tight_dashes(b))
}

/// Punctuation that carries no meaning in both `cosmetic_only` and `encoding_only` (the former
/// also ignores quotes, which the latter counts as lossy).
fn quiet(c: char) -> bool {
    matches!(c, ',' | '.' | ';' | ':' | '`' | '(' | ')' | '[' | ']')
}

/// `c` is in `LOSSY` or `MISREAD`: the ASCII ones named, the rest looked up.
fn lossy(c: char) -> bool {
    if c.is_ascii() {
        matches!(c, '?' | '-' | '"' | '\'')
    } else {
        LOSSY.contains(&c) || MISREAD.contains(&c)
    }
}

/// The `?` marks (and what stands for them) in `s`, letter case ignored.
fn marks(s: &str) -> usize {
    (s.chars().flat_map(char::to_lowercase))
        .filter(|c| *c == '?' || *c == '\u{FFFD}' || MISREAD.contains(c))
        .count()
}

/// The first half of `encoding_only`: `a` and `b` differ, and read the same once each lossy
/// character is a mark, spacing around marks, letter case and meaningless punctuation ignored.
fn encoding_keys_equal(a: &str, b: &str) -> bool {
    const MARK: char = '\u{1}';
    let key = |s: &str| {
        let mut out = String::new();
        let mut space = false;
        for c in s.chars().flat_map(char::to_lowercase) {
            if lossy(c) {
                out.push(MARK);
                space = false;
            } else if c.is_whitespace() {
                space = true;
            } else if !quiet(c) {
                if space && !out.is_empty() && !out.ends_with(MARK) {
                    out.push(' ');
                }
                out.push(c);
                space = false;
            }
        }
        out
    };
    a != b && key(a) == key(b)
}

/// `s` without white space before or after its dashes.
fn tight_dashes(s: &str) -> String {
    let dash = |c: char| matches!(c, '-' | '\u{2013}' | '\u{2014}');
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    for c in s.chars() {
        if c.is_whitespace() {
            run.push(c);
            continue;
        }
        if !(dash(c) || out.ends_with(dash)) {
            out.push_str(&run);
        }
        run.clear();
        out.push(c);
    }
    if !out.ends_with(dash) {
        out.push_str(&run);
    }
    out
}

/// Why a change from `a` to `b` carries no meaning, if it carries none.
pub fn cosmetic_kind(a: &str, b: &str) -> Option<Cosmetic> {
    if a == b {
        None
    } else if tight_dashes(a) == tight_dashes(b) {
        Some(Cosmetic::Encoding)
    } else if cosmetic_only(a, b) {
        Some(Cosmetic::Punctuation)
    // `encoding_only`, whose last test (the dashes) failed above.
    } else if encoding_keys_equal(a, b) && marks(a) != marks(b) {
        Some(Cosmetic::Encoding)
    } else {
        None
    }
}

fn field_changes(old: &Record, new: &Record) -> Vec<FieldChange> {
    FIELDS
        .iter()
        .filter(|f| f.group != Group::Bookkeeping)
        .filter_map(|f| {
            let (o, n) = ((f.values)(old), (f.values)(new));
            (o != n).then(|| {
                let reason = (f.group == Group::Description && o.len() == 1 && n.len() == 1)
                    .then(|| cosmetic_kind(&o[0], &n[0]))
                    .flatten();
                let items = f.group != Group::Description;
                let missing = |a: &[String], b: &[String]| {
                    items.then(|| a.iter().filter(|v| !b.contains(v)).cloned().collect())
                };
                FieldChange {
                    field: f.key,
                    label: f.label,
                    group: f.group,
                    added: missing(&n, &o),
                    removed: missing(&o, &n),
                    old: o,
                    new: n,
                    cosmetic: reason.is_some(),
                    cosmetic_reason: reason,
                }
            })
        })
        .collect()
}

/// Pairs the records of two code-sorted lists by code.
fn align<'a>(a: &'a [Record], b: &'a [Record]) -> Vec<(Option<&'a Record>, Option<&'a Record>)> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x.code == y.code => {
                out.push((Some(x), Some(y)));
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x.code < y.code => {
                out.push((Some(x), None));
                i += 1;
            }
            (Some(x), None) => {
                out.push((Some(x), None));
                i += 1;
            }
            (_, y) => {
                out.push((None, y));
                j += 1;
            }
        }
    }
    out
}

/// The codes to use instead of `record` in `new`: its cross-references, discontinued ones
/// followed until active codes.
pub fn replacements(record: &Record, new: &Snapshot) -> Vec<Replacement> {
    let mut seen = vec![record.code.clone()];
    follow(&record.cross_references, new, &mut seen, 0)
}

fn follow(
    codes: &[String],
    new: &Snapshot,
    seen: &mut Vec<String>,
    depth: usize,
) -> Vec<Replacement> {
    codes
        .iter()
        .map(|code| {
            let target = new.get(code);
            let status = match target {
                Some(t) if t.is_terminated() => "discontinued",
                Some(_) => "active",
                None if codes::is_procedure_code(code) => "missing",
                None => "outside_level_ii",
            };
            let first_time = !seen.contains(code);
            seen.push(code.clone());
            let then = match target {
                Some(t) if t.is_terminated() && first_time && depth < MAX_CHAIN => {
                    follow(&t.cross_references, new, seen, depth + 1)
                }
                _ => Vec::new(),
            };
            Replacement {
                code: code.clone(),
                status,
                description: target.map(|t| t.long_description.clone()),
                then,
            }
        })
        .collect()
}

/// What happened to one code from `old` to `new` (either may be absent), and its field changes.
pub fn compare(old: Option<&Record>, new: Option<&Record>) -> (Option<Change>, Vec<FieldChange>) {
    match (old, new) {
        (Some(_), None) => (Some(Change::Dropped), Vec::new()),
        (None, Some(_)) => (Some(Change::Added), Vec::new()),
        // Most codes are identical from one release to the next: skip the field walk.
        (Some(x), Some(y)) if x == y => (None, Vec::new()),
        (Some(x), Some(y)) => {
            let fields = field_changes(x, y);
            let change = match (x.termination_date, y.termination_date) {
                (None, Some(_)) => Some(Change::Retired),
                (Some(_), None) => Some(Change::Reinstated),
                _ if !fields.is_empty() => Some(Change::Changed),
                _ => None,
            };
            (change, fields)
        }
        (None, None) => (None, Vec::new()),
    }
}

pub fn diff(old: &Snapshot, new: &Snapshot) -> Changeset {
    let mut changes = Vec::new();
    let mut disagreements = Vec::new();
    let agreement = cms::Agreement::of(old.release(), new.release());
    for pair in align(&old.records, &new.records) {
        let Some(record) = pair.1.or(pair.0) else {
            continue;
        };
        let (change, fields) = compare(pair.0, pair.1);
        // A dropped code has no record in NEW, so no CMS action code to check.
        let action_code = pair.1.and_then(|r| r.action_code.clone());
        let verdict = match pair.1 {
            Some(_) if agreement.checked => {
                Some(cms::check(change, &fields, action_code.as_deref()))
            }
            Some(r) if matches!(change, Some(Change::Added | Change::Retired)) => {
                Some(cms::check_gap(change, r, old.release(), new.release()))
            }
            Some(_) => None,
            None => Some(Ok(())),
        };
        if let Some(Err(reason)) = &verdict {
            disagreements.push(Disagreement {
                code: record.code.clone(),
                kind: record.kind,
                change,
                action_code: action_code.clone(),
                reason: reason.to_string(),
            });
        }
        let Some(change) = change else { continue };
        let added = pair.1.filter(|_| change == Change::Added);
        let terminated = added.and_then(|r| r.termination_date);
        let replacements = match change {
            Change::Retired | Change::Dropped => replacements(record, new),
            Change::Added if terminated.is_some() => replacements(record, new),
            _ => Vec::new(),
        };
        changes.push(CodeChange {
            code: record.code.clone(),
            kind: record.kind,
            section: sections::of(&record.code, record.kind),
            change,
            redefined: (pair.0.zip(pair.1))
                .is_some_and(|(o, n)| redefined::is_redefined(o, n, &fields)),
            description: record.long_description.clone(),
            fields,
            replacements,
            added_date: added.and_then(|r| r.added_date),
            termination_date: terminated,
            action_code,
            cms_agrees: verdict.map(|v| v.is_ok()),
            standing: Standing::between(pair.0, record),
            explained_by: Vec::new(),
        });
    }
    Changeset {
        old: ReleaseInfo::of(old),
        new: ReleaseInfo::of(new),
        changes,
        cms_agreement: agreement,
        disagreements,
        explained_disagreements: Vec::new(),
        context: context::Context::between(old.release(), new.release()),
    }
}

/// Which changes a report covers.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Every code and range the filters name (`--code`, `--range`, watch entries; a code is a
    /// range of one), where each was given: checked against the releases by `check_names`.
    pub named: Vec<watch::Entry>,
    pub prefixes: Vec<String>,
    /// `--section`: only codes of these sections (none: every section).
    pub sections: Vec<&'static CodeSection>,
    pub kind: Option<Kind>,
    pub only: Vec<Change>,
    pub hide_cosmetic: bool,
    /// The watch file the named codes came from, if any, for the report to name.
    pub watch: Option<context::WatchFile>,
}

/// An inclusive range of codes with the same letter, e.g. `E0424-E1406`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRange {
    pub first: String,
    pub last: String,
}

impl CodeRange {
    pub fn contains(&self, code: &str) -> bool {
        code.len() == self.first.len() && self.first.as_str() <= code && code <= self.last.as_str()
    }
}

/// Why a `--code`, `--range` or watch-list entry is not a [`CodeRange`]. clap shows it for
/// `--range` as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error(
        "'{}' is not a code or a range of codes like E0424-E1406 (a code is a letter and four digits, a modifier two letters or digits)",
        crate::read::list::shown(.0)
    )]
    NotARange(String),
    #[error(
        "'{given}' is reversed: its first code comes after its last (did you mean {last}-{first}?)"
    )]
    Reversed {
        given: String,
        first: String,
        last: String,
    },
}

impl std::str::FromStr for CodeRange {
    type Err = RangeError;
    fn from_str(s: &str) -> Result<Self, RangeError> {
        let s = s.trim().to_ascii_uppercase();
        let (first, last) = s.split_once('-').unwrap_or((&s, &s));
        if !codes::is_code(first) || !codes::is_code(last) || first.len() != last.len() {
            return Err(RangeError::NotARange(s));
        }
        if first > last {
            return Err(RangeError::Reversed {
                given: s.clone(),
                first: first.to_string(),
                last: last.to_string(),
            });
        }
        Ok(CodeRange {
            first: first.to_string(),
            last: last.to_string(),
        })
    }
}

impl Filter {
    /// Whether the filters name codes (by code, range or prefix) that `check_names` must find.
    pub fn names_codes(&self) -> bool {
        !self.named.is_empty() || !self.prefixes.is_empty()
    }

    /// Refuses a named code in neither release, a range with no code of either, or a prefix
    /// no code of either starts with: a mistyped watch must not read as "nothing changed".
    /// `codes`: every code of both releases.
    pub fn check_names<'a>(
        &self,
        codes: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), watch::WatchError> {
        if !self.names_codes() {
            return Ok(());
        }
        let mut codes: Vec<&str> = codes.into_iter().collect();
        codes.sort_unstable();
        codes.dedup();
        let mut problems = match watch::check_names(&self.named, &codes) {
            Ok(()) => Vec::new(),
            Err(e) => e.problems,
        };
        for p in &self.prefixes {
            if !codes.iter().any(|c| c.starts_with(p.as_str())) {
                problems.push(format!(
                    "--prefix {p}: no code of either release starts with it"
                ));
            }
        }
        problems.extend(self.outside_sections(&codes));
        if problems.is_empty() {
            Ok(())
        } else {
            Err(watch::WatchError { problems })
        }
    }

    /// A code, range or prefix given on the command line whose codes (of `codes`, every code
    /// of both releases) all lie outside the sections asked for can never be reported: the
    /// two filters contradict each other. (A watch file's entries are a standing list that
    /// `--section` narrows.)
    fn outside_sections(&self, codes: &[&str]) -> Vec<String> {
        if self.sections.is_empty() {
            return Vec::new();
        }
        let in_sections =
            |c: &&str| sections::of_code(c).is_some_and(|s| self.sections.contains(&s));
        let ids: Vec<&str> = self.sections.iter().map(|s| s.id).collect();
        let outside = |what: String| {
            format!(
                "{what}: none of its codes is in --section {}",
                ids.join(",")
            )
        };
        let mut problems = Vec::new();
        for e in &self.named {
            let flag = match e.origin {
                watch::Origin::Code => "--code",
                watch::Origin::Range => "--range",
                watch::Origin::Watch { .. } => continue,
            };
            let mut hits = codes.iter().filter(|c| e.range.contains(c)).peekable();
            if hits.peek().is_some() && !hits.any(&in_sections) {
                let name = match e.range.first == e.range.last {
                    true => e.range.first.clone(),
                    false => format!("{}-{}", e.range.first, e.range.last),
                };
                problems.push(outside(format!("{flag} {name}")));
            }
        }
        for p in &self.prefixes {
            let mut hits = codes
                .iter()
                .filter(|c| c.starts_with(p.as_str()))
                .peekable();
            if hits.peek().is_some() && !hits.any(&in_sections) {
                problems.push(outside(format!("--prefix {p}")));
            }
        }
        problems
    }

    /// Whether `code` of `kind` is one the report is about.
    pub fn covers(&self, code: &str, kind: Kind) -> bool {
        let by_code = (self.named.is_empty() && self.prefixes.is_empty())
            || self.named.iter().any(|e| e.range.contains(code))
            || self.prefixes.iter().any(|p| code.starts_with(p.as_str()));
        let by_section =
            self.sections.is_empty() || self.sections.iter().any(|s| s.holds(code, kind));
        by_code && by_section && self.kind.is_none_or(|k| k == kind)
    }

    pub fn keeps(&self, c: &CodeChange) -> bool {
        self.covers(&c.code, c.kind)
            && (self.only.is_empty() || self.only.contains(&c.change))
            && !(self.hide_cosmetic && c.is_cosmetic())
    }

    pub fn apply(&self, mut set: Changeset) -> Changeset {
        set.context.filters = context::Applied::of(self);
        set.changes.retain(|c| self.keeps(c));
        let keeps = |d: &Disagreement| {
            self.covers(&d.code, d.kind)
                && (self.only.is_empty() || d.change.is_some_and(|c| self.only.contains(&c)))
        };
        set.disagreements.retain(keeps);
        set.explained_disagreements.retain(keeps);
        set
    }
}

/// Counts by kind of change, and of cosmetic-only changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub added: usize,
    pub retired: usize,
    pub dropped: usize,
    pub reinstated: usize,
    pub changed: usize,
    /// Changed codes whose changes are all case, spacing or punctuation.
    pub cosmetic: usize,
    /// Changed codes whose changes are all cosmetic, one at least an encoding artefact.
    pub encoding: usize,
}

/// The counts of one section's changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SectionSummary {
    /// The section's name; null for codes outside every section `model::sections` knows.
    pub section: Option<&'static CodeSection>,
    /// Its range (`E0100-E9999`) or `modifiers`; null with the section.
    pub id: Option<&'static str>,
    #[serde(flatten)]
    pub counts: Summary,
}

impl SectionSummary {
    /// Changes of every kind.
    pub fn total(&self) -> usize {
        let c = &self.counts;
        c.added + c.retired + c.dropped + c.reinstated + c.changed
    }

    /// The section's name, or what a code outside every section is called.
    pub fn name(&self) -> &'static str {
        self.section.map_or(NO_SECTION, |s| s.name)
    }
}

/// What reports call the section of a code outside every range `model::sections` knows.
pub const NO_SECTION: &str = "No section (outside every range of HCPCS Level II this tool knows)";

impl Summary {
    fn count(&mut self, c: &CodeChange) {
        *match c.change {
            Change::Added => &mut self.added,
            Change::Retired => &mut self.retired,
            Change::Dropped => &mut self.dropped,
            Change::Reinstated => &mut self.reinstated,
            Change::Changed => &mut self.changed,
        } += 1;
        match c.cosmetic_reason() {
            Some(Cosmetic::Punctuation) => self.cosmetic += 1,
            Some(Cosmetic::Encoding) => self.encoding += 1,
            None => {}
        }
    }
}

impl Changeset {
    /// The counts by section of HCPCS Level II, in the sections' order, for the sections with
    /// changes; codes outside every section last, in a row of their own.
    pub fn by_section(&self) -> Vec<SectionSummary> {
        let mut rows: Vec<SectionSummary> = Vec::new();
        for c in &self.changes {
            let at = match rows.iter().position(|r| r.section == c.section) {
                Some(i) => i,
                None => {
                    rows.push(SectionSummary {
                        section: c.section,
                        id: c.section.map(|s| s.id),
                        counts: Summary::default(),
                    });
                    rows.len() - 1
                }
            };
            rows[at].counts.count(c);
        }
        rows.sort_by_key(|r| r.section.map_or(usize::MAX, |s| s.index()));
        rows
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            s.count(c);
        }
        s
    }
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    /// The ASCII characters `lossy` names without looking them up are exactly the ASCII ones
    /// of `LOSSY` and `MISREAD`, and every other character is looked up.
    #[test]
    fn lossy_is_the_lists() {
        for c in (0..0x3000).filter_map(char::from_u32) {
            assert_eq!(
                lossy(c),
                LOSSY.contains(&c) || MISREAD.contains(&c),
                "{c:?}"
            );
        }
    }

    #[test]
    fn cosmetic_means_case_space_and_punctuation_only() {
        assert!(cosmetic_only(
            "PORTABLE OXYGEN CONCENTRATOR, RENTAL",
            "Portable oxygen concentrator, rental"
        ));
        assert!(cosmetic_only("Oxygen, each", "Oxygen each"));
        assert!(!cosmetic_only(
            "Oxygen concentrator",
            "Oxygen concentrator, each"
        ));
        assert!(!cosmetic_only("same", "same"));
        assert!(!cosmetic_only(
            "Insert drug del implant, >4",
            "Insert drug del implant, >=4"
        ));
    }

    #[test]
    fn encoding_means_a_lost_character_or_spacing_around_a_dash() {
        let g2136 = "Behavioral counseling for obesity, at three months (6 ? 20 weeks)";
        assert_eq!(
            cosmetic_kind(
                g2136,
                "Behavioral counseling for obesity, at three months (6-20 weeks)"
            ),
            Some(Cosmetic::Encoding)
        );
        assert_eq!(
            cosmetic_kind("Patient?s home", "Patient\u{2019}s home"),
            Some(Cosmetic::Encoding)
        );
        assert_eq!(
            cosmetic_kind("21 - 40 units", "21-40 units"),
            Some(Cosmetic::Encoding)
        );
        // A quote byte CMS's 2012 files misread, repaired in 2013 (G8903, S2067).
        assert_eq!(
            cosmetic_kind("ParkinsonÆs Disease MG", "Parkinson's Disease MG"),
            Some(Cosmetic::Encoding)
        );
        assert_eq!(
            cosmetic_kind("Breast östackedö DIEP/GAP", "Breast \"stacked\" DIEP/GAP"),
            Some(Cosmetic::Encoding)
        );
        assert_eq!(
            cosmetic_kind("Breast \u{201C}stacked\u{201D}", "Breast östackedö"),
            Some(Cosmetic::Encoding)
        );
        // A misread letter against a letter, or where the other has nothing: wording.
        assert_eq!(cosmetic_kind("ParkinsonÆs", "Parkinsons"), None);
        assert_eq!(cosmetic_kind("ParkinsonÆs", "Parkinsonas"), None);
        // A dash that appears or goes, a different number, or wording: not encoding.
        assert_eq!(cosmetic_kind("21-40 units", "2140 units"), None);
        assert_eq!(cosmetic_kind("(6 ? 20 weeks)", "(6-21 weeks)"), None);
        assert_eq!(cosmetic_kind("dose ?", "dose >4"), None);
        assert_eq!(
            cosmetic_kind("OXYGEN, EACH", "Oxygen each"),
            Some(Cosmetic::Punctuation)
        );
    }
}
