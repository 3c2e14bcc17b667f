//! The snapshot file's format: line 1 the provenance, then one record per line sorted by code,
//! so `git diff` of two snapshots reads code by code. Encoding is deterministic: the same
//! snapshot gives the same bytes.

use std::io::{Read, Write};
use std::path::Path;

use crate::model::{
    Counts, Kind, Provenance, Record, ReleaseId, SCHEMA_VERSION, Snapshot, SnapshotLines,
    sha256_hex,
};

use super::StoreError;

impl Snapshot {
    /// The snapshot file's bytes (what `write_snapshot` writes): deterministic for the same
    /// content.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        write_snapshot(self, &mut out).expect("a Vec takes every write");
        out
    }

    /// Reads a snapshot file, checked first as `Lines::new` checks it.
    pub fn from_bytes(file: &str, bytes: &[u8]) -> Result<Self, StoreError> {
        Self::from_lines(Lines::new(file, bytes)?)
    }

    /// A snapshot file already split and checked, parsed whole.
    pub(super) fn from_lines(lines: Lines<'_>) -> Result<Self, StoreError> {
        let records = lines.parse()?;
        Ok(Snapshot {
            provenance: lines.provenance,
            records,
        })
    }
}

/// The snapshot file's bytes written to `out` as they are made, never held whole: its
/// provenance line, then its record lines (`SnapshotLines::write_records`). The one writer of
/// snapshot files (`Snapshot::to_bytes` holds what it writes).
pub fn write_snapshot(snapshot: &dyn SnapshotLines, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, snapshot.provenance())?;
    out.write_all(b"\n")?;
    snapshot.write_records(out)
}

/// Whether `old` holds exactly the bytes `write_snapshot` writes: compared a piece at a time
/// as they are made, neither held whole; the first difference stops it.
pub(super) fn holds(old: std::fs::File, snapshot: &dyn SnapshotLines) -> std::io::Result<bool> {
    let mut same = Same {
        old: std::io::BufReader::with_capacity(1 << 16, old),
        piece: Vec::new(),
        differs: false,
    };
    let written = {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, &mut same);
        write_snapshot(snapshot, &mut out).and_then(|()| out.flush())
    };
    match written {
        _ if same.differs => Ok(false),
        Ok(()) => Ok(same.old.read(&mut [0])? == 0),
        Err(e) => Err(e),
    }
}

/// A writer that compares what it is given with what `old` holds next (`holds`).
struct Same<R> {
    old: R,
    /// Room for the bytes of `old` compared with one write.
    piece: Vec<u8>,
    /// A difference was met: every write fails from then on, to stop the writing.
    differs: bool,
}

impl<R: Read> Write for Same<R> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let differs = || std::io::Error::other("the stored bytes differ");
        if self.differs {
            return Err(differs());
        }
        self.piece.resize(buf.len(), 0);
        match self.old.read_exact(&mut self.piece) {
            Ok(()) if self.piece == buf => return Ok(buf.len()),
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {}
            Err(e) => return Err(e),
        }
        self.differs = true;
        Err(differs())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
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
    let rest = line.strip_prefix(r#"{"code":""#)?;
    // Up to the closing quote (a code is a few bytes: a plain loop, not a searcher).
    let end = rest.bytes().position(|b| b == b'"').unwrap_or(rest.len());
    Some(&rest[..end])
}

/// How a record line CMS marks unchanged (action N) ends: such a line, the same in both
/// releases, can neither change nor disagree (`stream::trimmed_for_diff`).
pub(super) const QUIET: &str = r#""action_code":"N"}"#;

/// The release a snapshot file's name says it holds: `2020-01.jsonl`, or `2020-01/2.jsonl` for
/// a kept revision; `None` for any other name (a file read outside the store).
fn release_named_by(file: &str) -> Option<ReleaseId> {
    let path = Path::new(file);
    let named = |name: &std::ffi::OsStr| {
        let name = name.to_str()?;
        name.parse::<ReleaseId>()
            .ok()
            .filter(|r| r.to_string() == name)
    };
    let stem = path.file_stem()?;
    if let Some(release) = named(stem) {
        return Some(release);
    }
    stem.to_str()?.parse::<u32>().ok()?;
    named(path.parent()?.file_name()?)
}

/// A line of the file without its line end (`\n` or `\r\n`).
pub(super) fn without_line_end(line: &[u8]) -> &[u8] {
    match line.strip_suffix(b"\n") {
        Some(line) => line.strip_suffix(b"\r").unwrap_or(line),
        None => line,
    }
}

/// A record line's code and kind, which open it; `None` for a line that is not a record.
fn code_and_kind(line: &str) -> Option<(&str, Kind)> {
    let code = code_of(line)?;
    let rest = line[r#"{"code":""#.len() + code.len()..].strip_prefix(r#"","kind":""#)?;
    let kind = if rest.starts_with(r#"procedure""#) {
        Kind::Procedure
    } else if rest.starts_with(r#"modifier""#) {
        Kind::Modifier
    } else {
        return None;
    };
    Some((code, kind))
}

/// The checks every reading of a snapshot file makes, whole (`Lines`) or a line at a time
/// (`stream`), so that both refuse the same files with the same words. Line 1 is the
/// provenance, of this schema, naming the release the file's name names; then each line is a
/// record, in strictly rising code order; at the end the record count, the count of procedure
/// codes and of modifiers, and the SHA-256 of the record lines (hashed by the caller, as it
/// reads) must be the provenance's.
pub(super) struct Checks<'f> {
    file: &'f str,
    pub(super) provenance: Provenance,
    counts: Counts,
    /// The code of the record line before, for the order check.
    last: String,
    /// The first break in the order, reported after a wrong count (which explains it better).
    disorder: Option<String>,
}

impl<'f> Checks<'f> {
    /// Checks line 1 (`head`, with or without its line end).
    pub(super) fn new(file: &'f str, head: &[u8]) -> Result<Self, StoreError> {
        let head =
            std::str::from_utf8(without_line_end(head)).map_err(|e| StoreError::Corrupt {
                file: file.to_string(),
                line: 1,
                problem: format!("invalid UTF-8 ({e})"),
            })?;
        let provenance = provenance(file, head.trim_end())?;
        let checks = Checks {
            file,
            provenance,
            counts: Counts::default(),
            last: String::new(),
            disorder: None,
        };
        if let Some(named) = release_named_by(file)
            && named != checks.provenance.release
        {
            return Err(checks.damaged(format!(
                "its name says release {named}, its provenance {}",
                checks.provenance.release
            )));
        }
        Ok(checks)
    }

    fn damaged(&self, problem: String) -> StoreError {
        StoreError::Damaged {
            file: self.file.to_string(),
            problem,
        }
    }

    /// Checks record line `number` (1-based in the file, `bytes` without its line end) and
    /// gives its code and text.
    pub(super) fn line<'l>(
        &mut self,
        number: usize,
        bytes: &'l [u8],
    ) -> Result<(&'l str, &'l str), StoreError> {
        // The vector check first (most of the bytes read); the scalar one says where it fails.
        let line = simdutf8::basic::from_utf8(bytes)
            .or_else(|_| std::str::from_utf8(bytes))
            .map_err(|e| StoreError::Corrupt {
                file: self.file.to_string(),
                line: number,
                problem: format!("invalid UTF-8 ({e})"),
            })?;
        let (code, kind) = code_and_kind(line)
            .ok_or_else(|| self.damaged(format!("line {number} is not a record")))?;
        let seen = self.counts.procedure + self.counts.modifier;
        if seen > 0 && self.disorder.is_none() && self.last.as_str() >= code {
            self.disorder = Some(if self.last == code {
                format!("line {number}: {code} a second time")
            } else {
                format!("line {number}: {code} after {}, out of order", self.last)
            });
        }
        self.last.clear();
        self.last.push_str(code);
        match kind {
            Kind::Procedure => self.counts.procedure += 1,
            Kind::Modifier => self.counts.modifier += 1,
        }
        Ok((code, line))
    }

    /// The checks of the whole file, once every line has been through `line`; `records_sha256`
    /// is the SHA-256 (hex) of every byte after line 1.
    pub(super) fn finish(&self, records_sha256: &str) -> Result<(), StoreError> {
        let p = &self.provenance;
        let records = self.counts.procedure + self.counts.modifier;
        if records != p.records {
            return Err(self.damaged(format!(
                "{} records, its provenance says {}",
                thousands(records),
                thousands(p.records)
            )));
        }
        if let Some(problem) = &self.disorder {
            return Err(self.damaged(problem.clone()));
        }
        if records_sha256 != p.records_sha256 {
            return Err(self.damaged(
                "its records' SHA-256 is not the one its provenance records".to_string(),
            ));
        }
        if self.counts != p.counts {
            return Err(self.damaged(format!(
                "its records hold {} procedure codes and {} modifiers, its provenance says {} and {}",
                thousands(self.counts.procedure),
                thousands(self.counts.modifier),
                thousands(p.counts.procedure),
                thousands(p.counts.modifier)
            )));
        }
        Ok(())
    }
}

/// Record line `number` of `file` parsed.
pub(super) fn parse_record(file: &str, number: usize, line: &str) -> Result<Record, StoreError> {
    serde_json::from_str(line).map_err(|e| StoreError::Corrupt {
        file: file.to_string(),
        line: number,
        problem: e.to_string(),
    })
}

/// A snapshot file split into its provenance and its record lines, each with its code, not
/// yet parsed.
pub(super) struct Lines<'a> {
    file: &'a str,
    pub(super) provenance: Provenance,
    /// (code, line, 1-based line number)
    lines: Vec<(&'a str, &'a str, usize)>,
}

impl<'a> Lines<'a> {
    /// Splits a snapshot file and checks it whole, as `Checks` does, without parsing a record.
    /// A file that fails is damaged.
    pub(super) fn new(file: &'a str, bytes: &'a [u8]) -> Result<Self, StoreError> {
        let split = bytes
            .iter()
            .position(|b| *b == b'\n')
            .map_or(bytes.len(), |i| i + 1);
        let (head, body) = bytes.split_at(split);
        let mut checks = Checks::new(file, head)?;
        // The provenance's count is the file's word, not a size to trust: the lines decide.
        let mut lines: Vec<(&str, &str, usize)> =
            Vec::with_capacity(checks.provenance.records.min(body.len() / 16));
        for (i, line) in body.split_inclusive(|b| *b == b'\n').enumerate() {
            let (code, line) = checks.line(i + 2, without_line_end(line))?;
            lines.push((code, line, i + 2));
        }
        checks.finish(&sha256_hex(body))?;
        Ok(Lines {
            file,
            provenance: checks.provenance,
            lines,
        })
    }

    /// Every code of the file, in order.
    pub(super) fn codes(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.lines.iter().map(|(code, _, _)| *code)
    }

    fn parse(&self) -> Result<Vec<Record>, StoreError> {
        // Sized once: a growing vector of records is copied, each time to fresh memory.
        let mut records = Vec::with_capacity(self.lines.len());
        for (_, line, n) in &self.lines {
            records.push(parse_record(self.file, *n, line)?);
        }
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixture release 2006-01, as read from its text.
    fn oxygen_2006() -> Snapshot {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/oxygen/2006");
        crate::load_path(&path, crate::ReadOptions::default())
            .unwrap()
            .snapshot
    }

    /// A release is written the same, byte for byte, whichever way it is held: a snapshot
    /// whose lines are made as it is written (`Snapshot`, what `check` and `--apply-corrections`
    /// store), or one whose lines were made once, hashed and kept (`LinedSnapshot`, what
    /// `import` stores); the provenance (its `records_sha256`) the same too.
    #[test]
    fn a_snapshot_is_the_same_bytes_with_its_lines_made_once_or_as_written() {
        let read = oxygen_2006();
        let mut records = read.records.clone();
        // Characters JSON escapes, and ones it does not, in a description.
        records[0].long_description = "a \"quoted\" \\ tab\t é €".to_string();
        // Out of order: both sort.
        records.reverse();
        let (release, source) = (read.release(), read.provenance.source.clone());
        let held = Snapshot::new(release, source.clone(), records.clone());
        let lined = crate::model::LinedSnapshot::new(release, source, records);
        assert_eq!(lined.snapshot, held);
        let (mut from_held, mut from_lined) = (Vec::new(), Vec::new());
        write_snapshot(&held, &mut from_held).unwrap();
        write_snapshot(&lined, &mut from_lined).unwrap();
        assert_eq!(from_lined, from_held);
        assert_eq!(held.to_bytes(), from_held);
        assert!(from_held.windows(4).any(|w| w == b"\\\"qu"));
        let read_back = Snapshot::from_bytes("2006-01.jsonl", &from_lined).unwrap();
        assert_eq!(read_back, held);
    }

    /// A file is held to hold a snapshot only when its bytes are the snapshot's, all of them
    /// and no more: the same, one byte changed, one more, one fewer, none.
    #[test]
    fn a_stored_file_holds_a_snapshot_only_byte_for_byte() {
        let snapshot = oxygen_2006();
        let bytes = snapshot.to_bytes();
        let mut written = Vec::new();
        write_snapshot(&snapshot, &mut written).unwrap();
        assert_eq!(written, bytes);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("2006-01.jsonl");
        let holds_now = |stored: &[u8]| {
            std::fs::write(&file, stored).unwrap();
            holds(std::fs::File::open(&file).unwrap(), &snapshot).unwrap()
        };
        assert!(holds_now(&bytes));
        let mut changed = bytes.clone();
        let middle = changed.len() / 2;
        changed[middle] ^= 1;
        assert!(!holds_now(&changed));
        assert!(!holds_now(&[bytes.as_slice(), b"\n"].concat()));
        assert!(!holds_now(&bytes[..bytes.len() - 1]));
        assert!(!holds_now(b""));
    }
}
