//! The JSON changeset against the JSON Schema published in `schema/changeset.schema.json`,
//! checked by a small validator of the keywords that schema uses (`type`, `const`, `enum`,
//! `pattern`, `minimum`, `properties`, `required`, `additionalProperties: false`, `items`, local `$ref`).

use serde_json::Value;

use crate::util::{Work, json, oxygen, real_data};

fn schema() -> Value {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/changeset.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_u64() || n.is_i64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every way `value` (at `at`) breaks `rule`, appended to `errors`.
fn check(root: &Value, rule: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(r) = rule["$ref"].as_str() {
        let name = r.trim_start_matches("#/$defs/");
        return check(root, &root["$defs"][name], value, at, errors);
    }
    let mut fail = |what: String| errors.push(format!("{at}: {what}"));
    match &rule["type"] {
        Value::String(t) if t != type_name(value) => fail(format!("not {t}: {value}")),
        Value::Array(ts) if !ts.iter().any(|t| t == type_name(value)) => {
            fail(format!("not one of {ts:?}: {value}"))
        }
        _ => {}
    }
    if let Some(c) = rule.get("const").filter(|c| *c != value) {
        fail(format!("{value} is not {c}"));
    }
    if let Some(e) = rule["enum"].as_array().filter(|e| !e.contains(value)) {
        fail(format!("{value} is not one of {e:?}"));
    }
    if let (Some(min), Some(n)) = (rule["minimum"].as_f64(), value.as_f64())
        && n < min
    {
        fail(format!("{n} is below {min}"));
    }
    if let (Some(p), Some(s)) = (rule["pattern"].as_str(), value.as_str())
        && !regex::Regex::new(p).unwrap().is_match(s)
    {
        fail(format!("'{s}' does not match {p}"));
    }
    if let Value::Object(map) = value {
        for key in rule["required"].as_array().into_iter().flatten() {
            let key = key.as_str().unwrap_or("");
            if !map.contains_key(key) {
                errors.push(format!("{at}: {key} missing"));
            }
        }
        for (key, v) in map {
            match rule["properties"].get(key) {
                Some(r) => check(root, r, v, &format!("{at}.{key}"), errors),
                None if rule["additionalProperties"] == false => {
                    errors.push(format!("{at}: {key} not in the schema"))
                }
                None => {}
            }
        }
    }
    if let (Value::Array(items), Some(r)) = (value, rule.get("items")) {
        for (i, v) in items.iter().enumerate() {
            check(root, r, v, &format!("{at}[{i}]"), errors);
        }
    }
}

fn violations(doc: &Value) -> Vec<String> {
    let root = schema();
    let mut errors = Vec::new();
    check(&root, &root, doc, "$", &mut errors);
    errors
}

#[test]
fn the_validator_finds_what_breaks_the_schema() {
    let broken = serde_json::json!({"schema_version": 2, "old": {"release": "2005", "codes": -1}});
    let errors = violations(&broken);
    for expected in [
        "$.schema_version: 2 is not 4",
        "$.old: source missing",
        "'2005' does not match",
        "$: context missing",
        "$.old.codes: -1 is below 0",
    ] {
        assert!(
            errors.iter().any(|e| e.contains(expected)),
            "{expected}: {errors:#?}"
        );
    }
}

#[test]
fn fixture_changesets_match_the_published_schema() {
    let work = oxygen();
    let watch = work.write("watch.txt", "E0424-E1406\nK0738\n");
    let runs: [&[&str]; 3] = [
        &["diff", "2005", "2006", "--format", "json"],
        &[
            "diff",
            "2005",
            "2006",
            "--format",
            "json",
            "--prefix",
            "E",
            "--only",
            "changed",
            "--hide-cosmetic",
            "--kind",
            "procedure",
        ],
        &[
            "diff",
            "2005",
            "2006",
            "--format",
            "json",
            "--code",
            "E1392",
            "--range",
            "E0424-E0431",
        ],
    ];
    for args in runs {
        let doc = json(&work.cmd().args(args).assert());
        assert_eq!(violations(&doc), Vec::<String>::new(), "{args:?}");
    }
    let doc = json(
        &work
            .cmd()
            .args(["diff", "2005", "2006", "--format", "json", "--watch"])
            .arg(&watch)
            .assert(),
    );
    assert_eq!(violations(&doc), Vec::<String>::new());
    let filters = &doc["context"]["filters"];
    assert_eq!(filters["watch"]["entries"], 2);
    assert!(
        filters["watch"]["file"]
            .as_str()
            .unwrap()
            .ends_with("watch.txt")
    );
    assert_eq!(doc["context"]["generated_at"], "2026-01-02T03:04:05Z");
    assert_eq!(doc["context"]["consecutive"], false);
}

/// Real releases: consecutive quarters (2020-01 → 2020-04) and a gap, every change kind, a
/// list field's added and removed items (E0210 gained R in 2020-01).
#[test]
fn real_changesets_match_the_published_schema() {
    let Some(data) = real_data!() else {
        return;
    };
    let work = Work::with(&[
        data.join("2019-01/2019-Alpha-Numeric-HCPCS-File.zip"),
        data.join("2020-01/2020-Alpha-Numeric-HCPCS-File.zip"),
        data.join("2020-04/anweb.xlsx"),
    ]);
    for (old, new, consecutive) in [("2019-01", "2020-01", false), ("2020-01", "2020-04", true)] {
        let doc = json(
            &work
                .cmd()
                .args(["diff", old, new, "--format", "json"])
                .assert(),
        );
        assert_eq!(violations(&doc), Vec::<String>::new(), "{old} {new}");
        assert_eq!(doc["context"]["consecutive"], consecutive);
    }
    let doc = json(
        &work
            .cmd()
            .args([
                "diff", "2019-01", "2020-01", "--format", "json", "--code", "E0210",
            ])
            .assert(),
    );
    let tos = doc["changes"][0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "types_of_service")
        .unwrap();
    assert_eq!(tos["added"], serde_json::json!(["R"]));
    assert_eq!(tos["removed"], serde_json::json!([]));
    let text = crate::util::stdout(
        &work
            .cmd()
            .args(["diff", "2019-01", "2020-01", "--code", "E0210"])
            .assert(),
    );
    assert!(text.contains("{+R = Rental of DME+}"), "{text}");
    assert!(text.contains("Filters: --code E0210\n"), "{text}");
}
