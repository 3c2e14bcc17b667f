//! What kind of item each code is: the pricing group of its pricing indicator, the section of
//! HCPCS Level II it falls in, and the reports by section; on the oxygen fixtures and, where
//! `HCPCS_DIFF_DATA` names them, on every real release.

use crate::util::{json, oxygen, stdout};

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
