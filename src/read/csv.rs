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
    // Lines are counted here from byte offsets: the csv crate's own count is one short after a
    // record with a quoted line break in a file with Windows line ends, and a message must
    // name the line an editor shows.
    let mut counter = LineCounter::new(text.as_bytes());
    for record in reader.records() {
        let record = record.map_err(|e| ReadError::Record {
            file: file.to_string(),
            at: Location::CsvLine(e.position().map_or(0, |p| counter.line_at(p.byte()))),
            problem: format!("not valid CSV: {e}"),
        })?;
        lines.push(record.position().map_or(0, |p| counter.line_at(p.byte())));
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
    let rows = tabular::rows(file, cells, header, |i| {
        Location::CsvLine(lines.get(i).copied().unwrap_or(0))
    })?;
    Ok(Parsed {
        rows,
        warnings: Vec::new(),
        damaged: Vec::new(),
    })
}

/// 1-based line numbers of byte offsets asked for in increasing order.
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> Self {
        LineCounter {
            text,
            offset: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, byte: u64) -> usize {
        let byte = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        if byte > self.offset {
            let between = self.text.get(self.offset..byte).unwrap_or_default();
            self.line += between.iter().filter(|b| **b == b'\n').count();
            self.offset = byte;
        }
        // A record's position may be the line end before it (the `\n` of a `\r\n`) or blank
        // lines: the record itself starts after them.
        while let Some(b) = self
            .text
            .get(self.offset)
            .filter(|b| matches!(b, b'\r' | b'\n'))
        {
            self.line += usize::from(*b == b'\n');
            self.offset += 1;
        }
        self.line
    }
}
