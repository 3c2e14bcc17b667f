//! A legacy `.xls` workbook, made safe for calamine to read. calamine sizes its buffers from
//! what the file declares: a loop in the container's sector chain grows a stream without end,
//! and a sheet's DIMENSIONS record or one far cell sizes a rows x columns grid (a cell at row
//! 65535, column 65535 asks for 137 GB, which aborts the process rather than failing). So
//! before calamine sees the file:
//!
//! 1. the workbook stream is taken out of its container by the `cfb` crate, which follows
//!    sector chains with checks, and read within the file's own length (a stream in a compound
//!    file is stored, never compressed, so it cannot be longer);
//! 2. its records are scanned for the grid each sheet would need: the declared dimensions and
//!    the farthest cell; a grid over [`MAX_GRID_CELLS`] is refused;
//! 3. that stream alone is written into a fresh container, which is what calamine reads.

use std::io::{Cursor, Write};

/// The most cells (rows x columns) a sheet's grid may span: 4,718,592 (72 columns by every
/// row BIFF8 allows), ten times the largest real release's sheet (2012's: 9,233 rows by 49
/// columns, 452,417 cells). calamine's buffers for a grid this size stay under 512 MiB.
pub const MAX_GRID_CELLS: u64 = 72 * 65_536;

/// Names the workbook stream has had: `Workbook` (Excel 97 on) and `Book` (Excel 5 and 95).
const STREAMS: [&str; 2] = ["/Workbook", "/Book"];

/// `bytes` as a compound file holding only its workbook stream, once that stream is checked;
/// otherwise what is wrong with it.
pub fn repack(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let stream = workbook_stream(bytes)?;
    check_grid(&stream)?;
    // Version 3 (512-byte sectors), as Excel writes: calamine refuses a version 4 file whose
    // root holds no mini stream.
    let mut fresh =
        cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new()))
            .map_err(|e| format!("cannot repack the workbook: {e}"))?;
    let mut out = fresh
        .create_stream(STREAMS[0])
        .map_err(|e| format!("cannot repack the workbook: {e}"))?;
    out.write_all(&stream)
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot repack the workbook: {e}"))?;
    drop(out);
    fresh
        .flush()
        .map_err(|e| format!("cannot repack the workbook: {e}"))?;
    Ok(fresh.into_inner().into_inner())
}

fn workbook_stream(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut container = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| format!("not a compound file: {e}"))?;
    let name = STREAMS
        .into_iter()
        .find(|name| container.is_stream(name))
        .ok_or("no Workbook stream")?;
    let stream = container
        .open_stream(name)
        .map_err(|e| format!("workbook stream: {e}"))?;
    let limit = bytes.len() as u64;
    match super::read_capped(stream, limit, limit) {
        Ok(Some(data)) => Ok(data),
        Ok(None) => Err("workbook stream is longer than the file: damaged".to_string()),
        Err(e) => Err(format!("workbook stream: {e}")),
    }
}

/// The grid calamine would allocate for the largest sheet, from each DIMENSIONS record and
/// from the rows and columns of every cell record (all sheets together: an over-estimate only
/// when sheets differ in shape).
fn check_grid(stream: &[u8]) -> Result<(), String> {
    let (mut rows, mut cols, mut declared) = (0u64, 0u64, 0u64);
    for (kind, data) in Records(stream) {
        match kind {
            DIMENSIONS => declared = declared.max(declared_cells(data)?),
            MULRK | MULBLANK if data.len() >= 6 => {
                rows = rows.max(u64::from(u16_at(data, 0)) + 1);
                cols = cols.max(u64::from(u16_at(data, data.len() - 2)) + 1);
            }
            FORMULA | NUMBER | LABEL | RSTRING | BOOLERR | RK | LABELSST | BLANK
                if data.len() >= 4 =>
            {
                rows = rows.max(u64::from(u16_at(data, 0)) + 1);
                cols = cols.max(u64::from(u16_at(data, 2)) + 1);
            }
            _ => {}
        }
    }
    let spanned = rows * cols;
    if declared > MAX_GRID_CELLS {
        return Err(format!(
            "a sheet declares {declared} cells, more than {MAX_GRID_CELLS}: damaged, or not a \
             release"
        ));
    }
    if spanned > MAX_GRID_CELLS {
        return Err(format!(
            "cells reach row {rows}, column {cols}: a grid of more than {MAX_GRID_CELLS} cells; \
             damaged, or not a release"
        ));
    }
    Ok(())
}

const FORMULA: u16 = 0x0006;
const DIMENSIONS: u16 = 0x0200;
const BLANK: u16 = 0x0201;
const NUMBER: u16 = 0x0203;
const LABEL: u16 = 0x0204;
const BOOLERR: u16 = 0x0205;
const RK: u16 = 0x027E;
const MULRK: u16 = 0x00BD;
const MULBLANK: u16 = 0x00BE;
const RSTRING: u16 = 0x00D6;
const LABELSST: u16 = 0x00FD;

/// The cells a DIMENSIONS record makes calamine reserve, worked out as calamine does (rows
/// are 32-bit in BIFF8, 16-bit before; a first column past 255 or past the last counts from
/// 0). A last row before the first makes calamine's count wrap: that is damage.
fn declared_cells(data: &[u8]) -> Result<u64, String> {
    let (first_row, last_row, mut first_col, last_col) = match data.len() {
        10 => (
            u64::from(u16_at(data, 0)),
            u64::from(u16_at(data, 2)),
            u64::from(u16_at(data, 4)),
            u64::from(u16_at(data, 6)),
        ),
        14 | 16 => (
            u64::from(u32_at(data, 0)),
            u64::from(u32_at(data, 4)),
            u64::from(u16_at(data, 8)),
            u64::from(u16_at(data, 10)),
        ),
        _ => return Ok(0),
    };
    if first_col > 0xFF || last_col < first_col {
        first_col = 0;
    }
    if last_row == 0 || last_col == 0 {
        return Ok(1);
    }
    if last_row - 1 < first_row || last_col - 1 < first_col {
        return Err(format!(
            "a sheet's dimensions end before they start (rows {first_row} to {last_row}): damaged"
        ));
    }
    Ok((last_row - first_row) * (last_col - first_col))
}

fn u16_at(data: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([data[at], data[at + 1]])
}

fn u32_at(data: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
}

/// BIFF records: a 16-bit type, a 16-bit length, that many bytes. A record cut short by the
/// end of the stream ends the walk (calamine stops there too).
struct Records<'a>(&'a [u8]);

impl<'a> Iterator for Records<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let header = self.0.get(..4)?;
        let kind = u16_at(header, 0);
        let len = usize::from(u16_at(header, 2));
        let data = self.0.get(4..4 + len)?;
        self.0 = &self.0[4 + len..];
        Some((kind, data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u16, data: &[u8]) -> Vec<u8> {
        let mut out = kind.to_le_bytes().to_vec();
        out.extend((data.len() as u16).to_le_bytes());
        out.extend(data);
        out
    }

    fn dimensions(first_row: u32, last_row: u32, first_col: u16, last_col: u16) -> Vec<u8> {
        let mut data = first_row.to_le_bytes().to_vec();
        data.extend(last_row.to_le_bytes());
        data.extend(first_col.to_le_bytes());
        data.extend(last_col.to_le_bytes());
        data.extend([0, 0]);
        record(DIMENSIONS, &data)
    }

    fn label_sst(row: u16, col: u16) -> Vec<u8> {
        let mut data = row.to_le_bytes().to_vec();
        data.extend(col.to_le_bytes());
        data.extend([0, 0, 0, 0, 0, 0]);
        record(LABELSST, &data)
    }

    #[test]
    fn a_release_sized_sheet_passes() {
        let stream = [dimensions(0, 40_000, 0, 48), label_sst(39_999, 47)].concat();
        assert_eq!(check_grid(&stream), Ok(()));
    }

    #[test]
    fn declared_dimensions_past_the_cap_are_refused() {
        let stream = dimensions(0, 1 << 20, 0, 256);
        assert!(
            check_grid(&stream)
                .unwrap_err()
                .contains("declares 268435456 cells")
        );
    }

    #[test]
    fn dimensions_that_end_before_they_start_are_damage() {
        let stream = dimensions(9, 3, 0, 4);
        assert!(
            check_grid(&stream)
                .unwrap_err()
                .contains("end before they start")
        );
    }

    #[test]
    fn one_far_cell_is_refused() {
        let stream = [label_sst(0, 0), label_sst(65_535, 65_535)].concat();
        assert!(
            check_grid(&stream)
                .unwrap_err()
                .contains("row 65536, column 65536")
        );
    }

    #[test]
    fn a_mulrk_counts_its_last_column() {
        let mut data = 700u16.to_le_bytes().to_vec();
        data.extend(0u16.to_le_bytes());
        data.extend([0; 6]);
        data.extend(65_000u16.to_le_bytes());
        let stream = record(MULRK, &data);
        assert!(check_grid(&stream).is_err());
    }

    #[test]
    fn a_record_cut_short_ends_the_walk() {
        let mut stream = label_sst(1, 1);
        stream.extend([0xFD, 0x00, 0xFF, 0xFF, 1, 2]);
        assert_eq!(Records(&stream).count(), 1);
    }
}
