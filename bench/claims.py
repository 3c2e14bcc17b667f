#!/usr/bin/env python3
"""Writes a synthetic claims extract for `audit`: N lines of claim id, HCPCS code, date of
service and amount, the codes drawn from a stored release's export (so most are real) plus a
few mistyped ones, the dates spread over 2012-2024. Deterministic for the same N and seed.

usage: claims.py EXPORT.csv N OUT.csv
"""
import csv
import random
import sys

export, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(export, newline="") as f:
    codes = [row["code"] for row in csv.DictReader(f) if len(row["code"]) == 5]
codes = codes[:: max(1, len(codes) // 400)] + ["E1932", "X9999"]
rng = random.Random(1392)
with open(out, "w", newline="") as f:
    f.write("claim,HCPCS,DOS,amount\n")
    for i in range(n):
        y, m, d = rng.randint(2012, 2024), rng.randint(1, 12), rng.randint(1, 28)
        f.write(f"c{i},{rng.choice(codes)},{y}-{m:02d}-{d:02d},{rng.randint(1, 900)}\n")
