//! What `audit` reads: a watch list (one code or range per line, `#` comments) or a CSV with
//! a header (a catalogue, a chargemaster, a claims extract) whose code column is found by its
//! name. Every other column is kept, so the report joins back to the user's file. The file
//! comes through `read::list` (text only, every line bounded) and is read from disk on each
//! pass; what cannot be placed (two code columns, two modifiers) is refused, not guessed.

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read};

use chrono::NaiveDate;

use crate::diff::CodeRange;
use crate::model::{ReleaseId, Snapshot, codes};
use crate::read::list::{ListError, ListFile, ListLines, MAX_CODE_CHARS, SKIPPED, shown};

mod survey;

pub use survey::{
    BLOCK_BYTES, Block, MAX_SURVEYED, MAX_SURVEYED_ROWS, Survey, SurveyId, SurveyedRow,
};

/// Header names taken for the code column, compared without case, spaces, `_` or `-`.
const CODE_HEADERS: &[&str] = &[
    "hcpcs",
    "hcpc",
    "hcpcscode",
    "hcpccode",
    "code",
    "procedurecode",
    "proccode",
    "cpthcpcs",
    "hcpcscpt",
    "billingcode",
];

/// Header names taken for a separate modifier column.
const MODIFIER_HEADERS: &[&str] = &["modifier", "mod", "modifier1", "hcpcsmodifier"];

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    List(#[from] ListError),
    #[error("{file}: {problem}")]
    File { file: String, problem: String },
    #[error("{file}: line {line}: {problem}")]
    Line {
        file: String,
        line: usize,
        problem: Box<LineProblem>,
    },
}

/// What is wrong with one line of the user's file (the header, or a row). Values quoted from
/// the file are cut short and escaped ([`shown`]).
#[derive(Debug, thiserror::Error)]
pub enum LineProblem {
    #[error("column '{}' is empty", shown(.0))]
    EmptyColumn(String),
    #[error("{}'{}' is not a code: longer than {MAX_CODE_CHARS} characters", in_column(.column), shown(.value))]
    LongCode {
        column: Option<String>,
        value: String,
    },
    #[error(
        "column '{}' gives {} (modifier {appended} appended) and column '{}' gives modifier {}: \
         which applies is not clear; give the modifier in one column",
        shown(.code_column), shown(.given), shown(.modifier_column), shown(.modifier)
    )]
    TwoModifiers {
        code_column: String,
        given: String,
        appended: String,
        modifier_column: String,
        modifier: String,
    },
    #[error("column '{}': '{}' is not a date (YYYY-MM-DD, MM/DD/YYYY or YYYYMMDD)", shown(.column), shown(.value))]
    NotADate { column: String, value: String },
    /// A watch-list range that cannot be (reversed, or ends that are not codes).
    #[error("{0}")]
    BadRange(String),
    #[error("{first}-{last}: no code of release {release} is in this range")]
    EmptyRange {
        first: String,
        last: String,
        release: ReleaseId,
    },
    /// The CSV reader's own words.
    #[error("not a CSV row like the header's: {0}")]
    NotCsvRow(String),
    #[error("no column '{}'; the header has {}", shown(.wanted), quoted(.headers))]
    NoSuchColumn {
        wanted: String,
        headers: Vec<String>,
    },
    #[error(
        "no code column (HCPCS, HCPC, HCPCS_CODE, CODE, ...): the header has {}; name it with --column",
        quoted(.0)
    )]
    NoCodeColumn(Vec<String>),
    #[error(
        "'{}' makes more than {limit} distinct codes that no stored release holds: is this the \
         code column? (name the right one with --column)",
        shown(.code)
    )]
    TooManyUnknown { code: String, limit: usize },
    /// Several columns that could be the one meant: (position, name) of each.
    #[error("{}", ambiguous(.what, .columns, *.named))]
    Ambiguous {
        what: &'static str,
        columns: Vec<(usize, String)>,
        /// The user named them (`--column`), rather than the header giving two.
        named: bool,
    },
}

/// `column 'HCPCS': `, or nothing for a watch list.
fn in_column(column: &Option<String>) -> String {
    column
        .as_ref()
        .map_or(String::new(), |c| format!("column '{}': ", shown(c)))
}

fn ambiguous(what: &str, columns: &[(usize, String)], named: bool) -> String {
    let list: Vec<String> = columns
        .iter()
        .map(|(i, name)| format!("'{}' (column {})", shown(name), i + 1))
        .collect();
    let n = columns.len();
    let list = list.join(", ");
    match (named, what) {
        (true, _) => format!("{n} columns have that name: {list}; rename one"),
        (false, "code") => {
            format!("{n} columns could hold the code: {list}; name one with --column")
        }
        (false, what) => format!("{n} columns could hold the {what}: {list}; rename all but one"),
    }
}

/// One line of the user's file that names a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The line in the user's file (1-based).
    pub line: usize,
    /// The code as written, trimmed (for a code of a range, the range).
    pub given: String,
    /// The code, upper case, without a modifier.
    pub code: String,
    /// A modifier appended (`E1392RR`, `E1392-RR`) or in its own column.
    pub modifier: Option<String>,
    /// The date of service as written, and as read.
    pub date: Option<(String, NaiveDate)>,
    /// The row's other columns, in the file's order.
    pub extra: Vec<String>,
}

/// A line that names a code, borrowed from the line read where the line writes the code as it
/// is meant (`E1392`): no allocation for most lines of a claims extract.
#[derive(Debug, Clone)]
pub struct Seen<'r> {
    pub line: usize,
    /// The code as written, trimmed (for a code of a range, the range).
    pub given: Cow<'r, str>,
    pub code: Cow<'r, str>,
    /// The code's id in the survey of the file, when the row was read as the survey read it
    /// ([`Input::block_lines`]).
    pub code_id: Option<SurveyId>,
    pub modifier: Option<Cow<'r, str>>,
    pub date: Option<NaiveDate>,
    /// The date of service as written, trimmed.
    pub written_date: Option<Cow<'r, str>>,
    /// The row's other columns.
    pub extra: Extra<'r>,
}

/// A CSV row's other columns (none for a watch list), read as text when asked for.
#[derive(Debug, Clone, Copy)]
pub struct Extra<'r> {
    text: Option<RecordText<'r>>,
    columns: &'r [usize],
}

impl<'r> Extra<'r> {
    const NONE: Extra<'static> = Extra {
        text: None,
        columns: &[],
    };

    /// The values, in the file's order.
    pub fn values(self) -> impl Iterator<Item = Cow<'r, str>> {
        let text = self.text;
        self.columns
            .iter()
            .filter_map(move |&i| Some(text?.field(i)))
    }
}

/// A CSV record's fields as text: of a UTF-8 list, the whole record checked once and each
/// field a part of it.
#[derive(Debug, Clone, Copy)]
struct RecordText<'r> {
    list: &'r ListFile,
    record: Fields<'r>,
    whole: Option<&'r str>,
}

impl<'r> RecordText<'r> {
    fn of(list: &'r ListFile, record: Fields<'r>) -> Self {
        let whole = match record {
            Fields::Plain {
                text: Some(text), ..
            } => Some(text),
            _ => match list.text(record.as_slice()) {
                Cow::Borrowed(whole) => Some(whole),
                Cow::Owned(_) => None,
            },
        };
        RecordText {
            list,
            record,
            whole,
        }
    }

    fn field(self, i: usize) -> Cow<'r, str> {
        let part = self
            .whole
            .zip(self.record.range(i))
            .and_then(|(whole, range)| whole.get(range));
        match part {
            Some(part) => Cow::Borrowed(part),
            None => self.list.text(self.record.get(i).unwrap_or(b"")),
        }
    }
}

impl Seen<'_> {
    /// The line as an owned entry.
    pub fn to_entry(&self) -> Entry {
        Entry {
            line: self.line,
            given: self.given.clone().into_owned(),
            code: self.code.clone().into_owned(),
            modifier: self.modifier.clone().map(Cow::into_owned),
            date: self
                .written_date
                .clone()
                .zip(self.date)
                .map(|(raw, d)| (raw.into_owned(), d)),
            extra: self.extra.values().map(Cow::into_owned).collect(),
        }
    }
}

/// The user's file, checked to be text and its columns found. Its entries are read by
/// [`Input::lines`], from the file, as often as needed, one at a time: a claims extract of
/// millions of lines is never held, in rows or in bytes.
#[derive(Debug)]
pub struct Input {
    list: ListFile,
    /// Where a CSV keeps the code, date and modifier; `None` for a watch list.
    layout: Option<Layout>,
    /// The names of the passed-through columns, in the file's order.
    pub extra_columns: Vec<String>,
}

impl Input {
    pub fn name(&self) -> &str {
        self.list.name()
    }

    /// A cursor over the lines that name a code, in file order. A range of a watch list
    /// (`E0424-E0431`) names each code of `release` in it.
    pub fn lines<'a>(&'a self, release: &'a Snapshot) -> Result<Lines<'a>, InputError> {
        let source = match &self.layout {
            None => Source::List {
                lines: Box::new(self.list.lines()?),
                current: Current::default(),
                range: None,
                release,
            },
            Some(layout) => Source::Csv {
                reader: Records::Csv(Box::new(csv_reader(Box::new(self.list.reader(true)?)))),
                record: csv::ByteRecord::new(),
                layout,
                header: true,
                surveyed: None,
            },
        };
        Ok(Lines {
            list: &self.list,
            source,
            line_offset: 0,
        })
    }

    /// Whether any line below the header holds something.
    fn names_something(&self) -> Result<bool, InputError> {
        match &self.layout {
            None => Ok(self.list.lines()?.next_entry().transpose()?.is_some()),
            Some(_) => {
                let mut reader = csv_reader(self.list.reader(true)?);
                let mut record = csv::ByteRecord::new();
                let mut records = 0;
                while records < 2 {
                    match next_record(&mut reader, &mut record) {
                        Ok(true) => records += 1,
                        Ok(false) => break,
                        // The line is named when the rows are read.
                        Err(_) => return Ok(true),
                    }
                }
                Ok(records == 2)
            }
        }
    }
}

/// Where a CSV's records come from, past its blank and comment lines.
pub(super) enum Records {
    /// The csv crate's reader: through a [`Bounded`](crate::read::list::Bounded) reader, or
    /// over the bytes of a block read through one.
    Csv(Box<csv::Reader<Box<dyn Read + Send>>>),
    /// A block without a quote, a carriage return or an empty line: its
    /// records are its lines, their fields what lies between commas, as the csv crate reads
    /// such text, found without stepping through it a byte at a time.
    Plain {
        bytes: PlainBytes,
        /// The lines of the part of `bytes` split last, from `window` on, and the next of them
        /// to read; where the next part begins, and its line number.
        lines: PlainLines,
        next: usize,
        window: usize,
        at: usize,
        line: u64,
    },
}

/// About how many bytes of a plain block are split into lines at a time: few enough that they
/// are still in the processor's cache when their rows are read (a few in tests, so that blocks
/// hold many).
const WINDOW_BYTES: usize = if cfg!(test) { 16 } else { 16 * 1024 };

/// A plain block's bytes: text (of a UTF-8 list, checked once for the whole block rather than a
/// line at a time), or bytes each line of which is read as the list's encoding says.
pub(super) enum PlainBytes {
    Text(String),
    Bytes(Vec<u8>),
}

impl Records {
    /// The records of a block of a CSV read through a `Bounded` reader (`first`: the block
    /// the file begins with; `utf8`: the list is UTF-8), and how many lines are read before the
    /// block's own (one [`MID_FILE`] line when the csv crate reads a block from the middle of
    /// the file).
    pub(super) fn of_block(bytes: Vec<u8>, first: bool, utf8: bool) -> (Records, usize) {
        if plain(&bytes) {
            let bytes = match utf8 {
                true => String::from_utf8(bytes)
                    .map_or_else(|e| PlainBytes::Bytes(e.into_bytes()), PlainBytes::Text),
                false => PlainBytes::Bytes(bytes),
            };
            let records = Records::Plain {
                bytes,
                lines: PlainLines::default(),
                next: 0,
                window: 0,
                at: 0,
                line: 1,
            };
            return (records, 0);
        }
        let (bytes, before) = if first {
            (bytes, 0)
        } else {
            ([MID_FILE, &bytes].concat(), 1)
        };
        let reader = csv_reader(Box::new(std::io::Cursor::new(bytes)) as Box<dyn Read + Send>);
        (Records::Csv(Box::new(reader)), before)
    }

    /// The next record, as [`next_record`] reads it, and its line; `None` at the end. One the
    /// csv crate reads is read into `record`.
    fn next<'s>(
        &'s mut self,
        record: &'s mut csv::ByteRecord,
    ) -> csv::Result<Option<(Fields<'s>, u64)>> {
        match self {
            Records::Csv(reader) => {
                if !next_record(reader, record)? {
                    return Ok(None);
                }
                let line = record.position().map_or(0, csv::Position::line);
                Ok(Some((Fields::Csv(record), line)))
            }
            Records::Plain {
                bytes,
                lines,
                next,
                window,
                at,
                line,
            } => {
                let (bytes, text) = match bytes {
                    PlainBytes::Text(text) => (text.as_bytes(), Some(text.as_str())),
                    PlainBytes::Bytes(bytes) => (&bytes[..], None),
                };
                // The next part of whole lines split once those split are read.
                while *next == lines.len() && *at < bytes.len() {
                    let rest = &bytes[*at..];
                    let end = match memchr::memrchr(b'\n', &rest[..WINDOW_BYTES.min(rest.len())]) {
                        Some(i) => i + 1,
                        None => memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1),
                    };
                    lines.clear();
                    *line = lines.split(&rest[..end], *line);
                    (*window, *at, *next) = (*at, *at + end, 0);
                }
                let text = text.and_then(|text| text.get(*window..));
                let read = lines.get(*next, &bytes[*window..], text);
                *next += 1;
                Ok(read.map(|(fields, line)| (fields, line.line)))
            }
        }
    }
}

/// A record's fields: as the csv crate read them, or a [`plain`] line and where each of its
/// fields ends (the next begins past the comma), borrowed where the line lies, not copied.
#[derive(Debug, Clone, Copy)]
pub(super) enum Fields<'r> {
    Csv(&'r csv::ByteRecord),
    Plain {
        line: &'r [u8],
        /// The line as text, when known to be.
        text: Option<&'r str>,
        ends: &'r [u32],
    },
}

impl<'r> Fields<'r> {
    pub(super) fn len(self) -> usize {
        match self {
            Fields::Csv(record) => record.len(),
            Fields::Plain { ends, .. } => ends.len(),
        }
    }

    /// Where field `i` lies in [`Fields::as_slice`].
    fn range(self, i: usize) -> Option<std::ops::Range<usize>> {
        match self {
            Fields::Csv(record) => record.range(i),
            Fields::Plain { ends, .. } => {
                let end = *ends.get(i)? as usize;
                let start = match i.checked_sub(1) {
                    Some(before) => ends[before] as usize + 1,
                    None => 0,
                };
                Some(start..end)
            }
        }
    }

    pub(super) fn get(self, i: usize) -> Option<&'r [u8]> {
        match self {
            Fields::Csv(record) => record.get(i),
            Fields::Plain { line, .. } => line.get(self.range(i)?),
        }
    }

    /// The record's bytes, its fields within them.
    fn as_slice(self) -> &'r [u8] {
        match self {
            Fields::Csv(record) => record.as_slice(),
            Fields::Plain { line, .. } => line,
        }
    }

    #[cfg(test)]
    fn to_vecs(self) -> Vec<Vec<u8>> {
        (0..self.len())
            .map(|i| self.get(i).unwrap_or_default().to_vec())
            .collect()
    }
}

/// The lines of [`plain`] text that are records, each split at its commas: found in one pass
/// over the text, eight bytes at a time, not a line and then a field at a time.
#[derive(Debug, Default)]
pub(super) struct PlainLines {
    lines: Vec<PlainLine>,
    /// Where each line's fields end, from the line's start (the next begins past the comma):
    /// the lines' in turn.
    ends: Vec<u32>,
}

/// A line of [`PlainLines`]: where it lies in the text, where its fields' ends stop among the
/// lines' (they begin where the line before's stop), and its line number.
#[derive(Debug)]
pub(super) struct PlainLine {
    pub(super) start: u32,
    pub(super) end: u32,
    ends: u32,
    pub(super) line: u64,
}

/// Eight bytes of `b`, to find `b` among eight bytes at once (see [`bytes_of`]).
const fn eight(b: u8) -> u64 {
    u64::from_ne_bytes([b; 8])
}

/// The high bit of each byte of `x` that is zero, and no other bit: exact, for no carry
/// crosses from one byte to the next.
fn zero_bytes(x: u64) -> u64 {
    const LOW7: u64 = eight(0x7f);
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// The high bit of each byte of `chunk` that is `b` (bytes in memory order, lowest first).
fn bytes_of(chunk: u64, b: u8) -> u64 {
    zero_bytes(chunk ^ eight(b))
}

impl PlainLines {
    pub(super) fn clear(&mut self) {
        self.lines.clear();
        self.ends.clear();
    }

    /// Splits `text`, whole lines of [`plain`] text (the last may lack its line end) whose first
    /// is line `line`, after any lines already split: blank and comment lines (a
    /// [`SKIPPED`]) are counted, not kept. `text` is at most 4 GiB (a piece or a block is far
    /// less). Gives the line number after the text's.
    pub(super) fn split(&mut self, text: &[u8], mut line: u64) -> u64 {
        let mut start = 0usize;
        let mut close = |lines: &mut Self, start: &mut usize, at: usize| {
            lines.ends.push((at - *start) as u32);
            if &text[*start..at] == SKIPPED {
                let kept = lines.lines.last().map_or(0, |l| l.ends as usize);
                lines.ends.truncate(kept);
            } else {
                lines.lines.push(PlainLine {
                    start: *start as u32,
                    end: at as u32,
                    ends: lines.ends.len() as u32,
                    line,
                });
            }
            line += 1;
            *start = at + 1;
        };
        let mut chunks = text.chunks_exact(8);
        let mut base = 0usize;
        for chunk in &mut chunks {
            let chunk = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
            let line_ends = bytes_of(chunk, b'\n');
            let mut found = bytes_of(chunk, b',') | line_ends;
            while found != 0 {
                let bit = found & found.wrapping_neg();
                let at = base + (found.trailing_zeros() / 8) as usize;
                if bit & line_ends != 0 {
                    close(self, &mut start, at);
                } else {
                    self.ends.push((at - start) as u32);
                }
                found ^= bit;
            }
            base += 8;
        }
        for (i, &b) in chunks.remainder().iter().enumerate() {
            match b {
                b'\n' => close(self, &mut start, base + i),
                b',' => self.ends.push((base + i - start) as u32),
                _ => {}
            }
        }
        if start < text.len() {
            close(self, &mut start, text.len());
        }
        line
    }

    pub(super) fn len(&self) -> usize {
        self.lines.len()
    }

    /// Line `i` of those split, as the record it is, of `text` (the text split; `as_text` the
    /// same as text, when known to be).
    pub(super) fn get<'t>(
        &'t self,
        i: usize,
        text: &'t [u8],
        as_text: Option<&'t str>,
    ) -> Option<(Fields<'t>, &'t PlainLine)> {
        let line = self.lines.get(i)?;
        let from = i
            .checked_sub(1)
            .map_or(0, |before| self.lines[before].ends as usize);
        let span = line.start as usize..line.end as usize;
        let fields = Fields::Plain {
            // A line end is where a character ends.
            text: as_text.and_then(|text| text.get(span.clone())),
            line: text.get(span)?,
            ends: self.ends.get(from..line.ends as usize)?,
        };
        Some((fields, line))
    }
}

/// Whether the csv crate reads `bytes` (whole lines, read through a `Bounded` reader) as
/// [`PlainLines`] splits them: no quote, no carriage return, no empty line. A `Bounded`
/// reader makes blank lines records of a NUL: an empty line, which the csv crate passes over
/// in its own way, is not looked for but left to it.
pub(super) fn plain(bytes: &[u8]) -> bool {
    let empty_line = bytes.starts_with(b"\n") || memchr::memmem::find(bytes, b"\n\n").is_some();
    !empty_line && memchr::memchr2(b'"', b'\r', bytes).is_none()
}

/// What the csv crate is given before a part of a CSV it reads from the middle of the file: a
/// skipped line (a [`SKIPPED`] record), so that a byte-order mark opening the part's first line,
/// which the crate drops from the first bytes it reads, is kept, as a reading of the whole
/// file keeps it there.
pub(super) const MID_FILE: &[u8] = b"\0\n";

/// A cursor over the lines of the user's file that name a code. A CSV's record is read where
/// its line lies (or into one reused record), so a line costs no allocation until its
/// [`Seen::to_entry`] is asked for.
pub struct Lines<'a> {
    list: &'a ListFile,
    source: Source<'a>,
    /// Lines of the file before the part read (see [`Input::block_lines`]).
    line_offset: usize,
}

/// The watch-list line moved to: its number, the code or range as written, and for a range
/// the code of it moved to (an index into the release's records).
#[derive(Debug, Default)]
struct Current {
    line: usize,
    given: String,
    of_range: Option<usize>,
}

enum Source<'a> {
    List {
        lines: Box<ListLines>,
        current: Current,
        /// A range being walked: its last code, and the next record of the release to look at.
        range: Option<(String, usize)>,
        release: &'a Snapshot,
    },
    Csv {
        reader: Records,
        /// What the csv crate reads a record into.
        record: csv::ByteRecord,
        layout: &'a Layout,
        /// The header is still to be read past.
        header: bool,
        /// The survey's rows of the part read, in order, and the survey: each row's code,
        /// modifier and date are the survey's, not read again.
        surveyed: Option<(std::slice::Iter<'a, SurveyedRow>, &'a Survey)>,
    },
}

/// `given` as a code of a watch list or CSV: at most [`MAX_CODE_CHARS`] characters.
fn check_length(given: &str, column: Option<&str>) -> Result<(), LineProblem> {
    // No more bytes than the bound is no more characters: most values are counted by length.
    if given.len() > MAX_CODE_CHARS && given.chars().count() > MAX_CODE_CHARS {
        return Err(LineProblem::LongCode {
            column: column.map(str::to_string),
            value: given.to_string(),
        });
    }
    Ok(())
}

/// A watch-list entry that writes a range (two codes of one length joined by `-`): the range,
/// or why it is not one (reversed).
fn as_range(given: &str) -> Option<Result<CodeRange, LineProblem>> {
    let (first, last) = given.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    let range = codes::is_code_in_any_case(first)
        && codes::is_code_in_any_case(last)
        && first.len() == last.len()
        && !first.eq_ignore_ascii_case(last);
    range.then(|| {
        given
            .parse::<CodeRange>()
            .map_err(|e| LineProblem::BadRange(e.to_string()))
    })
}

impl Lines<'_> {
    /// The error of a line that does not read as the survey read it.
    pub fn unlike_survey(&self) -> InputError {
        unlike_survey(self.list)
    }

    /// Moves to the next line that names a code and says what it says; `None` at the end.
    pub fn advance(&mut self) -> Option<Result<Seen<'_>, InputError>> {
        let list = self.list;
        let error = |line: usize, problem: LineProblem| InputError::Line {
            file: list.name().to_string(),
            line,
            problem: Box::new(problem),
        };
        match &mut self.source {
            Source::List {
                lines,
                current,
                range,
                release,
            } => {
                let records = &release.records;
                loop {
                    if let Some((last, next)) = range {
                        let found = records[*next..]
                            .iter()
                            .take_while(|r| r.code.as_str() <= last.as_str())
                            .position(|r| r.code.len() == last.len());
                        match found {
                            Some(i) => {
                                let at = *next + i;
                                *next = at + 1;
                                current.of_range = Some(at);
                                return Some(Ok(Seen {
                                    line: current.line,
                                    given: Cow::Borrowed(current.given.as_str()),
                                    code: Cow::Borrowed(records[at].code.as_str()),
                                    code_id: None,
                                    modifier: None,
                                    date: None,
                                    written_date: None,
                                    extra: Extra::NONE,
                                }));
                            }
                            None => *range = None,
                        }
                    }
                    let (line, given) = match lines.next_entry()? {
                        Ok(entry) => entry,
                        Err(e) => return Some(Err(e.into())),
                    };
                    if let Err(problem) = check_length(&given, None) {
                        return Some(Err(error(line, problem)));
                    }
                    current.line = line;
                    current.given.clear();
                    current.given.push_str(&given);
                    current.of_range = None;
                    match as_range(&current.given) {
                        None => break,
                        Some(Err(problem)) => return Some(Err(error(line, problem))),
                        Some(Ok(r)) => {
                            let start = records.partition_point(|c| c.code < r.first);
                            let holds = records[start..]
                                .iter()
                                .take_while(|c| c.code <= r.last)
                                .any(|c| r.contains(&c.code));
                            if !holds {
                                let problem = LineProblem::EmptyRange {
                                    first: r.first,
                                    last: r.last,
                                    release: release.release(),
                                };
                                return Some(Err(error(line, problem)));
                            }
                            *range = Some((r.last, start));
                        }
                    }
                }
                let (code, modifier) = split_modifier_borrowed(&current.given);
                Some(Ok(Seen {
                    line: current.line,
                    given: Cow::Borrowed(current.given.as_str()),
                    code,
                    code_id: None,
                    modifier,
                    date: None,
                    written_date: None,
                    extra: Extra::NONE,
                }))
            }
            Source::Csv {
                reader,
                record,
                layout,
                header,
                surveyed,
            } => {
                // Every row the survey read of the part is read again.
                let ended = |surveyed: &mut Option<(std::slice::Iter<SurveyedRow>, _)>| {
                    surveyed
                        .as_mut()
                        .is_some_and(|(rows, _)| rows.next().is_some())
                        .then(|| Err(unlike_survey(list)))
                };
                if std::mem::take(header) {
                    match reader.next(record) {
                        Ok(Some(_)) => {}
                        Ok(None) => return ended(surveyed),
                        Err(e) => return Some(Err(csv_error(list, e))),
                    }
                }
                let (record, line) = match reader.next(record) {
                    Ok(Some(read)) => read,
                    Ok(None) => return ended(surveyed),
                    Err(e) => return Some(Err(csv_error(list, e))),
                };
                let line = self.line_offset + line as usize;
                let parts = match surveyed {
                    None => layout.parts(list, record),
                    Some((rows, survey)) => {
                        let Some(row) = rows.next() else {
                            return Some(Err(unlike_survey(list)));
                        };
                        match layout.parts_surveyed(list, record, row, survey) {
                            Some(parts) => parts,
                            None => return Some(Err(unlike_survey(list))),
                        }
                    }
                };
                Some(match parts {
                    Ok(seen) => Ok(Seen { line, ..seen }),
                    Err(problem) => Err(error(line, problem)),
                })
            }
        }
    }
}

/// A part of the file that does not read as the survey read it: it cannot be, for it is
/// checked to be the same bytes, read the same way; but if it were, no row of it is judged by
/// what the survey found of another.
fn unlike_survey(list: &ListFile) -> InputError {
    ListError::Changed {
        file: list.name().to_string(),
    }
    .into()
}

/// A CSV reader's error, naming its line.
fn csv_error(list: &ListFile, e: csv::Error) -> InputError {
    let line = e.position().map_or(0, |p| p.line() as usize);
    let problem = LineProblem::NotCsvRow(e.to_string());
    match e.into_kind() {
        csv::ErrorKind::Io(io) => list.error(io).into(),
        _ => InputError::Line {
            file: list.name().to_string(),
            line,
            problem: Box::new(problem),
        },
    }
}

/// Which columns to use, when the user names them.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    pub code: Option<String>,
    pub date: Option<String>,
}

fn key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Splits `E1392RR`, `E1392-RR`, `E1392 RR` into the code and its modifier.
pub fn split_modifier(given: &str) -> (String, Option<String>) {
    let upper = given.trim().to_ascii_uppercase();
    let compact: String = upper
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | ':'))
        .collect();
    match codes::split_appended_modifier(&compact) {
        Some((code, modifier)) => (code.to_string(), Some(modifier.to_string())),
        None => (upper, None),
    }
}

/// [`split_modifier`], borrowing `given` when it is already a bare code in capitals (`E1392`),
/// as nearly every line of a claims extract is.
pub fn split_modifier_borrowed(given: &str) -> (Cow<'_, str>, Option<Cow<'_, str>>) {
    if codes::is_procedure_code(given) {
        return (Cow::Borrowed(given), None);
    }
    let (code, modifier) = split_modifier(given);
    (Cow::Owned(code), modifier.map(Cow::Owned))
}

/// Reads a date of service: `YYYY-MM-DD`, `MM/DD/YYYY` or `YYYYMMDD`.
pub fn parse_date(value: &str) -> Option<NaiveDate> {
    let v = value.trim();
    // The common form first, without a format parser: claims extracts hold millions of them.
    let b = v.as_bytes();
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        let num = |r: std::ops::Range<usize>| {
            b[r].iter().try_fold(0u32, |n, &d| {
                d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
            })
        };
        let year = i32::try_from(num(0..4)?).ok()?;
        return NaiveDate::from_ymd_opt(year, num(5..7)?, num(8..10)?);
    }
    ["%Y-%m-%d", "%m/%d/%Y", "%Y%m%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(v, f).ok())
}

/// Whether the list is a CSV with a header rather than a watch list: its first line that is
/// neither blank nor a `#` comment has a comma (a watch list names one code a line).
fn is_csv(list: &ListFile) -> Result<bool, ListError> {
    let mut reader = BufReader::new(list.reader(false)?);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader
            .read_until(b'\n', &mut line)
            .map_err(|e| list.error(e))?
            == 0
        {
            return Ok(false);
        }
        let text = list.text(&line);
        let text = text.trim();
        if !text.is_empty() && !text.starts_with('#') {
            // A watch list's comment may hold commas (`E1392  # rental, oxygen`): a line that
            // names one code (or range) before its `#` is a watch list's, whatever follows.
            let before = text.split('#').next().unwrap_or_default().trim();
            let names_a_code = !before.contains(',')
                && (as_range(before).is_some()
                    || codes::is_procedure_code(&split_modifier(before).0));
            return Ok(text.contains(',') && !names_a_code);
        }
    }
}

/// Reads the user's list: finds its columns, and checks it names at least one code.
pub fn read(list: ListFile, columns: &Columns) -> Result<Input, InputError> {
    let file = list.name().to_string();
    let file_error = |problem: String| InputError::File { file, problem };
    let (layout, extra_columns) = if is_csv(&list)? {
        let layout = csv_layout(&list, columns)?;
        let extra = layout
            .extra
            .iter()
            .map(|&i| layout.headers[i].clone())
            .collect();
        (Some(layout), extra)
    } else if columns.code.is_some() || columns.date.is_some() {
        return Err(file_error(
            "--column and --date-column need a CSV with a header line".to_string(),
        ));
    } else {
        (None, Vec::new())
    };
    let input = Input {
        list,
        layout,
        extra_columns,
    };
    if !input.names_something()? {
        return Err(file_error(
            "names no code (an empty file, only comments, or only a header)".to_string(),
        ));
    }
    Ok(input)
}

/// A CSV reader whose first record is the header (read as a record, so that both passes over
/// the file walk it the same way).
fn csv_reader<R: Read>(reader: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        // A blank or comment line is a record of one field (see `next_record`): each row's
        // number of fields is checked against the header's in `Layout::parts`.
        .flexible(true)
        .from_reader(reader)
}

/// The next record of a CSV read through a `Bounded` reader, past its blank and comment lines
/// (each a record of [`SKIPPED`] there, so that the csv crate counts their lines).
fn next_record<R: Read>(
    reader: &mut csv::Reader<R>,
    record: &mut csv::ByteRecord,
) -> csv::Result<bool> {
    loop {
        if !reader.read_byte_record(record)? {
            return Ok(false);
        }
        if !(record.len() == 1 && &record[0] == SKIPPED) {
            return Ok(true);
        }
    }
}

/// The header's names, quoted for a message (each cut short, at most a dozen of them).
fn quoted(headers: &[String]) -> String {
    let mut names: Vec<String> = headers
        .iter()
        .take(12)
        .map(|h| format!("'{}'", shown(h)))
        .collect();
    if headers.len() > 12 {
        names.push(format!("and {} more", headers.len() - 12));
    }
    names.join(", ")
}

/// The position of the column named `wanted` (by the user) or of the header in `known`.
/// Two columns that could be meant are an error naming both: the tool does not pick one.
fn find_column(
    headers: &[String],
    wanted: Option<&str>,
    known: &[&str],
    what: &'static str,
) -> Result<Option<usize>, LineProblem> {
    let found: Vec<usize> = match wanted {
        Some(w) => (0..headers.len())
            .filter(|&i| key(&headers[i]) == key(w))
            .collect(),
        None => (0..headers.len())
            .filter(|&i| known.contains(&key(&headers[i]).as_str()))
            .collect(),
    };
    match (found.as_slice(), wanted) {
        ([], Some(w)) => Err(LineProblem::NoSuchColumn {
            wanted: w.to_string(),
            headers: headers.to_vec(),
        }),
        ([], None) => Ok(None),
        ([one], _) => Ok(Some(*one)),
        (many, wanted) => Err(LineProblem::Ambiguous {
            what,
            columns: many.iter().map(|&i| (i, headers[i].clone())).collect(),
            named: wanted.is_some(),
        }),
    }
}

/// Where a CSV keeps what `audit` reads.
#[derive(Debug)]
struct Layout {
    headers: Vec<String>,
    code: usize,
    date: Option<usize>,
    modifier: Option<usize>,
    extra: Vec<usize>,
}

impl Layout {
    /// What a CSV row says (`Seen::line` left 0). The error is the problem; the caller adds
    /// the line.
    fn parts<'r>(
        &'r self,
        list: &'r ListFile,
        record: Fields<'r>,
    ) -> Result<Seen<'r>, LineProblem> {
        if record.len() != self.headers.len() {
            return Err(LineProblem::NotCsvRow(format!(
                "{} fields, the header has {}",
                record.len(),
                self.headers.len()
            )));
        }
        let text = RecordText::of(list, record);
        let field = |i: usize| trimmed(text.field(i));
        let header = |i: usize| self.headers[i].clone();
        let given = field(self.code);
        if given.is_empty() {
            return Err(LineProblem::EmptyColumn(header(self.code)));
        }
        check_length(&given, Some(&self.headers[self.code]))?;
        let (code, mut modifier) = match &given {
            Cow::Borrowed(g) => split_modifier_borrowed(g),
            Cow::Owned(g) => {
                let (code, modifier) = split_modifier(g);
                (Cow::Owned(code), modifier.map(Cow::Owned))
            }
        };
        if let Some(m) = self.modifier {
            let column = field(m);
            if !column.is_empty() {
                check_length(&column, Some(&self.headers[m]))?;
                let column = column.to_ascii_uppercase();
                if let Some(appended) = modifier.as_deref()
                    && appended != column
                {
                    return Err(LineProblem::TwoModifiers {
                        code_column: header(self.code),
                        given: given.into_owned(),
                        appended: appended.to_string(),
                        modifier_column: header(m),
                        modifier: column,
                    });
                }
                modifier = Some(Cow::Owned(column));
            }
        }
        let (date, raw) = match self.date {
            Some(d) => {
                let raw = field(d);
                let date = parse_date(&raw).ok_or_else(|| LineProblem::NotADate {
                    column: header(d),
                    value: raw.to_string(),
                })?;
                (Some(date), Some(raw))
            }
            None => (None, None),
        };
        Ok(Seen {
            line: 0,
            given,
            code,
            code_id: None,
            modifier,
            date,
            written_date: raw,
            extra: Extra {
                text: Some(text),
                columns: &self.extra,
            },
        })
    }
}

impl Layout {
    /// A row as [`Layout::parts`] reads it, its code, modifier and date taken from `row`, what
    /// the survey read of the same line; `None` if the row does not name a code and modifier
    /// of the survey's.
    fn parts_surveyed<'r>(
        &'r self,
        list: &'r ListFile,
        record: Fields<'r>,
        row: &SurveyedRow,
        survey: &'r Survey,
    ) -> Option<Result<Seen<'r>, LineProblem>> {
        if record.len() != self.headers.len() {
            return Some(self.parts(list, record));
        }
        let code = survey.codes.get(usize::from(row.code))?;
        let modifier = match row.modifier {
            survey::NO_MODIFIER => None,
            m => Some(Cow::Borrowed(
                survey.modifiers.get(usize::from(m))?.as_str(),
            )),
        };
        let text = RecordText::of(list, record);
        let field = |i: usize| trimmed(text.field(i));
        Some(Ok(Seen {
            line: 0,
            given: field(self.code),
            code: Cow::Borrowed(code.as_str()),
            code_id: Some(row.code),
            modifier,
            date: row.date,
            written_date: self.date.map(field),
            extra: Extra {
                text: Some(text),
                columns: &self.extra,
            },
        }))
    }
}

/// `text` without the spaces around it, borrowed where it was.
fn trimmed(text: Cow<'_, str>) -> Cow<'_, str> {
    // Most values have no space around them: two bytes looked at.
    let bare = |t: &str| {
        let ends = [t.as_bytes().first(), t.as_bytes().last()];
        ends.into_iter()
            .flatten()
            .all(|&b| b.is_ascii() && !char::from(b).is_whitespace())
    };
    match text {
        Cow::Borrowed(t) if bare(t) => Cow::Borrowed(t),
        Cow::Borrowed(t) => Cow::Borrowed(t.trim()),
        Cow::Owned(t) if t.trim().len() == t.len() => Cow::Owned(t),
        Cow::Owned(t) => Cow::Owned(t.trim().to_string()),
    }
}

fn csv_layout(list: &ListFile, columns: &Columns) -> Result<Layout, InputError> {
    let line_error = |line: usize, problem: LineProblem| InputError::Line {
        file: list.name().to_string(),
        line,
        problem: Box::new(problem),
    };
    let mut reader = csv_reader(list.reader(true)?);
    let mut record = csv::ByteRecord::new();
    let headers: Vec<String> = match next_record(&mut reader, &mut record) {
        Ok(true) => record
            .iter()
            .map(|h| list.text(h).trim().to_string())
            .collect(),
        Ok(false) => Vec::new(),
        Err(e) => return Err(csv_error(list, e)),
    };
    // The header is the first line that is neither blank nor a `#` comment.
    let header_line = record.position().map_or(1, |p| p.line() as usize);
    let code = find_column(&headers, columns.code.as_deref(), CODE_HEADERS, "code")
        .map_err(|p| line_error(header_line, p))?
        .ok_or_else(|| line_error(header_line, LineProblem::NoCodeColumn(headers.clone())))?;
    let date = match &columns.date {
        Some(d) => {
            find_column(&headers, Some(d), &[], "date").map_err(|p| line_error(header_line, p))?
        }
        None => None,
    };
    let modifier = find_column(&headers, None, MODIFIER_HEADERS, "modifier")
        .map_err(|p| line_error(header_line, p))?
        .filter(|&m| m != code);
    let used = [Some(code), date, modifier];
    let extra = (0..headers.len())
        .filter(|i| !used.contains(&Some(*i)))
        .collect();
    Ok(Layout {
        headers,
        code,
        date,
        modifier,
        extra,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, Record, SourceInfo};

    /// Hands `seen` each line that names a code, in file order; stops at the first line that
    /// cannot be read, or that `seen` finds a problem in, with an error naming it.
    fn scan(
        input: &Input,
        release: &Snapshot,
        mut seen: impl FnMut(Seen) -> Result<(), LineProblem>,
    ) -> Result<(), InputError> {
        let mut lines = input.lines(release)?;
        while let Some(line) = lines.advance() {
            let line = line?;
            let at = line.line;
            seen(line).map_err(|problem| InputError::Line {
                file: input.name().to_string(),
                line: at,
                problem: Box::new(problem),
            })?;
        }
        Ok(())
    }

    fn read(name: &str, bytes: &[u8], columns: &Columns) -> Result<Input, InputError> {
        super::read(ListFile::from_bytes(name, bytes)?, columns)
    }

    fn release() -> Snapshot {
        let source = SourceInfo {
            file: "r.txt".into(),
            member: None,
            sha256: String::new(),
        };
        let records = ["E0424", "E0431", "E0441", "E1392", "RR"]
            .iter()
            .map(|c| {
                Record::new(
                    *c,
                    if c.len() == 2 {
                        Kind::Modifier
                    } else {
                        Kind::Procedure
                    },
                )
            })
            .collect();
        Snapshot::new("2020-01".parse().unwrap(), source, records)
    }

    /// Every line's code and modifier, or the first error.
    fn codes(input: &Input) -> Result<Vec<(usize, String, Option<String>)>, String> {
        let release = release();
        let mut out = Vec::new();
        scan(input, &release, |s| {
            out.push((s.line, s.code.into_owned(), s.modifier.map(Cow::into_owned)));
            Ok(())
        })
        .map_err(|e| e.to_string())?;
        Ok(out)
    }

    #[test]
    fn modifiers_appended_or_apart() {
        assert_eq!(
            split_modifier("e1392rr"),
            ("E1392".into(), Some("RR".into()))
        );
        assert_eq!(
            split_modifier("E1392-RR"),
            ("E1392".into(), Some("RR".into()))
        );
        assert_eq!(split_modifier(" E1392 "), ("E1392".into(), None));
        assert_eq!(split_modifier("RR"), ("RR".into(), None));
    }

    #[test]
    fn dates_in_three_forms() {
        let d = NaiveDate::from_ymd_opt(2020, 5, 15);
        assert_eq!(parse_date("2020-05-15"), d);
        assert_eq!(parse_date("05/15/2020"), d);
        assert_eq!(parse_date("20200515"), d);
        assert_eq!(parse_date("15.05.2020"), None);
    }

    #[test]
    fn csv_columns_by_header_and_errors_by_line() {
        let text = "Item,HCPCS Code,Mod,DOS\nconcentrator,E1392,RR,2020-01-02\n";
        let cols = Columns {
            code: None,
            date: Some("dos".into()),
        };
        let input = read("c.csv", text.as_bytes(), &cols).unwrap();
        assert_eq!(input.extra_columns, ["Item"]);
        let release = release();
        let mut lines = input.lines(&release).unwrap();
        let e = &lines.advance().unwrap().unwrap().to_entry();
        assert_eq!((e.line, e.code.as_str()), (2, "E1392"));
        assert_eq!(e.modifier.as_deref(), Some("RR"));
        let err = read("c.csv", b"Item,Price\nx,1\n", &Columns::default())
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "c.csv: line 1: no code column (HCPCS, HCPC, HCPCS_CODE, CODE, ...): the header has 'Item', 'Price'; name it with --column"
        );
        let err = read("c.csv", b"HCPCS,DOS\n", &Columns::default())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("c.csv: names no code"), "{err}");
        let cols = Columns {
            code: Some("sku".into()),
            date: None,
        };
        let err = read("c.csv", b"Item,Price\nx,1\n", &cols)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "c.csv: line 1: no column 'sku'; the header has 'Item', 'Price'"
        );
        // A bad line is found as the lines are read.
        let scanned = |bytes: &[u8], cols: &Columns| {
            let input = read("c.csv", bytes, cols).unwrap();
            scan(&input, &release, |_| Ok(())).unwrap_err().to_string()
        };
        let err = scanned(b"HCPCS,DOS\nE1392,2020-01-02,extra\n", &Columns::default());
        assert!(err.starts_with("c.csv: line 2: not a CSV row"), "{err}");
        let cols = Columns {
            code: None,
            date: Some("dos".into()),
        };
        let err = scanned(b"HCPCS,DOS\nE1392,June\n", &cols);
        assert!(
            err.starts_with("c.csv: line 2: column 'DOS': 'June' is not a date"),
            "{err}"
        );
    }

    #[test]
    fn a_range_names_each_code_of_the_release_in_it() {
        let input = read(
            "w.txt",
            b"\xEF\xBB\xBFE1392\r\nE0424-E0435 # stationary\nE0424-RR\n",
            &Columns::default(),
        )
        .unwrap();
        let got = codes(&input).unwrap();
        let want = [
            (1, "E1392", None),
            (2, "E0424", None),
            (2, "E0431", None),
            (3, "E0424", Some("RR")),
        ];
        assert_eq!(got.len(), want.len(), "{got:?}");
        for (g, w) in got.iter().zip(want) {
            assert_eq!((g.0, g.1.as_str(), g.2.as_deref()), w);
        }
        let input = read("w.txt", b"E1392\nE2000-E2999\n", &Columns::default()).unwrap();
        assert_eq!(
            codes(&input).unwrap_err(),
            "w.txt: line 2: E2000-E2999: no code of release 2020-01 is in this range"
        );
        let input = read("w.txt", b"E9999-E0001\n", &Columns::default()).unwrap();
        assert!(codes(&input).unwrap_err().contains("is reversed"));
    }

    #[test]
    fn what_cannot_be_placed_is_refused() {
        let input = read(
            "c.csv",
            b"HCPCS,Modifier\nE1392XX,RR\nE1392RR,RR\n",
            &Columns::default(),
        )
        .unwrap();
        assert_eq!(
            codes(&input).unwrap_err(),
            "c.csv: line 2: column 'HCPCS' gives E1392XX (modifier XX appended) and column 'Modifier' \
             gives modifier RR: which applies is not clear; give the modifier in one column"
        );
        for header in ["HCPCS,HCPCS", "HCPCS,HCPCS_CODE"] {
            let text = format!("{header}\nE1392,E1390\n");
            let err = read("c.csv", text.as_bytes(), &Columns::default())
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(
                    "c.csv: line 1: 2 columns could hold the code: 'HCPCS' (column 1), 'HCPCS"
                ),
                "{err}"
            );
            assert!(err.ends_with("name one with --column"), "{err}");
        }
        let long = format!("HCPCS,n\n{},1\n", "E".repeat(21));
        let input = read("c.csv", long.as_bytes(), &Columns::default()).unwrap();
        assert_eq!(
            codes(&input).unwrap_err(),
            "c.csv: line 2: column 'HCPCS': 'EEEEEEEEEEEEEEEEEEEEE' is not a code: longer than 20 characters"
        );
    }

    proptest::proptest! {
        /// Eight bytes at a time, each byte that is the one looked for is found, and no other:
        /// whatever the bytes around it (a byte one above or below, a high bit set).
        #[test]
        fn bytes_of_finds_each_byte_that_is_the_one_looked_for(
            chunk in proptest::array::uniform8(proptest::prop_oneof![
                proptest::num::u8::ANY,
                proptest::sample::select(vec![b',', b'-', b'+', b'\n', 0x0b, 0x09, 0xac, 0x8a, 0]),
            ]),
            b in proptest::prop_oneof![proptest::num::u8::ANY, proptest::sample::select(vec![b',', b'\n'])],
        ) {
            let found = bytes_of(u64::from_le_bytes(chunk), b);
            let expected = chunk
                .iter()
                .enumerate()
                .filter(|&(_, &c)| c == b)
                .fold(0u64, |m, (i, _)| m | 0x80 << (8 * i));
            proptest::prop_assert_eq!(found, expected);
        }

        /// A block without quotes, carriage returns or empty lines read by lines and commas
        /// gives the records, fields and line numbers the csv crate gives: blank and comment
        /// lines (a NUL), empty fields, a last line without its line end. Of a UTF-8 list,
        /// each line is the text it holds.
        #[test]
        fn plain_blocks_read_as_the_csv_crate_reads_them(
            text in "(([a\\u{e9} ,]{1,5}|\\u{0})\\n){0,12}([a\\u{e9} ,]{1,5})?",
            utf8 in proptest::bool::ANY,
        ) {
            let bytes = text.into_bytes();
            let (mut plain, _) = Records::of_block(bytes.clone(), true, utf8);
            let is_plain = matches!(plain, Records::Plain { .. });
            proptest::prop_assert!(is_plain);
            let mut csv = Records::Csv(Box::new(csv_reader(Box::new(std::io::Cursor::new(bytes)))));
            let (mut a, mut b) = (csv::ByteRecord::new(), csv::ByteRecord::new());
            loop {
                let read = |r: Option<(Fields, u64)>| r.map(|(fields, line)| (fields.to_vecs(), line));
                let next = plain.next(&mut a).unwrap();
                if let Some((Fields::Plain { line, text, .. }, _)) = next {
                    proptest::prop_assert_eq!(text.map(str::as_bytes), utf8.then_some(line));
                }
                let from_plain = read(next);
                let from_csv = read(csv.next(&mut b).unwrap());
                proptest::prop_assert_eq!(&from_plain, &from_csv);
                if from_plain.is_none() {
                    break;
                }
            }
        }
    }
}
