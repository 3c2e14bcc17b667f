#!/usr/bin/env bash
# Benchmarks hcpcs-diff against peer diff tools on the same two real releases (2019-01 and
# 2020-01, flattened to CSV keyed by code for the peers), then on synthetic releases of 100,000
# and 1,000,000 codes; then audits a claims extract and exports every real release as SQLite.
# Prints the tables BENCHMARKS.md holds; raw hyperfine JSON goes to
# $OUT (default: a temporary folder). Needs the real CMS releases in $HCPCS_DIFF_DATA (the folder
# tests/data/README.md describes); installs its peers into .peers/.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${HCPCS_DIFF_DATA:?set HCPCS_DIFF_DATA to the folder of real CMS releases (see tests/data/README.md)}
[ -f "$DATA/2019-01/2019-Alpha-Numeric-HCPCS-File.zip" ] && [ -f "$DATA/2020-01/2020-Alpha-Numeric-HCPCS-File.zip" ] ||
  { echo "bench/run.sh: $DATA lacks 2019-01 or 2020-01 (see tests/data/README.md)" >&2; exit 2; }
OUT=${OUT:-$(mktemp -d)}
RUNS=${RUNS:-20}

command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine; }
[ -x .peers/bin/csv-diff ] && [ -x .peers/bin/daff ] || { python3 -m venv .peers && .peers/bin/pip install -q csv-diff daff; }
[ -x .peers/bin/csvdiff ] || cargo install csvdiff --locked --root .peers
cargo build --release --quiet --bin hcpcs-diff --example synth
cargo build --release --quiet --manifest-path bench/csv-diff-crate/Cargo.toml --target-dir target/bench

BIN=$PWD/target/release/hcpcs-diff
CRATE=$PWD/target/bench/release/csv-diff-crate
STORE=$OUT/store
"$BIN" --store "$STORE" import "$DATA/2019-01/2019-Alpha-Numeric-HCPCS-File.zip" >/dev/null
"$BIN" --store "$STORE" import "$DATA/2020-01/2020-Alpha-Numeric-HCPCS-File.zip" >/dev/null
"$BIN" --store "$STORE" export 2019-01 --output "$OUT/old.csv"
"$BIN" --store "$STORE" export 2020-01 --output "$OUT/new.csv"

echo "## 2019-01 -> 2020-01 ($(wc -l < "$OUT/old.csv") and $(wc -l < "$OUT/new.csv") CSV lines)"
# -i: diff tools exit 1 when they find differences.
hyperfine -N -i --warmup 3 --runs "$RUNS" --export-json "$OUT/real.json" \
  -n "hcpcs-diff diff (json)" "$BIN --store $STORE diff 2019-01 2020-01 --format json" \
  -n "hcpcs-diff diff (text)" "$BIN --store $STORE diff 2019-01 2020-01" \
  -n "csvdiff 0.3.2 (Rust)" "$PWD/.peers/bin/csvdiff --file1 $OUT/old.csv --file2 $OUT/new.csv -k code --no-truncate --max-rows 1000000" \
  -n "csv-diff crate 0.1.2 (qsv diff's engine)" "$CRATE $OUT/old.csv $OUT/new.csv" \
  -n "csv-diff (Python)" "$PWD/.peers/bin/csv-diff $OUT/old.csv $OUT/new.csv --key code --json" \
  -n "daff (Python)" "$PWD/.peers/bin/daff diff --id code $OUT/old.csv $OUT/new.csv" >/dev/null 2>&1

table() {
  python3 - "$1" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
base = results[0]["median"]
print("| tool | median | min | max | ratio to hcpcs-diff |")
print("|---|---:|---:|---:|---:|")
for r in results:
    ms = lambda v: f"{v * 1000:.1f} ms"
    print(f"| {r['command']} | {ms(r['median'])} | {ms(r['min'])} | {ms(r['max'])} | {r['median'] / base:.1f}x |")
PY
}
table "$OUT/real.json"

echo
echo "## Scale: synthetic releases (2% changed, 0.5% dropped, 1% added)"
echo "| codes | snapshot size | hcpcs-diff median | peak memory | csvdiff median | csvdiff peak memory |"
echo "|---:|---:|---:|---:|---:|---:|"
for n in 100000 1000000; do
  SYN=$OUT/synth-$n
  target/release/examples/synth "$n" "$SYN"
  "$BIN" --store "$SYN" export 2090-01 --output "$SYN/old.csv"
  "$BIN" --store "$SYN" export 2090-04 --output "$SYN/new.csv"
  hyperfine -N -i --runs 3 --export-json "$SYN/time.json" \
    -n hcpcs-diff "$BIN --store $SYN diff 2090-01 2090-04 --format json --output $SYN/changes.json" \
    -n csvdiff "$PWD/.peers/bin/csvdiff --file1 $SYN/old.csv --file2 $SYN/new.csv -k code --no-truncate --max-rows 100000000" >/dev/null 2>&1
  peak() { /usr/bin/time -f %M "$@" >/dev/null 2>"$SYN/mem" || true; tail -1 "$SYN/mem"; }
  mem_ours=$(peak "$BIN" --store "$SYN" diff 2090-01 2090-04 --format json --output "$SYN/changes.json")
  mem_peer=$(peak "$PWD/.peers/bin/csvdiff" --file1 "$SYN/old.csv" --file2 "$SYN/new.csv" -k code --no-truncate --max-rows 100000000)
  python3 - "$SYN/time.json" "$n" "$(du -m "$SYN/2090-01.jsonl" | cut -f1)" "$mem_ours" "$mem_peer" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
n, size, mem_ours, mem_peer = sys.argv[2:]
print(f"| {int(n):,} | {size} MB | {r['hcpcs-diff']*1000:.0f} ms | {int(mem_ours)//1024} MB | {r['csvdiff']*1000:.0f} ms | {int(mem_peer)//1024} MB |")
PY
done
echo
echo "## audit: a 1,000,000-line claims extract judged by date of service"
# Every real release in the store, as a supplier would keep them.
AUDIT=$OUT/audit
for f in "$DATA"/2012-01/12anweb.zip "$DATA"/2013-01/13anweb.zip "$DATA"/2016-01 \
  "$DATA"/2017-01/2017-Alpha-Numeric-HCPCS-File.zip "$DATA"/2018-01/2018-Alpha-Numeric-HCPCS-File.zip \
  "$DATA"/2019-01/2019-Alpha-Numeric-HCPCS-File.zip "$DATA"/2020-01/2020-Alpha-Numeric-HCPCS-File.zip \
  "$DATA"/2020-04/anweb.xlsx "$DATA"/2020-07/anweb.xlsx "$DATA"/2020-10/anweb.xlsx \
  "$DATA"/2025-01/january-2025-alpha-numeric-hcpcs-file.zip; do
  "$BIN" --store "$AUDIT" import "$f" >/dev/null 2>&1
done
"$BIN" --store "$AUDIT" export 2025-01 --output "$OUT/codes.csv"
python3 bench/claims.py "$OUT/codes.csv" 1000000 "$OUT/claims.csv"
hyperfine -N -i --runs 5 --export-json "$OUT/audit.json" \
  -n "audit (text)" "$BIN --store $AUDIT audit $OUT/claims.csv --date-column DOS --output $OUT/audit.txt" \
  -n "audit (csv)" "$BIN --store $AUDIT audit $OUT/claims.csv --date-column DOS --format csv --output $OUT/audit.csv" \
  -n "audit (json)" "$BIN --store $AUDIT audit $OUT/claims.csv --date-column DOS --format json --output $OUT/audit.json.out" >/dev/null 2>&1
for format in text csv json; do
  /usr/bin/time -f %M "$BIN" --store "$AUDIT" audit "$OUT/claims.csv" --date-column DOS --format "$format" --output "$OUT/audit-report.$format" 2>"$OUT/mem" >/dev/null || true
  echo "peak memory, $format report: $(( $(tail -1 "$OUT/mem") / 1024 )) MB"
done
table "$OUT/audit.json"

echo
echo "## export --format sqlite: the eleven real releases in one database"
hyperfine -N --warmup 1 --runs 10 --export-json "$OUT/sqlite.json" \
  -n "export --format sqlite" "$BIN --store $AUDIT export --format sqlite --output $OUT/hcpcs.db" >/dev/null 2>&1
/usr/bin/time -f %M "$BIN" --store "$AUDIT" export --format sqlite --output "$OUT/hcpcs.db" 2>"$OUT/mem" >/dev/null || true
echo "peak memory: $(( $(tail -1 "$OUT/mem") / 1024 )) MB; database: $(du -m "$OUT/hcpcs.db" | cut -f1) MB"
table "$OUT/sqlite.json"

echo
echo "raw results: $OUT"
