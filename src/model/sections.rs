//! The sections of HCPCS Level II: what kind of item a code is, by its letter and range, and a
//! section for the modifiers. Every report that groups codes by kind reads this one table.
//!
//! The names are the section headings under which the Level II code set is documented and
//! printed (the HCPCS Level II code books' sections: "Transportation Services Including
//! Ambulance", "Durable Medical Equipment", "Drugs Administered Other Than Oral Method", ...),
//! written in sentence case and joined where a letter has several headings (J: drugs other
//! than oral, and chemotherapy drugs); CMS's release files carry none of them. The ranges are
//! those headings' ranges, widened to the whole letter where a heading gives none, and checked
//! against every code of the real releases from 2012 to 2025 by a test
//! (`tests/cli/sections.rs`): no A code lies below A0021 or from A1000 to A1999 in them, and
//! the skin substitutes numbered from A2001 (in 2025) are supplies. A code outside every range
//! has no section, and reports say so; it is never put in a catch-all.

use std::fmt;

use super::Kind;

/// One section: its codes run from `first` to `last` (both included), or it is the modifiers.
#[derive(Debug, PartialEq, Eq)]
pub struct CodeSection {
    /// How reports and `--section` name it: the range (`E0100-E9999`) or `modifiers`.
    pub id: &'static str,
    /// Its codes' letter (`None` for the modifiers).
    pub letter: Option<char>,
    pub first: &'static str,
    pub last: &'static str,
    /// The section's name, as the code set's documentation heads it.
    pub name: &'static str,
    /// A few words for a chart's axis or a narrow table.
    pub short: &'static str,
}

/// In JSON, a section is its name.
impl serde::Serialize for CodeSection {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name)
    }
}

impl fmt::Display for CodeSection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.letter {
            Some(_) => write!(f, "{} ({})", self.name, self.id),
            None => f.write_str(self.name),
        }
    }
}

impl CodeSection {
    /// The section's place in `SECTIONS`, for sorting and counting.
    pub fn index(&self) -> usize {
        SECTIONS
            .iter()
            // By id, not by address: a constant's uses need not share one address.
            .position(|s| s.id == self.id)
            .unwrap_or(SECTIONS.len())
    }

    /// Whether `code` of `kind` is one of this section's.
    pub fn holds(&self, code: &str, kind: Kind) -> bool {
        match (self.letter, kind) {
            (None, Kind::Modifier) => true,
            (Some(_), Kind::Procedure) => {
                let b = code.as_bytes();
                b.len() == 5
                    && b[1..].iter().all(u8::is_ascii_digit)
                    && self.first <= code
                    && code <= self.last
            }
            _ => false,
        }
    }

    /// Its letter and short name (`E Durable medical equipment`), or the short name alone.
    pub fn label(&self) -> String {
        match self.letter {
            Some(l) => format!("{l} {}", self.short),
            None => self.short.to_string(),
        }
    }
}

macro_rules! section {
    ($letter:literal, $first:literal, $last:literal, $name:literal, $short:literal) => {
        CodeSection {
            id: concat!($first, "-", $last),
            letter: Some($letter),
            first: $first,
            last: $last,
            name: $name,
            short: $short,
        }
    };
}

/// The sections in code order, the modifiers last.
pub const SECTIONS: &[CodeSection] = &[
    section!(
        'A',
        "A0021",
        "A0999",
        "Transportation services including ambulance",
        "Ambulance and transport"
    ),
    section!(
        'A',
        "A2000",
        "A9999",
        "Medical and surgical supplies; administrative, miscellaneous and investigational",
        "Medical and surgical supplies"
    ),
    section!(
        'B',
        "B4000",
        "B9999",
        "Enteral and parenteral therapy",
        "Enteral and parenteral therapy"
    ),
    section!(
        'C',
        "C1000",
        "C9999",
        "Outpatient PPS (hospital outpatient prospective payment system)",
        "Outpatient PPS"
    ),
    section!(
        'E',
        "E0100",
        "E9999",
        "Durable medical equipment",
        "Durable medical equipment"
    ),
    section!(
        'G',
        "G0000",
        "G9999",
        "Procedures and professional services (temporary)",
        "Procedures and professional services"
    ),
    section!(
        'H',
        "H0001",
        "H9999",
        "Behavioral health and substance abuse treatment services (Medicaid)",
        "Behavioral health (Medicaid)"
    ),
    section!(
        'J',
        "J0000",
        "J9999",
        "Drugs administered other than oral method, and chemotherapy drugs",
        "Drugs other than oral, chemotherapy"
    ),
    section!(
        'K',
        "K0000",
        "K9999",
        "Temporary codes for durable medical equipment MACs",
        "Temporary codes for DME MACs"
    ),
    section!(
        'L',
        "L0000",
        "L9999",
        "Orthotic and prosthetic procedures and devices",
        "Orthotics and prosthetics"
    ),
    section!(
        'M',
        "M0000",
        "M9999",
        "Medical services, and quality measures",
        "Medical services, quality measures"
    ),
    section!(
        'P',
        "P0000",
        "P9999",
        "Pathology and laboratory services",
        "Pathology and laboratory"
    ),
    section!(
        'Q',
        "Q0000",
        "Q9999",
        "Temporary codes (miscellaneous services)",
        "Temporary codes"
    ),
    section!(
        'R',
        "R0000",
        "R9999",
        "Diagnostic radiology services",
        "Diagnostic radiology"
    ),
    section!(
        'S',
        "S0000",
        "S9999",
        "Temporary national codes (non-Medicare)",
        "Non-Medicare national codes"
    ),
    section!(
        'T',
        "T1000",
        "T9999",
        "National codes established for state Medicaid agencies",
        "State Medicaid agencies"
    ),
    section!(
        'U',
        "U0000",
        "U9999",
        "Laboratory tests (coronavirus, COVID-19)",
        "Laboratory tests (COVID-19)"
    ),
    section!(
        'V',
        "V0000",
        "V9999",
        "Vision, hearing and speech-language pathology services",
        "Vision, hearing and speech"
    ),
    CodeSection {
        id: "modifiers",
        letter: None,
        first: "",
        last: "",
        name: "Modifiers",
        short: "Modifiers",
    },
];

/// The modifiers' section.
pub fn modifiers() -> &'static CodeSection {
    &SECTIONS[SECTIONS.len() - 1]
}

/// The section of `code` of `kind`, or `None` for a code outside every range (reports say so).
pub fn of(code: &str, kind: Kind) -> Option<&'static CodeSection> {
    SECTIONS.iter().find(|s| s.holds(code, kind))
}

/// The section of a procedure code (a letter and four digits) or a modifier (two letters or
/// digits); `None` for anything else and for a code outside every range.
pub fn of_code(code: &str) -> Option<&'static CodeSection> {
    let b = code.as_bytes();
    match b.len() {
        2 if b.iter().all(u8::is_ascii_alphanumeric) => Some(modifiers()),
        5 => of(code, Kind::Procedure),
        _ => None,
    }
}

/// A `--section` value that names no section.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "--section {given}: no section of HCPCS Level II is called that; give a letter ({letters}), \
     a range (e.g. E0100-E9999), a name (e.g. \"durable medical equipment\") or \"modifiers\""
)]
pub struct UnknownSection {
    pub given: String,
    letters: String,
}

/// The sections `value` names: a letter (every section of it: `A` is ambulance and supplies),
/// a range id, a name or short name (any letter case), or `modifiers`.
pub fn named(value: &str) -> Result<Vec<&'static CodeSection>, UnknownSection> {
    let v = value.trim();
    let same = |a: &str| a.eq_ignore_ascii_case(v);
    let found: Vec<&'static CodeSection> = SECTIONS
        .iter()
        .filter(|s| {
            let by_letter = v.len() == 1
                && s.letter
                    .is_some_and(|l| v.chars().next().is_some_and(|c| c.eq_ignore_ascii_case(&l)));
            by_letter
                || same(s.id)
                || same(s.name)
                || same(s.short)
                || (s.letter.is_none() && (same("modifier") || same("mod")))
        })
        .collect();
    if found.is_empty() {
        let mut letters: Vec<String> = SECTIONS
            .iter()
            .filter_map(|s| s.letter.map(String::from))
            .collect();
        letters.dedup();
        return Err(UnknownSection {
            given: v.to_string(),
            letters: letters.join(", "),
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_in_order_and_never_overlap() {
        let coded: Vec<&CodeSection> = SECTIONS.iter().filter(|s| s.letter.is_some()).collect();
        for s in &coded {
            assert!(s.first < s.last, "{}", s.id);
            assert_eq!(s.first.chars().next(), s.letter, "{}", s.id);
            assert_eq!(s.last.chars().next(), s.letter, "{}", s.id);
        }
        for pair in coded.windows(2) {
            assert!(
                pair[0].last < pair[1].first,
                "{} {}",
                pair[0].id,
                pair[1].id
            );
        }
        let mut names: Vec<&str> = SECTIONS.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SECTIONS.len());
    }

    #[test]
    fn codes_find_their_section_and_outsiders_none() {
        assert_eq!(of_code("E1392").unwrap().name, "Durable medical equipment");
        assert_eq!(of_code("A0021").unwrap().id, "A0021-A0999");
        assert_eq!(of_code("A4221").unwrap().id, "A2000-A9999");
        assert_eq!(of_code("RR"), Some(modifiers()));
        assert_eq!(of("E1", Kind::Modifier), Some(modifiers()));
        // Below the first ambulance code, between the two A sections, a letter with no
        // section, and no code at all.
        for outside in [
            "A0020", "A1500", "D0120", "F0001", "E0099", "e1392", "E13920", "",
        ] {
            assert_eq!(of_code(outside), None, "{outside}");
        }
    }

    #[test]
    fn sections_are_named_by_letter_range_or_name() {
        let ids = |v: &str| named(v).unwrap().iter().map(|s| s.id).collect::<Vec<_>>();
        assert_eq!(ids("a"), ["A0021-A0999", "A2000-A9999"]);
        assert_eq!(ids("E"), ["E0100-E9999"]);
        assert_eq!(ids("durable medical equipment"), ["E0100-E9999"]);
        assert_eq!(ids("a0021-a0999"), ["A0021-A0999"]);
        assert_eq!(ids("Modifiers"), ["modifiers"]);
        let e = named("Z").unwrap_err().to_string();
        assert!(e.starts_with("--section Z: no section"), "{e}");
        assert!(e.contains("A, B, C, E, G"), "{e}");
    }
}
