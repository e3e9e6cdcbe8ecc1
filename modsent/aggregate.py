"""Aggregation: per-unit score files -> `scores.csv` (long format, the source of truth)
and `skipped.csv` (what each dataset left out for the configured languages)."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from modsent.evaluation.scoring import SCORE_COLUMNS
from modsent.utils import atomic_output

SKIPPED_COLUMNS = ("dataset", "item", "reason")


def read_scores(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["value"] = float(row["value"])
    return rows


# One row per key: the output order is then a function of the rows alone, not of the order
# (or the split into per-unit, per-variant-group files) of the inputs.
ROW_KEY = ("variant", "dataset", "setting", "metric", "unit")


def aggregate_scores(score_files, out_csv: str | Path) -> int:
    """Concatenate score files into one long-format CSV sorted by ROW_KEY; return the row count.
    A row key found twice (a variant scored in two files) is an error naming both files."""
    rows, source = [], {}
    for path in score_files:
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            if tuple(reader.fieldnames or ()) != SCORE_COLUMNS:
                raise ValueError(f"{path}: expected columns {SCORE_COLUMNS}, found {reader.fieldnames}")
            for row in reader:
                key = tuple(row[c] for c in ROW_KEY)
                if key in source:
                    raise ValueError(f"{path}: the score {dict(zip(ROW_KEY, key))} is also in {source[key]}")
                source[key] = path
                rows.append(row)
    rows.sort(key=lambda r: tuple(r[c] for c in ROW_KEY))
    with atomic_output(out_csv) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=SCORE_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
    return len(rows)


def write_skipped(skipped, out_csv: str | Path) -> None:
    """`skipped`: iterable of (dataset, item, reason)."""
    with atomic_output(out_csv) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(SKIPPED_COLUMNS)
            writer.writerows(sorted(tuple(map(str, s)) for s in skipped))


def read_skipped(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m modsent.aggregate", description=__doc__)
    p.add_argument("--scores", nargs="*", default=[], help="per-unit score CSV files")
    p.add_argument("--skipped-json", default="[]", help="JSON list of [dataset, item, reason]")
    p.add_argument("--out", required=True, help="scores.csv")
    p.add_argument("--out-skipped", required=True, help="skipped.csv")
    a = p.parse_args(argv)
    n = aggregate_scores(a.scores, a.out)
    write_skipped(json.loads(a.skipped_json), a.out_skipped)
    print(f"{a.out}: {n} rows from {len(a.scores)} files")


if __name__ == "__main__":
    main()
