"""A stage's real-time endpoint as its deployment function leaves it (glue/steps/
endpoint_deployer.py): the endpoint, and a model and an endpoint config per version it deployed,
named `<endpoint>-v<version>`. Terraform owns the function, not these: a stage's destroy deletes
them with this."""

from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import ClientError


def _missing(error: ClientError) -> bool:
    return "Could not find" in error.response.get("Error", {}).get("Message", "")


def delete(sagemaker: Any, endpoint: str) -> list[str]:
    """Delete the endpoint, then each endpoint config and model of its versions; the names
    deleted (none when there is nothing left: a second run deletes nothing)."""
    deleted = []
    try:
        sagemaker.delete_endpoint(EndpointName=endpoint)
        deleted.append(f"endpoint {endpoint}")
    except ClientError as error:
        if not _missing(error):
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
