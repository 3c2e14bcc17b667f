//! Readers: one file per form CMS has shipped (fixed-width text, xlsx/xls workbook, CSV). Each
//! maps its input onto the layout table as `RawRow`s with their locations; checking and typing
//! the values is `normalize`'s job, so every form is judged by the same rules. `list` reads
//! the lists users hand a command (watch lists, audit's input), not releases.

pub mod corrections;
pub mod csv;
pub mod layout;
pub mod legacy;
pub mod list;
pub mod tabular;
pub mod text;
pub mod workbook;

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{FileProblem, Location, ReadError, Warning};
use layout::RawRow;

/// The most bytes unpacked from one input (a zip's members together, an xlsx's parts together,
/// a folder's files together) unless told otherwise: 100 MiB, 20 times the largest real release
/// file (the 5.1 MB text in CMS's January 2025 zip) and 13 times the most a real zip unpacks to
/// (7.9 MB, 2020's). A zip bomb stops here.
pub const DEFAULT_MAX_UNPACKED: u64 = 100 << 20;

static MAX_UNPACKED: AtomicU64 = AtomicU64::new(DEFAULT_MAX_UNPACKED);

/// The cap on unpacked bytes in force (`--max-unpacked-mb`).
pub fn max_unpacked() -> u64 {
    MAX_UNPACKED.load(Ordering::Relaxed)
}

pub fn set_max_unpacked(bytes: u64) {
    MAX_UNPACKED.store(bytes, Ordering::Relaxed);
}

/// The signature an xls (an OLE compound file) opens with.
pub(crate) const XLS_SIGNATURE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// All of `reader` if it holds at most `limit` bytes, else `None` (having read `limit + 1`).
/// `hint` (a declared size, untrusted) only sizes the first allocation, never past `limit`:
/// a right one reads a large file into memory once, where a growing buffer is copied each time
/// it doubles (and touches twice the memory); a wrong one costs address space, not memory, as
/// pages never written are never given.
pub fn read_capped(reader: impl Read, limit: u64, hint: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut out = Vec::with_capacity(usize::try_from(hint.min(limit)).unwrap_or(0));
    reader.take(limit.saturating_add(1)).read_to_end(&mut out)?;
    Ok((out.len() as u64 <= limit).then_some(out))
}

/// `value.trim()` (Unicode white space off both ends), with ASCII white space taken off a byte
/// at a time first: a fixed-width field is padded with spaces, which `str::trim` decodes a
/// character at a time. Where what is left starts or ends outside printable ASCII, `str::trim`
/// finishes the work (a no-break space, a vertical tab, which `trim_ascii` leaves).
pub fn trim(value: &str) -> &str {
    let trimmed = value.trim_ascii();
    let plain = |b: Option<&u8>| b.is_none_or(|b| b.is_ascii() && *b != 0x0B);
    match trimmed.as_bytes() {
        bytes if plain(bytes.first()) && plain(bytes.last()) => trimmed,
        _ => trimmed.trim(),
    }
}

/// One input row (a text line, a sheet row, a CSV record) and where it came from.
#[derive(Debug, Clone)]
pub struct Row {
    pub at: Location,
    pub raw: RawRow,
}

/// A reader's output: rows in file order and the defects it repaired.
#[derive(Debug, Default)]
pub struct Parsed {
    pub rows: Vec<Row>,
    pub warnings: Vec<Warning>,
    /// Characters HCPCS text never holds, where the text has them (`text::damaged_chars`):
    /// reported, and repaired from the release's workbook where it has one, once the records
    /// are built.
    pub damaged: Vec<Damage>,
}

/// A character outside printable ASCII in a fixed-width text's field: a damaged byte (CMS's
/// 2012 text has 0xF6 where its workbook has a quote).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub at: Location,
    pub code: String,
    pub field: layout::Field,
    /// 1-based column of the line.
    pub column: usize,
    pub ch: char,
}

/// The forms a release file comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Text,
    Xlsx,
    Xls,
    Csv,
}

/// What a file's bytes are, judged by content (the name only breaks a tie between text and CSV).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Zip,
    Release(Form),
    Html,
    Empty,
    Other,
}

pub fn sniff(name: &str, bytes: &[u8]) -> Sniffed {
    if bytes.is_empty() {
        return Sniffed::Empty;
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        // An xlsx is a zip with a workbook part; a CMS release zip holds files by name.
        let is_xlsx = zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .map(|z| {
                z.file_names()
                    .any(|n| n.is_ok_and(|n| n == "xl/workbook.xml"))
            })
            .unwrap_or(false);
        return if is_xlsx {
            Sniffed::Release(Form::Xlsx)
        } else {
            Sniffed::Zip
        };
    }
    if bytes.starts_with(&XLS_SIGNATURE) {
        return Sniffed::Release(Form::Xls);
    }
    let head = text::decode(&bytes[..bytes.len().min(4096)]);
    let lower = head.trim_start().to_ascii_lowercase();
    if lower.starts_with("<!doctype html") || lower.starts_with("<html") {
        return Sniffed::Html;
    }
    if lines(bytes).any(text::looks_like_record) {
        return Sniffed::Release(Form::Text);
    }
    let first = head.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let csv_name = name.to_ascii_lowercase().ends_with(".csv");
    if (csv_name || first.contains(',')) && layout::header_key(first).starts_with("HCPC") {
        return Sniffed::Release(Form::Csv);
    }
    Sniffed::Other
}

/// The lines of `bytes`, split at each `\n`.
pub fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    let mut ends = memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len()));
    std::iter::from_fn(move || {
        let end = ends.next()?;
        let line = &bytes[start..end];
        start = end + 1;
        Some(line)
    })
}

/// How many lines of `bytes` look like fixed-width records, and how many are not blank; ranks
/// candidate files in a zip.
pub fn count_lines(bytes: &[u8]) -> (usize, usize) {
    lines(bytes)
        .filter(|l| !l.trim_ascii().is_empty())
        .fold((0, 0), |(records, lines), l| {
            (records + usize::from(text::looks_like_record(l)), lines + 1)
        })
}

/// Reads `bytes` in `form`; `file` names the input in messages.
pub fn read(file: &str, bytes: &[u8], form: Form) -> Result<Parsed, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::file(file, FileProblem::Empty));
    }
    match form {
        Form::Text => text::read(file, bytes),
        Form::Xlsx => workbook::read(file, bytes, false),
        Form::Xls => workbook::read(file, bytes, true),
        Form::Csv => csv::read(file, bytes),
    }
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        /// The fast trim is `str::trim`, whatever white space, ASCII or not, pads the value.
        #[test]
        fn trim_is_str_trim(value in "[ a~\t\r\n\u{b}\u{c}\u{1f}\u{a0}\u{85}\u{2003}é]{0,10}") {
            proptest::prop_assert_eq!(super::trim(&value), value.trim());
        }
    }
}
