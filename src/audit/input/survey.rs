//! The survey of a claims CSV: one reading for what its rows name (codes, modifiers, each
//! row's date, where blocks may be cut), on a second thread while the store loads; and the
//! blocks the file is read in again, for rows judged and written on every core.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::NaiveDate;
use rustc_hash::FxHashMap;

use super::{
    Fields, Input, InputError, Layout, Lines, ListError, ListFile, MID_FILE, PlainLines, Records,
    Source, csv_reader, next_record, plain,
};

impl Input {
    /// The lines of one block of a CSV ([`Input::blocks`]), numbered as in the whole file.
    /// Each row's code, modifier and date are those the survey read of it, when it kept every
    /// row.
    pub fn block_lines<'a>(&'a self, block: Block, survey: &'a Survey) -> Option<Lines<'a>> {
        let layout = self.layout.as_ref()?;
        let surveyed = survey
            .rows
            .as_deref()
            .and_then(|rows| rows.get(block.rows.clone()))
            .map(|rows| (rows.iter(), survey));
        // Read through a `Bounded` reader once already: bounded, as a CSV reader needs.
        let utf8 = self.list.encoding() == crate::read::list::Encoding::Utf8;
        let (reader, before) = Records::of_block(block.bytes, block.first, utf8);
        Some(Lines {
            list: &self.list,
            source: Source::Csv {
                reader,
                record: csv::ByteRecord::new(),
                layout,
                header: block.first,
                surveyed,
            },
            line_offset: (block.line - 1).saturating_sub(before),
        })
    }

    /// A surveyed CSV read again in blocks of about [`BLOCK_BYTES`], each cut where the survey
    /// found a record to begin, for rows judged and written on every core. Every byte is
    /// checked against the survey's: a file changed since is an error naming it (after the
    /// last block, which is when it is known).
    pub fn blocks<'a>(
        &'a self,
        survey: &'a Survey,
    ) -> Result<impl Iterator<Item = Result<Block, InputError>> + 'a, InputError> {
        let mut reader = self.list.reader(true)?;
        let mut crc = crc32fast::Hasher::new();
        let mut at = 0u64;
        let rows = survey.rows.as_ref().map_or(0, Vec::len);
        let mut cuts = survey.cuts.iter().copied().chain([(survey.bytes, 0, rows)]);
        let mut row = 0;
        let mut first = true;
        let mut line = 1usize;
        let mut done = false;
        let changed = || {
            InputError::from(ListError::Changed {
                file: self.list.name().to_string(),
            })
        };
        Ok(std::iter::from_fn(move || {
            if done {
                return None;
            }
            let Some((end, next_line, next_row)) = cuts.next() else {
                done = true;
                // Nothing may follow the last byte the survey read.
                let mut more = [0u8; 1];
                let ended = matches!(reader.read(&mut more), Ok(0));
                return (!ended || crc.clone().finalize() != survey.crc).then(|| Err(changed()));
            };
            let mut bytes = Vec::with_capacity((end - at) as usize);
            if let Err(e) = (&mut reader).take(end - at).read_to_end(&mut bytes) {
                done = true;
                return Some(Err(self.list.error(e).into()));
            }
            // Its rows are judged by what the survey read of them: a file changed since (found
            // whole only after the last block, by its CRC) is an error before they are, where
            // its size or modification time shows it.
            if bytes.len() as u64 != end - at {
                done = true;
                return Some(Err(changed()));
            }
            if let Err(e) = self.list.unchanged() {
                done = true;
                return Some(Err(e.into()));
            }
            crc.update(&bytes);
            let block = Block {
                bytes,
                line: std::mem::replace(&mut line, next_line),
                first: std::mem::take(&mut first),
                rows: std::mem::replace(&mut row, next_row)..next_row,
            };
            at = end;
            Some(Ok(block))
        }))
    }

    /// Reads a CSV through once for what the rows name: every distinct code and modifier,
    /// so that of each stored release only those need be parsed, whether every row reads, and
    /// (up to [`MAX_SURVEYED_ROWS`]) each row's code, modifier and date in a few bytes, which
    /// the audit's counts are made from without reading the file again. `None` for a watch
    /// list (short; its ranges name codes of the release), or past [`MAX_SURVEYED`] distinct
    /// values (a column that holds no codes): load every release whole then. A row that
    /// cannot be read ends the survey, not clean: every release is then loaded whole, and the
    /// judging pass stops at the row, with an error naming it. Given up (`None`) once `stop`
    /// is set: the file turned out to be one no survey of it is wanted for.
    pub fn survey_unless(&self, stop: &AtomicBool) -> Result<Option<Survey>, InputError> {
        self.survey_in(stop, true)
    }

    /// [`Input::survey_unless`], never stopped.
    #[cfg(test)]
    pub(crate) fn survey(&self) -> Result<Option<Survey>, InputError> {
        self.survey_unless(&AtomicBool::new(false))
    }

    /// [`Input::survey_unless`], with [`plain`] pieces split by hand (`plain_pieces`) or every
    /// record read by the csv crate.
    fn survey_in(
        &self,
        stop: &AtomicBool,
        plain_pieces: bool,
    ) -> Result<Option<Survey>, InputError> {
        let Some(layout) = &self.layout else {
            return Ok(None);
        };
        let checksummed = Checksummed {
            inner: self.list.reader(true)?,
            crc: crc32fast::Hasher::new(),
            bytes: 0,
        };
        let reader = if plain_pieces {
            Pieces::Plain(PlainPieces::new(checksummed))
        } else {
            Pieces::csv(Vec::new(), checksummed, 0, 1)
        };
        let mut header = true;
        let mut survey = Survey {
            codes: Vec::new(),
            modifiers: Vec::new(),
            code_ids: FxHashMap::default(),
            modifier_ids: FxHashMap::default(),
            // Sized once, for the most rows the file can hold (a row is at least a code and
            // a line end): a vector grown by doubling copies itself into fresh memory each
            // time, and pages reserved but never written cost nothing.
            rows: Some(Vec::with_capacity(
                usize::try_from(self.list.size() / 6)
                    .unwrap_or(usize::MAX)
                    .min(MAX_SURVEYED_ROWS),
            )),
            clean: true,
            cuts: Vec::new(),
            bytes: 0,
            crc: 0,
        };
        let mut next_cut = BLOCK_BYTES;
        // Rows read so far.
        let mut read_rows = 0usize;
        let mut too_many = false;
        let mut stopped = false;
        let mut memo = Memo::default();
        // The records are read on a second thread while this one surveys them.
        let (reader, read_to_end) = each_record(reader, |record, (byte, line)| {
            if std::mem::take(&mut header) {
                return true;
            }
            if stop.load(Ordering::Relaxed) {
                stopped = true;
                return false;
            }
            let Some(row) = memo.row(layout, &self.list, record, &mut survey) else {
                survey.clean = false;
                return false;
            };
            if byte >= next_cut {
                survey.cuts.push((byte, line as usize, read_rows));
                next_cut = byte.saturating_add(BLOCK_BYTES);
            }
            read_rows += 1;
            if let Some(rows) = &mut survey.rows {
                if rows.len() < MAX_SURVEYED_ROWS {
                    rows.push(row);
                } else {
                    survey.rows = None;
                }
            }
            too_many = survey.codes.len() + survey.modifiers.len() > MAX_SURVEYED;
            !too_many
        });
        if too_many || stopped {
            return Ok(None);
        }
        let Some(read) = reader.into_inner() else {
            return Ok(None);
        };
        survey.clean &= read_to_end;
        survey.bytes = read.bytes;
        survey.crc = read.crc.finalize();
        Ok(Some(survey))
    }
}

/// What rows already surveyed read as, by the bytes of their fields: a claims extract names
/// the same few thousand codes and dates over and over, and a row whose code (with its
/// modifier column) and date fields are bytes already read reads the same, with no field
/// decoded, trimmed or parsed again. What a row reads as is the one thing [`Layout::parts`]
/// says of it: a field not yet met is read by it, and kept when it reads.
#[derive(Default)]
struct Memo {
    /// The code field and the modifier column's: the row's code and modifier ids.
    codes: FxHashMap<Key, (SurveyId, SurveyId)>,
    /// The date field: the date.
    dates: FxHashMap<Key, NaiveDate>,
}

/// How many fields a [`Memo`] keeps of each kind: bounded, whatever the file.
const MEMO_ENTRIES: usize = 1 << 16;

/// One or two short fields as one number: their lengths, then their bytes, folded in a byte
/// at a time (no copy through memory to read back wider, which stalls).
type Key = u128;

/// `first` and `second` as a [`Key`], if together they are short enough (14 bytes); a longer
/// field is read each time it comes.
fn key(first: &[u8], second: &[u8]) -> Option<Key> {
    if first.len() + second.len() > 14 {
        return None;
    }
    let lengths = (first.len() << 4 | second.len()) as u128;
    Some(
        first
            .iter()
            .chain(second)
            .fold(lengths, |key, &b| key << 8 | u128::from(b)),
    )
}

impl Memo {
    /// `record` as the survey keeps it; `None` if it does not read.
    fn row(
        &mut self,
        layout: &Layout,
        list: &ListFile,
        record: Fields,
        survey: &mut Survey,
    ) -> Option<SurveyedRow> {
        let field = |i: usize| record.get(i).unwrap_or_default();
        let code_key = if record.len() == layout.headers.len() {
            key(field(layout.code), layout.modifier.map_or(&[][..], field))
        } else {
            None
        };
        let date_key = layout.date.and_then(|d| key(field(d), &[]));
        if let Some(&(code, modifier)) = code_key.and_then(|k| self.codes.get(&k)) {
            let date = match layout.date {
                None => Some(None),
                Some(_) => date_key.and_then(|k| self.dates.get(&k)).map(|&d| Some(d)),
            };
            if let Some(date) = date {
                return Some(SurveyedRow {
                    code,
                    modifier,
                    date,
                });
            }
        }
        let seen = layout.parts(list, record).ok()?;
        let code = survey.id(Named::Code, &seen.code)?;
        let modifier = seen
            .modifier
            .map_or(Some(NO_MODIFIER), |m| survey.id(Named::Modifier, &m))?;
        if let Some(k) = code_key
            && self.codes.len() < MEMO_ENTRIES
        {
            self.codes.insert(k, (code, modifier));
        }
        if let (Some(k), Some(date)) = (date_key, seen.date)
            && self.dates.len() < MEMO_ENTRIES
        {
            self.dates.insert(k, date);
        }
        Some(SurveyedRow {
            code,
            modifier,
            date: seen.date,
        })
    }
}

/// What [`Input::survey_unless`] finds of a CSV's rows.
#[derive(Debug)]
pub struct Survey {
    /// Every distinct code the rows name, by its id (the order they were first met).
    pub codes: Vec<String>,
    /// Every distinct modifier, by its id.
    pub modifiers: Vec<String>,
    code_ids: FxHashMap<Box<str>, SurveyId>,
    modifier_ids: FxHashMap<Box<str>, SurveyId>,
    /// Every row, in file order, if there were no more than [`MAX_SURVEYED_ROWS`].
    pub rows: Option<Vec<SurveyedRow>>,
    /// Every row reads: a report may be written as the rows are judged, with no line that
    /// could fail half-way through it.
    pub clean: bool,
    /// Where blocks of about [`BLOCK_BYTES`] begin after the first: the byte (as the file
    /// reads with CRLF made LF and no byte-order mark), line and row (counted from 0) of the
    /// record that opens each.
    cuts: Vec<(u64, usize, usize)>,
    /// How many bytes were read, and their CRC-32, once the survey has read to the end.
    bytes: u64,
    crc: u32,
}

/// About how many bytes of a CSV a block holds ([`Input::blocks`]; a few in tests, so that
/// they make many blocks).
pub const BLOCK_BYTES: u64 = if cfg!(test) { 96 } else { 256 * 1024 };

/// A part of a CSV cut at a record's start, to be read on its own ([`Input::block_lines`]).
pub struct Block {
    bytes: Vec<u8>,
    /// The file's line that opens it.
    line: usize,
    /// The file's first block, which opens with the header.
    first: bool,
    /// Its rows among the file's, counted from 0.
    rows: std::ops::Range<usize>,
}

/// A reader that keeps the CRC-32 and the count of the bytes read through it.
struct Checksummed<R> {
    inner: R,
    crc: crc32fast::Hasher,
    bytes: u64,
}

impl<R: Read> Read for Checksummed<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// About how many bytes of whole lines [`PlainPieces`] reads at a time (a few in tests, so
/// that they cross pieces).
const PIECE_BYTES: usize = if cfg!(test) { 64 } else { 64 * 1024 };

/// A surveyed CSV's records, read a piece of whole lines at a time: the lines of a piece that
/// is [`plain`] are its records, their fields what lies between commas, as a block's are
/// ([`Records::of_block`]), found without the csv crate stepping through them a byte at a time
/// and handed over where they lie. From the first piece that is not (or a line longer than a
/// piece), the csv crate reads the rest. Each record carries the byte and line it begins at in
/// the file, as the csv crate gives them.
enum Pieces<R> {
    Plain(PlainPieces<R>),
    Csv {
        reader: Box<csv::Reader<std::io::Chain<std::io::Cursor<Vec<u8>>, R>>>,
        /// The file's byte and line where the reader's own begin, and how many bytes and lines
        /// it reads before them (a [`MID_FILE`] line when it begins in the middle of the file).
        byte: u64,
        line: u64,
        front: (u64, u64),
    },
    /// Only while one gives way to the other.
    Gone,
}

/// Whole lines of a file, a piece at a time.
struct PlainPieces<R> {
    reader: R,
    /// The piece: whole lines up to `end`, then the start of a line read past it.
    piece: Vec<u8>,
    end: usize,
    /// The file's byte and line the piece begins at (the first line is 1).
    byte: u64,
    line: u64,
    /// The reader is read to its end.
    ended: bool,
}

impl<R: Read> PlainPieces<R> {
    fn new(reader: R) -> PlainPieces<R> {
        PlainPieces {
            reader,
            piece: Vec::with_capacity(PIECE_BYTES),
            end: 0,
            byte: 0,
            line: 1,
            ended: false,
        }
    }

    /// Reads on from the start of a line the piece holds, up to about [`PIECE_BYTES`].
    fn next_piece(&mut self) -> std::io::Result<()> {
        let wanted = PIECE_BYTES.saturating_sub(self.piece.len()) as u64;
        if !self.ended {
            let read = (&mut self.reader)
                .take(wanted)
                .read_to_end(&mut self.piece)?;
            self.ended = (read as u64) < wanted;
        }
        self.end = if self.ended {
            self.piece.len()
        } else {
            memchr::memrchr(b'\n', &self.piece).map_or(0, |i| i + 1)
        };
        Ok(())
    }

    /// The piece's whole lines as `batch`'s records; the piece handed over with them, the
    /// start of a line past them kept for the next.
    fn split_into(&mut self, batch: &mut Batch) {
        batch.clear();
        self.line = batch.lines.split(&self.piece[..self.end], self.line);
        batch.byte = self.byte;
        std::mem::swap(&mut batch.piece, &mut self.piece);
        self.piece.clear();
        self.piece.extend_from_slice(&batch.piece[self.end..]);
        self.byte += self.end as u64;
        self.end = 0;
    }
}

impl<R: Read> Pieces<R> {
    /// The csv crate reading `piece` and then `rest`, which begin at the file's `byte` and
    /// `line` (the first line is 1).
    fn csv(piece: Vec<u8>, rest: R, byte: u64, line: u64) -> Self {
        let (piece, front) = if byte == 0 {
            (piece, (0, 0))
        } else {
            ([MID_FILE, &piece].concat(), (MID_FILE.len() as u64, 1))
        };
        Pieces::Csv {
            reader: Box::new(csv_reader(std::io::Cursor::new(piece).chain(rest))),
            byte,
            line,
            front,
        }
    }

    /// Fills `batch` with the next records (past blank and comment lines): a piece's lines
    /// while pieces are plain, then up to [`RECORDS_AT_ONCE`] of the csv crate's. Whether the
    /// reading ended: `Some(true)` at the end of the file, `Some(false)` at an error.
    fn fill(&mut self, batch: &mut Batch) -> Option<bool> {
        batch.clear();
        if let Pieces::Plain(p) = self {
            if p.next_piece().is_err() {
                return Some(false);
            }
            if p.piece.is_empty() {
                return Some(true);
            }
            if p.end != 0 && plain(&p.piece[..p.end]) {
                p.split_into(batch);
                return None;
            }
            let Pieces::Plain(p) = std::mem::replace(self, Pieces::Gone) else {
                return Some(false);
            };
            *self = Pieces::csv(p.piece, p.reader, p.byte, p.line);
        }
        while batch.read < RECORDS_AT_ONCE {
            if batch.records.len() == batch.read {
                batch.records.push(csv::ByteRecord::new());
            }
            match self.next_csv(&mut batch.records[batch.read]) {
                Ok(true) => batch.read += 1,
                Ok(false) => return Some(true),
                Err(_) => return Some(false),
            }
        }
        None
    }

    /// Reads the csv crate's next record (past blank and comment lines) into `record`, its
    /// position the file's; `false` at the end.
    fn next_csv(&mut self, record: &mut csv::ByteRecord) -> std::io::Result<bool> {
        let Pieces::Csv {
            reader,
            byte,
            line,
            front,
        } = self
        else {
            return Ok(false);
        };
        if !next_record(reader, record)? {
            return Ok(false);
        }
        if let Some(read) = record.position() {
            let mut at = read.clone();
            at.set_byte(read.byte().saturating_sub(front.0) + *byte);
            at.set_line((read.line() + *line).saturating_sub(front.1 + 1));
            record.set_position(Some(at));
        }
        Ok(true)
    }

    /// The reader read through; `None` if a change from one reading to the other was cut short.
    fn into_inner(self) -> Option<R> {
        match self {
            Pieces::Plain(p) => Some(p.reader),
            Pieces::Csv { reader, .. } => Some(reader.into_inner().into_inner().1),
            Pieces::Gone => None,
        }
    }
}

/// Records read by one thread for another: whole plain lines, handed over in the piece they
/// were read in, or records the csv crate read. Its buffers are reused from batch to batch.
#[derive(Default)]
struct Batch {
    /// The piece the lines lie in, and the file's byte it begins at.
    piece: Vec<u8>,
    byte: u64,
    lines: PlainLines,
    /// The records the csv crate read: the first `read` of them.
    records: Vec<csv::ByteRecord>,
    read: usize,
}

impl Batch {
    fn clear(&mut self) {
        self.lines.clear();
        self.read = 0;
    }

    /// Hands `take` each record, with the file's byte and line it begins at, until it says
    /// stop: whether it never did.
    fn each(&self, take: &mut impl FnMut(Fields, (u64, u64)) -> bool) -> bool {
        for i in 0..self.lines.len() {
            let Some((fields, line)) = self.lines.get(i, &self.piece, None) else {
                break;
            };
            if !take(fields, (self.byte + u64::from(line.start), line.line)) {
                return false;
            }
        }
        self.records[..self.read].iter().all(|r| {
            let at = r.position().map_or((0, 0), |at| (at.byte(), at.line()));
            take(Fields::Csv(r), at)
        })
    }
}

/// Whether a value a survey names is a row's code or its modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Named {
    Code,
    Modifier,
}

/// A row as a survey keeps it: ids of its code and modifier (`NO_MODIFIER` for none) in
/// [`Survey::codes`] and [`Survey::modifiers`], and its date of service: 8 bytes, for a
/// survey keeps millions of them.
#[derive(Debug, Clone, Copy)]
pub struct SurveyedRow {
    pub code: SurveyId,
    pub modifier: SurveyId,
    pub date: Option<NaiveDate>,
}

/// An id among a survey's codes or modifiers: fewer than [`MAX_SURVEYED`] of each.
pub type SurveyId = u16;

/// A row's modifier id when it has none.
pub const NO_MODIFIER: SurveyId = SurveyId::MAX;

impl Survey {
    /// Whether a stored release's record of `code` can be asked for by the audit.
    pub fn names(&self, code: &str) -> bool {
        self.code_ids.contains_key(code) || self.modifier_ids.contains_key(code)
    }

    /// `value`'s id, given it when first met; `None` past what an id can number (which the
    /// survey, giving up past [`MAX_SURVEYED`] values, never reaches).
    fn id(&mut self, named: Named, value: &str) -> Option<SurveyId> {
        let (ids, list) = match named {
            Named::Code => (&mut self.code_ids, &mut self.codes),
            Named::Modifier => (&mut self.modifier_ids, &mut self.modifiers),
        };
        if let Some(&id) = ids.get(value) {
            return Some(id);
        }
        let id = SurveyId::try_from(list.len())
            .ok()
            .filter(|&id| id != NO_MODIFIER)?;
        ids.insert(Box::from(value), id);
        list.push(value.to_string());
        Some(id)
    }
}

/// How many distinct codes and modifiers a survey collects before it gives up (a few in
/// tests, so that they pass it): fewer than an id can number.
pub const MAX_SURVEYED: usize = if cfg!(test) { 40 } else { 60_000 };

/// How many rows a survey keeps (8 bytes each): past this, the audit reads the file again to
/// count them.
pub const MAX_SURVEYED_ROWS: usize = 1 << 22;

/// How many records [`each_record`] reads ahead at once: each batch handed over wakes the other
/// thread, and at 1,024 records the 1M-line extract made a thousand of these.
const RECORDS_AT_ONCE: usize = 4096;

/// Hands `take` each record of `reader` (past blank and comment lines) with the file's byte
/// and line it begins at, in order, until it says stop (`false`); the records are read on a
/// second thread, in batches that come back to be filled again (buffers are reused, not made
/// anew). Gives back the reader and whether it read to its end without error. A thread the
/// system refuses: read here.
fn each_record<R: Read + Send>(
    reader: Pieces<R>,
    mut take: impl FnMut(Fields, (u64, u64)) -> bool,
) -> (Pieces<R>, bool) {
    use std::sync::mpsc::{channel, sync_channel};
    let reader = std::sync::Mutex::new(Some(reader));
    let taken = || {
        reader
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    };
    std::thread::scope(|scope| {
        let (full, filled) = sync_channel::<Batch>(2);
        let (back, empties) = channel::<Batch>();
        let reading = std::thread::Builder::new().spawn_scoped(scope, move || {
            let mut reader = taken()?;
            loop {
                let mut batch = empties.try_recv().unwrap_or_default();
                let ended = reader.fill(&mut batch);
                if full.send(batch).is_err() {
                    return Some((reader, false));
                }
                if let Some(clean) = ended {
                    return Some((reader, clean));
                }
            }
        });
        let Ok(reading) = reading else {
            // No second thread: read and take in turn.
            drop(filled);
            let mut reader = taken().expect("the reader is left to this thread");
            let mut batch = Batch::default();
            loop {
                let ended = reader.fill(&mut batch);
                if !batch.each(&mut take) {
                    return (reader, false);
                }
                if let Some(clean) = ended {
                    return (reader, clean);
                }
            }
        };
        let mut stopped = false;
        for batch in filled.iter() {
            if !batch.each(&mut take) {
                stopped = true;
                break;
            }
            let _ = back.send(batch);
        }
        drop(filled);
        let (reader, clean) = reading
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            .expect("the reading thread took the reader");
        (reader, clean && !stopped)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::input::{Columns, read};
    use crate::model::{Snapshot, SourceInfo};

    /// Each surveyed row as (code, modifier, date), and whether every row read.
    type Surveyed = (Vec<(String, Option<String>, Option<NaiveDate>)>, bool);

    fn surveyed(input: &Input) -> Surveyed {
        let survey = input.survey().unwrap().unwrap();
        let rows = survey.rows.as_ref().unwrap();
        let rows = rows
            .iter()
            .map(|r| {
                let modifier = (r.modifier != NO_MODIFIER)
                    .then(|| survey.modifiers[usize::from(r.modifier)].clone());
                (survey.codes[r.code as usize].clone(), modifier, r.date)
            })
            .collect();
        (rows, survey.clean)
    }

    /// The rows as the judging pass reads them, up to the first that does not read.
    fn judged(input: &Input) -> Surveyed {
        let source = SourceInfo {
            file: "r.txt".into(),
            member: None,
            sha256: String::new(),
        };
        let release = Snapshot::new("2020-01".parse().unwrap(), source, Vec::new());
        let mut lines = input.lines(&release).unwrap();
        let mut rows = Vec::new();
        while let Some(seen) = lines.advance() {
            match seen {
                Ok(s) => rows.push((
                    s.code.into_owned(),
                    s.modifier.map(|m| m.into_owned()),
                    s.date,
                )),
                Err(_) => return (rows, false),
            }
        }
        (rows, true)
    }

    /// What a survey found that the audit goes by: codes, modifiers, rows, whether every row
    /// read, where blocks are cut, and the bytes read.
    type Found = (
        Vec<String>,
        Vec<String>,
        Option<Vec<(SurveyId, SurveyId, Option<NaiveDate>)>>,
        bool,
        Vec<(u64, usize, usize)>,
        u64,
        u32,
    );

    fn found(input: &Input, plain_pieces: bool) -> Option<Found> {
        let survey = input
            .survey_in(&AtomicBool::new(false), plain_pieces)
            .unwrap()?;
        let rows = survey
            .rows
            .map(|rows| rows.iter().map(|r| (r.code, r.modifier, r.date)).collect());
        // A survey stopped at a row that does not read has read ahead as far as its reading
        // thread got: its bytes say nothing (and no block is read by them).
        let (bytes, crc) = if survey.clean {
            (survey.bytes, survey.crc)
        } else {
            (0, 0)
        };
        Some((
            survey.codes,
            survey.modifiers,
            rows,
            survey.clean,
            survey.cuts,
            bytes,
            crc,
        ))
    }

    /// Past [`MAX_SURVEYED`] distinct codes and modifiers the survey gives up (the audit then
    /// reads the releases whole); up to it, every row keeps its own code and modifier.
    #[test]
    fn a_survey_gives_up_past_its_bound_of_distinct_values() {
        let survey_of = |codes: usize| {
            let mut text = String::from("claim,HCPCS,MOD,DOS\n");
            for i in 0..codes {
                text.push_str(&format!("c{i},E{:04},M{},2020-01-05\n", i, i % 2));
            }
            let list = ListFile::from_bytes("claims.csv", text.as_bytes()).unwrap();
            let columns = Columns {
                code: None,
                date: Some("DOS".into()),
            };
            read(list, &columns).unwrap().survey().unwrap()
        };
        let within = survey_of(MAX_SURVEYED - 2).unwrap();
        let rows = within.rows.as_ref().unwrap();
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(within.codes[usize::from(row.code)], format!("E{i:04}"));
            assert_eq!(
                within.modifiers[usize::from(row.modifier)],
                format!("M{}", i % 2)
            );
        }
        assert!(survey_of(MAX_SURVEYED).is_none());
    }

    /// A file changed in place after its survey, while its blocks are read, is an error at the
    /// next block, before any row of the new bytes is judged by what the survey read of the
    /// old: not only at the end, when the CRC of the whole shows it.
    #[cfg(unix)]
    #[test]
    fn a_file_changed_between_blocks_is_an_error_at_the_next_block() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("claims.csv");
        let mut text = String::from("claim,HCPCS,DOS\n");
        for i in 0..40 {
            text.push_str(&format!("c{i},G8935,2020-01-05\n"));
        }
        std::fs::write(&path, &text).unwrap();
        let list = ListFile::open("claims.csv", &path).unwrap();
        let columns = Columns {
            code: None,
            date: Some("DOS".into()),
        };
        let input = read(list, &columns).unwrap();
        let survey = input.survey().unwrap().unwrap();
        let mut blocks = input.blocks(&survey).unwrap();
        assert!(blocks.next().unwrap().is_ok());
        // A code of a later block changed, the same length; the time of the change set apart
        // from the first, which the system's clock may not tell from it.
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        std::os::unix::fs::FileExt::write_at(&file, b"E1392", text.rfind("G8935").unwrap() as u64)
            .unwrap();
        file.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(60))
            .unwrap();
        let next = blocks.next().unwrap();
        assert!(
            matches!(&next, Err(e) if e.to_string().contains("changed while it was being read")),
            "{:?}",
            next.map(|b| b.rows)
        );
    }

    proptest::proptest! {
        /// A survey that splits plain pieces by hand finds what one that reads every record
        /// with the csv crate finds, cuts and line numbers included: lines in pieces of a few
        /// bytes, with quoted fields (a line end in one), carriage returns, blank, empty and
        /// comment lines, and rows that do not read, anywhere in the file.
        #[test]
        fn plain_pieces_survey_as_the_csv_crate_reads(
            lines in proptest::collection::vec(0..14usize, 1..120),
        ) {
            // The code first, so that a byte-order mark opening a line is on it.
            let kinds = [
                "E1392,c,2020-01-05", "e1392 ,c,01/05/2020", "J9999,c,20200105", "E0100,c,",
                "E1392,c,2020-01-05", "# a comment", "", "  ", "\"E1392\",c,2020-01-05",
                "E1392,c,2020-01-05\r", "\"E1\n392\",c,2020-01-05", "E1392,c,soon",
                "\u{feff}J9999,c,2020-01-05", "\u{feff}\u{feff}E1392,c,2020-01-05",
            ];
            // A file of no row is refused before any survey.
            let mut text = String::from("HCPCS,claim,DOS\nE1392,c,2020-01-05\n");
            for &kind in &lines {
                text.push_str(kinds[kind]);
                text.push('\n');
            }
            let list = ListFile::from_bytes("claims.csv", text.as_bytes()).unwrap();
            let columns = Columns { code: None, date: Some("DOS".into()) };
            let input = read(list, &columns).unwrap();
            proptest::prop_assert_eq!(found(&input, true), found(&input, false));
        }

        /// The blocks' rows read with the survey's codes, modifiers and dates are the rows
        /// read again from their text: lines, codes as written, extra columns, in blocks of a
        /// few bytes, in files with quoted fields, comments and blank lines, a modifier column
        /// or not.
        #[test]
        fn blocks_read_with_the_survey_read_as_without(
            lines in proptest::collection::vec((0..11usize, 0..4usize), 1..120),
        ) {
            let codes = ["E1392", " e1392 ", "E1392RR", "\"J9999\"", "E0100-nu", "e0100", "# c", "", "\"E1\n392\"", "\u{feff}J9999", "\u{feff}\"E1392\""];
            let modifiers = ["", "RR", " nu", "\"NU\""];
            // The code first, so that a byte-order mark opening a line is on it.
            let mut text = String::from("HCPCS,claim,MOD,DOS,note\nE1392,c,,2020-01-05,x\n");
            for (i, &(code, modifier)) in lines.iter().enumerate() {
                match codes[code] {
                    "# c" | "" => text.push_str(codes[code]),
                    // A modifier appended to the code, and another in its column, do not read.
                    c @ ("E1392RR" | "E0100-nu") => text.push_str(&format!("{c},c{i},,2020-0{}-01,n{i}", 1 + i % 9)),
                    c => text.push_str(&format!("{c},c{i},{},{}/0{}/2020,n{i}", modifiers[modifier], 1 + i % 9, 1 + i % 9)),
                }
                text.push('\n');
            }
            let list = ListFile::from_bytes("claims.csv", text.as_bytes()).unwrap();
            let columns = Columns { code: None, date: Some("DOS".into()) };
            let input = read(list, &columns).unwrap();
            let survey = input.survey().unwrap().unwrap();
            proptest::prop_assume!(survey.clean);
            let rows_of = |survey: &Survey| {
                let mut read = Vec::new();
                for block in input.blocks(survey).unwrap() {
                    let mut lines = input.block_lines(block.unwrap(), survey).unwrap();
                    while let Some(seen) = lines.advance() {
                        read.push(seen.unwrap().to_entry());
                    }
                }
                read
            };
            let with = rows_of(&survey);
            let without = Survey { rows: None, ..survey };
            proptest::prop_assert_eq!(&with, &rows_of(&without));
            // And as the whole file read at once reads them (the text reports' way).
            let release = Snapshot::new("2020-01".parse().unwrap(), SourceInfo {
                file: "r.txt".into(),
                member: None,
                sha256: String::new(),
            }, Vec::new());
            let mut lines = input.lines(&release).unwrap();
            let mut whole = Vec::new();
            while let Some(seen) = lines.advance() {
                whole.push(seen.unwrap().to_entry());
            }
            proptest::prop_assert_eq!(with, whole);
        }

        /// A row surveyed reads as the judging pass reads it, whether its fields were met
        /// before (written alike or not) or not: codes in any case, with spaces, a modifier
        /// appended or in its column, dates in each form, and rows that do not read.
        #[test]
        fn a_surveyed_row_reads_as_the_judging_pass_reads_it(
            rows in proptest::collection::vec((0..40usize, 0..5usize, 0..30usize), 1..80),
            modifier_column: bool,
        ) {
            let codes = [
                "E1392", " e1392 ", "E1392RR", "e1392-rr", "E1392 RR", "", "J9999", "\"E1392\"",
                "E1392\u{e9}", "E1392XXXXXXXXXXXXXXXXXXXXXX",
            ];
            let modifiers = ["", "RR", " rr", "NU", "rr "];
            let dates = [
                "2020-01-05", " 2020-01-05 ", "01/05/2020", "20200105", "2020-02-30", "soon",
                "2019-12-31", "",
            ];
            let mut text = String::from(if modifier_column { "claim,HCPCS,MOD,DOS\n" } else { "claim,HCPCS,DOS\n" });
            // Most rows read; now and then one does not, which ends the survey.
            for (i, &(code, modifier, date)) in rows.iter().enumerate() {
                let code = codes.get(code).unwrap_or(&codes[code % 5]);
                let date = dates.get(date).unwrap_or(&dates[[0, 1, 2, 3, 6][date % 5]]);
                if modifier_column {
                    text.push_str(&format!("c{i},{code},{},{date}\n", modifiers[modifier]));
                } else if modifier == 4 && i % 3 == 0 {
                    // Rows of fewer fields than the header's, or more.
                    text.push_str(&format!("c{i},{code}\n"));
                } else if modifier == 4 && i % 3 == 1 {
                    text.push_str(&format!("c{i},{code},{date},more\n"));
                } else {
                    text.push_str(&format!("c{i},{code},{date}\n"));
                }
            }
            let list = ListFile::from_bytes("claims.csv", text.as_bytes()).unwrap();
            let columns = Columns { code: None, date: Some("DOS".into()) };
            let input = read(list, &columns).unwrap();
            proptest::prop_assert_eq!(surveyed(&input), judged(&input));
        }
    }
}
