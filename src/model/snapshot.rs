//! A release as the tool holds it: the records and where they came from. The one type that
//! crosses every stage (read → store → diff → report); it knows nothing of where it is kept.

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

/// The record lines of a snapshot file: each record as one line of JSON, in the given order.
pub fn record_lines(records: &[Record]) -> Vec<u8> {
    let mut out = Vec::new();
    write_record_lines(&mut out, records);
    out
}

/// `record_lines(records)` appended to `out`.
pub fn write_record_lines(out: &mut Vec<u8>, records: &[Record]) {
    out.reserve(records.len() * 400);
    for r in records {
        serde_json::to_writer(&mut *out, r).expect("records serialize");
        out.push(b'\n');
    }
}

/// SHA-256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// SHA-256 of `record_lines(records)`, as lowercase hex, without holding the lines.
pub fn records_sha256(records: &[Record]) -> String {
    let mut hasher = Sha256::new();
    let mut line = Vec::with_capacity(1024);
    for r in records {
        line.clear();
        serde_json::to_writer(&mut line, r).expect("records serialize");
        line.push(b'\n');
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
    fn write_records(&self, out: &mut dyn std::io::Write) -> std::io::Result<()>;
}

impl SnapshotLines for Snapshot {
    fn provenance(&self) -> &Provenance {
        &self.provenance
    }

    fn write_records(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        for r in &self.records {
            serde_json::to_writer(&mut *out, r)?;
            out.write_all(b"\n")?;
        }
        Ok(())
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
