//! `check`: the cron job. Fetch what CMS posted after the newest stored release (or a re-post
//! of the newest), diff, report, notify; the exit status says whether watched codes changed.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Result;

use hcpcs_diff::check::{self, CheckOptions, CheckOutcome};
use hcpcs_diff::diff::Changeset;
use hcpcs_diff::exit;
use hcpcs_diff::store::Store;

use super::args::{FilterArgs, FormatArg, NetworkArgs};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    filter: FilterArgs,
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
    /// POST the JSON changeset to this URL when there is something new.
    #[arg(long, value_name = "URL")]
    notify: Option<String>,
    #[command(flatten)]
    network: NetworkArgs,
    /// The time the report says it was made (RFC 3339) instead of now.
    #[arg(long, value_name = "TIME", env = "HCPCS_DIFF_GENERATED_AT", value_parser = super::args::generated_at)]
    generated_at: Option<String>,
    /// Then refresh the static website in DIR (as `site DIR`), on every run: after a new
    /// release or re-post its pages, otherwise the home page's time (and a site a failed
    /// refresh left behind).
    #[arg(long, value_name = "DIR")]
    site: Option<PathBuf>,
}

pub fn run(store: &Store, args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8> {
    super::args::check_excel(args.excel, args.format)?;
    let options = CheckOptions {
        fetch: args.network.options(None),
        filter: args.filter.into_filter(Vec::new(), false)?,
        format: args.format.into(),
        excel: args.excel,
        output: args.output.clone(),
        notify: args.notify,
        generated_at: super::args::made_at(args.generated_at),
    };
    match check::check(store, &options)? {
        CheckOutcome::NothingNew {
            newest,
            probed,
            posting,
        } => {
            // Cron mails any output: say nothing unless someone is watching.
            if std::io::stderr().is_terminal() {
                writeln!(
                    err,
                    "nothing new: {probed} is not posted yet; {newest}'s posting: {posting}"
                )?;
            }
            Ok(exit::OK)
        }
        CheckOutcome::Imported {
            imported,
            changeset,
            report,
            said,
        } => {
            let list: Vec<String> = imported.iter().map(ToString::to_string).collect();
            writeln!(err, "imported {}", list.join(", "))?;
            for line in said {
                writeln!(err, "{line}")?;
            }
            finish(&args.output, &changeset, &report, out)
        }
        CheckOutcome::Reposted {
            revision: r,
            changeset,
            report,
            said,
        } => {
            writeln!(
                err,
                "release {} re-posted: revision {} from {} ({}, sha256 {}) stored as current, \
                 revision {} kept",
                r.release, r.number, r.url, r.source, r.sha256, r.previous
            )?;
            for line in said {
                writeln!(err, "{line}")?;
            }
            finish(&args.output, &changeset, &report, out)
        }
    }
}

/// Writes the report (unless it went to `--output`); the status says whether watched codes
/// changed.
fn finish(
    output: &Option<PathBuf>,
    changeset: &Changeset,
    report: &[u8],
    out: &mut dyn Write,
) -> Result<u8> {
    if output.is_none() {
        out.write_all(report)?;
    }
    Ok(if changeset.changes.is_empty() {
        exit::OK
    } else {
        exit::CHANGES
    })
}

impl Args {
    /// `--site DIR` and the time to give it: the site `cli` refreshes once `run` has written
    /// the report and committed the store.
    pub fn site(&self) -> Option<(PathBuf, Option<String>)> {
        self.site
            .clone()
            .map(|dir| (dir, self.generated_at.clone()))
    }
}
