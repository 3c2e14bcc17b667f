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
    let tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    fill(tmp.path())?;
    // Temporary files are private (0600); a snapshot or report is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    // `fill` may have written through its own handle: sync what is on disk under the name.
    std::fs::OpenOptions::new()
        .write(true)
        .open(tmp.path())?
        .sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Makes the folder `dir` whole or not at all: `fill` writes a temporary folder beside it
/// (given its path, and `dir` as it is, for reusing unchanged files), which then takes `dir`'s
/// place. If `fill` fails, the temporary folder is removed and `dir` is left as it was. The
/// old folder is moved aside before the new one is renamed in, and removed after; a reader in
/// that instant finds no folder, never a half-written one.
pub fn replace_dir_with<T, E: From<std::io::Error>>(
    dir: &Path,
    fill: impl FnOnce(&Path) -> Result<T, E>,
) -> Result<T, E> {
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempdir_in(parent)?;
    let made = fill(tmp.path())?;
    // Temporary folders are private (0700); a site is served to others.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755))?;
    }
    if std::fs::symlink_metadata(dir).is_err() {
        std::fs::rename(tmp.path(), dir)?;
        // Renamed away: nothing is left for the guard to remove.
        let _ = tmp.keep();
        return Ok(made);
    }
    let aside = tempfile::Builder::new()
        .prefix(".old-")
        .tempdir_in(parent)?;
    std::fs::rename(dir, aside.path())?;
    if let Err(e) = std::fs::rename(tmp.path(), dir) {
        // Put the old folder back; the new one goes with its guard.
        std::fs::rename(aside.path(), dir)?;
        return Err(e.into());
    }
    let _ = tmp.keep();
    // `aside` now holds the old folder, removed when it drops.
    drop(aside);
    Ok(made)
}
