//! Every posting of a release. CMS re-posts a release under the same name with a new file
//! inside; each posting whose records differ from the one before is a revision, numbered in
//! the order the store received them (1 = the first posting).
//!
//! `<store>/YYYY-MM.jsonl` is always the current revision (the last one stored), so every
//! reader of the store sees the newest posting unchanged. Earlier revisions are kept, in the
//! same snapshot format, as `<store>/revisions/YYYY-MM/N.jsonl`; a release stored once has no
//! folder there. A revision's time is its file's modification time: the current one's is
//! copied onto it when a later revision moves it aside.

use std::fmt;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::SystemTime;

use crate::fs::write_atomically_with;
use crate::model::{Provenance, ReleaseId, Snapshot, SnapshotLines, SourceInfo};

use super::file::{self, Lines};
use super::{Saved, Store, StoreError};

/// A release as the command line names it: `2019-01` (the current revision) or `2019-01@1`
/// (its first posting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevisionId {
    pub release: ReleaseId,
    /// `None`: the current revision.
    pub revision: Option<u32>,
}

impl fmt::Display for RevisionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.revision {
            Some(n) => write!(f, "{}@{n}", self.release),
            None => write!(f, "{}", self.release),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a revision id: use YYYY-MM@N, N from 1 (2019-01@1 is the release's first posting)"
)]
pub struct BadRevisionId(pub String);

impl FromStr for RevisionId {
    type Err = BadRevisionId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadRevisionId(s.to_string());
        let (release, revision) = match s.split_once('@') {
            Some((r, n)) => {
                let digits = !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
                let n: u32 = n
                    .parse()
                    .ok()
                    .filter(|n| digits && *n >= 1)
                    .ok_or_else(bad)?;
                (r, Some(n))
            }
            None => (s, None),
        };
        let release = release.parse().map_err(|_| bad())?;
        Ok(RevisionId { release, revision })
    }
}

/// One stored revision of a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub release: ReleaseId,
    pub number: u32,
    /// The last one stored, kept as `<store>/YYYY-MM.jsonl`.
    pub current: bool,
    pub path: PathBuf,
    /// When its file was written: when the revision was stored, unless the store was copied
    /// without keeping file times.
    pub stored: Option<SystemTime>,
}

impl Revision {
    pub fn id(&self) -> RevisionId {
        RevisionId {
            release: self.release,
            revision: Some(self.number),
        }
    }
}

/// The longest provenance line read when comparing two snapshot files' first lines; a real one
/// is under 400 bytes.
const MAX_FIRST_LINE: u64 = 64 * 1024;

impl Store {
    /// Where the earlier revisions of `release` are kept.
    pub fn revisions_dir(&self, release: ReleaseId) -> PathBuf {
        self.dir().join("revisions").join(release.to_string())
    }

    /// The file of revision `n` of `release` once a later one has been stored.
    pub fn kept_revision_path(&self, release: ReleaseId, n: u32) -> PathBuf {
        self.revisions_dir(release).join(format!("{n}.jsonl"))
    }

    /// How many revisions `release` has, the current one included.
    pub fn revision_count(&self, release: ReleaseId) -> Result<u32, StoreError> {
        Ok(self.kept_count(release)? + 1)
    }

    /// Every revision of `release`, first posting first.
    pub fn revisions(&self, release: ReleaseId) -> Result<Vec<Revision>, StoreError> {
        let count = self.revision_count(release)?;
        Ok((1..=count)
            .map(|number| {
                let current = number == count;
                let path = if current {
                    self.path_of(release)
                } else {
                    self.kept_revision_path(release, number)
                };
                let stored = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
                Revision {
                    release,
                    number,
                    current,
                    path,
                    stored,
                }
            })
            .collect())
    }

    /// The stored revision `id` names, checked to exist: a revision that does not is an
    /// error naming the ones that do.
    pub fn revision(&self, id: RevisionId) -> Result<Revision, StoreError> {
        let all = self.revisions(id.release)?;
        let count = u32::try_from(all.len()).unwrap_or(u32::MAX);
        let wanted = id.revision.unwrap_or(count);
        let found = (wanted as usize).checked_sub(1).and_then(|i| all.get(i));
        let Some(found) = found else {
            return Err(StoreError::NoRevision {
                release: id.release,
                asked: wanted,
                have: which_exist(id.release, count),
            });
        };
        Ok(found.clone())
    }

    /// A revision's provenance, its file checked whole as `provenance` checks it.
    pub fn revision_provenance(&self, revision: &Revision) -> Result<Provenance, StoreError> {
        let (file, bytes) = self.read_revision(revision)?;
        Ok(self.revision_lines(revision, &file, &bytes)?.provenance)
    }

    /// Every code of a stored revision, checked as `codes` checks a release.
    pub fn revision_codes(&self, id: RevisionId) -> Result<Vec<String>, StoreError> {
        let revision = self.revision(id)?;
        let (file, bytes) = self.read_revision(&revision)?;
        let lines = self.revision_lines(&revision, &file, &bytes)?;
        Ok(lines.codes().map(str::to_string).collect())
    }

    /// A stored revision, whole.
    pub fn load_revision(&self, id: RevisionId) -> Result<Snapshot, StoreError> {
        let revision = self.revision(id)?;
        let (file, bytes) = self.read_revision(&revision)?;
        let lines = self.revision_lines(&revision, &file, &bytes)?;
        Snapshot::from_lines(lines)
    }

    /// Two stored revisions for `diff`, checked as revisions (each names its revision when it
    /// is damaged) and parsed whole: they diff as `load_for_diff`'s trimmed releases do.
    pub fn load_revisions_for_diff(
        &self,
        old: RevisionId,
        new: RevisionId,
    ) -> Result<(Snapshot, Snapshot), StoreError> {
        let (a, b) = (self.revision(old)?, self.revision(new)?);
        let (a_file, a_bytes) = self.read_revision(&a)?;
        let (b_file, b_bytes) = self.read_revision(&b)?;
        let a_lines = self.revision_lines(&a, &a_file, &a_bytes)?;
        let b_lines = self.revision_lines(&b, &b_file, &b_bytes)?;
        Ok((
            Snapshot::from_lines(a_lines)?,
            Snapshot::from_lines(b_lines)?,
        ))
    }

    fn read_revision(&self, revision: &Revision) -> Result<(String, Vec<u8>), StoreError> {
        let path = &revision.path;
        let bytes = std::fs::read(path).map_err(Self::io(path))?;
        Ok((path.display().to_string(), bytes))
    }

    /// A revision's file split and checked; a kept revision that fails (one holding another
    /// release among them) says it cannot be re-imported.
    fn revision_lines<'a>(
        &self,
        revision: &Revision,
        file: &'a str,
        bytes: &'a [u8],
    ) -> Result<Lines<'a>, StoreError> {
        let damaged = |problem: String| StoreError::RevisionDamaged {
            file: file.to_string(),
            id: revision.id().to_string(),
            problem,
        };
        let lines = match Lines::new(file, bytes) {
            Ok(lines) => lines,
            Err(e) if revision.current => return Err(e),
            Err(StoreError::Damaged { problem, .. }) => return Err(damaged(problem)),
            Err(StoreError::Corrupt { line, problem, .. }) => {
                return Err(damaged(format!("line {line}: {problem}")));
            }
            Err(e) => return Err(e),
        };
        // `Lines` has checked that the provenance names the release of the file's folder.
        Ok(lines)
    }

    /// How many earlier revisions `release` keeps: `revisions/YYYY-MM/1.jsonl` up to `N.jsonl`,
    /// none missing. A last one with the current file's provenance line is the current file
    /// copied by a save that stopped before writing the new one: not a revision.
    fn kept_count(&self, release: ReleaseId) -> Result<u32, StoreError> {
        let current = first_line(&self.path_of(release)).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => self.missing(release),
            _ => Self::io(&self.path_of(release))(e),
        })?;
        let dir = self.revisions_dir(release);
        let numbers = kept_numbers(&dir)?;
        if let Some((i, _)) = numbers
            .iter()
            .enumerate()
            .find(|(i, n)| **n as usize != i + 1)
        {
            let found: Vec<String> = numbers.iter().map(|n| format!("{n}.jsonl")).collect();
            return Err(StoreError::RevisionGap {
                dir: dir.display().to_string(),
                missing: i + 1,
                found: found.join(", "),
            });
        }
        let count = u32::try_from(numbers.len()).unwrap_or(u32::MAX);
        if count > 0 {
            let last = self.kept_revision_path(release, count);
            if first_line(&last).map_err(Self::io(&last))? == current {
                return Ok(count - 1);
            }
        }
        Ok(count)
    }

    /// What storing `snapshot` does when its bytes differ from the current revision's (and
    /// `--force` was not given): nothing when the records are the same (a re-zipped posting);
    /// a refusal when it is the same source file read differently (another version of this
    /// tool); otherwise a new revision.
    pub(super) fn outcome_for_different(
        &self,
        snapshot: &dyn SnapshotLines,
    ) -> Result<Saved, StoreError> {
        let new = snapshot.provenance();
        let release = new.release;
        // A damaged current revision says so, rather than being kept as a revision. Checked a
        // line at a time, no record kept: the file may be hundreds of megabytes.
        let old = self.load_where(release, |_| false)?.provenance;
        if old.records == new.records && old.records_sha256 == new.records_sha256 {
            return Ok(Saved::SameRecords(old.source));
        }
        if old.source.sha256 == new.source.sha256 {
            return Err(StoreError::Differs {
                release,
                old_file: old.source.file,
                old_sha: old.source.sha256,
                new_file: new.source.file.clone(),
                new_sha: new.source.sha256.clone(),
            });
        }
        let kept = self.kept_count(release)?;
        let same_as = self.same_source_as(release, kept, &new.source.sha256);
        Ok(Saved::Revision {
            number: kept + 2,
            previous: old.source,
            kept: self.kept_revision_path(release, kept + 1),
            same_as,
        })
    }

    /// The earliest kept revision (of the first `kept`) made from the file with this SHA-256.
    fn same_source_as(&self, release: ReleaseId, kept: u32, sha256: &str) -> Option<u32> {
        (1..=kept).find(|&n| {
            first_line(&self.kept_revision_path(release, n))
                .ok()
                .and_then(|line| std::str::from_utf8(&line).ok().and_then(file::source_of))
                .is_some_and(|s| s.sha256 == sha256)
        })
    }

    /// Keeps the current revision's file as `kept` before a new revision replaces it, with
    /// the current file's time (when that revision was stored).
    pub(super) fn keep_current(&self, release: ReleaseId, kept: &Path) -> Result<(), StoreError> {
        let current = self.path_of(release);
        // Copied as it is read, not held: the file may be hundreds of megabytes.
        let mut bytes = std::fs::File::open(&current).map_err(Self::io(&current))?;
        let time = std::fs::metadata(&current).and_then(|m| m.modified()).ok();
        write_atomically_with(kept, |out| std::io::copy(&mut bytes, out).map(drop))
            .map_err(Self::io(kept))?;
        if let Some(time) = time {
            std::fs::File::options()
                .write(true)
                .open(kept)
                .and_then(|f| f.set_modified(time))
                .map_err(Self::io(kept))?;
        }
        Ok(())
    }

    /// Removes the temporary files a killed run left among the kept revisions (called with the
    /// lock held).
    pub(super) fn remove_revision_leftovers(&self) {
        let Ok(releases) = std::fs::read_dir(self.dir().join("revisions")) else {
            return;
        };
        for dir in releases.flatten() {
            let Ok(entries) = std::fs::read_dir(dir.path()) else {
                continue;
            };
            for entry in entries.flatten() {
                let is_file = entry.file_type().is_ok_and(|t| t.is_file());
                if is_file && entry.file_name().to_string_lossy().starts_with(".tmp-") {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }
}

/// The numbers `N` of the `N.jsonl` files in `dir`, sorted; other files are not revisions.
fn kept_numbers(dir: &Path) -> Result<Vec<u32>, StoreError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Store::io(dir)(e)),
    };
    let mut numbers = Vec::new();
    for entry in entries {
        let name = entry.map_err(Store::io(dir))?.file_name();
        if let Some(stem) = name.to_string_lossy().strip_suffix(".jsonl")
            && let Ok(n) = stem.parse::<u32>()
            && n >= 1
            && n.to_string() == stem
        {
            numbers.push(n);
        }
    }
    numbers.sort_unstable();
    Ok(numbers)
}

/// The first line of a file (at most `MAX_FIRST_LINE` bytes of it).
pub(super) fn first_line(path: &Path) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let mut line = Vec::new();
    std::io::BufReader::new(file)
        .take(MAX_FIRST_LINE)
        .read_until(b'\n', &mut line)?;
    Ok(line)
}

/// "its revisions are 1 to 3 (3 is current)", for a revision that does not exist.
fn which_exist(release: ReleaseId, count: u32) -> String {
    match count {
        1 => format!("it has one revision, {release}@1 (current)"),
        2 => format!("its revisions are {release}@1 and {release}@2 (current)"),
        n => format!("its revisions are {release}@1 to {release}@{n} (current)"),
    }
}

/// Whether the file named `new` looks like an earlier posting than `old` by what CMS puts in
/// its names: a date (`_12172024`, month day year) or a version (`_v2`, `V3_`; none is 1).
/// Says why, for a note; `None` when the names do not tell or do not say so.
pub fn looks_earlier(new: &SourceInfo, old: &SourceInfo) -> Option<String> {
    let names = |s: &SourceInfo| {
        let mut names = vec![s.file.clone()];
        names.extend(s.member.clone());
        names
    };
    let (new_names, old_names) = (names(new), names(old));
    let dated = |names: &[String]| names.iter().rev().find_map(|n| name_date(n));
    if let (Some(a), Some(b)) = (dated(&new_names), dated(&old_names)) {
        return (a < b).then(|| format!("its name is dated {a} against {b}"));
    }
    let version = |names: &[String]| names.iter().rev().find_map(|n| name_version(n));
    match (version(&new_names), version(&old_names)) {
        (None, None) => None,
        (a, b) => {
            let (a, b) = (a.unwrap_or(1), b.unwrap_or(1));
            (a < b).then(|| format!("its name says version {a} against {b}"))
        }
    }
}

/// Parts of a file name between `_`, `-`, `.` and spaces.
fn name_parts(name: &str) -> impl Iterator<Item = &str> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.split(['_', '-', '.', ' ']).filter(|p| !p.is_empty())
}

/// A date written MMDDYYYY as one part of the name, as in `HCPC2025_JAN_ANWEB_12172024.txt`.
fn name_date(name: &str) -> Option<chrono::NaiveDate> {
    name_parts(name).find_map(|p| {
        let digits = p.len() == 8 && p.bytes().all(|b| b.is_ascii_digit());
        digits
            .then(|| chrono::NaiveDate::parse_from_str(p, "%m%d%Y").ok())
            .flatten()
            .filter(|d| (2000..=2200).contains(&chrono::Datelike::year(d)))
    })
}

/// A version written `v2` or `V4` as one part of the name.
fn name_version(name: &str) -> Option<u32> {
    name_parts(name).find_map(|p| {
        let n = p.strip_prefix(['v', 'V'])?;
        let digits = !n.is_empty() && n.len() <= 3 && n.bytes().all(|b| b.is_ascii_digit());
        digits.then(|| n.parse().ok()).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(file: &str, member: Option<&str>) -> SourceInfo {
        SourceInfo {
            file: file.to_string(),
            member: member.map(str::to_string),
            sha256: String::new(),
        }
    }

    #[test]
    fn revision_ids_parse_and_print() {
        let id: RevisionId = "2019-01@2".parse().unwrap();
        assert_eq!(id.revision, Some(2));
        assert_eq!(id.to_string(), "2019-01@2");
        assert_eq!(
            "2019@1".parse::<RevisionId>().unwrap().to_string(),
            "2019-01@1"
        );
        assert_eq!("2019-04".parse::<RevisionId>().unwrap().revision, None);
        for bad in [
            "2019-01@0",
            "2019-01@",
            "2019-01@x",
            "2019-01@+1",
            "2019-13@1",
            "@1",
        ] {
            assert!(bad.parse::<RevisionId>().is_err(), "{bad}");
        }
        assert!("2019-01@99999999999".parse::<RevisionId>().is_err());
    }

    #[test]
    fn an_earlier_posting_is_told_by_the_date_or_version_in_its_name() {
        let dec = source(
            "january-2025-alpha-numeric-hcpcs-file.zip",
            Some("HCPC2025_JAN_ANWEB_12172024.txt"),
        );
        let jan = source(
            "january-2025-alpha-numeric-hcpcs-file.zip",
            Some("HCPC2025_JAN_ANWEB_01082025.txt"),
        );
        assert!(looks_earlier(&dec, &jan).unwrap().contains("2024-12-17"));
        assert_eq!(looks_earlier(&jan, &dec), None);
        let v1 = source("2019.zip", Some("HCPC2019_ANWEB.txt"));
        let v2 = source("2019.zip", Some("HCPC2019_ANWEB_v2.txt"));
        let v4 = source("V4_HCPC2018_ANWEB.zip", None);
        assert!(looks_earlier(&v1, &v2).unwrap().contains("version 1"));
        assert!(looks_earlier(&v2, &v4).unwrap().contains("version 2"));
        assert_eq!(looks_earlier(&v2, &v1), None);
        assert_eq!(looks_earlier(&v1, &v1), None);
        // Names that say nothing about order say nothing.
        let plain = source("anweb.xlsx", None);
        assert_eq!(looks_earlier(&plain, &source("2020-Alpha.zip", None)), None);
    }

    #[test]
    fn releases_are_only_the_current_files_whatever_else_the_store_holds() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        for name in [
            "2019-01.jsonl",
            "2019-01.corrections.json",
            "2019-04.jsonl.bak",
            "notes.txt",
            "2019-1.jsonl",
            ".tmp-abc",
        ] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        std::fs::create_dir_all(dir.path().join("revisions/2019-01")).unwrap();
        std::fs::write(dir.path().join("revisions/2019-01/1.jsonl"), b"x").unwrap();
        std::fs::create_dir_all(dir.path().join("downloads")).unwrap();
        let releases: Vec<String> = store
            .releases()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(releases, ["2019-01"]);
    }
}
