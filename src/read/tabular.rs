//! What the workbook and CSV readers share: finding the header row under any note rows, mapping
//! CMS's changing column names onto the layout, and turning each row into a `RawRow`.

use super::Row;
use super::layout::{Field, LAYOUT, RawRow, field_for_header, spec_of};
use crate::error::{Location, ReadError};

/// How far down a sheet the header row may sit (2018-2020 workbooks have 7-10 note rows).
const HEADER_SEARCH_ROWS: usize = 60;

/// Column index for every (field, occurrence) the header names.
pub struct Columns {
    map: Vec<(usize, Field, usize)>,
}

/// The header row of `rows`, if one names the code, record id and long description columns.
pub fn find_header(rows: &[Vec<String>]) -> Option<(usize, Columns)> {
    rows.iter()
        .take(HEADER_SEARCH_ROWS)
        .enumerate()
        .find_map(|(i, row)| {
            let map: Vec<_> = row
                .iter()
                .enumerate()
                .filter_map(|(col, h)| field_for_header(h).map(|(f, n)| (col, f, n)))
                .collect();
            let has = |f| map.iter().any(|(_, g, _)| *g == f);
            (has(Field::Code) && has(Field::RecordId) && has(Field::LongDescription))
                .then_some((i, Columns { map }))
        })
}

impl Columns {
    /// Layout fields the header lacks (every field but the sequence number is required, so a
    /// missing column can never pass for a blank value).
    pub fn missing(&self) -> Vec<String> {
        let mut missing = Vec::new();
        for spec in LAYOUT.iter().filter(|s| s.field != Field::SequenceNumber) {
            for n in 0..spec.occurs {
                if !self.map.iter().any(|(_, f, m)| *f == spec.field && *m == n) {
                    missing.push(if spec.occurs > 1 {
                        format!("{} {}", spec.name, n + 1)
                    } else {
                        spec.name.to_string()
                    });
                }
            }
        }
        missing
    }

    pub fn row(&self, cells: &[String]) -> RawRow {
        let mut raw = RawRow::new();
        for &(col, field, n) in &self.map {
            let Some(value) = cells.get(col) else {
                continue;
            };
            let spec = spec_of(field);
            // Spreadsheets turn "00" into 0: put back the zeros a digit code is written with.
            let value = if spec.zero_padded
                && !value.is_empty()
                && value.len() < spec.width
                && value.bytes().all(|b| b.is_ascii_digit())
            {
                format!("{value:0>width$}", width = spec.width)
            } else {
                value.clone()
            };
            raw.set(field, n, value);
        }
        raw
    }
}

/// Maps a sheet (or a CSV file) to rows, given a way to locate row `i`.
pub fn rows(
    file: &str,
    cells: Vec<Vec<String>>,
    header: (usize, Columns),
    at: impl Fn(usize) -> Location,
) -> Result<Vec<Row>, ReadError> {
    let (header_index, columns) = header;
    let missing = columns.missing();
    if !missing.is_empty() {
        return Err(ReadError::Record {
            file: file.to_string(),
            at: at(header_index),
            problem: format!("missing required column(s): {}", missing.join(", ")),
        });
    }
    Ok(cells
        .iter()
        .enumerate()
        .skip(header_index + 1)
        .filter(|(_, row)| row.iter().any(|c| !c.trim().is_empty()))
        .map(|(i, row)| Row {
            at: at(i),
            raw: columns.row(row),
        })
        .collect())
}
