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
    /// This status with these headers and body.
    With(u16, Vec<(&'static str, String)>, Vec<u8>),
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
                    Reply::With(code, headers, b) => {
                        let mut response = Response::from_data(b).with_status_code(code);
                        for (name, value) in headers {
                            response.add_header(
                                Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap(),
                            );
                        }
                        request.respond(response)
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
            hcpcs_diff::model::sha256_hex(&release_zip("2006"))
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

/// A webhook that keeps failing, after its retries: the changelog is on standard output all
/// the same (a webhook does not lose it), exit 2 and nothing stored, so the next run reports
/// and notifies again.
#[test]
fn a_failing_webhook_keeps_the_changelog_stores_nothing_so_the_next_run_tries_again() {
    let cms = cms_with_april();
    let hook = serve(|_, _| Reply::Status(500));
    let work = store_with_january();
    let before = work.store_state();
    let notify = format!("{}/hook", hook.base);
    let out = work
        .check_notifying(&cms.base, &notify)
        .args(["--retries", "2"])
        .assert()
        .code(2);
    let err = stderr(&out);
    assert!(
        err.contains("/hook: 3 attempt(s) failed; last: HTTP 500"),
        "{err}"
    );
    assert!(
        stdout(&out).starts_with("HCPCS 2005-01 -> 2005-04\n"),
        "the changelog was lost: {}",
        stdout(&out)
    );
    assert_eq!(
        hook.requests.lock().unwrap().len(),
        3,
        "--retries 2: three posts"
    );
    assert_eq!(work.store_state(), before);

    // The next run, the webhook mended, does the whole job.
    let hook = serve(|_, _| Reply::Body(b"ok".to_vec()));
    let notify = format!("{}/hook", hook.base);
    let out = work.check_notifying(&cms.base, &notify).assert().code(1);
    assert!(stdout(&out).starts_with("HCPCS 2005-01 -> 2005-04\n"));
    assert!(work.store().join("2005-04.jsonl").is_file());
}

/// A webhook that fails twice (429, 503), then answers: retried as downloads are (`--retries`), the run
/// succeeds and the webhook got the changeset once answered.
#[test]
fn a_webhook_failing_then_answering_is_retried() {
    let cms = cms_with_april();
    // Too many requests (429), then a server error: both say the message was not taken.
    let hook = serve(|_, n| match n {
        0 => Reply::Status(429),
        1 => Reply::Status(503),
        _ => Reply::Body(b"ok".to_vec()),
    });
    let work = store_with_january();
    let notify = format!("{}/hook", hook.base);
    let out = work
        .check_notifying(&cms.base, &notify)
        .args(["--retries", "2", "--format", "json"])
        .assert()
        .code(1);
    assert_eq!(json(&out)["new"]["release"], "2005-04");
    let posted = hook.requests.lock().unwrap().clone();
    assert_eq!(posted.len(), 3);
    for (_, _, body) in &posted {
        let body: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(body["new"]["release"], "2005-04");
    }
    assert!(work.store().join("2005-04.jsonl").is_file());

    // An answer that is not a server error (400) is not retried.
    let hook = serve(|_, _| Reply::Status(400));
    let work = store_with_january();
    let notify = format!("{}/hook", hook.base);
    let out = work
        .check_notifying(&cms.base, &notify)
        .args(["--retries", "2"])
        .assert()
        .code(2);
    assert!(stderr(&out).contains("/hook: HTTP 400"), "{}", stderr(&out));
    assert_eq!(hook.requests.lock().unwrap().len(), 1);
}

/// A gateway's 502 or 504 does not say the webhook behind it did not take the message (it may
/// have, and answered too late or badly): not retried, so that a chat does not show it twice;
/// exit 2 at once saying it may have been delivered, nothing stored. Without the answer the
/// message would have been posted again, and the run would have succeeded at the second post.
#[test]
fn a_gateways_502_or_504_is_not_retried() {
    let cms = cms_with_april();
    for status in [502, 504, 524] {
        let hook = serve(move |_, n| match n {
            0 => Reply::Status(status),
            _ => Reply::Body(b"ok".to_vec()),
        });
        let work = store_with_january();
        let before = work.store_state();
        let notify = format!("{}/hook", hook.base);
        let out = work
            .check_notifying(&cms.base, &notify)
            .args(["--retries", "2"])
            .assert()
            .code(2);
        assert_eq!(hook.requests.lock().unwrap().len(), 1, "HTTP {status}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "/hook: HTTP {status} from a gateway, which cannot know whether the server \
                 behind it took the message; the message may have been delivered"
            )),
            "{err}"
        );
        assert!(stdout(&out).starts_with("HCPCS 2005-01 -> 2005-04\n"));
        assert_eq!(work.store_state(), before);
    }
}

/// A webhook answering with a redirect is not followed, and the error says what the status
/// tells of the message: a 307 or 308 (here a loop of them, which was posted again at each
/// step until the limit and then said "may have been delivered") and a 301 (which was
/// followed as a GET without the message, and a page answering it taken for delivery, the
/// release stored) say it was not taken; a 303 may answer a message the server took. Each
/// time one POST, exit 2 and nothing stored.
#[test]
fn a_webhook_answering_with_a_redirect_is_not_followed() {
    let cms = cms_with_april();
    for (status, known) in [
        (
            307,
            "a 307 says the message was not taken here, and it was sent nowhere else",
        ),
        (
            301,
            "a 301 says the message was not taken here, and it was sent nowhere else",
        ),
        (
            303,
            "a 303 may answer a message the server took, so it may have been delivered",
        ),
    ] {
        let target = Arc::new(Mutex::new(String::new()));
        let to = target.clone();
        // The redirect points back at the hook (a loop for a 307), any other path answers.
        let hook = serve(move |path, _| {
            if path == "/hook" {
                Reply::With(
                    status,
                    vec![("Location", to.lock().unwrap().clone())],
                    vec![],
                )
            } else {
                Reply::Body(b"a page".to_vec())
            }
        });
        let moved = if status == 307 { "hook" } else { "moved" };
        *target.lock().unwrap() = format!("{}/{moved}", hook.base);
        let work = store_with_january();
        let before = work.store_state();
        let notify = format!("{}/hook", hook.base);
        let out = work.check_notifying(&cms.base, &notify).assert().code(2);
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "/hook: HTTP {status} redirects to {}/{moved}, not followed: a webhook is posted \
                 only to the address given (give --notify the one named); {known}\n",
                hook.base
            )),
            "{err}"
        );
        let requests = hook.requests.lock().unwrap().clone();
        assert_eq!(requests.len(), 1, "HTTP {status}: {requests:?}");
        assert_eq!(requests[0].0, "POST");
        assert_eq!(work.store_state(), before, "HTTP {status}");
    }
    // A 304 is no redirect (and no answer to a POST): an error naming it, at once.
    let hook = serve(|_, _| Reply::Status(304));
    let notify = format!("{}/hook", hook.base);
    let out = store_with_january()
        .check_notifying(&cms.base, &notify)
        .assert()
        .code(2);
    assert!(
        stderr(&out).ends_with("/hook: HTTP 304\n"),
        "{}",
        stderr(&out)
    );
    assert_eq!(hook.requests.lock().unwrap().len(), 1);
    // A Location of any length is quoted cut to 200 characters.
    let far = format!("http://127.0.0.1/{}", "a".repeat(5000));
    let hook = serve(move |_, _| Reply::With(308, vec![("Location", far.clone())], vec![]));
    let notify = format!("{}/hook", hook.base);
    let out = store_with_january()
        .check_notifying(&cms.base, &notify)
        .assert()
        .code(2);
    let err = stderr(&out);
    let quoted = format!("http://127.0.0.1/{}", "a".repeat(200 - 17));
    assert!(
        err.contains(&format!("redirects to {quoted}, not followed")),
        "{err:.400}"
    );
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
    let url = format!("{base}/files/zip/april-2005-alpha-numeric-hcpcs-file.zip");
    // Without the deadline the body would take 14 hours (a million bytes at 20 a second): the
    // limit only stops such a run, thirty times the 2 s deadline for a busy machine. The
    // message says the deadline ended it.
    let out = work
        .cmd()
        .args(["fetch", "2005-04", "--url", &url])
        .args(["--timeout", "1", "--deadline", "2", "--retries", "3"])
        .timeout(Duration::from_secs(60))
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("not complete after 2 s (--deadline)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(work.store_state(), before);
}

#[test]
fn check_against_a_server_that_answers_everything_stops_at_the_next_quarter() {
    let zip = release_zip("2006");
    let cms = serve(move |_, _| Reply::Body(zip.clone()));
    let work = Work::new();
    work.cmd()
        .arg("import")
        .arg(fixture("oxygen/2005"))
        .args(["--release", "2020-04"])
        .assert()
        .success();
    let out = work
        .cmd()
        .args(["check", "--format", "json", "--base-url", &cms.base])
        .args(["--today", "2020-06-30"])
        .assert()
        .code(1);
    assert_eq!(json(&out)["new"]["release"], "2020-07");
    assert!(
        stderr(&out).contains("imported 2020-07\n"),
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

/// The 2006 fixture as a zip, with `edits` (same-length replacements, so that the fixed-width
/// columns stay put) made to its text.
fn edited_zip(edits: &[(&str, &str)]) -> Vec<u8> {
    let name = "HCPC2006_CONTR_ANWEB.txt";
    let mut text =
        String::from_utf8(std::fs::read(fixture(&format!("oxygen/2006/{name}"))).unwrap()).unwrap();
    for (from, to) in edits {
        assert_eq!(from.len(), to.len());
        assert!(text.contains(from), "{from}");
        text = text.replace(from, to);
    }
    zip_of(&[(name, text.as_bytes())])
}

/// Three quarters posted since the newest stored release (January): `check` fetches April,
/// July and October in order, stores each as its own release, diffs January against October
/// (the newest now against the newest before), says `imported 2005-04, 2005-07, 2005-10`, and
/// probes no further than the quarter after today.
#[test]
fn check_finding_three_quarters_stores_each_and_diffs_the_newest_against_the_old_newest() {
    const E0424: &str = "Stationary compressed gaseous oxygen system, rental";
    const E0431: &str = "Portable gaseous oxygen system, rental";
    let leased = |s: &str| s.replace("rental", "leased");
    let april = release_zip("2006");
    let july = edited_zip(&[(E0424, &leased(E0424))]);
    let october = edited_zip(&[(E0424, &leased(E0424)), (E0431, &leased(E0431))]);
    let cms = serve(move |path, _| {
        let zip = |month: &str| format!("/files/zip/{month}-2005-alpha-numeric-hcpcs-file.zip");
        match path {
            p if p == zip("april") => Reply::Body(april.clone()),
            p if p == zip("july") => Reply::Body(july.clone()),
            p if p == zip("october") => Reply::Body(october.clone()),
            _ => Reply::Status(404),
        }
    });
    let hook = serve(|_, _| Reply::Body(b"ok".to_vec()));
    let work = store_with_january();
    let notify = format!("{}/hook", hook.base);
    let out = work
        .cmd()
        .args(["check", "--format", "json", "--base-url", &cms.base])
        .args(["--notify", &notify, "--today", "2005-08-15"])
        .assert()
        .code(1);
    assert!(
        stderr(&out).starts_with("imported 2005-04, 2005-07, 2005-10\n"),
        "{}",
        stderr(&out)
    );
    // The pair diffed: January (the newest before) against October (the newest now). E0424
    // changed in July and E0431 in October: both show.
    let report = json(&out);
    assert_eq!(report["old"]["release"], "2005-01");
    assert_eq!(report["new"]["release"], "2005-10");
    let changed = |code: &str| {
        report["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .map(|c| c.to_string())
            .unwrap_or_default()
    };
    assert!(changed("E0424").contains("leased"), "{report}");
    assert!(changed("E0431").contains("leased"), "{report}");
    let posted = hook.requests.lock().unwrap().clone();
    assert_eq!(posted.len(), 1, "one webhook for the run");
    let body: serde_json::Value = serde_json::from_slice(&posted[0].2).unwrap();
    assert_eq!(
        (
            body["old"]["release"].as_str(),
            body["new"]["release"].as_str()
        ),
        (Some("2005-01"), Some("2005-10"))
    );
    // Probed in order, and no further than 2005-10, the quarter after 2005-08-15.
    let probed: Vec<String> = cms
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.1.clone())
        .filter(|p| p.ends_with("-2005-alpha-numeric-hcpcs-file.zip"))
        .collect();
    assert_eq!(
        probed,
        ["april", "july", "october"]
            .map(|m| format!("/files/zip/{m}-2005-alpha-numeric-hcpcs-file.zip"))
    );
    assert!(
        !cms.requests
            .lock()
            .unwrap()
            .iter()
            .any(|r| r.1.contains("2006")),
        "probed past the quarter after today"
    );
    // Each quarter stored as itself, oldest first.
    let description = |release: &str, code: &str| {
        let out = work
            .cmd()
            .args(["show", code, "--release", release, "--format", "json"])
            .assert()
            .success();
        json(&out)["fields"]["long_description"][0]["value"].to_string()
    };
    for (release, e0424, e0431) in [
        ("2005-04", "rental", "rental"),
        ("2005-07", "leased", "rental"),
        ("2005-10", "leased", "leased"),
    ] {
        assert!(description(release, "E0424").contains(e0424), "{release}");
        assert!(description(release, "E0431").contains(e0431), "{release}");
    }
    let written = |release: &str| {
        std::fs::metadata(work.store().join(format!("{release}.jsonl")))
            .unwrap()
            .modified()
            .unwrap()
    };
    assert!(written("2005-04") <= written("2005-07") && written("2005-07") <= written("2005-10"));
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

/// Absurd waits are refused by the argument parser, naming the option, before the store is
/// touched: a wait of 2^64 seconds once overflowed the clock's arithmetic (a panic, exit 101,
/// and an empty store with its lock left behind).
#[test]
fn a_huge_timeout_or_deadline_is_refused_before_the_store_is_touched() {
    let work = Work::new();
    for (option, value, bound) in [
        ("--timeout", "18446744073709551615", "1..=3600"),
        ("--deadline", "18446744073709551615", "1..=86400"),
        ("--timeout", "0", "1..=3600"),
        ("--retries", "4294967295", "0..=100"),
        ("--max-mb", "18446744073709551615", "1..=102400"),
    ] {
        let out = work
            .cmd()
            .args([
                "fetch",
                "2020-04",
                "--base-url",
                "http://127.0.0.1:9",
                option,
                value,
            ])
            .assert()
            .code(2);
        let err = stderr(&out);
        assert!(
            err.contains(&format!("for '{option} <")) && err.contains(bound),
            "{option} {value}: {err}"
        );
        assert!(!work.store().exists(), "{option} {value} made the store");
    }
}

/// A fetch or check that fails leaves no store folder, lock file or downloads folder that it
/// did not find.
#[test]
fn a_failing_fetch_leaves_no_store_folder_or_lock_it_did_not_find() {
    let cms = serve(|_, _| Reply::Status(404));
    let work = Work::new();
    for args in [&["fetch", "2005-04"][..], &["check"]] {
        work.cmd()
            .args(args)
            .args(["--base-url", &cms.base])
            .assert()
            .code(2);
        assert!(!work.store().exists(), "{args:?} left the store folder");
    }
    // A store that was there, without a lock file: the lock file goes again.
    let work = store_with_january();
    std::fs::remove_file(work.store().join(".lock")).unwrap();
    let before = work.store_state();
    fetch_april(&work, &cms).assert().code(2);
    assert_eq!(work.store_state(), before);
    assert!(!work.store().join(".lock").exists(), "the lock file stayed");
    assert!(
        !work.store().join("downloads").exists(),
        "downloads/ stayed"
    );
    // A lock file that was there stays.
    std::fs::write(work.store().join(".lock"), "").unwrap();
    fetch_april(&work, &cms).assert().code(2);
    assert!(
        work.store().join(".lock").exists(),
        "a lock file it found went"
    );
}

/// A redirect to another scheme (`file://`, `ftp://`) is not followed, and the error names
/// where it pointed, not only "HTTP 302".
#[test]
fn a_redirect_to_another_scheme_is_refused_naming_its_target() {
    for target in ["file:///etc/passwd", "ftp://127.0.0.1/april.zip"] {
        let cms = serve(move |path, _| {
            if path == APRIL_2005 {
                Reply::With(302, vec![("Location", target.to_string())], Vec::new())
            } else {
                Reply::Status(404)
            }
        });
        fetch_fails(
            &cms,
            &[],
            &format!(
                "{}{APRIL_2005}: HTTP 302 redirects to {target}, not followed (only http and \
                 https are)",
                cms.base
            ),
        );
    }
}

/// A body sent with a Content-Encoding (gzip), which this tool neither asks for nor unpacks,
/// is refused saying what was received, not as "a server error page".
#[test]
fn a_gzip_encoded_answer_is_refused_saying_what_was_received() {
    let zip = release_zip("2006");
    let gzipped = [b"\x1f\x8b\x08\x00".as_slice(), &zip].concat();
    let cms = serve(move |path, _| {
        if path == APRIL_2005 {
            Reply::With(
                200,
                vec![
                    ("Content-Encoding", "gzip".to_string()),
                    ("Content-Type", "application/zip".to_string()),
                ],
                gzipped.clone(),
            )
        } else {
            Reply::Status(404)
        }
    });
    fetch_fails(
        &cms,
        &[],
        "april-2005-alpha-numeric-hcpcs-file.zip: not a zip: the body came with \
         Content-Encoding: gzip (Content-Type: application/zip), which this tool neither asks \
         for nor unpacks",
    );
    // A body that is not a zip says its Content-Type.
    let cms = serve(|path, _| {
        if path == APRIL_2005 {
            Reply::With(
                200,
                vec![("Content-Type", "text/plain".to_string())],
                b"Service temporarily unavailable".to_vec(),
            )
        } else {
            Reply::Status(404)
        }
    });
    fetch_fails(
        &cms,
        &[],
        "not a zip (starts \"Service temporarily unavailable\", Content-Type: text/plain); a \
         server error page answered with status 200?",
    );
}

/// A mirror folder whose zip is a FIFO or a folder says what it is, not "not posted".
#[test]
fn a_mirror_folder_whose_zip_is_a_fifo_or_a_folder_says_so() {
    let work = store_with_january();
    let mirror = work.path("mirror");
    std::fs::create_dir(&mirror).unwrap();
    let zip = mirror.join("april-2005-alpha-numeric-hcpcs-file.zip");
    let status = std::process::Command::new("mkfifo")
        .arg(&zip)
        .status()
        .unwrap();
    assert!(status.success());
    let before = work.store_state();
    for what in ["a FIFO (named pipe)", "a folder"] {
        let out = work
            .cmd()
            .args(["fetch", "2005-04", "--base-url"])
            .arg(&mirror)
            .assert()
            .code(2);
        assert!(
            stderr(&out).contains(&format!("{}: is {what}, not a zip file", zip.display())),
            "{}",
            stderr(&out)
        );
        assert_eq!(work.store_state(), before);
        if what.starts_with("a FIFO") {
            std::fs::remove_file(&zip).unwrap();
            std::fs::create_dir(&zip).unwrap();
        }
    }
}

/// Each POST a webhook received: its `Content-Type` and body.
type Posts = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A webhook receiver that keeps each POST's `Content-Type` and body, and answers 200.
fn chat_hook() -> (Arc<Server>, String, Posts) {
    let server = Arc::new(Server::http("127.0.0.1:0").unwrap());
    let url = format!("http://{}/hook", server.server_addr().to_ip().unwrap());
    let got: Posts = Arc::default();
    let (s, log) = (server.clone(), got.clone());
    std::thread::spawn(move || {
        for mut request in s.incoming_requests() {
            let kind = request
                .headers()
                .iter()
                .find(|h| h.field.equiv("Content-Type"))
                .map(|h| h.value.to_string())
                .unwrap_or_default();
            let mut body = Vec::new();
            request.as_reader().read_to_end(&mut body).unwrap();
            log.lock().unwrap().push((kind, body));
            let _ = request.respond(Response::from_string("ok"));
        }
    });
    (server, url, got)
}

/// `--notify-format`: Slack's (and Mattermost's, Google Chat's) `{"text": ...}`, a Teams
/// message card and plain text each carry the releases, the summary and the codes that
/// changed, as each kind of webhook takes them; JSON stays the changeset.
#[test]
fn check_notifies_a_chat_webhook_in_its_own_format() {
    let cms = cms_with_april();
    for format in ["slack", "teams", "text", "json"] {
        let (server, url, got) = chat_hook();
        let work = store_with_january();
        work.cmd()
            .args(["check", "--base-url", &cms.base, "--notify", &url])
            .args(["--notify-format", format])
            .assert()
            .code(1);
        server.unblock();
        let posted = got.lock().unwrap().clone();
        assert_eq!(posted.len(), 1, "{format}");
        let (kind, body) = &posted[0];
        let text = String::from_utf8(body.clone()).unwrap();
        match format {
            "slack" => {
                assert_eq!(kind, "application/json");
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                let message = v["text"].as_str().expect("a text field");
                assert_eq!(v.as_object().unwrap().len(), 1, "{text}");
                assert!(
                    message.starts_with("*HCPCS 2005-01 → 2005-04*\n"),
                    "{message}"
                );
                assert!(message.contains("1 retired"), "{message}");
                // Retired first, with what replaces it; then changed and added.
                let retired = message.find("*retired* `K0738`").expect(message);
                let added = message.find("*added* `E1392`").expect(message);
                assert!(retired < added, "{message}");
            }
            "teams" => {
                assert_eq!(kind, "application/json");
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(v["@type"], "MessageCard");
                assert_eq!(v["title"], "HCPCS 2005-01 → 2005-04");
                let facts = &v["sections"][0]["facts"];
                assert!(
                    facts
                        .as_array()
                        .unwrap()
                        .contains(&serde_json::json!({"name": "Added", "value": "1"})),
                    "{facts}"
                );
                assert!(v["sections"][1]["text"].as_str().unwrap().contains("E1392"));
            }
            "text" => {
                assert!(kind.starts_with("text/plain"), "{kind}");
                let mut lines = text.lines();
                assert_eq!(lines.next(), Some("HCPCS 2005-01 → 2005-04"));
                assert!(text.contains("retired    K0738"), "{text}");
            }
            _ => {
                assert_eq!(kind, "application/json");
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(v["new"]["release"], "2005-04");
                assert_eq!(v["summary"]["added"], 1);
            }
        }
    }
}

/// A webhook on a raw socket that reads each POST whole and never answers, keeping the
/// connection open until the client lets it go; connections are taken one at a time, in the
/// order they came. Returns its URL and a way to stop it and get the POST bodies it read.
fn silent_hook() -> (String, impl FnOnce() -> Vec<Vec<u8>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let mut posts = Vec::new();
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let mut reader = BufReader::new(stream);
            let mut request_line = String::new();
            let _ = reader.read_line(&mut request_line);
            if request_line.starts_with("STOP") {
                return posts;
            }
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            posts.push(body);
            // No answer: wait until the client gives up and closes the connection.
            let mut rest = Vec::new();
            let _ = reader.read_to_end(&mut rest);
        }
        posts
    });
    let stop = move || {
        // Taken after every connection before it: once the server reads this, it has read
        // every POST the run made.
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.write_all(b"STOP\r\n").unwrap();
        server.join().unwrap()
    };
    (format!("http://{addr}/hook"), stop)
}

/// A webhook that got the message but answers after `--timeout`: the message may have been
/// delivered, so this run does not send it again (a chat would show it twice): exit 2 at once,
/// saying so and that the next run posts it again, the changelog written and nothing stored.
/// The next run, which cannot know what a failed run posted, does post it again. A webhook
/// that cannot be reached at all (nothing listening) is tried `--retries` more times: that
/// message certainly did not arrive.
#[test]
fn a_webhook_that_answers_too_late_gets_the_message_once() {
    let cms = cms_with_april();
    let work = store_with_january();
    let before = work.store_state();
    let (url, stop) = silent_hook();
    let out = work
        .check_notifying(&cms.base, &url)
        .args(["--retries", "2", "--timeout", "1"])
        .assert()
        .code(2);
    let posts = stop();
    assert_eq!(
        posts.len(),
        1,
        "the message was posted {} times",
        posts.len()
    );
    let err = stderr(&out);
    assert!(
        err.contains("/hook: sent, but no answer came (")
            && err.contains(
                "the message may have been delivered, so this run does not send it again and \
                 stores nothing: the next run posts it again, and a chat may then show it twice"
            ),
        "{err}"
    );
    assert!(stdout(&out).starts_with("HCPCS 2005-01 -> 2005-04\n"));
    assert_eq!(work.store_state(), before);

    // Nothing listening: refused before anything was sent, so tried again.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    let out = work
        .check_notifying(&cms.base, &url)
        .args(["--retries", "2"])
        .assert()
        .code(2);
    let err = stderr(&out);
    assert!(err.contains("/hook: 3 attempt(s) failed; last: "), "{err}");
    assert_eq!(work.store_state(), before);

    // The next run posts it again, as the first said, and stores the release.
    let (server, url, got) = chat_hook();
    work.cmd()
        .args(["check", "--base-url", &cms.base, "--notify", &url])
        .assert()
        .code(1);
    server.unblock();
    assert_eq!(got.lock().unwrap().len(), 1);
    assert!(work.store().join("2005-04.jsonl").is_file());
    // And the run after that, with nothing new, posts nothing.
    let (server, url, got) = chat_hook();
    work.cmd()
        .args(["check", "--base-url", &cms.base, "--notify", &url])
        .args(["--today", "2005-05-01"])
        .assert()
        .code(0);
    server.unblock();
    assert!(got.lock().unwrap().is_empty());
}

/// Two quarters found at once (April and July) are stored all or nothing: when July cannot be
/// kept (its corrections, or its zip, cannot be written: a folder stands in the way), April,
/// whose zip and snapshot were already written, is taken back too, and the store is byte for
/// byte as it was: exit 2 means nothing changed, and the next run does the whole job.
#[test]
fn check_finding_two_quarters_stores_both_or_neither() {
    const E0424: &str = "Stationary compressed gaseous oxygen system, rental";
    let april = release_zip("2006");
    let july = edited_zip(&[(E0424, &E0424.replace("rental", "leased"))]);
    let cms = serve(move |path, _| {
        let zip = |month: &str| format!("/files/zip/{month}-2005-alpha-numeric-hcpcs-file.zip");
        match path {
            p if p == zip("april") => Reply::Body(april.clone()),
            p if p == zip("july") => Reply::Body(july.clone()),
            _ => Reply::Status(404),
        }
    });
    for blocked in [
        "2005-07.corrections.json",
        "downloads/july-2005-alpha-numeric-hcpcs-file.zip",
    ] {
        let work = store_with_january();
        let blocker = work.store().join(blocked);
        std::fs::create_dir_all(&blocker).unwrap();
        std::fs::write(blocker.join("in-the-way"), b"x").unwrap();
        let before = work.store_state();
        let check = || {
            let mut c = work.cmd();
            c.args(["check", "--base-url", &cms.base, "--today", "2005-08-15"]);
            c
        };
        let out = check().assert().code(2);
        assert_eq!(work.store_state(), before, "{blocked}: {}", stderr(&out));
        assert!(!work.store().join("revisions").exists(), "{blocked}");

        std::fs::remove_dir_all(&blocker).unwrap();
        let out = check().assert().code(1);
        assert!(
            stderr(&out).starts_with("imported 2005-04, 2005-07\n"),
            "{}",
            stderr(&out)
        );
        assert!(work.store().join("2005-07.jsonl").is_file());
    }
}

/// A `--notify` address that cannot be posted to (no scheme, another scheme, no host) is
/// refused when the command line is read, naming it, before anything is fetched or stored.
#[test]
fn a_notify_address_that_cannot_be_posted_to_is_refused_first() {
    let work = Work::new();
    for (url, why) in [
        ("hooks.example.com/x", "relative URL without a base"),
        ("ftp://hooks.example.com/x", "the scheme is ftp"),
        ("http://", "empty host"),
    ] {
        let out = work.cmd().args(["check", "--notify", url]).assert().code(2);
        let err = stderr(&out);
        assert!(
            err.contains(&format!("'{url}' is not a web address to post to")) && err.contains(why),
            "{err}"
        );
        assert!(!work.store().exists(), "{url}: a store was made");
    }
}
