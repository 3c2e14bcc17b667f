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
    /// POST to this URL (a webhook, http or https) when there is something new.
    #[arg(long, value_name = "URL", value_parser = super::args::web_url)]
    notify: Option<String>,
    /// What --notify posts: the JSON changeset (json), a chat message for Slack, Mattermost or
    /// Google Chat (slack), a Microsoft Teams message card (teams), or plain text (text).
    #[arg(long, value_enum, default_value_t = NotifyArg::Json, requires = "notify")]
    notify_format: NotifyArg,
    #[command(flatten)]
    network: NetworkArgs,
    /// The date to take as today instead of the clock's (UTC): no release after the quarter
    /// following it is probed.
    #[arg(long, value_name = "YYYY-MM-DD", env = "HCPCS_DIFF_TODAY")]
    today: Option<chrono::NaiveDate>,
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
    super::output::refuse_in_store(store, args.output.as_deref())?;
    super::output::refuse_input(args.output.as_deref(), args.filter.watch_file())?;
    super::args::check_excel(args.excel, args.format)?;
    let options = CheckOptions {
        fetch: args.network.options(None),
        filter: args.filter.into_filter(Vec::new(), false)?,
        format: args.format.into(),
        excel: args.excel,
        output: args.output.clone(),
        notify: args.notify,
        notify_format: args.notify_format.into(),
        generated_at: super::args::made_at(args.generated_at),
        today: args
            .today
            .unwrap_or_else(|| chrono::Utc::now().date_naive()),
    };
    // The report is written (to --output, or here to standard output) inside `check`, before
    // anything is stored; what follows is said once the store is committed, so a standard
    // error that cannot take it no longer changes the outcome.
    match check::check(store, &options, out)? {
        CheckOutcome::NothingNew {
            newest,
            probed,
            posting,
        } => {
            // Cron mails any output: say nothing unless someone is watching.
            if std::io::stderr().is_terminal() {
                let _ = writeln!(
                    err,
                    "nothing new: {probed} is not posted yet; {newest}'s posting: {posting}"
                );
            }
            Ok(exit::OK)
        }
        CheckOutcome::Imported {
            imported,
            changeset,
            said,
        } => {
            let list: Vec<String> = imported.iter().map(ToString::to_string).collect();
            let _ = writeln!(err, "imported {}", list.join(", "));
            say(err, &said);
            Ok(status(&changeset))
        }
        CheckOutcome::Reposted {
            revision: r,
            changeset,
            said,
        } => {
            let _ = writeln!(
                err,
                "release {} re-posted: revision {} from {} ({}, sha256 {}) stored as current, \
                 revision {} kept",
                r.release, r.number, r.url, r.source, r.sha256, r.previous
            );
            say(err, &said);
            Ok(status(&changeset))
        }
    }
}

fn say(err: &mut dyn Write, lines: &[String]) {
    for line in lines {
        let _ = writeln!(err, "{line}");
    }
}

/// Whether watched codes changed.
fn status(changeset: &Changeset) -> u8 {
    if changeset.changes.is_empty() {
        exit::OK
    } else {
        exit::CHANGES
    }
}

/// `--notify-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NotifyArg {
    Json,
    Slack,
    Teams,
    Text,
}

impl From<NotifyArg> for hcpcs_diff::report::notify::NotifyFormat {
    fn from(arg: NotifyArg) -> Self {
        use hcpcs_diff::report::notify::{ChatFormat, NotifyFormat};
        match arg {
            NotifyArg::Json => NotifyFormat::Json,
            NotifyArg::Slack => NotifyFormat::Chat(ChatFormat::Slack),
            NotifyArg::Teams => NotifyFormat::Chat(ChatFormat::Teams),
            NotifyArg::Text => NotifyFormat::Chat(ChatFormat::Text),
        }
    }
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
