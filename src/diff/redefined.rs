//! Redefined codes: a description change whose old and new texts share little meaning, as
//! when CMS reuses a code for something else (G9890 went from a dilated macular exam to an
//! MDPP bridge payment in 2019).
//!
//! The measure: each side's long and short descriptions together become a set of word stems
//! (letters and digits, lower case, words of three characters or more that are not in
//! `STOP`, each cut to its first five characters so that `exam` and `examination`,
//! `medication` and `medications` meet). The overlap is the number of stems both sides share
//! over the size of the smaller set (a description that only grew keeps an overlap of 1). A
//! code is redefined when its long description changed, not cosmetically, and the overlap is
//! below `ALONE`, or below `WITH_CLASS` when its BETOS or types of service changed too.

use std::collections::BTreeSet;

use super::FieldChange;
use crate::model::Record;

/// Overlap below which a description change alone makes a code redefined.
pub const ALONE: f64 = 0.2;
/// Overlap below which a description change makes a code redefined when its BETOS or types
/// of service changed as well.
pub const WITH_CLASS: f64 = 0.4;

/// Words that say nothing of what a code is.
const STOP: &[&str] = &[
    "the",
    "and",
    "for",
    "with",
    "per",
    "not",
    "other",
    "than",
    "any",
    "all",
    "each",
    "includes",
    "including",
    "include",
    "only",
    "who",
    "which",
    "this",
    "that",
    "from",
    "into",
    "under",
    "over",
    "may",
    "use",
    "used",
    "are",
];

/// A description's word stems (see the module's documentation).
fn stems(texts: &[&str]) -> BTreeSet<String> {
    texts
        .iter()
        .flat_map(|t| t.split(|c: char| !c.is_alphanumeric()))
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 3 && !STOP.contains(&w.as_str()))
        .map(|w| w.chars().take(5).collect())
        .collect()
}

/// The share of word stems the two sides' descriptions have in common, from 0 to 1; `None`
/// where a side has no stem at all.
pub fn overlap(old: &[&str], new: &[&str]) -> Option<f64> {
    let (a, b) = (stems(old), stems(new));
    let smaller = a.len().min(b.len());
    (smaller > 0).then(|| a.intersection(&b).count() as f64 / smaller as f64)
}

fn texts(r: &Record) -> Vec<&str> {
    std::iter::once(r.long_description.as_str())
        .chain(r.short_description.as_deref())
        .collect()
}

/// Whether the change from `old` to `new`, whose field changes are `fields`, redefines the
/// code.
pub fn is_redefined(old: &Record, new: &Record, fields: &[FieldChange]) -> bool {
    let changed = |key: &str| fields.iter().any(|f| f.field == key && !f.cosmetic);
    if !changed("long_description") {
        return false;
    }
    let threshold = if changed("betos") || changed("types_of_service") {
        WITH_CLASS
    } else {
        ALONE
    };
    overlap(&texts(old), &texts(new)).is_some_and(|o| o < threshold)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_counts_shared_stems_over_the_smaller_side() {
        assert_eq!(
            overlap(&["Oxygen concentrator"], &["OXYGEN CONCENTRATORS, each"]),
            Some(1.0)
        );
        assert_eq!(
            overlap(&["Dilated macular exam"], &["Bridge payment"]),
            Some(0.0)
        );
        assert_eq!(overlap(&["of a"], &["Bridge payment"]), None);
        let half = overlap(&["Macular exam"], &["Exam of the eye"]).unwrap();
        assert!((half - 0.5).abs() < 1e-9, "{half}");
    }
}
