"""Model Monitor's schedules of real-time endpoints, on the emulator this project starts.

moto 5.2.5 has data-quality job definitions (and replaces one created twice, where AWS refuses
it) but no monitoring schedule: CreateMonitoringSchedule, DescribeMonitoringSchedule,
UpdateMonitoringSchedule, DeleteMonitoringSchedule, ListMonitoringSchedules and
ListMonitoringExecutions are added here, in the shapes of botocore's service model.

A schedule here is `Scheduled` as soon as it is created (AWS: `Pending` for a moment), and its
executions do not run by the clock: the local stand-in for SageMaker's scheduler
(glue/local/monitoring.py) runs them when told that the hour has come, as the job definition's
role, and records each here (control.MONITORING_EXECUTIONS_PATH), where ListMonitoringExecutions
and the schedule's LastMonitoringExecutionSummary show it.
"""

from __future__ import annotations

import datetime
import json
import re
import threading
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError
from moto.sagemaker.models import SageMakerModelBackend, sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import arn_formatter

_PARTITION = "aws"
_ATTRIBUTE = "_mlops_monitoring_schedules"
_LOCK = threading.Lock()
# The schedules Model Monitor takes (its guide, "Schedule monitoring jobs"): hourly, every N
# hours from an hour, daily at an hour (its one-time NOW runs are not emulated).
_CRON = re.compile(r"cron\(0 (\*|([01]?[0-9]|2[0-3])(/([1-9]|1[0-9]|2[0-4]))?) \? \* \* \*\)")
_TYPES = {"DataQuality": "data_quality_job_definitions"}


def _schedules(backend: SageMakerModelBackend) -> dict[str, dict[str, Any]]:
    if not hasattr(backend, _ATTRIBUTE):
        setattr(backend, _ATTRIBUTE, {})
    return getattr(backend, _ATTRIBUTE)


def _found(backend: SageMakerModelBackend, name: str) -> dict[str, Any]:
    schedule = _schedules(backend).get(name)
    if schedule is None:
        arn = arn_formatter("monitoring-schedule", name, backend.account_id, backend.region_name)
        raise ResourceNotFound(f"Monitoring Schedule {arn} does not exist.")
    return schedule


def _endpoint_of(backend: SageMakerModelBackend, config: dict[str, Any]) -> str:
    """The endpoint the schedule's job definition monitors (the definition must exist);
    refused for what is not emulated, and for a schedule Model Monitor does not take."""
    kind = config.get("MonitoringType")
    expression = config.get("ScheduleConfig", {}).get("ScheduleExpression", "")
    if kind not in _TYPES:
        raise ValidationError(f"MonitoringType {kind!r}: only DataQuality is emulated")
    if not _CRON.fullmatch(expression):
        raise ValidationError(
            f"Invalid schedule expression {expression!r}: Model Monitor takes "
            "cron(0 * ? * * *), cron(0 H ? * * *) or cron(0 H/N ? * * *)"
        )
    name = config.get("MonitoringJobDefinitionName")
    definition = getattr(backend, _TYPES[kind]).get(name)
    if definition is None:  # (botocore lists no ResourceNotFound for the creation)
        raise ValidationError(f"Could not find job definition {name}.")
    endpoint = definition.data_quality_job_input.get("EndpointInput", {}).get("EndpointName")
    if endpoint is None:
        raise ValidationError(f"Job definition {name} monitors no endpoint (EndpointInput)")
    return endpoint


def create(backend: SageMakerModelBackend, name: str, config: dict[str, Any]) -> str:
    with _LOCK:
        arn = arn_formatter("monitoring-schedule", name, backend.account_id, backend.region_name)
        if name in _schedules(backend):
            raise ResourceInUseException(f"Monitoring Schedule {arn} already exists.")
        endpoint = _endpoint_of(backend, config)
        now = utcnow()
        _schedules(backend)[name] = {
            "MonitoringScheduleArn": arn,
            "MonitoringScheduleName": name,
            "MonitoringScheduleStatus": "Scheduled",
            "MonitoringType": config["MonitoringType"],
            "CreationTime": now,
            "LastModifiedTime": now,
            "MonitoringScheduleConfig": config,
            "EndpointName": endpoint,
            "executions": [],
        }
        return arn


def update(backend: SageMakerModelBackend, name: str, config: dict[str, Any]) -> str:
    with _LOCK:
        schedule = _found(backend, name)
        config = {"MonitoringType": schedule["MonitoringType"], **config}
        if config["MonitoringType"] != schedule["MonitoringType"]:
            raise ValidationError("A monitoring schedule's MonitoringType cannot change")
        schedule["EndpointName"] = _endpoint_of(backend, config)
        schedule["MonitoringScheduleConfig"] = config
        schedule["LastModifiedTime"] = utcnow()
        return schedule["MonitoringScheduleArn"]


def _described(schedule: dict[str, Any]) -> dict[str, Any]:
    described = {key: value for key, value in schedule.items() if key != "executions"}
    if schedule["executions"]:
        described["LastMonitoringExecutionSummary"] = schedule["executions"][-1]
    return described


def _summary(schedule: dict[str, Any]) -> dict[str, Any]:
    config = schedule["MonitoringScheduleConfig"]
    return {
        key: schedule[key]
        for key in (
            "MonitoringScheduleName",
            "MonitoringScheduleArn",
            "CreationTime",
            "LastModifiedTime",
            "MonitoringScheduleStatus",
            "EndpointName",
            "MonitoringType",
        )
    } | {"MonitoringJobDefinitionName": config["MonitoringJobDefinitionName"]}


def _page(items: list[dict[str, Any]], params: dict[str, Any], key: str) -> dict[str, Any]:
    """One page of a listing: MaxResults (botocore: 1-100, default 10) from NextToken on."""
    token = params.get("NextToken") or "0"
    if not token.isdigit():
        raise ValidationError(f"Invalid NextToken {token!r}")
    start = int(token)
    size = int(params.get("MaxResults") or 10)
    answer: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        answer["NextToken"] = str(start + size)
    return answer


def _sorted(
    items: list[dict[str, Any]], params: dict[str, Any], fields: dict[str, str], default: str
) -> list:
    """Sorted as asked (SortBy: one of `fields`' keys, default `default`; SortOrder, default
    Descending)."""
    by = fields.get(params.get("SortBy") or default, fields[default])
    descending = params.get("SortOrder", "Descending") == "Descending"
    return sorted(items, key=lambda item: str(item.get(by, "")), reverse=descending)


def _listed(
    items: list[dict[str, Any]],
    params: dict[str, Any],
    filters: dict[str, str],
    sort_fields: dict[str, str],
    key: str,
) -> dict[str, Any]:
    """A listing's answer: the items whose fields equal the filters asked (a request member ->
    the item's field), sorted and paged as asked."""
    found = [
        item
        for item in items
        if all(item[field] == params[name] for name, field in filters.items() if name in params)
    ]
    return _page(_sorted(found, params, sort_fields, "CreationTime"), params, key)


def list_schedules(backend: SageMakerModelBackend, params: dict[str, Any]) -> dict[str, Any]:
    with _LOCK:
        found = [
            _summary(schedule)
            for schedule in _schedules(backend).values()
            if params.get("NameContains", "") in schedule["MonitoringScheduleName"]
        ]
    filters = {
        "EndpointName": "EndpointName",
        "StatusEquals": "MonitoringScheduleStatus",
        "MonitoringJobDefinitionName": "MonitoringJobDefinitionName",
        "MonitoringTypeEquals": "MonitoringType",
    }
    fields = {
        "Name": "MonitoringScheduleName",
        "CreationTime": "CreationTime",
        "Status": "MonitoringScheduleStatus",
    }
    return _listed(found, params, filters, fields, "MonitoringScheduleSummaries")


def list_executions(backend: SageMakerModelBackend, params: dict[str, Any]) -> dict[str, Any]:
    with _LOCK:
        found = [e for schedule in _schedules(backend).values() for e in schedule["executions"]]
    filters = {
        "MonitoringScheduleName": "MonitoringScheduleName",
        "EndpointName": "EndpointName",
        "StatusEquals": "MonitoringExecutionStatus",
    }
    fields = {
        "CreationTime": "CreationTime",
        "ScheduledTime": "ScheduledTime",
        "Status": "MonitoringExecutionStatus",
    }
    return _listed(found, params, filters, fields, "MonitoringExecutionSummaries")


def record_execution(body: bytes) -> dict[str, Any]:
    """Record an execution the local scheduler ran: {"account", "region", "summary"} with the
    summary as ListMonitoringExecutions answers it."""
    asked = json.loads(body)
    backend = sagemaker_backends[asked["account"]][asked["region"]]
    summary = dict(asked["summary"])
    summary["ScheduledTime"] = datetime.datetime.fromisoformat(summary["ScheduledTime"])
    with _LOCK:
        schedule = _found(backend, summary["MonitoringScheduleName"])
        now = utcnow()
        summary |= {
            "CreationTime": now,
            "LastModifiedTime": now,
            "EndpointName": schedule["EndpointName"],
            "MonitoringType": schedule["MonitoringType"],
        }
        schedule["executions"].append(summary)
    return {"recorded": summary["MonitoringScheduleName"]}


def list_definitions(backend: SageMakerModelBackend, params: dict[str, Any]) -> dict[str, Any]:
    """The data-quality job definitions, filtered as asked (moto's listing filters nothing and
    names no endpoint)."""
    found = [
        {
            "MonitoringJobDefinitionName": name,
            "MonitoringJobDefinitionArn": definition.arn,
            "CreationTime": definition.creation_time,
            "EndpointName": definition.data_quality_job_input.get("EndpointInput", {}).get(
                "EndpointName", ""
            ),
        }
        for name, definition in list(backend.data_quality_job_definitions.items())
        if params.get("NameContains", "") in name
    ]
    fields = {"Name": "MonitoringJobDefinitionName", "CreationTime": "CreationTime"}
    return _listed(
        found, params, {"EndpointName": "EndpointName"}, fields, "JobDefinitionSummaries"
    )


def _refusing_existing_definition(original: Any) -> Any:
    def create_definition(self: SageMakerModelBackend, *args: Any, **kwargs: Any) -> Any:
        name = kwargs["job_definition_name"]
        with _LOCK:  # one creation of a name, even at once
            if name in self.data_quality_job_definitions:
                arn = arn_formatter(
                    "data-quality-job-definition", name, self.account_id, self.region_name
                )
                raise ResourceInUseException(f"Job definition {arn} already exists.")
            return original(self, *args, **kwargs)

    return create_definition


def _respond(operation: Any) -> Any:
    def respond(self: SageMakerResponse) -> ActionResult:
        return ActionResult(operation(self.sagemaker_backend, json.loads(self.body or b"{}")))

    return respond


def install() -> None:
    """The schedules' operations; data-quality job definitions created once (idempotent)."""
    if getattr(SageMakerResponse, "_mlops_monitoring", False):
        return
    operations = {
        "create_monitoring_schedule": lambda backend, p: {
            "MonitoringScheduleArn": create(
                backend, p["MonitoringScheduleName"], p["MonitoringScheduleConfig"]
            )
        },
        "update_monitoring_schedule": lambda backend, p: {
            "MonitoringScheduleArn": update(
                backend, p["MonitoringScheduleName"], p["MonitoringScheduleConfig"]
            )
        },
        "describe_monitoring_schedule": lambda backend, p: _described(
            _found(backend, p["MonitoringScheduleName"])
        ),
        "delete_monitoring_schedule": lambda backend, p: _delete(
            backend, p["MonitoringScheduleName"]
        ),
        "list_monitoring_schedules": list_schedules,
        "list_monitoring_executions": list_executions,
        "list_data_quality_job_definitions": list_definitions,
    }
    for method, operation in operations.items():
        setattr(SageMakerResponse, method, _respond(operation))
    SageMakerModelBackend.create_data_quality_job_definition = _refusing_existing_definition(
        SageMakerModelBackend.create_data_quality_job_definition
    )
    SageMakerResponse._mlops_monitoring = True


def _delete(backend: SageMakerModelBackend, name: str) -> dict[str, Any]:
    with _LOCK:
        _found(backend, name)
        del _schedules(backend)[name]
    return {}
