//! hcpcs-diff: reads CMS HCPCS Level II releases in every form CMS has shipped, stores each as a
//! normalized snapshot, and says what changed between releases.
//!
//! The flow runs one way, a folder for each step:
//!
//! | step | folder | in → out |
//! |---|---|---|
//! | find the release file | `source/` (and `fetch/` for downloads) | a zip, folder or file → bytes and their form |
//! | read | `read/` | bytes → rows by CMS's layout (`read/layout.rs`) |
//! | normalize | `normalize/` | rows → typed `model::Record`s in a `model::Snapshot` |
//! | keep | `store/` | `Snapshot` ⇄ `<store>/YYYY-MM.jsonl` |
//! | diff | `diff/` | two `Snapshot`s → a `diff::Changeset` (and a code's history) |
//! | audit | `audit/` | a supplier's codes and the stored `Snapshot`s → an `audit::Audit` |
//! | report | `report/` | a `Changeset` → text, markdown, JSON, CSV or HTML; snapshots → CSV, FHIR, SQLite |
//!
//! `model/` is below them all: the record, release ids, CMS's code tables and the `Snapshot`
//! that every step passes on; no step imports a later one, and none but the store knows where
//! snapshots are kept. `fs` writes files atomically; `check` strings the steps together for
//! `fetch` and the cron job. The command line (`src/cli.rs`, one file per command in
//! `src/cmd/`) is the binary's, not the library's.

pub mod audit;
pub mod check;
pub mod diff;
pub mod error;
pub mod exit;
pub mod fetch;
pub mod fs;
pub mod model;
pub mod normalize;
pub mod par;
pub mod read;
pub mod report;
pub mod site;
pub mod source;
pub mod store;

use std::path::Path;

use error::{ReadError, Warning};
use model::ReleaseId;
use model::Snapshot;
use store::StoreError;

/// Anything that stops a command; every one of them exits with status 2.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Watch(#[from] diff::watch::WatchError),
    #[error(transparent)]
    Fetch(#[from] fetch::FetchError),
    #[error(transparent)]
    Audit(#[from] audit::InputError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "{file}: cannot tell which release this is from its name or content: give --release YYYY-MM"
    )]
    UnknownRelease { file: String },
    #[error("OLD ({old}) is newer than NEW ({new}); swap them")]
    Order { old: ReleaseId, new: ReleaseId },
}

/// How the release id of an import was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseFrom {
    Given,
    Name(String),
    Content,
}

/// A release file read into a snapshot, not yet stored.
#[derive(Debug)]
pub struct Loaded {
    pub snapshot: Snapshot,
    pub warnings: Vec<Warning>,
    pub release_from: ReleaseFrom,
    /// The corrections files found beside the release in its zip or folder, read; or why one
    /// could not be (the caller decides whether the release goes on without them).
    pub corrections: Result<Vec<model::correction::CorrectionsFile>, Error>,
}

/// Options for reading a release file.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    /// The release id; inferred from the file name or content when absent.
    pub release: Option<ReleaseId>,
    /// Any warning is an error.
    pub strict: bool,
}

/// Reads the release at `path` (zip, folder, text, workbook or CSV) into a snapshot.
pub fn load_path(path: &Path, options: ReadOptions) -> Result<Loaded, Error> {
    load_source(source::open(path)?, options)
}

/// Reads the corrections files at `path` (one corrections file, or a zip or folder of them):
/// each with its name, SHA-256, version and rows. (The corrections in a release's own zip or
/// folder come with the release: `Loaded::corrections`.)
pub fn load_corrections(path: &Path) -> Result<Vec<model::correction::CorrectionsFile>, Error> {
    read_corrections(source::corrections_files(path)?)
}

/// Reads corrections files (name and bytes, as `source` finds them): each with its name,
/// SHA-256, version and rows.
fn read_corrections(
    files: Vec<(String, Vec<u8>)>,
) -> Result<Vec<model::correction::CorrectionsFile>, Error> {
    let mut out = Vec::new();
    for (name, bytes) in files {
        let corrections = read::corrections::read(&name, &bytes)?;
        out.push(model::correction::CorrectionsFile {
            version: model::correction::version_from_name(&name),
            sha256: source::sha256_hex(&bytes),
            name,
            corrections,
        });
    }
    Ok(out)
}

/// Reads an already located release file into a snapshot.
pub fn load_source(file: source::SourceFile, options: ReadOptions) -> Result<Loaded, Error> {
    let info = file.info();
    let display = info.display();
    let source::SourceFile {
        file: name,
        member,
        bytes,
        form,
        companion,
        corrections,
        ..
    } = file;
    let mut parsed = read::read(&display, &bytes, form)?;
    // The rows own their text: freed now, the file's memory serves the records.
    drop(bytes);
    let damaged = std::mem::take(&mut parsed.damaged);
    let mut normalized = normalize::normalize(&display, parsed)?;
    let settled = normalize::damaged::settle(&damaged, &mut normalized.records, companion.as_ref());
    normalized.warnings.extend(settled);
    if normalized.records.is_empty() {
        return Err(ReadError::file(&display, error::FileProblem::NoRecords).into());
    }
    if options.strict
        && let Some(warning) = normalized.warnings.first()
    {
        return Err(ReadError::Strict {
            file: display,
            warning: warning.clone(),
        }
        .into());
    }
    let by_name = member
        .as_deref()
        .and_then(|m| source::release_from_name(m).map(|r| (r, m)))
        .or_else(|| source::release_from_name(&name).map(|r| (r, name.as_str())));
    let (release, release_from) = match (options.release, by_name) {
        (Some(r), _) => (r, ReleaseFrom::Given),
        (None, Some((r, name))) => (r, ReleaseFrom::Name(name.to_string())),
        (None, None) => match source::release_from_content(&normalized.records) {
            Some(r) => (r, ReleaseFrom::Content),
            None => return Err(Error::UnknownRelease { file: display }),
        },
    };
    Ok(Loaded {
        snapshot: Snapshot::new(release, info, normalized.records),
        warnings: normalized.warnings,
        release_from,
        corrections: corrections.map_err(Error::from).and_then(read_corrections),
    })
}
