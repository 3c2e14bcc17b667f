//! The unattended job: fetch a release into the store, or probe for the quarters after the
//! newest stored release, import what CMS has posted, diff it against what was newest, write
//! the report and tell a webhook; with nothing new, re-check the newest release's posting for a
//! re-post (`repost`). Nothing is stored until every step before it has worked, and a lock
//! keeps two runs from touching the store at once.

mod repost;

use std::path::PathBuf;

use crate::diff::{self, Changeset, Filter};
use crate::fetch::{self, Download, FetchError, FetchOptions};
use crate::model::ReleaseId;
use crate::model::correction::CorrectionsFile;
use crate::model::{Counts, Snapshot};
use crate::report::{self, Format};
use crate::store::{Added, Saved, Store};
use crate::{Error, ReadOptions, load_source, source};

/// A release downloaded and read, not yet stored.
struct Fetched {
    snapshot: Snapshot,
    download: Download,
    /// The corrections files in the zip, read (kept with the release, as `import` keeps them),
    /// or why they could not be read (the release is kept without them, and that is said).
    corrections: Result<Vec<CorrectionsFile>, String>,
}

/// Downloads and reads `release`.
fn download(store: &Store, release: ReleaseId, options: &FetchOptions) -> Result<Fetched, Error> {
    read(fetch::fetch(release, options, &store.downloads())?, release)
}

/// Reads a downloaded zip as `release`.
fn read(mut download: Download, release: ReleaseId) -> Result<Fetched, Error> {
    // The zip is kept from its temporary file: its bytes in memory need not be held twice.
    let bytes = std::mem::take(&mut download.bytes);
    let file = source::from_bytes(&download.file_name, bytes)?;
    let loaded = load_source(
        file,
        ReadOptions {
            release: Some(release),
            strict: false,
            today: None,
        },
    )?;
    Ok(Fetched {
        snapshot: loaded.snapshot,
        download,
        corrections: loaded.corrections.map_err(|e| e.to_string()),
    })
}

impl Fetched {
    /// Keeps the zip in the store's downloads folder (with its `.sha256` and posting); a re-post
    /// of a stored release first moves the zip it replaces beside that revision.
    fn keep_zip(self, store: &Store, saved: &Saved) -> Result<ZipKept, Error> {
        if let Saved::Revision { number, .. } = saved {
            repost::keep_replaced_zip(store, &self.snapshot, number - 1, &self.download)?;
        }
        let records = self.snapshot.provenance.records_sha256.clone();
        let zip = self.download.keep_in(&store.downloads(), &records)?;
        Ok((zip, self.snapshot, self.corrections))
    }
}

/// What is left to store of a fetched release once its zip is kept: where the zip went, the
/// snapshot and the corrections read from the zip.
type ZipKept = (PathBuf, Snapshot, Result<Vec<CorrectionsFile>, String>);

/// Keeps the zips in the store's downloads folder, then each release's corrections and
/// snapshot: a snapshot is what makes a release count as done, so it is written last, once
/// its zip is safe. A stored release whose content cannot be stored is refused before anything
/// is kept. Returns what was kept of the corrections, in words (`said`).
fn keep(store: &Store, fetched: Vec<Fetched>) -> Result<Vec<String>, Error> {
    let mut outcomes = Vec::new();
    for f in &fetched {
        outcomes.push(store.check_save(&f.snapshot, false)?);
    }
    let mut kept = Vec::new();
    for (f, saved) in fetched.into_iter().zip(&outcomes) {
        kept.push(f.keep_zip(store, saved)?);
    }
    let mut said = Vec::new();
    for (_, snapshot, corrections) in kept {
        said.extend(keep_corrections(store, snapshot.release(), corrections)?);
        store.save(&snapshot, false)?;
    }
    Ok(said)
}

/// Keeps a fetched release's corrections as `import` does; what became of them, in words.
fn keep_corrections(
    store: &Store,
    release: ReleaseId,
    corrections: Result<Vec<CorrectionsFile>, String>,
) -> Result<Vec<String>, Error> {
    let files = match corrections {
        Ok(files) => files,
        Err(e) => {
            return Ok(vec![format!(
                "warning: {e}: release {release} is stored without its corrections"
            )]);
        }
    };
    Ok(store
        .add_corrections(release, files)?
        .into_iter()
        .map(|added| match added {
            Added::Added(name) => format!("{release}: kept corrections {name}"),
            Added::AlreadyKept(name) => {
                format!("{release}: corrections {name} already kept, unchanged")
            }
        })
        .collect())
}

/// What `fetch RELEASE` did.
pub struct FetchOutcome {
    pub release: ReleaseId,
    pub url: String,
    pub sha256: String,
    pub zip: PathBuf,
    pub saved: Saved,
    pub counts: Counts,
    /// What was kept of the corrections in the zip, in words.
    pub said: Vec<String>,
}

/// Downloads `release`, imports it and keeps the zip. A release CMS has not posted is an
/// error here (the caller asked for it by name).
pub fn fetch_release(
    store: &Store,
    release: ReleaseId,
    options: &FetchOptions,
    force: bool,
) -> Result<FetchOutcome, Error> {
    let _lock = store.lock()?;
    let fetched = download(store, release, options)?;
    let (url, sha256, counts) = (
        fetched.download.url.clone(),
        fetched.download.sha256.clone(),
        fetched.snapshot.provenance.counts,
    );
    let planned = store.check_save(&fetched.snapshot, force)?;
    let (zip, snapshot, corrections) = fetched.keep_zip(store, &planned)?;
    // Last: the snapshot, once the zip and the corrections are safe (see `keep`).
    let said = keep_corrections(store, release, corrections)?;
    let saved = store.save(&snapshot, force)?;
    Ok(FetchOutcome {
        release,
        url,
        sha256,
        zip,
        saved,
        counts,
        said,
    })
}

/// Options of `check`.
pub struct CheckOptions {
    /// When the report is made (RFC 3339), for its context.
    pub generated_at: String,
    pub fetch: FetchOptions,
    pub filter: Filter,
    pub format: Format,
    /// Start a CSV report with a UTF-8 byte-order mark (for Excel).
    pub excel: bool,
    pub output: Option<PathBuf>,
    pub notify: Option<String>,
}

/// What `check` found.
pub enum CheckOutcome {
    /// CMS has posted nothing after the newest stored release, and its posting is as stored.
    NothingNew {
        newest: ReleaseId,
        probed: ReleaseId,
        /// What re-checking the newest release's posting found, in words.
        posting: String,
    },
    /// New releases were imported; `changeset` (filtered) compares the newest stored before
    /// with the newest now. `report` is the rendered changelog (already written if `output`).
    Imported {
        imported: Vec<ReleaseId>,
        changeset: Box<Changeset>,
        report: Vec<u8>,
        /// What was kept of the corrections in the zips, in words.
        said: Vec<String>,
    },
    /// The newest stored release was re-posted with different records: stored as a new
    /// revision; `changeset` (filtered) compares the revision before with it.
    Reposted {
        revision: repost::Revision,
        changeset: Box<Changeset>,
        report: Vec<u8>,
        /// What was kept of the corrections in the zip, in words.
        said: Vec<String>,
    },
}

pub use repost::Revision;

pub fn check(store: &Store, options: &CheckOptions) -> Result<CheckOutcome, Error> {
    let _lock = store.lock()?;
    let newest = store.latest()?;
    let fetched = probe(store, newest, options)?;
    let Some(latest) = fetched.last() else {
        return repost::recheck(store, newest, options);
    };
    let old = store.load(newest)?;
    let codes = old.records.iter().chain(&latest.snapshot.records);
    options.filter.check_names(codes.map(|r| r.code.as_str()))?;
    let mut changeset = options.filter.apply(diff::diff(&old, &latest.snapshot));
    changeset.context.generated_at = Some(options.generated_at.clone());
    let rendered = report_and_notify(&changeset, options, None)?;
    // Only now, with the report written and the webhook told, does anything reach the store:
    // a failure above leaves it as it was, and the next run does the whole job again.
    let imported = fetched.iter().map(|f| f.snapshot.release()).collect();
    let said = keep(store, fetched)?;
    Ok(CheckOutcome::Imported {
        imported,
        changeset: Box::new(changeset),
        report: rendered,
        said,
    })
}

/// Downloads each quarter after `newest` that CMS has posted, in order. A release not posted
/// yet is the answer "nothing newer", not an error; nor is a server that answers for releases
/// that cannot exist yet probed past the next quarter.
fn probe(store: &Store, newest: ReleaseId, options: &CheckOptions) -> Result<Vec<Fetched>, Error> {
    let mut fetched = Vec::new();
    let mut probe = newest.next_quarter();
    let horizon = last_possible_release(chrono::Utc::now().date_naive());
    while probe <= horizon {
        match download(store, probe, &options.fetch) {
            Ok(f) => fetched.push(f),
            Err(Error::Fetch(FetchError::NotPosted { .. })) => break,
            Err(e) => return Err(e),
        }
        probe = probe.next_quarter();
    }
    Ok(fetched)
}

/// Renders the changelog, writes it to `--output` and POSTs the JSON changeset (with `extra`'s
/// fields added) to the webhook; returns the rendered report.
fn report_and_notify(
    changeset: &Changeset,
    options: &CheckOptions,
    extra: Option<(&str, serde_json::Value)>,
) -> Result<Vec<u8>, Error> {
    let mut rendered = Vec::new();
    let render = report::Options {
        bom: options.excel,
        ..report::Options::default()
    };
    report::render(&mut rendered, changeset, options.format, &render)
        .map_err(|e| io_error("report", e))?;
    if let Some(path) = &options.output {
        crate::fs::write_atomically(path, &rendered)
            .map_err(|e| io_error(&path.display().to_string(), e))?;
    }
    if let Some(url) = &options.notify {
        let mut json = Vec::new();
        report::json::render(&mut json, changeset).map_err(|e| io_error("report", e))?;
        if let Some((key, value)) = extra {
            let mut doc: serde_json::Value =
                serde_json::from_slice(&json).map_err(|e| io_error("report", e.into()))?;
            if let Some(map) = doc.as_object_mut() {
                map.insert(key.to_string(), value);
            }
            json = serde_json::to_vec_pretty(&doc).map_err(|e| io_error("report", e.into()))?;
        }
        fetch::post_json(url, json, &options.fetch)?;
    }
    Ok(rendered)
}

/// The latest release that can be posted on `today`: CMS posts a quarter's file some weeks
/// before it takes effect, never two quarters ahead.
fn last_possible_release(today: chrono::NaiveDate) -> ReleaseId {
    use chrono::Datelike;
    let month = (today.month0() / 3 * 3 + 1) as u8;
    let year = u16::try_from(today.year()).map_or(9999, |y| y.min(9999));
    ReleaseId { year, month }.next_quarter()
}

fn io_error(path: &str, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_string(),
        source,
    }
}
