//! What kind of item each code is: the pricing group of its pricing indicator, the section of
//! HCPCS Level II it falls in, and the reports by section; on the oxygen fixtures and, where
//! `HCPCS_DIFF_DATA` names them, on every real release.

use hcpcs_diff::model::sections::SECTIONS;
use hcpcs_diff::model::{Kind, Record};

use crate::real_releases::{RELEASES, imported};
use crate::util::{json, oxygen, real_data, stdout};

const DMEPOS: &str =
    "Durable Medical Equipment, Prosthetics, Orthotics, Supplies And Surgical Dressings";

#[test]
fn show_e1392_gives_its_pricing_indicator_with_its_group() {
    let work = oxygen();
    let text = stdout(&work.cmd().args(["show", "E1392"]).assert().success());
    assert!(
        text.contains(&format!(
            "Pricing indicator             33 = Oxygen and oxygen equipment (price subject to floors and ceilings)\n\
             {:30}pricing group: {DMEPOS}\n",
            ""
        )),
        "{text}"
    );
    let v = json(
        &work
            .cmd()
            .args(["show", "E1392", "--format", "json"])
            .assert()
            .success(),
    );
    let pricing = &v["fields"]["pricing_indicators"][0];
    assert_eq!(
        pricing["meaning"],
        "Oxygen and oxygen equipment (price subject to floors and ceilings)"
    );
    assert_eq!(pricing["group"], DMEPOS);
    // Other fields carry no pricing group.
    assert!(v["fields"]["coverage"][0].get("group").is_none(), "{v}");
}

/// Every code of every real release, from its stored snapshot, as (release, code, kind).
fn every_stored_code(work: &crate::util::Work) -> Vec<(String, String, Kind)> {
    let mut out = Vec::new();
    for (_, release, _) in RELEASES {
        let text = std::fs::read_to_string(work.store().join(format!("{release}.jsonl"))).unwrap();
        for line in text.lines().skip(1) {
            let r: Record = serde_json::from_str(line).unwrap();
            out.push((release.to_string(), r.code, r.kind));
        }
    }
    out
}

#[test]
fn every_code_of_every_real_release_is_in_exactly_one_section() {
    let Some(data) = real_data!() else {
        return;
    };
    let work = imported(&data);
    let codes = every_stored_code(work);
    assert!(codes.len() > 60_000, "{}", codes.len());
    let mut outside = Vec::new();
    for (release, code, kind) in &codes {
        let holding: Vec<&str> = SECTIONS
            .iter()
            .filter(|s| s.holds(code, *kind))
            .map(|s| s.id)
            .collect();
        if holding.len() != 1 {
            outside.push(format!("{release} {code}: {holding:?}"));
        }
    }
    assert!(
        outside.is_empty(),
        "codes in no section or in several: {outside:?}"
    );
    // Every section holds codes of some release: none is a range nothing falls in.
    let releases: Vec<&str> = RELEASES.iter().map(|r| r.1).collect();
    for s in SECTIONS {
        let found = codes.iter().filter(|(_, c, k)| s.holds(c, *k)).count();
        assert!(found > 0, "{} holds no code of {releases:?}", s.id);
    }
}
