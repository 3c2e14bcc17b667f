//! `import SOURCE`: read a release file into the store.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;

use hcpcs_diff::model::ReleaseId;
use hcpcs_diff::model::SourceInfo;
use hcpcs_diff::store::{Saved, Store, looks_earlier};
use hcpcs_diff::{ReadOptions, ReleaseFrom, exit};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The release file or folder.
    source: PathBuf,
    /// Release id YYYY-MM (YYYY means January); inferred from the name or content if absent.
    #[arg(long)]
    release: Option<ReleaseId>,
    /// Treat any warning about the input as an error.
    #[arg(long)]
    strict: bool,
    /// Replace the current revision of a stored release whose content differs (a wrong
    /// import), instead of storing a new revision.
    #[arg(long)]
    force: bool,
}

pub fn run(store: &Store, args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8> {
    let options = ReadOptions {
        release: args.release,
        strict: args.strict,
    };
    let loaded = hcpcs_diff::load_path(&args.source, options)?;
    let file = loaded.snapshot.provenance.source.display();
    for w in &loaded.warnings {
        writeln!(err, "warning: {file}: {w}")?;
    }
    let p = &loaded.snapshot.provenance;
    let how = match &loaded.release_from {
        ReleaseFrom::Given => "as given".to_string(),
        ReleaseFrom::Name(n) => format!("from the name {n}"),
        ReleaseFrom::Content => {
            "from the content: most recent quarter in which codes' actions take effect".to_string()
        }
    };
    // One writer at a time: a second import of the release waits here, then finds it stored.
    let _lock = store.lock()?;
    let saved = store.save(&loaded.snapshot, args.force)?;
    let verb = verb(&saved, &loaded.snapshot.provenance.source, err)?;
    let n = loaded.warnings.len();
    writeln!(
        out,
        "{}: release {} ({how}): {} procedure codes, {} modifiers, {n} warning{}; {verb} in {}",
        args.source.display(),
        p.release,
        p.counts.procedure,
        p.counts.modifier,
        if n == 1 { "" } else { "s" },
        store.path_of(p.release).display()
    )?;
    Ok(exit::OK)
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
