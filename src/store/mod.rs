//! The snapshot store: one file per release, `<store>/<YYYY-MM>.jsonl`. Line 1 is the
//! provenance, then one record per line sorted by code, so `git diff` of two snapshots reads
//! code by code. Writes go to a temporary file in the store and are renamed into place, so a
//! failed import leaves the store exactly as it was.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::{Kind, Record, ReleaseId};

/// Bumped when the snapshot format changes in a way older readers cannot load.
pub const SCHEMA_VERSION: u32 = 1;

/// The file a snapshot was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    pub sha256: String,
}

impl SourceInfo {
    /// How messages name it: `outer.zip: member.txt`, or the file alone.
    pub fn display(&self) -> String {
        match &self.member {
            Some(m) => format!("{}: {m}", self.file),
            None => self.file.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counts {
    pub procedure: usize,
    pub modifier: usize,
}

impl Counts {
    pub fn of(records: &[Record]) -> Self {
        let procedure = records.iter().filter(|r| r.kind == Kind::Procedure).count();
        Counts {
            procedure,
            modifier: records.len() - procedure,
        }
    }
}

/// Line 1 of a snapshot file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub schema_version: u32,
    pub release: ReleaseId,
    pub source: SourceInfo,
    pub counts: Counts,
    pub tool_version: String,
}

/// A release as stored: its provenance and its records, sorted by code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub provenance: Provenance,
    pub records: Vec<Record>,
}

impl Snapshot {
    pub fn new(release: ReleaseId, source: SourceInfo, mut records: Vec<Record>) -> Self {
        records.sort_by(|a, b| a.code.cmp(&b.code));
        let provenance = Provenance {
            schema_version: SCHEMA_VERSION,
            release,
            source,
            counts: Counts::of(&records),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
        };
        Snapshot {
            provenance,
            records,
        }
    }

    pub fn release(&self) -> ReleaseId {
        self.provenance.release
    }

    pub fn get(&self, code: &str) -> Option<&Record> {
        self.records
            .binary_search_by(|r| r.code.as_str().cmp(code))
            .ok()
            .map(|i| &self.records[i])
    }

    /// The snapshot file's bytes: deterministic for the same content.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.records.len() * 400);
        serde_json::to_writer(&mut out, &self.provenance).expect("provenance serializes");
        out.push(b'\n');
        for r in &self.records {
            serde_json::to_writer(&mut out, r).expect("records serialize");
            out.push(b'\n');
        }
        out
    }

    pub fn from_bytes(file: &str, bytes: &[u8]) -> Result<Self, StoreError> {
        let bad = |line: usize, e: serde_json::Error| StoreError::Corrupt {
            file: file.to_string(),
            line,
            problem: e.to_string(),
        };
        let text = std::str::from_utf8(bytes).map_err(|e| StoreError::Corrupt {
            file: file.to_string(),
            line: 0,
            problem: e.to_string(),
        })?;
        let mut lines = text.lines();
        let provenance: Provenance =
            serde_json::from_str(lines.next().unwrap_or("")).map_err(|e| bad(1, e))?;
        if provenance.schema_version != SCHEMA_VERSION {
            return Err(StoreError::Schema {
                file: file.to_string(),
                found: provenance.schema_version,
            });
        }
        let records = lines
            .enumerate()
            .map(|(i, l)| serde_json::from_str(l).map_err(|e| bad(i + 2, e)))
            .collect::<Result<Vec<Record>, _>>()?;
        Ok(Snapshot {
            provenance,
            records,
        })
    }
}

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
        "{file}: snapshot schema version {found}; this tool reads version {SCHEMA_VERSION} (re-import the release)"
    )]
    Schema { file: String, found: u32 },
    #[error("release {0} is not in the store (see `hcpcs-diff list`)")]
    Missing(ReleaseId),
    #[error("the store is empty: import a release first (`hcpcs-diff import FILE`)")]
    Empty,
    #[error(
        "release {release} is already stored from {old_file} (sha256 {old_sha}); this import from {new_file} (sha256 {new_sha}) differs: use --force to replace it"
    )]
    Differs {
        release: ReleaseId,
        old_file: String,
        old_sha: String,
        new_file: String,
        new_sha: String,
    },
}

/// A snapshot file split into its provenance and its record lines, each with its code, not
/// yet parsed.
struct Lines<'a> {
    file: &'a str,
    provenance: Provenance,
    /// (code, line, 1-based line number)
    lines: Vec<(&'a str, &'a str, usize)>,
}

impl<'a> Lines<'a> {
    fn new(file: &'a str, bytes: &'a [u8]) -> Result<Self, StoreError> {
        let corrupt = |line: usize, problem: String| StoreError::Corrupt {
            file: file.to_string(),
            line,
            problem,
        };
        let text = std::str::from_utf8(bytes).map_err(|e| corrupt(0, e.to_string()))?;
        let mut it = text.lines();
        let provenance: Provenance =
            serde_json::from_str(it.next().unwrap_or("")).map_err(|e| corrupt(1, e.to_string()))?;
        if provenance.schema_version != SCHEMA_VERSION {
            return Err(StoreError::Schema {
                file: file.to_string(),
                found: provenance.schema_version,
            });
        }
        let mut lines = Vec::new();
        for (n, line) in it.enumerate() {
            let code = line
                .strip_prefix(r#"{"code":""#)
                .and_then(|rest| rest.split('"').next())
                .ok_or_else(|| {
                    corrupt(n + 2, "a record line must start with its code".to_string())
                })?;
            lines.push((code, line, n + 2));
        }
        Ok(Lines {
            file,
            provenance,
            lines,
        })
    }

    fn position(&self, code: &str) -> Option<usize> {
        self.lines.binary_search_by(|(c, _, _)| (*c).cmp(code)).ok()
    }

    fn parse(&self, keep: &[bool]) -> Result<Vec<Record>, StoreError> {
        self.lines
            .iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|((_, line, n), _)| {
                serde_json::from_str(line).map_err(|e| StoreError::Corrupt {
                    file: self.file.to_string(),
                    line: *n,
                    problem: e.to_string(),
                })
            })
            .collect()
    }
}

/// What `Store::save` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    Created,
    /// The same bytes were already stored; nothing was written.
    Unchanged,
    /// `--force` replaced a snapshot made from this source.
    Replaced(SourceInfo),
}

/// A folder of snapshots.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Store { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where downloaded zips are kept, with their SHA-256.
    pub fn downloads(&self) -> PathBuf {
        self.dir.join("downloads")
    }

    /// Holds the store for one run: a second run waits until the first has finished.
    pub fn lock(&self) -> Result<std::fs::File, StoreError> {
        std::fs::create_dir_all(&self.dir).map_err(Self::io(&self.dir))?;
        let path = self.dir.join(".lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(Self::io(&path))?;
        file.lock().map_err(Self::io(&path))?;
        Ok(file)
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
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
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

    pub fn latest(&self) -> Result<ReleaseId, StoreError> {
        self.releases()?.last().copied().ok_or(StoreError::Empty)
    }

    /// The newest stored release before `release`.
    pub fn previous(&self, release: ReleaseId) -> Result<Option<ReleaseId>, StoreError> {
        Ok(self.releases()?.into_iter().rev().find(|r| *r < release))
    }

    /// A snapshot's provenance, reading only its first line.
    pub fn provenance(&self, release: ReleaseId) -> Result<Provenance, StoreError> {
        use std::io::BufRead;
        let path = self.path_of(release);
        let file = std::fs::File::open(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StoreError::Missing(release),
            _ => Self::io(&path)(e),
        })?;
        let mut first = String::new();
        std::io::BufReader::new(file)
            .read_line(&mut first)
            .map_err(Self::io(&path))?;
        serde_json::from_str(&first).map_err(|e| StoreError::Corrupt {
            file: path.display().to_string(),
            line: 1,
            problem: e.to_string(),
        })
    }

    fn read(&self, release: ReleaseId) -> Result<(String, Vec<u8>), StoreError> {
        let path = self.path_of(release);
        let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StoreError::Missing(release),
            _ => Self::io(&path)(e),
        })?;
        Ok((path.display().to_string(), bytes))
    }

    pub fn load(&self, release: ReleaseId) -> Result<Snapshot, StoreError> {
        let (file, bytes) = self.read(release)?;
        Snapshot::from_bytes(&file, &bytes)
    }

    /// Two stored releases trimmed to what `diff` can see, for speed: a code whose line is the
    /// same in both and whose CMS action is N can neither change nor disagree, so it is not
    /// parsed. Kept: every other code, and every code a kept code cross-refers to (for
    /// "use instead"). The result diffs exactly like the full snapshots (tested on every pair
    /// of real releases); do not use it for anything else.
    pub fn load_for_diff(
        &self,
        old: ReleaseId,
        new: ReleaseId,
    ) -> Result<(Snapshot, Snapshot), StoreError> {
        let (old_file, old_bytes) = self.read(old)?;
        let (new_file, new_bytes) = self.read(new)?;
        let a = Lines::new(&old_file, &old_bytes)?;
        let b = Lines::new(&new_file, &new_bytes)?;
        let (mut keep_a, mut keep_b) = (vec![false; a.lines.len()], vec![false; b.lines.len()]);
        let (mut i, mut j) = (0, 0);
        while i < a.lines.len() || j < b.lines.len() {
            match (a.lines.get(i), b.lines.get(j)) {
                (Some(x), Some(y)) if x.0 == y.0 => {
                    let quiet = x.1 == y.1 && y.1.ends_with(r#""action_code":"N"}"#);
                    keep_a[i] = !quiet;
                    keep_b[j] = !quiet;
                    i += 1;
                    j += 1;
                }
                (Some(x), Some(y)) if x.0 < y.0 => {
                    keep_a[i] = true;
                    i += 1;
                }
                (Some(_), None) => {
                    keep_a[i] = true;
                    i += 1;
                }
                _ => {
                    keep_b[j] = true;
                    j += 1;
                }
            }
        }
        let mut old_records = a.parse(&keep_a)?;
        let mut new_records = b.parse(&keep_b)?;
        // Cross-reference targets are needed in NEW; a target skipped as unchanged is added to
        // both sides, so that it still reads as unchanged.
        let targets: Vec<&str> = old_records
            .iter()
            .chain(&new_records)
            .flat_map(|r| &r.cross_references)
            .filter_map(|code| {
                b.position(code)
                    .filter(|&k| !keep_b[k])
                    .map(|k| b.lines[k].0)
            })
            .collect();
        if !targets.is_empty() {
            let (mut extra_a, mut extra_b) =
                (vec![false; a.lines.len()], vec![false; b.lines.len()]);
            for code in targets {
                if let Some(k) = b.position(code) {
                    extra_b[k] = true;
                }
                if let Some(k) = a.position(code) {
                    extra_a[k] = true;
                }
            }
            old_records.extend(a.parse(&extra_a)?);
            new_records.extend(b.parse(&extra_b)?);
            old_records.sort_by(|x, y| x.code.cmp(&y.code));
            old_records.dedup_by(|x, y| x.code == y.code);
            new_records.sort_by(|x, y| x.code.cmp(&y.code));
            new_records.dedup_by(|x, y| x.code == y.code);
        }
        Ok((
            Snapshot {
                provenance: a.provenance,
                records: old_records,
            },
            Snapshot {
                provenance: b.provenance,
                records: new_records,
            },
        ))
    }

    /// Stores `snapshot`. The same bytes again change nothing; different content for a stored
    /// release needs `force`.
    pub fn save(&self, snapshot: &Snapshot, force: bool) -> Result<Saved, StoreError> {
        let path = self.path_of(snapshot.release());
        let bytes = snapshot.to_bytes();
        let outcome = match std::fs::read(&path) {
            Ok(old) if old == bytes => return Ok(Saved::Unchanged),
            Ok(_) => {
                let old = self.provenance(snapshot.release())?;
                if !force {
                    return Err(StoreError::Differs {
                        release: snapshot.release(),
                        old_file: old.source.file,
                        old_sha: old.source.sha256,
                        new_file: snapshot.provenance.source.file.clone(),
                        new_sha: snapshot.provenance.source.sha256.clone(),
                    });
                }
                Saved::Replaced(old.source)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Saved::Created,
            Err(e) => return Err(Self::io(&path)(e)),
        };
        write_atomically(&path, &bytes).map_err(Self::io(&path))?;
        Ok(outcome)
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so a
/// reader sees the old file or the new one, never a part.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    // Temporary files are private (0600); a snapshot or report is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
