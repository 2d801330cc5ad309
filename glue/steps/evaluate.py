"""Evaluation step: score the test split with the trained model and report its AUC.

Container layout: model archive under /opt/ml/processing/model, test CSV (label first) under
/opt/ml/processing/test; writes /opt/ml/processing/evaluation/evaluation.json, the property
file the pipeline's AUC condition reads with JsonGet (path metrics.auc.value).
"""

from __future__ import annotations

import argparse
import csv
import json
import tarfile
from collections.abc import Callable, Sequence
from pathlib import Path

# The image this script runs in (its Python and packages: glue/steps/images.json).
IMAGE = "sagemaker-xgboost:1.7-1"


def auc(labels: Sequence[float], scores: Sequence[float]) -> float:
    """Area under the ROC curve by the rank-sum statistic (ties get their average rank)."""
    positives = sum(1 for label in labels if label == 1)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        raise ValueError("AUC needs both classes in the test split")
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2 + 1
        start = end + 1
    positive_rank_sum = sum(rank for rank, label in zip(ranks, labels, strict=True) if label == 1)
    return (positive_rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def report(labels: Sequence[float], scores: Sequence[float]) -> dict:
    correct = sum(1 for label, s in zip(labels, scores, strict=True) if (s >= 0.5) == (label == 1))
    return {
        "metrics": {
            "auc": {"value": round(auc(labels, scores), 6)},
            "accuracy": {"value": round(correct / len(labels), 6)},
        },
        "rows": len(labels),
    }


def read_test(path: Path) -> tuple[list[float], list[list[float]]]:
    with path.open(newline="") as handle:
        rows = [[float(v) for v in row] for row in csv.reader(handle) if row]
    return [row[0] for row in rows], [row[1:] for row in rows]


def load_xgboost_predictor(model_dir: Path) -> Callable[[list[list[float]]], list[float]]:
    import xgboost  # noqa: PLC0415 - present in the processing image, not needed elsewhere

    with tarfile.open(model_dir / "model.tar.gz") as archive:
        archive.extractall(model_dir, filter="data")
    booster = xgboost.Booster()
    booster.load_model(bytearray((model_dir / "xgboost-model").read_bytes()))
    return lambda features: [float(p) for p in booster.predict(xgboost.DMatrix(features))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-dir", type=Path, default=Path("/opt/ml/processing"))
    args = parser.parse_args(argv)
    labels, features = read_test(args.base_dir / "test" / "test.csv")
    scores = load_xgboost_predictor(args.base_dir / "model")(features)
    out = args.base_dir / "evaluation" / "evaluation.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report(labels, scores), indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
