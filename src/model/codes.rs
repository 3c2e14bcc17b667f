//! CMS's code tables from the record layouts (2016-2019 and 2025), used to decode a field's
//! value into words. Tables are plain slices so a new CMS value is one line; a value not in a
//! table is shown as unknown, never guessed.

/// A table: code value and its meaning, as CMS's record layout words it.
pub type Table = &'static [(&'static str, &'static str)];

/// Looks `value` up in `table`.
pub fn decode(table: Table, value: &str) -> Option<&'static str> {
    table
        .iter()
        .find(|(code, _)| *code == value)
        .map(|(_, meaning)| *meaning)
}

/// `value` with its meaning, e.g. `33 = Oxygen and oxygen equipment (...)`.
pub fn describe(table: Table, value: &str) -> String {
    match decode(table, value) {
        Some(meaning) => format!("{value} = {meaning}"),
        None => format!("{value} = (not in CMS's table as this tool knows it)"),
    }
}

pub const PRICING_INDICATOR: Table = &[
    (
        "00",
        "Service not separately priced by Part B (e.g., services not covered, bundled, used by Part A only)",
    ),
    ("11", "Price established using national RVUs"),
    (
        "12",
        "Price established using national anesthesia base units",
    ),
    (
        "13",
        "Price established by carriers (e.g., not otherwise classified, individual determination, carrier discretion)",
    ),
    ("21", "Price subject to national limitation amount"),
    (
        "22",
        "Price established by carriers (e.g., gap-fills, carrier established panels)",
    ),
    (
        "31",
        "Frequently serviced DME (price subject to floors and ceilings)",
    ),
    (
        "32",
        "Inexpensive & routinely purchased DME (price subject to floors and ceilings)",
    ),
    (
        "33",
        "Oxygen and oxygen equipment (price subject to floors and ceilings)",
    ),
    ("34", "DME supplies (price subject to floors and ceilings)"),
    (
        "35",
        "Surgical dressings (price subject to floors and ceilings)",
    ),
    (
        "36",
        "Capped rental DME (price subject to floors and ceilings)",
    ),
    (
        "37",
        "Ostomy, tracheostomy and urological supplies (price subject to floors and ceilings)",
    ),
    (
        "38",
        "Orthotics, prosthetics, prosthetic devices & vision services (price subject to floors and ceilings)",
    ),
    ("39", "Parenteral and enteral nutrition"),
    (
        "40",
        "Lymphedema compression treatment items (eff 1/1/2024)",
    ),
    ("45", "Customized DME items"),
    (
        "46",
        "Carrier priced (e.g., not otherwise classified, individual determination, carrier discretion, gap-filled amounts)",
    ),
    ("51", "Drugs"),
    ("52", "Reasonable charge"),
    ("53", "Statute"),
    ("54", "Vaccinations"),
    ("55", "Splints and casts (eff 10/1/2014)"),
    (
        "56",
        "IOLs inserted in a physician's office (eff 10/1/2014)",
    ),
    ("57", "Other carrier priced"),
    ("99", "Value not established"),
];

/// The groups under which CMS's record layout (2016-2025, field 9) lists pricing indicators,
/// headed as the layout heads them, with the indicators each holds.
pub const PRICING_GROUPS: &[(&str, &[&str])] = &[
    (
        "Physician Fee Schedule And Non-Physician Practitioners",
        &["11", "12", "13"],
    ),
    ("Clinical Lab Fee Schedule", &["21", "22"]),
    (
        "Durable Medical Equipment, Prosthetics, Orthotics, Supplies And Surgical Dressings",
        &[
            "31", "32", "33", "34", "35", "36", "37", "38", "39", "40", "45", "46",
        ],
    ),
    ("Other", &["51", "52", "53", "54", "55", "56", "57"]),
];

/// Where a pricing indicator stands among CMS's pricing groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PricingGroup {
    /// Listed under this heading of the layout.
    In(&'static str),
    /// 00 (not separately priced by Part B) and 99 (value not established): no price, so no
    /// group of their own; the layout lists 00 above every heading and 99 after the last.
    None,
    /// A value not in CMS's table as this tool knows it.
    Unknown,
}

impl PricingGroup {
    /// The group's name, or `None` where it has none.
    pub fn name(self) -> Option<&'static str> {
        match self {
            PricingGroup::In(name) => Some(name),
            _ => None,
        }
    }

    /// The group in words for a report.
    pub fn words(self) -> &'static str {
        match self {
            PricingGroup::In(name) => name,
            PricingGroup::None => "none (CMS's layout puts 00 and 99 in none of its four groups)",
            PricingGroup::Unknown => "unknown (a value not in CMS's table as this tool knows it)",
        }
    }
}

/// The pricing group of a pricing indicator value.
pub fn pricing_group(value: &str) -> PricingGroup {
    if let Some((name, _)) = PRICING_GROUPS.iter().find(|(_, v)| v.contains(&value)) {
        return PricingGroup::In(name);
    }
    match value {
        "00" | "99" => PricingGroup::None,
        _ => PricingGroup::Unknown,
    }
}

pub const MULTIPLE_PRICING_INDICATOR: Table = &[
    (
        "9",
        "Not applicable as HCPCS not priced separately by Part B (pricing indicator 00) or value not established (99)",
    ),
    ("A", "Not applicable as HCPCS priced under one methodology"),
    (
        "B",
        "Professional component priced using RVUs, technical component and global service priced by Part B carriers",
    ),
    (
        "C",
        "Physician interpretation of clinical lab service priced under physician fee schedule using RVUs, lab service under clinical lab fee schedule",
    ),
    (
        "D",
        "Physician service priced under physician fee schedule using RVUs, clinical psychologist service under its fee schedule (not applicable as of January 1, 1998)",
    ),
    (
        "E",
        "Physician service priced using RVUs, clinical psychologist and clinical social worker services under their fee schedules (not applicable as of January 1, 1998)",
    ),
    (
        "F",
        "Physician service priced by carriers, clinical psychologist and clinical social worker services under their fee schedules (not applicable as of January 1, 1998)",
    ),
    (
        "G",
        "Clinical lab service priced under reasonable charge when billed with blood products, else under clinical lab fee schedule",
    ),
];

pub const COVERAGE: Table = &[
    ("C", "Carrier judgment"),
    ("D", "Special coverage instructions apply"),
    ("I", "Not payable by Medicare"),
    ("M", "Non-covered by Medicare"),
    ("S", "Non-covered by Medicare statute"),
];

pub const ASC_PAYMENT_GROUP: Table = &[(
    "YY",
    "Approved to be performed in an ambulatory surgical center",
)];

pub const MOG_PAYMENT_INDICATOR: Table = &[
    ("1", "ASC covered procedure"),
    ("2", "Bundled service/no separate payment"),
    ("3", "Excluded from ASC list"),
    ("4", "Invalid code/90 day grace period"),
    ("6", "Separate payment when furnished in an ASC"),
    ("7", "ASC restricted coverage procedure"),
    ("9", "ASC payment not applicable"),
];

pub const LAB_CERTIFICATION: Table = &[
    ("010", "Histocompatibility testing"),
    ("100", "Microbiology"),
    ("110", "Bacteriology"),
    ("115", "Mycobacteriology"),
    ("120", "Mycology"),
    ("130", "Parasitology"),
    ("140", "Virology"),
    ("150", "Other microbiology"),
    ("200", "Diagnostic immunology"),
    ("210", "Syphilis serology"),
    ("220", "General immunology"),
    ("300", "Chemistry"),
    ("310", "Routine chemistry"),
    ("320", "Urinalysis"),
    ("330", "Endocrinology"),
    ("340", "Toxicology"),
    ("350", "Other chemistry"),
    ("400", "Hematology"),
    ("500", "Immunohematology"),
    ("510", "ABO group & Rh type"),
    ("520", "Antibody detection (transfusion)"),
    ("530", "Antibody detection (nontransfusion)"),
    ("540", "Antibody identification"),
    ("550", "Compatibility testing"),
    ("560", "Other immunohematology"),
    ("600", "Pathology"),
    ("610", "Histopathology"),
    ("620", "Oral pathology"),
    ("630", "Cytology"),
    ("800", "Radiobioassay"),
    ("900", "Clinical cytogenetics"),
];

pub const TYPE_OF_SERVICE: Table = &[
    ("0", "Whole blood only"),
    ("1", "Medical care"),
    ("2", "Surgery"),
    ("3", "Consultation"),
    ("4", "Diagnostic radiology"),
    ("5", "Diagnostic laboratory"),
    ("6", "Therapeutic radiology"),
    ("7", "Anesthesia"),
    ("8", "Assistant at surgery"),
    ("9", "Other medical items or services"),
    ("A", "Used durable medical equipment (DME)"),
    ("B", "High risk screening mammography (obsolete 1/1/98)"),
    ("C", "Low risk screening mammography (obsolete 1/1/98)"),
    ("D", "Ambulance"),
    ("E", "Enteral/parenteral nutrients/supplies"),
    (
        "F",
        "Ambulatory surgical center (facility usage for surgical services)",
    ),
    ("G", "Immunosuppressive drugs"),
    ("H", "Hospice services (discontinued 01/95)"),
    (
        "I",
        "Purchase of DME (installment basis) (discontinued 04/95)",
    ),
    ("J", "Diabetic shoes"),
    ("K", "Hearing items and services"),
    ("L", "ESRD supplies"),
    ("M", "Monthly capitation payment for dialysis"),
    ("N", "Kidney donor"),
    ("P", "Lump sum purchase of DME, prosthetics, orthotics"),
    ("Q", "Vision items or services"),
    ("R", "Rental of DME"),
    ("S", "Surgical dressings or other medical supplies"),
    ("T", "Outpatient mental health limitation"),
    ("U", "Occupational therapy"),
    ("V", "Pneumococcal/flu vaccine"),
    ("W", "Physical therapy"),
    ("Y", "Second opinion on elective surgery (obsoleted 1/97)"),
    ("Z", "Third opinion on elective surgery (obsoleted 1/97)"),
];

pub const ACTION: Table = &[
    ("A", "Add procedure or modifier code"),
    (
        "B",
        "Change in both administrative data field and long description",
    ),
    ("C", "Change in long description"),
    ("D", "Discontinue procedure or modifier code"),
    ("F", "Change in administrative data field"),
    ("N", "No maintenance for this code"),
    (
        "P",
        "Payment change (MOG, pricing indicator codes, anesthesia base units, ASC)",
    ),
    (
        "R",
        "Re-activate discontinued/deleted procedure or modifier code",
    ),
    ("S", "Change in short description"),
    ("T", "Miscellaneous change (BETOS, type of service)"),
];

pub const BETOS: Table = &[
    ("M1A", "Office visits - new"),
    ("M1B", "Office visits - established"),
    ("M2A", "Hospital visit - initial"),
    ("M2B", "Hospital visit - subsequent"),
    ("M2C", "Hospital visit - critical care"),
    ("M3", "Emergency room visit"),
    ("M4A", "Home visit"),
    ("M4B", "Nursing home visit"),
    ("M5A", "Specialist - pathology"),
    ("M5B", "Specialist - psychiatry"),
    ("M5C", "Specialist - ophthalmology"),
    ("M5D", "Specialist - other"),
    ("M6", "Consultations"),
    ("P0", "Anesthesia"),
    ("P1A", "Major procedure - breast"),
    ("P1B", "Major procedure - colectomy"),
    ("P1C", "Major procedure - cholecystectomy"),
    ("P1D", "Major procedure - TURP"),
    ("P1E", "Major procedure - hysterectomy"),
    ("P1F", "Major procedure - explor/decompr/excisdisc"),
    ("P1G", "Major procedure - other"),
    ("P2A", "Major procedure, cardiovascular - CABG"),
    ("P2B", "Major procedure, cardiovascular - aneurysm repair"),
    (
        "P2C",
        "Major procedure, cardiovascular - thromboendarterectomy",
    ),
    (
        "P2D",
        "Major procedure, cardiovascular - coronary angioplasty (PTCA)",
    ),
    (
        "P2E",
        "Major procedure, cardiovascular - pacemaker insertion",
    ),
    ("P2F", "Major procedure, cardiovascular - other"),
    ("P3A", "Major procedure, orthopedic - hip fracture repair"),
    ("P3B", "Major procedure, orthopedic - hip replacement"),
    ("P3C", "Major procedure, orthopedic - knee replacement"),
    ("P3D", "Major procedure, orthopedic - other"),
    ("P4A", "Eye procedure - corneal transplant"),
    ("P4B", "Eye procedure - cataract removal/lens insertion"),
    ("P4C", "Eye procedure - retinal detachment"),
    ("P4D", "Eye procedure - treatment of retinal lesions"),
    ("P4E", "Eye procedure - other"),
    ("P5A", "Ambulatory procedures - skin"),
    ("P5B", "Ambulatory procedures - musculoskeletal"),
    ("P5C", "Ambulatory procedures - inguinal hernia repair"),
    ("P5D", "Ambulatory procedures - lithotripsy"),
    ("P5E", "Ambulatory procedures - other"),
    ("P6A", "Minor procedures - skin"),
    ("P6B", "Minor procedures - musculoskeletal"),
    ("P6C", "Minor procedures - other (Medicare fee schedule)"),
    (
        "P6D",
        "Minor procedures - other (non-Medicare fee schedule)",
    ),
    ("P7A", "Oncology - radiation therapy"),
    ("P7B", "Oncology - other"),
    ("P8A", "Endoscopy - arthroscopy"),
    ("P8B", "Endoscopy - upper gastrointestinal"),
    ("P8C", "Endoscopy - sigmoidoscopy"),
    ("P8D", "Endoscopy - colonoscopy"),
    ("P8E", "Endoscopy - cystoscopy"),
    ("P8F", "Endoscopy - bronchoscopy"),
    ("P8G", "Endoscopy - laparoscopic cholecystectomy"),
    ("P8H", "Endoscopy - laryngoscopy"),
    ("P8I", "Endoscopy - other"),
    ("P9A", "Dialysis services (Medicare fee schedule)"),
    ("P9B", "Dialysis services (non-Medicare fee schedule)"),
    ("I1A", "Standard imaging - chest"),
    ("I1B", "Standard imaging - musculoskeletal"),
    ("I1C", "Standard imaging - breast"),
    ("I1D", "Standard imaging - contrast gastrointestinal"),
    ("I1E", "Standard imaging - nuclear medicine"),
    ("I1F", "Standard imaging - other"),
    ("I2A", "Advanced imaging - CAT/CT/CTA: brain/head/neck"),
    ("I2B", "Advanced imaging - CAT/CT/CTA: other"),
    ("I2C", "Advanced imaging - MRI/MRA: brain/head/neck"),
    ("I2D", "Advanced imaging - MRI/MRA: other"),
    ("I3A", "Echography/ultrasonography - eye"),
    ("I3B", "Echography/ultrasonography - abdomen/pelvis"),
    ("I3C", "Echography/ultrasonography - heart"),
    ("I3D", "Echography/ultrasonography - carotid arteries"),
    ("I3E", "Echography/ultrasonography - prostate, transrectal"),
    ("I3F", "Echography/ultrasonography - other"),
    (
        "I4A",
        "Imaging/procedure - heart including cardiac catheterization",
    ),
    ("I4B", "Imaging/procedure - other"),
    (
        "T1A",
        "Lab tests - routine venipuncture (non-Medicare fee schedule)",
    ),
    ("T1B", "Lab tests - automated general profiles"),
    ("T1C", "Lab tests - urinalysis"),
    ("T1D", "Lab tests - blood counts"),
    ("T1E", "Lab tests - glucose"),
    ("T1F", "Lab tests - bacterial cultures"),
    ("T1G", "Lab tests - other (Medicare fee schedule)"),
    ("T1H", "Lab tests - other (non-Medicare fee schedule)"),
    ("T2A", "Other tests - electrocardiograms"),
    ("T2B", "Other tests - cardiovascular stress tests"),
    ("T2C", "Other tests - EKG monitoring"),
    ("T2D", "Other tests - other"),
    ("D1A", "Medical/surgical supplies"),
    ("D1B", "Hospital beds"),
    ("D1C", "Oxygen and supplies"),
    ("D1D", "Wheelchairs"),
    ("D1E", "Other DME"),
    ("D1F", "Prosthetic/orthotic devices"),
    ("D1G", "Drugs administered through DME"),
    ("O1A", "Ambulance"),
    ("O1B", "Chiropractic"),
    ("O1C", "Enteral and parenteral"),
    ("O1D", "Chemotherapy"),
    ("O1E", "Other drugs"),
    ("O1F", "Hearing and speech services"),
    ("O1G", "Immunizations/vaccinations"),
    // The 2025 layout prints this code as "01L" (digit zero); its family is O1.
    (
        "O1L",
        "Lymphedema compression treatment items (eff 1/1/2024)",
    ),
    (
        "01L",
        "Lymphedema compression treatment items (eff 1/1/2024)",
    ),
    ("Y1", "Other - Medicare fee schedule"),
    ("Y2", "Other - non-Medicare fee schedule"),
    ("Z1", "Local codes"),
    ("Z2", "Undefined codes"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_have_no_duplicate_codes() {
        for table in [
            PRICING_INDICATOR,
            MULTIPLE_PRICING_INDICATOR,
            COVERAGE,
            MOG_PAYMENT_INDICATOR,
            LAB_CERTIFICATION,
            TYPE_OF_SERVICE,
            ACTION,
            BETOS,
        ] {
            let mut codes: Vec<_> = table.iter().map(|(c, _)| *c).collect();
            codes.sort_unstable();
            let n = codes.len();
            codes.dedup();
            assert_eq!(n, codes.len());
        }
    }

    #[test]
    fn every_pricing_indicator_has_one_group_but_00_and_99() {
        for (value, _) in PRICING_INDICATOR {
            let holding = PRICING_GROUPS
                .iter()
                .filter(|(_, v)| v.contains(value))
                .count();
            let expected = usize::from(!matches!(*value, "00" | "99"));
            assert_eq!(holding, expected, "{value}");
        }
        // Every value a group lists is one the table decodes.
        for (_, values) in PRICING_GROUPS {
            for v in *values {
                assert!(decode(PRICING_INDICATOR, v).is_some(), "{v}");
            }
        }
        assert_eq!(
            pricing_group("33").name(),
            Some(
                "Durable Medical Equipment, Prosthetics, Orthotics, Supplies And Surgical Dressings"
            )
        );
        assert_eq!(
            pricing_group("12").name(),
            Some("Physician Fee Schedule And Non-Physician Practitioners")
        );
        assert_eq!(
            pricing_group("22").name(),
            Some("Clinical Lab Fee Schedule")
        );
        assert_eq!(pricing_group("57").name(), Some("Other"));
        assert_eq!(pricing_group("00"), PricingGroup::None);
        assert_eq!(pricing_group("99"), PricingGroup::None);
        assert_eq!(pricing_group("44"), PricingGroup::Unknown);
    }

    #[test]
    fn unknown_values_are_said_to_be_unknown() {
        assert_eq!(
            describe(PRICING_INDICATOR, "33"),
            "33 = Oxygen and oxygen equipment (price subject to floors and ceilings)"
        );
        assert!(describe(BETOS, "Q9Z").contains("not in CMS's table"));
    }
}
