//! `show CODE`: one code or modifier with every field decoded into words.

use std::io::Write;

use anyhow::{Context, Result};
use clap::ValueEnum;

use hcpcs_diff::exit;
use hcpcs_diff::model::ReleaseId;
use hcpcs_diff::report;
use hcpcs_diff::store::Store;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The code (E1392) or modifier (RR).
    code: String,
    /// The release to read; the newest stored one if absent.
    #[arg(long)]
    release: Option<ReleaseId>,
    #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
    format: ShowFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ShowFormat {
    Text,
    Json,
}

pub fn run(store: &Store, args: Args, out: &mut dyn Write) -> Result<u8> {
    let release = match args.release {
        Some(r) => r,
        None => store.latest()?,
    };
    let snapshot = store.load(release)?;
    let code = args.code.trim().to_ascii_uppercase();
    let record = snapshot
        .get(&code)
        .with_context(|| format!("{code} is not in release {release}"))?;
    match args.format {
        ShowFormat::Text => report::show::text(out, release, record)?,
        ShowFormat::Json => report::show::json(out, release, record)?,
    }
    Ok(exit::OK)
}
