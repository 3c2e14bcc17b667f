//! `export RELEASE`: a stored release as CSV (one row per code, every field, repeating fields
//! joined with "; ") for spreadsheets and for other diff tools.

use std::io::{self, Write};

use crate::model::Snapshot;
use crate::model::fields::FIELDS;

pub fn csv(out: &mut dyn Write, snapshot: &Snapshot) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let header = ["code", "kind"]
        .into_iter()
        .chain(FIELDS.iter().map(|f| f.key));
    w.write_record(header)?;
    for r in &snapshot.records {
        let values = FIELDS.iter().map(|f| (f.values)(r).join("; "));
        w.write_record(
            [r.code.clone(), r.kind.as_str().to_string()]
                .into_iter()
                .chain(values),
        )?;
    }
    w.flush()
}
