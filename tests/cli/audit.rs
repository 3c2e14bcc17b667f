//! `audit` and `show --on` through the binary: on the oxygen fixture pair (every format pinned)
//! and on the real releases the issue names (C9053, G0503, E1392, a typo).

use crate::util::{json, oxygen, real_data, stderr, stdout, without_version};

const WATCH: &str = "# what we bill\nE1392\nK0738  # home fill\nE1390\nE1932\nE0424RR\n";

const CLAIMS: &str = "claim,HCPCS Code,Date of service,amount\n\
c1,E1392,2005-06-01,10\n\
c2,E1392,01/15/2006,10\n\
c3,K0738,20050301,7\n\
c4,K0738,2006-02-01,7\n\
c5,E0424-RR,2006-03-01,5\n";

#[test]
fn a_watch_list_gets_each_codes_status_in_the_newest_release() {
    let work = oxygen();
    let list = work.write("watch.txt", WATCH);
    let out = work
        .cmd()
        .arg("audit")
        .arg(&list)
        .arg("--format")
        .arg("json")
        .assert()
        .code(1);
    let v = json(&out);
    assert_eq!(v["release"], "2006-01");
    assert_eq!(v["previous"], "2005-01");
    let status = |code: &str| {
        v["codes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .unwrap_or_else(|| panic!("{code} in {v}"))
            .clone()
    };
    // E1392 is new in 2006: changed (added) since 2005, not "active and unchanged".
    assert_eq!(status("E1392")["status"], "changed");
    assert_eq!(status("K0738")["status"], "terminated");
    assert_eq!(status("K0738")["termination_date"], "2005-12-31");
    assert_eq!(status("K0738")["replacements"][0]["code"], "E1392");
    assert_eq!(status("E1390")["status"], "changed");
    assert_eq!(status("E1932")["status"], "unknown");
    assert_eq!(status("E1932")["suggestions"][0], "E1392");
    assert_eq!(status("E0424")["status"], "active");
    assert!(
        status("E0424")["pricing"][0]
            .as_str()
            .unwrap()
            .starts_with("33 = Oxygen"),
        "{v}"
    );
    assert_eq!(v["summary"]["codes"], 5);
    // Against 2005, where E0424 and E1390 are as they were: 2005 has no release before it.
    let out = work
        .cmd()
        .args(["audit", "--release", "2005"])
        .arg(&list)
        .assert()
        .code(1);
    assert!(
        stdout(&out).contains("E1392  not in release"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn every_audit_format_is_pinned() {
    let work = oxygen();
    work.write("watch.txt", WATCH);
    work.write("claims.csv", CLAIMS);
    for format in ["text", "markdown", "json", "csv", "html"] {
        let out = work
            .cmd()
            .current_dir(work.dir.path())
            .args(["audit", "watch.txt", "--format", format])
            .assert()
            .code(1);
        insta::assert_snapshot!(
            format!("audit_watch.{format}"),
            without_version(&stdout(&out))
        );
        let out = work
            .cmd()
            .current_dir(work.dir.path())
            .args([
                "audit",
                "claims.csv",
                "--date-column",
                "date of service",
                "--format",
                format,
            ])
            .assert()
            .code(1);
        insta::assert_snapshot!(
            format!("audit_claims.{format}"),
            without_version(&stdout(&out))
        );
    }
}

#[test]
fn claims_are_judged_on_their_date_of_service() {
    let work = oxygen();
    let claims = work.write("claims.csv", CLAIMS);
    let out = work
        .cmd()
        .arg("audit")
        .arg(&claims)
        .args(["--date-column", "Date of service", "--format", "json"])
        .assert()
        .code(1);
    let v = json(&out);
    let rows = v["rows"].as_array().unwrap();
    let verdict = |claim: &str| {
        let r = rows
            .iter()
            .find(|r| r["columns"]["claim"] == claim)
            .unwrap();
        (
            r["date_check"]["valid"].as_bool().unwrap(),
            r["date_check"]["reason"].as_str().unwrap().to_string(),
        )
    };
    // E1392 was added 2006-01-01; K0738 terminated 2005-12-31.
    assert!(!verdict("c1").0);
    assert!(
        verdict("c1")
            .1
            .starts_with("not yet added: CMS added it on 2006-01-01"),
        "{:?}",
        verdict("c1")
    );
    assert!(verdict("c2").0);
    assert!(verdict("c3").0);
    assert_eq!(verdict("c4"), (false, "terminated 2005-12-31".to_string()));
    assert!(verdict("c5").0);
    let c5 = rows.iter().find(|r| r["columns"]["claim"] == "c5").unwrap();
    assert_eq!(c5["code"], "E0424");
    assert_eq!(c5["modifier"], "RR");
    assert_eq!(c5["columns"]["amount"], "5");
    assert_eq!(c5["line"], 6);
    assert_eq!(v["summary"]["not_valid_on_date"], 2);
}

/// A claims file of several blocks (each read and judged on its own core): every row comes out
/// once, in order, with the line it is on, across a byte-order mark, CRLF line ends, comment
/// lines and quoted fields running over several lines, and the CSV report (written in blocks)
/// says of each row what the JSON report (read in one piece) says.
#[test]
fn a_claims_file_of_many_blocks_gives_every_row_its_own_line_and_verdict() {
    let work = oxygen();
    let mut text = String::from("\u{feff}claim,HCPCS,DOS,note\r\n");
    let mut line = 2;
    // (claim, the line its record opens on, its note as read: CRLF made LF)
    let mut expected = Vec::new();
    for i in 0..40_000 {
        if i % 700 == 0 {
            text.push_str(&format!("# batch {i}, \"quoted\" here\r\n"));
            line += 1;
        }
        if i % 900 == 450 {
            text.push_str("\r\n\n");
            line += 2;
        }
        let code = ["E1392", "K0738", "E0424RR", "e1390"][i % 4];
        let date = ["2005-06-01", "2006-02-01", "01/15/2006"][i % 3];
        let (note, lines) = if i % 97 == 0 {
            (format!("\"first, {i}\r\nsecond \"\"quoted\"\"\""), 2)
        } else {
            (format!("n{i}"), 1)
        };
        text.push_str(&format!("c{i},{code},{date},{note}\r\n"));
        let read = if lines == 2 {
            format!("first, {i}\nsecond \"quoted\"")
        } else {
            note.clone()
        };
        expected.push((format!("c{i}"), line, read));
        line += lines;
    }
    assert!(
        text.len() > 3 * 256 * 1024,
        "{} bytes: several blocks",
        text.len()
    );
    let claims = work.write("claims.csv", &text);
    let run = |format: &str| {
        let out = work
            .cmd()
            .arg("audit")
            .arg(&claims)
            .args(["--date-column", "DOS", "--format", format])
            .assert()
            .code(1);
        stdout(&out)
    };
    let csv_out = run("csv");
    let mut reader = csv::Reader::from_reader(csv_out.as_bytes());
    let header = reader.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), expected.len());
    let v: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    let json_rows = v["rows"].as_array().unwrap();
    assert_eq!(json_rows.len(), expected.len());
    for ((row, j), (claim, line, note)) in rows.iter().zip(json_rows).zip(&expected) {
        assert_eq!(&row[at("claim")], claim);
        assert_eq!(row[at("line")], line.to_string(), "{claim}");
        assert_eq!(&row[at("note")], note, "{claim}");
        assert_eq!(j["line"], *line, "{claim}");
        assert_eq!(j["columns"]["note"], note.as_str(), "{claim}");
        assert_eq!(row[at("given")], j["given"].as_str().unwrap().to_string());
        assert_eq!(
            row[at("valid_on_date")],
            j["date_check"]["valid"].to_string(),
            "{claim}"
        );
        let reason = j["date_check"]["reason"].as_str().unwrap();
        assert!(
            row[at("reason")].starts_with(reason),
            "{claim}: {row:?} {reason}"
        );
    }
}

/// A watch list whose comments hold commas is still a watch list, and a CSV whose header
/// holds a `#` still a CSV.
#[test]
fn a_comma_in_a_watch_lists_comment_does_not_make_it_a_csv() {
    let work = oxygen();
    let list = work.write(
        "watch.txt",
        "E1392  # rental, oxygen\nK0738 # home fill, gas\n",
    );
    let out = work
        .cmd()
        .arg("audit")
        .arg(&list)
        .args(["--format", "json"])
        .assert()
        .code(1);
    let v = json(&out);
    assert_eq!(v["summary"]["codes"], 2, "{v}");
    assert_eq!(v["codes"][0]["code"], "E1392");
    let claims = work.write("claims.csv", "claim#,HCPCS\nc1,E1392\n");
    let out = work
        .cmd()
        .arg("audit")
        .arg(&claims)
        .args(["--format", "json"])
        .assert()
        .code(1);
    let v = json(&out);
    assert_eq!(v["rows"][0]["columns"]["claim#"], "c1", "{v}");
}

#[test]
fn bad_audit_inputs_are_errors_that_name_the_line() {
    let work = oxygen();
    let cases: [(&str, &str, &[&str], &str); 8] = [
        ("empty.txt", "", &[], "empty.txt: names no code"),
        (
            "comments.txt",
            "# nothing\n\n",
            &[],
            "comments.txt: names no code",
        ),
        (
            "header.csv",
            "HCPCS,DOS\n",
            &[],
            "header.csv: names no code",
        ),
        (
            "nocode.csv",
            "item,price\nx,1\n",
            &[],
            "nocode.csv: line 1: no code column (HCPCS, HCPC, HCPCS_CODE, CODE, ...): the header has 'item', 'price'; name it with --column",
        ),
        (
            "ragged.csv",
            "HCPCS,DOS\nE1392,2006-01-02\nE1390\n",
            &[],
            "ragged.csv: line 3: not a CSV row like the header's",
        ),
        (
            "baddate.csv",
            "HCPCS,DOS\nE1392,2006-01-02\nE1390,June 2006\n",
            &["--date-column", "DOS"],
            "baddate.csv: line 3: column 'DOS': 'June 2006' is not a date (YYYY-MM-DD, MM/DD/YYYY or YYYYMMDD)",
        ),
        // Windows line ends and lines that open with an empty field: still the file's line.
        (
            "crlf.csv",
            "claim,HCPCS,DOS\r\n,E1392,2006-01-02\r\n,E1390,June\r\n",
            &["--date-column", "DOS"],
            "crlf.csv: line 3: column 'DOS': 'June' is not a date",
        ),
        // Comment and blank lines are lines of the file too (the CSV reader counts none).
        (
            "commented.csv",
            "# extract of 2006\nclaim,HCPCS,DOS\n\n# first batch, 2 rows\nc1,E1392,2006-01-02\n\nc2,E1390,June\n",
            &["--date-column", "DOS"],
            "commented.csv: line 7: column 'DOS': 'June' is not a date",
        ),
    ];
    for (name, text, args, message) in cases {
        let file = work.write(name, text);
        work.audit_refused(name, &file, args, message);
    }
    let out = work
        .cmd()
        .args(["audit", "/nonexistent/watch.txt"])
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("/nonexistent/watch.txt"),
        "{}",
        stderr(&out)
    );
}

/// The report is written as the rows are judged a second time; a bad line, even the last of
/// many, is found by the first pass, before a byte of the report: stdout stays empty and an
/// existing `--output` file is as it was.
#[test]
fn a_bad_last_line_stops_the_audit_before_any_report_is_written() {
    let work = oxygen();
    let mut claims = String::from("claim,HCPCS,DOS\n");
    for i in 0..5000 {
        claims.push_str(&format!("c{i},E1392,2006-0{}-15\n", i % 9 + 1));
    }
    claims.push_str("c5000,E1390,2006-13-45\n");
    let file = work.write("claims.csv", claims);
    let report = work.write("report.csv", "the report before\n");
    for format in ["text", "csv", "json"] {
        let out = work
            .cmd()
            .arg("audit")
            .arg(&file)
            .args(["--date-column", "DOS", "--format", format])
            .assert()
            .code(2);
        assert_eq!(stdout(&out), "", "{format}");
        assert!(
            stderr(&out)
                .contains("claims.csv: line 5002: column 'DOS': '2006-13-45' is not a date"),
            "{}",
            stderr(&out)
        );
        work.cmd()
            .arg("audit")
            .arg(&file)
            .args(["--date-column", "DOS", "--format", format, "--output"])
            .arg(&report)
            .assert()
            .code(2);
        assert_eq!(
            std::fs::read_to_string(&report).unwrap(),
            "the report before\n"
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(work.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn an_active_unchanged_list_exits_0() {
    let work = oxygen();
    let list = work.write("watch.txt", "E0424\nRR\n");
    let out = work.cmd().arg("audit").arg(&list).assert().code(0);
    assert!(
        stdout(&out).contains("2 codes: 2 active"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn the_real_releases_audit_as_the_issue_says() {
    let Some(data) = real_data!() else {
        return;
    };
    let work = crate::real_releases::imported(&data);
    let list = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(list.path(), "E1392\nC9053\nG0503\nE1932\n").unwrap();
    let out = work
        .cmd()
        .arg("audit")
        .arg(list.path())
        .args(["--release", "2025-01"])
        .assert()
        .code(1);
    let text = stdout(&out);
    for line in [
        "  C9053  terminated 2020-06-30  Injection, crizanlizumab-tmca, 1 mg\n",
        "      use instead: J0791 (active)\n",
        "  G0503  terminated 2017-12-31  ",
        "      use instead: 99493 (outside HCPCS Level II, e.g. a CPT code)\n",
        "  E1932  unknown: in no stored release; did you mean E1392",
        "  E1392  active  Portable oxygen concentrator, rental\n",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    let claims = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        claims.path(),
        "HCPCS,DOS\nE1392,2005-06-01\nC9053,2020-05-15\nC9053,2020-08-01\nG0503,2017-06-01\nG0503,2018-02-01\n",
    )
    .unwrap();
    let out = work
        .cmd()
        .arg("audit")
        .arg(claims.path())
        .args(["--date-column", "DOS", "--format", "json"])
        .assert()
        .code(1);
    let v = json(&out);
    let valid: Vec<bool> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["date_check"]["valid"].as_bool().unwrap())
        .collect();
    assert_eq!(valid, [false, true, false, true, false]);
    assert_eq!(v["rows"][2]["date_check"]["release"], "2020-07");
    let out = work
        .cmd()
        .args(["show", "C9053", "--on", "2020-08-01"])
        .assert()
        .code(1);
    let text = stdout(&out);
    assert!(text.contains("discontinued in release 2020-07"), "{text}");
    assert!(
        text.contains("On 2020-08-01: NOT VALID: terminated 2020-06-30"),
        "{text}"
    );
    // Valid that day: status 0, so a script can ask.
    let out = work
        .cmd()
        .args(["show", "C9053", "--on", "2020-05-01", "--format", "json"])
        .assert()
        .code(0);
    assert_eq!(json(&out)["on"]["valid"], true);
}
