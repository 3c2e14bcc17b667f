//! The normalized HCPCS record and release id: the one shape every reader produces and every
//! later stage (store, diff, report) consumes. Nothing here knows where a record came from.

pub mod codes;
pub mod correction;
pub mod fields;
pub mod sections;
pub mod snapshot;

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use snapshot::{
    Counts, LinedSnapshot, Provenance, SCHEMA_VERSION, Snapshot, SnapshotLines, SourceInfo, hex,
    record_lines, sha256_hex, write_record_line, write_record_lines,
};

/// Whether a record is a procedure/supply code (`E1392`) or a modifier (`RR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Procedure,
    Modifier,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Procedure => "procedure",
            Kind::Modifier => "modifier",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One HCPCS code or modifier with every field of CMS's record layout, typed.
///
/// Blanks are absent (`None` or an empty list), repeating fields are lists in CMS's order with
/// blank occurrences dropped, dates are dates. The record's own sequence number is left out: it
/// only orders lines in CMS's file, and the workbooks do not even agree with the text on its width.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub code: String,
    pub kind: Kind,
    pub long_description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pricing_indicators: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiple_pricing_indicator: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coverage_issues_manual: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub medicare_carriers_manual: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statute: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lab_certifications: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cross_references: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asc_payment_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "ymd")]
    pub asc_effective_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mog_payment_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mog_payment_indicator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "ymd")]
    pub mog_effective_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub betos: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types_of_service: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anesthesia_base_units: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "ymd")]
    pub added_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "ymd")]
    pub action_effective_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "ymd")]
    pub termination_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_code: Option<String>,
}

impl Record {
    /// An empty record for `code`; readers fill in the rest.
    pub fn new(code: impl Into<String>, kind: Kind) -> Self {
        Record {
            code: code.into(),
            kind,
            long_description: String::new(),
            short_description: None,
            pricing_indicators: Vec::new(),
            multiple_pricing_indicator: None,
            coverage_issues_manual: Vec::new(),
            medicare_carriers_manual: Vec::new(),
            statute: None,
            lab_certifications: Vec::new(),
            cross_references: Vec::new(),
            coverage: None,
            asc_payment_group: None,
            asc_effective_date: None,
            mog_payment_group: None,
            mog_payment_indicator: None,
            mog_effective_date: None,
            processing_note: None,
            betos: None,
            types_of_service: Vec::new(),
            anesthesia_base_units: None,
            added_date: None,
            action_effective_date: None,
            termination_date: None,
            action_code: None,
        }
    }

    /// Whether CMS has set a termination date (the code is discontinued, effective after it).
    pub fn is_terminated(&self) -> bool {
        self.termination_date.is_some()
    }
}

/// `date` as `YYYY-MM-DD` (chrono's `%Y-%m-%d`), written by hand for the years 0-9999: the
/// diff compares every date field of every record that differs as text.
pub fn ymd_text(date: &chrono::NaiveDate) -> String {
    match ymd::digits(date) {
        Some(text) => text.iter().map(|b| char::from(*b)).collect(),
        None => date.format("%Y-%m-%d").to_string(),
    }
}

/// Dates in snapshots as `YYYY-MM-DD`, read by hand: chrono's general format parser was the
/// largest single cost of loading a snapshot.
mod ymd {
    use chrono::{Datelike, NaiveDate};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(date: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
        match date {
            Some(d) => match digits(d) {
                Some(text) => {
                    s.serialize_str(std::str::from_utf8(&text).map_err(serde::ser::Error::custom)?)
                }
                None => s.collect_str(&d.format("%Y-%m-%d")),
            },
            None => s.serialize_none(),
        }
    }

    /// What `%Y-%m-%d` writes for years 0-9999, without parsing a format per date.
    pub(super) fn digits(d: &NaiveDate) -> Option<[u8; 10]> {
        if !(0..=9999).contains(&d.year()) {
            return None;
        }
        let (y, m, day) = (d.year() as u32, d.month(), d.day());
        let digit = |n: u32| b'0' + (n % 10) as u8;
        Some([
            digit(y / 1000),
            digit(y / 100),
            digit(y / 10),
            digit(y),
            b'-',
            digit(m / 10),
            digit(m),
            b'-',
            digit(day / 10),
            digit(day),
        ])
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        let Some(text) = Option::<&str>::deserialize(d)? else {
            return Ok(None);
        };
        let b = text.as_bytes();
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            b.get(r.clone())
                .filter(|s| s.iter().all(u8::is_ascii_digit))?;
            text[r].parse().ok()
        };
        let date = (b.len() == 10 && b[4] == b'-' && b[7] == b'-')
            .then(|| NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?))
            .flatten();
        date.map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("'{text}' is not a date (YYYY-MM-DD)")))
    }
}

/// A release id: the month CMS's release takes effect, `YYYY-MM` (`2020-01`, `2020-04`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReleaseId {
    pub year: u16,
    pub month: u8,
}

/// Month names as CMS writes them in file names (`april-2026-alpha-numeric-hcpcs-file.zip`).
pub const MONTH_NAMES: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

impl ReleaseId {
    pub fn month_name(self) -> &'static str {
        MONTH_NAMES[usize::from(self.month - 1)]
    }

    pub fn new(year: u16, month: u8) -> Option<Self> {
        ((1..=12).contains(&month) && (1980..=2200).contains(&year))
            .then_some(ReleaseId { year, month })
    }

    /// The day the release takes effect: the first of its month.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year.into(), self.month.into(), 1).unwrap_or(NaiveDate::MIN)
    }

    /// The quarterly release before this one (January's is the October before).
    pub fn previous_quarter(self) -> ReleaseId {
        let q = self.month.saturating_sub(1) / 3;
        match q {
            0 => ReleaseId {
                year: self.year.saturating_sub(1),
                month: 10,
            },
            _ => ReleaseId {
                year: self.year,
                month: (q - 1) * 3 + 1,
            },
        }
    }

    /// The quarterly release after this one (January, April, July, October).
    pub fn next_quarter(self) -> ReleaseId {
        let q = (self.month - 1) / 3;
        if q >= 3 {
            ReleaseId {
                year: self.year + 1,
                month: 1,
            }
        } else {
            ReleaseId {
                year: self.year,
                month: (q + 1) * 3 + 1,
            }
        }
    }
}

impl fmt::Display for ReleaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a release id: use YYYY-MM (e.g. 2020-01, 2020-04) or YYYY for January")]
pub struct BadReleaseId(pub String);

impl FromStr for ReleaseId {
    type Err = BadReleaseId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadReleaseId(s.to_string());
        let (y, m) = match s.split_once('-') {
            Some((y, m)) => (y, m),
            None => (s, "01"),
        };
        if y.len() != 4 || m.is_empty() || m.len() > 2 {
            return Err(bad());
        }
        let year: u16 = y.parse().map_err(|_| bad())?;
        let month: u8 = m.parse().map_err(|_| bad())?;
        ReleaseId::new(year, month).ok_or_else(bad)
    }
}

impl Serialize for ReleaseId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ReleaseId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written date reads as chrono's `%Y-%m-%d` for every year, with its padding, and
    /// beyond the four digits it writes.
    #[test]
    fn dates_as_text_are_chronos_format() {
        for (y, m, d) in [
            (2025, 1, 1),
            (1999, 12, 31),
            (7, 2, 3),
            (0, 1, 1),
            (9999, 12, 31),
        ]
        .into_iter()
        .chain([(10000, 6, 15), (-1, 1, 1), (262_142, 1, 1)])
        {
            let date = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(ymd_text(&date), date.format("%Y-%m-%d").to_string());
        }
        let mut date = chrono::NaiveDate::from_ymd_opt(1980, 1, 1).unwrap();
        while chrono::Datelike::year(&date) < 2031 {
            assert_eq!(ymd_text(&date), date.format("%Y-%m-%d").to_string());
            date = date.succ_opt().unwrap();
        }
    }

    #[test]
    fn release_ids_parse_and_print() {
        assert_eq!("2020".parse::<ReleaseId>().unwrap().to_string(), "2020-01");
        assert_eq!(
            "2020-4".parse::<ReleaseId>().unwrap().to_string(),
            "2020-04"
        );
        assert!("2020-13".parse::<ReleaseId>().is_err());
        assert!("20".parse::<ReleaseId>().is_err());
        assert!("abcd-01".parse::<ReleaseId>().is_err());
    }

    #[test]
    fn quarters_follow_each_other() {
        let r: ReleaseId = "2020-10".parse().unwrap();
        assert_eq!(r.next_quarter().to_string(), "2021-01");
        assert_eq!(
            "2020-01"
                .parse::<ReleaseId>()
                .unwrap()
                .next_quarter()
                .to_string(),
            "2020-04"
        );
        for id in ["2020-01", "2020-04", "2020-07", "2020-10"] {
            let r: ReleaseId = id.parse().unwrap();
            assert_eq!(r.next_quarter().previous_quarter(), r);
        }
        assert_eq!(r.first_day().to_string(), "2020-10-01");
    }

    #[test]
    fn dates_serialize_as_chrono_writes_them() {
        #[derive(serde::Serialize)]
        struct D(#[serde(with = "ymd")] Option<NaiveDate>);
        for (y, m, d) in [
            (2006, 1, 1),
            (1999, 12, 31),
            (5, 3, 9),
            (999, 10, 10),
            (9999, 12, 31),
            (-1, 1, 1),
            (10000, 1, 1),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(
                serde_json::to_string(&D(Some(date))).unwrap(),
                format!("\"{}\"", date.format("%Y-%m-%d")),
                "{date:?}"
            );
        }
        assert_eq!(serde_json::to_string(&D(None)).unwrap(), "null");
    }
}
