//! Stored snapshots read a line at a time, for `diff` (two releases) and `history` (one code):
//! each line is checked as `file::Lines` checks a whole file (record shape, rising codes; count
//! and SHA-256 against the provenance, hashed as the bytes go by: on a thread of its own for
//! each of `diff`'s two files, walked together on one), and only the
//! lines the command can see are kept, so memory is what it keeps, not the size of the files
//! (a 1,000,000-code release is 380 MB). The checks are `file::Checks`, the same the
//! whole-file reading makes, so a file either reading refuses, the other refuses too, in the
//! same words. For `diff`, the two files are walked together in code
//! order: a code whose line is the same in both and whose CMS action is N can neither change
//! nor disagree, so it is not parsed; every other code is, with every code a kept one
//! cross-refers to (for "use instead"). The result diffs exactly like the full snapshots (a
//! property test holds it).

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};

use super::StoreError;
use super::file::{Checks, QUIET, code_of, parse_record, without_line_end};
use crate::model::{Record, Snapshot};

/// How much of a snapshot file `diff`'s reader reads at once: small enough that the first piece
/// is soon hashed and handed over, large enough that the pieces are few.
const DIFF_PIECE: usize = 128 * 1024;

/// What a file's reader thread ends with: the SHA-256 (hex) of its records, unless it could not
/// read the file through, and the file, for finding lines again.
type ReadThrough = (Option<String>, File);

/// Reads `file` through in pieces, hashes each piece's records (everything after the first line)
/// and only then hands it over, so that the bytes checked are the bytes hashed. Pieces the
/// receiver is done with come back in `spare`, to be filled again: a fresh one for every read
/// would be fresh memory (its pages cleared by the kernel).
fn read_and_hash(
    mut file: File,
    pieces: SyncSender<std::io::Result<Vec<u8>>>,
    spare: Receiver<Vec<u8>>,
) -> ReadThrough {
    let mut hasher = Sha256::new();
    let mut in_records = false;
    loop {
        let mut piece = spare.try_recv().unwrap_or_default();
        // A piece handed back is as long as it was filled: most often whole, nothing to clear.
        piece.resize(DIFF_PIECE, 0);
        match fill(&mut file, &mut piece) {
            Ok(0) => break,
            Ok(read) => piece.truncate(read),
            Err(e) => {
                let _ = pieces.send(Err(e));
                return (None, file);
            }
        }
        let mut records = &piece[..];
        if !in_records {
            match memchr::memchr(b'\n', records) {
                Some(end) => {
                    in_records = true;
                    records = &records[end + 1..];
                }
                None => records = &[],
            }
        }
        hasher.update(records);
        // The receiver gone has stopped reading: the file was refused.
        if pieces.send(Ok(piece)).is_err() {
            return (None, file);
        }
    }
    (Some(crate::model::hex(&hasher.finalize())), file)
}

/// Where the current line of a [`Stream`] lies.
#[derive(Clone, Copy)]
enum Held {
    /// In the current piece, from..to (with its line end).
    Piece(usize, usize),
    /// In `carry`: begun in an earlier piece.
    Carry,
}

/// How many record lines one entry of an [`Index`] stands for.
const STRIDE: usize = 64;

/// Where the record lines of a file lie, by code, to find again lines the walk skipped
/// (`Stream::find`) without reading the file through a second time: the code and offset of
/// every `STRIDE`th record line (record `i` is line `i + 2`), and a block of `STRIDE` lines read
/// again for each code looked up. A few bytes for each `STRIDE` lines: a file of a million
/// records adds a fraction of a megabyte.
#[derive(Default)]
struct Index {
    /// The entries' codes, one after another.
    codes: String,
    /// Where each entry's code ends in `codes`.
    ends: Vec<usize>,
    /// Where each entry's line starts in the file.
    offsets: Vec<u64>,
    /// Where the file ends, once read through.
    end: u64,
}

impl Index {
    /// Notes record `record` (0-based), of `code`, at `offset` in the file.
    fn note(&mut self, record: usize, code: &str, offset: u64) {
        if record.is_multiple_of(STRIDE) {
            self.codes.push_str(code);
            self.ends.push(self.codes.len());
            self.offsets.push(offset);
        }
    }

    fn code(&self, entry: usize) -> &str {
        let from = if entry == 0 { 0 } else { self.ends[entry - 1] };
        &self.codes[from..self.ends[entry]]
    }

    /// The entry whose block would hold `code` (the last one at or before it), in a file whose
    /// codes rise (checked); `None` before the first.
    fn entry(&self, code: &str) -> Option<usize> {
        let (mut low, mut high) = (0, self.ends.len());
        while low < high {
            let middle = low + (high - low) / 2;
            if self.code(middle) <= code {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        low.checked_sub(1)
    }

    /// Where an entry's block of lines starts and ends in the file.
    fn block(&self, entry: usize) -> (u64, u64) {
        let to = self.offsets.get(entry + 1).copied().unwrap_or(self.end);
        (self.offsets[entry], to)
    }
}

/// A snapshot file read in pieces by [`read_and_hash`] on a thread of its own, split into lines
/// where the pieces lie; a line cut by the end of a piece is put together in `carry`.
struct Pieces<'a> {
    file: &'a str,
    received: Receiver<std::io::Result<Vec<u8>>>,
    /// Pieces handed back to the reader.
    back: Sender<Vec<u8>>,
    reader: Option<JoinHandle<ReadThrough>>,
    piece: Vec<u8>,
    /// Where the next line starts in `piece`.
    at: usize,
    carry: Vec<u8>,
    held: Held,
}

impl<'a> Pieces<'a> {
    fn open(file: &'a str, opened: File) -> Result<Self, StoreError> {
        let (pieces, received) = sync_channel(4);
        let (back, spare) = channel();
        let reader = std::thread::Builder::new()
            .spawn(move || read_and_hash(opened, pieces, spare))
            .map_err(|source| StoreError::Io {
                path: file.to_string(),
                source,
            })?;
        Ok(Pieces {
            file,
            received,
            back,
            reader: Some(reader),
            piece: Vec::new(),
            at: 0,
            carry: Vec::new(),
            held: Held::Carry,
        })
    }

    /// The next line, with its line end (the last line may lack it); `None` at the end.
    fn next_line(&mut self) -> Result<Option<Held>, StoreError> {
        if let Held::Carry = self.held {
            self.carry.clear();
        }
        loop {
            let rest = &self.piece[self.at..];
            if let Some(end) = memchr::memchr(b'\n', rest) {
                let (from, to) = (self.at, self.at + end + 1);
                self.at = to;
                self.held = if self.carry.is_empty() {
                    Held::Piece(from, to)
                } else {
                    self.carry.extend_from_slice(&self.piece[from..to]);
                    Held::Carry
                };
                return Ok(Some(self.held));
            }
            self.carry.extend_from_slice(rest);
            if !self.next_piece()? {
                self.held = Held::Carry;
                return Ok((!self.carry.is_empty()).then_some(Held::Carry));
            }
        }
    }

    /// The bytes of a line `next_line` gave.
    fn bytes(&self, held: Held) -> &[u8] {
        match held {
            Held::Piece(from, to) => &self.piece[from..to],
            Held::Carry => &self.carry,
        }
    }

    /// Moves to the reader's next piece; false at the end of the file.
    fn next_piece(&mut self) -> Result<bool, StoreError> {
        self.at = 0;
        match self.received.recv() {
            Ok(Ok(piece)) => {
                let done = std::mem::replace(&mut self.piece, piece);
                // The reader gone (it has read the file through) wants no more pieces.
                let _ = self.back.send(done);
                Ok(true)
            }
            Ok(Err(source)) => Err(StoreError::Io {
                path: self.file.to_string(),
                source,
            }),
            Err(_) => {
                self.piece.clear();
                Ok(false)
            }
        }
    }

    /// The SHA-256 of the records and the file, once it has been read through.
    fn finish(&mut self) -> Result<(String, File), StoreError> {
        match self.reader.take().and_then(|r| r.join().ok()) {
            Some((Some(hex), file)) => Ok((hex, file)),
            _ => Err(reread(self.file)),
        }
    }
}

/// One snapshot file being read for `diff`: the current record line and the checks so far.
/// Each line is checked as `file::Lines` checks a whole file; the count and SHA-256 at the end.
struct Stream<'a> {
    file: &'a str,
    lines: Pieces<'a>,
    checks: Checks<'a>,
    /// The current record line, unless the file has ended.
    current: Option<Held>,
    /// Its code.
    code: String,
    /// Bytes of the file before the next line.
    consumed: u64,
    index: Index,
    /// The current line's 1-based number in the file.
    number: usize,
    /// The file once read through and checked (`finish`), for `find`.
    opened: Option<File>,
}

impl<'a> Stream<'a> {
    /// Starts reading the open snapshot file `opened` (named `file`) at its first record line.
    fn open(file: &'a str, opened: File) -> Result<Self, StoreError> {
        let mut lines = Pieces::open(file, opened)?;
        let head = lines.next_line()?;
        let head = head.map_or(&[][..], |held| lines.bytes(held));
        let consumed = head.len() as u64;
        let checks = Checks::new(file, head)?;
        let mut stream = Stream {
            file,
            lines,
            checks,
            current: None,
            code: String::new(),
            consumed,
            index: Index::default(),
            number: 1,
            opened: None,
        };
        stream.advance()?;
        Ok(stream)
    }

    /// The current line's code and bytes (without its line end), if the file has not ended.
    fn current(&self) -> Option<(&str, &[u8])> {
        let held = self.current?;
        Some((&self.code, without_line_end(self.lines.bytes(held))))
    }

    /// The current line as text.
    fn text(&self) -> Result<String, StoreError> {
        let (_, line) = self.current().unwrap_or_default();
        std::str::from_utf8(line)
            .map(str::to_string)
            .map_err(|_| reread(self.file))
    }

    /// Moves to the next record line, checked.
    fn advance(&mut self) -> Result<(), StoreError> {
        self.current = self.lines.next_line()?;
        let Some(held) = self.current else {
            return Ok(());
        };
        self.number += 1;
        let bytes = self.lines.bytes(held);
        let (code, _) = self.checks.line(self.number, without_line_end(bytes))?;
        self.code.clear();
        self.code.push_str(code);
        self.index.note(self.number - 2, code, self.consumed);
        self.consumed += bytes.len() as u64;
        Ok(())
    }

    /// The provenance, once the whole file has been read and its checks pass.
    fn finish(&mut self) -> Result<crate::model::Provenance, StoreError> {
        let (hex, opened) = self.lines.finish()?;
        self.checks.finish(&hex)?;
        self.index.end = self.consumed;
        self.opened = Some(opened);
        Ok(self.checks.provenance.clone())
    }

    /// The record lines (number, text) whose codes are in `codes`, read again from the same
    /// open file (already checked whole) in the blocks of lines the index says hold them.
    fn find(&self, codes: &BTreeSet<String>) -> Option<Vec<(usize, String)>> {
        let mut file = self.opened.as_ref()?;
        let mut found = Vec::new();
        for code in codes {
            let Some(entry) = self.index.entry(code) else {
                continue;
            };
            let (from, to) = self.index.block(entry);
            let mut bytes = vec![0; usize::try_from(to.checked_sub(from)?).ok()?];
            file.seek(SeekFrom::Start(from)).ok()?;
            file.read_exact(&mut bytes).ok()?;
            let block = std::str::from_utf8(&bytes).ok()?;
            let lines: Vec<&str> = (block.split_inclusive('\n'))
                .map(|line| line.trim_end_matches(['\n', '\r']))
                .collect();
            // The file changed since it was checked: not what was read.
            (lines.first().and_then(|l| code_of(l)) == Some(self.index.code(entry)))
                .then_some(())?;
            if let Some(i) = lines.iter().position(|l| code_of(l) == Some(code.as_str())) {
                found.push((entry * STRIDE + i + 2, lines[i].to_string()));
            }
        }
        Some(found)
    }
}

/// The open snapshot file `opened` (named `file`) trimmed to the records whose code `keep`
/// wants (`history`: one code; `audit`: the codes of a claims file), read a piece at a time and
/// checked whole. Each piece is split into lines where it lies and hashed as it is, on this
/// thread: the callers read several files at once, one on each core, so a hashing thread for
/// each would only add the copying of every byte to it.
pub(super) fn trimmed_to<'f>(
    file: &'f str,
    mut opened: File,
    keep: impl Fn(&str) -> bool,
) -> Result<Snapshot, StoreError> {
    let io = |source| StoreError::Io {
        path: file.to_string(),
        source,
    };
    let mut hasher = Sha256::new();
    let mut in_records = false;
    let mut checks: Option<Checks<'f>> = None;
    let mut number = 0;
    let mut kept = Vec::new();
    let mut line = |bytes: &[u8], checks: &mut Option<Checks<'f>>| -> Result<(), StoreError> {
        number += 1;
        match checks {
            None => *checks = Some(Checks::new(file, bytes)?),
            Some(checks) => {
                let (code, text) = checks.line(number, without_line_end(bytes))?;
                if keep(code) {
                    kept.push((number, text.to_string()));
                }
            }
        }
        Ok(())
    };
    // Each piece is read whole (one `read`, mostly) and its lines cut where they lie; a line
    // the end of a piece cuts is put together in `carry`.
    let mut piece = vec![0; PIECE];
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let read = fill(&mut opened, &mut piece).map_err(io)?;
        let fresh = &piece[..read];
        // SHA-256 of everything after the first line, as `read_and_hash` makes it.
        let mut records = fresh;
        if !in_records && let Some(end) = memchr::memchr(b'\n', records) {
            in_records = true;
            records = &records[end + 1..];
        }
        if in_records {
            hasher.update(records);
        }
        let mut from = 0;
        for at in memchr::memchr_iter(b'\n', fresh) {
            if carry.is_empty() {
                line(&fresh[from..=at], &mut checks)?;
            } else {
                carry.extend_from_slice(&fresh[from..=at]);
                line(&carry, &mut checks)?;
                carry.clear();
            }
            from = at + 1;
        }
        carry.extend_from_slice(&fresh[from..]);
        if read < PIECE {
            // The end of the file, and a last line without its line end.
            if !carry.is_empty() {
                line(&carry, &mut checks)?;
            }
            break;
        }
    }
    let checks = match checks {
        Some(checks) => checks,
        // An empty file: refused as its first line is.
        None => Checks::new(file, &[])?,
    };
    checks.finish(&crate::model::hex(&hasher.finalize()))?;
    Ok(Snapshot {
        provenance: checks.provenance,
        records: parse(file, &kept)?,
    })
}

/// Reads `file` into `buf` until `buf` is full or the file ends; how much it read. (`take` and
/// `read_to_end` read a piece in five or six calls of growing size.)
fn fill(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut read = 0;
    while read < buf.len() {
        match file.read(&mut buf[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(read)
}

/// How much of a snapshot file [`trimmed_to`] reads at once.
const PIECE: usize = 256 * 1024;

/// Which side(s) the merge keeps for the current code.
enum Step {
    Both { keep: bool },
    Old,
    New,
    Done,
}

/// The two open files (each with its name) trimmed to what `diff` can see (see above), read a
/// line at a time and checked whole.
pub(super) fn trimmed_for_diff(
    old: (&str, File),
    new: (&str, File),
) -> Result<(Snapshot, Snapshot), StoreError> {
    let (mut a, mut b) = (Stream::open(old.0, old.1)?, Stream::open(new.0, new.1)?);
    let (mut kept_a, mut kept_b) = (Vec::new(), Vec::new());
    loop {
        let step = match (a.current(), b.current()) {
            (None, None) => Step::Done,
            (Some((x, line_x)), Some((y, line_y))) if x == y => Step::Both {
                keep: !(line_x == line_y && line_y.ends_with(QUIET.as_bytes())),
            },
            (Some((x, _)), Some((y, _))) if x < y => Step::Old,
            (Some(_), None) => Step::Old,
            _ => Step::New,
        };
        match step {
            Step::Done => break,
            Step::Both { keep } => {
                if keep {
                    kept_a.push((a.number, a.text()?));
                    kept_b.push((b.number, b.text()?));
                }
                a.advance()?;
                b.advance()?;
            }
            Step::Old => {
                kept_a.push((a.number, a.text()?));
                a.advance()?;
            }
            Step::New => {
                kept_b.push((b.number, b.text()?));
                b.advance()?;
            }
        }
    }
    let (provenance_a, provenance_b) = (a.finish()?, b.finish()?);
    let (old_records, new_records) = cross_referenced(&a, &b, kept_a, kept_b)?;
    Ok((
        Snapshot {
            provenance: provenance_a,
            records: old_records,
        },
        Snapshot {
            provenance: provenance_b,
            records: new_records,
        },
    ))
}

/// The kept lines parsed, with every code a kept record cross-refers to that is in NEW (and the
/// same code in OLD), round after round: "use instead" follows discontinued codes to active
/// ones, and a target skipped as unchanged is added to both sides, so that it still reads as
/// unchanged. Each round keeps at least one more line, so it ends.
fn cross_referenced(
    a: &Stream<'_>,
    b: &Stream<'_>,
    kept_a: Vec<(usize, String)>,
    kept_b: Vec<(usize, String)>,
) -> Result<(Vec<Record>, Vec<Record>), StoreError> {
    let codes = |kept: &[(usize, String)]| -> BTreeSet<String> {
        kept.iter()
            .filter_map(|(_, l)| code_of(l).map(str::to_string))
            .collect()
    };
    // The lines the walk kept are in code order (the files', checked): looked up by halves,
    // not copied into sets; the few found again since are in sets.
    let holds = |kept: &[(usize, String)], found: &BTreeSet<String>, code: &str| {
        found.contains(code)
            || (kept.binary_search_by(|(_, l)| code_of(l).unwrap_or_default().cmp(code))).is_ok()
    };
    let (mut found_a, mut found_b) = (BTreeSet::new(), BTreeSet::new());
    let mut old_records = parse(a.file, &kept_a)?;
    let mut new_records = parse(b.file, &kept_b)?;
    let mut scanned = (0, 0);
    loop {
        let targets: BTreeSet<String> = old_records[scanned.0..]
            .iter()
            .chain(&new_records[scanned.1..])
            .flat_map(|r| &r.cross_references)
            .filter(|c| !holds(&kept_b, &found_b, c))
            .cloned()
            .collect();
        scanned = (old_records.len(), new_records.len());
        let extra_b = if targets.is_empty() {
            Vec::new()
        } else {
            b.find(&targets).ok_or_else(|| reread(b.file))?
        };
        if extra_b.is_empty() {
            break;
        }
        let in_b: BTreeSet<String> = codes(&extra_b);
        let wanted_a: BTreeSet<String> = (in_b.iter())
            .filter(|c| !holds(&kept_a, &found_a, c))
            .cloned()
            .collect();
        let extra_a = a.find(&wanted_a).ok_or_else(|| reread(a.file))?;
        found_a.extend(codes(&extra_a));
        found_b.extend(in_b);
        old_records.extend(parse(a.file, &extra_a)?);
        new_records.extend(parse(b.file, &extra_b)?);
    }
    old_records.sort_by(|x, y| x.code.cmp(&y.code));
    new_records.sort_by(|x, y| x.code.cmp(&y.code));
    Ok((old_records, new_records))
}

fn reread(file: &str) -> StoreError {
    StoreError::Damaged {
        file: file.to_string(),
        problem: "it could not be read a second time".to_string(),
    }
}

fn parse(file: &str, lines: &[(usize, String)]) -> Result<Vec<Record>, StoreError> {
    let mut records = Vec::with_capacity(lines.len());
    for (number, line) in lines {
        records.push(parse_record(file, *number, line)?);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// The oxygen fixture's two releases stored in a fresh folder: (folder, 2005 file, 2006
    /// file, 2006's record count).
    fn stored() -> (tempfile::TempDir, String, String, usize) {
        let dir = tempfile::tempdir().unwrap();
        let mut names = Vec::new();
        let mut count = 0;
        for year in ["2005", "2006"] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/oxygen")
                .join(year);
            let loaded = crate::load_path(&path, crate::ReadOptions::default()).unwrap();
            let file = dir.path().join(format!("{year}-01.jsonl"));
            std::fs::write(&file, loaded.snapshot.to_bytes()).unwrap();
            count = loaded.snapshot.records.len();
            names.push(file.display().to_string());
        }
        let new = names.pop().unwrap();
        (dir, names.pop().unwrap(), new, count)
    }

    fn open(name: &str) -> File {
        File::open(name).unwrap()
    }

    #[test]
    fn the_stream_keeps_fewer_records_than_the_files_hold_and_diffs_as_they_do() {
        let (_dir, old, new, count) = stored();
        let (a, b) = trimmed_for_diff((&old, open(&old)), (&new, open(&new))).unwrap();
        assert!(b.records.len() < count, "{} of {count}", b.records.len());
        assert!(a.records.len() < count);
        let whole = |name: &str| Snapshot::from_bytes(name, &std::fs::read(name).unwrap()).unwrap();
        assert_eq!(
            crate::diff::diff(&a, &b),
            crate::diff::diff(&whole(&old), &whole(&new))
        );
        let one = trimmed_to(&new, open(&new), |c| c == "E1392").unwrap();
        assert_eq!(one.records.len(), 1);
        assert_eq!(one.provenance.records, count);
    }

    /// A file of many reads: the buffers the hasher hands back are filled again, and what is
    /// hashed is still exactly the file's records.
    #[test]
    fn a_file_read_in_many_pieces_is_hashed_as_it_is() {
        let (_dir, name) = synthetic(20_000);
        assert!(
            std::fs::metadata(&name).unwrap().len() > 50 << 16,
            "many reads"
        );
        for _ in 0..3 {
            let one = trimmed_to(&name, open(&name), |c| c == "A19999").unwrap();
            assert_eq!(one.records.len(), 1);
            let (a, b) = trimmed_for_diff((&name, open(&name)), (&name, open(&name))).unwrap();
            assert_eq!(
                (a.provenance.records, b.provenance.records),
                (20_000, 20_000)
            );
        }
    }

    /// `trimmed_to` read another way: through a [`Stream`] (`diff`'s reading), a line at a
    /// time, hashed on a thread of its own.
    fn by_stream(
        file: &str,
        opened: File,
        keep: impl Fn(&str) -> bool,
    ) -> Result<Snapshot, StoreError> {
        let mut stream = Stream::open(file, opened)?;
        let mut kept = Vec::new();
        while let Some((this, _)) = stream.current() {
            if keep(this) {
                kept.push((stream.number, stream.text()?));
            }
            stream.advance()?;
        }
        let provenance = stream.finish()?;
        Ok(Snapshot {
            provenance,
            records: parse(file, &kept)?,
        })
    }

    /// A stored snapshot of `n` records, some lines long, in a fresh folder: (folder, file).
    fn synthetic(n: usize) -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().unwrap();
        let records: Vec<Record> = (0..n)
            .map(|i| {
                let mut r = Record::new(format!("A{i:05}"), crate::model::Kind::Procedure);
                r.long_description = format!("oxygen concentrator {i} ").repeat(1 + i % 40);
                r
            })
            .collect();
        let source = crate::model::SourceInfo {
            file: "synthetic".to_string(),
            member: None,
            sha256: "0".repeat(64),
        };
        let snapshot = Snapshot::new("2090-01".parse().unwrap(), source, records);
        let file = dir.path().join("2090-01.jsonl");
        std::fs::write(&file, snapshot.to_bytes()).unwrap();
        (dir, file.display().to_string())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// Read in pieces, a snapshot file keeps what it kept read a line at a time, and a
        /// damaged one (cut anywhere, a byte changed, a line lost, repeated or moved, its last
        /// line end gone) is refused in the same words.
        #[test]
        fn a_file_read_in_pieces_reads_as_it_did_a_line_at_a_time(
            damage in 0..7usize,
            at in 0.0..1.0f64,
            other in 0.0..1.0f64,
            byte in proptest::sample::select(vec![b'x', b'\n', b'"', 0xFF, b'{', b'0']),
        ) {
            let (_dir, name) = synthetic(2500);
            let bytes = std::fs::read(&name).unwrap();
            let mut lines: Vec<Vec<u8>> = bytes.split_inclusive(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
            let pick = |f: f64, n: usize| ((f * n as f64) as usize).min(n - 1);
            let (i, j) = (pick(at, lines.len()), pick(other, lines.len()));
            let damaged = match damage {
                0 => bytes[..pick(at, bytes.len())].to_vec(),
                1 => {
                    let mut b = bytes.clone();
                    b[pick(at, bytes.len())] = byte;
                    b
                }
                2 => {
                    lines.remove(i);
                    lines.concat()
                }
                3 => {
                    lines.insert(i, lines[j].clone());
                    lines.concat()
                }
                4 => {
                    lines.swap(i, j);
                    lines.concat()
                }
                5 => bytes[..bytes.len() - 1].to_vec(),
                _ => bytes.clone(),
            };
            std::fs::write(&name, &damaged).unwrap();
            let keep = |c: &str| c.ends_with('7') || c == "A00000";
            let read = |r: Result<Snapshot, StoreError>| r.map(|s| (s.provenance, s.records)).map_err(|e| e.to_string());
            proptest::prop_assert_eq!(
                read(trimmed_to(&name, open(&name), keep)),
                read(by_stream(&name, open(&name), keep))
            );
        }
    }

    /// Codes that CMS left alone (action N, the same line in both files) are skipped by the
    /// walk; a retired code that names one of them as its replacement has it found again, in
    /// both files, wherever its line lies: first, last, at the end of a block of the index, or
    /// where a piece of the reading ends.
    #[test]
    fn the_codes_a_retired_code_names_are_found_again_where_they_lie() {
        let records = |retired: bool| -> Vec<Record> {
            (0..3000)
                .map(|i| {
                    let mut r = Record::new(format!("A{i:05}"), crate::model::Kind::Procedure);
                    r.long_description = format!("oxygen concentrator {i} ").repeat(1 + i % 40);
                    r.action_code = Some("N".to_string());
                    let target = match i {
                        100 => Some(1500),
                        200 => Some(2999),
                        2000 => Some(0),
                        // The last line of a block of the index.
                        2500 => Some(STRIDE - 1),
                        _ => None,
                    };
                    if let Some(target) = target {
                        r.cross_references = vec![format!("A{target:05}")];
                        if retired {
                            r.termination_date = chrono::NaiveDate::from_ymd_opt(2090, 3, 31);
                            r.action_code = Some("D".to_string());
                        }
                    }
                    r
                })
                .collect()
        };
        let dir = tempfile::tempdir().unwrap();
        let source = crate::model::SourceInfo {
            file: "synthetic".to_string(),
            member: None,
            sha256: "0".repeat(64),
        };
        let mut names = Vec::new();
        for (release, retired) in [("2090-01", false), ("2090-04", true)] {
            let snapshot =
                Snapshot::new(release.parse().unwrap(), source.clone(), records(retired));
            let file = dir.path().join(format!("{release}.jsonl"));
            std::fs::write(&file, snapshot.to_bytes()).unwrap();
            names.push(file.display().to_string());
        }
        let (old, new) = (&names[0], &names[1]);
        assert!(std::fs::metadata(new).unwrap().len() > 10 * DIFF_PIECE as u64);
        let (a, b) = trimmed_for_diff((old, open(old)), (new, open(new))).unwrap();
        let codes = |s: &Snapshot| s.records.iter().map(|r| r.code.clone()).collect::<Vec<_>>();
        let expected = [
            "A00000", "A00063", "A00100", "A00200", "A01500", "A02000", "A02500", "A02999",
        ];
        assert_eq!(codes(&a), expected);
        assert_eq!(codes(&b), expected);
        let whole = |name: &str| Snapshot::from_bytes(name, &std::fs::read(name).unwrap()).unwrap();
        let diffed = crate::diff::diff(&a, &b);
        assert_eq!(diffed, crate::diff::diff(&whole(old), &whole(new)));
        assert_eq!(diffed.changes.len(), 4);
        for change in &diffed.changes {
            assert_eq!(change.replacements.len(), 1, "{}", change.code);
            assert_eq!(change.replacements[0].status, "active", "{}", change.code);
        }
    }

    #[test]
    fn the_stream_refuses_an_edit_in_a_line_it_skips() {
        let (_dir, old, new, _) = stored();
        let text = std::fs::read_to_string(&new).unwrap();
        let quiet = text
            .lines()
            .skip(1)
            .find(|l| l.ends_with(QUIET) && !l.starts_with(r#"{"code":"E1392""#))
            .unwrap();
        let edited = quiet.replacen(r#""long_description":""#, r#""long_description":"X"#, 1);
        std::fs::write(&new, text.replacen(quiet, &edited, 1)).unwrap();
        let sha = "its records' SHA-256 is not the one its provenance records";
        let diffed = trimmed_for_diff((&old, open(&old)), (&new, open(&new)));
        assert!(
            matches!(diffed, Err(StoreError::Damaged { ref problem, .. }) if problem == sha),
            "{diffed:?}"
        );
        let one = trimmed_to(&new, open(&new), |c| c == "E1392");
        assert!(
            matches!(one, Err(StoreError::Damaged { ref problem, .. }) if problem == sha),
            "{one:?}"
        );
    }
}
