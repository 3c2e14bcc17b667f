//! The static website of a store (`site DIR`): one renderer per page kind (home, release,
//! code, section, search) around a shared layout. Each writes one page's bytes to a
//! `&mut dyn Write` from what the caller computed (snapshots, changesets, histories); none
//! reads the store, computes a change or touches a file. Every text from a release is escaped.

pub mod code;
pub mod home;
pub mod layout;
pub mod release;
pub mod search;
pub mod section;

use chrono::NaiveDate;

use crate::model::correction::CorrectionsFile;
use crate::model::sections;
use crate::model::{Kind, Provenance, ReleaseId};

pub(crate) use super::html::esc;

/// One stored release as the home page lists it.
#[derive(Debug, Clone)]
pub struct ReleaseRow {
    pub id: ReleaseId,
    pub provenance: Provenance,
    /// How many times CMS posted it (1 unless a re-post was stored as a revision).
    pub revisions: usize,
    pub corrections: Vec<CorrectionsSummary>,
    /// Codes and modifiers not terminated before the release's first day.
    pub in_effect: usize,
    /// Added and retired (or dropped) since the stored release before; `None` for the oldest.
    pub added: Option<usize>,
    pub retired: Option<usize>,
    /// Codes in effect in each of `Site::groups`, in their order.
    pub in_effect_by_group: Vec<usize>,
}

/// A corrections file kept with a release, by name, CMS's version and its rows.
#[derive(Debug, Clone)]
pub struct CorrectionsSummary {
    pub name: String,
    pub version: u32,
    pub rows: usize,
}

impl CorrectionsSummary {
    pub fn of(file: &CorrectionsFile) -> Self {
        CorrectionsSummary {
            name: file.name.clone(),
            version: file.version,
            rows: file.corrections.len(),
        }
    }
}

/// A code as browse pages and the search list it: its newest description and dates.
#[derive(Debug, Clone)]
pub struct CodeSummary {
    pub code: String,
    pub kind: Kind,
    pub description: String,
    pub added_date: Option<NaiveDate>,
    pub termination_date: Option<NaiveDate>,
    /// The newest stored release that has the code in its file.
    pub last_release: ReleaseId,
}

impl CodeSummary {
    /// `active`, `terminated 2020-06-30` or `not in CMS's file since 2020-07`.
    pub fn status(&self, newest: ReleaseId) -> String {
        match self.termination_date {
            Some(t) => format!("terminated {t}"),
            None if self.last_release < newest => {
                format!("not in CMS's file after {}", self.last_release)
            }
            None => "active".to_string(),
        }
    }
}

/// A section's page: the codes of one section of HCPCS Level II (or of none).
#[derive(Debug, Clone)]
pub struct Group {
    /// The page's name: `E0100-E9999`, `modifiers`, `none`.
    pub id: String,
    pub title: String,
    /// Indexes into `Site::codes`.
    pub codes: Vec<usize>,
}

/// What every page of the site shares: the releases, every code and the browse groups.
#[derive(Debug, Clone)]
pub struct Site {
    /// Oldest first.
    pub releases: Vec<ReleaseRow>,
    /// Every code and modifier of every stored release, sorted.
    pub codes: Vec<CodeSummary>,
    pub groups: Vec<Group>,
    /// When the site was made (RFC 3339), in every page's footer.
    pub generated_at: String,
}

impl Site {
    pub fn newest(&self) -> Option<ReleaseId> {
        self.releases.last().map(|r| r.id)
    }

    pub fn has_page(&self, code: &str) -> bool {
        self.codes
            .binary_search_by(|c| c.code.as_str().cmp(code))
            .is_ok()
    }
}

/// A code's page, from the site's root: `codes/E1392.html`. A code of anything but letters
/// and digits (none in CMS's files; a hostile file could hold one) is spelled in hex, so that
/// a name never leaves its folder.
pub fn code_page(code: &str) -> String {
    if !code.is_empty() && code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        format!("codes/{code}.html")
    } else {
        let hex = crate::model::hex(code.as_bytes());
        format!("codes/x-{hex}.html")
    }
}

pub fn release_page(release: ReleaseId) -> String {
    format!("releases/{release}.html")
}

/// A section's page: `sections/E0100-E9999.html` (ids are letters, digits and dashes).
pub fn group_page(id: &str) -> String {
    format!("sections/{id}.html")
}

/// The browse group of a code: its section of HCPCS Level II (`E0100-E9999`, `modifiers`), or
/// `none` for a code outside every range (its page says so: no code is put in a section it is
/// not in).
pub fn group_of(code: &str, kind: Kind) -> String {
    sections::of(code, kind).map_or_else(|| NONE.to_string(), |s| s.id.to_string())
}

/// The group of codes outside every section.
const NONE: &str = "none";

/// A group's title: `Durable medical equipment (E0100-E9999)`, `Modifiers`.
pub fn group_title(id: &str) -> String {
    sections::SECTIONS
        .iter()
        .find(|s| s.id == id)
        .map_or_else(|| crate::diff::NO_SECTION.to_string(), ToString::to_string)
}

/// Where a group sits among the others: the sections in code order, the modifiers, then the
/// codes outside every section.
pub fn group_order(id: &str) -> usize {
    sections::SECTIONS
        .iter()
        .position(|s| s.id == id)
        .unwrap_or(sections::SECTIONS.len())
}
