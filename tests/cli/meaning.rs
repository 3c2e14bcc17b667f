//! What a change means: codes CMS reused for something else (redefined), on a fixture and on
//! G9890 in the real 2019-01 release.

use std::collections::BTreeSet;

use crate::util::{Work, fixture, json, real_data, stdout};

/// The 2005 oxygen fixture with E0431 reused for something else: its long and short
/// descriptions replaced, all else as it was. Written as the 2007-01 release.
fn reused_e0431(work: &Work) -> std::path::PathBuf {
    let old = std::fs::read(fixture("oxygen/2005/HCPC2005_CONTR_ANWEB.txt")).unwrap();
    let text = String::from_utf8(old).unwrap();
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            if line.starts_with("E0431001") {
                let long = format!("{:<80}", "Bridge payment for a diabetes prevention program");
                let short = format!("{:<28}", "Dpp bridge payment");
                format!("{}{long}{short}{}", &line[..11], &line[119..])
            } else if line.starts_with("E0431002") {
                "E0431002004session, one per beneficiary".to_string()
            } else {
                line.to_string()
            }
        })
        .collect();
    work.write("HCPC2007_CONTR_ANWEB.txt", lines.join("\r\n") + "\r\n")
}

#[test]
fn a_reused_code_is_redefined_and_listed_first_in_every_format() {
    let work = Work::new();
    work.cmd()
        .arg("import")
        .arg(fixture("oxygen/2005"))
        .assert()
        .success();
    let new = reused_e0431(&work);
    work.cmd().arg("import").arg(&new).assert().success();
    let out = work.cmd().args(["diff", "2005", "2007"]).assert().code(1);
    let text = stdout(&out);
    // After the header and the counts by section, the first kind of change.
    let blocks: Vec<&str> = text.split("\n\n").collect();
    assert!(
        blocks[1].starts_with("BY SECTION OF HCPCS LEVEL II\n"),
        "{text}"
    );
    let first = blocks.get(2).copied().unwrap_or("");
    assert!(
        first.starts_with("REDEFINED (1)\n  E0431  Bridge payment for a diabetes prevention program session, one per beneficiary\n      Redefined: the old and new descriptions share little meaning"),
        "{text}"
    );
    let out = work
        .cmd()
        .args(["diff", "2005", "2007", "--format", "json"])
        .assert()
        .code(1);
    let doc = json(&out);
    let changes = doc["changes"].as_array().unwrap();
    let flagged: Vec<&str> = changes
        .iter()
        .filter(|c| c["redefined"] == true)
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(flagged, ["E0431"]);
    for format in ["markdown", "html"] {
        let out = work
            .cmd()
            .args(["diff", "2005", "2007", "--format", format])
            .assert()
            .code(1);
        let body = stdout(&out);
        assert!(
            body.contains("Redefined: the old and new"),
            "{format}: {body}"
        );
    }
    let out = work
        .cmd()
        .args(["diff", "2005", "2007", "--format", "csv"])
        .assert()
        .code(1);
    let csv = stdout(&out);
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let header = rows.headers().unwrap().clone();
    let at = header.iter().position(|h| h == "redefined").unwrap();
    let flagged: Vec<String> = rows
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[at] == "true")
        .map(|r| r[2].to_string())
        .collect();
    assert!(
        !flagged.is_empty() && flagged.iter().all(|c| c == "E0431"),
        "{csv}"
    );
    let out = work.cmd().args(["history", "E0431"]).assert().success();
    let text = stdout(&out);
    assert!(text.contains("2007-01  changed (redefined: "), "{text}");
}

/// G9890 went from a dilated macular exam to an MDPP bridge payment in 2019-01.
#[test]
fn g9890_is_redefined_from_2018_to_2019() {
    let Some(data) = real_data!() else {
        return;
    };
    let work = Work::with(&[
        data.join("2018-01/2018-Alpha-Numeric-HCPCS-File.zip"),
        data.join("2019-01/2019-Alpha-Numeric-HCPCS-File.zip"),
    ]);
    let out = work
        .cmd()
        .args(["diff", "2018-01", "2019-01", "--format", "json"])
        .assert()
        .code(1);
    let doc = json(&out);
    let flagged: Vec<&str> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["redefined"] == true)
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(flagged, ["G9637", "G9638", "G9890", "G9891"]);
    let out = work
        .cmd()
        .args(["diff", "2018-01", "2019-01", "--code", "G9890"])
        .assert()
        .code(1);
    let text = stdout(&out);
    assert!(
        text.contains("\nREDEFINED (1)\n  G9890  Bridge payment"),
        "{text}"
    );
}

/// The sample release as text with a damaged byte (0xF6 where the short description has a
/// comma), and its workbook undamaged.
fn damaged_release() -> (Vec<u8>, Vec<u8>, Vec<hcpcs_diff::model::Record>) {
    use crate::forms::{Sheet, crlf_1252, sample, text_lines, workbook};
    let records = sample();
    let mut damaged = records.clone();
    damaged[0].short_description = Some("Amb response\u{f6} no transport".into());
    assert_eq!(
        records[0].short_description.as_deref(),
        Some("Amb response, no transport")
    );
    let text = crlf_1252(&text_lines(&damaged, 320, false));
    (text, workbook(&records, Sheet::PerCode), records)
}

/// The warnings about A0998 (the sample's E0999 holds a curly quote and an accent on purpose:
/// they are reported too, and its workbook has the same).
fn a0998(warnings: &[hcpcs_diff::error::Warning]) -> Vec<String> {
    let all: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    assert!(
        all.iter()
            .filter(|w| !w.contains("A0998"))
            .all(|w| w.contains("E0999: character")),
        "{all:#?}"
    );
    all.into_iter().filter(|w| w.contains("A0998")).collect()
}

#[test]
fn a_damaged_character_is_repaired_from_the_workbook_in_the_zip_or_else_reported() {
    use hcpcs_diff::{ReadOptions, load_source, source};
    let (text, xlsx, records) = damaged_release();
    let zip = crate::util::zip_of(&[
        ("HCPC2021_CONTR_ANWEB.txt", &text),
        ("HCPC2021_CONTR_ANWEB.xlsx", &xlsx),
    ]);
    let file = source::from_bytes("2021-Alpha-Numeric-HCPCS-File.zip", zip).unwrap();
    let loaded = load_source(file, ReadOptions::default()).unwrap();
    let warnings = a0998(&loaded.warnings);
    assert_eq!(
        warnings,
        [
            "line 1: short description: A0998: character 'ö' (U+00F6) in column 104 is not one HCPCS text holds; repaired from the release's workbook HCPC2021_CONTR_ANWEB.xlsx, which reads \"Amb response, no transport\""
        ]
    );
    assert_eq!(
        loaded.snapshot.records[0].short_description,
        records[0].short_description
    );

    // A workbook of another kind first in the zip (a corrections file, by its name) is not
    // taken for the release's.
    let zip = crate::util::zip_of(&[
        ("HCPC2021_Corrections.xlsx", &xlsx),
        ("HCPC2021_CONTR_ANWEB.txt", &text),
        ("HCPC2021_CONTR_ANWEB.xlsx", &xlsx),
    ]);
    let file = source::from_bytes("2021-Alpha-Numeric-HCPCS-File.zip", zip).unwrap();
    let loaded = load_source(file, ReadOptions::default()).unwrap();
    assert_eq!(a0998(&loaded.warnings), warnings);

    // The text alone: the character is kept, and said.
    let file = source::from_bytes("HCPC2021_CONTR_ANWEB.txt", text).unwrap();
    let loaded = load_source(file, ReadOptions::default()).unwrap();
    let warnings = a0998(&loaded.warnings);
    assert_eq!(
        warnings,
        [
            "line 1: short description: A0998: character 'ö' (U+00F6) in column 104 is not one HCPCS text holds; kept as read (no workbook beside the text to repair it from)"
        ]
    );
    assert_eq!(
        loaded.snapshot.records[0].short_description.as_deref(),
        Some("Amb response\u{f6} no transport")
    );
    // --strict refuses it.
    let file = source::from_bytes("HCPC2021_CONTR_ANWEB.txt", damaged_release().0).unwrap();
    let strict = ReadOptions {
        strict: true,
        ..ReadOptions::default()
    };
    assert!(load_source(file, strict).is_err());
}

/// A sheet of an xlsx changelog: its name, its rows of cells (a number as Rust writes it),
/// and where its number cells are (row, column).
struct XlsxSheet {
    name: String,
    rows: Vec<Vec<String>>,
    numbers: BTreeSet<(usize, usize)>,
}

/// Every sheet of an xlsx changelog; panics on a cell that is neither text nor a number.
/// Only the summary's and the by-section sheet's counts are numbers: every cell of the sheets
/// after them (the changes) is text.
fn no_numbers_past_the_second_sheet(sheets: &[XlsxSheet]) {
    for sheet in &sheets[2..] {
        assert!(
            sheet.numbers.is_empty(),
            "{}: {:?}",
            sheet.name,
            sheet.numbers
        );
    }
}

fn xlsx_sheets(bytes: &[u8]) -> Vec<XlsxSheet> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let names = book.sheet_names().to_vec();
    names
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            let mut numbers = BTreeSet::new();
            let rows = range
                .rows()
                .enumerate()
                .map(|(r, row)| {
                    row.iter()
                        .enumerate()
                        .map(|(c, cell)| match cell {
                            Data::String(s) => s.clone(),
                            Data::Empty => String::new(),
                            Data::Float(f) => {
                                numbers.insert((r, c));
                                f.to_string()
                            }
                            other => panic!("{name}: a cell neither text nor number: {other:?}"),
                        })
                        .collect()
                })
                .collect();
            XlsxSheet {
                name,
                rows,
                numbers,
            }
        })
        .collect()
}

/// The oxygen fixture's changelog from 2005 to 2006 as a workbook, written to a file.
fn xlsx_changelog(work: &crate::util::Work) -> std::path::PathBuf {
    let path = work.path("changes.xlsx");
    work.cmd()
        .args(["diff", "2005", "2006", "--format", "xlsx", "--output"])
        .arg(&path)
        .assert()
        .code(1);
    path
}

/// Codes, values and descriptions are text (a spreadsheet keeps `0217` as written); the counts
/// of codes, and nothing else, are numbers, so that a spreadsheet's SUM adds them up.
#[test]
fn the_xlsx_changelog_has_a_sheet_per_section_and_its_counts_are_numbers() {
    let work = crate::util::oxygen();
    let path = xlsx_changelog(&work);
    let sheets = xlsx_sheets(&std::fs::read(&path).unwrap());
    let names: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Summary",
            "By section",
            "Retired",
            "Changed - payment or coverage",
            "Changed - wording",
            "Added",
            "Cosmetic only"
        ]
    );
    let summary = &sheets[0].rows;
    assert_eq!(summary[0][0], "HCPCS 2005-01 -> 2006-01");
    assert!(
        summary
            .iter()
            .any(|r| r[0] == "Filters: none: every code and change")
    );
    // The summary's table of sections: its Codes column, under the head, is numbers.
    let head = summary.iter().position(|r| r[0] == "Section").unwrap();
    let codes: BTreeSet<(usize, usize)> = (head + 1..summary.len()).map(|r| (r, 1)).collect();
    assert_eq!(sheets[0].numbers, codes);
    let retired = summary.iter().find(|r| r[0] == "Retired").unwrap();
    assert_eq!(retired[1], "1");
    let by_section = &sheets[1].rows;
    // By section: every count (the kinds of change and the total) of every row is a number,
    // the section's name and range text; a column's sum is its total.
    let counts: BTreeSet<(usize, usize)> = (1..by_section.len())
        .flat_map(|r| (2..by_section[0].len()).map(move |c| (r, c)))
        .collect();
    assert_eq!(sheets[1].numbers, counts);
    let totals = by_section.last().unwrap();
    assert_eq!(totals[0], "All sections");
    for c in 2..by_section[0].len() {
        let sum: f64 = by_section[1..by_section.len() - 1]
            .iter()
            .map(|r| r[c].parse::<f64>().unwrap())
            .sum();
        assert_eq!(sum.to_string(), totals[c], "column {}", by_section[0][c]);
    }
    no_numbers_past_the_second_sheet(&sheets);
    assert_eq!(
        by_section[1],
        [
            "Durable medical equipment",
            "E0100-E9999",
            "1",
            "0",
            "0",
            "0",
            "3",
            "4"
        ]
    );
    assert_eq!(
        by_section[2][0],
        "Temporary codes for durable medical equipment MACs"
    );
    let payment = &sheets[3].rows;
    let header = &payment[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let e1391 = &payment[1];
    assert_eq!(e1391[col("code")], "E1391");
    assert_eq!(e1391[col("old")], "33");
    assert_eq!(e1391[col("new")], "36");
    assert_eq!(
        e1391[col("new_meaning")],
        "Capped rental DME (price subject to floors and ceilings)"
    );
    // The CSV carries the same meanings.
    let csv = crate::util::stdout(
        &work
            .cmd()
            .args(["diff", "2005", "2006", "--format", "csv", "--code", "E1391"])
            .assert(),
    );
    assert!(
        csv.contains(",33,36,")
            && csv.ends_with(
                ",Oxygen and oxygen equipment (price subject to floors and ceilings),Capped rental DME (price subject to floors and ceilings),Durable medical equipment,E0100-E9999\n"
            ),
        "{csv}"
    );
    // audit has no xlsx form: its own format type refuses it, for a file that is there.
    let claims = work.write("x.csv", "HCPCS\nE1392\n");
    let out = work
        .cmd()
        .arg("audit")
        .arg(&claims)
        .args(["--format", "xlsx"])
        .assert()
        .code(2);
    let err = crate::util::stderr(&out);
    assert!(
        err.contains("invalid value 'xlsx' for '--format <FORMAT>'")
            && err.contains("[possible values: text, markdown, json, csv, html]"),
        "{err}"
    );
}

/// The xlsx changelog prints: every sheet landscape and scaled to one page wide (any number of
/// pages down), where a sheet of 23 columns printed its columns on pages of their own, cut at
/// each page's edge; each table's head repeats on every page; the description, the values old
/// and new and the dates have columns wide enough to read, and text wraps there, its row made
/// as tall as its lines (Excel and LibreOffice do not do it when they open the file).
#[test]
fn the_xlsx_changelog_prints_a_sheet_one_page_wide_with_its_head_on_every_page() {
    let work = crate::util::oxygen();
    let path = xlsx_changelog(&work);
    let parts: std::collections::BTreeMap<String, String> = crate::util::unzip(&path)
        .into_iter()
        .map(|(name, bytes)| (name, String::from_utf8(bytes).unwrap()))
        .collect();
    let sheets = xlsx_sheets(&std::fs::read(&path).unwrap());
    for (i, sheet) in sheets.iter().enumerate() {
        let xml = &parts[&format!("xl/worksheets/sheet{}.xml", i + 1)];
        for setting in [
            "<pageSetUpPr fitToPage=\"1\"/>",
            "fitToHeight=\"0\"",
            "orientation=\"landscape\"",
        ] {
            assert!(xml.contains(setting), "{}: no {setting}", sheet.name);
        }
        // One page wide: Excel's default, which the file may leave unsaid.
        assert!(
            !xml.contains("fitToWidth=") || xml.contains("fitToWidth=\"1\""),
            "{}",
            sheet.name
        );
    }
    // Every sheet but the summary (lines, then a small table) repeats its head row.
    let workbook = &parts["xl/workbook.xml"];
    for (i, sheet) in sheets.iter().enumerate().skip(1) {
        let titles = format!("<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"{i}\">");
        let at = workbook
            .find(&titles)
            .unwrap_or_else(|| panic!("{}", sheet.name));
        assert!(
            workbook[at..]
                .split('<')
                .nth(1)
                .unwrap()
                .ends_with("!$1:$1"),
            "{}",
            sheet.name
        );
    }
    // Added: E1392's description (36 characters) wraps in its column of 30, on two lines.
    let added = sheets.iter().position(|s| s.name == "Added").unwrap();
    let rows = &sheets[added].rows;
    let description = rows[0].iter().position(|h| h == "description").unwrap();
    let e1392 = rows.iter().position(|r| r[2] == "E1392").unwrap();
    assert_eq!(
        rows[e1392][description],
        "Portable oxygen concentrator, rental"
    );
    let xml = &parts[&format!("xl/worksheets/sheet{}.xml", added + 1)];
    let row = format!("<row r=\"{}\"", e1392 + 1);
    let tag = xml[xml.find(&row).unwrap()..].split('>').next().unwrap();
    assert!(tag.contains("ht=\"30\" customHeight=\"1\""), "{tag}");
    let cols = |first: usize| format!("<col min=\"{first}\" max=\"{first}\" width=\"30.");
    assert!(xml.contains(&cols(description + 1)), "{xml:.2000}");
}

/// Real values that a spreadsheet would turn into numbers or dates stay text: pricing
/// indicators (`00`), processing notes (`0217`), dates.
#[test]
fn a_real_xlsx_changelog_keeps_codes_and_references_as_text() {
    let Some(data) = real_data!() else {
        return;
    };
    let work = Work::with(&[
        data.join("2019-01/2019-Alpha-Numeric-HCPCS-File.zip"),
        data.join("2020-01/2020-Alpha-Numeric-HCPCS-File.zip"),
    ]);
    let path = work.path("changes.xlsx");
    work.cmd()
        .args(["diff", "2019-01", "2020-01", "--format", "xlsx", "--output"])
        .arg(&path)
        .assert()
        .code(1);
    let sheets = xlsx_sheets(&std::fs::read(&path).unwrap());
    let cells: Vec<&String> = sheets
        .iter()
        .flat_map(|s| s.rows.iter().flatten())
        .collect();
    no_numbers_past_the_second_sheet(&sheets);
    for value in ["00", "0217", "2019-12-31", "E0210"] {
        assert!(cells.iter().any(|c| c.as_str() == value), "no {value}");
    }
}
