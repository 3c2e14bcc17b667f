//! The changelog as an Excel workbook: a summary sheet (releases, context, counts), the counts
//! by section of HCPCS Level II, then a sheet per section with the CSV's columns, and the
//! disagreements with CMS. Counts of codes are numbers, so that a spreadsheet sums them; every
//! other cell is written as text in a text-formatted cell, so that codes and values such as
//! `0217`, `00` and `60-9` stay as written instead of turning into numbers and dates. A string
//! cell is never evaluated, so a description beginning with `=` cannot run as a formula; a cell
//! that would read as one (`csv::formula_like`) is also given Excel's quote prefix, so that it
//! stays text when someone edits it, and it shows as written, without the `'` the CSV needs.

use std::io::{self, Write};

use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format as CellFormat, Workbook, Worksheet, XlsxError,
};

use super::{Section, agreement_note, context_lines, sections, summary_line};
use crate::diff::Changeset;

fn fail(e: XlsxError) -> io::Error {
    io::Error::other(e.to_string())
}

/// A section's sheet name: its title without the characters Excel refuses in one (`:`).
pub fn sheet_name(section: Section) -> String {
    section.title().replace(':', " -")
}

/// A cell of the workbook: text, or a count of codes (a number a spreadsheet can sum).
#[derive(Debug, Clone)]
enum Cell {
    Text(String),
    Count(usize),
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell::Text(text)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::Text(text.to_string())
    }
}

impl From<usize> for Cell {
    fn from(n: usize) -> Self {
        Cell::Count(n)
    }
}

/// The formats of a row's cells: text (`@`, so that Excel keeps `0217` as written) and the
/// general number format, each plain or bold.
struct Formats {
    text: CellFormat,
    number: CellFormat,
}

impl Formats {
    fn new(bold: bool) -> Self {
        let (text, number) = (CellFormat::new().set_num_format("@"), CellFormat::new());
        if bold {
            Formats {
                text: text.set_bold(),
                number: number.set_bold(),
            }
        } else {
            Formats { text, number }
        }
    }
}

fn write_row<C: Into<Cell> + Clone>(
    sheet: &mut Worksheet,
    row: u32,
    values: &[C],
    formats: &Formats,
) -> io::Result<()> {
    for (col, value) in values.iter().enumerate() {
        let col = u16::try_from(col).map_err(io::Error::other)?;
        match value.clone().into() {
            Cell::Count(n) => sheet.write_number_with_format(row, col, n as f64, &formats.number),
            Cell::Text(value) if super::csv::formula_like(&value) => {
                let quoted = formats.text.clone().set_quote_prefix();
                sheet.write_string_with_format(row, col, value, &quoted)
            }
            Cell::Text(value) => sheet.write_string_with_format(row, col, value, &formats.text),
        }
        .map_err(fail)?;
    }
    Ok(())
}

/// A table: its head in bold at row `top`, then a row for each of `rows`; the row after the
/// table.
fn write_table<C: Into<Cell> + Clone, R: AsRef<[C]>>(
    sheet: &mut Worksheet,
    top: u32,
    head: &[String],
    rows: impl IntoIterator<Item = R>,
    plain: &Formats,
    bold: &Formats,
) -> io::Result<u32> {
    write_row(sheet, top, head, bold)?;
    let mut row = top + 1;
    for values in rows {
        write_row(sheet, row, values.as_ref(), plain)?;
        row += 1;
    }
    Ok(row)
}

fn summary(
    book: &mut Workbook,
    set: &Changeset,
    plain: &Formats,
    bold: &Formats,
) -> io::Result<()> {
    let sheet = book.add_worksheet();
    sheet.set_name("Summary").map_err(fail)?;
    let mut lines = vec![
        format!("HCPCS {} -> {}", set.old.label(), set.new.label()),
        format!("from {} to {}", set.old.source, set.new.source),
    ];
    lines.extend(context_lines(set));
    lines.push(summary_line(set));
    lines.extend(agreement_note(set));
    for (i, line) in lines.iter().enumerate() {
        let format = if i == 0 { bold } else { plain };
        write_row(sheet, i as u32, std::slice::from_ref(line), format)?;
    }
    let head = ["Section", "Codes", "What it holds"].map(String::from);
    let rows = Section::ALL.into_iter().map(|section| {
        [
            Cell::from(section.title()),
            Cell::from(section.count(set)),
            Cell::from(section.hint()),
        ]
    });
    write_table(sheet, lines.len() as u32 + 1, &head, rows, plain, bold)?;
    sheet.set_column_width(0, 40).map_err(fail)?;
    Ok(())
}

/// The counts by section of HCPCS Level II: a row per section with changes, then the totals.
fn by_section(
    book: &mut Workbook,
    set: &Changeset,
    plain: &Formats,
    bold: &Formats,
) -> io::Result<()> {
    let sheet = book.add_worksheet();
    sheet.set_name("By section").map_err(fail)?;
    let mut head = vec!["Section".to_string(), "Range".to_string()];
    head.extend(super::change_columns());
    head.push("Total".to_string());
    let values = |r: &super::SectionRow| {
        let mut values = vec![Cell::from(r.name), Cell::from(r.id)];
        values.extend(r.counts.iter().copied().map(Cell::from));
        values.push(Cell::from(r.total));
        values
    };
    let rows = super::section_rows(set);
    // The last row is the totals, in bold.
    if let Some((totals, rows)) = rows.split_last() {
        let below = write_table(sheet, 0, &head, rows.iter().map(values), plain, bold)?;
        write_row(sheet, below, &values(totals), bold)?;
    }
    sheet.set_column_width(0, 60).map_err(fail)?;
    sheet.set_column_width(1, 14).map_err(fail)?;
    // The counts' columns as wide as their longest head (`Reinstated`).
    for col in 2..u16::try_from(head.len()).map_err(io::Error::other)? {
        sheet.set_column_width(col, 11).map_err(fail)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(fail)?;
    Ok(())
}

/// The time a workbook says it was made: the report's (`--generated-at`, or the clock when the
/// report was made), not the library's own clock, so that a report made with a given time
/// comes out the same, byte for byte, each run.
fn made_at(set: &Changeset) -> io::Result<Option<ExcelDateTime>> {
    use chrono::{Datelike, Timelike};
    let Some(made) = set.context.generated_at.as_deref() else {
        return Ok(None);
    };
    let t = chrono::DateTime::parse_from_rfc3339(made)
        .map_err(io::Error::other)?
        .with_timezone(&chrono::Utc);
    let date = ExcelDateTime::from_ymd(
        u16::try_from(t.year()).map_err(io::Error::other)?,
        t.month() as u8,
        t.day() as u8,
    );
    date.and_then(|d| d.and_hms(t.hour() as u16, t.minute() as u8, t.second()))
        .map(Some)
        .map_err(fail)
}

pub fn render(out: &mut dyn Write, set: &Changeset) -> io::Result<()> {
    let mut book = Workbook::new();
    if let Some(made) = made_at(set)? {
        book.set_properties(&DocProperties::new().set_creation_datetime(&made));
    }
    let (text, bold) = (Formats::new(false), Formats::new(true));
    summary(&mut book, set, &text, &bold)?;
    by_section(&mut book, set, &text, &bold)?;
    let header: Vec<String> = super::csv::HEADER.iter().map(|h| h.to_string()).collect();
    for (section, codes) in sections(set) {
        let sheet = book.add_worksheet();
        sheet.set_name(sheet_name(section)).map_err(fail)?;
        let rows = codes.into_iter().flat_map(|c| super::csv::rows(set, c));
        write_table(sheet, 0, &header, rows, &text, &bold)?;
        sheet.set_freeze_panes(1, 0).map_err(fail)?;
    }
    if !set.disagreements.is_empty() {
        let sheet = book.add_worksheet();
        sheet
            .set_name(Section::Disagreements.title())
            .map_err(fail)?;
        let head = ["code", "kind", "change", "cms_action_code", "reason"].map(String::from);
        let rows = set.disagreements.iter().map(|d| {
            [
                d.code.clone(),
                d.kind.as_str().to_string(),
                d.change.map(|c| c.as_str().to_string()).unwrap_or_default(),
                d.action_code.clone().unwrap_or_default(),
                d.reason.clone(),
            ]
        });
        write_table(sheet, 0, &head, rows, &text, &bold)?;
    }
    let bytes = book.save_to_buffer().map_err(fail)?;
    out.write_all(&bytes)
}
