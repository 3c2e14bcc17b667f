//! Writes two synthetic releases of N codes into a store, for benchmarks of scale:
//! `cargo run --release --example synth -- N STORE`. The second release changes about 2% of
//! codes (descriptions, pricing, termination), drops 0.5% and adds 1%, deterministically.

use hcpcs_diff::model::{Kind, Record, ReleaseId};
use hcpcs_diff::model::{Snapshot, SourceInfo};
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

fn record(i: usize, rng: &mut Rng) -> Record {
    let mut r = Record::new(code(i), Kind::Procedure);
    let n = 4 + (rng.next() % 12) as usize;
    r.long_description = (0..n)
        .map(|_| WORDS[(rng.next() % WORDS.len() as u64) as usize])
        .collect::<Vec<_>>()
        .join(" ");
    r.short_description = Some(r.long_description.chars().take(28).collect());
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
        eprintln!("usage: synth N STORE");
        std::process::exit(2);
    };
    let mut rng = Rng(42);
    let old: Vec<Record> = (0..n).map(|i| record(i, &mut rng)).collect();
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
