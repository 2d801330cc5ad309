"""Model Monitor's scheduler, as the local AWS stands in for it: an hour comes, and each
monitoring schedule of an account runs an execution over the data its endpoint captured.

On AWS a schedule (`cron(0 * ? * * *)`: hourly) starts a processing job at its hour, in Model
Monitor's analyzer image, as its job definition's role, over the previous hour's captured data.
Locally nothing runs by the clock: `hour_passes` is that hour coming now, for every schedule in
service, over what was captured since the schedule's previous execution (or its creation). The
run follows Model Monitor's documented contract:
- the role's credentials, as SageMaker gets them (its trust must admit SageMaker);
- as that role: the captured files of the endpoint
  (`<capture>/<endpoint>/<variant>/yyyy/mm/dd/hh/`) listed and read, the baseline's statistics
  and constraints read, the analyzer run (glue/local/model_monitor.py, `sagemakerCaptureJson`),
  its statistics, constraints and violations written under
  `<output>/<endpoint>/<schedule>/yyyy/mm/dd/hh/` with the job definition's key;
- the execution `Completed`, `CompletedWithViolations`, or `Failed` with its reason ("Job inputs
  had no data" when nothing was captured), recorded on the schedule.
"""

from __future__ import annotations

import datetime
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from glue.aws import client
from glue.endpoints import reports_uri
from glue.errors import MlopsError
from glue.local import model_monitor
from glue.local.emulator.control import Emulator, record_monitoring_execution
from glue.local.services import as_aws, as_service

# The captured file's name starts with the minute, second and millisecond of its first record
# (the hour is its folder): when it was captured.
_CAPTURED_AT = re.compile(r"(\d{4})/(\d{2})/(\d{2})/(\d{2})/(\d{2})-(\d{2})-(\d{3})[^/]*\.jsonl$")
NO_DATA = "Job inputs had no data"


def _split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def captured_at(key: str) -> datetime.datetime | None:
    """When a captured file was written, from its key (None: not a captured file)."""
    found = _CAPTURED_AT.search(key)
    if found is None:
        return None
    year, month, day, hour, minute, second, milli = map(int, found.groups())
    return datetime.datetime(
        year, month, day, hour, minute, second, milli * 1000, tzinfo=datetime.timezone.utc
    )


@dataclass(frozen=True)
class Execution:
    """One execution: its summary (as ListMonitoringExecutions shows it), and the violations
    its report holds."""

    summary: dict[str, Any]
    violations: list[dict[str, str]]

    @property
    def status(self) -> str:
        return self.summary["MonitoringExecutionStatus"]

    def __str__(self) -> str:
        if self.status == "Failed":
            return f"Failed: {self.summary['FailureReason']}"
        checks = sorted({v["constraint_check_type"] for v in self.violations})
        features = sorted({v["feature_name"] for v in self.violations})
        found = f": {', '.join(checks)} of {', '.join(features)}" if self.violations else ""
        return (
            f"{self.status} against {self.summary['MonitoringJobDefinitionName']}'s baseline{found}"
        )


def hour_passes(emulator: Emulator, account: str, region: str) -> list[Execution]:
    """Run an execution of each of the account's schedules in service."""
    sagemaker = client(as_aws(emulator, account, region), "sagemaker", emulator)
    pages = sagemaker.get_paginator("list_monitoring_schedules").paginate(StatusEquals="Scheduled")
    names = [
        s["MonitoringScheduleName"] for page in pages for s in page["MonitoringScheduleSummaries"]
    ]
    executions = []
    for name in sorted(names):
        try:
            schedule = sagemaker.describe_monitoring_schedule(MonitoringScheduleName=name)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFound":
                raise
            continue  # deleted since it was listed: it has no hour any more
        execution = _execution(emulator, sagemaker, schedule, region)
        record_monitoring_execution(emulator, account, region, execution.summary)
        executions.append(execution)
    return executions


def _execution(emulator: Emulator, sagemaker, schedule: dict[str, Any], region: str) -> Execution:
    now = datetime.datetime.now(datetime.timezone.utc)
    config = schedule["MonitoringScheduleConfig"]
    last = schedule.get("LastMonitoringExecutionSummary")
    since = last["ScheduledTime"] if last else schedule["CreationTime"]
    summary: dict[str, Any] = {
        "MonitoringScheduleName": schedule["MonitoringScheduleName"],
        "ScheduledTime": now.isoformat(),
        "MonitoringJobDefinitionName": config["MonitoringJobDefinitionName"],
    }
    try:
        definition = sagemaker.describe_data_quality_job_definition(
            JobDefinitionName=config["MonitoringJobDefinitionName"]
        )
        # What SageMaker knows of the endpoint: where it captures (its config's).
        endpoint = sagemaker.describe_endpoint(EndpointName=schedule["EndpointName"])
        capture = (
            sagemaker.describe_endpoint_config(
                EndpointConfigName=endpoint["EndpointConfigName"]
            ).get("DataCaptureConfig")
            or {}
        )
        found = _analyzed(emulator, schedule, definition, capture, (since, now), region)
    except (model_monitor.AnalyzerError, ClientError, BotoCoreError, MlopsError) as error:
        # (MlopsError: SageMaker cannot act as the role, its trust admitting it not.)
        reason = getattr(error, "response", {}).get("Error", {}).get("Message") or str(error)
        failed = {"MonitoringExecutionStatus": "Failed", "FailureReason": reason[:1024]}
        return Execution(summary | failed, [])
    if found is None:
        failed = {"MonitoringExecutionStatus": "Failed", "FailureReason": NO_DATA}
        return Execution(summary | failed, [])
    status = "CompletedWithViolations" if found else "Completed"
    return Execution(summary | {"MonitoringExecutionStatus": status}, found)


def _analyzed(
    emulator: Emulator,
    schedule: dict[str, Any],
    definition: dict[str, Any],
    capture: dict[str, Any],
    window: tuple[datetime.datetime, datetime.datetime],
    region: str,
) -> list[dict[str, str]] | None:
    """The analyzer's violations over what the endpoint captured in the window [since, now),
    run as the job definition's role (None: nothing was captured)."""
    since, now = window
    session = as_service(
        emulator,
        "sagemaker.amazonaws.com",
        definition["RoleArn"],
        region,
        f"monitoring-{schedule['MonitoringScheduleName']}",
        schedule["MonitoringScheduleArn"],
    )
    s3 = client(session, "s3", emulator)
    endpoint = schedule["EndpointName"]
    if not capture.get("EnableCapture"):
        return None
    bucket, prefix = _split(capture["DestinationS3Uri"])
    captured_prefix = f"{prefix.strip('/')}/{endpoint}/".lstrip("/")
    with tempfile.TemporaryDirectory(prefix="mlops-monitoring-") as scratch:
        base = Path(scratch)
        dataset = base / "endpointdata"
        found = False
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=captured_prefix)
        for page in pages:
            for item in page.get("Contents", []):
                at = captured_at(item["Key"])
                if at is None or not since <= at < now:
                    continue
                target = dataset / item["Key"][len(captured_prefix) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(bucket, item["Key"], str(target))
                found = True
        if not found:
            return None
        environment = {
            "dataset_format": '{"sagemakerCaptureJson": {"captureIndexNames": '
            '["endpointInput", "endpointOutput"]}}',
            "dataset_source": str(dataset),
            "output_path": str(base / "resultdata"),
            "sagemaker_endpoint_name": endpoint,
            "sagemaker_monitoring_schedule_name": schedule["MonitoringScheduleName"],
            "start_time": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end_time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "publish_cloudwatch_metrics": "Disabled",
        }
        baseline = definition.get("DataQualityBaselineConfig", {})
        for kind, resource in (
            ("statistics", "StatisticsResource"),
            ("constraints", "ConstraintsResource"),
        ):
            uri = baseline.get(resource, {}).get("S3Uri")
            if uri:
                target = base / "baseline" / f"{kind}.json"
                target.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(*_split(uri), str(target))
                environment[f"baseline_{kind}"] = str(target)
        violations = model_monitor.analyze(environment)
        _upload(s3, base / "resultdata", definition, endpoint, schedule, now)
    return violations or []


def _upload(s3, folder: Path, definition: dict, endpoint: str, schedule: dict, now) -> None:
    bucket, prefix = _split(
        reports_uri(definition, schedule["MonitoringScheduleName"], endpoint, now)
    )
    key_id = definition["DataQualityJobOutputConfig"].get("KmsKeyId")
    extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key_id} if key_id else {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        s3.upload_file(str(path), bucket, f"{prefix}/{path.name}", ExtraArgs=extra)
