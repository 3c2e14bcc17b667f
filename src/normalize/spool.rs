//! A large text's records kept on disk as they are typed, as the lines of the snapshot file
//! they will be, not in memory: a text of hundreds of megabytes imports in memory that does not
//! grow with it. CMS's texts list the modifiers, then the procedure codes, each in code order,
//! so the records come in a few runs already in order; the runs are merged as the snapshot is
//! written (`Spooled`). A text in more than `MOST_RUNS` runs has its records read back and
//! sorted in memory, as any other release is. The files have no name, in the temporary folder
//! (`TMPDIR`), and go with the run.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use sha2::{Digest, Sha256};

use crate::model::{Counts, Kind, Provenance, Record, ReleaseId, SnapshotLines, SourceInfo};
use crate::source::Dates;

/// The most runs in code order merged as the snapshot is written (each takes a 64 KiB buffer);
/// a text in more is sorted in memory.
pub const MOST_RUNS: usize = 64;

/// Records being kept, a record at a time, in the order the text gives them.
pub struct Spool {
    /// The record lines, in the text's order.
    lines: BufWriter<File>,
    /// The line of the text each record starts on, 8 bytes each (little-endian), in the same
    /// order: read back only if a duplicate check needs them (`first_at`).
    at: BufWriter<File>,
    /// Where each run of records in code order starts in `lines`.
    runs: Vec<u64>,
    /// Bytes written to `lines`.
    written: u64,
    /// The last record's code.
    last: String,
    /// Each code's line in the text, once the records are in more than one run; until then a
    /// code after the last one cannot be one already met.
    index: Option<HashMap<u64, usize>>,
    counts: Counts,
    dates: Dates,
    /// The last procedure code in code order (empty: none yet).
    last_procedure: String,
    /// SHA-256 of the record lines while they are in one run, and so in the snapshot's order.
    hasher: Option<Sha256>,
    /// The line being written.
    line: Vec<u8>,
}

/// A record's code as a number no other code shares (`normalize::check_code` makes it).
pub fn key_of(code: &str) -> u64 {
    code.bytes().fold(0, |key, b| key << 8 | u64::from(b))
}

/// The code a record line opens with (`{"code":"E1392",...`).
fn code_of(line: &[u8]) -> &[u8] {
    let rest = line.strip_prefix(br#"{"code":""#).unwrap_or(line);
    let end = memchr::memchr(b'"', rest).unwrap_or(rest.len());
    &rest[..end]
}

impl Spool {
    pub fn new() -> std::io::Result<Self> {
        Ok(Spool {
            lines: BufWriter::with_capacity(1 << 16, tempfile::tempfile()?),
            at: BufWriter::with_capacity(1 << 16, tempfile::tempfile()?),
            runs: vec![0],
            written: 0,
            last: String::new(),
            index: None,
            counts: Counts::default(),
            dates: Dates::default(),
            last_procedure: String::new(),
            hasher: Some(Sha256::new()),
            line: Vec::with_capacity(1024),
        })
    }

    /// The line of the text where the record with `code` (`key`) was met, if it was.
    pub fn first_at(&mut self, code: &str, key: u64) -> std::io::Result<Option<usize>> {
        if self.index.is_none() {
            if self.written == 0 || code > self.last.as_str() {
                return Ok(None);
            }
            self.index = Some(self.read_index()?);
        }
        Ok(self.index.as_ref().and_then(|i| i.get(&key).copied()))
    }

    /// Every code kept so far, with its line in the text: read back from the two files.
    fn read_index(&mut self) -> std::io::Result<HashMap<u64, usize>> {
        self.lines.flush()?;
        self.at.flush()?;
        let mut index = HashMap::new();
        let mut lines =
            BufReader::with_capacity(1 << 16, Region::new(self.lines.get_ref(), 0, self.written));
        let records = (self.counts.procedure + self.counts.modifier) as u64;
        let mut at =
            BufReader::with_capacity(1 << 16, Region::new(self.at.get_ref(), 0, records * 8));
        let mut line = Vec::new();
        let mut number = [0u8; 8];
        loop {
            line.clear();
            if lines.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            at.read_exact(&mut number)?;
            let code = std::str::from_utf8(code_of(&line)).map_err(std::io::Error::other)?;
            let number = usize::try_from(u64::from_le_bytes(number)).unwrap_or(usize::MAX);
            index.insert(key_of(code), number);
        }
        // The writers go on at the files' ends.
        self.lines.get_ref().seek(SeekFrom::End(0))?;
        self.at.get_ref().seek(SeekFrom::End(0))?;
        Ok(index)
    }

    /// Keeps `record` (whose code is `key`), met on line `line` of the text.
    pub fn push(&mut self, record: &Record, key: u64, line: usize) -> std::io::Result<()> {
        self.line.clear();
        crate::model::snapshot::write_record_line(&mut self.line, record)?;
        if self.written > 0 && record.code.as_str() <= self.last.as_str() {
            self.runs.push(self.written);
            self.hasher = None;
        }
        if let Some(index) = &mut self.index {
            index.insert(key, line);
        }
        if let Some(hasher) = &mut self.hasher {
            hasher.update(&self.line);
        }
        self.lines.write_all(&self.line)?;
        self.at.write_all(&(line as u64).to_le_bytes())?;
        self.written += self.line.len() as u64;
        match record.kind {
            Kind::Procedure => {
                self.counts.procedure += 1;
                if record.code > self.last_procedure {
                    self.last_procedure.clone_from(&record.code);
                }
            }
            Kind::Modifier => self.counts.modifier += 1,
        }
        self.dates.add(record);
        self.last.clear();
        self.last.push_str(&record.code);
        Ok(())
    }

    /// How many records are kept.
    pub fn len(&self) -> usize {
        self.counts.procedure + self.counts.modifier
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The records kept, done: to be merged as the snapshot is written, or, in more than
    /// `MOST_RUNS` runs, read back to be sorted in memory.
    pub fn finish(self) -> std::io::Result<Finished> {
        let file = self.lines.into_inner().map_err(|e| e.into_error())?;
        let ends = self.runs.iter().skip(1).copied().chain([self.written]);
        let runs: Vec<(u64, u64)> = self.runs.iter().copied().zip(ends).collect();
        if runs.len() > MOST_RUNS {
            let lines = Region::new(&file, 0, self.written);
            return read_back(BufReader::with_capacity(1 << 16, lines)).map(Finished::Records);
        }
        Ok(Finished::Kept(Kept {
            file,
            runs,
            counts: self.counts,
            dates: self.dates,
            last_procedure: Some(self.last_procedure).filter(|code| !code.is_empty()),
            sha256: self.hasher.map(|h| crate::model::hex(&h.finalize())),
        }))
    }
}

/// What a spool gives when done.
pub enum Finished {
    Kept(Kept),
    /// The records read back, in the text's order.
    Records(Vec<Record>),
}

/// Records kept on disk in runs in code order, their release not yet decided.
#[derive(Debug)]
pub struct Kept {
    file: File,
    /// Each run's start and end in `file`.
    runs: Vec<(u64, u64)>,
    counts: Counts,
    dates: Dates,
    last_procedure: Option<String>,
    /// The record lines' SHA-256 when they were written in one run.
    sha256: Option<String>,
}

impl Kept {
    pub fn len(&self) -> usize {
        self.counts.procedure + self.counts.modifier
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What the records say of their release's date.
    pub fn dates(&self) -> &Dates {
        &self.dates
    }

    /// The snapshot of these records as `release`, read from `source`.
    pub fn into_snapshot(self, release: ReleaseId, source: SourceInfo) -> std::io::Result<Spooled> {
        let sha256 = match &self.sha256 {
            Some(sha256) => sha256.clone(),
            None => {
                let mut hashing = Hashing(Sha256::new());
                merge(&self.file, &self.runs, &mut hashing)?;
                crate::model::hex(&hashing.0.finalize())
            }
        };
        Ok(Spooled {
            provenance: Provenance::new(release, source, self.counts, sha256),
            file: self.file,
            runs: self.runs,
            last_procedure: self.last_procedure,
        })
    }
}

/// A snapshot whose records are kept on disk (`Spool`), written in code order as its file is.
#[derive(Debug)]
pub struct Spooled {
    provenance: Provenance,
    file: File,
    runs: Vec<(u64, u64)>,
    last_procedure: Option<String>,
}

impl Spooled {
    /// The last procedure code, in code order.
    pub fn last_procedure(&self) -> Option<&str> {
        self.last_procedure.as_deref()
    }

    /// The records, read back in code order: the snapshot held whole.
    pub fn into_snapshot(self) -> std::io::Result<crate::model::Snapshot> {
        let mut lines = Vec::new();
        merge(&self.file, &self.runs, &mut lines)?;
        let records = read_back(lines.as_slice())?;
        Ok(crate::model::Snapshot {
            provenance: self.provenance,
            records,
        })
    }
}

impl SnapshotLines for Spooled {
    fn provenance(&self) -> &Provenance {
        &self.provenance
    }

    fn write_records(&self, out: &mut dyn Write) -> std::io::Result<()> {
        merge(&self.file, &self.runs, out)
    }
}

/// A writer that only hashes.
struct Hashing(Sha256);

impl Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every record line of `file`'s `runs` to `out`, the runs merged by code (no code is in two).
fn merge(file: &File, runs: &[(u64, u64)], out: &mut dyn Write) -> std::io::Result<()> {
    if let [(start, end)] = runs {
        let region = Region::new(file, *start, *end);
        std::io::copy(&mut BufReader::with_capacity(1 << 16, region), out)?;
        return Ok(());
    }
    let mut readers: Vec<_> = runs
        .iter()
        .map(|&(start, end)| BufReader::with_capacity(1 << 16, Region::new(file, start, end)))
        .collect();
    // Each run's next line, empty once the run is done.
    let mut next: Vec<Vec<u8>> = vec![Vec::new(); readers.len()];
    for (reader, line) in readers.iter_mut().zip(&mut next) {
        reader.read_until(b'\n', line)?;
    }
    loop {
        let Some(first) = (0..next.len())
            .filter(|&i| !next[i].is_empty())
            .min_by(|&a, &b| code_of(&next[a]).cmp(code_of(&next[b])))
        else {
            return Ok(());
        };
        out.write_all(&next[first])?;
        next[first].clear();
        readers[first].read_until(b'\n', &mut next[first])?;
    }
}

/// The records of the record lines `from` gives, parsed.
fn read_back(mut from: impl BufRead) -> std::io::Result<Vec<Record>> {
    let mut records = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if from.read_until(b'\n', &mut line)? == 0 {
            return Ok(records);
        }
        records.push(serde_json::from_slice(&line)?);
    }
}

/// The bytes `start..end` of a file read through a shared handle: each read seeks first, so
/// that several regions (and the writer at the file's end) can take turns.
struct Region<'a> {
    file: &'a File,
    at: u64,
    end: u64,
}

impl<'a> Region<'a> {
    fn new(file: &'a File, start: u64, end: u64) -> Self {
        Region {
            file,
            at: start,
            end,
        }
    }
}

impl Read for Region<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = usize::try_from(self.end.saturating_sub(self.at)).unwrap_or(usize::MAX);
        if left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let mut file = self.file;
        file.seek(SeekFrom::Start(self.at))?;
        let len = left.min(buf.len());
        let n = file.read(&mut buf[..len])?;
        self.at += n as u64;
        Ok(n)
    }
}
