//! The unattended job: fetch a release into the store, or probe for the quarters after the
//! newest stored release, import what CMS has posted, diff it against what was newest, write
//! the report and tell a webhook; with nothing new, re-check the newest release's posting for a
//! re-post (`repost`). Nothing is stored until every step before it has worked, and a lock
//! keeps two runs from touching the store at once.

mod repost;

use std::io::Write;
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
    corrections: Result<Vec<CorrectionsFile>, Error>,
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
        corrections: loaded.corrections,
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

    /// Every file of the store that keeping this release as `saved` may write: its zip (and
    /// the one a re-post moves aside), its corrections and its snapshot (and the revision it
    /// moves aside).
    fn touches(&self, store: &Store, saved: &Saved) -> Vec<PathBuf> {
        let release = self.snapshot.release();
        let name = &self.download.file_name;
        let mut paths = vec![store.corrections_path(release), store.path_of(release)];
        if let Saved::Revision { kept, .. } = saved {
            paths.push(kept.clone());
        }
        for suffix in ["", ".sha256", ".posting.json"] {
            paths.push(store.downloads().join(format!("{name}{suffix}")));
            if let Saved::Revision { number, .. } = saved {
                let dir = store.revisions_dir(release);
                paths.push(dir.join(format!("{}.{name}{suffix}", number - 1)));
            }
        }
        paths
    }
}

/// What is left to store of a fetched release once its zip is kept: where the zip went, the
/// snapshot and the corrections read from the zip.
type ZipKept = (PathBuf, Snapshot, Result<Vec<CorrectionsFile>, Error>);

/// Keeps the zips in the store's downloads folder, then each release's corrections and
/// snapshot: a snapshot is what makes a release count as done, so it is written last, once
/// its zip is safe. Every snapshot is checked against the store before anything is kept, and
/// what is kept is all or nothing: a failure keeping any release (a zip, corrections or
/// snapshot that cannot be written) puts back every file the run wrote, the releases before it
/// too, so that exit 2 leaves the store as it was. Returns what was kept of the corrections,
/// in words (`said`).
fn keep(store: &Store, fetched: Vec<Fetched>) -> Result<Vec<String>, Error> {
    let mut planned = Vec::new();
    for f in &fetched {
        planned.push(store.plan_save(&f.snapshot, false)?);
    }
    let touched = fetched.iter().zip(&planned);
    let undo = store.undo_for(touched.flat_map(|(f, p)| f.touches(store, &p.saved)))?;
    let mut kept = Vec::new();
    for (f, planned) in fetched.into_iter().zip(planned) {
        let (_, snapshot, corrections) = f.keep_zip(store, &planned.saved)?;
        kept.push((snapshot, corrections, planned));
    }
    let mut said = Vec::new();
    for (snapshot, corrections, planned) in kept {
        said.extend(keep_corrections(store, snapshot.release(), corrections)?);
        store.commit(planned, &snapshot)?;
    }
    undo.finish();
    Ok(said)
}

/// Keeps a fetched release's corrections as `import` does; what became of them, in words.
fn keep_corrections(
    store: &Store,
    release: ReleaseId,
    corrections: Result<Vec<CorrectionsFile>, Error>,
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

/// Runs `job` holding the store's lock; a job that fails leaves no trace of having taken it
/// (see `StoreLock`).
fn locked<T>(store: &Store, job: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    let lock = store.lock()?;
    let result = job();
    if result.is_ok() {
        lock.succeeded();
    }
    result
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
    locked(store, || fetch_locked(store, release, options, force))
}

fn fetch_locked(
    store: &Store,
    release: ReleaseId,
    options: &FetchOptions,
    force: bool,
) -> Result<FetchOutcome, Error> {
    let fetched = download(store, release, options)?;
    let (url, sha256, counts) = (
        fetched.download.url.clone(),
        fetched.download.sha256.clone(),
        fetched.snapshot.provenance.counts,
    );
    let planned = store.plan_save(&fetched.snapshot, force)?;
    let undo = store.undo_for(fetched.touches(store, &planned.saved))?;
    let (zip, snapshot, corrections) = fetched.keep_zip(store, &planned.saved)?;
    // Last: the snapshot, once the zip and the corrections are safe (see `keep`).
    let said = keep_corrections(store, release, corrections)?;
    let saved = store.commit(planned, &snapshot)?;
    undo.finish();
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
    /// Today's date: no release after the quarter following it is probed. The caller reads
    /// the clock (or pins it), as it does for `generated_at`.
    pub today: chrono::NaiveDate,
    pub fetch: FetchOptions,
    pub filter: Filter,
    pub format: Format,
    /// Start a CSV report with a UTF-8 byte-order mark (for Excel).
    pub excel: bool,
    pub output: Option<PathBuf>,
    pub notify: Option<String>,
    /// What the webhook is sent: the JSON changeset, or a chat message.
    pub notify_format: report::notify::NotifyFormat,
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
    /// with the newest now. Its changelog was written (to `output`, or to standard output)
    /// before anything was stored.
    Imported {
        imported: Vec<ReleaseId>,
        changeset: Box<Changeset>,
        /// What was kept of the corrections in the zips, in words.
        said: Vec<String>,
    },
    /// The newest stored release was re-posted with different records: stored as a new
    /// revision; `changeset` (filtered) compares the revision before with it.
    Reposted {
        revision: repost::Revision,
        changeset: Box<Changeset>,
        /// What was kept of the corrections in the zip, in words.
        said: Vec<String>,
    },
}

pub use repost::Revision;

/// Fetches what is new, writes its changelog to `options.output`, or else to `out` (flushed),
/// tells the webhook, and only then stores it: a report that could not be written (a closed
/// pipe, a full disk) stores nothing and tells no one, and the next run does it all again.
pub fn check(
    store: &Store,
    options: &CheckOptions,
    out: &mut dyn Write,
) -> Result<CheckOutcome, Error> {
    locked(store, || check_locked(store, options, out))
}

fn check_locked(
    store: &Store,
    options: &CheckOptions,
    out: &mut dyn Write,
) -> Result<CheckOutcome, Error> {
    let newest = store.latest()?;
    let fetched = probe(store, newest, options)?;
    let Some(latest) = fetched.last() else {
        return repost::recheck(store, newest, options, out);
    };
    let old = store.load(newest)?;
    let codes = old.records.iter().chain(&latest.snapshot.records);
    options.filter.check_names(codes.map(|r| r.code.as_str()))?;
    let mut changeset = options.filter.apply(diff::diff(&old, &latest.snapshot));
    changeset.context.generated_at = Some(options.generated_at.clone());
    report_and_notify(&changeset, options, None, out)?;
    // Only now, with the report written and the webhook told, does anything reach the store:
    // a failure above leaves it as it was, and the next run does the whole job again.
    let imported = fetched.iter().map(|f| f.snapshot.release()).collect();
    let said = keep(store, fetched)?;
    Ok(CheckOutcome::Imported {
        imported,
        changeset: Box::new(changeset),
        said,
    })
}

/// Downloads each quarter after `newest` that CMS has posted, in order. A release not posted
/// yet is the answer "nothing newer", not an error; nor is a server that answers for releases
/// that cannot exist yet probed past the next quarter.
fn probe(store: &Store, newest: ReleaseId, options: &CheckOptions) -> Result<Vec<Fetched>, Error> {
    let mut fetched = Vec::new();
    let mut probe = newest.next_quarter();
    let horizon = last_possible_release(options.today);
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

/// Renders the changelog, writes it to `--output` (or to `out`, flushed) and POSTs the JSON
/// changeset (with `extra`'s fields added) to the webhook.
fn report_and_notify(
    changeset: &Changeset,
    options: &CheckOptions,
    extra: Option<(&str, serde_json::Value)>,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let mut rendered = Vec::new();
    let render = report::Options {
        bom: options.excel,
        ..report::Options::default()
    };
    report::render(&mut rendered, changeset, options.format, &render)
        .map_err(|e| io_error("report", e))?;
    match &options.output {
        Some(path) => crate::fs::write_atomically(path, &rendered)
            .map_err(|e| io_error(&path.display().to_string(), e))?,
        None => out
            .write_all(&rendered)
            .and_then(|()| out.flush())
            .map_err(|e| io_error("changelog", e))?,
    }
    // The report comes first: a webhook that fails, after its retries, loses no changelog; the
    // error is then exit 2 with nothing stored, and the next run reports and notifies again.
    if let Some(url) = &options.notify {
        use report::notify::{self, NotifyFormat};
        let (content_type, body) = match options.notify_format {
            NotifyFormat::Json => {
                let mut json = Vec::new();
                // The document is built once, with the extra key in it (not rendered, parsed
                // back and rendered again).
                let extra = extra.map(|(key, value)| (key.to_string(), value));
                report::json::render_with(&mut json, changeset, &extra.into_iter().collect())
                    .map_err(|e| io_error("report", e))?;
                ("application/json", json)
            }
            NotifyFormat::Chat(chat) => {
                let headline = notify::headline(changeset);
                let message = notify::message(chat, changeset, &headline);
                (chat.content_type(), message)
            }
        };
        fetch::post(url, content_type, body, &options.fetch)?;
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn on(date: &str) -> String {
        last_possible_release(date.parse().unwrap()).to_string()
    }

    /// On the last day of a quarter the next quarter's file may be out; on the first day of
    /// the next, the one after it.
    #[test]
    fn the_last_possible_release_at_quarter_boundaries() {
        for (today, last) in [
            ("2025-01-01", "2025-04"),
            ("2025-03-31", "2025-04"),
            ("2025-04-01", "2025-07"),
            ("2025-06-30", "2025-07"),
            ("2025-07-01", "2025-10"),
            ("2025-09-30", "2025-10"),
            ("2025-10-01", "2026-01"),
            ("2025-12-31", "2026-01"),
            ("2024-02-29", "2024-04"),
        ] {
            assert_eq!(on(today), last, "on {today}");
        }
    }
}
