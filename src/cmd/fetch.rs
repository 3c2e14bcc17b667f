//! `fetch RELEASE`: download a release zip, keep it and import it.

use std::io::Write;

use anyhow::Result;

use hcpcs_diff::model::ReleaseId;
use hcpcs_diff::store::{Saved, Store};
use hcpcs_diff::{check, exit};

use super::args::NetworkArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The release, YYYY-MM (YYYY means January).
    release: ReleaseId,
    /// Download exactly this URL instead of looking the release up.
    #[arg(long)]
    url: Option<String>,
    #[command(flatten)]
    network: NetworkArgs,
    /// Replace the current revision of a stored release whose content differs, instead of
    /// storing a new revision.
    #[arg(long)]
    force: bool,
}

pub fn run(store: &Store, args: Args, out: &mut dyn Write) -> Result<u8> {
    let options = args.network.options(args.url);
    let done = check::fetch_release(store, args.release, &options, args.force)?;
    let verb = match &done.saved {
        Saved::Created => "imported".to_string(),
        Saved::Unchanged | Saved::SameRecords(_) => "already stored, unchanged".to_string(),
        Saved::Replaced(_) => "replaced the stored snapshot".to_string(),
        Saved::Revision { number, kept, .. } => format!(
            "a re-post: revision {number}, now current; revision {} kept as {}",
            number - 1,
            kept.display()
        ),
    };
    let mut said = Vec::new();
    writeln!(
        said,
        "{}: release {}: {} procedure codes, {} modifiers; {verb}; zip kept as {} (sha256 {})",
        done.url,
        done.release,
        done.counts.procedure,
        done.counts.modifier,
        done.zip.display(),
        done.sha256
    )?;
    for line in &done.said {
        writeln!(said, "{line}")?;
    }
    super::say_stored(out, &said);
    Ok(exit::OK)
}
