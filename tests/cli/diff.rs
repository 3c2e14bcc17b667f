//! `diff` through the binary on the oxygen fixture pair and on real releases (`HCPCS_DIFF_DATA`): what is reported,
//! the exit statuses, the filters and the JSON shape.

use crate::util::{Work, fixture, json, oxygen, real_data, stderr, stdout, without_version};

#[test]
fn the_oxygen_fixtures_show_e1392_added_in_2006() {
    let work = oxygen();
    let out = work.cmd().args(["diff", "2005", "2006"]).assert().code(1);
    let text = stdout(&out);
    assert!(
        text.contains("\nADDED (1)\n  E1392  Portable oxygen concentrator, rental\n"),
        "{text}"
    );
    assert!(
        text.contains("      use instead: E1392 (active): Portable oxygen concentrator, rental\n"),
        "{text}"
    );
    work.cmd().args(["history", "E1392"]).assert().success();
}

/// Every renderer pinned on the fixture pair (insta; `INSTA_UPDATE=always cargo test` to
/// accept a deliberate change, then review the .snap diff).
#[test]
fn every_format_is_pinned() {
    let work = oxygen();
    for format in ["text", "markdown", "json", "csv", "html"] {
        let out = work
            .cmd()
            .args(["diff", "2005", "2006", "--format", format])
            .assert()
            .code(1);
        insta::assert_snapshot!(
            format!("oxygen_2005_2006.{format}"),
            without_version(&stdout(&out))
        );
    }
    for format in ["text", "markdown", "json"] {
        let out = work
            .cmd()
            .args(["history", "E1390", "--format", format])
            .assert()
            .success();
        insta::assert_snapshot!(
            format!("history_e1390.{format}"),
            without_version(&stdout(&out))
        );
    }
}

#[test]
fn output_goes_to_a_file_atomically_and_the_status_still_says_changes() {
    let work = oxygen();
    let path = work.path("changes.md");
    let out = work
        .cmd()
        .args(["diff", "2005", "2006", "--format", "markdown", "--output"])
        .arg(&path)
        .assert()
        .code(1);
    assert!(stdout(&out).is_empty());
    let md = std::fs::read_to_string(&path).unwrap();
    assert!(
        md.starts_with("# HCPCS changes 2005-01 → 2006-01\n"),
        "{md}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(work.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn ranges_and_watch_files_select_codes() {
    let work = oxygen();
    let out = work
        .cmd()
        .args([
            "diff",
            "2005",
            "2006",
            "--range",
            "E1390-E1392",
            "--format",
            "json",
        ])
        .assert()
        .code(1);
    let codes: Vec<String> = json(&out)["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes, ["E1390", "E1391", "E1392"]);
    let watch = work.write(
        "watch.txt",
        "# what we bill\nE0424-E0431  # stationary and portable\nK0738\n",
    );
    let out = work
        .cmd()
        .args(["diff", "2005", "2006", "--format", "json", "--watch"])
        .arg(&watch)
        .assert()
        .code(1);
    let v = json(&out);
    let codes: Vec<&str> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["E0431", "K0738"]);
    assert_eq!(v["summary"]["retired"], 1);
    let bad = work.write("bad.txt", "E1392\nE13-\n");
    let out = work
        .cmd()
        .args(["diff", "2005", "2006", "--watch"])
        .arg(&bad)
        .assert()
        .code(2);
    assert!(
        stderr(&out)
            .contains("bad.txt: line 2: 'E13-' is not a code or a range of codes like E0424-E1406"),
        "{}",
        stderr(&out)
    );
    work.cmd()
        .args(["diff", "2005", "2006", "--range", "E0424-E0424"])
        .assert()
        .code(0);
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
    assert_eq!(v["schema_version"], 4);
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
    let Some(data) = real_data!() else {
        return;
    };
    // The store of every real release, 2012 to 2025, that real_releases imports once.
    let work = crate::real_releases::imported(&data);
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
    let out = work
        .cmd()
        .args(["history", "E1392", "--format", "json"])
        .assert()
        .success();
    let h = json(&out);
    let steps: Vec<&str> = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["step"].as_str().unwrap())
        .collect();
    // First seen in 2012, re-cased in 2013 (a description change), nothing since, through
    // 2025.
    assert_eq!(steps, ["first_seen", "changed"]);
    assert!(h["events"][1]["fields"][0]["cosmetic"].as_bool().unwrap());
    // CMS added it long before the oldest stored release: history says both.
    assert_eq!(h["added_date"], "2006-01-01");
    let out = work.cmd().args(["history", "E1392"]).assert().success();
    assert!(
        stdout(&out).contains(
            "\nin the code set since 2006-01-01 (CMS's date added); first stored in 2012-01\n"
        ),
        "{}",
        stdout(&out)
    );
    work.cmd()
        .args(["diff", "2012", "2013", "--code", "E1392", "--hide-cosmetic"])
        .assert()
        .code(0);
}

/// CMS's 2012 files have a damaged quote byte in G8903's and S2067's short descriptions
/// (`ParkinsonÆs`, `östackedö`), which 2013 repaired: an encoding change, not wording; a
/// reviewer hiding cosmetic changes sees neither.
#[test]
fn a_quote_byte_2012_damaged_and_2013_repaired_is_encoding_only() {
    let Some(data) = real_data!() else {
        return;
    };
    let work = crate::real_releases::imported(&data);
    let out = work
        .cmd()
        .args(["diff", "2012", "2013", "--code", "G8903", "--code", "S2067"])
        .args(["--format", "json"])
        .assert()
        .code(1);
    let v = json(&out);
    for (code, old, new) in [
        ("G8903", "ParkinsonÆs Disease MG", "Parkinson's Disease MG"),
        (
            "S2067",
            "Breast östackedö DIEP/GAP",
            "Breast \"stacked\" DIEP/GAP",
        ),
    ] {
        let change = v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .unwrap_or_else(|| panic!("no {code}: {v}"));
        let short = change["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == "short_description")
            .unwrap();
        assert_eq!(short["old"][0], old);
        assert_eq!(short["new"][0], new);
        assert_eq!(short["cosmetic_reason"], "encoding", "{code}: {short}");
    }
    assert_eq!(v["summary"]["encoding"], 2, "{}", v["summary"]);
    work.cmd()
        .args(["diff", "2012", "2013", "--code", "G8903", "--code", "S2067"])
        .arg("--hide-cosmetic")
        .assert()
        .code(0);
}

/// Parses a markdown changelog as CommonMark (with GFM strikethrough) and checks that every
/// `~~`/`**` marker became strikethrough or strong text, that no text is left with a stray
/// escape, and that code spans hold the source names exactly. Returns the struck and strong
/// phrases.
fn commonmark_phrases(markdown: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let (mut struck, mut strong, mut code) = (Vec::new(), Vec::new(), Vec::new());
    let mut open: Option<bool> = None;
    let mut current = String::new();
    for event in Parser::new_ext(
        markdown,
        Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES,
    ) {
        match event {
            Event::Start(Tag::Strikethrough) => open = Some(true),
            Event::Start(Tag::Strong) => open = Some(false),
            Event::End(TagEnd::Strikethrough | TagEnd::Strong) => {
                let phrase = std::mem::take(&mut current);
                match open.take() {
                    Some(true) => struck.push(phrase),
                    _ => strong.push(phrase),
                }
            }
            Event::Text(t) => {
                assert!(
                    !t.contains("~~") && !t.contains("**"),
                    "a marker was not parsed: {t:?}\n{markdown}"
                );
                if open.is_some() {
                    current.push_str(&t);
                }
            }
            Event::Code(c) => {
                assert!(!c.contains('\\'), "escaped code span {c:?}");
                code.push(c.to_string());
            }
            _ => {}
        }
    }
    (struck, strong, code)
}

#[test]
fn markdown_is_commonmark_with_code_spans_unescaped() {
    let work = oxygen();
    let out = work
        .cmd()
        .args(["diff", "2005", "2006", "--format", "markdown"])
        .assert()
        .code(1);
    let (struck, strong, code) = commonmark_phrases(&stdout(&out));
    assert_eq!(
        code,
        [
            "2005: HCPC2005_CONTR_ANWEB.txt",
            "2006: HCPC2006_CONTR_ANWEB.txt"
        ]
    );
    // E1390's description gained ", each": the old last word struck, the new phrase strong.
    assert!(struck.contains(&"rate".to_string()), "{struck:?}");
    assert!(strong.contains(&"rate, each".to_string()), "{strong:?}");
}

/// The real releases carry descriptions whose changed phrases start or end with punctuation
/// and sit next to parentheses: every marker must still parse, and the struck and strong
/// phrases must keep their own spacing.
#[test]
fn real_markdown_changelogs_parse_as_commonmark() {
    let Some(data) = real_data!() else {
        return;
    };
    let work = Work::with(&[
        data.join("2020-01/2020-Alpha-Numeric-HCPCS-File.zip"),
        data.join("2020-04/anweb.xlsx"),
    ]);
    let out = work
        .cmd()
        .args(["diff", "2020-01", "2020-04", "--format", "markdown"])
        .assert()
        .code(1);
    let text = stdout(&out);
    let (struck, strong, _) = commonmark_phrases(&text);
    assert!(struck.len() > 5 && strong.len() > 5, "{text}");
    for phrase in struck.iter().chain(&strong) {
        assert_eq!(
            phrase.trim(),
            phrase,
            "phrase with outer spaces: {phrase:?}"
        );
    }
}

/// C9053 was added 2020-04-01 and terminated 2020-06-30 (use J0791 instead): across the gap
/// from 2020-01 to 2025-01 it is an addition that cannot be billed, and the report says so.
#[test]
fn a_code_added_and_terminated_between_two_releases_says_so() {
    let Some(data) = real_data!() else {
        return;
    };
    let work = crate::real_releases::imported(&data);
    let out = work
        .cmd()
        .args(["diff", "2020-01", "2025-01", "--code", "C9053"])
        .assert()
        .code(1);
    let text = stdout(&out);
    assert!(
        text.contains("  C9053  Injection, crizanlizumab-tmca, 1 mg\n      added and terminated: effective 2020-04-01 (CMS's date added), terminated 2020-06-30; not billable after 2020-06-30\n      pricing: 53 = Statute; coverage: D = Special coverage instructions apply\n      use instead: J0791 (active)"),
        "{text}"
    );
    let out = work
        .cmd()
        .args([
            "diff", "2020-01", "2025-01", "--code", "C9053", "--format", "json",
        ])
        .assert()
        .code(1);
    let c = &json(&out)["changes"][0];
    assert_eq!(c["termination_date"], "2020-06-30");
    assert_eq!(c["replacements"][0]["code"], "J0791");
}

/// A workbook says it was made when the report was (`--generated-at`), not when the library
/// wrote it: a report made with a given time comes out the same each run.
#[test]
fn a_workbook_is_dated_by_the_reports_time() {
    let work = oxygen();
    let out = work.dir.path().join("changes.xlsx");
    work.cmd()
        .args(["diff", "2005-01", "2006-01", "--format", "xlsx"])
        .args(["--generated-at", "2026-01-02T03:04:05+01:00", "--output"])
        .arg(&out)
        .assert()
        .code(1);
    let members = crate::util::unzip(&out);
    let (_, core) = members
        .iter()
        .find(|(name, _)| name == "docProps/core.xml")
        .expect("core properties");
    let core = String::from_utf8_lossy(core);
    assert!(core.contains(">2026-01-02T02:04:05Z<"), "{core}");
    // A time a workbook cannot hold is an error naming the option, and no file is left.
    let before = work.dir.path().join("old.xlsx");
    let out = work
        .cmd()
        .args(["diff", "2005-01", "2006-01", "--format", "xlsx"])
        .args(["--generated-at", "1800-01-01T00:00:00Z", "--output"])
        .arg(&before)
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains(
            "--generated-at 1800-01-01T00:00:00Z: a workbook holds times of the years 1900 to 9999 only"
        ),
        "{}",
        stderr(&out)
    );
    assert!(!before.exists());
}
