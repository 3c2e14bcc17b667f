//! `history CODE` as text, markdown, HTML or JSON.

use std::io::{self, Write};

use super::{describe, is_wording, mark_values, mark_words};
use crate::diff::history::{History, Step};
use crate::diff::{Cosmetic, FieldChange};

/// How a format writes a field change, as `diff` writes it in the same format: kept text,
/// removed and inserted words or list items, and the arrow between whole values.
struct Marks {
    same: fn(&str) -> String,
    removed: fn(&str) -> String,
    inserted: fn(&str) -> String,
    arrow: &'static str,
}

const TEXT: Marks = Marks {
    same: |w| w.to_string(),
    removed: |w| format!("[-{w}-]"),
    inserted: |w| format!("{{+{w}+}}"),
    arrow: "->",
};

const MARKDOWN: Marks = Marks {
    same: super::markdown::md,
    removed: |w| format!("~~{}~~", super::markdown::md(w)),
    inserted: |w| format!("**{}**", super::markdown::md(w)),
    arrow: "→",
};

const HTML: Marks = Marks {
    same: super::html::esc,
    removed: |w| format!("<del>{}</del>", super::html::esc(w)),
    inserted: |w| format!("<ins>{}</ins>", super::html::esc(w)),
    arrow: "→",
};

/// A field change as `diff` says it: a list field item by item (`A = ...; {+R = Rental of
/// DME+}`), a description word by word, other values whole (`33 = ... -> 36 = ...`).
fn field_words(f: &FieldChange, m: &Marks) -> String {
    let tag = match f.cosmetic_reason {
        Some(Cosmetic::Encoding) => " (encoding)",
        Some(Cosmetic::Punctuation) => " (cosmetic)",
        None => "",
    };
    let body = if is_wording(f) || f.cosmetic {
        mark_words(
            &f.old.join(" "),
            &f.new.join(" "),
            m.same,
            m.removed,
            m.inserted,
        )
    } else if let Some(listed) = mark_values(f, m.same, m.removed, m.inserted) {
        listed
    } else {
        format!(
            "{} {} {}",
            (m.same)(&describe(f, &f.old)),
            m.arrow,
            (m.same)(&describe(f, &f.new))
        )
    };
    format!("{}{tag}: {body}", (m.same)(f.label))
}

/// Each event's line and its field changes, the latter written with `m`.
fn lines(h: &History, m: &Marks) -> Vec<(String, Vec<String>)> {
    h.events
        .iter()
        .map(|e| {
            let details = e.fields.iter().map(|f| field_words(f, m)).collect();
            let action = e
                .action_code
                .as_deref()
                .map(|a| format!(" (CMS action {a})"))
                .unwrap_or_default();
            let mut dates = Vec::new();
            if let Some(d) = e.added_date.filter(|_| e.step != Step::FirstSeen) {
                dates.push(format!("effective {d}"));
            }
            if let Some(d) = e.termination_date {
                dates.push(format!("terminated {d}"));
            }
            let dates = if dates.is_empty() {
                String::new()
            } else {
                format!(", {}", dates.join(", "))
            };
            let redefined = if e.redefined {
                " (redefined: the code now stands for something else)"
            } else {
                ""
            };
            (
                format!(
                    "{}  {}{redefined}{dates}{action}",
                    e.release,
                    e.step.as_str()
                ),
                details,
            )
        })
        .collect()
}

/// "unchanged through 2025-01" when the code is still there after its last event.
fn quiet_since(h: &History) -> Option<String> {
    let last = h.events.last()?;
    let newest = *h.releases.last()?;
    (last.release < newest && last.step != Step::Dropped)
        .then(|| format!("unchanged through {newest}"))
}

/// Since when CMS has had the code, against when this store first has it: "in the code set
/// since 2006-01-01 (CMS's date added); first stored in 2012-01".
fn since(h: &History) -> Option<String> {
    let first = h.events.first()?.release;
    let added = h.added_date.map_or_else(
        || "CMS gives no date added".to_string(),
        |d| format!("in the code set since {d} (CMS's date added)"),
    );
    let end = h
        .termination_date
        .map(|d| format!("; terminated {d}"))
        .unwrap_or_default();
    Some(format!("{added}; first stored in {first}{end}"))
}

/// "Section: Durable medical equipment (E0100-E9999)", for a code some stored release has.
fn section(h: &History) -> Option<String> {
    let kind = h.kind?;
    Some(format!(
        "Section: {}",
        super::show::section_words(&h.code, kind)
    ))
}

fn span(h: &History) -> String {
    match (h.releases.first(), h.releases.last()) {
        (Some(a), Some(b)) => format!("{} stored releases, {a} to {b}", h.releases.len()),
        _ => "no stored releases".to_string(),
    }
}

pub fn text(out: &mut dyn Write, h: &History) -> io::Result<()> {
    writeln!(
        out,
        "{}  {}",
        h.code,
        h.description.as_deref().unwrap_or("(in no stored release)")
    )?;
    if let Some(since) = since(h) {
        writeln!(out, "{since}")?;
    }
    if let Some(section) = section(h) {
        writeln!(out, "{section}")?;
    }
    writeln!(out, "{}", span(h))?;
    for (head, details) in lines(h, &TEXT) {
        writeln!(out, "  {head}")?;
        for d in details {
            writeln!(out, "      {d}")?;
        }
    }
    if let Some(line) = quiet_since(h) {
        writeln!(out, "  {line}")?;
    }
    if !h.corrections.is_empty() {
        writeln!(out, "CMS corrections")?;
        for line in correction_lines(h) {
            writeln!(out, "  {line}")?;
        }
    }
    Ok(())
}

/// "2019-01  ADD CODE: add, effective 2019-01-01; states ... (file, version 1, row 7)".
fn correction_lines(h: &History) -> Vec<String> {
    h.corrections
        .iter()
        .map(|k| {
            let words = super::show::correction_words(&k.file, k.version, &k.correction);
            format!("{}  {words}", k.release)
        })
        .collect()
}

pub fn markdown(out: &mut dyn Write, h: &History) -> io::Result<()> {
    writeln!(out, "# {} history", h.code)?;
    writeln!(out)?;
    writeln!(
        out,
        "{}. {}.",
        h.description.as_deref().unwrap_or("In no stored release"),
        span(h)
    )?;
    if let Some(since) = since(h) {
        writeln!(out)?;
        writeln!(out, "{}.", capitalized(&since))?;
    }
    if let Some(section) = section(h) {
        writeln!(out)?;
        writeln!(out, "{}.", super::markdown::md(&section))?;
    }
    writeln!(out)?;
    for (head, details) in lines(h, &MARKDOWN) {
        writeln!(out, "- {head}")?;
        for d in details {
            writeln!(out, "  - {d}")?;
        }
    }
    if let Some(line) = quiet_since(h) {
        writeln!(out, "- {line}")?;
    }
    if !h.corrections.is_empty() {
        writeln!(out, "\n## CMS corrections\n")?;
        for line in correction_lines(h) {
            writeln!(out, "- {}", super::markdown::md(&line))?;
        }
    }
    Ok(())
}

/// Whether the code is in a release, and billable there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Absent,
    Active,
    Terminated,
}

/// The code's standing in each stored release, from its events.
fn standings(h: &History) -> Vec<Standing> {
    let mut now = Standing::Absent;
    h.releases
        .iter()
        .map(|r| {
            for e in h.events.iter().filter(|e| e.release == *r) {
                now = match e.step {
                    Step::Dropped => Standing::Absent,
                    Step::Retired => Standing::Terminated,
                    Step::FirstSeen | Step::Added if e.termination_date.is_some() => {
                        Standing::Terminated
                    }
                    Step::FirstSeen | Step::Added | Step::Reinstated => Standing::Active,
                    Step::Changed => now,
                };
            }
            now
        })
        .collect()
}

/// A step's colour on the timeline and in its legend, and the shape of its mark.
fn mark(step: Step) -> (&'static str, &'static str) {
    match step {
        Step::FirstSeen | Step::Added => ("#1b7837", "circle"),
        Step::Reinstated => ("#f1a340", "circle"),
        Step::Changed => ("#2166ac", "diamond"),
        Step::Retired => ("#b2182b", "square"),
        Step::Dropped => ("#4d4d4d", "square"),
    }
}

/// The SVG of a mark centred at (`x`, `y`).
fn mark_svg(step: Step, x: usize, y: usize) -> String {
    let (fill, shape) = mark(step);
    match shape {
        "circle" => format!("<circle cx=\"{x}\" cy=\"{y}\" r=\"7\" fill=\"{fill}\"/>"),
        "diamond" => format!(
            "<path d=\"M{x} {} l8 8 l-8 8 l-8 -8 z\" fill=\"{fill}\"/>",
            y - 8
        ),
        _ => format!(
            "<rect x=\"{}\" y=\"{}\" width=\"13\" height=\"13\" fill=\"{fill}\"/>",
            x - 6,
            y - 6
        ),
    }
}

/// What a release's row of the timeline says: the steps there and the fields they changed.
fn row_words(h: &History, release: crate::model::ReleaseId) -> Option<String> {
    let words: Vec<String> = h
        .events
        .iter()
        .filter(|e| e.release == release)
        .map(|e| {
            let mut w = e.step.as_str().to_string();
            if e.step == Step::Changed {
                let mut labels: Vec<&str> = e.fields.iter().map(|f| f.label).collect();
                labels.dedup();
                if !labels.is_empty() {
                    w = format!("changed: {}", labels.join(", ").to_lowercase());
                }
            }
            if let Some(t) = e.termination_date {
                w.push_str(&format!(" (terminated {t})"));
            }
            w
        })
        .collect();
    (!words.is_empty()).then(|| words.join("; "))
}

const HTML_CSS: &str = "body{font:15px/1.4 system-ui,sans-serif;max-width:60em;margin:1em auto;padding:0 1em;color:#222}\
h1{font-size:1.5em;margin:.2em 0}p{margin:.3em 0}figure{max-width:34em;margin:.8em 0}\
figure svg{width:100%;height:auto;display:block}figcaption{font-size:.85em;color:#444}\
ul.events li{margin:.2em 0}ul.events ul{margin:0;padding-left:1.2em}\
@media print{body{max-width:none;margin:0;font-size:10pt}figure{break-inside:avoid}}";

/// The history as one self-contained HTML page: a timeline of the stored releases (inline SVG,
/// a row per release: whether the code was there and billable, and what happened to it), then
/// the same events in words, which are the timeline's text for screen readers.
pub fn html(out: &mut dyn Write, h: &History) -> io::Result<()> {
    use super::html::esc;
    let title = format!("{} history", h.code);
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title><style>{HTML_CSS}</style></head><body>",
        esc(&title)
    )?;
    writeln!(out, "<h1>{}</h1>", esc(&title))?;
    writeln!(
        out,
        "<p>{}. {}.</p>",
        esc(h.description.as_deref().unwrap_or("In no stored release")),
        esc(&span(h))
    )?;
    for line in [since(h), section(h)].into_iter().flatten() {
        writeln!(out, "<p>{}.</p>", esc(&capitalized(&line)))?;
    }
    let standing = standings(h);
    let (row, top, x) = (30, 34, 70);
    let height = top + row * h.releases.len();
    writeln!(
        out,
        "<figure><svg role=\"img\" aria-labelledby=\"timeline-title timeline-desc\" \
         viewBox=\"0 0 400 {height}\" font-family=\"system-ui,sans-serif\" font-size=\"13\">\
         <title id=\"timeline-title\">{} across the stored releases</title>\
         <desc id=\"timeline-desc\">A row per stored release, oldest at the top: a solid line \
         where the code is in the release and billable, a dashed red line where CMS has \
         terminated it, none where it is not in the release; a mark where something happened, \
         said in words beside it and in the list after the timeline.</desc>",
        esc(&h.code)
    )?;
    // The legend.
    let legend = [
        ("added", Step::Added),
        ("changed", Step::Changed),
        ("retired", Step::Retired),
        ("dropped", Step::Dropped),
        ("reinstated", Step::Reinstated),
    ];
    let mut lx = 8;
    for (word, step) in legend {
        if !h
            .events
            .iter()
            .any(|e| e.step == step || (step == Step::Added && e.step == Step::FirstSeen))
        {
            continue;
        }
        writeln!(
            out,
            "<g class=\"legend\">{}<text x=\"{}\" y=\"16\">{word}</text></g>",
            mark_svg(step, lx, 12),
            lx + 11
        )?;
        lx += 22 + 8 * word.len();
    }
    for (i, (release, now)) in h.releases.iter().zip(&standing).enumerate() {
        let y = top + row * i + row / 2;
        // The line down to the next release, as the code stands in this one.
        if i + 1 < h.releases.len() {
            let line = match now {
                Standing::Active => Some("stroke=\"#1b7837\" stroke-width=\"5\""),
                Standing::Terminated => {
                    Some("stroke=\"#b2182b\" stroke-width=\"4\" stroke-dasharray=\"5 4\"")
                }
                Standing::Absent => None,
            };
            if let Some(style) = line {
                writeln!(
                    out,
                    "<line class=\"span\" x1=\"{x}\" y1=\"{y}\" x2=\"{x}\" y2=\"{}\" {style}/>",
                    y + row
                )?;
            }
        }
        let step = h
            .events
            .iter()
            .rev()
            .find(|e| e.release == *release)
            .map(|e| e.step);
        let words = row_words(h, *release);
        let (mark, colour) = match (step, now) {
            (Some(step), _) => (mark_svg(step, x, y), "#222"),
            (None, Standing::Absent) => (
                format!("<circle cx=\"{x}\" cy=\"{y}\" r=\"3\" fill=\"#fff\" stroke=\"#888\"/>"),
                "#888",
            ),
            (None, _) => (
                format!("<circle cx=\"{x}\" cy=\"{y}\" r=\"3\" fill=\"#555\"/>"),
                "#888",
            ),
        };
        let what = match (&words, now) {
            (Some(w), _) => w.clone(),
            (None, Standing::Absent) => "not in the release".to_string(),
            (None, Standing::Terminated) => "terminated, unchanged".to_string(),
            (None, Standing::Active) => "unchanged".to_string(),
        };
        writeln!(
            out,
            "<g class=\"release\" data-release=\"{release}\"><text x=\"0\" y=\"{}\" fill=\"{colour}\">{release}</text>{mark}\
             <text x=\"{}\" y=\"{}\" fill=\"{colour}\"{}>{}</text></g>",
            y + 5,
            x + 16,
            y + 5,
            if words.is_some() {
                " font-weight=\"bold\""
            } else {
                ""
            },
            esc(&what)
        )?;
    }
    writeln!(
        out,
        "</svg><figcaption>{}'s timeline; the list below says each event in full.</figcaption></figure>",
        esc(&h.code)
    )?;
    writeln!(out, "<ul class=\"events\">")?;
    for (head, details) in lines(h, &HTML) {
        write!(out, "<li>{}", esc(&head))?;
        if !details.is_empty() {
            let items: Vec<String> = details.iter().map(|d| format!("<li>{d}</li>")).collect();
            write!(out, "<ul>{}</ul>", items.concat())?;
        }
        writeln!(out, "</li>")?;
    }
    if let Some(line) = quiet_since(h) {
        writeln!(out, "<li>{}</li>", esc(&line))?;
    }
    writeln!(out, "</ul>")?;
    if !h.corrections.is_empty() {
        writeln!(out, "<h2>CMS corrections</h2><ul>")?;
        for line in correction_lines(h) {
            writeln!(out, "<li>{}</li>", esc(&line))?;
        }
        writeln!(out, "</ul>")?;
    }
    writeln!(out, "</body></html>")
}

pub fn json(out: &mut dyn Write, h: &History) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, h)?;
    writeln!(out)
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
