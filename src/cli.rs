//! The command line: clap types and what each command does with the library. Nothing else in
//! the crate imports clap; nothing here formats a report.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use hcpcs_diff::model::ReleaseId;
use hcpcs_diff::report::{self, ShowFormat};
use hcpcs_diff::store::{Saved, Store};
use hcpcs_diff::{ReadOptions, ReleaseFrom, exit};

const EXIT_STATUS_HELP: &str = "\
Exit status:
  0  success (diff, check: no changes after filters)
  1  changes found (diff, check)
  2  error: bad input, unknown release, store problem; nothing stored was changed";

/// Track the CMS HCPCS Level II code set from release to release.
#[derive(Debug, Parser)]
#[command(name = "hcpcs-diff", version, about, after_help = EXIT_STATUS_HELP)]
pub struct Cli {
    /// Snapshot store folder.
    #[arg(
        long,
        global = true,
        env = "HCPCS_DIFF_STORE",
        default_value = "snapshots"
    )]
    pub store: PathBuf,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read a release (zip, folder, text, xlsx, xls or csv) into the store.
    Import {
        /// The release file or folder.
        source: PathBuf,
        /// Release id YYYY-MM (YYYY means January); inferred from the name or content if absent.
        #[arg(long)]
        release: Option<ReleaseId>,
        /// Treat any warning about the input as an error.
        #[arg(long)]
        strict: bool,
        /// Replace a stored release whose content differs.
        #[arg(long)]
        force: bool,
    },
    /// List the releases in the store, with counts and provenance.
    List,
    /// Show one code or modifier with every field decoded into words.
    Show {
        /// The code (E1392) or modifier (RR).
        code: String,
        /// The release to read; the newest stored one if absent.
        #[arg(long)]
        release: Option<ReleaseId>,
        #[arg(long, value_enum, default_value_t = ShowFormatArg::Text)]
        format: ShowFormatArg,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ShowFormatArg {
    Text,
    Json,
}

impl From<ShowFormatArg> for ShowFormat {
    fn from(f: ShowFormatArg) -> Self {
        match f {
            ShowFormatArg::Text => ShowFormat::Text,
            ShowFormatArg::Json => ShowFormat::Json,
        }
    }
}

/// Runs the command; returns the exit status for a success (an `Err` is status 2).
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8> {
    let store = Store::new(&cli.store);
    match cli.command {
        Command::Import {
            source,
            release,
            strict,
            force,
        } => {
            let loaded = hcpcs_diff::load_path(&source, ReadOptions { release, strict })?;
            for w in &loaded.warnings {
                writeln!(
                    err,
                    "warning: {}: {w}",
                    loaded
                        .snapshot
                        .provenance
                        .source
                        .member
                        .as_deref()
                        .unwrap_or(&loaded.snapshot.provenance.source.file)
                )?;
            }
            let p = &loaded.snapshot.provenance;
            let how = match &loaded.release_from {
                ReleaseFrom::Given => "as given".to_string(),
                ReleaseFrom::Name(n) => format!("from the name {n}"),
                ReleaseFrom::Content => {
                    "from the content: most recent quarter in which codes' actions take effect"
                        .to_string()
                }
            };
            let saved = store.save(&loaded.snapshot, force)?;
            let verb = match &saved {
                Saved::Created => "imported".to_string(),
                Saved::Unchanged => "already stored, unchanged".to_string(),
                Saved::Replaced(old) => format!(
                    "replaced the snapshot from {} (sha256 {})",
                    old.file, old.sha256
                ),
            };
            writeln!(
                out,
                "{}: release {} ({how}): {} procedure codes, {} modifiers, {} warnings; {verb} in {}",
                source.display(),
                p.release,
                p.counts.procedure,
                p.counts.modifier,
                loaded.warnings.len(),
                store.path_of(p.release).display()
            )?;
            Ok(exit::OK)
        }
        Command::List => {
            let releases = store.releases()?;
            if releases.is_empty() {
                writeln!(err, "the store {} is empty", store.dir().display())?;
            }
            for r in releases {
                let p = store.provenance(r)?;
                let member = p
                    .source
                    .member
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{}  {:>5} codes  {:>4} modifiers  {}{member}  sha256 {}",
                    p.release,
                    p.counts.procedure,
                    p.counts.modifier,
                    p.source.file,
                    &p.source.sha256[..12]
                )?;
            }
            Ok(exit::OK)
        }
        Command::Show {
            code,
            release,
            format,
        } => {
            let release = match release {
                Some(r) => r,
                None => store.latest()?,
            };
            let snapshot = store.load(release)?;
            let code = code.trim().to_ascii_uppercase();
            let record = snapshot
                .get(&code)
                .with_context(|| format!("{code} is not in release {release}"))?;
            match ShowFormat::from(format) {
                ShowFormat::Text => report::show::text(out, release, record)?,
                ShowFormat::Json => report::show::json(out, release, record)?,
            }
            Ok(exit::OK)
        }
    }
}
