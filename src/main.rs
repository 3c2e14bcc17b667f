//! Thin: parse the command line, run it, map the outcome to an exit status.

mod cli;
mod cmd;

// Loading a snapshot makes ~100,000 small strings; mimalloc halves what glibc's malloc and its
// page faults cost there (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let mut out = io::stdout().lock();
    let mut err = io::stderr();
    match cli::run(cli, &mut out, &mut err) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // A closed pipe (`| head`) is the reader's choice, not an error.
            if let Some(io_err) = e.downcast_ref::<io::Error>()
                && io_err.kind() == io::ErrorKind::BrokenPipe
            {
                return ExitCode::from(hcpcs_diff::exit::OK);
            }
            let _ = out.flush();
            let _ = writeln!(err, "error: {}", message(&e));
            ExitCode::from(hcpcs_diff::exit::ERROR)
        }
    }
}

/// The error and its causes, each said once: an error that already ends with its cause's text
/// ("PATH: Not a directory") does not repeat it.
fn message(e: &anyhow::Error) -> String {
    let mut message = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !message.ends_with(&cause) {
            message.push_str(": ");
            message.push_str(&cause);
        }
    }
    message
}
