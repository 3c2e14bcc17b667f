//! `list`: the stored releases with their counts and provenance, each file checked against
//! its provenance (a damaged one is named, and the status is 2); a release posted more than
//! once with a line per revision.

use std::io::Write;

use anyhow::Result;

use hcpcs_diff::exit;
use hcpcs_diff::model::{Provenance, ReleaseId};
use hcpcs_diff::store::{Revision, Store};

#[derive(Debug, Default, clap::Args)]
pub struct Args {
    /// A line for every revision of every release, even one posted once.
    #[arg(long)]
    revisions: bool,
}

pub fn run(store: &Store, args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8> {
    let releases = store.releases()?;
    if releases.is_empty() {
        writeln!(err, "the store {} is empty", store.dir().display())?;
    }
    let mut status = exit::OK;
    for r in releases {
        // Each file is checked whole; a damaged one is named and the others still listed.
        let listed = release(store, r, args.revisions, out, err);
        if !listed? {
            status = exit::ERROR;
        }
        if !corrections(store, r, out, err)? {
            status = exit::ERROR;
        }
    }
    Ok(status)
}

/// Lists one release, and its revisions when it has more than one (or `all`); `false` when a
/// file was damaged (said on `err`).
fn release(
    store: &Store,
    r: ReleaseId,
    all: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<bool> {
    let p = match store.provenance(r) {
        Ok(p) => p,
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok(false);
        }
    };
    // A broken revisions folder is named; the release's current revision is still listed.
    let (revisions, whole) = match store.revisions(r) {
        Ok(revisions) => (revisions, true),
        Err(e) => {
            writeln!(err, "error: {e}")?;
            (Vec::new(), false)
        }
    };
    let count = match revisions.len() {
        0 | 1 => String::new(),
        n => format!("  {n} revisions"),
    };
    writeln!(
        out,
        "{}  {}  sha256 {}{count}",
        p.release,
        counts_and_source(&p),
        p.source.sha256.get(..12).unwrap_or(&p.source.sha256)
    )?;
    let mut whole = whole;
    if all || revisions.len() > 1 {
        for revision in &revisions {
            whole &= revision_line(store, revision, out, err)?;
        }
    }
    Ok(whole)
}

/// `  5507 codes   314 modifiers  12anweb.zip (12anweb.txt)`
fn counts_and_source(p: &Provenance) -> String {
    let member = p
        .source
        .member
        .as_ref()
        .map(|m| format!(" ({m})"))
        .unwrap_or_default();
    format!(
        "{:>5} codes  {:>4} modifiers  {}{member}",
        p.counts.procedure, p.counts.modifier, p.source.file
    )
}

/// `  2019-01@1  6440 codes  360 modifiers  FILE (MEMBER)  sha256 <all 64>  stored TIME`
fn revision_line(
    store: &Store,
    revision: &Revision,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<bool> {
    let p = match store.revision_provenance(revision) {
        Ok(p) => p,
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok(false);
        }
    };
    let stored = revision.stored.map_or_else(
        || "stored at an unknown time".to_string(),
        |t| {
            let t: chrono::DateTime<chrono::Utc> = t.into();
            format!("stored {}", t.format("%Y-%m-%d %H:%M:%S UTC"))
        },
    );
    let current = if revision.current { ", current" } else { "" };
    writeln!(
        out,
        "  {}  {}  sha256 {}  {stored}{current}",
        revision.id(),
        counts_and_source(&p),
        p.source.sha256
    )?;
    Ok(true)
}

/// The corrections files kept with a release, a line each; `false` when their file is damaged
/// (said on `err`).
fn corrections(
    store: &Store,
    release: hcpcs_diff::model::ReleaseId,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<bool> {
    match store.corrections(release) {
        Ok(files) => {
            for f in files {
                writeln!(
                    out,
                    "         corrections v{}  {} rows  {}  sha256 {}",
                    f.version,
                    f.corrections.len(),
                    f.name,
                    f.sha256.get(..12).unwrap_or(&f.sha256)
                )?;
            }
            Ok(true)
        }
        Err(e) => {
            writeln!(err, "error: {e}")?;
            Ok(false)
        }
    }
}
