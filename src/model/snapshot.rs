//! A release as the tool holds it: the records and where they came from. The one type that
//! crosses every stage (read → store → diff → report); it knows nothing of where it is kept.

use std::io::Write;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Kind, Record, ReleaseId};

/// Bumped when the snapshot format changes in a way older readers cannot load. Version 2
/// added `records` and `records_sha256` to the provenance.
pub const SCHEMA_VERSION: u32 = 2;

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
    /// How many record lines follow the provenance line.
    pub records: usize,
    /// SHA-256 (hex) of the record lines, every byte after the provenance line.
    pub records_sha256: String,
    pub tool_version: String,
    /// CMS corrections applied to the records (`import --apply-corrections`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applied_corrections: Vec<Applied>,
}

/// A CMS correction applied to a snapshot's records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    pub file: String,
    pub version: u32,
    pub at: String,
    pub code: String,
    pub action: String,
}

/// One record's line of a snapshot file: its JSON, then `\n`. The one encoder of record lines:
/// the store's files, the hash in their provenance and the records kept on disk while a large
/// text is read all write through it, so they cannot drift apart.
pub fn write_record_line<W: Write + ?Sized>(out: &mut W, record: &Record) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, record)?;
    out.write_all(b"\n")
}

/// The record lines of a snapshot file (`write_record_line` for each record, in the given
/// order) to `out`.
pub fn write_record_lines<W: Write + ?Sized>(
    out: &mut W,
    records: &[Record],
) -> std::io::Result<()> {
    records.iter().try_for_each(|r| write_record_line(out, r))
}

/// The record lines of a snapshot file (`write_record_lines`), held.
pub fn record_lines(records: &[Record]) -> Vec<u8> {
    let mut out = Vec::with_capacity(records.len() * 400);
    write_record_lines(&mut out, records).expect("a Vec takes every write");
    out
}

/// SHA-256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// SHA-256 of `record_lines(records)`, as lowercase hex, without holding the lines.
pub fn records_sha256(records: &[Record]) -> String {
    let mut hasher = Sha256::new();
    // A line at a time into one buffer, handed to the hasher whole: serde's many small writes
    // go to memory, not each through the hasher.
    let mut line = Vec::with_capacity(1024);
    for r in records {
        line.clear();
        write_record_line(&mut line, r).expect("a Vec takes every write");
        hasher.update(&line);
    }
    hex(&hasher.finalize())
}

/// A digest as lowercase hex: the crate's one hex encoder.
pub fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A release as stored: its provenance and its records, sorted by code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub provenance: Provenance,
    pub records: Vec<Record>,
}

impl Provenance {
    /// The provenance of records newly read: of this schema and this tool, no correction
    /// applied.
    pub fn new(
        release: ReleaseId,
        source: SourceInfo,
        counts: Counts,
        records_sha256: String,
    ) -> Self {
        Provenance {
            schema_version: SCHEMA_VERSION,
            release,
            source,
            counts,
            records: counts.procedure + counts.modifier,
            records_sha256,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            applied_corrections: Vec::new(),
        }
    }
}

/// A snapshot as its file is written (line 1 its provenance, then its record lines in code
/// order): held whole (`Snapshot`) or kept on disk as it was read (a large text's records).
pub trait SnapshotLines {
    fn provenance(&self) -> &Provenance;
    /// Every record line (what `records_sha256` hashes), in code order, to `out`.
    fn write_records(&self, out: &mut dyn Write) -> std::io::Result<()>;
}

impl SnapshotLines for Snapshot {
    fn provenance(&self) -> &Provenance {
        &self.provenance
    }

    fn write_records(&self, out: &mut dyn Write) -> std::io::Result<()> {
        write_record_lines(out, &self.records)
    }
}

/// A snapshot held whole with its record lines written once: hashed for its provenance and
/// written to its file from the same bytes, where `Snapshot::new` and writing it would
/// serialize every record twice. For a release being stored; the lines take as much memory
/// again as the snapshot file.
#[derive(Debug)]
pub struct LinedSnapshot {
    pub snapshot: Snapshot,
    /// `record_lines(&snapshot.records)`.
    lines: Vec<u8>,
}

impl LinedSnapshot {
    /// What `Snapshot::new` makes of the same records, with their lines.
    pub fn new(release: ReleaseId, source: SourceInfo, mut records: Vec<Record>) -> Self {
        records.sort_by(|a, b| a.code.cmp(&b.code));
        // The first half's lines made and hashed on a second thread, the second's here.
        let (first, second) = records.split_at(records.len() / 2);
        let ((mut lines, mut hasher), rest) = crate::par::both(
            || {
                // Room for both halves (CMS lines are 300-450 bytes): pages never written cost
                // nothing, a vector grown is copied.
                let mut lines = Vec::with_capacity(records.len() * 480);
                write_record_lines(&mut lines, first).expect("a Vec takes every write");
                let hasher = Sha256::new_with_prefix(&lines);
                (lines, hasher)
            },
            || record_lines(second),
        );
        hasher.update(&rest);
        lines.extend_from_slice(&rest);
        let sha256 = hex(&hasher.finalize());
        let provenance = Provenance::new(release, source, Counts::of(&records), sha256);
        LinedSnapshot {
            snapshot: Snapshot {
                provenance,
                records,
            },
            lines,
        }
    }
}

impl SnapshotLines for LinedSnapshot {
    fn provenance(&self) -> &Provenance {
        &self.snapshot.provenance
    }

    fn write_records(&self, out: &mut dyn Write) -> std::io::Result<()> {
        out.write_all(&self.lines)
    }
}

impl Snapshot {
    pub fn new(release: ReleaseId, source: SourceInfo, mut records: Vec<Record>) -> Self {
        records.sort_by(|a, b| a.code.cmp(&b.code));
        let provenance = Provenance::new(
            release,
            source,
            Counts::of(&records),
            records_sha256(&records),
        );
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
}
