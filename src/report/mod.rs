//! Renderers: they format what `diff` computed and never compute a change themselves. One file
//! per format, each writing to a `&mut dyn Write` (but `sqlite`, whose database SQLite opens by
//! path); what they share (sections, value wording) lives here. `export`, `fhir` and `sqlite`
//! write stored snapshots for other tools.

pub mod audit;
pub mod csv;
pub mod export;
pub mod fhir;
pub mod history;
pub mod html;
pub mod json;
pub mod markdown;
pub mod show;
pub mod sqlite;
pub mod text;

use std::io::{self, Write};

use crate::diff::words::{Span, words};
use crate::diff::{Change, Changeset, CodeChange, Cosmetic, FieldChange, Replacement};
use crate::model::fields::field;

/// Output formats of `show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShowFormat {
    Text,
    Json,
}

/// Output formats of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Json,
    Csv,
    Html,
}

/// Renders `set` in `format`; `color` only matters for text.
pub fn render(out: &mut dyn Write, set: &Changeset, format: Format, color: bool) -> io::Result<()> {
    match format {
        Format::Text => text::render(out, set, color),
        Format::Markdown => markdown::render(out, set),
        Format::Json => json::render(out, set),
        Format::Csv => csv::render(out, set),
        Format::Html => html::render(out, set),
    }
}

/// The changes of one kind that are not cosmetic only, in code order, for each kind present.
pub fn sections(set: &Changeset) -> Vec<(Change, Vec<&CodeChange>)> {
    Change::ALL
        .into_iter()
        .map(|kind| {
            (
                kind,
                set.changes
                    .iter()
                    .filter(|c| c.change == kind && !c.is_cosmetic())
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

/// Codes whose only changes are cosmetic, by reason (case and punctuation first, then
/// encoding), for each reason present.
pub fn cosmetic(set: &Changeset) -> Vec<(Cosmetic, Vec<&CodeChange>)> {
    [Cosmetic::Punctuation, Cosmetic::Encoding]
        .into_iter()
        .map(|reason| {
            let codes: Vec<&CodeChange> = set
                .changes
                .iter()
                .filter(|c| c.cosmetic_reason() == Some(reason))
                .collect();
            (reason, codes)
        })
        .filter(|(_, codes)| !codes.is_empty())
        .collect()
}

/// The heading of a section of cosmetic-only changes.
pub fn cosmetic_title(reason: Cosmetic) -> &'static str {
    match reason {
        Cosmetic::Punctuation => "Cosmetic only",
        Cosmetic::Encoding => "Encoding only",
    }
}

/// What an added code is in NEW: its date added and, where NEW already terminates it, that it
/// cannot be billed after its termination date. `None` for other changes.
pub fn added_note(c: &CodeChange) -> Option<String> {
    if c.change != Change::Added {
        return None;
    }
    let since = c.added_date.map_or_else(
        || "CMS gives no date added".to_string(),
        |d| format!("effective {d} (CMS's date added)"),
    );
    Some(match c.termination_date {
        Some(t) => format!("added and terminated: {since}, terminated {t}; not billable after {t}"),
        None => since,
    })
}

/// A replacement's status in words.
pub fn status_label(status: &str) -> &str {
    match status {
        "outside_level_ii" => "outside HCPCS Level II, e.g. a CPT code",
        other => other,
    }
}

/// A replacement followed through: `J0791 (discontinued) → J0792 (active)`; `code` writes a
/// code as the format wants it.
pub fn chain(r: &Replacement, code: &dyn Fn(&str) -> String) -> String {
    let head = format!("{} ({})", code(&r.code), status_label(r.status));
    match r.then.as_slice() {
        [] => head,
        [one] => format!("{head} → {}", chain(one, code)),
        many => {
            let each: Vec<String> = many.iter().map(|r| chain(r, code)).collect();
            format!("{head} → ({})", each.join(" and "))
        }
    }
}

/// Field values in words (`33 = Oxygen ...`), `(blank)` for none.
pub fn describe(f: &FieldChange, values: &[String]) -> String {
    if values.is_empty() {
        return "(blank)".to_string();
    }
    let def = field(f.field);
    values
        .iter()
        .map(|v| def.map_or(v.clone(), |d| d.describe(v)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A wording change marked up for one format: `same` writes kept text, `removed` and
/// `inserted` wrap the changed phrases (see `diff::words`). White space at a phrase's ends is
/// written outside its markers (markdown's `~~` and `**` must touch the words they mark), and
/// a removed phrase is parted from the inserted one that replaces it by a space.
pub fn mark_words(
    old: &str,
    new: &str,
    same: impl Fn(&str) -> String,
    removed: impl Fn(&str) -> String,
    inserted: impl Fn(&str) -> String,
) -> String {
    let mut out = String::new();
    let mut after_removed = false;
    for span in words(old, new) {
        let (text, wrap): (&str, &dyn Fn(&str) -> String) = match &span {
            Span::Same(w) => {
                out.push_str(&same(w));
                after_removed = false;
                continue;
            }
            Span::Removed(w) => (w, &removed),
            Span::Inserted(w) => (w, &inserted),
        };
        let core = text.trim();
        if core.is_empty() {
            if matches!(span, Span::Inserted(_)) {
                out.push_str(&same(text));
            }
            continue;
        }
        let start = text.len() - text.trim_start().len();
        if after_removed && start == 0 {
            out.push_str(&same(" "));
        }
        out.push_str(&same(&text[..start]));
        out.push_str(&wrap(core));
        out.push_str(&same(&text[start + core.len()..]));
        after_removed = matches!(span, Span::Removed(_));
    }
    out
}

/// Whether a field change reads best as a word-level diff of one text.
pub fn is_wording(f: &FieldChange) -> bool {
    f.field.ends_with("description") && f.old.len() == 1 && f.new.len() == 1
}

/// What a report says when CMS's action codes were not checked, and why; `None` when they were.
pub fn agreement_note(set: &Changeset) -> Option<String> {
    let reason = set.cms_agreement.reason.as_deref()?;
    let instead = if set.old.release == set.new.release {
        ""
    } else {
        " Checked instead: an added code's date added is not before OLD took effect; a retired \
         code's termination date falls between the two releases."
    };
    Some(format!(
        "CMS's action codes are not checked: they describe the change from the previous \
         quarterly release, and {reason}.{instead}"
    ))
}

/// A code's agreement with CMS as a cell: `true`, `false` or `not checked: why`.
pub fn agrees_cell(set: &Changeset, agrees: Option<bool>) -> String {
    match (agrees, &set.cms_agreement.reason) {
        (Some(a), _) => a.to_string(),
        (None, Some(reason)) => format!("not checked: {reason}"),
        (None, None) => "not checked".to_string(),
    }
}

pub fn summary_line(set: &Changeset) -> String {
    let s = set.summary();
    format!(
        "{} added, {} retired, {} dropped, {} reinstated, {} changed ({} of them cosmetic only, {} encoding only)",
        s.added, s.retired, s.dropped, s.reinstated, s.changed, s.cosmetic, s.encoding
    )
}
