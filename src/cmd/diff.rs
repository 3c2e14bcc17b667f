//! `diff OLD NEW`: what changed between two releases, stored or read on the fly.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;

use hcpcs_diff::diff::Filter;
use hcpcs_diff::model::{ReleaseId, Snapshot};
use hcpcs_diff::store::Store;
use hcpcs_diff::{ReadOptions, diff, exit, report};

use super::args::{ChangeArg, FilterArgs, FormatArg};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The older release: a release id in the store, or a release file or folder.
    old: String,
    /// The newer release: a release id in the store, or a release file or folder.
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
}

pub fn run(store: &Store, args: Args, out: &mut dyn Write) -> Result<u8> {
    super::args::check_excel(args.excel, args.format)?;
    let filter = args.filter.into_filter(args.only, args.hide_cosmetic)?;
    let (old, new, stored) = snapshots_of(store, &args.old, &args.new)?;
    if old.release() > new.release() {
        return Err(hcpcs_diff::Error::Order {
            old: old.release(),
            new: new.release(),
        }
        .into());
    }
    check_names(store, &filter, &old, &new, stored)?;
    let mut set = diff::diff(&old, &new);
    if stored {
        // CMS's corrections kept with either release account for some changes.
        let (a, b) = (
            store.corrections(old.release())?,
            store.corrections(new.release())?,
        );
        let kept = |release, files| diff::corrections::Kept { release, files };
        diff::corrections::explain(&mut set, kept(old.release(), &a), kept(new.release(), &b));
    }
    let set = filter.apply(set);
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

/// Every code and range the filters name must be in OLD or NEW. Snapshots trimmed for the
/// diff (`stored`) lack unchanged codes, so the store is asked for every code.
fn check_names(
    store: &Store,
    filter: &Filter,
    old: &Snapshot,
    new: &Snapshot,
    stored: bool,
) -> Result<()> {
    if !filter.names_codes() {
        return Ok(());
    }
    let checked = if stored {
        let (a, b) = (store.codes(old.release())?, store.codes(new.release())?);
        filter.check_names(a.iter().chain(&b).map(String::as_str))
    } else {
        let records = old.records.iter().chain(&new.records);
        filter.check_names(records.map(|r| r.code.as_str()))
    };
    Ok(checked.map_err(hcpcs_diff::Error::from)?)
}

/// The two sides of a diff: two stored releases are read trimmed to what the diff can see
/// (`Store::load_for_diff`; the flag says so), anything else in full.
fn snapshots_of(store: &Store, old: &str, new: &str) -> Result<(Snapshot, Snapshot, bool)> {
    let stored = |arg: &str| {
        arg.parse::<ReleaseId>()
            .ok()
            .filter(|_| !Path::new(arg).exists())
    };
    if let (Some(a), Some(b)) = (stored(old), stored(new)) {
        let (x, y) = store.load_for_diff(a, b)?;
        return Ok((x, y, true));
    }
    Ok((snapshot_of(store, old)?, snapshot_of(store, new)?, false))
}

/// A stored release by id, or a release file read on the fly (not stored).
fn snapshot_of(store: &Store, arg: &str) -> Result<Snapshot> {
    let path = Path::new(arg);
    if let Ok(release) = arg.parse::<ReleaseId>()
        && !path.exists()
    {
        return Ok(store.load(release)?);
    }
    if path.exists() {
        return Ok(hcpcs_diff::load_path(path, ReadOptions::default())?.snapshot);
    }
    anyhow::bail!("'{arg}' is neither a release id (YYYY-MM) nor a file or folder")
}
