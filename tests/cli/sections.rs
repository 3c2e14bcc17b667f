//! What kind of item each code is: the pricing group of its pricing indicator, the section of
//! HCPCS Level II it falls in, and the reports by section; on the oxygen fixtures and, where
//! `HCPCS_DIFF_DATA` names them, on every real release.

use hcpcs_diff::model::sections::SECTIONS;
use hcpcs_diff::model::{Kind, Record};

use crate::real_releases::{RELEASES, imported};
use crate::util::{Work, json, oxygen, real_data, stdout};

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

#[test]
fn show_and_history_name_the_section() {
    let work = oxygen();
    let text = stdout(&work.cmd().args(["show", "E1392"]).assert().success());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[2], "Section: Durable medical equipment (E0100-E9999)",
        "{text}"
    );
    let v = json(
        &work
            .cmd()
            .args(["show", "K0738", "--format", "json", "--release", "2005"])
            .assert()
            .success(),
    );
    assert_eq!(
        v["section"],
        "Temporary codes for durable medical equipment MACs"
    );
    assert_eq!(v["section_id"], "K0000-K9999");
    let text = stdout(&work.cmd().args(["history", "E1390"]).assert().success());
    assert!(
        text.contains("\nSection: Durable medical equipment (E0100-E9999)\n"),
        "{text}"
    );
    let md = stdout(
        &work
            .cmd()
            .args(["history", "E1390", "--format", "markdown"])
            .assert()
            .success(),
    );
    assert!(
        md.contains("\n\nSection: Durable medical equipment (E0100-E9999).\n"),
        "{md}"
    );
    let v = json(
        &work
            .cmd()
            .args(["history", "E1390", "--format", "json"])
            .assert()
            .success(),
    );
    assert_eq!(v["section"], "Durable medical equipment");
}

/// `(code, change)` of every change in a JSON changeset.
fn changes(doc: &serde_json::Value) -> Vec<(String, String)> {
    doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["code"].as_str().unwrap().to_string(),
                c["change"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The JSON's counts by section add up to its summary, kind of change by kind, and each
/// section's counts are those of the changes that name it.
fn assert_by_section_adds_up(doc: &serde_json::Value) {
    let rows = doc["by_section"].as_array().unwrap();
    for key in [
        "added",
        "retired",
        "dropped",
        "reinstated",
        "changed",
        "cosmetic",
        "encoding",
    ] {
        let sum: u64 = rows.iter().map(|r| r[key].as_u64().unwrap()).sum();
        assert_eq!(sum, doc["summary"][key].as_u64().unwrap(), "{key}");
    }
    for r in rows {
        for key in ["added", "retired", "dropped", "reinstated", "changed"] {
            let n = doc["changes"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["section"] == r["section"] && c["change"] == key)
                .count() as u64;
            assert_eq!(r[key].as_u64().unwrap(), n, "{} {key}", r["section"]);
        }
    }
}

#[test]
fn section_filters_like_prefix_and_unknown_sections_are_refused() {
    let work = oxygen();
    let diff = |extra: &[&str]| {
        let mut args = vec!["diff", "2005", "2006", "--format", "json"];
        args.extend(extra);
        json(&work.cmd().args(&args).assert().code(1))
    };
    let all = diff(&[]);
    assert_by_section_adds_up(&all);
    let e: Vec<_> = changes(&all)
        .into_iter()
        .filter(|(c, _)| c.starts_with('E'))
        .collect();
    assert!(!e.is_empty());
    for given in ["E", "e", "durable medical equipment", "E0100-E9999"] {
        let only = diff(&["--section", given]);
        assert_eq!(changes(&only), e, "--section {given}");
        assert_by_section_adds_up(&only);
        assert_eq!(
            only["context"]["filters"]["sections"],
            serde_json::json!(["E0100-E9999"])
        );
    }
    // Composes with the other filters: each only narrows.
    let added = diff(&["--section", "E,K", "--only", "added"]);
    let expected: Vec<_> = changes(&all)
        .into_iter()
        .filter(|(c, k)| (c.starts_with('E') || c.starts_with('K')) && k == "added")
        .collect();
    assert_eq!(changes(&added), expected);
    // A code, range or prefix wholly outside the sections asked for is a contradiction, refused.
    for (flag, value) in [
        ("--prefix", "E"),
        ("--code", "E1392"),
        ("--range", "E0100-E1400"),
    ] {
        let out = work
            .cmd()
            .args(["diff", "2005", "2006", "--section", "K", flag, value])
            .assert()
            .code(2);
        let err = crate::util::stderr(&out);
        assert!(
            err.contains(&format!(
                "{flag} {value}: none of its codes is in --section K0000-K9999"
            )),
            "{err}"
        );
    }
    let text = stdout(
        &work
            .cmd()
            .args(["diff", "2005", "2006", "--section", "K"])
            .assert()
            .code(1),
    );
    assert!(text.contains("Filters: --section K0000-K9999\n"), "{text}");
    // A section no code is named by is refused as a mistyped code is, the store untouched.
    let before = work.store_state();
    for bad in ["Z", "E,Oxygen", ""] {
        let out = work
            .cmd()
            .args(["diff", "2005", "2006", "--section", bad])
            .assert()
            .code(2);
        let err = crate::util::stderr(&out);
        assert!(
            err.contains("no section of HCPCS Level II is called that"),
            "{bad}: {err}"
        );
        assert!(out.get_output().stdout.is_empty(), "{bad}");
    }
    let out = work
        .cmd()
        .args(["diff", "2005", "2006", "--section", "Z"])
        .assert()
        .code(2);
    assert!(crate::util::stderr(&out).contains("--section Z: "));
    assert_eq!(work.store_state(), before);
}

#[test]
fn csv_rows_carry_their_section() {
    let work = oxygen();
    let csv = stdout(
        &work
            .cmd()
            .args(["diff", "2005", "2006", "--format", "csv"])
            .assert()
            .code(1),
    );
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let code = header.iter().position(|h| h == "code").unwrap();
    let section = header.iter().position(|h| h == "section").unwrap();
    let mut n = 0;
    for row in reader.records() {
        let row = row.unwrap();
        let expected = match &row[code][..1] {
            "E" => "Durable medical equipment",
            "K" => "Temporary codes for durable medical equipment MACs",
            other => panic!("a code of {other} in the fixture"),
        };
        assert_eq!(&row[section], expected, "{}", &row[code]);
        n += 1;
    }
    assert!(n >= 5, "{csv}");
}

#[test]
fn on_real_releases_section_j_is_exactly_the_j_codes_and_counts_add_up() {
    let Some(data) = real_data!() else {
        return;
    };
    let work = imported(&data);
    let diff = |extra: &[&str]| {
        let mut args = vec!["diff", "2019-01", "2020-01", "--format", "json"];
        args.extend(extra);
        json(&work.cmd().args(&args).assert().code(1))
    };
    let all = diff(&[]);
    assert_by_section_adds_up(&all);
    let j: Vec<_> = changes(&all)
        .into_iter()
        .filter(|(c, _)| c.starts_with('J'))
        .collect();
    assert!(j.len() > 40, "{}", j.len());
    let only = diff(&["--section", "J"]);
    assert_eq!(changes(&only), j);
    assert_by_section_adds_up(&only);
    let rows = only["by_section"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["id"], "J0000-J9999");
    // Every change names the section its code is in.
    for c in all["changes"].as_array().unwrap() {
        let code = c["code"].as_str().unwrap();
        let kind = if c["kind"] == "modifier" {
            Kind::Modifier
        } else {
            Kind::Procedure
        };
        let s = hcpcs_diff::model::sections::of(code, kind).unwrap();
        assert_eq!(c["section"], s.name, "{code}");
    }
    // Every consecutive pair of stored releases: the counts by section add up.
    for pair in RELEASES.windows(2) {
        let out = work
            .cmd()
            .args(["diff", pair[0].1, pair[1].1, "--format", "json"])
            .assert()
            .code(1);
        assert_by_section_adds_up(&json(&out));
    }
}

/// Measures the changelog's chart and table in the browser: appended to a copy of the page (the
/// changelog itself has no script), it writes what it found into the DOM for `--dump-dom`.
const MEASURE: &str = r#"<script>
const table = {};
for (const r of document.querySelectorAll('#by-section-table tr[data-section]')) {
  const row = {};
  for (const td of r.querySelectorAll('td[data-change]')) row[td.dataset.change] = +td.textContent;
  row.total = +r.querySelector('td.total').textContent;
  table[r.dataset.section || 'all'] = row;
}
const chart = {};
for (const g of document.querySelectorAll('#by-section svg g.row')) {
  const row = {bars: {}, written: {}};
  for (const b of g.querySelectorAll('rect.bar')) {
    const box = b.getBoundingClientRect();
    row.bars[b.dataset.change] = {count: +b.dataset.count, width: box.width, height: box.height};
  }
  for (const t of g.querySelectorAll('text.count')) row.written[t.dataset.change] = +t.textContent;
  row.total = +g.querySelector('text.total').textContent;
  row.label = g.querySelector('text.label').getBoundingClientRect().width;
  chart[g.dataset.section] = row;
}
const svg = document.querySelector('#by-section svg').getBoundingClientRect();
const out = document.createElement('pre');
out.id = 'measured';
out.textContent = JSON.stringify({table, chart, svg: {width: svg.width, height: svg.height}});
document.body.appendChild(out);
</script></body>"#;

/// Opens the HTML changelog of `diff OLD NEW` in headless Chromium and checks its chart
/// against its table: a bar per section, each part as long as its count says (one scale for
/// every bar), every number written equal to the table's.
fn check_chart(chromium: &std::path::Path, work: &Work, old: &str, new: &str) {
    let html = stdout(
        &work
            .cmd()
            .args(["diff", old, new, "--format", "html"])
            .assert()
            .code(1),
    );
    assert!(html.contains("<svg role=\"img\" aria-labelledby=\"chart-title chart-desc\""));
    let page = work.path("measured.html");
    std::fs::write(&page, html.replace("</body>", MEASURE)).unwrap();
    let out = crate::changelog::headless(chromium, work, &page, &["--dump-dom"]);
    let dom = String::from_utf8_lossy(&out.stdout);
    let measured = dom
        .split("<pre id=\"measured\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .unwrap_or_else(|| panic!("the page was not measured:\n{dom}"));
    let m: serde_json::Value = serde_json::from_str(&measured.replace("&amp;", "&")).unwrap();
    assert!(m["svg"]["width"].as_f64().unwrap() > 200.0, "{m}");
    let table = m["table"].as_object().unwrap();
    let chart = m["chart"].as_object().unwrap();
    // A bar per section of the table (its totals row apart), and no other.
    let mut sections: Vec<&String> = table.keys().filter(|k| *k != "all").collect();
    sections.sort();
    let mut drawn: Vec<&String> = chart.keys().collect();
    drawn.sort();
    assert_eq!(sections, drawn);
    assert!(sections.len() >= 2, "{sections:?}");
    // Bars are drawn to one scale: the longest bar (the least rounding) sets a code's width.
    let longest = chart
        .values()
        .max_by_key(|row| row["total"].as_u64().unwrap())
        .unwrap();
    let width: f64 = (longest["bars"].as_object().unwrap().values())
        .map(|b| b["width"].as_f64().unwrap())
        .sum();
    let per_code = width / longest["total"].as_f64().unwrap();
    assert!(per_code > 1.0, "{m}");
    for id in sections {
        let (row, drawn) = (&table[id], &chart[id]);
        assert_eq!(row["total"], drawn["total"], "{id}");
        assert!(
            drawn["label"].as_f64().unwrap() > 20.0,
            "{id}: no label drawn"
        );
        for change in ["added", "retired", "dropped", "reinstated", "changed"] {
            let n = row[change].as_u64().unwrap();
            let bar = &drawn["bars"][change];
            if n == 0 {
                assert!(bar.is_null(), "{id} {change}: a bar for nothing");
                continue;
            }
            assert_eq!(bar["count"].as_u64(), Some(n), "{id} {change}");
            let width = bar["width"].as_f64().unwrap();
            assert!(bar["height"].as_f64().unwrap() > 5.0, "{id} {change}");
            assert!(
                (width - per_code * n as f64).abs() < 1.0,
                "{id} {change}: {width} wide for {n} codes at {per_code} a code"
            );
            if let Some(w) = drawn["written"][change].as_u64() {
                assert_eq!(w, n, "{id} {change}: the number written on the bar");
            }
        }
    }
    let sum: u64 = chart.values().map(|r| r["total"].as_u64().unwrap()).sum();
    assert_eq!(table["all"]["total"].as_u64(), Some(sum));
}

#[test]
fn headless_chromium_draws_the_chart_with_the_tables_numbers() {
    let Some(chromium) = crate::util::browser!() else {
        return;
    };
    // E: 1 added and 3 changed; K: 1 retired.
    check_chart(&chromium, &oxygen(), "2005", "2006");
    check_chart(
        &chromium,
        &crate::changelog::every_section(),
        "2021-01",
        "2021-04",
    );
}

#[test]
fn headless_chromium_draws_the_chart_of_real_releases() {
    let Some(data) = real_data!() else {
        return;
    };
    let Some(chromium) = crate::util::browser!() else {
        return;
    };
    check_chart(&chromium, imported(&data), "2019-01", "2020-01");
}

/// A row of the SQLite export's `sections`: id, letter, first and last code, name, short name.
type SectionRow = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
);

#[test]
fn sqlite_and_fhir_exports_carry_each_codes_section() {
    let work = oxygen();
    let db_path = work.path("hcpcs.db");
    work.cmd()
        .args(["export", "--format", "sqlite", "--output"])
        .arg(&db_path)
        .assert()
        .success();
    let db = rusqlite::Connection::open(&db_path).unwrap();
    let mut stmt = db
        .prepare("SELECT id, letter, first_code, last_code, name, short_name FROM sections ORDER BY position")
        .unwrap();
    let rows: Vec<SectionRow> = stmt
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
    assert_eq!(rows.len(), SECTIONS.len());
    for (row, s) in rows.iter().zip(SECTIONS) {
        assert_eq!(row.0, s.id);
        assert_eq!(row.1, s.letter.map(String::from));
        assert_eq!(row.4, s.name);
        assert_eq!(row.5, s.short);
        if s.letter.is_some() {
            assert_eq!(
                (row.2.as_deref(), row.3.as_deref()),
                (Some(s.first), Some(s.last))
            );
        }
    }
    // Every code row names its section, one that the sections table holds.
    let mut stmt = db
        .prepare("SELECT c.code, c.kind, s.name FROM codes AS c LEFT JOIN sections AS s ON s.id = c.section")
        .unwrap();
    let codes: Vec<(String, String, Option<String>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(codes.len() >= 15, "{codes:?}");
    for (code, kind, name) in &codes {
        let kind = if kind == "modifier" {
            Kind::Modifier
        } else {
            Kind::Procedure
        };
        let expected = hcpcs_diff::model::sections::of(code, kind).map(|s| s.name.to_string());
        assert_eq!(name, &expected, "{code}");
        assert!(name.is_some(), "{code}");
    }
    let fhir = json(
        &work
            .cmd()
            .args(["export", "2006", "--format", "fhir"])
            .assert()
            .success(),
    );
    assert!(
        fhir["property"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["code"] == "section")
    );
    for concept in fhir["concept"].as_array().unwrap() {
        let code = concept["code"].as_str().unwrap();
        let section: Vec<&str> = concept["property"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["code"] == "section")
            .map(|p| p["valueCode"].as_str().unwrap())
            .collect();
        let expected = hcpcs_diff::model::sections::of_code(code).unwrap().id;
        assert_eq!(section, [expected], "{code}");
    }
}

#[test]
fn audit_counts_its_codes_by_section() {
    let work = oxygen();
    let list = work.write("watch.txt", "E1392\nK0738\nE0431\nE0999\nRR\n");
    let v = json(
        &work
            .cmd()
            .arg("audit")
            .arg(&list)
            .args(["--format", "json"])
            .assert()
            .code(1),
    );
    let rows = v["by_section"].as_array().unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["E0100-E9999", "K0000-K9999", "modifiers"], "{v}");
    let codes: u64 = rows.iter().map(|r| r["codes"].as_u64().unwrap()).sum();
    assert_eq!(codes, v["summary"]["codes"].as_u64().unwrap());
    assert_eq!(rows[0]["codes"], 3);
    assert_eq!(rows[1]["terminated"], 1);
    for r in rows {
        let by_status: u64 = [
            "active",
            "changed",
            "terminated",
            "not_in_release",
            "unknown",
        ]
        .iter()
        .map(|k| r[*k].as_u64().unwrap())
        .sum();
        assert_eq!(by_status, r["codes"].as_u64().unwrap(), "{r}");
    }
    let text = stdout(&work.cmd().arg("audit").arg(&list).assert().code(1));
    assert!(text.contains("\nBY SECTION OF HCPCS LEVEL II\n"), "{text}");
    assert!(text.contains("\n  Temporary codes for durable medical equipment MACs      1       0        0           1"), "{text}");
}

/// The timeline's rows: (release, what the row says), in the SVG's order.
fn timeline_rows(html: &str) -> Vec<(String, String)> {
    let svg = html
        .split("<svg")
        .nth(1)
        .unwrap()
        .split("</svg>")
        .next()
        .unwrap();
    svg.split("<g class=\"release\" data-release=\"")
        .skip(1)
        .map(|g| {
            let release = g[..7].to_string();
            let texts: Vec<&str> = g
                .split("<text")
                .skip(1)
                .map(|t| t.split('>').nth(1).unwrap().split('<').next().unwrap())
                .collect();
            assert_eq!(texts[0], release);
            (release, texts[1].to_string())
        })
        .collect()
}

#[test]
fn history_in_html_draws_the_codes_timeline() {
    let work = oxygen();
    work.cmd()
        .arg("import")
        .arg(crate::util::fixture("oxygen/2005"))
        .args(["--release", "2007-01"])
        .assert()
        .success();
    let page = |code: &str| {
        stdout(
            &work
                .cmd()
                .args(["history", code, "--format", "html"])
                .assert()
                .success(),
        )
    };
    let html = page("E1392");
    for outside in ["<script", "<link", "src=", "url(", "http:", "https:"] {
        assert!(!html.contains(outside), "{outside}");
    }
    assert!(html.contains("<svg role=\"img\" aria-labelledby=\"timeline-title timeline-desc\""));
    let row = |r: &str, w: &str| (r.to_string(), w.to_string());
    assert_eq!(
        timeline_rows(&html),
        [
            row("2005-01", "not in the release"),
            row("2006-01", "added"),
            row("2007-01", "dropped"),
        ]
    );
    // The code stands in 2006 only: one solid line, from 2006 down to 2007.
    assert_eq!(html.matches("<line class=\"span\"").count(), 1, "{html}");
    // Its events in words too, for whoever cannot see the drawing.
    assert!(
        html.contains("<li>2006-01  added, effective 2006-01-01"),
        "{html}"
    );
    let html = page("K0738");
    assert_eq!(
        timeline_rows(&html),
        [
            row("2005-01", "first stored"),
            row("2006-01", "retired (terminated 2005-12-31)"),
            row("2007-01", "reinstated"),
        ]
    );
    assert!(
        html.contains("stroke-dasharray=\"5 4\""),
        "terminated: a dashed line"
    );
    let html = page("E1391");
    assert_eq!(
        timeline_rows(&html),
        [
            row("2005-01", "first stored"),
            row("2006-01", "changed: pricing indicator"),
            row("2007-01", "changed: pricing indicator"),
        ]
    );
}

#[test]
fn history_says_a_list_fields_change_item_by_item_as_diff_does() {
    let work = crate::changelog::every_section();
    // K0999's types of service go from P to P and R between 2021-01 and 2021-04.
    for (format, marked) in [
        (
            "text",
            "P = Lump sum purchase of DME, prosthetics, orthotics; {+R = Rental of DME+}",
        ),
        (
            "markdown",
            "P = Lump sum purchase of DME, prosthetics, orthotics; **R = Rental of DME**",
        ),
        (
            "html",
            "P = Lump sum purchase of DME, prosthetics, orthotics; <ins>R = Rental of DME</ins>",
        ),
    ] {
        let history = stdout(
            &work
                .cmd()
                .args(["history", "K0999", "--format", format])
                .assert()
                .success(),
        );
        let line = history
            .lines()
            .find(|l| l.contains("Type of service: "))
            .unwrap_or_else(|| panic!("{format}: {history}"));
        assert!(
            line.ends_with(&format!("Type of service: {marked}</li></ul></li>"))
                || line.ends_with(&format!("Type of service: {marked}")),
            "{format}: {line}"
        );
        if format == "html" {
            continue;
        }
        // The very line diff gives.
        let diff = stdout(
            &work
                .cmd()
                .args([
                    "diff", "2021-01", "2021-04", "--code", "K0999", "--format", format,
                ])
                .assert()
                .code(1),
        );
        assert!(diff.lines().any(|l| l == line), "{format}: {line}\n{diff}");
    }
}

#[test]
fn the_readme_lists_the_sections_as_the_table_has_them() {
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/sections.md"),
    )
    .unwrap();
    for s in SECTIONS.iter().filter(|s| s.letter.is_some()) {
        let row = format!("| {} | {} | {} |", s.id, s.name, s.short);
        assert!(readme.contains(&row), "docs/sections.md lacks {row}");
    }
    // Rows that start with a range: `| A0021-A0999 | `.
    let rows = readme.lines().filter(|l| {
        let b = l.as_bytes();
        b.starts_with(b"| ")
            && b.get(2).is_some_and(u8::is_ascii_uppercase)
            && b.get(7) == Some(&b'-')
            && b.get(13..16) == Some(b" | ")
    });
    assert_eq!(
        rows.count(),
        SECTIONS.len() - 1,
        "a docs/sections.md row for a section the table lacks"
    );
}

/// Where a code or range was given decides how `--section` weighs it: one given on the command
/// line outside the sections is a contradiction, refused; a watch list's is a standing list
/// that `--section` narrows. The report's filters keep `--code` and `--range` apart.
#[test]
fn section_weighs_codes_by_where_they_were_given() {
    let work = oxygen();
    let list = work.write("watch.txt", "E1392\nE0100-E1400\nK0738\n");
    let narrowed = json(
        &work
            .cmd()
            .args(["diff", "2005", "2006", "--section", "K", "--format", "json"])
            .arg("--watch")
            .arg(&list)
            .assert()
            .code(1),
    );
    let codes: Vec<&str> = narrowed["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["K0738"], "{narrowed}");
    let out = work
        .cmd()
        .args(["diff", "2005", "2006", "--section", "K", "--code", "E1392"])
        .arg("--watch")
        .arg(&list)
        .assert()
        .code(2);
    let err = crate::util::stderr(&out);
    assert!(
        err.contains("--code E1392: none of its codes is in --section K0000-K9999")
            && !err.contains("watch.txt"),
        "{err}"
    );
    let both = json(
        &work
            .cmd()
            .args(["diff", "2005", "2006", "--format", "json"])
            .args(["--code", "E1392", "--range", "K0700-K0800"])
            .assert()
            .code(1),
    );
    let filters = &both["context"]["filters"];
    assert_eq!(filters["codes"], serde_json::json!(["E1392"]), "{filters}");
    assert_eq!(
        filters["ranges"],
        serde_json::json!(["K0700-K0800"]),
        "{filters}"
    );
}
