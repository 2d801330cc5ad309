"""Real-time endpoints on the local AWS (glue/local/emulator/sagemaker_endpoints.py), deployed
by the endpoint deployment function's own code (glue/steps/endpoint_deployer.py) with real
boto3 calls: the first approval creates the endpoint; a later one updates it blue/green, traffic
shifted in the configured steps (DescribeEndpoint shows each); a rejection of the version served
deploys the one before; an alarm in ALARM during the deployment rolls it back, and the version
rolled back is held; a version whose check on the endpoint fails (its held-out rows scored)
is held and the one before serves again; what the endpoint config asks is captured, as its
execution role; Model Monitor checks what was captured against the served version's baseline;
AWS's refusals (a second creation of a name, an update of an endpoint still deploying) are
refused here too. Waits are scaled down (MLOPS_EMULATOR_DEPLOYMENT_TIME_SCALE, 0.01 by default:
100 s of AWS take 1 s here)."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import io
import json
import re
import tarfile
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from glue.local.emulator import control
from glue.steps import endpoint_deployer
from glue.steps.endpoint_deployer import Settings
from tests import accounts
from tests.conftest import ACCOUNTS

pytestmark = pytest.mark.emulator

ACCOUNT = ACCOUNTS["dev"]
# Where the built-in XGBoost image lives in us-east-1.
XGBOOST_REGISTRY = "683313688378.dkr.ecr.us-east-1.amazonaws.com"


def _settings(name: str, group: str, deployment: dict) -> Settings:
    """The function's settings for an endpoint of its own: two instances, nothing captured."""
    variant = {"VariantName": "AllTraffic", "InstanceType": "ml.m5.large"}
    variant["InitialInstanceCount"] = 2
    return Settings.from_environment(
        {
            "ENDPOINT_NAME": name,
            "MODEL_PACKAGE_GROUP_ARN": group,
            "EXECUTION_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/endpoint-test-execution",
            "PRODUCTION_VARIANT": json.dumps(variant),
            "DATA_CAPTURE_CONFIG": "null",
            "DEPLOYMENT_CONFIG": json.dumps(deployment),
        }
    )


@pytest.fixture()
def stage(emulator):
    """A group of its own with three versions awaiting approval, the two rollback alarms, and
    the function's settings for an endpoint of its own (a canary of 25 %, 1 s local wait)."""
    sagemaker = accounts.client_in(emulator, ACCOUNT, "sagemaker")
    cloudwatch = accounts.client_in(emulator, ACCOUNT, "cloudwatch")
    suffix = uuid.uuid4().hex[:8]
    group = sagemaker.create_model_package_group(ModelPackageGroupName=f"endpoint-{suffix}")[
        "ModelPackageGroupArn"
    ]
    for _ in range(3):
        sagemaker.create_model_package(
            ModelPackageGroupName=group,
            InferenceSpecification=accounts.INFERENCE_SPEC,
            ModelApprovalStatus="PendingManualApproval",
        )
    name = f"ep-{suffix}"
    alarms = [f"{name}-5xx-rate", f"{name}-model-latency"]
    for alarm in alarms:
        cloudwatch.put_metric_alarm(
            AlarmName=alarm,
            Namespace="AWS/SageMaker",
            MetricName="Invocation5XXErrors",
            Dimensions=[
                {"Name": "EndpointName", "Value": name},
                {"Name": "VariantName", "Value": "AllTraffic"},
            ],
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
        )
    deployment = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 25},
                "WaitIntervalInSeconds": 100,
            },
            "TerminationWaitInSeconds": 100,
            "MaximumExecutionTimeoutInSeconds": 600,
        },
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": a} for a in alarms]},
    }
    settings = _settings(name, group, deployment)

    def status(version: int, to: str) -> dict:
        """Set a version's approval status; the event SageMaker emits for it."""
        arn = f"{group.replace(':model-package-group/', ':model-package/')}/{version}"
        sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus=to)
        return {
            "detail-type": "SageMaker Model Package State Change",
            "account": ACCOUNT,
            "detail": {"ModelPackageGroupName": group.rsplit("/", 1)[-1], "ModelPackageArn": arn},
        }

    yield sagemaker, cloudwatch, settings, status
    with contextlib.suppress(ClientError):  # (a test may have deleted it)
        sagemaker.delete_endpoint(EndpointName=name)


def _ended(name: str) -> dict:
    """The state change SageMaker emits when a deployment ends."""
    return {"detail-type": "SageMaker Endpoint State Change", "detail": {"EndpointName": name}}


def _stages(sagemaker, name: str, until: str, seconds: float = 30) -> list[tuple]:
    """What DescribeEndpoint shows, polled until the endpoint serves `until`'s config."""
    seen: list[tuple] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        described = sagemaker.describe_endpoint(EndpointName=name)
        pending = described.get("PendingDeploymentSummary")
        shown = (described["EndpointStatus"], described["EndpointConfigName"])
        if pending:
            [variant] = pending["ProductionVariants"]
            [status] = variant["VariantStatus"]
            share = float(status["StatusMessage"].split(" % ", 1)[0])
            shown += (status["Status"], share)
        if not seen or seen[-1] != shown:
            seen.append(shown)
        if shown == ("InService", until):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"never InService on {until}: {seen}")


def test_an_approval_creates_then_updates_the_endpoint_with_a_canary(emulator, stage):
    sagemaker, _, settings, status = stage
    name = settings.endpoint_name
    control.take_emitted_events(emulator)  # what other tests left
    assert endpoint_deployer.deploy(sagemaker, settings, status(1, "Approved")) == {
        "created": name,
        "config": f"{name}-v1",
    }
    # Its first fleet comes up (the endpoint answers nothing meanwhile), then it is in service.
    assert _stages(sagemaker, name, f"{name}-v1") == [
        ("Creating", f"{name}-v1"),
        ("InService", f"{name}-v1"),
    ]

    done = endpoint_deployer.deploy(sagemaker, settings, status(2, "Approved"))
    assert done == {"updated": name, "config": f"{name}-v2"}
    # The old config serves until the shift is over: the new fleet comes up, takes 25 %, then
    # everything, and bakes with the old fleet kept.
    assert _stages(sagemaker, name, f"{name}-v2") == [
        ("Updating", f"{name}-v1", "Creating", 0.0),
        ("Updating", f"{name}-v1", "ActivatingTraffic", 25.0),
        ("Updating", f"{name}-v1", "Baking", 100.0),
        ("InService", f"{name}-v2"),
    ]
    # The deployment's end, and the approval again (EventBridge delivers at least once),
    # change nothing.
    assert endpoint_deployer.deploy(sagemaker, settings, _ended(name))["unchanged"] == name
    # A rejection of the version served (`mlops models rollback`) deploys the one before.
    done = endpoint_deployer.deploy(sagemaker, settings, status(2, "Rejected"))
    assert done == {"updated": name, "config": f"{name}-v1"}
    assert _stages(sagemaker, name, f"{name}-v1")[-1] == ("InService", f"{name}-v1")
    # SageMaker told EventBridge of each state the endpoint went through: the function's rule
    # takes each (a deployment's end runs it again).
    changes = [
        e
        for e in control.take_emitted_events(emulator)
        if e["detail-type"] == "SageMaker Endpoint State Change"
        and e["detail"]["EndpointName"] == name
    ]
    assert [
        (e["detail"]["EndpointStatus"], e["detail"]["EndpointConfigName"]) for e in changes
    ] == [
        ("Creating", f"{name}-v1"),
        ("InService", f"{name}-v1"),
        ("Updating", f"{name}-v1"),
        ("InService", f"{name}-v2"),
        ("Updating", f"{name}-v2"),
        ("InService", f"{name}-v1"),
    ]
    assert all(settings.triggered_by(e) for e in changes)
    assert {"EndpointArn", "CreationTime", "LastModifiedTime"} <= set(changes[0]["detail"])


def test_an_alarm_during_the_deployment_rolls_it_back_and_the_version_is_held(stage):
    sagemaker, cloudwatch, settings, status = stage
    name = settings.endpoint_name
    endpoint_deployer.deploy(sagemaker, settings, status(1, "Approved"))
    _stages(sagemaker, name, f"{name}-v1")  # created
    endpoint_deployer.deploy(sagemaker, settings, status(2, "Approved"))
    # Still deploying: SageMaker takes no other update, and the function waits for its end.
    with pytest.raises(ClientError, match="Cannot update in-progress endpoint"):
        sagemaker.update_endpoint(EndpointName=name, EndpointConfigName=f"{name}-v1")
    waiting = endpoint_deployer.deploy(sagemaker, settings, status(3, "Approved"))
    assert waiting["waiting"] == name and waiting["config"] == f"{name}-v3"
    cloudwatch.set_alarm_state(
        AlarmName=f"{name}-5xx-rate", StateValue="ALARM", StateReason="the canary answers 5XX"
    )
    try:
        # Back on the old fleet, which kept serving.
        assert _stages(sagemaker, name, f"{name}-v1")[-1] == ("InService", f"{name}-v1")
    finally:
        cloudwatch.set_alarm_state(AlarmName=f"{name}-5xx-rate", StateValue="OK", StateReason="ok")
    # The rollback's end runs the function: the newest approved (v3) was never tried, so it
    # is deployed; rolled back too, it is held, not tried once more.
    assert endpoint_deployer.deploy(sagemaker, settings, _ended(name))["updated"] == name
    cloudwatch.set_alarm_state(AlarmName=f"{name}-5xx-rate", StateValue="ALARM", StateReason="5XX")
    try:
        assert _stages(sagemaker, name, f"{name}-v1")[-1] == ("InService", f"{name}-v1")
    finally:
        cloudwatch.set_alarm_state(AlarmName=f"{name}-5xx-rate", StateValue="OK", StateReason="ok")
    # Both versions rolled back are held (newest first); v1 serves on.
    held = endpoint_deployer.deploy(sagemaker, settings, _ended(name))
    assert held["unchanged"] == name and held["config"] == f"{name}-v1"
    assert held["held"] == f"{name}-v3, {name}-v2"


def test_a_second_creation_of_a_name_is_refused_as_aws_refuses_it(stage):
    sagemaker, _, settings, status = stage
    name = settings.endpoint_name
    endpoint_deployer.deploy(sagemaker, settings, status(1, "Approved"))
    described = sagemaker.describe_model(ModelName=f"{name}-v1")
    with pytest.raises(ClientError, match="Cannot create already existing model"):
        sagemaker.create_model(
            ModelName=f"{name}-v1",
            Containers=described["Containers"],
            ExecutionRoleArn=settings.execution_role_arn,
        )
    with pytest.raises(ClientError, match="Cannot create already existing endpoint configuration"):
        sagemaker.create_endpoint_config(
            EndpointConfigName=f"{name}-v1",
            ProductionVariants=[{**settings.production_variant, "ModelName": f"{name}-v1"}],
        )
    with pytest.raises(ClientError, match="Cannot create already existing endpoint"):
        sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-v1")


# A role SageMaker may assume: a model's execution role.
_SAGEMAKER_TRUST = {
    "Effect": "Allow",
    "Principal": {"Service": "sagemaker.amazonaws.com"},
    "Action": "sts:AssumeRole",
}


def _execution_role(iam, name: str) -> str:
    """A role of its own that SageMaker may assume (no policy yet); its ARN."""
    document = {"Version": "2012-10-17", "Statement": [_SAGEMAKER_TRUST]}
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(document))["Role"][
        "Arn"
    ]


def _model_artifact(good: bool, upside_down: bool = False) -> bytes:
    """A `model.tar.gz` as the built-in XGBoost algorithm writes it (a booster of two
    features: a positive row is one whose second feature is the higher, or the lower if
    `upside_down`), or one whose model does not load."""
    import xgboost

    content = b"not a model"
    if good:
        features = [[i / 10, 1 - i / 10] for i in range(11)] * 2
        labels = [int((second > first) != upside_down) for first, second in features]
        matrix = xgboost.DMatrix(features, label=labels)
        booster = xgboost.train({"objective": "binary:logistic"}, matrix, num_boost_round=2)
        content = bytes(booster.save_raw("ubj"))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(content)
        archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _xgboost(model_data_url: str) -> dict[str, str]:
    """The built-in XGBoost container (1.7-1) serving the artifact."""
    return {"Image": f"{XGBOOST_REGISTRY}/sagemaker-xgboost:1.7-1", "ModelDataUrl": model_data_url}


def _register(sagemaker, group: str, model_data_url: str, status: str, **more) -> None:
    """A version of the group: the artifact, served by the built-in XGBoost container."""
    sagemaker.create_model_package(
        ModelPackageGroupName=group,
        InferenceSpecification={
            "Containers": [_xgboost(model_data_url)],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelApprovalStatus=status,
        **more,
    )


def _rollback_alarms(cloudwatch, name: str) -> list[str]:
    """The two alarms modules/realtime-endpoint makes: 5XX share (metric math), latency."""
    dimensions = [
        {"Name": "EndpointName", "Value": name},
        {"Name": "VariantName", "Value": "AllTraffic"},
    ]

    def metric(metric_id: str, metric_name: str) -> dict:
        stat = {"Metric": {"Namespace": "AWS/SageMaker", "MetricName": metric_name}}
        stat["Metric"]["Dimensions"] = dimensions
        return {"Id": metric_id, "MetricStat": {**stat, "Period": 60, "Stat": "Sum"}}

    cloudwatch.put_metric_alarm(
        AlarmName=f"{name}-5xx-rate",
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        Metrics=[
            {
                "Id": "errors_percent",
                "Expression": "IF(invocations > 0, 100 * errors / invocations, 0)",
                "ReturnData": True,
            },
            {**metric("errors", "Invocation5XXErrors"), "ReturnData": False},
            {**metric("invocations", "Invocations"), "ReturnData": False},
        ],
    )
    cloudwatch.put_metric_alarm(
        AlarmName=f"{name}-model-latency",
        Namespace="AWS/SageMaker",
        MetricName="ModelLatency",
        Dimensions=dimensions,
        Statistic="Average",
        Period=60,
        EvaluationPeriods=1,
        Threshold=5_000_000,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
    )
    return [f"{name}-5xx-rate", f"{name}-model-latency"]


def test_the_endpoint_answers_with_the_version_served_and_a_version_answering_5xx_rolls_back(
    emulator,
):
    """The served version's model scores the rows as the XGBoost container does; a new version
    whose model does not load answers 5XX to the canary's share of the traffic, its 5XX alarm
    fires on the metrics the endpoint published, and the traffic is back on the old version:
    nothing lost, every later request answered by it."""
    import xgboost

    sagemaker = accounts.client_in(emulator, ACCOUNT, "sagemaker")
    runtime = accounts.client_in(emulator, ACCOUNT, "sagemaker-runtime")
    s3 = accounts.client_in(emulator, ACCOUNT, "s3")
    cloudwatch = accounts.client_in(emulator, ACCOUNT, "cloudwatch")
    suffix = uuid.uuid4().hex[:8]
    bucket = f"endpoint-models-{suffix}"
    s3.create_bucket(Bucket=bucket)
    group = sagemaker.create_model_package_group(ModelPackageGroupName=f"serving-{suffix}")[
        "ModelPackageGroupArn"
    ]
    for number, good in ((1, True), (2, False)):
        s3.put_object(Bucket=bucket, Key=f"v{number}/model.tar.gz", Body=_model_artifact(good))
        _register(
            sagemaker, group, f"s3://{bucket}/v{number}/model.tar.gz", "PendingManualApproval"
        )
    name = f"serve-{suffix}"
    deployment = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 25},
                "WaitIntervalInSeconds": 300,
            },
            # Baking (3 s here), the new fleet takes everything: its errors trip the alarm even
            # if no evaluation saw the canary's (a loaded machine invokes slowly).
            "TerminationWaitInSeconds": 300,
            "MaximumExecutionTimeoutInSeconds": 900,
        },
        "AutoRollbackConfiguration": {
            "Alarms": [{"AlarmName": a} for a in _rollback_alarms(cloudwatch, name)]
        },
    }
    settings = _settings(name, group, deployment)

    def approve(number: int) -> dict:
        arn = f"{group.replace(':model-package-group/', ':model-package/')}/{number}"
        sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
        return {
            "detail-type": "SageMaker Model Package State Change",
            "account": ACCOUNT,
            "detail": {"ModelPackageGroupName": group.rsplit("/", 1)[-1]},
        }

    def invoke(body: bytes = b"0,1\n1,0\n", **more) -> str:
        answered = runtime.invoke_endpoint(
            EndpointName=name, Body=body, ContentType="text/csv", **more
        )
        return answered["Body"].read().decode()

    try:
        assert endpoint_deployer.deploy(sagemaker, settings, approve(1))["created"] == name
        _stages(sagemaker, name, f"{name}-v1")
        expected = xgboost.Booster()
        with tarfile.open(fileobj=io.BytesIO(_model_artifact(True))) as archive:
            expected.load_model(bytearray(archive.extractfile("xgboost-model").read()))
        scores = expected.predict(xgboost.DMatrix([[0.0, 1.0], [1.0, 0.0]])).tolist()
        # One score per line, as Python prints it, as the container answers text/csv.
        assert invoke() == "".join(f"{score}\n" for score in scores)
        assert json.loads(invoke(Accept="application/json")) == {
            "predictions": [{"score": score} for score in scores]
        }
        # What the container refuses, SageMaker answers as ModelError with its status.
        with pytest.raises(ClientError, match="ModelError.*client error \\(415\\)"):
            invoke(b"zero,one\n")
        with pytest.raises(ClientError, match="Could not find endpoint|not found"):
            runtime.invoke_endpoint(EndpointName=f"{name}-x", Body=b"0,1", ContentType="text/csv")

        assert endpoint_deployer.deploy(sagemaker, settings, approve(2))["updated"] == name
        answered, refused = 0, 0
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            described = sagemaker.describe_endpoint(EndpointName=name)
            if described["EndpointStatus"] == "InService":
                break
            try:
                invoke()
                answered += 1
            except ClientError as error:
                assert error.response["Error"]["Code"] == "ModelError"
                assert error.response["OriginalStatusCode"] == 500
                refused += 1
        # The new fleet's share answered 5XX; the alarm fired; the old version serves again.
        assert refused > 0 and answered > 0, (answered, refused)
        assert described["EndpointConfigName"] == f"{name}-v1"
        alarm = cloudwatch.describe_alarms(AlarmNames=[f"{name}-5xx-rate"])["MetricAlarms"][0]
        assert alarm["StateValue"] == "ALARM"
        assert all(invoke() == "".join(f"{s}\n" for s in scores) for _ in range(8))
        held = endpoint_deployer.deploy(sagemaker, settings, _ended(name))
        assert held["held"] == f"{name}-v2" and held["config"] == f"{name}-v1"
    finally:
        sagemaker.delete_endpoint(EndpointName=name)


def test_a_stages_destroy_deletes_what_the_deployment_made_once(stage):
    """The endpoint, once its deployment has ended, and each version's endpoint config and
    model (glue/endpoints.py, which a stage's destroy runs): another endpoint's, named alike,
    stays; a second run deletes nothing; an endpoint deploying past the wait stays, said."""
    from glue import endpoints
    from glue.errors import MlopsError

    sagemaker, _, settings, status = stage
    name = settings.endpoint_name
    endpoint_deployer.deploy(sagemaker, settings, status(1, "Approved"))
    _stages(sagemaker, name, f"{name}-v1")  # created
    endpoint_deployer.deploy(sagemaker, settings, status(2, "Approved"))
    other = f"{name}-v1-other"
    sagemaker.create_endpoint_config(
        EndpointConfigName=other,
        ProductionVariants=[{**settings.production_variant, "ModelName": f"{name}-v1"}],
    )
    # Still deploying v2 (a canary, then baking): the deletion waits for its end (AWS takes no
    # DeleteEndpoint from an endpoint being created or updated).
    assert sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] == "Updating"
    try:
        assert endpoints.delete(sagemaker, name, poll_seconds=0.2) == [
            f"endpoint {name}",
            f"endpoint config {name}-v1",
            f"endpoint config {name}-v2",
            f"model {name}-v1",
            f"model {name}-v2",
        ]
        assert endpoints.delete(sagemaker, name) == []
        left = sagemaker.list_endpoint_configs(NameContains=name)["EndpointConfigs"]
        assert [c["EndpointConfigName"] for c in left] == [other]
        # An endpoint that stays deploying past the wait is not deleted: one line says so.
        endpoint_deployer.deploy(sagemaker, settings, status(3, "Approved"))  # created again
        _stages(sagemaker, name, f"{name}-v3")
        endpoint_deployer.deploy(sagemaker, settings, status(3, "Rejected"))  # back to v2
        with pytest.raises(MlopsError, match=f"endpoint {name} is still Updating: it cannot"):
            endpoints.delete(sagemaker, name, poll_seconds=0.1, wait=0.3)
    finally:
        sagemaker.delete_endpoint_config(EndpointConfigName=other)


def test_a_version_failing_its_check_on_the_endpoint_is_held_and_the_one_before_serves(emulator):
    """Once a version serves, the function sends the endpoint its held-out rows: v1 scores
    them well (passed, recorded on its endpoint config); v2, a model that learnt the labels
    upside down, scores an AUC far below the threshold: failed, recorded, and v1 deployed again,
    v2 held from then on."""
    sagemaker = accounts.client_in(emulator, ACCOUNT, "sagemaker")
    clients = endpoint_deployer.Clients(
        sagemaker,
        accounts.client_in(emulator, ACCOUNT, "sagemaker-runtime"),
        accounts.client_in(emulator, ACCOUNT, "s3"),
    )
    suffix = uuid.uuid4().hex[:8]
    bucket = f"endpoint-checks-{suffix}"
    clients.s3.create_bucket(Bucket=bucket)
    group = sagemaker.create_model_package_group(ModelPackageGroupName=f"checked-{suffix}")[
        "ModelPackageGroupArn"
    ]
    # Held-out rows: the label, then the two features.
    held_out = "1,0.1,0.8\n0,0.8,0.2\n1,0.3,0.9\n0,0.7,0.1\n1,0.2,0.7\n0,0.9,0.3\n"
    for number, upside_down in ((1, False), (2, True)):
        clients.s3.put_object(
            Bucket=bucket, Key=f"v{number}/model.tar.gz", Body=_model_artifact(True, upside_down)
        )
        clients.s3.put_object(Bucket=bucket, Key=f"v{number}/test/test.csv", Body=held_out)
        _register(
            sagemaker,
            group,
            f"s3://{bucket}/v{number}/model.tar.gz",
            "Approved",
            CustomerMetadataProperties={"test_data_uri": f"s3://{bucket}/v{number}/test"},
        )
    name = f"checked-{suffix}"
    all_at_once = {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}
    policy = {"TrafficRoutingConfiguration": all_at_once, "TerminationWaitInSeconds": 0}
    policy["MaximumExecutionTimeoutInSeconds"] = 600
    settings = _settings(name, group, {"BlueGreenUpdatePolicy": policy})
    settings = dataclasses.replace(settings, check_min_auc=0.8)
    second = endpoint_deployer.approved_versions(sagemaker, group)[0]

    def run() -> dict[str, str]:
        return endpoint_deployer.deploy(sagemaker, settings, _ended(name), clients)

    def recorded(number: int) -> str:
        arn = sagemaker.describe_endpoint_config(EndpointConfigName=f"{name}-v{number}")[
            "EndpointConfigArn"
        ]
        tags = sagemaker.list_tags(ResourceArn=arn)["Tags"]
        return next(t["Value"] for t in tags if t["Key"] == endpoint_deployer.CHECK_TAG)

    try:
        # v1 first (v2 not yet approved, as it was when v1 was).
        sagemaker.update_model_package(
            ModelPackageArn=second["ModelPackageArn"], ModelApprovalStatus="PendingManualApproval"
        )
        assert run()["created"] == name
        _stages(sagemaker, name, f"{name}-v1")  # its creation's end runs the function again
        passed = run()
        assert passed["unchanged"] == name, passed
        assert passed["check"].startswith("passed: AUC 1.000"), passed
        assert recorded(1) == passed["check"]
        sagemaker.update_model_package(
            ModelPackageArn=second["ModelPackageArn"], ModelApprovalStatus="Approved"
        )
        assert run()["updated"] == name
        _stages(sagemaker, name, f"{name}-v2")
        failed = run()
        assert failed["updated"] == name and failed["config"] == f"{name}-v1"
        assert (
            failed["held"] == f"{name}-v2"
            and "check after the deployment failed" in (failed["reason"])
        )
        assert recorded(2) == "failed: AUC 0.000 on 6 held-out rows - minimum 0.8"
        _stages(sagemaker, name, f"{name}-v1")
        again = run()  # v1's second deployment ended: checked already, v2 held
        assert again["unchanged"] == name and again["held"] == f"{name}-v2"
        assert again["check"] == passed["check"]
    finally:
        sagemaker.delete_endpoint(EndpointName=name)


@pytest.mark.refuses("s3:PutObject")  # the capture once the role may no longer write it
def test_an_endpoint_captures_what_its_config_asks_as_its_execution_role(emulator):
    """Half of the invocations (InitialSamplingPercentage 50) are captured, one JSON line each
    in SageMaker's format, under `<destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/`, encrypted
    with the configured key, written as the model's execution role: once that role may no longer
    write there, nothing is captured and the endpoint answers all the same."""
    sagemaker = accounts.client_in(emulator, ACCOUNT, "sagemaker")
    runtime = accounts.client_in(emulator, ACCOUNT, "sagemaker-runtime")
    s3 = accounts.client_in(emulator, ACCOUNT, "s3")
    iam = accounts.client_in(emulator, ACCOUNT, "iam")
    suffix = uuid.uuid4().hex[:8]
    bucket, name = f"capture-{suffix}", f"captured-{suffix}"
    s3.create_bucket(Bucket=bucket)
    key = accounts.client_in(emulator, ACCOUNT, "kms").create_key()["KeyMetadata"]["Arn"]
    role = _execution_role(iam, name)
    writes = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"},
            {
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/capture/*",
            },
            {"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": key},
        ],
    }
    iam.put_role_policy(RoleName=name, PolicyName="capture", PolicyDocument=json.dumps(writes))
    s3.put_object(Bucket=bucket, Key="v1/model.tar.gz", Body=_model_artifact(True))
    sagemaker.create_model(
        ModelName=f"{name}-v1",
        PrimaryContainer=_xgboost(f"s3://{bucket}/v1/model.tar.gz"),
        ExecutionRoleArn=role,
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName=f"{name}-v1",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": f"{name}-v1",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
        DataCaptureConfig={
            "EnableCapture": True,
            "InitialSamplingPercentage": 50,
            "DestinationS3Uri": f"s3://{bucket}/capture",
            "KmsKeyId": key,
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]},
        },
    )
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-v1")
    _stages(sagemaker, name, f"{name}-v1")

    def invoke() -> str:
        answered = runtime.invoke_endpoint(EndpointName=name, Body=b"0,1\n", ContentType="text/csv")
        return answered["Body"].read().decode()

    def captured() -> list[str]:
        listed = s3.list_objects_v2(Bucket=bucket, Prefix="capture/")
        return [o["Key"] for o in listed.get("Contents", [])]

    try:
        scores = [invoke() for _ in range(4)]
        files = captured()
        assert len(files) == 2, files
        for path in files:
            assert re.fullmatch(
                rf"capture/{name}/AllTraffic/\d{{4}}/\d{{2}}/\d{{2}}/\d{{2}}/[\w-]+\.jsonl", path
            ), path
            stored = s3.get_object(Bucket=bucket, Key=path)
            assert stored["ServerSideEncryption"] == "aws:kms" and stored["SSEKMSKeyId"] == key
            [line] = stored["Body"].read().decode().splitlines()
            record = json.loads(line)
            assert record["eventVersion"] == "0" and record["eventMetadata"]["eventId"]
            assert record["captureData"] == {
                "endpointInput": {
                    "observedContentType": "text/csv",
                    "mode": "INPUT",
                    "data": "0,1\n",
                    "encoding": "CSV",
                },
                "endpointOutput": {
                    "observedContentType": "text/csv; charset=utf-8",
                    "mode": "OUTPUT",
                    "data": scores[0],
                    "encoding": "CSV",
                },
            }
        iam.delete_role_policy(RoleName=name, PolicyName="capture")
        assert [invoke() for _ in range(4)] == scores  # answered, not captured
        assert captured() == files
    finally:
        sagemaker.delete_endpoint(EndpointName=name)


def _baseline(s3, bucket: str, prefix: str, rows: str) -> dict:
    """A version's data-quality baseline of `rows` (Model Monitor's statistics and
    constraints, as the training pipeline's baseline step writes them), stored in S3; the
    DriftCheckBaselines that register it."""
    from glue.local import model_monitor

    frame = model_monitor.read_dataset_text(rows)
    statistics = model_monitor.statistics(frame)
    documents = {
        "statistics": statistics,
        "constraints": model_monitor.suggest_constraints(statistics),
    }
    for kind, document in documents.items():
        s3.put_object(Bucket=bucket, Key=f"{prefix}/{kind}.json", Body=json.dumps(document))
    source = {"ContentType": "application/json"}
    return {
        "ModelDataQuality": {
            kind.title(): {**source, "S3Uri": f"s3://{bucket}/{prefix}/{kind}.json"}
            for kind in documents
        }
    }


@pytest.mark.refuses("sts:AssumeRole")  # SageMaker, once the role's trust no longer admits it
def test_the_endpoint_is_monitored_against_the_served_versions_baseline(emulator):
    """Once a version serves, the function points the endpoint's Model Monitor schedule at
    that version's baseline (a data-quality job definition of its own); each hour an execution
    checks what the endpoint captured since the last one, as the job definition's role: rows
    like the baseline's complete, drifted rows complete with violations (the reports written
    as Model Monitor lays them out, with the configured key), no rows fail as on AWS. A new
    version moves the schedule to its baseline; a second run writes nothing; the stage's
    destroy deletes the schedule and the job definitions. A role SageMaker may not act as fails
    the execution, with the reason."""
    from glue import endpoints
    from glue.local import monitoring

    sagemaker = accounts.client_in(emulator, ACCOUNT, "sagemaker")
    runtime = accounts.client_in(emulator, ACCOUNT, "sagemaker-runtime")
    s3 = accounts.client_in(emulator, ACCOUNT, "s3")
    iam = accounts.client_in(emulator, ACCOUNT, "iam")
    region = sagemaker.meta.region_name
    suffix = uuid.uuid4().hex[:8]
    bucket, name = f"monitored-{suffix}", f"monitored-{suffix}"
    s3.create_bucket(Bucket=bucket)
    key = accounts.client_in(emulator, ACCOUNT, "kms").create_key()["KeyMetadata"]["Arn"]
    role = _execution_role(iam, name)
    allowed = [
        ("s3:GetObject", f"arn:aws:s3:::{bucket}/*"),
        ("s3:ListBucket", f"arn:aws:s3:::{bucket}"),
        ("s3:PutObject", f"arn:aws:s3:::{bucket}/capture/*"),
        ("s3:PutObject", f"arn:aws:s3:::{bucket}/monitoring/*"),
        ("kms:GenerateDataKey", key),
        ("kms:Decrypt", key),
    ]
    statements = [{"Effect": "Allow", "Action": a, "Resource": r} for a, r in allowed]
    iam.put_role_policy(
        RoleName=name,
        PolicyName="monitoring",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    group = sagemaker.create_model_package_group(ModelPackageGroupName=name)["ModelPackageGroupArn"]
    # Two features between 0 and 1, as the versions were trained on.
    like_training = "".join(f"{i / 40:.3f},{1 - i / 40:.3f}\n" for i in range(40))
    for number in (1, 2):
        s3.put_object(Bucket=bucket, Key=f"v{number}/model.tar.gz", Body=_model_artifact(True))
        _register(
            sagemaker,
            group,
            f"s3://{bucket}/v{number}/model.tar.gz",
            "Approved" if number == 1 else "PendingManualApproval",
            DriftCheckBaselines=_baseline(s3, bucket, f"v{number}/baseline", like_training),
        )
    all_at_once = {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}
    policy = {"TrafficRoutingConfiguration": all_at_once, "TerminationWaitInSeconds": 0}
    policy["MaximumExecutionTimeoutInSeconds"] = 600
    schedule = f"{name}-data-quality"
    settings = dataclasses.replace(
        _settings(name, group, {"BlueGreenUpdatePolicy": policy}),
        execution_role_arn=role,
        data_capture_config={
            "EnableCapture": True,
            "InitialSamplingPercentage": 100,
            "DestinationS3Uri": f"s3://{bucket}/capture",
            "KmsKeyId": key,
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]},
        },
        monitoring={
            "ScheduleName": schedule,
            "ScheduleExpression": "cron(0 * ? * * *)",
            "JobDefinition": {
                "DataQualityJobInput": {
                    "EndpointInput": {"EndpointName": name, "LocalPath": "/opt/ml/processing/input"}
                },
                "DataQualityJobOutputConfig": {
                    "MonitoringOutputs": [
                        {
                            "S3Output": {
                                "S3Uri": f"s3://{bucket}/monitoring",
                                "LocalPath": "/opt/ml/processing/output",
                            }
                        }
                    ],
                    "KmsKeyId": key,
                },
                "JobResources": {
                    "ClusterConfig": {
                        "InstanceCount": 1,
                        "InstanceType": "ml.m5.xlarge",
                        "VolumeSizeInGB": 20,
                    }
                },
                "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
            },
        },
    )

    def run() -> dict[str, str]:
        return endpoint_deployer.deploy(sagemaker, settings, _ended(name))

    def send(rows: str) -> None:
        for start in range(0, len(rows.splitlines()), 10):
            body = "".join(f"{line}\n" for line in rows.splitlines()[start : start + 10])
            runtime.invoke_endpoint(EndpointName=name, Body=body.encode(), ContentType="text/csv")

    def hour_passes() -> dict:
        [execution] = [
            execution.summary
            for execution in monitoring.hour_passes(emulator, ACCOUNT, region)
            if execution.summary["MonitoringScheduleName"] == schedule
        ]
        return execution

    try:
        assert run()["created"] == name
        _stages(sagemaker, name, f"{name}-v1")
        assert run()["monitoring"] == f"{schedule} created, on the baseline of {name}-v1"
        definition = sagemaker.describe_data_quality_job_definition(JobDefinitionName=f"{name}-v1")
        assert definition["RoleArn"] == role
        assert definition["DataQualityAppSpecification"]["ImageUri"] == (
            endpoint_deployer.analyzer_image(region)
        )
        assert definition["DataQualityBaselineConfig"]["ConstraintsResource"]["S3Uri"] == (
            f"s3://{bucket}/v1/baseline/constraints.json"
        )
        send(like_training)
        assert hour_passes()["MonitoringExecutionStatus"] == "Completed"
        send("".join(f"{5 + i},{9 - i}\n" for i in range(20)))  # far outside the baseline
        drifted = hour_passes()
        assert drifted["MonitoringExecutionStatus"] == "CompletedWithViolations", drifted
        at = datetime.datetime.fromisoformat(drifted["ScheduledTime"])
        reports = endpoints.reports_uri(definition, schedule, name, at)
        prefix = reports.removeprefix(f"s3://{bucket}/")
        stored = s3.get_object(Bucket=bucket, Key=f"{prefix}/constraint_violations.json")
        assert stored["ServerSideEncryption"] == "aws:kms" and stored["SSEKMSKeyId"] == key
        violations = json.loads(stored["Body"].read())["violations"]
        assert {v["constraint_check_type"] for v in violations} == {"baseline_drift_check"}
        nothing = hour_passes()  # nothing captured since
        assert nothing["MonitoringExecutionStatus"] == "Failed"
        assert nothing["FailureReason"] == "Job inputs had no data"
        listed = sagemaker.list_monitoring_executions(MonitoringScheduleName=schedule)
        assert [e["MonitoringExecutionStatus"] for e in listed["MonitoringExecutionSummaries"]] == [
            "Failed",
            "CompletedWithViolations",
            "Completed",
        ]
        # v2 approved: once it serves, the schedule checks against its baseline.
        pending = sagemaker.list_model_packages(ModelPackageGroupName=group)
        [v2] = [p for p in pending["ModelPackageSummaryList"] if p["ModelPackageVersion"] == 2]
        sagemaker.update_model_package(
            ModelPackageArn=v2["ModelPackageArn"], ModelApprovalStatus="Approved"
        )
        assert run()["updated"] == name
        _stages(sagemaker, name, f"{name}-v2")
        assert run()["monitoring"] == f"{schedule} moved to the baseline of {name}-v2"
        assert run()["monitoring"] == f"{schedule}, on the baseline of {name}-v2"  # no write
        described = sagemaker.describe_monitoring_schedule(MonitoringScheduleName=schedule)
        assert described["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"] == (
            f"{name}-v2"
        )
        assert described["LastMonitoringExecutionSummary"]["MonitoringExecutionStatus"] == (
            "Failed"
        )
        # A role SageMaker may no longer act as: the execution fails, saying why.
        lambda_only = {**_SAGEMAKER_TRUST, "Principal": {"Service": "lambda.amazonaws.com"}}
        iam.update_assume_role_policy(
            RoleName=name,
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [lambda_only]}),
        )
        untrusted = hour_passes()
        assert untrusted["MonitoringExecutionStatus"] == "Failed"
        assert f"sagemaker.amazonaws.com cannot act as {role}" in untrusted["FailureReason"]
        deleted = endpoints.delete(sagemaker, name, poll_seconds=0.2)
        assert deleted[0] == f"monitoring schedule {schedule}"
        assert deleted[-2:] == [
            f"data-quality job definition {name}-v1",
            f"data-quality job definition {name}-v2",
        ]
        assert endpoints.delete(sagemaker, name) == []
    finally:
        with contextlib.suppress(ClientError):
            sagemaker.delete_monitoring_schedule(MonitoringScheduleName=schedule)
        with contextlib.suppress(ClientError):
            sagemaker.delete_endpoint(EndpointName=name)


def test_model_monitors_refusals_are_aws_s(emulator):
    """A schedule of a job definition that does not exist, or at a time Model Monitor does not
    take (its one-time NOW is not emulated), is refused; so is a second schedule or job
    definition of a name, a schedule not there, and the record of an execution of a schedule
    not there."""
    from glue.errors import MlopsError

    sagemaker = accounts.client_in(emulator, ACCOUNT, "sagemaker")
    name = f"refused-{uuid.uuid4().hex[:8]}"
    definition = {
        "JobDefinitionName": name,
        "DataQualityAppSpecification": {"ImageUri": endpoint_deployer.analyzer_image("us-east-1")},
        "DataQualityJobInput": {
            "EndpointInput": {"EndpointName": name, "LocalPath": "/opt/ml/processing/input"}
        },
        "DataQualityJobOutputConfig": {
            "MonitoringOutputs": [
                {"S3Output": {"S3Uri": "s3://b/p", "LocalPath": "/opt/ml/processing/output"}}
            ]
        },
        "JobResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.m5.xlarge",
                "VolumeSizeInGB": 20,
            }
        },
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
    }

    def schedule(expression: str = "cron(0 * ? * * *)", job: str = name) -> None:
        config = {"ScheduleConfig": {"ScheduleExpression": expression}}
        config |= {"MonitoringJobDefinitionName": job, "MonitoringType": "DataQuality"}
        sagemaker.create_monitoring_schedule(
            MonitoringScheduleName=name, MonitoringScheduleConfig=config
        )

    def refused(code: str, call) -> str:
        with pytest.raises(ClientError) as raised:
            call()
        assert raised.value.response["Error"]["Code"] == code, raised.value.response
        return raised.value.response["Error"]["Message"]

    missing_job = refused("ValidationException", lambda: schedule(job=f"{name}-none"))
    assert missing_job == f"Could not find job definition {name}-none."
    sagemaker.create_data_quality_job_definition(**definition)
    try:
        refused("ResourceInUse", lambda: sagemaker.create_data_quality_job_definition(**definition))
        for expression in (
            "rate(1 hour)",
            "cron(30 * ? * * *)",
            "cron(0 25 ? * * *)",
            "cron(0 6/01 ? * * *)",
            "NOW",
        ):
            assert "Invalid schedule expression" in refused(
                "ValidationException", lambda e=expression: schedule(e)
            )
        missing = lambda: sagemaker.describe_monitoring_schedule(  # noqa: E731
            MonitoringScheduleName=name
        )
        refused("ResourceNotFound", missing)
        schedule("cron(0 6/12 ? * * *)")  # every 12 hours from 06:00: taken
        refused("ResourceInUse", schedule)
        sagemaker.delete_monitoring_schedule(MonitoringScheduleName=name)
        with pytest.raises(MlopsError, match=f"the execution of {name} is not recorded: .*not"):
            control.record_monitoring_execution(
                emulator,
                ACCOUNT,
                "us-east-1",
                {"MonitoringScheduleName": name, "ScheduledTime": "2026-12-06T10:00:00+00:00"},
            )
    finally:
        sagemaker.delete_data_quality_job_definition(JobDefinitionName=name)
