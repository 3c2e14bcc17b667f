#!/usr/bin/env python3
"""The peer for `import`: a straightforward reader of a CMS HCPCS release zip (or text), standard
library only. It takes the largest .txt member of the zip, decodes it as Windows-1252, slices
every field of each first line by CMS's record layout and joins the long description's
continuation lines, building one dict per code. It checks nothing and writes nothing; it
prints how many codes it read.

    python3 bench/python_reader.py january-2025-alpha-numeric-hcpcs-file.zip
"""
import sys
import zipfile

# (name, 1-based start column, width, occurrences): CMS's record layout.
LAYOUT = [
    ("code", 1, 5, 1), ("sequence", 6, 5, 1), ("record_id", 11, 1, 1),
    ("long_description", 12, 80, 1), ("short_description", 92, 28, 1),
    ("pricing_indicators", 120, 2, 4), ("multiple_pricing_indicator", 128, 1, 1),
    ("coverage_issues_manual", 129, 6, 3), ("medicare_carriers_manual", 147, 8, 3),
    ("statute", 171, 10, 1), ("lab_certifications", 181, 3, 8),
    ("cross_references", 205, 5, 5), ("coverage", 230, 1, 1),
    ("asc_payment_group", 231, 2, 1), ("asc_effective_date", 233, 8, 1),
    ("mog_payment_group", 241, 3, 1), ("mog_payment_indicator", 244, 1, 1),
    ("mog_effective_date", 245, 8, 1), ("processing_note", 253, 4, 1),
    ("betos", 257, 3, 1), ("types_of_service", 261, 1, 5),
    ("anesthesia_base_units", 266, 3, 1), ("added_date", 269, 8, 1),
    ("action_effective_date", 277, 8, 1), ("termination_date", 285, 8, 1),
    ("action_code", 293, 1, 1),
]


def records(text):
    record = None
    for line in text.splitlines():
        if len(line) < 11 or line[10] not in "3478":
            continue  # disclaimers and notes above the data
        if line[10] in "48":  # a continuation of the long description
            record["long_description"] += " " + line[11:91].strip()
            continue
        if record is not None:
            yield record
        record = {}
        for name, start, width, occurs in LAYOUT:
            values = [line[start - 1 + i * width:start - 1 + (i + 1) * width].strip()
                      for i in range(occurs)]
            record[name] = values if occurs > 1 else values[0]
    if record is not None:
        yield record


def main(path):
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            name = max((n for n in z.namelist() if n.lower().endswith(".txt")),
                       key=lambda n: z.getinfo(n).file_size)
            data = z.read(name)
    else:
        with open(path, "rb") as f:
            data = f.read()
    codes = {r["code"]: r for r in records(data.decode("cp1252"))}
    print(f"{path}: {len(codes)} codes")


if __name__ == "__main__":
    main(sys.argv[1])
