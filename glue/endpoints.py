"""A stage's real-time endpoint as its deployment function leaves it (glue/steps/
endpoint_deployer.py): the endpoint, and a model and an endpoint config per version it deployed,
named `<endpoint>-v<version>`. Terraform owns the function, not these: a stage's destroy deletes
them with this."""

from __future__ import annotations

import re
import time
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
    """SageMaker's answer about a name that does not exist (a ValidationException)."""
    return "Could not find" in error.response.get("Error", {}).get("Message", "")


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


def _status(sagemaker: Any, endpoint: str) -> str | None:
    try:
        return sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointStatus"]
    except ClientError as error:
        if missing(error):
            return None
        raise


def delete(
    sagemaker: Any, endpoint: str, poll_seconds: float = POLL_SECONDS, wait: float = WAIT_SECONDS
) -> list[str]:
    """Delete the endpoint (once a deployment in progress has ended), then each endpoint
    config and model of its versions; the names deleted (none when there is nothing left: a
    second run deletes nothing)."""
    deleted = []
    deadline = time.monotonic() + wait
    status = _status(sagemaker, endpoint)
    while status in DEPLOYING:
        if time.monotonic() > deadline:
            raise MlopsError(f"endpoint {endpoint} is still {status}: it cannot be deleted yet")
        time.sleep(poll_seconds)
        status = _status(sagemaker, endpoint)
    if status is not None and status != "Deleting":
        try:
            sagemaker.delete_endpoint(EndpointName=endpoint)
            deleted.append(f"endpoint {endpoint}")
        except ClientError as error:
            if not missing(error):
                raise
    versions = re.compile(rf"{re.escape(endpoint)}-v[0-9]+")
    listed = (
        ("endpoint config", "list_endpoint_configs", "EndpointConfigs", "EndpointConfigName"),
        ("model", "list_models", "Models", "ModelName"),
    )
    for kind, operation, key, field in listed:
        names = [
            item[field]
            for page in sagemaker.get_paginator(operation).paginate(NameContains=endpoint)
            for item in page[key]
            if versions.fullmatch(item[field])
        ]
        for name in sorted(names):
            if kind == "model":
                sagemaker.delete_model(ModelName=name)
            else:
                sagemaker.delete_endpoint_config(EndpointConfigName=name)
            deleted.append(f"{kind} {name}")
    return deleted
