"""Data-quality check of an inference batch against the training baseline.

Container layout: batch CSV(s) (features only, no header) under /opt/ml/processing/batch, the
baseline written by preprocessing under /opt/ml/processing/baseline; writes
/opt/ml/processing/report/violations.json and exits non-zero on any violation, which fails the
inference run (and, through the deployed EventBridge rule, starts retraining).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

# The image this script runs in (its Python and packages: glue/steps/images.json).
IMAGE = "sagemaker-scikit-learn:1.2-1-cpu-py3"

MAX_OUT_OF_RANGE_FRACTION = 0.05
MAX_MEAN_SHIFT_IN_STD = 3.0


def violations(rows: list[list[str]], baseline: dict) -> list[str]:
    features = baseline["features"]
    found = []
    if not rows:
        return ["the batch is empty"]
    for index, name in enumerate(features):
        stats = baseline["statistics"][name]
        values = []
        for row in rows:
            try:
                values.append(float(row[index]))
            except (IndexError, ValueError):
                found.append(f"{name}: missing or non-numeric value in {row}")
                break
        if not values:
            continue
        outside = sum(1 for v in values if not stats["min"] <= v <= stats["max"]) / len(values)
        if outside > MAX_OUT_OF_RANGE_FRACTION:
            found.append(
                f"{name}: {outside:.0%} of values outside the training range "
                f"[{stats['min']}, {stats['max']}]"
            )
        mean = sum(values) / len(values)
        if stats["std"] and abs(mean - stats["mean"]) > MAX_MEAN_SHIFT_IN_STD * stats["std"]:
            found.append(
                f"{name}: mean {mean:.2f} drifted from the training mean {stats['mean']:.2f}"
            )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-dir", type=Path, default=Path("/opt/ml/processing"))
    args = parser.parse_args(argv)
    baseline = json.loads((args.base_dir / "baseline" / "baseline.json").read_text())
    rows = []
    for path in sorted((args.base_dir / "batch").glob("*.csv")):
        with path.open(newline="") as handle:
            rows += [row for row in csv.reader(handle) if row]
    found = violations(rows, baseline)
    out = args.base_dir / "report" / "violations.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"violations": found, "rows": len(rows)}, indent=2))
    for violation in found:
        print(f"data-quality violation: {violation}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
