//! Re-checking the newest stored release's posting. CMS re-posts a release under the same name
//! with a new file inside; with nothing new posted, `check` asks for the newest stored release
//! again, sending the HTTP validators the server gave with the kept zip (a 304 is the answer
//! "unchanged"), else downloading it and comparing its SHA-256 with the stored revision's.
//!
//! A zip whose records differ is a re-post: reported as a change (what the revision changed),
//! told to the webhook, and stored last as the release's next revision, as a new release is. A
//! zip with the same records (re-zipped) is no change; it is kept, with its posting, so that its
//! SHA-256 is known next time.

use serde::Serialize;

use super::{CheckOptions, CheckOutcome, Fetched, io_error};
use crate::fetch::{self, Download, FetchError, Posting, Refetched, Validators};
use crate::model::{Provenance, ReleaseId, Snapshot};
use crate::store::{Saved, Store};
use crate::{Error, diff};

/// A re-post, as `check` reports it; the webhook's JSON gives it as `revision`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revision {
    pub release: ReleaseId,
    /// The new revision's number (1 is the release's first posting).
    pub number: u32,
    /// The number of the revision it follows.
    pub previous: u32,
    pub url: String,
    /// The new revision's source, `zip: release file`, and the zip's SHA-256.
    pub source: String,
    pub sha256: String,
    pub previous_source: String,
    pub previous_sha256: String,
}

/// Asks for the newest stored release's posting again; see the module's comment.
pub(super) fn recheck(
    store: &Store,
    newest: ReleaseId,
    options: &CheckOptions,
    out: &mut dyn std::io::Write,
) -> Result<CheckOutcome, Error> {
    let current = store.provenance(newest)?;
    let downloads = store.downloads();
    let validators = |url: &str| validators(store, url, &current);
    let download = match fetch::refetch(newest, &options.fetch, &downloads, &validators) {
        Ok(Refetched::Downloaded(download)) => download,
        Ok(Refetched::NotModified { .. }) => {
            return nothing_new(store, newest, options, "unchanged (HTTP 304)");
        }
        // A posting taken down is no re-post.
        Err(FetchError::NotPosted { .. }) => {
            return nothing_new(store, newest, options, "not posted");
        }
        Err(e) => return Err(e.into()),
    };
    if known(store, &download, &current) {
        return nothing_new(store, newest, options, "unchanged (same SHA-256)");
    }
    let mut fetched = super::read(download, newest)?;
    if !current.applied_corrections.is_empty() {
        // The stored release had CMS's corrections applied (`import --apply-corrections`):
        // the posting is compared, and kept, with the same corrections applied.
        let kept = store.corrections(newest)?;
        let snapshot = std::mem::replace(
            &mut fetched.snapshot,
            Snapshot::new(newest, current.source.clone(), Vec::new()),
        );
        fetched.snapshot = crate::normalize::corrections::apply(snapshot, &kept).0;
    }
    let new = &fetched.snapshot.provenance;
    if new.records == current.records && new.records_sha256 == current.records_sha256 {
        let mut outcome = nothing_new(store, newest, options, "re-zipped, the same records")?;
        // The new zip is kept, and with it any corrections file CMS added to it: both or
        // neither.
        let undo = store.undo_for(fetched.touches(store, &Saved::Unchanged))?;
        let (_, _, corrections) = fetched.keep_zip(store, &Saved::Unchanged)?;
        let said = super::keep_corrections(store, newest, corrections)?;
        undo.finish();
        if let CheckOutcome::NothingNew { posting, .. } = &mut outcome {
            for line in said {
                posting.push_str("; ");
                posting.push_str(&line);
            }
        }
        return Ok(outcome);
    }
    reposted(store, current, fetched, options, out)
}

/// "Nothing new" once a mistyped watch has been caught (now, not when the next release comes
/// out).
fn nothing_new(
    store: &Store,
    newest: ReleaseId,
    options: &CheckOptions,
    posting: &str,
) -> Result<CheckOutcome, Error> {
    if options.filter.names_codes() {
        let codes = store.codes(newest)?;
        options
            .filter
            .check_names(codes.iter().map(String::as_str))?;
    }
    Ok(CheckOutcome::NothingNew {
        newest,
        probed: newest.next_quarter(),
        posting: posting.to_string(),
    })
}

/// Whether a posting kept in `downloads/` holds the current revision: made from its zip, or
/// from a zip with its records.
fn holds_current(posting: &Posting, current: &Provenance) -> bool {
    posting.sha256 == current.source.sha256 || posting.records_sha256 == current.records_sha256
}

/// The validators to send for `url`: those of the zip kept from that URL, if it holds the
/// current revision (a zip kept by a run that then failed to store its snapshot does not).
fn validators(store: &Store, url: &str, current: &Provenance) -> Option<Validators> {
    let posting = Posting::kept(&store.downloads(), fetch::zip_name(url))?;
    (posting.url == url && holds_current(&posting, current)).then_some(posting.validators)
}

/// Whether the download is a zip already known to hold the current revision, by SHA-256.
fn known(store: &Store, download: &Download, current: &Provenance) -> bool {
    download.sha256 == current.source.sha256
        || Posting::kept(&store.downloads(), &download.file_name)
            .is_some_and(|p| p.sha256 == download.sha256 && holds_current(&p, current))
}

/// Reports a re-post and stores it as the next revision (last, after the report and the
/// webhook, so that a failure before leaves the store as it was).
fn reposted(
    store: &Store,
    current: Provenance,
    fetched: Fetched,
    options: &CheckOptions,
    out: &mut dyn std::io::Write,
) -> Result<CheckOutcome, Error> {
    let release = current.release;
    let old = store.load(release)?;
    let codes = old.records.iter().chain(&fetched.snapshot.records);
    options.filter.check_names(codes.map(|r| r.code.as_str()))?;
    let previous = store.revision_count(release)?;
    let mut changeset = options.filter.apply(diff::diff(&old, &fetched.snapshot));
    changeset.context.generated_at = Some(options.generated_at.clone());
    (changeset.old.revision, changeset.new.revision) = (Some(previous), Some(previous + 1));
    let source = &fetched.snapshot.provenance.source;
    let revision = Revision {
        release,
        number: previous + 1,
        previous,
        url: fetched.download.url.clone(),
        source: source.display(),
        sha256: source.sha256.clone(),
        previous_source: current.source.display(),
        previous_sha256: current.source.sha256,
    };
    let json = serde_json::to_value(&revision).map_err(|e| io_error("report", e.into()))?;
    super::report_and_notify(&changeset, options, Some(("revision", json)), out)?;
    let said = super::keep(store, vec![fetched])?;
    Ok(CheckOutcome::Reposted {
        revision,
        changeset: Box::new(changeset),
        said,
    })
}

/// Before a re-post's zip is kept under the name of the one it replaces, moves that one (with
/// its `.sha256` and posting) beside the revision it holds, as `revisions/YYYY-MM/N.<name>`.
/// A zip of that name that does not hold the revision (by SHA-256 or records) is left to be
/// replaced.
pub(super) fn keep_replaced_zip(
    store: &Store,
    snapshot: &Snapshot,
    number: u32,
    download: &Download,
) -> Result<(), Error> {
    let downloads = store.downloads();
    let name = &download.file_name;
    let current = store.provenance(snapshot.release())?;
    let sum = std::fs::read_to_string(downloads.join(format!("{name}.sha256"))).ok();
    let sha = sum.as_deref().and_then(|s| s.split_whitespace().next());
    let holds = sha == Some(current.source.sha256.as_str())
        || Posting::kept(&downloads, name)
            .is_some_and(|p| Some(p.sha256.as_str()) == sha && holds_current(&p, &current));
    if !holds || !downloads.join(name).is_file() {
        return Ok(());
    }
    let dir = store.revisions_dir(snapshot.release());
    std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir.display().to_string(), e))?;
    for suffix in ["", ".sha256", ".posting.json"] {
        let from = downloads.join(format!("{name}{suffix}"));
        let to = dir.join(format!("{number}.{name}{suffix}"));
        match std::fs::rename(&from, &to) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(&from.display().to_string(), e)),
        }
    }
    Ok(())
}
