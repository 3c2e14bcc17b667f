//! `history CODE`: a code's timeline across every stored release.

use std::io::Write;

use anyhow::Result;
use clap::ValueEnum;

use hcpcs_diff::store::{Store, StoreError};
use hcpcs_diff::{diff, exit, report};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The code (E1392) or modifier (RR).
    code: String,
    #[arg(long, value_enum, default_value_t = HistoryFormat::Text)]
    format: HistoryFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum HistoryFormat {
    Text,
    Markdown,
    Json,
    /// One HTML page: the code's timeline drawn, then its events in words.
    Html,
}

pub fn run(store: &Store, args: Args, out: &mut dyn Write) -> Result<u8> {
    let code = args.code.trim().to_ascii_uppercase();
    // Each file is read in pieces of 256 KiB, one file per core: whatever the store's size.
    super::small_pages();
    // Each release is read trimmed to the code's record: the files are checked whole (their
    // SHA-256 is most of the time), on every core, but only one line of each is parsed.
    let releases = store.releases()?;
    let snapshots = hcpcs_diff::par::map(&releases, |&r| store.load_code(r, &code))
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    if snapshots.is_empty() {
        return Err(StoreError::Empty.into());
    }
    let mut history = diff::history::history(&code, &snapshots);
    for s in &snapshots {
        let kept = store.corrections(s.release())?;
        for (file, c) in hcpcs_diff::model::correction::for_code(&kept, &code) {
            history.corrections.push(diff::history::KeptCorrection {
                release: s.release(),
                file: file.name.clone(),
                version: file.version,
                correction: c.clone(),
            });
        }
    }
    if history.events.is_empty() && history.corrections.is_empty() {
        let mut codes = Vec::new();
        for s in &snapshots {
            codes.extend(store.codes(s.release())?);
        }
        codes.sort_unstable();
        codes.dedup();
        let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
        anyhow::bail!(
            "{code} is in none of the {} stored releases{}",
            snapshots.len(),
            hcpcs_diff::diff::watch::suggestion(&code, &codes)
        );
    }
    match args.format {
        HistoryFormat::Text => report::history::text(out, &history)?,
        HistoryFormat::Markdown => report::history::markdown(out, &history)?,
        HistoryFormat::Json => report::history::json(out, &history)?,
        HistoryFormat::Html => report::history::html(out, &history)?,
    }
    Ok(exit::OK)
}
