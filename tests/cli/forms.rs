//! Every form CMS has shipped a release in, written here from one table of records (`sample`)
//! with the habits of the year it copies, then imported: each must give back exactly the
//! records it was written from. Fixed-width text of 293 (2012, 2013) and 320 characters (2016
//! on) with disclaimer lines, CRLF, Windows-1252 bytes, continuation lines, right-trimmed lines
//! and 2012's tab; workbooks with note rows above the header (2020 quarterly), with a row per
//! code (2016-2025) and with a row per text line (2013); legacy `.xls` (2012, 2020; a small file
//! made by `tests/fixtures/xls/make.py`); CSV with the workbook's headers; zips and folders as
//! CMS posts them, with transaction reports, READMEs and notes beside the release.
//!
//! The writers below place each field by the column numbers of CMS's record layout, written out
//! here apart from the crate's own table (`src/read/layout.rs`), so a wrong column in either
//! shows up as a difference.

use chrono::NaiveDate;
use hcpcs_diff::model::{Kind, Record, ReleaseId};
use hcpcs_diff::store::Store;
use hcpcs_diff::{ReadOptions, ReleaseFrom, load_path, load_source, source};

use crate::util::{Work, fixture, json, stderr, stdout, zip_of};

pub(crate) fn date(ymd: &str) -> Option<NaiveDate> {
    Some(NaiveDate::parse_from_str(ymd, "%Y-%m-%d").unwrap())
}

pub(crate) fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

pub(crate) fn some(value: &str) -> Option<String> {
    Some(value.to_string())
}

/// A made-up release that uses every field: descriptions long enough for one and two
/// continuation lines, Windows-1252 characters, repeating fields, every kind of date, a
/// terminated code, anesthesia units, and modifiers. Five codes take effect on 2020-04-01 with
/// an action other than N, which is how a quarterly file without a dated name is dated.
pub fn sample() -> Vec<Record> {
    let mut out = Vec::new();

    let mut r = Record::new("A0998", Kind::Procedure);
    r.long_description = "Ambulance response and treatment at the scene, no transport, including all supplies and oxygen given there".into();
    r.short_description = some("Amb response, no transport");
    r.pricing_indicators = strings(&["00"]);
    r.multiple_pricing_indicator = some("9");
    r.cross_references = strings(&["A0999"]);
    r.coverage = some("I");
    r.betos = some("O1A");
    r.types_of_service = strings(&["D"]);
    r.added_date = date("2008-01-01");
    r.action_effective_date = date("2020-04-01");
    r.action_code = some("C");
    out.push(r);

    let mut r = Record::new("B4150", Kind::Procedure);
    r.long_description = "Enteral formula, nutritionally complete with intact nutrients, includes proteins, fats, carbohydrates, vitamins and minerals, may include fiber, administered through an enteral feeding tube, 100 calories = 1 unit".into();
    r.short_description = some("Enteral formulae category i");
    r.pricing_indicators = strings(&["46"]);
    r.multiple_pricing_indicator = some("A");
    r.coverage_issues_manual = strings(&["65-10"]);
    r.medicare_carriers_manual = strings(&["2130", "4450"]);
    r.coverage = some("D");
    r.betos = some("D1F");
    r.types_of_service = strings(&["9", "P"]);
    r.added_date = date("1990-01-01");
    r.action_effective_date = date("2020-04-01");
    r.action_code = some("P");
    out.push(r);

    let mut r = Record::new("E0999", Kind::Procedure);
    r.long_description =
        "Cushion for a wheelchair, the patient’s own café-style foam insert, any size".into();
    r.short_description = some("Patient’s café cushion");
    r.pricing_indicators = strings(&["32", "33"]);
    r.statute = some("1834(a)");
    r.coverage = some("C");
    r.betos = some("D1D");
    r.types_of_service = strings(&["R", "P", "L"]);
    r.added_date = date("2005-01-01");
    r.action_effective_date = date("2020-04-01");
    r.action_code = some("A");
    out.push(r);

    let mut r = Record::new("G0999", Kind::Procedure);
    r.long_description =
        "Laboratory test panel, blood, including the drawing of the specimen".into();
    r.short_description = some("Lab panel, blood");
    r.pricing_indicators = strings(&["21"]);
    r.lab_certifications = strings(&["100", "310", "400"]);
    r.coverage = some("C");
    r.processing_note = some("0017");
    r.betos = some("T1H");
    r.types_of_service = strings(&["5"]);
    r.added_date = date("2019-07-01");
    r.action_effective_date = date("2020-04-01");
    r.action_code = some("A");
    out.push(r);

    let mut r = Record::new("J9999", Kind::Procedure);
    r.long_description = "Injection, an example drug, 10 mg".into();
    r.short_description = some("Example drug inj");
    r.pricing_indicators = strings(&["51"]);
    r.multiple_pricing_indicator = some("9");
    r.coverage = some("C");
    r.asc_payment_group = some("YY");
    r.asc_effective_date = date("2019-01-01");
    r.mog_payment_group = some("A12");
    r.mog_payment_indicator = some("1");
    r.mog_effective_date = date("2010-01-01");
    r.betos = some("O1D");
    r.types_of_service = strings(&["1", "L"]);
    r.added_date = date("2015-01-01");
    r.action_effective_date = date("2015-01-01");
    r.action_code = some("N");
    out.push(r);

    let mut r = Record::new("L9990", Kind::Procedure);
    r.long_description = "Lower extremity prosthesis, example component".into();
    r.short_description = some("Example prosthetic part");
    r.pricing_indicators = strings(&["38"]);
    r.coverage = some("C");
    r.betos = some("D1G");
    r.types_of_service = strings(&["P"]);
    r.added_date = date("2001-01-01");
    r.action_effective_date = date("2020-01-01");
    r.termination_date = date("2019-12-31");
    r.action_code = some("D");
    out.push(r);

    let mut r = Record::new("V5299", Kind::Procedure);
    r.long_description = "Hearing service, example, 1-2 visits".into();
    r.short_description = some("Hearing service");
    r.coverage = some("M");
    r.betos = some("M5D");
    r.types_of_service = strings(&["1"]);
    r.anesthesia_base_units = Some(5);
    r.added_date = date("2020-04-01");
    r.action_effective_date = date("2020-04-01");
    r.action_code = some("A");
    out.push(r);

    let mut r = Record::new("QF", Kind::Modifier);
    r.long_description = "Prescribed amount of oxygen is more than four liters per minute and portable oxygen is also prescribed".into();
    r.short_description = some("Prescribed oxygen >4 lpm");
    r.coverage = some("C");
    r.added_date = date("2000-01-01");
    r.action_effective_date = date("2000-01-01");
    r.action_code = some("N");
    out.push(r);

    let mut r = Record::new("TP", Kind::Modifier);
    r.long_description = "Medical transport, unloaded vehicle".into();
    r.short_description = some("Med transport unloaded");
    r.coverage = some("I");
    r.added_date = date("1995-01-01");
    r.action_effective_date = date("1995-01-01");
    r.action_code = some("N");
    out.push(r);

    // As a snapshot holds them (and CMS's files list them): sorted by code.
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out
}

/// The records as 2012 printed them: every long description in capitals.
fn upper_case(records: Vec<Record>) -> Vec<Record> {
    records
        .into_iter()
        .map(|mut r| {
            r.long_description = r.long_description.to_uppercase();
            r
        })
        .collect()
}

/// A long description cut at spaces into the 80-character pieces of the text's lines.
fn pieces(description: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    for word in description.split(' ') {
        let cur = out.last_mut().unwrap();
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > 80 {
            out.push(word.to_string());
        } else {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(word);
        }
    }
    out
}

/// CMS's record layout, field by field in the workbooks' column order: (1-based start column in
/// the text, width, occurrences).
const TEXT_COLUMNS: &[(usize, usize, usize)] = &[
    (1, 5, 1),   // HCPCS code, right-aligned
    (6, 5, 1),   // sequence number
    (11, 1, 1),  // record identification code
    (12, 80, 1), // long description
    (92, 28, 1), // short description
    (120, 2, 4), // pricing indicators
    (128, 1, 1), // multiple pricing indicator
    (129, 6, 3), // Coverage Issues Manual
    (147, 8, 3), // Medicare Carriers Manual
    (171, 10, 1),
    (181, 3, 8), // lab certifications
    (205, 5, 5), // cross references
    (230, 1, 1), // coverage
    (231, 2, 1), // ASC payment group
    (233, 8, 1), // ASC effective date
    (241, 3, 1), // MOG payment group
    (244, 1, 1), // MOG payment indicator
    (245, 8, 1), // MOG effective date
    (253, 4, 1), // processing note
    (257, 3, 1), // BETOS
    (261, 1, 5), // types of service
    (266, 3, 1), // anesthesia base units
    (269, 8, 1), // added
    (277, 8, 1), // action effective
    (285, 8, 1), // termination
    (293, 1, 1), // action code
];

const SEQ: usize = 1;
const RIC: usize = 2;
const PRICING: std::ops::Range<usize> = 5..9;
const UNITS: usize = 43;

/// The 48 values of a record's first line or row, in the workbooks' column order, unpadded;
/// `description` is what this line holds of the long description.
fn values(r: &Record, description: &str) -> Vec<String> {
    let ymd = |d: Option<NaiveDate>| d.map(|d| d.format("%Y%m%d").to_string());
    let one = |v: &Option<String>| v.clone().unwrap_or_default();
    let n = |v: &[String], n: usize| -> Vec<String> {
        (0..n)
            .map(|i| v.get(i).cloned().unwrap_or_default())
            .collect()
    };
    let ric = if r.kind == Kind::Procedure { "3" } else { "7" };
    let mut out = vec![
        r.code.clone(),
        "00100".into(),
        ric.into(),
        description.into(),
        one(&r.short_description),
    ];
    out.extend(n(&r.pricing_indicators, 4));
    out.push(one(&r.multiple_pricing_indicator));
    out.extend(n(&r.coverage_issues_manual, 3));
    out.extend(n(&r.medicare_carriers_manual, 3));
    out.push(one(&r.statute));
    out.extend(n(&r.lab_certifications, 8));
    out.extend(n(&r.cross_references, 5));
    out.push(one(&r.coverage));
    out.push(one(&r.asc_payment_group));
    out.push(ymd(r.asc_effective_date).unwrap_or_default());
    out.push(one(&r.mog_payment_group));
    out.push(one(&r.mog_payment_indicator));
    out.push(ymd(r.mog_effective_date).unwrap_or_default());
    out.push(one(&r.processing_note));
    out.push(one(&r.betos));
    out.extend(n(&r.types_of_service, 5));
    out.push(
        r.anesthesia_base_units
            .map(|u| u.to_string())
            .unwrap_or_default(),
    );
    out.push(ymd(r.added_date).unwrap_or_default());
    out.push(ymd(r.action_effective_date).unwrap_or_default());
    out.push(ymd(r.termination_date).unwrap_or_default());
    out.push(one(&r.action_code));
    assert_eq!(out.len(), 48);
    out
}

/// The values of a continuation line or row: code, sequence, record id 4 or 8, description.
fn continuation(r: &Record, n: usize, description: &str) -> Vec<String> {
    let ric = if r.kind == Kind::Procedure { "4" } else { "8" };
    vec![
        r.code.clone(),
        format!("{:03}00", n + 1),
        ric.into(),
        description.into(),
    ]
}

/// Places `values` in a line of `width` characters by `TEXT_COLUMNS`.
fn place(values: &[String], width: usize) -> String {
    let mut line = vec![' '; width];
    let mut i = 0;
    for &(start, w, occurs) in TEXT_COLUMNS {
        for k in 0..occurs {
            if let Some(v) = values.get(i) {
                assert!(v.chars().count() <= w, "{v} is wider than {w}");
                for (j, c) in v.chars().enumerate() {
                    line[start - 1 + k * w + j] = c;
                }
            }
            i += 1;
        }
    }
    line.into_iter().collect()
}

/// The text lines of `records`: first lines `width` characters wide (293 or 320), continuation
/// lines as wide, or right-trimmed where `trim` says.
pub(crate) fn text_lines(records: &[Record], width: usize, trim: bool) -> Vec<String> {
    let mut lines = Vec::new();
    for r in records {
        let parts = pieces(&r.long_description);
        let mut first = values(r, &parts[0]);
        first[0] = format!("{:>5}", r.code);
        // CMS writes a right-aligned 0 where a procedure has no base units.
        if r.kind == Kind::Procedure && first[UNITS].is_empty() {
            first[UNITS] = "0".into();
        }
        first[UNITS] = format!("{:>3}", first[UNITS]);
        lines.push(place(&first, width));
        for (n, part) in parts.iter().enumerate().skip(1) {
            let mut cont = continuation(r, n, part);
            cont[0] = format!("{:>5}", r.code);
            let line = place(&cont, width);
            lines.push(if trim {
                line.trim_end().to_string()
            } else {
                line
            });
        }
    }
    lines
}

const DISCLAIMER: &[&str] = &[
    "***Disclaimers",
    "",
    "-- Discontinued procedure and modifier codes appear in this file for four years. After four years, these procedure and modifier",
    "   codes no longer appear.",
    "",
    "-- Inclusion of a procedure, supply, product, or service does not imply any coverage or reimbursement policy.",
    "",
    "",
];

/// Joins lines with CRLF and encodes them as Windows-1252, as CMS's text files are.
pub(crate) fn crlf_1252(lines: &[String]) -> Vec<u8> {
    let text = format!("{}\r\n", lines.join("\r\n"));
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!unmappable, "a character Windows-1252 cannot hold");
    bytes.into_owned()
}

/// The 2016-2025 workbook headers, and the 2012-2013 ones (`SEQ NUM`, `RIC`, `PI1`, ...).
fn headers(old_names: bool) -> Vec<String> {
    let numbered =
        |name: &str, n: usize| -> Vec<String> { (1..=n).map(|i| format!("{name}{i}")).collect() };
    let mut h: Vec<String> = Vec::new();
    if old_names {
        h.extend(strings(&[
            "HCPC",
            "SEQ NUM",
            "RIC",
            "LONG DESCRIPTION",
            "SHORT DESCRIPTION",
        ]));
        h.extend(numbered("PI", 4));
        h.push("MPI".into());
        h.extend(numbered("CIM", 3));
        h.extend(numbered("MCM", 3));
        h.push("STATUTE".into());
        h.extend(numbered("LAB CERT", 8));
        h.extend(numbered("X-REF", 5));
        h.extend(strings(&[
            "COVERAGE",
            "ASC PAY GRP",
            "ASC PAY GRP EFF DATE",
            "MOG PAY GRP",
            "MOG PAY IND",
            "MOG EFF DATE",
            "PROC NOTE",
            "BETOS",
        ]));
        h.extend(numbered("TOS", 5));
        h.extend(strings(&[
            "ANEST BASE UNITS",
            "CODE ADD DATE",
            "ACTION EFF DATE",
            "TERM DATE",
            "ACTION CODE",
        ]));
    } else {
        h.extend(strings(&[
            "HCPC",
            "SEQNUM",
            "RECID",
            "LONG DESCRIPTION",
            "SHORT DESCRIPTION",
        ]));
        h.extend(numbered("PRICE", 4));
        h.push("MULT_PI".into());
        h.extend(numbered("CIM", 3));
        h.extend(numbered("MCM", 3));
        h.push("STATUTE".into());
        h.extend(numbered("LABCERT", 8));
        h.extend(numbered("XREF", 5));
        h.extend(strings(&[
            "COV", "ASC_GRP", "ASC_DT", "OPPS", "OPPS_PI", "OPPS_DT", "PROCNOTE", "BETOS",
        ]));
        h.extend(numbered("TOS", 5));
        h.extend(strings(&[
            "ANEST_BU",
            "ADD DT",
            "ACT EFF DT",
            "TERM DT",
            "ACTION CD",
        ]));
    }
    assert_eq!(h.len(), 48);
    h
}

/// How a workbook lays a release out.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Sheet {
    /// 2016-2025: one row per code, the whole description in it, codes right-aligned.
    PerCode,
    /// 2020 quarterly: as `PerCode`, under note rows, sheet `A`, some cells numbers.
    Quarterly,
    /// 2013: one row per text line (record ids 4 and 8 continue the description), old headers.
    PerLine,
}

/// The rows of `records` in a workbook or CSV laid out as `sheet` (header not included).
fn table_rows(records: &[Record], sheet: Sheet) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for r in records {
        let parts = pieces(&r.long_description);
        let description = if sheet == Sheet::PerLine {
            parts[0].clone()
        } else {
            r.long_description.clone()
        };
        let mut first = values(r, &description);
        if sheet == Sheet::PerLine {
            if first[UNITS].is_empty() {
                first[UNITS] = "0".into();
            }
        } else {
            first[0] = format!("{:>5}", r.code);
            first[SEQ] = "0010".into();
        }
        rows.push(first);
        if sheet == Sheet::PerLine {
            for (n, part) in parts.iter().enumerate().skip(1) {
                rows.push(continuation(r, n, part));
            }
        }
    }
    rows
}

pub(crate) fn workbook(records: &[Record], sheet: Sheet) -> Vec<u8> {
    workbook_with(records, sheet, |_, _| {})
}

/// `workbook`, then `edit` called with its sheet and the row of its header.
pub(crate) fn workbook_with(
    records: &[Record],
    sheet: Sheet,
    edit: impl FnOnce(&mut rust_xlsxwriter::Worksheet, u32),
) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let mut top = 0;
    match sheet {
        Sheet::Quarterly => {
            ws.set_name("A").unwrap();
            ws.write_string(
                0,
                0,
                "Note regarding coverage and payment indicators for codes in this update",
            )
            .unwrap();
            ws.write_string(2, 0, "If specific Medicare coverage or payment indicators have not been established for new codes, this is neither an indicator of coverage nor of non-coverage.")
                .unwrap();
            top = 10;
        }
        Sheet::PerLine => {
            ws.set_name("HCPC2013_CONTR2_CF").unwrap();
        }
        Sheet::PerCode => {
            ws.set_name("hcpc_fixture").unwrap();
        }
    }
    for (c, h) in headers(sheet == Sheet::PerLine).iter().enumerate() {
        ws.write_string(top, c as u16, h).unwrap();
    }
    for (i, row) in table_rows(records, sheet).iter().enumerate() {
        let at = top + 1 + i as u32;
        for (c, v) in row.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            // Excel keeps what looks like a number as one: the quarterly files have numeric
            // record ids and pricing indicators ("00" becomes 0) here and there.
            let numeric = sheet == Sheet::Quarterly && (c == RIC || PRICING.contains(&c));
            if numeric {
                ws.write_number(at, c as u16, v.parse::<f64>().unwrap())
                    .unwrap();
            } else {
                ws.write_string(at, c as u16, v).unwrap();
            }
        }
    }
    edit(ws, top);
    wb.save_to_buffer().unwrap()
}

/// A CSV as an analyst saves the workbook: `sheet`'s headers and rows, Windows-1252.
pub(crate) fn csv_file(records: &[Record], sheet: Sheet) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(headers(sheet == Sheet::PerLine)).unwrap();
    for row in table_rows(records, sheet) {
        let mut row = row;
        row.resize(48, String::new());
        w.write_record(&row).unwrap();
    }
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    encoding_rs::WINDOWS_1252.encode(&text).0.into_owned()
}

/// CMS's transaction report as a workbook: one row per code, no record ids, so not a release.
fn transaction_report_xlsx(records: &[Record]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name("Changes by HCPC code").unwrap();
    for (c, h) in ["HCPC", "ACTION CD", "SHORT DESCRIPTION", "LONG DESCRIPTION"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (i, r) in records.iter().enumerate() {
        let row = i as u32 + 1;
        ws.write_string(row, 0, &r.code).unwrap();
        ws.write_string(row, 1, "NO CHANGE").unwrap();
        ws.write_string(row, 2, r.short_description.as_deref().unwrap_or(""))
            .unwrap();
        ws.write_string(row, 3, &r.long_description).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

/// The transaction report as `.prn` text (columns of code, change, descriptions).
fn transaction_report_prn(records: &[Record]) -> Vec<u8> {
    let mut lines = vec![" HCPCS/MOD      TYPE OF CHANGE    SHORT DESCRIPTION".to_string()];
    for r in records {
        lines.push(format!(
            "{:>8}          No Change       {}",
            r.code,
            r.short_description.as_deref().unwrap_or("")
        ));
    }
    crlf_1252(&lines)
}

fn readme_and_notes(year: u16) -> Vec<(String, Vec<u8>)> {
    vec![
        (
            format!("HCPC{year}_README.txt"),
            crlf_1252(&strings(&[
                "CENTERS FOR MEDICARE & MEDICAID SERVICES (CMS)",
                "ALPHANUMERIC HEALTH CARE PROCEDURE CODING SYSTEM (HCPCS)",
                "",
                "This file contains the Level II alpha-numeric HCPCS procedure and modifier codes.",
            ])),
        ),
        (
            format!("proc_notes_{year}.txt"),
            crlf_1252(&strings(&[
                "                                        PROCESSING NOTES",
                "          0017--THIS NOTE IS AN EXAMPLE WRITTEN FOR THE TESTS.            *",
            ])),
        ),
    ]
}

fn release(id: &str) -> ReleaseId {
    id.parse().unwrap()
}

fn load(name: &str, bytes: Vec<u8>, options: ReadOptions) -> hcpcs_diff::Loaded {
    load_source(source::from_bytes(name, bytes).unwrap(), options)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The first difference between two sets of records, for a readable failure.
fn assert_same(got: &[Record], want: &[Record], what: &str) {
    assert_eq!(
        got.iter().map(|r| &r.code).collect::<Vec<_>>(),
        want.iter().map(|r| &r.code).collect::<Vec<_>>(),
        "{what}: codes"
    );
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g, w, "{what}: {}", w.code);
    }
}

#[test]
fn text_of_293_characters_in_capitals_with_2012s_tab_is_repaired_with_a_warning() {
    let records = upper_case(dated_for(sample(), 2012));
    let mut lines = text_lines(&records, 293, false);
    assert!(lines.iter().all(|l| l.chars().count() == 293));
    // 2012's defect: a tab where two spaces belong, right after TP's long description, so the
    // line is one character short and every later field one column early.
    let tp = lines.iter().position(|l| l.starts_with("   TP")).unwrap();
    let end = 11 + "MEDICAL TRANSPORT, UNLOADED VEHICLE".len();
    assert_eq!(&lines[tp][end..end + 2], "  ");
    lines[tp].replace_range(end..end + 2, "\t");
    let text = crlf_1252(&lines);
    let mut members = vec![("12anweb.txt".to_string(), text)];
    members.extend(readme_and_notes(2012));
    let members: Vec<(&str, &[u8])> = members
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();

    let work = Work::new();
    let zip = work.write("12anweb.zip", zip_of(&members));
    let strict = work
        .cmd()
        .arg("import")
        .arg(&zip)
        .arg("--strict")
        .assert()
        .code(2);
    assert!(
        stderr(&strict).contains(&format!(
            "12anweb.zip: 12anweb.txt: line {}: long description: tab character in the text",
            tp + 1
        )),
        "{}",
        stderr(&strict)
    );
    assert!(work.store_state().is_empty());

    let out = work.cmd().arg("import").arg(&zip).assert().success();
    assert!(
        stderr(&out).contains(&format!(
            "line {}: long description: tab character in the text; widened to 2 spaces so the fields after it line up",
            tp + 1
        )),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("release 2012-01"), "{}", stdout(&out));
    let stored = Store::new(work.store()).load(release("2012-01")).unwrap();
    assert_same(&stored.records, &records, "12anweb.zip");
    // The fields after the tab are where they belong.
    let tp = stored.get("TP").unwrap();
    assert_eq!(tp.coverage.as_deref(), Some("I"));
    assert_eq!(tp.action_code.as_deref(), Some("N"));
}

#[test]
fn text_of_293_characters_with_right_trimmed_continuations_and_windows_1252_bytes() {
    let records = dated_for(sample(), 2013);
    let lines = text_lines(&records, 293, true);
    // 2013's continuation lines stop where their text does.
    let continuations: Vec<&String> = lines.iter().filter(|l| l.len() < 293).collect();
    assert_eq!(continuations.len(), 4, "{continuations:#?}");
    let bytes = crlf_1252(&lines);
    // ’ and é as Windows-1252 writes them (0x92, 0xE9), not UTF-8.
    assert!(bytes.contains(&0x92) && bytes.contains(&0xE9));
    assert!(std::str::from_utf8(&bytes).is_err());
    let loaded = load("HCPC2013_A-N.txt", bytes, ReadOptions::default());
    assert_eq!(loaded.snapshot.release(), release("2013-01"));
    // The curly quote is a character CMS's files hold; an accented letter is not (no real
    // release has one but as a damaged byte), so it is reported, and kept.
    let warnings: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "line 6: long description: E0999: character 'é' (U+00E9) in column 59 is not one HCPCS text holds; kept as read (no workbook beside the text to repair it from)",
            "line 6: short description: E0999: character 'é' (U+00E9) in column 105 is not one HCPCS text holds; kept as read (no workbook beside the text to repair it from)"
        ]
    );
    assert_same(&loaded.snapshot.records, &records, "HCPC2013_A-N.txt");
    let e0999 = loaded.snapshot.get("E0999").unwrap();
    assert_eq!(
        e0999.long_description,
        "Cushion for a wheelchair, the patient’s own café-style foam insert, any size"
    );
    // Two continuation lines joined with single spaces.
    let b4150 = loaded.snapshot.get("B4150").unwrap();
    assert!(
        b4150
            .long_description
            .ends_with("through an enteral feeding tube, 100 calories = 1 unit")
    );
}

#[test]
fn text_of_320_characters_under_disclaimer_lines() {
    let records = sample();
    let mut lines: Vec<String> = strings(DISCLAIMER);
    let body = text_lines(&records, 320, false);
    assert!(body.iter().all(|l| l.chars().count() == 320));
    lines.extend(body);
    // One continuation line right-trimmed, as the odd line in CMS's files is.
    let cont = lines
        .iter()
        .position(|l| l.len() > 10 && &l[10..11] == "4")
        .unwrap();
    lines[cont] = lines[cont].trim_end().to_string();
    for (ending, what) in [("\r\n", "CRLF"), ("\n", "LF")] {
        let text = crlf_1252(&lines);
        let text = if ending == "\n" {
            text.iter()
                .copied()
                .filter(|b| *b != b'\r')
                .collect::<Vec<u8>>()
        } else {
            text
        };
        let loaded = load(
            "HCPC2025_JAN_ANWEB_12172024.txt",
            text,
            ReadOptions::default(),
        );
        assert_eq!(
            loaded.release_from,
            ReleaseFrom::Name("HCPC2025_JAN_ANWEB_12172024.txt".into()),
            "{what}"
        );
        assert_eq!(loaded.snapshot.release(), release("2025-01"));
        assert_same(&loaded.snapshot.records, &records, what);
    }
}

#[test]
fn workbook_with_note_rows_above_the_header_is_dated_by_its_content() {
    let records = sample();
    let bytes = workbook(&records, Sheet::Quarterly);
    let loaded = load("anweb.xlsx", bytes, ReadOptions::default());
    // Five codes' actions take effect on 2020-04-01 (sample), none later.
    assert_eq!(loaded.release_from, ReleaseFrom::Content);
    assert_eq!(loaded.snapshot.release(), release("2020-04"));
    // Numeric cells read back as the text's digits: pricing indicator 0 is "00" again.
    assert_eq!(
        loaded.snapshot.get("A0998").unwrap().pricing_indicators,
        ["00"]
    );
    assert_same(&loaded.snapshot.records, &records, "anweb.xlsx");
}

#[test]
fn workbook_with_a_row_per_code_and_one_with_a_row_per_text_line() {
    for (name, sheet, year) in [
        ("HCPC2016_CONTR_ANWEB.xlsx", Sheet::PerCode, 2016),
        ("HCPC2013_A-N.xlsx", Sheet::PerLine, 2013),
    ] {
        let records = dated_for(sample(), year);
        let rows = table_rows(&records, sheet);
        // 2013's has a row per text line: the 4 continuation lines of the sample are rows too.
        let expected_rows = records.len() + if sheet == Sheet::PerLine { 4 } else { 0 };
        assert_eq!(rows.len(), expected_rows, "{name}");
        let loaded = load(name, workbook(&records, sheet), ReadOptions::default());
        assert_eq!(loaded.release_from, ReleaseFrom::Name(name.into()));
        assert_same(&loaded.snapshot.records, &records, name);
    }
}

#[test]
fn csv_with_the_workbook_headers_of_either_era() {
    let records = sample();
    for sheet in [Sheet::PerLine, Sheet::PerCode] {
        let bytes = csv_file(&records, sheet);
        assert!(bytes.contains(&0x92), "Windows-1252, as Excel saves CSV");
        let loaded = load("HCPC2021_CONTR_ANWEB.csv", bytes, ReadOptions::default());
        assert_same(&loaded.snapshot.records, &records, "csv");
    }
}

/// The codes of `sample` that `tests/fixtures/xls/make.py` writes into its `.xls`.
const XLS_CODES: &[&str] = &["A0998", "E0999", "J9999", "L9990", "QF"];

#[test]
fn legacy_xls_with_a_note_row_above_the_header_and_a_row_per_text_line() {
    let path = fixture("xls/12anweb.xls");
    let bytes = std::fs::read(&path).unwrap();
    // An OLE2 compound file (BIFF8), as Excel 97-2003 writes .xls.
    assert!(bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]));
    let loaded = load_path(&path, ReadOptions::default()).unwrap();
    assert_eq!(loaded.snapshot.release(), release("2012-01"));
    let want: Vec<Record> = upper_case(sample())
        .into_iter()
        .filter(|r| XLS_CODES.contains(&r.code.as_str()))
        .collect();
    assert_same(&loaded.snapshot.records, &want, "12anweb.xls");
}

/// A zip as CMS posted the annual files from 2017 to 2020 and posts them now: the text, its
/// workbook, the transaction reports as workbook and `.prn`, a README and processing notes.
fn annual_zip(records: &[Record]) -> Vec<(String, Vec<u8>)> {
    let mut text = strings(DISCLAIMER);
    text.extend(text_lines(records, 320, false));
    let mut members = vec![
        (
            "HCPC2021_Trans_Alpha.xlsx".to_string(),
            transaction_report_xlsx(records),
        ),
        (
            "Changes_by_HCPCSCode.prn".to_string(),
            transaction_report_prn(records),
        ),
        ("HCPC2021_CONTR_ANWEB.txt".to_string(), crlf_1252(&text)),
        (
            "HCPC2021_CONTR_ANWEB.xlsx".to_string(),
            workbook(records, Sheet::PerCode),
        ),
    ];
    members.extend(readme_and_notes(2021));
    members
}

fn zip_bytes(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let refs: Vec<(&str, &[u8])> = members
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    zip_of(&refs)
}

#[test]
fn a_zip_as_cms_posts_it_imports_its_text_and_the_workbook_inside_agrees() {
    let records = sample();
    let members = annual_zip(&records);
    let work = Work::new();
    let zip = work.write("2021-Alpha-Numeric-HCPCS-File.zip", zip_bytes(&members));
    work.cmd().arg("import").arg(&zip).assert().success();
    let store = Store::new(work.store());
    let p = store.provenance(release("2021-01")).unwrap();
    assert_eq!(p.source.member.as_deref(), Some("HCPC2021_CONTR_ANWEB.txt"));
    assert_eq!(
        p.source.sha256,
        hcpcs_diff::model::sha256_hex(&std::fs::read(&zip).unwrap())
    );
    assert_same(
        &store.load(release("2021-01")).unwrap().records,
        &records,
        "zip",
    );
    // The workbook in the same zip reads to the same records.
    let (_, xlsx) = members
        .iter()
        .find(|(n, _)| n == "HCPC2021_CONTR_ANWEB.xlsx")
        .unwrap();
    let from_workbook = load(
        "HCPC2021_CONTR_ANWEB.xlsx",
        xlsx.clone(),
        ReadOptions::default(),
    );
    assert_same(&from_workbook.snapshot.records, &records, "workbook in zip");
    // `list`: release, counts (7 procedure codes and 2 modifiers in the sample), zip, member.
    let list = stdout(&work.cmd().arg("list").assert().success());
    assert_eq!(
        list,
        format!(
            "2021-01  {:>5} codes  {:>4} modifiers  2021-Alpha-Numeric-HCPCS-File.zip (HCPC2021_CONTR_ANWEB.txt)  sha256 {}\n",
            7,
            2,
            &p.source.sha256[..12]
        )
    );
}

#[test]
fn a_quarterly_zip_of_workbooks_imports_the_release_not_the_transaction_report() {
    let records = sample();
    let members = vec![
        (
            "HCPC2021_APR_Transaction Report_03152021.xlsx".to_string(),
            transaction_report_xlsx(&records),
        ),
        (
            "HCPC2021_APR_ANWEB_03152021.xlsx".to_string(),
            workbook(&records, Sheet::Quarterly),
        ),
        (
            "proc_notes_APR2021.txt".to_string(),
            readme_and_notes(2021).remove(1).1,
        ),
    ];
    let file = source::from_bytes(
        "april-2021-alpha-numeric-hcpcs-file.zip",
        zip_bytes(&members),
    )
    .unwrap();
    assert_eq!(
        file.member.as_deref(),
        Some("HCPC2021_APR_ANWEB_03152021.xlsx")
    );
    let loaded = load_source(file, ReadOptions::default()).unwrap();
    assert_eq!(loaded.snapshot.release(), release("2021-04"));
    assert_same(&loaded.snapshot.records, &records, "quarterly zip");
}

#[test]
fn a_folder_of_loose_files_or_of_the_zip_as_downloaded() {
    let records = sample();
    let work = Work::new();
    let loose = work.path("2016-01");
    std::fs::create_dir(&loose).unwrap();
    let mut members = annual_zip(&records);
    members.push((
        "HCPC2021_TransReport_Changes_by_HCPCS_Code.txt".into(),
        crlf_1252(&strings(&[
            "HCPCS/Modifier Code\tType of Change",
            "A0998\tNo change",
        ])),
    ));
    for (name, bytes) in &members {
        std::fs::write(loose.join(name), bytes).unwrap();
    }
    let loaded = load_path(&loose, ReadOptions::default()).unwrap();
    assert_eq!(
        loaded.snapshot.provenance.source.member.as_deref(),
        Some("HCPC2021_CONTR_ANWEB.txt")
    );
    assert_eq!(loaded.snapshot.release(), release("2021-01"));
    assert_same(&loaded.snapshot.records, &records, "folder");

    let zipped = work.path("downloads");
    std::fs::create_dir(&zipped).unwrap();
    std::fs::write(
        zipped.join("2021-Alpha-Numeric-HCPCS-File.zip"),
        zip_bytes(&annual_zip(&records)),
    )
    .unwrap();
    let loaded = load_path(&zipped, ReadOptions::default()).unwrap();
    assert_eq!(
        loaded.snapshot.provenance.source.member.as_deref(),
        Some("2021-Alpha-Numeric-HCPCS-File.zip/HCPC2021_CONTR_ANWEB.txt")
    );
    assert_same(&loaded.snapshot.records, &records, "folder with a zip");
}

/// The sample as the next quarter: one code of each kind of change, and every other code's
/// action set to N so that CMS's action codes all fit the changes.
pub(crate) fn next_quarter() -> Vec<Record> {
    let mut records: Vec<Record> = sample()
        .into_iter()
        .filter(|r| r.code != "J9999") // dropped
        .map(|mut r| {
            r.action_code = some("N");
            r
        })
        .collect();
    let find =
        |records: &[Record], code: &str| records.iter().position(|r| r.code == code).unwrap();
    let i = find(&records, "A0998"); // retired
    records[i].termination_date = date("2021-03-31");
    records[i].action_code = some("D");
    let i = find(&records, "L9990"); // reinstated
    records[i].termination_date = None;
    records[i].action_code = some("R");
    let i = find(&records, "B4150"); // changed: payment
    records[i].pricing_indicators = strings(&["41"]);
    records[i].action_code = some("P");
    let i = find(&records, "E0999"); // cosmetic: punctuation only
    records[i].long_description =
        "Cushion for a wheelchair; the patient’s own café-style foam insert, any size".into();
    let i = find(&records, "V5299"); // encoding: a dash written as '?'
    records[i].long_description = "Hearing service, example, 1?2 visits".into();
    let mut added = Record::new("G1000", Kind::Procedure); // added
    added.long_description = "Example service added in the fixture quarter".into();
    added.short_description = some("Example added service");
    added.coverage = some("C");
    added.added_date = date("2021-04-01");
    added.action_effective_date = date("2021-04-01");
    added.action_code = some("A");
    records.push(added);
    records.sort_by(|a, b| a.code.cmp(&b.code));
    records
}

fn store_of_two_quarters() -> Work {
    let work = Work::new();
    for (name, records) in [
        ("HCPC2021_JAN_ANWEB.txt", sample()),
        ("HCPC2021_APR_ANWEB.txt", next_quarter()),
    ] {
        let path = work.write(name, crlf_1252(&text_lines(&records, 320, false)));
        work.cmd().arg("import").arg(&path).assert().success();
    }
    work
}

#[test]
fn every_kind_of_change_in_every_format() {
    let work = store_of_two_quarters();
    let out = work
        .cmd()
        .args(["diff", "2021-01", "2021-04", "--format", "json"])
        .assert()
        .code(1);
    let v = json(&out);
    let s = &v["summary"];
    for kind in ["added", "retired", "dropped", "reinstated"] {
        assert_eq!(s[kind], 1, "{kind}: {s}");
    }
    // B4150's payment, E0999's punctuation and V5299's dash written as '?'; the second is
    // cosmetic only, the third an encoding artefact only.
    assert_eq!(s["changed"], 3, "{s}");
    assert_eq!(s["cosmetic"], 1, "{s}");
    assert_eq!(s["encoding"], 1, "{s}");
    let change_of = |code: &str| {
        v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .unwrap_or_else(|| panic!("{code} not in {v}"))
            .clone()
    };
    assert_eq!(change_of("G1000")["change"], "added");
    assert_eq!(change_of("A0998")["change"], "retired");
    assert_eq!(change_of("J9999")["change"], "dropped");
    assert_eq!(change_of("L9990")["change"], "reinstated");
    assert_eq!(change_of("B4150")["fields"][0]["group"], "payment");
    assert_eq!(change_of("E0999")["fields"][0]["cosmetic"], true);
    assert_eq!(
        change_of("E0999")["fields"][0]["cosmetic_reason"],
        "punctuation"
    );
    assert_eq!(change_of("V5299")["fields"][0]["cosmetic"], true);
    assert_eq!(
        change_of("V5299")["fields"][0]["cosmetic_reason"],
        "encoding"
    );
    // A0998's cross-reference is not in either release: "use instead" says missing.
    assert_eq!(change_of("A0998")["replacements"][0]["code"], "A0999");
    assert_eq!(change_of("A0998")["replacements"][0]["status"], "missing");
    assert_eq!(v["disagreements"].as_array().unwrap().len(), 0, "{v}");

    let render = |format: &str| {
        stdout(
            &work
                .cmd()
                .args(["diff", "2021-01", "2021-04", "--format", format])
                .assert()
                .code(1),
        )
    };
    let text = render("text");
    for section in [
        "ADDED (1)\n  G1000  ",
        "RETIRED (1)\n  A0998  ",
        "DROPPED (1)\n  J9999  Injection, an example drug, 10 mg",
        "REINSTATED (1)\n  L9990  ",
        // Cosmetic changes show their old and new values, apart by reason.
        "\nCOSMETIC ONLY (1; letter case, spacing or punctuation only; --hide-cosmetic leaves them out)\n  E0999  ",
        "      Long description: Cushion for a [-wheelchair,-] {+wheelchair;+} the patient",
        "\nENCODING ONLY (1; encoding only: '?' or a misread letter where",
        "  V5299  Hearing service, example, 1?2 visits\n      Long description: Hearing service, example, [-1-2-] {+1?2+} visits\n",
    ] {
        assert!(text.contains(section), "{section}\n{text}");
    }
    let markdown = render("markdown");
    for row in [
        "| [Added](#added-1) | 1 |",
        "| [Dropped](#dropped-1) | 1 |",
        "| [Reinstated](#reinstated-1) | 1 |",
        "## Dropped (1)",
        "## Reinstated (1)",
        "## Encoding only (1)",
        "  - Long description: Hearing service, example, ~~1-2~~ **1?2** visits",
    ] {
        assert!(markdown.contains(row), "{row}\n{markdown}");
    }
    let csv_text = render("csv");
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let change_in_csv = |code: &str| {
        rows.iter()
            .find(|r| &r[col("code")] == code)
            .map(|r| r[col("change")].to_string())
    };
    assert_eq!(change_in_csv("J9999").as_deref(), Some("dropped"));
    assert_eq!(change_in_csv("L9990").as_deref(), Some("reinstated"));
    let html = render("html");
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    for code in ["G1000", "A0998", "J9999", "L9990", "B4150", "E0999"] {
        assert!(html.contains(code), "{code} not in the HTML report");
        assert!(markdown.contains(code), "{code} not in the markdown report");
    }
}

#[test]
fn show_history_list_and_export_of_fixture_releases() {
    let work = store_of_two_quarters();
    let out = work
        .cmd()
        .args(["show", "E0999", "--release", "2021-01", "--format", "json"])
        .assert()
        .success();
    let v = json(&out);
    assert_eq!(
        v["fields"]["long_description"][0]["value"],
        "Cushion for a wheelchair, the patient’s own café-style foam insert, any size"
    );
    assert_eq!(v["fields"]["types_of_service"][2]["value"], "L");
    assert_eq!(v["fields"]["statute"][0]["value"], "1834(a)");
    let text = stdout(&work.cmd().args(["show", "l9990"]).assert().success());
    assert!(
        text.starts_with("L9990  Lower extremity prosthesis, example component\n"),
        "{text}"
    );
    let out = work
        .cmd()
        .args(["history", "L9990", "--format", "json"])
        .assert()
        .success();
    let steps: Vec<String> = json(&out)["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["step"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(steps, ["first_seen", "reinstated"]);
    let list = stdout(&work.cmd().arg("list").assert().success());
    assert_eq!(list.lines().count(), 2, "{list}");
    let csv_text = stdout(&work.cmd().args(["export", "2021-04"]).assert().success());
    // A header, then one row per code: the sample less J9999, plus G1000.
    assert_eq!(csv_text.lines().count(), 1 + sample().len(), "{csv_text}");
}

/// Older 293-character files list the modifiers first, right-aligned in the code field
/// (`   QF`), and can carry a stray byte in that blank padding. Such a line is read, with a
/// warning naming its line, whether it is the file's first record or a later one; a line with
/// a record's sequence number whose code cannot be read is never skipped without a word.
#[test]
fn a_stray_byte_in_a_modifiers_padding_is_read_with_a_warning() {
    let records = dated_for(sample(), 2013);
    let (modifiers, codes): (Vec<Record>, Vec<Record>) = records
        .iter()
        .cloned()
        .partition(|r| r.kind == Kind::Modifier);
    let in_order: Vec<Record> = modifiers.into_iter().chain(codes).collect();
    for damaged in ["QF", "TP"] {
        let mut lines = text_lines(&in_order, 293, false);
        let at = lines
            .iter()
            .position(|l| l.starts_with(&format!("   {damaged}")))
            .unwrap();
        lines[at].replace_range(0..1, "\u{1a}");
        let work = Work::new();
        let file = work.write("HCPC2013_A-N.txt", crlf_1252(&lines));
        let strict = work
            .cmd()
            .arg("import")
            .arg(&file)
            .arg("--strict")
            .assert()
            .code(2);
        assert!(work.store_state().is_empty());
        let wanted = format!(
            "HCPC2013_A-N.txt: line {}: HCPCS code: stray character '\\u{{1a}}' (U+001A) in column 1 in the blank padding of the code field; read as blank",
            at + 1
        );
        assert!(stderr(&strict).contains(&wanted), "{}", stderr(&strict));
        let out = work.cmd().arg("import").arg(&file).assert().success();
        assert!(
            stderr(&out).contains(&format!("warning: {wanted}")),
            "{}",
            stderr(&out)
        );
        // The stray byte, and E0999's accented letter in its long and short descriptions.
        assert!(stdout(&out).contains("3 warnings"), "{}", stdout(&out));
        let stored = Store::new(work.store()).load(release("2013-01")).unwrap();
        assert_same(&stored.records, &records, damaged);
    }

    // A first record whose code is unreadable (not padding: the code itself) is not taken for
    // a disclaimer line: the import says which line it skipped.
    let mut tp_first = in_order.clone();
    tp_first.sort_by_key(|r| r.code != "TP");
    let mut lines = text_lines(&tp_first, 293, false);
    assert!(lines[0].starts_with("   TP"));
    lines[0].replace_range(3..4, "#");
    let work = Work::new();
    let file = work.write("HCPC2013_A-N.txt", crlf_1252(&lines));
    let out = work
        .cmd()
        .arg("import")
        .arg(&file)
        .arg("--strict")
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("HCPC2013_A-N.txt: line 1: HCPCS code: the line has a record's sequence number and identification code, but \"   #P\" is not a code; skipped"),
        "{}",
        stderr(&out)
    );
}

/// A code added and already terminated in NEW says so, with its dates, in every format; its
/// cross-references are followed through discontinued codes to active ones, and a CPT code
/// is labelled as outside HCPCS Level II, not missing. `history` tells CMS's dates.
#[test]
fn added_and_terminated_codes_and_replacement_chains() {
    let old = sample();
    let mut new = sample();
    let mut c = Record::new("C9998", Kind::Procedure);
    c.long_description = "Example drug, pass-through, 1 mg".into();
    c.cross_references = strings(&["Q9998", "99493"]);
    c.added_date = date("2021-04-01");
    c.termination_date = date("2021-06-30");
    c.action_code = some("A");
    let mut q = Record::new("Q9998", Kind::Procedure);
    q.long_description = "Example drug, temporary code, 1 mg".into();
    q.cross_references = strings(&["B4150"]);
    q.added_date = date("2021-04-01");
    q.termination_date = date("2021-06-30");
    q.action_code = some("A");
    new.extend([c, q]);
    new.sort_by(|a, b| a.code.cmp(&b.code));
    let work = Work::new();
    for (name, records) in [
        ("HCPC2021_JAN_ANWEB.txt", &old),
        ("HCPC2021_JUL_ANWEB.txt", &new),
    ] {
        let path = work.write(name, crlf_1252(&text_lines(records, 320, false)));
        work.cmd().arg("import").arg(&path).assert().success();
    }
    let render = |format: &str| {
        let args = [
            "diff", "2021-01", "2021-07", "--code", "C9998", "--format", format,
        ];
        stdout(&work.cmd().args(args).assert().code(1))
    };
    let v: serde_json::Value = serde_json::from_str(&render("json")).unwrap();
    let c = &v["changes"][0];
    assert_eq!(c["change"], "added");
    assert_eq!(c["added_date"], "2021-04-01");
    assert_eq!(c["termination_date"], "2021-06-30");
    let r = &c["replacements"];
    assert_eq!(r[0]["code"], "Q9998");
    assert_eq!(r[0]["status"], "discontinued");
    assert_eq!(r[0]["then"][0]["code"], "B4150");
    assert_eq!(r[0]["then"][0]["status"], "active");
    assert_eq!(r[1]["code"], "99493");
    assert_eq!(r[1]["status"], "outside_level_ii");

    let note = "added and terminated: effective 2021-04-01 (CMS's date added), terminated 2021-06-30; not billable after 2021-06-30";
    let chain = "Q9998 (discontinued) → B4150 (active)";
    let text = render("text");
    assert!(
        text.contains(&format!(
            "  C9998  Example drug, pass-through, 1 mg\n      {note}\n"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("      use instead: {chain}\n")),
        "{text}"
    );
    assert!(
        text.contains("      use instead: 99493 (outside HCPCS Level II, e.g. a CPT code)\n"),
        "{text}"
    );
    let markdown = render("markdown");
    assert!(
        markdown.contains("  - Added and terminated: effective 2021-04-01"),
        "{markdown}"
    );
    assert!(
        markdown.contains("  - Use instead: **Q9998** (discontinued) → **B4150** (active)"),
        "{markdown}"
    );
    let html = render("html");
    // The date column gives both dates, and the row says it cannot be billed.
    assert!(
        html.contains(
            "<span class=\"nowrap\">effective 2021-04-01</span><br>\
             <span class=\"nowrap\">terminated 2021-06-30</span>"
        ),
        "{html}"
    );
    assert!(
        html.contains("Already terminated: not billable after 2021-06-30"),
        "{html}"
    );
    assert!(
        html.contains("<code>Q9998</code> (discontinued) → <code>B4150</code> (active)"),
        "{html}"
    );
    let csv_text = render("csv");
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    let col = |name: &str| &row[header.iter().position(|h| h == name).unwrap()];
    assert_eq!(col("added_date"), "2021-04-01");
    assert_eq!(col("termination_date"), "2021-06-30");

    // A code that was there all along: CMS's date added, then where the store first has it.
    let out = work.cmd().args(["history", "G0999"]).assert().success();
    let history = stdout(&out);
    assert!(
        history.contains(
            "\nin the code set since 2019-07-01 (CMS's date added); first stored in 2021-01\n"
        ),
        "{history}"
    );
    let out = work.cmd().args(["history", "C9998"]).assert().success();
    let history = stdout(&out);
    assert!(
        history.contains(
            "  2021-07  added, effective 2021-04-01, terminated 2021-06-30 (CMS action A)\n"
        ),
        "{history}"
    );
}

/// The sample's dates moved back so that its latest action takes effect on January 1 of `year`,
/// as in that year's annual file: a file named for a year holds no action taking effect after
/// it (`import` refuses one that does).
fn dated_for(records: Vec<Record>, year: i32) -> Vec<Record> {
    let back = chrono::Months::new((12 * (2020 - year) + 3) as u32);
    let shift = |d: &mut Option<NaiveDate>| *d = d.and_then(|d| d.checked_sub_months(back));
    records
        .into_iter()
        .map(|mut r| {
            for d in [
                &mut r.added_date,
                &mut r.action_effective_date,
                &mut r.termination_date,
                &mut r.asc_effective_date,
                &mut r.mog_effective_date,
            ] {
                shift(d);
            }
            r
        })
        .collect()
}

#[test]
fn fetch_finds_the_zips_cms_named_before_2016_in_a_mirror_folder() {
    // (release asked for, the zip's name, the text inside it), as CMS posted them.
    let cases = [
        ("2012", "12anweb.zip", "12anweb.txt", 293),
        ("2014", "14anweb.zip", "HCPC2014_ANWEB.txt", 293),
        ("2005", "anhcpc05.zip", "05anweb.txt", 293),
        (
            "2015",
            "2015-Annual-Alpha-Numeric-HCPCS-File.zip",
            "HCPC2015_CONTR_ANWEB_v2.txt",
            320,
        ),
    ];
    for (asked, zip, member, width) in cases {
        let year: i32 = asked.parse().unwrap();
        let records = dated_for(sample(), year);
        let text = crlf_1252(&text_lines(&records, width, false));
        let work = Work::new();
        let mirror = work.path("mirror");
        std::fs::create_dir(&mirror).unwrap();
        std::fs::write(mirror.join(zip), zip_of(&[(member, &text)])).unwrap();
        let out = work
            .cmd()
            .args(["fetch", asked, "--base-url"])
            .arg(&mirror)
            .assert()
            .success();
        let id = format!("{asked}-01");
        assert!(
            stdout(&out).contains(&format!("release {id}")),
            "{zip}: {}",
            stdout(&out)
        );
        let stored = Store::new(work.store()).load(release(&id)).unwrap();
        assert_same(&stored.records, &records, zip);
    }
}

/// `xlsx` with its first sheet's XML edited by `edit`.
fn with_sheet_xml_edited(xlsx: &[u8], edit: impl Fn(String) -> String) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut parts = Vec::new();
    for i in 0..archive.len() {
        let mut part = archive.by_index(i).unwrap();
        let name = part.name().unwrap().into_owned();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut part, &mut bytes).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            bytes = edit(String::from_utf8(bytes).unwrap()).into_bytes();
        }
        parts.push((name, bytes));
    }
    let parts: Vec<(&str, &[u8])> = parts
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    zip_of(&parts)
}

/// A workbook cell without a value to read: a formula whose result was never saved (no `<v>`
/// in the sheet's XML), and an error value (Excel took a description ending "- homemix" for a
/// formula and saved `#NAME?`). Each is read as empty with a warning naming sheet, row and
/// column, and is an error with `--strict`; neither becomes a description without a word. A
/// formula whose saved result is the empty string has a value, and says nothing.
#[test]
fn a_formula_without_its_result_and_an_error_value_are_warnings_naming_the_cell() {
    let records = sample();
    let column = |name: &str| headers(false).iter().position(|h| h == name).unwrap() as u16;
    let (long, short) = (column("LONG DESCRIPTION"), column("SHORT DESCRIPTION"));
    let xlsx = workbook_with(&records, Sheet::PerCode, |ws, top| {
        ws.set_formula_result_default("");
        ws.write_formula(top + 1, long, "=CONCATENATE(\"Ambulance\")")
            .unwrap();
        ws.write_formula(
            top + 2,
            short,
            rust_xlsxwriter::Formula::new("=-homemix").set_result("#NAME?"),
        )
        .unwrap();
        // An empty cross-reference worked out by a formula: its saved result is "".
        ws.write_formula(top + 3, column("XREF5"), "=IF(FALSE,\"x\",\"\")")
            .unwrap();
    });
    // The first formula's result taken out, as a writer that never calculates leaves it.
    let xlsx = with_sheet_xml_edited(&xlsx, |xml| {
        let at = xml.find("Ambulance").unwrap();
        let result = at + xml[at..].find("<v></v>").unwrap();
        assert!(xml[at..result].ends_with("</f>"), "{xml}");
        format!("{}{}", &xml[..result], &xml[result + "<v></v>".len()..])
    });
    let work = Work::new();
    let path = work.write("anweb.xlsx", xlsx);
    let import = |strict: bool| {
        let mut cmd = work.cmd();
        cmd.arg("import").arg(&path).args(["--release", "2020-04"]);
        if strict {
            cmd.arg("--strict");
        }
        cmd.assert()
    };
    let out = import(true).code(2);
    assert!(
        stderr(&out).contains("a formula with no saved result"),
        "{}",
        stderr(&out)
    );
    assert!(!work.store().join("2020-04.jsonl").exists());
    let out = import(false).success();
    let warnings: Vec<String> = stderr(&out).lines().map(str::to_string).collect();
    let letter = |c: u16| char::from(b'A' + c as u8).to_string();
    assert_eq!(
        warnings,
        [
            format!(
                "warning: anweb.xlsx: sheet 'hcpc_fixture' row 2: column {} (LONG DESCRIPTION): \
                 a formula with no saved result; read as empty",
                letter(long)
            ),
            format!(
                "warning: anweb.xlsx: sheet 'hcpc_fixture' row 3: column {} (SHORT DESCRIPTION): \
                 an error value (#NAME?), not a value; read as empty",
                letter(short)
            ),
        ]
    );
}

/// A BIFF8 record: its type, length and data.
fn biff_record(kind: u16, data: &[u8]) -> Vec<u8> {
    let mut out = kind.to_le_bytes().to_vec();
    out.extend((data.len() as u16).to_le_bytes());
    out.extend(data);
    out
}

/// A FORMULA record for `=""` at `row` and `col` (0-based), with `result` as its 8-byte saved
/// value: `[0, .., 0xFF, 0xFF]` says the result is a string, in a STRING record that should
/// follow; `[3, .., 0xFF, 0xFF]` says it is the empty string.
fn formula_record(row: u16, col: u16, result: [u8; 8]) -> Vec<u8> {
    let mut data = row.to_le_bytes().to_vec();
    data.extend(col.to_le_bytes());
    data.extend(15u16.to_le_bytes());
    data.extend(result);
    data.extend([0; 6]);
    // The expression: an empty string constant (PtgStr).
    data.extend(3u16.to_le_bytes());
    data.extend([0x17, 0, 0]);
    biff_record(0x0006, &data)
}

/// The `.xls` at `path` with `records` added to its last sheet, before that sheet's EOF.
fn xls_with_records(path: &std::path::Path, records: &[Vec<u8>]) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut book = cfb::open(path).unwrap();
    let mut stream = Vec::new();
    book.open_stream("Workbook")
        .unwrap()
        .read_to_end(&mut stream)
        .unwrap();
    let (mut at, mut last_eof) = (0, None);
    while at + 4 <= stream.len() {
        let kind = u16::from_le_bytes([stream[at], stream[at + 1]]);
        let len = usize::from(u16::from_le_bytes([stream[at + 2], stream[at + 3]]));
        if kind == 0x000A {
            last_eof = Some(at);
        }
        at += 4 + len;
    }
    let eof = last_eof.unwrap();
    let stream = [&stream[..eof], &records.concat(), &stream[eof..]].concat();
    let mut out =
        cfb::CompoundFile::create_with_version(cfb::Version::V3, std::io::Cursor::new(Vec::new()))
            .unwrap();
    out.create_stream("Workbook")
        .unwrap()
        .write_all(&stream)
        .unwrap();
    out.flush().unwrap();
    out.into_inner().into_inner()
}

/// In an `.xls`, a FORMULA record carries its saved result, but a string result is in the
/// STRING record after it: a formula without one has no value, which is a warning naming the
/// cell, as in an xlsx; a formula whose saved result is the empty string has a value and says
/// nothing.
#[test]
fn an_xls_formula_without_its_result_is_a_warning_and_an_empty_result_is_a_value() {
    const STRING: [u8; 8] = [0, 0, 0, 0, 0, 0, 0xFF, 0xFF];
    const EMPTY_STRING: [u8; 8] = [3, 0, 0, 0, 0, 0, 0xFF, 0xFF];
    // A0998's first row (row 4), its X-Ref2 and X-Ref3 columns (AA and AB), both empty.
    let xls = xls_with_records(
        &fixture("xls/12anweb.xls"),
        &[
            formula_record(3, 26, EMPTY_STRING),
            formula_record(3, 27, STRING),
        ],
    );
    let work = Work::new();
    let path = work.write("12anweb.xls", xls);
    let out = work.cmd().arg("import").arg(&path).assert().success();
    assert_eq!(
        stderr(&out),
        "warning: 12anweb.xls: sheet 'PUF___2012_Web_File' row 4: column AB (X-Ref3): a formula \
         with no saved result; read as empty\n"
    );
    let stored = Store::new(work.store()).load(release("2012-01")).unwrap();
    let want: Vec<Record> = upper_case(sample())
        .into_iter()
        .filter(|r| XLS_CODES.contains(&r.code.as_str()))
        .collect();
    assert_same(&stored.records, &want, "12anweb.xls");
}
