//! `list`: the stored releases with their counts and provenance.

use std::io::Write;

use anyhow::Result;

use hcpcs_diff::exit;
use hcpcs_diff::store::Store;

pub fn run(store: &Store, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8> {
    let releases = store.releases()?;
    if releases.is_empty() {
        writeln!(err, "the store {} is empty", store.dir().display())?;
    }
    for r in releases {
        let p = store.provenance(r)?;
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
    }
    Ok(exit::OK)
}
