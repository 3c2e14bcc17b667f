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
    let sha = hcpcs_diff::model::sha256_hex(&std::fs::read(fixture(OTHER)).unwrap());
    assert!(
        said.contains(&format!(
            "release 2006-01 (as given): 5 procedure codes, 2 modifiers, 2 warnings; revision 2 \
             from HCPC2005_CONTR_ANWEB.txt (sha256 {sha}), revision 1 kept as "
        )),
        "{said}"
    );
    assert!(said.contains("revisions/2006-01/1.jsonl; revision 2 is current in "));
    // The 2005 text given as 2006: imported as asked, with a word on why it may be wrong.
    assert_eq!(
        stderr(&out),
        "warning: HCPC2005_CONTR_ANWEB.txt: release id: --release 2006-01, but the name \
         HCPC2005_CONTR_ANWEB.txt says 2005-01\nwarning: HCPC2005_CONTR_ANWEB.txt: release id: \
         --release 2006-01, but the latest date in its records is 2004-01-01\n"
    );
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
    // `list` names it and still lists the rest.
    let listed = refused_by_diff_and_list(&work, "2006-01@1", &said);
    assert!(listed.contains("  2006-01@2 "), "{listed}");
    // A third revision, then the first removed: the gap is named.
    std::fs::write(&kept, whole).unwrap();
    work.cmd()
        .arg("import")
        .arg(fixture("oxygen/2006"))
        .assert()
        .success();
    std::fs::remove_file(&kept).unwrap();
    let said = format!(
        "error: {}: revision 1 is missing (found 2.jsonl); restore it from a backup\n",
        work.store().join("revisions/2006-01").display()
    );
    let listed = refused_by_diff_and_list(&work, "2006-01@2", &said);
    assert!(listed.starts_with("2006-01 "), "{listed}");
}

/// `diff REVISION 2006-01` and `list` both exit 2 saying `said`; what `list` still listed.
fn refused_by_diff_and_list(work: &Work, revision: &str, said: &str) -> String {
    let out = work
        .cmd()
        .args(["diff", revision, "2006-01"])
        .assert()
        .code(2);
    assert_eq!(stderr(&out), said);
    let out = work.cmd().arg("list").assert().code(2);
    assert_eq!(stderr(&out), said);
    stdout(&out)
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
            hcpcs_diff::model::sha256_hex(&std::fs::read(&later).unwrap())
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

/// Where the loopback server posts January 2005 (the catalogue's first name for it).
const JANUARY: &str = "/files/zip/january-2005-alpha-numeric-hcpcs-file.zip";
const JANUARY_ZIP: &str = "january-2005-alpha-numeric-hcpcs-file.zip";

/// One request the server saw: path, the `If-None-Match` it carried, the status answered and
/// the body sent to it.
type Seen = (String, Option<String>, u16, Vec<u8>);

/// A CMS on 127.0.0.1 that posts one zip at `JANUARY` (which the test changes between runs),
/// with an `ETag` if given (answering 304 to it), 404 elsewhere, and takes webhook POSTs at
/// `/hook` (200, or the status in `hook_status`).
struct Cms {
    server: std::sync::Arc<tiny_http::Server>,
    base: String,
    posted: std::sync::Arc<std::sync::Mutex<(Vec<u8>, Option<String>)>>,
    hook_status: std::sync::Arc<std::sync::Mutex<u16>>,
    seen: std::sync::Arc<std::sync::Mutex<Vec<Seen>>>,
}

impl Drop for Cms {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

impl Cms {
    fn new(zip: Vec<u8>, etag: Option<&str>) -> Self {
        use std::sync::{Arc, Mutex};
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let base = format!("http://{}", server.server_addr().to_ip().unwrap());
        let cms = Cms {
            server: server.clone(),
            base,
            posted: Arc::new(Mutex::new((zip, etag.map(str::to_string)))),
            hook_status: Arc::new(Mutex::new(200)),
            seen: Arc::default(),
        };
        let (posted, hook, seen) = (
            cms.posted.clone(),
            cms.hook_status.clone(),
            cms.seen.clone(),
        );
        std::thread::spawn(move || {
            for mut request in server.incoming_requests() {
                let path = request.url().to_string();
                let asked = request
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("If-None-Match"))
                    .map(|h| h.value.to_string());
                let mut body = Vec::new();
                std::io::Read::read_to_end(request.as_reader(), &mut body).unwrap();
                let (zip, etag) = posted.lock().unwrap().clone();
                let status = match path.as_str() {
                    "/hook" => *hook.lock().unwrap(),
                    JANUARY if etag.is_some() && asked == etag => 304,
                    JANUARY => 200,
                    _ => 404,
                };
                seen.lock()
                    .unwrap()
                    .push((path.clone(), asked, status, body));
                let mut response = if path == JANUARY && status == 200 {
                    tiny_http::Response::from_data(zip)
                } else {
                    tiny_http::Response::from_data(Vec::new())
                }
                .with_status_code(status);
                if let Some(tag) = etag.filter(|_| path == JANUARY) {
                    response.add_header(tiny_http::Header::from_bytes("ETag", tag).unwrap());
                }
                let _ = request.respond(response);
            }
        });
        cms
    }

    /// CMS re-posts January: another zip at the same URL.
    fn post(&self, zip: Vec<u8>, etag: Option<&str>) {
        *self.posted.lock().unwrap() = (zip, etag.map(str::to_string));
    }

    fn hook(&self) -> String {
        format!("{}/hook", self.base)
    }

    /// The requests for January's zip since the `from`-th request.
    fn january(&self, from: usize) -> Vec<(Option<String>, u16)> {
        self.seen.lock().unwrap()[from..]
            .iter()
            .filter(|s| s.0 == JANUARY)
            .map(|s| (s.1.clone(), s.2))
            .collect()
    }

    fn hooks(&self) -> Vec<Vec<u8>> {
        let seen = self.seen.lock().unwrap();
        seen.iter()
            .filter(|s| s.0 == "/hook")
            .map(|s| s.3.clone())
            .collect()
    }

    fn requests(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

/// A zip as CMS posts it: the fixture text of `year` as January 2005's release file, with a
/// README; `readme` varies the zip's bytes without changing its records.
fn january_zip(year: &str, readme: &str) -> Vec<u8> {
    let text = std::fs::read(fixture(&format!(
        "oxygen/{year}/HCPC{year}_CONTR_ANWEB.txt"
    )))
    .unwrap();
    zip_of(&[
        ("HCPC2005_CONTR_ANWEB.txt", &text),
        ("README.txt", readme.as_bytes()),
    ])
}

/// A store that fetched January 2005 from `cms`.
fn fetched_from(cms: &Cms) -> Work {
    let work = Work::new();
    work.cmd()
        .args(["fetch", "2005-01", "--base-url", &cms.base])
        .assert()
        .success();
    work
}

fn check(work: &Work, cms: &Cms) -> assert_cmd::assert::Assert {
    work.cmd()
        .args(["check", "--base-url", &cms.base, "--notify", &cms.hook()])
        .args(["--retries", "0"])
        .assert()
}

#[test]
fn a_re_post_at_the_same_url_makes_check_exit_1_name_the_revision_and_keep_both() {
    let first = january_zip("2005", "first posting\r\n");
    let cms = Cms::new(first.clone(), Some("\"v1\""));
    let work = fetched_from(&cms);
    let zip = work.store().join("downloads").join(JANUARY_ZIP);
    let posting = std::fs::read_to_string(format!("{}.posting.json", zip.display())).unwrap();
    assert!(posting.contains(r#""etag": "\"v1\"""#), "{posting}");
    // Not re-posted: the kept zip's ETag brings a 304; nothing is written or told.
    let state = work.store_state();
    let asked = cms.requests();
    let out = check(&work, &cms).code(0);
    assert!(stdout(&out).is_empty() && stderr(&out).is_empty());
    assert_eq!(cms.january(asked), [(Some("\"v1\"".to_string()), 304)]);
    assert_eq!(work.store_state(), state);
    assert!(cms.hooks().is_empty());

    // CMS re-posts January at the same URL with other records.
    let second = january_zip("2006", "second posting\r\n");
    cms.post(second.clone(), Some("\"v2\""));
    let asked = cms.requests();
    let out = check(&work, &cms).code(1);
    assert_eq!(cms.january(asked), [(Some("\"v1\"".to_string()), 200)]);
    let sha = hcpcs_diff::model::sha256_hex(&second);
    assert_eq!(
        stderr(&out),
        format!(
            "release 2005-01 re-posted: revision 2 from {}{JANUARY} ({JANUARY_ZIP}: \
             HCPC2005_CONTR_ANWEB.txt, sha256 {sha}) stored as current, revision 1 kept\n",
            cms.base
        )
    );
    let report = stdout(&out);
    assert!(
        report.starts_with("HCPCS 2005-01@1 -> 2005-01@2\nfrom ")
            && report.contains("\n1 retired, 0 dropped, 3 changed"),
        "{report}"
    );
    // The webhook has the changeset and the revision.
    let hooks = cms.hooks();
    assert_eq!(hooks.len(), 1);
    let body: serde_json::Value = serde_json::from_slice(&hooks[0]).unwrap();
    assert_eq!(body["new"]["revision"], 2);
    assert_eq!(body["summary"]["added"], 1);
    assert_eq!(body["revision"]["release"], "2005-01");
    assert_eq!(body["revision"]["number"], 2);
    assert_eq!(body["revision"]["previous"], 1);
    assert_eq!(body["revision"]["sha256"], sha.as_str());
    assert_eq!(
        body["revision"]["previous_sha256"],
        hcpcs_diff::model::sha256_hex(&first).as_str()
    );
    // Both revisions stay: the first posting's snapshot and zip beside it, the second current.
    let list = stdout(&work.cmd().arg("list").assert().success());
    assert!(
        list.lines().next().unwrap().ends_with("  2 revisions"),
        "{list}"
    );
    let kept = work.store().join("revisions/2005-01");
    let one = Snapshot::from_bytes("1", &std::fs::read(kept.join("1.jsonl")).unwrap()).unwrap();
    assert_eq!(
        one.provenance.source.sha256,
        hcpcs_diff::model::sha256_hex(&first)
    );
    assert_eq!(
        std::fs::read(kept.join(format!("1.{JANUARY_ZIP}"))).unwrap(),
        first
    );
    assert_eq!(std::fs::read(&zip).unwrap(), second);
    work.cmd()
        .args(["diff", "2005-01@1", "2005-01@2"])
        .assert()
        .code(1);

    // The next run asks with the new ETag: unchanged, nothing told.
    let state = work.store_state();
    let asked = cms.requests();
    check(&work, &cms).code(0);
    assert_eq!(cms.january(asked), [(Some("\"v2\"".to_string()), 304)]);
    assert_eq!(work.store_state(), state);
    assert_eq!(cms.hooks().len(), 1);
}

/// A re-zip that adds a corrections file: the same records, so no revision, but the corrections
/// are kept with the release, as `fetch` keeps them.
#[test]
fn a_re_zip_that_adds_a_corrections_file_keeps_it() {
    let cms = Cms::new(january_zip("2005", "first\r\n"), None);
    let work = fetched_from(&cms);
    let text = std::fs::read(fixture("oxygen/2005/HCPC2005_CONTR_ANWEB.txt")).unwrap();
    let corrections =
        b"\t2005 HCPCS CORRECTIONS\t\t\r\n\t\t\t\r\nCODE\tACTION\tEFF DATE\tXREF CODE\r\n\
                        K0738\tDiscontinue \t01/01/2006\tE1392\r\n";
    cms.post(
        zip_of(&[
            ("HCPC2005_CONTR_ANWEB.txt", &text),
            ("HCPC2005_Corrections.txt", corrections),
        ]),
        None,
    );
    check(&work, &cms).code(0);
    assert!(!work.store().join("revisions").exists());
    let kept = std::fs::read_to_string(work.store().join("2005-01.corrections.json")).unwrap();
    assert!(
        kept.contains(&format!("{JANUARY_ZIP}/HCPC2005_Corrections.txt")) && kept.contains("K0738"),
        "{kept}"
    );
}

#[test]
fn without_validators_the_sha256_decides_and_a_re_zip_is_no_change() {
    let cms = Cms::new(january_zip("2005", "first\r\n"), None);
    let work = fetched_from(&cms);
    let state = work.store_state();
    let asked = cms.requests();
    check(&work, &cms).code(0);
    assert_eq!(cms.january(asked), [(None, 200)]);
    assert_eq!(work.store_state(), state);
    // Re-zipped: other bytes, the same records. No change; the newer zip is kept, so its
    // SHA-256 is known next time.
    let rezipped = january_zip("2005", "re-zipped\r\n");
    cms.post(rezipped.clone(), None);
    let out = check(&work, &cms).code(0);
    assert!(stdout(&out).is_empty() && stderr(&out).is_empty());
    let after = work.store_state();
    assert_eq!(after["2005-01.jsonl"], state["2005-01.jsonl"]);
    assert_eq!(
        after[&format!("downloads/{JANUARY_ZIP}")],
        hcpcs_diff::model::sha256_hex(&rezipped)
    );
    assert!(!work.store().join("revisions").exists());
    check(&work, &cms).code(0);
    assert_eq!(work.store_state(), after);
    assert!(cms.hooks().is_empty());
    // A change of records is a re-post, even with nothing watched changed: stored, exit 0.
    cms.post(january_zip("2006", "second\r\n"), None);
    let watch = work.write("watch.txt", "E0424\n");
    let out = work
        .cmd()
        .args([
            "check",
            "--base-url",
            &cms.base,
            "--format",
            "json",
            "--watch",
        ])
        .arg(&watch)
        .assert()
        .code(0);
    assert_eq!(json(&out)["summary"]["changed"], 0);
    assert!(stderr(&out).contains("re-posted: revision 2 from"));
    assert!(work.store().join("revisions/2005-01/1.jsonl").is_file());
}

#[test]
fn a_failing_webhook_on_a_re_post_stores_nothing_so_the_next_run_reports_it() {
    let cms = Cms::new(january_zip("2005", "first\r\n"), Some("\"v1\""));
    let work = fetched_from(&cms);
    cms.post(january_zip("2006", "second\r\n"), Some("\"v2\""));
    *cms.hook_status.lock().unwrap() = 500;
    let before = work.store_state();
    let out = check(&work, &cms).code(2);
    let err = stderr(&out);
    assert!(
        err.contains("/hook: 1 attempt(s) failed; last: HTTP 500"),
        "{err}"
    );
    assert!(
        stdout(&out).starts_with("HCPCS 2005-01@1 -> 2005-01@2\n"),
        "the changelog was lost"
    );
    assert_eq!(work.store_state(), before);
    *cms.hook_status.lock().unwrap() = 200;
    let out = check(&work, &cms).code(1);
    assert!(stderr(&out).contains("re-posted: revision 2 from"));
}

#[test]
fn a_zip_kept_by_a_run_that_stored_no_snapshot_is_not_taken_for_the_stored_one() {
    let cms = Cms::new(january_zip("2005", "first\r\n"), Some("\"v1\""));
    let work = fetched_from(&cms);
    // What a run that kept the re-posted zip and then failed to store its snapshot leaves in
    // downloads/: the new zip, its .sha256 and its posting with the new ETag.
    let second = january_zip("2006", "second\r\n");
    cms.post(second.clone(), Some("\"v2\""));
    let other = fetched_from(&cms);
    for suffix in ["", ".sha256", ".posting.json"] {
        let name = format!("downloads/{JANUARY_ZIP}{suffix}");
        std::fs::copy(other.store().join(&name), work.store().join(&name)).unwrap();
    }
    // Its ETag is not sent and its SHA-256 is not taken for the stored revision's.
    let asked = cms.requests();
    let out = check(&work, &cms).code(1);
    assert_eq!(cms.january(asked), [(None, 200)]);
    assert!(stderr(&out).contains("re-posted: revision 2 from"));
    // The zip in the way held no stored revision: it is replaced, not moved beside revision 1.
    assert!(
        !work
            .store()
            .join(format!("revisions/2005-01/1.{JANUARY_ZIP}"))
            .exists()
    );
}

#[test]
fn a_re_post_over_the_size_cap_is_an_error_and_stores_nothing() {
    let cms = Cms::new(january_zip("2005", "first\r\n"), None);
    let work = fetched_from(&cms);
    // 3 MB that deflate cannot shrink.
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let noise: Vec<u8> = (0..3 << 20)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect();
    let text = std::fs::read(fixture("oxygen/2006/HCPC2006_CONTR_ANWEB.txt")).unwrap();
    cms.post(
        zip_of(&[("HCPC2005_CONTR_ANWEB.txt", &text), ("noise.bin", &noise)]),
        None,
    );
    let before = work.store_state();
    let out = work
        .cmd()
        .args(["check", "--base-url", &cms.base, "--max-mb", "1"])
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("larger than the 1048576-byte limit"),
        "{}",
        stderr(&out)
    );
    assert_eq!(work.store_state(), before);
}

#[test]
fn fetch_of_a_re_posted_release_stores_a_revision_and_force_replaces_the_current() {
    let first = january_zip("2005", "first\r\n");
    let cms = Cms::new(first.clone(), None);
    let work = fetched_from(&cms);
    cms.post(january_zip("2006", "second\r\n"), None);
    let out = work
        .cmd()
        .args(["fetch", "2005-01", "--base-url", &cms.base])
        .assert()
        .success();
    assert!(
        stdout(&out).contains("; a re-post: revision 2, now current; revision 1 kept as "),
        "{}",
        stdout(&out)
    );
    let kept = work.store().join("revisions/2005-01");
    assert_eq!(
        std::fs::read(kept.join(format!("1.{JANUARY_ZIP}"))).unwrap(),
        first
    );
    // --force replaces the current revision (revision 2) and leaves revision 1 alone.
    let before = work.store_state();
    cms.post(january_zip("2005", "third\r\n"), None);
    let out = work
        .cmd()
        .args(["fetch", "2005-01", "--force", "--base-url", &cms.base])
        .assert()
        .success();
    assert!(
        stdout(&out).contains("; replaced the stored snapshot;"),
        "{}",
        stdout(&out)
    );
    let after = work.store_state();
    assert_eq!(
        after["revisions/2005-01/1.jsonl"],
        before["revisions/2005-01/1.jsonl"]
    );
    assert_ne!(after["2005-01.jsonl"], before["2005-01.jsonl"]);
    assert!(!after.contains_key("revisions/2005-01/2.jsonl"));
}

/// A release stored with CMS's corrections applied is compared with a re-posting as corrected
/// too: a re-zip of the same file is no change, not a revision.
#[test]
fn a_re_zip_of_a_release_stored_with_corrections_applied_is_no_change() {
    let cms = Cms::new(january_zip("2005", "first\r\n"), None);
    let work = fetched_from(&cms);
    let corrections = work.write(
        "2005-corrections.txt",
        "CODE\tACTION\tEFF DATE\tXREF CODE\r\nK0738\tDiscontinue\t01/01/2006\tE1392\r\n",
    );
    work.cmd()
        .args(["import", "--corrections"])
        .arg(&corrections)
        .args(["--release", "2005-01"])
        .assert()
        .success();
    let kept = work.store().join("downloads").join(JANUARY_ZIP);
    let out = work
        .cmd()
        .arg("import")
        .arg(&kept)
        .args(["--release", "2005-01", "--apply-corrections", "--force"])
        .assert()
        .success();
    assert!(
        stdout(&out).starts_with("CMS corrections: 1 applied"),
        "{}",
        stdout(&out)
    );
    let stored = work.store_state()["2005-01.jsonl"].clone();
    cms.post(january_zip("2005", "re-zipped\r\n"), None);
    check(&work, &cms).code(0);
    assert_eq!(work.store_state()["2005-01.jsonl"], stored);
    assert!(!work.store().join("revisions").exists());
    assert!(cms.hooks().is_empty());
}

/// A new revision whose snapshot cannot be written (a file size limit that the copy of the
/// smaller current revision fits under, and the new snapshot does not) changes nothing: the
/// current snapshot stays, and the copy of it made for `revisions/` goes again.
#[cfg(unix)]
#[test]
fn a_revision_whose_snapshot_cannot_be_written_leaves_no_copy_of_the_current_one() {
    let text = std::fs::read(fixture("oxygen/2006/HCPC2006_CONTR_ANWEB.txt")).unwrap();
    let lines: Vec<&[u8]> = text.split_inclusive(|b| *b == b'\n').collect();
    // One code (E1392): a snapshot of well under 1024 bytes; the whole text's is over it.
    let one: Vec<u8> = lines
        .iter()
        .filter(|l| !l.starts_with(b"E") || l.starts_with(b"E1392"))
        .filter(|l| !l.starts_with(b"K") && !l.starts_with(b" "))
        .flat_map(|l| l.iter().copied())
        .collect();
    let work = Work::new();
    let old = work.write(
        "old.zip",
        crate::util::zip_of(&[("HCPC2006_CONTR_ANWEB.txt", &one)]),
    );
    let new = work.write(
        "new.zip",
        crate::util::zip_of(&[("HCPC2006_CONTR_ANWEB.txt", &text)]),
    );
    work.cmd().arg("import").arg(&old).assert().success();
    let before = std::fs::read(work.store().join("2006-01.jsonl")).unwrap();
    assert!(before.len() < 1024, "{}", before.len());
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -f 2 && exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_hcpcs-diff"))
        .arg("--store")
        .arg(work.store())
        .env_remove("HCPCS_DIFF_STORE")
        .arg("import")
        .arg(&new)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("2006-01.jsonl"), "{err}");
    assert_eq!(
        std::fs::read(work.store().join("2006-01.jsonl")).unwrap(),
        before
    );
    let kept = work.store().join("revisions/2006-01/1.jsonl");
    assert!(!kept.exists(), "{} was left: {err}", kept.display());
}
