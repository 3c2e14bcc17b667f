//! A fresh folder per test with its own store, helpers to reach the fixtures, and the gate of
//! the tests that read the real CMS releases (`HCPCS_DIFF_DATA`, see `tests/data/README.md`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use assert_cmd::assert::Assert;
use tempfile::TempDir;

/// Where the real CMS releases are: a folder with one folder per release id, as listed in
/// `tests/data/README.md`.
pub const DATA_VAR: &str = "HCPCS_DIFF_DATA";
/// Set to 1 to make missing real data a failure instead of a skip (CI sets it).
pub const REQUIRE_VAR: &str = "HCPCS_DIFF_REQUIRE_DATA";

/// Set to 1 to make a missing browser a failure instead of a skip (CI sets it, having installed
/// Chromium).
pub const REQUIRE_BROWSER_VAR: &str = "HCPCS_DIFF_REQUIRE_BROWSER";
/// Set to 1 to make a test that cannot get a terminal (`script(1)` missing or failing) a failure
/// instead of a skip (CI sets it).
pub const REQUIRE_TERMINAL_VAR: &str = "HCPCS_DIFF_REQUIRE_TERMINAL";
/// The Chromium (or Chrome) binary the browser tests run; else the first of `BROWSERS` on PATH.
pub const BROWSER_VAR: &str = "HCPCS_DIFF_CHROMIUM";
const BROWSERS: [&str; 4] = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// Where each gated test notes whether it ran or skipped, one empty file per test in a folder
/// per gate (`real-data`, `browser`), for the `real_data_summary` target that cargo runs after
/// this one to count and clear.
pub fn gate_marks(gate: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(gate)
}

/// Notes that `test` ran (or skipped) behind `gate`.
fn mark(gate: &str, test: &str, ran: bool) {
    let marks = gate_marks(gate);
    let (here, other) = if ran {
        ("ran", "skipped")
    } else {
        ("skipped", "ran")
    };
    std::fs::create_dir_all(marks.join(here)).unwrap();
    let _ = std::fs::remove_file(marks.join(other).join(test));
    std::fs::write(marks.join(here).join(test), "").unwrap();
}

/// The folder of real CMS releases for the test `test`, or `None` when `HCPCS_DIFF_DATA` is
/// unset or not a folder: the test then returns early, saying so on stderr, and notes the skip
/// for the summary line at the end of `cargo test`. With `HCPCS_DIFF_REQUIRE_DATA=1`, missing
/// data panics instead. Call it through `real_data!()`, which names the test.
pub fn real_data_dir(test: &str) -> Option<PathBuf> {
    let test = test.strip_prefix("cli::").unwrap_or(test);
    let given = std::env::var_os(DATA_VAR).filter(|v| !v.is_empty());
    let problem = match &given {
        Some(dir) if Path::new(dir).is_dir() => {
            mark("real-data", test, true);
            return Some(PathBuf::from(dir));
        }
        Some(dir) => format!("{DATA_VAR}={} is not a folder", Path::new(dir).display()),
        None => format!("{DATA_VAR} is not set"),
    };
    let required = std::env::var(REQUIRE_VAR).is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{test} needs the real CMS releases and {REQUIRE_VAR}=1 forbids skipping it, but \
         {problem}: point {DATA_VAR} at a folder laid out as tests/data/README.md says"
    );
    mark("real-data", test, false);
    eprintln!("skipped {test}: {problem} (the real CMS releases; see tests/data/README.md)");
    None
}

/// The headless browser for the test `test`: `HCPCS_DIFF_CHROMIUM`, else Chromium or Chrome on
/// PATH; `None` when there is none, after saying so and noting the skip for the summary line.
/// With `HCPCS_DIFF_REQUIRE_BROWSER=1`, a missing browser panics instead. Call it through
/// `browser!()`, which names the test.
pub fn browser_path(test: &str) -> Option<PathBuf> {
    let test = test.strip_prefix("cli::").unwrap_or(test);
    let given = std::env::var_os(BROWSER_VAR).filter(|v| !v.is_empty());
    let found = match &given {
        Some(path) => Some(PathBuf::from(path)).filter(|p| p.is_file()),
        None => std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .flat_map(|dir| BROWSERS.map(|name| dir.join(name)))
                .find(|p| p.is_file())
        }),
    };
    if let Some(path) = found {
        mark("browser", test, true);
        return Some(path);
    }
    let problem = match &given {
        Some(path) => format!("{BROWSER_VAR}={} is not a file", Path::new(path).display()),
        None => format!("none of {} is on PATH", BROWSERS.join(", ")),
    };
    let required = std::env::var(REQUIRE_BROWSER_VAR).is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{test} needs a headless Chromium and {REQUIRE_BROWSER_VAR}=1 forbids skipping it, but \
         {problem}: install Debian's chromium (.ci/run does) or set {BROWSER_VAR}"
    );
    mark("browser", test, false);
    eprintln!("skipped {test}: {problem} (a headless Chromium renders the HTML changelog)");
    None
}

/// Set to 1 to make a missing DuckDB (Python's `duckdb` package) a failure instead of a skip
/// (CI sets it, having installed the package).
pub const REQUIRE_DUCKDB_VAR: &str = "HCPCS_DIFF_REQUIRE_DUCKDB";

/// A Python interpreter that imports `duckdb`, for the test `test`: `python3` on PATH; `None`
/// when it cannot, after saying so and noting the skip for the summary line. With
/// `HCPCS_DIFF_REQUIRE_DUCKDB=1`, a missing DuckDB panics instead. Call it through `duckdb!()`.
pub fn duckdb_python(test: &str) -> Option<PathBuf> {
    let test = test.strip_prefix("cli::").unwrap_or(test);
    let python = PathBuf::from("python3");
    let probe = std::process::Command::new(&python)
        .args(["-c", "import duckdb"])
        .output();
    if probe.as_ref().is_ok_and(|o| o.status.success()) {
        mark("duckdb", test, true);
        return Some(python);
    }
    let problem = match probe {
        Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_string(),
        Err(e) => format!("python3: {e}"),
    };
    let required = std::env::var(REQUIRE_DUCKDB_VAR).is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{test} needs Python's duckdb package and {REQUIRE_DUCKDB_VAR}=1 forbids skipping it, \
         but {problem}: pip install duckdb (.ci/run does)"
    );
    mark("duckdb", test, false);
    eprintln!("skipped {test}: {problem} (DuckDB runs sql/audit_claims.sql)");
    None
}

/// `let Some(python) = duckdb!() else { return };` at the top of a test that runs SQL in DuckDB.
macro_rules! duckdb {
    () => {{
        fn here() {}
        let name = std::any::type_name_of_val(&here);
        crate::util::duckdb_python(name.strip_suffix("::here").unwrap_or(name))
    }};
}
pub(crate) use duckdb;

/// `let Some(data) = real_data!() else { return };` at the top of a test that reads the real CMS
/// releases; `data.join("2012-01/12anweb.zip")` then names a file.
macro_rules! real_data {
    () => {{
        fn here() {}
        let name = std::any::type_name_of_val(&here);
        crate::util::real_data_dir(name.strip_suffix("::here").unwrap_or(name))
    }};
}
pub(crate) use real_data;

/// `let Some(chromium) = browser!() else { return };` at the top of a test that renders in a
/// headless browser.
macro_rules! browser {
    () => {{
        fn here() {}
        let name = std::any::type_name_of_val(&here);
        crate::util::browser_path(name.strip_suffix("::here").unwrap_or(name))
    }};
}
pub(crate) use browser;

/// A work folder whose store holds the oxygen fixture pair, 2005-01 and 2006-01.
pub fn oxygen() -> Work {
    Work::with(&[fixture("oxygen/2005"), fixture("oxygen/2006")])
}

/// The tool, with `args`, run by a shell that first limits the size of the files it may write
/// to one block (`ulimit -f 1`), the signal that stops a program writing past it left as the
/// system sets it: the tool itself must turn it into an error as for a full disk. No store from the
/// environment.
#[cfg(unix)]
pub fn with_file_size_limit(store: &Path) -> std::process::Command {
    let mut command = std::process::Command::new("sh");
    command
        .arg("-c")
        .arg(r#"ulimit -f 1 && exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_hcpcs-diff"))
        .arg("--store")
        .arg(store)
        .env_remove("HCPCS_DIFF_STORE");
    command
}

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

pub struct Work {
    pub dir: TempDir,
}

impl Work {
    pub fn new() -> Self {
        Work {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// A work folder inside `parent`, for one that lives in a `static` (never dropped, so not
    /// in the system's temporary folder: whoever makes it clears `parent` first).
    pub fn new_in(parent: &Path) -> Self {
        std::fs::create_dir_all(parent).unwrap();
        Work {
            dir: tempfile::tempdir_in(parent).expect("temp dir"),
        }
    }

    pub fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// The binary, pointed at this folder's store.
    /// `audit FILE ARGS` refused: exit 2, nothing on standard output, and `message` in what it
    /// says (`name` for the failure's words).
    pub fn audit_refused(&self, name: &str, file: &Path, args: &[&str], message: &str) {
        let out = self
            .cmd()
            .arg("audit")
            .arg(file)
            .args(args)
            .assert()
            .code(2);
        assert_eq!(stdout(&out), "", "{name}");
        assert!(stderr(&out).contains(message), "{name}: {}", stderr(&out));
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("hcpcs-diff").unwrap();
        c.arg("--store")
            .arg(self.store())
            .env_remove("HCPCS_DIFF_STORE")
            .env("NO_COLOR", "1")
            // Reports state when they were made: pinned, so that snapshots hold.
            .env("HCPCS_DIFF_GENERATED_AT", "2026-01-02T03:04:05Z");
        c
    }

    /// `check` against the CMS site at `base`, posting to the webhook `notify`.
    pub fn check_notifying(&self, base: &str, notify: &str) -> Command {
        let mut cmd = self.cmd();
        cmd.args(["check", "--base-url", base, "--notify", notify]);
        cmd
    }

    /// A work folder whose store holds these releases.
    pub fn with(sources: &[PathBuf]) -> Self {
        let work = Work::new();
        for s in sources {
            work.cmd().arg("import").arg(s).assert().success();
        }
        work
    }

    /// Every file in the store (and its downloads folder), by name, with its SHA-256. The lock
    /// file is left out: taking the lock creates it, and it holds nothing.
    pub fn store_state(&self) -> BTreeMap<String, String> {
        fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for e in entries {
                let e = e.unwrap();
                let name = format!("{prefix}{}", e.file_name().to_string_lossy());
                if e.file_type().unwrap().is_dir() {
                    walk(&e.path(), &format!("{name}/"), out);
                } else if name != ".lock" {
                    out.insert(
                        name,
                        hcpcs_diff::model::sha256_hex(&std::fs::read(e.path()).unwrap()),
                    );
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(&self.store(), "", &mut out);
        out
    }
}

/// `text` with the tool's version (which reports state, as `hcpcs-diff 0.1.0` and
/// `"version": "0.1.0"`) written `[VERSION]`, for snapshots that must not change with a release.
pub fn without_version(text: &str) -> String {
    let version = env!("CARGO_PKG_VERSION");
    text.replace(&format!("hcpcs-diff {version}"), "hcpcs-diff [VERSION]")
        .replace(
            &format!("\"version\": \"{version}\""),
            "\"version\": \"[VERSION]\"",
        )
}

pub fn stdout(out: &Assert) -> String {
    String::from_utf8(out.get_output().stdout.clone()).expect("UTF-8 output")
}

pub fn stderr(out: &Assert) -> String {
    String::from_utf8(out.get_output().stderr.clone()).expect("UTF-8 output")
}

pub fn json(out: &Assert) -> serde_json::Value {
    serde_json::from_slice(&out.get_output().stdout).expect("JSON output")
}

/// The members of a zip as (name, bytes).
pub fn unzip(path: &Path) -> Vec<(String, Vec<u8>)> {
    let bytes = std::fs::read(path).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let name = f.name().unwrap().into_owned();
            let mut content = Vec::new();
            std::io::copy(&mut f, &mut content).unwrap();
            (name, content)
        })
        .collect()
}

/// Builds a zip of `members` in memory.
pub fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut out);
        for (name, bytes) in members {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut w, bytes).unwrap();
        }
        w.finish().unwrap();
    }
    out.into_inner()
}

/// Notes that `test` had a terminal (`script(1)`) for its terminal half.
pub fn terminal_ran(test: &str) {
    mark("terminal", test, true);
}

/// Notes that `test` could not get a terminal, saying why, for the summary line; with
/// `HCPCS_DIFF_REQUIRE_TERMINAL=1` it panics instead.
pub fn terminal_skipped(test: &str, problem: &str) {
    let required = std::env::var(REQUIRE_TERMINAL_VAR).is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{test} needs a terminal from script(1) and {REQUIRE_TERMINAL_VAR}=1 forbids skipping \
         it, but {problem}"
    );
    mark("terminal", test, false);
    eprintln!("skipped the terminal half of {test}: {problem}");
}
