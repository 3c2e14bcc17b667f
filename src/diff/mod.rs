//! Pure comparison: two snapshots in, one `Changeset` out. Decides what happened to each code
//! (added, retired, dropped, reinstated, changed) and which fields changed, marking description
//! changes of case, spacing or punctuation only as cosmetic. Formats nothing.

pub mod words;

use serde::Serialize;

use crate::model::fields::{FIELDS, Group};
use crate::model::{Kind, Record, ReleaseId};
use crate::store::Snapshot;

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

/// A code's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeChange {
    pub code: String,
    pub kind: Kind,
    pub change: Change,
    /// The description in NEW (OLD for a dropped code).
    pub description: String,
    pub fields: Vec<FieldChange>,
    /// CMS's action code in NEW.
    pub action_code: Option<String>,
}

impl CodeChange {
    /// A code that is only on one side: added or dropped, no field changes.
    fn whole(r: &Record, change: Change) -> Self {
        CodeChange {
            code: r.code.clone(),
            kind: r.kind,
            change,
            description: r.long_description.clone(),
            fields: Vec::new(),
            action_code: r.action_code.clone(),
        }
    }

    /// Whether every field change is cosmetic (a change a reviewer may collapse).
    pub fn is_cosmetic(&self) -> bool {
        self.change == Change::Changed && self.fields.iter().all(|f| f.cosmetic)
    }
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
            codes: s.records.len(),
        }
    }
}

/// Everything that changed from OLD to NEW, in code order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changeset {
    pub old: ReleaseInfo,
    pub new: ReleaseInfo,
    pub changes: Vec<CodeChange>,
}

/// Text equal but for case, spacing and punctuation.
pub fn cosmetic_only(a: &str, b: &str) -> bool {
    let key = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric())
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

pub fn diff(old: &Snapshot, new: &Snapshot) -> Changeset {
    let mut changes = Vec::new();
    let (mut i, mut j) = (0, 0);
    let (a, b) = (&old.records, &new.records);
    while i < a.len() || j < b.len() {
        let order = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) => x.code.cmp(&y.code),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        let change = match order {
            std::cmp::Ordering::Less => {
                i += 1;
                // A dropped code has no record in NEW, so no CMS action code either.
                Some(CodeChange {
                    action_code: None,
                    ..CodeChange::whole(&a[i - 1], Change::Dropped)
                })
            }
            std::cmp::Ordering::Greater => {
                j += 1;
                Some(CodeChange::whole(&b[j - 1], Change::Added))
            }
            std::cmp::Ordering::Equal => {
                let (x, y) = (&a[i], &b[j]);
                i += 1;
                j += 1;
                let fields = field_changes(x, y);
                let change = match (x.termination_date, y.termination_date) {
                    (None, Some(_)) => Some(Change::Retired),
                    (Some(_), None) => Some(Change::Reinstated),
                    _ if !fields.is_empty() => Some(Change::Changed),
                    _ => None,
                };
                change.map(|change| CodeChange {
                    code: y.code.clone(),
                    kind: y.kind,
                    change,
                    description: y.long_description.clone(),
                    fields,
                    action_code: y.action_code.clone(),
                })
            }
        };
        changes.extend(change);
    }
    Changeset {
        old: ReleaseInfo::of(old),
        new: ReleaseInfo::of(new),
        changes,
    }
}

/// Which changes a report covers.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub codes: Vec<String>,
    pub prefixes: Vec<String>,
    pub kind: Option<Kind>,
    pub only: Vec<Change>,
    pub hide_cosmetic: bool,
}

impl Filter {
    pub fn keeps(&self, c: &CodeChange) -> bool {
        let by_code = (self.codes.is_empty() && self.prefixes.is_empty())
            || self.codes.contains(&c.code)
            || self.prefixes.iter().any(|p| c.code.starts_with(p.as_str()));
        by_code
            && self.kind.is_none_or(|k| k == c.kind)
            && (self.only.is_empty() || self.only.contains(&c.change))
            && !(self.hide_cosmetic && c.is_cosmetic())
    }

    pub fn apply(&self, mut set: Changeset) -> Changeset {
        set.changes.retain(|c| self.keeps(c));
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
    }
}
