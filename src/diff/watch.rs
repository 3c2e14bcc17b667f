//! Watch lists for compliance work: one code or range per line (`E1392`, `E0424-E1406`),
//! blank lines and `#` comments ignored. Every entry names real codes: a mistyped code must
//! not read as "nothing changed", so shapes are checked as they are read and, once the
//! releases are known, that each code or range holds a code of either release.

use super::CodeRange;
use crate::read::list::ListFile;

/// A code or range a filter names, and where it was given (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub range: CodeRange,
    pub origin: Origin,
}

/// Where a filter's code or range was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `--code`.
    Code,
    /// `--range`.
    Range,
    /// A line of a watch list (1-based).
    Watch { file: String, line: usize },
}

/// How a message names where an entry was given, before the code or range: `watch.txt: line
/// 3: `, `--range `, and nothing for `--code` (the code alone says it).
impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Code => Ok(()),
            Origin::Range => write!(f, "--range "),
            Origin::Watch { file, line } => write!(f, "{file}: line {line}: "),
        }
    }
}

/// Every filter entry that cannot be right, one line each.
#[derive(Debug, thiserror::Error)]
#[error("{}", .problems.join("\nerror: "))]
pub struct WatchError {
    pub problems: Vec<String>,
}

/// Reads a watch list: one code or range a line, `#` comments. Every line that is neither is
/// a problem naming it.
pub fn read(list: &ListFile) -> Result<Vec<Entry>, WatchError> {
    let file = list.name();
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut lines = list
        .lines()
        .map_err(|e| WatchError::from(vec![e.to_string()]))?;
    while let Some(line) = lines.next_entry() {
        let (line, entry) = line.map_err(|e| WatchError::from(vec![e.to_string()]))?;
        let origin = Origin::Watch {
            file: file.to_string(),
            line,
        };
        match entry.parse::<CodeRange>() {
            Ok(range) => out.push(Entry { range, origin }),
            Err(problem) => problems.push(format!("{origin}{problem}")),
        }
    }
    if out.is_empty() && problems.is_empty() {
        problems.push(format!(
            "{file}: no code or range in it: an empty watch list would watch every code"
        ));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(WatchError { problems })
    }
}

impl From<Vec<String>> for WatchError {
    fn from(problems: Vec<String>) -> Self {
        WatchError { problems }
    }
}

/// Checks that every entry holds a code of either release; `codes` is every code of both,
/// sorted. An unknown code is named with the nearest existing codes.
pub fn check_names(entries: &[Entry], codes: &[&str]) -> Result<(), WatchError> {
    let mut problems = Vec::new();
    for Entry { range, origin } in entries {
        if range.first == range.last {
            if codes.binary_search(&range.first.as_str()).is_err() {
                problems.push(format!(
                    "{origin}{}: in neither release{}",
                    range.first,
                    suggestion(&range.first, codes)
                ));
            }
        } else if !codes.iter().any(|c| range.contains(c)) {
            problems.push(format!(
                "{origin}{}-{}: no code of either release is in this range",
                range.first, range.last
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(WatchError { problems })
    }
}

/// The codes of the same length nearest to `code`, up to three, nearest first (at most two
/// substitutions in a code, one in a modifier; a swap of neighbours, the commonest slip, is
/// nearer than a substitution); empty when there are none.
pub fn nearest<'a>(code: &str, codes: &[&'a str]) -> Vec<&'a str> {
    let mut near: Vec<(usize, &str)> = codes
        .iter()
        .filter(|c| c.len() == code.len())
        .map(|c| (distance(code, c), *c))
        // Two substitutions in a code, one in a modifier (two would leave nothing in common).
        .filter(|(d, _)| *d <= if code.len() == 2 { 2 } else { 4 })
        .collect();
    let Some(best) = near.iter().map(|(d, _)| *d).min() else {
        return Vec::new();
    };
    near.retain(|(d, _)| *d == best);
    near.into_iter().take(3).map(|(_, c)| c).collect()
}

/// `; did you mean E1392?`, or empty when no code is near.
pub fn suggestion(code: &str, codes: &[&str]) -> String {
    match nearest(code, codes).as_slice() {
        [one] => format!("; did you mean {one}?"),
        [rest @ .., last] => format!("; did you mean {} or {last}?", rest.join(", ")),
        [] => String::new(),
    }
}

/// How far `b` is from `a` (same length): a swap of neighbours costs 1, a substitution 2.
fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut d = 0;
    let mut i = 0;
    while i < a.len() {
        if a[i] == b[i] {
            i += 1;
        } else if i + 1 < a.len() && a[i] == b[i + 1] && a[i + 1] == b[i] {
            d += 1;
            i += 2;
        } else {
            d += 2;
            i += 1;
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(file: &str, text: &str) -> Result<Vec<Entry>, WatchError> {
        read(&ListFile::from_bytes(file, text.as_bytes()).unwrap())
    }

    #[test]
    fn a_byte_order_mark_and_crlf_are_not_part_of_a_code() {
        let entries = parse("w.txt", "\u{feff}E1392\r\nE0424-E0431\r\n").unwrap();
        assert_eq!(entries[0].range.first, "E1392");
        assert!(entries[1].range.contains("E0430"));
        let err = parse("w.txt", "E9999-E0001\n").unwrap_err().to_string();
        assert_eq!(
            err,
            "w.txt: line 1: 'E9999-E0001' is reversed: its first code comes after its last (did you mean E0001-E9999?)"
        );
    }

    #[test]
    fn codes_ranges_and_comments() {
        let text = "# oxygen\nE1392\n\nE0424-E0444  # stationary\nrr\n";
        let entries = parse("watch.txt", text).unwrap();
        assert_eq!(entries[0].origin.to_string(), "watch.txt: line 2: ");
        assert_eq!(entries.len(), 3);
        assert!(entries[1].range.contains("E0431"));
        assert!(!entries[1].range.contains("E0450"));
        assert!(entries[2].range.contains("RR"));
        assert_eq!(entries[2].origin.to_string(), "watch.txt: line 5: ");
        let err = parse("watch.txt", "E1392\nE14-\nE04XX\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "watch.txt: line 2: 'E14-' is not a code or a range of codes like E0424-E1406 (a \
             code is a letter and four digits, a modifier two letters or digits)\nerror: \
             watch.txt: line 3: 'E04XX' is not a code or a range of codes like E0424-E1406 (a \
             code is a letter and four digits, a modifier two letters or digits)"
        );
        let err = parse("watch.txt", "# nothing yet\n\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "watch.txt: no code or range in it: an empty watch list would watch every code"
        );
    }

    #[test]
    fn unknown_codes_are_named_with_the_nearest() {
        let codes = ["E1390", "E1391", "E1392", "E1405", "RR"];
        let entries = parse("w.txt", "E1932\nRR\nE1400-E1404\nE1390-E1391\nZ9999\n").unwrap();
        let err = check_names(&entries, &codes).unwrap_err();
        assert_eq!(
            err.problems,
            [
                "w.txt: line 1: E1932: in neither release; did you mean E1392?",
                "w.txt: line 3: E1400-E1404: no code of either release is in this range",
                "w.txt: line 5: Z9999: in neither release",
            ]
        );
        assert_eq!(
            suggestion("E1393", &codes),
            "; did you mean E1390, E1391 or E1392?"
        );
        assert_eq!(
            suggestion("E1932", &["E1232", "E1392", "E1632"]),
            "; did you mean E1392?"
        );
    }
}
