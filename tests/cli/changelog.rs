//! The changelog as a reviewer reads it, in every format: sections in the order a reviewer acts
//! on them, the HTML file's summary table, anchors and self-containment (and, in a headless
//! Chromium when there is one, its DOM and its printed pages), the markdown's table of contents,
//! the CSV's descriptions and Excel byte-order mark, the text's wrapping on a terminal.

use std::path::Path;
use std::time::Duration;

use hcpcs_diff::model::{Kind, Record};

use crate::forms::{crlf_1252, date, next_quarter, sample, some, strings, text_lines};
use crate::util::{Work, browser, stderr, stdout};

/// Every section's title, in the order every format gives them.
const ORDER: [(&str, &str); 10] = [
    ("Retired", "retired"),
    ("Dropped", "dropped"),
    ("Changed: payment or coverage", "changed-payment"),
    ("Changed: wording", "changed-wording"),
    ("Changed: other fields", "changed-other"),
    ("Added", "added"),
    ("Reinstated", "reinstated"),
    ("Cosmetic only", "cosmetic"),
    ("Encoding only", "encoding"),
    ("Disagreements with CMS", "disagreements"),
];

/// Two codes beside the fixture's sample, in 2021-01 and in 2021-04: G0997's wording changes,
/// and K0999's type of service changes under CMS's action N (a disagreement).
fn extra_codes() -> (Vec<Record>, Vec<Record>) {
    let mut wording = Record::new("G0997", Kind::Procedure);
    wording.long_description = "Blood panel, drawn at home by the patient".into();
    wording.pricing_indicators = strings(&["21"]);
    wording.coverage = some("C");
    wording.added_date = date("2019-07-01");
    wording.action_effective_date = date("2020-04-01");
    wording.action_code = some("N");
    let mut other = Record::new("K0999", Kind::Procedure);
    other.long_description = "Example supply, each".into();
    other.pricing_indicators = strings(&["38"]);
    other.types_of_service = strings(&["P"]);
    other.added_date = date("2010-01-01");
    other.action_effective_date = date("2010-01-01");
    other.action_code = some("N");
    let old = vec![wording.clone(), other.clone()];
    wording.long_description = "Blood panel, drawn at home by a nurse".into();
    wording.action_effective_date = date("2021-04-01");
    wording.action_code = some("C");
    other.types_of_service = strings(&["P", "R"]);
    (old, vec![wording, other])
}

/// A store of 2021-01 and 2021-04 with a code in every section.
pub fn every_section() -> Work {
    let (extra_old, extra_new) = extra_codes();
    let mut old = sample();
    old.extend(extra_old);
    let mut new = next_quarter();
    new.extend(extra_new);
    let work = Work::new();
    for (name, mut records) in [
        ("HCPC2021_JAN_ANWEB.txt", old),
        ("HCPC2021_APR_ANWEB.txt", new),
    ] {
        records.sort_by(|a, b| a.code.cmp(&b.code));
        let path = work.write(name, crlf_1252(&text_lines(&records, 320, false)));
        work.cmd().arg("import").arg(&path).assert().success();
    }
    work
}

fn render(work: &Work, format: &str) -> String {
    let args = ["diff", "2021-01", "2021-04", "--format", format];
    stdout(&work.cmd().args(args).assert().code(1))
}

/// Where each of `marks` is in `text`, which must hold them all in this order.
fn assert_in_order(text: &str, marks: &[String]) {
    let mut last = 0;
    for mark in marks {
        let at = text[last..]
            .find(mark.as_str())
            .unwrap_or_else(|| panic!("{mark:?} missing or out of order in\n{text}"));
        last += at + mark.len();
    }
}

#[test]
fn every_format_orders_its_sections_as_a_reviewer_acts_on_them() {
    let work = every_section();
    let text = render(&work, "text");
    let marks: Vec<String> = ORDER
        .iter()
        .map(|(title, _)| format!("\n{} (", title.to_uppercase()))
        .collect();
    assert_in_order(&text, &marks);
    for heading in [
        "\nRETIRED (1)\n  A0998  ",
        "\nCHANGED: WORDING (1)\n  G0997  ",
        "\nCHANGED: OTHER FIELDS (1)\n  K0999  Example supply, each\n      Type of service: P = Lump sum purchase of DME, prosthetics, orthotics; {+R = Rental of DME+}\n",
        "\nDISAGREEMENTS WITH CMS (1)\n  K0999  type of service changed but marked N",
    ] {
        assert!(text.contains(heading), "{heading}\n{text}");
    }
    // A retired code's date and what to use instead come first; an added code's pricing and
    // coverage in words.
    assert!(
        text.contains("  A0998  Ambulance response and treatment at the scene, no transport, including all supplies and oxygen given there\n      terminated 2021-03-31: not billable after it\n      use instead: A0999 (missing)\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "      effective 2021-04-01 (CMS's date added)\n      coverage: C = Carrier judgment\n"
        ),
        "{text}"
    );
    let markdown = render(&work, "markdown");
    let marks: Vec<String> = ORDER
        .iter()
        .map(|(title, _)| format!("\n## {title} ("))
        .collect();
    assert_in_order(&markdown, &marks);
    let html = render(&work, "html");
    let marks: Vec<String> = ORDER
        .iter()
        .map(|(_, id)| format!("<section id=\"{id}\">"))
        .collect();
    assert_in_order(&html, &marks);
}

/// The anchor GitHub gives a heading (lower case, punctuation dropped, spaces as hyphens).
fn github_slug(heading: &str) -> String {
    heading
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .flat_map(char::to_lowercase)
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

#[test]
fn the_markdown_summary_is_a_table_of_contents_whose_links_reach_their_headings() {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let markdown = render(&every_section(), "markdown");
    let (mut headings, mut links) = (Vec::new(), Vec::new());
    let (mut in_heading, mut in_table, mut current) = (false, false, String::new());
    let options = Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES;
    for event in Parser::new_ext(&markdown, options) {
        match event {
            Event::Start(Tag::Heading { .. }) => in_heading = true,
            Event::End(TagEnd::Heading(_)) => {
                in_heading = false;
                headings.push(github_slug(&std::mem::take(&mut current)));
            }
            Event::Start(Tag::Table(_)) => in_table = true,
            Event::End(TagEnd::Table) => in_table = false,
            Event::Start(Tag::Link { dest_url, .. }) if in_table => {
                links.push(dest_url.into_string())
            }
            Event::Text(t) | Event::Code(t) if in_heading => current.push_str(&t),
            _ => {}
        }
    }
    // Every section has codes in this fixture: each is linked, and each link finds its heading.
    assert_eq!(links.len(), ORDER.len(), "{links:?}\n{markdown}");
    for link in &links {
        let target = link.strip_prefix('#').unwrap_or_else(|| panic!("{link}"));
        assert!(
            headings.iter().any(|h| h == target),
            "{link} reaches no heading of {headings:?}"
        );
    }
    assert!(links.contains(&"#changed-payment-or-coverage-1".to_string()));
}

#[test]
fn the_html_changelog_is_one_file_with_a_linked_summary_and_an_anchor_per_code() {
    let work = every_section();
    let html = render(&work, "html");
    // Self-contained: no script, stylesheet, image, font or link out of the file.
    for outside in [
        "<script", "<link", "src=", "url(", "@import", "http:", "https:",
    ] {
        assert!(!html.contains(outside), "{outside} in\n{html}");
    }
    for href in html.split("href=\"").skip(1) {
        assert!(href.starts_with('#'), "a link out: {href:.40}");
        let id = &href[1..href.find('"').unwrap()];
        assert!(
            html.contains(&format!(" id=\"{id}\"")),
            "#{id} names no element"
        );
    }
    // The title and the top name both releases and their sources.
    assert!(html.contains("<title>HCPCS changes 2021-01 → 2021-04: HCPC2021_JAN_ANWEB.txt → HCPC2021_APR_ANWEB.txt</title>"), "{html}");
    assert!(
        html.contains(
            "<p class=\"from\">From release <b>2021-01</b> (<code>HCPC2021_JAN_ANWEB.txt</code>"
        ),
        "{html}"
    );
    // The summary links every section; every code is an anchor of its own row.
    for (title, id) in ORDER {
        assert!(
            html.contains(&format!("<a href=\"#{id}\">{title}</a>")),
            "{title}"
        );
    }
    let json: serde_json::Value = serde_json::from_str(&render(&work, "json")).unwrap();
    for c in json["changes"].as_array().unwrap() {
        let code = c["code"].as_str().unwrap();
        assert!(
            html.contains(&format!(
                "<tr id=\"{code}\"><th scope=\"row\"><a href=\"#{code}\">"
            )),
            "{code}"
        );
    }
    // Highlights that survive printing: struck through and underlined in bold, not colour only.
    assert!(html.contains("del{text-decoration:line-through"));
    assert!(html.contains("ins{text-decoration:underline;font-weight:bold"));
    assert!(
        html.contains("Blood panel, drawn at home by <del>the patient</del> <ins>a nurse</ins>")
    );
    // Cosmetic changes are folded away; printed, they are opened.
    assert!(html.contains("<section id=\"cosmetic\"><h2>Cosmetic only (1)"));
    assert!(html.contains("details::details-content{content-visibility:visible"));
}

#[test]
fn every_csv_row_describes_its_code_and_excel_gets_a_byte_order_mark() {
    let work = every_section();
    let csv_text = render(&work, "csv");
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(rows.iter().all(|r| !r[col("description")].is_empty()));
    let row = |code: &str| rows.iter().find(|r| &r[col("code")] == code).unwrap();
    assert_eq!(&row("A0998")[col("termination_date")], "2021-03-31");
    assert_eq!(&row("A0998")[col("replacements")], "A0999 (missing)");
    assert_eq!(&row("G1000")[col("added_date")], "2021-04-01");
    assert_eq!(
        &row("J9999")[col("description")],
        "Injection, an example drug, 10 mg"
    );

    let args = ["diff", "2021-01", "2021-04", "--format", "csv", "--excel"];
    let excel = work.cmd().args(args).assert().code(1);
    let bytes = &excel.get_output().stdout;
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "{bytes:?}");
    assert_eq!(&bytes[3..], csv_text.as_bytes());
    let args = ["diff", "2021-01", "2021-04", "--format", "html", "--excel"];
    let out = work.cmd().args(args).assert().code(2);
    assert!(
        stderr(&out).contains("use it with --format csv"),
        "{}",
        stderr(&out)
    );
}

/// The text changelog as a terminal 60 columns wide shows it: run under `script`, which gives
/// the command a terminal. `None` (after a note) where `script` cannot run.
fn on_a_terminal(work: &Work, no_color: bool) -> Option<String> {
    let command = format!(
        "stty rows 40 cols 60; exec '{}' --store '{}' diff 2021-01 2021-04",
        env!("CARGO_BIN_EXE_hcpcs-diff"),
        work.store().display()
    );
    let mut script = std::process::Command::new("script");
    script.args(["-qec", &command, "/dev/null"]);
    script.env_remove("NO_COLOR").env_remove("HCPCS_DIFF_STORE");
    if no_color {
        script.env("NO_COLOR", "1");
    }
    match script.output() {
        Ok(out) => Some(String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n")),
        Err(e) => {
            eprintln!("skipped the terminal half of this test: script(1) did not run: {e}");
            None
        }
    }
}

/// Columns a line takes, colour sequences left out.
fn columns(line: &str) -> usize {
    let mut plain = String::new();
    let mut rest = line;
    while let Some(at) = rest.find('\x1b') {
        plain.push_str(&rest[..at]);
        rest = rest[at..].find('m').map_or("", |m| &rest[at + m + 1..]);
    }
    plain.push_str(rest);
    plain.chars().count()
}

#[test]
fn text_is_wrapped_and_coloured_on_a_terminal_only() {
    let work = every_section();
    // Piped: no colour, and a long description stays on one line.
    let mut cmd = work.cmd();
    cmd.env_remove("NO_COLOR");
    let piped = stdout(&cmd.args(["diff", "2021-01", "2021-04"]).assert().code(1));
    assert!(!piped.contains('\x1b'), "{piped}");
    assert!(piped.lines().any(|l| l.len() > 100), "{piped}");
    let Some(tty) = on_a_terminal(&work, false) else {
        return;
    };
    assert!(tty.contains("\x1b[1mRETIRED (1)\x1b[0m"), "{tty}");
    assert!(tty.lines().all(|l| columns(l) <= 60), "{tty}");
    // A wrapped description goes on under its first word.
    let mut lines = tty
        .lines()
        .skip_while(|l| !l.contains("A0998\x1b[0m  Ambulance"));
    let (first, next) = (lines.next(), lines.next().unwrap_or_default());
    assert!(first.is_some_and(|l| columns(l) > 50), "{tty}");
    assert!(
        next.starts_with("         ") && !next.starts_with("          "),
        "{next:?}"
    );
    let Some(plain) = on_a_terminal(&work, true) else {
        return;
    };
    assert!(!plain.contains('\x1b'), "{plain}");
    assert!(plain.lines().all(|l| l.chars().count() <= 60), "{plain}");
}

/// Occurrences of a PDF page object (`/Type /Page`, not `/Pages`).
fn pdf_pages(pdf: &[u8]) -> usize {
    let needle = b"/Type /Page";
    pdf.windows(needle.len() + 1)
        .filter(|w| w.starts_with(needle) && w[needle.len()] != b's')
        .count()
}

/// Headless Chromium opens the HTML changelog: the DOM it builds holds the summary table, its
/// links and every code's anchor, and printing it gives pages.
#[test]
fn headless_chromium_renders_the_html_changelog_and_prints_it() {
    let Some(chromium) = browser!() else {
        return;
    };
    let work = every_section();
    let html = work.path("changes.html");
    work.cmd()
        .args(["diff", "2021-01", "2021-04", "--format", "html", "--output"])
        .arg(&html)
        .assert()
        .code(1);
    let dom = headless(&chromium, &work, &html, &["--dump-dom"]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    let summary = dom
        .split("<table class=\"summary\" id=\"summary\">")
        .nth(1)
        .and_then(|rest| rest.split("</table>").next())
        .unwrap_or_else(|| panic!("no summary table in the DOM:\n{dom}"));
    assert_eq!(
        summary.matches("<tr>").count(),
        1 + ORDER.len(),
        "{summary}"
    );
    for (_, id) in ORDER {
        assert!(summary.contains(&format!("<a href=\"#{id}\">")), "{id}");
        assert!(dom.contains(&format!("<section id=\"{id}\">")), "{id}");
    }
    for code in [
        "A0998", "J9999", "B4150", "G0997", "K0999", "G1000", "L9990", "E0999",
    ] {
        assert!(dom.contains(&format!("<tr id=\"{code}\">")), "{code}");
    }
    let pdf = work.path("changes.pdf");
    let print = format!("--print-to-pdf={}", pdf.display());
    headless(&chromium, &work, &html, &[&print, "--no-pdf-header-footer"]);
    let bytes = std::fs::read(&pdf).expect("Chromium wrote no PDF");
    assert!(bytes.starts_with(b"%PDF"));
    assert!(pdf_pages(&bytes) >= 1, "a PDF without pages");
}

/// Runs headless Chromium on `page` with `args`, in a profile of its own, at most two minutes.
pub fn headless(chromium: &Path, work: &Work, page: &Path, args: &[&str]) -> std::process::Output {
    let profile = format!(
        "--user-data-dir={}",
        work.path("chromium-profile").display()
    );
    let out = assert_cmd::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .arg(&profile)
        .args(args)
        .arg(format!("file://{}", page.display()))
        .timeout(Duration::from_secs(120))
        .output()
        .expect("Chromium ran");
    assert!(
        out.status.success(),
        "Chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
