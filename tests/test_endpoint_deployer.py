"""The endpoint deployment function's own rules (glue/steps/endpoint_deployer.py), in process:
every SageMaker call goes through botocore's Stubber, which checks each request against
botocore's model (names, patterns, shapes) and answers as SageMaker does. The function's
settings are the environment modules/realtime-endpoint plans for it (its inventory), and every
operation it calls here is one its planned policy allows."""

from __future__ import annotations

import json

import boto3
import pytest
import yaml
from botocore.stub import Stubber

from glue.steps import endpoint_deployer
from glue.steps.endpoint_deployer import NotDeployable, Settings
from tests.plans import ROOT

INVENTORY = yaml.safe_load(
    (ROOT / "tests" / "inventories" / "module-realtime-endpoint.yaml").read_text()
)["values"]
[PLANNED] = INVENTORY["module.function.aws_lambda_function.this"]["environment"]
# The planned environment, each value as Lambda hands it over (JSON text where it is data).
ENVIRONMENT = {
    key: value if isinstance(value, str) else json.dumps(value)
    for key, value in PLANNED["variables"].items()
}
SETTINGS = Settings.from_environment(ENVIRONMENT)
GROUP = SETTINGS.model_package_group_arn
NAME = SETTINGS.endpoint_name
ACCOUNT = "123456789012"


def _allowed_actions() -> set[str]:
    """The actions of the function's planned policy."""
    allowed = set()
    for statement in INVENTORY["aws_iam_role_policy.this"]["policy"]["Statement"]:
        actions = statement["Action"]
        allowed |= {actions} if isinstance(actions, str) else set(actions)
    return allowed


ALLOWED = _allowed_actions()


def version_arn(number: int) -> str:
    return f"{GROUP.replace(':model-package-group/', ':model-package/')}/{number}"


def _status_change(number: int, status: str = "Approved", **changes) -> dict:
    """A version's status change as SageMaker emits it (the AWS documentation's sample)."""
    event = {
        "source": "aws.sagemaker",
        "detail-type": "SageMaker Model Package State Change",
        "account": GROUP.split(":")[4],
        "detail": {
            "ModelPackageGroupName": GROUP.rsplit("/", 1)[-1],
            "ModelPackageVersion": number,
            "ModelPackageArn": version_arn(number),
            "ModelApprovalStatus": status,
            "ModelPackageStatus": "Completed",
        },
    }
    return {**event, **changes}


def _endpoint_changed(status: str = "InService") -> dict:
    return {
        "source": "aws.sagemaker",
        "detail-type": "SageMaker Endpoint State Change",
        "account": ACCOUNT,
        "detail": {"EndpointName": NAME, "EndpointStatus": status},
    }


class SageMaker:
    """A stubbed SageMaker client and the answers it gives, in the order they are asked."""

    def __init__(self) -> None:
        self.client = boto3.client(
            "sagemaker", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        self.stub = Stubber(self.client)
        self.called: set[str] = set()

    def answer(self, operation: str, response: dict, params: dict) -> None:
        self.called.add(operation)
        self.stub.add_response(operation, response, params)

    def missing(self, operation: str, what: str, **name: str) -> None:
        self.called.add(operation)
        self.stub.add_client_error(
            operation,
            service_error_code="ValidationException",
            service_message=f'Could not find {what} "{next(iter(name.values()))}".',
            http_status_code=400,
            expected_params=name,
        )

    def approved(self, *numbers: int) -> None:
        self.answer(
            "list_model_packages",
            {
                "ModelPackageSummaryList": [
                    {
                        "ModelPackageGroupName": GROUP.rsplit("/", 1)[-1],
                        "ModelPackageVersion": number,
                        "ModelPackageArn": version_arn(number),
                        "CreationTime": "2026-12-01T00:00:00Z",
                        "ModelPackageStatus": "Completed",
                        "ModelApprovalStatus": "Approved",
                    }
                    for number in numbers
                ]
            },
            {"ModelPackageGroupName": GROUP, "ModelApprovalStatus": "Approved"},
        )

    def endpoint(self, config: str | None, status: str = "InService", **more) -> None:
        if config is None:
            self.missing("describe_endpoint", "endpoint", EndpointName=NAME)
            return
        described = {
            "EndpointName": NAME,
            "EndpointArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/{NAME}",
            "EndpointConfigName": config,
            "EndpointStatus": status,
            "CreationTime": "2026-12-01T00:00:00Z",
            "LastModifiedTime": "2026-12-01T00:00:00Z",
            **more,
        }
        self.answer("describe_endpoint", described, {"EndpointName": NAME})

    def made(self, number: int, existing: bool = False, configured: str = "") -> None:
        """The version's endpoint config and model: found (the config made at `configured`),
        or created."""
        name = f"{NAME}-v{number}"
        arn = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}"
        if existing:
            config = {
                "EndpointConfigName": name,
                "EndpointConfigArn": f"{arn}:endpoint-config/{name}",
            }
            config["ProductionVariants"] = [{**SETTINGS.production_variant, "ModelName": name}]
            config["CreationTime"] = configured or "2026-12-01T00:00:00Z"
            self.answer("describe_endpoint_config", config, {"EndpointConfigName": name})
            model = {"ModelName": name, "ModelArn": f"{arn}:model/{name}"}
            model["CreationTime"] = "2026-12-01T00:00:00Z"
            self.answer("describe_model", model, {"ModelName": name})
            return
        self.missing("describe_endpoint_config", "endpoint configuration", EndpointConfigName=name)
        self.missing("describe_model", "model", ModelName=name)
        self.answer(
            "create_model",
            {"ModelArn": f"{arn}:model/{name}"},
            {
                "ModelName": name,
                "Containers": [{"ModelPackageName": version_arn(number)}],
                "ExecutionRoleArn": SETTINGS.execution_role_arn,
            },
        )
        self.answer(
            "create_endpoint_config",
            {"EndpointConfigArn": f"{arn}:endpoint-config/{name}"},
            {
                "EndpointConfigName": name,
                "ProductionVariants": [{**SETTINGS.production_variant, "ModelName": name}],
                "DataCaptureConfig": SETTINGS.data_capture_config,
            },
        )

    def updated(self, number: int) -> None:
        self.answer(
            "update_endpoint",
            {"EndpointArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/{NAME}"},
            {
                "EndpointName": NAME,
                "EndpointConfigName": f"{NAME}-v{number}",
                "DeploymentConfig": SETTINGS.deployment_config,
            },
        )

    def deploy(self, event: dict) -> dict[str, str]:
        """The function's answer to the event; every call it made is one its role may make."""
        with self.stub:
            done = endpoint_deployer.deploy(self.client, SETTINGS, event)
            self.stub.assert_no_pending_responses()
        needed = {
            "sagemaker:" + "".join(part.title() for part in operation.split("_"))
            for operation in self.called
        }
        assert needed <= ALLOWED, f"the planned policy does not allow {sorted(needed - ALLOWED)}"
        return done


@pytest.fixture()
def sagemaker() -> SageMaker:
    return SageMaker()


def test_the_first_approval_creates_the_endpoint_with_data_capture(sagemaker):
    sagemaker.approved(1)
    sagemaker.endpoint(None)
    sagemaker.made(1)
    sagemaker.answer(
        "create_endpoint",
        {"EndpointArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/{NAME}"},
        {"EndpointName": NAME, "EndpointConfigName": f"{NAME}-v1"},
    )
    assert sagemaker.deploy(_status_change(1)) == {"created": NAME, "config": f"{NAME}-v1"}


def test_a_later_approval_updates_the_endpoint_blue_green_with_the_planned_guardrails(sagemaker):
    sagemaker.approved(1, 3, 2)
    sagemaker.endpoint(f"{NAME}-v2")
    sagemaker.made(3)
    sagemaker.updated(3)
    assert sagemaker.deploy(_status_change(3)) == {"updated": NAME, "config": f"{NAME}-v3"}
    policy = SETTINGS.deployment_config
    assert policy["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["Type"] == "CANARY"
    assert {a["AlarmName"] for a in policy["AutoRollbackConfiguration"]["Alarms"]} == {
        f"{NAME}-5xx-rate",
        f"{NAME}-model-latency",
    }


def test_a_rejection_of_the_served_version_rolls_back_to_the_one_approved_before(sagemaker):
    """`mlops models rollback` rejects the version served: the newest approved is the earlier
    one again, whose model and config are still there."""
    sagemaker.approved(1, 2)
    sagemaker.endpoint(f"{NAME}-v3")
    sagemaker.made(2, existing=True)
    sagemaker.updated(2)
    done = sagemaker.deploy(_status_change(3, "Rejected"))
    assert done == {"updated": NAME, "config": f"{NAME}-v2"}


@pytest.mark.parametrize(
    "event",
    [_status_change(3), _status_change(1), _endpoint_changed()],
    ids=["again", "an older approval arriving late", "the endpoint's state change"],
)
def test_an_event_again_late_or_of_the_endpoint_changes_nothing_once_the_newest_serves(
    sagemaker, event
):
    sagemaker.approved(1, 2, 3)
    sagemaker.endpoint(f"{NAME}-v3", "Updating")
    assert sagemaker.deploy(event) == {"unchanged": NAME, "config": f"{NAME}-v3"}


def test_an_endpoint_still_deploying_is_left_to_finish_and_its_end_deploys_the_newest(sagemaker):
    sagemaker.approved(2, 3)
    sagemaker.endpoint(f"{NAME}-v1", "Updating")
    done = sagemaker.deploy(_status_change(3))
    assert done == {"waiting": NAME, "status": "Updating", "config": f"{NAME}-v3"}
    # The deployment's end (a state change of the endpoint) runs the function again.
    sagemaker.approved(2, 3)
    sagemaker.endpoint(f"{NAME}-v2", LastModifiedTime="2026-12-01T00:00:00Z")
    sagemaker.made(3, existing=True, configured="2026-12-01T00:00:01Z")
    sagemaker.updated(3)
    assert sagemaker.deploy(_endpoint_changed()) == {"updated": NAME, "config": f"{NAME}-v3"}


def test_a_deployment_another_run_started_meanwhile_is_waited_for(sagemaker):
    sagemaker.approved(3)
    sagemaker.endpoint(f"{NAME}-v2")
    sagemaker.made(3)
    sagemaker.called.add("update_endpoint")
    sagemaker.stub.add_client_error(
        "update_endpoint",
        service_error_code="ValidationException",
        service_message=(
            f'Cannot update in-progress endpoint "arn:aws:sagemaker:us-east-1:{ACCOUNT}:'
            f'endpoint/{NAME}".'
        ),
        http_status_code=400,
    )
    done = sagemaker.deploy(_status_change(3))
    assert done == {"waiting": NAME, "status": "Updating", "config": f"{NAME}-v3"}


def test_a_newer_version_rolled_back_is_held_not_deployed_again(sagemaker):
    """The endpoint changed after v3's config was made and serves v2: v3's deployment ended
    without it (an alarm rolled it back). Deploying it again would roll back again, and the
    rollback's end (a state change) would start it once more."""
    sagemaker.approved(2, 3)
    sagemaker.endpoint(f"{NAME}-v2", LastModifiedTime="2026-12-01T00:10:00Z")
    name = f"{NAME}-v3"
    config = {"EndpointConfigName": name}
    config["EndpointConfigArn"] = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint-config/{name}"
    config["ProductionVariants"] = [{**SETTINGS.production_variant, "ModelName": name}]
    config["CreationTime"] = "2026-12-01T00:00:00Z"
    sagemaker.answer("describe_endpoint_config", config, {"EndpointConfigName": name})
    # Nothing else is asked: nothing made, no update.
    done = sagemaker.deploy(_endpoint_changed())
    assert done["held"] == NAME and done["config"] == f"{NAME}-v3"
    assert "rolled back" in done["reason"]


@pytest.mark.parametrize("status", ["Failed", "UpdateRollbackFailed", "OutOfService"])
def test_a_broken_endpoint_fails_the_run_with_sagemakers_reason(sagemaker, status):
    sagemaker.approved(2)
    sagemaker.endpoint(f"{NAME}-v1", status, FailureReason="the model's container exited")
    with pytest.raises(
        NotDeployable, match=f"{NAME} is {status} \\(the model's container exited\\)"
    ):
        sagemaker.deploy(_status_change(2))


def test_without_an_approved_version_nothing_is_deployed(sagemaker):
    sagemaker.approved()
    done = sagemaker.deploy(_status_change(1, "Rejected"))
    assert done == {"skipped": f"no approved version in {GROUP}"}


@pytest.mark.parametrize(
    "event",
    [
        _status_change(3, detail={"ModelPackageGroupName": "models-prod"}),
        _status_change(3, detail={"ModelPackageGroupName": "Models-Dev-feature-x"}),
        _status_change(3, account="999999999999"),
        {**_endpoint_changed(), "detail": {"EndpointName": "another-endpoint"}},
        {"detail-type": "SageMaker Training Job State Change", "detail": {}},
        {},
    ],
    ids=[
        "another group",
        "a group named alike",
        "another account",
        "another endpoint",
        "another kind",
        "nothing",
    ],
)
def test_an_event_that_is_not_the_functions_calls_nothing(sagemaker, event):
    with pytest.raises(NotDeployable, match="is neither a status change of a version of"):
        sagemaker.deploy(event)
