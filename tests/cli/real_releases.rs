//! Every real CMS release under `HCPCS_DIFF_DATA` imports, with counts checked against a count made
//! here without the reader; E1392 reads the same in every release; text and workbook agree
//! except where CMS's two files really differ.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use calamine::{Data, Reader, open_workbook_auto};
use hcpcs_diff::model::fields::FIELDS;
use hcpcs_diff::model::{Record, ReleaseId};
use hcpcs_diff::{ReadOptions, load_source, source};

use crate::util::{Work, json, real_data, stderr, stdout, unzip};

/// (what to import, release, the text member inside a zip, or None for a workbook).
pub const RELEASES: &[(&str, &str, Option<&str>)] = &[
    ("2012-01/12anweb.zip", "2012-01", Some("12anweb.txt")),
    ("2013-01/13anweb.zip", "2013-01", Some("HCPC2013_A-N.txt")),
    ("2016-01", "2016-01", Some("HCPC2016_CONTR_ANWEB.txt")),
    (
        "2017-01/2017-Alpha-Numeric-HCPCS-File.zip",
        "2017-01",
        Some("HCPC17_CONTR_ANWEB.txt"),
    ),
    (
        "2018-01/2018-Alpha-Numeric-HCPCS-File.zip",
        "2018-01",
        Some("HCPC2018_CONTR_ANWEB_disc.txt"),
    ),
    (
        "2019-01/2019-Alpha-Numeric-HCPCS-File.zip",
        "2019-01",
        Some("HCPC2019_CONTR_ANWEB.txt"),
    ),
    (
        "2020-01/2020-Alpha-Numeric-HCPCS-File.zip",
        "2020-01",
        Some("HCPC2020_ANWEB_w_disclaimer.txt"),
    ),
    ("2020-04/anweb.xlsx", "2020-04", None),
    ("2020-07/anweb.xlsx", "2020-07", None),
    ("2020-10/anweb.xlsx", "2020-10", None),
    (
        "2025-01/january-2025-alpha-numeric-hcpcs-file.zip",
        "2025-01",
        Some("HCPC2025_JAN_ANWEB_12172024.txt"),
    ),
];

fn text_of(data: &Path, path: &str, member: &str) -> Vec<u8> {
    let p = data.join(path);
    if p.is_dir() {
        return std::fs::read(p.join(member)).unwrap();
    }
    unzip(&p)
        .into_iter()
        .find(|(n, _)| n == member)
        .expect("member in zip")
        .1
}

/// First lines of codes (3) and modifiers (7): a code or right-aligned modifier, five digits of
/// sequence number, the record id. A stricter rule than the reader's, written separately.
fn count_text(bytes: &[u8]) -> (usize, usize) {
    let (mut codes, mut modifiers) = (0, 0);
    for line in bytes.split(|b| *b == b'\n') {
        if line.len() < 11
            || !line[..5]
                .iter()
                .all(|b| *b == b' ' || b.is_ascii_alphanumeric())
        {
            continue;
        }
        if !line[5..10].iter().all(u8::is_ascii_digit) {
            continue;
        }
        match line[10] {
            b'3' => codes += 1,
            b'7' => modifiers += 1,
            _ => {}
        }
    }
    (codes, modifiers)
}

/// The same count from a workbook's RECID column, read with calamine directly.
fn count_workbook(data: &Path, path: &str) -> (usize, usize) {
    let mut wb = open_workbook_auto(data.join(path)).unwrap();
    let range = wb.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<_> = range.rows().collect();
    let header = rows
        .iter()
        .position(|r| r[0] == Data::String("HCPC".into()))
        .expect("header row");
    let ric = rows[header]
        .iter()
        .position(|c| *c == Data::String("RECID".into()))
        .expect("RECID");
    // Most cells are text; the odd one (J5 in October 2020) is a number.
    let count = |v: i64| {
        rows[header + 1..]
            .iter()
            .filter(|r| match &r[ric] {
                Data::String(s) => s.trim() == v.to_string(),
                Data::Int(i) => *i == v,
                Data::Float(f) => *f == v as f64,
                _ => false,
            })
            .count()
    };
    (count(3), count(7))
}

fn provenance(work: &Work, release: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(work.store().join(format!("{release}.jsonl"))).unwrap();
    serde_json::from_str(text.lines().next().unwrap()).unwrap()
}

/// One store holding every release in `RELEASES`, imported once through the binary (each
/// import must succeed) and shared by the tests that only read it: importing the eleven real
/// releases takes about 12 s, which three tests used to spend again each.
pub fn imported(data: &Path) -> &'static Work {
    static STORE: OnceLock<Work> = OnceLock::new();
    STORE.get_or_init(|| {
        // Left by an earlier run: a static is never dropped, so its folder is cleared here.
        let parent = Path::new(env!("CARGO_TARGET_TMPDIR")).join("real-releases-store");
        let _ = std::fs::remove_dir_all(&parent);
        let work = Work::new_in(&parent);
        for (path, _, _) in RELEASES {
            work.cmd()
                .arg("import")
                .arg(data.join(path))
                .assert()
                .success();
        }
        work
    })
}

#[test]
fn every_real_release_imports_with_the_counts_in_its_file() {
    let Some(data) = real_data!() else {
        return;
    };
    let work = imported(&data);
    for (path, release, member) in RELEASES {
        let (codes, modifiers) = match member {
            Some(m) => count_text(&text_of(&data, path, m)),
            None => count_workbook(&data, path),
        };
        assert!(
            codes > 5000 && modifiers > 300,
            "{path}: implausible count {codes}/{modifiers}"
        );
        let p = provenance(work, release);
        assert_eq!(p["release"], *release, "{path}");
        assert_eq!(p["counts"]["procedure"], codes, "{path}");
        assert_eq!(p["counts"]["modifier"], modifiers, "{path}");
        if let Some(m) = member {
            assert_eq!(
                p["source"]["member"], *m,
                "{path}: chose the wrong file in the zip"
            );
        }
    }
    let list = stdout(&work.cmd().arg("list").assert().success());
    // One line per release; the corrections files kept with a release (2025-01's zip holds
    // one) are listed under it, indented.
    let releases = list.lines().filter(|l| !l.starts_with(' ')).count();
    assert_eq!(releases, RELEASES.len(), "{list}");
    assert!(
        list.lines()
            .next()
            .unwrap()
            .starts_with("2012-01   5507 codes   314 modifiers  12anweb.zip (12anweb.txt)")
    );
}

#[test]
fn e1392_reads_the_same_in_every_release_from_2012_to_2020() {
    let Some(data) = real_data!() else {
        return;
    };
    let work = imported(&data);
    for (_, release, _) in RELEASES.iter().filter(|r| r.1 < "2021") {
        let out = work
            .cmd()
            .args(["show", "E1392", "--format", "json", "--release", release])
            .assert()
            .success();
        let v: serde_json::Value = json(&out);
        let f = &v["fields"];
        // 2012 printed every long description in capitals; the words are the same.
        assert_eq!(
            f["long_description"][0]["value"]
                .as_str()
                .unwrap()
                .to_lowercase(),
            "portable oxygen concentrator, rental",
            "{release}"
        );
        assert_eq!(f["pricing_indicators"][0]["value"], "33");
        assert_eq!(
            f["pricing_indicators"][0]["meaning"],
            "Oxygen and oxygen equipment (price subject to floors and ceilings)"
        );
        assert_eq!(
            f["coverage"][0]["meaning"],
            "Special coverage instructions apply"
        );
        assert_eq!(f["betos"][0]["value"], "D1C");
        assert_eq!(f["types_of_service"][0]["meaning"], "Rental of DME");
        assert_eq!(f["added_date"][0]["value"], "2006-01-01");
        assert_eq!(
            f["action_code"][0]["meaning"],
            "No maintenance for this code"
        );
        assert_eq!(v["status"], "active");
    }
    let text = work
        .cmd()
        .args(["show", "e1392", "--release", "2020-10"])
        .assert()
        .success();
    let text = stdout(&text);
    assert!(text.starts_with("E1392  Portable oxygen concentrator, rental\nprocedure/supply code, active in release 2020-10\n"));
    assert!(text.contains("Pricing indicator             33 = Oxygen and oxygen equipment (price subject to floors and ceilings)\n"));
}

fn load(name: &str, bytes: Vec<u8>, release: &str) -> Vec<Record> {
    let file = source::from_bytes(name, bytes).unwrap();
    let release: ReleaseId = release.parse().unwrap();
    load_source(
        file,
        ReadOptions {
            release: Some(release),
            strict: false,
            today: None,
        },
    )
    .unwrap()
    .snapshot
    .records
}

/// Where two loads of one release differ: (field, code, first value, second value).
fn differences(
    a: &[Record],
    b: &[Record],
) -> Vec<(&'static str, String, Vec<String>, Vec<String>)> {
    assert_eq!(
        a.iter().map(|r| &r.code).collect::<Vec<_>>(),
        b.iter().map(|r| &r.code).collect::<Vec<_>>()
    );
    let mut out = Vec::new();
    for (x, y) in a.iter().zip(b) {
        for f in FIELDS {
            let (vx, vy) = ((f.values)(x), (f.values)(y));
            if vx != vy {
                out.push((f.key, x.code.clone(), vx, vy));
            }
        }
    }
    out
}

#[test]
fn text_and_workbook_of_a_release_give_the_same_snapshot_but_where_cms_files_differ() {
    let Some(data) = real_data!() else {
        return;
    };
    // (release folder or zip, text member, workbook member, expected differences by field).
    type Case = (
        &'static str,
        &'static str,
        &'static str,
        &'static [(&'static str, usize)],
    );
    let cases: &[Case] = &[
        // The text has bytes 0xF6/0xC6 where the .xls has '"' and "'" (E2201, G8479): the text
        // was not written in Windows-1252 for those two characters.
        (
            "2012-01/12anweb.zip",
            "12anweb.txt",
            "12anweb.xls",
            &[("short_description", 2)],
        ),
        // Excel read descriptions ending "- homemix" as formulas and stored "#Name".
        (
            "2013-01/13anweb.zip",
            "HCPC2013_A-N.txt",
            "HCPC2013_A-N.xlsx",
            &[("long_description", 11)],
        ),
        // The workbook leaves the action effective date blank on 115 old ambulance/other codes.
        (
            "2016-01",
            "HCPC2016_CONTR_ANWEB.txt",
            "HCPC2016_CONTR_ANWEB.xlsx",
            &[("action_effective_date", 115)],
        ),
        // L5638 and L5640 (1996 in the text, 1986 in the workbook) and L5643 (1986, 1988).
        (
            "2017-01/2017-Alpha-Numeric-HCPCS-File.zip",
            "HCPC17_CONTR_ANWEB.txt",
            "HCPC17_CONTR_ANWEB.xlsx",
            &[("action_effective_date", 3)],
        ),
        (
            "2018-01/2018-Alpha-Numeric-HCPCS-File.zip",
            "HCPC2018_CONTR_ANWEB_disc.txt",
            "HCPC2018_CONTR_ANWEB_disc.xlsx",
            &[],
        ),
        // As 2016, plus E0210 and E0776, whose fourth type of service (R) only the workbook has.
        (
            "2019-01/2019-Alpha-Numeric-HCPCS-File.zip",
            "HCPC2019_CONTR_ANWEB.txt",
            "HCPC2019_CONTR_ANWEB.xlsx",
            &[("action_effective_date", 115), ("types_of_service", 2)],
        ),
        (
            "2020-01/2020-Alpha-Numeric-HCPCS-File.zip",
            "HCPC2020_ANWEB_w_disclaimer.txt",
            "HCPC2020_ANWEB_w_disclaimer.xls",
            &[],
        ),
        // As 2019, plus G0503, whose very long description the workbook cuts short.
        (
            "2025-01/january-2025-alpha-numeric-hcpcs-file.zip",
            "HCPC2025_JAN_ANWEB_12172024.txt",
            "HCPC2025_JAN_ANWEB_12172024.xlsx",
            &[
                ("action_effective_date", 116),
                ("long_description", 1),
                ("types_of_service", 2),
            ],
        ),
    ];
    for (path, text_name, wb_name, expected) in cases {
        let release = &path[..7];
        let members = if data.join(path).is_dir() {
            vec![
                (text_name.to_string(), text_of(&data, path, text_name)),
                (wb_name.to_string(), text_of(&data, path, wb_name)),
            ]
        } else {
            unzip(&data.join(path))
        };
        let get = |n: &str| members.iter().find(|(m, _)| m == n).unwrap().1.clone();
        let text = load(text_name, get(text_name), release);
        let workbook = load(wb_name, get(wb_name), release);
        let diffs = differences(&text, &workbook);
        let mut by_field: BTreeMap<&str, usize> = BTreeMap::new();
        for d in &diffs {
            *by_field.entry(d.0).or_default() += 1;
        }
        let expected: BTreeMap<&str, usize> = expected.iter().copied().collect();
        assert_eq!(
            by_field,
            expected,
            "{path}: {:?}",
            &diffs[..diffs.len().min(5)]
        );
        for (field, code, text_value, wb_value) in &diffs {
            match *field {
                "action_effective_date" if release == "2017-01" => {
                    assert!(
                        ["L5638", "L5640", "L5643"].contains(&code.as_str()),
                        "{code}"
                    );
                    assert!(!wb_value.is_empty() && !text_value.is_empty());
                }
                // Otherwise the workbook is blank where the text has a date.
                "action_effective_date" => assert!(wb_value.is_empty(), "{code}"),
                "types_of_service" => {
                    assert_eq!(wb_value.last().map(String::as_str), Some("R"), "{code}")
                }
                _ => {}
            }
        }
    }
}

#[test]
fn quarterly_workbooks_without_a_release_in_their_name_are_dated_by_content() {
    let Some(data) = real_data!() else {
        return;
    };
    for q in ["2020-04", "2020-07", "2020-10"] {
        let bytes = std::fs::read(data.join(format!("{q}/anweb.xlsx"))).unwrap();
        let file = source::from_bytes("anweb.xlsx", bytes).unwrap();
        let loaded = load_source(file, ReadOptions::default()).unwrap();
        assert_eq!(loaded.snapshot.release().to_string(), q);
        assert_eq!(loaded.release_from, hcpcs_diff::ReleaseFrom::Content);
    }
}

#[test]
fn cms_defects_that_can_be_repaired_are_warnings_and_strict_makes_them_errors() {
    let Some(data) = real_data!() else {
        return;
    };
    let work = Work::new();
    let zip = data.join("2012-01/12anweb.zip");
    let out = work.cmd().arg("import").arg(&zip).assert().success();
    let err = stderr(&out);
    assert!(
        err.contains("line 384: long description: tab character in the text; widened to 2 spaces"),
        "{err}"
    );
    let out = work
        .cmd()
        .args(["show", "TP", "--format", "json", "--release", "2012"])
        .assert()
        .success();
    let v: serde_json::Value = json(&out);
    assert_eq!(v["fields"]["action_code"][0]["value"], "N");
    assert_eq!(v["fields"]["coverage"][0]["value"], "I");

    let strict = Work::new();
    let out = strict
        .cmd()
        .arg("import")
        .arg(data.join("2018-01/2018-Alpha-Numeric-HCPCS-File.zip"))
        .arg("--strict")
        .assert()
        .code(2);
    let err = stderr(&out);
    assert!(err.contains("HCPC2018_CONTR_ANWEB_disc.txt: line 1884: ASC payment group effective date: '20' and '170401' read as the date 2017-04-01"), "{err}");
    assert!(strict.store_state().is_empty());
}

/// code → termination date (blank when none), read without the crate's reader: from the text's
/// first lines (columns 285-292) or from a workbook's HCPC, RECID and TERM DT columns.
fn terminations(data: &Path, path: &str, member: Option<&str>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    match member {
        Some(m) => {
            for line in text_of(data, path, m).split(|b| *b == b'\n') {
                if line.len() >= 293
                    && line[5..10].iter().all(u8::is_ascii_digit)
                    && matches!(line[10], b'3' | b'7')
                {
                    let code = String::from_utf8_lossy(&line[..5]).trim().to_string();
                    // Only eight digits are a date: the 2012 line with a tab has its fields shifted.
                    let term = &line[284..292];
                    let date = if term.iter().all(u8::is_ascii_digit) {
                        String::from_utf8_lossy(term).into_owned()
                    } else {
                        String::new()
                    };
                    out.insert(code, date);
                }
            }
        }
        None => {
            let mut wb = open_workbook_auto(data.join(path)).unwrap();
            let range = wb.worksheet_range_at(0).unwrap().unwrap();
            let rows: Vec<_> = range.rows().collect();
            let header = rows
                .iter()
                .position(|r| r[0] == Data::String("HCPC".into()))
                .unwrap();
            let col = |name: &str| {
                rows[header]
                    .iter()
                    .position(|c| *c == Data::String(name.into()))
                    .unwrap()
            };
            let (ric, term) = (col("RECID"), col("TERM DT"));
            for r in &rows[header + 1..] {
                if matches!(r[ric].to_string().trim(), "3" | "7") {
                    out.insert(
                        r[0].to_string().trim().to_string(),
                        r[term].to_string().trim().to_string(),
                    );
                }
            }
        }
    }
    out
}

#[test]
fn every_pair_of_consecutive_releases_diffs_with_counts_derived_from_the_files() {
    let Some(data) = real_data!() else {
        return;
    };
    let work = imported(&data);
    for pair in RELEASES.windows(2) {
        let ((old_path, old, old_member), (new_path, new, new_member)) = (pair[0], pair[1]);
        let a = terminations(&data, old_path, old_member);
        let b = terminations(&data, new_path, new_member);
        let added = b.keys().filter(|c| !a.contains_key(*c)).count();
        let dropped = a.keys().filter(|c| !b.contains_key(*c)).count();
        let common = || a.iter().filter_map(|(c, t)| b.get(c).map(|u| (t, u)));
        let retired = common()
            .filter(|(t, u)| t.is_empty() && !u.is_empty())
            .count();
        let reinstated = common()
            .filter(|(t, u)| !t.is_empty() && u.is_empty())
            .count();
        let out = work
            .cmd()
            .args(["diff", old, new, "--format", "json"])
            .assert()
            .code(1);
        let s = &json(&out)["summary"];
        assert_eq!(s["added"], added, "{old} -> {new}");
        assert_eq!(s["dropped"], dropped, "{old} -> {new}");
        assert_eq!(s["retired"], retired, "{old} -> {new}");
        assert_eq!(s["reinstated"], reinstated, "{old} -> {new}");
        let changed = s["changed"].as_u64().unwrap() as usize;
        assert!(
            changed + retired + reinstated <= common().count(),
            "{old} -> {new}"
        );
    }
}

/// (file under `HCPCS_DIFF_DATA`, bytes, SHA-256) for each row of `tests/data/README.md`'s table.
fn listed_files() -> Vec<(String, u64, String)> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/README.md"))
            .unwrap();
    readme
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            // "| release | `file` | bytes | `sha256` | page |": 7 cells counting the outer ones.
            let bytes = cells.get(3)?.parse().ok()?;
            let file = cells[2].trim_matches('`').to_string();
            Some((file, bytes, cells[4].trim_matches('`').to_string()))
        })
        .collect()
}

#[test]
fn tests_data_readme_lists_every_file_the_real_data_tests_read() {
    let listed: Vec<String> = listed_files().into_iter().map(|(f, _, _)| f).collect();
    assert!(listed.len() >= RELEASES.len(), "{listed:?}");
    // Every release the tests import: a listed file, or a folder whose files are listed.
    let read = RELEASES
        .iter()
        .map(|r| r.0)
        .chain(crate::corrections::CORRECTIONS_ZIPS);
    for path in read {
        assert!(
            listed
                .iter()
                .any(|f| f == path || f.starts_with(&format!("{path}/"))),
            "{path} is read by the real-data tests but not listed in tests/data/README.md"
        );
    }
    for (_, _, sha) in listed_files() {
        assert!(
            sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
            "{sha}"
        );
    }
}

#[test]
fn the_real_data_folder_holds_the_files_listed_in_tests_data_readme() {
    let Some(data) = real_data!() else {
        return;
    };
    let mut differ = Vec::new();
    for (file, bytes, sha) in listed_files() {
        match std::fs::read(data.join(&file)) {
            Err(e) => differ.push(format!("{file}: {e}")),
            Ok(content) if content.len() as u64 != bytes => differ.push(format!(
                "{file}: {} bytes, the list says {bytes}",
                content.len()
            )),
            Ok(content) if hcpcs_diff::model::sha256_hex(&content) != sha => differ.push(format!(
                "{file}: SHA-256 {}, the list says {sha}",
                hcpcs_diff::model::sha256_hex(&content)
            )),
            Ok(_) => {}
        }
    }
    assert!(
        differ.is_empty(),
        "files under {} that differ from tests/data/README.md:\n{}",
        data.display(),
        differ.join("\n")
    );
}

/// A field's name in the changeset, where it sits in CMS's record layout (1-based start column,
/// width, occurrences) and whether it is a number: positions copied from CMS's own record layout
/// documents (`layouts/` beside the releases), not from the crate's table.
const TEXT_FIELDS: &[(&str, usize, usize, usize, bool)] = &[
    ("short_description", 92, 28, 1, false),
    ("pricing_indicators", 120, 2, 4, false),
    ("multiple_pricing_indicator", 128, 1, 1, false),
    ("coverage_issues_manual", 129, 6, 3, false),
    ("medicare_carriers_manual", 147, 8, 3, false),
    ("statute", 171, 10, 1, false),
    ("lab_certifications", 181, 3, 8, false),
    ("cross_references", 205, 5, 5, false),
    ("coverage", 230, 1, 1, false),
    ("asc_payment_group", 231, 2, 1, false),
    ("asc_effective_date", 233, 8, 1, false),
    ("mog_payment_group", 241, 3, 1, false),
    ("mog_payment_indicator", 244, 1, 1, false),
    ("mog_effective_date", 245, 8, 1, false),
    ("processing_note", 253, 4, 1, false),
    ("betos", 257, 3, 1, false),
    ("types_of_service", 261, 1, 5, false),
    ("anesthesia_base_units", 266, 3, 1, true),
    ("added_date", 269, 8, 1, false),
    ("termination_date", 285, 8, 1, false),
];

/// Each code's fields (name → values), read from a release text by slicing its lines at the
/// layout's columns: record id 3 or 7 starts a code, 4 or 8 continues its long description.
/// Values are trimmed with runs of white space made one space; blank occurrences are dropped;
/// numbers compare as numbers, and 0 base units as none (CMS writes 000 in some years and blanks
/// in others for "none"). Bytes are read one character each (Latin-1), so that any byte that
/// differs makes the value differ.
///
/// Two defects of CMS's texts are undone, as a reader must: a tab in a first line (2012's TP)
/// stands for the spaces that make the line as long as the others; and 2018's ASC payment group
/// `20` beside a six-digit date is the date's century, shifted left (`20` `170401`: 2017-04-01).
fn read_fields(text: &[u8]) -> BTreeMap<String, BTreeMap<&'static str, Vec<String>>> {
    let normal = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let lines: Vec<Vec<char>> = text
        .split(|b| *b == b'\n')
        .map(|l| {
            l.strip_suffix(b"\r")
                .unwrap_or(l)
                .iter()
                .map(|&b| b as char)
                .collect()
        })
        .collect();
    let is_first = |l: &[char]| {
        l.len() > 11 && l[5..10].iter().all(char::is_ascii_digit) && matches!(l[10], '3' | '7')
    };
    let width = lines
        .iter()
        .filter(|l| is_first(l))
        .map(Vec::len)
        .max()
        .unwrap_or(0);
    let mut out: BTreeMap<String, BTreeMap<&'static str, Vec<String>>> = BTreeMap::new();
    let mut last: Option<String> = None;
    for mut line in lines {
        if line.len() < 11 || !line[5..10].iter().all(char::is_ascii_digit) {
            continue;
        }
        if is_first(&line)
            && let Some(tab) = line.iter().position(|c| *c == '\t')
        {
            let spaces = width + 1 - line.len();
            line.splice(tab..=tab, std::iter::repeat_n(' ', spaces));
        }
        let col = |start: usize, width: usize| -> String {
            line.iter().skip(start - 1).take(width).collect()
        };
        let code = normal(&col(1, 5));
        let long = normal(&col(12, 80));
        match line[10] {
            '3' | '7' => {
                let mut fields = BTreeMap::new();
                fields.insert("long_description", vec![long]);
                for &(name, start, width, occurs, number) in TEXT_FIELDS {
                    let values = (0..occurs)
                        .map(|i| normal(&col(start + i * width, width)))
                        .filter(|v| !v.is_empty())
                        .filter_map(|v| match (number, v.parse::<u32>()) {
                            (true, Ok(0)) => None,
                            (true, Ok(n)) => Some(n.to_string()),
                            _ => Some(v),
                        })
                        .collect();
                    fields.insert(name, values);
                }
                let shifted = fields["asc_payment_group"] == ["20"]
                    && fields["asc_effective_date"].iter().all(|d| d.len() == 6);
                if shifted && !fields["asc_effective_date"].is_empty() {
                    let date = format!("20{}", fields["asc_effective_date"][0]);
                    fields.insert("asc_payment_group", Vec::new());
                    fields.insert("asc_effective_date", vec![date]);
                }
                out.insert(code.clone(), fields);
                last = Some(code);
            }
            '4' | '8' if last.as_deref() == Some(code.as_str()) => {
                let fields = out.get_mut(&code).unwrap();
                let description = &mut fields.get_mut("long_description").unwrap()[0];
                *description = normal(&format!("{description} {long}"));
            }
            _ => {}
        }
    }
    out
}

/// Where the reading of the texts and the diff may disagree, and why: (old release, field, code).
/// 2012's text has damaged bytes (0xF6, 0xC6) where its workbook has `"` and `'` in E2201's and
/// G8479's short descriptions; the import takes the workbook's value (with a warning), so the
/// diff to 2013, whose text has `"` and `'`, finds them unchanged where the bytes differ.
const REPAIRED_FROM_THE_WORKBOOK: &[(&str, &str, &str)] = &[
    ("2012-01", "short_description", "E2201"),
    ("2012-01", "short_description", "G8479"),
];

/// The `changed` count, code for code and field for field, against an independent reading of
/// the texts: for every consecutive pair of the annual releases, the codes in both whose value
/// of a field differs in the texts are exactly those the diff lists that field for (but for
/// `REPAIRED_FROM_THE_WORKBOOK`).
#[test]
fn changed_fields_agree_code_for_code_with_an_independent_reading_of_the_texts() {
    let Some(data) = real_data!() else {
        return;
    };
    let work = imported(&data);
    let annual: Vec<_> = RELEASES
        .iter()
        .filter_map(|(path, release, member)| member.map(|m| (*path, *release, m)))
        .collect();
    let mut disagree = Vec::new();
    let mut repaired = Vec::new();
    for pair in annual.windows(2) {
        let ((old_path, old, old_member), (new_path, new, new_member)) = (pair[0], pair[1]);
        let a = read_fields(&text_of(&data, old_path, old_member));
        let b = read_fields(&text_of(&data, new_path, new_member));
        let out = work
            .cmd()
            .args(["diff", old, new, "--format", "json"])
            .assert()
            .code(1);
        let report = json(&out);
        // field → codes the diff says it changed for.
        let mut said: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for change in report["changes"].as_array().unwrap() {
            for field in change["fields"].as_array().unwrap() {
                said.entry(field["field"].as_str().unwrap().to_string())
                    .or_default()
                    .push(change["code"].as_str().unwrap().to_string());
            }
        }
        let names = std::iter::once("long_description").chain(TEXT_FIELDS.iter().map(|f| f.0));
        for name in names {
            let read: Vec<String> = a
                .iter()
                .filter_map(|(code, fa)| {
                    let fb = b.get(code)?;
                    (fa[name] != fb[name]).then(|| code.clone())
                })
                .filter(|code| {
                    let known = (old, name, code.as_str());
                    match REPAIRED_FROM_THE_WORKBOOK.iter().find(|k| **k == known) {
                        Some(k) => {
                            repaired.push(*k);
                            false
                        }
                        None => true,
                    }
                })
                .collect();
            let said = said.remove(name).unwrap_or_default();
            if read != said {
                let only = |x: &[String], y: &[String]| {
                    x.iter()
                        .filter(|c| !y.contains(c))
                        .map(|c| {
                            let (va, vb) = (a.get(c).map(|f| &f[name]), b.get(c).map(|f| &f[name]));
                            format!("{c} ({va:?} -> {vb:?})")
                        })
                        .collect::<Vec<_>>()
                };
                disagree.push(format!(
                    "{old} -> {new} {name}: {} by the diff, {} by the reading; the diff only: {:?}; the reading only: {:?}",
                    said.len(),
                    read.len(),
                    only(&said, &read),
                    only(&read, &said)
                ));
            }
        }
        assert!(
            said.is_empty(),
            "{old} -> {new}: fields not read here: {said:?}"
        );
    }
    assert!(disagree.is_empty(), "{}", disagree.join("\n"));
    assert_eq!(repaired, REPAIRED_FROM_THE_WORKBOOK);
}

/// Every real text imported loose, its records kept on disk as they are read and merged in code
/// order as the snapshot is written (CMS lists the modifiers, then the procedure codes), stores
/// the very bytes of the snapshot made with the text read whole and its records held.
#[test]
fn every_real_text_imported_loose_stores_the_snapshot_of_the_text_read_whole() {
    let Some(data) = real_data!() else { return };
    for (path, release, member) in RELEASES {
        let Some(member) = member else { continue };
        let bytes = text_of(&data, path, member);
        let held = source::from_bytes(member, bytes.clone()).unwrap();
        let held = load_source(
            held,
            ReadOptions {
                release: Some(release.parse().unwrap()),
                strict: false,
                today: None,
            },
        )
        .unwrap()
        .snapshot
        .to_bytes();
        let work = Work::new();
        let text = work.write(member, &bytes);
        work.cmd()
            .args(["import", text.to_str().unwrap(), "--release", release])
            .assert()
            .success();
        let stored = std::fs::read(work.store().join(format!("{release}.jsonl"))).unwrap();
        assert!(stored == held, "{member}: the stored snapshot differs");
    }
}
