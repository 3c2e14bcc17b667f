//! Snapshots verify themselves: the provenance line records the record count and the SHA-256
//! of the record lines, and every command that reads a snapshot refuses one that does not
//! match, or whose codes are out of order or repeated.

use crate::util::{Work, fixture, oxygen, real_data, stderr, stdout};

/// The snapshot file of `release`: its lines, each without its newline.
fn lines(work: &Work, release: &str) -> Vec<String> {
    let text = std::fs::read_to_string(work.store().join(format!("{release}.jsonl"))).unwrap();
    text.lines().map(str::to_string).collect()
}

fn write_lines(work: &Work, release: &str, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(work.store().join(format!("{release}.jsonl")), text).unwrap();
}

fn damaged(work: &Work, problem: &str) -> String {
    format!(
        "error: {} is damaged ({problem}): re-import it with --force\n",
        work.store().join("2006-01.jsonl").display()
    )
}

#[test]
fn the_provenance_records_the_count_and_digest_of_the_record_lines() {
    let work = oxygen();
    let bytes = std::fs::read(work.store().join("2006-01.jsonl")).unwrap();
    let split = bytes.iter().position(|b| *b == b'\n').unwrap() + 1;
    let p: serde_json::Value = serde_json::from_slice(&bytes[..split]).unwrap();
    assert_eq!(p["schema_version"], 2);
    let records = bytes[split..].iter().filter(|b| **b == b'\n').count();
    assert_eq!(p["records"], records);
    assert_eq!(
        p["records_sha256"],
        hcpcs_diff::model::sha256_hex(&bytes[split..])
    );
    let counts = &p["counts"];
    assert_eq!(
        counts["procedure"].as_u64().unwrap() + counts["modifier"].as_u64().unwrap(),
        records as u64
    );
}

#[test]
fn a_cut_moved_repeated_or_edited_snapshot_is_refused_by_every_reader() {
    let work = oxygen();
    let whole = lines(&work, "2006-01");
    let n = whole.len() - 1;
    let cut: Vec<String> = whole[..whole.len() - 2].to_vec();
    write_lines(&work, "2006-01", &cut);
    let said = damaged(
        &work,
        &format!("{} records, its provenance says {n}", n - 2),
    );
    for args in [
        &["diff", "2005", "2006"][..],
        &["show", "E1392"],
        &["history", "E1392"],
        &["export", "2006"],
    ] {
        let out = work.cmd().args(args).assert().code(2);
        assert_eq!(stderr(&out), said, "{args:?}");
    }
    // `list` names the damaged file and still lists the others.
    let out = work.cmd().arg("list").assert().code(2);
    assert!(stdout(&out).starts_with("2005-01 "), "{}", stdout(&out));
    assert!(!stdout(&out).contains("2006-01"));
    assert_eq!(stderr(&out), said);

    let mut repeated = whole.clone();
    repeated[3] = repeated[2].clone();
    write_lines(&work, "2006-01", &repeated);
    let code = repeated[2][9..14].to_string();
    let out = work.cmd().args(["diff", "2005", "2006"]).assert().code(2);
    assert_eq!(
        stderr(&out),
        damaged(&work, &format!("line 4: {code} a second time"))
    );

    let mut moved = whole.clone();
    let line = moved.remove(1);
    moved.push(line);
    write_lines(&work, "2006-01", &moved);
    let out = work.cmd().arg("list").assert().code(2);
    assert!(stderr(&out).contains("out of order"), "{}", stderr(&out));

    let edited: Vec<String> = whole
        .iter()
        .map(|l| {
            l.replace(
                "Portable oxygen concentrator, rental",
                "Portable oxygen concentrator, purchase",
            )
        })
        .collect();
    assert_ne!(edited, whole);
    write_lines(&work, "2006-01", &edited);
    let out = work.cmd().args(["show", "E1392"]).assert().code(2);
    assert_eq!(
        stderr(&out),
        damaged(
            &work,
            "its records' SHA-256 is not the one its provenance records"
        )
    );

    // Importing without --force says the snapshot is damaged; --force repairs it, --strict
    // too (the damaged snapshot it replaces cannot be compared with, which is said, not held
    // against the input).
    let out = work
        .cmd()
        .arg("import")
        .arg(fixture("oxygen/2006"))
        .assert()
        .code(2);
    assert!(stderr(&out).contains("is damaged"), "{}", stderr(&out));
    let out = work
        .cmd()
        .args(["import", "--force", "--strict"])
        .arg(fixture("oxygen/2006"))
        .assert()
        .success();
    assert!(
        stderr(&out).starts_with(
            "note: 2006: HCPC2006_CONTR_ANWEB.txt: not checked against 2006-01 for codes missing at \
             its end: "
        ),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains(", 0 warnings;"), "{}", stdout(&out));
    assert_eq!(lines(&work, "2006-01"), whole);
    work.cmd().arg("list").assert().success();
}

/// `diff` and `history` read snapshots a line at a time and skip, unparsed, what they cannot
/// see (a line the same in both releases and marked unchanged; every code but the one asked
/// for): an edit there, same count and order, must still be refused by the SHA-256.
#[test]
fn an_edit_in_a_line_diff_and_history_skip_is_refused_by_both() {
    let work = oxygen();
    let old = lines(&work, "2005-01");
    let whole = lines(&work, "2006-01");
    let quiet = whole
        .iter()
        .position(|l| {
            l.ends_with(r#""action_code":"N"}"#) && old.contains(l) && !l.contains("E1392")
        })
        .expect("a line unchanged and marked N in both releases");
    let mut edited = whole.clone();
    edited[quiet] =
        edited[quiet].replacen("\"long_description\":\"", "\"long_description\":\"X", 1);
    assert_ne!(edited[quiet], whole[quiet]);
    write_lines(&work, "2006-01", &edited);
    let said = damaged(
        &work,
        "its records' SHA-256 is not the one its provenance records",
    );
    for args in [&["diff", "2005", "2006"][..], &["history", "E1392"]] {
        let out = work.cmd().args(args).assert().code(2);
        assert_eq!(stderr(&out), said, "{args:?}");
        assert!(stdout(&out).is_empty(), "{args:?}");
    }
}

/// The file's name, its provenance and its records must agree: a provenance edited to name
/// another release, or to count other numbers of codes, is a damaged file for every reader
/// (it would otherwise title diffs, FHIR versions and SQLite rows with the wrong release).
#[test]
fn a_provenance_that_disagrees_with_its_name_or_its_records_is_refused_by_every_reader() {
    let work = oxygen();
    let whole = lines(&work, "2006-01");
    let mut renamed = whole.clone();
    renamed[0] = renamed[0].replace(r#""release":"2006-01""#, r#""release":"2006-07""#);
    assert_ne!(renamed, whole);
    write_lines(&work, "2006-01", &renamed);
    let said = damaged(
        &work,
        "its name says release 2006-01, its provenance 2006-07",
    );
    let sqlite = work.path("all.db");
    let fhir = work.path("2006.json");
    for args in [
        &["list"][..],
        &["diff", "2005", "2006"],
        &["show", "E1392"],
        &["history", "E1392"],
        &[
            "export",
            "--format",
            "sqlite",
            "--output",
            sqlite.to_str().unwrap(),
        ],
        &[
            "export",
            "2006",
            "--format",
            "fhir",
            "--output",
            fhir.to_str().unwrap(),
        ],
    ] {
        let out = work.cmd().args(args).assert().code(2);
        assert_eq!(stderr(&out), said, "{args:?}");
    }
    assert!(!sqlite.exists() && !fhir.exists());

    let mut recounted = whole.clone();
    let p: serde_json::Value = serde_json::from_str(&whole[0]).unwrap();
    let (procedures, modifiers) = (&p["counts"]["procedure"], &p["counts"]["modifier"]);
    recounted[0] = recounted[0].replace(
        &format!(r#""counts":{{"procedure":{procedures},"modifier":{modifiers}}}"#),
        &format!(r#""counts":{{"procedure":6000,"modifier":{modifiers}}}"#),
    );
    assert_ne!(recounted, whole);
    write_lines(&work, "2006-01", &recounted);
    let said = damaged(
        &work,
        &format!(
            "its records hold {procedures} procedure codes and {modifiers} modifiers, its \
             provenance says 6,000 and {modifiers}"
        ),
    );
    for args in [&["list"][..], &["diff", "2005", "2006"], &["show", "E1392"]] {
        let out = work.cmd().args(args).assert().code(2);
        assert_eq!(stderr(&out), said, "{args:?}");
    }
    // The advice works.
    work.cmd()
        .args(["import", "--force"])
        .arg(fixture("oxygen/2006"))
        .assert()
        .success();
    assert_eq!(lines(&work, "2006-01"), whole);
}

/// A kept revision holding another release is refused as the damaged revision it is.
#[test]
fn a_kept_revision_whose_provenance_names_another_release_is_refused() {
    let work = oxygen();
    work.cmd()
        .arg("import")
        .arg(fixture("oxygen/2005/HCPC2005_CONTR_ANWEB.txt"))
        .args(["--release", "2006"])
        .assert()
        .success();
    let kept = work.store().join("revisions/2006-01/1.jsonl");
    let text = std::fs::read_to_string(&kept).unwrap();
    std::fs::write(
        &kept,
        text.replacen(r#""release":"2006-01""#, r#""release":"2006-04""#, 1),
    )
    .unwrap();
    let said = format!(
        "error: {} is damaged (its name says release 2006-01, its provenance 2006-04): it is \
         2006-01@1, an earlier revision kept as it was stored; restore it from a backup\n",
        kept.display()
    );
    for args in [&["list"][..], &["diff", "2006-01@1", "2006-01"]] {
        let out = work.cmd().args(args).assert().code(2);
        assert_eq!(stderr(&out), said, "{args:?}");
    }
}

#[test]
fn a_version_1_snapshot_asks_to_be_re_imported() {
    let work = oxygen();
    let whole = lines(&work, "2006-01");
    let mut p: serde_json::Value = serde_json::from_str(&whole[0]).unwrap();
    p["schema_version"] = 1.into();
    let obj = p.as_object_mut().unwrap();
    obj.remove("records");
    obj.remove("records_sha256");
    let mut old = whole.clone();
    old[0] = serde_json::to_string(&p).unwrap();
    write_lines(&work, "2006-01", &old);
    let out = work.cmd().args(["diff", "2005", "2006"]).assert().code(2);
    assert_eq!(
        stderr(&out),
        format!(
            "error: {}: snapshot schema version 1, made by an older hcpcs-diff; this one reads \
             version 2: re-import it with --force\n",
            work.store().join("2006-01.jsonl").display()
        )
    );
    let out = work
        .cmd()
        .args(["import", "--force"])
        .arg(fixture("oxygen/2006"))
        .assert()
        .success();
    assert!(
        stdout(&out).contains("replaced the snapshot from 2006 (sha256 "),
        "{}",
        stdout(&out)
    );
    assert_eq!(lines(&work, "2006-01"), whole);
}

/// The issue's case: 2020-01 cut at a line boundary after 3,499 records.
#[test]
fn a_truncated_real_snapshot_is_refused_with_its_counts() {
    let Some(data) = real_data!() else {
        return;
    };
    let shared = crate::real_releases::imported(&data);
    let work = Work::new();
    std::fs::create_dir_all(work.store()).unwrap();
    for r in ["2019-01", "2020-01"] {
        let name = format!("{r}.jsonl");
        std::fs::copy(shared.store().join(&name), work.store().join(&name)).unwrap();
    }
    work.cmd().arg("list").assert().success();
    let cut: Vec<String> = lines(&work, "2020-01")[..3500].to_vec();
    write_lines(&work, "2020-01", &cut);
    let said = format!(
        "error: {} is damaged (3,499 records, its provenance says 7,079): re-import it with --force\n",
        work.store().join("2020-01.jsonl").display()
    );
    let out = work
        .cmd()
        .args(["diff", "2019-01", "2020-01"])
        .assert()
        .code(2);
    assert_eq!(stderr(&out), said);
    assert!(stdout(&out).is_empty());
    let out = work.cmd().arg("list").assert().code(2);
    assert_eq!(stderr(&out), said);
}

/// The provenance's record count is the file's word, never a size to allocate: a count near
/// the largest number is a damaged file like any other, not a crash.
#[test]
fn a_huge_record_count_in_the_provenance_is_damage_not_an_allocation() {
    let work = oxygen();
    let mut all = lines(&work, "2006-01");
    let count = format!("\"records\":{}", all.len() - 1);
    assert!(all[0].contains(&count), "{}", all[0]);
    all[0] = all[0].replace(&count, &format!("\"records\":{}", u64::MAX));
    write_lines(&work, "2006-01", &all);
    let out = work
        .cmd()
        .args(["show", "E1390", "--release", "2006"])
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains(&format!(
            "records, its provenance says {}",
            "18,446,744,073,709,551,615"
        )),
        "{}",
        stderr(&out)
    );
}
