//! Revisions: every posting of a release is kept. `import` of a different file for a stored
//! release stores a new revision (the current one kept in `revisions/`), `list` shows them,
//! `diff` compares them (`2006-01@1`), and damaged or missing revisions are errors that name
//! the file or the revisions there are.

use hcpcs_diff::model::Snapshot;

use crate::util::{Work, fixture, json, stderr, stdout, zip_of};

const OTHER: &str = "oxygen/2005/HCPC2005_CONTR_ANWEB.txt";

/// A store whose 2006-01 has two revisions: the 2006 fixture, then the 2005 text as 2006.
fn two_revisions() -> Work {
    let work = Work::with(&[fixture("oxygen/2006")]);
    work.cmd()
        .arg("import")
        .arg(fixture(OTHER))
        .args(["--release", "2006"])
        .assert()
        .success();
    work
}

#[test]
fn a_different_file_for_a_stored_release_is_kept_as_a_new_revision() {
    let work = Work::with(&[fixture("oxygen/2006")]);
    let first = std::fs::read(work.store().join("2006-01.jsonl")).unwrap();
    let out = work
        .cmd()
        .arg("import")
        .arg(fixture(OTHER))
        .args(["--release", "2006"])
        .assert()
        .code(0);
    let said = stdout(&out);
    let sha = hcpcs_diff::source::sha256_hex(&std::fs::read(fixture(OTHER)).unwrap());
    assert!(
        said.contains(&format!(
            "release 2006-01 (as given): 5 procedure codes, 2 modifiers, 0 warnings; revision 2 \
             from HCPC2005_CONTR_ANWEB.txt (sha256 {sha}), revision 1 kept as "
        )),
        "{said}"
    );
    assert!(said.contains("revisions/2006-01/1.jsonl; revision 2 is current in "));
    // The first posting is kept byte for byte; the current file is the new one.
    let kept = work.store().join("revisions/2006-01/1.jsonl");
    assert_eq!(std::fs::read(kept).unwrap(), first);
    let current = std::fs::read(work.store().join("2006-01.jsonl")).unwrap();
    let current = Snapshot::from_bytes("current", &current).unwrap();
    assert_eq!(current.provenance.source.sha256, sha);
    // `list`: one release, its revision count, and a line per revision.
    let list = stdout(&work.cmd().arg("list").assert().success());
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 3, "{list}");
    assert!(lines[0].starts_with("2006-01 ") && lines[0].ends_with("  2 revisions"));
    assert!(lines[1].starts_with("  2006-01@1      6 codes     2 modifiers  2006 (HCPC2006"));
    assert!(lines[2].contains(&format!("HCPC2005_CONTR_ANWEB.txt  sha256 {sha}  stored ")));
    assert!(lines[2].ends_with(" UTC, current"), "{}", lines[2]);
    assert!(!lines[1].contains("current"));
}

#[test]
fn list_revisions_shows_every_release_s_postings() {
    let work = two_revisions();
    work.cmd()
        .arg("import")
        .arg(fixture("oxygen/2005"))
        .assert()
        .success();
    let list = stdout(&work.cmd().args(["list", "--revisions"]).assert().success());
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 5, "{list}");
    assert!(lines[0].starts_with("2005-01 ") && !lines[0].contains("revisions"));
    assert!(lines[1].starts_with("  2005-01@1 ") && lines[1].ends_with(", current"));
    assert!(lines[2].ends_with("  2 revisions"), "{}", lines[2]);
    // Without the flag a release posted once is one line, as before.
    let list = stdout(&work.cmd().arg("list").assert().success());
    assert_eq!(list.lines().count(), 4, "{list}");
}

#[test]
fn the_same_records_from_another_file_or_the_same_file_again_change_nothing() {
    let work = Work::with(&[fixture("oxygen/2006")]);
    let before = work.store_state();
    let text = std::fs::read(fixture("oxygen/2006/HCPC2006_CONTR_ANWEB.txt")).unwrap();
    let rezipped = work.write(
        "2006-Alpha-Numeric-HCPCS-File.zip",
        zip_of(&[("HCPC2006_CONTR_ANWEB.txt", &text)]),
    );
    let out = work.cmd().arg("import").arg(&rezipped).assert().success();
    assert!(
        stdout(&out).contains(
            "already stored from 2006: HCPC2006_CONTR_ANWEB.txt (sha256 \
             8090da8eb9da66addfe6345fcffd11fde346ee0154a4fe793f779d306a335084) with the same \
             records, unchanged"
        ),
        "{}",
        stdout(&out)
    );
    let out = work
        .cmd()
        .arg("import")
        .arg(fixture("oxygen/2006"))
        .assert()
        .success();
    assert!(stdout(&out).contains("already stored, unchanged"));
    assert_eq!(work.store_state(), before);
}

#[test]
fn the_same_file_read_differently_needs_force() {
    let work = Work::with(&[fixture("oxygen/2006")]);
    // As an older version of the tool might have read it: one description differs.
    let path = work.store().join("2006-01.jsonl");
    let stored = Snapshot::from_bytes("stored", &std::fs::read(&path).unwrap()).unwrap();
    let mut records = stored.records.clone();
    records[0].long_description.push_str(" (read differently)");
    let older = Snapshot::new(stored.release(), stored.provenance.source.clone(), records);
    std::fs::write(&path, older.to_bytes()).unwrap();
    let before = work.store_state();
    let out = work
        .cmd()
        .arg("import")
        .arg(fixture("oxygen/2006"))
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains(
            "is the same file but reads differently now (another version of hcpcs-diff?): use \
             --force to replace it"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(work.store_state(), before);
    work.cmd()
        .args(["import", "--force"])
        .arg(fixture("oxygen/2006"))
        .assert()
        .success();
    assert!(!work.store().join("revisions").exists());
}

#[test]
fn diff_compares_two_revisions_of_one_release() {
    let work = two_revisions();
    let out = work
        .cmd()
        .args(["diff", "2006-01@1", "2006-01@2"])
        .assert()
        .code(1);
    let text = stdout(&out);
    assert!(text.starts_with("HCPCS 2006-01@1 -> 2006-01@2\n"), "{text}");
    assert!(text.contains("DROPPED (1)\n  E1392 "), "{text}");
    // Plain 2006-01 is the current revision; JSON numbers both.
    let out = work
        .cmd()
        .args(["diff", "2006@1", "2006-01", "--format", "json"])
        .assert()
        .code(1);
    let doc = json(&out);
    assert_eq!(doc["old"]["revision"], 1);
    assert_eq!(doc["new"]["revision"], 2);
    assert_eq!(doc["old"]["source"], "2006: HCPC2006_CONTR_ANWEB.txt");
    assert_eq!(doc["summary"]["dropped"], 1);
    assert_eq!(
        doc["cms_agreement"]["reason"],
        "OLD and NEW are the same release"
    );
    // A revision against another release, and filters checked against the revision's codes.
    work.cmd()
        .arg("import")
        .arg(fixture("oxygen/2005"))
        .assert()
        .success();
    let out = work
        .cmd()
        .args(["diff", "2005", "2006-01@1", "--code", "E1392"])
        .assert()
        .code(1);
    assert!(stdout(&out).starts_with("HCPCS 2005-01 -> 2006-01@1\n"));
    let out = work
        .cmd()
        .args(["diff", "2006-01@2", "2006-01@2", "--code", "E1932"])
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("E1932: in neither release"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn revisions_out_of_order_or_that_do_not_exist_are_errors() {
    let work = two_revisions();
    let cases: [(&[&str], &str); 5] = [
        (
            &["2006-01@2", "2006-01@1"],
            "error: OLD (2006-01@2) is a later revision than NEW (2006-01@1); swap them\n",
        ),
        (
            &["2006-01@3", "2006-01"],
            "error: release 2006-01 has no revision 3: its revisions are 2006-01@1 and \
             2006-01@2 (current) (see `hcpcs-diff list --revisions`)\n",
        ),
        (
            &["2006-01@0", "2006-01"],
            "error: '2006-01@0' is neither a revision id (YYYY-MM@N, N from 1: 2019-01@1 is the \
             first posting) nor a file or folder\n",
        ),
        (
            &["2005-01@1", "2006-01"],
            "error: release 2005-01 is not in the store (see `hcpcs-diff list`)\n",
        ),
        (
            &["2006-01@1", "2006-01@x"],
            "error: '2006-01@x' is neither a revision id",
        ),
    ];
    for (args, message) in cases {
        let out = work.cmd().arg("diff").args(args).assert().code(2);
        assert!(
            stderr(&out).starts_with(message),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // A release posted once has one revision.
    let work = Work::with(&[fixture("oxygen/2005")]);
    let out = work
        .cmd()
        .args(["diff", "2005-01@1", "2005-01@2"])
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("has no revision 2: it has one revision, 2005-01@1 (current)"),
        "{}",
        stderr(&out)
    );
    work.cmd()
        .args(["diff", "2005-01@1", "2005-01"])
        .assert()
        .code(0);
}

#[test]
fn a_damaged_or_missing_revision_file_is_an_error_naming_it() {
    let work = two_revisions();
    let kept = work.store().join("revisions/2006-01/1.jsonl");
    let whole = std::fs::read_to_string(&kept).unwrap();
    let cut: String = whole.lines().take(3).map(|l| format!("{l}\n")).collect();
    std::fs::write(&kept, cut).unwrap();
    let said = format!(
        "error: {} is damaged (2 records, its provenance says 8): it is 2006-01@1, an earlier \
         revision kept as it was stored; restore it from a backup\n",
        kept.display()
    );
    let out = work
        .cmd()
        .args(["diff", "2006-01@1", "2006-01"])
        .assert()
        .code(2);
    assert_eq!(stderr(&out), said);
    // `list` names it and still lists the rest.
    let out = work.cmd().arg("list").assert().code(2);
    assert_eq!(stderr(&out), said);
    assert!(stdout(&out).contains("  2006-01@2 "), "{}", stdout(&out));
    // A third revision, then the first removed: the gap is named.
    std::fs::write(&kept, whole).unwrap();
    work.cmd()
        .arg("import")
        .arg(fixture("oxygen/2006"))
        .assert()
        .success();
    std::fs::remove_file(&kept).unwrap();
    let out = work
        .cmd()
        .args(["diff", "2006-01@2", "2006-01"])
        .assert()
        .code(2);
    assert_eq!(
        stderr(&out),
        format!(
            "error: {}: revision 1 is missing (found 2.jsonl); restore it from a backup\n",
            work.store().join("revisions/2006-01").display()
        )
    );
}

#[test]
fn a_revision_save_cut_short_leaves_the_store_reading_as_before() {
    let work = Work::with(&[fixture("oxygen/2006")]);
    // What a run killed after keeping the current file and before writing the new one leaves.
    let dir = work.store().join("revisions/2006-01");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(work.store().join("2006-01.jsonl"), dir.join("1.jsonl")).unwrap();
    std::fs::write(dir.join(".tmp-killed"), b"half").unwrap();
    let list = stdout(&work.cmd().arg("list").assert().success());
    assert_eq!(list.lines().count(), 1, "{list}");
    let out = work
        .cmd()
        .args(["diff", "2006-01@2", "2006-01"])
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("it has one revision"),
        "{}",
        stderr(&out)
    );
    // The next import finishes the job: revision 2, and the temporary file is gone.
    let out = work
        .cmd()
        .arg("import")
        .arg(fixture(OTHER))
        .args(["--release", "2006"])
        .assert()
        .success();
    assert!(stdout(&out).contains("revision 2 from"), "{}", stdout(&out));
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["1.jsonl"]);
}

/// A zip of the 2006 fixture as CMS would post it, the release file named `member`.
fn posting(work: &Work, zip: &str, member: &str, fixture_text: &str) -> std::path::PathBuf {
    let text = std::fs::read(fixture(fixture_text)).unwrap();
    work.write(zip, zip_of(&[(member, &text)]))
}

#[test]
fn an_earlier_posting_imported_last_is_current_and_the_import_says_so() {
    let work = Work::new();
    let later = posting(
        &work,
        "later.zip",
        "HCPC2006_ANWEB_01092006.txt",
        "oxygen/2006/HCPC2006_CONTR_ANWEB.txt",
    );
    let earlier = posting(&work, "earlier.zip", "HCPC2006_ANWEB_12172005.txt", OTHER);
    work.cmd().arg("import").arg(&later).assert().success();
    let out = work.cmd().arg("import").arg(&earlier).assert().success();
    assert_eq!(
        stderr(&out),
        format!(
            "note: earlier.zip: HCPC2006_ANWEB_12172005.txt looks like an earlier posting than \
             revision 1 (later.zip: HCPC2006_ANWEB_01092006.txt, sha256 {}): its name is dated \
             2005-12-17 against 2006-01-09; it is revision 2, the current one, because it was \
             imported last; if revision 1 is the later posting, import its file again to make \
             it current\n",
            hcpcs_diff::source::sha256_hex(&std::fs::read(&later).unwrap())
        )
    );
    // Importing the later posting again makes it current, as revision 3.
    let out = work.cmd().arg("import").arg(&later).assert().success();
    assert!(
        stdout(&out).contains(", the same file as revision 1), revision 2 kept as "),
        "{}",
        stdout(&out)
    );
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    let list = stdout(&work.cmd().arg("list").assert().success());
    assert!(list.lines().next().unwrap().contains("later.zip"), "{list}");
}
