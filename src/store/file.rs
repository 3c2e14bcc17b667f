//! The snapshot file's format: line 1 the provenance, then one record per line sorted by code,
//! so `git diff` of two snapshots reads code by code. Encoding is deterministic: the same
//! snapshot gives the same bytes.

use crate::model::{Provenance, Record, SCHEMA_VERSION, Snapshot};

use super::StoreError;

impl Snapshot {
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

/// A snapshot file split into its provenance and its record lines, each with its code, not
/// yet parsed.
pub(super) struct Lines<'a> {
    file: &'a str,
    provenance: Provenance,
    /// (code, line, 1-based line number)
    lines: Vec<(&'a str, &'a str, usize)>,
}

impl<'a> Lines<'a> {
    pub(super) fn new(file: &'a str, bytes: &'a [u8]) -> Result<Self, StoreError> {
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

/// Two snapshot files trimmed to what `diff` can see: a code whose line is the same in both and
/// whose CMS action is N can neither change nor disagree, so it is not parsed. Kept: every
/// other code, and every code a kept code cross-refers to (for "use instead"). The result diffs
/// exactly like the full snapshots (tested on every pair of real releases).
pub(super) fn trimmed_for_diff(
    a: Lines<'_>,
    b: Lines<'_>,
) -> Result<(Snapshot, Snapshot), StoreError> {
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
    // Cross-reference targets are needed in NEW, and theirs in turn ("use instead" follows
    // discontinued codes to active ones); a target skipped as unchanged is added to both sides,
    // so that it still reads as unchanged. Each round keeps at least one more line, so it ends.
    let mut scanned = (0, 0);
    loop {
        let targets: Vec<usize> = old_records[scanned.0..]
            .iter()
            .chain(&new_records[scanned.1..])
            .flat_map(|r| &r.cross_references)
            .filter_map(|code| b.position(code).filter(|&k| !keep_b[k]))
            .collect();
        if targets.is_empty() {
            break;
        }
        scanned = (old_records.len(), new_records.len());
        let (mut extra_a, mut extra_b) = (vec![false; a.lines.len()], vec![false; b.lines.len()]);
        for k in targets {
            keep_b[k] = true;
            extra_b[k] = true;
            if let Some(j) = a.position(b.lines[k].0).filter(|&j| !keep_a[j]) {
                keep_a[j] = true;
                extra_a[j] = true;
            }
        }
        old_records.extend(a.parse(&extra_a)?);
        new_records.extend(b.parse(&extra_b)?);
    }
    old_records.sort_by(|x, y| x.code.cmp(&y.code));
    new_records.sort_by(|x, y| x.code.cmp(&y.code));
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
