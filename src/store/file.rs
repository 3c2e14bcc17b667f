//! The snapshot file's format: line 1 the provenance, then one record per line sorted by code,
//! so `git diff` of two snapshots reads code by code. Encoding is deterministic: the same
//! snapshot gives the same bytes.

use crate::model::{Provenance, Record, SCHEMA_VERSION, Snapshot, record_lines, sha256_hex};

use super::StoreError;

impl Snapshot {
    /// The snapshot file's bytes: deterministic for the same content.
    pub fn to_bytes(&self) -> Vec<u8> {
        let lines = record_lines(&self.records);
        let mut out = Vec::with_capacity(lines.len() + 512);
        serde_json::to_writer(&mut out, &self.provenance).expect("provenance serializes");
        out.push(b'\n');
        out.extend_from_slice(&lines);
        out
    }

    /// Reads a snapshot file, checked first as `Lines::new` checks it.
    pub fn from_bytes(file: &str, bytes: &[u8]) -> Result<Self, StoreError> {
        Self::from_lines(Lines::new(file, bytes)?)
    }

    /// A snapshot file already split and checked, parsed whole.
    pub(super) fn from_lines(lines: Lines<'_>) -> Result<Self, StoreError> {
        let records = lines.parse(&vec![true; lines.lines.len()])?;
        Ok(Snapshot {
            provenance: lines.provenance,
            records,
        })
    }
}

/// Line 1 of a snapshot file, read leniently: enough of it to say what it was made from, even
/// from an older schema or a damaged file.
pub(super) fn source_of(first_line: &str) -> Option<crate::model::SourceInfo> {
    #[derive(serde::Deserialize)]
    struct Head {
        source: crate::model::SourceInfo,
    }
    serde_json::from_str::<Head>(first_line)
        .ok()
        .map(|h| h.source)
}

/// The provenance line, its schema version checked before anything else is read from it.
pub(super) fn provenance(file: &str, line: &str) -> Result<Provenance, StoreError> {
    #[derive(serde::Deserialize)]
    struct Version {
        schema_version: u32,
    }
    let corrupt = |e: serde_json::Error| StoreError::Corrupt {
        file: file.to_string(),
        line: 1,
        problem: e.to_string(),
    };
    let version: Version = serde_json::from_str(line).map_err(corrupt)?;
    if version.schema_version != SCHEMA_VERSION {
        return Err(StoreError::Schema {
            file: file.to_string(),
            found: version.schema_version,
        });
    }
    serde_json::from_str(line).map_err(corrupt)
}

/// Bytes that are not UTF-8 (a snapshot is JSON, so UTF-8), named by the file's line that
/// holds the first bad byte; `lines_before` counts the lines above `bytes` in the file.
fn not_utf8(file: &str, bytes: &[u8], lines_before: usize, e: &std::str::Utf8Error) -> StoreError {
    let good = bytes.get(..e.valid_up_to()).unwrap_or_default();
    StoreError::Corrupt {
        file: file.to_string(),
        line: lines_before + good.iter().filter(|b| **b == b'\n').count() + 1,
        problem: format!("invalid UTF-8 ({e})"),
    }
}

/// `7079` as `7,079`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The code of a record line, which opens with it; `None` for a line that is not a record.
pub(super) fn code_of(line: &str) -> Option<&str> {
    line.strip_prefix(r#"{"code":""#)
        .and_then(|rest| rest.split('"').next())
}

/// How a record line CMS marks unchanged (action N) ends: such a line, the same in both
/// releases, can neither change nor disagree (`stream::trimmed_for_diff`).
pub(super) const QUIET: &str = r#""action_code":"N"}"#;

/// A snapshot file split into its provenance and its record lines, each with its code, not
/// yet parsed.
pub(super) struct Lines<'a> {
    file: &'a str,
    pub(super) provenance: Provenance,
    /// (code, line, 1-based line number)
    lines: Vec<(&'a str, &'a str, usize)>,
}

impl<'a> Lines<'a> {
    /// Splits a snapshot file and checks it without parsing a record: the record count and
    /// the SHA-256 of the record lines against the provenance, and codes in strictly rising
    /// order (sorted, none twice). A file that fails is damaged.
    pub(super) fn new(file: &'a str, bytes: &'a [u8]) -> Result<Self, StoreError> {
        let damaged = |problem: String| StoreError::Damaged {
            file: file.to_string(),
            problem,
        };
        let split = bytes
            .iter()
            .position(|b| *b == b'\n')
            .map_or(bytes.len(), |i| i + 1);
        let (head, body) = bytes.split_at(split);
        let head = std::str::from_utf8(head).map_err(|e| not_utf8(file, head, 0, &e))?;
        let provenance = provenance(file, head.trim_end())?;
        let text = std::str::from_utf8(body).map_err(|e| not_utf8(file, body, 1, &e))?;
        // The provenance's count is the file's word, not a size to trust: the lines decide.
        let mut lines: Vec<(&str, &str, usize)> =
            Vec::with_capacity(provenance.records.min(body.len() / 16));
        let mut disorder = None;
        for (n, line) in text.lines().enumerate() {
            let code =
                code_of(line).ok_or_else(|| damaged(format!("line {} is not a record", n + 2)))?;
            if let Some((last, _, _)) = lines.last()
                && disorder.is_none()
                && *last >= code
            {
                disorder = Some(if *last == code {
                    format!("line {}: {code} a second time", n + 2)
                } else {
                    format!("line {}: {code} after {last}, out of order", n + 2)
                });
            }
            lines.push((code, line, n + 2));
        }
        if lines.len() != provenance.records {
            return Err(damaged(format!(
                "{} records, its provenance says {}",
                thousands(lines.len()),
                thousands(provenance.records)
            )));
        }
        if let Some(problem) = disorder {
            return Err(damaged(problem));
        }
        if sha256_hex(body) != provenance.records_sha256 {
            return Err(damaged(
                "its records' SHA-256 is not the one its provenance records".to_string(),
            ));
        }
        Ok(Lines {
            file,
            provenance,
            lines,
        })
    }

    /// Every code of the file, in order.
    pub(super) fn codes(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.lines.iter().map(|(code, _, _)| *code)
    }

    fn position(&self, code: &str) -> Option<usize> {
        self.lines.binary_search_by(|(c, _, _)| (*c).cmp(code)).ok()
    }

    fn parse(&self, keep: &[bool]) -> Result<Vec<Record>, StoreError> {
        // Sized once: a growing vector of records is copied, each time to fresh memory.
        let mut records = Vec::with_capacity(keep.iter().filter(|k| **k).count());
        for ((_, line, n), _) in self.lines.iter().zip(keep).filter(|(_, k)| **k) {
            records.push(serde_json::from_str(line).map_err(|e| StoreError::Corrupt {
                file: self.file.to_string(),
                line: *n,
                problem: e.to_string(),
            })?);
        }
        Ok(records)
    }
}

/// A snapshot file trimmed to one code's record (none if the release lacks it), for a command
/// about one code across every release (`history`): the file is checked whole, one line parsed.
pub(super) fn trimmed_to(lines: Lines<'_>, code: &str) -> Result<Snapshot, StoreError> {
    let mut keep = vec![false; lines.lines.len()];
    if let Some(i) = lines.position(code) {
        keep[i] = true;
    }
    let records = lines.parse(&keep)?;
    Ok(Snapshot {
        provenance: lines.provenance,
        records,
    })
}
