//! The lists users hand the tool (`diff --watch`, `audit`'s list or CSV), through the binary:
//! one reader for all (a byte-order mark, a range), what audit cannot place refused with its
//! line and column, binary files refused by what they look like, and every line, field and
//! code bounded.

use crate::util::{Work, fixture, json, oxygen, stderr, stdout};

/// No byte of a message is a control character other than a line end: nothing the user's
/// file held reaches the terminal raw.
fn printable(message: &str) -> bool {
    message.chars().all(|c| c == '\n' || !c.is_control())
}

#[test]
fn a_watch_file_with_a_byte_order_mark_is_read_alike_by_diff_and_audit() {
    let work = oxygen();
    let watch = work.write("watch.txt", "\u{feff}E1392\r\nE0424\r\n");
    let out = work
        .cmd()
        .args(["diff", "2005", "2006", "--format", "json", "--watch"])
        .arg(&watch)
        .assert()
        .code(1);
    let v = json(&out);
    let codes: Vec<&str> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["E1392"], "{v}");
    let out = work
        .cmd()
        .args(["audit", "--format", "json"])
        .arg(&watch)
        .assert()
        .code(1);
    let v = json(&out);
    assert_eq!(v["rows"][0]["code"], "E1392", "{v}");
    assert_eq!(v["rows"][0]["given"], "E1392", "{v}");
}

#[test]
fn a_range_in_a_watch_list_names_each_code_of_the_release_in_it() {
    let work = oxygen();
    let watch = work.write("watch.txt", "E1392\nE0424-E0431  # stationary\n");
    let out = work
        .cmd()
        .args(["audit", "--format", "json"])
        .arg(&watch)
        .assert()
        .code(1);
    let v = json(&out);
    let rows: Vec<(u64, &str, &str)> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["given"].as_str().unwrap(),
                r["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (1, "E1392", "E1392"),
            (2, "E0424-E0431", "E0424"),
            (2, "E0424-E0431", "E0431"),
        ]
    );
    assert_eq!(v["summary"]["unknown"], 0, "{v}");
    // As diff --watch does, a range holding no code is an error naming its line.
    let watch = work.write("empty-range.txt", "E1392\nE2000-E2999\n");
    let out = work.cmd().arg("audit").arg(&watch).assert().code(2);
    assert!(
        stderr(&out).contains(
            "empty-range.txt: line 2: E2000-E2999: no code of release 2006-01 is in this range"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_modifier_appended_and_another_in_its_column_is_refused_naming_line_and_columns() {
    let work = oxygen();
    let claims = work.write("claims.csv", "HCPCS,Modifier\nE1392RR,RR\nE1392XX,RR\n");
    let out = work.cmd().arg("audit").arg(&claims).assert().code(2);
    assert!(
        stderr(&out).contains(
            "claims.csv: line 3: column 'HCPCS' gives E1392XX (modifier XX appended) and column \
             'Modifier' gives modifier RR"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(stdout(&out), "");
}

#[test]
fn two_columns_that_could_hold_the_code_are_refused_naming_both() {
    let work = oxygen();
    for (header, second) in [("HCPCS,HCPCS", "HCPCS"), ("HCPCS,HCPCS_CODE", "HCPCS_CODE")] {
        let claims = work.write("claims.csv", format!("{header}\nE1392,K0738\n"));
        let out = work.cmd().arg("audit").arg(&claims).assert().code(2);
        assert!(
            stderr(&out).contains(&format!(
                "claims.csv: line 1: 2 columns could hold the code: 'HCPCS' (column 1), \
                 '{second}' (column 2); name one with --column"
            )),
            "{}",
            stderr(&out)
        );
    }
    // Named, the other is passed through.
    let out = work
        .cmd()
        .arg("audit")
        .arg(work.path("claims.csv"))
        .args(["--column", "HCPCS_CODE", "--format", "json"])
        .assert()
        .code(1);
    let v = json(&out);
    assert_eq!(v["rows"][0]["code"], "K0738");
    assert_eq!(v["rows"][0]["columns"]["HCPCS"], "E1392");
}

/// The 2006 fixture with one more modifier, QX, which 2005 does not have.
fn oxygen_with_a_modifier_new_in_2006() -> Work {
    let work = Work::new();
    let text = std::fs::read(fixture("oxygen/2006/HCPC2006_CONTR_ANWEB.txt")).unwrap();
    let text = String::from_utf8(text).unwrap();
    let rr = text
        .lines()
        .find(|l| l.starts_with("   RR"))
        .expect("RR line");
    let with_qx = format!("{text}{}\r\n", rr.replacen("   RR", "   QX", 1));
    std::fs::create_dir(work.path("2006")).unwrap();
    let new = work.write("2006/HCPC2006_CONTR_ANWEB.txt", with_qx);
    for source in [fixture("oxygen/2005"), new] {
        work.cmd().arg("import").arg(source).assert().success();
    }
    work
}

#[test]
fn a_modifier_is_judged_by_the_release_in_effect_on_the_rows_date() {
    let work = oxygen_with_a_modifier_new_in_2006();
    let claims = work.write(
        "claims.csv",
        "claim,HCPCS,Modifier,DOS\nc1,E0424,QX,2005-06-01\nc2,E0424,QX,2006-02-01\n",
    );
    let out = work
        .cmd()
        .arg("audit")
        .arg(&claims)
        .args(["--date-column", "DOS", "--format", "json"])
        .assert()
        .code(1);
    let v = json(&out);
    assert_eq!(
        v["rows"][0]["modifier_problem"],
        "modifier QX is not in release 2005-01 (in effect on 2005-06-01)",
        "{v}"
    );
    assert!(v["rows"][1].get("modifier_problem").is_none(), "{v}");
}

#[test]
fn every_row_listed_as_not_valid_is_counted_in_the_summary() {
    let work = oxygen();
    let claims = work.write(
        "claims.csv",
        "claim,HCPCS,DOS\nc1,E0424ZZ,2006-02-01\nc2,E0424,2006-02-01\n",
    );
    let out = work
        .cmd()
        .arg("audit")
        .arg(&claims)
        .args(["--date-column", "DOS"])
        .assert()
        .code(1);
    let text = stdout(&out);
    assert!(text.contains("\nROWS NOT VALID (1)\n"), "{text}");
    assert!(
        text.contains(
            "2 dated rows: 2 valid on their date of service, 0 not valid; 1 rows with a \
             modifier not valid; 1 rows not valid in all"
        ),
        "{text}"
    );
}

#[test]
fn a_workbook_zip_or_binary_file_is_refused_by_what_it_looks_like() {
    let work = oxygen();
    let xlsx = crate::util::zip_of(&[("xl/workbook.xml", b"<workbook/>")]);
    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            "anweb.xlsx",
            xlsx,
            "anweb.xlsx: not a text file: it looks like a zip archive (an .xlsx workbook is one): save the sheet as CSV",
        ),
        (
            "anweb.xls",
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00\x1b[31mE1392".to_vec(),
            "anweb.xls: not a text file: it looks like an Excel 97-2003 workbook (.xls)",
        ),
        (
            "nul.txt",
            b"E1392\nE0\x00424\n".to_vec(),
            "nul.txt: not a text file: it looks like binary data (byte 0x00 on line 2",
        ),
        (
            "undefined.txt",
            b"E1392\nE0424 \x81\x8d\n".to_vec(),
            "undefined.txt: not a text file: it looks like binary data (byte 0x81 on line 2 is neither UTF-8 nor Windows-1252 text)",
        ),
        // U+009B is a terminal's CSI, as ESC [ is.
        (
            "c1.txt",
            "E1392\nE0424\u{9b}31m\n".as_bytes().to_vec(),
            "c1.txt: not a text file: it looks like binary data (character U+009B on line 2",
        ),
    ];
    for (name, bytes, message) in cases {
        let file = work.write(name, bytes);
        let out = work.cmd().arg("audit").arg(&file).assert().code(2);
        assert_eq!(stdout(&out), "", "{name}");
        assert!(stderr(&out).contains(message), "{name}: {}", stderr(&out));
        assert!(printable(&stderr(&out)), "{name}: {:?}", stderr(&out));
        // diff's watch list is read by the same reader.
        let out = work
            .cmd()
            .args(["diff", "2005", "2006", "--watch"])
            .arg(&file)
            .assert()
            .code(2);
        assert!(stderr(&out).contains(message), "{name}: {}", stderr(&out));
    }
    // A Windows-1252 export is text.
    let file = work.write("latin.csv", b"item,HCPCS\ncaf\xe9,E0424\n");
    let out = work
        .cmd()
        .args(["audit", "--format", "json"])
        .arg(&file)
        .assert()
        .code(0);
    assert_eq!(json(&out)["rows"][0]["columns"]["item"], "caf\u{e9}");
}

/// A claims file is read for its rows while the rest of it, past its first 64 KiB, is read
/// through to tell whether it is text: what lies there (a byte no text holds, a Windows-1252
/// letter, a control character in a comment line) decides as it does in a file's first line,
/// before any problem of the header's or the rows'.
#[test]
fn what_lies_past_the_head_of_a_claims_file_decides_as_in_its_first_line() {
    let work = oxygen();
    let mut head = String::from("claim,HCPCS,DOS,note\n");
    let mut line = 1;
    while head.len() < 80 * 1024 {
        line += 1;
        head.push_str(&format!("c{line},E1392,2006-02-01,plain\n"));
    }
    let late = line + 1;
    let with = |last: &[u8]| [head.as_bytes(), last, b"c9,E1392,2006-02-01,after\n"].concat();
    let cases: [(&str, Vec<u8>, String); 4] = [
        (
            "nul.csv",
            with(b"c8,E1392,2006-02-01,n\x00l\n"),
            format!(
                "nul.csv: not a text file: it looks like binary data (byte 0x00 on line {late}"
            ),
        ),
        (
            "c1.csv",
            with("c8,E1392,2006-02-01,\u{9b}31m\n".as_bytes()),
            format!(
                "c1.csv: not a text file: it looks like binary data (character U+009B on line {late}"
            ),
        ),
        (
            "comment.csv",
            with(b"# a note \x1b[31m\n"),
            format!(
                "comment.csv: not a text file: it looks like binary data (byte 0x1B on line {late}"
            ),
        ),
        (
            "undefined.csv",
            with(b"c8,E1392,2006-02-01,caf\xe9 \x81\n"),
            format!(
                "undefined.csv: not a text file: it looks like binary data (byte 0x81 on line {late} is neither UTF-8 nor Windows-1252 text)"
            ),
        ),
    ];
    for (name, bytes, message) in cases {
        let file = work.write(name, &bytes);
        for args in [
            &["--date-column", "DOS"][..],
            &["--date-column", "no such column"],
        ] {
            work.audit_refused(name, &file, args, &message);
        }
    }
    // A Windows-1252 letter past the head makes the whole file Windows-1252, the head too.
    let file = work.write(
        "latin.csv",
        [head.as_bytes(), b"c8,E1392,2006-02-01,caf\xe9\n"].concat(),
    );
    let out = work
        .cmd()
        .args(["audit", "--date-column", "DOS", "--format", "json"])
        .arg(&file)
        .assert()
        .code(0);
    let rows = json(&out)["rows"].as_array().unwrap().clone();
    assert_eq!(rows.len(), line);
    assert_eq!(rows[line - 1]["columns"]["note"], "caf\u{e9}");
}

#[test]
fn long_lines_fields_and_codes_are_refused_naming_the_line() {
    let work = oxygen();
    let field = "x".repeat(70 * 1024);
    let cases = [
        (
            "field.csv",
            format!("claim,HCPCS\nc1,E1392\n{field},E0424\n"),
            "field.csv: line 3: longer than 64 KiB",
        ),
        (
            "header.csv",
            format!("claim{field},HCPCS\nc1,E1392\n"),
            "header.csv: line 1: longer than 64 KiB",
        ),
        (
            "quoted.csv",
            format!(
                "claim,HCPCS\nc1,E1392\n\"{}\",E0424\n",
                "short line\n".repeat(7000)
            ),
            "quoted.csv: line 3: longer than 64 KiB",
        ),
        (
            "list.txt",
            format!("E1392\nE0424\n{field}\n"),
            "list.txt: line 3: longer than 64 KiB",
        ),
        (
            "code.csv",
            format!("claim,HCPCS\nc1,E1392\nc2,{}\n", "E1392".repeat(5)),
            "code.csv: line 3: column 'HCPCS': 'E1392E1392E1392E1392E1392' is not a code: longer than 20 characters",
        ),
        (
            "code.txt",
            format!("E1392\n{}\n", "E".repeat(21)),
            "code.txt: line 2: 'EEEEEEEEEEEEEEEEEEEEE' is not a code: longer than 20 characters",
        ),
    ];
    for (name, text, message) in cases {
        let file = work.write(name, &text);
        let out = work.cmd().arg("audit").arg(&file).assert().code(2);
        let err = stderr(&out);
        assert!(err.contains(message), "{name}: {err}");
        // Nothing of the long value is echoed beyond a few dozen characters.
        assert!(err.len() < 400, "{name}: {} bytes of message", err.len());
        assert_eq!(stdout(&out), "", "{name}");
    }
    let long_watch = work.write("long-watch.txt", format!("E1392\n{field}\n"));
    let out = work
        .cmd()
        .args(["diff", "2005", "2006", "--watch"])
        .arg(&long_watch)
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("long-watch.txt: line 2: longer than 64 KiB"),
        "{}",
        stderr(&out)
    );
}

/// Text, markdown and HTML list at most `--max-rows` rows not valid (1,000 unless told), count
/// them all by code, reason and month, and say where every row is; CSV lists every row.
#[test]
fn text_markdown_and_html_reports_list_a_bounded_number_of_rows() {
    let work = oxygen();
    let mut claims = String::from("claim,HCPCS,DOS\n");
    for i in 0..1003 {
        claims.push_str(&format!("c{i},K0738,2006-0{}-15\n", i % 2 + 2));
    }
    claims.push_str("c1003,E1392,2005-06-01\nc1004,E0424,2006-02-01\n");
    let file = work.write("claims.csv", &claims);
    let audit = |format: &str, more: &[&str]| {
        let out = work
            .cmd()
            .arg("audit")
            .arg(&file)
            .args(["--date-column", "DOS", "--format", format])
            .args(more)
            .assert()
            .code(1);
        stdout(&out)
    };
    let text = audit("text", &[]);
    let listed = |report: &str, mark: &str| report.lines().filter(|l| l.contains(mark)).count();
    assert_eq!(listed(&text, "NOT VALID: terminated"), 1000, "{text}");
    for line in [
        "ROWS NOT VALID (1004)\n",
        "  by code: K0738 1003, E1392 1\n",
        "  by reason: not yet added on the date 1, terminated before the date 1003\n",
        "  by month of service (newest first): 2006-03 501, 2006-02 502, 2005-06 1\n",
        "  ... 4 more rows not valid are not listed here (the first 1000 are; --max-rows changes how many): --format csv or --format json lists every row\n",
    ] {
        assert!(text.contains(line), "{line}");
    }
    let text = audit("text", &["--max-rows", "3"]);
    assert_eq!(listed(&text, "NOT VALID:"), 3);
    assert!(text.contains("  ... 1001 more rows not valid"), "{text}");
    let markdown = audit("markdown", &["--max-rows", "3"]);
    assert_eq!(listed(&markdown, "NOT VALID:"), 3);
    assert!(
        markdown.contains("| code | K0738 1003, E1392 1 |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("\n1001 more rows not valid"),
        "{markdown}"
    );
    let html = audit("html", &["--max-rows", "3"]);
    assert_eq!(html.matches("<li>").count(), 3);
    assert!(html.contains("<p>1001 more rows not valid"), "{html}");
    let csv = audit("csv", &["--max-rows", "3"]);
    assert_eq!(csv.lines().count(), 1 + 1005);
}

/// A column of claim numbers taken for codes would make every row a code of its own: audit
/// stops at 10,000 distinct codes that no stored release holds, naming the line, rather than
/// judging (and searching near codes for) millions of them.
#[test]
fn a_column_of_ten_thousand_unknown_codes_is_refused_as_not_the_code_column() {
    let work = oxygen();
    let mut claims = String::from("claim,HCPCS\n");
    for i in 0..10_001 {
        claims.push_str(&format!("c{i},E1392\n"));
    }
    let file = work.write("claims.csv", &claims);
    let out = work
        .cmd()
        .arg("audit")
        .arg(&file)
        .args(["--column", "claim"])
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains(
            "claims.csv: line 10002: 'C10000' makes more than 10000 distinct codes that no stored \
             release holds: is this the code column? (name the right one with --column)"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(stdout(&out), "");
    // 10,000 of them are judged, each named unknown.
    let file = work.write("claims.csv", claims.replace("c10000,E1392\n", ""));
    let out = work
        .cmd()
        .arg("audit")
        .arg(&file)
        .args(["--column", "claim", "--max-rows", "0"])
        .assert()
        .code(1);
    assert!(
        stdout(&out).contains(
            "10000 codes: 0 active, 0 changed, 0 terminated, 0 not in release, 10000 unknown"
        ),
        "{}",
        stdout(&out)
    );
}

/// The file is read (is it text?) while the stored releases load, on two threads: its error
/// still comes before the store's, as when the two were read one after the other.
#[test]
fn a_file_that_is_not_text_is_named_before_a_damaged_store() {
    let work = oxygen();
    let snapshot = std::fs::read_dir(work.store())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .unwrap();
    std::fs::write(&snapshot, "not a snapshot\n").unwrap();
    // The damaged store is an error on its own.
    let good = work.write("watch.txt", "E1392\n");
    let out = work.cmd().arg("audit").arg(&good).assert().code(2);
    assert!(stderr(&out).contains(".jsonl"), "{}", stderr(&out));
    let file = work.write("nul.txt", b"E1392\nE0\x00424\n");
    let out = work.cmd().arg("audit").arg(&file).assert().code(2);
    let err = stderr(&out);
    assert!(
        err.contains("nul.txt: not a text file: it looks like binary data (byte 0x00 on line 2"),
        "{err}"
    );
    assert!(!err.contains(".jsonl"), "{err}");
    assert_eq!(stdout(&out), "");
}

/// The stored releases load on every core at once: when two cannot be read, the error still
/// names the oldest, as when they were loaded one after the other.
#[test]
fn of_two_damaged_releases_the_oldest_is_named() {
    let work = oxygen();
    for release in ["2005-01", "2006-01"] {
        std::fs::write(
            work.store().join(format!("{release}.jsonl")),
            "not a snapshot\n",
        )
        .unwrap();
    }
    let list = work.write("watch.txt", "E1392\n");
    let out = work.cmd().arg("audit").arg(&list).assert().code(2);
    let err = stderr(&out);
    assert!(err.contains("2005-01.jsonl"), "{err}");
    assert!(!err.contains("2006-01.jsonl"), "{err}");
}
