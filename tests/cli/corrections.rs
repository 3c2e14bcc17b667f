//! CMS's corrections files: read in every form, classified, kept with their release, and used
//! by `show`, `history` and `diff`.

use hcpcs_diff::model::correction::Action;
use hcpcs_diff::read::corrections;

use crate::util::{Work, fixture, json, oxygen, real_data, stderr, stdout, unzip, zip_of};

/// The zips under `HCPCS_DIFF_DATA` the corrections tests read (each listed, with its SHA-256,
/// in `tests/data/README.md`).
pub const CORRECTIONS_ZIPS: [&str; 4] = [
    "2017-01/2017-HCPCS-Alpha-Numeric-Corrections.zip",
    "2018-01/2018-HCPCS-Alpha-Numeric-Corrections.zip",
    "2019-01/2019-HCPCS-Alpha-Numeric-Corrections.zip",
    "2025-01/january-2025-alpha-numeric-hcpcs-file.zip",
];

/// Every corrections file in the real data, every form (the `.prn` prints too), by name.
fn real_corrections_files(data: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    CORRECTIONS_ZIPS
        .iter()
        .flat_map(|z| unzip(&data.join(z)))
        .filter(|(n, _)| corrections::is_corrections_name(n) && !n.ends_with("README.txt"))
        .collect()
}

#[test]
fn every_real_corrections_row_is_classified_or_listed_as_unparsed() {
    let Some(data) = real_data!() else { return };
    let mut rows = 0;
    let mut unparsed = Vec::new();
    for (name, bytes) in real_corrections_files(&data) {
        let read = corrections::read(&name, &bytes).unwrap_or_else(|e| panic!("{e}"));
        rows += read.len();
        for c in read.iter().filter(|c| c.class == Action::Unparsed) {
            let action = hcpcs_diff::model::sha256_hex(c.action.as_bytes());
            unparsed.push(format!("{name}\t{}\t{}\t{action}", c.at, c.code));
        }
    }
    // The rows left as CMS wrote them: a workbook row that points at an older description
    // without giving it, and `.prn` prints cut short mid-word. The list keeps each row's
    // action as its SHA-256: the repository holds no text of CMS's files.
    let listed = std::fs::read_to_string(crate::util::fixture("corrections/unparsed.tsv")).unwrap();
    let listed: Vec<&str> = listed.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(unparsed, listed);
    assert_eq!((rows, unparsed.len()), (ROWS, UNPARSED));
}

/// Rows in the real corrections files (every version, workbook, text and `.prn`), and how
/// many of them are unparsed.
const ROWS: usize = 318;
const UNPARSED: usize = 24;

/// `import --corrections FILE --release RELEASE`, not yet asserted.
fn keep_corrections(
    work: &Work,
    file: impl AsRef<std::ffi::OsStr>,
    release: &str,
) -> assert_cmd::assert::Assert {
    work.cmd()
        .args(["import", "--corrections"])
        .arg(file)
        .args(["--release", release])
        .assert()
}

/// A corrections workbook as CMS writes one: a title and two blank rows above the header.
fn corrections_xlsx(rows: &[[&str; 9]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 1, "2006 HCPCS CORRECTIONS").unwrap();
    let header = [
        "CODE",
        "ACTION",
        "EFF DATE",
        "SHORT DESC",
        "LONG DESC",
        "TOS ",
        "BETOS",
        "COV",
        "PRICE",
    ];
    for (r, row) in std::iter::once(&header).chain(rows).enumerate() {
        for (c, value) in row.iter().enumerate() {
            if !value.is_empty() {
                sheet.write_string(3 + r as u32, c as u16, *value).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

/// The oxygen pair with a corrections file kept with each release: 2005's discontinues
/// K0738 (retired in 2006), 2006's states E1391's new pricing indicator (changed in 2006).
fn oxygen_with_corrections() -> Work {
    // 2006 comes in as a zip holding its corrections, as CMS's zips do.
    let work = Work::with(&[fixture("oxygen/2005")]);
    let old = work.write(
        "2005-corrections.txt",
        "\t2005 HCPCS CORRECTIONS\t\t\r\n\t\t\t\r\nCODE\tACTION\tEFF DATE\tXREF CODE\r\n\
         K0738\tDiscontinue \t01/01/2006\tE1392\r\n",
    );
    keep_corrections(&work, &old, "2005-01")
        .success()
        .stdout("2005-01: kept corrections 2005-corrections.txt\n");
    let release = std::fs::read(fixture("oxygen/2006/HCPC2006_CONTR_ANWEB.txt")).unwrap();
    let corrections = corrections_xlsx(&[[
        "E1391",
        "Change Cov to D and Price to 36",
        "01/01/2006",
        "",
        "",
        "",
        "",
        "D",
        "36",
    ]]);
    let zip = work.write(
        "2006-anweb.zip",
        zip_of(&[
            ("HCPC2006_CONTR_ANWEB.txt", &release),
            ("HCPC2006_Corrections_ANWEB_v2.xlsx", &corrections),
        ]),
    );
    let out = work.cmd().arg("import").arg(&zip).assert().success();
    assert!(
        stdout(&out).ends_with(
            "2006-01: kept corrections 2006-anweb.zip/HCPC2006_Corrections_ANWEB_v2.xlsx\n"
        ),
        "{}",
        stdout(&out)
    );
    work
}

#[test]
fn corrections_are_kept_listed_and_shown() {
    let work = oxygen_with_corrections();
    let out = work.cmd().arg("list").assert().success();
    let listed = stdout(&out);
    assert!(
        listed.contains("corrections v1  1 rows  2005-corrections.txt")
            && listed.contains(
                "corrections v2  1 rows  2006-anweb.zip/HCPC2006_Corrections_ANWEB_v2.xlsx"
            ),
        "{listed}"
    );
    let out = work
        .cmd()
        .args(["show", "K0738", "--release", "2005-01"])
        .assert()
        .success();
    assert!(
        stdout(&out).contains(
            "CMS corrections to 2005-01:\n  Discontinue: terminate, effective 2006-01-01; states \
             Cross-reference E1392, Terminated 2005-12-31 (2005-corrections.txt, version 1, line 4)"
        ),
        "{}",
        stdout(&out)
    );
    let out = work.cmd().args(["history", "E1391"]).assert().success();
    assert!(
        stdout(&out)
            .contains("CMS corrections\n  2006-01  Change Cov to D and Price to 36: change"),
        "{}",
        stdout(&out)
    );
    // The same file again is not kept twice.
    let old = work.path("2005-corrections.txt");
    keep_corrections(&work, &old, "2005-01")
        .success()
        .stdout("2005-01: corrections 2005-corrections.txt already kept, unchanged\n");
}

#[test]
fn diff_marks_the_changes_corrections_explain() {
    let work = oxygen_with_corrections();
    let out = work
        .cmd()
        .args(["diff", "2005-01", "2006-01", "--format", "json"])
        .assert()
        .code(1);
    let v = json(&out);
    let explained: Vec<(String, String)> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| {
            let by = c["explained_by"].as_array()?;
            Some((
                c["code"].as_str()?.to_string(),
                by[0]["action"].as_str()?.to_string(),
            ))
        })
        .collect();
    assert_eq!(
        explained,
        [
            (
                "E1391".to_string(),
                "Change Cov to D and Price to 36".to_string()
            ),
            ("K0738".to_string(), "Discontinue".to_string()),
        ]
    );
    assert_eq!(v["changes"][0]["code"], "E0431");
    // Text, markdown and HTML list them in a section of their own, with the correction.
    let out = work
        .cmd()
        .args(["diff", "2005-01", "2006-01"])
        .assert()
        .code(1);
    let text = stdout(&out);
    assert!(
        text.contains(
            "1 added, 0 reinstated; 2 of these explained by CMS corrections (listed apart)\n"
        ),
        "{text}"
    );
    let section = text
        .split("EXPLAINED BY CMS CORRECTIONS (2)\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        section.starts_with("  E1391  Oxygen concentrator, dual delivery port")
            && section.contains(
                "explained by CMS's correction: Discontinue (effective 2006-01-01; correction to \
                 2005-01: 2005-corrections.txt, version 1, line 4)"
            ),
        "{section}"
    );
    for (format, heading) in [
        ("markdown", "## Explained by CMS corrections (2)"),
        ("html", "id=\"explained\""),
    ] {
        let out = work
            .cmd()
            .args(["diff", "2005-01", "2006-01", "--format", format])
            .assert()
            .code(1);
        assert!(stdout(&out).contains(heading), "{format}: {}", stdout(&out));
    }
}

#[test]
fn a_bad_corrections_file_or_an_unstored_release_changes_nothing() {
    let work = oxygen();
    let before = work.store_state();
    let bad = work.write("bad-corrections.xlsx", corrections_xlsx(&[]));
    let out = keep_corrections(&work, &bad, "2005-01").code(2);
    assert!(
        stderr(&out).contains("bad-corrections.xlsx: not a corrections file CMS writes: no correction under its header"),
        "{}",
        stderr(&out)
    );
    let good = work.write(
        "c.txt",
        "CODE\tACTION\tEFF DATE\r\nE1392\tADD CODE\t01/01/2006\r\n",
    );
    let out = keep_corrections(&work, &good, "2019-01").code(2);
    assert!(
        stderr(&out).contains("release 2019-01 is not in the store"),
        "{}",
        stderr(&out)
    );
    let out = work
        .cmd()
        .args(["import", "--corrections"])
        .arg(&good)
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains(
            "c.txt: cannot tell which release these corrections are for: give --release YYYY-MM"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(work.store_state(), before);
}

#[test]
fn the_2019_corrections_explain_c1890_and_da_in_2019_to_2020() {
    let Some(data) = real_data!() else { return };
    let work = Work::new();
    for path in [
        "2019-01/2019-Alpha-Numeric-HCPCS-File.zip",
        "2020-01/2020-Alpha-Numeric-HCPCS-File.zip",
    ] {
        work.cmd()
            .arg("import")
            .arg(data.join(path))
            .assert()
            .success();
    }
    work.cmd()
        .args(["import", "--corrections"])
        .arg(data.join("2019-01/2019-HCPCS-Alpha-Numeric-Corrections.zip"))
        .assert()
        .success();
    let out = work
        .cmd()
        .args(["diff", "2019-01", "2020-01", "--format", "json"])
        .assert()
        .code(1);
    let v = json(&out);
    let by_code = |code: &str| {
        v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .cloned()
            .unwrap()
    };
    let c1890 = by_code("C1890");
    assert_eq!(c1890["change"], "added");
    assert_eq!(c1890["explained_by"][0]["action"], "ADD CODE");
    assert_eq!(c1890["explained_by"][0]["release"], "2019-01");
    let da = by_code("DA");
    assert_eq!(
        da["explained_by"][0]["action"],
        "Removed in error - add back to file"
    );
    assert_eq!(da["explained_by"][0]["version"], 2);
    let disagreeing: Vec<&str> = v["disagreements"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert!(
        !disagreeing.contains(&"DA") && !disagreeing.contains(&"C1890"),
        "{disagreeing:?}"
    );
    let explained: Vec<&str> = v["explained_disagreements"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert_eq!(explained, ["C9034", "DA"]);
    let out = work
        .cmd()
        .args(["show", "C1890", "--release", "2019-01"])
        .assert()
        .success();
    assert!(
        stdout(&out).starts_with(
            "C1890 is not in release 2019-01's file; CMS's corrections to 2019-01 name it.\n\n\
             CMS corrections to 2019-01:\n  ADD CODE: add, effective 2019-01-01; states"
        ),
        "{}",
        stdout(&out)
    );
}

#[test]
fn apply_corrections_changes_the_snapshot_and_records_each_in_its_provenance() {
    let work = oxygen_with_corrections();
    let out = work
        .cmd()
        .arg("import")
        .arg(fixture("oxygen/2005"))
        .args(["--apply-corrections", "--force"])
        .assert()
        .success();
    assert!(
        stdout(&out).starts_with(
            "CMS corrections: 1 applied, 0 already so in the release, 0 left as notes\n"
        ),
        "{}",
        stdout(&out)
    );
    let out = work
        .cmd()
        .args(["show", "K0738", "--release", "2005-01", "--format", "json"])
        .assert()
        .success();
    let v = json(&out);
    assert_eq!(v["fields"]["termination_date"][0]["value"], "2005-12-31");
    assert_eq!(v["fields"]["cross_references"][0]["value"], "E1392");
    let snapshot = std::fs::read_to_string(work.store().join("2005-01.jsonl")).unwrap();
    let provenance: serde_json::Value =
        serde_json::from_str(snapshot.lines().next().unwrap()).unwrap();
    assert_eq!(
        provenance["applied_corrections"],
        serde_json::json!([{
            "file": "2005-corrections.txt",
            "version": 1,
            "at": "line 4",
            "code": "K0738",
            "action": "Discontinue"
        }])
    );
    // A correction that cannot be applied without guessing is a note, and changes nothing.
    let unparsed = work.write(
        "2006-more-corrections.txt",
        "CODE\tACTION\tEFF DATE\r\nE1390\tRevert to the 2004 description\t01/01/2006\r\nZZ\tRemoved in error - add back to file\t01/01/2006\r\n",
    );
    keep_corrections(&work, &unparsed, "2006-01").success();
    let zip = work.path("2006-anweb.zip");
    let out = work
        .cmd()
        .arg("import")
        .arg(&zip)
        .args(["--apply-corrections", "--force"])
        .assert()
        .success();
    let said = stdout(&out);
    assert!(
        said.contains("2 left as notes")
            && said.contains("E1390 'Revert to the 2004 description': not applied, words this tool does not read without guessing")
            && said.contains("ZZ 'Removed in error - add back to file': not applied, puts the code back without its fields"),
        "{said}"
    );
}

/// A release zip whose corrections file cannot be read: the release is imported and the
/// warning names the file; under --strict nothing is stored.
#[test]
fn a_release_zip_with_an_unreadable_corrections_file_warns_or_under_strict_stops() {
    let release = std::fs::read(fixture("oxygen/2006/HCPC2006_CONTR_ANWEB.txt")).unwrap();
    let bad = b"CODE\tACTION\r\n(see note)\tADD CODE\r\n";
    let work = Work::new();
    let zip = work.write(
        "2006.zip",
        zip_of(&[
            ("HCPC2006_CONTR_ANWEB.txt", &release),
            ("HCPC2006_Corrections.txt", bad),
        ]),
    );
    let out = work
        .cmd()
        .arg("import")
        .arg(&zip)
        .arg("--strict")
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains(
            "2006.zip/HCPC2006_Corrections.txt: not a corrections file CMS writes: line 2: \
             column CODE: '(see note)' is not a HCPCS code or modifier"
        ),
        "{}",
        stderr(&out)
    );
    assert!(!work.store().join("2006-01.jsonl").exists());
    let out = work.cmd().arg("import").arg(&zip).assert().success();
    assert!(
        stderr(&out).contains("the release is imported without its corrections"),
        "{}",
        stderr(&out)
    );
    assert!(work.store().join("2006-01.jsonl").exists());
    assert!(!work.store().join("2006-01.corrections.json").exists());
}

/// A damaged corrections file says how to repair it, and both repairs it names work when
/// followed word for word: `import SOURCE --force` (the release's zip, which holds its
/// corrections) and `import --corrections FILE --release RELEASE --force`.
#[test]
fn the_advice_for_a_damaged_corrections_file_repairs_it() {
    let work = oxygen_with_corrections();
    let kept = work.store().join("2006-01.corrections.json");
    let good = std::fs::read(&kept).unwrap();
    let advice = |out: &assert_cmd::assert::Assert| -> Vec<Vec<String>> {
        let said = stderr(out);
        assert!(
            said.starts_with(&format!("error: {} is damaged (", kept.display())),
            "{said}"
        );
        said.split('`')
            .skip(1)
            .step_by(2)
            .map(|command| command.split(' ').skip(1).map(str::to_string).collect())
            .collect()
    };
    std::fs::write(&kept, "{bad").unwrap();
    let refused = work.cmd().args(["diff", "2005", "2006"]).assert().code(2);
    let commands = advice(&refused);
    assert_eq!(
        commands,
        [
            vec!["import", "SOURCE", "--force"],
            vec![
                "import",
                "--corrections",
                "FILE",
                "--release",
                "2006-01",
                "--force"
            ],
        ]
    );
    let zip = work.path("2006-anweb.zip");
    let xlsx = work.write(
        "HCPC2006_Corrections_ANWEB_v2.xlsx",
        unzip(&zip)
            .into_iter()
            .find(|(name, _)| name.ends_with(".xlsx"))
            .unwrap()
            .1,
    );
    for (command, file) in [(&commands[0], &zip), (&commands[1], &xlsx)] {
        std::fs::write(&kept, "{bad").unwrap();
        let args: Vec<std::ffi::OsString> = command
            .iter()
            .map(|a| match a.as_str() {
                "SOURCE" | "FILE" => file.clone().into_os_string(),
                a => a.into(),
            })
            .collect();
        let out = work.cmd().args(&args).assert().success();
        assert!(
            stdout(&out).contains(&format!(
                "2006-01: replaced the damaged {} (what it held could not be read)\n",
                kept.display()
            )),
            "{command:?}: {}",
            stdout(&out)
        );
        work.cmd().args(["diff", "2005", "2006"]).assert().code(1);
        let listed = stdout(&work.cmd().arg("list").assert().success());
        assert!(listed.contains("corrections v2  1 rows  "), "{listed}");
    }
    // From the release's zip the kept file is as it was.
    std::fs::write(&kept, "{bad").unwrap();
    work.cmd()
        .arg("import")
        .arg(&zip)
        .arg("--force")
        .assert()
        .success();
    assert_eq!(std::fs::read(&kept).unwrap(), good);
}

/// `import --force` replaces a damaged corrections file, but its snapshot then cannot be
/// written (a file size limit, `ulimit -f`, stops the write as a full disk would): exit 2, and
/// the store is as it was, the damaged file still there to repair, not replaced by an empty
/// list beside the old snapshot.
#[cfg(unix)]
#[test]
fn an_import_whose_snapshot_cannot_be_written_keeps_the_corrections_as_they_were() {
    let work = oxygen();
    let kept = work.store().join("2006-01.corrections.json");
    std::fs::write(&kept, "{bad").unwrap();
    let before = work.store_state();
    // 2005's file as 2006-01: a snapshot that differs, which --force writes over the stored
    // one; the limit (512 or 1024 bytes) lets the lock and a corrections file through, not it.
    let out = crate::util::with_file_size_limit(&work.store())
        .arg("import")
        .arg(fixture("oxygen/2005"))
        .args(["--release", "2006-01", "--force"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("2006-01.jsonl"), "{err}");
    assert_eq!(work.store_state(), before, "{err}");
    assert_eq!(std::fs::read(&kept).unwrap(), b"{bad");
}
