"""Evaluation step: score the test split with the trained model and report its AUC.

Runs in the XGBoost image (the scikit-learn image has no xgboost). Container layout: model
archive under /opt/ml/processing/model, test CSV (label first, no header) under
/opt/ml/processing/test; writes /opt/ml/processing/evaluation/evaluation.json, the property
file the pipeline's AUC condition reads with JsonGet (path metrics.auc.value). Given a second
archive under /opt/ml/processing/champion (the comparison pipeline), it scores that model on
the same rows too and reports it under `champion`.
Written for the image's Python (3.8), xgboost (1.7), pandas (1.2) and scikit-learn (0.24).
"""

from __future__ import annotations

import argparse
import json
import os
import tarfile
from pathlib import Path

import pandas as pd
import xgboost
from sklearn.metrics import accuracy_score, roc_auc_score

# The image this script runs in (its Python and packages: glue/steps/images.json).
IMAGE = "sagemaker-xgboost:1.7-1"
MODEL_FILE = "xgboost-model"  # what the built-in algorithm writes into model.tar.gz


def report(labels: pd.Series, scores: pd.Series) -> dict:
    if labels.nunique() < 2:
        raise SystemExit("AUC needs both classes in the test split")
    predicted = (scores >= 0.5).astype(float)
    return {
        "metrics": {
            "auc": {"value": round(float(roc_auc_score(labels, scores)), 6)},
            "accuracy": {"value": round(float(accuracy_score(labels, predicted)), 6)},
        },
        "rows": int(len(labels)),
    }


def extract_model(model_dir: Path) -> Path:
    """Unpack the model archive, refusing members that would land outside the folder."""
    with tarfile.open(model_dir / "model.tar.gz") as archive:
        member = next(
            (
                m
                for m in archive.getmembers()
                if m.isfile() and os.path.normpath(m.name) == MODEL_FILE  # also ./xgboost-model
            ),
            None,
        )
        if member is None:
            raise SystemExit(f"the model archive holds no regular file {MODEL_FILE}")
        archive.extract(member, model_dir)
    return model_dir / MODEL_FILE


def scores(model_dir: Path, features: pd.DataFrame, index: pd.Index) -> pd.Series:
    booster = xgboost.Booster()
    booster.load_model(bytearray(extract_model(model_dir).read_bytes()))
    return pd.Series(booster.predict(xgboost.DMatrix(features.values)), index=index)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-dir", type=Path, default=Path("/opt/ml/processing"))
    args = parser.parse_args(argv)
    test = pd.read_csv(args.base_dir / "test" / "test.csv", header=None)
    labels, features = test.iloc[:, 0], test.iloc[:, 1:]
    evaluation = report(labels, scores(args.base_dir / "model", features, labels.index))
    champion = args.base_dir / "champion"
    if (champion / "model.tar.gz").is_file():
        evaluation["champion"] = report(labels, scores(champion, features, labels.index))
    out = args.base_dir / "evaluation" / "evaluation.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(evaluation, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
