//! Renderers: they format what `diff` computed and never compute a change themselves. One file
//! per format, each writing to a `&mut dyn Write`; what they share (sections, value wording)
//! lives here.

pub mod csv;
pub mod export;
pub mod history;
pub mod html;
pub mod json;
pub mod markdown;
pub mod show;
pub mod text;

use std::io::{self, Write};

use crate::diff::words::{Span, words};
use crate::diff::{Change, Changeset, CodeChange, FieldChange};
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

/// Codes whose only changes are cosmetic.
pub fn cosmetic(set: &Changeset) -> Vec<&CodeChange> {
    set.changes.iter().filter(|c| c.is_cosmetic()).collect()
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
/// `inserted` wrap the changed phrases (see `diff::words`).
pub fn mark_words(
    old: &str,
    new: &str,
    same: impl Fn(&str) -> String,
    removed: impl Fn(&str) -> String,
    inserted: impl Fn(&str) -> String,
) -> String {
    words(old, new)
        .into_iter()
        .map(|span| match span {
            Span::Same(w) => same(&w),
            Span::Removed(w) => removed(&w),
            Span::Inserted(w) => inserted(&w),
        })
        .collect()
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
        "{} added, {} retired, {} dropped, {} reinstated, {} changed ({} of them cosmetic only)",
        s.added, s.retired, s.dropped, s.reinstated, s.changed, s.cosmetic
    )
}
