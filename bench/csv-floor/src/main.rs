//! `csv-floor FILE.csv`: read every record of a CSV with the csv crate (into one reused
//! record, as a tight reader does) and print how many records and fields it read. What
//! `audit` of the same file cannot be faster than: the floor bench/run.sh measures it against.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: csv-floor FILE.csv")?;
    let mut reader = csv::Reader::from_path(path)?;
    let mut record = csv::ByteRecord::new();
    let (mut records, mut fields) = (0u64, 0u64);
    while reader.read_byte_record(&mut record)? {
        records += 1;
        fields += record.len() as u64;
    }
    println!("{records} records, {fields} fields");
    Ok(())
}
