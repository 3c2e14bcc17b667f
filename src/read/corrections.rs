//! CMS's corrections files, in every form CMS posted them: a workbook (xlsx or xls) with a
//! title and blank rows above the header, header names that differ by year (`CODE` or
//! `HCPCS/MOD Code`, `EFF DATE` or `Effective Date`, `COV` or `Coverage`); tab-separated text
//! (2017); and the fixed-width `.prn` print of a workbook, whose columns are cut to a few
//! characters ("Change Co", "01/01/201"), from which only the code, the action's first words
//! and a whole effective date are taken. Where a workbook and its `.prn` print are both at
//! hand, the workbook is read (see `choose`).

use std::collections::BTreeMap;

use super::{Form, Sniffed, text, workbook};
use crate::error::{FileProblem, ReadError};
use crate::model::codes;
use crate::model::correction::{self, Correction, parse_date as date};

/// Whether a file's name says it is a corrections file.
pub fn is_corrections_name(name: &str) -> bool {
    name.rsplit('/')
        .next()
        .unwrap_or(name)
        .to_ascii_lowercase()
        .contains("correction")
}

/// The corrections files among a zip's or folder's members, a `.prn` left out when the
/// workbook it prints is there too.
pub fn choose(members: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    let stem = |n: &str| {
        let lower = n.to_ascii_lowercase();
        lower
            .rsplit_once('.')
            .map_or(lower.clone(), |(s, _)| s.to_string())
    };
    let workbooks: Vec<String> = members
        .iter()
        .filter(|(n, b)| {
            is_corrections_name(n)
                && matches!(super::sniff(n, b), Sniffed::Release(Form::Xlsx | Form::Xls))
        })
        .map(|(n, _)| stem(n))
        .collect();
    members
        .into_iter()
        .filter(|(n, _)| is_corrections_name(n) && !n.to_ascii_lowercase().ends_with("readme.txt"))
        .filter(|(n, _)| {
            !(n.to_ascii_lowercase().ends_with(".prn") && workbooks.contains(&stem(n)))
        })
        .collect()
}

/// The rows of the corrections file `name`.
pub fn read(name: &str, bytes: &[u8]) -> Result<Vec<Correction>, ReadError> {
    let bad = |problem: String| ReadError::file(name, FileProblem::BadCorrections(problem));
    let rows: Vec<(String, Vec<String>)> = match super::sniff(name, bytes) {
        Sniffed::Release(form @ (Form::Xlsx | Form::Xls)) => {
            workbook::sheets(name, bytes, form == Form::Xls)?
                .into_iter()
                .flat_map(|sheet| {
                    let at = sheet.name.clone();
                    sheet
                        .numbers
                        .into_iter()
                        .zip(sheet.cells)
                        .map(move |(row, cells)| (format!("sheet '{at}' row {row}"), cells))
                })
                .collect()
        }
        Sniffed::Empty => return Err(ReadError::file(name, FileProblem::Empty)),
        _ => {
            let decoded = text::decode(bytes);
            if decoded.contains('\t') {
                tab_rows(&decoded).map_err(|p| bad(p.to_string()))?
            } else {
                return prn_rows(name, &decoded);
            }
        }
    };
    let (header_at, header) = rows
        .iter()
        .enumerate()
        .find_map(|(i, (_, cells))| Header::find(cells).map(|h| (i, h)))
        .ok_or_else(|| bad("no header row with CODE and ACTION".to_string()))?;
    let mut out = Vec::new();
    for (at, cells) in &rows[header_at + 1..] {
        if let Some(c) = header
            .correction(at, cells)
            .map_err(|p| bad(format!("{at}: {p}")))?
        {
            out.push(c);
        }
    }
    if out.is_empty() {
        return Err(bad("no correction under its header".to_string()));
    }
    Ok(out)
}

/// What is wrong with one row of a corrections file.
#[derive(Debug, thiserror::Error)]
enum RowProblem {
    #[error("line {line}: not a tab-separated row: {source}")]
    NotTabSeparated { line: u64, source: csv::Error },
    #[error("'{action}' names no code")]
    NoCode { action: String },
    #[error("column {column}: '{code}' is not a HCPCS code or modifier")]
    NotACode { column: String, code: String },
}

/// Lines of tab-separated text, quotes removed as a spreadsheet writes them.
fn tab_rows(text: &str) -> Result<Vec<(String, Vec<String>)>, RowProblem> {
    // The csv crate counts a line short after a CRLF when the next line opens with an empty
    // field, so line ends are made LF first.
    let text = text.replace("\r\n", "\n");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.map_err(|source| RowProblem::NotTabSeparated {
                line: source.position().map_or(0, |p| p.line()),
                source,
            })?;
            let line = r.position().map_or(0, |p| p.line());
            Ok((
                format!("line {line}"),
                r.iter().map(str::to_string).collect(),
            ))
        })
        .collect()
}

/// Where a corrections table keeps what is read.
struct Header {
    names: Vec<String>,
    code: usize,
    action: usize,
    date: Option<usize>,
}

impl Header {
    fn find(cells: &[String]) -> Option<Header> {
        let key = |c: &String| -> String {
            c.chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase()
        };
        let keys: Vec<String> = cells.iter().map(key).collect();
        let code = keys
            .iter()
            .position(|k| matches!(k.as_str(), "code" | "hcpcs" | "hcpcsmodcode" | "hcpcscode"))?;
        let action = keys.iter().position(|k| k == "action")?;
        let date = keys
            .iter()
            .position(|k| matches!(k.as_str(), "effdate" | "effectivedate"));
        Some(Header {
            names: cells.iter().map(|c| c.trim().to_string()).collect(),
            code,
            action,
            date,
        })
    }

    /// One row as a correction; `None` for a blank row.
    fn correction(&self, at: &str, cells: &[String]) -> Result<Option<Correction>, RowProblem> {
        let cell = |i: usize| cells.get(i).map_or("", |c| c.trim());
        let (code, action) = (cell(self.code), tidy(cell(self.action)));
        if code.is_empty() && action.is_empty() {
            return Ok(None);
        }
        if code.is_empty() {
            return Err(RowProblem::NoCode { action });
        }
        if !codes::is_code_in_any_case(code) {
            return Err(RowProblem::NotACode {
                column: self.names[self.code].clone(),
                code: code.to_string(),
            });
        }
        let raw_date = self.date.map(cell).unwrap_or("");
        let effective = date(raw_date);
        let columns: BTreeMap<String, String> = (0..cells.len())
            .filter(|&i| i != self.code && i != self.action && Some(i) != self.date)
            .filter(|&i| !cell(i).is_empty())
            .map(|i| {
                let name = self
                    .names
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| format!("column {}", i + 1));
                (name, cell(i).to_string())
            })
            .collect();
        let (class, stated) = correction::classify(&action, &columns, effective);
        Ok(Some(Correction {
            code: code.to_ascii_uppercase(),
            action,
            class,
            effective,
            effective_unread: (effective.is_none() && !raw_date.is_empty())
                .then(|| raw_date.to_string()),
            columns,
            stated,
            at: at.to_string(),
        }))
    }
}

/// Spaces inside CMS's words made single.
fn tidy(words: &str) -> String {
    words.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A `.prn` print: below the line with CODE and ACTION, each line is a code, the first
/// characters of the action and, where the print kept it whole, the effective date.
fn prn_rows(name: &str, text: &str) -> Result<Vec<Correction>, ReadError> {
    let bad = |problem: String| ReadError::file(name, FileProblem::BadCorrections(problem));
    let lines: Vec<&str> = text.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.contains("CODE") && l.contains("ACTION"))
        .ok_or_else(|| bad("no header line with CODE and ACTION".to_string()))?;
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate().skip(header + 1) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (code, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        if !codes::is_code_in_any_case(code) {
            return Err(bad(format!(
                "line {}: '{code}' is not a HCPCS code or modifier",
                i + 1
            )));
        }
        let rest = rest.trim_start();
        // The action column ends where a date begins (digits and slashes).
        let cut = rest
            .char_indices()
            .find(|&(j, c)| c.is_ascii_digit() && rest[j..].chars().take(3).any(|c| c == '/'))
            .map_or(rest.len(), |(j, _)| j);
        let action = tidy(&rest[..cut]);
        let raw_date: String = rest[cut..].chars().take(10).collect();
        let effective = date(&raw_date);
        let (class, stated) = correction::classify(&action, &BTreeMap::new(), effective);
        out.push(Correction {
            code: code.to_ascii_uppercase(),
            action,
            class,
            effective,
            effective_unread: (effective.is_none() && !raw_date.trim().is_empty())
                .then(|| raw_date.trim().to_string()),
            columns: BTreeMap::new(),
            stated,
            at: format!("line {}", i + 1),
        });
    }
    if out.is_empty() {
        return Err(bad("no correction under its header".to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::correction::Action;
    use chrono::NaiveDate;

    #[test]
    fn tab_separated_with_a_title_above_the_header() {
        let text = "\t2017 HCPCS CORRECTIONS\t\t\r\n\t\t\t\r\nCODE\tACTION\tEFF DATE\tSHORT DESC\tCOV\tPRICE\r\n\
                    C1842\tADD \t01/01/2017\t\"Retinal prosth, add-on\"\tD\t53\r\n\
                    G0477\tTerminate code\t01/01/2017\t\t\t\r\n\t\t\t\t\t\r\n";
        let rows = read("hcpc2017_corrections_alpha.txt", text.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].class, Action::Add);
        assert_eq!(rows[0].columns["SHORT DESC"], "Retinal prosth, add-on");
        assert_eq!(rows[0].sets("coverage"), Some("D"));
        assert_eq!(rows[1].class, Action::Terminate);
        assert_eq!(rows[1].at, "line 5");
    }

    #[test]
    fn a_prn_print_gives_code_words_and_whole_dates() {
        let text = "       2019 CORRECTIONS\r\n\r\n  CODE   ACTION  EFF DATE   SHORT DESC\r\n \
                    C9034  Discontin01/01/2019\r\n C1890  ADD CODE 01/01/201No device w/dev\r\n   DA   Removed in01/01/2011\r\n";
        let rows = read("HCPC2019_Corrections_ALPHA.prn", text.as_bytes()).unwrap();
        let got: Vec<(&str, &str, Action, Option<NaiveDate>)> = rows
            .iter()
            .map(|c| (c.code.as_str(), c.action.as_str(), c.class, c.effective))
            .collect();
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(
            got,
            [
                ("C9034", "Discontin", Action::Terminate, d(2019, 1, 1)),
                ("C1890", "ADD CODE", Action::Add, None),
                ("DA", "Removed in", Action::Unparsed, d(2011, 1, 1)),
            ]
        );
        assert_eq!(rows[1].effective_unread.as_deref(), Some("01/01/201N"));
    }

    #[test]
    fn a_row_whose_code_is_not_a_code_is_an_error_naming_it() {
        let text = "CODE\tACTION\tEFF DATE\r\nC18 90\tADD CODE\t01/01/2019\r\n";
        let err = read("c.txt", text.as_bytes()).unwrap_err().to_string();
        assert_eq!(
            err,
            "c.txt: not a corrections file CMS writes: line 2: column CODE: 'C18 90' is not a \
             HCPCS code or modifier"
        );
        let prn = "  CODE   ACTION  EFF DATE\r\n C9034  Discontin01/01/2019\r\n (see note)\r\n";
        let err = read("c.prn", prn.as_bytes()).unwrap_err().to_string();
        assert_eq!(
            err,
            "c.prn: not a corrections file CMS writes: line 3: '(see' is not a HCPCS code or \
             modifier"
        );
    }

    #[test]
    fn dates_in_every_form() {
        let jan = NaiveDate::from_ymd_opt(2019, 1, 1);
        assert_eq!(date("43466"), jan);
        assert_eq!(date("01/01/2019"), jan);
        assert_eq!(date("20190101"), jan);
        assert_eq!(date("01/0/12019"), None);
    }

    #[test]
    fn a_prn_beside_its_workbook_is_left_out() {
        let members = vec![
            (
                "V1_HCPC2018_Corrections_ANWEB.prn".to_string(),
                b"x".to_vec(),
            ),
            ("HCPC2018_Corrections_README.txt".to_string(), b"x".to_vec()),
            (
                "HCPC2019_Corrections_ALPHA_v2.prn".to_string(),
                b"x".to_vec(),
            ),
        ];
        let names: Vec<String> = choose(members).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "V1_HCPC2018_Corrections_ANWEB.prn",
                "HCPC2019_Corrections_ALPHA_v2.prn"
            ]
        );
    }
}
