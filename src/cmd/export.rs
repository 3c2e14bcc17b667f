//! `export RELEASE`: a stored release as CSV, one row per code.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;

use hcpcs_diff::exit;
use hcpcs_diff::model::ReleaseId;
use hcpcs_diff::report;
use hcpcs_diff::store::Store;

#[derive(Debug, clap::Args)]
pub struct Args {
    release: ReleaseId,
    /// Write to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(store: &Store, args: Args, out: &mut dyn Write) -> Result<u8> {
    let snapshot = store.load(args.release)?;
    let mut rendered = Vec::new();
    report::export::csv(&mut rendered, &snapshot)?;
    super::emit(out, args.output.as_deref(), &rendered)?;
    Ok(exit::OK)
}
