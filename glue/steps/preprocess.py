"""Preprocessing step: clean the Mammographic Mass data and split it for XGBoost.

Container layout: input CSV(s) under /opt/ml/processing/input, outputs under
/opt/ml/processing/{train,validation,test,baseline}. Training and validation files carry the
label first and no header (the built-in XGBoost CSV format); the baseline holds per-feature
statistics of the training data, which the inference data-quality check compares against.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from pathlib import Path

# The image this script runs in (its Python and packages: glue/steps/images.json).
IMAGE = "sagemaker-scikit-learn:1.2-1-cpu-py3"

FEATURES = ("BI-RADS", "Age", "Shape", "Margin", "Density")
LABEL = "Severity"
RANGES = {"BI-RADS": (1, 5), "Age": (18, 100), "Shape": (1, 4), "Margin": (1, 5), "Density": (1, 4)}


def read_rows(input_dir: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in sorted(input_dir.glob("*.csv")):
        with path.open(newline="") as handle:
            rows += list(csv.DictReader(handle))
    if not rows:
        raise SystemExit(f"no CSV rows found under {input_dir}")
    return rows


def clean(rows: list[dict[str, str]]) -> list[list[float]]:
    """Drop rows with missing ('?') or out-of-range values; label first."""
    cleaned = []
    for row in rows:
        try:
            values = [float(row[name]) for name in FEATURES]
            label = float(row[LABEL])
        except (KeyError, ValueError):
            continue
        in_range = all(
            low <= v <= high for v, (low, high) in zip(values, RANGES.values(), strict=True)
        )
        if in_range and label in (0.0, 1.0):
            cleaned.append([label, *values])
    return cleaned


def baseline(rows: list[list[float]]) -> dict:
    statistics = {}
    for index, name in enumerate(FEATURES, start=1):
        column = [row[index] for row in rows]
        mean = sum(column) / len(column)
        std = (sum((v - mean) ** 2 for v in column) / len(column)) ** 0.5
        statistics[name] = {"mean": mean, "std": std, "min": min(column), "max": max(column)}
    return {"features": list(FEATURES), "statistics": statistics, "rows": len(rows)}


def write_csv(path: Path, rows: list[list[float]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-dir", type=Path, default=Path("/opt/ml/processing"))
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    rows = clean(read_rows(args.base_dir / "input"))
    random.Random(args.seed).shuffle(rows)
    train_end, validation_end = int(len(rows) * 0.7), int(len(rows) * 0.85)
    write_csv(args.base_dir / "train" / "train.csv", rows[:train_end])
    write_csv(args.base_dir / "validation" / "validation.csv", rows[train_end:validation_end])
    write_csv(args.base_dir / "test" / "test.csv", rows[validation_end:])
    out = args.base_dir / "baseline" / "baseline.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(baseline(rows[:train_end]), indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
