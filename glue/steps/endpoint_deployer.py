"""Lambda handler of a stage's real-time endpoint: deploys the version an approval names.

EventBridge starts it on the approval of a version of the stage's group (the event the registry
forwards). For that version it creates a model (from the version's model package, run as the
stage's execution role) and an endpoint config (the production variant and data capture that
modules/realtime-endpoint computed), then creates the endpoint or updates it with the module's
deployment config: SageMaker's blue/green update, rolled back by the module's alarms.

Repeating an event changes nothing: the model and the endpoint config are named after the
version and created only if absent, and an endpoint already on that config is left alone.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3

# The image this script runs in (its Python and packages: glue/steps/images.json).
IMAGE = "lambda:python3.12"

# An endpoint SageMaker is still creating or updating takes no other update: the invocation
# fails, and Lambda retries it (twice, minutes apart) once that deployment has ended.
BUSY = ("Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting")


class NotDeployable(Exception):
    """The event names nothing this function may deploy, or the endpoint cannot take it now."""


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

    def owns(self, model_package_arn: str) -> bool:
        """Whether a version ARN (arn:...:model-package/<group>/<version>) is of the group."""
        versions = self.model_package_group_arn.replace(":model-package-group/", ":model-package/")
        return model_package_arn.lower().startswith(f"{versions.lower()}/")


def _missing(error: Exception) -> bool:
    """SageMaker answers a Describe* of a name that does not exist with a ValidationException."""
    response = getattr(error, "response", {})
    return response.get("Error", {}).get("Code") == "ValidationException" and any(
        words in response["Error"].get("Message", "")
        for words in ("Could not find", "does not exist")
    )


def _exists(describe: Any, **name: str) -> bool:
    try:
        describe(**name)
    except Exception as error:  # botocore's ClientError: the client's own class
        if _missing(error):
            return False
        raise
    return True


def deploy(sagemaker: Any, settings: Settings, event: Mapping[str, Any]) -> dict[str, str]:
    """Deploy the version the approval names; return what was done (for the function's log)."""
    package_arn = event.get("detail", {}).get("ModelPackageArn", "")
    if not settings.owns(package_arn):
        raise NotDeployable(
            f"{package_arn or 'an event without a ModelPackageArn'} is not a version of "
            f"{settings.model_package_group_arn}: only that group's versions serve here"
        )
    described = sagemaker.describe_model_package(ModelPackageName=package_arn)
    if described["ModelApprovalStatus"] != "Approved":
        # Approved, then rejected before this ran: what serves stays.
        return {"skipped": f"{package_arn} is {described['ModelApprovalStatus']}, not Approved"}
    name = f"{settings.endpoint_name}-v{described['ModelPackageVersion']}"
    if not _exists(sagemaker.describe_model, ModelName=name):
        sagemaker.create_model(
            ModelName=name,
            Containers=[{"ModelPackageName": package_arn}],
            ExecutionRoleArn=settings.execution_role_arn,
        )
    if not _exists(sagemaker.describe_endpoint_config, EndpointConfigName=name):
        capture = settings.data_capture_config
        sagemaker.create_endpoint_config(
            EndpointConfigName=name,
            ProductionVariants=[{**settings.production_variant, "ModelName": name}],
            **({} if capture is None else {"DataCaptureConfig": capture}),
        )
    try:
        endpoint = sagemaker.describe_endpoint(EndpointName=settings.endpoint_name)
    except Exception as error:
        if not _missing(error):
            raise
        sagemaker.create_endpoint(EndpointName=settings.endpoint_name, EndpointConfigName=name)
        return {"created": settings.endpoint_name, "config": name}
    if endpoint["EndpointConfigName"] == name:
        return {"unchanged": settings.endpoint_name, "config": name}
    if endpoint["EndpointStatus"] in BUSY:
        raise NotDeployable(
            f"{settings.endpoint_name} is {endpoint['EndpointStatus']}: {name} is deployed when "
            "Lambda retries this event"
        )
    sagemaker.update_endpoint(
        EndpointName=settings.endpoint_name,
        EndpointConfigName=name,
        DeploymentConfig=settings.deployment_config,
    )
    return {"updated": settings.endpoint_name, "config": name}


def handler(event: dict, context: object) -> dict[str, str]:
    return deploy(boto3.client("sagemaker"), Settings.from_environment(os.environ), event)
