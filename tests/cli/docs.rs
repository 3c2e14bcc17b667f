//! Every shell example in README.md and docs/ runs: a block line `$ hcpcs-diff ARGS` is run and
//! what it prints (standard output and error, interleaved) compared with the lines after it, a
//! `...` line standing for any lines left out (a line ending in ` ...` for any end of it); `$ cat FILE` and the lines after it write FILE.
//! The comment before a block says where it runs: `<!-- example: fixtures -->` (a fresh folder
//! where `tests/fixtures` is reachable, blocks of a page sharing it; `oxygen stored`: with
//! 2005 and 2006 imported first), `<!-- example: real -->`
//! (the real releases stored, behind `real_data!()`; `real, nothing stored`: their files only;
//! `real, 2025-01 re-post in mirror/`: January 2025 stored and, in `mirror/`, its zip with
//! E1392's description edited; `real, 2025-01 re-posted`: that re-post stored by `check`) or `<!-- not run: REASON -->`, counted.
//! `hcpcs-diff` in any other block must at least be arguments clap accepts.

use crate::util::real_data;
use assert_cmd::cargo::CommandCargoExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Examples not run, each with its reason in the page; a new one must be counted here.
const NOT_RUN: usize = 1;

fn pages() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

#[derive(Debug, PartialEq)]
enum Marker {
    Fixtures,
    Oxygen,
    Real,
    RealUnstored,
    RepostInMirror,
    Reposted,
    NotRun,
    Unmarked,
}

struct Block {
    page: String,
    line: usize,
    run: Marker,
    lines: Vec<String>,
}

fn blocks() -> Vec<Block> {
    let mut out = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let name = page.file_name().unwrap().to_string_lossy().into_owned();
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            if lines[i].starts_with("```") {
                let start = i;
                let marker = lines[..start]
                    .iter()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .copied()
                    .unwrap_or("");
                let run = if marker == "<!-- example: fixtures -->" {
                    Marker::Fixtures
                } else if marker == "<!-- example: oxygen stored -->" {
                    Marker::Oxygen
                } else if marker == "<!-- example: real -->" {
                    Marker::Real
                } else if marker == "<!-- example: real, nothing stored -->" {
                    Marker::RealUnstored
                } else if marker == "<!-- example: real, 2025-01 re-post in mirror/ -->" {
                    Marker::RepostInMirror
                } else if marker == "<!-- example: real, 2025-01 re-posted -->" {
                    Marker::Reposted
                } else if marker.starts_with("<!-- not run: ") {
                    Marker::NotRun
                } else {
                    Marker::Unmarked
                };
                i += 1;
                let mut body = Vec::new();
                while i < lines.len() && !lines[i].starts_with("```") {
                    body.push(lines[i].to_string());
                    i += 1;
                }
                out.push(Block {
                    page: name.clone(),
                    line: start + 1,
                    run,
                    lines: body,
                });
            }
            i += 1;
        }
    }
    out
}

/// Whitespace-separated words, `'...'` and `"..."` quoting, up to a `#` comment.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote = None;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => word.get_or_insert_with(String::new).push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                word.get_or_insert_with(String::new);
            }
            None if c.is_whitespace() => words.extend(word.take()),
            None if c == '#' && word.is_none() => break,
            None => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

/// Does `actual` read as `expected`, where a `...` line stands for any lines?
fn matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((e, rest)) if e == "..." => (0..=actual.len()).any(|k| matches(rest, &actual[k..])),
        Some((e, rest)) => {
            actual.first().is_some_and(|a| line_matches(e, a)) && matches(rest, &actual[1..])
        }
    }
}

/// A line ending in ` ...` stands for any line that starts with what is before it; trailing
/// spaces are not compared (a page cannot show them).
fn line_matches(expected: &str, actual: &str) -> bool {
    let actual = actual.trim_end();
    match expected.strip_suffix(" ...") {
        Some(start) => actual.starts_with(start),
        None => actual == expected.trim_end(),
    }
}

fn run(dir: &Path, args: &[String]) -> String {
    let log = dir.join(".example-output");
    let file = std::fs::File::create(&log).unwrap();
    Command::cargo_bin("hcpcs-diff")
        .unwrap()
        .args(args)
        .current_dir(dir)
        .env_remove("HCPCS_DIFF_STORE")
        .env_remove("HCPCS_DIFF_BASE_URL")
        .env("NO_COLOR", "1")
        .env("HCPCS_DIFF_GENERATED_AT", "2026-01-02T03:04:05Z")
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .status()
        .unwrap();
    std::fs::read_to_string(&log).unwrap()
}

/// Runs a block's commands in `dir`; the failures, each naming the page and line.
fn check_block(block: &Block, dir: &Path) -> Vec<String> {
    let mut failures = Vec::new();
    let mut i = 0;
    while i < block.lines.len() {
        let line = &block.lines[i];
        let Some(command) = line.strip_prefix("$ ") else {
            failures.push(format!(
                "{}:{}: output before any command: {line}",
                block.page,
                block.line + 1 + i
            ));
            i += 1;
            continue;
        };
        let at = block.line + 1 + i;
        i += 1;
        let mut expected = Vec::new();
        while i < block.lines.len() && !block.lines[i].starts_with("$ ") {
            expected.push(block.lines[i].clone());
            i += 1;
        }
        let args = words(command);
        match args.first().map(String::as_str) {
            Some("cat") if args.len() == 2 => {
                let mut text = expected.join("\n");
                text.push('\n');
                std::fs::write(dir.join(&args[1]), text).unwrap();
            }
            Some("hcpcs-diff") => {
                let output = run(dir, &args[1..]);
                let actual: Vec<&str> = output.lines().collect();
                if !matches(&expected, &actual) {
                    failures.push(format!(
                        "{}:{at}: `{command}` printed:\n{output}\nwhere the page says:\n{}\n",
                        block.page,
                        expected.join("\n")
                    ));
                }
            }
            _ => failures.push(format!(
                "{}:{at}: an example the test cannot run: {command}",
                block.page
            )),
        }
    }
    failures
}

fn has_commands(block: &Block) -> bool {
    block.lines.iter().any(|l| l.starts_with("$ "))
}

#[test]
fn every_example_is_marked_and_the_unrun_are_counted() {
    let blocks = blocks();
    let unmarked: Vec<String> = blocks
        .iter()
        .filter(|b| b.run == Marker::Unmarked && has_commands(b))
        .map(|b| format!("{}:{}", b.page, b.line))
        .collect();
    assert!(
        unmarked.is_empty(),
        "examples with `$` and no <!-- example: ... --> or <!-- not run: ... --> before them: {unmarked:?}"
    );
    let not_run = blocks.iter().filter(|b| b.run == Marker::NotRun).count();
    assert_eq!(not_run, NOT_RUN, "examples marked not run");
}

#[test]
fn the_fixture_examples_print_what_the_pages_say() {
    let blocks = blocks();
    let mut failures = Vec::new();
    let mut ran = 0;
    let mut page = String::new();
    let mut dir = tempfile::tempdir().unwrap();
    for block in blocks
        .iter()
        .filter(|b| b.run == Marker::Fixtures || b.run == Marker::Oxygen)
    {
        if block.page != page {
            page = block.page.clone();
            dir = tempfile::tempdir().unwrap();
            std::os::unix::fs::symlink(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("tests"),
                dir.path().join("tests"),
            )
            .unwrap();
        }
        if block.run == Marker::Oxygen && !dir.path().join("snapshots").exists() {
            for year in ["2005", "2006"] {
                let path = format!("tests/fixtures/oxygen/{year}");
                run(dir.path(), &["import".to_string(), path]);
            }
        }
        failures.extend(check_block(block, dir.path()));
        ran += 1;
    }
    assert!(ran >= 5, "only {ran} fixture examples found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_real_release_examples_print_what_the_pages_say() {
    let Some(data) = real_data!() else { return };
    let template = tempfile::tempdir().unwrap();
    let mut releases: Vec<PathBuf> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().as_bytes().get(4) == Some(&b'-'))
        })
        .collect();
    releases.sort();
    for r in &releases {
        let out = run(
            template.path(),
            &["import".to_string(), r.display().to_string()],
        );
        assert!(
            template.path().join("snapshots").exists(),
            "importing {}: {out}",
            r.display()
        );
    }
    let mut failures = Vec::new();
    let mut page = String::new();
    let mut dir = tempfile::tempdir().unwrap();
    for block in blocks().iter().filter(|b| b.run == Marker::Real) {
        if block.page != page {
            page = block.page.clone();
            dir = tempfile::tempdir().unwrap();
            copy_dir(
                &template.path().join("snapshots"),
                &dir.path().join("snapshots"),
            );
            for r in &releases {
                for f in std::fs::read_dir(r).unwrap() {
                    let f = f.unwrap().path();
                    let link = dir.path().join(f.file_name().unwrap());
                    if !link.exists() {
                        std::os::unix::fs::symlink(&f, link).unwrap();
                    }
                }
            }
        }
        failures.extend(check_block(block, dir.path()));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// CMS's January 2025 zip re-posted with one description edited (E1392's "rental" made
/// "rented"), as a folder `check --base-url` reads, beside a store holding the first posting.
#[test]
fn the_repost_examples_print_what_the_pages_say() {
    let Some(data) = real_data!() else { return };
    let name = "january-2025-alpha-numeric-hcpcs-file.zip";
    let posted = data.join("2025-01").join(name);
    let members: Vec<(String, Vec<u8>)> = crate::util::unzip(&posted)
        .into_iter()
        .map(|(member, bytes)| {
            if !member.ends_with(".txt") || !member.contains("ANWEB") {
                return (member, bytes);
            }
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let line = text.lines().find(|l| l.starts_with("E1392")).unwrap();
            let edited = line.replacen("concentrator, rental", "concentrator, rented", 1);
            assert_ne!(line, edited, "E1392 is no longer a rental in {member}");
            (member, text.replacen(line, &edited, 1).into_bytes())
        })
        .collect();
    let members: Vec<(&str, &[u8])> = members
        .iter()
        .map(|(m, b)| (m.as_str(), b.as_slice()))
        .collect();
    let mut failures = Vec::new();
    let mut ran = 0;
    let mut page = String::new();
    let mut dir = tempfile::tempdir().unwrap();
    for block in blocks()
        .iter()
        .filter(|b| matches!(b.run, Marker::RepostInMirror | Marker::Reposted))
    {
        if block.page != page {
            page = block.page.clone();
            dir = tempfile::tempdir().unwrap();
            run(
                dir.path(),
                &["import".to_string(), posted.display().to_string()],
            );
            std::fs::create_dir(dir.path().join("mirror")).unwrap();
            std::fs::write(
                dir.path().join("mirror").join(name),
                crate::util::zip_of(&members),
            )
            .unwrap();
            if block.run == Marker::Reposted {
                let out = run(
                    dir.path(),
                    &[
                        "check".to_string(),
                        "--base-url".to_string(),
                        "mirror".to_string(),
                        "--today".to_string(),
                        "2025-02-01".to_string(),
                    ],
                );
                assert!(out.contains("re-posted: revision 2"), "{out}");
            }
        }
        failures.extend(check_block(block, dir.path()));
        ran += 1;
    }
    assert!(ran >= 3, "only {ran} re-post examples found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let target = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &target);
        } else {
            std::fs::copy(&p, &target).unwrap();
        }
    }
}

/// `hcpcs-diff` lines of blocks not run (crontabs, install lines): their arguments must be ones
/// clap accepts. `--help` after them makes the binary stop once they parse, doing nothing.
#[test]
fn the_other_examples_parse() {
    let mut failures = Vec::new();
    let mut seen = 0;
    for block in blocks() {
        if matches!(
            block.run,
            Marker::Fixtures
                | Marker::Oxygen
                | Marker::Real
                | Marker::RealUnstored
                | Marker::RepostInMirror
                | Marker::Reposted
        ) {
            continue;
        }
        for (n, line) in block.lines.iter().enumerate() {
            let line = line.strip_prefix("$ ").unwrap_or(line);
            for part in line.split(['&', ';', '|', '>']) {
                let args = words(part);
                let Some(at) = args.iter().position(|w| w == "hcpcs-diff") else {
                    continue;
                };
                let mut args = args[at + 1..].to_vec();
                if args.is_empty() {
                    continue;
                }
                seen += 1;
                args.push("--help".to_string());
                let dir = tempfile::tempdir().unwrap();
                let out = Command::cargo_bin("hcpcs-diff")
                    .unwrap()
                    .args(&args)
                    .current_dir(dir.path())
                    .output()
                    .unwrap();
                if !out.status.success() {
                    failures.push(format!(
                        "{}:{}: {part}: {}",
                        block.page,
                        block.line + 1 + n,
                        String::from_utf8_lossy(&out.stderr)
                    ));
                }
            }
        }
    }
    assert!(seen >= 5, "only {seen} other examples found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// GitHub's anchors of a page: each heading's (lower case, punctuation dropped, spaces to `-`,
/// a repeated one numbered) and each `<a id="...">`.
fn anchors(text: &str) -> Vec<String> {
    let mut anchors: Vec<String> = Vec::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("<a id=\"") {
            rest = &rest[at + 7..];
            if let Some(end) = rest.find('"') {
                anchors.push(rest[..end].to_string());
            }
        }
        let hashes = line.bytes().take_while(|&b| b == b'#').count();
        if hashes == 0 || line.as_bytes().get(hashes) != Some(&b' ') {
            continue;
        }
        let slug: String = line[hashes..]
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let seen = anchors.iter().filter(|a| **a == slug).count();
        let taken = (1..).map(|n| format!("{slug}-{n}"));
        anchors.push(if seen == 0 {
            slug
        } else {
            taken.into_iter().find(|a| !anchors.contains(a)).unwrap()
        });
    }
    anchors
}

/// Pages linked before they are written: `site` is being added on its own branch.
const PAGES_TO_COME: &[&str] = &[];

#[test]
fn every_link_between_the_pages_leads_somewhere() {
    let mut broken = Vec::new();
    let mut links = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let name = page.file_name().unwrap().to_string_lossy().into_owned();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let Some(end) = rest.find(')') else { break };
            let target = &rest[..end];
            if target.contains("://")
                || target.contains(' ')
                || target == "url"
                || PAGES_TO_COME.contains(&target)
            {
                continue;
            }
            links += 1;
            let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
            let file = if file.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(file)
            };
            if !file.exists() {
                broken.push(format!("{name}: {target}: no such file"));
            } else if !anchor.is_empty() {
                let found = std::fs::read_to_string(&file)
                    .map(|t| anchors(&t).iter().any(|a| a == anchor))
                    .unwrap_or(false);
                if !found {
                    broken.push(format!("{name}: {target}: no such heading"));
                }
            }
        }
    }
    assert!(links >= 20, "only {links} links found");
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

/// `docs/` mirrors `src/cmd/`: a page for each command's file (the shared argument, output and
/// dispatch modules are no command).
#[test]
fn every_command_has_its_page() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut missing = Vec::new();
    let mut commands = 0;
    for e in std::fs::read_dir(root.join("src/cmd")).unwrap() {
        let path = e.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        if ["args", "mod", "output"].contains(&stem.as_str()) {
            continue;
        }
        commands += 1;
        if !root.join("docs").join(format!("{stem}.md")).exists() {
            missing.push(stem);
        }
    }
    assert!(commands >= 10, "only {commands} commands in src/cmd");
    assert!(missing.is_empty(), "no docs/ page for {missing:?}");
}
