"""Real-time endpoints on the local AWS (glue/local/emulator/sagemaker_endpoints.py), deployed
by the endpoint deployment function's own code (glue/steps/endpoint_deployer.py) with real
boto3 calls: the first approval creates the endpoint; a later one updates it blue/green, traffic
shifted in the configured steps (DescribeEndpoint shows each); an alarm in ALARM during the
deployment rolls it back; AWS's refusals (a second creation of a name, an update of an endpoint
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
    """A group of its own with three approved versions, the two rollback alarms, and the
    function's settings for an endpoint of its own (a canary of 25 %, 1 s local wait)."""
    sagemaker = accounts.client_in(emulator, ACCOUNT, "sagemaker")
    cloudwatch = accounts.client_in(emulator, ACCOUNT, "cloudwatch")
    suffix = uuid.uuid4().hex[:8]
    group = sagemaker.create_model_package_group(ModelPackageGroupName=f"endpoint-{suffix}")[
        "ModelPackageGroupArn"
    ]
    versions = [
        sagemaker.create_model_package(
            ModelPackageGroupName=group,
            InferenceSpecification=accounts.INFERENCE_SPEC,
            ModelApprovalStatus="Approved",
        )["ModelPackageArn"]
        for _ in range(3)
    ]
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
    settings = Settings.from_environment(
        {
            "ENDPOINT_NAME": name,
            "MODEL_PACKAGE_GROUP_ARN": group,
            "EXECUTION_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/endpoint-test-execution",
            "PRODUCTION_VARIANT": json.dumps(
                {
                    "VariantName": "AllTraffic",
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 1,
                }
            ),
            "DATA_CAPTURE_CONFIG": "null",
            "DEPLOYMENT_CONFIG": json.dumps(deployment),
        }
    )
    yield sagemaker, cloudwatch, settings, versions
    sagemaker.delete_endpoint(EndpointName=name)


def _approval(version_arn: str) -> dict:
    return {"detail": {"ModelPackageArn": version_arn, "ModelApprovalStatus": "Approved"}}


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
    sagemaker, _, settings, versions = stage
    name = settings.endpoint_name
    assert endpoint_deployer.deploy(sagemaker, settings, _approval(versions[0])) == {
        "created": name,
        "config": f"{name}-v1",
    }
    assert _stages(sagemaker, name, f"{name}-v1") == [("InService", f"{name}-v1")]

    done = endpoint_deployer.deploy(sagemaker, settings, _approval(versions[1]))
    assert done == {"updated": name, "config": f"{name}-v2"}
    # The old config serves until the shift is over: the new fleet comes up, takes 25 %, then
    # everything, and bakes with the old fleet kept.
    assert _stages(sagemaker, name, f"{name}-v2") == [
        ("Updating", f"{name}-v1", "Creating", 0.0),
        ("Updating", f"{name}-v1", "ActivatingTraffic", 25.0),
        ("Updating", f"{name}-v1", "Baking", 100.0),
        ("InService", f"{name}-v2"),
    ]
    # The same approval again (EventBridge delivers at least once) changes nothing.
    again = endpoint_deployer.deploy(sagemaker, settings, _approval(versions[1]))
    assert again == {"unchanged": name, "config": f"{name}-v2"}


def test_an_alarm_during_the_deployment_rolls_it_back_and_the_endpoint_refuses_meanwhile(stage):
    sagemaker, cloudwatch, settings, versions = stage
    name = settings.endpoint_name
    endpoint_deployer.deploy(sagemaker, settings, _approval(versions[0]))
    endpoint_deployer.deploy(sagemaker, settings, _approval(versions[2]))
    # Still deploying: SageMaker takes no other update.
    with pytest.raises(ClientError, match="Cannot update in-progress endpoint"):
        sagemaker.update_endpoint(EndpointName=name, EndpointConfigName=f"{name}-v1")
    with pytest.raises(endpoint_deployer.NotDeployable, match="is Updating"):
        endpoint_deployer.deploy(sagemaker, settings, _approval(versions[1]))
    cloudwatch.set_alarm_state(
        AlarmName=f"{name}-5xx-rate", StateValue="ALARM", StateReason="the canary answers 5XX"
    )
    try:
        # Back on the old fleet, which kept serving.
        assert _stages(sagemaker, name, f"{name}-v1")[-1] == ("InService", f"{name}-v1")
    finally:
        cloudwatch.set_alarm_state(AlarmName=f"{name}-5xx-rate", StateValue="OK", StateReason="ok")
    # Nothing of the rolled-back version is lost: its model and config are there to try again.
    assert sagemaker.describe_endpoint_config(EndpointConfigName=f"{name}-v3")
    again = endpoint_deployer.deploy(sagemaker, settings, _approval(versions[2]))
    assert again == {"updated": name, "config": f"{name}-v3"}


def test_a_second_creation_of_a_name_is_refused_as_aws_refuses_it(stage):
    sagemaker, _, settings, versions = stage
    name = settings.endpoint_name
    endpoint_deployer.deploy(sagemaker, settings, _approval(versions[0]))
    model = {"ModelName": f"{name}-v1", "Containers": [{"ModelPackageName": versions[0]}]}
    model["ExecutionRoleArn"] = settings.execution_role_arn
    with pytest.raises(ClientError, match="Cannot create already existing model"):
        sagemaker.create_model(**model)
    with pytest.raises(ClientError, match="Cannot create already existing endpoint configuration"):
        sagemaker.create_endpoint_config(
            EndpointConfigName=f"{name}-v1",
            ProductionVariants=[{**settings.production_variant, "ModelName": f"{name}-v1"}],
        )
    with pytest.raises(ClientError, match="Cannot create already existing endpoint"):
        sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-v1")
