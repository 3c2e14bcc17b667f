//! The Excel copy of a release: `.xlsx` (2013 on) and legacy `.xls` (2012, 2020), read with
//! calamine. Sheet names and headers differ by year and some sheets have note rows above the
//! header; some years have a row per code, others a row per text line (record id 4 and 8 rows).

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xls, Xlsx, open_workbook_from_rs};

use super::{Parsed, tabular};
use crate::error::{FileProblem, Location, ReadError, Warning};

/// Columns beyond this are not read: CMS's sheets have under 60, and a cell placed at XFD
/// must not widen every row.
const MAX_COLUMNS: usize = 256;

/// A sheet's non-empty rows and their 1-based row numbers, and the cells that hold no value
/// to read.
pub struct Sheet {
    pub name: String,
    pub numbers: Vec<usize>,
    pub cells: Vec<Vec<String>>,
    pub unread: Vec<Unread>,
}

/// A cell read as empty because it holds no value: an error value (`#NAME?`: Excel took the
/// text for a formula it could not work out) or a formula whose result was never saved. A
/// formula whose saved result is the empty string has a value, the empty string.
pub struct Unread {
    /// 1-based, as a spreadsheet program numbers it.
    pub row: usize,
    /// 0-based.
    pub column: usize,
    pub problem: String,
}

/// What an error value or a formula without its result holds; `None` for a cell with a value.
/// What calamine lets each format tell: in an xlsx, a formula cell (`<f>`) with no `<v>` is
/// `Empty`, and one whose saved result is the empty string (`t="str"`, `<v></v>`) is an empty
/// `String`, a value like any other. In an `.xls`, a FORMULA record always carries its result
/// (a number, a boolean, an error, the empty string) except a string result, which is in the
/// STRING record after it: a formula without that record has no value in the sheet's range.
fn unread(value: &Data, formula: bool) -> Option<String> {
    match value {
        Data::Error(e) => Some(format!("an error value ({e}), not a value")),
        Data::Empty if formula => Some(NO_RESULT.to_string()),
        _ => None,
    }
}

const NO_RESULT: &str = "a formula with no saved result";

/// A 0-based column as a spreadsheet program names it: A, ..., Z, AA, ..., XFD (a column past
/// the 16,384 a sheet can hold, which only a hostile file gives, by its number).
fn column_letters(column: usize) -> String {
    const COLUMNS: u16 = 16_384;
    match u16::try_from(column) {
        Ok(column) if column < COLUMNS => rust_xlsxwriter::column_number_to_name(column),
        _ => format!("number {}", column.saturating_add(1)),
    }
}

/// Every sheet of a workbook, as text (for CMS's other workbooks, such as corrections).
pub fn sheets(file: &str, bytes: &[u8], legacy: bool) -> Result<Vec<Sheet>, ReadError> {
    if legacy {
        xls_sheets(file, bytes)
    } else {
        xlsx_sheets(file, bytes)
    }
}

pub fn read(file: &str, bytes: &[u8], legacy: bool) -> Result<Parsed, ReadError> {
    let sheets = sheets(file, bytes, legacy)?;
    let names: Vec<String> = sheets.iter().map(|s| format!("'{}'", s.name)).collect();
    for sheet in sheets {
        if let Some(header) = tabular::find_header(&sheet.cells) {
            let (name, numbers) = (sheet.name, sheet.numbers);
            let at = |i: usize| Location::Cell {
                sheet: name.clone(),
                row: numbers.get(i).copied().unwrap_or(0),
            };
            let headers = sheet.cells[header.0].clone();
            let rows = tabular::rows(file, sheet.cells, header, at)?;
            let warnings = sheet
                .unread
                .into_iter()
                .map(|cell| Warning {
                    at: Location::Cell {
                        sheet: name.clone(),
                        row: cell.row,
                    },
                    field: None,
                    message: format!(
                        "column {}{}: {}; read as empty",
                        column_letters(cell.column),
                        headers
                            .get(cell.column)
                            .filter(|h| !h.trim().is_empty())
                            .map_or_else(String::new, |h| format!(" ({})", h.trim())),
                        cell.problem
                    ),
                })
                .collect();
            return Ok(Parsed {
                rows,
                warnings,
                damaged: Vec::new(),
            });
        }
    }
    Err(ReadError::file(
        file,
        FileProblem::NoHeaderRow(names.join(", ")),
    ))
}

fn bad(file: &str) -> impl Fn(String) -> ReadError + '_ {
    move |e| ReadError::file(file, FileProblem::BadWorkbook(e))
}

/// A legacy workbook's sheets, read by calamine from the checked copy `legacy::repack` makes,
/// which holds only records checked to be whole where calamine reads them: no panic is
/// expected. Should calamine still panic, that is caught here as a last resort and is a bad
/// workbook like any other; its message prints through whatever panic hook the program has,
/// since the hook is process-wide and not this library's to swap.
fn xls_sheets(file: &str, bytes: &[u8]) -> Result<Vec<Sheet>, ReadError> {
    let read = std::panic::catch_unwind(|| xls_sheets_unguarded(file, bytes));
    read.unwrap_or_else(|_| Err(bad(file)("damaged legacy workbook".to_string())))
}

fn xls_sheets_unguarded(file: &str, bytes: &[u8]) -> Result<Vec<Sheet>, ReadError> {
    let bytes = super::legacy::repack(bytes).map_err(|e| bad(file)(e.to_string()))?;
    let mut wb: Xls<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: calamine::XlsError| bad(file)(e.to_string()))?;
    let sheets = wb.worksheets();
    sheets
        .into_iter()
        .map(|(name, range)| {
            let first_row = range.start().map_or(0, |(r, _)| r as usize);
            let first_column = range.start().map_or(0, |(_, c)| c as usize);
            // Each formula whose cell holds no value (see `unread`); the range of formulas is
            // no larger than the sheet's (`legacy::repack` bounded that).
            let formulas = wb
                .worksheet_formula(&name)
                .map_err(|e| bad(file)(format!("sheet '{name}': its formulas: {e}")))?;
            let (formula_row, formula_column) = formulas.start().unwrap_or((0, 0));
            let mut unread_cells: Vec<Unread> = formulas
                .used_cells()
                .map(|(r, c, _)| (formula_row + r as u32, formula_column + c as u32))
                .filter(|&(_, c)| (c as usize) < MAX_COLUMNS)
                .filter(|&at| range.get_value(at).is_none_or(|v| *v == Data::Empty))
                .map(|(r, c)| Unread {
                    row: r as usize + 1,
                    column: c as usize,
                    problem: NO_RESULT.to_string(),
                })
                .collect();
            let (numbers, cells) = range
                .rows()
                .enumerate()
                .filter(|(_, r)| r.iter().take(MAX_COLUMNS).any(|c| *c != Data::Empty))
                .map(|(i, r)| {
                    let number = first_row + i + 1;
                    let row = r
                        .iter()
                        .take(MAX_COLUMNS)
                        .enumerate()
                        .map(|(j, cell)| match unread(cell, false) {
                            Some(problem) => {
                                unread_cells.push(Unread {
                                    row: number,
                                    column: first_column + j,
                                    problem,
                                });
                                String::new()
                            }
                            None => cell_text(cell),
                        })
                        .collect();
                    (number, row)
                })
                .unzip();
            unread_cells.sort_by_key(|cell| (cell.row, cell.column));
            Ok(Sheet {
                name,
                numbers,
                cells,
                unread: unread_cells,
            })
        })
        .collect()
}

/// An xlsx's sheets, cell by cell: memory follows the cells present, never the declared
/// dimensions nor the distance to the farthest cell (calamine's ranges allocate rows x columns
/// of that box). The parts are first checked to unpack within the cap.
fn xlsx_sheets(file: &str, bytes: &[u8]) -> Result<Vec<Sheet>, ReadError> {
    check_parts(file, bytes)?;
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| bad(file)(e.to_string()))?;
    let mut sheets = Vec::new();
    for name in wb.sheet_names() {
        let mut reader = match wb.worksheet_cells_reader(&name) {
            Ok(r) => r,
            Err(calamine::XlsxError::NotAWorksheet(_)) => continue,
            Err(e) => return Err(bad(file)(e.to_string())),
        };
        let mut rows: BTreeMap<u32, Vec<String>> = BTreeMap::new();
        let mut unread_cells = Vec::new();
        while let Some(cell) = reader
            .next_cell_with_formula_metadata()
            .map_err(|e| bad(file)(e.to_string()))?
        {
            let (row, col) = cell.pos;
            let col = col as usize;
            if col >= MAX_COLUMNS {
                continue;
            }
            let value = Data::from(cell.value);
            if let Some(problem) = unread(&value, cell.formula.is_some()) {
                unread_cells.push(Unread {
                    row: row as usize + 1,
                    column: col,
                    problem,
                });
                continue;
            }
            let text = cell_text(&value);
            if text.is_empty() {
                continue;
            }
            let cells = rows.entry(row).or_default();
            if cells.len() <= col {
                cells.resize(col + 1, String::new());
            }
            cells[col] = text;
        }
        let numbers = rows.keys().map(|r| *r as usize + 1).collect();
        let cells = rows.into_values().collect();
        sheets.push(Sheet {
            name,
            numbers,
            cells,
            unread: unread_cells,
        });
    }
    Ok(sheets)
}

/// Every part of the xlsx unpacks, all together, within `read::max_unpacked` bytes.
fn check_parts(file: &str, bytes: &[u8]) -> Result<(), ReadError> {
    let zip_bad = |e: zip::result::ZipError| bad(file)(e.to_string());
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zip_bad)?;
    let limit = super::max_unpacked();
    let mut left = limit;
    for i in 0..archive.len() {
        let part = archive.by_index(i).map_err(zip_bad)?;
        let part_name = part
            .name()
            .map_or_else(|_| format!("part {i}"), |n| n.into_owned());
        let n = std::io::copy(
            &mut std::io::Read::take(part, left + 1),
            &mut std::io::sink(),
        )
        .map_err(|e| bad(file)(format!("{part_name}: {e}")))?;
        if n > left {
            return Err(ReadError::file(
                file,
                FileProblem::TooLarge {
                    what: format!("part {part_name}"),
                    limit,
                },
            ));
        }
        left -= n;
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::column_letters;

    #[test]
    fn columns_are_named_as_spreadsheets_name_them() {
        for (column, name) in [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA")] {
            assert_eq!(column_letters(column), name);
        }
        assert_eq!(column_letters(16_383), "XFD");
        assert_eq!(column_letters(16_384), "number 16385");
        assert_eq!(column_letters(usize::MAX), format!("number {}", usize::MAX));
    }
}
