//! One module per command, each with its clap arguments (`Args`) and a `run` that calls the
//! library and prints what it did. `cli.rs` lists them and dispatches; shared argument groups
//! are in `args`. Nothing below `cmd` formats a report or touches the store's files directly.

pub mod args;
pub mod audit;
pub mod check;
pub mod completions;
pub mod diff;
pub mod export;
pub mod fetch;
pub mod history;
pub mod import;
pub mod list;
pub mod show;
pub mod site;

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result};

use hcpcs_diff::audit::input::MAX_INPUT_BYTES;

/// Writes a rendered report to `path` atomically, or to `out`.
fn emit(out: &mut dyn Write, path: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match path {
        Some(path) => hcpcs_diff::fs::write_atomically(path, bytes)
            .with_context(|| format!("{}", path.display())),
        None => Ok(out.write_all(bytes)?),
    }
}

/// How a changelog is rendered for where it goes: on a terminal (standard output, no
/// `--output`), text is coloured unless `NO_COLOR` is set, and wrapped to the terminal's
/// width; piped or written to a file, neither.
fn render_options(output: Option<&Path>, excel: bool) -> hcpcs_diff::report::Options {
    let terminal = output.is_none() && std::io::stdout().is_terminal();
    hcpcs_diff::report::Options {
        color: terminal && std::env::var_os("NO_COLOR").is_none(),
        width: terminal
            .then(|| console::Term::stdout().size_checked())
            .flatten()
            .map(|(_, columns)| usize::from(columns).max(40)),
        bom: excel,
    }
}

/// Writes a report to `path` atomically, or to `out`, as `render` produces it (streamed, never
/// held whole).
fn emit_with(
    out: &mut dyn Write,
    path: Option<&Path>,
    render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    match path {
        Some(path) => hcpcs_diff::fs::write_atomically_with(path, render)
            .with_context(|| format!("{}", path.display())),
        None => {
            let mut buffered = std::io::BufWriter::with_capacity(1 << 16, out);
            render(&mut buffered)?;
            Ok(buffered.flush()?)
        }
    }
}

/// A file the user hands a command (a watch list, an audit's CSV): a regular file only (a FIFO
/// would block, a device never ends), read whole up to `MAX_INPUT_BYTES`.
fn read_input(path: &Path) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path)?;
    if let Some(what) = hcpcs_diff::error::irregular(&meta) {
        anyhow::bail!("is {what}, not a regular file");
    }
    anyhow::ensure!(meta.is_file(), "is a folder, not a file");
    hcpcs_diff::read::read_capped(std::fs::File::open(path)?, MAX_INPUT_BYTES, meta.len())?
        .with_context(|| format!("larger than {} MiB", MAX_INPUT_BYTES >> 20))
}

/// `; did you mean E1392?` against the codes of `snapshots`, for a code none of them holds.
fn did_you_mean(code: &str, snapshots: &[&hcpcs_diff::model::Snapshot]) -> String {
    let mut codes: Vec<&str> = snapshots
        .iter()
        .flat_map(|s| s.records.iter().map(|r| r.code.as_str()))
        .collect();
    codes.sort_unstable();
    codes.dedup();
    hcpcs_diff::diff::watch::suggestion(code, &codes)
}
