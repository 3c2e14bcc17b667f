//! Properties of the diff over generated releases: what any two releases must give, whatever
//! their records. The codes come from a small pool so that releases share most of them.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use proptest::prelude::*;

use super::{Change, Changeset, CodeChange, Filter, diff};
use crate::model::{Kind, Record, ReleaseId, Snapshot, SourceInfo};

const CODES: [&str; 10] = [
    "A0001", "A0002", "E0424", "E0431", "E1390", "G0001", "K0001", "AA", "GY", "RR",
];
const DESCRIPTIONS: [&str; 5] = [
    "Oxygen concentrator, rental",
    "OXYGEN CONCENTRATOR RENTAL",
    "Oxygen concentrator (6 ? 20 weeks)",
    "Oxygen concentrator (6-20 weeks)",
    "Wheelchair",
];

fn date(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 1, 1).unwrap()
}

/// A record of the code at `CODES[index]` with fields drawn from small pools.
fn record(index: usize) -> impl Strategy<Value = Record> {
    (
        0..DESCRIPTIONS.len(),
        proptest::option::of(0..DESCRIPTIONS.len()),
        proptest::sample::subsequence(vec!["11", "12", "13"], 0..3),
        proptest::option::of(2005..2008i32),
        proptest::option::of(1990..1992i32),
        proptest::option::of(proptest::sample::select(vec!["A", "C", "N", "D"])),
        proptest::option::of(proptest::sample::select(vec!["D1C", "O1A"])),
    )
        .prop_map(
            move |(long, short, pricing, terminated, added, action, betos)| {
                let code = CODES[index];
                let kind = if code.len() == 2 {
                    Kind::Modifier
                } else {
                    Kind::Procedure
                };
                let mut r = Record::new(code, kind);
                r.long_description = DESCRIPTIONS[long].to_string();
                r.short_description = short.map(|s| DESCRIPTIONS[s].to_string());
                r.pricing_indicators = pricing.into_iter().map(String::from).collect();
                r.termination_date = terminated.map(date);
                r.added_date = added.map(date);
                r.action_code = action.map(String::from);
                r.betos = betos.map(String::from);
                r
            },
        )
}

fn release(id: ReleaseId) -> impl Strategy<Value = Snapshot> {
    proptest::sample::subsequence((0..CODES.len()).collect::<Vec<_>>(), 0..=CODES.len())
        .prop_flat_map(|indices| indices.into_iter().map(record).collect::<Vec<_>>())
        .prop_map(move |records| {
            let source = SourceInfo {
                file: format!("generated {id}"),
                member: None,
                sha256: String::new(),
            };
            Snapshot::new(id, source, records)
        })
}

/// Two generated releases, 2005-01 and 2006-01 (not consecutive, so the dates are checked, not
/// CMS's action codes; either way the changes are the same). Most codes in both differ in one
/// field at most, as real releases do, so that single changes (a cosmetic one alone, a
/// termination date alone) come up often.
fn pair() -> impl Strategy<Value = (Snapshot, Snapshot)> {
    let id = |year| ReleaseId { year, month: 1 };
    (
        release(id(2005)),
        release(id(2006)),
        proptest::collection::vec(0..10usize, CODES.len()),
    )
        .prop_map(move |(a, b, picks)| {
            let records = b
                .records
                .iter()
                .zip(&picks)
                .map(|(new, &pick)| match a.get(&new.code) {
                    Some(old) if pick < 8 => one_field_from(old, new, pick),
                    _ => new.clone(),
                })
                .collect();
            let b = Snapshot::new(b.release(), b.provenance.source.clone(), records);
            (a, b)
        })
}

/// `old` with one field (the `pick`-th of those generated) taken from `new`; the 7th takes
/// none.
fn one_field_from(old: &Record, new: &Record, pick: usize) -> Record {
    let mut r = old.clone();
    match pick {
        0 => r.long_description = new.long_description.clone(),
        1 => r.short_description = new.short_description.clone(),
        2 => r.pricing_indicators = new.pricing_indicators.clone(),
        3 => r.termination_date = new.termination_date,
        4 => r.added_date = new.added_date,
        5 => r.action_code = new.action_code.clone(),
        6 => r.betos = new.betos.clone(),
        _ => {}
    }
    r
}

fn by_code(set: &Changeset) -> BTreeMap<&str, &CodeChange> {
    set.changes.iter().map(|c| (c.code.as_str(), c)).collect()
}

/// What a code's change must be, worked out from its two records alone.
fn expected(old: Option<&Record>, new: Option<&Record>) -> Option<Change> {
    let meaningful = |r: &Record| {
        let mut r = r.clone();
        r.action_code = None;
        r.action_effective_date = None;
        r
    };
    match (old, new) {
        (None, None) => None,
        (Some(_), None) => Some(Change::Dropped),
        (None, Some(_)) => Some(Change::Added),
        (Some(o), Some(n)) => match (o.termination_date, n.termination_date) {
            (None, Some(_)) => Some(Change::Retired),
            (Some(_), None) => Some(Change::Reinstated),
            _ if meaningful(o) != meaningful(n) => Some(Change::Changed),
            _ => None,
        },
    }
}

fn mirror(change: Change) -> Change {
    match change {
        Change::Added => Change::Dropped,
        Change::Dropped => Change::Added,
        Change::Retired => Change::Reinstated,
        Change::Reinstated => Change::Retired,
        Change::Changed => Change::Changed,
    }
}

fn filter() -> impl Strategy<Value = Filter> {
    (
        proptest::sample::subsequence(vec!["A", "E04", "G", "R"], 0..3),
        proptest::option::of(proptest::sample::select(vec![
            Kind::Procedure,
            Kind::Modifier,
        ])),
        proptest::sample::subsequence(Change::ALL.to_vec(), 0..3),
        any::<bool>(),
    )
        .prop_map(|(prefixes, kind, only, hide_cosmetic)| Filter {
            prefixes: prefixes.into_iter().map(String::from).collect(),
            kind,
            only,
            hide_cosmetic,
            ..Filter::default()
        })
}

proptest! {
    #[test]
    fn a_release_against_itself_has_no_changes(a in release(ReleaseId { year: 2005, month: 1 })) {
        let set = diff(&a, &a);
        prop_assert!(set.changes.is_empty(), "{:?}", set.changes);
    }

    /// Every code of either release is classified once at most, as its two records say, and
    /// the changes are in code order.
    #[test]
    fn every_code_is_classified_exactly_once((a, b) in pair()) {
        let set = diff(&a, &b);
        let codes: Vec<&str> = set.changes.iter().map(|c| c.code.as_str()).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        prop_assert_eq!(&codes, &sorted, "not in code order, or a code twice");
        let changes = by_code(&set);
        for code in CODES {
            let want = expected(a.get(code), b.get(code));
            prop_assert_eq!(changes.get(code).map(|c| c.change), want, "{}", code);
        }
    }

    /// OLD against NEW mirrors NEW against OLD: added and dropped, retired and reinstated swap;
    /// a changed code has the same fields with old and new values swapped.
    #[test]
    fn the_diff_both_ways_mirrors((a, b) in pair()) {
        let (ab, ba) = (diff(&a, &b), diff(&b, &a));
        let (forth, back) = (by_code(&ab), by_code(&ba));
        prop_assert_eq!(forth.keys().collect::<Vec<_>>(), back.keys().collect::<Vec<_>>());
        for (code, f) in &forth {
            let r = back[code];
            prop_assert_eq!(mirror(f.change), r.change, "{}", code);
            let fields = |c: &CodeChange| {
                c.fields
                    .iter()
                    .map(|x| {
                        let values = (x.old.clone(), x.new.clone());
                        let items = (x.added.clone(), x.removed.clone());
                        (x.field, values, items, x.cosmetic_reason)
                    })
                    .collect::<Vec<_>>()
            };
            let swapped: Vec<_> = fields(r)
                .into_iter()
                .map(|(k, (old, new), (added, removed), why)| (k, (new, old), (removed, added), why))
                .collect();
            prop_assert_eq!(fields(f), swapped, "{}", code);
        }
    }

    /// A filter only removes changes: what it keeps is the changes it covers, unchanged and in
    /// the same order.
    #[test]
    fn filters_only_remove((a, b) in pair(), filter in filter()) {
        let all = diff(&a, &b);
        let kept = filter.apply(all.clone());
        let want: Vec<&CodeChange> = all
            .changes
            .iter()
            .filter(|c| {
                (filter.prefixes.is_empty()
                    || filter.prefixes.iter().any(|p| c.code.starts_with(p.as_str())))
                    && filter.kind.is_none_or(|k| k == c.kind)
                    && (filter.only.is_empty() || filter.only.contains(&c.change))
                    && !(filter.hide_cosmetic
                        && c.change == Change::Changed
                        && c.fields.iter().all(|f| f.cosmetic))
            })
            .collect();
        prop_assert_eq!(kept.changes.iter().collect::<Vec<_>>(), want);
        for d in &kept.disagreements {
            prop_assert!(all.disagreements.contains(d), "a disagreement appeared: {:?}", d);
        }
    }
}
