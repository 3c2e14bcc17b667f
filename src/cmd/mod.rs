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
pub mod output;
pub mod show;
pub mod site;

use std::io::{IsTerminal, Write};
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

/// Says on `out` what a command stored, once it is stored. A standard output that cannot take
/// it (a closed pipe, a full disk) undoes nothing, so it is a warning on standard error, not
/// an error: exit 2 always means the store is as it was.
fn say_stored(out: &mut dyn Write, said: &[u8]) {
    if let Err(e) = out.write_all(said).and_then(|()| out.flush()) {
        let _ = writeln!(
            std::io::stderr(),
            "warning: {e}; the store keeps what was done"
        );
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

/// A spinner on standard error, with `message` and the time taken, while long work runs
/// (reading a big release, every stored release for an export, building a site), drawn only
/// where standard error is a terminal: a cron job's mail holds none of it.
/// The caller clears it (`finish_and_clear`) before it says what it did.
fn progress(message: String) -> indicatif::ProgressBar {
    // Not a terminal: no spinner, and no thread to tick it (nor the memory a thread takes).
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .expect("template is valid"),
    );
    bar.set_message(message);
    bar.enable_steady_tick(std::time::Duration::from_millis(100));
    bar
}

/// No transparent huge pages for the rest of the run. The allocator asks for them, and the
/// kernel then clears each 2 MB page whole the first time any of it is touched: for a command
/// that holds a few megabytes (a diff or a history of real releases, read in pieces on two or
/// three threads, each allocating apart) that clearing was a fifth of its CPU time, more than
/// 4 KB pages cost in faults. A command that holds hundreds of megabytes keeps them.
fn small_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with integer arguments; PR_SET_THP_DISABLE only changes how the kernel
    // serves this process's later page faults. Its failure (an older kernel) changes nothing.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
