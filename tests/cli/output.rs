//! Where reports go. A standard output that cannot take the report (a closed pipe, a full disk)
//! is an error for every command and format, and `check` then stores nothing and tells no
//! webhook.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::util::{Work, fixture, oxygen, zip_of};

/// A standard output that fails every write.
#[derive(Debug, Clone, Copy)]
enum Sink {
    /// A pipe whose read end was closed before the command started: EPIPE, deterministically
    /// (a reader closing later would race the writer and the pipe's buffer).
    ClosedPipe,
    /// `/dev/full`: ENOSPC, as a full disk gives.
    Full,
}

/// Runs the binary on `work`'s store, its standard output `sink`.
fn run_into(work: &Work, args: &[String], sink: Sink) -> std::process::Output {
    let stdout = match sink {
        Sink::ClosedPipe => {
            let (reader, writer) = std::io::pipe().unwrap();
            drop(reader);
            Stdio::from(writer)
        }
        Sink::Full => Stdio::from(
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        ),
    };
    Command::new(env!("CARGO_BIN_EXE_hcpcs-diff"))
        .arg("--store")
        .arg(work.store())
        .args(args)
        .current_dir(work.dir.path())
        .env_remove("HCPCS_DIFF_STORE")
        .env("NO_COLOR", "1")
        .env("HCPCS_DIFF_GENERATED_AT", "2026-01-02T03:04:05Z")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

/// A loopback CMS that posts the 2006 fixture as April 2005, and a webhook that counts what is
/// posted to it.
struct Cms {
    server: Arc<tiny_http::Server>,
    base: String,
    hooks: Arc<AtomicUsize>,
}

impl Drop for Cms {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

fn cms() -> Cms {
    let name = "HCPC2006_CONTR_ANWEB.txt";
    let text = std::fs::read(fixture("oxygen/2006").join(name)).unwrap();
    serving(APRIL, zip_of(&[(name, text.as_slice())]))
}

const APRIL: &str = "/files/zip/april-2005-alpha-numeric-hcpcs-file.zip";
const JANUARY: &str = "/files/zip/january-2005-alpha-numeric-hcpcs-file.zip";

/// A loopback CMS that posts only January 2005 again, one description in capitals: a
/// re-post of the January fixture.
fn cms_reposting_january() -> Cms {
    let name = "HCPC2005_CONTR_ANWEB.txt";
    let text = std::fs::read_to_string(fixture("oxygen/2005").join(name)).unwrap();
    let edited = text.replacen("E1390001003Oxygen", "E1390001003OXYGEN", 1);
    assert_ne!(edited, text);
    serving(JANUARY, zip_of(&[(name, edited.as_bytes())]))
}

/// A loopback server posting `zip` at `path`, counting what is posted to `/hook`.
fn serving(path: &'static str, zip: Vec<u8>) -> Cms {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let base = format!("http://{}", server.server_addr().to_ip().unwrap());
    let hooks = Arc::new(AtomicUsize::new(0));
    let (s, count) = (server.clone(), hooks.clone());
    std::thread::spawn(move || {
        for request in s.incoming_requests() {
            let url = request.url().to_string();
            let response = if url == path {
                tiny_http::Response::from_data(zip.clone())
            } else if url == "/hook" {
                count.fetch_add(1, Ordering::SeqCst);
                tiny_http::Response::from_data(b"ok".to_vec())
            } else {
                tiny_http::Response::from_data(Vec::new()).with_status_code(404)
            };
            let _ = request.respond(response);
        }
    });
    Cms {
        server,
        base,
        hooks,
    }
}

/// A command that writes a report to standard output.
#[derive(Debug, Clone)]
struct Case {
    args: Vec<String>,
    /// `check`: run on a store holding only January, against the loopback CMS.
    check: bool,
}

fn case(args: &[&str]) -> Case {
    Case {
        args: args.iter().map(ToString::to_string).collect(),
        check: false,
    }
}

/// Every command that writes to standard output, in every format it takes.
fn cases() -> Vec<Case> {
    let mut all = Vec::new();
    for format in ["text", "markdown", "json", "csv", "html", "xlsx"] {
        all.push(case(&["diff", "2005-01", "2006-01", "--format", format]));
        let mut check = case(&["check", "--format", format]);
        check.check = true;
        all.push(check);
        if format != "xlsx" {
            all.push(case(&["audit", "watch.txt", "--format", format]));
            all.push(case(&[
                "audit",
                "claims.csv",
                "--date-column",
                "Date of service",
                "--format",
                format,
            ]));
        }
    }
    for format in ["text", "json"] {
        all.push(case(&["show", "E1392", "--format", format]));
        all.push(case(&[
            "show",
            "E1392",
            "--on",
            "2005-06-01",
            "--format",
            format,
        ]));
    }
    for format in ["text", "markdown", "json"] {
        all.push(case(&["history", "E1392", "--format", format]));
    }
    all.push(case(&["list"]));
    all.push(case(&["list", "--revisions"]));
    for format in ["csv", "fhir", "fhir-conceptmap"] {
        all.push(case(&["export", "2006-01", "--format", format]));
    }
    // The database goes to --output; the line saying what it holds is what cannot be written.
    all.push(case(&[
        "export", "--format", "sqlite", "--output", "hcpcs.db",
    ]));
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        all.push(case(&["completions", shell]));
    }
    all.push(case(&["man"]));
    all.push(case(&["man", "diff"]));
    all
}

/// The oxygen pair, with a watch list and a claims file beside the store.
fn oxygen_with_inputs() -> Work {
    let work = oxygen();
    work.write("watch.txt", "E1392\nK0738\nE0424\nRR\n");
    work.write(
        "claims.csv",
        "claim,HCPCS,Date of service\nc1,E1392,2005-06-01\nc2,K0738,2006-02-01\n",
    );
    work
}

/// Runs `case` (with `extra` arguments) into `sink` and checks that it failed, said why on
/// standard error, and left the store as it was; for `check`, that no webhook was told.
fn fails_and_changes_nothing(work: &Work, cms: &Cms, case: &Case, extra: &[String], sink: Sink) {
    let mut args = case.args.clone();
    if case.check {
        args.extend(["--base-url".into(), cms.base.clone()]);
        args.extend(["--notify".into(), format!("{}/hook", cms.base)]);
    }
    args.extend(extra.iter().cloned());
    let before = work.store_state();
    let hooks = cms.hooks.load(Ordering::SeqCst);
    let out = run_into(work, &args, sink);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?} into {sink:?}: {err}");
    assert!(
        err.contains("standard output"),
        "{args:?} into {sink:?}: {err}"
    );
    assert_eq!(work.store_state(), before, "{args:?} into {sink:?}");
    assert_eq!(
        cms.hooks.load(Ordering::SeqCst),
        hooks,
        "{args:?}: webhook told"
    );
}

#[test]
fn a_report_standard_output_cannot_take_is_an_error_for_every_command_and_format() {
    let cms = cms();
    let work = oxygen_with_inputs();
    let january = Work::with(&[fixture("oxygen/2005")]);
    for case in cases() {
        let work = if case.check { &january } else { &work };
        fails_and_changes_nothing(work, &cms, &case, &[], Sink::ClosedPipe);
    }
    // The same check with a standard output that works imports April and tells the webhook:
    // the run that could not deliver its report left the whole job to this one.
    let ok = Command::new(env!("CARGO_BIN_EXE_hcpcs-diff"))
        .arg("--store")
        .arg(january.store())
        .args(["check", "--base-url", &cms.base, "--notify"])
        .arg(format!("{}/hook", cms.base))
        .env("HCPCS_DIFF_GENERATED_AT", "2026-01-02T03:04:05Z")
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(1), "{ok:?}");
    assert!(String::from_utf8_lossy(&ok.stdout).contains("2005-01 -> 2005-04"));
    assert!(january.store().join("2005-04.jsonl").is_file());
    assert_eq!(cms.hooks.load(Ordering::SeqCst), 1);

    // A re-post of the newest release, found with nothing new posted, is reported the same
    // way: not stored as a revision, the webhook not told.
    let reposting = cms_reposting_january();
    let january = Work::with(&[fixture("oxygen/2005")]);
    for format in ["text", "json"] {
        let mut check = case(&["check", "--format", format]);
        check.check = true;
        for sink in [Sink::ClosedPipe, Sink::Full] {
            fails_and_changes_nothing(&january, &reposting, &check, &[], sink);
        }
    }
    assert!(!january.store().join("revisions").exists());
}

/// Filters that narrow a report without making it an error (codes in both fixture releases).
fn narrowing() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        Just(Vec::new()),
        prop::sample::select(vec!["E1392", "K0738", "E0424", "E1390"])
            .prop_map(|c| vec!["--code".to_string(), c.to_string()]),
        prop::sample::select(vec!["E", "K", "E13"])
            .prop_map(|p| vec!["--prefix".to_string(), p.to_string()]),
    ]
}

/// For any command and format, any narrowing of a changelog, and either way standard output can
/// fail (a closed pipe, a full disk): exit 2, said on standard error, the store as it was, and
/// for `check` no webhook told. A fresh store for each `check`, so each one has April to
/// import.
#[test]
fn any_report_into_a_failing_standard_output_is_an_error_and_stores_nothing() {
    let cms = cms();
    let work = oxygen_with_inputs();
    let all = cases();
    let strategy = (
        0..all.len(),
        prop_oneof![Just(Sink::ClosedPipe), Just(Sink::Full)],
        narrowing(),
    );
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&strategy, |(i, sink, filter)| {
            let case = &all[i];
            let narrows = case.args[0] == "diff" || case.check;
            let extra = if narrows { filter } else { Vec::new() };
            if case.check {
                let january = Work::with(&[fixture("oxygen/2005")]);
                fails_and_changes_nothing(&january, &cms, case, &extra, sink);
            } else {
                fails_and_changes_nothing(&work, &cms, case, &extra, sink);
            }
            Ok(())
        })
        .unwrap();
}

/// `--output` into the store, spelt every way: each is refused (exit 2, naming the path and the
/// store) before anything is written, for every command that takes `--output`; a file of the
/// user's own beside the snapshots is written as asked.
#[test]
fn an_output_into_the_stores_files_is_refused_however_it_is_spelt() {
    let cms = cms();
    let work = oxygen_with_inputs();
    let january = Work::with(&[fixture("oxygen/2005")]);
    for w in [&work, &january] {
        std::os::unix::fs::symlink(w.store(), w.path("link")).unwrap();
        std::os::unix::fs::symlink(w.store().join("2005-01.jsonl"), w.path("snapshot.link"))
            .unwrap();
    }
    let paths = [
        "store/2005-01.jsonl",
        "store/../store/2006-01.jsonl",
        "store/new/../2005-01.jsonl",
        "./store/./2005-01.jsonl",
        "link/2005-01.jsonl",
        "snapshot.link",
        "store",
        "link",
        "store/.lock",
        "store/2005-01.corrections.json",
        "store/revisions/2005-01/1.jsonl",
        "store/downloads/april-2005-alpha-numeric-hcpcs-file.zip",
    ];
    let commands: [&[&str]; 5] = [
        &["diff", "2005-01", "2006-01"],
        &["audit", "watch.txt"],
        &["export", "2006-01"],
        &["export", "--format", "sqlite"],
        &["check", "--base-url", &cms.base],
    ];
    for command in commands {
        let w = if command[0] == "check" {
            &january
        } else {
            &work
        };
        for path in paths {
            let lock = std::fs::read(w.store().join(".lock")).ok();
            let before = w.store_state();
            let out = w
                .cmd()
                .current_dir(w.dir.path())
                .args(command)
                .args(["--output", path])
                .assert()
                .code(2);
            let err = crate::util::stderr(&out);
            let store = w.store().display().to_string();
            assert!(
                err.contains(&format!("--output {path}: is ")) && err.contains(&store),
                "{command:?} {path}: {err}"
            );
            assert_eq!(w.store_state(), before, "{command:?} {path}");
            assert_eq!(std::fs::read(w.store().join(".lock")).ok(), lock);
            assert!(!w.store().join("new").exists());
        }
    }
    work.cmd()
        .current_dir(work.dir.path())
        .args([
            "diff",
            "2005-01",
            "2006-01",
            "--output",
            "store/CHANGES.txt",
        ])
        .assert()
        .code(1);
    let kept = std::fs::read_to_string(work.store().join("CHANGES.txt")).unwrap();
    assert!(kept.starts_with("HCPCS 2005-01 -> 2006-01"), "{kept}");
    work.cmd().arg("list").assert().success();
}

/// Runs the binary on `work`'s store under the umask `umask` (through `sh`, the test cannot
/// set its own child's umask otherwise).
fn run_with_umask(work: &Work, umask: &str, args: &[String]) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("umask {umask}; exec \"$@\""))
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_hcpcs-diff"))
        .arg("--store")
        .arg(work.store())
        .args(args)
        .current_dir(work.dir.path())
        .env_remove("HCPCS_DIFF_STORE")
        .env("HCPCS_DIFF_GENERATED_AT", "2026-01-02T03:04:05Z")
        .output()
        .unwrap()
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// A report written over an existing file keeps that file's mode (an audit report kept 0640
/// because it carries claim columns does not become 0644); a new one gets the umask's mode,
/// as any new file does. For every command that writes `--output`.
#[test]
fn a_report_keeps_the_mode_of_the_file_it_replaces_and_a_new_one_the_umasks() {
    let cms = cms();
    let work = oxygen_with_inputs();
    let commands: [&[&str]; 5] = [
        &["diff", "2005-01", "2006-01"],
        &["audit", "watch.txt"],
        &["export", "2006-01"],
        &["export", "--format", "sqlite"],
        &["check", "--base-url", &cms.base],
    ];
    for command in commands {
        let january = Work::with(&[fixture("oxygen/2005")]);
        let w = if command[0] == "check" {
            &january
        } else {
            &work
        };
        let run = |umask: &str, name: &str| {
            let mut args: Vec<String> = command.iter().map(ToString::to_string).collect();
            args.extend(["--output".to_string(), name.to_string()]);
            let out = run_with_umask(w, umask, &args);
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            if command[0] == "check" {
                // The next check finds April stored: back to January only.
                std::fs::remove_file(w.store().join("2005-04.jsonl")).unwrap();
            }
        };
        let name = format!("{}-new", command.join("-").replace(['/', ':'], ""));
        for (umask, expected) in [("027", 0o640), ("077", 0o600), ("002", 0o664)] {
            let new = format!("{name}-{umask}");
            run(umask, &new);
            assert_eq!(mode(&w.path(&new)), expected, "{command:?} umask {umask}");
        }
        // Written first by the tool (so that sqlite replaces a database of its own), then given
        // a mode of the user's; the umask would give otherwise.
        for kept in [0o640, 0o604, 0o600] {
            let existing = w.path(&format!("{name}-027"));
            std::fs::set_permissions(
                &existing,
                std::os::unix::fs::PermissionsExt::from_mode(kept),
            )
            .unwrap();
            run("022", &format!("{name}-027"));
            assert_eq!(mode(&existing), kept, "{command:?} over a {kept:o} file");
        }
    }
}

/// A SQLite database at `path` made by another program: one table, and `application_id` if
/// given.
fn other_database(path: &Path, application_id: Option<i32>) {
    let db = rusqlite::Connection::open(path).unwrap();
    if let Some(id) = application_id {
        db.pragma_update(None, "application_id", id).unwrap();
    }
    db.execute_batch(
        "CREATE TABLE claims (code TEXT, amount REAL); INSERT INTO claims VALUES ('E1392', 10);",
    )
    .unwrap();
}

/// `export --format sqlite` replaces a file whole: it refuses one that is not a database it
/// wrote (a document, another program's database, with or without its own application id),
/// leaving it as it was, unless `--force`; its own database (and one written before it set
/// its application id), an empty file or no file it writes as asked.
#[test]
fn a_sqlite_export_replaces_only_a_database_this_tool_wrote_unless_forced() {
    let work = oxygen();
    let export = |name: &str, force: bool| {
        let mut c = work.cmd();
        c.args(["export", "--format", "sqlite", "--output"])
            .arg(work.path(name));
        if force {
            c.arg("--force");
        }
        c.assert()
    };
    work.write("notes.db", "my notes, not a database\n");
    other_database(&work.path("claims.db"), None);
    other_database(&work.path("tagged.db"), Some(0x1234));
    for (name, what) in [
        ("notes.db", "not a SQLite database"),
        ("claims.db", "a SQLite database with the tables claims"),
        ("tagged.db", "application_id 0x1234"),
    ] {
        let before = std::fs::read(work.path(name)).unwrap();
        let err = crate::util::stderr(&export(name, false).code(2));
        assert!(
            err.contains(&format!("{name}: is not a database this tool wrote"))
                && err.contains(what)
                && err.contains("--force"),
            "{err}"
        );
        assert_eq!(std::fs::read(work.path(name)).unwrap(), before, "{name}");
        export(name, true).success();
        let db = rusqlite::Connection::open(work.path(name)).unwrap();
        let releases: i64 = db
            .query_row("SELECT count(*) FROM releases", [], |r| r.get(0))
            .unwrap();
        assert_eq!(releases, 2, "{name} replaced by --force");
    }
    // Its own database, again and again; one without the application id, as earlier versions
    // wrote it; an empty file; no file.
    export("claims.db", false).success();
    let db = rusqlite::Connection::open(work.path("claims.db")).unwrap();
    // Version 1: no application id, no sections table.
    db.execute_batch(
        "PRAGMA foreign_keys = OFF; PRAGMA application_id = 0; PRAGMA user_version = 1; \
         DROP TABLE sections;",
    )
    .unwrap();
    drop(db);
    export("claims.db", false).success();
    work.write("empty.db", "");
    export("empty.db", false).success();
    export("new.db", false).success();
    let db = rusqlite::Connection::open(work.path("new.db")).unwrap();
    let id: i32 = db
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .unwrap();
    assert_eq!(id, 0x4843_5044, "HCPD");
    // --force means nothing for the other formats.
    work.cmd()
        .args(["export", "2006-01", "--force"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--force is for --format sqlite"));
}

/// `import` and `fetch` say what they stored once it is stored: a standard output that cannot
/// take it then undoes nothing, so it is a warning and exit 0 (exit 2 would claim the store
/// was as before).
#[test]
fn import_and_fetch_into_a_failing_standard_output_store_and_say_so() {
    let cms = cms();
    for sink in [Sink::ClosedPipe, Sink::Full] {
        let work = Work::new();
        let source = fixture("oxygen/2005/HCPC2005_CONTR_ANWEB.txt");
        let args = ["import".to_string(), source.display().to_string()];
        let out = run_into(&work, &args, sink);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{sink:?}: {err}");
        assert!(
            err.contains("warning: could not write to standard output") && err.contains("store"),
            "{err}"
        );
        assert!(work.store().join("2005-01.jsonl").is_file());
        let fetch = ["fetch", "2005-04", "--base-url", &cms.base].map(String::from);
        let out = run_into(&work, &fetch, sink);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{sink:?}: {err}");
        assert!(
            err.contains("warning: could not write to standard output"),
            "{err}"
        );
        assert!(work.store().join("2005-04.jsonl").is_file());
        work.cmd().arg("list").assert().success();
    }
}

/// `audit claims.csv --output claims.csv` (or a watch list as `--output`): the report would be
/// renamed over the file being read. Refused before any work, however spelt, through a hard
/// link too, and the file is as it was.
#[test]
fn an_output_that_is_the_file_being_read_is_refused() {
    let work = oxygen();
    let claims = "claim,HCPCS\nc1,E1392\n";
    work.write("claims.csv", claims);
    work.write("watch.txt", "E1392\n");
    std::fs::hard_link(work.path("claims.csv"), work.path("linked.csv")).unwrap();
    let cases: [&[&str]; 5] = [
        &["audit", "claims.csv", "--output", "claims.csv"],
        &["audit", "claims.csv", "--output", "./sub/../claims.csv"],
        &["audit", "claims.csv", "--output", "linked.csv"],
        &[
            "diff",
            "2005-01",
            "2006-01",
            "--watch",
            "watch.txt",
            "--output",
            "watch.txt",
        ],
        &["check", "--watch", "watch.txt", "--output", "watch.txt"],
    ];
    std::fs::create_dir(work.path("sub")).unwrap();
    for args in cases {
        let out = work
            .cmd()
            .current_dir(work.dir.path())
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("which this command reads"), "{args:?}: {err}");
    }
    assert_eq!(
        std::fs::read_to_string(work.path("claims.csv")).unwrap(),
        claims
    );
    assert_eq!(
        std::fs::read_to_string(work.path("watch.txt")).unwrap(),
        "E1392\n"
    );
}

/// What `audit --help` promises of a report cut short: on standard output, a claims file found
/// changed while the report was being written (exit 2) leaves the part already written, which
/// the help says to throw away; `--output FILE` leaves nothing on an error writing it (a file
/// size limit stands for a full disk), a file already there as it was.
#[cfg(unix)]
#[test]
fn an_audit_cut_short_leaves_standard_output_partial_and_no_output_file() {
    use std::io::{Read, Seek, Write};
    let work = oxygen();
    let help = crate::util::stdout(&work.cmd().args(["audit", "--help"]).assert().success());
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains(
            "When the audited file turns out to have changed while it was read (exit 2), a \
             report on standard output may already be partly written"
        ) && help.contains("on any error nothing is left"),
        "{help}"
    );

    // Large enough that the report cannot be made before the test reads its first bytes: the
    // tool waits on the pipe with most of the file still to read.
    let rows = 400_000;
    let mut claims = String::from("claim,HCPCS\n");
    for i in 0..rows {
        let code = if i % 2 == 0 { "E1392" } else { "E0424" };
        claims.push_str(&format!("c{i},{code}\n"));
    }
    let path = work.write("claims.csv", &claims);
    let mut child = Command::new(env!("CARGO_BIN_EXE_hcpcs-diff"))
        .arg("--store")
        .arg(work.store())
        .env_remove("HCPCS_DIFF_STORE")
        .args(["audit", "claims.csv", "--format", "csv"])
        .current_dir(work.dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut report = vec![0; 1];
    stdout.read_exact(&mut report).unwrap();
    // The report has begun: the last row's code is changed in place, the size kept.
    let mut file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.seek(std::io::SeekFrom::End(-6)).unwrap();
    file.write_all(b"E0425\n").unwrap();
    drop(file);
    stdout.read_to_end(&mut report).unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("claims.csv: changed while it was being read"),
        "{err}"
    );
    let report = String::from_utf8(report).unwrap();
    assert!(
        report.starts_with("claim,line,given,code,"),
        "{report:.200}"
    );
    let lines = report.lines().count();
    assert!(lines > 1 && lines < rows + 1, "{lines} lines written");

    // --output: the report cannot be written whole (one block's file size limit), and an
    // existing file stays as it was, with nothing beside it.
    std::fs::write(&path, &claims).unwrap();
    let old = work.write("report.csv", "an older report\n");
    let out = crate::util::with_file_size_limit(&work.store())
        .args([
            "audit",
            "claims.csv",
            "--format",
            "csv",
            "--output",
            "report.csv",
        ])
        .current_dir(work.dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&old).unwrap(), "an older report\n");
    let mut names: Vec<_> = std::fs::read_dir(work.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["claims.csv", "report.csv", "store"]);
}
