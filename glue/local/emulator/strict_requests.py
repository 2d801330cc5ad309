"""Refuse, before moto sees it, every request AWS would refuse for a constraint of its model.

moto checks almost none of the `pattern`, length, `enum` and range constraints of botocore's
service models; AWS checks all of them. Each backend app of the emulator gets a hook that parses
the request with moto's own protocol parsers (JSON, query, REST-JSON, REST-XML), checks the
parameters with `glue.service_model`, and answers a violation as AWS does: HTTP 400 with the
protocol's error body (`ValidationException` for JSON protocols, `ValidationError` for query)
and the message naming every member and rule. Terraform's calls, the glue's and the local
runner's go through it alike.

`MLOPS_EMULATOR_STRICT=0` turns it off (to measure what it costs).
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from typing import Any

from flask import Flask, Response, request
from moto.core.parse import PROTOCOL_PARSERS
from moto.core.request import determine_request_protocol
from moto.core.routing import get_service_router
from moto.core.utils import get_service_model
from werkzeug.exceptions import NotFound

from glue import service_model
from glue.local.emulator import authorization

STRICT_ENV = "MLOPS_EMULATOR_STRICT"
_LOG = logging.getLogger(__name__)


def enabled() -> bool:
    return os.environ.get(STRICT_ENV, "1") != "0"


def _error_response(protocol: str, text: str) -> Response:
    request_id = str(uuid.uuid4())
    if protocol in ("query", "ec2"):
        body = (
            '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error>'
            "<Type>Sender</Type><Code>ValidationError</Code>"
            f"<Message>{_xml(text)}</Message></Error><RequestId>{request_id}</RequestId>"
            "</ErrorResponse>"
        )
        return Response(body, status=400, content_type="text/xml")
    if protocol == "rest-xml":
        body = (
            f"<Error><Code>InvalidArgument</Code><Message>{_xml(text)}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
        return Response(body, status=400, content_type="application/xml")
    body = json.dumps({"__type": "ValidationException", "message": text})
    return Response(
        body,
        status=400,
        content_type="application/x-amz-json-1.1",
        headers={"x-amzn-ErrorType": "ValidationException", "x-amzn-RequestId": request_id},
    )


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# moto's name of a service -> botocore's, where they differ (without it, a service's requests
# would be neither checked nor authorized).
BOTOCORE_NAMES = {"awslambda": "lambda", "sagemakerruntime": "sagemaker-runtime"}


def parameters(service: str) -> tuple[str, str, dict[str, Any]] | None:
    """The request's operation, protocol and parsed parameters (None: not an API call)."""
    service = BOTOCORE_NAMES.get(service, service)
    model = get_service_model(service)
    protocol = determine_request_protocol(model, request.content_type)
    try:
        operation, uri_params = get_service_router(service).match(request)
    except (NotFound, NotImplementedError):
        return None
    parser = PROTOCOL_PARSERS[protocol](operation)
    parsed = parser.parse(
        {
            "method": request.method,
            "values": request.values,
            "headers": request.headers,
            "body": request.data,
            "url_path": request.path,
            "url_params": uri_params,
        }
    )
    return operation.name, protocol, dict(parsed)


def _refuse_invalid(service: str, found: tuple[str, str, dict[str, Any]]) -> Response | None:
    operation, protocol, parsed = found
    violations = service_model.request_violations(
        BOTOCORE_NAMES.get(service, service), operation, parsed
    )
    if not violations:
        return None
    text = service_model.message(violations)
    _LOG.warning("strict requests: refused %s.%s: %s", service, operation, text)
    return _error_response(protocol, text)


def _checked(service: str) -> Response | None:
    """The request's checks, in AWS's order: its constraints, then its authorization."""
    try:
        found = parameters(service)
    except Exception as error:  # moto's own handler will answer what it cannot parse
        _LOG.debug("strict requests: %s request not parsed: %s", service, error)
        return None
    if found is None:
        return None
    if enabled():
        refused = _refuse_invalid(service, found)
        if refused is not None:
            return refused
    return authorization.authorize(service, found)


def strict_backend_app(create_backend_app: Any):
    """Wrap moto's backend-app factory so that every app it creates checks its requests:
    constraints (unless MLOPS_EMULATOR_STRICT=0) and authorization (authorization.mode())."""

    def create(service: str) -> Flask:
        app = create_backend_app(service)
        if _has_model(service) and (enabled() or authorization.mode() != "off"):
            app.before_request(lambda: _checked(service))
        return app

    return create


def _has_model(service: str) -> bool:
    try:
        service_model.service_model(BOTOCORE_NAMES.get(service, service))
    except Exception:  # moto's own endpoints (moto_api) and services botocore does not know
        return False
    return True
