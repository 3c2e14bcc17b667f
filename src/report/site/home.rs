//! The home page: the stored releases with their counts, source, revisions and corrections;
//! a chart of the code set over the releases (inline SVG, its numbers in the table beside it);
//! links to every changelog and browse page.

use std::io::{self, Write};

use super::layout::{Frame, page};
use super::{ReleaseRow, Site, esc, group_page, release_page};

pub fn render(out: &mut dyn Write, site: &Site) -> io::Result<()> {
    let frame = Frame {
        root: "",
        title: "Releases and codes",
        scripts: &[],
        dated: true,
    };
    page(out, site, &frame, |out| {
        writeln!(out, "<h1>HCPCS Level II code history</h1>")?;
        let span = match (site.releases.first(), site.releases.last()) {
            (Some(a), Some(b)) => format!(
                "{} stored releases, {} to {}",
                site.releases.len(),
                a.id,
                b.id
            ),
            _ => "no stored release".to_string(),
        };
        writeln!(
            out,
            "<p class=\"lede\">{span}: {} codes and modifiers in all. Each release's page says \
             what changed since the stored release before it; each code's page gives every field \
             in words and its whole history. Search by code or by words of a description, or \
             <a href=\"sections/index.html\">browse the codes by section</a>.</p>",
            site.codes.len()
        )?;
        releases(out, site)?;
        chart(out, &site.releases)?;
        changelogs(out, site)?;
        groups(out, site)
    })
}

fn releases(out: &mut dyn Write, site: &Site) -> io::Result<()> {
    writeln!(
        out,
        "<section aria-labelledby=\"releases\"><h2 id=\"releases\">Releases</h2>\n\
         <div class=\"scroll\"><table class=\"list\" id=\"release-table\"><thead><tr>\
         <th scope=\"col\">Release</th><th scope=\"col\" class=\"n\">Codes</th>\
         <th scope=\"col\" class=\"n\">Modifiers</th><th scope=\"col\" class=\"n\">In effect</th>\
         <th scope=\"col\" class=\"n\">Added</th><th scope=\"col\" class=\"n\">Retired</th>\
         <th scope=\"col\">CMS's file</th><th scope=\"col\" class=\"n\">Postings</th>\
         <th scope=\"col\">CMS's corrections</th></tr></thead><tbody>"
    )?;
    for r in &site.releases {
        let p = &r.provenance;
        let member = p
            .source
            .member
            .as_ref()
            .map(|m| format!(" ({})", esc(m)))
            .unwrap_or_default();
        let count = |n: Option<usize>| n.map_or_else(|| "—".to_string(), |n| n.to_string());
        let corrections = if r.corrections.is_empty() {
            "none".to_string()
        } else {
            r.corrections
                .iter()
                .map(|c| format!("{} (version {}, {} rows)", esc(&c.name), c.version, c.rows))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        writeln!(
            out,
            "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td>{}{member}</td><td class=\"n\">{}</td><td>{corrections}</td></tr>",
            release_page(r.id),
            r.id,
            p.counts.procedure,
            p.counts.modifier,
            r.in_effect,
            count(r.added),
            count(r.retired),
            esc(&p.source.file),
            r.revisions
        )?;
    }
    writeln!(
        out,
        "</tbody></table></div>\n<p class=\"note\">In effect: codes and modifiers with no \
         termination date before the release's first day. Added and retired: since the stored \
         release before (retired counts codes CMS terminated or left out of its file).</p></section>"
    )
}

/// Two bar charts in one SVG: the codes in effect per release, then the codes added and
/// retired. Drawn with presentation attributes and classes (no inline style: the page's
/// policy forbids it); the numbers are the releases table's.
fn chart(out: &mut dyn Write, releases: &[ReleaseRow]) -> io::Result<()> {
    const W: usize = 800;
    const LEFT: usize = 10;
    const TOP_H: usize = 170;
    const LOW_H: usize = 110;
    let n = releases.len().max(1);
    let slot = (W - 2 * LEFT) / n;
    let max_effect = releases
        .iter()
        .map(|r| r.in_effect)
        .max()
        .unwrap_or(0)
        .max(1);
    let max_change = releases
        .iter()
        .flat_map(|r| [r.added.unwrap_or(0), r.retired.unwrap_or(0)])
        .max()
        .unwrap_or(0)
        .max(1);
    let top_base = 20 + TOP_H;
    let low_base = top_base + 40 + LOW_H;
    let height = low_base + 24;
    writeln!(
        out,
        "<section aria-labelledby=\"chart\"><h2 id=\"chart\">The code set over the releases</h2>\n\
         <p class=\"legend\" aria-hidden=\"true\"><span class=\"effect\"></span>in effect\
         <span class=\"added\"></span>added<span class=\"retired\"></span>retired</p>\n\
         <svg class=\"chart\" viewBox=\"0 0 {W} {height}\" role=\"img\" aria-labelledby=\"chart-title\">\
         <title id=\"chart-title\">Codes in effect (top) and codes added and retired (bottom) in each stored release; \
         the numbers are in the releases table</title>"
    )?;
    writeln!(
        out,
        "<text x=\"{LEFT}\" y=\"14\">In effect</text>\
         <text x=\"{LEFT}\" y=\"{}\">Added and retired since the release before</text>",
        top_base + 30
    )?;
    for (i, r) in releases.iter().enumerate() {
        let x = LEFT + i * slot;
        let mid = x + slot / 2;
        let h = r.in_effect * TOP_H / max_effect;
        let bar = slot * 3 / 5;
        writeln!(
            out,
            "<rect class=\"effect\" x=\"{}\" y=\"{}\" width=\"{bar}\" height=\"{h}\"><title>{}: {} in effect</title></rect>\
             <text x=\"{mid}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            mid - bar / 2,
            top_base - h,
            r.id,
            r.in_effect,
            (top_base - h).saturating_sub(3).max(12),
            r.in_effect
        )?;
        let half = slot * 3 / 10;
        for (value, class, at) in [(r.added, "added", mid - half), (r.retired, "retired", mid)] {
            let Some(v) = value else { continue };
            let h = v * LOW_H / max_change;
            writeln!(
                out,
                "<rect class=\"{class}\" x=\"{at}\" y=\"{}\" width=\"{half}\" height=\"{h}\"><title>{}: {v} {class}</title></rect>\
                 <text class=\"small\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{v}</text>",
                low_base - h,
                r.id,
                at + half / 2,
                low_base - h - 3
            )?;
        }
        writeln!(
            out,
            "<text x=\"{mid}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            low_base + 16,
            r.id
        )?;
    }
    writeln!(
        out,
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{top_base}\" x2=\"{}\" y2=\"{top_base}\"/>\
         <line class=\"axis\" x1=\"{LEFT}\" y1=\"{low_base}\" x2=\"{}\" y2=\"{low_base}\"/></svg>\n\
         <p class=\"note\">The same numbers, as text: the <a href=\"#release-table\">releases table</a> \
         (in effect, added, retired).</p></section>",
        W - LEFT,
        W - LEFT
    )
}

fn changelogs(out: &mut dyn Write, site: &Site) -> io::Result<()> {
    writeln!(
        out,
        "<section aria-labelledby=\"changelogs\"><h2 id=\"changelogs\">What changed, release by release</h2><ul>"
    )?;
    for pair in site.releases.windows(2).rev() {
        let (old, new) = (&pair[0], &pair[1]);
        let counts = format!(
            "{} added, {} retired",
            new.added.unwrap_or(0),
            new.retired.unwrap_or(0)
        );
        writeln!(
            out,
            "<li><a href=\"{}\">{} → {}</a> ({counts})</li>",
            release_page(new.id),
            old.id,
            new.id
        )?;
    }
    if let Some(first) = site.releases.first() {
        writeln!(
            out,
            "<li><a href=\"{}\">{}</a> (the oldest stored release)</li>",
            release_page(first.id),
            first.id
        )?;
    }
    writeln!(out, "</ul></section>")
}

/// The sections of HCPCS Level II: each linked to its page, with its codes in effect in each
/// release and a line of the trend (its numbers are the row's).
fn groups(out: &mut dyn Write, site: &Site) -> io::Result<()> {
    writeln!(
        out,
        "<section aria-labelledby=\"sections\"><h2 id=\"sections\">Codes in effect by section</h2>\n\
         <div class=\"scroll\"><table class=\"list by-section\" id=\"section-table\"><thead><tr>\
         <th scope=\"col\">Section</th><th scope=\"col\" class=\"n\">Codes, all releases</th>"
    )?;
    for r in &site.releases {
        write!(out, "<th scope=\"col\" class=\"n\">{}</th>", r.id)?;
    }
    writeln!(out, "<th scope=\"col\">Trend</th></tr></thead><tbody>")?;
    for (g, group) in site.groups.iter().enumerate() {
        write!(
            out,
            "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td class=\"n\">{}</td>",
            group_page(&group.id),
            esc(&group.title),
            group.codes.len()
        )?;
        let counts: Vec<usize> = site
            .releases
            .iter()
            .map(|r| r.in_effect_by_group.get(g).copied().unwrap_or(0))
            .collect();
        for n in &counts {
            write!(out, "<td class=\"n\">{n}</td>")?;
        }
        writeln!(out, "<td>{}</td></tr>", sparkline(&counts))?;
    }
    writeln!(
        out,
        "</tbody></table></div><p class=\"note\">Sections as the HCPCS Level II code set is \
         documented, by letter and range; each release's page counts its changes by section.</p></section>"
    )
}

/// A small line of `counts` (oldest first), scaled to the largest; decorative, as the row
/// gives the numbers.
fn sparkline(counts: &[usize]) -> String {
    const W: usize = 100;
    const H: usize = 20;
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    let step = if counts.len() > 1 {
        W / (counts.len() - 1)
    } else {
        0
    };
    let points: Vec<String> = counts
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{},{}", i * step, H - n * (H - 2) / max - 1))
        .collect();
    format!(
        "<svg class=\"spark\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" aria-hidden=\"true\">\
         <polyline points=\"{}\"/></svg>",
        points.join(" ")
    )
}
