//! Release order and when CMS's action codes can be checked: OLD newer than NEW is refused, the
//! same release twice is quiet, and action codes are checked only against the quarter before
//! NEW; across a gap only added and retired codes' dates are.

use crate::util::{fixture, json, oxygen, real_data, stderr, stdout};

#[test]
fn old_newer_than_new_is_refused_for_stored_ids_and_for_files() {
    let work = oxygen();
    let out = work.cmd().args(["diff", "2006", "2005"]).assert().code(2);
    assert!(stdout(&out).is_empty());
    assert_eq!(
        stderr(&out),
        "error: OLD (2006-01) is newer than NEW (2005-01); swap them\n"
    );
    let out = work
        .cmd()
        .arg("diff")
        .arg(fixture("oxygen/2006"))
        .arg(fixture("oxygen/2005"))
        .assert()
        .code(2);
    assert!(stderr(&out).contains("OLD (2006-01) is newer than NEW (2005-01); swap them"));
}

#[test]
fn the_same_release_twice_has_no_changes_and_no_disagreements() {
    let work = oxygen();
    let out = work
        .cmd()
        .args(["diff", "2006", "2006", "--format", "json"])
        .assert()
        .code(0);
    let v = json(&out);
    assert_eq!(v["changes"].as_array().unwrap().len(), 0);
    assert_eq!(v["disagreements"].as_array().unwrap().len(), 0);
    assert_eq!(v["cms_agreement"]["checked"], false);
    assert_eq!(
        v["cms_agreement"]["reason"],
        "OLD and NEW are the same release"
    );
}

/// The oxygen fixtures are a year apart: every format says action codes were not checked,
/// and why.
#[test]
fn every_format_says_when_action_codes_are_not_checked() {
    let work = oxygen();
    let render = |format: &str| {
        stdout(
            &work
                .cmd()
                .args(["diff", "2005", "2006", "--format", format])
                .assert()
                .code(1),
        )
    };
    let why = "NEW's previous quarterly release is 2005-10, not 2005-01";
    let text = render("text");
    assert!(
        text.contains(&format!(
            "CMS's action codes are not checked: they describe the change from the previous \
             quarterly release, and {why}. Checked instead:"
        )),
        "{text}"
    );
    assert!(render("markdown").contains("CMS's action codes are not checked"));
    assert!(render("html").contains(&format!("<p class=\"note\">CMS's action codes are not checked: they describe the change from the previous quarterly release, and {why}.")));
    let v = json(
        &work
            .cmd()
            .args(["diff", "2005", "2006", "--format", "json"])
            .assert()
            .code(1),
    );
    assert_eq!(v["cms_agreement"]["checked"], false);
    assert_eq!(v["cms_agreement"]["reason"], why);
    let e1391 = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "E1391")
        .unwrap();
    assert_eq!(e1391["cms_agrees"], serde_json::Value::Null);
    let csv = render("csv");
    assert!(
        csv.lines().any(|l| l.starts_with("2005-01,2006-01,E1391,")
            && l.contains(&format!(",P,\"not checked: {why}\","))),
        "{csv}"
    );
    // Added and retired codes' dates are still checked across the gap.
    assert!(
        csv.lines()
            .any(|l| l.starts_with("2005-01,2006-01,E1392,") && l.contains(",A,true,")),
        "{csv}"
    );
}

fn disagreements(v: &serde_json::Value) -> Vec<(String, String)> {
    v["disagreements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn real_releases_in_order_same_and_across_a_gap() {
    let Some(data) = real_data!() else {
        return;
    };
    let work = crate::real_releases::imported(&data);
    let out = work
        .cmd()
        .args(["diff", "2020-01", "2019-01"])
        .assert()
        .code(2);
    assert!(stderr(&out).contains("OLD (2020-01) is newer than NEW (2019-01); swap them"));
    let out = work
        .cmd()
        .args(["diff", "2019-01", "2019-01", "--format", "json"])
        .assert()
        .code(0);
    let v = json(&out);
    assert_eq!(v["changes"].as_array().unwrap().len(), 0);
    assert_eq!(disagreements(&v), []);

    // Five years apart: action codes say nothing about 2020-01; only dates are checked. C9058
    // (date added 2019-11-15) is not in 2020-01 although added before it took effect.
    let out = work
        .cmd()
        .args(["diff", "2020-01", "2025-01", "--format", "json"])
        .assert()
        .code(1);
    let v = json(&out);
    assert_eq!(v["cms_agreement"]["checked"], false);
    assert_eq!(
        disagreements(&v),
        [(
            "C9058".to_string(),
            "added but its date added (2019-11-15) is before 2020-01 took effect (2020-01-01)"
                .to_string()
        )]
    );
    let c9053 = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "C9053")
        .unwrap();
    assert_eq!(c9053["cms_agrees"], true);

    // One quarter apart: action codes are checked, and reasons name the fields.
    let out = work
        .cmd()
        .args(["diff", "2020-01", "2020-04", "--format", "json"])
        .assert()
        .code(1);
    let v = json(&out);
    assert_eq!(v["cms_agreement"]["checked"], true);
    let found = disagreements(&v);
    assert!(
        found.contains(&(
            "AX".to_string(),
            "processing note changed but marked N (no maintenance for this code)".to_string()
        )),
        "{found:?}"
    );
}
