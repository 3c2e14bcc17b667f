//! The Excel copy of a release: `.xlsx` (2013 on) and legacy `.xls` (2012, 2020), read with
//! calamine. Sheet names and headers differ by year and some sheets have note rows above the
//! header; some years have a row per code, others a row per text line (record id 4 and 8 rows).

use std::io::Cursor;

use calamine::{Data, Reader, Xls, Xlsx, open_workbook_from_rs};

use super::{Parsed, tabular};
use crate::error::{FileProblem, Location, ReadError};

pub fn read(file: &str, bytes: &[u8], legacy: bool) -> Result<Parsed, ReadError> {
    let bad = |e: String| ReadError::file(file, FileProblem::BadWorkbook(e));
    let sheets = if legacy {
        let mut wb: Xls<_> = open_workbook_from_rs(Cursor::new(bytes))
            .map_err(|e: calamine::XlsError| bad(e.to_string()))?;
        wb.worksheets()
    } else {
        let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
            .map_err(|e: calamine::XlsxError| bad(e.to_string()))?;
        wb.worksheets()
    };
    let names: Vec<String> = sheets.iter().map(|(n, _)| format!("'{n}'")).collect();
    for (sheet, range) in sheets {
        let first_row = range.start().map_or(0, |(r, _)| r as usize);
        let cells: Vec<Vec<String>> = range
            .rows()
            .map(|r| r.iter().map(cell_text).collect())
            .collect();
        if let Some(header) = tabular::find_header(&cells) {
            let at = |i: usize| Location::Cell {
                sheet: sheet.clone(),
                row: first_row + i + 1,
            };
            let rows = tabular::rows(file, cells, header, at)?;
            return Ok(Parsed {
                rows,
                warnings: Vec::new(),
            });
        }
    }
    Err(ReadError::file(
        file,
        FileProblem::NoHeaderRow(names.join(", ")),
    ))
}

/// A cell as the text CMS's fixed-width file would hold: numbers without a decimal point,
/// dates as YYYYMMDD.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => match d.as_datetime() {
            Some(dt) => dt.format("%Y%m%d").to_string(),
            None => d.as_f64().to_string(),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}
