//! Rules the source keeps, read from the source itself: one hex encoder, and typed errors
//! (no `Result<_, String>`) in every file of `src/`.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn source_files() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    sources(&root.join("src"), &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let name = p.strip_prefix(root).unwrap().display().to_string();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// Digests are written as hex in one place (`model::hex`), so that every SHA-256 the tool
/// stores, prints and compares is spelled the same way.
#[test]
fn the_source_has_one_hex_encoder() {
    let encoders: Vec<String> = source_files()
        .into_iter()
        .filter(|(_, text)| text.contains(":02x}"))
        .map(|(name, _)| name)
        .collect();
    assert_eq!(encoders, ["src/model/snapshot.rs"]);
    let sha256_hex: Vec<String> = source_files()
        .into_iter()
        .filter(|(_, text)| text.contains("pub fn sha256_hex"))
        .map(|(name, _)| name)
        .collect();
    assert_eq!(sha256_hex, ["src/model/snapshot.rs"]);
}

/// The lines of a source file outside its `#[cfg(test)]` modules (a test may hold what it
/// likes), numbered from 1. A test module runs from its `mod` line to the closing brace at
/// that line's indent, as rustfmt writes it.
fn lines_outside_tests(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((n, line)) = lines.next() {
        if line.trim() == "#[cfg(test)]"
            && let Some((_, next)) = lines.peek()
            && next.trim_start().starts_with("mod ")
            && next.trim_end().ends_with('{')
        {
            let indent = &next[..next.len() - next.trim_start().len()];
            let end = format!("{indent}}}");
            for (_, inner) in lines.by_ref() {
                if inner == end {
                    break;
                }
            }
            continue;
        }
        out.push((n + 1, line));
    }
    out
}

/// Errors are typed (thiserror) so that callers can branch and messages name what they must;
/// a `Result<_, String>` (or a `FromStr` whose error is a String) is neither. Every file of
/// `src/` is under the rule, outside its test modules.
#[test]
fn errors_are_typed_not_strings() {
    let found: Vec<String> = source_files()
        .into_iter()
        .flat_map(|(name, text)| {
            lines_outside_tests(&text)
                .into_iter()
                .filter(|(_, line)| {
                    let line = line.replace(' ', "");
                    (line.contains("Result<") && line.contains(",String>"))
                        || line.contains("typeErr=String;")
                })
                .map(|(n, line)| format!("{name}:{n}: {}", line.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(found.is_empty(), "{found:#?}");
}

/// The rule above would pass on every file if it read none, or skipped too much as tests.
#[test]
fn the_typed_errors_rule_reads_what_it_must() {
    let files = source_files();
    assert!(files.len() > 50, "only {} source files found", files.len());
    let text = "fn a() -> Result<(), String> {}\n#[cfg(test)]\nmod tests {\n    fn b() -> \
                Result<(), String> {}\n}\nfn c() {}\n";
    let kept: Vec<usize> = lines_outside_tests(text).iter().map(|(n, _)| *n).collect();
    assert_eq!(kept, [1, 6]);
}
