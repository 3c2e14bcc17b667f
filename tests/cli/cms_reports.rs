//! The computed changes against CMS's own transaction reports (`Changes_by_HCPC*.prn`): for
//! every code the report lists, its type of change and ours. CMS's reports give no before and
//! after, so this checks the kind of change, code by code.

use std::collections::BTreeMap;
use std::path::Path;

use hcpcs_diff::diff::{Change, diff};
use hcpcs_diff::{ReadOptions, load_path};

use crate::util::{real_data, unzip};

/// The report's wording reduced to ours: added, retired, reinstated, unchanged, or the review
/// group a change belongs to.
fn report_kind(text: &str) -> Option<&'static str> {
    let t = text.to_ascii_lowercase();
    Some(match () {
        _ if t.starts_with("no change") => "unchanged",
        _ if t.starts_with("add") => "added",
        _ if t.starts_with("discontinued") => "retired",
        _ if t.starts_with("re-activated") => "reinstated",
        _ if t.starts_with("coverage") => "coverage",
        _ if t.starts_with("long description") || t.starts_with("short description") => {
            "description"
        }
        _ if t.starts_with("payment") => "payment",
        _ if t.starts_with("misc") => "BETOS and type of service",
        _ => return None,
    })
}

/// code → kind of change, from a `.prn` report: the code, then the type of change.
fn read_report(bytes: &[u8]) -> BTreeMap<String, &'static str> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        let Some((code, rest)) = line.split_once(char::is_whitespace) else {
            continue;
        };
        if !(code.len() == 5 || code.len() == 2) || !code.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            continue;
        }
        if let Some(kind) = report_kind(rest.trim_start()) {
            out.insert(code.to_string(), kind);
        }
    }
    out
}

fn member(data: &Path, path: &str, name: &str) -> Vec<u8> {
    unzip(&data.join(path))
        .into_iter()
        .find(|(n, _)| n == name)
        .expect("report in zip")
        .1
}

/// (old, new, report in new's zip)
const PAIRS: &[(&str, &str, &str)] = &[
    (
        "2016-01",
        "2017-01/2017-Alpha-Numeric-HCPCS-File.zip",
        "HCPCS2017_Trans Report_ChangesbyHCPC.prn",
    ),
    (
        "2017-01/2017-Alpha-Numeric-HCPCS-File.zip",
        "2018-01/2018-Alpha-Numeric-HCPCS-File.zip",
        "HCPC18_Trans_Report_Alpha_ChangesbyHCPC.prn",
    ),
    (
        "2018-01/2018-Alpha-Numeric-HCPCS-File.zip",
        "2019-01/2019-Alpha-Numeric-HCPCS-File.zip",
        "Changes_by_HCPCSCode.prn",
    ),
    (
        "2019-01/2019-Alpha-Numeric-HCPCS-File.zip",
        "2020-01/2020-Alpha-Numeric-HCPCS-File.zip",
        "Changes_by_HCPC.prn",
    ),
];

/// How CMS's kind and ours relate: the same (or CMS's group is among ours, or a cosmetic
/// description change CMS reports either way); explained by the
/// quarterly updates between two annual files (CMS reports each annual file against the last
/// quarter, so a code added or changed in April, July or October is "No Change" in January,
/// and one added mid-year and discontinued in January is "Discontinued" where the annual
/// files see it added); or unexplained.
fn relate(theirs: &str, ours: &str) -> &'static str {
    let cosmetic = ours == "cosmetic" && (theirs == "unchanged" || theirs == "description");
    if cosmetic || theirs == ours || ours.split('+').any(|g| g == theirs) {
        "agree"
    } else if theirs == "unchanged" || (theirs == "retired" && ours == "added") {
        "quarterly"
    } else {
        "unexplained"
    }
}

fn ours(set: &hcpcs_diff::diff::Changeset, code: &str) -> String {
    match set.changes.iter().find(|c| c.code == code) {
        None => "unchanged".to_string(),
        Some(c) if c.is_cosmetic() => "cosmetic".to_string(),
        Some(c) if c.change == Change::Changed => {
            // A moved termination date is a (re)discontinuation, as CMS reports it.
            let mut groups: Vec<&str> = c
                .fields
                .iter()
                .filter(|f| !f.cosmetic)
                .map(|f| {
                    if f.field == "termination_date" {
                        "retired"
                    } else {
                        f.group.label()
                    }
                })
                .collect();
            groups.dedup();
            groups.join("+")
        }
        Some(c) => c.change.as_str().to_string(),
    }
}

#[test]
fn computed_changes_match_cms_transaction_reports() {
    let Some(data) = real_data!() else {
        return;
    };
    // Codes where CMS's report and the two files disagree with no quarterly update to explain
    // it (README, "Agreement with CMS's transaction reports", says what each is).
    let unexplained: &[(&str, &[&str])] = &[
        ("2017-01", &["PO"]),
        ("2018-01", &[]),
        ("2019-01", &["G9890", "G9891", "Q2041", "QQ", "VM"]),
        ("2020-01", &[]),
    ];
    for ((old, new, report_name), (release, expected)) in PAIRS.iter().zip(unexplained) {
        let old_snap = load_path(&data.join(old), ReadOptions::default())
            .unwrap()
            .snapshot;
        let new_snap = load_path(&data.join(new), ReadOptions::default())
            .unwrap()
            .snapshot;
        assert_eq!(new_snap.release().to_string(), *release);
        let set = diff(&old_snap, &new_snap);
        let report = read_report(&member(&data, new, report_name));
        assert!(
            report.len() > 6000,
            "{new}: read only {} codes from the report",
            report.len()
        );
        let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
        let mut odd = Vec::new();
        for (code, theirs) in &report {
            let ours = ours(&set, code);
            let relation = relate(theirs, &ours);
            *tally.entry(relation).or_default() += 1;
            if relation == "unexplained" {
                odd.push(format!("{code}: CMS {theirs}, ours {ours}"));
            }
        }
        let agree = tally.get("agree").copied().unwrap_or(0);
        assert!(agree * 100 >= report.len() * 98, "{new}: {tally:?}");
        let codes: Vec<&str> = odd.iter().map(|o| o.split(':').next().unwrap()).collect();
        assert_eq!(codes, *expected, "{new}: {odd:#?}");
        // Every code CMS reports as added or discontinued that the files show otherwise is
        // one of the explained or listed ones above; the reverse holds too:
        for c in set.changes.iter().filter(|c| c.change == Change::Added) {
            if let Some(theirs) = report.get(&c.code) {
                assert!(
                    relate(theirs, "added") != "unexplained" || codes.contains(&c.code.as_str()),
                    "{}",
                    c.code
                );
            }
        }
    }
}
