//! `completions SHELL` and `man`: the shell completions and the man page, generated from the
//! same clap definitions as `--help`, so neither can fall behind the commands.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use hcpcs_diff::exit;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Writes the completion script for `args.shell` of the tool's `command` (its clap
/// definition, which `cli` owns); README says where each shell loads it from.
pub fn run(args: Args, mut command: clap::Command, out: &mut dyn Write) -> Result<u8> {
    // Into a buffer first: clap_complete writes with `write_all` and ignores no error, but a
    // closed pipe must reach the caller as one error, not a partial script.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "hcpcs-diff", &mut script);
    out.write_all(&script)?;
    out.flush()?;
    Ok(exit::OK)
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// One command's page (e.g. `diff`, as `hcpcs-diff-diff(1)`); without it, the tool's own page.
    command: Option<String>,
    /// Write every page (hcpcs-diff.1 and hcpcs-diff-COMMAND.1) into this folder instead of
    /// printing one (e.g. ~/.local/share/man/man1).
    #[arg(long, value_name = "FOLDER", conflicts_with = "command")]
    dir: Option<PathBuf>,
}

/// Writes a man page (roff, section 1) made from the clap definitions: the tool's own page,
/// which lists the commands, or one command's page, as cargo and git have a page per command.
pub fn man(args: ManArgs, tool: clap::Command, out: &mut dyn Write) -> Result<u8> {
    let mut tool = tool.disable_help_subcommand(true);
    // Building gives each command its display name, `hcpcs-diff-diff`: the pages' titles.
    tool.build();
    let pages: Vec<clap::Command> = std::iter::once(tool.clone())
        .chain(tool.get_subcommands().filter(|c| !c.is_hide_set()).cloned())
        .collect();
    if let Some(dir) = args.dir {
        for page in pages {
            let man = clap_mangen::Man::new(page);
            let path = dir.join(man.get_filename());
            let roff = render(&man)?;
            hcpcs_diff::fs::write_atomically(&path, &roff)
                .with_context(|| format!("{}", path.display()))?;
            writeln!(out, "wrote {}", path.display())?;
        }
        return Ok(exit::OK);
    }
    let page = match args.command {
        None => tool,
        Some(name) => match tool.find_subcommand(&name) {
            Some(command) => command.clone(),
            None => {
                let names: Vec<&str> = tool.get_subcommands().map(|c| c.get_name()).collect();
                anyhow::bail!("no command '{name}': one of {}", names.join(", "));
            }
        },
    };
    out.write_all(&render(&clap_mangen::Man::new(page))?)?;
    out.flush()?;
    Ok(exit::OK)
}

/// The page as roff. clap_mangen heads the text after the options (`after_help`) "EXTRA"; ours
/// is always the exit statuses, so the page says so, as man pages do.
fn render(man: &clap_mangen::Man) -> std::io::Result<Vec<u8>> {
    let mut roff = Vec::new();
    man.render(&mut roff)?;
    let text = String::from_utf8_lossy(&roff).replace(".SH EXTRA\n", ".SH \"EXIT STATUS\"\n");
    Ok(text.into_bytes())
}
