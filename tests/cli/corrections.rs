//! CMS's corrections files: read in every form, classified, kept with their release, and used
//! by `show`, `history` and `diff`.

use hcpcs_diff::model::correction::Action;
use hcpcs_diff::read::corrections;

use crate::util::{real_data, unzip};

/// Every corrections file in the real data, every form (the `.prn` prints too), by name.
fn real_corrections_files(data: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let zips = [
        "2017-01/2017-HCPCS-Alpha-Numeric-Corrections.zip",
        "2018-01/2018-HCPCS-Alpha-Numeric-Corrections.zip",
        "2019-01/2019-HCPCS-Alpha-Numeric-Corrections.zip",
        "2025-01/january-2025-alpha-numeric-hcpcs-file.zip",
    ];
    zips.iter()
        .flat_map(|z| unzip(&data.join(z)))
        .filter(|(n, _)| corrections::is_corrections_name(n) && !n.ends_with("README.txt"))
        .collect()
}

#[test]
fn every_real_corrections_row_is_classified_or_listed_as_unparsed() {
    let Some(data) = real_data!() else { return };
    let mut rows = 0;
    let mut unparsed = Vec::new();
    for (name, bytes) in real_corrections_files(&data) {
        let read = corrections::read(&name, &bytes).unwrap_or_else(|e| panic!("{e}"));
        rows += read.len();
        for c in read.iter().filter(|c| c.class == Action::Unparsed) {
            unparsed.push(format!("{name}\t{}\t{}\t{}", c.at, c.code, c.action));
        }
    }
    // The rows left as CMS wrote them: a workbook row that points at an older description
    // without giving it, and `.prn` prints cut short mid-word ("Change Co", "Removed in").
    let listed = std::fs::read_to_string(crate::util::fixture("corrections/unparsed.tsv")).unwrap();
    let listed: Vec<&str> = listed.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(unparsed, listed);
    assert_eq!((rows, unparsed.len()), (ROWS, UNPARSED));
}

/// Rows in the real corrections files (every version, workbook, text and `.prn`), and how
/// many of them are unparsed.
const ROWS: usize = 318;
const UNPARSED: usize = 24;
