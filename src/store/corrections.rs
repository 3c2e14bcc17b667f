//! The corrections kept with a release: `<store>/<YYYY-MM>.corrections.json`, beside its
//! snapshot, holding each corrections file read for it (name, SHA-256, version, rows). Written
//! whole or not at all, like snapshots; `releases()` never mistakes it for one.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Store, StoreError};
use crate::fs::write_atomically;
use crate::model::ReleaseId;
use crate::model::correction::CorrectionsFile;

/// The most a corrections file of the store may hold; CMS's largest is a few kilobytes.
const MAX_BYTES: u64 = 64 << 20;

#[derive(Debug, Serialize, Deserialize)]
struct Kept {
    schema_version: u32,
    release: ReleaseId,
    files: Vec<CorrectionsFile>,
}

const KEPT_VERSION: u32 = 1;

/// What `Store::add_corrections` did with each file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    Added(String),
    /// A file with the same SHA-256 was already kept.
    AlreadyKept(String),
}

impl Store {
    pub fn corrections_path(&self, release: ReleaseId) -> PathBuf {
        self.dir.join(format!("{release}.corrections.json"))
    }

    /// The corrections files kept with `release`, oldest version first; none if there are none.
    pub fn corrections(&self, release: ReleaseId) -> Result<Vec<CorrectionsFile>, StoreError> {
        let path = self.corrections_path(release);
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Self::io(&path)(e)),
        };
        let damaged = |problem: String| StoreError::CorrectionsDamaged {
            file: path.display().to_string(),
            release,
            problem,
        };
        let bytes = crate::read::read_capped(file, MAX_BYTES, 0)
            .map_err(Self::io(&path))?
            .ok_or_else(|| damaged(format!("larger than {} MiB", MAX_BYTES >> 20)))?;
        let kept: Kept = serde_json::from_slice(&bytes).map_err(|e| damaged(e.to_string()))?;
        if kept.schema_version != KEPT_VERSION || kept.release != release {
            return Err(damaged(format!(
                "holds schema {} for release {}, expected schema {KEPT_VERSION} for {release}",
                kept.schema_version, kept.release
            )));
        }
        Ok(kept.files)
    }

    /// Keeps `files` with `release`, beside those already kept; a file whose SHA-256 is already
    /// kept is not added twice. The caller holds the lock.
    pub fn add_corrections(
        &self,
        release: ReleaseId,
        files: Vec<CorrectionsFile>,
    ) -> Result<Vec<Added>, StoreError> {
        Ok(self.add_corrections_replacing(release, files, false)?.0)
    }

    /// `add_corrections`; with `force`, a kept corrections file that cannot be read is
    /// replaced by `files` (the repair a damaged file's message advises) rather than refused,
    /// and its path is given back: what it held is gone.
    pub fn add_corrections_replacing(
        &self,
        release: ReleaseId,
        files: Vec<CorrectionsFile>,
        force: bool,
    ) -> Result<(Vec<Added>, Option<String>), StoreError> {
        let mut done = Vec::new();
        let mut replaced = None;
        let mut kept = match self.corrections(release) {
            Err(StoreError::CorrectionsDamaged { file, .. }) if force => {
                replaced = Some(file);
                Vec::new()
            }
            kept => kept?,
        };
        let before = kept.len();
        for file in files {
            if kept.iter().any(|k| k.sha256 == file.sha256) {
                done.push(Added::AlreadyKept(file.name));
            } else {
                done.push(Added::Added(file.name.clone()));
                kept.push(file);
            }
        }
        if kept.len() > before || replaced.is_some() {
            kept.sort_by(|a, b| (a.version, &a.name).cmp(&(b.version, &b.name)));
            let path = self.corrections_path(release);
            let body = Kept {
                schema_version: KEPT_VERSION,
                release,
                files: kept,
            };
            let mut bytes = serde_json::to_vec_pretty(&body).map_err(|e| StoreError::Damaged {
                file: path.display().to_string(),
                problem: e.to_string(),
            })?;
            bytes.push(b'\n');
            write_atomically(&path, &bytes).map_err(Self::io(&path))?;
        }
        Ok((done, replaced))
    }
}
