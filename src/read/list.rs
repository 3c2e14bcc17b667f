//! Lists the user hands a command: a watch list (`diff --watch`, `check --watch`), the list or
//! CSV `audit` reads. One reader for all of them: a regular file of text only (a workbook, a zip
//! or any binary file is refused, named by what it looks like), UTF-8 or Windows-1252, a
//! byte-order mark dropped, CRLF or LF, and every line bounded. The file is read as a stream,
//! as often as a caller needs (`ListFile::reader`): memory never follows one long line or field,
//! nor the number of lines.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

/// The largest list read; a claims extract of millions of lines is far below it.
pub const MAX_LIST_BYTES: u64 = 1 << 30;

/// The longest line, or CSV record (a quoted field may hold line breaks), of a list.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// The longest code a list may give: a code with a modifier and separators is far shorter.
pub const MAX_CODE_CHARS: usize = 20;

/// How many characters of the user's input a message quotes.
const SHOWN_CHARS: usize = 40;

#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("{file}: {source}")]
    Io { file: String, source: io::Error },
    #[error("{file}: is {what}, not a regular file")]
    Irregular { file: String, what: &'static str },
    #[error("{file}: larger than {} MiB", MAX_LIST_BYTES >> 20)]
    TooLarge { file: String },
    #[error("{file}: not a text file: it looks like {what}")]
    NotText { file: String, what: String },
    #[error(
        "{file}: line {line}: longer than {} KiB (a line, or a CSV record, may hold at most {MAX_LINE_BYTES} bytes)",
        MAX_LINE_BYTES >> 10
    )]
    LongLine { file: String, line: usize },
    #[error(
        "{file}: changed while it was being read (it is read more than once, and its size, time or content is not what it was): run again once it is written"
    )]
    Changed { file: String },
}

/// How the list's bytes are text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// What CMS's own text files and most Windows exports are, when the bytes are not UTF-8.
    Windows1252,
}

#[derive(Debug, Clone)]
enum Bytes {
    /// The file opened once, read again through the same handle (a file renamed over it is
    /// not read), and what it was when first read.
    File(Arc<File>, Stamp),
    Memory(Arc<[u8]>),
}

/// A file's size and modification time: a file changed in place between two readings of it
/// shows in one or the other.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl Stamp {
    fn of(file: &File) -> io::Result<Stamp> {
        let meta = file.metadata()?;
        Ok(Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }
}

/// The shared open file read from `pos` on by positional reads: each reader of the list keeps
/// its own place in the one handle.
struct At {
    file: Arc<File>,
    pos: u64,
}

impl Read for At {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(&*self.file, buf, self.pos)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(&*self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// A reading of the list, from its start to where it ended when first read (what was written
/// after is not read), which there looks at the file again: one changed in place or grown
/// since is an error ([`ListError::Changed`] by [`ListFile::error`]), not a reading that mixes
/// two versions of it.
struct Stamped {
    at: At,
    stamp: Stamp,
    left: u64,
}

/// The error a [`Stamped`] reading gives for a list changed while it was read.
#[derive(Debug)]
struct ChangedWhileRead;

impl std::fmt::Display for ChangedWhileRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("changed while it was being read")
    }
}

impl std::error::Error for ChangedWhileRead {}

impl Read for Stamped {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let changed = || io::Error::other(ChangedWhileRead);
        if self.left == 0 {
            return if Stamp::of(&self.at.file)? == self.stamp {
                Ok(0)
            } else {
                Err(changed())
            };
        }
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.at.read(&mut buf[..max])?;
        if n == 0 && max > 0 {
            // Shorter than it was.
            return Err(changed());
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// The regular file at `path`, opened, not too large, and its stamp.
fn opened(name: &str, path: &Path) -> Result<(Arc<File>, Stamp), ListError> {
    let io = |source| ListError::Io {
        file: name.to_string(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if let Some(what) = crate::error::irregular(&meta) {
        return Err(ListError::Irregular {
            file: name.to_string(),
            what,
        });
    }
    if meta.is_dir() {
        return Err(ListError::Irregular {
            file: name.to_string(),
            what: "a folder",
        });
    }
    if meta.len() > MAX_LIST_BYTES {
        return Err(ListError::TooLarge {
            file: name.to_string(),
        });
    }
    let file = Arc::new(File::open(path).map_err(io)?);
    let stamp = Stamp::of(&file).map_err(io)?;
    Ok((file, stamp))
}

/// How much of a list [`ListFile::open_head`] reads before handing it over: the first piece
/// [`ListFile::open`] reads, where a workbook, an archive or a PDF shows what it is.
pub const HEAD_BYTES: u64 = 1 << 16;

/// The rest of a list [`ListFile::open_head`] has not read through yet.
pub struct Unread {
    sniff: Sniff,
    rest: At,
}

impl std::fmt::Debug for Unread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unread")
            .field("sniff", &self.sniff)
            .field("at", &self.rest.pos)
            .finish()
    }
}

impl Unread {
    /// Reads the rest of `list` through: `list` in the encoding it is (which may not be the one
    /// its head showed: a Windows-1252 byte further on), or the error [`ListFile::open`] gives.
    pub fn finish(mut self, list: &ListFile) -> Result<ListFile, ListError> {
        let pos = self.rest.pos;
        self.sniff
            .read((&mut self.rest).take(MAX_LIST_BYTES + 1 - pos))?;
        Ok(ListFile {
            encoding: self.sniff.end()?,
            ..list.clone()
        })
    }
}

/// A list checked to be text, ready to be read as often as needed.
#[derive(Debug, Clone)]
pub struct ListFile {
    name: String,
    bytes: Bytes,
    encoding: Encoding,
}

impl ListFile {
    /// Opens the list at `path` (named `name` in messages) and reads it through once to check
    /// it is text and learn its encoding.
    pub fn open(name: &str, path: &Path) -> Result<ListFile, ListError> {
        match ListFile::open_head(name, path)? {
            (list, Some(unread)) => unread.finish(&list),
            (list, None) => Ok(list),
        }
    }

    /// Opens the list as [`ListFile::open`] does, but reads only its first [`HEAD_BYTES`]
    /// before handing it over, in the encoding they show (UTF-8 while they are): the reading
    /// through is [`Unread::finish`]'s, which a caller does while it reads the list, and which
    /// says whether the list is what it was read as. `None`: the head was the whole list.
    pub fn open_head(name: &str, path: &Path) -> Result<(ListFile, Option<Unread>), ListError> {
        let (file, stamp) = opened(name, path)?;
        let mut sniff = Sniff::new(name);
        let mut head = Vec::with_capacity(HEAD_BYTES as usize);
        At {
            file: Arc::clone(&file),
            pos: 0,
        }
        .take(HEAD_BYTES)
        .read_to_end(&mut head)
        .map_err(|source| ListError::Io {
            file: name.to_string(),
            source,
        })?;
        if !head.is_empty() {
            sniff.piece(&head)?;
        }
        let mut list = ListFile {
            name: name.to_string(),
            bytes: Bytes::File(Arc::clone(&file), stamp),
            encoding: sniff.so_far(),
        };
        if (head.len() as u64) < HEAD_BYTES {
            list.encoding = sniff.end()?;
            return Ok((list, None));
        }
        let unread = Unread {
            sniff,
            rest: At {
                file,
                pos: HEAD_BYTES,
            },
        };
        Ok((list, Some(unread)))
    }

    /// The encoding its bytes are read in.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// A list already in memory (`name` for messages).
    pub fn from_bytes(name: &str, bytes: &[u8]) -> Result<ListFile, ListError> {
        let encoding = sniff(name, bytes)?;
        Ok(ListFile {
            name: name.to_string(),
            bytes: Bytes::Memory(Arc::from(bytes)),
            encoding,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// An error if the file is not as it was when first read (its size or modification time
    /// changed): a reading that goes on should not trust what an earlier reading found of it.
    pub fn unchanged(&self) -> Result<(), ListError> {
        let Bytes::File(file, stamp) = &self.bytes else {
            return Ok(());
        };
        let now = Stamp::of(file).map_err(|source| ListError::Io {
            file: self.name.clone(),
            source,
        })?;
        if now != *stamp {
            return Err(ListError::Changed {
                file: self.name.clone(),
            });
        }
        Ok(())
    }

    /// Its size in bytes, as first read.
    pub fn size(&self) -> u64 {
        match &self.bytes {
            Bytes::File(_, stamp) => stamp.len,
            Bytes::Memory(bytes) => bytes.len() as u64,
        }
    }

    /// The list from its start, its byte-order mark dropped, CRLF made LF, and an error
    /// ([`long_line`] tells it) at the first line or record longer than [`MAX_LINE_BYTES`].
    /// `quoted`: lines are CSV records, which a quoted field may carry across line breaks.
    pub fn reader(&self, quoted: bool) -> Result<Bounded<Box<dyn Read + Send>>, ListError> {
        let inner: Box<dyn Read + Send> = match &self.bytes {
            Bytes::File(file, stamp) => {
                self.unchanged()?;
                Box::new(Stamped {
                    at: At {
                        file: Arc::clone(file),
                        pos: 0,
                    },
                    left: stamp.len.min(MAX_LIST_BYTES),
                    stamp: stamp.clone(),
                })
            }
            Bytes::Memory(bytes) => Box::new(io::Cursor::new(Arc::clone(bytes))),
        };
        Ok(Bounded::new(inner, quoted))
    }

    /// A field or line of the list as text.
    pub fn text<'b>(&self, bytes: &'b [u8]) -> Cow<'b, str> {
        match self.encoding {
            // Checked whole when the list was opened, or (`open_head`) before anything read in
            // this encoding is trusted; a record cut inside a character by the line bound
            // never gets here.
            Encoding::Utf8 => match std::str::from_utf8(bytes) {
                Ok(text) => Cow::Borrowed(text),
                Err(_) => String::from_utf8_lossy(bytes),
            },
            Encoding::Windows1252 => {
                encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(bytes)
                    .0
            }
        }
    }

    /// The lines of a plain list, one at a time: (line number, text before any `#` comment,
    /// trimmed) for each line that holds something.
    pub fn lines(&self) -> Result<ListLines, ListError> {
        Ok(ListLines {
            list: self.clone(),
            reader: BufReader::new(self.reader(false)?),
            buf: Vec::new(),
            line: 0,
        })
    }

    /// The error for an I/O error met while reading this list (a line too long, or the disk).
    pub fn error(&self, e: io::Error) -> ListError {
        let changed = e
            .get_ref()
            .is_some_and(|inner| inner.is::<ChangedWhileRead>());
        if changed {
            return ListError::Changed {
                file: self.name.clone(),
            };
        }
        match long_line(&e) {
            Some(line) => ListError::LongLine {
                file: self.name.clone(),
                line,
            },
            None => ListError::Io {
                file: self.name.clone(),
                source: e,
            },
        }
    }
}

/// A plain list's lines (see [`ListFile::lines`]).
pub struct ListLines {
    list: ListFile,
    reader: BufReader<Bounded<Box<dyn Read + Send>>>,
    buf: Vec<u8>,
    line: usize,
}

impl ListLines {
    /// The next line that holds something: its number and its text before any `#`, trimmed.
    pub fn next_entry(&mut self) -> Option<Result<(usize, Cow<'_, str>), ListError>> {
        let end = loop {
            self.buf.clear();
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => return Some(Err(self.list.error(e))),
            }
            self.line += 1;
            let end = memchr::memchr(b'#', &self.buf).unwrap_or(self.buf.len());
            if !self.buf[..end].iter().all(u8::is_ascii_whitespace) {
                break end;
            }
        };
        let text = match self.list.text(&self.buf[..end]) {
            Cow::Borrowed(t) => Cow::Borrowed(t.trim()),
            Cow::Owned(t) => Cow::Owned(t.trim().to_string()),
        };
        Some(Ok((self.line, text)))
    }
}

/// The line an I/O error from a [`Bounded`] reader names, when it is a line too long.
pub fn long_line(e: &io::Error) -> Option<usize> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<LongLine>())
        .map(|l| l.0)
}

#[derive(Debug)]
struct LongLine(usize);

impl std::fmt::Display for LongLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {} is longer than {MAX_LINE_BYTES} bytes", self.0)
    }
}

impl std::error::Error for LongLine {}

/// A reader that passes a list's bytes on without its byte-order mark and with CRLF made LF,
/// and fails at the first line (or, `quoted`, CSV record) longer than [`MAX_LINE_BYTES`], so
/// whatever reads from it never holds more than that of one line.
pub struct Bounded<R> {
    inner: R,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// The byte-order mark is still to be looked for.
    fresh: bool,
    /// A `\r` held back until the byte after it is seen.
    cr: bool,
    /// Bytes read but not yet handed over (`out` was full).
    pending: Vec<u8>,
    quoted: bool,
    in_quotes: bool,
    /// The record's first line is a `#` comment (quotes in it mean nothing).
    comment: bool,
    /// Whole lines may be handed on at once ([`Bounded::run`]); a test turns it off to read
    /// byte by byte.
    bulk: bool,
    at_record_start: bool,
    /// The line being read (1-based), and where its record began.
    line: usize,
    record_line: usize,
    record_bytes: usize,
}

impl<R: Read> Bounded<R> {
    fn new(inner: R, quoted: bool) -> Self {
        Bounded {
            inner,
            buf: vec![0; 1 << 16].into_boxed_slice(),
            start: 0,
            end: 0,
            fresh: true,
            cr: false,
            pending: Vec::new(),
            quoted,
            in_quotes: false,
            comment: false,
            bulk: true,
            at_record_start: true,
            line: 1,
            record_line: 1,
            record_bytes: 0,
        }
    }

    fn fill(&mut self) -> io::Result<bool> {
        if self.start < self.end {
            return Ok(true);
        }
        self.start = 0;
        self.end = loop {
            match self.inner.read(&mut self.buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        if self.fresh && self.end > 0 {
            self.fresh = false;
            // A mark cut across two reads is not a mark anyone writes: reads are 64 KiB.
            if self.buf[..self.end].starts_with(b"\xEF\xBB\xBF") {
                self.start = 3;
            }
        }
        Ok(self.start < self.end)
    }

    /// Takes from what was read, up to what `out` holds, the bytes that need only counting:
    /// lines (or records) that are neither blank nor `#` comments, each CR before an LF
    /// dropped, handed on a stretch at a time rather than a byte at a time. Stops before what
    /// `put` must see (a blank or comment line, a CR with nothing read after it). How many
    /// bytes it took, and how many it wrote.
    fn run(&mut self, out: &mut [u8]) -> io::Result<(usize, usize)> {
        // A record that starts with none of these is a row: blank and comment lines are `put`'s.
        let plain_start = |b: Option<&u8>| !matches!(b, None | Some(b'\n' | b'#' | b'\r'));
        let avail = &self.buf[self.start..self.end];
        let window = &avail[..avail.len().min(out.len())];
        if self.at_record_start {
            if !plain_start(window.first()) {
                return Ok((0, 0));
            }
            self.at_record_start = false;
            self.record_line = self.line;
            self.record_bytes = 0;
            self.comment = false;
        }
        let too_long = |record_bytes: usize, record_line: usize| {
            (record_bytes > MAX_LINE_BYTES)
                .then(|| io::Error::new(io::ErrorKind::InvalidData, LongLine(record_line)))
        };
        let mut taken = window.len();
        // `window[..counted]` is counted into the record, `window[..copied]` written or dropped.
        let (mut counted, mut copied, mut written) = (0, 0, 0);
        for at in memchr::memchr3_iter(b'\r', b'\n', b'"', window) {
            match window[at] {
                b'"' => self.in_quotes ^= self.quoted,
                b'\r' => match window.get(at + 1) {
                    // Whether it comes before an LF is for the next read to tell.
                    None => {
                        taken = at;
                        break;
                    }
                    Some(b'\n') => {
                        self.record_bytes += at - counted;
                        counted = at + 1;
                        out[written..written + at - copied].copy_from_slice(&window[copied..at]);
                        written += at - copied;
                        copied = at + 1;
                    }
                    // A CR alone is text.
                    Some(_) => {}
                },
                _ => {
                    self.record_bytes += at + 1 - counted;
                    counted = at + 1;
                    if let Some(e) = too_long(self.record_bytes, self.record_line) {
                        return Err(e);
                    }
                    self.line += 1;
                    if !self.in_quotes {
                        if !plain_start(window.get(at + 1)) {
                            self.at_record_start = true;
                            taken = at + 1;
                            break;
                        }
                        self.record_line = self.line;
                        self.record_bytes = 0;
                    }
                }
            }
        }
        self.record_bytes += taken - counted;
        if let Some(e) = too_long(self.record_bytes, self.record_line) {
            return Err(e);
        }
        out[written..written + taken - copied].copy_from_slice(&window[copied..taken]);
        written += taken - copied;
        self.start += taken;
        Ok((taken, written))
    }

    /// Counts `b` into the line and record it belongs to.
    fn count(&mut self, b: u8) -> io::Result<()> {
        if self.at_record_start {
            self.at_record_start = false;
            self.record_line = self.line;
            self.record_bytes = 0;
            self.comment = b == b'#';
        }
        self.record_bytes += 1;
        if self.record_bytes > MAX_LINE_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                LongLine(self.record_line),
            ));
        }
        if self.quoted && !self.comment && b == b'"' {
            self.in_quotes = !self.in_quotes;
        }
        if b == b'\n' {
            self.line += 1;
            if !self.in_quotes {
                self.at_record_start = true;
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        let mut n = 0;
        while n < out.len() && !self.pending.is_empty() {
            out[n] = self.pending.remove(0);
            n += 1;
        }
        while n < out.len() {
            if !self.fill()? {
                if std::mem::take(&mut self.cr) {
                    self.put(b'\r', out, &mut n)?;
                }
                break;
            }
            // The common case at speed: whole lines that are neither blank nor comments,
            // handed on in bulk.
            if !self.cr && !self.comment && self.bulk {
                let (taken, written) = self.run(&mut out[n..])?;
                n += written;
                if taken > 0 {
                    continue;
                }
            }
            let b = self.buf[self.start];
            self.start += 1;
            if std::mem::take(&mut self.cr) && b != b'\n' {
                self.put(b'\r', out, &mut n)?;
            }
            if b == b'\r' {
                self.cr = true;
                continue;
            }
            self.put(b, out, &mut n)?;
        }
        Ok(n)
    }
}

impl<R: Read> Bounded<R> {
    /// Counts `b` and hands it on, or in a CSV (`quoted`) what stands for it: a blank line or
    /// a `#` comment line becomes a line of one NUL byte ([`SKIPPED`]), which the CSV readers
    /// pass over as a record. The csv crate leaves out of its line numbers the lines it skips
    /// itself, so every line reaches it as a record, and records' lines are the file's.
    fn put(&mut self, b: u8, out: &mut [u8], n: &mut usize) -> io::Result<()> {
        let starts = self.at_record_start;
        let in_comment = self.comment && !starts;
        self.count(b)?;
        if self.quoted {
            if starts && (b == b'\n' || b == b'#') {
                self.hand(0, out, n);
                if b == b'\n' {
                    self.hand(b'\n', out, n);
                }
                return Ok(());
            }
            if in_comment {
                if b == b'\n' {
                    self.hand(b'\n', out, n);
                }
                return Ok(());
            }
        }
        self.hand(b, out, n);
        Ok(())
    }

    /// `b` into `out`, or held for the next read when `out` is full.
    fn hand(&mut self, b: u8, out: &mut [u8], n: &mut usize) {
        if *n < out.len() {
            out[*n] = b;
            *n += 1;
        } else {
            self.pending.push(b);
        }
    }
}

/// What a CSV's blank or comment line reads as, through a [`Bounded`] reader: a record of one
/// field holding a NUL byte, which no text list holds (it is refused as binary).
pub const SKIPPED: &[u8] = b"\0";

/// Reads a list through once: it must be text. UTF-8 if every byte is, else Windows-1252.
fn sniff(name: &str, mut reader: impl Read) -> Result<Encoding, ListError> {
    let mut sniff = Sniff::new(name);
    sniff.read(&mut reader)?;
    sniff.end()
}

/// What a reading of a list through, from its start, has found so far: whether it is text,
/// and which encoding it can be.
#[derive(Debug)]
struct Sniff {
    name: String,
    /// Every byte so far is UTF-8 (but for a character cut at the end of the last piece).
    utf8: bool,
    first: bool,
    line: usize,
    total: u64,
    /// A byte Windows-1252 leaves undefined, met before the file turned out not UTF-8.
    undefined_1252: Option<(u8, usize)>,
    /// The start of a character cut at the end of the last piece.
    carry: Vec<u8>,
}

impl Sniff {
    fn new(name: &str) -> Sniff {
        Sniff {
            name: name.to_string(),
            utf8: true,
            first: true,
            line: 1,
            total: 0,
            undefined_1252: None,
            carry: Vec::new(),
        }
    }

    fn not_text(&self, what: String) -> ListError {
        ListError::NotText {
            file: self.name.clone(),
            what,
        }
    }

    /// Reads `reader` to its end, a piece at a time.
    fn read(&mut self, mut reader: impl Read) -> Result<(), ListError> {
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(ListError::Io {
                        file: self.name.clone(),
                        source,
                    });
                }
            };
            self.piece(&buf[..n])?;
        }
    }

    /// The next piece of the list.
    fn piece(&mut self, chunk: &[u8]) -> Result<(), ListError> {
        self.total += chunk.len() as u64;
        if self.total > MAX_LIST_BYTES {
            return Err(ListError::TooLarge {
                file: self.name.clone(),
            });
        }
        if std::mem::take(&mut self.first)
            && let Some(what) = magic(chunk)
        {
            return Err(self.not_text(what.to_string()));
        }
        let lines_before = self.line;
        // Most lists are plain ASCII text: a chunk of only printable bytes, tabs and line ends
        // is checked in one sweep the compiler vectorizes, and is UTF-8 as it stands.
        if self.carry.is_empty()
            && chunk.iter().fold(true, |plain, &b| {
                plain & matches!(b, 0x20..=0x7E | b'\n' | b'\r' | b'\t')
            })
        {
            self.line += memchr::memchr_iter(b'\n', chunk).count();
            return Ok(());
        }
        for &b in chunk {
            match b {
                b'\n' => self.line += 1,
                b'\t' | b'\r' | 0x0C | 0x1A => {}
                0x00..=0x1F | 0x7F => {
                    return Err(self.not_text(format!(
                        "binary data (byte 0x{b:02X} on line {}, a control character text does not hold)",
                        self.line
                    )));
                }
                0x81 | 0x8D | 0x8F | 0x90 | 0x9D if self.undefined_1252.is_none() => {
                    self.undefined_1252 = Some((b, self.line));
                }
                _ => {}
            }
        }
        if self.utf8 {
            self.carry.extend_from_slice(chunk);
            let valid = match std::str::from_utf8(&self.carry) {
                Ok(text) => Some(text.len()),
                // A character cut at the end of the read: kept for the next.
                Err(e) if e.error_len().is_none() => Some(e.valid_up_to()),
                Err(_) => None,
            };
            match valid {
                Some(valid) => {
                    let text = std::str::from_utf8(&self.carry[..valid]).unwrap_or_default();
                    // C1 controls (U+0080-U+009F) drive some terminals as ESC does.
                    if let Some(at) = text.find(|c| matches!(c, '\u{80}'..='\u{9f}')) {
                        let line = lines_before + text[..at].matches('\n').count();
                        let c = text[at..].chars().next().map_or(0, u32::from);
                        return Err(self.not_text(format!(
                            "binary data (character U+{c:04X} on line {line}, a control character text does not hold)"
                        )));
                    }
                    self.carry.drain(..valid);
                }
                None => {
                    self.utf8 = false;
                    self.carry = Vec::new();
                }
            }
        }
        Ok(())
    }

    /// The encoding the list is read in so far: UTF-8 while every byte has been.
    fn so_far(&self) -> Encoding {
        if self.utf8 {
            Encoding::Utf8
        } else {
            Encoding::Windows1252
        }
    }

    /// The list has been read through: its encoding.
    fn end(self) -> Result<Encoding, ListError> {
        if self.utf8 && self.carry.is_empty() {
            return Ok(Encoding::Utf8);
        }
        if let Some((b, line)) = self.undefined_1252 {
            return Err(self.not_text(format!(
                "binary data (byte 0x{b:02X} on line {line} is neither UTF-8 nor Windows-1252 text)"
            )));
        }
        Ok(Encoding::Windows1252)
    }
}

/// What a file that is not text is, by its first bytes.
fn magic(head: &[u8]) -> Option<&'static str> {
    const KINDS: &[(&[u8], &str)] = &[
        (
            b"PK\x03\x04",
            "a zip archive (an .xlsx workbook is one): save the sheet as CSV",
        ),
        (b"PK\x05\x06", "an empty zip archive"),
        (
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
            "an Excel 97-2003 workbook (.xls) or another OLE document: save the sheet as CSV",
        ),
        (b"%PDF", "a PDF document"),
        (b"\x1F\x8B", "gzip-compressed data"),
        (b"\xFF\xFE", "UTF-16 text: save it as UTF-8"),
        (b"\xFE\xFF", "UTF-16 text: save it as UTF-8"),
    ];
    KINDS
        .iter()
        .find(|(magic, _)| head.starts_with(magic))
        .map(|(_, what)| *what)
}

/// `value` as a message quotes it: characters that do not print escaped (`\u{feff}`, `\0`),
/// and cut to a few dozen characters.
pub fn shown(value: &str) -> String {
    let mut out = String::new();
    for (i, c) in value.chars().enumerate() {
        if i == SHOWN_CHARS {
            out.push_str("...");
            break;
        }
        if c.is_control()
            || matches!(c, '\u{feff}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}')
        {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8], quoted: bool) -> Result<Vec<u8>, Option<usize>> {
        let list = ListFile::from_bytes("l.txt", bytes).unwrap();
        let mut out = Vec::new();
        list.reader(quoted)
            .unwrap()
            .read_to_end(&mut out)
            .map_err(|e| long_line(&e))?;
        Ok(out)
    }

    /// `bytes` through a [`Bounded`] reader, `size` bytes asked for at a time, `bulk` or byte
    /// by byte: what it hands on, or the line it finds too long.
    fn bounded(bytes: &[u8], quoted: bool, bulk: bool, size: usize) -> Result<Vec<u8>, String> {
        let mut reader = Bounded::new(io::Cursor::new(bytes.to_vec()), quoted);
        reader.bulk = bulk;
        let mut out = Vec::new();
        let mut buf = vec![0u8; size];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return Ok(out),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => return Err(format!("{:?} after {} bytes", long_line(&e), out.len())),
            }
        }
    }

    /// Pieces a list is made of: what `Bounded` looks at (quotes, CR, LF, `#`, a mark), text,
    /// and now and then a run long enough to pass the line bound.
    fn piece() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        prop_oneof![
            8 => proptest::sample::select(vec![
                &b"\""[..], b"\r", b"\n", b"\r\n", b"#", b",", b" ", b"E1392", b"\xEF\xBB\xBF",
            ])
            .prop_map(<[u8]>::to_vec),
            1 => (MAX_LINE_BYTES / 2..MAX_LINE_BYTES + 40).prop_map(|n| vec![b'x'; n]),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        /// Lines handed on in bulk are the bytes, and the errors, of lines read a byte at a
        /// time, however much a caller asks for at once.
        #[test]
        fn bulk_reading_hands_on_what_reading_byte_by_byte_does(
            pieces in proptest::collection::vec(piece(), 0..60),
            quoted: bool,
            size in proptest::prop_oneof![1usize..16, 16usize..100_000],
        ) {
            let bytes = pieces.concat();
            proptest::prop_assert_eq!(
                bounded(&bytes, quoted, true, size),
                bounded(&bytes, quoted, false, size)
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]
        /// A list opened by its head and read through after says what a list read through at
        /// once says: the same encoding, or the same refusal, wherever its bytes lie.
        #[test]
        fn a_list_opened_by_its_head_is_what_it_is_opened_whole(
            size in (HEAD_BYTES as usize - 8)..(3 * HEAD_BYTES as usize),
            odd in proptest::collection::vec(
                (proptest::prop_oneof![
                    0.0..1.0f64,
                    // Right at the head's end, where a character may be cut in two.
                    proptest::strategy::Strategy::prop_map(HEAD_BYTES as usize - 3..HEAD_BYTES as usize + 3, |at| at as f64 / -1.0),
                ], proptest::sample::select(vec![
                    &b"\x00"[..], b"\xe9", b"\xc3\xa9", b"\xc2\x9b", b"\x81", b"\x1b", b"\xe2\x82\xac", b"#",
                ])),
                0..3,
            ),
        ) {
            let mut bytes: Vec<u8> = b"HCPCS,note\n".iter().copied().cycle().take(size).collect();
            for (at, what) in &odd {
                // A fraction of the size, or (negative) an offset.
                let at = if *at < 0.0 { -at as usize } else { (at * size as f64) as usize }.min(size);
                bytes.splice(at..at, what.iter().copied());
            }
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("l.csv");
            std::fs::write(&path, &bytes).unwrap();
            let whole = ListFile::open("l.csv", &path).map(|l| l.encoding).map_err(|e| e.to_string());
            let by_head = ListFile::open_head("l.csv", &path)
                .and_then(|(list, unread)| match unread {
                    Some(unread) => unread.finish(&list),
                    None => Ok(list),
                })
                .map(|l| l.encoding)
                .map_err(|e| e.to_string());
            proptest::prop_assert_eq!(by_head, whole);
        }
    }

    #[test]
    fn a_mark_and_crlf_are_dropped_a_lone_cr_kept() {
        assert_eq!(
            read_all(b"\xEF\xBB\xBFE1392\r\nRR\r\n", false).unwrap(),
            b"E1392\nRR\n"
        );
        assert_eq!(read_all(b"a\rb\r", false).unwrap(), b"a\rb\r");
    }

    #[test]
    fn lines_and_records_are_bounded() {
        let mut long = b"E1392\n".to_vec();
        long.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 1));
        assert_eq!(read_all(&long, false), Err(Some(2)));
        // A quoted field over many short lines is one record.
        let mut quoted = b"HCPCS,note\nE1392,\"".to_vec();
        for _ in 0..MAX_LINE_BYTES / 10 + 1 {
            quoted.extend_from_slice(b"123456789\n");
        }
        quoted.extend_from_slice(b"\"\n");
        assert_eq!(read_all(&quoted, true), Err(Some(2)));
        assert!(read_all(&quoted, false).is_ok());
        // An odd quote in a comment line opens nothing.
        assert!(read_all(b"# it's \"here\nE1392\n", true).is_ok());
    }

    #[test]
    fn binary_files_are_named_by_what_they_look_like() {
        let err = |b: &[u8]| ListFile::from_bytes("x", b).unwrap_err().to_string();
        assert!(err(b"PK\x03\x04rest").contains("a zip archive"));
        assert!(err(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1").contains("97-2003"));
        assert_eq!(
            err(b"E1392\nE0\x00424\n"),
            "x: not a text file: it looks like binary data (byte 0x00 on line 2, a control character text does not hold)"
        );
        assert!(err(b"E1392 \x81\xFF\n").contains("byte 0x81 on line 1"));
        assert!(err("E1392\nE0424\u{9b}\n".as_bytes()).contains("character U+009B on line 2"));
        let list = ListFile::from_bytes("x", b"E1392 caf\xE9\n").unwrap();
        assert_eq!(list.encoding, Encoding::Windows1252);
        assert_eq!(list.text(b"caf\xE9"), "caf\u{e9}");
        let list = ListFile::from_bytes("x", "E1392 caf\u{e9}\n".as_bytes()).unwrap();
        assert_eq!(list.encoding, Encoding::Utf8);
    }

    #[test]
    fn shown_values_are_escaped_and_cut() {
        assert_eq!(shown("\u{feff}E1392"), "\\u{feff}E1392");
        assert_eq!(shown(&"x".repeat(100)), format!("{}...", "x".repeat(40)));
    }

    #[test]
    fn blank_and_comment_lines_of_a_csv_are_records_of_a_nul() {
        assert_eq!(
            read_all(
                b"\xEF\xBB\xBFHCPCS\r\n\r\n# a \"note\", here\r\nE1392\n\n",
                true
            )
            .unwrap(),
            b"HCPCS\n\0\n\0\nE1392\n\0\n"
        );
        // A `#` or a line end inside a quoted field is the field's.
        assert_eq!(
            read_all(b"a,b\n\"x\n\n# y\",1\n", true).unwrap(),
            b"a,b\n\"x\n\n# y\",1\n"
        );
        // A watch list's lines pass as they are.
        assert_eq!(
            read_all(b"# c\n\nE1392\n", false).unwrap(),
            b"# c\n\nE1392\n"
        );
        // Read a byte at a time, the same bytes.
        let list = ListFile::from_bytes("l.csv", b"a\r\n\r\n#x\r\nb\r\n").unwrap();
        let mut reader = list.reader(true).unwrap();
        let mut out = Vec::new();
        let mut byte = [0u8; 1];
        while reader.read(&mut byte).unwrap() == 1 {
            out.push(byte[0]);
        }
        assert_eq!(out, b"a\n\0\n\0\nb\n");
    }

    #[test]
    fn a_list_changed_in_place_between_two_readings_is_an_error() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("claims.csv");
        std::fs::write(&path, "HCPCS\nE1392\n").unwrap();
        let list = ListFile::open("claims.csv", &path).unwrap();
        assert!(list.reader(true).is_ok());
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(b"E0424\n").unwrap();
        let err = list.reader(true).err().unwrap();
        assert!(matches!(err, ListError::Changed { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("claims.csv: changed while it was being read")
        );
        // A file renamed over it is not read: the list is the file first opened.
        let list = ListFile::open("claims.csv", &path).unwrap();
        let other = dir.path().join("other.csv");
        std::fs::write(&other, "HCPCS\nJ9999\n").unwrap();
        std::fs::rename(&other, &path).unwrap();
        let mut text = String::new();
        list.reader(true)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "HCPCS\nE1392\nE0424\n");
    }

    /// A list changed in place, or grown, while one reading of it is under way is an error at
    /// the end of that reading: what it read may mix two versions of the file. What was
    /// written after the list was first read is not read.
    #[test]
    fn a_list_changed_while_it_is_read_is_an_error_at_the_end_of_the_reading() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("claims.csv");
        std::fs::write(&path, "HCPCS\nE1392\n").unwrap();
        // Grown: the reading stops where the file ended, then says so.
        let list = ListFile::open("claims.csv", &path).unwrap();
        let mut reader = list.reader(true).unwrap();
        let mut head = [0u8; 6];
        reader.read_exact(&mut head).unwrap();
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(b"ZZ999\n").unwrap();
        let mut rest = Vec::new();
        let err = reader.read_to_end(&mut rest).unwrap_err();
        assert!(!String::from_utf8_lossy(&rest).contains("ZZ999"));
        assert!(matches!(list.error(err), ListError::Changed { .. }));
        // Changed in place, the same size: its time tells.
        std::fs::write(&path, "HCPCS\nE1392\n").unwrap();
        let list = ListFile::open("claims.csv", &path).unwrap();
        let mut reader = list.reader(true).unwrap();
        reader.read_exact(&mut head).unwrap();
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        (&file).write_all(b"HCPCS\nZZ999\n").unwrap();
        file.set_modified(std::time::SystemTime::UNIX_EPOCH)
            .unwrap();
        let err = reader.read_to_end(&mut rest).unwrap_err();
        assert!(matches!(list.error(err), ListError::Changed { .. }));
        // Unchanged: it reads to its end.
        let list = ListFile::open("claims.csv", &path).unwrap();
        let mut text = String::new();
        list.reader(true)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "HCPCS\nZZ999\n");
    }
}
