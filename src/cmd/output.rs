//! Where `--output` may write: anywhere but the store's own files. A report written over a
//! snapshot (`--output snapshots/2020-01.jsonl`) would damage the store, so such a path is
//! refused before any work, however it is spelt (relative, with `..`, through symbolic links).

use std::path::{Component, Path, PathBuf};

use anyhow::Result;

use hcpcs_diff::store::Store;

/// Refuses an `--output` that is the store folder or a file the store manages: its snapshots
/// (`*.jsonl`), corrections (`*.corrections.json`), lock, temporary files, and anything in its
/// `revisions/` and `downloads/` folders. Other files in the store folder (a README, a
/// changelog kept beside the snapshots) are the user's.
pub fn refuse_in_store(store: &Store, output: Option<&Path>) -> Result<()> {
    let Some(output) = output else {
        return Ok(());
    };
    let (path, dir) = (resolved(output)?, resolved(store.dir())?);
    let Ok(inside) = path.strip_prefix(&dir) else {
        return Ok(());
    };
    let mut parts = inside.components().map(|c| c.as_os_str().to_string_lossy());
    let what = match (parts.next(), parts.next()) {
        (None, _) => "the folder of",
        (Some(first), _) if first == "revisions" => "in the revisions folder of",
        (Some(first), _) if first == "downloads" => "in the downloads folder of",
        (Some(name), None) if name.ends_with(".corrections.json") => "a corrections file of",
        (Some(name), None) if name.ends_with(".jsonl") => "a snapshot file of",
        (Some(name), None) if name == ".lock" => "the lock file of",
        (Some(name), None) if name.starts_with(".tmp-") => "a temporary file of",
        _ => return Ok(()),
    };
    anyhow::bail!(
        "--output {}: is {what} the store {} ({}): a report is never written into the store's \
         files; give another path",
        output.display(),
        store.dir().display(),
        path.display()
    )
}

/// Refuses an `--output` that is one of the files the command reads (`audit claims.csv
/// --output claims.csv`, a watch list, a release file given to `diff`): the report would be
/// renamed over it, and the user's file lost. The same file is found however it is spelt,
/// and through a hard link.
pub fn refuse_input<'a>(
    output: Option<&Path>,
    inputs: impl IntoIterator<Item = &'a Path>,
) -> Result<()> {
    let Some(output) = output else {
        return Ok(());
    };
    let target = resolved(output)?;
    let out_meta = std::fs::metadata(&target).ok();
    for input in inputs {
        let same_file = match (&out_meta, std::fs::metadata(input)) {
            (Some(a), Ok(b)) => {
                use std::os::unix::fs::MetadataExt;
                a.is_file() && a.dev() == b.dev() && a.ino() == b.ino()
            }
            _ => false,
        };
        if same_file || resolved(input)? == target {
            anyhow::bail!(
                "--output {}: is {}, which this command reads: the report would replace it; \
                 give another path",
                output.display(),
                input.display()
            );
        }
    }
    Ok(())
}

/// `path` absolute, with every symbolic link in the part that exists followed, and `.` and `..`
/// in the part that does not taken as written (what does not exist yet cannot be a link).
fn resolved(path: &Path) -> Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let parts: Vec<Component> = absolute.components().collect();
    for existing in (1..=parts.len()).rev() {
        let Ok(mut real) = parts[..existing].iter().collect::<PathBuf>().canonicalize() else {
            continue;
        };
        for part in &parts[existing..] {
            match part {
                Component::ParentDir => {
                    real.pop();
                }
                Component::Normal(name) => real.push(name),
                _ => {}
            }
        }
        return Ok(real);
    }
    Ok(absolute)
}
