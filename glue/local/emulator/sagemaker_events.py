"""The events SageMaker emits when a model version is created or its approval status changes,
and when a real-time endpoint's state changes (`endpoint_state_change`, called by
`sagemaker_endpoints` as a deployment starts and ends).

moto emits none. Here CreateModelPackage, and an UpdateModelPackage that changes a version's
approval status, put a "SageMaker Model Package State Change" event in the outbox of the
account that owns the group, built from the version as DescribeModelPackage answers it (the
shape of the AWS documentation's sample, "Automating SageMaker with EventBridge"). The
version also records who created it and who last changed it, at every UpdateModelPackage
whether or not it changes the status (its CreatedBy / LastModifiedBy IamIdentity, as
DescribeModelPackage answers for an IAM caller: a user, or a role's session with its source
identity), and the event carries it.

EventBridge delivers asynchronously: `mlops` takes the outbox (POST /_mlops/events) and routes
each event through the rules deployed in its account (glue/local/events.py).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from moto.sagemaker.models import ModelPackage, SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse

from glue.local.emulator import principals
from glue.local.emulator.control import EVENTS_PATH

__all__ = ["EVENTS_PATH", "endpoint_state_change", "install", "state_change", "take"]
DETAIL_TYPE = "SageMaker Model Package State Change"
ENDPOINT_DETAIL_TYPE = "SageMaker Endpoint State Change"
# What DescribeModelPackage answers that the event carries.
_DETAIL_FIELDS = (
    "ModelPackageGroupName",
    "ModelPackageVersion",
    "ModelPackageArn",
    "ModelPackageDescription",
    "CreationTime",
    "InferenceSpecification",
    "ModelPackageStatus",
    "ModelPackageStatusDetails",
    "CertifyForMarketplace",
    "ModelApprovalStatus",
    "ApprovalDescription",
    "MetadataProperties",
    "ModelMetrics",
    "CustomerMetadataProperties",
    "CreatedBy",
    "LastModifiedBy",
    "LastModifiedTime",
)

_outbox: list[dict[str, Any]] = []
_outbox_lock = threading.Lock()
_caller = threading.local()


def take() -> list[dict[str, Any]]:
    """The events emitted since the last take, oldest first; the outbox is empty after."""
    with _outbox_lock:
        taken = list(_outbox)
        _outbox.clear()
    return taken


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def state_change(described: dict[str, Any]) -> dict[str, Any]:
    """The event of a version, from DescribeModelPackage's answer."""
    arn = described["ModelPackageArn"]
    _, _, _, region, account, _ = arn.split(":", 5)
    detail = {
        name: _iso(described[name]) for name in _DETAIL_FIELDS if described.get(name) is not None
    }
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": DETAIL_TYPE,
        "source": "aws.sagemaker",
        "account": account,
        "time": detail.get("LastModifiedTime") or detail["CreationTime"],
        "region": region,
        "resources": [arn],
        "detail": json.loads(json.dumps(detail, default=str)),
    }


def endpoint_state_change(described: dict[str, Any]) -> None:
    """Put the event of an endpoint's new state in the outbox, from DescribeEndpoint's answer
    (its fields as AWS's event schema for "SageMaker Endpoint State Change" names them)."""
    arn = described["EndpointArn"]
    _, _, _, region, account, _ = arn.split(":", 5)
    fields = ("EndpointName", "EndpointArn", "EndpointConfigName", "EndpointStatus")
    detail = {name: described[name] for name in fields if described.get(name) is not None}
    detail |= {name: _iso(described[name]) for name in ("CreationTime", "LastModifiedTime")}
    event = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": ENDPOINT_DETAIL_TYPE,
        "source": "aws.sagemaker",
        "account": account,
        "time": detail["LastModifiedTime"],
        "region": region,
        "resources": [arn],
        "detail": json.loads(json.dumps(detail, default=str)),
    }
    with _outbox_lock:
        _outbox.append(event)


def _caller_identity() -> dict[str, Any] | None:
    """The IAM identity of the request being served (an IAM user, or a role's session with its
    source identity if it has one), if known. An account's root user gets none: what SageMaker
    records for it is not documented."""
    access_key = getattr(_caller, "access_key", None)
    resolved = principals.caller_for(access_key) if access_key else None
    if resolved is None or resolved[0].is_root:
        return None
    caller = resolved[0]
    identity = {"Arn": caller.arn, "PrincipalId": caller.userid}
    if caller.source_identity:
        identity["SourceIdentity"] = caller.source_identity
    return {"IamIdentity": identity}


def _modified(backend: SageMakerModelBackend, arn: str, created: bool) -> ModelPackage:
    """The version, its creator (when it is new) and last modifier being the caller. (moto sets
    LastModifiedTime at each update, and LastModifiedBy to the creator.)"""
    package = backend.model_packages[backend.model_package_name_mapping.get(arn, arn)]
    identity = _caller_identity()
    if identity is not None:
        if created:
            package.created_by = identity
        package.last_modified_by = identity
    return package


def _emit(package: ModelPackage) -> None:
    event = state_change(package.gen_response_object())
    with _outbox_lock:
        _outbox.append(event)


def _emit_on_create(original: Callable) -> Callable:
    def create(self: SageMakerModelBackend, *args: Any, **kwargs: Any) -> str:
        arn = original(self, *args, **kwargs)
        _emit(_modified(self, arn, created=True))
        return arn

    return create


def _emit_on_status_change(original: Callable) -> Callable:
    """Each update records its caller; only one that changes the status emits an event."""

    def update(self: SageMakerModelBackend, **kwargs: Any) -> str:
        key = self.model_package_name_mapping.get(
            kwargs["model_package_arn"], kwargs["model_package_arn"]
        )
        existing = self.model_packages.get(key)
        before = existing.model_approval_status if existing else None
        arn = original(self, **kwargs)
        package = _modified(self, arn, created=False)
        if package.model_approval_status != before:
            _emit(package)
        return arn

    return update


def _remember_caller(original: Callable) -> Callable:
    def respond(self: SageMakerResponse) -> Any:
        _caller.access_key = self.get_access_key()
        try:
            return original(self)
        finally:
            _caller.access_key = None

    return respond


def install() -> None:
    """Emit model-package state changes (idempotent; after sagemaker_cross_account, so a call
    served by the group's owner emits in the owner's account)."""
    if getattr(SageMakerModelBackend, "_mlops_emits_events", False):
        return
    SageMakerModelBackend.create_model_package = _emit_on_create(
        SageMakerModelBackend.create_model_package
    )
    SageMakerModelBackend.update_model_package = _emit_on_status_change(
        SageMakerModelBackend.update_model_package
    )
    for action in ("create_model_package", "update_model_package"):
        setattr(SageMakerResponse, action, _remember_caller(getattr(SageMakerResponse, action)))
    SageMakerModelBackend._mlops_emits_events = True
