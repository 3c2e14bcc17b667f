//! The CMS record layout in one table: each field's position in the fixed-width text, how often
//! it repeats, and the column headers the workbooks have used for it. Every reader maps its
//! input onto these fields; nothing else in the crate knows a column number.

/// A field of the CMS HCPCS record layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Code,
    SequenceNumber,
    RecordId,
    LongDescription,
    ShortDescription,
    PricingIndicator,
    MultiplePricingIndicator,
    CoverageIssuesManual,
    MedicareCarriersManual,
    Statute,
    LabCertification,
    CrossReference,
    Coverage,
    AscPaymentGroup,
    AscEffectiveDate,
    MogPaymentGroup,
    MogPaymentIndicator,
    MogEffectiveDate,
    ProcessingNote,
    Betos,
    TypeOfService,
    AnesthesiaBaseUnits,
    AddedDate,
    ActionEffectiveDate,
    TerminationDate,
    ActionCode,
}

/// Where one field sits: 1-based start column, width, occurrences (each `width` wide, back to
/// back), its name in messages, and the workbook headers that hold it (upper case, letters and
/// digits only; a repeating field's headers end in the occurrence number).
#[derive(Debug)]
pub struct FieldSpec {
    pub field: Field,
    pub name: &'static str,
    pub start: usize,
    pub width: usize,
    pub occurs: usize,
    pub headers: &'static [&'static str],
    /// A code made of digits that a workbook may store as a number (`0` for `00`).
    pub zero_padded: bool,
}

impl FieldSpec {
    /// The last column (1-based, inclusive) of the field's last occurrence.
    pub fn end(&self) -> usize {
        self.start + self.width * self.occurs - 1
    }
}

const fn spec(
    field: Field,
    name: &'static str,
    start: usize,
    width: usize,
    occurs: usize,
    headers: &'static [&'static str],
    zero_padded: bool,
) -> FieldSpec {
    FieldSpec {
        field,
        name,
        start,
        width,
        occurs,
        headers,
        zero_padded,
    }
}

use Field::*;

/// The layout shared by every release from 2012 to 2025 (records of 293 characters before 2016,
/// 320 after, the difference being filler).
pub const LAYOUT: &[FieldSpec] = &[
    spec(
        Code,
        "HCPCS code",
        1,
        5,
        1,
        &["HCPC", "HCPCS", "HCPCSCODE", "CODE"],
        false,
    ),
    spec(
        SequenceNumber,
        "sequence number",
        6,
        5,
        1,
        &["SEQNUM", "SEQ"],
        false,
    ),
    spec(
        RecordId,
        "record identification code",
        11,
        1,
        1,
        &["RIC", "RECID"],
        false,
    ),
    spec(
        LongDescription,
        "long description",
        12,
        80,
        1,
        &["LONGDESCRIPTION"],
        false,
    ),
    spec(
        ShortDescription,
        "short description",
        92,
        28,
        1,
        &["SHORTDESCRIPTION"],
        false,
    ),
    spec(
        PricingIndicator,
        "pricing indicator",
        120,
        2,
        4,
        &["PI", "PRICE"],
        true,
    ),
    spec(
        MultiplePricingIndicator,
        "multiple pricing indicator",
        128,
        1,
        1,
        &["MPI", "MULTPI"],
        false,
    ),
    spec(
        CoverageIssuesManual,
        "Coverage Issues Manual reference",
        129,
        6,
        3,
        &["CIM"],
        false,
    ),
    spec(
        MedicareCarriersManual,
        "Medicare Carriers Manual reference",
        147,
        8,
        3,
        &["MCM"],
        false,
    ),
    spec(Statute, "statute", 171, 10, 1, &["STATUTE"], false),
    spec(
        LabCertification,
        "lab certification code",
        181,
        3,
        8,
        &["LABCERT"],
        true,
    ),
    spec(
        CrossReference,
        "cross reference code",
        205,
        5,
        5,
        &["XREF"],
        false,
    ),
    spec(
        Coverage,
        "coverage code",
        230,
        1,
        1,
        &["COVERAGE", "COV"],
        false,
    ),
    spec(
        AscPaymentGroup,
        "ASC payment group",
        231,
        2,
        1,
        &["ASCPAYGRP", "ASCGRP"],
        false,
    ),
    spec(
        AscEffectiveDate,
        "ASC payment group effective date",
        233,
        8,
        1,
        &["ASCPAYGRPEFFDATE", "ASCDT"],
        false,
    ),
    spec(
        MogPaymentGroup,
        "MOG payment group",
        241,
        3,
        1,
        &["MOGPAYGRP", "OPPS"],
        true,
    ),
    spec(
        MogPaymentIndicator,
        "MOG payment policy indicator",
        244,
        1,
        1,
        &["MOGPAYIND", "OPPSPI"],
        false,
    ),
    spec(
        MogEffectiveDate,
        "MOG effective date",
        245,
        8,
        1,
        &["MOGEFFDATE", "OPPSDT"],
        false,
    ),
    spec(
        ProcessingNote,
        "processing note number",
        253,
        4,
        1,
        &["PROCNOTE"],
        true,
    ),
    spec(Betos, "BETOS code", 257, 3, 1, &["BETOS"], false),
    spec(
        TypeOfService,
        "type of service code",
        261,
        1,
        5,
        &["TOS"],
        false,
    ),
    spec(
        AnesthesiaBaseUnits,
        "anesthesia base units",
        266,
        3,
        1,
        &["ANESTBASEUNITS", "ANESTBU"],
        false,
    ),
    spec(
        AddedDate,
        "code added date",
        269,
        8,
        1,
        &["CODEADDDATE", "ADDDT"],
        false,
    ),
    spec(
        ActionEffectiveDate,
        "action effective date",
        277,
        8,
        1,
        &["ACTIONEFFDATE", "ACTEFFDT"],
        false,
    ),
    spec(
        TerminationDate,
        "termination date",
        285,
        8,
        1,
        &["TERMDATE", "TERMDT"],
        false,
    ),
    spec(
        ActionCode,
        "action code",
        293,
        1,
        1,
        &["ACTIONCODE", "ACTIONCD"],
        false,
    ),
];

/// The shortest first line (record identification 3 or 7) that holds every field.
pub const FIRST_LINE_MIN_LEN: usize = 293;

/// The description columns of a continuation line (record identification 4 or 8).
pub const CONTINUATION_MIN_LEN: usize = 11;

pub fn spec_of(field: Field) -> &'static FieldSpec {
    LAYOUT
        .iter()
        .find(|s| s.field == field)
        .expect("every field is in LAYOUT")
}

/// Reduces a workbook or CSV header to the form `FieldSpec::headers` lists.
pub fn header_key(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The field and occurrence (0-based) a header names, if any.
pub fn field_for_header(header: &str) -> Option<(Field, usize)> {
    let key = header_key(header);
    for spec in LAYOUT {
        for h in spec.headers {
            if spec.occurs == 1 {
                if key == *h {
                    return Some((spec.field, 0));
                }
            } else if let Some(n) = key.strip_prefix(h)
                && let Ok(n) = n.parse::<usize>()
                && (1..=spec.occurs).contains(&n)
            {
                return Some((spec.field, n - 1));
            }
        }
    }
    None
}

/// How many values a row holds: every occurrence of every field.
const SLOTS: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < LAYOUT.len() {
        n += LAYOUT[i].occurs;
        i += 1;
    }
    n
};

/// The slot of each field's first occurrence, indexed by `Field as usize`.
const FIRST_SLOT: [usize; LAYOUT.len()] = {
    let mut first = [0; LAYOUT.len()];
    let mut i = 1;
    while i < LAYOUT.len() {
        first[i] = first[i - 1] + LAYOUT[i - 1].occurs;
        i += 1;
    }
    first
};

/// One input row mapped onto the layout, before any value is checked: the raw text of every
/// occurrence of every field. The values live in one string: a fixed-width line as it is (its
/// fields found by the layout's columns), or a table row's cells one after another.
#[derive(Debug, Clone, Default)]
pub struct RawRow {
    text: String,
    /// Byte range of each slot in `text`; `None` for a line whose fields are the layout's
    /// columns (an ASCII line, where columns and bytes agree).
    spans: Option<Box<[(usize, usize); SLOTS]>>,
}

impl RawRow {
    /// A row whose values are set one by one (`set`).
    pub fn new() -> Self {
        RawRow {
            text: String::new(),
            spans: Some(Box::new([(0, 0); SLOTS])),
        }
    }

    /// A fixed-width line cut by the layout's columns (1-based, in characters); a field past
    /// the line's end is blank.
    pub fn from_line(line: String) -> Self {
        if line.is_ascii() {
            return RawRow {
                text: line,
                spans: None,
            };
        }
        let mut bytes: Vec<usize> = line.char_indices().map(|(i, _)| i).collect();
        bytes.push(line.len());
        let chars = bytes.len() - 1;
        let mut spans = Box::new([(0, 0); SLOTS]);
        for (slot, (start, end)) in spans.iter_mut().zip(COLUMNS) {
            *slot = (bytes[start.min(chars)], bytes[end.min(chars)]);
        }
        RawRow {
            text: line,
            spans: Some(spans),
        }
    }

    pub fn set(&mut self, field: Field, occurrence: usize, value: String) {
        let spans = self.spans.get_or_insert_with(|| {
            let text = &self.text;
            let mut spans = Box::new([(0, 0); SLOTS]);
            for (slot, (start, end)) in spans.iter_mut().zip(COLUMNS) {
                *slot = (start.min(text.len()), end.min(text.len()));
            }
            spans
        });
        let start = self.text.len();
        self.text.push_str(&value);
        spans[FIRST_SLOT[field as usize] + occurrence] = (start, self.text.len());
    }

    fn slot(&self, slot: usize) -> &str {
        let (start, end) = match &self.spans {
            Some(spans) => spans[slot],
            None => {
                let (start, end) = COLUMNS[slot];
                (start.min(self.text.len()), end.min(self.text.len()))
            }
        };
        &self.text[start..end]
    }

    pub fn get(&self, field: Field) -> &str {
        self.slot(FIRST_SLOT[field as usize])
    }

    /// Every occurrence of `field`, in order.
    pub fn all(&self, field: Field) -> impl Iterator<Item = &str> {
        let first = FIRST_SLOT[field as usize];
        (first..first + LAYOUT[field as usize].occurs).map(|slot| self.slot(slot))
    }
}

/// The 0-based, end-exclusive columns of every slot of a fixed-width line, in slot order.
const COLUMNS: [(usize, usize); SLOTS] = {
    let mut columns = [(0, 0); SLOTS];
    let mut i = 0;
    let mut slot = 0;
    while i < LAYOUT.len() {
        let spec = &LAYOUT[i];
        let mut n = 0;
        while n < spec.occurs {
            let start = spec.start - 1 + n * spec.width;
            columns[slot] = (start, start + spec.width);
            slot += 1;
            n += 1;
        }
        i += 1;
    }
    columns
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_in_field_order_and_does_not_overlap() {
        let mut end = 0;
        for (i, spec) in LAYOUT.iter().enumerate() {
            assert_eq!(spec.field as usize, i, "{} out of order", spec.name);
            assert!(
                spec.start > end,
                "{} overlaps the field before it",
                spec.name
            );
            end = spec.end();
        }
        assert_eq!(end, FIRST_LINE_MIN_LEN);
    }

    #[test]
    fn headers_of_every_year_map_to_fields() {
        assert_eq!(field_for_header("PRICE3"), Some((PricingIndicator, 2)));
        assert_eq!(field_for_header("PI1"), Some((PricingIndicator, 0)));
        assert_eq!(field_for_header("Lab Cert8"), Some((LabCertification, 7)));
        assert_eq!(field_for_header("X-Ref5"), Some((CrossReference, 4)));
        assert_eq!(
            field_for_header("ACT EFF DT"),
            Some((ActionEffectiveDate, 0))
        );
        assert_eq!(
            field_for_header("Action Eff Date"),
            Some((ActionEffectiveDate, 0))
        );
        assert_eq!(field_for_header("PRICE5"), None);
        assert_eq!(field_for_header("FILLER"), None);
    }
}
