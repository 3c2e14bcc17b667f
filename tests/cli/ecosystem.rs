//! The shell completions and man pages, generated from the clap definitions: each loads in the
//! program that reads it, and names every command.

use std::process::Command as Process;

use crate::util::Work;

/// Every command the tool has, as `--help` lists them.
fn commands(env: &Work) -> Vec<String> {
    let help = env.cmd().arg("--help").output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let list = help
        .split("Commands:\n")
        .nth(1)
        .expect("--help lists commands");
    let names: Vec<String> = list
        .lines()
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|n| n != "help")
        .collect();
    assert!(names.len() >= 10, "{names:?}");
    names
}

#[test]
fn bash_completion_loads_and_completes_every_command() {
    let env = Work::new();
    let script = env.cmd().args(["completions", "bash"]).output().unwrap();
    assert!(script.status.success());
    let path = env.path("hcpcs-diff.bash");
    std::fs::write(&path, &script.stdout).unwrap();
    // Sourced in a real bash: the function it registers completes the first word.
    let probe = format!(
        "source {} && complete -p hcpcs-diff && COMP_WORDS=(hcpcs-diff '') COMP_CWORD=1 && \
         _hcpcs__diff hcpcs-diff '' hcpcs-diff && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display()
    );
    let out = Process::new("bash").args(["-c", &probe]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("complete "), "{stdout}");
    let offered: Vec<&str> = stdout.lines().skip(1).collect();
    for command in commands(&env) {
        assert!(
            offered.contains(&command.as_str()),
            "{command} not offered: {offered:?}"
        );
    }
}

#[test]
fn every_shell_gets_a_script_naming_every_command() {
    let env = Work::new();
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let out = env.cmd().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        for command in commands(&env) {
            assert!(script.contains(&command), "{shell} script lacks {command}");
        }
    }
    env.cmd()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid value 'tcsh'"));
}

/// Renders a roff page with man-db's `man -l`, as a reader would; `None` where man is missing.
fn man_renders(page: &std::path::Path) -> Option<String> {
    let out = Process::new("man")
        .arg("-l")
        .arg(page)
        .env("MANWIDTH", "100")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn man_pages_render_and_cover_every_command() {
    let env = Work::new();
    let dir = env.path("man1");
    env.cmd()
        .args(["man", "--dir"])
        .arg(&dir)
        .assert()
        .success();
    let commands = commands(&env);
    let main = dir.join("hcpcs-diff.1");
    // roff writes a hyphen as `\-`.
    let roff = std::fs::read_to_string(&main).unwrap().replace("\\-", "-");
    assert!(
        roff.starts_with(".ie") || roff.contains(".TH hcpcs-diff 1"),
        "{roff}"
    );
    assert!(roff.contains(".SH \"EXIT STATUS\""), "{roff}");
    for command in &commands {
        let page = dir.join(format!("hcpcs-diff-{command}.1"));
        let text = std::fs::read_to_string(&page).unwrap().replace("\\-", "-");
        assert!(text.contains(&format!("hcpcs-diff-{command}")), "{command}");
        assert!(
            roff.contains(&format!("hcpcs-diff-{command}")),
            "main page lacks {command}"
        );
    }
    // The same page on standard output as in the folder.
    let printed = env.cmd().args(["man", "diff"]).output().unwrap();
    assert_eq!(
        printed.stdout,
        std::fs::read(dir.join("hcpcs-diff-diff.1")).unwrap()
    );
    let Some(text) = man_renders(&dir.join("hcpcs-diff-diff.1")) else {
        eprintln!("man is not installed: the pages were checked as roff only");
        return;
    };
    for expected in ["NAME", "SYNOPSIS", "--watch", "--format", "EXIT STATUS"] {
        assert!(text.contains(expected), "{expected} not in:\n{text}");
    }
    env.cmd()
        .args(["man", "dif"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no command 'dif'"));
}

const PROGRESS_TEST: &str = "ecosystem::long_work_shows_progress_on_a_terminal_and_nothing_in_cron";

/// What `args` print on a terminal (standard output and error, as `script` records them);
/// `None` where `script` gives no terminal: a counted skip, a failure under
/// `HCPCS_DIFF_REQUIRE_TERMINAL=1`.
fn on_a_terminal(work: &Work, args: &str) -> Option<String> {
    let command = format!(
        "exec '{}' --store '{}' {args}",
        env!("CARGO_BIN_EXE_hcpcs-diff"),
        work.store().display()
    );
    let out = Process::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_remove("HCPCS_DIFF_STORE")
        .output();
    let problem = match out {
        Ok(out) if out.status.success() && !out.stdout.is_empty() => {
            crate::util::terminal_ran(PROGRESS_TEST);
            return Some(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        Ok(out) => format!(
            "script(1) gave no terminal ({}: {})",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => format!("script(1) did not run: {e}"),
    };
    crate::util::terminal_skipped(PROGRESS_TEST, &problem);
    None
}

/// Long work (a site, an export of every release, reading a release) shows a spinner on a
/// terminal, cleared before the command says what it did; piped, as under cron, nothing of it.
#[test]
fn long_work_shows_progress_on_a_terminal_and_nothing_in_cron() {
    let work = crate::util::oxygen();
    let site = work.path("site");
    let db = work.path("all.db");
    let fixture = crate::util::fixture("oxygen/2006");
    let cases = [
        (
            format!("site '{}'", site.display()),
            format!("building the site in {}", site.display()),
        ),
        (
            format!("export --format sqlite --output '{}'", db.display()),
            "reading every stored release".to_string(),
        ),
        (
            format!("import '{}'", fixture.display()),
            format!("reading {}", fixture.display()),
        ),
    ];
    for (args, spinner) in &cases {
        // Piped, as cron runs it: no spinner on standard error.
        let words: Vec<String> = args
            .split(' ')
            .map(|w| w.trim_matches('\'').to_string())
            .collect();
        let piped = work.cmd().args(&words).output().unwrap();
        assert!(piped.status.success(), "{args}");
        let err = String::from_utf8_lossy(&piped.stderr);
        assert!(!err.contains(spinner.as_str()), "{args}: {err}");
        let Some(shown) = on_a_terminal(&work, args) else {
            return;
        };
        assert!(shown.contains(spinner.as_str()), "{args}: {shown:?}");
        // Cleared: the line erased before the command's own words.
        assert!(shown.contains("\u{1b}[2K"), "{args}: {shown:?}");
    }
}
