//! What `audit` reads: a watch list (one code per line, `#` comments) or a CSV with a header
//! (a catalogue, a chargemaster, a claims extract) whose code column is found by its name.
//! Every other column is kept, so the report joins back to the user's file.

use chrono::NaiveDate;

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

/// The file read: the names of the passed-through columns, and the entries.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub extra_columns: Vec<String>,
    pub entries: Vec<Entry>,
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
    let b = compact.as_bytes();
    if b.len() == 7
        && b[0].is_ascii_uppercase()
        && b[1..5].iter().all(u8::is_ascii_digit)
        && b[5..].iter().all(u8::is_ascii_alphanumeric)
    {
        return (compact[..5].to_string(), Some(compact[5..].to_string()));
    }
    (upper, None)
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

/// Reads the user's file (`name` for messages).
pub fn read(name: &str, bytes: &[u8], columns: &Columns) -> Result<Input, InputError> {
    let file_error = |problem: String| InputError::File {
        file: name.to_string(),
        problem,
    };
    let text = std::str::from_utf8(bytes)
        .map(std::borrow::Cow::Borrowed)
        .unwrap_or_else(|_| encoding_rs::WINDOWS_1252.decode(bytes).0);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let input = if is_csv(text) {
        read_csv(name, text, columns)?
    } else if columns.code.is_some() || columns.date.is_some() {
        return Err(file_error(
            "--column and --date-column need a CSV with a header line".to_string(),
        ));
    } else {
        read_list(text)
    };
    if input.entries.is_empty() {
        return Err(file_error(
            "names no code (an empty file, only comments, or only a header)".to_string(),
        ));
    }
    Ok(input)
}

fn read_list(text: &str) -> Input {
    let entries = text
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let given = line.split('#').next().unwrap_or("").trim();
            (!given.is_empty()).then(|| {
                let (code, modifier) = split_modifier(given);
                Entry {
                    line: i + 1,
                    given: given.to_string(),
                    code,
                    modifier,
                    date: None,
                    extra: Vec::new(),
                }
            })
        })
        .collect();
    Input {
        extra_columns: Vec::new(),
        entries,
    }
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
struct Layout<'a> {
    headers: &'a [String],
    code: usize,
    date: Option<usize>,
    modifier: Option<usize>,
    extra: &'a [usize],
}

impl Layout<'_> {
    /// One CSV row as an entry; the error is the problem, the caller adds the line.
    fn entry(&self, record: &csv::StringRecord, line: usize) -> Result<Entry, String> {
        let given = record.get(self.code).unwrap_or("").trim();
        if given.is_empty() {
            return Err(format!("column '{}' is empty", self.headers[self.code]));
        }
        let (code, mut modifier) = split_modifier(given);
        if let Some(m) = self.modifier.and_then(|m| record.get(m)).map(str::trim)
            && !m.is_empty()
        {
            modifier = Some(m.to_ascii_uppercase());
        }
        let date = match self.date {
            Some(d) => {
                let raw = record.get(d).unwrap_or("").trim();
                let date = parse_date(raw).ok_or_else(|| {
                    format!(
                        "column '{}': '{raw}' is not a date (YYYY-MM-DD, MM/DD/YYYY or YYYYMMDD)",
                        self.headers[d]
                    )
                })?;
                Some((raw.to_string(), date))
            }
            None => None,
        };
        Ok(Entry {
            line,
            given: given.to_string(),
            code,
            modifier,
            date,
            extra: self
                .extra
                .iter()
                .map(|&i| record.get(i).unwrap_or("").to_string())
                .collect(),
        })
    }
}

fn read_csv(name: &str, text: &str, columns: &Columns) -> Result<Input, InputError> {
    let line_error = |line: usize, problem: String| InputError::Line {
        file: name.to_string(),
        line,
        problem,
    };
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| line_error(1, e.to_string()))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    // The header is the first line that is neither blank nor a `#` comment.
    let header_line = text
        .lines()
        .position(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map_or(1, |i| i + 1);
    let code_col = find_column(&headers, columns.code.as_deref(), CODE_HEADERS)
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
    let date_col = match &columns.date {
        Some(d) => find_column(&headers, Some(d), &[]).map_err(|p| line_error(header_line, p))?,
        None => None,
    };
    let modifier_col = find_column(&headers, None, MODIFIER_HEADERS)
        .ok()
        .flatten()
        .filter(|&m| m != code_col);
    let used = [Some(code_col), date_col, modifier_col];
    let extra_idx: Vec<usize> = (0..headers.len())
        .filter(|i| !used.contains(&Some(*i)))
        .collect();
    let layout = Layout {
        headers: &headers,
        code: code_col,
        date: date_col,
        modifier: modifier_col,
        extra: &extra_idx,
    };
    let mut entries = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            line_error(line, format!("not a CSV row like the header's: {e}"))
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        entries.push(
            layout
                .entry(&record, line)
                .map_err(|p| line_error(line, p))?,
        );
    }
    Ok(Input {
        extra_columns: extra_idx.iter().map(|&i| headers[i].clone()).collect(),
        entries,
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
        let e = &input.entries[0];
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
        let err = read(
            "c.csv",
            b"HCPCS,DOS\nE1392,2020-01-02,extra\n",
            &Columns::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("c.csv: line 2: not a CSV row"), "{err}");
        let cols = Columns {
            code: None,
            date: Some("dos".into()),
        };
        let err = read("c.csv", b"HCPCS,DOS\nE1392,June\n", &cols)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("c.csv: line 2: column 'DOS': 'June' is not a date"),
            "{err}"
        );
    }
}
