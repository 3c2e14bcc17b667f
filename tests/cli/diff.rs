//! `diff` through the binary on the oxygen fixture pair and on real releases: what is reported,
//! the exit statuses, the filters and the JSON shape.

use crate::util::{Work, fixture, json, shared, stderr, stdout};

fn oxygen() -> Work {
    Work::with(&[fixture("oxygen/2005"), fixture("oxygen/2006")])
}

#[test]
fn the_oxygen_fixtures_show_e1392_added_in_2006() {
    let work = oxygen();
    let out = work.cmd().args(["diff", "2005", "2006"]).assert().code(1);
    assert_eq!(
        stdout(&out),
        "\
HCPCS 2005-01 -> 2006-01
1 added, 1 retired, 0 dropped, 0 reinstated, 3 changed (1 of them cosmetic only)

ADDED (1)
  E1392  Portable oxygen concentrator, rental

RETIRED (1)
  K0738  Portable gaseous oxygen system, rental; home compressor used to fill portable oxygen cylinders
      Cross-reference: (blank) -> E1392
      Terminated: (blank) -> 2005-12-31

CHANGED (2)
  E1390  Oxygen concentrator, single delivery port, capable of delivering 85 percent or greater oxygen concentration at the prescribed flow rate, each
      Long description: Oxygen concentrator, single delivery port, capable of delivering 85 percent or greater oxygen concentration at the prescribed flow [-rate-]{+rate,+} {+each+}
  E1391  Oxygen concentrator, dual delivery port, capable of delivering 85 percent or greater oxygen concentration at the prescribed flow rate, each
      Pricing indicator: 33 = Oxygen and oxygen equipment (price subject to floors and ceilings) -> 36 = Capped rental DME (price subject to floors and ceilings)

COSMETIC ONLY (1; --hide-cosmetic leaves them out)
  E0431  Short description
"
    );
}

#[test]
fn json_has_a_versioned_schema_with_summary_and_changes() {
    let work = oxygen();
    let out = work
        .cmd()
        .args(["diff", "2005", "2006", "--format", "json"])
        .assert()
        .code(1);
    let v: serde_json::Value = json(&out);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["old"]["release"], "2005-01");
    assert_eq!(v["new"]["release"], "2006-01");
    assert_eq!(v["summary"]["added"], 1);
    assert_eq!(v["summary"]["changed"], 3);
    assert_eq!(v["summary"]["cosmetic"], 1);
    let e1391 = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "E1391")
        .unwrap();
    assert_eq!(e1391["change"], "changed");
    assert_eq!(e1391["action_code"], "P");
    assert_eq!(e1391["fields"][0]["field"], "pricing_indicators");
    assert_eq!(e1391["fields"][0]["group"], "payment");
    assert_eq!(e1391["fields"][0]["old"][0], "33");
    assert_eq!(e1391["fields"][0]["new"][0], "36");
}

#[test]
fn filters_narrow_the_report_and_the_exit_status_follows_them() {
    let work = oxygen();
    let out = work
        .cmd()
        .args([
            "diff", "2005", "2006", "--only", "added", "--format", "json",
        ])
        .assert()
        .code(1);
    let v: serde_json::Value = json(&out);
    assert_eq!(v["changes"].as_array().unwrap().len(), 1);
    assert_eq!(v["summary"]["changed"], 0);
    work.cmd()
        .args(["diff", "2005", "2006", "--code", "E0424"])
        .assert()
        .code(0);
    work.cmd()
        .args(["diff", "2005", "2006", "--kind", "modifier"])
        .assert()
        .code(0);
    work.cmd()
        .args(["diff", "2005", "2006", "--code", "e0431", "--hide-cosmetic"])
        .assert()
        .code(0);
    work.cmd()
        .args(["diff", "2005", "2006", "--prefix", "K"])
        .assert()
        .code(1);
    work.cmd().args(["diff", "2006", "2006"]).assert().code(0);
    let out = work.cmd().args(["diff", "2005", "2007"]).assert().code(2);
    assert!(stderr(&out).contains("release 2007-01 is not in the store"));
}

#[test]
fn a_release_file_can_be_diffed_without_storing_it() {
    let work = Work::with(&[fixture("oxygen/2005")]);
    let before = work.store_state();
    work.cmd()
        .arg("diff")
        .arg("2005")
        .arg(fixture("oxygen/2006"))
        .arg("--only")
        .arg("added")
        .assert()
        .code(1);
    assert_eq!(work.store_state(), before);
}

#[test]
fn e1392_is_unchanged_from_2012_to_2020_and_2012_to_2013_is_cosmetic() {
    let work = Work::with(&[
        shared("2012-01/12anweb.zip"),
        shared("2013-01/13anweb.zip"),
        shared("2020-01/2020-Alpha-Numeric-HCPCS-File.zip"),
    ]);
    work.cmd()
        .args(["diff", "2013", "2020", "--code", "E1392"])
        .assert()
        .code(0);
    // 2012 printed descriptions in capitals: E1392's change to 2013 is case only.
    let out = work
        .cmd()
        .args([
            "diff", "2012", "2013", "--code", "E1392", "--format", "json",
        ])
        .assert()
        .code(1);
    let v: serde_json::Value = json(&out);
    assert_eq!(v["summary"]["cosmetic"], 1);
    work.cmd()
        .args(["diff", "2012", "2013", "--code", "E1392", "--hide-cosmetic"])
        .assert()
        .code(0);
}
