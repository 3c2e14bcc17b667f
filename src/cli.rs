//! The command line: the top-level clap types and the dispatch to `cmd`, one module per
//! command. Only this module and `cmd` know clap; nothing here formats a report.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::{CommandFactory, Parser, Subcommand};

use hcpcs_diff::store::Store;

use crate::cmd;

const EXIT_STATUS_HELP: &str = "\
Exit status:
  0  success (diff: no changes after filters; check: nothing new or nothing watched changed; audit: every code active and unchanged)
  1  changes found (diff; check: a new release or a re-post of the newest changed watched codes; audit: a code or row needs attention; show --on: the code was not valid that day)
  2  error: bad input, unknown release, store, download or webhook problem, or a report that could not be written (a closed pipe, a full disk); nothing stored was changed";

const CHECK_STATUS_HELP: &str = "\
Exit status:
  0  nothing new (the newest release's posting unchanged), or nothing watched changed
  1  a new release, or a re-post of the newest (stored as a new revision), changed watched codes
  2  error (download, input, store, webhook, a report that could not be written); nothing was stored, the next run tries again";

const AUDIT_STATUS_HELP: &str = "\
Exit status:
  0  every code active and unchanged, every dated row valid
  1  a code needs attention (changed, terminated, not in the release, unknown), or a row was not valid on its date (its code, or its modifier in the release in effect then)
  2  error: bad input, unknown release, store problem, or a report that could not be written

The report is written while the audited file is read again. When the audited file turns out
to have changed while it was read (exit 2), a report on standard output may already be partly
written: throw that part away. --output writes the report to a temporary file, renamed to the
name given only once whole: on any error nothing is left (a file already there stays as it
was).";

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

    /// Seconds to wait for another run holding the store's lock before giving up.
    #[arg(
        long,
        global = true,
        env = "HCPCS_DIFF_LOCK_WAIT",
        default_value_t = 600
    )]
    pub lock_wait: u64,

    /// Most megabytes unpacked from one input (a zip's members, an xlsx's parts, a folder's files).
    #[arg(
        long,
        global = true,
        env = "HCPCS_DIFF_MAX_UNPACKED_MB",
        default_value_t = 100
    )]
    pub max_unpacked_mb: u64,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read a release (zip, folder, text, xlsx, xls or csv) into the store.
    Import(cmd::import::Args),
    /// List the releases in the store, with counts and provenance, and each release's
    /// revisions when it was posted more than once.
    List(cmd::list::Args),
    /// Show one code or modifier with every field decoded into words.
    Show(cmd::show::Args),
    /// Say what changed between two releases (exit 1 when something did, after filters).
    #[command(after_help = EXIT_STATUS_HELP)]
    Diff(cmd::diff::Args),
    /// Download a release from CMS (or a mirror), keep the zip and import it with the
    /// corrections files in it.
    Fetch(cmd::fetch::Args),
    /// For cron: fetch whatever CMS posted after the newest stored release (or a re-post of the
    /// newest), diff, report, notify.
    #[command(after_help = CHECK_STATUS_HELP)]
    Check(cmd::check::Args),
    /// Export for other tools: a release as CSV or FHIR, or the whole store as one SQLite
    /// database or as Parquet tables.
    Export(cmd::export::Args),
    /// A code's timeline across every stored release.
    History(cmd::history::Args),
    /// Judge the codes you bill (a watch list or a CSV) against the stored releases.
    #[command(after_help = AUDIT_STATUS_HELP)]
    Audit(cmd::audit::Args),
    /// Write a static website of the store into DIR: a page per release, code and section,
    /// with search; rebuilt whole and swapped in.
    Site(cmd::site::Args),
    /// Print the completion script for a shell (bash, zsh, fish, powershell, elvish).
    Completions(cmd::completions::Args),
    /// Print the man page, or one command's, or write them all into a folder.
    Man(cmd::completions::ManArgs),
}

/// Runs the command; returns the exit status for a success (an `Err` is status 2).
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8> {
    hcpcs_diff::read::set_max_unpacked(cli.max_unpacked_mb.saturating_mul(1 << 20));
    let store = Store::new(&cli.store)
        .with_lock_wait(std::time::Duration::from_secs(cli.lock_wait))
        // Not eprintln!, which panics on a standard error that cannot be written.
        .on_wait(|message| {
            let _ = writeln!(std::io::stderr(), "{message}");
        });
    match cli.command {
        Command::Import(args) => cmd::import::run(&store, args, out, err),
        Command::List(args) => cmd::list::run(&store, args, out, err),
        Command::Show(args) => cmd::show::run(&store, args, out),
        Command::Diff(args) => cmd::diff::run(&store, args, out, err),
        Command::Fetch(args) => cmd::fetch::run(&store, args, out),
        Command::Check(args) => {
            let site = args.site();
            let status = cmd::check::run(&store, args, out, err)?;
            // After the report is written and the store committed: the site never holds up
            // or changes what check says.
            if let Some((dir, generated_at)) = site {
                cmd::site::refresh(&store, &dir, generated_at, err);
            }
            Ok(status)
        }
        Command::Export(args) => cmd::export::run(&store, args, out),
        Command::History(args) => cmd::history::run(&store, args, out),
        Command::Audit(args) => cmd::audit::run(&store, args, out),
        Command::Site(args) => cmd::site::run(&store, args, err),
        Command::Completions(args) => cmd::completions::run(args, Cli::command(), out),
        Command::Man(args) => cmd::completions::man(args, Cli::command(), out),
    }
}
