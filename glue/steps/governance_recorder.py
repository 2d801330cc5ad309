"""Lambda handler of the registry's governance table: one item per model-package event.

EventBridge delivers every "SageMaker Model Package State Change" of the project's groups here,
at least once. Each event becomes an append-only history item keyed by the event's id, so a
redelivery writes nothing, and updates the version's current-state item unless a later change is
recorded there already. An event the table does not govern (another source or detail type, a
group not listed, a field missing or of the wrong type) raises with the reason and writes
nothing: after Lambda's retries it waits in the function's dead-letter queue.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import boto3
from botocore.exceptions import ClientError

# The image this script runs in (its Python and packages: glue/steps/images.json).
IMAGE = "lambda:python3.12"

# The function's environment, set by Terraform (modules/governance-recorder).
TABLE_VARIABLE = "GOVERNANCE_TABLE"
GROUPS_VARIABLE = "GOVERNED_GROUPS"  # JSON: {group name: stage}

DETAIL_TYPE = "SageMaker Model Package State Change"
# The table's keys: a group's items sort by version, each version's history after its current
# item, by time (a `sequence` attribute numbers a version's changes in the order recorded).
GROUP_KEY, RECORD_KEY = "model_package_group", "record"
CURRENT, EVENT = "current", "event"
# Customer metadata the pipeline's registration and the promotion write, kept as lineage.
LINEAGE = (
    "auc",
    "accuracy",
    "dataset_uri",
    "pipeline_execution",
    "training_commit",
    "source_environment",
    "source_model_package_arn",
    "promotion_commit",
)
_ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package/(.+)/([0-9]+)$")


class UngovernedEvent(ValueError):
    """An event this table does not record; the message says why."""


def version_key(version: int) -> str:
    return f"v{version:010d}"


def _text(fields: dict[str, Any], name: str, where: str = "detail.") -> str:
    value = fields.get(name)
    if not isinstance(value, str) or not value:
        raise UngovernedEvent(f"{where}{name} is missing or not a string")
    return value


def _changer(detail: dict[str, Any]) -> dict[str, Any]:
    """The UserContext of who made the change: LastModifiedBy, else (a creation) CreatedBy."""
    for field in ("LastModifiedBy", "CreatedBy"):
        user = detail.get(field)
        if isinstance(user, dict) and (user.get("IamIdentity") or user.get("UserProfileName")):
            return user
    return {}


def who(detail: dict[str, Any]) -> str | None:
    """Who made the change, when the event names them (an IAM identity or a Studio user)."""
    user = _changer(detail)
    named = (user.get("IamIdentity") or {}).get("Arn") or user.get("UserProfileName")
    return str(named) if named else None


def person(detail: dict[str, Any]) -> str | None:
    """The person behind the change: the source identity of the session that made it (the
    approver roles are assumed with one, glue/people.py)."""
    named = (_changer(detail).get("IamIdentity") or {}).get("SourceIdentity")
    return str(named) if named else None


def items(event: dict[str, Any], groups: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The history item and the current-state item of one event; UngovernedEvent if it is not
    one this table records."""
    if not isinstance(event, dict):
        raise UngovernedEvent("the event is not a JSON object")
    if event.get("source") != "aws.sagemaker" or event.get("detail-type") != DETAIL_TYPE:
        raise UngovernedEvent(
            f"not a {DETAIL_TYPE} event (source {event.get('source')!r}, "
            f"detail-type {event.get('detail-type')!r})"
        )
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise UngovernedEvent("the event has no detail object")
    event_id, time = _text(event, "id", "the event's "), _text(event, "time", "the event's ")
    group, arn = _text(detail, "ModelPackageGroupName"), _text(detail, "ModelPackageArn")
    if group not in groups:
        raise UngovernedEvent(
            f"model package group {group!r} is not governed here (governed: "
            f"{', '.join(sorted(groups)) or 'none'})"
        )
    version = detail.get("ModelPackageVersion")
    match = _ARN.match(arn)
    if (
        not isinstance(version, int)
        or version < 1
        or not match
        or match.groups()
        != (
            group,
            str(version),
        )
    ):
        raise UngovernedEvent(
            f"detail.ModelPackageVersion {version!r} and detail.ModelPackageArn {arn!r} do not "
            f"name a version of {group}"
        )
    metadata = detail.get("CustomerMetadataProperties") or {}
    statistics = (detail.get("ModelMetrics") or {}).get("ModelQuality", {}).get("Statistics", {})
    recorded = {
        GROUP_KEY: group,
        "version": version,
        "model_package_arn": arn,
        "stage": groups[group],
        "status": _text(detail, "ModelApprovalStatus"),
        "package_status": detail.get("ModelPackageStatus"),
        "comment": detail.get("ApprovalDescription"),
        "changed_at": time,
        "changed_by": who(detail),
        "source_identity": person(detail),
        "event_id": event_id,
        "generated_by": (detail.get("MetadataProperties") or {}).get("GeneratedBy"),
        "metrics_uri": statistics.get("S3Uri"),
        **{name: str(metadata[name]) for name in LINEAGE if metadata.get(name) is not None},
    }
    recorded = {name: value for name, value in recorded.items() if value not in (None, "")}
    history = {**recorded, RECORD_KEY: f"{version_key(version)}#{time}#{event_id}", "kind": EVENT}
    current = {**recorded, RECORD_KEY: version_key(version), "kind": CURRENT}
    return history, current


def _conditional_put(table: Any, item: dict[str, Any], condition: str, values: dict) -> bool:
    arguments: dict[str, Any] = {
        "Item": item,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": {"#record": RECORD_KEY},
    }
    if values:
        arguments["ExpressionAttributeValues"] = values
    try:
        table.put_item(**arguments)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def record(table: Any, groups: dict[str, str], event: dict[str, Any]) -> dict[str, Any]:
    """Write the event's items: the history item once per event id, the current item when no
    later change is recorded. Returns what was written."""
    history, current = items(event, groups)
    before = table.get_item(
        Key={GROUP_KEY: current[GROUP_KEY], RECORD_KEY: current[RECORD_KEY]}, ConsistentRead=True
    ).get("Item")
    if before:
        history["previous_status"] = current["previous_status"] = before["status"]
    # Events carry whole seconds: the sequence orders a version's changes within one second.
    history["sequence"] = current["sequence"] = int(before.get("sequence", 0) if before else 0) + 1
    if not _conditional_put(table, history, "attribute_not_exists(#record)", {}):
        return {"event_id": history["event_id"], "history": False, "current": False}
    newest = _conditional_put(
        table,
        current,
        "attribute_not_exists(#record) OR changed_at <= :changed_at",
        {":changed_at": current["changed_at"]},
    )
    return {"event_id": history["event_id"], "history": True, "current": newest}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    table = boto3.resource("dynamodb").Table(os.environ[TABLE_VARIABLE])
    return record(table, json.loads(os.environ[GROUPS_VARIABLE]), event)
