//! Runs after the `cli` target (cargo runs test targets in name order) and prints the lines
//! that say whether the browser, DuckDB and real-data tests ran (the real-data line last):
//! libtest hides what a passing test writes on stderr, so each gated test notes itself under
//! `CARGO_TARGET_TMPDIR` (see `tests/cli/util.rs`, `real_data` and `browser`) and this target
//! counts the notes, prints, and clears them.

use std::path::Path;

fn take(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let _ = std::fs::remove_dir_all(dir);
    names
}

fn main() {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
    // The terminal half of the colour test notes itself as the gated tests do.
    let terminal = root.join("terminal");
    let (ran, skipped) = (take(&terminal.join("ran")), take(&terminal.join("skipped")));
    if !skipped.is_empty() {
        println!(
            "NOTE: the terminal half of {} test{} did not run (script(1) gave no terminal; \
             HCPCS_DIFF_REQUIRE_TERMINAL=1 makes that a failure)",
            skipped.len(),
            if skipped.len() == 1 { "" } else { "s" },
        );
    } else if !ran.is_empty() {
        println!("terminal tests: {} ran under script(1)", ran.len());
    }
    let browser = root.join("browser");
    let (ran, skipped) = (take(&browser.join("ran")), take(&browser.join("skipped")));
    if !skipped.is_empty() {
        println!(
            "NOTE: {} browser test{} did not run (no headless Chromium): install Debian's \
             chromium or set HCPCS_DIFF_CHROMIUM (HCPCS_DIFF_REQUIRE_BROWSER=1 makes a missing \
             browser a failure)",
            skipped.len(),
            if skipped.len() == 1 { "" } else { "s" },
        );
    } else if !ran.is_empty() {
        println!("browser tests: {} ran in headless Chromium", ran.len());
    }
    let duckdb = root.join("duckdb");
    let (ran, skipped) = (take(&duckdb.join("ran")), take(&duckdb.join("skipped")));
    if !skipped.is_empty() {
        println!(
            "NOTE: {} DuckDB test{} did not run (no Python duckdb package): pip install duckdb \
             (HCPCS_DIFF_REQUIRE_DUCKDB=1 makes a missing DuckDB a failure)",
            skipped.len(),
            if skipped.len() == 1 { "" } else { "s" },
        );
    } else if !ran.is_empty() {
        println!("DuckDB tests: {} ran", ran.len());
    }
    let marks = root.join("real-data");
    let ran = take(&marks.join("ran"));
    let skipped = take(&marks.join("skipped"));
    if !skipped.is_empty() {
        println!(
            "NOTE: {} real-data test{} did not run (no real CMS files): to run them, \
             HCPCS_DIFF_DATA=/path/to/hcpcs cargo test (tests/data/README.md lists the files; \
             HCPCS_DIFF_REQUIRE_DATA=1 makes missing data a failure)",
            skipped.len(),
            if skipped.len() == 1 { "" } else { "s" },
        );
    } else if !ran.is_empty() {
        println!(
            "real-data tests: all {} ran on the real CMS files",
            ran.len()
        );
    }
}
