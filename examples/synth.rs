//! Writes two synthetic releases of N codes into a store, for benchmarks of scale:
//! `cargo run --release --example synth -- N STORE [TEXT]`. The second release changes about 2%
//! of codes (descriptions, pricing, termination), drops 0.5% and adds 1%, deterministically.
//! With TEXT, the first release is also written there as CMS's fixed-width text (320-character
//! lines, long descriptions continued on lines of their own), for benchmarks of `import`: its
//! first 260,000 records at most, under procedure codes A0000 to Z9999 (the store's releases
//! use any five characters, but import takes only codes of HCPCS's form, and there are no more).

use hcpcs_diff::model::{Kind, Record, ReleaseId};
use hcpcs_diff::model::{Snapshot, SourceInfo};
use hcpcs_diff::read::layout::{Field, LAYOUT};
use hcpcs_diff::store::Store;

/// A small deterministic generator (SplitMix64), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

const WORDS: &[&str] = &[
    "oxygen",
    "portable",
    "concentrator",
    "rental",
    "each",
    "supply",
    "injection",
    "per",
    "mg",
    "system",
    "wheelchair",
    "dressing",
    "sterile",
    "includes",
    "accessories",
    "catheter",
    "insulin",
    "pump",
    "monthly",
];

fn code(i: usize) -> String {
    const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut n = i;
    let mut tail = [0u8; 4];
    for slot in tail.iter_mut().rev() {
        *slot = ALNUM[n % 36];
        n /= 36;
    }
    format!(
        "{}{}",
        (b'A' + (n % 26) as u8) as char,
        std::str::from_utf8(&tail).unwrap()
    )
}

/// The most codes the text holds: import takes only HCPCS procedure codes (a letter and four
/// digits), of which there are 260,000; the store's releases hold any five characters.
const TEXT_CODES: usize = 26 * 10_000;

/// The `i`th procedure code in order: `A0000`, `A0001`, ..., `Z9999`.
fn text_code(i: usize) -> String {
    format!("{}{:04}", char::from(b'A' + (i / 10_000) as u8), i % 10_000)
}

fn record(i: usize, rng: &mut Rng) -> Record {
    let mut r = Record::new(code(i), Kind::Procedure);
    let n = 4 + (rng.next() % 12) as usize;
    r.long_description = (0..n)
        .map(|_| WORDS[(rng.next() % WORDS.len() as u64) as usize])
        .collect::<Vec<_>>()
        .join(" ");
    let short: String = r.long_description.chars().take(28).collect();
    r.short_description = Some(short.trim_end().to_string());
    r.pricing_indicators = vec![format!("{}", 31 + rng.next() % 9)];
    r.multiple_pricing_indicator = Some("A".into());
    r.coverage = Some("D".into());
    r.betos = Some("D1C".into());
    r.types_of_service = vec!["R".into()];
    r.added_date = chrono::NaiveDate::from_ymd_opt(1990 + (rng.next() % 30) as i32, 1, 1);
    r.action_effective_date = r.added_date;
    r.action_code = Some("N".into());
    r
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(n), Some(store)) = (
        args.get(1).and_then(|n| n.parse::<usize>().ok()),
        args.get(2),
    ) else {
        eprintln!("usage: synth N STORE [TEXT]");
        std::process::exit(2);
    };
    let mut rng = Rng(42);
    let old: Vec<Record> = (0..n).map(|i| record(i, &mut rng)).collect();
    if let Some(text) = args.get(3) {
        let mut out = std::io::BufWriter::new(std::fs::File::create(text).unwrap());
        for (i, r) in old.iter().take(TEXT_CODES).enumerate() {
            let mut r = r.clone();
            r.code = text_code(i);
            write_fixed_width(&mut out, &r).unwrap();
        }
        std::io::Write::flush(&mut out).unwrap();
    }
    let mut new = Vec::with_capacity(n + n / 100);
    for r in &old {
        let roll = rng.next() % 1000;
        let mut r = r.clone();
        match roll {
            0..5 => continue,
            5..15 => r.long_description.push_str(", each"),
            15..20 => r.pricing_indicators = vec!["36".into()],
            20..25 => r.termination_date = chrono::NaiveDate::from_ymd_opt(2089, 12, 31),
            _ => {}
        }
        new.push(r);
    }
    new.extend((n..n + n / 100).map(|i| record(i, &mut rng)));
    let source = |name: &str| SourceInfo {
        file: name.into(),
        member: None,
        sha256: "0".repeat(64),
    };
    let store = Store::new(store);
    for (release, records, name) in [
        ("2090-01", old, "synthetic-old"),
        ("2090-04", new, "synthetic-new"),
    ] {
        let release: ReleaseId = release.parse().unwrap();
        store
            .save(&Snapshot::new(release, source(name), records), true)
            .unwrap();
    }
}

/// The values of `field` in `r`, as CMS's text writes them.
fn values(r: &Record, field: Field) -> Vec<String> {
    let one = |v: &Option<String>| v.iter().cloned().collect();
    let date =
        |d: &Option<chrono::NaiveDate>| d.iter().map(|d| d.format("%Y%m%d").to_string()).collect();
    match field {
        Field::Code => vec![r.code.clone()],
        Field::ShortDescription => one(&r.short_description),
        Field::PricingIndicator => r.pricing_indicators.clone(),
        Field::MultiplePricingIndicator => one(&r.multiple_pricing_indicator),
        Field::Coverage => one(&r.coverage),
        Field::Betos => one(&r.betos),
        Field::TypeOfService => r.types_of_service.clone(),
        Field::AddedDate => date(&r.added_date),
        Field::ActionEffectiveDate => date(&r.action_effective_date),
        Field::TerminationDate => date(&r.termination_date),
        Field::ActionCode => one(&r.action_code),
        _ => Vec::new(),
    }
}

/// `r` as CMS's fixed-width lines: a first line (record identification 3) with every field,
/// then a continuation line (4) for each further 80 characters of the long description.
fn write_fixed_width(out: &mut impl std::io::Write, r: &Record) -> std::io::Result<()> {
    let mut chunks = vec![String::new()];
    for word in r.long_description.split(' ') {
        let last = chunks.last_mut().expect("never empty");
        if !last.is_empty() && last.len() + 1 + word.len() > 80 {
            chunks.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    for (n, chunk) in chunks.iter().enumerate() {
        let mut line = vec![b' '; 320];
        let mut put = |start: usize, width: usize, value: &str| {
            let bytes = &value.as_bytes()[..value.len().min(width)];
            line[start - 1..start - 1 + bytes.len()].copy_from_slice(bytes);
        };
        put(1, 5, &format!("{:>5}", r.code));
        put(6, 5, &format!("{:05}", n + 1));
        put(11, 1, if n == 0 { "3" } else { "4" });
        put(12, 80, chunk);
        if n == 0 {
            for spec in LAYOUT.iter().filter(|s| s.start > 91) {
                for (i, v) in values(r, spec.field).iter().take(spec.occurs).enumerate() {
                    put(spec.start + i * spec.width, spec.width, v);
                }
            }
        }
        out.write_all(&line)?;
        out.write_all(b"\r\n")?;
    }
    Ok(())
}
