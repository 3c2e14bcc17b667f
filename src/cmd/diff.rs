//! `diff OLD NEW`: what changed between two releases, stored or read on the fly.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;

use hcpcs_diff::diff::Filter;
use hcpcs_diff::model::Snapshot;
use hcpcs_diff::store::{RevisionId, Store};
use hcpcs_diff::{ReadOptions, diff, exit, report};

use super::args::{ChangeArg, FilterArgs, FormatArg};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The older release: a release id in the store (YYYY-MM@N for one of its revisions), or
    /// a release file or folder.
    old: String,
    /// The newer release: a release id in the store (YYYY-MM@N for one of its revisions), or
    /// a release file or folder.
    new: String,
    /// Report format.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// With --format csv: start with a UTF-8 byte-order mark, so that Excel reads accented
    /// and other non-ASCII characters right.
    #[arg(long)]
    excel: bool,
    #[command(flatten)]
    filter: FilterArgs,
    /// Only these kinds of change, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<ChangeArg>,
    /// Leave out codes whose only changes are case, spacing or punctuation.
    #[arg(long)]
    hide_cosmetic: bool,
    /// The time the report says it was made (RFC 3339, e.g. 2026-01-02T03:04:05Z) instead of
    /// now: for reports that must come out the same each run.
    #[arg(long, value_name = "TIME", env = "HCPCS_DIFF_GENERATED_AT", value_parser = super::args::generated_at)]
    generated_at: Option<String>,
}

pub fn run(store: &Store, args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8> {
    super::output::refuse_in_store(store, args.output.as_deref())?;
    // OLD and NEW are read as files only where they are files (else they are stored ids).
    let read = [args.old.as_str(), args.new.as_str()].map(Path::new);
    let inputs =
        (args.filter.watch_file().into_iter()).chain(read.into_iter().filter(|p| p.exists()));
    super::output::refuse_input(args.output.as_deref(), inputs)?;
    super::args::check_excel(args.excel, args.format)?;
    let filter = args.filter.into_filter(args.only, args.hide_cosmetic)?;
    for arg in [&args.old, &args.new] {
        if let Some(id) = stored(store, arg)
            && Path::new(arg).exists()
        {
            writeln!(
                err,
                "note: '{arg}' is the stored release {id}; a file or folder of that name is here too: write ./{arg} to read it"
            )?;
        }
    }
    if small(store, &args.old, &args.new) {
        super::small_pages();
    }
    let sides = sides_of(store, &args.old, &args.new)?;
    let (old, new) = (&sides.old, &sides.new);
    if old.release() > new.release() {
        return Err(hcpcs_diff::Error::Order {
            old: old.release(),
            new: new.release(),
        }
        .into());
    }
    check_names(store, &filter, &sides)?;
    let mut set = diff::diff(old, new);
    if sides.stored {
        // CMS's corrections kept with either release account for some changes.
        let (a, b) = (
            store.corrections(old.release())?,
            store.corrections(new.release())?,
        );
        let kept = |release, files| diff::corrections::Kept { release, files };
        diff::corrections::explain(&mut set, kept(old.release(), &a), kept(new.release(), &b));
    }
    let mut set = filter.apply(set);
    (set.old.revision, set.new.revision) = (sides.ids.0.revision, sides.ids.1.revision);
    set.context.generated_at = Some(super::args::made_at(args.generated_at));
    let options = super::render_options(args.output.as_deref(), args.excel);
    let mut rendered = Vec::new();
    report::render(&mut rendered, &set, args.format.into(), &options)?;
    super::emit(out, args.output.as_deref(), &rendered)?;
    Ok(if set.changes.is_empty() {
        exit::OK
    } else {
        exit::CHANGES
    })
}

/// The two sides of a diff. `ids` name the stored sides (a file read on the fly has none);
/// their revision numbers are set where the report names revisions.
struct Sides {
    old: Snapshot,
    new: Snapshot,
    ids: (RevisionId, RevisionId),
    /// Both sides are stored, trimmed to what the diff can see (`Store::load_for_diff`).
    stored: bool,
}

/// Every code and range the filters name must be in OLD or NEW. Snapshots trimmed for the
/// diff (`stored`) lack unchanged codes, so the store is asked for every code.
fn check_names(store: &Store, filter: &Filter, sides: &Sides) -> Result<()> {
    if !filter.names_codes() {
        return Ok(());
    }
    let codes = |id: RevisionId| match id.revision {
        Some(_) => store.revision_codes(id),
        None => store.codes(id.release),
    };
    let checked = if sides.stored {
        let (a, b) = (codes(sides.ids.0)?, codes(sides.ids.1)?);
        filter.check_names(a.iter().chain(&b).map(String::as_str))
    } else {
        let records = sides.old.records.iter().chain(&sides.new.records);
        filter.check_names(records.map(|r| r.code.as_str()))
    };
    Ok(checked.map_err(hcpcs_diff::Error::from)?)
}

/// Both sides are stored releases of at most 64 MiB together: CMS's real releases are 2-3 MB,
/// so what a diff of them holds is a few megabytes (see `small_pages`); a diff of a million
/// codes holds a hundred and more, where huge pages save faults.
fn small(store: &Store, old: &str, new: &str) -> bool {
    let size = |arg: &str| {
        let id = stored(store, arg)?;
        let path = match id.revision {
            Some(_) => return None,
            None => store.path_of(id.release),
        };
        Some(std::fs::metadata(path).ok()?.len())
    };
    matches!((size(old), size(new)), (Some(a), Some(b)) if a.saturating_add(b) <= 64 << 20)
}

/// A stored release (`2019-01`) or revision (`2019-01@2`). An argument that reads as an id is
/// the stored release even when a file or folder here has that name (an id holds no `/` and no
/// extension, so `./2019-01` reads the folder); only a release the store does not have leaves
/// the name to the file or folder.
fn stored(store: &Store, arg: &str) -> Option<RevisionId> {
    let id = arg.parse::<RevisionId>().ok()?;
    (store.path_of(id.release).is_file() || !Path::new(arg).exists()).then_some(id)
}

/// The two sides of a diff: two stored releases or revisions are read trimmed to what the diff
/// can see, anything else in full.
fn sides_of(store: &Store, old: &str, new: &str) -> Result<Sides> {
    match (stored(store, old), stored(store, new)) {
        (Some(a), Some(b)) if a.revision.is_none() && b.revision.is_none() => {
            let (old, new) = store.load_for_diff(a.release, b.release)?;
            let stored = true;
            Ok(Sides {
                old,
                new,
                ids: (a, b),
                stored,
            })
        }
        (Some(a), Some(b)) => revisions_of(store, a, b),
        _ => {
            let (old, a) = snapshot_of(store, old)?;
            let (new, b) = snapshot_of(store, new)?;
            let stored = false;
            Ok(Sides {
                old,
                new,
                ids: (a, b),
                stored,
            })
        }
    }
}

/// Two stored sides, one of them a revision (`2019-01@1`): both are numbered when they are of
/// one release (plain `2019-01` is its current revision), and must be in posting order.
fn revisions_of(store: &Store, a: RevisionId, b: RevisionId) -> Result<Sides> {
    let number = |id: RevisionId| -> Result<RevisionId> {
        if id.revision.is_some() || a.release == b.release {
            Ok(store.revision(id)?.id())
        } else {
            Ok(id)
        }
    };
    let (a, b) = (number(a)?, number(b)?);
    if a.release == b.release && a.revision > b.revision {
        anyhow::bail!("OLD ({a}) is a later revision than NEW ({b}); swap them");
    }
    let (old, new) = store.load_revisions_for_diff(a, b)?;
    Ok(Sides {
        old,
        new,
        ids: (a, b),
        stored: true,
    })
}

/// A stored release or revision by id, or a release file read on the fly (not stored); the
/// id names a revision only when the argument did.
fn snapshot_of(store: &Store, arg: &str) -> Result<(Snapshot, RevisionId)> {
    let path = Path::new(arg);
    if let Some(id) = stored(store, arg) {
        let snapshot = match id.revision {
            Some(_) => store.load_revision(id)?,
            None => store.load(id.release)?,
        };
        return Ok((snapshot, id));
    }
    if path.exists() {
        let snapshot = hcpcs_diff::load_path(path, ReadOptions::default())?.snapshot;
        let id = RevisionId {
            release: snapshot.release(),
            revision: None,
        };
        return Ok((snapshot, id));
    }
    if arg.contains('@') {
        anyhow::bail!(
            "'{arg}' is neither a revision id (YYYY-MM@N, N from 1: 2019-01@1 is the first posting) nor a file or folder"
        )
    }
    anyhow::bail!("'{arg}' is neither a release id (YYYY-MM) nor a file or folder")
}
