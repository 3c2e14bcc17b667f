//! `list`: the stored releases with their counts and provenance, each file checked against
//! its provenance (a damaged one is named, and the status is 2).

use std::io::Write;

use anyhow::Result;

use hcpcs_diff::exit;
use hcpcs_diff::store::Store;

pub fn run(store: &Store, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8> {
    let releases = store.releases()?;
    if releases.is_empty() {
        writeln!(err, "the store {} is empty", store.dir().display())?;
    }
    let mut status = exit::OK;
    for r in releases {
        // Each file is checked whole; a damaged one is named and the others still listed.
        let p = match store.provenance(r) {
            Ok(p) => p,
            Err(e) => {
                writeln!(err, "error: {e}")?;
                status = exit::ERROR;
                continue;
            }
        };
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
            p.source.sha256.get(..12).unwrap_or(&p.source.sha256)
        )?;
        match store.corrections(r) {
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
            }
            Err(e) => {
                writeln!(err, "error: {e}")?;
                status = exit::ERROR;
            }
        }
    }
    Ok(status)
}
