//! The record's fields as people and reviewers see them: a label, the review group a change
//! belongs to, the code table that decodes it, and its values as text. `show`, `diff` and every
//! report walk this one list, so a field is named and grouped the same way everywhere.

use serde::Serialize;

use super::Record;
use super::codes::{self, Table};

/// How reviewers group a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    Description,
    Payment,
    Coverage,
    ServiceType,
    CrossReference,
    LabCertification,
    References,
    Dates,
    /// CMS's own bookkeeping (action code, action effective date): not a change by itself.
    Bookkeeping,
}

impl Group {
    pub fn label(self) -> &'static str {
        match self {
            Group::Description => "description",
            Group::Payment => "payment",
            Group::Coverage => "coverage",
            Group::ServiceType => "BETOS and type of service",
            Group::CrossReference => "cross-references",
            Group::LabCertification => "lab certification",
            Group::References => "references",
            Group::Dates => "dates",
            Group::Bookkeeping => "CMS bookkeeping",
        }
    }
}

/// One field of `Record` for display and comparison.
pub struct FieldDef {
    /// The JSON name, as in the snapshot.
    pub key: &'static str,
    pub label: &'static str,
    pub group: Group,
    pub table: Option<Table>,
    pub values: fn(&Record) -> Vec<String>,
}

impl FieldDef {
    /// `value` decoded through the field's table, or as it is.
    pub fn describe(&self, value: &str) -> String {
        match self.table {
            Some(t) => codes::describe(t, value),
            None => value.to_string(),
        }
    }

    pub fn meaning(&self, value: &str) -> Option<&'static str> {
        self.table.and_then(|t| codes::decode(t, value))
    }

    /// For a pricing indicator, the pricing group CMS's layout lists it under; `None` for
    /// every other field.
    pub fn pricing_group(&self, value: &str) -> Option<codes::PricingGroup> {
        (self.key == "pricing_indicators").then(|| codes::pricing_group(value))
    }
}

fn one(v: &Option<String>) -> Vec<String> {
    v.iter().cloned().collect()
}

fn date(v: &Option<chrono::NaiveDate>) -> Vec<String> {
    v.iter().map(super::ymd_text).collect()
}

macro_rules! field {
    ($key:literal, $label:literal, $group:ident, $table:expr, |$r:ident| $get:expr) => {
        FieldDef {
            key: $key,
            label: $label,
            group: Group::$group,
            table: $table,
            values: |$r: &Record| $get,
        }
    };
}

/// Every field but the code and kind, in the order `show` prints them.
pub const FIELDS: &[FieldDef] = &[
    field!(
        "long_description",
        "Long description",
        Description,
        None,
        |r| vec![r.long_description.clone()]
    ),
    field!(
        "short_description",
        "Short description",
        Description,
        None,
        |r| one(&r.short_description)
    ),
    field!(
        "pricing_indicators",
        "Pricing indicator",
        Payment,
        Some(codes::PRICING_INDICATOR),
        |r| r.pricing_indicators.clone()
    ),
    field!(
        "multiple_pricing_indicator",
        "Multiple pricing indicator",
        Payment,
        Some(codes::MULTIPLE_PRICING_INDICATOR),
        |r| one(&r.multiple_pricing_indicator)
    ),
    field!(
        "coverage",
        "Coverage",
        Coverage,
        Some(codes::COVERAGE),
        |r| one(&r.coverage)
    ),
    field!("betos", "BETOS", ServiceType, Some(codes::BETOS), |r| one(
        &r.betos
    )),
    field!(
        "types_of_service",
        "Type of service",
        ServiceType,
        Some(codes::TYPE_OF_SERVICE),
        |r| r.types_of_service.clone()
    ),
    field!(
        "cross_references",
        "Cross-reference",
        CrossReference,
        None,
        |r| r.cross_references.clone()
    ),
    field!(
        "lab_certifications",
        "Lab certification",
        LabCertification,
        Some(codes::LAB_CERTIFICATION),
        |r| r.lab_certifications.clone()
    ),
    field!(
        "asc_payment_group",
        "ASC payment group",
        Payment,
        Some(codes::ASC_PAYMENT_GROUP),
        |r| one(&r.asc_payment_group)
    ),
    field!(
        "asc_effective_date",
        "ASC payment group effective",
        Payment,
        None,
        |r| date(&r.asc_effective_date)
    ),
    field!(
        "mog_payment_group",
        "MOG payment group",
        Payment,
        None,
        |r| one(&r.mog_payment_group)
    ),
    field!(
        "mog_payment_indicator",
        "MOG payment policy indicator",
        Payment,
        Some(codes::MOG_PAYMENT_INDICATOR),
        |r| one(&r.mog_payment_indicator)
    ),
    field!("mog_effective_date", "MOG effective", Payment, None, |r| {
        date(&r.mog_effective_date)
    }),
    field!(
        "anesthesia_base_units",
        "Anesthesia base units",
        Payment,
        None,
        |r| r.anesthesia_base_units.iter().map(u16::to_string).collect()
    ),
    field!(
        "coverage_issues_manual",
        "Coverage Issues Manual",
        References,
        None,
        |r| r.coverage_issues_manual.clone()
    ),
    field!(
        "medicare_carriers_manual",
        "Medicare Carriers Manual",
        References,
        None,
        |r| r.medicare_carriers_manual.clone()
    ),
    field!("statute", "Statute", References, None, |r| one(&r.statute)),
    field!(
        "processing_note",
        "Processing note",
        References,
        None,
        |r| one(&r.processing_note)
    ),
    field!("added_date", "Added", Dates, None, |r| date(&r.added_date)),
    field!("termination_date", "Terminated", Dates, None, |r| date(
        &r.termination_date
    )),
    field!(
        "action_effective_date",
        "Action effective",
        Bookkeeping,
        None,
        |r| date(&r.action_effective_date)
    ),
    field!(
        "action_code",
        "CMS action",
        Bookkeeping,
        Some(codes::ACTION),
        |r| one(&r.action_code)
    ),
];

pub fn field(key: &str) -> Option<&'static FieldDef> {
    FIELDS.iter().find(|f| f.key == key)
}
