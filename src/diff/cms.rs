//! Does CMS's action code in NEW say what the computed change says? Each action code (record
//! layout, field 30) promises a kind of change; a code whose change and action code do not
//! match is a disagreement, reported apart so reviewers see where CMS's bookkeeping and the
//! data part ways.
//!
//! Action codes describe the change from the previous quarterly release, so they are checked
//! only when OLD is NEW's previous quarter. Across a gap (or for the same release twice) only
//! what still holds is checked: an added code's date added is not before OLD took effect, and a
//! retired code's termination date falls between the two releases.

use chrono::NaiveDate;
use serde::Serialize;

use super::{Change, FieldChange};
use crate::model::codes::{ACTION, decode};
use crate::model::fields::Group;
use crate::model::{Record, ReleaseId};

/// Why a code's CMS action code (or, across a gap, its dates) does not say what its change
/// says; the words are a disagreement's reason in every report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    #[error("changed but has no CMS action code")]
    NoActionCode,
    #[error("added but {marked}")]
    Added { marked: String },
    #[error("termination date newly set but {marked}")]
    Retired { marked: String },
    #[error("termination date removed but {marked}")]
    Reinstated { marked: String },
    #[error("{marked} but already in OLD")]
    AlreadyInOld { marked: String },
    #[error("{marked} but its termination date did not change")]
    TerminationUnchanged { marked: String },
    #[error("{marked} but it was not discontinued in OLD")]
    NotDiscontinued { marked: String },
    #[error("{marked} but nothing changed")]
    NothingChanged { marked: String },
    #[error("{fields} changed but {marked}")]
    Fields { fields: String, marked: String },
    #[error("added but its date added ({date}) is before {old} took effect ({from})")]
    AddedBefore {
        date: NaiveDate,
        old: ReleaseId,
        from: NaiveDate,
    },
    #[error(
        "retired but its termination date ({date}) is not between {old} ({from}) and {new} ({to})"
    )]
    RetiredOutside {
        date: NaiveDate,
        old: ReleaseId,
        from: NaiveDate,
        new: ReleaseId,
        to: NaiveDate,
    },
}

/// How far CMS's action codes could be checked for a pair of releases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Agreement {
    /// Whether action codes were checked: NEW is the quarterly release right after OLD.
    pub checked: bool,
    /// Why they were not (across a gap, added and retired codes' dates are checked instead).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Agreement {
    pub fn of(old: ReleaseId, new: ReleaseId) -> Self {
        let reason = if old == new {
            "OLD and NEW are the same release".to_string()
        } else if old.next_quarter() == new {
            return Agreement {
                checked: true,
                reason: None,
            };
        } else {
            format!(
                "NEW's previous quarterly release is {}, not {old}",
                new.previous_quarter()
            )
        };
        Agreement {
            checked: false,
            reason: Some(reason),
        }
    }
}

/// The check across a gap: what an added or retired code's dates must say whatever happened
/// in the quarters between. Other changes are not checked.
pub fn check_gap(
    change: Option<Change>,
    record: &Record,
    old: ReleaseId,
    new: ReleaseId,
) -> Result<(), Mismatch> {
    let (from, to) = (old.first_day(), new.first_day());
    match change {
        Some(Change::Added) => match record.added_date {
            // CMS dates some codes back to the first day of the quarter they were added in
            // (G2168, G2169: 2020-01-01, first in 2020-04): the same day as OLD is no conflict.
            Some(date) if date < from => Err(Mismatch::AddedBefore { date, old, from }),
            _ => Ok(()),
        },
        Some(Change::Retired) => match record.termination_date {
            Some(date) if date < from || date >= to => Err(Mismatch::RetiredOutside {
                date,
                old,
                from,
                new,
                to,
            }),
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

fn named(action: &str) -> String {
    match decode(ACTION, action) {
        Some(meaning) => format!("marked {action} ({})", meaning.to_lowercase()),
        None => format!("marked {action} (not an action code CMS lists)"),
    }
}

fn changed(fields: &[&FieldChange], f: impl Fn(&FieldChange) -> bool) -> bool {
    fields.iter().any(|x| f(x))
}

/// The changed fields as a reason names them: `type of service, BETOS`.
fn named_fields(fields: &[&FieldChange]) -> String {
    let lower = |label: &str| {
        let mut c = label.chars();
        match (c.next(), c.next()) {
            (Some(a), Some(b)) if b.is_lowercase() => {
                a.to_lowercase().chain([b]).chain(c).collect()
            }
            _ => label.to_string(),
        }
    };
    let names: Vec<String> = fields.iter().map(|f| lower(f.label)).collect();
    names.join(", ")
}

/// `Ok` when `action` fits `change` with these field changes, else the reason it does not.
/// CMS marks some changes of case or punctuation (S, C) and not others (N): a change that is
/// cosmetic only fits N as well as the action its fields call for.
pub fn check(
    change: Option<Change>,
    fields: &[FieldChange],
    action: Option<&str>,
) -> Result<(), Mismatch> {
    let cosmetic_only = change == Some(Change::Changed) && fields.iter().all(|f| f.cosmetic);
    if cosmetic_only && action == Some("N") {
        return Ok(());
    }
    let fields: Vec<&FieldChange> = fields.iter().collect();
    let Some(action) = action else {
        return match change {
            None => Ok(()),
            Some(_) => Err(Mismatch::NoActionCode),
        };
    };
    let long = changed(&fields, |f| f.field == "long_description");
    let short = changed(&fields, |f| f.field == "short_description");
    let admin = changed(&fields, |f| f.group != Group::Description);
    let payment = changed(&fields, |f| f.group == Group::Payment);
    let service = changed(&fields, |f| f.group == Group::ServiceType);
    let marked = || named(action);
    let fields_changed = || Mismatch::Fields {
        fields: named_fields(&fields),
        marked: named(action),
    };
    let fits = match (change, action) {
        (Some(Change::Added), "A")
        | (Some(Change::Retired), "D")
        | (Some(Change::Reinstated), "R") => true,
        (None, "N") => true,
        (Some(Change::Added), _) => return Err(Mismatch::Added { marked: marked() }),
        (Some(Change::Retired), _) => return Err(Mismatch::Retired { marked: marked() }),
        (Some(Change::Reinstated), _) => {
            return Err(Mismatch::Reinstated { marked: marked() });
        }
        (_, "A") => return Err(Mismatch::AlreadyInOld { marked: marked() }),
        // A termination date moved (G0154 in 2017: 2015-12-31 to 2016-02-29) is CMS's D too.
        (Some(Change::Changed), "D") => changed(&fields, |f| f.field == "termination_date"),
        (_, "D") => return Err(Mismatch::TerminationUnchanged { marked: marked() }),
        (_, "R") => return Err(Mismatch::NotDiscontinued { marked: marked() }),
        (None, _) => return Err(Mismatch::NothingChanged { marked: marked() }),
        (Some(_), "N") => return Err(fields_changed()),
        (Some(_), "C") => long,
        (Some(_), "S") => short,
        (Some(_), "B") => long && admin,
        (Some(_), "F") => admin,
        (Some(_), "P") => payment,
        (Some(_), "T") => service,
        (Some(_), _) => false,
    };
    if fits { Ok(()) } else { Err(fields_changed()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(key: &'static str, group: Group) -> FieldChange {
        FieldChange {
            added: None,
            removed: None,
            field: key,
            label: crate::model::fields::field(key).map_or(key, |f| f.label),
            group,
            old: vec![],
            new: vec!["x".into()],
            cosmetic: false,
            cosmetic_reason: None,
        }
    }

    #[test]
    fn actions_that_fit_and_that_do_not() {
        assert!(check(Some(Change::Added), &[], Some("A")).is_ok());
        assert!(check(None, &[], Some("N")).is_ok());
        let pricing = [field("pricing_indicators", Group::Payment)];
        assert!(check(Some(Change::Changed), &pricing, Some("P")).is_ok());
        assert!(check(Some(Change::Changed), &pricing, Some("F")).is_ok());
        assert_eq!(
            check(Some(Change::Changed), &pricing, Some("N"))
                .unwrap_err()
                .to_string(),
            "pricing indicator changed but marked N (no maintenance for this code)"
        );
        assert_eq!(
            check(None, &[], Some("A")).unwrap_err().to_string(),
            "marked A (add procedure or modifier code) but already in OLD"
        );
        let mut recased = field("long_description", Group::Description);
        recased.cosmetic = true;
        recased.cosmetic_reason = Some(crate::diff::Cosmetic::Punctuation);
        assert!(check(Some(Change::Changed), &[recased], Some("N")).is_ok());
        assert_eq!(
            check(Some(Change::Changed), &pricing, Some("C"))
                .unwrap_err()
                .to_string(),
            "pricing indicator changed but marked C (change in long description)"
        );
    }

    #[test]
    fn reasons_name_fields_not_groups() {
        let service = [field("types_of_service", Group::ServiceType)];
        assert_eq!(
            check(Some(Change::Changed), &service, Some("N"))
                .unwrap_err()
                .to_string(),
            "type of service changed but marked N (no maintenance for this code)"
        );
        let both = [
            field("betos", Group::ServiceType),
            field("coverage", Group::Coverage),
        ];
        assert_eq!(
            check(Some(Change::Changed), &both, Some("P"))
                .unwrap_err()
                .to_string(),
            "BETOS, coverage changed but marked P (payment change (mog, pricing indicator codes, anesthesia base units, asc))"
        );
    }

    #[test]
    fn across_a_gap_only_dates_are_checked() {
        let id = |s: &str| s.parse::<ReleaseId>().unwrap();
        assert!(Agreement::of(id("2020-01"), id("2020-04")).checked);
        assert!(Agreement::of(id("2020-10"), id("2021-01")).checked);
        let gap = Agreement::of(id("2020-01"), id("2025-01"));
        assert!(!gap.checked);
        assert_eq!(
            gap.reason.unwrap(),
            "NEW's previous quarterly release is 2024-10, not 2020-01"
        );
        assert!(!Agreement::of(id("2019-01"), id("2019-01")).checked);
        let date = |s: &str| Some(s.parse::<chrono::NaiveDate>().unwrap());
        let mut r = Record::new("C9053", crate::model::Kind::Procedure);
        let (old, new) = (id("2020-01"), id("2025-01"));
        r.added_date = date("2020-01-01");
        assert!(check_gap(Some(Change::Added), &r, old, new).is_ok());
        r.added_date = date("2020-04-01");
        assert!(check_gap(Some(Change::Added), &r, old, new).is_ok());
        r.added_date = date("2006-01-01");
        assert_eq!(
            check_gap(Some(Change::Added), &r, old, new)
                .unwrap_err()
                .to_string(),
            "added but its date added (2006-01-01) is before 2020-01 took effect (2020-01-01)"
        );
        r.termination_date = date("2020-06-30");
        assert!(check_gap(Some(Change::Retired), &r, old, new).is_ok());
        r.termination_date = date("2025-03-31");
        assert!(check_gap(Some(Change::Retired), &r, old, new).is_err());
        assert!(check_gap(Some(Change::Changed), &r, old, new).is_ok());
    }
}
