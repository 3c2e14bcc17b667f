//! Damaged characters in a fixed-width text: characters HCPCS text never holds (outside
//! printable ASCII and the typographic characters of `read::text::is_damaged`), such as 0xF6 and 0xC6 in CMS's 2012 text and 0xE1 in its 2013
//! text, where CMS's own workbook has `"`, `'` and a space. Each is reported; where the release
//! zip or folder holds the workbook too, and the workbook's value of the field differs from the
//! text's only at the damaged characters, the value is taken from the workbook.

use std::collections::BTreeMap;

use crate::error::Warning;
use crate::model::Record;
use crate::read::layout::{Field, spec_of};
use crate::read::text::is_damaged;
use crate::read::{self, Damage, Form};

/// Repairs `records` (read from a text) where the `companion` workbook allows, and returns a
/// warning for each damaged character, saying what became of it.
pub fn settle(
    damaged: &[Damage],
    records: &mut [Record],
    companion: Option<&(String, Form, Vec<u8>)>,
) -> Vec<Warning> {
    if damaged.is_empty() {
        return Vec::new();
    }
    let book = companion.and_then(|(name, form, bytes)| {
        let parsed = read::read(name, bytes, *form).ok()?;
        let records = super::normalize(name, parsed).ok()?.records;
        Some((name.as_str(), records))
    });
    let mut by_value: BTreeMap<(&str, Field), Vec<&Damage>> = BTreeMap::new();
    for d in damaged {
        by_value
            .entry((d.code.as_str(), d.field))
            .or_default()
            .push(d);
    }
    let mut warnings = Vec::new();
    for ((code, field), found) in by_value {
        let record = records.iter_mut().find(|r| r.code == code);
        let theirs = book.as_ref().map(|(name, recs)| {
            let r = recs.iter().find(|r| r.code == code);
            (*name, r.and_then(|r| value(r, field)).map(str::to_string))
        });
        let repaired = match (record, &theirs) {
            (Some(record), Some((_, Some(theirs)))) => repair(record, field, theirs),
            _ => false,
        };
        let outcome = match theirs {
            None => Outcome::NoBook,
            Some((book, Some(theirs))) if repaired => Outcome::Repaired { book, theirs },
            Some((book, Some(theirs))) if value_of(records, code, field) == Some(&theirs) => {
                Outcome::BookSame { book }
            }
            Some((book, Some(theirs))) if theirs.chars().any(is_damaged) => {
                Outcome::BookDamaged { book, theirs }
            }
            Some((book, _)) => Outcome::BookDiffers { book },
        };
        warnings.extend(found.iter().map(|d| warning(d, &outcome)));
    }
    warnings
}

/// What became of a damaged value.
enum Outcome<'a> {
    Repaired {
        book: &'a str,
        theirs: String,
    },
    /// The workbook has the very same value.
    BookSame {
        book: &'a str,
    },
    /// The workbook's value has characters outside printable ASCII too.
    BookDamaged {
        book: &'a str,
        theirs: String,
    },
    /// The workbook's value differs elsewhere too, or the workbook lacks it.
    BookDiffers {
        book: &'a str,
    },
    NoBook,
}

fn value_of<'a>(records: &'a [Record], code: &str, field: Field) -> Option<&'a str> {
    value(records.iter().find(|r| r.code == code)?, field)
}

fn value(r: &Record, field: Field) -> Option<&str> {
    match field {
        Field::LongDescription => Some(&r.long_description),
        Field::ShortDescription => r.short_description.as_deref(),
        _ => None,
    }
}

/// Takes `theirs` for `record`'s `field` when it differs only at the damaged characters.
fn repair(record: &mut Record, field: Field, theirs: &str) -> bool {
    let ok = value(record, field).is_some_and(|ours| differs_only_at_damage(ours, theirs));
    if ok {
        match field {
            Field::LongDescription => record.long_description = theirs.to_string(),
            _ => record.short_description = Some(theirs.to_string()),
        }
    }
    ok
}

/// Whether `theirs` is `ours` with each damaged character replaced by at most two sound
/// characters (a quote, a space, or nothing), and nothing else changed.
pub fn differs_only_at_damage(ours: &str, theirs: &str) -> bool {
    let segments: Vec<&str> = ours.split(is_damaged).collect();
    let Some(mut rest) = theirs.strip_prefix(segments[0]) else {
        return false;
    };
    let last = segments.len() - 1;
    for (i, seg) in segments.iter().enumerate().skip(1) {
        let next = (0..=2).find_map(|n| {
            let cut = rest
                .char_indices()
                .nth(n)
                .map(|(at, _)| at)
                .or_else(|| (rest.chars().count() == n).then_some(rest.len()))?;
            let (put, after) = rest.split_at(cut);
            let fits = if i == last {
                after == *seg
            } else {
                after.starts_with(seg)
            };
            (fits && !put.chars().any(is_damaged)).then(|| &after[seg.len()..])
        });
        match next {
            Some(after) => rest = after,
            None => return false,
        }
    }
    segments.len() > 1 && rest.is_empty()
}

fn warning(d: &Damage, outcome: &Outcome) -> Warning {
    let what = format!(
        "{}: character {:?} (U+{:04X}) in column {} is not one HCPCS text holds",
        d.code,
        d.ch,
        u32::from(d.ch),
        d.column
    );
    let message = match outcome {
        Outcome::Repaired { book, theirs } => {
            format!("{what}; repaired from the release's workbook {book}, which reads {theirs:?}")
        }
        Outcome::BookSame { book } => {
            format!("{what}; kept as read: the release's workbook {book} has the same")
        }
        Outcome::BookDamaged { book, theirs } => format!(
            "{what}; kept as read: the release's workbook {book} is damaged there too ({theirs:?})"
        ),
        Outcome::BookDiffers { book } => format!(
            "{what}; kept as read: the release's workbook {book} does not differ from the text only there"
        ),
        Outcome::NoBook => {
            format!("{what}; kept as read (no workbook beside the text to repair it from)")
        }
    };
    Warning {
        at: d.at.clone(),
        field: Some(spec_of(d.field).name),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_damaged_characters_may_differ() {
        assert!(differs_only_at_damage(
            "w>=20\u{f6}<24\u{f6}",
            "w>=20\"<24\""
        ));
        assert!(differs_only_at_damage(
            "performed;\u{e1}single",
            "performed; single"
        ));
        assert!(differs_only_at_damage(
            "performed;\u{e1} each",
            "performed; each"
        ));
        assert!(!differs_only_at_damage(
            "performed;\u{e1}single",
            "performed; double"
        ));
        assert!(!differs_only_at_damage("no damage", "no damage"));
        assert!(!differs_only_at_damage("a\u{f6}b", "a\u{f6}b"));
    }
}
