"""A stage's real-time endpoint as its deployment function leaves it (glue/steps/
endpoint_deployer.py): the endpoint, its Model Monitor schedules, and a model, an endpoint config
and a data-quality job definition per version it deployed, named `<endpoint>-v<version>`.
Terraform owns the function, not these: a stage's destroy deletes them with this."""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from glue.errors import MlopsError
from glue.steps import endpoint_deployer

# An endpoint still deploying takes no DeleteEndpoint on AWS (Creating, SystemUpdating: the API
# reference): its deployment is waited for, as long as SageMaker allows one to take.
DEPLOYING = ("Creating", "Updating", "SystemUpdating", "RollingBack")
WAIT_SECONDS = 8 * 3600 + 600
POLL_SECONDS = 10.0


def missing(error: ClientError) -> bool:
    """SageMaker's answer about a name that does not exist (a ValidationException; Model
    Monitor's: ResourceNotFound)."""
    said = error.response.get("Error", {})
    return said.get("Code") == "ResourceNotFound" or "Could not find" in said.get("Message", "")


def version_of(config_name: str) -> str | None:
    """The version an endpoint config `<endpoint>-v<version>` is of (None: another config)."""
    found = re.fullmatch(r".+-v([0-9]+)", config_name)
    return found[1] if found else None


def check_of(sagemaker: Any, endpoint_arn: str, config_name: str) -> str | None:
    """The check the deployment function recorded on an endpoint config of the endpoint (None:
    not checked, or no version's config)."""
    if version_of(config_name) is None:
        return None
    return endpoint_deployer.recorded_check(
        sagemaker, endpoint_deployer.config_arn(endpoint_arn, config_name)
    )


def monitoring_of(sagemaker: Any, schedule_name: str) -> str:
    """The endpoint's Model Monitor schedule in words: the version whose baseline it checks
    against, and its last execution (with where its reports are)."""
    try:
        schedule = sagemaker.describe_monitoring_schedule(MonitoringScheduleName=schedule_name)
    except ClientError as error:
        if not missing(error):
            raise
        return f"data quality: {schedule_name} not created yet (once a version serves)"
    config = schedule["MonitoringScheduleConfig"]
    definition = config["MonitoringJobDefinitionName"]
    version = version_of(definition)
    said = (
        f"data quality: {schedule_name} {schedule['MonitoringScheduleStatus']}, "
        f"{config['ScheduleConfig']['ScheduleExpression']}, against the baseline of "
        f"{f'version {version}' if version else definition}"
    )
    last = schedule.get("LastMonitoringExecutionSummary")
    if last is None:
        return f"{said}; no execution yet"
    # (botocore gives times in this machine's zone; AWS's hours, and the reports', are UTC.)
    at = last["ScheduledTime"].astimezone(datetime.timezone.utc)
    said += f"; last execution {at:%Y-%m-%d %H:%M} UTC: {last['MonitoringExecutionStatus']}"
    if last.get("FailureReason"):
        return f"{said} ({last['FailureReason']})"
    described = sagemaker.describe_data_quality_job_definition(
        JobDefinitionName=last["MonitoringJobDefinitionName"]
    )
    reports = reports_uri(described, schedule_name, schedule["EndpointName"], at)
    return f"{said}, reports in {reports}"


def reports_uri(definition: dict[str, Any], schedule_name: str, endpoint: str, at) -> str:
    """Where an execution of a schedule on its job definition writes its reports:
    `<output>/<endpoint>/<schedule>/yyyy/mm/dd/hh` (the hour it was scheduled at, UTC)."""
    [output] = definition["DataQualityJobOutputConfig"]["MonitoringOutputs"]
    base = output["S3Output"]["S3Uri"].rstrip("/")
    return f"{base}/{endpoint}/{schedule_name}/{at:%Y/%m/%d/%H}"


def _status(sagemaker: Any, endpoint: str) -> str | None:
    try:
        return sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointStatus"]
    except ClientError as error:
        if missing(error):
            return None
        raise


def _gone(delete: Callable[[], Any]) -> bool:
    """Delete something: True when this deleted it, False when it was gone already."""
    try:
        delete()
    except ClientError as error:
        if not missing(error):
            raise
        return False
    return True


def delete(
    sagemaker: Any, endpoint: str, poll_seconds: float = POLL_SECONDS, wait: float = WAIT_SECONDS
) -> list[str]:
    """Delete the endpoint's monitoring schedules and the endpoint (once a deployment in
    progress has ended), then each endpoint config, model and data-quality job definition of
    its versions; the names deleted (none when there is nothing left: a second run deletes
    nothing)."""
    deleted = []
    schedules = [
        summary["MonitoringScheduleName"]
        for page in sagemaker.get_paginator("list_monitoring_schedules").paginate(
            EndpointName=endpoint
        )
        for summary in page["MonitoringScheduleSummaries"]
    ]
    for name in sorted(schedules):
        if _gone(lambda n=name: sagemaker.delete_monitoring_schedule(MonitoringScheduleName=n)):
            deleted.append(f"monitoring schedule {name}")
    deadline = time.monotonic() + wait
    status = _status(sagemaker, endpoint)
    while status in DEPLOYING:
        if time.monotonic() > deadline:
            raise MlopsError(f"endpoint {endpoint} is still {status}: it cannot be deleted yet")
        time.sleep(poll_seconds)
        status = _status(sagemaker, endpoint)
    if status not in (None, "Deleting") and _gone(
        lambda: sagemaker.delete_endpoint(EndpointName=endpoint)
    ):
        deleted.append(f"endpoint {endpoint}")
    versions = re.compile(rf"{re.escape(endpoint)}-v[0-9]+")
    listed = (
        ("endpoint config", "list_endpoint_configs", "EndpointConfigs", "EndpointConfigName"),
        ("model", "list_models", "Models", "ModelName"),
        (
            "data-quality job definition",
            "list_data_quality_job_definitions",
            "JobDefinitionSummaries",
            "MonitoringJobDefinitionName",
        ),
    )
    removals = {
        "endpoint config": lambda name: sagemaker.delete_endpoint_config(EndpointConfigName=name),
        "model": lambda name: sagemaker.delete_model(ModelName=name),
        "data-quality job definition": lambda name: sagemaker.delete_data_quality_job_definition(
            JobDefinitionName=name
        ),
    }
    for kind, operation, key, field in listed:
        names = [
            item[field]
            for page in sagemaker.get_paginator(operation).paginate(NameContains=endpoint)
            for item in page[key]
            if versions.fullmatch(item[field])
        ]
        for name in sorted(names):
            removals[kind](name)
            deleted.append(f"{kind} {name}")
    return deleted
