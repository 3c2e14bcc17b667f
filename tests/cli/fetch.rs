//! `fetch` and `check` against an HTTP server on 127.0.0.1 that serves zips built from the
//! fixtures and injects faults; a webhook receiver checks what `check --notify` posts. Nothing
//! here reaches the internet.

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tiny_http::{Header, Response, Server, StatusCode};

use crate::util::{Work, fixture, json, stderr, stdout, zip_of};

/// What the server answers for a path on its n-th request (0-based).
#[derive(Clone)]
enum Reply {
    Body(Vec<u8>),
    Status(u16),
    /// Answer only after this long.
    Hang(Duration, Vec<u8>),
    /// Promise the whole body, send this many bytes, then break the connection.
    Reset(Vec<u8>, usize),
}

/// Every request the server saw: method, path and body.
type RequestLog = Arc<Mutex<Vec<(String, String, Vec<u8>)>>>;

struct Mock {
    server: Arc<Server>,
    pub base: String,
    pub requests: RequestLog,
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

/// A reader that fails after `left` bytes, as a connection reset mid-body does.
struct Breaking(std::io::Cursor<Vec<u8>>, usize);

impl Read for Breaking {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.1 == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "reset",
            ));
        }
        let n = buf.len().min(self.1);
        let n = self.0.read(&mut buf[..n])?;
        self.1 -= n;
        Ok(n)
    }
}

fn serve(route: impl Fn(&str, usize) -> Reply + Send + Sync + 'static) -> Mock {
    let server = Arc::new(Server::http("127.0.0.1:0").unwrap());
    let base = format!("http://{}", server.server_addr().to_ip().unwrap());
    let requests: RequestLog = Arc::default();
    let (s, log, route) = (server.clone(), requests.clone(), Arc::new(route));
    std::thread::spawn(move || {
        for mut request in s.incoming_requests() {
            let path = request.url().to_string();
            let mut body = Vec::new();
            request.as_reader().read_to_end(&mut body).unwrap();
            let n = {
                let mut log = log.lock().unwrap();
                log.push((request.method().to_string(), path.clone(), body));
                log.iter().filter(|(_, p, _)| *p == path).count() - 1
            };
            let route = route.clone();
            std::thread::spawn(move || {
                let _ = match route(&path, n) {
                    Reply::Body(b) => request.respond(Response::from_data(b)),
                    Reply::Status(code) => {
                        request.respond(Response::from_string("").with_status_code(code))
                    }
                    Reply::Hang(wait, b) => {
                        std::thread::sleep(wait);
                        request.respond(Response::from_data(b))
                    }
                    Reply::Reset(b, cut) => {
                        let len = b.len();
                        let reader = Breaking(std::io::Cursor::new(b), cut);
                        request.respond(Response::new(
                            StatusCode(200),
                            Vec::<Header>::new(),
                            reader,
                            Some(len),
                            None,
                        ))
                    }
                };
            });
        }
    });
    Mock {
        server,
        base,
        requests,
    }
}

fn release_zip(fixture_release: &str) -> Vec<u8> {
    let name = format!("HCPC{fixture_release}_CONTR_ANWEB.txt");
    let text = std::fs::read(fixture(&format!("oxygen/{fixture_release}/{name}"))).unwrap();
    zip_of(&[
        (name.as_str(), text.as_slice()),
        ("README.txt", b"fixture release\r\n"),
    ])
}

const APRIL_2005: &str = "/files/zip/april-2005-alpha-numeric-hcpcs-file.zip";

/// Serves the 2006 fixture as the April 2005 quarterly; everything else is 404.
fn cms_with_april() -> Mock {
    cms_serving_april(release_zip("2006"))
}

/// Serves `zip` as the April 2005 quarterly; everything else is 404.
fn cms_serving_april(zip: Vec<u8>) -> Mock {
    serve(move |path, _| {
        if path == APRIL_2005 {
            Reply::Body(zip.clone())
        } else {
            Reply::Status(404)
        }
    })
}

fn store_with_january() -> Work {
    Work::with(&[fixture("oxygen/2005")])
}

/// `fetch 2005-04` from `cms` into `work`'s store.
fn fetch_april(work: &Work, cms: &Mock) -> assert_cmd::Command {
    let mut c = work.cmd();
    c.args(["fetch", "2005-04", "--base-url", &cms.base]);
    c
}

#[test]
fn fetch_downloads_keeps_the_zip_with_its_sha256_and_imports() {
    let cms = cms_with_april();
    let work = store_with_january();
    let out = fetch_april(&work, &cms).assert().success();
    assert!(
        stdout(&out)
            .contains("release 2005-04: 6 procedure codes, 2 modifiers; imported; zip kept as"),
        "{}",
        stdout(&out)
    );
    let zip = work
        .store()
        .join("downloads/april-2005-alpha-numeric-hcpcs-file.zip");
    assert_eq!(std::fs::read(&zip).unwrap(), release_zip("2006"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&zip).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "a kept zip is an ordinary file");
    let sum = std::fs::read_to_string(
        work.store()
            .join("downloads/april-2005-alpha-numeric-hcpcs-file.zip.sha256"),
    )
    .unwrap();
    assert_eq!(
        sum,
        format!(
            "{}  april-2005-alpha-numeric-hcpcs-file.zip\n",
            hcpcs_diff::source::sha256_hex(&release_zip("2006"))
        )
    );
    assert!(work.store().join("2005-04.jsonl").is_file());
}

/// Serves the 2006 fixture as the April 2005 quarterly with `corrections` beside it in the zip.
fn cms_with_april_and_corrections(corrections: &'static [u8]) -> Mock {
    let text = std::fs::read(fixture("oxygen/2006/HCPC2006_CONTR_ANWEB.txt")).unwrap();
    cms_serving_april(zip_of(&[
        ("HCPC2006_CONTR_ANWEB.txt", text.as_slice()),
        ("HCPC2005_APR_Corrections.txt", corrections),
    ]))
}

/// `fetch` and `check` keep the corrections file in a release zip, as `import` does; one that
/// cannot be read is said, and the release is stored without it.
#[test]
fn fetch_and_check_keep_the_corrections_in_the_zip_or_say_why_not() {
    let good: &[u8] =
        b"\t2005 HCPCS CORRECTIONS\t\t\r\n\t\t\t\r\nCODE\tACTION\tEFF DATE\tXREF CODE\r\n\
                        K0738\tDiscontinue \t04/01/2005\tE1392\r\n";
    let cms = cms_with_april_and_corrections(good);
    let work = store_with_january();
    let out = fetch_april(&work, &cms).assert().success();
    assert!(
        stdout(&out).ends_with(
            "2005-04: kept corrections april-2005-alpha-numeric-hcpcs-file.zip/HCPC2005_APR_Corrections.txt\n"
        ),
        "{}",
        stdout(&out)
    );
    let kept = std::fs::read_to_string(work.store().join("2005-04.corrections.json")).unwrap();
    assert!(kept.contains("K0738"), "{kept}");

    let bad: &[u8] = b"CODE\tACTION\r\n(see note)\tADD CODE\r\n";
    let cms = cms_with_april_and_corrections(bad);
    let work = store_with_january();
    let out = work
        .cmd()
        .args(["check", "--base-url", &cms.base])
        .assert()
        .code(1);
    assert!(
        stderr(&out).contains(
            "warning: april-2005-alpha-numeric-hcpcs-file.zip/HCPC2005_APR_Corrections.txt: not a \
             corrections file CMS writes: line 2: column CODE: '(see note)' is not a HCPCS code \
             or modifier: release 2005-04 is stored without its corrections"
        ),
        "{}",
        stderr(&out)
    );
    assert!(work.store().join("2005-04.jsonl").is_file());
    assert!(!work.store().join("2005-04.corrections.json").exists());
}

#[test]
fn the_landing_page_links_are_tried_first() {
    let zip = release_zip("2006");
    let cms = serve(move |path, _| {
        match path {
        "/medicare/coding-billing/healthcare-common-procedure-system/quarterly-update" => Reply::Body(
            br#"<a href="/files/zip/april-2005-alpha-numeric-hcpcs-files-v2.zip">April 2005</a>"#.to_vec(),
        ),
        "/files/zip/april-2005-alpha-numeric-hcpcs-files-v2.zip" => Reply::Body(zip.clone()),
        _ => Reply::Status(404),
    }
    });
    let work = store_with_january();
    fetch_april(&work, &cms).assert().success();
    let paths: Vec<String> = cms
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.1.clone())
        .collect();
    assert_eq!(paths.len(), 2, "{paths:?}");
}

/// Runs `fetch 2005-04` against `cms` and checks it fails with `message`, leaving the store and
/// the downloads folder as they were.
fn fetch_fails(cms: &Mock, extra: &[&str], message: &str) {
    let work = store_with_january();
    let before = work.store_state();
    let out = fetch_april(&work, cms).args(extra).assert().code(2);
    let err = stderr(&out);
    assert!(err.contains(message), "{err}");
    assert_eq!(work.store_state(), before, "the store changed");
    let downloads: Vec<String> = std::fs::read_dir(work.store().join("downloads"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        downloads.is_empty(),
        "files left in downloads: {downloads:?}"
    );
}

#[test]
fn a_release_not_posted_is_an_error_for_fetch_and_tries_no_more() {
    let cms = serve(|_, _| Reply::Status(404));
    fetch_fails(&cms, &[], "release 2005-04 is not posted (404 from ");
    let hits = cms.requests.lock().unwrap().len();
    assert_eq!(
        hits, 3,
        "landing page and two catalogue names, each once: no retry on 404"
    );
}

#[test]
fn a_server_error_is_retried_then_succeeds() {
    let zip = release_zip("2006");
    let cms = serve(move |path, n| match (path, n) {
        (APRIL_2005, 0) => Reply::Status(500),
        (APRIL_2005, _) => Reply::Body(zip.clone()),
        _ => Reply::Status(404),
    });
    let work = store_with_january();
    fetch_april(&work, &cms).assert().success();
    let attempts = cms
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.1 == APRIL_2005)
        .count();
    assert_eq!(attempts, 2);
}

#[test]
fn a_server_that_hangs_past_the_timeout_fails_cleanly() {
    let zip = release_zip("2006");
    let cms = serve(move |path, _| {
        if path == APRIL_2005 {
            Reply::Hang(Duration::from_secs(4), zip.clone())
        } else {
            Reply::Status(404)
        }
    });
    fetch_fails(
        &cms,
        &["--timeout", "1", "--retries", "1"],
        "april-2005-alpha-numeric-hcpcs-file.zip: 2 attempt(s) failed",
    );
}

#[test]
fn a_connection_reset_mid_body_leaves_no_partial_file() {
    let zip = release_zip("2006");
    let cut = zip.len() / 2;
    let cms = serve(move |path, _| {
        if path == APRIL_2005 {
            Reply::Reset(zip.clone(), cut)
        } else {
            Reply::Status(404)
        }
    });
    fetch_fails(
        &cms,
        &["--retries", "1", "--timeout", "2"],
        "2 attempt(s) failed",
    );
}

#[test]
fn a_truncated_zip_is_refused_at_import() {
    let zip = release_zip("2006");
    let half = zip[..zip.len() / 2].to_vec();
    let cms = serve(move |path, _| {
        if path == APRIL_2005 {
            Reply::Body(half.clone())
        } else {
            Reply::Status(404)
        }
    });
    fetch_fails(
        &cms,
        &[],
        "april-2005-alpha-numeric-hcpcs-file.zip: not a readable zip archive",
    );
}

#[test]
fn an_html_page_with_status_200_is_not_a_release() {
    let cms = serve(|path, _| {
        if path == APRIL_2005 {
            Reply::Body(
                b"<!DOCTYPE html><html><body>Sorry, this page has moved</body></html>".to_vec(),
            )
        } else {
            Reply::Status(404)
        }
    });
    fetch_fails(
        &cms,
        &[],
        "not a zip (an HTML page); a server error page answered with status 200?",
    );
}

#[test]
fn a_download_over_the_size_cap_is_refused() {
    let zip = release_zip("2006");
    let big = [zip.clone(), vec![0u8; 2 * 1024 * 1024]].concat();
    let cms = serve(move |path, _| {
        if path == APRIL_2005 {
            Reply::Body(big.clone())
        } else {
            Reply::Status(404)
        }
    });
    fetch_fails(
        &cms,
        &["--max-mb", "1"],
        "larger than the 1048576-byte limit",
    );
}

#[test]
fn check_imports_what_is_new_once_and_notifies_the_webhook() {
    let cms = cms_with_april();
    let hook = serve(|_, _| Reply::Body(b"ok".to_vec()));
    let work = store_with_january();
    let report = work.path("changes.md");
    let notify = format!("{}/hooks/hcpcs", hook.base);
    let args = [
        "check",
        "--base-url",
        &cms.base,
        "--format",
        "markdown",
        "--notify",
        &notify,
    ];
    let out = work
        .cmd()
        .args(args)
        .arg("--output")
        .arg(&report)
        .assert()
        .code(1);
    assert!(
        stderr(&out).contains("imported 2005-04"),
        "{}",
        stderr(&out)
    );
    assert!(
        std::fs::read_to_string(&report)
            .unwrap()
            .starts_with("# HCPCS changes 2005-01 → 2005-04")
    );
    let posted = hook.requests.lock().unwrap().clone();
    assert_eq!(posted.len(), 1);
    assert_eq!(
        (posted[0].0.as_str(), posted[0].1.as_str()),
        ("POST", "/hooks/hcpcs")
    );
    let body: serde_json::Value = serde_json::from_slice(&posted[0].2).unwrap();
    assert_eq!(body["schema_version"], 4);
    assert_eq!(body["new"]["release"], "2005-04");
    assert_eq!(body["summary"]["added"], 1);
    let state = work.store_state();

    // Nothing new now: no import, no webhook, exit 0; July was asked for, and April's posting
    // once more (the same zip: no change).
    let asked = cms.requests.lock().unwrap().len();
    let out = work
        .cmd()
        .args(args)
        .arg("--output")
        .arg(&report)
        .assert()
        .code(0);
    assert!(stdout(&out).is_empty());
    assert_eq!(work.store_state(), state);
    assert_eq!(hook.requests.lock().unwrap().len(), 1);
    let paths: Vec<String> = cms.requests.lock().unwrap()[asked..]
        .iter()
        .map(|r| r.1.clone())
        .collect();
    assert!(paths.iter().any(|p| p.contains("july")), "{paths:?}");
    let april: Vec<&String> = paths.iter().filter(|p| p.contains("april")).collect();
    assert_eq!(april, [APRIL_2005], "{paths:?}");
}

/// `check --excel` writes the CSV changelog as `diff --excel` does, with a byte-order mark for
/// Excel; with another format it is refused before anything is fetched or stored.
#[test]
fn check_writes_a_csv_for_excel_and_refuses_excel_for_other_formats() {
    let cms = cms_with_april();
    let work = store_with_january();
    let before = work.store_state();
    let out = work
        .cmd()
        .args(["check", "--base-url", &cms.base, "--excel"])
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("use it with --format csv"),
        "{}",
        stderr(&out)
    );
    assert_eq!(work.store_state(), before);
    assert!(cms.requests.lock().unwrap().is_empty());
    let report = work.path("changes.csv");
    work.cmd()
        .args([
            "check",
            "--base-url",
            &cms.base,
            "--format",
            "csv",
            "--excel",
        ])
        .arg("--output")
        .arg(&report)
        .assert()
        .code(1);
    let bytes = std::fs::read(&report).unwrap();
    assert!(
        bytes.starts_with("\u{FEFF}old_release,new_release,code,description,".as_bytes()),
        "{}",
        String::from_utf8_lossy(&bytes)
    );
}

#[test]
fn check_with_a_watch_list_exits_0_when_nothing_watched_changed() {
    let cms = cms_with_april();
    let work = store_with_january();
    let watch = work.write("watch.txt", "E0424   # unchanged in the fixtures\n");
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
    assert!(
        work.store().join("2005-04.jsonl").is_file(),
        "the new release is stored all the same"
    );
}

#[test]
fn a_failing_webhook_stores_nothing_so_the_next_run_tries_again() {
    let cms = cms_with_april();
    let hook = serve(|_, _| Reply::Status(500));
    let work = store_with_january();
    let before = work.store_state();
    let notify = format!("{}/hook", hook.base);
    let out = work
        .cmd()
        .args(["check", "--base-url", &cms.base, "--notify", &notify])
        .assert()
        .code(2);
    assert!(stderr(&out).contains("/hook: HTTP 500"), "{}", stderr(&out));
    assert_eq!(work.store_state(), before);
}

#[test]
fn two_checks_at_once_do_the_work_once() {
    let zip = release_zip("2006");
    // A slow answer keeps the first run inside its lock while the second starts.
    let cms = serve(move |path, _| {
        if path == APRIL_2005 {
            Reply::Hang(Duration::from_millis(800), zip.clone())
        } else {
            Reply::Status(404)
        }
    });
    let work = store_with_january();
    let spawn = || {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("hcpcs-diff"));
        cmd.arg("--store")
            .arg(work.store())
            .args(["check", "--base-url", &cms.base]);
        cmd.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn(), spawn());
    let mut codes = [a.wait().unwrap().code(), b.wait().unwrap().code()];
    codes.sort();
    assert_eq!(codes, [Some(0), Some(1)]);
    let april = cms
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.1 == APRIL_2005)
        .count();
    // Once imported by the first run, once re-checked by the second, which found it stored.
    assert_eq!(april, 2, "April was asked for twice");
    let snapshots: Vec<String> = work
        .store_state()
        .into_keys()
        .filter(|k| k.ends_with(".jsonl"))
        .collect();
    assert_eq!(snapshots, ["2005-01.jsonl", "2005-04.jsonl"]);
    assert!(!work.store().join("revisions").exists());
}

#[test]
fn a_local_folder_of_zips_serves_as_a_mirror() {
    let work = store_with_january();
    let mirror = work.path("mirror");
    std::fs::create_dir(&mirror).unwrap();
    std::fs::write(
        mirror.join("april-2005-alpha-numeric-hcpcs-file.zip"),
        release_zip("2006"),
    )
    .unwrap();
    let out = work
        .cmd()
        .args(["check", "--format", "json", "--base-url"])
        .arg(&mirror)
        .assert()
        .code(1);
    assert_eq!(json(&out)["new"]["release"], "2005-04");
    work.cmd()
        .args(["check", "--base-url"])
        .arg(&mirror)
        .assert()
        .code(0);
}

/// Makes keeping the April zip fail: a folder stands where the zip would be kept.
fn block_the_zip(work: &Work) {
    let blocker = work
        .store()
        .join("downloads/april-2005-alpha-numeric-hcpcs-file.zip");
    std::fs::create_dir_all(&blocker).unwrap();
    std::fs::write(blocker.join("in-the-way"), b"x").unwrap();
}

#[test]
fn a_zip_that_cannot_be_kept_stores_nothing_for_fetch_or_check() {
    let cms = cms_with_april();
    let work = store_with_january();
    block_the_zip(&work);
    let before = work.store_state();
    for args in [vec!["fetch", "2005-04"], vec!["check"]] {
        work.cmd()
            .args(&args)
            .args(["--base-url", &cms.base, "--retries", "0"])
            .assert()
            .code(2);
        assert_eq!(work.store_state(), before, "{args:?} changed the store");
    }
    // The changelog is not lost: once the zip can be kept, the next check does the whole job.
    std::fs::remove_dir_all(work.store().join("downloads")).unwrap();
    let out = work
        .cmd()
        .args(["check", "--format", "json", "--base-url", &cms.base])
        .assert()
        .code(1);
    assert_eq!(json(&out)["new"]["release"], "2005-04");
}

#[test]
fn a_url_with_an_empty_last_segment_is_refused_before_download() {
    let cms = cms_with_april();
    let work = store_with_january();
    let before = work.store_state();
    let url = format!("{}/files/zip/", cms.base);
    let out = work
        .cmd()
        .args(["fetch", "2005-04", "--url", &url])
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("names no file to keep the zip as"),
        "{}",
        stderr(&out)
    );
    assert!(cms.requests.lock().unwrap().is_empty(), "it downloaded");
    assert_eq!(work.store_state(), before);
}

/// A server on a raw socket that promises `len` bytes and sends one every 50 ms, for as long
/// as anyone listens: `--timeout` (each read) never fires, only the deadline can end it.
fn trickling_server(len: usize) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                use std::io::Write;
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\nPK\x03\x04");
                if stream.write_all(head.as_bytes()).is_err() {
                    return;
                }
                while stream.write_all(b"x").and_then(|()| stream.flush()).is_ok() {
                    std::thread::sleep(Duration::from_millis(50));
                }
            });
        }
    });
    base
}

#[test]
fn a_body_trickling_in_ends_at_the_deadline() {
    let base = trickling_server(1_000_000);
    let work = store_with_january();
    let before = work.store_state();
    let started = std::time::Instant::now();
    let url = format!("{base}/files/zip/april-2005-alpha-numeric-hcpcs-file.zip");
    let out = work
        .cmd()
        .args(["fetch", "2005-04", "--url", &url])
        .args(["--timeout", "1", "--deadline", "2", "--retries", "3"])
        .assert()
        .code(2);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(
        stderr(&out).contains("not complete after 2 s (--deadline)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(work.store_state(), before);
}

/// The first day of the quarter `today` falls in, and the quarter after it, as release ids.
fn this_and_next_quarter() -> (String, String) {
    use chrono::Datelike;
    let today = chrono::Utc::now().date_naive();
    let month = today.month0() / 3 * 3 + 1;
    let next = if month == 10 {
        format!("{}-01", today.year() + 1)
    } else {
        format!("{}-{:02}", today.year(), month + 3)
    };
    (format!("{}-{month:02}", today.year()), next)
}

#[test]
fn check_against_a_server_that_answers_everything_stops_at_the_next_quarter() {
    let zip = release_zip("2006");
    let cms = serve(move |_, _| Reply::Body(zip.clone()));
    let (this, next) = this_and_next_quarter();
    let work = Work::new();
    work.cmd()
        .arg("import")
        .arg(fixture("oxygen/2005"))
        .args(["--release", &this])
        .assert()
        .success();
    let out = work
        .cmd()
        .args(["check", "--format", "json", "--base-url", &cms.base])
        .assert()
        .code(1);
    assert_eq!(json(&out)["new"]["release"], next.as_str());
    assert!(
        stderr(&out).contains(&format!("imported {next}\n")),
        "{}",
        stderr(&out)
    );
    let zips = cms
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.1.ends_with(".zip"))
        .count();
    assert_eq!(zips, 1, "only the next quarter was probed");
}

#[test]
fn a_landing_page_over_the_size_cap_is_ignored_like_a_download() {
    let zip = release_zip("2006");
    let mut page = vec![b' '; 2 << 20];
    page.extend_from_slice(
        br#"<a href="/files/zip/april-2005-alpha-numeric-hcpcs-files-v2.zip">April 2005</a>"#,
    );
    let cms = serve(move |path, _| match path {
        "/medicare/coding-billing/healthcare-common-procedure-system/quarterly-update" => {
            Reply::Body(page.clone())
        }
        "/files/zip/april-2005-alpha-numeric-hcpcs-files-v2.zip" => Reply::Body(zip.clone()),
        _ => Reply::Status(404),
    });
    fetch_fails(&cms, &["--max-mb", "1"], "release 2005-04 is not posted");
    let v2 = cms
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.1.ends_with("-v2.zip"))
        .count();
    assert_eq!(v2, 0, "a link past the cap was followed");
}
