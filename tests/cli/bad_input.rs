//! Bad input: a clear error naming file, line (or sheet and row) and field; exit status 2; the
//! store exactly as it was.

use crate::util::{Work, fixture, stderr, stdout, zip_of};

const RELEASE_2006: &str = "oxygen/2006/HCPC2006_CONTR_ANWEB.txt";

fn fixture_text() -> String {
    std::fs::read_to_string(fixture(RELEASE_2006)).unwrap()
}

/// A work folder whose store already holds the 2005 fixture release.
fn work_with_store() -> Work {
    let work = Work::with(&[fixture("oxygen/2005")]);
    assert_eq!(work.store_state().len(), 1);
    work
}

/// Imports `name` with `bytes` and checks exit 2, the message, and an untouched store.
fn rejects(name: &str, bytes: impl AsRef<[u8]>, message: &str) {
    let work = work_with_store();
    let before = work.store_state();
    let path = work.write(name, bytes);
    let out = work
        .cmd()
        .arg("import")
        .arg(&path)
        .args(["--release", "2006"])
        .assert()
        .code(2);
    let err = stderr(&out);
    assert_eq!(err.trim_end(), format!("error: {message}"));
    assert_eq!(work.store_state(), before, "the store changed");
}

fn edit_line(n: usize, f: impl FnOnce(&mut String)) -> String {
    let text = fixture_text();
    let mut lines: Vec<String> = text.split("\r\n").map(str::to_string).collect();
    f(&mut lines[n - 1]);
    lines.join("\r\n")
}

#[test]
fn empty_file() {
    rejects("empty.txt", "", "empty.txt: the file is empty");
}

#[test]
fn truncated_zip() {
    let zip = zip_of(&[("HCPC2006_CONTR_ANWEB.txt", fixture_text().as_bytes())]);
    let half = &zip[..zip.len() / 2];
    let work = work_with_store();
    let before = work.store_state();
    let path = work.write("2006.zip", half);
    let out = work.cmd().arg("import").arg(&path).assert().code(2);
    let err = stderr(&out);
    assert!(
        err.starts_with("error: 2006.zip: not a readable zip archive ("),
        "{err}"
    );
    assert!(
        err.contains("the download may be truncated or corrupt"),
        "{err}"
    );
    assert_eq!(work.store_state(), before);
}

#[test]
fn corrupt_zip() {
    let text = fixture_text().repeat(3);
    let mut zip = zip_of(&[("HCPC2006_CONTR_ANWEB.txt", text.as_bytes())]);
    for b in &mut zip[60..200] {
        *b ^= 0x5a;
    }
    let work = work_with_store();
    let before = work.store_state();
    let path = work.write("2006.zip", &zip);
    let out = work.cmd().arg("import").arg(&path).assert().code(2);
    let err = stderr(&out);
    assert!(
        err.starts_with("error: 2006.zip: not a readable zip archive (HCPC2006_CONTR_ANWEB.txt: "),
        "{err}"
    );
    assert_eq!(work.store_state(), before);
}

#[test]
fn zip_without_a_release_file() {
    let zip = zip_of(&[
        ("README.txt", b"Read me first\r\n"),
        ("proc_notes_2006.txt", b"Note 0017: ...\r\n"),
    ]);
    rejects(
        "2006.zip",
        zip,
        "2006.zip: no HCPCS release file in it (looked at: README.txt, proc_notes_2006.txt)",
    );
}

#[test]
fn html_page_saved_as_zip() {
    let page = "<!DOCTYPE html>\n<html><head><title>Page not found</title></head><body>CMS</body></html>\n";
    rejects(
        "january-2026-alpha-numeric-hcpcs-file.zip",
        page,
        "january-2026-alpha-numeric-hcpcs-file.zip: this is an HTML page, not a CMS release (a download that returned an error page?)",
    );
}

#[test]
fn workbook_missing_required_columns() {
    let headers = [
        "HCPC",
        "SEQNUM",
        "RECID",
        "LONG DESCRIPTION",
        "SHORT DESCRIPTION",
        "PRICE1",
        "PRICE2",
        "PRICE3",
        "PRICE4",
        "MULT_PI",
        "CIM1",
        "CIM2",
        "CIM3",
        "MCM1",
        "MCM2",
        "MCM3",
        "STATUTE",
        "LABCERT1",
        "LABCERT2",
        "LABCERT3",
        "LABCERT4",
        "LABCERT5",
        "LABCERT6",
        "LABCERT7",
        "LABCERT8",
        "XREF1",
        "XREF2",
        "XREF3",
        "XREF4",
        "XREF5",
        "COV",
        "ASC_GRP",
        "ASC_DT",
        "OPPS",
        "OPPS_PI",
        "OPPS_DT",
        "PROCNOTE",
        "TOS1",
        "TOS2",
        "TOS3",
        "TOS4",
        "ANEST_BU",
        "ADD DT",
        "ACT EFF DT",
        "TERM DT",
        "ACTION CD",
    ]; // no BETOS, no TOS5
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet().set_name("A").unwrap();
    sheet
        .write_string(0, 0, "Note regarding coverage and payment indicators")
        .unwrap();
    for (i, h) in headers.iter().enumerate() {
        sheet.write_string(2, i as u16, *h).unwrap();
    }
    for (i, v) in ["E1392", "0010", "3", "Portable oxygen concentrator, rental"]
        .iter()
        .enumerate()
    {
        sheet.write_string(3, i as u16, *v).unwrap();
    }
    let bytes = wb.save_to_buffer().unwrap();
    rejects(
        "anweb.xlsx",
        bytes,
        "anweb.xlsx: sheet 'A' row 3: missing required column(s): BETOS code, type of service code 5",
    );
}

#[test]
fn duplicate_code() {
    let text = fixture_text();
    let e1392: Vec<&str> = text
        .split("\r\n")
        .filter(|l| l.starts_with("E1392"))
        .collect();
    let doubled = format!("{text}{}\r\n", e1392.join("\r\n"));
    let first = text
        .split("\r\n")
        .position(|l| l.starts_with("E1392"))
        .unwrap()
        + 1;
    let again = text.split("\r\n").count();
    rejects(
        "HCPC2006.txt",
        doubled,
        &format!("HCPC2006.txt: line {again}: duplicate code E1392 (first at line {first})"),
    );
}

#[test]
fn record_line_too_short() {
    let text = edit_line(3, |l| l.truncate(200));
    rejects(
        "HCPC2006.txt",
        text,
        "HCPC2006.txt: line 3: record line too short: 200 characters, a first line needs 293 to hold its fields",
    );
}

#[test]
fn date_that_is_not_a_date() {
    let text = edit_line(3, |l| l.replace_range(268..276, "2006X101"));
    rejects(
        "HCPC2006.txt",
        text,
        "HCPC2006.txt: line 3: code added date: '2006X101' is not a date (YYYYMMDD)",
    );
}

#[test]
fn unknown_record_identification_code() {
    let text = edit_line(4, |l| l.replace_range(10..11, "5"));
    rejects(
        "HCPC2006.txt",
        text,
        "HCPC2006.txt: line 4: record identification code: '5' is not a record identification code (3 or 7 start a code, 4 or 8 continue its description)",
    );
}

#[test]
fn release_that_cannot_be_inferred() {
    let work = work_with_store();
    let before = work.store_state();
    let path = work.write("codes.txt", fixture_text().replace("20060101", "20060215"));
    let out = work.cmd().arg("import").arg(&path).assert().code(2);
    let err = stderr(&out);
    assert_eq!(
        err.trim_end(),
        "error: codes.txt: cannot tell which release this is from its name or content: give --release YYYY-MM"
    );
    assert_eq!(work.store_state(), before);
}

/// A fixed-width line longer than its layout: what is past the last column read would be lost
/// without a word. One character slipped into a continuation line pushes the description's
/// last letter past column 91; a first line of 400 characters has text past column 293. Each
/// is a warning naming the line and the column, and an error with `--strict`.
#[test]
fn text_past_the_layout_s_last_column_is_a_warning_naming_line_and_column() {
    let slipped = edit_line(4, |line| {
        let description = format!(
            "{:<80}",
            "contents, regulator, flowmeter, humidifier, nebulizer, cannula or mask, and pipe"
        );
        *line = format!("{}{description}", &line[..11]);
        line.insert(20, 'X');
    });
    let long = {
        let mut lines: Vec<String> = slipped.split("\r\n").map(str::to_string).collect();
        let first = &mut lines[2];
        *first = format!("{first:<397}ZZZ");
        lines.join("\r\n")
    };
    let work = work_with_store();
    let path = work.write("HCPC2006_CONTR_ANWEB.txt", &long);
    let before = work.store_state();
    let out = work
        .cmd()
        .arg("import")
        .arg(&path)
        .arg("--strict")
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("line 3: the line is longer than its layout"),
        "{}",
        stderr(&out)
    );
    assert_eq!(work.store_state(), before, "the store changed");
    let out = work.cmd().arg("import").arg(&path).assert().success();
    let said = stderr(&out);
    let warnings: Vec<&str> = said.lines().collect();
    assert_eq!(
        warnings,
        [
            "warning: HCPC2006_CONTR_ANWEB.txt: line 3: the line is longer than its layout: \
             \"ZZZ\" from column 398 is past the last column read (293, the action code), and is \
             not read",
            "warning: HCPC2006_CONTR_ANWEB.txt: line 4: the line is longer than its layout: \"e\" \
             from column 92 is past the last column read (91, the long description's end), and \
             is not read",
        ],
        "{said}"
    );
}

/// A text named for 2099 holding 2006's records: its name cannot be right (a release is posted
/// weeks before it takes effect), so it is refused without --release, naming the file, the id
/// from the name and what the content says, and nothing is stored (it would leave `check`
/// asking for 2099-04 for ever).
#[test]
fn a_release_named_for_the_future_is_refused_without_release() {
    let work = work_with_store();
    let before = work.store_state();
    let path = work.write("HCPC2099_ANWEB.txt", fixture_text());
    let out = work.cmd().arg("import").arg(&path).assert().code(2);
    let said = stderr(&out);
    assert!(
        said.starts_with(
            "error: HCPC2099_ANWEB.txt: its name says release 2099-01, but that is later than \
             the quarter after today ("
        ) && said.ends_with(
            "; the latest date in its records is 2006-01-01, the most recent quarter its codes' \
             actions take effect in is 2006-01: give --release YYYY-MM if that is right\n"
        ),
        "{said}"
    );
    assert_eq!(work.store_state(), before, "the store changed");
    // Given, the release wins; the name that says otherwise is a warning.
    let out = work
        .cmd()
        .arg("import")
        .arg(&path)
        .args(["--release", "2006"])
        .assert()
        .success();
    assert_eq!(
        stderr(&out),
        "warning: HCPC2099_ANWEB.txt: release id: --release 2006-01, but the name \
         HCPC2099_ANWEB.txt says 2099-01\n"
    );
}

/// The 2006 text under a 2004 name: its records take effect in 2006, which no 2004 file can
/// hold (a file renamed, or a year mistyped). Refused without `--release`, naming what the
/// records say; given, the release wins with a warning.
#[test]
fn a_release_named_before_its_records_take_effect_is_refused_without_release() {
    let work = work_with_store();
    let before = work.store_state();
    let path = work.write("HCPC2004_CONTR_ANWEB.txt", fixture_text());
    let out = work.cmd().arg("import").arg(&path).assert().code(2);
    assert_eq!(
        stderr(&out),
        "error: HCPC2004_CONTR_ANWEB.txt: its name says release 2004-01, but its records take \
         effect as late as 2006-01 (the latest date in them is 2006-01-01), after that release: \
         give --release YYYY-MM if that is right\n"
    );
    assert_eq!(work.store_state(), before, "the store changed");
    let out = work
        .cmd()
        .arg("import")
        .arg(&path)
        .args(["--release", "2004"])
        .assert()
        .success();
    assert!(
        stderr(&out).contains("--release 2004-01, but its records take effect as late as 2006-01"),
        "{}",
        stderr(&out)
    );
}

/// `--release 2006-02` on the 2006 text made a second copy of 2006-01 without a word: a given
/// release the name contradicts is a warning, and an error with --strict.
#[test]
fn a_release_given_against_the_file_s_name_is_a_warning() {
    let work = work_with_store();
    let path = work.write("HCPC2006_CONTR_ANWEB.txt", fixture_text());
    let before = work.store_state();
    let out = work
        .cmd()
        .arg("import")
        .arg(&path)
        .args(["--release", "2006-02", "--strict"])
        .assert()
        .code(2);
    assert!(
        stderr(&out)
            .contains("--release 2006-02, but the name HCPC2006_CONTR_ANWEB.txt says 2006-01"),
        "{}",
        stderr(&out)
    );
    assert_eq!(work.store_state(), before, "the store changed");
    let out = work
        .cmd()
        .arg("import")
        .arg(&path)
        .args(["--release", "2006-02"])
        .assert()
        .success();
    assert_eq!(
        stderr(&out),
        "warning: HCPC2006_CONTR_ANWEB.txt: release id: --release 2006-02, but the name \
         HCPC2006_CONTR_ANWEB.txt says 2006-01\n"
    );
    assert!(stdout(&out).contains("1 warning;"), "{}", stdout(&out));
}

/// "Later than the quarter after today" at the quarter's edges, with today pinned as the
/// command passes it.
#[test]
fn the_quarter_after_today_bounds_a_release_from_its_name() {
    let text = fixture_text().into_bytes();
    let load = |name: &str, today: &str| {
        let file = hcpcs_diff::source::from_bytes(name, text.clone()).unwrap();
        let options = hcpcs_diff::ReadOptions {
            today: Some(today.parse().unwrap()),
            ..Default::default()
        };
        hcpcs_diff::load_source(file, options).map(|l| l.snapshot.release().to_string())
    };
    let refused = |r: Result<String, hcpcs_diff::Error>| match r {
        Err(hcpcs_diff::Error::DoubtfulRelease { release, .. }) => release.to_string(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        load("april-2026-anweb.txt", "2026-03-31").unwrap(),
        "2026-04"
    );
    assert_eq!(
        refused(load("july-2026-anweb.txt", "2026-03-31")),
        "2026-07"
    );
    assert_eq!(
        load("july-2026-anweb.txt", "2026-04-01").unwrap(),
        "2026-07"
    );
    assert_eq!(load("HCPC2027_ANWEB.txt", "2026-10-01").unwrap(), "2027-01");
    assert_eq!(refused(load("HCPC2027_ANWEB.txt", "2026-09-30")), "2027-01");
}

/// A zip holding two release texts with the same number of records: which one is the release
/// cannot be told, so the import is refused naming both, unless they are the same bytes.
#[test]
fn a_zip_with_two_different_release_texts_of_one_size_is_refused_naming_both() {
    let text = fixture_text();
    let other = text.replace("rental", "purchase");
    assert_ne!(other, text);
    let work = work_with_store();
    let before = work.store_state();
    let zip = work.write(
        "2006.zip",
        zip_of(&[
            ("HCPC2006_CONTR_ANWEB.txt", text.as_bytes()),
            ("HCPC2006_CONTR_ANWEB_v2.txt", other.as_bytes()),
        ]),
    );
    let out = work.cmd().arg("import").arg(&zip).assert().code(2);
    assert_eq!(
        stderr(&out),
        "error: 2006.zip: two release files with 15 records (lines or rows) each, \
         HCPC2006_CONTR_ANWEB.txt and HCPC2006_CONTR_ANWEB_v2.txt, and they differ: extract the \
         one you mean and import it\n"
    );
    assert_eq!(work.store_state(), before, "the store changed");
    let same = work.write(
        "2006-twice.zip",
        zip_of(&[
            ("HCPC2006_CONTR_ANWEB.txt", text.as_bytes()),
            ("copy/HCPC2006_CONTR_ANWEB.txt", text.as_bytes()),
        ]),
    );
    work.cmd().arg("import").arg(&same).assert().success();
}

/// A folder named for its release (`2020-04`, as the real data's quarterly folders are) holding
/// a file whose name has no year: the folder's month counts. It was read as 2020-01 and
/// stored the April release as a new revision of January's.
#[test]
fn a_folder_named_yyyy_mm_is_that_release_not_january() {
    let work = work_with_store();
    let folder = work.path("2006-04");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("anweb.txt"), fixture_text()).unwrap();
    let out = work.cmd().arg("import").arg(&folder).assert().success();
    assert!(
        stdout(&out).contains(": release 2006-04 (from the name 2006-04): "),
        "{}",
        stdout(&out)
    );
    assert!(work.store().join("2006-04.jsonl").exists());
    assert!(!work.store().join("2006-01.jsonl").exists());
}

/// A release file named only with its year (`HCPC2006_ANWEB.txt`) inside a zip CMS named for
/// the quarter (`april-2006-...zip`), or in a folder named `2006-07`, or in such a zip in a
/// mirror folder: the quarter comes from what holds it. It was read as 2006-01 and stored the
/// quarter as a new revision of January's.
#[test]
fn a_member_named_only_with_its_year_takes_the_quarter_from_its_zip_or_folder() {
    let work = work_with_store();
    let text = fixture_text();
    let zip = work.write(
        "april-2006-alpha-numeric-hcpcs-file.zip",
        zip_of(&[("HCPC2006_ANWEB.txt", text.as_bytes())]),
    );
    let folder = work.path("2006-07");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("HCPC2006_ANWEB.txt"), &text).unwrap();
    // The month after the year's second mention, not its first.
    let update = work.path("hcpcs2006-update-2006-10");
    std::fs::create_dir_all(&update).unwrap();
    std::fs::write(update.join("anweb.txt"), &text).unwrap();
    let mirror = work.path("mirror");
    std::fs::create_dir_all(&mirror).unwrap();
    std::fs::write(
        mirror.join("october-2006-alpha-numeric-hcpcs-file.zip"),
        zip_of(&[("HCPC2006_ANWEB.txt", text.as_bytes())]),
    )
    .unwrap();
    for (source, release, container) in [
        (&zip, "2006-04", "april-2006-alpha-numeric-hcpcs-file.zip"),
        (&folder, "2006-07", "2006-07"),
        (
            &mirror,
            "2006-10",
            "october-2006-alpha-numeric-hcpcs-file.zip",
        ),
    ] {
        let out = work.cmd().arg("import").arg(source).assert().success();
        assert!(
            stdout(&out).contains(&format!(
                ": release {release} (from the name HCPC2006_ANWEB.txt in {container}): "
            )),
            "{}",
            stdout(&out)
        );
        assert!(work.store().join(format!("{release}.jsonl")).exists());
    }
    // Stored as 2006-10 already (from the mirror): the same records, unchanged.
    let out = work.cmd().arg("import").arg(&update).assert().success();
    assert!(
        stdout(&out).contains(": release 2006-10 (from the name hcpcs2006-update-2006-10): "),
        "{}",
        stdout(&out)
    );
    for release in ["2006-04", "2006-07", "2006-10"] {
        assert!(
            work.store().join(format!("{release}.jsonl")).exists(),
            "{release}"
        );
    }
    assert!(!work.store().join("2006-01.jsonl").exists());
}

/// A text cut short at a line end reads as a whole text of fewer codes. Import says which
/// codes of the stored release before are missing though still in effect (exit 0, stored,
/// counted among the warnings); --strict refuses it and the store is as it was. A code CMS
/// terminated and then dropped from its file (K0738, terminated 2005-12-31 in the 2006 text,
/// gone from a 2007 one) is not missed, nor is anything in the whole 2006 text.
#[test]
fn a_text_cut_short_at_a_line_end_is_a_warning_naming_the_codes_it_misses() {
    let work = work_with_store();
    let before = work.store_state();
    let text = fixture_text();
    // Cut at the line end after E1391's record: E1392, K0738 and the modifiers gone.
    let cut: String = text.split_inclusive("\r\n").take(11).collect();
    assert!(cut.ends_with("\r\n") && cut.lines().last().unwrap().starts_with("E1391"));
    let path = work.write("HCPC2006_CONTR_ANWEB.txt", &cut);
    let said = "its procedure codes end at E1391, where the stored release 2005-01 goes on: 1 \
                procedure code in effect on 2006-01-01 is missing (K0738); CMS drops a code \
                only after terminating it. Was the file cut short?";
    let out = work
        .cmd()
        .arg("import")
        .arg(&path)
        .arg("--strict")
        .assert()
        .code(2);
    assert_eq!(
        stderr(&out),
        format!("error: HCPC2006_CONTR_ANWEB.txt: {said} (--strict: nothing stored)\n")
    );
    assert_eq!(work.store_state(), before, "the store changed");
    let out = work.cmd().arg("import").arg(&path).assert().code(0);
    assert_eq!(
        stderr(&out),
        format!("warning: HCPC2006_CONTR_ANWEB.txt: {said}\n")
    );
    assert!(stdout(&out).contains("4 procedure codes, 0 modifiers, 1 warning;"));
    // The same text in a zip (held in memory, not kept on disk as it is typed): the same.
    let work = work_with_store();
    let zip = work.write(
        "2006.zip",
        zip_of(&[("HCPC2006_CONTR_ANWEB.txt", cut.as_bytes())]),
    );
    let out = work.cmd().arg("import").arg(&zip).assert().code(0);
    assert!(
        stderr(&out).ends_with(&format!("{said}\n")),
        "{}",
        stderr(&out)
    );
    // The whole text, then a 2007 text without K0738: nothing missing either time.
    let work = work_with_store();
    let out = work
        .cmd()
        .arg("import")
        .arg(fixture(RELEASE_2006))
        .assert()
        .code(0);
    assert_eq!(stderr(&out), "");
    let without: String = text
        .split_inclusive("\r\n")
        .filter(|line| !line.starts_with("K0738"))
        .collect();
    let path = work.write("HCPC2007_CONTR_ANWEB.txt", without.replace("2006", "2007"));
    let out = work.cmd().arg("import").arg(&path).assert().code(0);
    assert!(!stderr(&out).contains("cut short"), "{}", stderr(&out));
    assert!(work.store().join("2007-01.jsonl").exists());
}
