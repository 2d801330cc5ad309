"""Real-time endpoints on the local AWS (glue/local/emulator/sagemaker_endpoints.py), deployed
by the endpoint deployment function's own code (glue/steps/endpoint_deployer.py) with real
boto3 calls: the first approval creates the endpoint; a later one updates it blue/green, traffic
shifted in the configured steps (DescribeEndpoint shows each); a rejection of the version served
deploys the one before; an alarm in ALARM during the deployment rolls it back, and the version
rolled back is held; AWS's refusals (a second creation of a name, an update of an endpoint
still deploying) are refused here too. Waits are scaled down (MLOPS_EMULATOR_DEPLOYMENT_TIME_SCALE,
0.01 by default: 100 s of AWS take 1 s here)."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from glue.steps import endpoint_deployer
from glue.steps.endpoint_deployer import Settings
from tests import accounts
from tests.conftest import ACCOUNTS

pytestmark = pytest.mark.emulator

ACCOUNT = ACCOUNTS["dev"]


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
    variant = {"VariantName": "AllTraffic", "InstanceType": "ml.m5.large"}
    variant["InitialInstanceCount"] = 2
    settings = Settings.from_environment(
        {
            "ENDPOINT_NAME": name,
            "MODEL_PACKAGE_GROUP_ARN": group,
            "EXECUTION_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/endpoint-test-execution",
            "PRODUCTION_VARIANT": json.dumps(variant),
            "DATA_CAPTURE_CONFIG": "null",
            "DEPLOYMENT_CONFIG": json.dumps(deployment),
        }
    )

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
            shown += (variant["VariantStatus"][0]["Status"], variant["CurrentWeight"])
        if not seen or seen[-1] != shown:
            seen.append(shown)
        if shown == ("InService", until):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"never InService on {until}: {seen}")


def test_an_approval_creates_then_updates_the_endpoint_with_a_canary(stage):
    sagemaker, _, settings, status = stage
    name = settings.endpoint_name
    assert endpoint_deployer.deploy(sagemaker, settings, status(1, "Approved")) == {
        "created": name,
        "config": f"{name}-v1",
    }
    assert _stages(sagemaker, name, f"{name}-v1") == [("InService", f"{name}-v1")]

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


def test_an_alarm_during_the_deployment_rolls_it_back_and_the_version_is_held(stage):
    sagemaker, cloudwatch, settings, status = stage
    name = settings.endpoint_name
    endpoint_deployer.deploy(sagemaker, settings, status(1, "Approved"))
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
    held = endpoint_deployer.deploy(sagemaker, settings, _ended(name))
    assert held["held"] == name and held["config"] == f"{name}-v3"


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
