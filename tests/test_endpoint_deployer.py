"""The endpoint deployment function's own rules (glue/steps/endpoint_deployer.py), in process:
every SageMaker call goes through botocore's Stubber, which checks each request against
botocore's model (names, patterns, shapes) and answers as SageMaker does. The function's
settings are the environment modules/realtime-endpoint plans for it (its inventory), and every
operation it calls here is one its planned policy allows."""

from __future__ import annotations

import io
import json
from typing import Any

import boto3
import pytest
import yaml
from botocore.response import StreamingBody
from botocore.stub import Stubber
from hypothesis import given, settings
from hypothesis import strategies as st

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


def _client(service: str):
    return boto3.client(
        service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


class SageMaker:
    """Stubbed clients (SageMaker; for the check, the endpoint's runtime and S3) and the answers
    they give, in the order they are asked."""

    def __init__(self) -> None:
        self.client = _client("sagemaker")
        self.stub = Stubber(self.client)
        self.runtime, self.s3 = _client("sagemaker-runtime"), _client("s3")
        self.runtime_stub, self.s3_stub = Stubber(self.runtime), Stubber(self.s3)
        self.called: set[str] = set()

    def answer(self, operation: str, response: dict, params: dict) -> None:
        self.called.add(operation)
        self.stub.add_response(operation, response, params)

    def config(self, number: int, created: str = "2026-12-01T00:00:00Z") -> str:
        """The version's endpoint config, made at `created`; its ARN."""
        name = f"{NAME}-v{number}"
        arn = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint-config/{name}"
        config = {"EndpointConfigName": name, "EndpointConfigArn": arn}
        config["ProductionVariants"] = [{**SETTINGS.production_variant, "ModelName": name}]
        config["CreationTime"] = created
        self.answer("describe_endpoint_config", config, {"EndpointConfigName": name})
        return arn

    def checked(self, number: int, result: str | None) -> None:
        """The check recorded on the version's endpoint config (None: none yet)."""
        arn = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint-config/{NAME}-v{number}"
        tags = [] if result is None else [{"Key": endpoint_deployer.CHECK_TAG, "Value": result}]
        self.answer("list_tags", {"Tags": tags}, {"ResourceArn": arn})

    def held_out(self, number: int, rows: list[str] | None) -> None:
        """The version's metadata names its held-out split, which holds `rows` (None: the
        object is not there)."""
        metadata = {endpoint_deployer.HELD_OUT: f"s3://artifacts/test-dev/runs/{number}/test"}
        self.package(number, CustomerMetadataProperties=metadata)
        self.called.add("s3:GetObject")
        where = {"Bucket": "artifacts", "Key": f"test-dev/runs/{number}/test/test.csv"}
        if rows is None:
            self.s3_stub.add_client_error(
                "get_object", "NoSuchKey", http_status_code=404, expected_params=where
            )
            return
        body = "".join(rows).encode()
        self.s3_stub.add_response(
            "get_object", {"Body": StreamingBody(io.BytesIO(body), len(body))}, where
        )

    def scored(self, features: str, answer: str | None = None, status: int = 200) -> None:
        """The endpoint's answer to the features: scores, or the container's error status."""
        self.called.add("sagemaker:InvokeEndpoint")
        params = {"EndpointName": NAME, "Body": features.encode(), "ContentType": "text/csv"}
        if answer is None:
            self.runtime_stub.add_client_error(
                "invoke_endpoint",
                service_error_code="ModelError",
                service_message="the model answered an error",
                http_status_code=424,
                modeled_fields={"OriginalStatusCode": status},
                expected_params=params,
            )
            return
        body = StreamingBody(io.BytesIO(answer.encode()), len(answer))
        self.runtime_stub.add_response("invoke_endpoint", {"Body": body}, params)

    def recorded(self, number: int, result: str) -> None:
        name = f"{NAME}-v{number}"
        arn = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint-config/{name}"
        tags = [{"Key": endpoint_deployer.CHECK_TAG, "Value": result}]
        self.answer("add_tags", {"Tags": tags}, {"ResourceArn": arn, "Tags": tags})

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

    def monitoring(
        self,
        number: int,
        defined: bool | None = True,
        scheduled_on: int | None = 0,
        expression: str = "",
        raced: bool = False,
    ) -> None:
        """The endpoint's Model Monitor as the function finds it, and what it then does: the
        version's job definition (False: created, from its baseline; None: made by another run
        meanwhile), the schedule on `scheduled_on`'s (0: this version's; None: no schedule,
        created, or `raced`: created by another run meanwhile, then set; else moved to this
        one), at `expression` (another than the module's: set to the module's)."""
        name = f"{NAME}-v{number}"
        arn = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}"
        monitoring = SETTINGS.monitoring or {}
        schedule = monitoring["ScheduleName"]
        request = {
            "JobDefinitionName": name,
            "DataQualityBaselineConfig": {
                "ConstraintsResource": {"S3Uri": f"s3://artifacts/runs/{number}/constraints.json"},
                "StatisticsResource": {"S3Uri": f"s3://artifacts/runs/{number}/statistics.json"},
            },
            "DataQualityAppSpecification": {
                "ImageUri": endpoint_deployer.analyzer_image("us-east-1")
            },
            "RoleArn": SETTINGS.execution_role_arn,
            **monitoring["JobDefinition"],
        }
        if defined is None:
            self.defined_elsewhere_meanwhile(number)
        elif defined:
            described = {**request, "JobDefinitionArn": f"{arn}:data-quality-job-definition/{name}"}
            described["CreationTime"] = "2026-12-01T00:00:00Z"
            self.answer(
                "describe_data_quality_job_definition", described, {"JobDefinitionName": name}
            )
        else:
            self.not_found("describe_data_quality_job_definition", JobDefinitionName=name)
            self.baseline(number)
            self.answer(
                "create_data_quality_job_definition",
                {"JobDefinitionArn": f"{arn}:data-quality-job-definition/{name}"},
                request,
            )
        config = {
            "ScheduleConfig": {"ScheduleExpression": monitoring["ScheduleExpression"]},
            "MonitoringJobDefinitionName": name,
            "MonitoringType": "DataQuality",
        }
        wanted = {"MonitoringScheduleName": schedule, "MonitoringScheduleConfig": config}
        answer = {"MonitoringScheduleArn": f"{arn}:monitoring-schedule/{schedule}"}
        if scheduled_on is None:
            self.not_found("describe_monitoring_schedule", MonitoringScheduleName=schedule)
            if not raced:
                self.answer("create_monitoring_schedule", answer, wanted)
                return
            self.stub.add_client_error(
                "create_monitoring_schedule",
                service_error_code="ResourceInUse",
                service_message=f"Monitoring Schedule {schedule} already exists.",
                http_status_code=400,
                expected_params=wanted,
            )
            self.answer("update_monitoring_schedule", answer, wanted)
            return
        on = f"{NAME}-v{scheduled_on or number}"
        described = {
            **answer,
            "MonitoringScheduleName": schedule,
            "MonitoringScheduleStatus": "Scheduled",
            "CreationTime": "2026-12-01T00:00:00Z",
            "LastModifiedTime": "2026-12-01T00:00:00Z",
            "MonitoringScheduleConfig": {**config, "MonitoringJobDefinitionName": on},
        }
        if expression:
            described["MonitoringScheduleConfig"]["ScheduleConfig"] = {
                "ScheduleExpression": expression
            }
        self.answer("describe_monitoring_schedule", described, {"MonitoringScheduleName": schedule})
        if on != name or expression:
            self.answer("update_monitoring_schedule", answer, wanted)

    def defined_elsewhere_meanwhile(self, number: int) -> None:
        """The version's job definition: not there, then made by another run (events come
        twice): the creation is refused (ResourceInUse)."""
        name = f"{NAME}-v{number}"
        self.not_found("describe_data_quality_job_definition", JobDefinitionName=name)
        self.baseline(number)
        self.called.add("create_data_quality_job_definition")
        self.stub.add_client_error(
            "create_data_quality_job_definition",
            service_error_code="ResourceInUse",
            service_message=f"Job definition {name} already exists.",
            http_status_code=400,
        )

    def baseline(self, number: int, recorded: bool = True) -> None:
        """The version's metadata: its data-quality baseline (the training run's), or none."""
        baselines = {
            "ModelDataQuality": {
                kind: {
                    "ContentType": "application/json",
                    "S3Uri": f"s3://artifacts/runs/{number}/{kind.lower()}.json",
                }
                for kind in ("Statistics", "Constraints")
            }
        }
        self.package(number, **({"DriftCheckBaselines": baselines} if recorded else {}))

    def package(self, number: int, **more: Any) -> None:
        """The version as DescribeModelPackage answers, with `more` of its fields."""
        described = {
            "ModelPackageName": GROUP.rsplit("/", 1)[-1],
            "ModelPackageArn": version_arn(number),
            "CreationTime": "2026-12-01T00:00:00Z",
            "ModelPackageStatus": "Completed",
            "ModelPackageStatusDetails": {"ValidationStatuses": []},
            **more,
        }
        self.answer("describe_model_package", described, {"ModelPackageName": version_arn(number)})

    def not_found(self, operation: str, **name: str) -> None:
        """Model Monitor's answer about a name that does not exist."""
        self.called.add(operation)
        self.stub.add_client_error(
            operation,
            service_error_code="ResourceNotFound",
            service_message=f"{next(iter(name.values()))} not found",
            http_status_code=400,
            expected_params=name,
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
        clients = endpoint_deployer.Clients(self.client, self.runtime, self.s3)
        with self.stub, self.runtime_stub, self.s3_stub:
            done = endpoint_deployer.deploy(self.client, SETTINGS, event, clients)
            for stub in (self.stub, self.runtime_stub, self.s3_stub):
                stub.assert_no_pending_responses()
        needed = {
            operation
            if ":" in operation
            else "sagemaker:" + "".join(part.title() for part in operation.split("_"))
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
    sagemaker.checked(2, "passed: AUC 0.912 on 200 held-out rows - minimum 0.8")
    sagemaker.monitoring(2)
    # Nothing else is asked: nothing made, no update; v2 serves on, monitored.
    done = sagemaker.deploy(_endpoint_changed())
    assert done["unchanged"] == NAME and done["config"] == f"{NAME}-v2"
    assert done["held"] == f"{NAME}-v3" and "rolled back" in done["reason"]


def test_a_version_held_and_the_one_before_rejected_deploys_the_approved_one_before_them(
    sagemaker,
):
    """v3 was rolled back (held), then v2, which served, was rejected: v1 serves again."""
    sagemaker.approved(1, 3)
    sagemaker.endpoint(f"{NAME}-v2", LastModifiedTime="2026-12-01T00:10:00Z")
    sagemaker.config(3)
    sagemaker.made(1, existing=True)
    sagemaker.updated(1)
    done = sagemaker.deploy(_status_change(2, "Rejected"))
    assert done["updated"] == NAME and done["config"] == f"{NAME}-v1"
    assert done["held"] == f"{NAME}-v3"


ROWS = ["1.0,5.0,67.0\n", "0.0,2.0,40.0\n", "1.0,4.0,70.0\n", "0.0,3.0,30.0\n"]
FEATURES = "5.0,67.0\n2.0,40.0\n4.0,70.0\n3.0,30.0\n"


def test_a_check_below_the_threshold_is_recorded_and_the_version_approved_before_serves(
    sagemaker,
):
    """Once the endpoint is in service on a version not yet checked, the first rows of its
    held-out split go to the endpoint (the features, without the label): an AUC of at least
    the stage's threshold passes, recorded on the version's endpoint config."""
    sagemaker.approved(1, 2)
    sagemaker.endpoint(f"{NAME}-v2")
    sagemaker.checked(2, None)
    sagemaker.held_out(2, ROWS)
    sagemaker.scored(FEATURES, "0.9\n0.2\n0.25\n0.3\n")
    passed = "passed: AUC 0.750 on 4 held-out rows - minimum 0.8"
    assert SETTINGS.check_min_auc == 0.8  # the planned CHECK_MIN_AUC
    sagemaker.recorded(2, passed.replace("passed", "failed"))
    sagemaker.made(1, existing=True)
    sagemaker.updated(1)
    # 0.750 is below 0.8: failed, recorded, and the version approved before deployed again.
    done = sagemaker.deploy(_endpoint_changed())
    assert done["updated"] == NAME and done["config"] == f"{NAME}-v1"
    assert done["held"] == f"{NAME}-v2"
    assert "its check after the deployment failed: AUC 0.750" in done["reason"]


def test_a_check_that_passes_is_recorded_and_changes_nothing_else(sagemaker):
    sagemaker.approved(2)
    sagemaker.endpoint(f"{NAME}-v2")
    sagemaker.checked(2, None)
    sagemaker.held_out(2, ROWS)
    sagemaker.scored(FEATURES, "0.9\n0.2\n0.8\n0.3\n")
    passed = "passed: AUC 1.000 on 4 held-out rows - minimum 0.8"
    sagemaker.recorded(2, passed)
    sagemaker.monitoring(2)
    done = sagemaker.deploy(_endpoint_changed())
    on_its_baseline = f"{NAME}-data-quality, on the baseline of {NAME}-v2"
    assert done == {
        "unchanged": NAME,
        "config": f"{NAME}-v2",
        "check": passed,
        "monitoring": on_its_baseline,
    }
    # Checked once: the next run reads the result.
    sagemaker.approved(2)
    sagemaker.endpoint(f"{NAME}-v2")
    sagemaker.checked(2, passed)
    sagemaker.monitoring(2)
    assert sagemaker.deploy(_endpoint_changed())["check"] == passed


def test_a_model_error_fails_the_check_with_the_containers_status(sagemaker):
    sagemaker.approved(2)
    sagemaker.endpoint(f"{NAME}-v2")
    sagemaker.checked(2, None)
    sagemaker.held_out(2, ROWS)
    sagemaker.scored(FEATURES, status=500)
    failed = "failed: the endpoint answered 500 to 4 held-out rows"
    sagemaker.recorded(2, failed)
    done = sagemaker.deploy(_endpoint_changed())
    # No version approved before it: v2 is held where it is, for people to decide.
    assert done["unchanged"] == NAME and done["held"] == f"{NAME}-v2"


@settings(deadline=None)  # scikit-learn's first import
@given(
    st.lists(
        st.tuples(st.sampled_from([0.0, 1.0]), st.floats(0, 1, allow_nan=False)),
        min_size=2,
        max_size=60,
    )
)
def test_the_checks_auc_is_scikit_learns(rows):
    from sklearn.metrics import roc_auc_score

    labels, scores = [label for label, _ in rows], [score for _, score in rows]
    found = endpoint_deployer.auc(labels, scores)
    if len(set(labels)) < 2:
        assert found is None
    else:
        assert found == pytest.approx(roc_auc_score(labels, scores))


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


def test_a_held_out_split_that_cannot_be_read_is_recorded_and_blocks_nothing(sagemaker):
    """A check that cannot run is said on the version (a run that raised would fail again on
    every event after it)."""
    sagemaker.approved(2)
    sagemaker.endpoint(f"{NAME}-v2")
    sagemaker.checked(2, None)
    sagemaker.held_out(2, None)
    skipped = "skipped: s3://artifacts/test-dev/runs/2/test/test.csv cannot be read: NoSuchKey"
    sagemaker.recorded(2, skipped)
    sagemaker.monitoring(2)
    done = sagemaker.deploy(_endpoint_changed())
    assert done["check"] == skipped and done["unchanged"] == NAME


def test_a_version_that_serves_checked_is_monitored_against_its_own_baseline(sagemaker):
    """Its job definition is made from its DriftCheckBaselines, with the analyzer image of the
    region and the stage's execution role, and the schedule is created on it; a later version
    that serves moves the schedule to its own; a second run writes nothing."""
    passed = "passed: AUC 1.000 on 4 held-out rows - minimum 0.8"
    sagemaker.approved(1)
    sagemaker.endpoint(f"{NAME}-v1")
    sagemaker.checked(1, passed)
    sagemaker.monitoring(1, defined=False, scheduled_on=None)
    created = sagemaker.deploy(_endpoint_changed())["monitoring"]
    assert created == f"{NAME}-data-quality created, on the baseline of {NAME}-v1"
    sagemaker.approved(2, 1)
    sagemaker.endpoint(f"{NAME}-v2")
    sagemaker.checked(2, passed)
    sagemaker.monitoring(2, defined=False, scheduled_on=1)
    moved = sagemaker.deploy(_endpoint_changed())["monitoring"]
    assert moved == f"{NAME}-data-quality moved to the baseline of {NAME}-v2"


def test_a_version_without_a_baseline_is_served_unmonitored_and_said(sagemaker):
    passed = "passed: AUC 1.000 on 4 held-out rows - minimum 0.8"
    sagemaker.approved(1)
    sagemaker.endpoint(f"{NAME}-v1")
    sagemaker.checked(1, passed)
    sagemaker.not_found("describe_data_quality_job_definition", JobDefinitionName=f"{NAME}-v1")
    sagemaker.baseline(1, recorded=False)
    done = sagemaker.deploy(_endpoint_changed())
    assert done["monitoring"] == (
        "none: the version records no data-quality baseline (DriftCheckBaselines)"
    )
    assert done["unchanged"] == NAME and done["check"] == passed


def test_a_version_failing_its_check_is_never_the_monitorings_baseline(sagemaker):
    """The check fails: the version approved before is deployed again, and nothing of the
    monitoring is touched (the schedule moves once that version serves again)."""
    sagemaker.approved(2, 1)
    sagemaker.endpoint(f"{NAME}-v2")
    sagemaker.checked(2, "failed: AUC 0.500 on 4 held-out rows - minimum 0.8")
    sagemaker.made(1, existing=True)
    sagemaker.updated(1)
    done = sagemaker.deploy(_endpoint_changed())
    assert "monitoring" not in done and done["config"] == f"{NAME}-v1"


def test_a_job_definition_another_run_made_meanwhile_is_used(sagemaker):
    """Two runs at once (events come twice): the second creation is refused (ResourceInUse),
    and the run goes on to the schedule with the definition the other made."""
    passed = "passed: AUC 1.000 on 4 held-out rows - minimum 0.8"
    sagemaker.approved(1)
    sagemaker.endpoint(f"{NAME}-v1")
    sagemaker.checked(1, passed)
    sagemaker.monitoring(1, defined=None, scheduled_on=None)
    done = sagemaker.deploy(_endpoint_changed())
    assert done["monitoring"] == f"{NAME}-data-quality created, on the baseline of {NAME}-v1"


def test_a_schedule_another_run_created_meanwhile_or_at_another_time_is_set(sagemaker):
    """A schedule created by another run between the read and the creation (ResourceInUse),
    or found at another time than the module asks (its tfvars changed), is set to the served
    version's baseline at the module's time."""
    passed = "passed: AUC 1.000 on 4 held-out rows - minimum 0.8"
    moved = f"{NAME}-data-quality moved to the baseline of {NAME}-v1"
    sagemaker.approved(1)
    sagemaker.endpoint(f"{NAME}-v1")
    sagemaker.checked(1, passed)
    sagemaker.monitoring(1, scheduled_on=None, raced=True)
    assert sagemaker.deploy(_endpoint_changed())["monitoring"] == moved
    sagemaker.approved(1)
    sagemaker.endpoint(f"{NAME}-v1")
    sagemaker.checked(1, passed)
    sagemaker.monitoring(1, expression="cron(0 6 ? * * *)")
    assert sagemaker.deploy(_endpoint_changed())["monitoring"] == moved
