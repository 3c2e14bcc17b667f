//! What a change means: codes CMS reused for something else (redefined), on a fixture and on
//! G9890 in the real 2019-01 release.

use crate::util::{Work, fixture, json, real_data, stdout};

/// The 2005 oxygen fixture with E0431 reused for something else: its long and short
/// descriptions replaced, all else as it was. Written as the 2007-01 release.
fn reused_e0431(work: &Work) -> std::path::PathBuf {
    let old = std::fs::read(fixture("oxygen/2005/HCPC2005_CONTR_ANWEB.txt")).unwrap();
    let text = String::from_utf8(old).unwrap();
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            if line.starts_with("E0431001") {
                let long = format!("{:<80}", "Bridge payment for a diabetes prevention program");
                let short = format!("{:<28}", "Dpp bridge payment");
                format!("{}{long}{short}{}", &line[..11], &line[119..])
            } else if line.starts_with("E0431002") {
                "E0431002004session, one per beneficiary".to_string()
            } else {
                line.to_string()
            }
        })
        .collect();
    work.write("HCPC2007_CONTR_ANWEB.txt", lines.join("\r\n") + "\r\n")
}

#[test]
fn a_reused_code_is_redefined_and_listed_first_in_every_format() {
    let work = Work::new();
    work.cmd()
        .arg("import")
        .arg(fixture("oxygen/2005"))
        .assert()
        .success();
    let new = reused_e0431(&work);
    work.cmd().arg("import").arg(&new).assert().success();
    let out = work.cmd().args(["diff", "2005", "2007"]).assert().code(1);
    let text = stdout(&out);
    let first = text.find("\n\n").map(|i| &text[i + 2..]).unwrap_or("");
    assert!(
        first.starts_with("REDEFINED (1)\n  E0431  Bridge payment for a diabetes prevention program session, one per beneficiary\n      Redefined: the old and new descriptions share little meaning"),
        "{text}"
    );
    let out = work
        .cmd()
        .args(["diff", "2005", "2007", "--format", "json"])
        .assert()
        .code(1);
    let doc = json(&out);
    let changes = doc["changes"].as_array().unwrap();
    let flagged: Vec<&str> = changes
        .iter()
        .filter(|c| c["redefined"] == true)
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(flagged, ["E0431"]);
    for format in ["markdown", "html", "csv"] {
        let out = work
            .cmd()
            .args(["diff", "2005", "2007", "--format", format])
            .assert()
            .code(1);
        let body = stdout(&out);
        assert!(
            body.contains("Redefined") || body.contains(",true\n"),
            "{format}: {body}"
        );
    }
    let out = work.cmd().args(["history", "E0431"]).assert().success();
    let text = stdout(&out);
    assert!(text.contains("2007-01  changed (redefined: "), "{text}");
}

/// G9890 went from a dilated macular exam to an MDPP bridge payment in 2019-01.
#[test]
fn g9890_is_redefined_from_2018_to_2019() {
    let Some(data) = real_data!() else {
        return;
    };
    let work = Work::with(&[
        data.join("2018-01/2018-Alpha-Numeric-HCPCS-File.zip"),
        data.join("2019-01/2019-Alpha-Numeric-HCPCS-File.zip"),
    ]);
    let out = work
        .cmd()
        .args(["diff", "2018-01", "2019-01", "--format", "json"])
        .assert()
        .code(1);
    let doc = json(&out);
    let flagged: Vec<&str> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["redefined"] == true)
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(flagged, ["G9637", "G9638", "G9890", "G9891"]);
    let out = work
        .cmd()
        .args(["diff", "2018-01", "2019-01", "--code", "G9890"])
        .assert()
        .code(1);
    let text = stdout(&out);
    assert!(
        text.contains("\nREDEFINED (1)\n  G9890  Bridge payment"),
        "{text}"
    );
}
