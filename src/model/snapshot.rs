//! A release as the tool holds it: the records and where they came from. The one type that
//! crosses every stage (read → store → diff → report); it knows nothing of where it is kept.

use serde::{Deserialize, Serialize};

use super::{Kind, Record, ReleaseId};

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
}
