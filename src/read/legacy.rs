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
//! 3. the stream is cut down to the records calamine reads (the workbook's globals, shared
//!    strings and cells), each checked for the bytes calamine takes from it without asking:
//!    calamine indexes into records, so a short one would panic, and a panic hook is
//!    process-wide state a library must leave alone;
//! 4. that stream alone is written into a fresh container, which is what calamine reads.

use std::io::{Cursor, Write};

/// The most cells (rows x columns) a sheet's grid may span: 4,718,592 (72 columns by every
/// row BIFF8 allows), ten times the largest real release's sheet (2012's: 9,233 rows by 49
/// columns, 452,417 cells). calamine's buffers for a grid this size stay under 512 MiB.
pub const MAX_GRID_CELLS: u64 = 72 * 65_536;

/// Names the workbook stream has had: `Workbook` (Excel 97 on) and `Book` (Excel 5 and 95).
const STREAMS: [&str; 2] = ["/Workbook", "/Book"];

/// What is wrong with a legacy workbook, found before calamine reads it.
#[derive(Debug, thiserror::Error)]
pub enum LegacyError {
    #[error("not a compound file: {0}")]
    NotCompound(std::io::Error),
    #[error("no Workbook stream")]
    NoWorkbookStream,
    #[error("workbook stream: {0}")]
    Stream(std::io::Error),
    #[error("workbook stream is longer than the file: damaged")]
    StreamPastFile,
    #[error(
        "a sheet declares {declared} cells, more than {MAX_GRID_CELLS}: damaged, or not a release"
    )]
    DeclaredGrid { declared: u64 },
    #[error(
        "cells reach row {rows}, column {cols}: a grid of more than {MAX_GRID_CELLS} cells; damaged, or not a release"
    )]
    SpannedGrid { rows: u64, cols: u64 },
    #[error("a sheet's dimensions end before they start (rows {first_row} to {last_row}): damaged")]
    ReversedDimensions { first_row: u64, last_row: u64 },
    #[error("record 0x{kind:04X} at byte {at} holds {len} bytes, fewer than its {need}: damaged")]
    ShortRecord {
        kind: u16,
        at: usize,
        len: usize,
        need: usize,
    },
    #[error("a cell record at byte {at} runs from column {first} to {last}: damaged")]
    ReversedColumns { at: usize, first: u16, last: u16 },
    #[error("the shared strings are damaged ({0})")]
    Strings(&'static str),
    #[error("a sheet is placed at byte {0}, where no sheet begins: damaged")]
    SheetNowhere(usize),
    #[error("the workbook stream is too long")]
    StreamTooLong,
    #[error("cannot repack the workbook: {0}")]
    Repack(std::io::Error),
}

/// `bytes` as a compound file holding only its workbook stream, once that stream is checked;
/// otherwise what is wrong with it.
pub fn repack(bytes: &[u8]) -> Result<Vec<u8>, LegacyError> {
    let stream = keep_what_calamine_reads(&workbook_stream(bytes)?)?;
    check_grid(&stream)?;
    // Version 3 (512-byte sectors), as Excel writes: calamine refuses a version 4 file whose
    // root holds no mini stream.
    let mut fresh =
        cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new()))
            .map_err(LegacyError::Repack)?;
    let mut out = fresh
        .create_stream(STREAMS[0])
        .map_err(LegacyError::Repack)?;
    out.write_all(&stream)
        .and_then(|()| out.flush())
        .map_err(LegacyError::Repack)?;
    drop(out);
    fresh.flush().map_err(LegacyError::Repack)?;
    Ok(fresh.into_inner().into_inner())
}

fn workbook_stream(bytes: &[u8]) -> Result<Vec<u8>, LegacyError> {
    let mut container =
        cfb::CompoundFile::open(Cursor::new(bytes)).map_err(LegacyError::NotCompound)?;
    let name = STREAMS
        .into_iter()
        .find(|name| container.is_stream(name))
        .ok_or(LegacyError::NoWorkbookStream)?;
    let stream = container.open_stream(name).map_err(LegacyError::Stream)?;
    let limit = bytes.len() as u64;
    match super::read_capped(stream, limit, limit) {
        Ok(Some(data)) => Ok(data),
        Ok(None) => Err(LegacyError::StreamPastFile),
        Err(e) => Err(LegacyError::Stream(e)),
    }
}

/// The grid calamine would allocate for the largest sheet, from each DIMENSIONS record and
/// from the rows and columns of every cell record (all sheets together: an over-estimate only
/// when sheets differ in shape).
fn check_grid(stream: &[u8]) -> Result<(), LegacyError> {
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
        return Err(LegacyError::DeclaredGrid { declared });
    }
    if spanned > MAX_GRID_CELLS {
        return Err(LegacyError::SpannedGrid { rows, cols });
    }
    Ok(())
}

/// The workbook stream holding only the records calamine reads a cell, a string or a number
/// format from, each checked as calamine will take it; each sheet's position in its
/// BOUNDSHEET record follows the records that moved. Names, links, drawings and merged cells
/// are left out (nothing here uses them), and a formula keeps its cached value but not its
/// expression, which calamine would otherwise parse with unchecked slicing.
fn keep_what_calamine_reads(stream: &[u8]) -> Result<Vec<u8>, LegacyError> {
    let mut out = Vec::with_capacity(stream.len());
    // A kept BOF's offset in `stream` and in `out`; where each sheet's position is written.
    let mut moved = std::collections::BTreeMap::new();
    let mut positions = Vec::new();
    let mut at = 0;
    // A record cut short by the end of the stream (the padding some writers leave after the
    // last EOF) ends the walk, as it ends calamine's.
    while let Some((kind, data)) = record_at(stream, at) {
        let mut next = at + 4 + data.len();
        let short = |need: usize| -> Result<(), LegacyError> {
            if data.len() < need {
                return Err(LegacyError::ShortRecord {
                    kind,
                    at,
                    len: data.len(),
                    need,
                });
            }
            Ok(())
        };
        match kind {
            BOF => {
                short(4)?;
                moved.insert(at, out.len());
                push_record(&mut out, kind, data);
            }
            FILEPASS | CODEPAGE | DATEMODE => {
                short(2)?;
                push_record(&mut out, kind, data);
            }
            BOUNDSHEET => {
                short(8)?;
                positions.push((out.len() + 4, u32_at(data, 0) as usize));
                push_record(&mut out, kind, data);
            }
            SST => {
                let mut parts = vec![data];
                while let Some((CONTINUE, more)) = record_at(stream, next) {
                    parts.push(more);
                    next += 4 + more.len();
                }
                check_strings(&parts)?;
                push_record(&mut out, kind, data);
                for part in &parts[1..] {
                    push_record(&mut out, CONTINUE, part);
                }
            }
            MULRK if data.len() >= 6 => {
                let (first, last) = (u16_at(data, 2), u16_at(data, data.len() - 2));
                if last < first || last - first == u16::MAX {
                    return Err(LegacyError::ReversedColumns { at, first, last });
                }
                push_record(&mut out, kind, data);
            }
            FORMULA if data.len() >= 20 => {
                push_record(&mut out, kind, &[&data[..20], &[0, 0]].concat())
            }
            EOF | FORMAT | XF | DIMENSIONS | NUMBER | LABEL | RSTRING | BOOLERR | STRING | RK
            | LABELSST | MULRK | FORMULA => push_record(&mut out, kind, data),
            _ => {}
        }
        at = next;
    }
    for (field, old) in positions {
        let new = moved.get(&old).ok_or(LegacyError::SheetNowhere(old))?;
        let new = u32::try_from(*new).map_err(|_| LegacyError::StreamTooLong)?;
        out[field..field + 4].copy_from_slice(&new.to_le_bytes());
    }
    Ok(out)
}

/// The record that starts at byte `at` of the stream, its type and its data, if it is whole.
fn record_at(stream: &[u8], at: usize) -> Option<(u16, &[u8])> {
    let header = stream.get(at..at + 4)?;
    let data = stream.get(at + 4..at + 4 + usize::from(u16_at(header, 2)))?;
    Some((u16_at(header, 0), data))
}

fn push_record(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    out.extend(kind.to_le_bytes());
    // `data` is at most a record's length, or a formula cut to 22 bytes.
    out.extend((data.len() as u16).to_le_bytes());
    out.extend(data);
}

/// The shared-string table (an SST record and the CONTINUE records after it) walked string by
/// string as calamine walks it: each string's header whole within its part, and a string
/// that goes on in the next part finding a non-empty part there.
fn check_strings(parts: &[&[u8]]) -> Result<(), LegacyError> {
    let damaged = |what: &'static str| Err(LegacyError::Strings(what));
    let mut parts = parts.iter().copied();
    let mut part = match parts.next() {
        Some(p) if p.len() >= 8 => &p[8..],
        _ => return damaged("no count"),
    };
    loop {
        if part.is_empty() {
            match parts.next() {
                Some(p) => part = p,
                None => return Ok(()),
            }
            if part.is_empty() {
                return damaged("an empty part");
            }
        }
        if part.len() < 3 {
            return damaged("a string's header is cut");
        }
        let (mut chars, flags) = (usize::from(u16_at(part, 0)), part[2]);
        part = &part[3..];
        let mut skip = 0;
        if flags & 0x8 != 0 {
            if part.len() < 2 {
                return damaged("a string's header is cut");
            }
            skip += usize::from(u16_at(part, 0)) * 4;
            part = &part[2..];
        }
        if flags & 0x4 != 0 {
            if part.len() < 4 {
                return damaged("a string's header is cut");
            }
            skip += u32_at(part, 0) as usize;
            part = &part[4..];
        }
        let mut width = if flags & 0x1 != 0 { 2 } else { 1 };
        loop {
            let n = chars.min(part.len() / width);
            part = &part[n * width..];
            chars -= n;
            if chars == 0 {
                break;
            }
            part = match parts.next() {
                Some(p) if !p.is_empty() => p,
                _ => return damaged("a string runs past its table"),
            };
            width = if part[0] & 0x1 != 0 { 2 } else { 1 };
            part = &part[1..];
        }
        while skip > 0 {
            if part.is_empty() {
                part = match parts.next() {
                    Some(p) => p,
                    None => return damaged("a string's formatting runs past its table"),
                };
                continue;
            }
            let n = skip.min(part.len());
            part = &part[n..];
            skip -= n;
        }
    }
}

const EOF: u16 = 0x000A;
const FILEPASS: u16 = 0x002F;
const DATEMODE: u16 = 0x0022;
const CODEPAGE: u16 = 0x0042;
const CONTINUE: u16 = 0x003C;
const BOUNDSHEET: u16 = 0x0085;
const XF: u16 = 0x00E0;
const SST: u16 = 0x00FC;
const FORMAT: u16 = 0x041E;
const BOF: u16 = 0x0809;
const STRING: u16 = 0x0207;
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
fn declared_cells(data: &[u8]) -> Result<u64, LegacyError> {
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
        return Err(LegacyError::ReversedDimensions {
            first_row,
            last_row,
        });
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
        check_grid(&stream).unwrap();
    }

    #[test]
    fn declared_dimensions_past_the_cap_are_refused() {
        let stream = dimensions(0, 1 << 20, 0, 256);
        assert!(
            check_grid(&stream)
                .unwrap_err()
                .to_string()
                .contains("declares 268435456 cells")
        );
    }

    #[test]
    fn dimensions_that_end_before_they_start_are_damage() {
        let stream = dimensions(9, 3, 0, 4);
        assert!(
            check_grid(&stream)
                .unwrap_err()
                .to_string()
                .contains("end before they start")
        );
    }

    #[test]
    fn one_far_cell_is_refused() {
        let stream = [label_sst(0, 0), label_sst(65_535, 65_535)].concat();
        assert!(
            check_grid(&stream)
                .unwrap_err()
                .to_string()
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

    #[test]
    fn a_record_shorter_than_calamine_reads_is_refused() {
        // calamine reads two bytes of a DATEMODE record without checking its length.
        let stream = [record(BOF, &[0, 6, 5, 0]), record(DATEMODE, &[1])].concat();
        assert!(
            keep_what_calamine_reads(&stream)
                .unwrap_err()
                .to_string()
                .contains("fewer than its 2")
        );
    }

    #[test]
    fn a_shared_string_whose_header_is_cut_is_refused() {
        // One string flagged rich (a run count follows its header) with nothing after it.
        let sst = [vec![0; 8], vec![1, 0, 0x08]].concat();
        let stream = [record(BOF, &[0, 6, 5, 0]), record(SST, &sst)].concat();
        assert!(
            keep_what_calamine_reads(&stream)
                .unwrap_err()
                .to_string()
                .contains("header is cut")
        );
        // A string going on into an empty CONTINUE record.
        let sst = [vec![0; 8], vec![4, 0, 0], b"ab".to_vec()].concat();
        let stream = [record(SST, &sst), record(CONTINUE, &[])].concat();
        assert!(keep_what_calamine_reads(&stream).is_err());
    }

    #[test]
    fn a_sheet_position_follows_the_records_left_out() {
        let name = [4, 0, b'D', b'a', b't', b'a'];
        let sheet = |pos: u32| {
            let mut data = pos.to_le_bytes().to_vec();
            data.extend([0, 0]);
            data.extend(name);
            record(BOUNDSHEET, &data)
        };
        let globals = [
            record(BOF, &[0, 6, 5, 0]),
            record(0x0018, &[0; 30]), // a defined name, left out
            sheet(0),
            record(EOF, &[]),
        ];
        let at = globals.iter().map(Vec::len).sum::<usize>() as u32;
        let globals = [&globals[..2], &[sheet(at)], &globals[3..]]
            .concat()
            .concat();
        let stream = [globals, record(BOF, &[0, 6, 16, 0]), label_sst(0, 0)].concat();
        let kept = keep_what_calamine_reads(&stream).unwrap();
        // BOF (8 bytes), BOUNDSHEET (16, its position field 4 bytes in), EOF (4).
        let pos = u32_at(&kept, 8 + 4) as usize;
        assert_eq!(pos, 8 + 16 + 4);
        assert_eq!(u16_at(&kept, pos), BOF);
        let far = [record(BOF, &[0, 6, 5, 0]), sheet(7)].concat();
        assert!(
            keep_what_calamine_reads(&far)
                .unwrap_err()
                .to_string()
                .contains("where no sheet begins")
        );
    }

    #[test]
    fn a_formula_keeps_its_cached_value_but_not_its_expression() {
        let mut data = vec![0; 20];
        data.extend([3, 0, 0x17, 0x01, 0x41]);
        let kept = keep_what_calamine_reads(&record(FORMULA, &data)).unwrap();
        assert_eq!(kept, record(FORMULA, &[&data[..20], &[0, 0]].concat()));
    }
}
