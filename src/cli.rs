//! The command line: clap types and what each command does with the library. Nothing else in
//! the crate imports clap; nothing here formats a report.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use std::io::IsTerminal;

use hcpcs_diff::diff::{self, Change, Filter};
use hcpcs_diff::model::{Kind, ReleaseId};
use hcpcs_diff::report::changes::Style;
use hcpcs_diff::report::{self, ShowFormat};
use hcpcs_diff::store::Snapshot;
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
    /// Say what changed between two releases (exit 1 when something did, after filters).
    Diff {
        /// The older release: a release id in the store, or a release file or folder.
        old: String,
        /// The newer release: a release id in the store, or a release file or folder.
        new: String,
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
        /// Only this code (repeatable).
        #[arg(long = "code", value_name = "CODE")]
        codes: Vec<String>,
        /// Only codes starting with this (repeatable), e.g. E or E04.
        #[arg(long = "prefix", value_name = "PREFIX")]
        prefixes: Vec<String>,
        /// Only procedure codes or only modifiers.
        #[arg(long, value_enum)]
        kind: Option<KindArg>,
        /// Only these kinds of change, comma-separated.
        #[arg(long, value_enum, value_delimiter = ',')]
        only: Vec<ChangeArg>,
        /// Leave out codes whose only changes are case, spacing or punctuation.
        #[arg(long)]
        hide_cosmetic: bool,
    },
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
pub enum DiffFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    Procedure,
    Modifier,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ChangeArg {
    Added,
    Retired,
    Dropped,
    Reinstated,
    Changed,
}

impl From<ChangeArg> for Change {
    fn from(c: ChangeArg) -> Self {
        match c {
            ChangeArg::Added => Change::Added,
            ChangeArg::Retired => Change::Retired,
            ChangeArg::Dropped => Change::Dropped,
            ChangeArg::Reinstated => Change::Reinstated,
            ChangeArg::Changed => Change::Changed,
        }
    }
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
            let file = loaded.snapshot.provenance.source.display();
            for w in &loaded.warnings {
                writeln!(err, "warning: {file}: {w}")?;
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
                "{}: release {} ({how}): {} procedure codes, {} modifiers, {} warning{}; {verb} in {}",
                source.display(),
                p.release,
                p.counts.procedure,
                p.counts.modifier,
                loaded.warnings.len(),
                if loaded.warnings.len() == 1 { "" } else { "s" },
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
        Command::Diff {
            old,
            new,
            format,
            codes,
            prefixes,
            kind,
            only,
            hide_cosmetic,
        } => {
            let old = snapshot_of(&store, &old)?;
            let new = snapshot_of(&store, &new)?;
            let filter = Filter {
                codes: codes
                    .iter()
                    .map(|c| c.trim().to_ascii_uppercase())
                    .collect(),
                prefixes: prefixes
                    .iter()
                    .map(|c| c.trim().to_ascii_uppercase())
                    .collect(),
                kind: kind.map(|k| match k {
                    KindArg::Procedure => Kind::Procedure,
                    KindArg::Modifier => Kind::Modifier,
                }),
                only: only.into_iter().map(Change::from).collect(),
                hide_cosmetic,
            };
            let set = filter.apply(diff::diff(&old, &new));
            match format {
                DiffFormat::Text => {
                    let color =
                        std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
                    report::changes::text(out, &set, Style { color })?
                }
                DiffFormat::Json => report::changes::json(out, &set)?,
            }
            Ok(if set.changes.is_empty() {
                exit::OK
            } else {
                exit::CHANGES
            })
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

/// A stored release by id, or a release file read on the fly (not stored).
fn snapshot_of(store: &Store, arg: &str) -> Result<Snapshot> {
    let path = std::path::Path::new(arg);
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
