//! `export --format sqlite|fhir|fhir-conceptmap`, checked by readers that share nothing with the
//! writers: the database opened with SQLite itself and plain SQL, the FHIR resources parsed
//! back as JSON, both held against the snapshot files read line by line here and against
//! `diff --format csv`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OpenFlags};
use serde_json::Value;

use crate::real_releases::imported;
use crate::util::{Work, fixture, oxygen, real_data, stderr, stdout};

/// A snapshot file's provenance line as JSON.
fn provenance(work: &Work, release: &str) -> Value {
    let path = work.store().join(format!("{release}.jsonl"));
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let first = std::io::BufRead::lines(file).next().unwrap().unwrap();
    serde_json::from_str(&first).unwrap()
}

/// A snapshot file as JSON: its provenance line and its records by code.
fn snapshot(work: &Work, release: &str) -> (Value, BTreeMap<String, Value>) {
    let text = std::fs::read_to_string(work.store().join(format!("{release}.jsonl"))).unwrap();
    let mut lines = text.lines();
    let provenance = serde_json::from_str(lines.next().unwrap()).unwrap();
    let records = lines
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|r| (r["code"].as_str().unwrap().to_string(), r))
        .collect();
    (provenance, records)
}

fn open(path: &Path) -> Connection {
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

fn count(db: &Connection, sql: &str) -> i64 {
    db.query_row(sql, [], |row| row.get(0)).unwrap()
}

/// Exports `work`'s store as a database, returning its path.
fn export_db(work: &Work) -> std::path::PathBuf {
    let path = work.path("hcpcs.db");
    let out = work
        .cmd()
        .args(["export", "--format", "sqlite", "--output"])
        .arg(&path)
        .assert()
        .success();
    assert!(stdout(&out).contains("releases"), "{}", stdout(&out));
    path
}

/// The oxygen pair, and 2005's file again as 2007-01: E1392 is dropped, K0738 reinstated.
fn three_releases() -> Work {
    let work = oxygen();
    work.cmd()
        .arg("import")
        .arg(fixture("oxygen/2005"))
        .args(["--release", "2007-01"])
        .assert()
        .success();
    work
}

/// A column's value as the snapshot's JSON has it (absent: NULL, or `[]` for a list).
fn as_json(value: Sql) -> Value {
    match value {
        Sql::Null => Value::Null,
        Sql::Integer(n) => Value::from(n),
        Sql::Text(t) if t.starts_with('[') => serde_json::from_str(&t).unwrap(),
        Sql::Text(t) => Value::from(t),
        other => panic!("unexpected column value {other:?}"),
    }
}

#[test]
fn the_database_holds_every_release_and_code_as_the_snapshots_do() {
    let work = three_releases();
    let db = open(&export_db(&work));
    assert_eq!(count(&db, "PRAGMA user_version"), 2);
    assert_eq!(count(&db, "SELECT count(*) FROM releases"), 3);
    let columns: Vec<String> = {
        let stmt = db.prepare("SELECT * FROM codes").unwrap();
        stmt.column_names().map(str::to_string).collect()
    };
    for release in ["2005-01", "2006-01", "2007-01"] {
        let (provenance, records) = snapshot(&work, release);
        let (file, counts): (String, (i64, i64)) = db
            .query_row(
                "SELECT source_sha256, procedure_codes, modifiers FROM releases WHERE id = ?1",
                [release],
                |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))),
            )
            .unwrap();
        assert_eq!(file, provenance["source"]["sha256"]);
        assert_eq!(counts.0, provenance["counts"]["procedure"]);
        assert_eq!(counts.1, provenance["counts"]["modifier"]);
        let sql = format!("SELECT count(*) FROM codes WHERE release = '{release}'");
        assert_eq!(count(&db, &sql) as usize, records.len());
        let mut stmt = db
            .prepare("SELECT * FROM codes WHERE release = ?1 ORDER BY code")
            .unwrap();
        let rows = stmt
            .query_map([release], |row| {
                (0..columns.len())
                    .map(|i| row.get::<_, Sql>(i))
                    .collect::<Result<Vec<_>, _>>()
            })
            .unwrap();
        for (row, (code, record)) in rows.map(Result::unwrap).zip(&records) {
            for (column, value) in columns.iter().zip(row) {
                let expected = match column.as_str() {
                    "release" => Value::from(release),
                    // Not a field of the record: the section its code is in.
                    "section" => Value::from(match &code[..1] {
                        "E" => "E0100-E9999",
                        "K" => "K0000-K9999",
                        _ => "modifiers",
                    }),
                    _ => match &record[column] {
                        Value::Null if value == Sql::Text("[]".into()) => Value::Array(vec![]),
                        v => v.clone(),
                    },
                };
                assert_eq!(as_json(value), expected, "{release} {code} {column}");
            }
        }
    }
    // Every key of every record has its column.
    let (_, records) = snapshot(&work, "2006-01");
    for record in records.values() {
        for key in record.as_object().unwrap().keys() {
            assert!(columns.contains(key), "no column for {key}");
        }
    }
}

/// The CSV changelog names each code's section as the exports do: `section_id` is the SQLite
/// export's `codes.section` (a section's range or `modifiers`), and `section`, kept as it was,
/// is that section's name in the export's `sections` table.
#[test]
fn the_csv_changelogs_section_id_is_the_exports_section() {
    let work = three_releases();
    let db = open(&export_db(&work));
    let text = stdout(
        &work
            .cmd()
            .args(["diff", "2005-01", "2006-01", "--format", "csv"])
            .assert()
            .code(1),
    );
    let mut csv = csv::Reader::from_reader(text.as_bytes());
    let header = csv.headers().unwrap().clone();
    let last: Vec<&str> = header.iter().skip(header.len() - 2).collect();
    assert_eq!(last, ["section", "section_id"]);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut ids = BTreeSet::new();
    for row in csv.records().map(Result::unwrap) {
        let code = &row[col("code")];
        let (id, name): (String, String) = db
            .query_row(
                "SELECT c.section, s.name FROM codes c JOIN sections s ON s.id = c.section
                 WHERE c.code = ?1",
                [code],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(row[col("section_id")], id, "{code}");
        assert_eq!(row[col("section")], name, "{code}");
        ids.insert(id);
    }
    assert_eq!(ids.len(), 2, "{ids:?}");
}

#[test]
fn the_changes_table_holds_the_csv_changelog_of_each_consecutive_pair() {
    let work = three_releases();
    let db = open(&export_db(&work));
    for (old, new) in [("2005-01", "2006-01"), ("2006-01", "2007-01")] {
        let out = work
            .cmd()
            .args(["diff", old, new, "--format", "csv"])
            .assert()
            .code(1);
        let text = stdout(&out);
        let mut csv = csv::Reader::from_reader(text.as_bytes());
        let header = csv.headers().unwrap().clone();
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let expected: Vec<(String, String, String, String, bool)> = csv
            .records()
            .map(Result::unwrap)
            .map(|r| {
                let cosmetic = &r[col("cosmetic")] == "true";
                let text = |name: &str| r[col(name)].to_string();
                (
                    text("code"),
                    text("change"),
                    text("group"),
                    text("field"),
                    cosmetic,
                )
            })
            .collect();
        let mut stmt = db
            .prepare(
                "SELECT code, change, IFNULL(field_group, ''), IFNULL(field, ''), cosmetic
                 FROM changes WHERE old_release = ?1 AND new_release = ?2
                 ORDER BY rowid",
            )
            .unwrap();
        let got: Vec<(String, String, String, String, bool)> = stmt
            .query_map([old, new], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(!got.is_empty());
        assert_eq!(got, expected, "{old} -> {new}");
    }
    let reinstated = "SELECT count(*) FROM changes WHERE new_release = '2007-01' \
                      AND code = 'K0738' AND change = 'reinstated'";
    assert!(count(&db, reinstated) > 0);
    let dropped = "SELECT count(*) FROM changes WHERE new_release = '2007-01' \
                   AND code = 'E1392' AND change = 'dropped' AND field IS NULL";
    assert_eq!(count(&db, dropped), 1);
}

#[test]
fn old_and_new_values_are_what_the_codes_table_holds_in_each_release() {
    let work = three_releases();
    let db = open(&export_db(&work));
    let rows: Vec<(String, String, String, String, Sql, Sql)> = db
        .prepare(
            "SELECT old_release, new_release, code, field, old_value, new_value
             FROM changes WHERE field IS NOT NULL",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(rows.len() >= 6, "{rows:?}");
    for (old, new, code, field, old_value, new_value) in rows {
        let sql = format!("SELECT {field} FROM codes WHERE release = ?1 AND code = ?2");
        let value = |release: &str| -> Sql {
            db.query_row(&sql, [release, code.as_str()], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(value(&old), old_value, "{code} {field} in {old}");
        assert_eq!(value(&new), new_value, "{code} {field} in {new}");
    }
}

#[test]
fn validity_gives_each_code_its_first_and_last_release_and_cms_dates() {
    let work = three_releases();
    let db = open(&export_db(&work));
    let row = |code: &str| -> (String, String, i64, Option<String>, Option<String>) {
        db.query_row(
            "SELECT first_release, last_release, releases, added_date, termination_date
             FROM validity WHERE code = ?1",
            [code],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap()
    };
    let e1392 = row("E1392");
    assert_eq!(
        e1392,
        (
            "2006-01".into(),
            "2006-01".into(),
            1,
            Some("2006-01-01".into()),
            None
        )
    );
    // 2007-01 (2005's file) gives K0738 no termination date: the last release decides.
    let k0738 = row("K0738");
    assert_eq!(
        (k0738.0.as_str(), k0738.1.as_str(), k0738.2),
        ("2005-01", "2007-01", 3)
    );
    assert_eq!(k0738.4, None);
    let codes = count(&db, "SELECT count(DISTINCT code) FROM codes");
    assert_eq!(count(&db, "SELECT count(*) FROM validity"), codes);
    let indexes = count(
        &db,
        "SELECT count(*) FROM sqlite_master WHERE type = 'index'",
    );
    assert!(indexes >= 5, "{indexes} indexes");
}

#[test]
fn sqlite_export_refuses_bad_arguments_and_leaves_no_partial_file() {
    let work = oxygen();
    let out = work
        .cmd()
        .args(["export", "--format", "sqlite"])
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("needs --output FILE"),
        "{}",
        stderr(&out)
    );
    let out = work
        .cmd()
        .args(["export", "2006", "--format", "sqlite", "--output"])
        .arg(work.path("x.db"))
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("every stored release"),
        "{}",
        stderr(&out)
    );
    for format in ["fhir", "fhir-conceptmap", "csv"] {
        let out = work
            .cmd()
            .args(["export", "--format", format])
            .assert()
            .code(2);
        assert!(stderr(&out).contains("which release?"), "{}", stderr(&out));
    }
    // A folder where the file should go: the export is written, then cannot be renamed.
    let folder = work.path("taken");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("keep"), "x").unwrap();
    let out = work
        .cmd()
        .args(["export", "--format", "sqlite", "--output"])
        .arg(&folder)
        .assert()
        .code(2);
    assert!(stderr(&out).contains("taken"), "{}", stderr(&out));
    assert!(folder.join("keep").is_file());
    let names: Vec<String> = std::fs::read_dir(work.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.starts_with(".tmp-")), "{names:?}");
    assert!(!work.path("x.db").exists());
    // A damaged snapshot: nothing is written, an earlier export stays as it was.
    let path = export_db(&work);
    let before = std::fs::read(&path).unwrap();
    let snap = work.store().join("2006-01.jsonl");
    let text = std::fs::read_to_string(&snap).unwrap();
    std::fs::write(&snap, text.replace("rental", "purchase")).unwrap();
    let out = work
        .cmd()
        .args(["export", "--format", "sqlite", "--output"])
        .arg(&path)
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("2006-01.jsonl is damaged"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn an_empty_store_exports_no_database() {
    let work = Work::new();
    std::fs::create_dir_all(work.store()).unwrap();
    let out = work
        .cmd()
        .args(["export", "--format", "sqlite", "--output"])
        .arg(work.path("x.db"))
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("the store is empty"),
        "{}",
        stderr(&out)
    );
    assert!(!work.path("x.db").exists());
}

#[test]
fn help_says_what_each_format_is_for_and_csv_stays_the_default() {
    let work = oxygen();
    let help = stdout(&work.cmd().args(["export", "--help"]).assert().success());
    for format in ["csv", "sqlite", "fhir", "fhir-conceptmap"] {
        assert!(help.contains(&format!("{format}:")), "{format} in {help}");
    }
    assert!(help.contains("[default: csv]"), "{help}");
    let plain = stdout(&work.cmd().args(["export", "2006"]).assert().success());
    let csv = work
        .cmd()
        .args(["export", "2006", "--format", "csv"])
        .assert()
        .success();
    assert_eq!(stdout(&csv), plain);
}

/// `export RELEASE --format FORMAT` as written, and parsed back.
fn fhir_text(work: &Work, release: &str, format: &str) -> (String, Value) {
    let out = work
        .cmd()
        .args(["export", release, "--format", format])
        .assert()
        .success();
    let text = stdout(&out);
    let json = serde_json::from_str(&text).expect("FHIR JSON");
    (text, json)
}

fn fhir(work: &Work, release: &str, format: &str) -> Value {
    fhir_text(work, release, format).1
}

/// The property of `concept` named `code`, each value as text.
fn property(concept: &Value, code: &str) -> Vec<String> {
    concept["property"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["code"] == code)
        .map(|p| {
            let (key, value) = p
                .as_object()
                .unwrap()
                .iter()
                .find(|(k, _)| *k != "code")
                .unwrap();
            assert!(key.starts_with("value"), "{p}");
            value.to_string().trim_matches('"').to_string()
        })
        .collect()
}

/// Structure every exported CodeSystem has, whatever the release; returns concepts by code.
fn check_code_system(cs: &Value, release: &str, records: usize) -> BTreeMap<String, Value> {
    assert_eq!(cs["resourceType"], "CodeSystem");
    assert_eq!(
        cs["url"],
        "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
    );
    assert_eq!(cs["version"], release);
    assert_eq!(cs["content"], "complete");
    assert_eq!(cs["count"], records);
    let declared: BTreeMap<&str, &str> = cs["property"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["code"].as_str().unwrap(), p["type"].as_str().unwrap()))
        .collect();
    for name in [
        "status",
        "added",
        "termination",
        "actionEffective",
        "pricingIndicator",
        "coverage",
        "betos",
        "typeOfService",
    ] {
        assert!(declared.contains_key(name), "{name} not declared");
    }
    let concepts = cs["concept"].as_array().unwrap();
    assert_eq!(concepts.len(), records);
    let mut by_code = BTreeMap::new();
    for c in concepts {
        for p in c["property"].as_array().unwrap() {
            let ty = declared[p["code"].as_str().unwrap()];
            let key = format!("value{}{}", ty[..1].to_uppercase(), &ty[1..]);
            assert!(p.get(&key).is_some(), "{p}: not {key}");
        }
        let status = property(c, "status");
        let terminated = !property(c, "termination").is_empty();
        assert_eq!(
            status,
            [if terminated { "retired" } else { "active" }],
            "{c}"
        );
        assert!(c["display"].as_str().is_some_and(|d| !d.is_empty()), "{c}");
        by_code.insert(c["code"].as_str().unwrap().to_string(), c.clone());
    }
    assert_eq!(by_code.len(), records, "a code twice");
    by_code
}

#[test]
fn fhir_code_system_has_a_concept_per_code_with_its_fields() {
    let work = oxygen();
    let (_, records) = snapshot(&work, "2006-01");
    let (text, cs) = fhir_text(&work, "2006", "fhir");
    let concepts = check_code_system(&cs, "2006-01", records.len());
    for (code, record) in &records {
        let c = &concepts[code];
        assert_eq!(c["display"], record["long_description"], "{code}");
        assert_eq!(c["definition"], record["long_description"], "{code}");
        let short = &c["designation"][0]["value"];
        assert_eq!(short, &record["short_description"], "{code}");
        let added = property(c, "added");
        assert_eq!(
            added.first().map(String::as_str),
            record["added_date"].as_str()
        );
        let pricing = property(c, "pricingIndicator");
        let stored = record["pricing_indicators"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(Value::from(pricing), Value::Array(stored), "{code}");
    }
    let k0738 = &concepts["K0738"];
    assert_eq!(property(k0738, "status"), ["retired"]);
    assert_eq!(property(k0738, "termination"), ["2005-12-31"]);
    assert_eq!(property(&concepts["RR"], "kind"), ["modifier"]);
    insta::assert_snapshot!("oxygen_2006.fhir", crate::util::without_version(&text));
}

#[test]
fn fhir_concept_map_maps_terminated_codes_to_their_cross_references() {
    let work = oxygen();
    let map = fhir(&work, "2006", "fhir-conceptmap");
    assert_eq!(map["resourceType"], "ConceptMap");
    let groups = map["group"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{map}");
    let group = &groups[0];
    assert_eq!(
        group["source"],
        "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
    );
    assert_eq!(group["target"], group["source"]);
    assert_eq!(group["sourceVersion"], "2006-01");
    let element = group["element"].as_array().unwrap();
    assert_eq!(element.len(), 1);
    assert_eq!(element[0]["code"], "K0738");
    assert_eq!(element[0]["target"][0]["code"], "E1392");
    assert_eq!(element[0]["target"][0]["equivalence"], "relatedto");
    // 2005 terminates nothing: a map with no group at all.
    let empty = fhir(&work, "2005", "fhir-conceptmap");
    assert!(empty.get("group").is_none(), "{empty}");
    // Written to a file, the same bytes.
    let path = work.path("map.json");
    work.cmd()
        .args(["export", "2006", "--format", "fhir-conceptmap", "--output"])
        .arg(&path)
        .assert()
        .success();
    let from_file: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(from_file, map);
}

#[test]
fn sqlite_export_of_the_real_releases() {
    let Some(data) = real_data!() else {
        return;
    };
    let work = imported(&data);
    let db = open(&export_db(work));
    let releases: Vec<String> = db
        .prepare("SELECT id FROM releases ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(releases.len(), 11);
    for release in &releases {
        let sql = format!("SELECT count(*) FROM codes WHERE release = '{release}'");
        let records = &provenance(work, release)["records"];
        assert_eq!(count(&db, &sql), *records, "{release}");
    }
    assert_eq!(
        count(&db, "SELECT count(*) FROM codes WHERE release = '2019-01'"),
        6800
    );
    let added = "SELECT count(DISTINCT code) FROM changes \
                 WHERE new_release = '2020-01' AND change = 'added'";
    assert_eq!(count(&db, added), 279);
    // Each pair's codes by kind of change, as `diff` counts them.
    for pair in releases.windows(2) {
        let out = work
            .cmd()
            .args(["diff", &pair[0], &pair[1], "--format", "json"])
            .assert()
            .code(1);
        let summary = serde_json::from_str::<Value>(&stdout(&out)).unwrap()["summary"].clone();
        for change in ["added", "retired", "dropped", "reinstated", "changed"] {
            let sql = format!(
                "SELECT count(DISTINCT code) FROM changes WHERE old_release = '{}' \
                 AND new_release = '{}' AND change = '{change}'",
                pair[0], pair[1]
            );
            assert_eq!(count(&db, &sql), summary[change], "{pair:?} {change}");
        }
    }
}

#[test]
fn fhir_code_system_of_the_real_2025_release() {
    let Some(data) = real_data!() else {
        return;
    };
    let work = imported(&data);
    let (_, records) = snapshot(work, "2025-01");
    let cs = fhir(work, "2025-01", "fhir");
    let concepts = check_code_system(&cs, "2025-01", 8642);
    assert_eq!(records.len(), 8642);
    let e1392 = &concepts["E1392"];
    assert_eq!(e1392["display"], "Portable oxygen concentrator, rental");
    assert_eq!(e1392["display"], records["E1392"]["long_description"]);
    let retired = concepts
        .values()
        .filter(|c| property(c, "status") == ["retired"])
        .count();
    let terminated = records
        .values()
        .filter(|r| r.get("termination_date").is_some())
        .count();
    assert_eq!(retired, terminated);
    let map = fhir(work, "2025-01", "fhir-conceptmap");
    let mapped: usize = map["group"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["element"].as_array().unwrap().len())
        .sum();
    assert!(mapped > 0 && mapped <= terminated, "{mapped}");
}
