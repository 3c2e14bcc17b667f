//! One self-contained HTML file (inline CSS; no script, font, image or link out) that reads
//! well in a browser, on a phone, printed and as an e-mail attachment: a summary table whose
//! rows link to the sections, then a table per section in the order a reviewer acts on them;
//! each code an anchor (`#E1392`); word-level highlights that do not rely on colour
//! (`<del>` struck through, `<ins>` underlined and bold); cosmetic changes folded away.

use std::collections::BTreeSet;
use std::io::{self, Write};

use super::{
    Section, action_label, agreement_note, chain, date_note, describe, is_wording, mark_values,
    mark_words, pricing_and_coverage, sections, shown_fields, summary_line,
};
use crate::diff::{Change, Changeset, CodeChange};

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn word_diff(old: &str, new: &str) -> String {
    mark_words(
        old,
        new,
        esc,
        |w| format!("<del>{}</del>", esc(w)),
        |w| format!("<ins>{}</ins>", esc(w)),
    )
}

/// Screen first; then narrow screens (each table row a card); then print (repeated table
/// headers, rows kept whole, highlights without backgrounds, folded sections printed open).
pub(crate) const CSS: &str = "\
body{font:15px/1.4 system-ui,sans-serif;max-width:90em;margin:1em auto;padding:0 1em;color:#222}\
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin:1.2em 0 .4em}\
p{margin:.3em 0}.from,.note{color:#444}.note{font-size:.9em;max-width:70em}\
table{border-collapse:collapse;margin:.3em 0}\
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}\
thead th{background:#eee}\
table.summary td.n,table.sections td.n{text-align:right;font-variant-numeric:tabular-nums}\
.by-section{display:flex;flex-wrap:wrap;gap:0 2.5em;align-items:flex-start}\
figure.chart{flex:0 1 30em;min-width:0;margin:.4em 0}figure.chart svg{width:100%;height:auto;display:block}\
figure.chart figcaption{font-size:.85em;color:#444}\
table.sections tfoot{font-weight:bold}table.sections abbr{text-decoration:none}\
.scroll{overflow-x:auto;max-width:100%}table.sections td.range{white-space:nowrap}\
table.summary tr.none{color:#888}\
table.codes{width:100%}\
table.codes thead th{position:sticky;top:0}\
table.codes tbody th{white-space:nowrap}\
col.code{width:5em}col.desc{width:30%}col.date{width:9em}col.cms{width:12em}col.change{width:7em}\
table.codes td.cms{font-size:.9em}.nowrap{white-space:nowrap}\
.top{display:flex;flex-wrap:wrap;gap:0 2em;align-items:flex-start}.top .notes{flex:1 1 25em}\
table.codes ul{margin:0;padding-left:1.1em}\
tr[id]{scroll-margin-top:3em}tr:target,tr:target>*{background:#fff3b0}\
code{font-weight:bold}a.up{font-size:.75em;font-weight:normal;margin-left:.6em}\
del{text-decoration:line-through;text-decoration-thickness:2px;background:#fdd;color:#900}\
ins{text-decoration:underline;font-weight:bold;background:#dfd;color:#060}\
.field{color:#555}.disagrees{color:#900;font-weight:bold}\
details>summary{cursor:pointer;margin:.3em 0}\
@media (max-width:40em){\
body{padding:0 .4em;font-size:14px}\
table.codes,table.codes tbody,table.codes tr,table.codes td,table.codes tbody th{display:block;width:auto}\
table.codes thead,table.summary .hint,table.sections .range{display:none}\
table.sections{font-size:.85em}table.sections td,table.sections th{padding:.15em .3em}\
table.sections .none{display:none}\
table.codes tr{border:1px solid #bbb;margin:.5em 0;padding:.2em}\
table.codes td,table.codes tbody th{border:0;padding:.1em .3em}\
table.codes td[data-label]::before{content:attr(data-label) \": \";font-weight:bold;color:#555}}\
@media print{\
body{max-width:none;margin:0;padding:0;font-size:10pt}\
a{color:inherit;text-decoration:none}a.up{display:none}\
thead{display:table-header-group}table.codes thead th{position:static}\
table.codes{table-layout:fixed}col.code{width:4.5em}col.desc{width:27%}col.date{width:7.5em}col.cms{width:8em}\
.nowrap{white-space:normal}td,th{overflow-wrap:break-word}\
tr{break-inside:avoid}h2{break-after:avoid}figure.chart{break-inside:avoid;max-width:30em}\
del,ins,tr:target,tr:target>*{background:none}\
details::details-content{content-visibility:visible;display:block}.open{display:none}}\
@page{margin:1.5cm}";

pub fn render(out: &mut dyn Write, set: &Changeset) -> io::Result<()> {
    let releases = format!("{} → {}", set.old.label(), set.new.label());
    let sources = format!("{} → {}", set.old.source, set.new.source);
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>HCPCS changes {releases}: {}</title>",
        esc(&sources)
    )?;
    writeln!(out, "<style>{CSS}</style></head><body>")?;
    body(out, set, &|_| None)?;
    writeln!(out, "</body></html>")
}

/// The changelog inside `<body>`: its heading, summary and a table per section. `page` gives
/// a code's own page where there is one (the site's code pages), for the code cells and
/// replacements; the standalone changelog links codes to their rows only.
pub(crate) fn body(
    out: &mut dyn Write,
    set: &Changeset,
    page: &dyn Fn(&str) -> Option<String>,
) -> io::Result<()> {
    let releases = format!("{} → {}", set.old.label(), set.new.label());
    writeln!(out, "<h1>HCPCS changes {releases}</h1>")?;
    let release = |info: &crate::diff::ReleaseInfo| {
        format!(
            "release <b>{}</b> (<code>{}</code>, {} codes)",
            info.label(),
            esc(&info.source),
            info.codes
        )
    };
    writeln!(
        out,
        "<p class=\"from\">From {} to {}.</p>",
        release(&set.old),
        release(&set.new)
    )?;
    let context: Vec<String> = super::context_lines(set).iter().map(|l| esc(l)).collect();
    writeln!(out, "<p class=\"context\">{}</p>", context.join("<br>"))?;
    by_section(out, set)?;
    summary(out, set)?;
    let anchored: BTreeSet<&str> = set.changes.iter().map(|c| c.code.as_str()).collect();
    for (section, codes) in sections(set) {
        section_table(out, set, section, &codes, &anchored, page)?;
    }
    disagreements(out, set, &anchored)
}

/// The kinds of change in the chart's and table's order, each with its fill and the colour of
/// a count written on it. Retired parts are striped too (`STRIPES`), so that printed in grey
/// they still differ from added ones.
const CHANGE_FILLS: [(&str, &str); 5] = [
    ("#1b7837", "#fff"),
    ("#b2182b", "#fff"),
    ("#4d4d4d", "#fff"),
    ("#f1a340", "#000"),
    ("#92c5de", "#000"),
];

/// The chart's width in SVG units; everything else scales with it.
const CHART_W: usize = 400;

/// Which kind of change is striped (retired), and the stripes: a dashed line as thick as the
/// part is high, drawn over it (no pattern: the file refers to nothing, not even inside).
const STRIPED: usize = 1;

fn stripes(x: f64, y: usize, w: f64, h: usize) -> String {
    let mid = y as f64 + h as f64 / 2.0;
    format!(
        "<line x1=\"{x:.1}\" y1=\"{mid:.1}\" x2=\"{:.1}\" y2=\"{mid:.1}\" stroke=\"#67001f\" \
         stroke-width=\"{h}\" stroke-dasharray=\"2 3\" aria-hidden=\"true\"/>",
        x + w
    )
}

/// The changes by section of HCPCS Level II: a bar chart (inline SVG: a bar per section,
/// stacked by kind of change, each count written on its part when it fits and the total at the
/// end), then the table it draws, which is also its text for screen readers.
fn by_section(out: &mut dyn Write, set: &Changeset) -> io::Result<()> {
    if set.changes.is_empty() {
        return Ok(());
    }
    let rows = super::section_rows(set);
    let (sections, totals) = rows.split_at(rows.len() - 1);
    let heads = super::change_columns();
    writeln!(
        out,
        "<section id=\"by-section\"><h2>Changes by section of HCPCS Level II</h2>"
    )?;
    let present: Vec<usize> = (0..5).filter(|&i| totals[0].counts[i] > 0).collect();
    let (legend, legend_lines) = legend(&present, &heads);
    writeln!(out, "<div class=\"by-section\">")?;
    writeln!(
        out,
        "<figure class=\"chart\"><svg role=\"img\" \
         aria-labelledby=\"chart-title chart-desc\" viewBox=\"0 0 {CHART_W} {}\" \
         font-family=\"system-ui,sans-serif\" font-size=\"13\">",
        30 + 20 * legend_lines + 40 * sections.len()
    )?;
    writeln!(
        out,
        "<title id=\"chart-title\">Changes by section of HCPCS Level II</title>\
         <desc id=\"chart-desc\">A bar per section, its length the number of codes that changed, \
         in parts for {}; the table after the chart gives the same numbers.</desc>",
        heads.join(", ").to_lowercase()
    )?;
    // The legend: a swatch and a word per kind of change that any section has, wrapped.
    for &(i, x, y) in &legend {
        let (head, (fill, _)) = (&heads[i], CHANGE_FILLS[i]);
        writeln!(
            out,
            "<g class=\"legend\"><rect x=\"{x}\" y=\"{y}\" width=\"14\" height=\"14\" fill=\"{fill}\" stroke=\"#222\" stroke-width=\".5\"/>\
             {}<text x=\"{}\" y=\"{}\">{head}</text></g>",
            if i == STRIPED {
                stripes(x as f64, y, 14.0, 14)
            } else {
                String::new()
            },
            x + 18,
            y + 12
        )?;
    }
    let top = 14 + 20 * legend_lines;
    let most = sections.iter().map(|r| r.total).max().unwrap_or(1).max(1);
    let room = (CHART_W - 44) as f64;
    for (i, r) in sections.iter().enumerate() {
        let y = top + 40 * i;
        writeln!(
            out,
            "<g class=\"row\" data-section=\"{}\"><text class=\"label\" x=\"0\" y=\"{}\" font-weight=\"bold\">{}</text>",
            esc(r.id),
            y + 13,
            esc(&r.label)
        )?;
        let mut at = 0.0;
        for (k, ((head, (fill, ink)), n)) in
            heads.iter().zip(CHANGE_FILLS).zip(r.counts).enumerate()
        {
            if n == 0 {
                continue;
            }
            let w = room * n as f64 / most as f64;
            writeln!(
                out,
                "<rect class=\"bar\" data-change=\"{}\" data-count=\"{n}\" x=\"{at:.1}\" y=\"{}\" \
                 width=\"{w:.1}\" height=\"17\" fill=\"{fill}\"><title>{}: {n} {}</title></rect>",
                head.to_lowercase(),
                y + 18,
                esc(&r.label),
                head.to_lowercase()
            )?;
            if k == STRIPED {
                writeln!(out, "{}", stripes(at, y + 18, w, 17))?;
            }
            // A count is written on its part when its digits fit there.
            if w >= 8.0 * n.to_string().len() as f64 + 4.0 {
                writeln!(
                    out,
                    "<text class=\"count\" data-change=\"{}\" x=\"{:.1}\" y=\"{}\" fill=\"{ink}\" \
                     text-anchor=\"middle\" font-size=\"12\" aria-hidden=\"true\"{}>{n}</text>",
                    head.to_lowercase(),
                    at + w / 2.0,
                    y + 31,
                    // On stripes, a halo of the part's own colour keeps the digits clear.
                    if k == STRIPED {
                        format!(" stroke=\"{fill}\" stroke-width=\"3\" paint-order=\"stroke\"")
                    } else {
                        String::new()
                    }
                )?;
            }
            at += w;
        }
        writeln!(
            out,
            "<text class=\"total\" x=\"{:.1}\" y=\"{}\" font-weight=\"bold\">{}</text></g>",
            at + 5.0,
            y + 31,
            r.total
        )?;
    }
    writeln!(
        out,
        "</svg><figcaption>Codes that changed, by section; the table &#8220;Changes by section of HCPCS Level II&#8221; gives each number.</figcaption></figure>"
    )?;
    writeln!(
        out,
        "<div class=\"scroll\"><table class=\"sections\" id=\"by-section-table\"><caption>Changes by section of HCPCS Level II</caption>\n\
         <thead><tr><th scope=\"col\">Section</th><th scope=\"col\" class=\"range\">Range</th>{}\
         <th scope=\"col\">Total</th></tr></thead><tbody>",
        heads
            .iter()
            .zip(totals[0].counts)
            .map(|(h, n)| format!("<th scope=\"col\"{}>{h}</th>", none(n)))
            .collect::<String>()
    )?;
    for r in sections.iter().chain(totals) {
        let total_row = std::ptr::eq(r, &totals[0]);
        let cells: String = (heads.iter().zip(r.counts).zip(totals[0].counts))
            .map(|((h, n), all)| {
                format!(
                    "<td class=\"n{}\" data-change=\"{}\" data-label=\"{h}\">{n}</td>",
                    if all == 0 { " none" } else { "" },
                    h.to_lowercase()
                )
            })
            .collect();
        let (open, close) = if total_row {
            ("<tfoot>", "</tfoot>")
        } else {
            ("", "")
        };
        let name = if r.id.is_empty() {
            esc(&r.label)
        } else {
            format!("<abbr title=\"{}\">{}</abbr>", esc(r.name), esc(&r.label))
        };
        if total_row {
            writeln!(out, "</tbody>")?;
        }
        writeln!(
            out,
            "{open}<tr data-section=\"{}\"><th scope=\"row\">{name}</th><td class=\"range\">{}</td>{cells}\
             <td class=\"n total\" data-label=\"Total\">{}</td></tr>{close}",
            esc(r.id),
            esc(r.id),
            r.total
        )?;
    }
    writeln!(out, "</table></div></div></section>")
}

/// The class of a column of the table whose kind of change no section has (`n`, its total):
/// a phone leaves it out, to keep the others on its screen.
fn none(n: usize) -> &'static str {
    if n == 0 { " class=\"none\"" } else { "" }
}

/// Where the chart's legend puts each kind of change `present` (its index, x, y), wrapped to
/// the chart's width, and how many lines it takes.
fn legend(present: &[usize], heads: &[String; 5]) -> (Vec<(usize, usize, usize)>, usize) {
    let (mut x, mut y) = (0, 4);
    let mut lines = 1;
    let mut at = Vec::new();
    for &i in present {
        let width = 26 + 8 * heads[i].len();
        if x > 0 && x + width > CHART_W {
            (x, y, lines) = (0, y + 20, lines + 1);
        }
        at.push((i, x, y));
        x += width;
    }
    (at, lines)
}

/// The summary table: each section's count, its rows linked to the sections that have codes;
/// then how highlights read and how far CMS's action codes were checked.
fn summary(out: &mut dyn Write, set: &Changeset) -> io::Result<()> {
    writeln!(
        out,
        "<div class=\"top\"><table class=\"summary\" id=\"summary\"><caption hidden>Summary</caption>\n\
         <thead><tr><th scope=\"col\">Section</th><th scope=\"col\">Codes</th>\
         <th scope=\"col\" class=\"hint\">What it holds</th></tr></thead><tbody>"
    )?;
    for section in Section::ALL {
        let n = section.count(set);
        let (class, name) = if n == 0 {
            (" class=\"none\"", esc(section.title()))
        } else {
            (
                "",
                format!("<a href=\"#{}\">{}</a>", section.id(), esc(section.title())),
            )
        };
        writeln!(
            out,
            "<tr{class}><th scope=\"row\">{name}</th><td class=\"n\">{n}</td><td class=\"hint\">{}</td></tr>",
            esc(section.hint())
        )?;
    }
    writeln!(out, "</tbody></table><div class=\"notes\">")?;
    writeln!(
        out,
        "<p class=\"note\">{}. In “what changed”, removed words are <del>struck through</del> \
         and inserted words <ins>underlined in bold</ins>.</p>",
        esc(&summary_line(set))
    )?;
    if let Some(note) = agreement_note(set) {
        writeln!(out, "<p class=\"note\">{}</p>", esc(&note))?;
    }
    writeln!(out, "</div></div>")
}

const HEAD: &str = "<colgroup><col class=\"code\"><col class=\"desc\"><col class=\"date\">\
<col class=\"what\"><col class=\"cms\"></colgroup><thead><tr><th scope=\"col\">Code</th><th scope=\"col\">Description</th>\
<th scope=\"col\">Date</th><th scope=\"col\">What changed</th>\
<th scope=\"col\">CMS action</th></tr></thead>";

/// A section: its heading with the count, and a table of its codes (folded away for cosmetic
/// changes).
fn section_table(
    out: &mut dyn Write,
    set: &Changeset,
    section: Section,
    codes: &[&CodeChange],
    anchored: &BTreeSet<&str>,
    page: &dyn Fn(&str) -> Option<String>,
) -> io::Result<()> {
    writeln!(
        out,
        "<section id=\"{}\"><h2>{} ({})<a class=\"up\" href=\"#summary\">summary ↑</a></h2>",
        section.id(),
        esc(section.title()),
        codes.len()
    )?;
    let folded = section.cosmetic_reason();
    if let Some(reason) = folded {
        writeln!(
            out,
            "<details><summary>{}: {} code{}, nothing to act on<span class=\"open\"> (open to list)</span></summary>",
            esc(&capitalized(reason.reason())),
            codes.len(),
            if codes.len() == 1 { "" } else { "s" }
        )?;
    }
    writeln!(out, "<table class=\"codes\">{HEAD}<tbody>")?;
    for c in codes {
        code_row(out, set, c, anchored, page)?;
    }
    writeln!(out, "</tbody></table>")?;
    if folded.is_some() {
        writeln!(out, "</details>")?;
    }
    writeln!(out, "</section>")
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// One code's row; the row is the code's anchor.
fn code_row(
    out: &mut dyn Write,
    set: &Changeset,
    c: &CodeChange,
    anchored: &BTreeSet<&str>,
    page: &dyn Fn(&str) -> Option<String>,
) -> io::Result<()> {
    let code = esc(&c.code);
    let href = page(&c.code).map_or_else(|| format!("#{code}"), |p| esc(&p));
    // "effective 2019-10-01, terminated 2019-12-31": each part on a line of its own.
    let date = date_note(c).map_or_else(
        || "—".to_string(),
        |d| {
            let parts: Vec<String> = d
                .split(", ")
                .map(|p| format!("<span class=\"nowrap\">{}</span>", esc(p)))
                .collect();
            parts.join("<br>")
        },
    );
    let what = what_changed(c, anchored, page);
    let what = match what.as_slice() {
        [] => "—".to_string(),
        items => format!("<ul><li>{}</li></ul>", items.join("</li><li>")),
    };
    writeln!(
        out,
        "<tr id=\"{code}\"><th scope=\"row\"><a href=\"{href}\">{code}</a></th>\
         <td data-label=\"Description\">{}</td><td class=\"date\" data-label=\"Date\">{date}</td>\
         <td data-label=\"What changed\">{what}</td><td class=\"cms\" data-label=\"CMS action\">{}</td></tr>",
        esc(&c.description),
        cms_cell(set, c)
    )
}

/// The items of a code's "what changed" cell, as HTML.
fn what_changed(
    c: &CodeChange,
    anchored: &BTreeSet<&str>,
    page: &dyn Fn(&str) -> Option<String>,
) -> Vec<String> {
    let mut items = Vec::new();
    if let Some(note) = super::redefined_note(c) {
        items.push(format!("<strong>{}</strong>", esc(note)));
    }
    match c.change {
        Change::Added => {
            for what in pricing_and_coverage(&c.standing) {
                items.push(esc(&capitalized(&what)));
            }
            if let Some(t) = c.standing.termination_date {
                items.push(format!(
                    "<strong>Already terminated: not billable after {t}</strong>"
                ));
            }
        }
        Change::Dropped => items.push("No longer in CMS's file".to_string()),
        _ => {}
    }
    for f in shown_fields(c) {
        let listed = mark_values(
            f,
            esc,
            |w| format!("<del>{}</del>", esc(w)),
            |w| format!("<ins>{}</ins>", esc(w)),
        );
        let body = if is_wording(f) || f.cosmetic {
            word_diff(&f.old.join(" "), &f.new.join(" "))
        } else if let Some(listed) = listed {
            listed
        } else {
            format!(
                "{} → {}",
                values(f, &f.old, "del"),
                values(f, &f.new, "ins")
            )
        };
        items.push(format!(
            "<span class=\"field\">{}:</span> {body}",
            esc(f.label)
        ));
    }
    let link = |code: &str| {
        if anchored.contains(code) {
            format!("<a href=\"#{0}\"><code>{0}</code></a>", esc(code))
        } else if let Some(p) = page(code) {
            format!("<a href=\"{}\"><code>{}</code></a>", esc(&p), esc(code))
        } else {
            format!("<code>{}</code>", esc(code))
        }
    };
    for r in &c.replacements {
        let what = r
            .description
            .as_deref()
            .filter(|_| r.then.is_empty())
            .map(|d| format!(": {}", esc(d)))
            .unwrap_or_default();
        items.push(format!("Use instead: {}{what}", chain(r, &link)));
    }
    for e in &c.explained_by {
        items.push(format!(
            "Explained by CMS's correction: {}",
            esc(&e.words())
        ));
    }
    items
}

/// A field's values in words, marked as removed or inserted (`tag`); a blank is not marked.
fn values(f: &crate::diff::FieldChange, values: &[String], tag: &str) -> String {
    let words = esc(&describe(f, values));
    if values.is_empty() {
        words
    } else {
        format!("<{tag}>{words}</{tag}>")
    }
}

/// CMS's action code with its meaning, and whether it disagrees with the change.
fn cms_cell(set: &Changeset, c: &CodeChange) -> String {
    let action = c
        .action_code
        .as_deref()
        .map_or_else(|| "—".to_string(), |a| esc(&action_label(a)));
    let disagrees =
        c.cms_agrees == Some(false) && set.disagreements.iter().any(|d| d.code == c.code);
    if disagrees {
        format!(
            "{action}<br><a class=\"disagrees\" href=\"#why-{0}\">✗ disagrees: see why</a>",
            esc(&c.code)
        )
    } else {
        action
    }
}

/// The codes whose CMS action code or dates disagree with what changed, each linked to its
/// row above (or, for a code that did not change, its anchor here).
fn disagreements(
    out: &mut dyn Write,
    set: &Changeset,
    anchored: &BTreeSet<&str>,
) -> io::Result<()> {
    if set.disagreements.is_empty() {
        return Ok(());
    }
    let section = Section::Disagreements;
    writeln!(
        out,
        "<section id=\"{}\"><h2>{} ({})<a class=\"up\" href=\"#summary\">summary ↑</a></h2>",
        section.id(),
        esc(section.title()),
        set.disagreements.len()
    )?;
    writeln!(
        out,
        "<table class=\"codes\"><colgroup><col class=\"code\"><col class=\"change\">\
         <col class=\"cms\"><col></colgroup><thead><tr><th scope=\"col\">Code</th><th scope=\"col\">Change</th>\
         <th scope=\"col\">CMS action</th><th scope=\"col\">Why they disagree</th></tr></thead><tbody>"
    )?;
    for d in &set.disagreements {
        let code = esc(&d.code);
        let cell = if anchored.contains(d.code.as_str()) {
            format!("<a href=\"#{code}\">{code}</a>")
        } else {
            format!("<span id=\"{code}\">{code}</span>")
        };
        let action = d
            .action_code
            .as_deref()
            .map_or_else(|| "—".to_string(), |a| esc(&action_label(a)));
        writeln!(
            out,
            "<tr id=\"why-{code}\"><th scope=\"row\">{cell}</th><td data-label=\"Change\">{}</td>\
             <td data-label=\"CMS action\">{action}</td><td data-label=\"Why\">{}</td></tr>",
            d.change.map_or("none", Change::as_str),
            esc(&d.reason)
        )?;
    }
    writeln!(out, "</tbody></table></section>")
}

#[cfg(test)]
mod tests {
    use super::{CHART_W, legend};

    /// The legend's places and its line count come from one pass: all five kinds wrap the
    /// last onto a second line, and the chart's rows start below it.
    #[test]
    fn the_legend_wraps_to_the_chart_and_counts_the_lines_it_places() {
        let heads = super::super::change_columns();
        let (at, lines) = legend(&[0, 1, 2, 3, 4], &heads);
        assert_eq!(lines, 2);
        assert_eq!(
            at,
            [(0, 0, 4), (1, 66, 4), (2, 148, 4), (3, 230, 4), (4, 0, 24)]
        );
        for &(i, x, _) in &at {
            assert!(x + 26 + 8 * heads[i].len() <= CHART_W);
        }
        let (at, lines) = legend(&[0, 4], &heads);
        assert_eq!((at, lines), (vec![(0, 0, 4), (4, 66, 4)], 1));
        assert_eq!(legend(&[], &heads), (Vec::new(), 1));
    }
}
