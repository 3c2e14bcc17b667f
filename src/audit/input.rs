//! What `audit` reads: a watch list (one code per line, `#` comments) or a CSV with a header
//! (a catalogue, a chargemaster, a claims extract) whose code column is found by its name.
//! Every other column is kept, so the report joins back to the user's file.

use std::borrow::Cow;

use chrono::NaiveDate;

use crate::model::codes;

/// The largest input `audit` reads; a claims extract of millions of lines is far below it.
pub const MAX_INPUT_BYTES: u64 = 1 << 30;

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
    #[error("{file}: {problem}")]
    File { file: String, problem: String },
    #[error("{file}: line {line}: {problem}")]
    Line {
        file: String,
        line: usize,
        problem: String,
    },
}

/// One line of the user's file that names a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The line in the user's file (1-based).
    pub line: usize,
    /// The code as written, trimmed.
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

/// What the first pass over the file needs of a line, borrowed from it where the line writes
/// the code as it is meant (`E1392`): no allocation for most lines of a claims extract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen<'r> {
    pub line: usize,
    pub code: Cow<'r, str>,
    pub modifier: Option<Cow<'r, str>>,
    pub date: Option<NaiveDate>,
}

/// The user's file, decoded and its columns found. Its entries are read by [`Input::entries`],
/// as often as needed, one at a time: a claims extract of millions of lines is never held as
/// entries.
#[derive(Debug)]
pub struct Input<'a> {
    name: String,
    text: Cow<'a, str>,
    /// Where a CSV keeps the code, date and modifier; `None` for a watch list.
    layout: Option<Layout>,
    /// The names of the passed-through columns, in the file's order.
    pub extra_columns: Vec<String>,
}

impl<'t> Input<'t> {
    fn body(&self) -> &str {
        self.text.strip_prefix('\u{feff}').unwrap_or(&self.text)
    }

    /// A cursor over the lines that name a code, in file order.
    pub fn lines(&self) -> Lines<'_> {
        let body = self.body();
        let source = match &self.layout {
            None => Source::List {
                lines: body.lines().enumerate(),
                current: (0, ""),
            },
            Some(layout) => Source::Csv {
                reader: Box::new(csv_reader(body)),
                record: csv::StringRecord::new(),
                layout,
                header: true,
            },
        };
        Lines {
            name: &self.name,
            source,
        }
    }

    /// Hands `seen` each line that names a code, in file order; stops at the first line that
    /// cannot be read, with an error naming it.
    pub fn scan(&self, mut seen: impl FnMut(Seen)) -> Result<(), InputError> {
        let mut lines = self.lines();
        while let Some(line) = lines.advance() {
            seen(line?);
        }
        Ok(())
    }
}

/// A cursor over the lines of the user's file that name a code. A CSV is read into one
/// reused record, so a line costs no allocation until its [`Lines::entry`] is asked for.
pub struct Lines<'a> {
    name: &'a str,
    source: Source<'a>,
}

enum Source<'a> {
    List {
        lines: std::iter::Enumerate<std::str::Lines<'a>>,
        /// The line moved to: its number and the code as written.
        current: (usize, &'a str),
    },
    Csv {
        reader: Box<csv::Reader<&'a [u8]>>,
        record: csv::StringRecord,
        layout: &'a Layout,
        /// The header is still to be read past.
        header: bool,
    },
}

impl Lines<'_> {
    /// Moves to the next line that names a code and says what it says; `None` at the end.
    pub fn advance(&mut self) -> Option<Result<Seen<'_>, InputError>> {
        let name = self.name;
        match &mut self.source {
            Source::List { lines, current } => {
                let (line, given) = lines.by_ref().find_map(|(i, line)| {
                    let given = line.split('#').next().unwrap_or("").trim();
                    (!given.is_empty()).then_some((i + 1, given))
                })?;
                *current = (line, given);
                let (code, modifier) = split_modifier_borrowed(given);
                Some(Ok(Seen {
                    line,
                    code,
                    modifier,
                    date: None,
                }))
            }
            Source::Csv {
                reader,
                record,
                layout,
                header,
            } => {
                let error = |line: usize, problem: String| InputError::Line {
                    file: name.to_string(),
                    line,
                    problem,
                };
                loop {
                    match reader.read_record(record) {
                        Ok(true) => {}
                        Ok(false) => return None,
                        Err(e) => {
                            let line = e.position().map_or(0, |p| p.line() as usize);
                            let problem = format!("not a CSV row like the header's: {e}");
                            return Some(Err(error(line, problem)));
                        }
                    }
                    if !std::mem::take(header) {
                        break;
                    }
                }
                let line = record.position().map_or(0, |p| p.line() as usize);
                Some(match layout.parts(record) {
                    Ok((seen, _)) => Ok(Seen { line, ..seen }),
                    Err(problem) => Err(error(line, problem)),
                })
            }
        }
    }

    /// The line moved to by the last [`Lines::advance`], as an owned entry (the same error as
    /// `advance` gave, if it gave one).
    pub fn entry(&self) -> Result<Entry, InputError> {
        match &self.source {
            Source::List { current, .. } => Ok(entry(current.0, current.1)),
            Source::Csv { record, layout, .. } => {
                let line = record.position().map_or(0, |p| p.line() as usize);
                layout
                    .entry(record, line)
                    .map_err(|problem| InputError::Line {
                        file: self.name.to_string(),
                        line,
                        problem,
                    })
            }
        }
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
        let num = |r: std::ops::Range<usize>| v.get(r)?.parse::<u32>().ok();
        let year = i32::try_from(num(0..4)?).ok()?;
        return NaiveDate::from_ymd_opt(year, num(5..7)?, num(8..10)?);
    }
    ["%Y-%m-%d", "%m/%d/%Y", "%Y%m%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(v, f).ok())
}

/// Whether `text` is a CSV with a header rather than a watch list: its first non-comment line
/// has a comma (a watch list names one code a line).
fn is_csv(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|l| l.contains(','))
}

/// Reads the user's file (`name` for messages): decodes it, finds its columns, and checks
/// it names at least one code.
pub fn read<'a>(name: &str, bytes: &'a [u8], columns: &Columns) -> Result<Input<'a>, InputError> {
    let file_error = |problem: String| InputError::File {
        file: name.to_string(),
        problem,
    };
    let mut text = std::str::from_utf8(bytes)
        .map(Cow::Borrowed)
        .unwrap_or_else(|_| encoding_rs::WINDOWS_1252.decode(bytes).0);
    // The csv crate counts a line short after a CRLF when the next line opens with an empty
    // field (`\r\n,E1392`), so line ends are made LF first: every error names its real line.
    if text.contains("\r\n") {
        text = Cow::Owned(text.replace("\r\n", "\n"));
    }
    let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let (layout, extra_columns) = if is_csv(body) {
        let layout = csv_layout(name, body, columns)?;
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
        name: name.to_string(),
        text,
        layout,
        extra_columns,
    };
    if input.lines().advance().is_none() {
        return Err(file_error(
            "names no code (an empty file, only comments, or only a header)".to_string(),
        ));
    }
    Ok(input)
}

fn entry(line: usize, given: &str) -> Entry {
    let (code, modifier) = split_modifier(given);
    Entry {
        line,
        given: given.to_string(),
        code,
        modifier,
        date: None,
        extra: Vec::new(),
    }
}

/// A CSV reader of `text` whose first record is the header (read as a record, so that both
/// passes over the file walk it the same way).
fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .has_headers(false)
        .from_reader(text.as_bytes())
}

/// The position of the column named `wanted` (by the user) or of the first header in `known`.
fn find_column(
    headers: &[String],
    wanted: Option<&str>,
    known: &[&str],
) -> Result<Option<usize>, String> {
    match wanted {
        Some(w) => headers
            .iter()
            .position(|h| key(h) == key(w))
            .map(Some)
            .ok_or_else(|| {
                format!(
                    "no column '{w}'; the header has {}",
                    headers
                        .iter()
                        .map(|h| format!("'{h}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }),
        None => Ok(headers
            .iter()
            .position(|h| known.contains(&key(h).as_str()))),
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
    /// What a CSV row says (the code, its modifier, its date; `Seen::line` left 0) and the
    /// code and date as written. The error is the problem; the caller adds the line.
    #[allow(clippy::type_complexity)]
    fn parts<'r>(
        &self,
        record: &'r csv::StringRecord,
    ) -> Result<(Seen<'r>, (&'r str, Option<&'r str>)), String> {
        let given = record.get(self.code).unwrap_or("").trim();
        if given.is_empty() {
            return Err(format!("column '{}' is empty", self.headers[self.code]));
        }
        let (code, mut modifier) = split_modifier_borrowed(given);
        if let Some(m) = self.modifier.and_then(|m| record.get(m)).map(str::trim)
            && !m.is_empty()
        {
            modifier = Some(Cow::Owned(m.to_ascii_uppercase()));
        }
        let (date, raw) = match self.date {
            Some(d) => {
                let raw = record.get(d).unwrap_or("").trim();
                let date = parse_date(raw).ok_or_else(|| {
                    format!(
                        "column '{}': '{raw}' is not a date (YYYY-MM-DD, MM/DD/YYYY or YYYYMMDD)",
                        self.headers[d]
                    )
                })?;
                (Some(date), Some(raw))
            }
            None => (None, None),
        };
        let seen = Seen {
            line: 0,
            code,
            modifier,
            date,
        };
        Ok((seen, (given, raw)))
    }

    /// One CSV row as an entry; the error is the problem, the caller adds the line.
    fn entry(&self, record: &csv::StringRecord, line: usize) -> Result<Entry, String> {
        let (seen, (given, raw)) = self.parts(record)?;
        Ok(Entry {
            line,
            given: given.to_string(),
            code: seen.code.into_owned(),
            modifier: seen.modifier.map(Cow::into_owned),
            date: raw.zip(seen.date).map(|(raw, d)| (raw.to_string(), d)),
            extra: self
                .extra
                .iter()
                .map(|&i| record.get(i).unwrap_or("").to_string())
                .collect(),
        })
    }
}

fn csv_layout(name: &str, text: &str, columns: &Columns) -> Result<Layout, InputError> {
    let line_error = |line: usize, problem: String| InputError::Line {
        file: name.to_string(),
        line,
        problem,
    };
    let headers: Vec<String> = match csv_reader(text).records().next() {
        Some(Ok(record)) => record.iter().map(|h| h.trim().to_string()).collect(),
        Some(Err(e)) => return Err(line_error(1, e.to_string())),
        None => Vec::new(),
    };
    // The header is the first line that is neither blank nor a `#` comment.
    let header_line = text
        .lines()
        .position(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map_or(1, |i| i + 1);
    let code = find_column(&headers, columns.code.as_deref(), CODE_HEADERS)
        .map_err(|p| line_error(header_line, p))?
        .ok_or_else(|| {
            line_error(
                header_line,
                format!(
                    "no code column (HCPCS, HCPC, HCPCS_CODE, CODE, ...): the header has {}; name it with --column",
                    headers.iter().map(|h| format!("'{h}'")).collect::<Vec<_>>().join(", ")
                ),
            )
        })?;
    let date = match &columns.date {
        Some(d) => find_column(&headers, Some(d), &[]).map_err(|p| line_error(header_line, p))?,
        None => None,
    };
    let modifier = find_column(&headers, None, MODIFIER_HEADERS)
        .ok()
        .flatten()
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
        let mut lines = input.lines();
        lines.advance().unwrap().unwrap();
        let e = &lines.entry().unwrap();
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
            input.scan(|_| {}).unwrap_err().to_string()
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
}
