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
pub mod notify;
pub mod parquet;
pub mod show;
pub mod site;
pub mod sqlite;
pub mod text;
pub mod xlsx;

use std::io::{self, Write};

use crate::diff::words::{Span, words};
use crate::diff::{Change, Changeset, CodeChange, Cosmetic, FieldChange, Replacement, Standing};
use crate::model::codes;
use crate::model::fields::{Group, field};

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
    /// An Excel workbook, a sheet per section; counts are numbers, every other cell text.
    Xlsx,
}

/// What a renderer needs beside the changeset and its format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// ANSI colour in the text changelog (a terminal that wants it).
    pub color: bool,
    /// Wrap the text changelog's long lines at this many columns (a terminal's width).
    pub width: Option<usize>,
    /// Start the CSV with a UTF-8 byte-order mark, without which Excel reads it as ANSI.
    pub bom: bool,
}

/// Renders `set` in `format`.
pub fn render(
    out: &mut dyn Write,
    set: &Changeset,
    format: Format,
    options: &Options,
) -> io::Result<()> {
    match format {
        Format::Text => text::render(out, set, options),
        Format::Markdown => markdown::render(out, set),
        Format::Json => json::render(out, set),
        Format::Csv => csv::render(out, set, options.bom),
        Format::Html => html::render(out, set),
        Format::Xlsx => xlsx::render(out, set),
    }
}

/// A changelog's sections, in the order a reviewer acts on them: codes that now mean something
/// else, codes that can no longer be billed, then changes to what is paid and covered, to wording and to other fields, new
/// codes, codes back in use; last what needs no action (cosmetic changes) and where CMS's
/// bookkeeping and the data disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Codes whose description now means something else (see `diff::redefined`): first, as a
    /// claim billed under the old meaning is now wrong.
    Redefined,
    Retired,
    Dropped,
    /// Changed codes with a payment or coverage change (wording changes too, maybe).
    Payment,
    /// Changed codes whose description's words changed, and no payment or coverage.
    Wording,
    /// Changed codes with other changes only (BETOS, type of service, references, ...).
    Other,
    Added,
    Reinstated,
    /// Changes CMS's corrections account for: OLD's file was wrong, and CMS said so.
    Explained,
    Cosmetic,
    Encoding,
    Disagreements,
}

impl Section {
    pub const ALL: [Section; 12] = [
        Section::Redefined,
        Section::Retired,
        Section::Dropped,
        Section::Payment,
        Section::Wording,
        Section::Other,
        Section::Added,
        Section::Reinstated,
        Section::Explained,
        Section::Cosmetic,
        Section::Encoding,
        Section::Disagreements,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Section::Redefined => "Redefined",
            Section::Retired => "Retired",
            Section::Dropped => "Dropped",
            Section::Payment => "Changed: payment or coverage",
            Section::Wording => "Changed: wording",
            Section::Other => "Changed: other fields",
            Section::Added => "Added",
            Section::Reinstated => "Reinstated",
            Section::Explained => "Explained by CMS corrections",
            Section::Cosmetic => cosmetic_title(Cosmetic::Punctuation),
            Section::Encoding => cosmetic_title(Cosmetic::Encoding),
            Section::Disagreements => "Disagreements with CMS",
        }
    }

    /// The section's anchor in the HTML changelog.
    pub fn id(self) -> &'static str {
        match self {
            Section::Redefined => "redefined",
            Section::Retired => "retired",
            Section::Dropped => "dropped",
            Section::Payment => "changed-payment",
            Section::Wording => "changed-wording",
            Section::Other => "changed-other",
            Section::Added => "added",
            Section::Reinstated => "reinstated",
            Section::Explained => "explained",
            Section::Cosmetic => "cosmetic",
            Section::Encoding => "encoding",
            Section::Disagreements => "disagreements",
        }
    }

    /// What the section holds, in a few words for a summary table.
    pub fn hint(self) -> &'static str {
        match self {
            Section::Redefined => "the description now means something else: the code was reused",
            Section::Retired => "termination date set: not billable after it",
            Section::Dropped => "no longer in CMS's file",
            Section::Payment => "pricing, payment group or coverage changed",
            Section::Wording => "the description's words changed",
            Section::Other => "BETOS, type of service, cross-references, references or dates",
            Section::Added => "new codes, with their effective date, pricing and coverage",
            Section::Reinstated => "termination date removed: billable again",
            Section::Explained => "CMS's corrections to a release account for these",
            Section::Cosmetic => "letter case, spacing or punctuation only",
            Section::Encoding => "characters an export lost ('?' for a dash or quote)",
            Section::Disagreements => "CMS's action code or dates say otherwise",
        }
    }

    /// The section a code's change is listed in.
    pub fn of(c: &CodeChange) -> Section {
        let any = |groups: &[Group]| {
            c.fields
                .iter()
                .any(|f| !f.cosmetic && groups.contains(&f.group))
        };
        if !c.explained_by.is_empty() {
            return Section::Explained;
        }
        match c.change {
            Change::Retired => Section::Retired,
            Change::Dropped => Section::Dropped,
            Change::Added => Section::Added,
            Change::Reinstated => Section::Reinstated,
            Change::Changed if c.redefined => Section::Redefined,
            Change::Changed => match c.cosmetic_reason() {
                Some(Cosmetic::Punctuation) => Section::Cosmetic,
                Some(Cosmetic::Encoding) => Section::Encoding,
                None if any(&[Group::Payment, Group::Coverage]) => Section::Payment,
                None if any(&[Group::Description]) => Section::Wording,
                None => Section::Other,
            },
        }
    }

    /// The section's codes, in code order (none for disagreements, which are not changes).
    pub fn codes(self, set: &Changeset) -> Vec<&CodeChange> {
        set.changes
            .iter()
            .filter(|c| self != Section::Disagreements && Section::of(c) == self)
            .collect()
    }

    pub fn count(self, set: &Changeset) -> usize {
        match self {
            Section::Disagreements => set.disagreements.len(),
            _ => set
                .changes
                .iter()
                .filter(|c| Section::of(c) == self)
                .count(),
        }
    }

    /// Why the codes of a cosmetic section carry no meaning.
    pub fn cosmetic_reason(self) -> Option<Cosmetic> {
        match self {
            Section::Cosmetic => Some(Cosmetic::Punctuation),
            Section::Encoding => Some(Cosmetic::Encoding),
            _ => None,
        }
    }
}

/// The sections of changes that have codes, in reading order (disagreements apart).
pub fn sections(set: &Changeset) -> Vec<(Section, Vec<&CodeChange>)> {
    Section::ALL
        .into_iter()
        .map(|s| (s, s.codes(set)))
        .filter(|(_, codes)| !codes.is_empty())
        .collect()
}

/// A code's field changes as a report lists them: payment and coverage first, then the
/// description, then the rest. A retired code's termination date and new cross-references are
/// left out: reports give them as its date and its replacements.
pub fn shown_fields(c: &CodeChange) -> Vec<&FieldChange> {
    let rank = |f: &FieldChange| match f.group {
        Group::Payment => 0,
        Group::Coverage => 1,
        Group::Description => 2,
        _ => 3,
    };
    let elsewhere = |f: &FieldChange| {
        c.change == Change::Retired
            && (f.field == "termination_date" || f.field == "cross_references" && f.old.is_empty())
    };
    let mut fields: Vec<&FieldChange> = c.fields.iter().filter(|f| !elsewhere(f)).collect();
    fields.sort_by_key(|f| rank(f));
    fields
}

/// The date a reviewer needs beside a code: when a retired (or dropped) code ends, when an
/// added code starts (and ends, if NEW already terminates it), when a changed or reinstated
/// code's change took effect (CMS's action effective date).
pub fn date_note(c: &CodeChange) -> Option<String> {
    let s = &c.standing;
    match c.change {
        Change::Retired | Change::Dropped => s.termination_date.map(|t| format!("terminated {t}")),
        Change::Added => match (s.added_date, s.termination_date) {
            (Some(a), Some(t)) => Some(format!("effective {a}, terminated {t}")),
            (Some(a), None) => Some(format!("effective {a}")),
            (None, Some(t)) => Some(format!("terminated {t}")),
            (None, None) => None,
        },
        Change::Changed | Change::Reinstated => s.effective_date.map(|d| format!("effective {d}")),
    }
}

/// A code's pricing indicator and coverage in words, each present one a part:
/// `pricing: 33 = Oxygen ...`, `coverage: D = Special coverage instructions apply`.
pub fn pricing_and_coverage(s: &Standing) -> Vec<String> {
    let decoded = |key: &str, values: &[String]| {
        let def = field(key)?;
        let words: Vec<String> = values.iter().map(|v| def.describe(v)).collect();
        (!words.is_empty()).then(|| words.join("; "))
    };
    [
        decoded("pricing_indicators", &s.pricing_indicators).map(|p| format!("pricing: {p}")),
        decoded("coverage", s.coverage.as_slice()).map(|c| format!("coverage: {c}")),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// What a report states about itself beside its releases: whether they are consecutive
/// quarters, the filters applied, and the tool and time that made it.
pub fn context_lines(set: &Changeset) -> Vec<String> {
    let c = &set.context;
    let consecutive = if c.consecutive {
        "yes".to_string()
    } else if set.old.release == set.new.release {
        format!("no (both are {})", set.new.release)
    } else {
        format!(
            "no ({}'s previous quarterly release is {})",
            set.new.release,
            set.new.release.previous_quarter()
        )
    };
    let made = match &c.generated_at {
        Some(at) => format!("made by {} {} at {at}", c.tool, c.version),
        None => format!("made by {} {}", c.tool, c.version),
    };
    vec![
        format!("Consecutive quarterly releases: {consecutive}"),
        format!("Filters: {}", c.filters.words()),
        capitalize(&made),
    ]
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// What a report says under a redefined code, in every section it is listed in.
pub fn redefined_note(c: &CodeChange) -> Option<&'static str> {
    c.redefined.then_some(
        "Redefined: the old and new descriptions share little meaning; the code now stands for something else",
    )
}

/// CMS's action code with its meaning: `D = Discontinue procedure or modifier code`.
pub fn action_label(code: &str) -> String {
    codes::describe(codes::ACTION, code)
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

/// A change to a list of values (types of service, manual references, ...) value by value, each
/// in words: kept values as they are, removed and inserted ones wrapped by `removed` and
/// `inserted`. `None` where a side holds fewer than two values or nothing but the order changed:
/// `old -> new` reads better there.
pub fn mark_values(
    f: &FieldChange,
    same: impl Fn(&str) -> String,
    removed: impl Fn(&str) -> String,
    inserted: impl Fn(&str) -> String,
) -> Option<String> {
    let lists = (f.old.len() > 1 || f.new.len() > 1) && !f.old.is_empty() && !f.new.is_empty();
    let gone = f.old.iter().filter(|v| !f.new.contains(v)).count();
    let came = f.new.iter().filter(|v| !f.old.contains(v)).count();
    if !lists || gone + came == 0 {
        return None;
    }
    let def = field(f.field);
    let words = |v: &String| def.map_or_else(|| v.clone(), |d| d.describe(v));
    let kept_or_removed = f.old.iter().map(|v| {
        if f.new.contains(v) {
            same(&words(v))
        } else {
            removed(&words(v))
        }
    });
    let added = f
        .new
        .iter()
        .filter(|v| !f.old.contains(v))
        .map(|v| inserted(&words(v)));
    Some(kept_or_removed.chain(added).collect::<Vec<_>>().join("; "))
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

/// One row of the summary by section of HCPCS Level II.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionRow {
    /// Letter and short name (`E Durable medical equipment`), `All sections` for the totals.
    pub label: String,
    /// The section's full name.
    pub name: &'static str,
    /// Its range or `modifiers`; empty for codes outside every section and for the totals.
    pub id: &'static str,
    /// Codes by change, in `Change::ALL`'s order.
    pub counts: [usize; 5],
    pub total: usize,
}

/// The summary by section of HCPCS Level II, a row per section with changes (`diff`'s
/// `by_section`), then a row of totals.
pub fn section_rows(set: &Changeset) -> Vec<SectionRow> {
    let mut rows: Vec<SectionRow> = set
        .by_section()
        .iter()
        .map(|r| {
            let c = &r.counts;
            SectionRow {
                label: r.section.map_or(r.name().to_string(), |s| s.label()),
                name: r.name(),
                id: r.id.unwrap_or(""),
                counts: [c.added, c.retired, c.dropped, c.reinstated, c.changed],
                total: r.total(),
            }
        })
        .collect();
    let mut all = [0; 5];
    for r in &rows {
        for (a, n) in all.iter_mut().zip(r.counts) {
            *a += n;
        }
    }
    rows.push(SectionRow {
        label: "All sections".to_string(),
        name: "All sections",
        id: "",
        counts: all,
        total: all.iter().sum(),
    });
    rows
}

/// The column heads of the counts in `SectionRow::counts`: `Added`, `Retired`, ...
pub fn change_columns() -> [String; 5] {
    Change::ALL.map(|c| capitalize(c.as_str()))
}

/// The counts in one line, in the sections' order.
pub fn summary_line(set: &Changeset) -> String {
    let s = set.summary();
    let mut line = format!(
        "{} retired, {} dropped, {} changed ({} of them cosmetic only, {} encoding only), {} added, {} reinstated",
        s.retired, s.dropped, s.changed, s.cosmetic, s.encoding, s.added, s.reinstated
    );
    let explained = Section::Explained.count(set);
    if explained > 0 {
        line.push_str(&format!(
            "; {explained} of these explained by CMS corrections (listed apart)"
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(field: &'static str, old: &[&str], new: &[&str]) -> FieldChange {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        FieldChange {
            added: None,
            removed: None,
            field,
            label: field,
            group: Group::ServiceType,
            old: strings(old),
            new: strings(new),
            cosmetic: false,
            cosmetic_reason: None,
        }
    }

    fn marked(f: &FieldChange) -> Option<String> {
        mark_values(
            f,
            |w| w.to_string(),
            |w| format!("-{w}"),
            |w| format!("+{w}"),
        )
    }

    #[test]
    fn list_changes_mark_each_value_removed_or_inserted() {
        let tos = list("types_of_service", &["A", "P"], &["A", "P", "R"]);
        assert_eq!(
            marked(&tos).unwrap(),
            "A = Used durable medical equipment (DME); \
             P = Lump sum purchase of DME, prosthetics, orthotics; +R = Rental of DME"
        );
        let refs = list(
            "medicare_carriers_manual",
            &["2130", "4450"],
            &["4450", "5000"],
        );
        assert_eq!(marked(&refs).unwrap(), "-2130; 4450; +5000");
        // One value a side, a side blank, or only the order changed: old -> new instead.
        assert_eq!(marked(&list("statute", &["1"], &["2"])), None);
        assert_eq!(marked(&list("cross_references", &[], &["A", "B"])), None);
        assert_eq!(
            marked(&list("cross_references", &["A", "B"], &["B", "A"])),
            None
        );
    }
}
