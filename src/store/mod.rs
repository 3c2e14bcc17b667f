//! The snapshot store: one file per release, `<store>/<YYYY-MM>.jsonl` (format in `file`),
//! the current revision of each; earlier revisions in `revisions/` (see `revisions`).
//! It only keeps: paths, load and save, the lock. Writes go through `crate::fs`, so a failed
//! import leaves the store exactly as it was.

mod corrections;
mod file;
mod revisions;
mod stream;
mod undo;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::fs::write_atomically_with;
use crate::model::{Provenance, ReleaseId, SCHEMA_VERSION, Snapshot, SnapshotLines, SourceInfo};

pub use corrections::Added;
use file::Lines;
pub use revisions::{BadRevisionId, Revision, RevisionId, looks_earlier};
pub use undo::Undo;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{file}: line {line}: not a snapshot this tool can read: {problem}")]
    Corrupt {
        file: String,
        line: usize,
        problem: String,
    },
    #[error(
        "{file}: snapshot schema version {found}, made by an older hcpcs-diff; this one reads version {SCHEMA_VERSION}: re-import it with --force"
    )]
    Schema { file: String, found: u32 },
    #[error("{file} is damaged ({problem}): re-import it with --force")]
    Damaged { file: String, problem: String },
    #[error(
        "{file} is damaged ({problem}): re-import release {release} with --force (`hcpcs-diff import SOURCE --force`), or keep its corrections again with `hcpcs-diff import --corrections FILE --release {release} --force`; either replaces it"
    )]
    CorrectionsDamaged {
        file: String,
        release: ReleaseId,
        problem: String,
    },
    #[error("no store at {0}: run where snapshots/ is, pass --store DIR or set HCPCS_DIFF_STORE")]
    NoStore(String),
    #[error("{path}: still held by {holder} after waiting {waited} s (--lock-wait)")]
    Locked {
        path: String,
        holder: String,
        waited: u64,
    },
    #[error("release {0} is not in the store (see `hcpcs-diff list`)")]
    Missing(ReleaseId),
    #[error("the store is empty: import a release first (`hcpcs-diff import FILE`)")]
    Empty,
    #[error(
        "release {release} is already stored from {old_file} (sha256 {old_sha}); {new_file} (sha256 {new_sha}) is the same file but reads differently now (another version of hcpcs-diff?): use --force to replace it"
    )]
    Differs {
        release: ReleaseId,
        old_file: String,
        old_sha: String,
        new_file: String,
        new_sha: String,
    },
    #[error(
        "{file} is damaged ({problem}): it is {id}, an earlier revision kept as it was stored; restore it from a backup"
    )]
    RevisionDamaged {
        file: String,
        id: String,
        problem: String,
    },
    #[error("{dir}: revision {missing} is missing (found {found}); restore it from a backup")]
    RevisionGap {
        dir: String,
        missing: usize,
        found: String,
    },
    #[error(
        "release {release} has no revision {asked}: {have} (see `hcpcs-diff list --revisions`)"
    )]
    NoRevision {
        release: ReleaseId,
        asked: u32,
        have: String,
    },
}

/// What `Store::plan_save` found storing a snapshot would do; `Store::commit` does it.
#[derive(Debug)]
pub struct Planned {
    pub saved: Saved,
}

impl Planned {
    /// Whether `Store::commit` writes the snapshot file: not for one stored as it is, nor for
    /// the same records from another file.
    pub fn writes_snapshot(&self) -> bool {
        !matches!(self.saved, Saved::Unchanged | Saved::SameRecords(_))
    }
}

/// What `Store::save` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    Created,
    /// The same bytes were already stored; nothing was written.
    Unchanged,
    /// Another source file with the same records (a re-zipped posting); nothing was written.
    SameRecords(SourceInfo),
    /// `--force` replaced a snapshot made from this source.
    Replaced(SourceInfo),
    /// Different records from another source file: stored as revision `number`, now the
    /// current one; the one before it (made from `previous`) is kept as `kept`.
    Revision {
        number: u32,
        previous: SourceInfo,
        kept: PathBuf,
        /// The earlier revision made from the same source file, if any (a posting back again,
        /// or one imported out of order).
        same_as: Option<u32>,
    },
}

/// How long a run waits for another to release the store, unless told otherwise.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(600);

/// A folder of snapshots.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
    lock_wait: Duration,
    /// Told, once, that a run waits for another to release the store.
    on_wait: fn(&str),
}

/// The store held by one run (`Store::lock`), until dropped. A run that fails, dropping it
/// without calling `succeeded`, leaves no trace of having taken the lock: the store folder, its
/// `.lock` and its `downloads/` folder are removed again if they were not there before (a
/// folder only if empty), so that a failed command changes nothing, whichever command it is.
#[must_use = "the store is held until this is dropped"]
#[derive(Debug)]
pub struct StoreLock {
    /// Let go of (`None`) only once the clean-up is done.
    file: Option<std::fs::File>,
    dir: PathBuf,
    /// Whether the store folder, its `.lock` and `downloads/` were there before.
    found: [bool; 3],
    succeeded: bool,
}

impl StoreLock {
    /// The run worked: what it made stays when the lock is let go.
    pub fn succeeded(mut self) {
        self.succeeded = true;
    }
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        if self.succeeded {
            return;
        }
        // Removed while still held: a run waiting for it then finds its file gone and takes
        // the lock anew (see `Store::lock`).
        let [dir, lock_file, downloads] = self.found;
        if !downloads {
            let _ = std::fs::remove_dir(self.dir.join("downloads"));
        }
        if !lock_file {
            let _ = std::fs::remove_file(self.dir.join(".lock"));
        }
        if !dir {
            let _ = std::fs::remove_dir(&self.dir);
        }
        // The lock itself goes with the file, after the clean-up.
        drop(self.file.take());
    }
}

/// Whether the open `file` is still the one at `path` (not removed, nor replaced).
fn is_same_file(file: &std::fs::File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        path.exists()
    }
}

/// The process named in a lock file, for messages.
fn holder(path: &Path) -> String {
    match std::fs::read_to_string(path) {
        Ok(pid) if !pid.trim().is_empty() => format!("process {}", pid.trim()),
        _ => "another run".to_string(),
    }
}

impl Store {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Store {
            dir: dir.into(),
            lock_wait: DEFAULT_LOCK_WAIT,
            on_wait: |_| {},
        }
    }

    /// Who to tell that a run waits for the store (the command line prints it); by default
    /// nobody: the library prints nothing.
    pub fn on_wait(mut self, tell: fn(&str)) -> Self {
        self.on_wait = tell;
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where downloaded zips are kept, with their SHA-256.
    pub fn downloads(&self) -> PathBuf {
        self.dir.join("downloads")
    }

    /// How long `lock` waits for another run before giving up.
    pub fn with_lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// Holds the store for one run: a second run waits until the first has finished, saying
    /// so, for at most the lock wait. The lock is the operating system's (flock): a run that
    /// died holds nothing, so a stale `.lock` never blocks. A run that fails leaves no trace of
    /// having taken it (see `StoreLock`).
    pub fn lock(&self) -> Result<StoreLock, StoreError> {
        let lock_file = self.dir.join(".lock");
        let downloads = self.downloads();
        // Whatever of these was not there is removed again by a run that fails (see `Drop`).
        let found = [self.dir.exists(), lock_file.exists(), downloads.exists()];
        // A lock not taken removes nothing: another run may hold it.
        let file = self.take_lock()?;
        Ok(StoreLock {
            file: Some(file),
            dir: self.dir.clone(),
            found,
            succeeded: false,
        })
    }

    fn take_lock(&self) -> Result<std::fs::File, StoreError> {
        std::fs::create_dir_all(&self.dir).map_err(Self::io(&self.dir))?;
        let path = self.dir.join(".lock");
        let open = || {
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .read(true)
                .write(true)
                .open(&path)
                .map_err(Self::io(&path))
        };
        let mut file = open()?;
        let start = Instant::now();
        let mut said = false;
        loop {
            match file.try_lock() {
                // A run that failed in a store it created removes the lock file before letting
                // go of it: a lock on the removed file holds nothing, so take the new one.
                // Bounded like any wait: a file system that never shows the two as one file
                // ends in the timeout below, not in a loop.
                Ok(()) if !is_same_file(&file, &path) && start.elapsed() < self.lock_wait => {
                    std::fs::create_dir_all(&self.dir).map_err(Self::io(&self.dir))?;
                    file = open()?;
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(e)) => return Err(Self::io(&path)(e)),
            }
            if start.elapsed() >= self.lock_wait {
                return Err(StoreError::Locked {
                    path: path.display().to_string(),
                    holder: holder(&path),
                    waited: self.lock_wait.as_secs(),
                });
            }
            if !said {
                (self.on_wait)(&format!(
                    "waiting up to {} s for {} (held by {})",
                    self.lock_wait.as_secs(),
                    path.display(),
                    holder(&path)
                ));
                said = true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Who holds the lock, for the message another run prints while it waits.
        use std::io::{Seek, Write};
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = write!(file, "{}", std::process::id());
        self.remove_leftovers();
        self.remove_revision_leftovers();
        Ok(file)
    }

    /// Removes the temporary files of a run that was killed: only a lock holder writes here,
    /// so with the lock held any `.tmp-*` or `.download-*` is a leftover.
    fn remove_leftovers(&self) {
        for dir in [self.dir.clone(), self.downloads()] {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                let is_file = entry.file_type().is_ok_and(|t| t.is_file());
                if is_file && (name.starts_with(".tmp-") || name.starts_with(".download-")) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }

    /// A release that is not there: missing from the store, or no store at all.
    fn missing(&self, release: ReleaseId) -> StoreError {
        if self.dir.is_dir() {
            StoreError::Missing(release)
        } else {
            self.no_store()
        }
    }

    fn no_store(&self) -> StoreError {
        StoreError::NoStore(self.dir.display().to_string())
    }

    pub fn path_of(&self, release: ReleaseId) -> PathBuf {
        self.dir.join(format!("{release}.jsonl"))
    }

    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
        move |source| StoreError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    /// Releases in the store, oldest first.
    pub fn releases(&self) -> Result<Vec<ReleaseId>, StoreError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(self.no_store()),
            Err(e) => return Err(Self::io(&self.dir)(e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let name = entry.map_err(Self::io(&self.dir))?.file_name();
            if let Some(stem) = name.to_string_lossy().strip_suffix(".jsonl")
                && let Ok(release) = stem.parse::<ReleaseId>()
                && release.to_string() == stem
            {
                out.push(release);
            }
        }
        out.sort();
        Ok(out)
    }

    /// Every stored release, oldest first.
    pub fn load_all(&self) -> Result<Vec<Snapshot>, StoreError> {
        self.releases()?.into_iter().map(|r| self.load(r)).collect()
    }

    pub fn latest(&self) -> Result<ReleaseId, StoreError> {
        self.releases()?.last().copied().ok_or(StoreError::Empty)
    }

    /// The newest stored release before `release`.
    pub fn previous(&self, release: ReleaseId) -> Result<Option<ReleaseId>, StoreError> {
        Ok(self.releases()?.into_iter().rev().find(|r| *r < release))
    }

    /// A snapshot's provenance, the file checked whole (count, SHA-256, order) without
    /// parsing its records.
    pub fn provenance(&self, release: ReleaseId) -> Result<Provenance, StoreError> {
        let (file, bytes) = self.read(release)?;
        Ok(Lines::new(&file, &bytes)?.provenance)
    }

    /// Every code of a stored release, the file checked as `provenance` checks it, no record
    /// parsed.
    pub fn codes(&self, release: ReleaseId) -> Result<Vec<String>, StoreError> {
        let (file, bytes) = self.read(release)?;
        Ok(Lines::new(&file, &bytes)?
            .codes()
            .map(str::to_string)
            .collect())
    }

    /// What a stored snapshot was made from, read from its first line alone and leniently, so
    /// that an older or damaged snapshot can still be named when it is replaced.
    fn source_of(&self, release: ReleaseId) -> Result<Option<SourceInfo>, StoreError> {
        let path = self.path_of(release);
        // The first line alone is read: the file may be hundreds of megabytes.
        let first = revisions::first_line(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => self.missing(release),
            _ => Self::io(&path)(e),
        })?;
        let first = file::without_line_end(&first);
        Ok(std::str::from_utf8(first).ok().and_then(file::source_of))
    }

    /// A stored release's file, open for reading, and its name.
    fn open(&self, release: ReleaseId) -> Result<(String, std::fs::File), StoreError> {
        let path = self.path_of(release);
        let opened = std::fs::File::open(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => self.missing(release),
            _ => Self::io(&path)(e),
        })?;
        Ok((path.display().to_string(), opened))
    }

    fn read(&self, release: ReleaseId) -> Result<(String, Vec<u8>), StoreError> {
        let path = self.path_of(release);
        let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => self.missing(release),
            _ => Self::io(&path)(e),
        })?;
        Ok((path.display().to_string(), bytes))
    }

    pub fn load(&self, release: ReleaseId) -> Result<Snapshot, StoreError> {
        let (file, bytes) = self.read(release)?;
        Snapshot::from_bytes(&file, &bytes)
    }

    /// Two stored releases trimmed to what `diff` can see, for speed (see
    /// `stream::trimmed_for_diff`); do not use them for anything else.
    pub fn load_for_diff(
        &self,
        old: ReleaseId,
        new: ReleaseId,
    ) -> Result<(Snapshot, Snapshot), StoreError> {
        let (old_file, old_opened) = self.open(old)?;
        let (new_file, new_opened) = self.open(new)?;
        stream::trimmed_for_diff((&old_file, old_opened), (&new_file, new_opened))
    }

    /// A stored release trimmed to `code`'s record (none if it lacks the code), the file checked
    /// whole as `load` checks it; for `history`, which looks at one code in every release.
    pub fn load_code(&self, release: ReleaseId, code: &str) -> Result<Snapshot, StoreError> {
        self.load_where(release, |c| c == code)
    }

    /// A stored release trimmed to the records whose code `keep` wants, the file read a line at
    /// a time (no more of it held than those records) and checked whole as `load` checks it: a
    /// look-up of any other code in it finds nothing, so keep every code the caller will look up.
    pub fn load_where(
        &self,
        release: ReleaseId,
        keep: impl Fn(&str) -> bool,
    ) -> Result<Snapshot, StoreError> {
        let (file, opened) = self.open(release)?;
        stream::trimmed_to(&file, opened, keep)
    }

    /// What `save` would do, without writing: the refusal of different content without `force`
    /// comes here, before anything else is kept.
    pub fn check_save(&self, snapshot: &Snapshot, force: bool) -> Result<Saved, StoreError> {
        self.plan_save(snapshot, force).map(|planned| planned.saved)
    }

    /// What storing `snapshot` would do (`check_save`), for `commit` to do. The stored file is
    /// compared with the snapshot's bytes as they are made (`file::holds`), neither held whole.
    pub fn plan_save(
        &self,
        snapshot: &dyn SnapshotLines,
        force: bool,
    ) -> Result<Planned, StoreError> {
        let release = snapshot.provenance().release;
        let path = self.path_of(release);
        let same = match std::fs::File::open(&path) {
            Ok(old) => Some(file::holds(old, snapshot).map_err(Self::io(&path))?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Self::io(&path)(e)),
        };
        let saved = match same {
            Some(true) => Saved::Unchanged,
            // Different records from another file are a new revision (see `revisions`).
            Some(false) if !force => self.outcome_for_different(snapshot)?,
            // --force replaces a damaged or older snapshot like any other.
            Some(false) => {
                Saved::Replaced(self.source_of(release)?.unwrap_or_else(|| SourceInfo {
                    file: "a snapshot whose provenance cannot be read".to_string(),
                    member: None,
                    sha256: "unknown".to_string(),
                }))
            }
            None => Saved::Created,
        };
        Ok(Planned { saved })
    }

    /// Stores `snapshot`. The same bytes (or records) again change nothing; different records
    /// for a stored release are a new revision, the current one kept first; `force` replaces
    /// the current revision instead.
    pub fn save(&self, snapshot: &Snapshot, force: bool) -> Result<Saved, StoreError> {
        self.commit(self.plan_save(snapshot, force)?, snapshot)
    }

    /// The files `commit` writes storing `release` as `planned`: its snapshot file (unless
    /// `planned.writes_snapshot()` says no) and the copy of the current revision it keeps
    /// first; what `undo_for` must note before they are written.
    pub fn written_by(&self, release: ReleaseId, planned: &Planned) -> Vec<PathBuf> {
        let mut paths = Vec::new();
        if planned.writes_snapshot() {
            paths.push(self.path_of(release));
        }
        if let Saved::Revision { kept, .. } = &planned.saved {
            paths.push(kept.clone());
        }
        paths
    }

    /// Stores `snapshot` as `plan_save` planned for it; call it under the same lock. The file
    /// is written as it is serialized, never held whole.
    pub fn commit(
        &self,
        planned: Planned,
        snapshot: &dyn SnapshotLines,
    ) -> Result<Saved, StoreError> {
        let writes = planned.writes_snapshot();
        let Planned { saved } = planned;
        let release = snapshot.provenance().release;
        if let Saved::Revision { kept, .. } = &saved {
            self.keep_current(release, kept)?;
        }
        if writes {
            let path = self.path_of(release);
            write_atomically_with(&path, |out| file::write_snapshot(snapshot, out))
                .map_err(Self::io(&path))?;
        }
        Ok(saved)
    }
}
