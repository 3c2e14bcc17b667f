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
    DocProperties, ExcelDateTime, Format as CellFormat, FormatAlign, Workbook, Worksheet, XlsxError,
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

/// The formats of a row's cells: text (`@`, so that Excel keeps `0217` as written), the same
/// wrapped within its column, and the general number format, each plain or bold.
struct Formats {
    text: CellFormat,
    wrapped: CellFormat,
    number: CellFormat,
}

impl Formats {
    fn new(bold: bool) -> Self {
        // At the top of the cell: a row made taller for another cell's wrapped text reads
        // from its top line.
        let top = CellFormat::new().set_align(FormatAlign::Top);
        let (text, number) = (top.clone().set_num_format("@"), top);
        let (text, number) = if bold {
            (text.set_bold(), number.set_bold())
        } else {
            (text, number)
        };
        Formats {
            wrapped: text.clone().set_text_wrap(),
            text,
            number,
        }
    }
}

/// A column of a sheet: its width in characters, and whether its text wraps within it (the
/// row as tall as it takes), so that a value wider than the column is not cut off, on screen
/// or on paper: a date cut to `2022-12-3` reads as another date.
#[derive(Debug, Clone, Copy)]
struct Column {
    width: f64,
    wrap: bool,
}

impl Column {
    const DEFAULT: Column = Column {
        width: DEFAULT_WIDTH,
        wrap: false,
    };

    fn wrapped(width: f64) -> Column {
        Column { width, wrap: true }
    }
}

/// The columns of a section sheet (the CSV's): the description, the values old and new and
/// the codes to use instead wide enough to read and wrapped beyond, the dates whole, the rest
/// Excel's default (a longer value cut at its edge, as the CSV has it whole): all of them fit
/// a landscape page at a little under two thirds of their size.
fn section_column(name: &str) -> Column {
    match name {
        "description" => Column::wrapped(30.0),
        "old" | "new" => Column::wrapped(18.0),
        "replacements" => Column::wrapped(22.0),
        "added_date" | "termination_date" => Column::wrapped(11.0),
        _ => Column::DEFAULT,
    }
}

/// Excel's width of a column not given one, in characters, and the height of a line of its
/// default font (Calibri 11), in points.
const DEFAULT_WIDTH: f64 = 8.43;
const LINE_HEIGHT: f64 = 15.0;

/// The tallest row a spreadsheet has, in points (Excel's limit): a longer text is cut there.
const MAX_ROW_HEIGHT: f64 = 409.0;

/// The height, in points, of a row whose tallest cell takes `lines` lines, at most
/// [`MAX_ROW_HEIGHT`] (a 4,500-character description in its column of 30 takes 164 lines).
fn row_height(lines: usize) -> f64 {
    (LINE_HEIGHT * lines as f64).min(MAX_ROW_HEIGHT)
}

/// Sets the widths of a sheet's `columns` (from the first) that are not Excel's default.
fn set_widths(sheet: &mut Worksheet, columns: &[Column]) -> io::Result<()> {
    for (col, column) in columns.iter().enumerate() {
        if column.width != DEFAULT_WIDTH {
            let col = u16::try_from(col).map_err(io::Error::other)?;
            sheet.set_column_width(col, column.width).map_err(fail)?;
        }
    }
    Ok(())
}

/// How many lines `text` takes wrapped in a column `width` characters wide: broken at spaces,
/// a word longer than the line across as many lines as it fills. Counted in characters as
/// wide as a digit, the widest in most text, so that a row is given room enough.
fn wrapped_lines(text: &str, width: f64) -> usize {
    let fits = (width.floor() as usize).max(1);
    let mut lines = 0;
    for paragraph in text.split('\n') {
        let (mut count, mut used) = (1, 0);
        for word in paragraph.split(' ') {
            let len = word.chars().count();
            let need = if used == 0 { len } else { used + 1 + len };
            if need <= fits {
                used = need;
            } else if len <= fits {
                (count, used) = (count + 1, len);
            } else {
                // A long word starts a line of its own and breaks where each line is full.
                count += usize::from(used > 0) + (len - 1) / fits;
                used = (len - 1) % fits + 1;
            }
        }
        lines += count;
    }
    lines
}

/// Writes a row of `values` from the first column, text wrapped in the `columns` that wrap
/// (none past them), and makes the row tall enough for it: neither Excel nor LibreOffice makes
/// a row taller for wrapped text when it opens a file, and its lines would overlap the next
/// row's.
fn write_row<C: Into<Cell> + Clone>(
    sheet: &mut Worksheet,
    row: u32,
    values: &[C],
    formats: &Formats,
    columns: &[Column],
) -> io::Result<()> {
    let mut lines = 1;
    for (i, value) in values.iter().enumerate() {
        let col = u16::try_from(i).map_err(io::Error::other)?;
        let column = columns.get(i).copied().unwrap_or(Column::DEFAULT);
        match value.clone().into() {
            Cell::Count(n) => sheet.write_number_with_format(row, col, n as f64, &formats.number),
            Cell::Text(value) => {
                let format = if column.wrap {
                    lines = lines.max(wrapped_lines(&value, column.width));
                    &formats.wrapped
                } else {
                    &formats.text
                };
                if super::csv::formula_like(&value) {
                    let quoted = format.clone().set_quote_prefix();
                    sheet.write_string_with_format(row, col, value, &quoted)
                } else {
                    sheet.write_string_with_format(row, col, value, format)
                }
            }
        }
        .map_err(fail)?;
    }
    if lines > 1 {
        sheet.set_row_height(row, row_height(lines)).map_err(fail)?;
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
    columns: &[Column],
) -> io::Result<u32> {
    write_row(sheet, top, head, bold, columns)?;
    let mut row = top + 1;
    for values in rows {
        write_row(sheet, row, values.as_ref(), plain, columns)?;
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
    let widths = [
        Column::wrapped(60.0),
        Column::DEFAULT,
        Column::wrapped(60.0),
    ];
    for (i, line) in lines.iter().enumerate() {
        let format = if i == 0 { bold } else { plain };
        write_row(sheet, i as u32, std::slice::from_ref(line), format, &widths)?;
    }
    // The lines and the sections' hints wrap within the columns, which together fit a
    // landscape page: a line that ran on past them printed the sheet at a fraction of its size.
    let head = ["Section", "Codes", "What it holds"].map(String::from);
    let rows = Section::ALL.into_iter().map(|section| {
        [
            Cell::from(section.title()),
            Cell::from(section.count(set)),
            Cell::from(section.hint()),
        ]
    });
    write_table(
        sheet,
        lines.len() as u32 + 1,
        &head,
        rows,
        plain,
        bold,
        &widths,
    )?;
    set_widths(sheet, &widths)?;
    for_print(sheet, false)?;
    // Lines of prose and a small table: no grid on paper.
    sheet.set_print_gridlines(false);
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
    // The counts' columns as wide as their longest head (`Reinstated`).
    let mut widths = vec![Column::wrapped(60.0), Column::wrapped(14.0)];
    widths.resize(head.len(), Column::wrapped(11.0));
    // The last row is the totals, in bold.
    if let Some((totals, rows)) = rows.split_last() {
        let rows = rows.iter().map(values);
        let below = write_table(sheet, 0, &head, rows, plain, bold, &widths)?;
        write_row(sheet, below, &values(totals), bold, &widths)?;
    }
    set_widths(sheet, &widths)?;
    sheet.set_freeze_panes(1, 0).map_err(fail)?;
    for_print(sheet, true)
}

/// How a sheet prints: landscape, scaled to one page wide (as many pages down as it takes) so
/// that no column is cut off at the page's edge onto a page of its own, with gridlines (a
/// table on paper has no other lines), and its name and page number in the footer; a table
/// headed at row 0 repeats its head on every page.
fn for_print(sheet: &mut Worksheet, head_row: bool) -> io::Result<()> {
    sheet
        .set_landscape()
        .set_print_fit_to_pages(1, 0)
        .set_print_gridlines(true)
        .set_footer("&L&A&RPage &P of &N");
    if head_row {
        sheet.set_repeat_rows(0, 0).map_err(fail)?;
    }
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
    let unfit = || {
        io::Error::other(format!(
            "--generated-at {made}: a workbook holds times of the years 1900 to 9999 only"
        ))
    };
    let t = chrono::DateTime::parse_from_rfc3339(made)
        .map_err(|_| unfit())?
        .with_timezone(&chrono::Utc);
    let year = u16::try_from(t.year()).map_err(|_| unfit())?;
    ExcelDateTime::from_ymd(year, t.month() as u8, t.day() as u8)
        .and_then(|d| d.and_hms(t.hour() as u16, t.minute() as u8, t.second()))
        .map(Some)
        .map_err(|_| unfit())
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
    let widths: Vec<Column> = super::csv::HEADER.map(section_column).to_vec();
    for (section, codes) in sections(set) {
        let sheet = book.add_worksheet();
        sheet.set_name(sheet_name(section)).map_err(fail)?;
        let rows = codes.into_iter().flat_map(|c| super::csv::rows(set, c));
        write_table(sheet, 0, &header, rows, &text, &bold, &widths)?;
        set_widths(sheet, &widths)?;
        sheet.set_freeze_panes(1, 0).map_err(fail)?;
        for_print(sheet, true)?;
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
        let widths = [
            Column::DEFAULT,
            Column::DEFAULT,
            Column::DEFAULT,
            Column::wrapped(15.0),
            Column::wrapped(60.0),
        ];
        write_table(sheet, 0, &head, rows, &text, &bold, &widths)?;
        set_widths(sheet, &widths)?;
        for_print(sheet, true)?;
    }
    let bytes = book.save_to_buffer().map_err(fail)?;
    out.write_all(&bytes)
}

#[cfg(test)]
mod tests {
    use super::{row_height, wrapped_lines};

    /// A row is as tall as its lines, up to the tallest a spreadsheet has.
    #[test]
    fn a_row_is_as_tall_as_its_lines_up_to_the_limit() {
        assert_eq!(row_height(2), 30.0);
        assert_eq!(row_height(27), 405.0);
        assert_eq!(row_height(164), 409.0);
    }

    /// Words wrap at spaces; a word longer than the line fills lines of its own; each line
    /// of the text starts a line.
    #[test]
    fn wrapped_lines_counts_the_lines_a_cell_takes() {
        assert_eq!(wrapped_lines("", 10.0), 1);
        assert_eq!(wrapped_lines("2022-12-31", 10.0), 1);
        assert_eq!(wrapped_lines("2022-12-31", 8.43), 2);
        assert_eq!(
            wrapped_lines("Portable oxygen concentrator, rental", 30.0),
            2
        );
        assert_eq!(wrapped_lines("aaaa bbbb cccc", 9.0), 2);
        assert_eq!(wrapped_lines("ab abcdefghijklmnopqrstu x", 10.0), 4);
        assert_eq!(wrapped_lines("one\ntwo", 30.0), 2);
        assert_eq!(wrapped_lines(&"x".repeat(100), 0.5), 100);
    }
}
