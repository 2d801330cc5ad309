"""The endpoint deployment function's own rules (glue/steps/endpoint_deployer.py), in process:
every SageMaker call goes through botocore's Stubber, which checks each request against
botocore's model (names, patterns, shapes) and answers as SageMaker does."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber

from glue.steps import endpoint_deployer
from glue.steps.endpoint_deployer import NotDeployable, Settings

GROUP = "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/mammo-severity-dev"
VERSION_3 = "arn:aws:sagemaker:us-east-1:111111111111:model-package/mammo-severity-dev/3"
ROLE = "arn:aws:iam::222222222222:role/mammo-dev-sagemaker-execution"
VARIANT = {"VariantName": "AllTraffic", "InstanceType": "ml.m5.large", "InitialInstanceCount": 2}
CAPTURE = {
    "EnableCapture": True,
    "InitialSamplingPercentage": 100,
    "DestinationS3Uri": "s3://mammo-model-artifacts/data-capture/dev",
    "KmsKeyId": "arn:aws:kms:us-east-1:222222222222:key/workload",
    "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
    "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]},
}
DEPLOYMENT = {
    "BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {
            "Type": "CANARY",
            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 25},
            "WaitIntervalInSeconds": 300,
        },
        "TerminationWaitInSeconds": 600,
        "MaximumExecutionTimeoutInSeconds": 3600,
    },
    "AutoRollbackConfiguration": {
        "Alarms": [{"AlarmName": "mammo-dev-5xx-rate"}, {"AlarmName": "mammo-dev-model-latency"}]
    },
}
# The environment modules/realtime-endpoint gives the function (tests/inventories).
ENVIRONMENT = {
    "ENDPOINT_NAME": "mammo-dev",
    "MODEL_PACKAGE_GROUP_ARN": GROUP,
    "EXECUTION_ROLE_ARN": ROLE,
    "PRODUCTION_VARIANT": json.dumps(VARIANT),
    "DATA_CAPTURE_CONFIG": json.dumps(CAPTURE),
    "DEPLOYMENT_CONFIG": json.dumps(DEPLOYMENT),
}
SETTINGS = Settings.from_environment(ENVIRONMENT)
APPROVAL = {
    "source": "aws.sagemaker",
    "detail-type": "SageMaker Model Package State Change",
    "account": "111111111111",
    "detail": {
        "ModelPackageGroupName": "mammo-severity-dev",
        "ModelPackageVersion": 3,
        "ModelPackageArn": VERSION_3,
        "ModelApprovalStatus": "Approved",
        "ModelPackageStatus": "Completed",
    },
}


def _not_found(stub: Stubber, operation: str, what: str, **name: str) -> None:
    stub.add_client_error(
        operation,
        service_error_code="ValidationException",
        service_message=f'Could not find {what} "{next(iter(name.values()))}".',
        http_status_code=400,
        expected_params=name,
    )


def _described(stub: Stubber, status: str = "Approved") -> None:
    stub.add_response(
        "describe_model_package",
        {
            "ModelPackageName": "mammo-severity-dev",
            "ModelPackageArn": VERSION_3,
            "ModelPackageVersion": 3,
            "ModelPackageStatus": "Completed",
            "ModelPackageStatusDetails": {"ValidationStatuses": []},
            "ModelApprovalStatus": status,
            "CreationTime": "2026-12-01T00:00:00Z",
        },
        {"ModelPackageName": VERSION_3},
    )


def _endpoint(config: str, status: str = "InService") -> dict:
    return {
        "EndpointName": "mammo-dev",
        "EndpointArn": "arn:aws:sagemaker:us-east-1:222222222222:endpoint/mammo-dev",
        "EndpointConfigName": config,
        "EndpointStatus": status,
        "CreationTime": "2026-12-01T00:00:00Z",
        "LastModifiedTime": "2026-12-01T00:00:00Z",
    }


@pytest.fixture()
def sagemaker():
    client = boto3.client(
        "sagemaker", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def _model_and_config_made(stub: Stubber) -> None:
    _not_found(stub, "describe_model", "model", ModelName="mammo-dev-v3")
    stub.add_response(
        "create_model",
        {"ModelArn": "arn:aws:sagemaker:us-east-1:222222222222:model/mammo-dev-v3"},
        {
            "ModelName": "mammo-dev-v3",
            "Containers": [{"ModelPackageName": VERSION_3}],
            "ExecutionRoleArn": ROLE,
        },
    )
    _not_found(
        stub,
        "describe_endpoint_config",
        "endpoint configuration",
        EndpointConfigName="mammo-dev-v3",
    )
    stub.add_response(
        "create_endpoint_config",
        {
            "EndpointConfigArn": (
                "arn:aws:sagemaker:us-east-1:222222222222:endpoint-config/mammo-dev-v3"
            )
        },
        {
            "EndpointConfigName": "mammo-dev-v3",
            "ProductionVariants": [{**VARIANT, "ModelName": "mammo-dev-v3"}],
            "DataCaptureConfig": CAPTURE,
        },
    )


def test_the_first_approval_creates_the_endpoint(sagemaker):
    client, stub = sagemaker
    _described(stub)
    _model_and_config_made(stub)
    _not_found(stub, "describe_endpoint", "endpoint", EndpointName="mammo-dev")
    stub.add_response(
        "create_endpoint",
        {"EndpointArn": "arn:aws:sagemaker:us-east-1:222222222222:endpoint/mammo-dev"},
        {"EndpointName": "mammo-dev", "EndpointConfigName": "mammo-dev-v3"},
    )
    done = endpoint_deployer.deploy(client, SETTINGS, APPROVAL)
    assert done == {"created": "mammo-dev", "config": "mammo-dev-v3"}


def test_a_later_approval_updates_the_endpoint_blue_green_with_rollback_alarms(sagemaker):
    client, stub = sagemaker
    _described(stub)
    _model_and_config_made(stub)
    stub.add_response("describe_endpoint", _endpoint("mammo-dev-v2"), {"EndpointName": "mammo-dev"})
    stub.add_response(
        "update_endpoint",
        {"EndpointArn": "arn:aws:sagemaker:us-east-1:222222222222:endpoint/mammo-dev"},
        {
            "EndpointName": "mammo-dev",
            "EndpointConfigName": "mammo-dev-v3",
            "DeploymentConfig": DEPLOYMENT,
        },
    )
    done = endpoint_deployer.deploy(client, SETTINGS, APPROVAL)
    assert done == {"updated": "mammo-dev", "config": "mammo-dev-v3"}


def test_the_same_approval_again_changes_nothing(sagemaker):
    """EventBridge delivers at least once: a second delivery finds the version's model, config
    and endpoint as the first left them, and writes nothing."""
    client, stub = sagemaker
    _described(stub)
    stub.add_response(
        "describe_model",
        {
            "ModelName": "mammo-dev-v3",
            "ModelArn": "arn:aws:sagemaker:us-east-1:222222222222:model/mammo-dev-v3",
            "CreationTime": "2026-12-01T00:00:00Z",
        },
        {"ModelName": "mammo-dev-v3"},
    )
    stub.add_response(
        "describe_endpoint_config",
        {
            "EndpointConfigName": "mammo-dev-v3",
            "EndpointConfigArn": (
                "arn:aws:sagemaker:us-east-1:222222222222:endpoint-config/mammo-dev-v3"
            ),
            "ProductionVariants": [{**VARIANT, "ModelName": "mammo-dev-v3"}],
            "CreationTime": "2026-12-01T00:00:00Z",
        },
        {"EndpointConfigName": "mammo-dev-v3"},
    )
    stub.add_response(
        "describe_endpoint", _endpoint("mammo-dev-v3", "Updating"), {"EndpointName": "mammo-dev"}
    )
    done = endpoint_deployer.deploy(client, SETTINGS, APPROVAL)
    assert done == {"unchanged": "mammo-dev", "config": "mammo-dev-v3"}


def test_an_endpoint_still_deploying_takes_no_other_version_now(sagemaker):
    """The invocation fails (Lambda retries it later) and nothing is updated."""
    client, stub = sagemaker
    _described(stub)
    _model_and_config_made(stub)
    stub.add_response(
        "describe_endpoint", _endpoint("mammo-dev-v2", "Updating"), {"EndpointName": "mammo-dev"}
    )
    with pytest.raises(NotDeployable, match="mammo-dev is Updating: mammo-dev-v3 is deployed"):
        endpoint_deployer.deploy(client, SETTINGS, APPROVAL)


def test_a_version_rejected_since_its_approval_is_not_deployed(sagemaker):
    client, stub = sagemaker
    _described(stub, status="Rejected")
    done = endpoint_deployer.deploy(client, SETTINGS, APPROVAL)
    assert done == {"skipped": f"{VERSION_3} is Rejected, not Approved"}


@pytest.mark.parametrize(
    "package_arn",
    [
        "arn:aws:sagemaker:us-east-1:111111111111:model-package/mammo-severity-prod/3",
        # A group whose name starts with the stage's is another group.
        "arn:aws:sagemaker:us-east-1:111111111111:model-package/mammo-severity-dev-feature-x/1",
        "arn:aws:sagemaker:us-east-1:999999999999:model-package/mammo-severity-dev/3",
        "",
    ],
)
def test_only_the_stage_groups_versions_are_deployed(sagemaker, package_arn):
    """Whatever the rule let through, a version of another group (or account) calls nothing."""
    client, _ = sagemaker
    event = {**APPROVAL, "detail": {**APPROVAL["detail"], "ModelPackageArn": package_arn}}
    with pytest.raises(NotDeployable, match="only that group's versions serve here"):
        endpoint_deployer.deploy(client, SETTINGS, event)


def test_the_module_gives_the_function_what_it_reads():
    """The environment the inventory expects of modules/realtime-endpoint is the one the
    function reads, key for key."""
    import yaml

    from tests.plans import ROOT

    inventory = yaml.safe_load(
        (ROOT / "tests" / "inventories" / "module-realtime-endpoint.yaml").read_text()
    )
    function = inventory["values"]["module.function.aws_lambda_function.this"]
    [environment] = function["environment"]
    assert set(environment["variables"]) == set(ENVIRONMENT)
