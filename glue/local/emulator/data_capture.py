"""Data capture of real-time endpoints, as SageMaker writes it, on the emulator this project
starts (moto captures nothing).

From the SageMaker developer guide ("Capture data from real-time endpoint", "View collected
data"): an endpoint config whose DataCaptureConfig has EnableCapture captures
InitialSamplingPercentage of the invocations, each a JSON line

    {"captureData": {"endpointInput": {"observedContentType": ..., "mode": "INPUT",
     "data": ..., "encoding": "CSV"}, "endpointOutput": {...}}, "eventMetadata": {"eventId":
     ..., "inferenceTime": ...}, "eventVersion": "0"}

(the input, the output or both, as CaptureOptions say; a content type that the
CaptureContentTypeHeader names as CSV or JSON is kept as it is, anything else base64-encoded),
under `<DestinationS3Uri>/<EndpointName>/<VariantName>/yyyy/mm/dd/hh/`, encrypted with KmsKeyId.
SageMaker writes it as the model's execution role, which must be allowed to put the object (and
to use the key): here the write is authorized as that role like any request, and a write the role
may not make captures nothing (the invocation is answered all the same, as on AWS, where the
capture is lost). SageMaker gathers records into a file every few minutes; here each captured
invocation is a file of its own, and the sampling captures the share evenly (50 %: every second
invocation) rather than at random.
"""

from __future__ import annotations

import base64
import datetime
import json
import logging
import threading
import uuid
from typing import Any

from moto.s3.models import s3_backends

from glue.local.emulator.authorization import refusal
from glue.local.emulator.principals import ServiceNotTrusted, caller_for, service_credentials

_LOG = logging.getLogger(__name__)
_PARTITION = "aws"
# The execution role's credentials, per role and endpoint (SageMaker assumes it once).
_CREDENTIALS: dict[tuple[str, str], dict[str, str]] = {}
# Invocations seen per endpoint config and variant: the sampling's count.
_SEEN: dict[tuple[str, str, str], int] = {}
_COUNTING = threading.Lock()


def _sampled(account: str, config_name: str, variant: str, percent: float) -> bool:
    with _COUNTING:
        seen = _SEEN.get((account, config_name, variant), 0)
        _SEEN[(account, config_name, variant)] = seen + 1
    # Spread evenly: the invocations where the captured share reaches its next whole one.
    return int((seen + 1) * percent / 100) > int(seen * percent / 100)


def _payload(data: bytes, content_type: str, mode: str, header: dict[str, Any]) -> dict[str, str]:
    kind = content_type.split(";")[0].strip().lower()
    csv = [t.lower() for t in header.get("CsvContentTypes", [])]
    json_types = [t.lower() for t in header.get("JsonContentTypes", [])]
    if kind in csv or kind in json_types:
        text, encoding = data.decode(errors="replace"), "CSV" if kind in csv else "JSON"
    else:
        text, encoding = base64.b64encode(data).decode(), "BASE64"
    return {"observedContentType": content_type, "mode": mode, "data": text, "encoding": encoding}


def record(
    config: dict[str, Any],
    request: tuple[bytes, str],
    answer: tuple[bytes, str],
    now: datetime.datetime,
) -> dict[str, Any]:
    """The captured line of one invocation: its request and answer (data, content type)."""
    header = config.get("CaptureContentTypeHeader") or {}
    modes = {option["CaptureMode"] for option in config.get("CaptureOptions", [])}
    captured: dict[str, Any] = {}
    if "Input" in modes:
        captured["endpointInput"] = _payload(*request, "INPUT", header)
    if "Output" in modes:
        captured["endpointOutput"] = _payload(*answer, "OUTPUT", header)
    return {
        "captureData": captured,
        "eventMetadata": {
            "eventId": str(uuid.uuid4()),
            "inferenceTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "eventVersion": "0",
    }


def capture(
    account: str,
    region: str,
    endpoint: str,
    config: dict[str, Any],
    variant: dict[str, Any],
    role_arn: str,
    request: tuple[bytes, str],
    answer: tuple[bytes, str],
) -> None:
    """Capture one invocation of the endpoint as its config asks (nothing when it does not)."""
    capture_config = config.get("DataCaptureConfig") or {}
    if not capture_config.get("EnableCapture"):
        return
    percent = capture_config.get("InitialSamplingPercentage", 0)
    if not _sampled(account, config["EndpointConfigName"], variant["VariantName"], percent):
        return
    now = datetime.datetime.now(datetime.timezone.utc)
    line = json.dumps(record(capture_config, request, answer, now)) + "\n"
    bucket, _, prefix = capture_config["DestinationS3Uri"].removeprefix("s3://").partition("/")
    key = "/".join(
        part
        for part in (
            prefix.strip("/"),
            endpoint,
            variant["VariantName"],
            now.strftime("%Y/%m/%d/%H"),
            f"{now.strftime('%M-%S-%f')[:-3]}-{uuid.uuid4()}.jsonl",
        )
        if part
    )
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if capture_config.get("KmsKeyId"):
        params |= {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": capture_config["KmsKeyId"]}
    if not _allowed(account, region, endpoint, role_arn, params):
        return
    owner = s3_backends.bucket_accounts.get(bucket)  # (partition, account)
    if owner is None:
        _LOG.warning("data capture of %s: no bucket %s", endpoint, bucket)
        return
    s3_backends[owner[1]][owner[0]].put_object(
        bucket,
        key,
        line.encode(),
        encryption=params.get("ServerSideEncryption"),
        kms_key_id=params.get("SSEKMSKeyId"),
    )


def _allowed(account: str, region: str, endpoint: str, role_arn: str, params: dict) -> bool:
    """Whether the model's execution role may write the captured object, as IAM decides it
    (the put, and the key's use through S3)."""
    source = f"arn:{_PARTITION}:sagemaker:{region}:{account}:endpoint/{endpoint.lower()}"
    keys = _CREDENTIALS.get((role_arn, source))
    if keys is None:
        try:
            keys = service_credentials("sagemaker.amazonaws.com", role_arn, "data-capture", source)
        except ServiceNotTrusted as refused:
            _LOG.warning("data capture of %s: %s", endpoint, refused)
            return False
        _CREDENTIALS[(role_arn, source)] = keys
    resolved = caller_for(keys["AccessKeyId"])
    if resolved is None:
        return False
    caller, policies = resolved
    try:
        refused = refusal("s3", "PutObject", params, caller, policies, region)
    except Exception as gap:  # a gap of the authorizer: never an allow
        _LOG.error("data capture of %s: cannot authorize the write: %s", endpoint, gap)
        return False
    if refused is not None:
        _LOG.warning("data capture of %s: %s", endpoint, refused)
    return refused is None
