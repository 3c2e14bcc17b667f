//! The fixed-width text release (`12anweb.txt`, `HCPC2025_JAN_ANWEB_*.txt`): Windows-1252 bytes,
//! CRLF or LF lines, disclaimer or note lines before the first record, 293- or 320-character
//! first lines and continuation lines that may be shorter or right-trimmed.

use super::layout::{CONTINUATION_MIN_LEN, FIRST_LINE_MIN_LEN, Field, LAYOUT, RawRow, spec_of};
use super::{Parsed, Row};
use crate::error::{FileProblem, Location, ReadError, Warning};

/// Whether `line` looks like a record: a code right-aligned in columns 1-5 and a record
/// identification code in column 11. Used to find where the data starts and to sniff files.
pub fn looks_like_record(line: &[u8]) -> bool {
    if line.len() < CONTINUATION_MIN_LEN || !matches!(line[10], b'3' | b'4' | b'7' | b'8') {
        return false;
    }
    let code = line[..5].trim_ascii_start();
    (code.len() == 5 || code.len() == 2) && code.iter().all(u8::is_ascii_alphanumeric)
}

/// Decodes Windows-1252 text (ASCII is a subset, so UTF-8-free CMS files decode exactly).
pub fn decode(bytes: &[u8]) -> String {
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
    text.into_owned()
}

pub fn read(file: &str, bytes: &[u8]) -> Result<Parsed, ReadError> {
    let text = decode(bytes);
    let mut rows = Vec::new();
    let mut warnings = Vec::new();
    let mut started = false;
    for (i, line) in text.split('\n').enumerate() {
        let at = Location::Line(i + 1);
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        if !started {
            // CMS puts disclaimers and notes above the data in some years; they end where the
            // first record begins.
            if !looks_like_record(line.as_bytes()) {
                continue;
            }
            started = true;
        }
        let chars: Vec<char> = line.chars().collect();
        let ric = chars.get(10).copied().unwrap_or(' ');
        let first_line = match ric {
            '3' | '7' => true,
            '4' | '8' => false,
            other => {
                return Err(ReadError::Field {
                    file: file.to_string(),
                    at,
                    field: "record identification code",
                    problem: format!(
                        "'{other}' is not a record identification code (3 or 7 start a code, 4 or 8 continue its description)"
                    ),
                });
            }
        };
        let chars = if first_line {
            repair_tabs(chars, &at, &mut warnings)
        } else {
            chars
        };
        let needed = if first_line {
            FIRST_LINE_MIN_LEN
        } else {
            CONTINUATION_MIN_LEN
        };
        if chars.len() < needed {
            return Err(ReadError::Record {
                file: file.to_string(),
                at,
                problem: format!(
                    "record line too short: {} characters, a {} line needs {needed} to hold its fields",
                    chars.len(),
                    if first_line { "first" } else { "continuation" }
                ),
            });
        }
        let mut raw = RawRow::new();
        for spec in LAYOUT {
            for n in 0..spec.occurs {
                let start = spec.start - 1 + n * spec.width;
                let end = (start + spec.width).min(chars.len());
                if start < end {
                    raw.set(spec.field, n, chars[start..end].iter().collect());
                }
            }
        }
        rows.push(Row { at, raw });
    }
    if rows.is_empty() {
        let problem = if bytes.is_empty() {
            FileProblem::Empty
        } else {
            FileProblem::NoRecords
        };
        return Err(ReadError::file(file, problem));
    }
    Ok(Parsed { rows, warnings })
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
