//! The fixed-width text release (`12anweb.txt`, `HCPC2025_JAN_ANWEB_*.txt`): Windows-1252 bytes,
//! CRLF or LF lines, disclaimer or note lines before the first record, 293- or 320-character
//! first lines and continuation lines that may be shorter or right-trimmed.

use super::layout::{CONTINUATION_MIN_LEN, FIRST_LINE_MIN_LEN, Field, LAYOUT, RawRow, spec_of};
use super::{Parsed, Row};
use crate::error::{FileProblem, Location, ReadError, Warning};

/// Whether `line` looks like a record: a code right-aligned in columns 1-5 and a record
/// identification code in column 11. Used to find where the data starts and to sniff files.
/// A stray byte in the code's blank padding still counts (see `stray_padding`).
pub fn looks_like_record(line: &[u8]) -> bool {
    if line.len() < CONTINUATION_MIN_LEN || !matches!(line[10], b'3' | b'4' | b'7' | b'8') {
        return false;
    }
    let code = line[..5].trim_ascii_start();
    let clean = (code.len() == 5 || code.len() == 2) && code.iter().all(u8::is_ascii_alphanumeric);
    clean || {
        let chars: Vec<char> = line.iter().take(11).map(|&b| char::from(b)).collect();
        stray_padding(&chars).is_some()
    }
}

/// A line above the first record with a record's sequence number and identification code but
/// no readable code: it is reported, not taken for a disclaimer without a word.
fn damaged_record(line: &str, at: &Location) -> Option<Warning> {
    let chars: Vec<char> = line.chars().take(11).collect();
    let damaged = chars.len() == 11
        && chars[5..10].iter().all(char::is_ascii_digit)
        && matches!(chars[10], '3' | '4' | '7' | '8');
    damaged.then(|| Warning {
        at: at.clone(),
        field: Some(spec_of(Field::Code).name),
        message: format!(
            "the line has a record's sequence number and identification code, but {:?} is not a code; skipped",
            chars[..5].iter().collect::<String>()
        ),
    })
}

/// Where the code field (columns 1-5) holds a right-aligned modifier whose blank padding has a
/// stray non-alphanumeric character (older 293-character files carry the odd byte there), and
/// the rest of the line's start is sound (a 5-digit sequence number, a record identification
/// code for a modifier): the positions of the stray characters.
fn stray_padding(chars: &[char]) -> Option<Vec<usize>> {
    let field = chars.get(..5)?;
    let sound = chars.get(5..10)?.iter().all(char::is_ascii_digit)
        && matches!(chars.get(10), Some('7' | '8'));
    let code_ok = field[3..].iter().all(char::is_ascii_alphanumeric);
    let stray: Vec<usize> = (0..3)
        .filter(|&i| field[i] != ' ' && !field[i].is_ascii_alphanumeric())
        .collect();
    let rest_blank = (0..3).all(|i| stray.contains(&i) || field[i] == ' ');
    (sound && code_ok && rest_blank && !stray.is_empty()).then_some(stray)
}

/// Blanks stray characters in the code field's padding, with a warning that names them.
fn repair_padding(mut chars: Vec<char>, at: &Location, warnings: &mut Vec<Warning>) -> Vec<char> {
    if let Some(stray) = stray_padding(&chars) {
        let found: Vec<String> = stray
            .iter()
            .map(|&i| {
                format!(
                    "{:?} (U+{:04X}) in column {}",
                    chars[i],
                    u32::from(chars[i]),
                    i + 1
                )
            })
            .collect();
        for &i in &stray {
            chars[i] = ' ';
        }
        warnings.push(Warning {
            at: at.clone(),
            field: Some(spec_of(Field::Code).name),
            message: format!(
                "stray character {} in the blank padding of the code field; read as blank",
                found.join(", ")
            ),
        });
    }
    chars
}

/// Decodes Windows-1252 text (ASCII is a subset, so UTF-8-free CMS files decode exactly).
pub fn decode(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    encoding_rs::WINDOWS_1252.decode(bytes).0
}

pub fn read(file: &str, bytes: &[u8]) -> Result<Parsed, ReadError> {
    let mut rows = Vec::new();
    let (warnings, damaged) = read_each(file, bytes, |row| rows.push(row))?;
    Ok(Parsed {
        rows,
        warnings,
        damaged,
    })
}

/// How a text whose first bytes are `head` is decoded a line at a time: in the encoding its
/// byte-order mark names, else Windows-1252, with the mark's length to skip. `None` for UTF-16,
/// where a `\n` byte may be half of another character: such a text is decoded whole.
pub fn line_encoding(head: &[u8]) -> Option<(&'static encoding_rs::Encoding, usize)> {
    use encoding_rs::{UTF_8, WINDOWS_1252};
    let (encoding, bom) = encoding_rs::Encoding::for_bom(head).unwrap_or((WINDOWS_1252, 0));
    (encoding == WINDOWS_1252 || encoding == UTF_8).then_some((encoding, bom))
}

/// The lines of `bytes` decoded as `decode` decodes the whole text (a byte-order mark says
/// UTF-8 or UTF-16, else Windows-1252), without holding the decoded text whole where that
/// is not needed: in Windows-1252 and UTF-8 a `\n` byte is always a line's end, so each line
/// decodes alone as it would within the text.
fn decoded_lines<'a>(
    bytes: &'a [u8],
    whole: &'a mut std::borrow::Cow<'a, str>,
) -> Box<dyn Iterator<Item = std::borrow::Cow<'a, str>> + 'a> {
    if let Some((encoding, bom)) = line_encoding(bytes) {
        return Box::new(
            super::lines(&bytes[bom..]).map(move |l| encoding.decode_without_bom_handling(l).0),
        );
    }
    *whole = decode(bytes);
    Box::new(whole.split('\n').map(std::borrow::Cow::Borrowed))
}

/// Reads `bytes` a line at a time, giving each record row to `each` in file order as it is
/// cut (a large text need not hold all its rows at once); then the reader's warnings and
/// damaged characters, as `read` gives them.
pub fn read_each(
    file: &str,
    bytes: &[u8],
    mut each: impl FnMut(Row),
) -> Result<(Vec<Warning>, Vec<super::Damage>), ReadError> {
    let mut lines = Lines::new(file);
    let mut whole = std::borrow::Cow::Borrowed("");
    for line in decoded_lines(bytes, &mut whole) {
        lines.line(&line, &mut each)?;
    }
    lines.finish(bytes.is_empty())
}

/// The reader's state between lines: `line` takes each decoded line of the text in turn (line
/// ends split off), `finish` says what was met.
struct Lines<'f> {
    file: &'f str,
    warnings: Vec<Warning>,
    damaged: Vec<super::Damage>,
    /// Lines so far.
    number: usize,
    /// Whether the first record has been met.
    started: bool,
    rows: usize,
}

impl<'f> Lines<'f> {
    fn new(file: &'f str) -> Self {
        Lines {
            file,
            warnings: Vec::new(),
            damaged: Vec::new(),
            number: 0,
            started: false,
            rows: 0,
        }
    }

    fn line(&mut self, line: &str, each: &mut impl FnMut(Row)) -> Result<(), ReadError> {
        self.number += 1;
        let at = Location::Line(self.number);
        let line = line.strip_suffix('\r').unwrap_or(line);
        if super::trim(line).is_empty() {
            return Ok(());
        }
        if !self.started {
            // CMS puts disclaimers and notes above the data in some years; they end where the
            // first record begins.
            if !looks_like_record(line.as_bytes()) {
                self.warnings.extend(damaged_record(line, &at));
                return Ok(());
            }
            self.started = true;
        }
        let raw = record_row(self.file, line, &at, &mut self.warnings, &mut self.damaged)?;
        self.rows += 1;
        each(Row { at, raw });
        Ok(())
    }

    /// `empty`: the file had no bytes at all.
    fn finish(self, empty: bool) -> Result<(Vec<Warning>, Vec<super::Damage>), ReadError> {
        if self.rows == 0 {
            let problem = if empty {
                FileProblem::Empty
            } else {
                FileProblem::NoRecords
            };
            return Err(ReadError::file(self.file, problem));
        }
        Ok((self.warnings, self.damaged))
    }
}

/// A text read from `reader` a piece at a time, never held whole: what `read_each` gives
/// for the same bytes, and their SHA-256 (hashed on a second thread as they are read).
pub struct Streamed {
    pub warnings: Vec<Warning>,
    pub damaged: Vec<super::Damage>,
    /// SHA-256 (hex) of every byte read.
    pub sha256: String,
}

/// Why a text read a piece at a time stopped.
#[derive(Debug)]
pub enum StreamError {
    /// Reading failed, or the text passed `limit` bytes: nothing of it was judged.
    Io(std::io::Error),
    TooLarge,
    /// What `read_each` would have said of the same bytes.
    Read(ReadError),
}

/// How many bytes are read at a time.
const PIECE: usize = 1 << 20;

/// Reads the text from `reader`, at most `limit` bytes, a piece at a time: each line decoded
/// with `encoding` (Windows-1252 or UTF-8; `skip` bytes of byte-order mark first), each record
/// row given to `each` as `read_each` gives it. The pieces go to a second thread that hashes
/// them, so the bytes are hashed while they are read and cut. A line longer than a piece
/// grows the buffer, within `limit`.
pub fn read_stream(
    file: &str,
    mut reader: impl std::io::Read,
    limit: u64,
    encoding: &'static encoding_rs::Encoding,
    skip: usize,
    mut each: impl FnMut(Row),
) -> Result<Streamed, StreamError> {
    use sha2::Digest;
    let (pieces, received) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
    // Each piece hashed comes back to be filled again: a fresh copy per read would be fresh
    // memory, its pages cleared by the kernel, and freed on the other thread.
    let (back, spare) = std::sync::mpsc::channel::<Vec<u8>>();
    let hasher = std::thread::Builder::new()
        .spawn(move || {
            let mut hasher = sha2::Sha256::new();
            for piece in received {
                hasher.update(&piece);
                // This side gone (it has read the file through) wants no more buffers.
                let _ = back.send(piece);
            }
            crate::model::hex(&hasher.finalize())
        })
        .map_err(StreamError::Io)?;
    let mut lines = Lines::new(file);
    // The first error the reader meets; reading and hashing go on to the end, so that an
    // error of reading the file (or its size) is said before it, as when the file was read
    // whole first.
    let mut failed: Option<ReadError> = None;
    // The bytes read and not yet cut are `buffer[..filled]`: a last line not yet ended.
    let mut buffer = vec![0u8; PIECE];
    let mut filled = 0;
    let mut total: u64 = 0;
    let mut skip = skip;
    loop {
        if filled == buffer.len() {
            // A line longer than the buffer: room for more of it.
            buffer.resize(buffer.len() + PIECE, 0);
        }
        let n = loop {
            match reader.read(&mut buffer[filled..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(StreamError::Io(e)),
            }
        };
        let read = &buffer[filled..filled + n];
        total += n as u64;
        if total > limit {
            return Err(StreamError::TooLarge);
        }
        // A hasher gone (it cannot be) leaves the digest missing: an error below.
        let mut piece = spare.try_recv().unwrap_or_default();
        piece.clear();
        piece.extend_from_slice(read);
        let _ = pieces.send(piece);
        let end = if n == 0 {
            filled
        } else {
            match memchr::memrchr(b'\n', read) {
                Some(i) => filled + i + 1,
                None => {
                    filled += n;
                    continue;
                }
            }
        };
        let skipped = skip.min(end);
        skip -= skipped;
        if failed.is_none() {
            let mut done = &buffer[skipped..end];
            // Each line up to its `\n`; at the end, the last line (even empty) as `lines` gives.
            while let Some(i) = memchr::memchr(b'\n', done) {
                let line = encoding.decode_without_bom_handling(&done[..i]).0;
                if let Err(e) = lines.line(&line, &mut each) {
                    failed = Some(e);
                    break;
                }
                done = &done[i + 1..];
            }
            if n == 0 && failed.is_none() {
                let line = encoding.decode_without_bom_handling(done).0;
                if let Err(e) = lines.line(&line, &mut each) {
                    failed = Some(e);
                }
            }
        }
        if n == 0 {
            break;
        }
        buffer.copy_within(end..filled + n, 0);
        filled = filled + n - end;
    }
    drop(pieces);
    let sha256 = hasher.join().map_err(|_| {
        StreamError::Io(std::io::Error::other("the thread hashing the file stopped"))
    })?;
    if let Some(e) = failed {
        return Err(StreamError::Read(e));
    }
    let (warnings, damaged) = lines.finish(total == 0).map_err(StreamError::Read)?;
    Ok(Streamed {
        warnings,
        damaged,
        sha256,
    })
}

/// A record line cut into its fields by the layout table, repaired where CMS's files are known
/// to be damaged (stray padding, a tab), its damaged characters noted. A line of printable
/// ASCII with a clean code field, nearly every line, needs none of that and is taken as it is.
fn record_row(
    file: &str,
    line: &str,
    at: &Location,
    warnings: &mut Vec<Warning>,
    damaged: &mut Vec<super::Damage>,
) -> Result<RawRow, ReadError> {
    let bytes = line.as_bytes();
    let plain = bytes.iter().all(|b| matches!(b, b' '..=b'~'))
        && bytes[..3.min(bytes.len())]
            .iter()
            .all(|b| *b == b' ' || b.is_ascii_alphanumeric());
    if plain {
        let first = first_line(file, bytes.get(10).map_or(' ', |&b| char::from(b)), at)?;
        check_length(file, bytes.len(), first, at)?;
        warnings.extend(past_the_layout(line, first, at));
        return Ok(RawRow::from_line(line.to_string()));
    }
    let chars = repair_padding(line.chars().collect(), at, warnings);
    let first = first_line(file, chars.get(10).copied().unwrap_or(' '), at)?;
    let chars = if first {
        repair_tabs(chars, at, warnings)
    } else {
        chars
    };
    check_length(file, chars.len(), first, at)?;
    let line: String = chars.into_iter().collect();
    warnings.extend(past_the_layout(&line, first, at));
    let chars: Vec<char> = line.chars().collect();
    damaged.extend(damaged_chars(&chars, at));
    Ok(RawRow::from_line(chars.into_iter().collect()))
}

/// Whether a record identification code starts a code (3, 7) or continues one (4, 8).
fn first_line(file: &str, ric: char, at: &Location) -> Result<bool, ReadError> {
    match ric {
        '3' | '7' => Ok(true),
        '4' | '8' => Ok(false),
        other => Err(ReadError::Field {
            file: file.to_string(),
            at: at.clone(),
            field: "record identification code",
            problem: format!(
                "'{other}' is not a record identification code (3 or 7 start a code, 4 or 8 continue its description)"
            ),
        }),
    }
}

/// A record line of `chars` characters is long enough to hold its fields.
fn check_length(file: &str, chars: usize, first: bool, at: &Location) -> Result<(), ReadError> {
    let needed = if first {
        FIRST_LINE_MIN_LEN
    } else {
        CONTINUATION_MIN_LEN
    };
    if chars < needed {
        return Err(ReadError::Record {
            file: file.to_string(),
            at: at.clone(),
            problem: format!(
                "record line too short: {chars} characters, a {} line needs {needed} to hold its fields",
                if first { "first" } else { "continuation" }
            ),
        });
    }
    Ok(())
}

/// Characters past the last column the layout reads (the action code's on a first line, the
/// long description's on a continuation line) that are not blank: the line is longer than
/// its layout and they would be lost without a word (a character slipped into a continuation
/// line pushes the description's last letter out). No real text from 2012 to 2025 has one.
fn past_the_layout(line: &str, first: bool, at: &Location) -> Option<Warning> {
    let last = if first {
        FIRST_LINE_MIN_LEN
    } else {
        description_end()
    };
    // A plain line's characters are its bytes: looked for a byte at a time.
    let offset = if line.is_ascii() {
        last + line
            .as_bytes()
            .get(last..)?
            .iter()
            .position(|b| *b != b' ')?
    } else {
        line.chars()
            .enumerate()
            .skip(last)
            .find(|(_, c)| *c != ' ')?
            .0
    };
    let text: String = line.chars().skip(offset).take(40).collect();
    let text = text.trim_end();
    let more = if line.chars().count() > offset + 40 {
        "..."
    } else {
        ""
    };
    Some(Warning {
        at: at.clone(),
        field: None,
        message: format!(
            "the line is longer than its layout: {text:?}{more} from column {} is past the last \
             column read ({last}, the {}), and is not read",
            offset + 1,
            if first {
                "action code"
            } else {
                "long description's end"
            }
        ),
    })
}

/// Typographic characters CMS's files do hold beyond ASCII: a no-break space (2019's text), a
/// curly quote (2020's), dashes and the symbols a Windows-1252 export writes.
const TYPOGRAPHIC: &[char] = &[
    '\u{A0}', '\u{2013}', '\u{2014}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}',
    '\u{2026}', '\u{B0}', '\u{B1}', '\u{2264}', '\u{2265}', '\u{AE}', '\u{2122}', '\u{A9}',
    '\u{BD}', '\u{BC}', '\u{BE}', '\u{D7}', '\u{B5}',
];

/// A character HCPCS text never holds: not printable ASCII, a tab (repaired by `repair_tabs`
/// on first lines) or a typographic character (`TYPOGRAPHIC`). No real text from 2016 to 2025
/// has one; 2012's has `ö` and `Æ`, 2013's `á`, each a damaged byte.
pub fn is_damaged(c: char) -> bool {
    !matches!(c, ' '..='~' | '\t') && !TYPOGRAPHIC.contains(&c)
}

/// Characters of a record line HCPCS text never holds (`is_damaged`), with the field each
/// falls in.
fn damaged_chars(chars: &[char], at: &Location) -> Vec<super::Damage> {
    let code: String = chars.iter().take(5).collect::<String>().trim().to_string();
    chars
        .iter()
        .enumerate()
        .filter(|(_, c)| is_damaged(**c))
        .filter_map(|(i, &ch)| {
            let spec = LAYOUT
                .iter()
                .find(|s| (s.start..=s.end()).contains(&(i + 1)))?;
            Some(super::Damage {
                at: at.clone(),
                code: code.clone(),
                field: spec.field,
                column: i + 1,
                ch,
            })
        })
        .collect()
}

/// The last column of the long description: all a continuation line holds.
fn description_end() -> usize {
    spec_of(Field::LongDescription).end()
}

/// A tab in a first line shifts every later field: CMS's 2012 file has one where two spaces
/// belong. When the line is short by exactly the width the single tab should have filled, the
/// tab is widened so the fields line up again; anything else is left for the length check.
fn repair_tabs(mut chars: Vec<char>, at: &Location, warnings: &mut Vec<Warning>) -> Vec<char> {
    let tabs: Vec<usize> = chars
        .iter()
        .enumerate()
        .filter(|(_, c)| **c == '\t')
        .map(|(i, _)| i)
        .collect();
    if tabs.is_empty() {
        return chars;
    }
    let missing = FIRST_LINE_MIN_LEN.saturating_sub(chars.len());
    if tabs.len() == 1 && tabs[0] < description_end() {
        let pos = tabs[0];
        chars.splice(pos..=pos, std::iter::repeat_n(' ', missing + 1));
        warnings.push(Warning {
            at: at.clone(),
            field: Some(spec_of(Field::LongDescription).name),
            message: if missing > 0 {
                format!("tab character in the text; widened to {} spaces so the fields after it line up", missing + 1)
            } else {
                "tab character in the text; read as a space".to_string()
            },
        });
    }
    chars
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(code: &str, ric: char, desc: &str) -> String {
        let mut l = format!("{code:>5}00100{ric}{desc:<80}");
        if matches!(ric, '3' | '7') {
            l.push_str(&format!("{:<28}", "Short"));
            l.push_str(&" ".repeat(320 - l.len()));
            l.replace_range(292..293, "N");
        }
        l
    }

    #[test]
    fn disclaimer_lines_before_data_are_skipped() {
        let text = format!(
            "***Disclaimers\r\n\r\nSome note\r\n{}\r\n{}\r\n",
            line("E1392", '3', "Portable"),
            line("E1392", '4', "rental")
        );
        let parsed = read("t.txt", text.as_bytes()).unwrap();
        assert_eq!(parsed.rows.len(), 2);
        assert_eq!(parsed.rows[0].at, Location::Line(4));
        assert_eq!(
            parsed.rows[1].raw.get(Field::LongDescription).trim(),
            "rental"
        );
    }

    fn lines_as_read(bytes: &[u8]) -> Vec<String> {
        let mut whole = std::borrow::Cow::Borrowed("");
        decoded_lines(bytes, &mut whole)
            .map(|l| l.into_owned())
            .collect()
    }

    #[test]
    fn a_byte_order_mark_decides_the_whole_text_not_each_line() {
        // A UTF-8 mark makes the file UTF-8; the same bytes opening a later line are
        // Windows-1252 characters there, as in the text decoded whole.
        let bytes = b"\xEF\xBB\xBFcaf\xC3\xA9\n\xEF\xBB\xBFx\xE9\r\n";
        let utf8 = [b"\xEF\xBB\xBF".as_slice(), bytes].concat();
        for bytes in [
            &bytes[3..],
            bytes.as_slice(),
            &utf8,
            b"\xFF\xFEa\x00\n\x00b\x00",
        ] {
            let whole: Vec<String> = decode(bytes).split('\n').map(str::to_string).collect();
            assert_eq!(lines_as_read(bytes), whole, "{bytes:?}");
        }
    }

    proptest::proptest! {
        /// Lines decoded one by one are the lines of the text decoded whole.
        #[test]
        fn lines_decode_as_the_whole_text(
            bom in proptest::sample::select(vec![&b""[..], b"\xEF\xBB\xBF", b"\xFF\xFE", b"\xFE\xFF"]),
            body in proptest::collection::vec(proptest::sample::select(vec![b'a', b'\n', b'\r', 0xE9, 0xEF, 0xBB, 0xBF, 0xC3, 0xA9, 0x00, 0x80]), 0..40),
        ) {
            let bytes = [bom, &body[..]].concat();
            let whole: Vec<String> = decode(&bytes).split('\n').map(str::to_string).collect();
            proptest::prop_assert_eq!(lines_as_read(&bytes), whole);
        }
    }

    #[test]
    fn a_single_tab_that_shifts_the_fields_is_widened_with_a_warning() {
        let mut l = line("E1392", '3', "MEDICAL TRANSPORT");
        l.truncate(293);
        l.replace_range(28..30, "\t");
        let parsed = read("t.txt", l.as_bytes()).unwrap();
        assert_eq!(parsed.warnings.len(), 1);
        assert_eq!(parsed.rows[0].raw.get(Field::ActionCode), "N");
    }

    #[test]
    fn a_short_first_line_names_the_line() {
        let l = line("E1392", '3', "x");
        let err = read("t.txt", &l.as_bytes()[..200]).unwrap_err().to_string();
        assert_eq!(
            err,
            "t.txt: line 1: record line too short: 200 characters, a first line needs 293 to hold its fields"
        );
    }
}
