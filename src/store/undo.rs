//! Putting the store back as it was when a run that writes several files fails part-way: each
//! file it may write is noted first (its bytes and time, or that it was not there), and a run
//! that does not finish restores them. Each file is still written whole (`crate::fs`); this
//! makes the run's files together all or nothing, so that exit 2 leaves the store as it was.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::{Store, StoreError};

/// What was at a path before the run.
enum Before {
    Absent,
    File {
        bytes: Vec<u8>,
        modified: Option<SystemTime>,
    },
    /// A folder or another thing no write of the run replaces: left alone.
    Other,
}

/// The files a run may write, as they were; dropped without `finish`, it puts them back.
#[must_use = "dropping it puts the files back"]
pub struct Undo {
    files: Vec<(PathBuf, Before)>,
    /// The folders that were not there, deepest first: removed again if left empty.
    folders: Vec<PathBuf>,
    finished: bool,
}

impl Store {
    /// Notes how the files at `paths` (in the store) are now, for the run that is about to
    /// write them; call it holding the lock.
    pub fn undo_for(&self, paths: impl IntoIterator<Item = PathBuf>) -> Result<Undo, StoreError> {
        let mut undo = Undo {
            files: Vec::new(),
            folders: Vec::new(),
            finished: false,
        };
        for path in paths {
            if undo.files.iter().any(|(p, _)| *p == path) {
                continue;
            }
            let before = match std::fs::metadata(&path) {
                Ok(meta) if meta.is_file() => Before::File {
                    bytes: std::fs::read(&path).map_err(Self::io(&path))?,
                    modified: meta.modified().ok(),
                },
                Ok(_) => Before::Other,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Before::Absent,
                Err(e) => return Err(Self::io(&path)(e)),
            };
            for folder in path.ancestors().skip(1) {
                if !folder.starts_with(self.dir()) || folder == self.dir() {
                    break;
                }
                if !folder.exists() && !undo.folders.iter().any(|f| f == folder) {
                    undo.folders.push(folder.to_path_buf());
                }
            }
            undo.files.push((path, before));
        }
        undo.folders
            .sort_by_key(|f| std::cmp::Reverse(f.components().count()));
        Ok(undo)
    }
}

impl Undo {
    /// The run finished: its files stay.
    pub fn finish(mut self) {
        self.finished = true;
    }

    /// Puts every noted file back, as best it can: the run has already failed, and its error
    /// is the one to report.
    fn roll_back(&self) {
        for (path, before) in self.files.iter().rev() {
            match before {
                Before::Absent => {
                    let _ = std::fs::remove_file(path);
                }
                Before::File { bytes, modified } => restore(path, bytes, *modified),
                Before::Other => {}
            }
        }
        for folder in &self.folders {
            let _ = std::fs::remove_dir(folder);
        }
    }
}

/// Writes `bytes` back at `path` unless they are there already, with the file's time.
fn restore(path: &Path, bytes: &[u8], modified: Option<SystemTime>) {
    let now = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    if now.is_some() && now == modified && std::fs::read(path).is_ok_and(|b| b == bytes) {
        return;
    }
    if crate::fs::write_atomically(path, bytes).is_err() {
        return;
    }
    if let Some(time) = modified {
        let _ = std::fs::File::options()
            .write(true)
            .open(path)
            .and_then(|f| f.set_modified(time));
    }
}

impl Drop for Undo {
    fn drop(&mut self) {
        if !self.finished {
            self.roll_back();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run that stops part-way: the file it replaced is back, byte for byte and with its
    /// time, the file and the folder it made are gone; a finished run keeps what it wrote.
    #[test]
    fn an_unfinished_run_puts_the_files_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let kept = dir.path().join("2020-01.jsonl");
        std::fs::write(&kept, b"old").unwrap();
        let time = std::fs::metadata(&kept).unwrap().modified().unwrap();
        let made = dir.path().join("revisions/2020-01/1.jsonl");
        let paths = || [kept.clone(), made.clone()];
        let undo = store.undo_for(paths()).unwrap();
        std::fs::write(&kept, b"new").unwrap();
        std::fs::create_dir_all(made.parent().unwrap()).unwrap();
        std::fs::write(&made, b"new").unwrap();
        drop(undo);
        assert_eq!(std::fs::read(&kept).unwrap(), b"old");
        assert_eq!(std::fs::metadata(&kept).unwrap().modified().unwrap(), time);
        assert!(!dir.path().join("revisions").exists());

        let undo = store.undo_for(paths()).unwrap();
        std::fs::write(&kept, b"new").unwrap();
        undo.finish();
        assert_eq!(std::fs::read(&kept).unwrap(), b"new");
    }
}
