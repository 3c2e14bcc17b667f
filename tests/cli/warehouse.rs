//! `export --format parquet` and `sql/audit_claims.sql`: the Parquet tables read back with the
//! parquet crate (types and row counts), and the SQL run in DuckDB over them giving every claim
//! line the verdict `audit --date-column` gives, row for row.

use std::path::{Path, PathBuf};

use parquet::basic::{ConvertedType, LogicalType, Type as Physical};
use parquet::file::reader::{FileReader, SerializedFileReader};

use crate::util::{Work, duckdb, oxygen, real_data, stderr, stdout};

/// Claim lines drawn from `codes` (plus two that are in no release) and dates from `years`,
/// deterministic: `line_no,code,dos`, the line number being the line's own in the file.
fn claims(codes: &[String], years: std::ops::RangeInclusive<i32>, n: usize) -> String {
    let mut pool: Vec<&str> = codes.iter().map(String::as_str).collect();
    pool.extend(["E1932", "X9999"]);
    let mut state: u64 = 1392;
    let mut next = |m: u64| {
        // Knuth's MMIX linear congruential generator: enough spread for test data.
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % m
    };
    let span = (years.end() - years.start() + 1) as u64;
    let mut out = String::from("line_no,code,dos\n");
    for i in 0..n {
        let code = pool[next(pool.len() as u64) as usize];
        let year = years.start() + next(span) as i32;
        // Any day of the year, so that the first and last days of a code's validity (a
        // termination on December 31, an addition on January 1) are met.
        let day = chrono::NaiveDate::from_yo_opt(year, 1 + next(365) as u32).unwrap();
        out.push_str(&format!("{},{code},{day}\n", i + 2));
    }
    out
}

/// The codes of every stored release (procedure codes; modifiers are not claim codes).
fn stored_codes(work: &Work) -> Vec<String> {
    let list = stdout(&work.cmd().arg("list").assert().success());
    let mut codes: Vec<String> = list
        .lines()
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .flat_map(|release| {
            let csv = work.cmd().args(["export", release]).output().unwrap();
            String::from_utf8(csv.stdout)
                .unwrap()
                .lines()
                .skip(1)
                .filter_map(|l| l.split(',').next().map(str::to_string))
                .filter(|c| c.len() == 5)
                .collect::<Vec<_>>()
        })
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

fn export_parquet(work: &Work, dir: &Path) {
    let out = work
        .cmd()
        .args(["export", "--format", "parquet", "--output"])
        .arg(dir)
        .assert()
        .success();
    assert!(stdout(&out).contains("releases"), "{}", stdout(&out));
}

/// Runs `sql/audit_claims.sql` in DuckDB over the export in `tables` and the claims file,
/// and returns its rows as CSV lines: line, code, valid_on_date, reason, release_in_effect.
fn run_sql(python: &Path, tables: &Path, claims: &Path, work: &Work) -> Vec<Vec<String>> {
    let sql = Path::new(env!("CARGO_MANIFEST_DIR")).join("sql/audit_claims.sql");
    let out = work.path("sql.csv");
    let script = r#"
import csv, sys, duckdb
tables, claims, sql, out = sys.argv[1:5]
db = duckdb.connect()
for t in ("releases", "codes", "validity"):
    db.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{tables}/{t}.parquet')")
db.execute(f"""CREATE VIEW claims AS
    SELECT CAST(line_no AS BIGINT) AS line, code, CAST(dos AS DATE) AS date_of_service
    FROM read_csv('{claims}', header = true, all_varchar = true)""")
rows = db.execute(open(sql).read()).fetchall()
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    for line, code, _date, valid, reason, release in rows:
        w.writerow([line, code, "true" if valid else "false", reason, release or ""])
"#;
    let run = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(tables)
        .arg(claims)
        .arg(&sql)
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    read_csv(&out)
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap()
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// The SQL's verdict and `audit --format csv`'s for every claim line: the same line, code,
/// validity and release in effect, and the same reason (audit adds what it says of an unknown
/// code as a whole, `; unknown: ...`, which is not a verdict on the date).
fn assert_same_verdicts(work: &Work, python: &Path, claims_csv: &str, lines: usize) {
    let claims = work.write("claims.csv", claims_csv);
    let tables = work.path("parquet");
    export_parquet(work, &tables);
    let audited = work.path("audit.csv");
    work.cmd()
        .args([
            "audit",
            "--column",
            "code",
            "--date-column",
            "dos",
            "--format",
            "csv",
        ])
        .arg(&claims)
        .arg("--output")
        .arg(&audited)
        .assert()
        .code(1);
    let mut reader = csv::Reader::from_path(&audited).unwrap();
    let header = reader.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (line, code, status, valid, reason, release) = (
        at("line"),
        at("code"),
        at("status"),
        at("valid_on_date"),
        at("reason"),
        at("release_in_effect"),
    );
    let audit: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let sql = run_sql(python, &tables, &claims, work);
    assert_eq!(audit.len(), lines);
    assert_eq!(sql.len(), lines);
    let (mut invalid, mut missing, mut before) = (0, 0, 0);
    for (a, s) in audit.iter().zip(&sql) {
        assert_eq!(
            [&a[line], &a[code], &a[valid], &a[release]],
            [&s[0], &s[1], &s[2], &s[4]],
            "line {}",
            &a[line]
        );
        let whole = &a[reason];
        if &a[status] == "unknown" {
            assert!(
                whole.starts_with(&format!("{}; unknown: ", s[3])),
                "line {}: {whole} / {}",
                &a[line],
                s[3]
            );
        } else {
            assert_eq!(whole, &s[3], "line {}", &a[line]);
        }
        invalid += usize::from(&a[valid] == "false");
        missing += usize::from(whole.contains("(in effect on that date)"));
        before += usize::from(whole.contains("no stored release was in effect"));
    }
    // Every kind of verdict was met, so the comparison covered each branch of the SQL.
    assert!(
        invalid > 0 && missing > 0 && before > 0,
        "{invalid} {missing} {before}"
    );
}

#[test]
fn duckdb_gives_every_claim_line_the_verdict_audit_gives() {
    let Some(python) = duckdb!() else {
        return;
    };
    let work = oxygen();
    let codes = stored_codes(&work);
    assert_same_verdicts(
        &work,
        &python,
        &claims(&codes, 2003..=2007, 100_000),
        100_000,
    );
}

#[test]
fn duckdb_agrees_with_audit_on_the_real_releases() {
    let Some(data) = real_data!() else {
        return;
    };
    let Some(python) = duckdb!() else {
        return;
    };
    let store = crate::real_releases::imported(&data);
    // A work folder of its own for the files, its store a link to the shared one (read only).
    let work = Work::new();
    std::os::unix::fs::symlink(store.store(), work.store()).unwrap();
    let codes = stored_codes(&work);
    assert_same_verdicts(
        &work,
        &python,
        &claims(&codes, 2010..=2026, 100_000),
        100_000,
    );
}

fn column_types(path: &PathBuf) -> Vec<(String, Physical, Option<LogicalType>, ConvertedType)> {
    let reader = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    schema
        .columns()
        .iter()
        .map(|c| {
            (
                c.path().string(),
                c.physical_type(),
                c.logical_type_ref().cloned(),
                c.converted_type(),
            )
        })
        .collect()
}

fn rows(path: &PathBuf) -> i64 {
    let reader = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    reader.metadata().file_metadata().num_rows()
}

#[test]
fn the_parquet_tables_read_back_typed_with_their_row_counts() {
    let work = oxygen();
    let dir = work.path("tables");
    export_parquet(&work, &dir);
    // 2005 holds 7 codes and modifiers, 2006 eight (E1392 added).
    assert_eq!(rows(&dir.join("releases.parquet")), 2);
    assert_eq!(
        rows(&dir.join("sections.parquet")) as usize,
        hcpcs_diff::model::sections::SECTIONS.len()
    );
    assert_eq!(rows(&dir.join("codes.parquet")), 15);
    assert_eq!(rows(&dir.join("validity.parquet")) as usize, 8 + 1);
    let codes = column_types(&dir.join("codes.parquet"));
    let find = |name: &str| codes.iter().find(|c| c.0 == name).unwrap().clone();
    assert_eq!(find("added_date").1, Physical::INT32);
    assert_eq!(find("added_date").2, Some(LogicalType::Date));
    assert_eq!(find("termination_date").2, Some(LogicalType::Date));
    assert_eq!(find("anesthesia_base_units").1, Physical::INT64);
    assert_eq!(find("code").2, Some(LogicalType::String));
    assert_eq!(find("section").2, Some(LogicalType::String));
    // A repeating field is a list of strings.
    assert_eq!(
        find("pricing_indicators.list.element").1,
        Physical::BYTE_ARRAY
    );
    let validity = column_types(&dir.join("validity.parquet"));
    let names: Vec<&str> = validity.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "code",
            "kind",
            "valid_from",
            "valid_to",
            "release",
            "through_release",
            "current",
            "long_description"
        ]
    );
    assert_eq!(validity[6].1, Physical::BOOLEAN);
    let changes = column_types(&dir.join("changes.parquet"));
    assert!(
        changes
            .iter()
            .any(|c| c.0 == "cms_agrees" && c.1 == Physical::BOOLEAN)
    );
}

#[test]
fn a_parquet_export_replaces_its_own_folder_and_no_other() {
    let work = oxygen();
    let dir = work.path("tables");
    export_parquet(&work, &dir);
    let before = std::fs::read(dir.join("codes.parquet")).unwrap();
    // An earlier export is replaced (same store: the same bytes).
    export_parquet(&work, &dir);
    assert_eq!(std::fs::read(dir.join("codes.parquet")).unwrap(), before);
    // A folder of other files is not.
    let mine = work.path("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "keep me").unwrap();
    let out = work
        .cmd()
        .args(["export", "--format", "parquet", "--output"])
        .arg(&mine)
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("holds files this tool did not write"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(mine.join("notes.txt")).unwrap(),
        "keep me"
    );
    // And it takes every release, so no RELEASE, and needs a folder.
    let out = work
        .cmd()
        .args(["export", "2006", "--format", "parquet", "--output"])
        .arg(work.path("x"))
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("writes every stored release"),
        "{}",
        stderr(&out)
    );
    assert!(!work.path("x").exists());
}
