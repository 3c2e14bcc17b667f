#!/usr/bin/env bash
# Benchmarks hcpcs-diff beside its peers and prints every figure with its peer and its target
# (the tables BENCHMARKS.md holds):
#   import    the January 2025 zip, against a stdlib Python reader (bench/python_reader.py)
#   diff      2019-01 -> 2020-01, against the csv-diff crate (qsv diff's engine) and others on
#             the same releases exported to CSV
#   history   one code over every real release, against reading the snapshot files once (cat)
#   scale     synthetic releases of 100,000 and 1,000,000 codes (examples/synth): diff time and
#             peak memory against csvdiff; import of the synthetic fixed-width text (its first
#             260,000 codes: import takes only HCPCS's form of code, and there are no more)
#   audit     a 1,000,000-line claims extract against the csv floor (bench/csv-floor: the csv
#             crate reading every record), the same verdicts by sql/audit_claims.sql in DuckDB,
#             and export --format sqlite and --format parquet of every real release
#   site      the static website of every real release: time, peak memory, size on disk
# ONLY=audit runs the audit section alone (no peers to install), e.g. after a change to audit.
# Needs the real CMS releases in $HCPCS_DIFF_DATA (tests/data/README.md); installs its peers
# into .peers/. Raw hyperfine JSON goes to $OUT (default: a temporary folder). Run it on an
# otherwise idle machine: RUNS=20 bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${HCPCS_DIFF_DATA:?set HCPCS_DIFF_DATA to the folder of real CMS releases (see tests/data/README.md)}
[ -f "$DATA/2019-01/2019-Alpha-Numeric-HCPCS-File.zip" ] && [ -f "$DATA/2020-01/2020-Alpha-Numeric-HCPCS-File.zip" ] &&
  [ -f "$DATA/2025-01/january-2025-alpha-numeric-hcpcs-file.zip" ] ||
  { echo "bench/run.sh: $DATA lacks 2019-01, 2020-01 or 2025-01 (see tests/data/README.md)" >&2; exit 2; }
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
RUNS=${RUNS:-20}
# The system's own interpreter: a version manager's shim adds its start-up to every run.
PY=${PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || python3 -c 'import sys; print(sys.executable)')}

ONLY=${ONLY:-}
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine; }
if [ -z "$ONLY" ]; then
  [ -x .peers/bin/csv-diff ] && [ -x .peers/bin/daff ] || { python3 -m venv .peers && .peers/bin/pip install -q csv-diff daff; }
  [ -x .peers/bin/csvdiff ] || cargo install csvdiff --locked --root .peers
fi
# DuckDB's Python package: the first interpreter that has it, else installed into .peers/.
DUCKPY=""
for py in "$PY" "$(command -v python3)" .peers/bin/python; do
  [ -x "$py" ] && "$py" -c 'import duckdb' 2>/dev/null && { DUCKPY=$py; break; }
done
[ -n "$DUCKPY" ] || { [ -x .peers/bin/pip ] || python3 -m venv .peers; .peers/bin/pip install -q duckdb; DUCKPY=.peers/bin/python; }
cargo build --release --quiet --bin hcpcs-diff --example synth
cargo build --release --quiet --manifest-path bench/csv-diff-crate/Cargo.toml --target-dir target/bench
cargo build --release --quiet --manifest-path bench/csv-floor/Cargo.toml --target-dir target/bench

BIN=$PWD/target/release/hcpcs-diff
CRATE=$PWD/target/bench/release/csv-diff-crate
FLOOR=$PWD/target/bench/release/csv-floor
ZIP2025=$DATA/2025-01/january-2025-alpha-numeric-hcpcs-file.zip
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%F)"
echo "python peer: $PY ($("$PY" --version 2>&1)); duckdb: $("$DUCKPY" -c 'import duckdb; print(duckdb.__version__)'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# Peak resident memory of a command, in MiB.
peak() { /usr/bin/time -f %M "$@" >/dev/null 2>"$OUT/mem" || true; echo $(( $(tail -1 "$OUT/mem") / 1024 )); }
# Median of hyperfine's result NAME in FILE, in ms.
median() { "$PY" -c 'import json,sys; r={x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}; print(f"{r[sys.argv[2]]*1000:.1f}")' "$1" "$2"; }
# One line: what, our median, peer median, the ratio peer/ours, and the target.
verdict() {
  "$PY" - "$@" <<'PY'
import sys
what, ours, peer_name, peer, target = sys.argv[1], float(sys.argv[2]), sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
ratio = peer / ours
print(f"| {what} | {ours:.1f} ms | {peer_name} {peer:.1f} ms | {ratio:.2f}x faster | {target:g}x | {'met' if ratio >= target else f'missed by {target / ratio:.2f}x'} |")
PY
}
table() {
  "$PY" - "$1" <<'PY'
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

if [ "$ONLY" != audit ]; then
echo
echo "## import: january-2025-alpha-numeric-hcpcs-file.zip into an empty store"
hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$OUT/import.json" --prepare "rm -rf $OUT/import-store" \
  -n "hcpcs-diff import" "$BIN --store $OUT/import-store import $ZIP2025" \
  -n "python reader" "$PY bench/python_reader.py $ZIP2025" >/dev/null 2>&1
table "$OUT/import.json"
rm -rf "$OUT/import-store"
mem=$(peak "$BIN" --store "$OUT/import-store" import "$ZIP2025")
echo
echo "| figure | hcpcs-diff | peer | ratio | target | |"
echo "|---|---:|---:|---:|---:|---|"
verdict "import, whole process" "$(median "$OUT/import.json" "hcpcs-diff import")" "python reader" "$(median "$OUT/import.json" "python reader")" 5
echo "| import, peak memory | $mem MiB | | | at most 48 MiB | $([ "$mem" -le 48 ] && echo met || echo missed) |"

STORE=$OUT/store
"$BIN" --store "$STORE" import "$DATA/2019-01/2019-Alpha-Numeric-HCPCS-File.zip" >/dev/null
"$BIN" --store "$STORE" import "$DATA/2020-01/2020-Alpha-Numeric-HCPCS-File.zip" >/dev/null
"$BIN" --store "$STORE" export 2019-01 --output "$OUT/old.csv"
"$BIN" --store "$STORE" export 2020-01 --output "$OUT/new.csv"

echo
echo "## diff: 2019-01 -> 2020-01 ($(wc -l < "$OUT/old.csv") and $(wc -l < "$OUT/new.csv") CSV lines)"
# -i: diff tools exit 1 when they find differences.
hyperfine -N -i --warmup 3 --runs "$RUNS" --export-json "$OUT/real.json" \
  -n "hcpcs-diff diff (json)" "$BIN --store $STORE diff 2019-01 2020-01 --format json" \
  -n "hcpcs-diff diff (text)" "$BIN --store $STORE diff 2019-01 2020-01" \
  -n "csvdiff 0.3.2 (Rust)" "$PWD/.peers/bin/csvdiff --file1 $OUT/old.csv --file2 $OUT/new.csv -k code --no-truncate --max-rows 1000000" \
  -n "csv-diff crate 0.1.2 (qsv diff's engine)" "$CRATE $OUT/old.csv $OUT/new.csv" \
  -n "csv-diff (Python)" "$PWD/.peers/bin/csv-diff $OUT/old.csv $OUT/new.csv --key code --json" \
  -n "daff (Python)" "$PWD/.peers/bin/daff diff --id code $OUT/old.csv $OUT/new.csv" >/dev/null 2>&1
table "$OUT/real.json"
echo
verdict "diff --format json" "$(median "$OUT/real.json" "hcpcs-diff diff (json)")" "csv-diff crate" "$(median "$OUT/real.json" "csv-diff crate 0.1.2 (qsv diff's engine)")" 2
echo "peak memory: hcpcs-diff $(peak "$BIN" --store "$STORE" diff 2019-01 2020-01 --format json) MiB, csv-diff crate $(peak "$CRATE" "$OUT/old.csv" "$OUT/new.csv") MiB"

fi

echo
echo "## history E1392 over every real release, and audit and export of them"
echo "(the eleven real releases imported into one store$([ "$ONLY" = audit ] && echo ", for audit alone"))"
AUDIT=$OUT/audit
for f in "$DATA"/2012-01/12anweb.zip "$DATA"/2013-01/13anweb.zip "$DATA"/2016-01 \
  "$DATA"/2017-01/2017-Alpha-Numeric-HCPCS-File.zip "$DATA"/2018-01/2018-Alpha-Numeric-HCPCS-File.zip \
  "$DATA"/2019-01/2019-Alpha-Numeric-HCPCS-File.zip "$DATA"/2020-01/2020-Alpha-Numeric-HCPCS-File.zip \
  "$DATA"/2020-04/anweb.xlsx "$DATA"/2020-07/anweb.xlsx "$DATA"/2020-10/anweb.xlsx "$ZIP2025"; do
  "$BIN" --store "$AUDIT" import "$f" >/dev/null 2>&1
done
if [ "$ONLY" != audit ]; then
SNAPSHOTS=$(ls "$AUDIT"/*.jsonl | tr '\n' ' ')
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$OUT/history.json" \
  -n "hcpcs-diff history E1392" "$BIN --store $AUDIT history E1392" \
  -n "cat of the snapshot files" "cat $SNAPSHOTS" >/dev/null 2>&1
table "$OUT/history.json"
ours=$(median "$OUT/history.json" "hcpcs-diff history E1392"); cat_ms=$(median "$OUT/history.json" "cat of the snapshot files")
"$PY" -c "import sys; o, c = float(sys.argv[1]), float(sys.argv[2]); print(f'| history E1392 | {o:.1f} ms | cat {c:.1f} ms | {o / c:.2f}x the time of reading | at most 2x | {\"met\" if o <= 2 * c else f\"missed by {o / (2 * c):.2f}x\"} |')" "$ours" "$cat_ms"
echo "peak memory: $(peak "$BIN" --store "$AUDIT" history E1392) MiB ($(ls "$AUDIT"/*.jsonl | wc -l) releases, $(du -cm "$AUDIT"/*.jsonl | tail -1 | cut -f1) MB of snapshots)"

echo
echo "## site: the static website of every real release, built fresh each run"
SITE=$OUT/site
hyperfine -N --runs "$RUNS" --prepare "rm -rf $SITE" --export-json "$OUT/site.json" \
  -n "hcpcs-diff site" "$BIN --store $AUDIT site $SITE" >/dev/null 2>&1
table "$OUT/site.json"
ms=$(median "$OUT/site.json" "hcpcs-diff site")
"$PY" -c "import sys; t = float(sys.argv[1]); print(f'| site of the eleven real releases | {t:.0f} ms | | at most 10 s | {\"met\" if t <= 10000 else \"missed\"} |')" "$ms"
rm -rf "$SITE"
echo "peak memory: $(peak "$BIN" --store "$AUDIT" site "$SITE") MiB; $(find "$SITE" -type f | wc -l) files, $(du -sm "$SITE" | cut -f1) MB on disk ($(du -sm --apparent-size "$SITE" | cut -f1) MB of bytes; target at most 100 MB)"

echo
echo "## Scale: synthetic releases (2% changed, 0.5% dropped, 1% added)"
echo "| codes | snapshot size | hcpcs-diff median | peak memory | csvdiff median | csvdiff peak memory | target |"
echo "|---:|---:|---:|---:|---:|---:|---|"
for n in 100000 1000000; do
  SYN=$OUT/synth-$n
  target/release/examples/synth "$n" "$SYN" "$SYN.txt"
  "$BIN" --store "$SYN" export 2090-01 --output "$SYN/old.csv"
  "$BIN" --store "$SYN" export 2090-04 --output "$SYN/new.csv"
  hyperfine -N -i --runs 3 --export-json "$SYN/time.json" \
    -n hcpcs-diff "$BIN --store $SYN diff 2090-01 2090-04 --format json --output $SYN/changes.json" \
    -n csvdiff "$PWD/.peers/bin/csvdiff --file1 $SYN/old.csv --file2 $SYN/new.csv -k code --no-truncate --max-rows 100000000" >/dev/null 2>&1
  mem_ours=$(peak "$BIN" --store "$SYN" diff 2090-01 2090-04 --format json --output "$SYN/changes.json")
  mem_peer=$(peak "$PWD/.peers/bin/csvdiff" --file1 "$SYN/old.csv" --file2 "$SYN/new.csv" -k code --no-truncate --max-rows 100000000)
  "$PY" - "$SYN/time.json" "$n" "$(du -m "$SYN/2090-01.jsonl" | cut -f1)" "$mem_ours" "$mem_peer" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
n, size, mem_ours, mem_peer = int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
ours = r["hcpcs-diff"]
target = ""
if n == 1000000:
    met = lambda ok, by: "met" if ok else f"missed by {by:.2f}x"
    target = f"under 1 s: {met(ours < 1, ours)}; at most 600 MiB: {met(mem_ours <= 600, mem_ours / 600)}"
print(f"| {n:,} | {size} MiB | {ours*1000:.0f} ms | {mem_ours} MiB | {r['csvdiff']*1000:.0f} ms | {mem_peer} MiB | {target} |")
PY
done
TEXT=$OUT/synth-1000000.txt
MB=$(( $(stat -c %s "$TEXT") / 1000000 ))
hyperfine -N --runs 3 --export-json "$OUT/import-1m.json" --prepare "rm -rf $OUT/import-1m" \
  -n "hcpcs-diff import" "$BIN --max-unpacked-mb 2048 --store $OUT/import-1m import $TEXT --release 2090-01" \
  -n "python reader" "$PY bench/python_reader.py $TEXT" >/dev/null 2>&1
rm -rf "$OUT/import-1m"
mem=$(peak "$BIN" --max-unpacked-mb 2048 --store "$OUT/import-1m" import "$TEXT" --release 2090-01)
# Memory against the file's size: the 100,000-code text beside it.
SMALL=$OUT/synth-100000.txt
rm -rf "$OUT/import-1m"
mem_small=$(peak "$BIN" --max-unpacked-mb 2048 --store "$OUT/import-1m" import "$SMALL" --release 2090-01)
rm -rf "$OUT/import-1m"
"$PY" - "$OUT/import-1m.json" "$MB" "$mem" "$(( $(stat -c %s "$SMALL") / 1000000 ))" "$mem_small" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
mb, mem, small_mb, small_mem = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
ours, peer = mb / r["hcpcs-diff import"], mb / r["python reader"]
verdict = "met" if ours >= 100 else f"missed by {100 / ours:.2f}x"
print()
print(f"import of the synthetic fixed-width text, 260,000 codes ({mb} MB): {r['hcpcs-diff import']:.2f} s, {ours:.0f} MB/s, peak {mem} MiB;"
      f" python reader {r['python reader']:.2f} s, {peer:.0f} MB/s; target at least 100 MB/s: {verdict}")
print(f"peak memory against the file's size: {small_mem} MiB for the 100,000-code text ({small_mb} MB), {mem} MiB for {mb} MB")
PY

fi

echo
echo "## audit: a 1,000,000-line claims extract judged by date of service, beside the csv floor"
"$BIN" --store "$AUDIT" export 2025-01 --output "$OUT/codes.csv"
"$PY" bench/claims.py "$OUT/codes.csv" 1000000 "$OUT/claims.csv"
# -i: audit exits 1 when a row needs attention. The reports go to standard output, which
# hyperfine discards: what is timed is audit's own work, as the floor's is. Written to a file
# with --output, the 300 MB CSV and JSON reports add the file's writing and fsync (the two
# "to a file" rows): the disk's speed, not audit's.
hyperfine -N -i --warmup 1 --runs "$RUNS" --export-json "$OUT/audit.json" \
  -n "audit (text)" "$BIN --store $AUDIT audit $OUT/claims.csv --date-column DOS" \
  -n "audit (csv)" "$BIN --store $AUDIT audit $OUT/claims.csv --date-column DOS --format csv" \
  -n "audit (json)" "$BIN --store $AUDIT audit $OUT/claims.csv --date-column DOS --format json" \
  -n "audit (csv), to a file" "$BIN --store $AUDIT audit $OUT/claims.csv --date-column DOS --format csv --output $OUT/audit.csv" \
  -n "audit (json), to a file" "$BIN --store $AUDIT audit $OUT/claims.csv --date-column DOS --format json --output $OUT/audit.json.out" \
  -n "csv floor (csv crate, every record)" "$FLOOR $OUT/claims.csv" >/dev/null 2>&1
table "$OUT/audit.json"
disk=$(dd if=/dev/zero of="$OUT/dd" bs=1M count=300 conv=fsync 2>&1 | tail -1 | sed 's/.*copied, //')
rm -f "$OUT/dd"
echo "(writing 300 MB and fsync alone, by dd here: $disk)"
floor=$(median "$OUT/audit.json" "csv floor (csv crate, every record)")
echo
echo "| figure | hcpcs-diff | floor | ratio | target | |"
echo "|---|---:|---:|---:|---:|---|"
for format in text csv json; do
  limit=5; [ "$format" = text ] && limit=3
  "$PY" -c "import sys; o, f, t = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]); print(f'| audit ({sys.argv[4]} report) | {o:.1f} ms | {f:.1f} ms | {o / f:.2f}x the floor | at most {t:g}x | {\"met\" if o <= t * f else f\"missed by {o / (t * f):.2f}x\"} |')" \
    "$(median "$OUT/audit.json" "audit ($format)")" "$floor" "$limit" "$format"
done
for format in text csv json; do
  echo "| audit ($format report), peak memory | $(peak "$BIN" --store "$AUDIT" audit "$OUT/claims.csv" --date-column DOS --format "$format" --output "$OUT/audit-report.$format") MiB | | | | |"
done
# Memory flat in rows: ten copies of the extract's rows in one file of 10,000,000 lines.
{ cat "$OUT/claims.csv"; for _ in 1 2 3 4 5 6 7 8 9; do tail -n +2 "$OUT/claims.csv"; done; } > "$OUT/claims-10m.csv"
mem=$(peak "$BIN" --store "$AUDIT" audit "$OUT/claims-10m.csv" --date-column DOS --format csv --output "$OUT/audit-10m.csv")
echo "| audit of 10,000,000 lines (csv report), peak memory | $mem MiB | | | at most 150 MiB | $([ "$mem" -le 150 ] && echo met || echo "missed by $(( mem - 150 )) MiB") |"
rm -f "$OUT/claims-10m.csv" "$OUT/audit-10m.csv"

echo
echo "## the same audit in DuckDB: sql/audit_claims.sql over export --format parquet"
hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$OUT/parquet.json" --prepare "rm -rf $OUT/parquet" \
  -n "export --format parquet" "$BIN --store $AUDIT export --format parquet --output $OUT/parquet" >/dev/null 2>&1
table "$OUT/parquet.json"
echo "peak memory: $(rm -rf "$OUT/parquet"; peak "$BIN" --store "$AUDIT" export --format parquet --output "$OUT/parquet") MiB; tables: $(du -ck "$OUT"/parquet/*.parquet | tail -1 | cut -f1) KiB ($(cd "$OUT/parquet" && du -k ./*.parquet | sed 's|\./||; s|\.parquet||' | awk '{printf "%s%s %s KiB", (NR > 1 ? ", " : ""), $2, $1}'))"
cat > "$OUT/duckdb_audit.py" <<'PY'
# sql/audit_claims.sql in DuckDB over the Parquet export and the claims extract (README's
# example), its verdicts written as CSV: line, valid_on_date, reason, release_in_effect.
import csv, sys, duckdb
tables, claims, sql, out = sys.argv[1:5]
db = duckdb.connect()
for t in ("releases", "codes", "validity"):
    db.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{tables}/{t}.parquet')")
db.execute(f"""CREATE VIEW claims AS
    SELECT CAST(line_no AS BIGINT) AS line, upper(trim(HCPCS)) AS code,
           CAST(DOS AS DATE) AS date_of_service
    FROM read_csv('{claims}', header = true, all_varchar = true)""")
db.execute(f"COPY ({open(sql).read().rstrip().rstrip(';')}) TO '{out}' (HEADER, DELIMITER ',')")
PY
# DuckDB numbers lines itself: the claims with their file line (the header is line 1), as audit
# numbers them.
awk -F, 'NR == 1 { print "line_no," $0; next } { print NR "," $0 }' "$OUT/claims.csv" > "$OUT/claims-numbered.csv"
hyperfine -N -i --warmup 1 --runs "$RUNS" --export-json "$OUT/duckdb.json" \
  -n "DuckDB sql/audit_claims.sql" "$DUCKPY $OUT/duckdb_audit.py $OUT/parquet $OUT/claims-numbered.csv $PWD/sql/audit_claims.sql $OUT/duckdb.csv" \
  -n "audit (csv)" "$BIN --store $AUDIT audit $OUT/claims.csv --date-column DOS --format csv --output $OUT/audit.csv" >/dev/null 2>&1
table "$OUT/duckdb.json"
echo "peak memory: DuckDB $(peak "$DUCKPY" "$OUT/duckdb_audit.py" "$OUT/parquet" "$OUT/claims-numbered.csv" "$PWD/sql/audit_claims.sql" "$OUT/duckdb.csv") MiB, audit (csv) $(peak "$BIN" --store "$AUDIT" audit "$OUT/claims.csv" --date-column DOS --format csv --output "$OUT/audit.csv") MiB"
"$PY" - "$OUT/audit.csv" "$OUT/duckdb.csv" <<'PY'
import csv, sys
def rows(path, line):
    with open(path, newline="") as f:
        return {r[line]: r for r in csv.DictReader(f)}
audit, sql = rows(sys.argv[1], "line"), rows(sys.argv[2], "line")
cols = ("valid_on_date", "reason", "release_in_effect")
# audit's reason adds, for a code in no release, what it says of the code as a whole.
same = sum(1 for k, a in audit.items() if k in sql and all(
    sql[k][c] == a[c] or (c == "reason" and a[c].startswith(sql[k][c] + "; unknown")) for c in cols))
print(f"verdicts: DuckDB and audit --format csv agree on {same:,} of {len(audit):,} lines ({len(sql):,} from DuckDB):"
      f" {'met' if same == len(audit) == len(sql) else 'MISSED'}")
PY

echo
echo "## export --format sqlite: the eleven real releases in one database"
hyperfine -N --warmup 1 --runs 10 --export-json "$OUT/sqlite.json" \
  -n "export --format sqlite" "$BIN --store $AUDIT export --format sqlite --output $OUT/hcpcs.db" >/dev/null 2>&1
echo "peak memory: $(peak "$BIN" --store "$AUDIT" export --format sqlite --output "$OUT/hcpcs.db") MiB; database: $(du -m "$OUT/hcpcs.db" | cut -f1) MB"
table "$OUT/sqlite.json"

echo
echo "raw results: $OUT"
