//! `csv-diff-crate OLD.csv NEW.csv`: diff two CSVs keyed on their first column with the
//! csv-diff crate (qsv diff's engine) and print how many rows differ.

use csv_diff::csv::Csv;
use csv_diff::csv_diff::CsvByteDiffLocal;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (old, new) = (std::fs::File::open(&args[1])?, std::fs::File::open(&args[2])?);
    let diff = CsvByteDiffLocal::new()?;
    let rows = diff.diff(Csv::with_reader_seek(old), Csv::with_reader_seek(new))?;
    println!("{} rows differ", rows.as_slice().len());
    Ok(())
}
