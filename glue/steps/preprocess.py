"""Preprocessing step: clean the Mammographic Mass data and split it for XGBoost.

Container layout: input CSV(s) under /opt/ml/processing/input, outputs under
/opt/ml/processing/{train,validation,test,baseline}. Training and validation files carry the
label first and no header (the built-in XGBoost CSV format), each value as batches carry it
(whole numbers without a decimal point); the baseline is the training split's
features alone, no header, as inference batches arrive: Model Monitor's analyzer computes the
data-quality baseline from it that each batch is then checked against.
Written for the image's Python (3.8) and pandas (1.1) / scikit-learn (1.2).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

# The image this script runs in (its Python and packages: glue/steps/images.json).
IMAGE = "sagemaker-scikit-learn:1.2-1-cpu-py3"

FEATURES = ["BI-RADS", "Age", "Shape", "Margin", "Density"]
LABEL = "Severity"
RANGES = {"BI-RADS": (1, 5), "Age": (18, 100), "Shape": (1, 4), "Margin": (1, 5), "Density": (1, 4)}


def read_rows(input_dir: Path) -> pd.DataFrame:
    paths = sorted(input_dir.glob("*.csv"))
    if not paths:
        raise SystemExit(f"no CSV files found under {input_dir}")
    frame = pd.concat([pd.read_csv(path, na_values="?") for path in paths], ignore_index=True)
    missing = [name for name in [*FEATURES, LABEL] if name not in frame.columns]
    if missing:
        raise SystemExit(f"the input lacks the columns {missing} (header: {list(frame.columns)})")
    return frame


def clean(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop rows with missing ('?'), non-numeric or out-of-range values; label first."""
    numeric = frame[[LABEL, *FEATURES]].apply(pd.to_numeric, errors="coerce").dropna()
    keep = numeric[LABEL].isin([0, 1])
    for name, (low, high) in RANGES.items():
        keep &= numeric[name].between(low, high)
    return numeric[keep].astype(float).reset_index(drop=True)


def split(frame: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """70% train, 15% validation, 15% test, each with the label's proportions."""
    try:
        train, rest = train_test_split(
            frame, train_size=0.7, random_state=seed, stratify=frame[LABEL]
        )
        validation, test = train_test_split(
            rest, test_size=0.5, random_state=seed, stratify=rest[LABEL]
        )
    except ValueError as error:
        raise SystemExit(f"too few clean rows of each class to split: {error}") from None
    return train, validation, test


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    """A split as batches carry the features (the held-out rows are what the check after a
    deployment sends an endpoint, as a client would: its monitoring compares them to the
    baseline)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    as_batches_carry_them(frame).to_csv(path, header=False, index=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-dir", type=Path, default=Path("/opt/ml/processing"))
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    train, validation, test = split(clean(read_rows(args.base_dir / "input")), args.seed)
    for name, part in (("train", train), ("validation", validation), ("test", test)):
        write_csv(args.base_dir / name / f"{name}.csv", part)
    write_csv(args.base_dir / "baseline" / "baseline.csv", train[FEATURES])


def as_batches_carry_them(features: pd.DataFrame) -> pd.DataFrame:
    """Whole numbers written as such ("4", not "4.0"), as batches carry them: the analyzer
    infers each feature's type (Integral or Fractional) from the baseline and checks batches
    for it."""
    return features.apply(lambda c: c.astype(int) if (c % 1 == 0).all() else c)


if __name__ == "__main__":
    main()
