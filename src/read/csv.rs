//! A release saved as CSV with the workbook's column headers (any year's names), as analysts
//! export it from the Excel copy.

use super::{Parsed, tabular};
use crate::error::{FileProblem, Location, ReadError};

pub fn read(file: &str, bytes: &[u8]) -> Result<Parsed, ReadError> {
    let text = super::text::decode(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut cells = Vec::new();
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ReadError::Record {
            file: file.to_string(),
            at: Location::CsvLine(e.position().map_or(0, |p| p.line() as usize)),
            problem: format!("not valid CSV: {e}"),
        })?;
        lines.push(record.position().map_or(0, |p| p.line() as usize));
        cells.push(record.iter().map(str::to_string).collect());
    }
    let Some(header) = tabular::find_header(&cells) else {
        let problem = if cells.is_empty() {
            FileProblem::Empty
        } else {
            FileProblem::Unrecognized
        };
        return Err(ReadError::file(file, problem));
    };
    let rows = tabular::rows(file, cells, header, |i| Location::CsvLine(lines[i]))?;
    Ok(Parsed {
        rows,
        warnings: Vec::new(),
    })
}
