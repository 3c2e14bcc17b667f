//! The command line: clap types and what each command does with the library. Nothing else in
//! the crate imports clap; nothing here formats a report.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use hcpcs_diff::check::{self, CheckOptions, CheckOutcome};
use hcpcs_diff::diff::{self, Change, CodeRange, Filter};
use hcpcs_diff::fetch::FetchOptions;
use hcpcs_diff::model::{Kind, ReleaseId};
use hcpcs_diff::report::{self, Format, ShowFormat};
use hcpcs_diff::store::{Saved, Snapshot, Store, write_atomically};
use hcpcs_diff::{ReadOptions, ReleaseFrom, exit};

const EXIT_STATUS_HELP: &str = "\
Exit status:
  0  success (diff: no changes after filters; check: nothing new or nothing watched changed)
  1  changes found (diff; check: a new release changed watched codes)
  2  error: bad input, unknown release, store, download or webhook problem; nothing stored was changed";

const CHECK_STATUS_HELP: &str = "\
Exit status:
  0  nothing new, or nothing watched changed
  1  a new release was imported and watched codes changed
  2  error (download, input, store, webhook); nothing was stored, the next run tries again";

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
    /// Say what changed between two releases (exit 1 when something did, after filters).
    #[command(after_help = EXIT_STATUS_HELP)]
    Diff {
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
        #[command(flatten)]
        filter: FilterArgs,
        /// Only these kinds of change, comma-separated.
        #[arg(long, value_enum, value_delimiter = ',')]
        only: Vec<ChangeArg>,
        /// Leave out codes whose only changes are case, spacing or punctuation.
        #[arg(long)]
        hide_cosmetic: bool,
    },
    /// Download a release from CMS (or a mirror), keep the zip and import it.
    Fetch {
        /// The release, YYYY-MM (YYYY means January).
        release: ReleaseId,
        /// Download exactly this URL instead of looking the release up.
        #[arg(long)]
        url: Option<String>,
        #[command(flatten)]
        network: NetworkArgs,
        /// Replace a stored release whose content differs.
        #[arg(long)]
        force: bool,
    },
    /// For cron: fetch whatever CMS posted after the newest stored release, diff, report, notify.
    #[command(after_help = CHECK_STATUS_HELP)]
    Check {
        #[command(flatten)]
        filter: FilterArgs,
        /// Report format.
        #[arg(long, value_enum, default_value_t = FormatArg::Text)]
        format: FormatArg,
        /// Write the report to FILE (atomically) instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// POST the JSON changeset to this URL when there is something new.
        #[arg(long, value_name = "URL")]
        notify: Option<String>,
        #[command(flatten)]
        network: NetworkArgs,
    },
    /// Write a stored release as CSV: one row per code, every field.
    Export {
        release: ReleaseId,
        /// Write to FILE (atomically) instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// A code's timeline across every stored release.
    History {
        /// The code (E1392) or modifier (RR).
        code: String,
        #[arg(long, value_enum, default_value_t = HistoryFormat::Text)]
        format: HistoryFormat,
    },
}

/// Where releases are downloaded from, and how patiently.
#[derive(Debug, clap::Args)]
pub struct NetworkArgs {
    /// Where CMS's paths hang from: a mirror's URL, or a local folder of zips named as CMS names them.
    #[arg(long, env = "HCPCS_DIFF_BASE_URL", default_value = hcpcs_diff::fetch::catalogue::CMS_BASE_URL)]
    base_url: String,
    /// Seconds to wait for a connection or for any read.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Further attempts after a 5xx answer, a connection error or a timeout (never after 404).
    #[arg(long, default_value_t = 3)]
    retries: u32,
    /// Largest download accepted, in megabytes.
    #[arg(long, default_value_t = 200)]
    max_mb: u64,
}

impl NetworkArgs {
    fn options(self, url: Option<String>) -> FetchOptions {
        FetchOptions {
            base_url: self.base_url,
            url,
            timeout: Duration::from_secs(self.timeout),
            retries: self.retries,
            max_bytes: self.max_mb * 1024 * 1024,
            progress: std::io::stderr().is_terminal(),
            ..FetchOptions::default()
        }
    }
}

/// Which codes a report covers; several options add up.
#[derive(Debug, clap::Args)]
pub struct FilterArgs {
    /// Only this code (repeatable).
    #[arg(long = "code", value_name = "CODE")]
    codes: Vec<String>,
    /// Only codes starting with this (repeatable), e.g. E or E04.
    #[arg(long = "prefix", value_name = "PREFIX")]
    prefixes: Vec<String>,
    /// Only codes in this range (repeatable), e.g. E0424-E1406.
    #[arg(long = "range", value_name = "FIRST-LAST")]
    ranges: Vec<CodeRange>,
    /// Only codes listed in FILE: one code or range per line, # comments.
    #[arg(long, value_name = "FILE")]
    watch: Option<PathBuf>,
    /// Only procedure codes or only modifiers.
    #[arg(long, value_enum)]
    kind: Option<KindArg>,
}

impl FilterArgs {
    fn into_filter(self, only: Vec<ChangeArg>, hide_cosmetic: bool) -> Result<Filter> {
        let mut ranges = self.ranges;
        if let Some(path) = &self.watch {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
            ranges.extend(
                diff::watch::parse(&path.display().to_string(), &text)
                    .map_err(hcpcs_diff::Error::from)?,
            );
        }
        Ok(Filter {
            codes: self
                .codes
                .iter()
                .map(|c| c.trim().to_ascii_uppercase())
                .collect(),
            prefixes: self
                .prefixes
                .iter()
                .map(|c| c.trim().to_ascii_uppercase())
                .collect(),
            ranges,
            kind: self.kind.map(|k| match k {
                KindArg::Procedure => Kind::Procedure,
                KindArg::Modifier => Kind::Modifier,
            }),
            only: only.into_iter().map(Change::from).collect(),
            hide_cosmetic,
        })
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Text,
    Markdown,
    Json,
    Csv,
    Html,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Text => Format::Text,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Json => Format::Json,
            FormatArg::Csv => Format::Csv,
            FormatArg::Html => Format::Html,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum HistoryFormat {
    Text,
    Markdown,
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
        } => import(&store, &source, release, strict, force, out, err),
        Command::List => list(&store, out, err),
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
        Command::Diff {
            old,
            new,
            format,
            output,
            filter,
            only,
            hide_cosmetic,
        } => {
            let filter = filter.into_filter(only, hide_cosmetic)?;
            let (old, new) = snapshots_of(&store, &old, &new)?;
            let set = filter.apply(diff::diff(&old, &new));
            let color = output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none();
            let mut rendered = Vec::new();
            report::render(&mut rendered, &set, format.into(), color)?;
            emit(out, output.as_deref(), &rendered)?;
            Ok(if set.changes.is_empty() {
                exit::OK
            } else {
                exit::CHANGES
            })
        }
        Command::Fetch {
            release,
            url,
            network,
            force,
        } => {
            let done = check::fetch_release(&store, release, &network.options(url), force)?;
            let verb = match &done.saved {
                Saved::Created => "imported",
                Saved::Unchanged => "already stored, unchanged",
                Saved::Replaced(_) => "replaced the stored snapshot",
            };
            writeln!(
                out,
                "{}: release {}: {} procedure codes, {} modifiers; {verb}; zip kept as {} (sha256 {})",
                done.url,
                done.release,
                done.counts.procedure,
                done.counts.modifier,
                done.zip.display(),
                done.sha256
            )?;
            Ok(exit::OK)
        }
        Command::Check {
            filter,
            format,
            output,
            notify,
            network,
        } => {
            let options = CheckOptions {
                fetch: network.options(None),
                filter: filter.into_filter(Vec::new(), false)?,
                format: format.into(),
                output: output.clone(),
                notify,
            };
            match check::check(&store, &options)? {
                CheckOutcome::NothingNew { newest, probed } => {
                    // Cron mails any output: say nothing unless someone is watching.
                    if std::io::stderr().is_terminal() {
                        writeln!(
                            err,
                            "nothing new: {probed} is not posted yet (newest stored: {newest})"
                        )?;
                    }
                    Ok(exit::OK)
                }
                CheckOutcome::Imported {
                    imported,
                    changeset,
                    report,
                } => {
                    let list: Vec<String> = imported.iter().map(ToString::to_string).collect();
                    writeln!(err, "imported {}", list.join(", "))?;
                    if output.is_none() {
                        out.write_all(&report)?;
                    }
                    Ok(if changeset.changes.is_empty() {
                        exit::OK
                    } else {
                        exit::CHANGES
                    })
                }
            }
        }
        Command::Export { release, output } => {
            let snapshot = store.load(release)?;
            let mut rendered = Vec::new();
            report::export::csv(&mut rendered, &snapshot)?;
            emit(out, output.as_deref(), &rendered)?;
            Ok(exit::OK)
        }
        Command::History { code, format } => {
            let code = code.trim().to_ascii_uppercase();
            let snapshots = store
                .releases()?
                .into_iter()
                .map(|r| store.load(r))
                .collect::<Result<Vec<_>, _>>()?;
            if snapshots.is_empty() {
                return Err(hcpcs_diff::store::StoreError::Empty.into());
            }
            let history = diff::history::history(&code, &snapshots);
            if history.events.is_empty() {
                anyhow::bail!(
                    "{code} is in none of the {} stored releases",
                    snapshots.len()
                );
            }
            match format {
                HistoryFormat::Text => report::history::text(out, &history)?,
                HistoryFormat::Markdown => report::history::markdown(out, &history)?,
                HistoryFormat::Json => report::history::json(out, &history)?,
            }
            Ok(exit::OK)
        }
    }
}

fn import(
    store: &Store,
    source: &Path,
    release: Option<ReleaseId>,
    strict: bool,
    force: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8> {
    let loaded = hcpcs_diff::load_path(source, ReadOptions { release, strict })?;
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
    let saved = store.save(&loaded.snapshot, force)?;
    let verb = match &saved {
        Saved::Created => "imported".to_string(),
        Saved::Unchanged => "already stored, unchanged".to_string(),
        Saved::Replaced(old) => format!(
            "replaced the snapshot from {} (sha256 {})",
            old.file, old.sha256
        ),
    };
    let n = loaded.warnings.len();
    writeln!(
        out,
        "{}: release {} ({how}): {} procedure codes, {} modifiers, {n} warning{}; {verb} in {}",
        source.display(),
        p.release,
        p.counts.procedure,
        p.counts.modifier,
        if n == 1 { "" } else { "s" },
        store.path_of(p.release).display()
    )?;
    Ok(exit::OK)
}

fn list(store: &Store, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8> {
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

/// Writes a rendered report to `path` atomically, or to `out`.
fn emit(out: &mut dyn Write, path: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match path {
        Some(path) => write_atomically(path, bytes).with_context(|| format!("{}", path.display())),
        None => Ok(out.write_all(bytes)?),
    }
}

/// The two sides of a diff: two stored releases are read trimmed to what the diff can see
/// (`Store::load_for_diff`), anything else in full.
fn snapshots_of(store: &Store, old: &str, new: &str) -> Result<(Snapshot, Snapshot)> {
    let stored = |arg: &str| {
        arg.parse::<ReleaseId>()
            .ok()
            .filter(|_| !Path::new(arg).exists())
    };
    if let (Some(a), Some(b)) = (stored(old), stored(new)) {
        return Ok(store.load_for_diff(a, b)?);
    }
    Ok((snapshot_of(store, old)?, snapshot_of(store, new)?))
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
