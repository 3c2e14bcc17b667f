//! The changelog for a terminal: a section per kind of change in the order a reviewer acts on
//! them, each headed with its count; word-level highlights (colour on a TTY,
//! `[-removed-] {+inserted+}` otherwise); on a TTY, long lines wrapped to its width.

use std::io::{self, Write};

use super::{
    Options, Section, added_note, agreement_note, chain, date_note, describe, is_wording,
    mark_values, mark_words, pricing_and_coverage, redefined_note, sections, shown_fields,
    summary_line,
};
use crate::diff::{Change, Changeset, CodeChange, FieldChange};

/// Writes lines, painted when colour is on and wrapped when a width is set.
struct Printer<'a> {
    out: &'a mut dyn Write,
    color: bool,
    width: Option<usize>,
}

impl Printer<'_> {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    /// One line; wrapped lines go on indented by `hang` columns.
    fn line(&mut self, text: &str, hang: usize) -> io::Result<()> {
        match self.width {
            Some(width) => writeln!(self.out, "{}", wrap(text, width, hang)),
            None => writeln!(self.out, "{text}"),
        }
    }

    fn heading(&mut self, title: &str) -> io::Result<()> {
        writeln!(self.out)?;
        let title = self.paint("1", title);
        self.line(&title, 2)
    }

    /// `  CODE  description`, the description's wrapped lines under its first word.
    fn code_line(&mut self, c: &CodeChange) -> io::Result<()> {
        let line = format!("  {}  {}", self.paint("1", &c.code), c.description);
        self.line(&line, c.code.chars().count() + 4)
    }

    /// A line under a code: six spaces in, wrapped lines eight.
    fn detail(&mut self, text: &str) -> io::Result<()> {
        self.line(&format!("      {text}"), 8)
    }

    /// A list field's values, removed and inserted ones marked as in a word diff.
    fn mark_values(&self, f: &FieldChange) -> Option<String> {
        let plain = |w: &str| w.to_string();
        if self.color {
            mark_values(
                f,
                plain,
                |w| self.paint("31;9", w),
                |w| self.paint("32;4", w),
            )
        } else {
            mark_values(f, plain, |w| format!("[-{w}-]"), |w| format!("{{+{w}+}}"))
        }
    }

    fn word_diff(&self, old: &str, new: &str) -> String {
        let plain = |w: &str| w.to_string();
        if self.color {
            mark_words(
                old,
                new,
                plain,
                |w| self.paint("31;9", w),
                |w| self.paint("32;4", w),
            )
        } else {
            mark_words(
                old,
                new,
                plain,
                |w| format!("[-{w}-]"),
                |w| format!("{{+{w}+}}"),
            )
        }
    }
}

/// What a code's date means to a reviewer, in words.
fn dated(c: &CodeChange) -> Option<String> {
    match c.change {
        Change::Added => added_note(c),
        Change::Retired | Change::Dropped => {
            date_note(c).map(|d| format!("{d}: not billable after it"))
        }
        Change::Changed | Change::Reinstated => {
            date_note(c).map(|d| format!("{d} (CMS's action effective date)"))
        }
    }
}

/// One code's entry: its date, what an added code is, its fields' old and new values, its
/// replacements.
fn code_item(p: &mut Printer, c: &CodeChange) -> io::Result<()> {
    p.code_line(c)?;
    if let Some(note) = redefined_note(c) {
        p.detail(note)?;
    }
    if let Some(note) = dated(c) {
        p.detail(&note)?;
    }
    let what = pricing_and_coverage(&c.standing).join("; ");
    if c.change == Change::Added && !what.is_empty() {
        p.detail(&what)?;
    }
    for f in shown_fields(c) {
        let line = if is_wording(f) || f.cosmetic {
            let tag = if f.cosmetic { " (cosmetic)" } else { "" };
            let diff = p.word_diff(&f.old.join(" "), &f.new.join(" "));
            format!("{}{tag}: {diff}", f.label)
        } else if let Some(values) = p.mark_values(f) {
            format!("{}: {values}", f.label)
        } else {
            let (old, new) = (describe(f, &f.old), describe(f, &f.new));
            format!("{}: {old} -> {new}", f.label)
        };
        p.detail(&line)?;
    }
    for r in &c.replacements {
        // The description names the code itself; a followed chain ends elsewhere.
        let what = r
            .description
            .as_deref()
            .filter(|_| r.then.is_empty())
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        let chain = chain(r, &|code| code.to_string());
        p.detail(&format!("use instead: {chain}{what}"))?;
    }
    for e in &c.explained_by {
        p.detail(&format!("explained by CMS's correction: {}", e.words()))?;
    }
    Ok(())
}

/// A cosmetic section's entry: the code and its fields' old and new values, nothing more.
fn cosmetic_item(p: &mut Printer, c: &CodeChange) -> io::Result<()> {
    p.code_line(c)?;
    for f in &c.fields {
        let diff = p.word_diff(&f.old.join(" "), &f.new.join(" "));
        p.detail(&format!("{}: {diff}", f.label))?;
    }
    Ok(())
}

pub fn render(out: &mut dyn Write, set: &Changeset, options: &Options) -> io::Result<()> {
    let mut p = Printer {
        out,
        color: options.color,
        width: options.width,
    };
    writeln!(p.out, "HCPCS {} -> {}", set.old.label(), set.new.label())?;
    p.line(&format!("from {} to {}", set.old.source, set.new.source), 2)?;
    for line in super::context_lines(set) {
        p.line(&line, 2)?;
    }
    p.line(&summary_line(set), 2)?;
    if let Some(note) = agreement_note(set) {
        p.line(&note, 0)?;
    }
    by_section(&mut p, set)?;
    for (section, codes) in sections(set) {
        let title = section.title().to_uppercase();
        let heading = match section.cosmetic_reason() {
            Some(reason) => format!(
                "{title} ({}; {}; --hide-cosmetic leaves them out)",
                codes.len(),
                reason.reason()
            ),
            None => format!("{title} ({})", codes.len()),
        };
        p.heading(&heading)?;
        for c in codes {
            if section.cosmetic_reason().is_some() {
                cosmetic_item(&mut p, c)?;
            } else {
                code_item(&mut p, c)?;
            }
        }
    }
    if !set.disagreements.is_empty() {
        let title = Section::Disagreements.title().to_uppercase();
        p.heading(&format!("{title} ({})", set.disagreements.len()))?;
        for d in &set.disagreements {
            p.line(&format!("  {}  {}", d.code, d.reason), d.code.len() + 4)?;
        }
    }
    Ok(())
}

/// The counts by section of HCPCS Level II, a table under its heading (nothing when no code
/// changed). A table's rows are never wrapped: on a terminal narrower than the table, each
/// section is a line of words instead.
fn by_section(p: &mut Printer, set: &Changeset) -> io::Result<()> {
    if set.changes.is_empty() {
        return Ok(());
    }
    let rows = super::section_rows(set);
    p.heading("BY SECTION OF HCPCS LEVEL II")?;
    let label = rows.iter().map(|r| r.label.len()).max().unwrap_or(0).max(7);
    let id = rows.iter().map(|r| r.id.len()).max().unwrap_or(0).max(5);
    let heads = super::change_columns();
    let mut head = format!("  {:<label$}  {:<id$}", "Section", "Range");
    for h in &heads {
        head.push_str(&format!("  {h}"));
    }
    head.push_str("  Total");
    if p.width.is_some_and(|w| head.len() > w) {
        // Narrower than the table: a line per section, its counts in words.
        for r in &rows {
            let counts: Vec<String> = heads
                .iter()
                .zip(r.counts)
                .filter(|(_, n)| *n > 0)
                .map(|(h, n)| format!("{n} {}", h.to_lowercase()))
                .collect();
            let line = format!("  {}: {} ({} in all)", r.label, counts.join(", "), r.total);
            p.line(&line, 4)?;
        }
        return Ok(());
    }
    writeln!(p.out, "{}", head.trim_end())?;
    for r in &rows {
        let mut line = format!("  {:<label$}  {:<id$}", r.label, r.id);
        for (h, n) in heads.iter().zip(r.counts) {
            line.push_str(&format!("  {n:>w$}", w = h.len()));
        }
        line.push_str(&format!("  {:>5}", r.total));
        writeln!(p.out, "{line}")?;
    }
    Ok(())
}

/// Columns `s` takes on a terminal: its characters, escape sequences left out.
fn visible_width(s: &str) -> usize {
    let mut n = 0;
    let mut in_escape = false;
    for ch in s.chars() {
        match (in_escape, ch) {
            (false, '\x1b') => in_escape = true,
            (false, _) => n += 1,
            (true, 'm') => in_escape = false,
            (true, _) => {}
        }
    }
    n
}

/// The colour in force at the end of `s`: its last escape sequence, unless that resets.
fn open_style(s: &str, mut style: Option<String>) -> Option<String> {
    for (i, _) in s.match_indices('\x1b') {
        let end = s[i..].find('m').map_or(s.len(), |e| i + e + 1);
        let seq = &s[i..end];
        style = (seq != "\x1b[0m").then(|| seq.to_string());
    }
    style
}

/// `line` broken at spaces into lines of at most `width` columns (a longer word keeps its own
/// line), each after the first indented by `hang`. A colour open at a break is closed before
/// it and opened again after the indent, so that no highlight runs into the margin.
pub fn wrap(line: &str, width: usize, hang: usize) -> String {
    if visible_width(line) <= width {
        return line.to_string();
    }
    let indent = line.len() - line.trim_start_matches(' ').len();
    let mut out = line[..indent].to_string();
    let mut used = indent;
    let mut fresh = true;
    let mut style: Option<String> = None;
    for word in line[indent..].split(' ') {
        let w = visible_width(word);
        if !fresh && used + 1 + w > width {
            if style.is_some() {
                out.push_str("\x1b[0m");
            }
            out.push('\n');
            out.push_str(&" ".repeat(hang));
            out.push_str(style.as_deref().unwrap_or(""));
            used = hang;
        } else if !fresh {
            out.push(' ');
            used += 1;
        }
        out.push_str(word);
        used += w;
        fresh = false;
        style = open_style(word, style);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_wrap_at_spaces_under_their_hang() {
        assert_eq!(wrap("  E1390  short", 40, 9), "  E1390  short");
        assert_eq!(
            wrap("  E1390  Oxygen concentrator, single delivery port", 24, 9),
            "  E1390  Oxygen\n         concentrator,\n         single delivery\n         port"
        );
        // A word longer than the width is not cut.
        assert_eq!(wrap("ab abcdefghij cd", 5, 1), "ab\n abcdefghij\n cd");
    }

    #[test]
    fn a_colour_open_at_a_break_is_closed_and_reopened() {
        let line = "flow \x1b[31;9mrate per minute\x1b[0m each";
        assert_eq!(visible_width(line), 25);
        assert_eq!(
            wrap(line, 12, 2),
            "flow \x1b[31;9mrate\x1b[0m\n  \x1b[31;9mper minute\x1b[0m\n  each"
        );
    }
}
