//! Does CMS's action code in NEW say what the computed change says? Each action code (record
//! layout, field 30) promises a kind of change; a code whose change and action code do not
//! match is a disagreement, reported apart so reviewers see where CMS's bookkeeping and the
//! data part ways.

use super::{Change, FieldChange};
use crate::model::codes::{ACTION, decode};
use crate::model::fields::Group;

fn named(action: &str) -> String {
    match decode(ACTION, action) {
        Some(meaning) => format!("marked {action} ({})", meaning.to_lowercase()),
        None => format!("marked {action} (not an action code CMS lists)"),
    }
}

fn changed(fields: &[&FieldChange], f: impl Fn(&FieldChange) -> bool) -> bool {
    fields.iter().any(|x| f(x))
}

/// `Ok` when `action` fits `change` with these field changes, else the reason it does not.
/// CMS marks some changes of case or punctuation (S, C) and not others (N): a change that is
/// cosmetic only fits N as well as the action its fields call for.
pub fn check(
    change: Option<Change>,
    fields: &[FieldChange],
    action: Option<&str>,
) -> Result<(), String> {
    let cosmetic_only = change == Some(Change::Changed) && fields.iter().all(|f| f.cosmetic);
    if cosmetic_only && action == Some("N") {
        return Ok(());
    }
    let fields: Vec<&FieldChange> = fields.iter().collect();
    let Some(action) = action else {
        return match change {
            None => Ok(()),
            Some(_) => Err("changed but has no CMS action code".to_string()),
        };
    };
    let long = changed(&fields, |f| f.field == "long_description");
    let short = changed(&fields, |f| f.field == "short_description");
    let admin = changed(&fields, |f| f.group != Group::Description);
    let payment = changed(&fields, |f| f.group == Group::Payment);
    let service = changed(&fields, |f| f.group == Group::ServiceType);
    let groups = || {
        let mut g: Vec<&str> = fields.iter().map(|f| f.group.label()).collect();
        g.dedup();
        g.join(", ")
    };
    let fits = match (change, action) {
        (Some(Change::Added), "A")
        | (Some(Change::Retired), "D")
        | (Some(Change::Reinstated), "R") => true,
        (None, "N") => true,
        (Some(Change::Added), _) => return Err(format!("added but {}", named(action))),
        (Some(Change::Retired), _) => {
            return Err(format!("termination date newly set but {}", named(action)));
        }
        (Some(Change::Reinstated), _) => {
            return Err(format!("termination date removed but {}", named(action)));
        }
        (_, "A") => return Err(format!("{} but already in OLD", named(action))),
        // A termination date moved (G0154 in 2017: 2015-12-31 to 2016-02-29) is CMS's D too.
        (Some(Change::Changed), "D") => changed(&fields, |f| f.field == "termination_date"),
        (_, "D") => {
            return Err(format!(
                "{} but its termination date did not change",
                named(action)
            ));
        }
        (_, "R") => {
            return Err(format!(
                "{} but it was not discontinued in OLD",
                named(action)
            ));
        }
        (None, _) => return Err(format!("{} but nothing changed", named(action))),
        (Some(_), "N") => return Err(format!("{} changed but {}", groups(), named(action))),
        (Some(_), "C") => long,
        (Some(_), "S") => short,
        (Some(_), "B") => long && admin,
        (Some(_), "F") => admin,
        (Some(_), "P") => payment,
        (Some(_), "T") => service,
        (Some(_), _) => false,
    };
    if fits {
        Ok(())
    } else {
        Err(format!("{} changed but {}", groups(), named(action)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(key: &'static str, group: Group) -> FieldChange {
        FieldChange {
            field: key,
            label: key,
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
            check(Some(Change::Changed), &pricing, Some("N")).unwrap_err(),
            "payment changed but marked N (no maintenance for this code)"
        );
        assert_eq!(
            check(None, &[], Some("A")).unwrap_err(),
            "marked A (add procedure or modifier code) but already in OLD"
        );
        let mut recased = field("long_description", Group::Description);
        recased.cosmetic = true;
        recased.cosmetic_reason = Some(crate::diff::Cosmetic::Punctuation);
        assert!(check(Some(Change::Changed), &[recased], Some("N")).is_ok());
        assert_eq!(
            check(Some(Change::Changed), &pricing, Some("C")).unwrap_err(),
            "payment changed but marked C (change in long description)"
        );
    }
}
