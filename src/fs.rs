//! Files written whole or not at all: a temporary file in the same folder, renamed into place.
//! The store, downloads and reports all write this way, so a reader (or a crash) never sees a
//! part.

use std::io::Write;
use std::path::Path;

/// What `path` is when it is there and neither a regular file nor a folder.
fn irregular(path: &Path) -> Option<&'static str> {
    std::fs::metadata(path)
        .ok()
        .and_then(|meta| crate::error::irregular(&meta))
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so a
/// reader sees the old file or the new one, never a part.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomically_with(path, |w| w.write_all(bytes))
}

/// Writes what `write` produces to `path`, streamed through a temporary file in the same
/// folder and renamed into place only if `write` succeeds (a report of millions of rows is
/// never held in memory whole). On an error the temporary file is removed and `path` is as it
/// was.
pub fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    // A device or a FIFO (`--output /dev/null`, a pipe a cron job reads) is written to, never
    // replaced: renaming a file over it would put a plain file where the device was.
    if irregular(path).is_some() {
        let file = std::fs::OpenOptions::new().write(true).open(path)?;
        let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
        write(&mut out)?;
        return out.flush();
    }
    create_atomically(path, |tmp: &Path| -> std::io::Result<()> {
        let file = std::fs::OpenOptions::new().write(true).open(tmp)?;
        let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
        write(&mut out)?;
        out.flush()
    })
}

/// Makes `path` by having `fill` write a temporary file in the same folder (given by its path,
/// for writers that open files themselves, like SQLite), then renames it into place. If `fill`
/// fails, the temporary file is removed and `path` is left as it was. A device, FIFO or
/// socket at `path` is refused, never replaced.
pub fn create_atomically<E: From<std::io::Error>>(
    path: &Path,
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    if let Some(what) = irregular(path) {
        let problem = format!("is {what}: a file is written whole and renamed into place");
        return Err(std::io::Error::other(problem).into());
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    // The file gets the mode of the one it replaces (a report kept 0640 because it carries
    // claim columns stays 0640), from its first byte; a new file gets what the umask gives
    // any new file (0644 under the usual 022), not a temporary file's private 0600.
    #[cfg(unix)]
    use std::os::unix::fs::PermissionsExt;
    #[cfg(unix)]
    let kept = std::fs::metadata(path)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.permissions().mode() & 0o7777);
    let mut builder = tempfile::Builder::new();
    builder.prefix(".tmp-");
    // (Its owner may write it meanwhile: writers reopen it by name.)
    #[cfg(unix)]
    builder.permissions(std::fs::Permissions::from_mode(
        kept.map_or(0o666, |mode| mode | 0o600),
    ));
    let tmp = builder.tempfile_in(dir)?;
    fill(tmp.path())?;
    // `fill` may have written through its own handle: sync what is on disk under the name.
    std::fs::OpenOptions::new()
        .write(true)
        .open(tmp.path())?
        .sync_all()?;
    #[cfg(unix)]
    if let Some(mode) = kept {
        // The umask may have narrowed the temporary file's mode: the replaced file's is given
        // exactly.
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Why `create_folder_atomically` leaves a path alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("is not a folder: a folder is written here whole")]
    NotAFolder,
    #[error("holds files this tool did not write: not replaced (give an empty or new folder)")]
    NotOurs,
}

/// Makes the folder `path` by having `fill` write a temporary folder beside it, then moves it
/// into place: a failed `fill` leaves `path` as it was. A folder already at `path` is replaced
/// only when it is empty or `replaceable` says it holds nothing but what an earlier run wrote
/// (an export or a site), never a folder of the user's other files (`Refused`). The old folder
/// is moved aside, the new one renamed in, and the old one removed. Returns what `fill` did.
pub fn create_folder_atomically<T, E: From<std::io::Error> + From<Refused>>(
    path: &Path,
    replaceable: impl Fn(&Path) -> bool,
    fill: impl FnOnce(&Path) -> Result<T, E>,
) -> Result<T, E> {
    let existing = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => true,
        Ok(_) => return Err(Refused::NotAFolder.into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(e.into()),
    };
    if existing && std::fs::read_dir(path)?.next().is_some() && !replaceable(path) {
        return Err(Refused::NotOurs.into());
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempdir_in(parent)?;
    let done = fill(tmp.path())?;
    // Every file, in every subfolder (a site's pages are in codes/, releases/...), and every
    // folder, reaches the disk before the new folder takes the old one's place.
    sync_tree(tmp.path())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755))?;
    }
    if existing {
        let old = tempfile::Builder::new()
            .prefix(".old-")
            .tempdir_in(parent)?;
        let aside = old.path().join("previous");
        std::fs::rename(path, &aside)?;
        if let Err(e) = std::fs::rename(tmp.path(), path) {
            // Put the old folder back: the caller sees the error and the folder as it was.
            let _ = std::fs::rename(&aside, path);
            return Err(e.into());
        }
        drop(old);
    } else {
        std::fs::rename(tmp.path(), path)?;
    }
    // The folder was renamed away: nothing is left for the guard to remove.
    let _ = tmp.keep();
    Ok(done)
}

/// `sync_all` on every file and folder below `dir`, and on `dir` itself.
fn sync_tree(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            sync_tree(&entry.path())?;
        } else {
            std::fs::File::open(entry.path())?.sync_all()?;
        }
    }
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::{Refused, create_folder_atomically};

    #[derive(Debug)]
    enum Failed {
        Io,
        Refused(Refused),
    }

    impl From<std::io::Error> for Failed {
        fn from(_: std::io::Error) -> Self {
            Failed::Io
        }
    }

    impl From<Refused> for Failed {
        fn from(r: Refused) -> Self {
            Failed::Refused(r)
        }
    }

    /// A file, or a folder of someone else's files, is refused by name, untouched; an empty
    /// folder is filled, and what `fill` made is handed back.
    #[test]
    fn a_folder_is_refused_by_kind_or_filled_and_its_result_handed_back() {
        let work = tempfile::tempdir().unwrap();
        let fill = |d: &std::path::Path| -> Result<usize, Failed> {
            std::fs::write(d.join("a"), "a")?;
            Ok(7)
        };
        let file = work.path().join("file");
        std::fs::write(&file, "x").unwrap();
        let refused = |r| matches!(r, Err(Failed::Refused(r)) if r == Refused::NotAFolder);
        assert!(refused(create_folder_atomically(&file, |_| true, fill)));
        let mine = work.path().join("mine");
        std::fs::create_dir(&mine).unwrap();
        std::fs::write(mine.join("notes"), "keep").unwrap();
        let got = create_folder_atomically(&mine, |_| false, fill);
        assert!(
            matches!(got, Err(Failed::Refused(Refused::NotOurs))),
            "{got:?}"
        );
        assert_eq!(std::fs::read(mine.join("notes")).unwrap(), b"keep");
        assert_eq!(std::fs::read(&file).unwrap(), b"x");
        let empty = work.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert!(matches!(
            create_folder_atomically(&empty, |_| false, fill),
            Ok(7)
        ));
        assert_eq!(std::fs::read(empty.join("a")).unwrap(), b"a");
    }
}
