//! `audit FILE`: the codes a supplier bills, judged against the stored releases.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;

use hcpcs_diff::audit::{self, Columns, Releases};
use hcpcs_diff::exit;
use hcpcs_diff::model::ReleaseId;
use hcpcs_diff::report;
use hcpcs_diff::store::{Store, StoreError};

use hcpcs_diff::read::list::ListFile;

/// The formats an audit report comes in (no workbook: that is a changelog's).
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum AuditFormat {
    Text,
    Markdown,
    Json,
    Csv,
    Html,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A watch list (one code per line, # comments) or a CSV with a header (catalogue,
    /// chargemaster, claims extract).
    file: PathBuf,
    /// The release to audit against; the newest stored one if absent.
    #[arg(long)]
    release: Option<ReleaseId>,
    /// The CSV column holding the code (found by its header if absent: HCPCS, HCPC, CODE, ...).
    #[arg(long, value_name = "NAME")]
    column: Option<String>,
    /// The CSV column holding each row's date of service; each row is judged on its date.
    #[arg(long, value_name = "NAME")]
    date_column: Option<String>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Text)]
    format: AuditFormat,
    /// Text, markdown and HTML list at most N rows not valid (all are counted by code, reason
    /// and month); CSV and JSON list every row.
    #[arg(long, value_name = "N", default_value_t = report::audit::MAX_ROWS)]
    max_rows: usize,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(store: &Store, args: Args, out: &mut dyn Write) -> Result<u8> {
    super::output::refuse_in_store(store, args.output.as_deref())?;
    super::output::refuse_input(args.output.as_deref(), [args.file.as_path()])?;
    let name = args.file.display().to_string();
    let columns = Columns {
        code: args.column,
        date: args.date_column,
    };
    // The file is read through once (is it text, which columns) on a second thread while the
    // stored releases load, on every core (as `history` loads them); the file's error, if any,
    // still comes first, then the first release that cannot be read, oldest first.
    let (input, all) = std::thread::scope(|s| {
        let reading = s.spawn(|| -> Result<_, hcpcs_diff::Error> {
            let list = ListFile::open(&name, &args.file)?;
            Ok(audit::input::read(list, &columns)?)
        });
        let all = store.releases().and_then(|releases| {
            hcpcs_diff::par::map(&releases, |&r| store.load(r))
                .into_iter()
                .collect::<Result<Vec<_>, _>>()
        });
        let input = reading
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (input, all)
    });
    let input = input?;
    let all = all?;
    if all.is_empty() {
        return Err(StoreError::Empty.into());
    }
    let audited = match args.release {
        Some(r) => all
            .iter()
            .position(|s| s.release() == r)
            .ok_or(StoreError::Missing(r))?,
        None => all.len() - 1,
    };
    let releases = Releases { all: &all, audited };
    // Two passes over the file: the first judges every code and counts the rows (and finds
    // any bad line before a report is begun), the second writes the rows as it judges them.
    let result = audit::audit(&name, &input, &releases).map_err(hcpcs_diff::Error::from)?;
    let mut judge = audit::Judge::new(&releases, &input);
    // Text, markdown and HTML list only the rows that are not valid; CSV and JSON every row.
    let only_not_valid = !matches!(args.format, AuditFormat::Csv | AuditFormat::Json);
    let rows = &mut judge.rows(&input, only_not_valid);
    super::emit_with(out, args.output.as_deref(), |w| match args.format {
        AuditFormat::Text => report::audit::text(w, &result, rows, args.max_rows),
        AuditFormat::Markdown => report::audit::markdown(w, &result, rows, args.max_rows),
        AuditFormat::Json => report::audit::json(w, &result, rows),
        AuditFormat::Csv => report::audit::csv(w, &result, rows),
        AuditFormat::Html => report::audit::html(w, &result, rows, args.max_rows),
    })?;
    Ok(if result.needs_attention() {
        exit::CHANGES
    } else {
        exit::OK
    })
}
