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
    // A write past the file size limit (`ulimit -f`) would kill the process without a word;
    // ignored, it is an error like a full disk's, reported, and the store left as it was.
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to "ignore" before any thread is started.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    // The C library's own allocations (a few, on each thread; Rust's go to mimalloc) in one
    // arena: each thread's own arena reserves 64 MiB of address space, which an address-space
    // limit (`ulimit -v`) counts though none of it is used.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: a malloc setting, made before any thread is started.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
    let cli = cli::Cli::parse();
    let mut out = StandardOutput(io::stdout().lock());
    let mut err = io::stderr();
    // Whatever is still buffered is written here, and its failure counts like any other.
    let outcome = cli::run(cli, &mut out, &mut err).and_then(|code| {
        out.flush()?;
        Ok(code)
    });
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // A report cut off by a closed pipe (`| head`) or a full disk was not delivered:
            // that is an error like any other, so that a cron job never reads "no changes"
            // from a changelog nobody saw.
            let _ = out.flush();
            let _ = writeln!(err, "error: {}", message(&e));
            ExitCode::from(hcpcs_diff::exit::ERROR)
        }
    }
}

/// Standard output, whose write errors say that they are standard output's: a closed pipe
/// reads `could not write to standard output: Broken pipe (os error 32)`, not a bare `Broken
/// pipe`. (Rust ignores SIGPIPE, so a closed pipe is this error, not a silent death.)
struct StandardOutput<W>(W);

impl<W: Write> StandardOutput<W> {
    fn said(e: io::Error) -> io::Error {
        io::Error::new(e.kind(), format!("could not write to standard output: {e}"))
    }
}

impl<W: Write> Write for StandardOutput<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(Self::said)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().map_err(Self::said)
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
