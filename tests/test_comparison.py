"""Champion/challenger's own rules (glue/comparison.py), in process: what is recorded on the
candidate, when a promotion is refused and why, the report read, the run waited for. The AWS
calls go through botocore's Stubber (each request checked against botocore's model); the
comparison pipeline itself runs in tests/test_lifecycle.py."""

from __future__ import annotations

import io
import json

import boto3
import pytest
from botocore.stub import Stubber

from glue import comparison
from glue.errors import MlopsError

GROUP = "arn:aws:sagemaker:us-east-1:111111111111:model-package"
CHALLENGER, CHAMPION = f"{GROUP}/mammo-dev/4", f"{GROUP}/mammo-prod/2"
DATA = "s3://bucket/mammo-dev/preprocessed/test"
REPORT = "s3://bucket/mammo-dev/comparison/mammo-dev/4/vs/mammo-prod/2"


def _client(service: str):
    return boto3.client(
        service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def _version(arn: str, **metadata: str) -> dict:
    return {
        "ModelPackageArn": arn,
        "InferenceSpecification": {"Containers": [{"ModelDataUrl": f"s3://m/{arn[-1]}.tar.gz"}]},
        "CustomerMetadataProperties": metadata,
    }


def _compared(challenger_auc: str, champion_auc: str, champion: str = CHAMPION) -> dict:
    return _version(
        CHALLENGER,
        compared_champion_arn=champion,
        challenger_auc=challenger_auc,
        champion_auc=champion_auc,
        comparison_data_uri=DATA,
    )


def test_the_report_and_the_pipeline_s_inputs_name_both_versions():
    assert comparison.version_name(CHALLENGER) == "mammo-dev/4"
    assert comparison.report_uri("bucket", "mammo-dev", CHALLENGER, CHAMPION) == REPORT
    assert comparison.parameters(_version(CHALLENGER), _version(CHAMPION), DATA, REPORT) == {
        "ChallengerModelUri": "s3://m/4.tar.gz",
        "ChampionModelUri": "s3://m/2.tar.gz",
        "TestDataUri": DATA,
        "ReportUri": REPORT,
    }


def test_the_held_out_data_is_the_one_given_else_the_training_run_s():
    recorded = _version(CHALLENGER, test_data_uri=DATA)
    assert comparison.held_out_data(recorded, "s3://other/test") == "s3://other/test"
    assert comparison.held_out_data(recorded, None) == DATA
    with pytest.raises(MlopsError) as missing:
        comparison.held_out_data(_version(CHALLENGER), None)
    assert str(missing.value) == (
        f"{CHALLENGER} records no held-out data (test_data_uri: registered by an older training "
        "pipeline or by hand): give it with --test-data s3://..."
    )


def test_a_comparison_recorded_with_this_champion_on_this_data_is_reused():
    reused = comparison.recorded(_compared("0.93", "0.91"), CHAMPION, DATA)
    assert reused == comparison.Comparison(CHALLENGER, CHAMPION, 0.93, 0.91, DATA, ran=False)
    assert str(reused) == (
        f"challenger {CHALLENGER}: AUC 0.9300; champion {CHAMPION}: AUC 0.9100 (same held-out "
        f"data: {DATA})"
    )
    assert comparison.recorded(_compared("0.93", "0.91"), f"{GROUP}/mammo-prod/3", DATA) is None
    assert comparison.recorded(_compared("0.93", "0.91"), CHAMPION, "s3://other") is None


@pytest.mark.parametrize(
    ("candidate", "champion", "problem"),
    [
        (_version(CHALLENGER), None, None),  # the first promotion: nothing to beat
        (_compared("0.93", "0.91"), _version(CHAMPION), None),
        (_compared("0.89", "0.91"), _version(CHAMPION), None),  # within the tolerance
        (_compared("0.88", "0.91"), _version(CHAMPION), None),  # at it
        (
            _compared("0.87", "0.91"),
            _version(CHAMPION),
            "mammo-dev/4 is worse than prod's champion mammo-prod/2: AUC 0.8700 against 0.9100 "
            f"on the same held-out data ({DATA}), more than the tolerance 0.03 "
            "(challenger_auc_tolerance in prod's tfvars)",
        ),
        (
            _compared("0.99", "0.91", champion=f"{GROUP}/mammo-prod/1"),
            _version(CHAMPION),
            "mammo-dev/4 was not compared with prod's champion mammo-prod/2 (`mlops models "
            "compare --version 4` records both AUCs on the same held-out data)",
        ),
    ],
)
def test_a_challenger_is_refused_only_if_worse_beyond_the_tolerance(candidate, champion, problem):
    assert comparison.promotion_problem(candidate, champion, "prod", 0.03) == problem


def test_both_aucs_are_recorded_on_the_candidate_with_its_lineage_kept():
    sagemaker = _client("sagemaker")
    candidate = _version(CHALLENGER, test_data_uri=DATA, trained_by="sam")
    with Stubber(sagemaker) as stub:
        stub.add_response(
            "update_model_package",
            {"ModelPackageArn": CHALLENGER},
            {
                "ModelPackageArn": CHALLENGER,
                "CustomerMetadataProperties": {
                    "test_data_uri": DATA,
                    "trained_by": "sam",
                    "compared_champion_arn": CHAMPION,
                    "challenger_auc": "0.93",
                    "champion_auc": "0.91",
                    "comparison_data_uri": DATA,
                    "comparison_report_uri": REPORT,
                },
            },
        )
        done = comparison.record(sagemaker, candidate, CHAMPION, (0.93, 0.91), DATA, REPORT)
        stub.assert_no_pending_responses()
    assert done == comparison.Comparison(CHALLENGER, CHAMPION, 0.93, 0.91, DATA, ran=True)
    assert candidate["CustomerMetadataProperties"] == {"test_data_uri": DATA, "trained_by": "sam"}


def _report(s3, body: bytes | None):
    stub = Stubber(s3)
    expected = {"Bucket": "bucket", "Key": f"{REPORT.split('/', 3)[3]}/evaluation.json"}
    if body is None:
        stub.add_client_error("get_object", "NoSuchKey", expected_params=expected)
    else:
        stub.add_response("get_object", {"Body": io.BytesIO(body)}, expected)
    return stub


def test_the_report_gives_both_aucs_or_a_line_that_says_where_it_was_looked_for():
    s3 = _client("s3")
    report = {"metrics": {"auc": {"value": 0.93}}, "champion": {"metrics": {"auc": {"value": 0.9}}}}
    with _report(s3, json.dumps(report).encode()):
        assert comparison.read_report(s3, REPORT) == (0.93, 0.9)
    where = f"{REPORT}/evaluation.json"
    for body, error in [
        (None, "NoSuchKey"),
        (b"not json", "JSONDecodeError"),
        (b'{"metrics": {}}', "KeyError"),
    ]:
        with _report(s3, body), pytest.raises(MlopsError) as unreadable:
            comparison.read_report(s3, REPORT + "/")
        message = str(unreadable.value)
        assert message.startswith(
            f"the comparison ended without a report both AUCs can be read from at {where} "
            f"({error}: "
        ), message
        assert message.endswith("): nothing recorded")


def _execution(stub: Stubber, status: str, reason: str | None = None) -> None:
    answer = {"PipelineExecutionStatus": status} | ({"FailureReason": reason} if reason else {})
    stub.add_response("describe_pipeline_execution", answer, {"PipelineExecutionArn": "run"})


def test_the_run_is_waited_for_until_it_ends_and_only_success_goes_on():
    sagemaker, slept = _client("sagemaker"), []
    with Stubber(sagemaker) as stub:
        for status in ("Executing", "Executing", "Succeeded"):
            _execution(stub, status)
        comparison.wait(sagemaker, "run", poll_seconds=5, sleep=slept.append)
        stub.assert_no_pending_responses()
    assert slept == [5, 5]

    for status, reason, said in [
        ("Failed", "Evaluate: out of memory", "ended Failed: Evaluate: out of memory"),
        ("Stopped", None, "ended Stopped"),
    ]:
        with Stubber(sagemaker) as stub, pytest.raises(MlopsError) as ended:
            _execution(stub, status, reason)
            comparison.wait(sagemaker, "run", sleep=slept.append)
        assert str(ended.value) == f"the comparison run {said}: nothing recorded"


def test_a_run_still_going_at_the_timeout_is_left_to_end():
    sagemaker, slept = _client("sagemaker"), []
    with Stubber(sagemaker) as stub, pytest.raises(MlopsError) as late:
        for _ in range(3):
            _execution(stub, "Executing")
        comparison.wait(sagemaker, "run", poll_seconds=30, timeout_seconds=60, sleep=slept.append)
    assert slept == [30, 30]
    assert str(late.value) == (
        "run still runs after 60 s: nothing recorded; compare again once it has ended"
    )


def test_by_default_a_run_is_polled_every_30_s_for_an_hour():
    sagemaker, slept = _client("sagemaker"), []
    with Stubber(sagemaker) as stub, pytest.raises(MlopsError, match="after 3600 s"):
        for _ in range(3600 // 30 + 1):
            _execution(stub, "Executing")
        comparison.wait(sagemaker, "run", sleep=slept.append)
    assert slept == [30] * 120


def test_the_time_waited_counts_from_zero():
    sagemaker, slept = _client("sagemaker"), []
    with Stubber(sagemaker) as stub, pytest.raises(MlopsError):
        for _ in range(4):
            _execution(stub, "Executing")
        comparison.wait(sagemaker, "run", poll_seconds=10, timeout_seconds=20.5, sleep=slept.append)
    assert slept == [10, 10, 10]  # at 0, 10 and 20 s it was still under the timeout
