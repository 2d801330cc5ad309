"""InvokeEndpoint as a real-time endpoint answers it, on the emulator this project starts.

moto answers every InvokeEndpoint with a canned body, even for an endpoint that does not exist.
Here the request goes to the fleet the endpoint's deployment routes it to
(`sagemaker_endpoints`: the old fleet, or the new one for the share of the traffic it has
taken), and that fleet's model answers it: the model package's artifact read from the
emulator's S3 and served as the built-in XGBoost container serves it (glue/local/
xgboost_container.py). A request the container would refuse, or a model it cannot load, is
answered as SageMaker answers a container's error: `ModelError` (HTTP 424) with the
container's status, counted in Invocation4XXErrors or Invocation5XXErrors by that status.

An invocation answered is captured as the endpoint config's DataCaptureConfig asks
(`data_capture`: written to S3 as the model's execution role). Each invocation publishes the
endpoint's metrics to CloudWatch as SageMaker does (namespace
`AWS/SageMaker`, dimensions EndpointName and VariantName: Invocations, Invocation4XXErrors,
Invocation5XXErrors, ModelLatency in microseconds), and the alarms on the endpoint are
evaluated on them then (`alarms`), so a new version that answers 5XX trips its rollback alarm.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends
from moto.core.common_types import TYPE_RESPONSE
from moto.core.utils import utcnow
from moto.s3.models import s3_backends
from moto.sagemaker.models import sagemaker_backends
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

from glue.local import xgboost_container
from glue.local.emulator import alarms, data_capture, sagemaker_endpoints
from glue.local.xgboost_container import ContainerError

# Boosters loaded, by artifact (bucket, key, etag): a version's model is read once.
_LOADED: dict[tuple[str, str, str], Any] = {}
_LOADING = threading.Lock()


@dataclass(frozen=True)
class Container:
    image: str
    model_data_url: str


def _container(account: str, region: str, model_name: str) -> Container:
    """The serving container of a model: its own, or its model package's (in whichever
    account owns the package)."""
    model = sagemaker_backends[account][region].describe_model(model_name)
    [first, *_] = model.containers or [model.primary_container]
    package_arn = first.get("ModelPackageName")
    if package_arn:
        owner = package_arn.split(":")[4] if package_arn.startswith("arn:") else account
        package = sagemaker_backends[owner][region].describe_model_package(package_arn)
        first = package.inference_specification["Containers"][0]
    return Container(first.get("Image", ""), first.get("ModelDataUrl", ""))


def _booster(container: Container) -> Any:
    if "xgboost" not in container.image:
        raise ContainerError(
            500, f"the local AWS serves XGBoost images only, not {container.image}"
        )
    bucket, _, key = container.model_data_url.removeprefix("s3://").partition("/")
    owner = s3_backends.bucket_accounts.get(bucket)  # (partition, account)
    artifact = None
    if owner is not None:
        try:
            artifact = s3_backends[owner[1]][owner[0]].get_object(bucket, key)
        except Exception:  # moto's NoSuchKey and the like: the download fails
            artifact = None
    if artifact is None:
        raise ContainerError(500, f"cannot download {container.model_data_url}")
    cached = (bucket, key, artifact.etag)
    with _LOADING:
        if cached not in _LOADED:
            _LOADED[cached] = xgboost_container.load(artifact.value)
        return _LOADED[cached]


def _publish(account: str, region: str, endpoint: str, variant: str, status: int, micros: int):
    dimensions = [{"Name": "EndpointName", "Value": endpoint}]
    dimensions.append({"Name": "VariantName", "Value": variant})
    now = utcnow()
    values = {
        "Invocations": 1,
        "Invocation4XXErrors": int(400 <= status < 500),
        "Invocation5XXErrors": int(status >= 500),
        "ModelLatency": micros,
    }
    cloudwatch_backends[account][region].put_metric_data(
        "AWS/SageMaker",
        [
            {"MetricName": name, "Value": value, "Dimensions": dimensions, "Timestamp": now}
            for name, value in values.items()
        ],
    )


def invoke(
    account: str, region: str, name: str, body: bytes, content_type: str, accept: str
) -> TYPE_RESPONSE:
    """(HTTP status, headers, body) of InvokeEndpoint, as SageMaker answers it."""
    backend = sagemaker_backends[account][region]
    config_name = sagemaker_endpoints.routed(backend, name)
    if config_name is None:
        return _error(400, "ValidationError", f"Endpoint {name} of account {account} not found.")
    config = backend.describe_endpoint_config(config_name)
    [variant] = config["ProductionVariants"][:1]
    started = time.perf_counter()
    try:
        booster = _booster(_container(account, region, variant["ModelName"]))
        status, answer, answer_type = xgboost_container.invocation(
            booster, body, content_type, accept
        )
    except ContainerError as error:
        status, answer = error.status, str(error)
        answer_type = "text/plain"
    micros = int((time.perf_counter() - started) * 1_000_000)
    _publish(account, region, name, variant["VariantName"], status, micros)
    alarms.evaluate(account, region, name)
    if status < 400:  # what the model answered, captured as its endpoint config asks
        role = backend.describe_model(variant["ModelName"]).execution_role_arn
        request, answered = (body, content_type), (answer.encode(), answer_type)
        data_capture.capture(account, region, name, config, variant, role, request, answered)
    if status >= 400:
        message = f'Received server error ({status}) from primary with message "{answer}".'
        if status < 500:
            message = f'Received client error ({status}) from primary with message "{answer}".'
        return _error(424, "ModelError", message, OriginalStatusCode=status, OriginalMessage=answer)
    headers = {
        "Content-Type": answer_type,
        "x-Amzn-Invoked-Production-Variant": variant["VariantName"],
        "status": status,
    }
    return status, headers, answer


def _error(status: int, code: str, message: str, **more: Any) -> TYPE_RESPONSE:
    # (moto takes the status from the headers)
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": code, "status": status}
    return status, headers, json.dumps({"__type": code, "message": message, **more})


def _respond(self: SageMakerRuntimeResponse) -> TYPE_RESPONSE:
    name = self._get_params().get("EndpointName") or self.path.split("/")[2]
    content_type = self.headers.get("Content-Type", "application/octet-stream")
    accept = self.headers.get("Accept", "")
    body = self.body if isinstance(self.body, bytes) else str(self.body or "").encode()
    return invoke(self.current_account, self.region, name, body, content_type, accept)


def install() -> None:
    """InvokeEndpoint served by the endpoint's model (idempotent)."""
    SageMakerRuntimeResponse.invoke_endpoint = _respond
