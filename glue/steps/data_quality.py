"""Data-quality check of an inference batch against the training baseline.

Container layout: batch CSV(s) (features only, no header) under /opt/ml/processing/batch, the
baseline written by preprocessing under /opt/ml/processing/baseline; writes
/opt/ml/processing/report/violations.json and exits non-zero on any violation, which fails the
inference run (and, through the deployed EventBridge rule, starts retraining).
Written for the image's Python (3.8) and pandas (1.1).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

# The image this script runs in (its Python and packages: glue/steps/images.json).
IMAGE = "sagemaker-scikit-learn:1.2-1-cpu-py3"

MAX_OUT_OF_RANGE_FRACTION = 0.05
MAX_MEAN_SHIFT_IN_STD = 3.0


def violations(batch: pd.DataFrame, baseline: dict) -> list[str]:
    """What is wrong with the batch (one column per baseline feature, in order)."""
    if batch.empty:
        return ["the batch is empty"]
    found = []
    for index, name in enumerate(baseline["features"]):
        stats = baseline["statistics"][name]
        if index not in batch.columns:
            found.append(f"{name}: no column {index + 1} in the batch")
            continue
        values = pd.to_numeric(batch[index], errors="coerce")
        unreadable = int(values.isna().sum())
        if unreadable:
            found.append(f"{name}: missing or non-numeric value in {unreadable} row(s)")
            values = values.dropna()
        if values.empty:
            continue
        outside = float((~values.between(stats["min"], stats["max"])).mean())
        if outside > MAX_OUT_OF_RANGE_FRACTION:
            found.append(
                f"{name}: {outside:.0%} of values outside the training range "
                f"[{stats['min']}, {stats['max']}]"
            )
        mean = float(values.mean())
        if stats["std"] and abs(mean - stats["mean"]) > MAX_MEAN_SHIFT_IN_STD * stats["std"]:
            found.append(
                f"{name}: mean {mean:.2f} drifted from the training mean {stats['mean']:.2f}"
            )
    return found


def read_batch(folder: Path) -> pd.DataFrame:
    frames = [
        pd.read_csv(path, header=None, dtype=str)
        for path in sorted(folder.glob("*.csv"))
        if path.stat().st_size
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-dir", type=Path, default=Path("/opt/ml/processing"))
    args = parser.parse_args(argv)
    baseline = json.loads((args.base_dir / "baseline" / "baseline.json").read_text())
    batch = read_batch(args.base_dir / "batch")
    found = violations(batch, baseline)
    out = args.base_dir / "report" / "violations.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"violations": found, "rows": len(batch)}, indent=2))
    for violation in found:
        print(f"data-quality violation: {violation}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
