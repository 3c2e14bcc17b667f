//! Rules the source keeps, read from the source itself: one hex encoder, and typed errors
//! (no `Result<_, String>`) in the files that have been brought under the rule.

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

/// Errors are typed (thiserror) so that callers can branch and messages name what they must;
/// a `Result<_, String>` is neither. These files are under the rule.
#[test]
fn errors_are_typed_not_strings() {
    let under_rule = |name: &str| {
        name.starts_with("src/fetch/")
            || name.starts_with("src/check")
            || name.starts_with("src/cmd/")
            || name == "src/lib.rs"
            || name == "src/error.rs"
            || name == "src/diff/cms.rs"
            || name == "src/normalize/corrections.rs"
    };
    let found: Vec<String> = source_files()
        .into_iter()
        .filter(|(name, _)| under_rule(name))
        .flat_map(|(name, text)| {
            text.lines()
                .enumerate()
                .filter(|(_, line)| {
                    let line = line.replace(' ', "");
                    line.contains("Result<") && line.contains(",String>")
                })
                .map(|(n, line)| format!("{name}:{}: {}", n + 1, line.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(found.is_empty(), "{found:#?}");
}
