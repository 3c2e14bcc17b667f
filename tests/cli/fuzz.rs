//! Every reader fed random bytes and mutated good files (truncated, bytes flipped, lines
//! spliced): each returns a result or an error, never panics. The inputs are the fixtures and
//! files the form tests write, so this runs without the real data; the caps that bound memory
//! are exercised in `hostile`.
//!
//! A legacy `.xls` is read from the checked copy `read::legacy::repack` makes, so its damaged
//! forms (a loop in a sector chain, dimensions or cells far out) are fuzzed like the others: a
//! buffer sized from them would abort this test binary.

use hcpcs_diff::model::Snapshot;
use hcpcs_diff::read::{self, Form};
use hcpcs_diff::{ReadOptions, load_source, source};
use proptest::prelude::*;

use crate::forms::{Sheet, csv_file, sample, workbook};
use crate::util::{Work, fixture, zip_of};

/// A good file of each form, with the name and form it is read as.
fn seeds() -> Vec<(&'static str, Form, Vec<u8>)> {
    let text = std::fs::read(fixture("oxygen/2006/HCPC2006_CONTR_ANWEB.txt")).unwrap();
    vec![
        ("HCPC2006_CONTR_ANWEB.txt", Form::Text, text),
        (
            "anweb.xlsx",
            Form::Xlsx,
            workbook(&sample(), Sheet::PerCode),
        ),
        ("anweb.csv", Form::Csv, csv_file(&sample(), Sheet::PerCode)),
        (
            "12anweb.xls",
            Form::Xls,
            std::fs::read(fixture("xls/12anweb.xls")).unwrap(),
        ),
    ]
}

fn seed_zip() -> Vec<u8> {
    let text = std::fs::read(fixture("oxygen/2006/HCPC2006_CONTR_ANWEB.txt")).unwrap();
    zip_of(&[
        ("HCPC2006_CONTR_ANWEB.txt", text.as_slice()),
        ("README.txt", b"fixture\r\n"),
    ])
}

fn seed_snapshot() -> Vec<u8> {
    let work = Work::with(&[fixture("oxygen/2006")]);
    std::fs::read(work.store().join("2006-01.jsonl")).unwrap()
}

/// How a good file is spoilt.
#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Flip(Vec<(usize, u8)>),
    /// Copy line `from` over line `to`.
    Splice {
        from: usize,
        to: usize,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        prop::collection::vec((any::<usize>(), any::<u8>()), 1..8).prop_map(Mutation::Flip),
        (any::<usize>(), any::<usize>()).prop_map(|(from, to)| Mutation::Splice { from, to }),
    ]
}

fn mutate(bytes: &[u8], m: &Mutation) -> Vec<u8> {
    let mut out = bytes.to_vec();
    match m {
        Mutation::Truncate(at) => out.truncate(at % (bytes.len() + 1)),
        Mutation::Flip(flips) => {
            for (at, byte) in flips {
                let i = at % out.len().max(1);
                if let Some(b) = out.get_mut(i) {
                    *b = *byte;
                }
            }
        }
        Mutation::Splice { from, to } => {
            let mut lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
            let line = lines[from % lines.len()];
            let i = to % lines.len();
            lines[i] = line;
            out = lines.join(&b'\n');
        }
    }
    out
}

/// Reads `bytes` every way a file can be read: as each form, as what it sniffs as, and through
/// the whole import. Any panic fails the property.
fn read_every_way(name: &str, form: Form, bytes: &[u8]) {
    let _ = read::read(name, bytes, form);
    let _ = read::sniff(name, bytes);
    if let Ok(file) = source::from_bytes(name, bytes.to_vec()) {
        let options = ReadOptions {
            release: "2006".parse().ok(),
            strict: false,
            today: None,
        };
        let _ = load_source(file, options);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_are_an_error_or_a_result_for_every_reader(
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
        prefix in prop_oneof![
            Just(&b""[..]), Just(&b"PK\x03\x04"[..]),
            Just(&b"HCPC,SEQNUM,RECID,LONG DESCRIPTION\n"[..]),
            Just(&b"A0998  0010 3"[..]),
            Just(&b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"[..]),
        ],
    ) {
        let bytes = [prefix, bytes.as_slice()].concat();
        for form in [Form::Text, Form::Xlsx, Form::Xls, Form::Csv] {
            read_every_way("random.bin", form, &bytes);
        }
        let _ = Snapshot::from_bytes("random.jsonl", &bytes);
    }

    #[test]
    fn mutated_release_files_are_an_error_or_a_result(m in mutation(), which in 0usize..4) {
        let seeds = seeds();
        let (name, form, bytes) = &seeds[which];
        read_every_way(name, *form, &mutate(bytes, &m));
    }

    #[test]
    fn a_mutated_release_zip_is_an_error_or_a_result(m in mutation()) {
        let bytes = mutate(&seed_zip(), &m);
        read_every_way("2006.zip", Form::Text, &bytes);
    }

    #[test]
    fn a_mutated_snapshot_is_an_error_or_a_result(m in mutation()) {
        static SEED: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        let seed = SEED.get_or_init(seed_snapshot);
        let _ = Snapshot::from_bytes("2006-01.jsonl", &mutate(seed, &m));
    }
}
