//! Putting the store back as it was when a run that writes several files fails part-way: each
//! file it may write is noted first (a copy of it and its time, or that it was not there), and
//! a run that does not finish restores them. Each file is still written whole (`crate::fs`);
//! this makes the run's files together all or nothing, so that exit 2 leaves the store as it
//! was. The copies are kept on disk, in files without a name beside the ones they copy, not in
//! memory: a snapshot may be hundreds of megabytes.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::{Store, StoreError};

/// What was at a path before the run.
enum Before {
    Absent,
    File {
        /// A copy of its bytes: a file with no name (gone with the run), in the same folder.
        copy: std::fs::File,
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
                    copy: copy_of(&path).map_err(Self::io(&path))?,
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
                Before::File { copy, modified } => restore(path, copy, *modified),
                Before::Other => {}
            }
        }
        for folder in &self.folders {
            let _ = std::fs::remove_dir(folder);
        }
    }
}

/// A copy of the file at `path` in a file with no name in the same folder (on the same file
/// system, where the copy may share the file's blocks), read back from its start.
fn copy_of(path: &Path) -> std::io::Result<std::fs::File> {
    use std::io::Seek;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut copy = tempfile::tempfile_in(dir)?;
    std::io::copy(&mut std::fs::File::open(path)?, &mut copy)?;
    copy.rewind()?;
    Ok(copy)
}

/// Whether the file at `path` holds what `copy` holds.
fn same_bytes(path: &Path, mut copy: &std::fs::File) -> std::io::Result<bool> {
    use std::io::{Read, Seek};
    let mut now = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
    copy.rewind()?;
    let mut copy = std::io::BufReader::with_capacity(1 << 16, copy);
    let (mut piece, mut theirs) = (vec![0; 1 << 16], vec![0; 1 << 16]);
    loop {
        let n = copy.read(&mut piece)?;
        match now.read_exact(&mut theirs[..n]) {
            Ok(()) if theirs[..n] == piece[..n] => {}
            Ok(()) => return Ok(false),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(false),
            Err(e) => return Err(e),
        }
        if n == 0 {
            return Ok(now.read(&mut [0])? == 0);
        }
    }
}

/// Writes the bytes of `copy` back at `path` unless they are there already, with the file's
/// time.
fn restore(path: &Path, mut copy: &std::fs::File, modified: Option<SystemTime>) {
    use std::io::Seek;
    let now = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    if now.is_some() && now == modified && same_bytes(path, copy).unwrap_or(false) {
        return;
    }
    let written = copy.rewind().and_then(|()| {
        crate::fs::write_atomically_with(path, |out| std::io::copy(&mut copy, out).map(drop))
    });
    if written.is_err() {
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

        // A file of many pieces, copied aside in no file the store's folder shows.
        let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&kept, &big).unwrap();
        let names = || {
            let mut names: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            names.sort();
            names
        };
        let before = names();
        let undo = store.undo_for(paths()).unwrap();
        assert_eq!(names(), before);
        std::fs::write(&kept, &big[..1000]).unwrap();
        drop(undo);
        assert_eq!(std::fs::read(&kept).unwrap(), big);
    }

    /// A file is the same as its copy only byte for byte: one changed past the first piece,
    /// one more or one fewer is not.
    #[test]
    fn a_file_is_its_copy_only_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("2020-01.jsonl");
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let copy = copy_of(&path).unwrap();
        let same_now = |now: &[u8]| {
            std::fs::write(&path, now).unwrap();
            same_bytes(&path, &copy).unwrap()
        };
        assert!(same_now(&bytes));
        let mut changed = bytes.clone();
        changed[150_000] ^= 1;
        assert!(!same_now(&changed));
        assert!(!same_now(&[bytes.as_slice(), b"x"].concat()));
        assert!(!same_now(&bytes[..bytes.len() - 1]));
        assert!(!same_now(b""));
    }
}
