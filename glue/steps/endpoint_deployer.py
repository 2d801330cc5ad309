"""Lambda handler of a stage's real-time endpoint: it serves the group's newest approved version.

EventBridge runs it on a status change of a version of the stage's group (forwarded by the
registry: an approval, or a rejection that rolls back) and on a state change of the endpoint (a
deployment that ended). Each time it finds the newest approved version (the one batch inference
serves, as glue/registry.py's `serving` and the inference Lambda pick it) and, unless the
endpoint already serves it, creates that version's model (from the model package, run as the
stage's execution role) and endpoint config (the production variant and data capture that
modules/realtime-endpoint computed), then creates the endpoint or updates it with the module's
deployment config: SageMaker's blue/green update, rolled back by the module's alarms.

So events may come twice, late or out of order: each run converges on the newest approved
version, and one that finds the endpoint still deploying leaves it be (the end of that
deployment runs it again). The model and the endpoint config are named after the version and
created only if absent. A newer version whose deployment was rolled back (an alarm fired) is
held, not deployed again: the rollback's own end would otherwise start it once more; the
endpoint serves the newest approved version not held.

After a deployment, once the endpoint is in service on a version not yet checked, the function
checks it there (the reference design's post-deployment test): it sends the endpoint the first
rows of the version's held-out split (the one its training run held out, which the training
pipeline records on the version) and requires an answer for every row, each a score, scoring an
AUC at least the stage's training threshold. The result is recorded on the version's endpoint
config (`<endpoint>-v<version>`, tag `mlops:endpoint-check`), which `mlops endpoint status`
shows; a failed check holds the version and deploys the one approved before it. The registry's
versions are not written: the workload accounts change nothing of them (segregation of duties).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

# The image this script runs in (its Python and packages: glue/steps/images.json).
IMAGE = "lambda:python3.12"

# An endpoint SageMaker is still creating or updating takes no other update: the end of that
# deployment (a state change of the endpoint) runs the function again.
BUSY = ("Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting")
# Only DeleteEndpoint acts on a Failed endpoint (botocore's EndpointStatus): people decide.
BROKEN = ("Failed", "UpdateRollbackFailed", "OutOfService")

# The check after a deployment: the first rows of the version's held-out split, recorded by the
# training pipeline as this metadata (glue/comparison.py's TEST_DATA), in the file the
# preprocessing writes there (glue/steps/preprocess.py: the label, then the features).
CHECK_ROWS = 200
HELD_OUT = "test_data_uri"
HELD_OUT_FILE = "test.csv"
CHECK_TAG = "mlops:endpoint-check"
# Model Monitor's analyzer image: its repository, and the account hosting it per region in the
# SageMaker Python SDK's own data file, copied unchanged from aws/sagemaker-python-sdk
# (sagemaker-core/src/sagemaker/core/image_uri_config/model-monitor.json), packaged with this
# handler (glue/lambda_package.py).
ANALYZER_REPOSITORY = "sagemaker-model-monitor-analyzer"
ANALYZER_IMAGES = Path(__file__).with_name("model-monitor.json")
# What a tag's value may hold (botocore's TagValue pattern, ASCII), and how much.
_TAG_VALUE = re.compile(r"[^A-Za-z0-9_.:/=+@ -]")
_TAG_LENGTH = 256


class NotDeployable(Exception):
    """The event is none of the function's, or the endpoint cannot take a version."""


@dataclass(frozen=True)
class Settings:
    """What modules/realtime-endpoint gives the function as its environment."""

    endpoint_name: str
    model_package_group_arn: str
    execution_role_arn: str
    production_variant: dict[str, Any]
    data_capture_config: dict[str, Any] | None  # None: a serverless endpoint captures nothing
    deployment_config: dict[str, Any]
    check_min_auc: float | None = None  # None: no check after a deployment
    # None: no Model Monitor schedule. Else {"ScheduleName", "ScheduleExpression",
    # "JobDefinition": the data-quality job definition's request but for what is the version's}.
    monitoring: dict[str, Any] | None = None

    @classmethod
    def from_environment(cls, environment: Mapping[str, str]) -> Settings:
        minimum = environment.get("CHECK_MIN_AUC")
        monitoring = environment.get("MONITORING")
        return cls(
            endpoint_name=environment["ENDPOINT_NAME"],
            model_package_group_arn=environment["MODEL_PACKAGE_GROUP_ARN"],
            execution_role_arn=environment["EXECUTION_ROLE_ARN"],
            production_variant=json.loads(environment["PRODUCTION_VARIANT"]),
            data_capture_config=json.loads(environment["DATA_CAPTURE_CONFIG"]),
            deployment_config=json.loads(environment["DEPLOYMENT_CONFIG"]),
            check_min_auc=float(minimum) if minimum else None,
            monitoring=json.loads(monitoring) if monitoring else None,
        )

    def triggered_by(self, event: Mapping[str, Any]) -> bool:
        """Whether the event is one of the function's: a status change of a version of the
        group, or a state change of the endpoint."""
        detail = event.get("detail", {})
        if event.get("detail-type") == "SageMaker Endpoint State Change":
            return detail.get("EndpointName") == self.endpoint_name
        group = self.model_package_group_arn.rsplit("/", 1)[-1]
        return (
            event.get("detail-type") == "SageMaker Model Package State Change"
            and event.get("account") == self.model_package_group_arn.split(":")[4]
            and detail.get("ModelPackageGroupName") == group
        )


def _code(error: Exception) -> str | None:
    return getattr(error, "response", {}).get("Error", {}).get("Code")


def _missing(error: Exception) -> bool:
    """SageMaker answers a Describe* of a name that does not exist with a ValidationException
    (endpoints, their configs, models) or ResourceNotFound (Model Monitor's)."""
    response = getattr(error, "response", {})
    return _code(error) == "ResourceNotFound" or (
        _code(error) == "ValidationException"
        and any(
            words in response["Error"].get("Message", "")
            for words in ("Could not find", "does not exist")
        )
    )


def _described(describe: Any, **name: str) -> dict[str, Any] | None:
    try:
        return describe(**name)
    except Exception as error:  # botocore's ClientError: the client's own class
        if _missing(error):
            return None
        raise


def _version_served(endpoint: Mapping[str, Any]) -> int:
    """The version whose config (`<endpoint>-v<version>`) the endpoint serves; 0 for another."""
    found = re.search(r"-v([0-9]+)$", endpoint["EndpointConfigName"])
    return int(found[1]) if found else 0


def approved_versions(sagemaker: Any, group_arn: str) -> list[dict[str, Any]]:
    """The group's approved versions, newest first (versions are numbered in creation order),
    from every page."""
    pages = sagemaker.get_paginator("list_model_packages").paginate(
        ModelPackageGroupName=group_arn, ModelApprovalStatus="Approved"
    )
    versions = [
        summary
        for page in pages
        for summary in page["ModelPackageSummaryList"]
        if "ModelPackageVersion" in summary  # a versioned package: the group's
    ]
    return sorted(versions, key=lambda summary: summary["ModelPackageVersion"], reverse=True)


@dataclass
class Clients:
    """What the function calls: SageMaker; for the check, the endpoint and the held-out data."""

    sagemaker: Any
    runtime: Any = None
    s3: Any = None


def deploy(
    sagemaker: Any, settings: Settings, event: Mapping[str, Any], clients: Clients | None = None
) -> dict[str, str]:
    """Make the endpoint serve the group's newest approved version not held (checking it once
    it serves); return what was done (for the function's log)."""
    clients = clients or Clients(sagemaker)
    if not settings.triggered_by(event):
        raise NotDeployable(
            f"{event.get('detail-type', 'an event')} of {json.dumps(event.get('detail', {}))[:200]}"
            f" is neither a status change of a version of {settings.model_package_group_arn} "
            f"nor a state change of {settings.endpoint_name}"
        )
    approved = approved_versions(sagemaker, settings.model_package_group_arn)
    if not approved:
        return {"skipped": f"no approved version in {settings.model_package_group_arn}"}
    endpoint = _described(sagemaker.describe_endpoint, EndpointName=settings.endpoint_name)
    if endpoint is not None and endpoint["EndpointStatus"] in BROKEN:
        name = f"{settings.endpoint_name}-v{approved[0]['ModelPackageVersion']}"
        raise NotDeployable(
            f"{settings.endpoint_name} is {endpoint['EndpointStatus']} "
            f"({endpoint.get('FailureReason', 'no reason given')}): {name} is not deployed; "
            "only deleting it is possible (a new approval or rollback then creates it again)"
        )
    served = _version_served(endpoint) if endpoint is not None else 0
    held: dict[str, str] = {}
    for summary in approved:
        name = f"{settings.endpoint_name}-v{summary['ModelPackageVersion']}"
        if endpoint is not None and endpoint["EndpointConfigName"] == name:
            done = {"unchanged": settings.endpoint_name, "config": name}
            if endpoint["EndpointStatus"] != "InService":
                return _with(done, held)
            # The version's metadata, read once for the check and the monitoring.
            version = _Version(sagemaker, summary["ModelPackageArn"])
            if settings.check_min_auc is not None:
                result = _checked(clients, settings, version, endpoint["EndpointArn"], name)
                if result.startswith("failed"):
                    held[name] = f"its check after the deployment {result}"
                    continue
                done["check"] = result
            if settings.monitoring is not None:
                done["monitoring"] = _monitored(sagemaker, settings, version, name)
            return _with(done, held)
        if endpoint is not None and endpoint["EndpointStatus"] in BUSY:
            return _with(
                {"waiting": settings.endpoint_name, "status": endpoint["EndpointStatus"]}
                | {"config": name},
                held,
            )
        config = _described(sagemaker.describe_endpoint_config, EndpointConfigName=name)
        if (
            endpoint is not None
            and config is not None
            and summary["ModelPackageVersion"] > served
            and endpoint["LastModifiedTime"] > config["CreationTime"]
        ):
            # The endpoint changed after this version's config was made, and does not serve
            # it: a deployment of it ended without it (an alarm rolled it back). Deploying it
            # again would roll back again, and its end would run this again: people decide.
            held[name] = f"was rolled back from {settings.endpoint_name} (an alarm, or its check)"
            continue
        return _with(_deployed(sagemaker, settings, summary, name, endpoint, config), held)
    serving = endpoint["EndpointConfigName"] if endpoint is not None else "none"
    return _with({"unchanged": settings.endpoint_name, "config": serving}, held)


def _with(done: dict[str, str], held: Mapping[str, str]) -> dict[str, str]:
    """What was done, and the versions held (newest first): people decide about them."""
    if not held:
        return done
    reasons = "; ".join(f"{name} {why}" for name, why in held.items())
    return {**done, "held": ", ".join(held), "reason": f"{reasons}: reject it or approve a newer"}


def _deployed(
    sagemaker: Any,
    settings: Settings,
    summary: Mapping[str, Any],
    name: str,
    endpoint: Mapping[str, Any] | None,
    config: Mapping[str, Any] | None,
) -> dict[str, str]:
    """Create the version's model and endpoint config if absent, then the endpoint, or update
    it blue/green."""
    if _described(sagemaker.describe_model, ModelName=name) is None:
        sagemaker.create_model(
            ModelName=name,
            Containers=[{"ModelPackageName": summary["ModelPackageArn"]}],
            ExecutionRoleArn=settings.execution_role_arn,
        )
    if config is None:
        capture = settings.data_capture_config
        sagemaker.create_endpoint_config(
            EndpointConfigName=name,
            ProductionVariants=[{**settings.production_variant, "ModelName": name}],
            **({} if capture is None else {"DataCaptureConfig": capture}),
        )
    if endpoint is None:
        sagemaker.create_endpoint(EndpointName=settings.endpoint_name, EndpointConfigName=name)
        return {"created": settings.endpoint_name, "config": name}
    try:
        sagemaker.update_endpoint(
            EndpointName=settings.endpoint_name,
            EndpointConfigName=name,
            DeploymentConfig=settings.deployment_config,
        )
    except Exception as error:
        # Another run started a deployment since: its end runs this again.
        message = getattr(error, "response", {}).get("Error", {}).get("Message", "")
        if "Cannot update in-progress endpoint" not in message:
            raise
        return {"waiting": settings.endpoint_name, "status": "Updating", "config": name}
    return {"updated": settings.endpoint_name, "config": name}


@dataclass
class _Version:
    """A version of the group, described (DescribeModelPackage) once, when first needed."""

    sagemaker: Any
    arn: str
    _described: dict[str, Any] | None = None

    def described(self) -> dict[str, Any]:
        if self._described is None:
            self._described = self.sagemaker.describe_model_package(ModelPackageName=self.arn)
        return self._described


def analyzer_image(region: str) -> str | None:
    """Model Monitor's analyzer image in the region, as the SageMaker Python SDK retrieves it
    (untagged: the latest); None where there is none."""
    [config] = json.loads(ANALYZER_IMAGES.read_text())["versions"].values()
    account = config["registries"].get(region)
    if account is None or config["repository"] != ANALYZER_REPOSITORY:
        return None
    return f"{account}.dkr.ecr.{region}.amazonaws.com/{ANALYZER_REPOSITORY}"


def _monitored(sagemaker: Any, settings: Settings, version: _Version, name: str) -> str:
    """Point the endpoint's data-quality schedule at the served version's baseline (its job
    definition `<endpoint>-v<version>`, created once; the schedule created or updated)."""
    monitoring = settings.monitoring or {}
    schedule_name = monitoring["ScheduleName"]
    if _described(sagemaker.describe_data_quality_job_definition, JobDefinitionName=name) is None:
        baseline = (version.described().get("DriftCheckBaselines") or {}).get(
            "ModelDataQuality"
        ) or {}
        if "Constraints" not in baseline:
            return "none: the version records no data-quality baseline (DriftCheckBaselines)"
        image = analyzer_image(sagemaker.meta.region_name)
        if image is None:
            return f"none: Model Monitor has no analyzer image in {sagemaker.meta.region_name}"
        resources = {"ConstraintsResource": "Constraints", "StatisticsResource": "Statistics"}
        try:
            sagemaker.create_data_quality_job_definition(
                JobDefinitionName=name,
                DataQualityBaselineConfig={
                    resource: {"S3Uri": baseline[kind]["S3Uri"]}
                    for resource, kind in resources.items()
                    if kind in baseline
                },
                DataQualityAppSpecification={"ImageUri": image},
                RoleArn=settings.execution_role_arn,
                **monitoring["JobDefinition"],
            )
        except Exception as error:  # botocore's ClientError: the client's own class
            if _code(error) != "ResourceInUse":  # another run made it meanwhile
                raise
    config = {
        "ScheduleConfig": {"ScheduleExpression": monitoring["ScheduleExpression"]},
        "MonitoringJobDefinitionName": name,
        "MonitoringType": "DataQuality",
    }
    schedule = _described(
        sagemaker.describe_monitoring_schedule, MonitoringScheduleName=schedule_name
    )
    if schedule is None:
        try:
            sagemaker.create_monitoring_schedule(
                MonitoringScheduleName=schedule_name, MonitoringScheduleConfig=config
            )
            return f"{schedule_name} created, on the baseline of {name}"
        except Exception as error:  # botocore's ClientError: the client's own class
            if _code(error) != "ResourceInUse":  # another run created it meanwhile: set it
                raise
    elif schedule["MonitoringScheduleConfig"] == config:
        return f"{schedule_name}, on the baseline of {name}"
    # On another version's baseline, or at another time than the module now asks.
    sagemaker.update_monitoring_schedule(
        MonitoringScheduleName=schedule_name, MonitoringScheduleConfig=config
    )
    return f"{schedule_name} moved to the baseline of {name}"


def config_arn(endpoint_arn: str, config_name: str) -> str:
    """The ARN of one of the endpoint's configs (its account's; SageMaker writes names
    lowercase in ARNs)."""
    return f"{endpoint_arn.rsplit(':endpoint/', 1)[0]}:endpoint-config/{config_name.lower()}"


def recorded_check(sagemaker: Any, arn: str) -> str | None:
    """The check recorded on an endpoint config (None: none)."""
    tags = sagemaker.list_tags(ResourceArn=arn).get("Tags", [])
    return next((tag["Value"] for tag in tags if tag["Key"] == CHECK_TAG), None)


def _checked(
    clients: Clients, settings: Settings, version: _Version, endpoint_arn: str, name: str
) -> str:
    """The result of the check of the version the endpoint serves: the one recorded on its
    endpoint config, or the check's, run now and recorded."""
    arn = config_arn(endpoint_arn, name)
    recorded = recorded_check(clients.sagemaker, arn)
    if recorded is not None:
        return recorded
    result = _TAG_VALUE.sub(" ", _check(clients, settings, version))[:_TAG_LENGTH]
    clients.sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": CHECK_TAG, "Value": result}])
    return result


def _check(clients: Clients, settings: Settings, version: _Version) -> str:
    """Send the endpoint the first rows of the version's held-out split; passed or failed, and
    why, in words."""
    uri = (version.described().get("CustomerMetadataProperties") or {}).get(HELD_OUT, "")
    if not uri.startswith("s3://"):
        return f"skipped: the version records no held-out split ({HELD_OUT})"
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    key = f"{prefix.rstrip('/')}/{HELD_OUT_FILE}"
    try:
        text = clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    except Exception as error:  # botocore's ClientError: the client's own class
        response = getattr(error, "response", None)
        if response is None:
            raise
        # Recorded, not raised: a run that failed here would fail on every event after.
        return f"skipped: s3://{bucket}/{key} cannot be read: {response['Error'].get('Code')}"
    rows = [line.split(",") for line in text.splitlines() if line.strip()][:CHECK_ROWS]
    try:
        labels = [float(row[0]) for row in rows]
    except ValueError:
        return f"skipped: s3://{bucket}/{key} is not rows of a label then the features"
    if not rows:
        return f"skipped: s3://{bucket}/{key} holds no rows"
    body = "".join(",".join(row[1:]) + "\n" for row in rows).encode()
    try:
        answered = clients.runtime.invoke_endpoint(
            EndpointName=settings.endpoint_name, Body=body, ContentType="text/csv"
        )
        scores = [float(score) for score in answered["Body"].read().decode().split()]
    except ValueError:
        return "failed: the endpoint answered something other than one score per line"
    except Exception as error:  # botocore's ModelError and others: the client's own classes
        response = getattr(error, "response", None)
        if response is None:
            raise
        status = response.get("OriginalStatusCode", response["Error"].get("Code", "an error"))
        return f"failed: the endpoint answered {status} to {len(rows)} held-out rows"
    if len(scores) != len(rows) or not all(0 <= score <= 1 for score in scores):
        return f"failed: {len(scores)} answers to {len(rows)} rows not all scores from 0 to 1"
    found = auc(labels, scores)
    if found is None:
        return f"passed: {len(rows)} held-out rows answered - one class only so no AUC"
    verdict = "passed" if found >= settings.check_min_auc else "failed"
    return (
        f"{verdict}: AUC {found:.3f} on {len(rows)} held-out rows - minimum "
        f"{settings.check_min_auc:g}"
    )


def auc(labels: list[float], scores: list[float]) -> float | None:
    """The area under the ROC curve: the chance that a positive row scores above a negative
    one (ties count half); None with one class only."""
    positives = [s for label, s in zip(labels, scores, strict=True) if label == 1]
    negatives = [s for label, s in zip(labels, scores, strict=True) if label != 1]
    if not positives or not negatives:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def handler(event: dict, context: object) -> dict[str, str]:
    sagemaker = boto3.client("sagemaker")
    clients = Clients(sagemaker, boto3.client("sagemaker-runtime"), boto3.client("s3"))
    return deploy(sagemaker, Settings.from_environment(os.environ), event, clients)
