//! `import SOURCE`: read a release file into the store.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;

use hcpcs_diff::model::ReleaseId;
use hcpcs_diff::model::SourceInfo;
use hcpcs_diff::model::correction::CorrectionsFile;
use hcpcs_diff::store::{Added, Saved, Store, StoreError, looks_earlier};
use hcpcs_diff::{ReadOptions, ReleaseFrom, ToStore, exit};

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["source", "corrections"])))]
pub struct Args {
    /// The release file or folder. Corrections files in it (CMS's `*Corrections*` workbooks,
    /// texts and `.prn` prints) are kept with the release.
    source: Option<PathBuf>,
    /// Keep the corrections file (or a zip or folder of them) FILE with a stored release
    /// (--release, or the year in FILE's name), instead of importing a release.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["source", "strict"])]
    corrections: Option<PathBuf>,
    /// Release id YYYY-MM (YYYY means January); inferred from the name or content if absent.
    #[arg(long)]
    release: Option<ReleaseId>,
    /// Treat any warning about the input as an error.
    #[arg(long)]
    strict: bool,
    /// Replace the current revision of a stored release whose content differs (a wrong
    /// import), instead of storing a new revision; and replace a kept corrections file that
    /// cannot be read (with --corrections too).
    #[arg(long)]
    force: bool,
    /// Apply the classified, unambiguous CMS corrections (in SOURCE, and any already kept
    /// with the release) to the snapshot, recording each in its provenance; the rest are
    /// listed as notes.
    #[arg(long, conflicts_with = "corrections")]
    apply_corrections: bool,
}

pub fn run(store: &Store, args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8> {
    let source = match (&args.source, &args.corrections) {
        (Some(source), _) => source.clone(),
        (None, Some(file)) => {
            return keep_corrections(store, file, args.release, args.force, out);
        }
        (None, None) => anyhow::bail!("give a release SOURCE or --corrections FILE"),
    };
    let options = ReadOptions {
        release: args.release,
        strict: args.strict,
        // The clock is read here, once: the library is given the date.
        today: Some(chrono::Utc::now().date_naive()),
    };
    let reading = super::progress(format!("reading {}", source.display()));
    // A loose text's records are kept on disk as they are read, not held (see `ToStore`).
    let loaded = hcpcs_diff::load_path_to_store(&source, options);
    reading.finish_and_clear();
    let mut loaded = loaded?;
    let file = loaded.snapshot.provenance().source.display();
    for w in &loaded.warnings {
        writeln!(err, "warning: {file}: {w}")?;
    }
    // The corrections inside a release zip; one that cannot be read is said, and not kept
    // (under --strict, it stops the import).
    let corrections = match loaded.corrections {
        Ok(c) => c,
        Err(e) if args.strict => return Err(e.into()),
        Err(e) => {
            writeln!(
                err,
                "warning: {e}: the release is imported without its corrections"
            )?;
            Vec::new()
        }
    };
    let how = match &loaded.release_from {
        ReleaseFrom::Given => "as given".to_string(),
        ReleaseFrom::Name(n) => format!("from the name {n}"),
        ReleaseFrom::Content => {
            "from the content: most recent quarter in which codes' actions take effect".to_string()
        }
    };
    // One writer at a time: a second import of the release waits here, then finds it stored.
    let lock = store.lock()?;
    if args.apply_corrections {
        let snapshot = loaded.snapshot.into_snapshot()?;
        let corrected = apply_corrections(store, snapshot, &corrections, args.force, out)?;
        loaded.snapshot = ToStore::Held(corrected);
    }
    // A text cut short at a line end reads as a whole text of fewer codes: said here, before
    // anything is stored (an error under --strict).
    let mut more_warnings = 0;
    match cut_short(store, &loaded.snapshot) {
        Some(Ends::Short(cut)) if args.strict => {
            anyhow::bail!("{file}: {cut} (--strict: nothing stored)")
        }
        Some(Ends::Short(cut)) => {
            writeln!(err, "warning: {file}: {cut}")?;
            more_warnings += 1;
        }
        // Not the input's fault: said, and no bar to an import (`--force` over a damaged
        // current revision is how it is repaired).
        Some(Ends::Unchecked(why)) => writeln!(err, "note: {file}: {why}")?,
        None => {}
    }
    let p = loaded.snapshot.provenance();
    // Checked first, so a refused import keeps nothing; the snapshot is written last. The
    // corrections and the snapshot are kept both or neither: a snapshot that cannot be written
    // puts back the corrections file (one `--force` replaced, damaged, among them).
    let planned = store.plan_save(&loaded.snapshot, args.force)?;
    // A snapshot already stored as it is (or with the same records) is not written: nothing
    // of it to put back, nor to copy aside first.
    let mut touched = vec![store.corrections_path(p.release)];
    touched.extend(store.written_by(p.release, &planned));
    let undo = store.undo_for(touched)?;
    // Both written at once (on two threads): each file is synced before it is renamed into
    // place, and the two waits for the disk overlap. Either failing puts both back (`undo`).
    let release = p.release;
    let (kept, saved) = hcpcs_diff::par::both(
        || store.add_corrections_replacing(release, corrections, args.force),
        || store.commit(planned, &loaded.snapshot),
    );
    let kept = kept?;
    let saved = saved?;
    undo.finish();
    lock.succeeded();
    let verb = verb(&saved, &loaded.snapshot.provenance().source, err)?;
    let n = loaded.warnings.len() + more_warnings;
    let mut said = Vec::new();
    writeln!(
        said,
        "{}: release {} ({how}): {} procedure codes, {} modifiers, {n} warning{}; {verb} in {}",
        source.display(),
        p.release,
        p.counts.procedure,
        p.counts.modifier,
        if n == 1 { "" } else { "s" },
        store.path_of(p.release).display()
    )?;
    say_kept(&mut said, p.release, &kept)?;
    super::say_stored(out, &said);
    Ok(exit::OK)
}

/// What [`cut_short`] finds of a release's end.
enum Ends {
    /// Codes are missing at its end: what to say of them.
    Short(String),
    /// The stored release to compare it with cannot be read: why.
    Unchecked(String),
}

/// Whether `snapshot` may be cut short: CMS drops a code from its file only after a release
/// that terminates it, so procedure codes of the newest stored release at or before this one
/// (its current revision, if it is stored) that come after this one's last procedure code and
/// were still in effect on its first day are missing, as from a text cut at a line end. `None`
/// when none are, or when there is no such release.
fn cut_short(store: &Store, snapshot: &ToStore) -> Option<Ends> {
    let release = snapshot.provenance().release;
    let before = store
        .releases()
        .ok()?
        .into_iter()
        .rev()
        .find(|&r| r <= release)?;
    let last = snapshot.last_procedure();
    let after = |code: &str| last.is_none_or(|last| code > last);
    let stored = match store.load_where(before, after) {
        Ok(stored) => stored,
        Err(e) => {
            return Some(Ends::Unchecked(format!(
                "not checked against {before} for codes missing at its end: {e}"
            )));
        }
    };
    let first_day = release.first_day();
    let missing: Vec<&str> = stored
        .records
        .iter()
        .filter(|r| r.kind == hcpcs_diff::model::Kind::Procedure && after(&r.code))
        .filter(|r| r.termination_date.is_none_or(|t| t >= first_day))
        .map(|r| r.code.as_str())
        .collect();
    let (first, last_missing) = (missing.first()?, missing.last()?);
    let ends = match last {
        Some(last) => format!("its procedure codes end at {last}"),
        None => "it holds no procedure codes".to_string(),
    };
    let codes = match missing.len() {
        1 => format!("1 procedure code in effect on {first_day} is missing ({first})"),
        n => format!(
            "{n} procedure codes in effect on {first_day} are missing ({first} to {last_missing})"
        ),
    };
    Some(Ends::Short(format!(
        "{ends}, where the stored release {before} goes on: {codes}; CMS drops a code only after \
         terminating it. Was the file cut short?"
    )))
}

/// `--apply-corrections`: the snapshot with the corrections in SOURCE and those kept with its
/// release applied; what became of each is said on `out`.
fn apply_corrections(
    store: &Store,
    snapshot: hcpcs_diff::model::Snapshot,
    in_source: &[CorrectionsFile],
    force: bool,
    out: &mut dyn Write,
) -> Result<hcpcs_diff::model::Snapshot> {
    // With --force a kept file that cannot be read is about to be replaced: it adds nothing.
    let mut all = match store.corrections(snapshot.release()) {
        Err(StoreError::CorrectionsDamaged { .. }) if force => Vec::new(),
        kept => kept?,
    };
    let new: Vec<CorrectionsFile> = in_source
        .iter()
        .filter(|c| all.iter().all(|k| k.sha256 != c.sha256))
        .cloned()
        .collect();
    all.extend(new);
    let (corrected, outcome) = hcpcs_diff::normalize::corrections::apply(snapshot, &all);
    writeln!(
        out,
        "CMS corrections: {} applied, {} already so in the release, {} left as notes",
        outcome.applied,
        outcome.already,
        outcome.not_applied.len()
    )?;
    for n in outcome.not_applied {
        writeln!(
            out,
            "  note: {}: {} '{}': not applied, {}",
            n.file, n.code, n.action, n.why
        )?;
    }
    Ok(corrected)
}

/// `import --corrections FILE`: keeps a corrections file with a stored release.
fn keep_corrections(
    store: &Store,
    file: &std::path::Path,
    release: Option<ReleaseId>,
    force: bool,
    out: &mut dyn Write,
) -> Result<u8> {
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let release = release
        .or_else(|| hcpcs_diff::source::release_from_name(&name))
        .ok_or_else(|| anyhow::anyhow!("{name}: cannot tell which release these corrections are for: give --release YYYY-MM"))?;
    let files = hcpcs_diff::load_corrections(file)?;
    anyhow::ensure!(
        !files.is_empty(),
        "{name}: holds no corrections file (a name with 'correction' in it)"
    );
    let lock = store.lock()?;
    if !store.releases()?.contains(&release) {
        return Err(hcpcs_diff::store::StoreError::Missing(release).into());
    }
    let kept = store.add_corrections_replacing(release, files, force)?;
    lock.succeeded();
    let mut said = Vec::new();
    say_kept(&mut said, release, &kept)?;
    super::say_stored(out, &said);
    Ok(exit::OK)
}

fn say_kept(
    out: &mut dyn Write,
    release: ReleaseId,
    (kept, replaced): &(Vec<Added>, Option<String>),
) -> Result<()> {
    if let Some(file) = replaced {
        writeln!(
            out,
            "{release}: replaced the damaged {file} (what it held could not be read)"
        )?;
    }
    for k in kept {
        match k {
            Added::Added(name) => writeln!(out, "{release}: kept corrections {name}")?,
            Added::AlreadyKept(name) => {
                writeln!(out, "{release}: corrections {name} already kept, unchanged")?
            }
        }
    }
    Ok(())
}

/// What storing did, for the import's line; a new revision that looks like an earlier posting
/// than the one it follows is also said on `err`.
fn verb(saved: &Saved, new: &SourceInfo, err: &mut dyn Write) -> Result<String> {
    Ok(match saved {
        Saved::Created => "imported".to_string(),
        Saved::Unchanged => "already stored, unchanged".to_string(),
        Saved::SameRecords(old) => format!(
            "already stored from {} (sha256 {}) with the same records, unchanged",
            old.display(),
            old.sha256
        ),
        Saved::Replaced(old) => format!(
            "replaced the snapshot from {} (sha256 {})",
            old.file, old.sha256
        ),
        Saved::Revision {
            number,
            previous,
            kept,
            same_as,
        } => {
            let before = number - 1;
            if let Some(why) = looks_earlier(new, previous) {
                writeln!(
                    err,
                    "note: {} looks like an earlier posting than revision {before} ({}, sha256 \
                     {}): {why}; it is revision {number}, the current one, because it was \
                     imported last; if revision {before} is the later posting, import its file \
                     again to make it current",
                    new.display(),
                    previous.display(),
                    previous.sha256
                )?;
            }
            let again = same_as
                .map(|n| format!(", the same file as revision {n}"))
                .unwrap_or_default();
            format!(
                "revision {number} from {} (sha256 {}{again}), revision {before} kept as {}; \
                 revision {number} is current",
                new.display(),
                new.sha256,
                kept.display()
            )
        }
    })
}
