//! The store: deterministic bytes, `--force` to replace, and round trips that hold for any
//! record (proptest), through the fixed-width reader and through the snapshot file.

use hcpcs_diff::model::{Kind, Record, ReleaseId};
use hcpcs_diff::model::{Snapshot, SourceInfo};
use hcpcs_diff::store::Store;
use hcpcs_diff::{ReadOptions, load_source, source};
use proptest::prelude::*;

use crate::util::{Work, fixture, stderr, stdout};

#[test]
fn importing_twice_gives_identical_bytes_and_changes_nothing() {
    let a = Work::with(&[fixture("oxygen/2006")]);
    let first = a.store_state();
    let out = a
        .cmd()
        .arg("import")
        .arg(fixture("oxygen/2006"))
        .assert()
        .success();
    assert!(stdout(&out).contains("already stored, unchanged"));
    assert_eq!(a.store_state(), first);
    let b = Work::with(&[fixture("oxygen/2006")]);
    assert_eq!(b.store_state(), first);
}

#[test]
fn different_content_for_a_stored_release_is_a_revision_and_force_replaces_the_current() {
    let work = Work::with(&[fixture("oxygen/2006")]);
    let first = std::fs::read(work.store().join("2006-01.jsonl")).unwrap();
    let other = fixture("oxygen/2005/HCPC2005_CONTR_ANWEB.txt");
    let out = work
        .cmd()
        .arg("import")
        .arg(&other)
        .args(["--release", "2006"])
        .assert()
        .success();
    assert!(
        stdout(&out).contains("revision 2 from HCPC2005_CONTR_ANWEB.txt (sha256 "),
        "{}",
        stdout(&out)
    );
    let kept = work.store().join("revisions/2006-01/1.jsonl");
    assert_eq!(std::fs::read(&kept).unwrap(), first);
    let before = work.store_state();
    // --force replaces the current revision (a wrong import) and keeps the earlier ones.
    let out = work
        .cmd()
        .arg("import")
        .arg(fixture("oxygen/2005"))
        .args(["--release", "2006", "--force"])
        .assert()
        .success();
    assert!(
        stdout(&out).contains("replaced the snapshot from HCPC2005_CONTR_ANWEB.txt (sha256 "),
        "{}",
        stdout(&out)
    );
    let after = work.store_state();
    assert_ne!(after["2006-01.jsonl"], before["2006-01.jsonl"]);
    assert_eq!(
        after["revisions/2006-01/1.jsonl"],
        before["revisions/2006-01/1.jsonl"]
    );
    assert_eq!(after.len(), before.len());
}

/// A loose text's records are kept in a temporary file as they are read: when that file cannot
/// be written (a full disk; a file size limit in the test), the import stops with exit 2,
/// saying so, and no store is made.
#[cfg(unix)]
#[test]
fn a_loose_text_whose_records_cannot_be_kept_aside_changes_nothing() {
    let work = Work::new();
    let out = crate::util::with_file_size_limit(&work.store())
        .arg("import")
        .arg(fixture("oxygen/2006/HCPC2006_CONTR_ANWEB.txt"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("HCPC2006_CONTR_ANWEB.txt: its records cannot be kept in a temporary file"),
        "{err}"
    );
    assert!(!work.store().exists(), "{err}");
}

#[test]
fn the_store_folder_comes_from_the_environment_too() {
    let work = Work::new();
    let mut cmd = assert_cmd::Command::cargo_bin("hcpcs-diff").unwrap();
    cmd.env("HCPCS_DIFF_STORE", work.store())
        .arg("import")
        .arg(fixture("oxygen/2005"))
        .assert()
        .success();
    assert!(work.store().join("2005-01.jsonl").is_file());
}

#[test]
fn commands_that_read_the_store_say_when_there_is_no_store() {
    let work = Work::new();
    let reads: [&[&str]; 6] = [
        &["list"],
        &["show", "E1392"],
        &["diff", "2005", "2006"],
        &["history", "E1392"],
        &["export", "2005"],
        &["show", "E1392", "--release", "2005"],
    ];
    let wanted = format!(
        "error: no store at {}: run where snapshots/ is, pass --store DIR or set HCPCS_DIFF_STORE",
        work.store().display()
    );
    for args in reads {
        let out = work.cmd().args(args).assert().code(2);
        assert!(stderr(&out).contains(&wanted), "{args:?}: {}", stderr(&out));
        assert!(!work.store().exists(), "{args:?} created the store");
    }
    // An existing but empty store keeps its own messages.
    std::fs::create_dir(work.store()).unwrap();
    let out = work.cmd().arg("list").assert().success();
    assert!(stderr(&out).contains("is empty"), "{}", stderr(&out));
    let out = work.cmd().args(["history", "E1392"]).assert().code(2);
    assert!(
        stderr(&out).contains("the store is empty"),
        "{}",
        stderr(&out)
    );
}

/// One record as CMS's fixed-width text writes it, by the record layout's column numbers
/// (written out here, apart from the crate's own layout table).
fn fixed_width(r: &Record) -> Vec<String> {
    let mut line = vec![' '; 320];
    let mut put = |col: usize, v: &str| {
        for (i, c) in v.chars().enumerate() {
            line[col - 1 + i] = c;
        }
    };
    let (first, cont) = if r.kind == Kind::Procedure {
        ('3', '4')
    } else {
        ('7', '8')
    };
    put(1, &format!("{:>5}", r.code));
    put(6, "00100");
    put(11, &first.to_string());
    let d = |d: &Option<chrono::NaiveDate>| {
        d.map(|d| d.format("%Y%m%d").to_string())
            .unwrap_or_default()
    };
    put(92, r.short_description.as_deref().unwrap_or(""));
    for (i, p) in r.pricing_indicators.iter().enumerate() {
        put(120 + 2 * i, p);
    }
    put(128, r.multiple_pricing_indicator.as_deref().unwrap_or(""));
    for (i, x) in r.cross_references.iter().enumerate() {
        put(205 + 5 * i, x);
    }
    put(230, r.coverage.as_deref().unwrap_or(""));
    put(257, r.betos.as_deref().unwrap_or(""));
    for (i, t) in r.types_of_service.iter().enumerate() {
        put(261 + i, t);
    }
    put(269, &d(&r.added_date));
    put(277, &d(&r.action_effective_date));
    put(285, &d(&r.termination_date));
    put(293, r.action_code.as_deref().unwrap_or(""));
    // The description in 80-column pieces on continuation lines, cut at spaces.
    let mut pieces = vec![String::new()];
    for word in r.long_description.split(' ') {
        let cur = pieces.last_mut().unwrap();
        if !cur.is_empty() && cur.len() + 1 + word.len() > 80 {
            pieces.push(word.to_string());
        } else {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(word);
        }
    }
    let mut first_line: String = line.into_iter().collect();
    first_line.replace_range(11..11 + pieces[0].len(), &pieces[0]);
    let mut lines = vec![first_line];
    for p in &pieces[1..] {
        lines.push(format!("{:>5}00200{cont}{p}", r.code));
    }
    lines
}

fn word() -> impl Strategy<Value = String> {
    "[A-Za-z0-9,;()%/-]{1,12}"
}

fn date() -> impl Strategy<Value = Option<chrono::NaiveDate>> {
    proptest::option::of(
        (1982i32..2030, 1u32..13, 1u32..29)
            .prop_map(|(y, m, d)| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()),
    )
}

prop_compose! {
    fn record()(
        procedure in any::<bool>(),
        letter in "[A-V]", digits in 0u32..10000, modifier in "[A-Z][A-Z0-9]",
        words in proptest::collection::vec(word(), 1..40),
        short in proptest::option::of("[A-Za-z][A-Za-z0-9 ]{0,26}[A-Za-z]"),
        pricing in proptest::collection::vec("[0-9]{2}", 0..4),
        mult in proptest::option::of("[9A-G]"),
        xrefs in proptest::collection::vec("[A-Z][0-9]{4}", 0..5),
        coverage in proptest::option::of("[CDIMS]"),
        betos in proptest::option::of("[DIMOPTYZ][0-9][A-G]"),
        tos in proptest::collection::vec("[0-9A-Z]", 0..5),
        added in date(), effective in date(), terminated in date(),
        action in proptest::option::of("[ABCDFNPRST]"),
    ) -> Record {
        let (code, kind) = if procedure { (format!("{letter}{digits:04}"), Kind::Procedure) } else { (modifier, Kind::Modifier) };
        let mut r = Record::new(code, kind);
        r.long_description = words.join(" ");
        r.short_description = short.map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "));
        r.pricing_indicators = pricing;
        r.multiple_pricing_indicator = mult;
        r.cross_references = xrefs;
        r.coverage = coverage;
        r.betos = betos;
        r.types_of_service = tos;
        r.added_date = added;
        r.action_effective_date = effective;
        r.termination_date = terminated;
        r.action_code = action;
        r
    }
}

fn release() -> ReleaseId {
    "2006-01".parse().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn fixed_width_text_reads_back_to_the_records_it_was_written_from(
        records in proptest::collection::btree_map("[A-Z0-9]{2}", record(), 1..30)
    ) {
        let mut records: Vec<Record> = records.into_values().collect();
        records.sort_by(|a, b| a.code.cmp(&b.code));
        records.dedup_by(|a, b| a.code == b.code);
        let text: Vec<String> = records.iter().flat_map(fixed_width).collect();
        let text = format!("***Disclaimer\r\n\r\n{}\r\n", text.join("\r\n"));
        let file = source::from_bytes("HCPC2006.txt", text.into_bytes()).unwrap();
        let loaded = load_source(file, ReadOptions::default()).unwrap();
        prop_assert_eq!(&loaded.snapshot.records, &records);
    }

    #[test]
    fn a_snapshot_round_trips_through_the_store_byte_for_byte(
        records in proptest::collection::vec(record(), 0..30)
    ) {
        let mut records = records;
        records.sort_by(|a, b| a.code.cmp(&b.code));
        records.dedup_by(|a, b| a.code == b.code);
        let info = SourceInfo { file: "x.zip".into(), member: Some("x.txt".into()), sha256: "00".repeat(32) };
        let snapshot = Snapshot::new(release(), info, records);
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        store.save(&snapshot, false).unwrap();
        let loaded = store.load(release()).unwrap();
        prop_assert_eq!(&loaded, &snapshot);
        prop_assert_eq!(loaded.to_bytes(), std::fs::read(store.path_of(release())).unwrap());
        prop_assert_eq!(store.save(&loaded, false).unwrap(), hcpcs_diff::store::Saved::Unchanged);
    }

    /// `diff` of two stored releases reads them a line at a time and parses only what can
    /// differ (with the codes cross-referred to); it must diff exactly as the whole snapshots.
    #[test]
    fn a_stored_diff_read_line_by_line_is_the_diff_of_the_whole_snapshots(
        records in proptest::collection::vec(record(), 1..40),
        edits in proptest::collection::vec(0u8..6, 1..40),
        added in proptest::collection::vec(record(), 0..5),
    ) {
        let mut old = records;
        old.sort_by(|a, b| a.code.cmp(&b.code));
        old.dedup_by(|a, b| a.code == b.code);
        let codes: Vec<String> = old.iter().map(|r| r.code.clone()).collect();
        let mut new = Vec::new();
        for (i, (r, edit)) in old.iter_mut().zip(edits.iter().cycle()).enumerate() {
            match edit {
                // Quiet in both: CMS's action N, the same line.
                0 | 1 => r.action_code = Some("N".into()),
                // Cross-refers to another code, maybe a quiet one.
                2 => r.cross_references = vec![codes[(i * 7 + 3) % codes.len()].clone()],
                _ => {}
            }
            match edit {
                3 => {}
                4 => {
                    let mut changed = r.clone();
                    changed.long_description.push_str(" changed");
                    new.push(changed);
                }
                _ => new.push(r.clone()),
            }
        }
        new.extend(added);
        new.sort_by(|a, b| a.code.cmp(&b.code));
        new.dedup_by(|a, b| a.code == b.code);
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let (a, b): (ReleaseId, ReleaseId) = ("2006-01".parse().unwrap(), "2006-04".parse().unwrap());
        let info = |f: &str| SourceInfo { file: f.into(), member: None, sha256: "00".repeat(32) };
        store.save(&Snapshot::new(a, info("a.txt"), old), false).unwrap();
        store.save(&Snapshot::new(b, info("b.txt"), new), false).unwrap();
        let (trimmed_a, trimmed_b) = store.load_for_diff(a, b).unwrap();
        prop_assert!(trimmed_a.records.len() <= store.load(a).unwrap().records.len());
        prop_assert_eq!(
            hcpcs_diff::diff::diff(&trimmed_a, &trimmed_b),
            hcpcs_diff::diff::diff(&store.load(a).unwrap(), &store.load(b).unwrap())
        );
    }
}

#[test]
fn a_csv_with_the_workbook_headers_imports_like_the_text() {
    use hcpcs_diff::model::fields::field;
    let text = std::fs::read(fixture("oxygen/2006/HCPC2006_CONTR_ANWEB.txt")).unwrap();
    let from_text = load_source(
        source::from_bytes("HCPC2006.txt", text).unwrap(),
        ReadOptions::default(),
    )
    .unwrap();
    // 2016-2025 workbook headers; one row per code with the whole description.
    let repeat = |name: &'static str, n: usize| (1..=n).map(move |i| format!("{name}{i}"));
    let mut headers: Vec<String> = [
        "HCPC",
        "SEQNUM",
        "RECID",
        "LONG DESCRIPTION",
        "SHORT DESCRIPTION",
    ]
    .map(String::from)
    .to_vec();
    headers.extend(repeat("PRICE", 4));
    headers.push("MULT_PI".into());
    headers.extend(repeat("CIM", 3));
    headers.extend(repeat("MCM", 3));
    headers.push("STATUTE".into());
    headers.extend(repeat("LABCERT", 8));
    headers.extend(repeat("XREF", 5));
    headers.extend(
        [
            "COV", "ASC_GRP", "ASC_DT", "OPPS", "OPPS_PI", "OPPS_DT", "PROCNOTE", "BETOS",
        ]
        .map(String::from),
    );
    headers.extend(repeat("TOS", 5));
    headers.extend(["ANEST_BU", "ADD DT", "ACT EFF DT", "TERM DT", "ACTION CD"].map(String::from));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&headers).unwrap();
    for r in &from_text.snapshot.records {
        let get = |key: &str| (field(key).unwrap().values)(r);
        let nth = |key: &str, i: usize| {
            get(key)
                .get(i)
                .cloned()
                .unwrap_or_default()
                .replace('-', "")
        };
        let mut row = vec![
            r.code.clone(),
            "0010".into(),
            if r.kind == Kind::Procedure { "3" } else { "7" }.into(),
        ];
        row.push(r.long_description.clone());
        row.push(r.short_description.clone().unwrap_or_default());
        row.extend((0..4).map(|i| {
            nth("pricing_indicators", i)
                .trim_start_matches('0')
                .to_string()
        }));
        row.push(nth("multiple_pricing_indicator", 0));
        row.extend((0..3).map(|i| {
            get("coverage_issues_manual")
                .get(i)
                .cloned()
                .unwrap_or_default()
        }));
        row.extend((0..3).map(|_| String::new()));
        row.push(String::new());
        row.extend((0..8).map(|_| String::new()));
        row.extend((0..5).map(|i| nth("cross_references", i)));
        row.extend([
            nth("coverage", 0),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            nth("betos", 0),
        ]);
        row.extend((0..5).map(|i| nth("types_of_service", i)));
        row.extend([
            String::new(),
            nth("added_date", 0),
            nth("action_effective_date", 0),
            nth("termination_date", 0),
            nth("action_code", 0),
        ]);
        w.write_record(&row).unwrap();
    }
    let bytes = w.into_inner().unwrap();
    let from_csv = load_source(
        source::from_bytes("HCPC2006.csv", bytes).unwrap(),
        ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(from_csv.snapshot.records, from_text.snapshot.records);
}

#[test]
fn export_writes_one_csv_row_per_code_with_every_field() {
    let work = Work::with(&[fixture("oxygen/2006")]);
    let out = work.cmd().args(["export", "2006"]).assert().success();
    let text = stdout(&out);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    assert_eq!(&header[0], "code");
    assert_eq!(header.len(), 2 + hcpcs_diff::model::fields::FIELDS.len());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 8);
    let e1392 = rows.iter().find(|r| &r[0] == "E1392").unwrap();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(&e1392[col("pricing_indicators")], "33");
    assert_eq!(&e1392[col("added_date")], "2006-01-01");
}

#[cfg(unix)]
#[test]
fn snapshots_are_ordinary_readable_files() {
    use std::os::unix::fs::PermissionsExt;
    let work = Work::with(&[fixture("oxygen/2005")]);
    let mode = std::fs::metadata(work.store().join("2005-01.jsonl"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
}

/// Holds the store's lock as another run would.
fn hold_lock(work: &Work) -> std::fs::File {
    std::fs::create_dir_all(work.store()).unwrap();
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(work.store().join(".lock"))
        .unwrap();
    file.lock().unwrap();
    file
}

#[test]
fn two_imports_of_one_release_at_once_store_both_as_revisions() {
    let work = Work::new();
    let lock = hold_lock(&work);
    let spawn = |fixture_dir: &str| {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("hcpcs-diff"))
            .arg("--store")
            .arg(work.store())
            .arg("import")
            .arg(fixture(fixture_dir))
            .args(["--release", "2005"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn("oxygen/2005"), spawn("oxygen/2006"));
    // Each says it waits for the lock (an event, not a time): both are then in the queue.
    let waiting = |child: &mut std::process::Child| {
        use std::io::BufRead;
        let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
        // Warnings about the file (its name says another release than --release) come first.
        let mut seen = String::new();
        loop {
            let mut line = String::new();
            assert!(
                err.read_line(&mut line).unwrap() > 0,
                "never waited: {seen}"
            );
            if line.starts_with("waiting up to 600 s for") {
                break;
            }
            assert!(line.starts_with("warning: "), "{line:?}");
            seen.push_str(&line);
        }
        err
    };
    let (err_a, err_b) = (waiting(&mut a), waiting(&mut b));
    assert!(a.try_wait().unwrap().is_none() && b.try_wait().unwrap().is_none());
    drop(lock);
    let outs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
    let codes: Vec<_> = outs.iter().map(|o| o.status.code()).collect();
    assert_eq!(codes, [Some(0), Some(0)]);
    for mut err in [err_a, err_b] {
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
        assert!(!rest.contains("error"), "{rest}");
    }
    // One took the lock first and stored revision 1; the other, after waiting, revision 2.
    let second = outs
        .iter()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .find(|o| o.contains("revision 2 from"))
        .expect("one import stored revision 2");
    assert!(second.contains("revision 1 kept as"), "{second}");
    let list = stdout(&work.cmd().arg("list").assert().success());
    assert!(list.contains("2 revisions"), "{list}");
}

#[test]
fn a_live_lock_is_waited_on_for_a_bounded_time_and_a_stale_one_never_blocks() {
    let work = Work::new();
    let lock = hold_lock(&work);
    // Given up after --lock-wait 1, not the default 600 s: the message says how long it waited,
    // and the limit (far past 1 s, far short of 600 s, for a busy machine) stops a run that
    // waits the default.
    let out = work
        .cmd()
        .args(["--lock-wait", "1", "import"])
        .arg(fixture("oxygen/2005"))
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("still held by another run after waiting 1 s"),
        "{}",
        stderr(&out)
    );
    // A lock file left by a run that died (its pid written, no lock held) does not block.
    drop(lock);
    std::fs::write(work.store().join(".lock"), "4194304").unwrap();
    work.cmd()
        .args(["--lock-wait", "0", "import"])
        .arg(fixture("oxygen/2005"))
        .assert()
        .success();
}

/// A command that fails after taking the lock of a store folder it created leaves no folder
/// behind (nor its `.lock`), whichever command it is: `import --corrections` for a release
/// that is not stored, and an `import --apply-corrections` whose standard output is a closed
/// pipe.
#[test]
fn a_failing_import_leaves_no_store_folder_it_created() {
    let work = Work::new();
    let corrections = work.write(
        "2005-corrections.txt",
        "\t2005 HCPCS CORRECTIONS\t\t\r\n\t\t\t\r\nCODE\tACTION\tEFF DATE\tXREF CODE\r\n\
         K0738\tDiscontinue \t01/01/2006\tE1392\r\n",
    );
    let out = work
        .cmd()
        .args(["import", "--corrections"])
        .arg(&corrections)
        .args(["--release", "2005-01"])
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("release 2005-01 is not in the store"),
        "{}",
        stderr(&out)
    );
    assert!(!work.store().exists(), "the store folder stayed");

    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_hcpcs-diff"))
        .arg("--store")
        .arg(work.store())
        .args(["import", "--apply-corrections"])
        .arg(fixture("oxygen/2005"))
        .env_remove("HCPCS_DIFF_STORE")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::from(writer))
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2));
    assert!(!work.store().exists(), "the store folder stayed");
}
