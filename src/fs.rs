//! Files written whole or not at all: a temporary file in the same folder, renamed into place.
//! The store, downloads and reports all write this way, so a reader (or a crash) never sees a
//! part.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so a
/// reader sees the old file or the new one, never a part.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    create_atomically(path, |tmp: &Path| -> std::io::Result<()> {
        std::fs::OpenOptions::new()
            .write(true)
            .open(tmp)?
            .write_all(bytes)
    })
}

/// Makes `path` by having `fill` write a temporary file in the same folder (given by its path,
/// for writers that open files themselves, like SQLite), then renames it into place. If `fill`
/// fails, the temporary file is removed and `path` is left as it was.
pub fn create_atomically<E: From<std::io::Error>>(
    path: &Path,
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
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
