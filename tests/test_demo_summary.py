"""The demo's summary: intended and unexpected failures told apart, long details wrapped at
whole words, the retrained model version and the total wall time (no local AWS needed)."""

from __future__ import annotations

import pytest

from glue.errors import MlopsError
from glue.local import demo, lifecycle
from glue.local.events import Delivery
from glue.local.runner import Execution

PROD = "prod (333333333333)"
DRIFTED = (
    "step DataQualityCheck failed: ClientError: Quality check failed. See violation report "
    "s3://mammo-model-artifacts-111111111111/mammo-prod/inference/quality/run-1/"
    "constraint_violations.json"
)


def _execution(pipeline: str, status: str, reason: str = "", version: int | None = None):
    arn = f"arn:aws:sagemaker:us-east-1:333333333333:pipeline/{pipeline}/execution/abc123"
    properties = {}
    if version is not None:
        properties["Steps.RegisterModel.ModelPackageArn"] = (
            f"arn:aws:sagemaker:us-east-1:333333333333:model-package/mammo/{version}"
        )
    return Execution(pipeline, arn, "333333333333", "us-east-1", {}, status, reason, [], properties)


def _row(table: str, what: str) -> str:
    return next(line for line in table.splitlines() if line.startswith(what))


def _continued(table: str, what: str) -> list[str]:
    """The row of `what` and its continuation lines (those whose step cell is blank)."""
    lines = table.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(what))
    rows = [lines[start]]
    for line in lines[start + 1 :]:
        if line[:1] != " ":
            break
        rows.append(line)
    return rows


def test_an_intended_failure_reads_ok_and_says_it_failed_as_intended():
    steps: list[demo.Step] = []
    demo._timed(
        steps,
        "infer, batch with outliers",
        PROD,
        lambda: _execution("mammo-prod-inference", "Failed", DRIFTED),
    )
    [step] = steps
    assert step.status == "ok"
    assert step.detail.startswith("failed as intended: step DataQualityCheck failed")

    row = _row(demo.table(steps), "infer, batch with outliers")
    assert "  ok  " in row and "FAILED" not in row
    assert "failed as intended:" in row


def test_an_unexpected_failure_reads_failed_with_its_reason():
    steps: list[demo.Step] = []

    def train() -> Execution:
        raise MlopsError("mammo-dev-training ended Failed, expected Succeeded: step Train failed")

    with pytest.raises(MlopsError):
        demo._timed(steps, "train", "dev (222222222222)", train)
    [step] = steps
    assert step.status == "FAILED"
    assert "expected Succeeded" in step.detail
    assert "FAILED" in _row(demo.table(steps), "train")
    assert "as intended" not in demo.table(steps)


def test_a_retraining_that_fails_reads_failed():
    steps: list[demo.Step] = []
    failed = _execution("mammo-prod-training", "Failed", "step CheckAuc failed: AUC too low")
    demo._timed(
        steps,
        "route failure event",
        PROD,
        lambda: [Delivery("retrain", "arn:...:pipeline/x", "started, Failed", failed)],
    )
    assert steps[0].status == "FAILED"


def test_a_long_detail_wraps_at_whole_words_within_the_width():
    words = [f"word{i:02d}-with-hyphen" if i % 5 == 0 else f"word{i:02d}" for i in range(60)]
    steps = [
        demo.Step("start local AWS", "loopback", "ok", 1.2, "http://127.0.0.1:4566"),
        demo.Step("re-plan (expect no changes)", "registry (111111111111)", "ok", 7.0, "+0 ~0 -0"),
        demo.Step("infer, batch with outliers", PROD, "ok", 12.3, " ".join(words)),
        demo.Step("stop local AWS", "loopback", "ok", 0.4),
    ]
    for width in (100, 110, 120):
        table = demo.table(steps, width=width)
        assert max(len(line) for line in table.splitlines()) <= width
        rows = _continued(table, "infer, batch with outliers")
        assert len(rows) > 1  # wrapped onto continuation lines
        start = rows[0].index("word00")
        assert all(not line[:start].strip() for line in rows[1:])
        # Every word comes back whole and in order: none was cut, none was dropped.
        assert " ".join(line[start:] for line in rows).split() == words
        assert _row(table, "stop local AWS")  # the next row still starts a line of its own


def test_describe_shortens_a_long_failure_reason_at_a_whole_word():
    reason = "step Train failed: " + " ".join(["estimator"] * 80)
    described = lifecycle.describe(_execution("mammo-dev-training", "Failed", reason))
    assert described.startswith("Failed, step Train failed: estimator estimator")
    assert described.endswith("estimator ...")
    assert set(described.split()) == {"Failed,", "step", "Train", "failed:", "estimator", "..."}


def test_the_summary_ends_with_the_retrained_version_and_the_total_time():
    steps = [demo.Step("train", "dev (222222222222)", "ok", 20.0, "Succeeded, AUC 0.857")]
    text = demo.summary(steps, seconds=241.4, retrained=3)
    lines = text.splitlines()
    assert lines[: len(demo.table(steps).splitlines())] == demo.table(steps).splitlines()
    retrained = next(line for line in lines if line.startswith("retrained model version"))
    assert "v3" in retrained and "prod" in retrained
    assert lines[-1] == "total wall time: 241.4 s (4 min 1 s)"

    nothing = demo.summary(steps, seconds=59.0, retrained=None)
    assert "retrained model version: none registered" in nothing
    assert nothing.splitlines()[-1] == "total wall time: 59.0 s"


def test_the_route_detail_names_the_retrained_version():
    retrained = _execution("mammo-prod-training", "Succeeded", version=4)
    deliveries = [
        Delivery("mammo-prod-inference-failed-retrain", "arn", "started, Succeeded", retrained),
        Delivery("mammo-prod-inference-failed-notify", "arn", "published"),
    ]
    assert lifecycle.retrained_version(deliveries) == 4
    steps: list[demo.Step] = []
    demo._timed(steps, "route failure event", PROD, lambda: deliveries)
    assert steps[0].status == "ok"
    assert "started, Succeeded, registered v4" in steps[0].detail
    assert lifecycle.retrained_version(deliveries[1:]) is None
