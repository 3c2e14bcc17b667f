//! `audit FILE`: the codes a supplier bills, judged against the stored releases.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};

use hcpcs_diff::audit::{self, Columns, Releases};
use hcpcs_diff::exit;
use hcpcs_diff::model::ReleaseId;
use hcpcs_diff::report;
use hcpcs_diff::store::{Store, StoreError};

use super::args::FormatArg;

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
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(store: &Store, args: Args, out: &mut dyn Write) -> Result<u8> {
    let name = args.file.display().to_string();
    let bytes = super::read_input(&args.file).with_context(|| name.clone())?;
    let columns = Columns {
        code: args.column,
        date: args.date_column,
    };
    let input = audit::input::read(&name, &bytes, &columns).map_err(hcpcs_diff::Error::from)?;
    let all = store.load_all()?;
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
    let result = audit::audit(&name, input, &Releases { all: &all, audited });
    let mut rendered = Vec::new();
    match args.format {
        FormatArg::Text => report::audit::text(&mut rendered, &result)?,
        FormatArg::Markdown => report::audit::markdown(&mut rendered, &result)?,
        FormatArg::Json => report::audit::json(&mut rendered, &result)?,
        FormatArg::Csv => report::audit::csv(&mut rendered, &result)?,
        FormatArg::Html => report::audit::html(&mut rendered, &result)?,
    }
    super::emit(out, args.output.as_deref(), &rendered)?;
    Ok(if result.needs_attention() {
        exit::CHANGES
    } else {
        exit::OK
    })
}
