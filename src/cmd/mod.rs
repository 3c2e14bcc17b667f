//! One module per command, each with its clap arguments (`Args`) and a `run` that calls the
//! library and prints what it did. `cli.rs` lists them and dispatches; shared argument groups
//! are in `args`. Nothing below `cmd` formats a report or touches the store's files directly.

pub mod args;
pub mod audit;
pub mod check;
pub mod diff;
pub mod export;
pub mod fetch;
pub mod history;
pub mod import;
pub mod list;
pub mod show;

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// Writes a rendered report to `path` atomically, or to `out`.
fn emit(out: &mut dyn Write, path: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match path {
        Some(path) => hcpcs_diff::fs::write_atomically(path, bytes)
            .with_context(|| format!("{}", path.display())),
        None => Ok(out.write_all(bytes)?),
    }
}
