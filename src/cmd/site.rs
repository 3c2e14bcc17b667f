//! `site DIR`: a self-contained static website of the store (home, a page per release, code
//! and section, search), built beside DIR and swapped in whole.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Result;

use hcpcs_diff::exit;
use hcpcs_diff::store::Store;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder to write the site into: new, empty, or a site this command made before
    /// (replaced whole; pages whose bytes are unchanged keep their files).
    dir: PathBuf,
    /// The time the site says it was made (RFC 3339) instead of now: the same store and time
    /// give a byte-identical site.
    #[arg(long, value_name = "TIME", env = "HCPCS_DIFF_GENERATED_AT", value_parser = super::args::generated_at)]
    generated_at: Option<String>,
}

pub fn run(store: &Store, args: Args, err: &mut dyn Write) -> Result<u8> {
    let options = hcpcs_diff::site::Options {
        generated_at: super::args::made_at(args.generated_at),
    };
    let building = super::progress(format!("building the site in {}", args.dir.display()));
    let built = hcpcs_diff::site::build(store, &args.dir, &options);
    building.finish_and_clear();
    say(err, &args.dir, &built?)?;
    Ok(exit::OK)
}

/// `site: 11 releases, 10234 codes: 10270 files in DIR (10100 unchanged, kept)`.
pub fn say(
    err: &mut dyn Write,
    dir: &std::path::Path,
    built: &hcpcs_diff::site::Built,
) -> Result<()> {
    writeln!(
        err,
        "site: {} releases, {} codes: {} files in {} ({} rewritten, {} unchanged and kept)",
        built.releases,
        built.codes,
        built.files,
        dir.display(),
        built.files - built.kept,
        built.kept
    )?;
    Ok(())
}

/// `check --site DIR`: the site refreshed after check has stored and reported. A failure is
/// said on `err` and does not change check's status (the store may hold a new release: exit 2
/// would say it did not); every run refreshes, so the next one makes up for it.
pub fn refresh(
    store: &Store,
    dir: &std::path::Path,
    generated_at: Option<String>,
    err: &mut dyn Write,
) {
    let options = hcpcs_diff::site::Options {
        generated_at: super::args::made_at(generated_at),
    };
    match hcpcs_diff::site::build(store, dir, &options) {
        // Cron mails any output: the count only where someone is watching.
        // What is said of the site is said on a best effort: standard error that cannot take
        // it must not turn a run that stored a release into exit 2.
        Ok(built) if std::io::stderr().is_terminal() => {
            let _ = say(err, dir, &built);
        }
        Ok(_) => {}
        Err(e) => {
            let _ = writeln!(
                err,
                "error: the site in {} was not refreshed (it is as it was; the next check --site \
                 tries again): {e}",
                dir.display()
            );
        }
    }
}
