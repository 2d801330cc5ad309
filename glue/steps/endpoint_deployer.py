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
held, not deployed again: the rollback's own end would otherwise start it once more.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3

# The image this script runs in (its Python and packages: glue/steps/images.json).
IMAGE = "lambda:python3.12"

# An endpoint SageMaker is still creating or updating takes no other update: the end of that
# deployment (a state change of the endpoint) runs the function again.
BUSY = ("Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting")
# Only DeleteEndpoint acts on a Failed endpoint (botocore's EndpointStatus): people decide.
BROKEN = ("Failed", "UpdateRollbackFailed", "OutOfService")


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

    @classmethod
    def from_environment(cls, environment: Mapping[str, str]) -> Settings:
        return cls(
            endpoint_name=environment["ENDPOINT_NAME"],
            model_package_group_arn=environment["MODEL_PACKAGE_GROUP_ARN"],
            execution_role_arn=environment["EXECUTION_ROLE_ARN"],
            production_variant=json.loads(environment["PRODUCTION_VARIANT"]),
            data_capture_config=json.loads(environment["DATA_CAPTURE_CONFIG"]),
            deployment_config=json.loads(environment["DEPLOYMENT_CONFIG"]),
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


def _missing(error: Exception) -> bool:
    """SageMaker answers a Describe* of a name that does not exist with a ValidationException."""
    response = getattr(error, "response", {})
    return response.get("Error", {}).get("Code") == "ValidationException" and any(
        words in response["Error"].get("Message", "")
        for words in ("Could not find", "does not exist")
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


def newest_approved(sagemaker: Any, group_arn: str) -> dict[str, Any] | None:
    """The group's approved version with the highest number (versions are numbered in creation
    order), from every page; None when none is approved."""
    pages = sagemaker.get_paginator("list_model_packages").paginate(
        ModelPackageGroupName=group_arn, ModelApprovalStatus="Approved"
    )
    versions = [
        summary
        for page in pages
        for summary in page["ModelPackageSummaryList"]
        if "ModelPackageVersion" in summary  # a versioned package: the group's
    ]
    return max(versions, key=lambda summary: summary["ModelPackageVersion"], default=None)


def deploy(sagemaker: Any, settings: Settings, event: Mapping[str, Any]) -> dict[str, str]:
    """Make the endpoint serve the group's newest approved version; return what was done (for
    the function's log)."""
    if not settings.triggered_by(event):
        raise NotDeployable(
            f"{event.get('detail-type', 'an event')} of {json.dumps(event.get('detail', {}))[:200]}"
            f" is neither a status change of a version of {settings.model_package_group_arn} "
            f"nor a state change of {settings.endpoint_name}"
        )
    newest = newest_approved(sagemaker, settings.model_package_group_arn)
    if newest is None:
        return {"skipped": f"no approved version in {settings.model_package_group_arn}"}
    name = f"{settings.endpoint_name}-v{newest['ModelPackageVersion']}"
    endpoint = _described(sagemaker.describe_endpoint, EndpointName=settings.endpoint_name)
    if endpoint is not None:
        status = endpoint["EndpointStatus"]
        if status in BROKEN:
            raise NotDeployable(
                f"{settings.endpoint_name} is {status} "
                f"({endpoint.get('FailureReason', 'no reason given')}): {name} is not deployed; "
                "only deleting it is possible (a new approval or rollback then creates it again)"
            )
        if endpoint["EndpointConfigName"] == name:
            return {"unchanged": settings.endpoint_name, "config": name}
        if status in BUSY:
            return {"waiting": settings.endpoint_name, "status": status, "config": name}
    config = _described(sagemaker.describe_endpoint_config, EndpointConfigName=name)
    if (
        endpoint is not None
        and config is not None
        and newest["ModelPackageVersion"] > _version_served(endpoint)
        and endpoint["LastModifiedTime"] > config["CreationTime"]
    ):
        # The endpoint changed after this version's config was made, and does not serve it: a
        # deployment of it ended without it (an alarm rolled it back). Deploying it again would
        # roll back again, and its end would run this again: people decide.
        return {
            "held": settings.endpoint_name,
            "config": name,
            "reason": f"{name} was rolled back from {settings.endpoint_name}: reject it or "
            "approve a newer version",
        }
    if _described(sagemaker.describe_model, ModelName=name) is None:
        sagemaker.create_model(
            ModelName=name,
            Containers=[{"ModelPackageName": newest["ModelPackageArn"]}],
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


def handler(event: dict, context: object) -> dict[str, str]:
    return deploy(boto3.client("sagemaker"), Settings.from_environment(os.environ), event)
