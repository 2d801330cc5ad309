"""The step scripts on their own: preprocessing, evaluation, the Lambda."""

from __future__ import annotations

import csv
import json
import tarfile

import pandas as pd
import pytest

from glue.steps import evaluate, preprocess
from glue.steps.latest_approved_model import NoApprovedModel, latest_approved
from tests import accounts
from tests.conftest import ACCOUNTS

HEADER = ["BI-RADS", "Age", "Shape", "Margin", "Density", "Severity"]


def write_input(folder, rows):
    (folder / "input").mkdir(parents=True)
    with (folder / "input" / "data.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *rows])


def test_preprocess_cleans_splits_and_writes_the_baseline_dataset(tmp_path):
    rows = [[4, 40 + i % 30, 1 + i % 4, 1 + i % 5, 3, i % 2] for i in range(100)]
    rows += [["?", 50, 1, 1, 3, 1], [5, 67, 9, 5, 3, 1], [4, 55, 2, 2, 3, 7]]  # dropped
    write_input(tmp_path, rows)
    preprocess.main(["--base-dir", str(tmp_path)])
    counts = {
        split: len((tmp_path / split / f"{split}.csv").read_text().splitlines())
        for split in ("train", "validation", "test")
    }
    assert counts == {"train": 70, "validation": 15, "test": 15}
    first = (tmp_path / "train" / "train.csv").read_text().splitlines()[0].split(",")
    assert first[0] in ("0", "1") and len(first) == 6, "label first, then 5 features"
    assert all("." not in value for value in first), "whole numbers, as batches carry them"
    # The training split's features as batches arrive (no label, no header, whole numbers as
    # such): what Model Monitor's analyzer computes the data-quality baseline from.
    baseline = (tmp_path / "baseline" / "baseline.csv").read_text().splitlines()
    assert len(baseline) == 70
    train = [
        line.split(",")[1:] for line in (tmp_path / "train" / "train.csv").read_text().splitlines()
    ]
    assert [line.split(",") for line in baseline] == [
        [f"{float(v):g}" for v in row] for row in train
    ]
    assert all(value.isdigit() for line in baseline for value in line.split(","))


def test_preprocess_is_deterministic(tmp_path):
    rows = [[4, 40 + i, 1 + i % 4, 1 + i % 5, 3, i % 2] for i in range(40)]
    outputs = []
    for run in ("a", "b"):
        write_input(tmp_path / run, rows)
        preprocess.main(["--base-dir", str(tmp_path / run)])
        outputs.append((tmp_path / run / "train" / "train.csv").read_bytes())
    assert outputs[0] == outputs[1]


def test_evaluation_report_has_the_path_the_condition_reads():
    report = evaluate.report(pd.Series([0.0, 1, 1, 0]), pd.Series([0.2, 0.7, 0.9, 0.6]))
    assert report["metrics"]["auc"]["value"] == 1.0
    assert report["metrics"]["accuracy"]["value"] == 0.75
    assert (
        evaluate.report(pd.Series([0.0, 0, 1, 1]), pd.Series([0.1, 0.4, 0.35, 0.8]))["metrics"][
            "auc"
        ]["value"]
        == 0.75
    )
    with pytest.raises(SystemExit, match="both classes"):
        evaluate.report(pd.Series([1.0, 1.0]), pd.Series([0.2, 0.3]))


def test_evaluate_reads_only_the_model_file_from_the_archive(tmp_path):
    (tmp_path / "model").mkdir()
    payload = tmp_path / "payload"
    payload.write_text("x")
    with tarfile.open(tmp_path / "model" / "model.tar.gz", "w:gz") as archive:
        archive.add(payload, arcname="../outside")
    with pytest.raises(SystemExit, match="holds no regular file xgboost-model"):
        evaluate.extract_model(tmp_path / "model")
    assert not (tmp_path / "outside").exists()


@pytest.mark.emulator
def test_latest_approved_pages_through_every_version(emulator):
    sagemaker = accounts.client_in(emulator, ACCOUNTS["registry"], "sagemaker")
    group = sagemaker.create_model_package_group(ModelPackageGroupName="paged-models")[
        "ModelPackageGroupArn"
    ]
    with pytest.raises(NoApprovedModel, match="no approved model version in .*paged-models"):
        latest_approved(sagemaker, group)
    arns = []
    for index in range(5):
        arns.append(
            sagemaker.create_model_package(
                ModelPackageGroupName="paged-models",
                ModelApprovalStatus="Approved" if index in (1, 3) else "PendingManualApproval",
                InferenceSpecification={
                    "Containers": [{"Image": "xgboost", "ModelDataUrl": f"s3://b/m{index}.tar.gz"}],
                    "SupportedContentTypes": ["text/csv"],
                    "SupportedResponseMIMETypes": ["text/csv"],
                },
                DriftCheckBaselines={
                    "ModelDataQuality": {
                        kind: {
                            "ContentType": "application/json",
                            "S3Uri": f"s3://b/{index}/{kind}.json",
                        }
                        for kind in ("Statistics", "Constraints")
                    }
                },
            )["ModelPackageArn"]
        )
    found = latest_approved(sagemaker, group, page_size=1)
    assert found == {
        "ModelPackageArn": arns[3],
        "ModelDataUrl": "s3://b/m3.tar.gz",
        "ImageUri": "xgboost",
        "BaselineStatisticsUri": "s3://b/3/Statistics.json",
        "BaselineConstraintsUri": "s3://b/3/Constraints.json",
    }


def test_evaluate_finds_the_model_file_however_the_archive_names_it(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "xgboost-model").write_bytes(b"model")
    with tarfile.open(tmp_path / "model" / "model.tar.gz", "w:gz") as archive:
        archive.add(tmp_path / "xgboost-model", arcname="./xgboost-model")
    assert evaluate.extract_model(tmp_path / "model").read_bytes() == b"model"


def _model_archive(folder, labels, features, rounds: int) -> None:
    """A model as the built-in algorithm leaves it: model.tar.gz holding xgboost-model."""
    import xgboost

    booster = xgboost.train(
        {"objective": "binary:logistic", "max_depth": 2},
        xgboost.DMatrix(features, label=labels),
        num_boost_round=rounds,
    )
    folder.mkdir(parents=True)
    booster.save_model(str(folder / "saved.ubj"))
    with tarfile.open(folder / "model.tar.gz", "w:gz") as archive:
        archive.add(folder / "saved.ubj", arcname="xgboost-model")
    (folder / "saved.ubj").unlink()


def test_evaluate_scores_a_champion_on_the_same_rows_when_given_one(tmp_path):
    """The comparison pipeline's job: both models, one held-out split, one report."""
    rows = [[i % 2, (i % 2) * 3 + (i % 7) / 7, i % 5] for i in range(200)]
    (tmp_path / "test").mkdir()
    with (tmp_path / "test" / "test.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    labels = [r[0] for r in rows]
    features = [r[1:] for r in rows]
    _model_archive(tmp_path / "model", labels, features, rounds=5)
    # The champion learned from shuffled labels: no better than chance on these rows.
    _model_archive(tmp_path / "champion", labels[1:] + labels[:1], features, rounds=5)

    evaluate.main(["--base-dir", str(tmp_path)])
    report = json.loads((tmp_path / "evaluation" / "evaluation.json").read_text())
    assert report["rows"] == report["champion"]["rows"] == 200
    assert report["metrics"]["auc"]["value"] == 1.0
    assert report["champion"]["metrics"]["auc"]["value"] < 0.7

    (tmp_path / "champion" / "model.tar.gz").unlink()  # the training pipeline's evaluation
    evaluate.main(["--base-dir", str(tmp_path)])
    assert "champion" not in json.loads((tmp_path / "evaluation" / "evaluation.json").read_text())
