//! The home page: the stored releases with their counts, source, revisions and corrections;
//! a chart of the code set over the releases (inline SVG, its numbers in the table beside it);
//! links to every changelog and browse page.

use std::io::{self, Write};

use super::layout::{Frame, page};
use super::{ReleaseRow, Site, esc, group_page, release_page};
use crate::model::ReleaseId;

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
             <td class=\"n\">{}</td><td class=\"file\">{}{member}</td><td class=\"n\">{}</td>\
             <td class=\"file\">{corrections}</td></tr>",
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

/// The chart's geometry, in SVG units (a pixel when the chart is drawn at its own width).
mod geometry {
    use crate::model::ReleaseId;

    /// The chart's width while every release fits in it at `MIN_SLOT` or more.
    pub const FIT_W: f64 = 800.0;
    pub const LEFT: f64 = 10.0;
    /// The narrowest slot a release gets (its bar three fifths of it); releases too many or
    /// too close for `FIT_W` make the chart wider, drawn at its own width in a box that
    /// scrolls.
    pub const MIN_SLOT: f64 = 16.0;
    /// The widest slot a release gets: a few releases far apart get bars, not slabs.
    pub const MAX_SLOT: f64 = 48.0;
    /// Font sizes of the labels (`svg.chart text`, `text.small` in the stylesheet).
    pub const FONT: f64 = 12.0;
    pub const SMALL: f64 = 9.5;
    /// Room between two labels.
    pub const GAP: f64 = 6.0;
    /// The bars' heights: codes in effect, then added and retired.
    pub const TOP_H: f64 = 170.0;
    pub const LOW_H: f64 = 110.0;
    /// Where the codes in effect start: below the chart's heading and the tallest bar's label.
    pub const TOP: f64 = 34.0;

    /// How wide a label of `text` is at `size`, at most: digits and dashes are at most 0.65 em
    /// in common sans-serif fonts (DejaVu Sans's digits, the widest, 0.64).
    pub fn label_width(text: &str, size: f64) -> f64 {
        text.chars().count() as f64 * 0.65 * size
    }

    /// A release's month, counted from year 0: the time axis's unit.
    pub fn month(id: ReleaseId) -> i64 {
        i64::from(id.year) * 12 + i64::from(id.month) - 1
    }

    /// Where the releases stand in time: the axis runs from the oldest release's month to the
    /// newest's end; a release's slot starts at its month and is as long as the shortest time
    /// between two releases (a quarter for quarterly releases; a year at most), and the scale
    /// keeps that slot `MIN_SLOT` wide at least: a store of quarters fits the page for about
    /// eleven years, one of Januaries only for about forty.
    pub struct Axis {
        /// The oldest release's month.
        pub start: i64,
        /// Months a release's slot covers.
        pub unit: i64,
        /// SVG units a month.
        pub per_month: f64,
        /// The chart's width.
        pub width: f64,
    }

    impl Axis {
        pub fn new(ids: &[ReleaseId]) -> Axis {
            let months: Vec<i64> = ids.iter().map(|&id| month(id)).collect();
            let start = months.first().copied().unwrap_or(0);
            let end = months.last().copied().unwrap_or(0);
            let unit = (months.windows(2).map(|w| w[1] - w[0]))
                .fold(12, i64::min)
                .max(1);
            let span = (end - start + unit) as f64;
            // Room after the newest release for its year's name, written from its January on.
            let tail = label_width("0000", FONT) + 2.0;
            let fit = (FIT_W - 2.0 * LEFT - tail) / span;
            let least = MIN_SLOT / unit as f64;
            let (per_month, width) = if fit >= least {
                (fit, FIT_W)
            } else {
                (least, 2.0 * LEFT + span * least + tail)
            };
            Axis {
                start,
                unit,
                per_month,
                width,
            }
        }

        /// Where `month` is on the chart.
        pub fn x(&self, month: i64) -> f64 {
            LEFT + (month - self.start) as f64 * self.per_month
        }

        /// A release's slot: its left (its month) and width (at most `MAX_SLOT`).
        pub fn slot(&self, id: ReleaseId) -> (f64, f64) {
            let time = self.unit as f64 * self.per_month;
            (self.x(month(id)), time.min(MAX_SLOT))
        }

        /// The years named under the axis: each January within it, every `step` years so that
        /// their names (written from the January on) do not touch; a name that would run past
        /// the chart's right edge is left out.
        pub fn years(&self) -> Vec<(i64, f64)> {
            let year_w = 12.0 * self.per_month;
            let need = label_width("0000", FONT) + GAP;
            let step = [1, 2, 5, 10, 20, 50, 100]
                .into_iter()
                .find(|&k| k as f64 * year_w >= need)
                .unwrap_or(100);
            let right = self.width - LEFT;
            let first = self.start.div_euclid(12) + i64::from(self.start % 12 != 0);
            let mut years: Vec<(i64, f64)> = (first..)
                .map(|y| (y, self.x(y * 12)))
                .take_while(|&(_, x)| x <= right)
                .filter(|&(y, x)| {
                    y % step == 0 && x + 2.0 + label_width("0000", FONT) <= right + LEFT
                })
                .collect();
            // An axis that starts after a January names its first year at its start, if there
            // is room before the next name.
            let next = years.first().map_or(right + LEFT, |&(_, x)| x);
            if self.start % 12 != 0 && LEFT + need <= next {
                years.insert(0, (self.start / 12, LEFT));
            }
            years
        }
    }

    /// Which labels (centred at `centres`, `widths` wide) are written so that no two touch:
    /// from the newest back, each that keeps `GAP` from the last one kept.
    pub fn spaced(centres: &[f64], widths: &[f64]) -> Vec<bool> {
        let mut shown = vec![false; centres.len()];
        let mut left_of_kept = f64::INFINITY;
        for i in (0..centres.len()).rev() {
            if centres[i] + widths[i] / 2.0 + GAP <= left_of_kept {
                shown[i] = true;
                left_of_kept = centres[i] - widths[i] / 2.0;
            }
        }
        shown
    }
}

/// Two bar charts in one SVG: the codes in effect per release, then the codes added and
/// retired, each release's bars placed by its date on a time axis named by year (releases
/// three years apart stand three years apart, quarterly ones close together). Drawn with
/// presentation attributes and classes (no inline style: the page's policy forbids it); the
/// numbers are the releases table's. A release's bar is never narrower than `MIN_SLOT`
/// allows: releases too many or too close for the page make the chart grow wider than it and
/// scroll in its own box; counts that would touch are left out, the newest kept (each bar's
/// title and the table still give every number).
fn chart(out: &mut dyn Write, releases: &[ReleaseRow]) -> io::Result<()> {
    use geometry::*;
    let ids: Vec<_> = releases.iter().map(|r| r.id).collect();
    let axis = Axis::new(&ids);
    let width = axis.width;
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
    let top_base = TOP + TOP_H;
    let low_base = top_base + 44.0 + LOW_H;
    let height = low_base + 24.0;
    let counted = {
        let centres: Vec<f64> = (ids.iter())
            .map(|&id| axis.slot(id))
            .map(|(x, slot)| x + slot / 2.0)
            .collect();
        let widths: Vec<f64> = (releases.iter())
            .map(|r| label_width(&r.in_effect.to_string(), FONT))
            .collect();
        spaced(&centres, &widths)
    };
    // Wider than the page: drawn at its own width (the `width` and `height` attributes), in a
    // box that scrolls; else as wide as the page allows.
    let (class, size) = if width > FIT_W {
        (
            "chart",
            format!(" width=\"{width:.0}\" height=\"{height:.0}\""),
        )
    } else {
        ("chart fit", String::new())
    };
    writeln!(
        out,
        "<section aria-labelledby=\"chart\"><h2 id=\"chart\">The code set over the releases</h2>\n\
         <p class=\"legend\" aria-hidden=\"true\"><span class=\"effect\"></span>in effect\
         <span class=\"added\"></span>added<span class=\"retired\"></span>retired</p>\n\
         <div class=\"scroll\"><svg class=\"{class}\"{size} viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\" aria-labelledby=\"chart-title\">\
         <title id=\"chart-title\">Codes in effect (top) and codes added and retired (bottom) in each stored release, \
         placed by its date; the numbers are in the releases table</title>"
    )?;
    writeln!(
        out,
        "<text x=\"{LEFT}\" y=\"14\">In effect</text>\
         <text x=\"{LEFT}\" y=\"{}\">Added and retired since the release before</text>",
        top_base + 24.0
    )?;
    for (i, r) in releases.iter().enumerate() {
        let (x, slot) = axis.slot(r.id);
        let mid = x + slot / 2.0;
        let h = r.in_effect as f64 * TOP_H / max_effect as f64;
        let bar = slot * 0.6;
        writeln!(
            out,
            "<rect class=\"effect\" x=\"{:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\"><title>{}: {} in effect</title></rect>",
            mid - bar / 2.0,
            top_base - h,
            r.id,
            r.in_effect,
        )?;
        if counted[i] {
            writeln!(
                out,
                "<text x=\"{mid:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                top_base - h - 3.0,
                r.in_effect
            )?;
        }
        let half = slot * 0.3;
        let parts: Vec<(usize, &str, f64, f64)> =
            [(r.added, "added", mid - half), (r.retired, "retired", mid)]
                .into_iter()
                .filter_map(|(v, class, at)| {
                    v.map(|v| (v, class, at, v as f64 * LOW_H / max_change as f64))
                })
                .collect();
        let shown = change_labels(x, slot, low_base, &parts);
        for (k, &(v, class, at, h)) in parts.iter().enumerate() {
            writeln!(
                out,
                "<rect class=\"{class}\" x=\"{at:.1}\" y=\"{:.1}\" width=\"{half:.1}\" height=\"{h:.1}\"><title>{}: {v} {class}</title></rect>",
                low_base - h,
                r.id,
            )?;
            if shown[k] {
                writeln!(
                    out,
                    "<text class=\"small\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{v}</text>",
                    at + half / 2.0,
                    low_base - h - 3.0
                )?;
            }
        }
    }
    // The time axis: a tick at each year named, the year written from its January on.
    for (year, x) in axis.years() {
        writeln!(
            out,
            "<line class=\"axis\" x1=\"{x:.1}\" y1=\"{low_base}\" x2=\"{x:.1}\" y2=\"{}\"/>\
             <text x=\"{:.1}\" y=\"{}\">{year}</text>",
            low_base + 5.0,
            x + 2.0,
            low_base + 16.0,
        )?;
    }
    writeln!(
        out,
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{top_base}\" x2=\"{right:.1}\" y2=\"{top_base}\"/>\
         <line class=\"axis\" x1=\"{LEFT}\" y1=\"{low_base}\" x2=\"{right:.1}\" y2=\"{low_base}\"/></svg></div>\n\
         <p class=\"note\">Each release stands at its date, under the year it came out in; the same \
         numbers, as text: the <a href=\"#release-table\">releases table</a> (in effect, added, retired).{}</p></section>",
        far_apart(&ids),
        right = width - LEFT,
    )
}

/// What the note under the chart says of releases stored more than a year after the one
/// before them: their added and retired bars count all the change since that one, which a
/// reader of the chart would otherwise take for a year's (CMS publishes four releases a year).
fn far_apart(ids: &[ReleaseId]) -> String {
    let months = |r: ReleaseId| u32::from(r.year) * 12 + u32::from(r.month);
    let far: Vec<String> = ids
        .windows(2)
        .filter(|pair| months(pair[1]) > months(pair[0]) + 12)
        .map(|pair| format!("{} (since {})", pair[1], pair[0]))
        .collect();
    let listed = match far.as_slice() {
        [] => return String::new(),
        [one] => one.clone(),
        [before @ .., last] => format!("{} and {last}", before.join(", ")),
    };
    format!(
        " Added and retired count the change since the release stored before, which for \
         {listed} is more than a year: the releases between are not stored."
    )
}

/// Which of a release's added and retired counts (`parts`: value, class, bar's left, bar's
/// height, in the slot at `x`) are written over their bars: a count stays inside its
/// release's slot (so it never meets a neighbour's), is wider than its own bar only over the
/// taller bar of the two, and when the two would touch, only the taller bar's is written.
fn change_labels(x: f64, slot: f64, base: f64, parts: &[(usize, &str, f64, f64)]) -> Vec<bool> {
    use geometry::*;
    let half = slot * 0.3;
    let tallest = parts.iter().map(|p| p.3).fold(0.0, f64::max);
    let boxes: Vec<Option<[f64; 4]>> = parts
        .iter()
        .map(|&(v, _, at, h)| {
            let (w, centre) = (label_width(&v.to_string(), SMALL), at + half / 2.0);
            let (left, right) = (centre - w / 2.0, centre + w / 2.0);
            let inside = left >= x + 1.0 && right <= x + slot - 1.0;
            let over_its_bar = w + 2.0 <= half || h >= tallest;
            let y = base - h - 3.0;
            (inside && over_its_bar).then_some([left, right, y - SMALL, y])
        })
        .collect();
    let mut shown: Vec<bool> = boxes.iter().map(Option::is_some).collect();
    if let [Some(a), Some(b)] = boxes[..] {
        let apart = a[1] + 2.0 <= b[0] || b[1] + 2.0 <= a[0] || a[3] <= b[2] || b[3] <= a[2];
        if !apart {
            // The shorter bar's count gives way.
            let shorter = usize::from(parts[0].3 >= parts[1].3);
            shown[shorter] = false;
        }
    }
    shown
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
    let months: Vec<i64> = site
        .releases
        .iter()
        .map(|r| geometry::month(r.id))
        .collect();
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
        writeln!(out, "<td>{}</td></tr>", sparkline(&months, &counts))?;
    }
    writeln!(
        out,
        "</tbody></table></div><p class=\"note\">Sections as the HCPCS Level II code set is \
         documented, by letter and range; each release's page counts its changes by section.</p></section>"
    )
}

/// A small line of `counts` (oldest first, in releases of these `months`) across the whole
/// width, each placed by its date as the chart's bars are, scaled to the largest; decorative,
/// as the row gives the numbers.
fn sparkline(months: &[i64], counts: &[usize]) -> String {
    const W: f64 = 100.0;
    const H: f64 = 20.0;
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let (first, last) = (months.first().copied(), months.last().copied());
    let span = last.zip(first).map_or(0, |(l, f)| l - f);
    let points: Vec<String> = months
        .iter()
        .zip(counts)
        .map(|(&m, &n)| {
            let y = H - n as f64 * (H - 2.0) / max - 1.0;
            let x = if span > 0 {
                (m - first.unwrap_or(m)) as f64 * W / span as f64
            } else {
                0.0
            };
            format!("{x:.1},{y:.1}")
        })
        .collect();
    format!(
        "<svg class=\"spark\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" aria-hidden=\"true\">\
         <polyline points=\"{}\"/></svg>",
        points.join(" ")
    )
}
