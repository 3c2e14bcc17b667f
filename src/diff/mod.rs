//! Pure comparison: two snapshots in, one `Changeset` out. Decides what happened to each code
//! (added, retired, dropped, reinstated, changed) and which fields changed, marking description
//! changes of case, spacing or punctuation only as cosmetic. Formats nothing.

pub mod cms;
pub mod history;
pub mod watch;
pub mod words;

use serde::Serialize;

use crate::model::Snapshot;
use crate::model::fields::{FIELDS, Group};
use crate::model::{Kind, Record, ReleaseId};

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
    /// Only letter case, white space or punctuation differ.
    pub cosmetic: bool,
}

/// A code named in a retired or dropped code's cross-references, as it stands in NEW.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Replacement {
    pub code: String,
    /// `active`, `discontinued` (terminated in NEW) or `missing` (not in NEW).
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A code's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeChange {
    pub code: String,
    pub kind: Kind,
    pub change: Change,
    /// The description in NEW (OLD for a dropped code).
    pub description: String,
    pub fields: Vec<FieldChange>,
    /// For a retired or dropped code: its cross-reference codes ("use instead").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replacements: Vec<Replacement>,
    /// CMS's action code in NEW.
    pub action_code: Option<String>,
    /// Whether CMS's action code (or, across a gap, its dates) says the same as the computed
    /// change; `None` where nothing could be checked (see `Changeset::cms_agreement`).
    pub cms_agrees: Option<bool>,
}

impl CodeChange {
    /// Whether every field change is cosmetic (a change a reviewer may collapse).
    pub fn is_cosmetic(&self) -> bool {
        self.change == Change::Changed && self.fields.iter().all(|f| f.cosmetic)
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
    pub source: String,
    pub codes: usize,
}

impl ReleaseInfo {
    fn of(s: &Snapshot) -> Self {
        ReleaseInfo {
            release: s.release(),
            source: s.provenance.source.display(),
            codes: s.provenance.counts.procedure + s.provenance.counts.modifier,
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
}

/// Text equal but for letter case, spacing and punctuation that carries no meaning (commas,
/// periods, colons, semicolons, quotes, brackets). Signs that do (`>` against `>=`, `%`, `-` in
/// `21-40`, `/` in `and/or`) count as wording.
pub fn cosmetic_only(a: &str, b: &str) -> bool {
    let key = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace() && !",.;:'\"`()[]".contains(*c))
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    a != b && key(a) == key(b)
}

fn field_changes(old: &Record, new: &Record) -> Vec<FieldChange> {
    FIELDS
        .iter()
        .filter(|f| f.group != Group::Bookkeeping)
        .filter_map(|f| {
            let (o, n) = ((f.values)(old), (f.values)(new));
            (o != n).then(|| {
                let cosmetic = f.group == Group::Description
                    && o.len() == 1
                    && n.len() == 1
                    && cosmetic_only(&o[0], &n[0]);
                FieldChange {
                    field: f.key,
                    label: f.label,
                    group: f.group,
                    old: o,
                    new: n,
                    cosmetic,
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

fn replacements(record: &Record, new: &Snapshot) -> Vec<Replacement> {
    record
        .cross_references
        .iter()
        .map(|code| {
            let target = new.get(code);
            let status = match target {
                Some(t) if t.is_terminated() => "discontinued",
                Some(_) => "active",
                None => "missing",
            };
            Replacement {
                code: code.clone(),
                status,
                description: target.map(|t| t.long_description.clone()),
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
                reason: reason.clone(),
            });
        }
        let Some(change) = change else { continue };
        let replacements = match change {
            Change::Retired | Change::Dropped => replacements(record, new),
            _ => Vec::new(),
        };
        changes.push(CodeChange {
            code: record.code.clone(),
            kind: record.kind,
            change,
            description: record.long_description.clone(),
            fields,
            replacements,
            action_code,
            cms_agrees: verdict.map(|v| v.is_ok()),
        });
    }
    Changeset {
        old: ReleaseInfo::of(old),
        new: ReleaseInfo::of(new),
        changes,
        cms_agreement: agreement,
        disagreements,
    }
}

/// Which changes a report covers.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub codes: Vec<String>,
    pub prefixes: Vec<String>,
    pub ranges: Vec<CodeRange>,
    pub kind: Option<Kind>,
    pub only: Vec<Change>,
    pub hide_cosmetic: bool,
    /// Every code and range the filters name (`codes`, `ranges`, watch entries), where each
    /// was given: checked against the releases by `check_names`.
    pub named: Vec<watch::Entry>,
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

impl std::str::FromStr for CodeRange {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim().to_ascii_uppercase();
        let (first, last) = s.split_once('-').unwrap_or((&s, &s));
        // HCPCS Level II: a letter and four digits, or a two-character modifier.
        let ok = |c: &str| {
            let b = c.as_bytes();
            match b.len() {
                5 => b[0].is_ascii_alphabetic() && b[1..].iter().all(u8::is_ascii_digit),
                2 => b.iter().all(u8::is_ascii_alphanumeric),
                _ => false,
            }
        };
        if !ok(first) || !ok(last) || first.len() != last.len() || first > last {
            return Err(format!(
                "'{s}' is not a code or a range of codes like E0424-E1406 (a code is a letter \
                 and four digits, a modifier two letters or digits)"
            ));
        }
        Ok(CodeRange {
            first: first.to_string(),
            last: last.to_string(),
        })
    }
}

impl Filter {
    /// Refuses a named code in neither release, or a range with no code of either: a mistyped
    /// watch must not read as "nothing changed". `codes`: every code of both releases.
    pub fn check_names<'a>(
        &self,
        codes: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), watch::WatchError> {
        if self.named.is_empty() {
            return Ok(());
        }
        let mut codes: Vec<&str> = codes.into_iter().collect();
        codes.sort_unstable();
        codes.dedup();
        watch::check_names(&self.named, &codes)
    }

    /// Whether `code` of `kind` is one the report is about.
    pub fn covers(&self, code: &str, kind: Kind) -> bool {
        let by_code = (self.codes.is_empty() && self.prefixes.is_empty() && self.ranges.is_empty())
            || self.codes.iter().any(|c| c == code)
            || self.prefixes.iter().any(|p| code.starts_with(p.as_str()))
            || self.ranges.iter().any(|r| r.contains(code));
        by_code && self.kind.is_none_or(|k| k == kind)
    }

    pub fn keeps(&self, c: &CodeChange) -> bool {
        self.covers(&c.code, c.kind)
            && (self.only.is_empty() || self.only.contains(&c.change))
            && !(self.hide_cosmetic && c.is_cosmetic())
    }

    pub fn apply(&self, mut set: Changeset) -> Changeset {
        set.changes.retain(|c| self.keeps(c));
        set.disagreements.retain(|d| {
            self.covers(&d.code, d.kind)
                && (self.only.is_empty() || d.change.is_some_and(|c| self.only.contains(&c)))
        });
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
    pub cosmetic: usize,
}

impl Changeset {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            *match c.change {
                Change::Added => &mut s.added,
                Change::Retired => &mut s.retired,
                Change::Dropped => &mut s.dropped,
                Change::Reinstated => &mut s.reinstated,
                Change::Changed => &mut s.changed,
            } += 1;
            s.cosmetic += usize::from(c.is_cosmetic());
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
