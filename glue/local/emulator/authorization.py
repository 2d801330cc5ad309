"""The local AWS authorizes every request as IAM would, after the strict layer, before moto.

For each request: who signed it (the access key: an IAM user, a role's session, an account's
root), which actions it needs and on which resources (the IAM Service Authorization Reference,
`iam_reference`), the policies that apply (the caller's identity policies; the resource's
policy: bucket, key, role trust, model package group, event bus, topic, queue, function), and
the calls AWS makes on the caller's behalf and authorizes as the caller (`iam:PassRole` where a
role is handed to a service; `kms:GenerateDataKey` / `kms:Decrypt` for SSE-KMS objects). The
decision is `policy_evaluation.evaluate`'s. A refusal is AWS's error in the protocol's shape.

Who signed it: `principals`; what it needs: `request_checks`; the resource's policy:
`resource_policies`; every decision is recorded (`decisions`, `GET /_mlops/authorizations`).

`MLOPS_EMULATOR_IAM`: unset or `1` enforces; `audit` records and refuses nothing; `0` is off
(to measure what it costs).
"""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from typing import Any

from flask import Response, request

from glue.local.emulator import decisions, iam_reference
from glue.local.emulator.control import AUTHORIZATION_ENV as MODE_ENV
from glue.local.emulator.policy_evaluation import (
    Caller,
    Decision,
    Policy,
    Request,
    UnknownConditionKey,
    UnknownConditionOperator,
    evaluate,
)
from glue.local.emulator.principals import caller_for
from glue.local.emulator.request_checks import UnknownResource, checks_for
from glue.local.emulator.resource_policies import resource_policy

_LOG = logging.getLogger(__name__)
_ACCESS_KEY = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/")


MODES = {"1": "enforce", "enforce": "enforce", "audit": "audit", "0": "off", "off": "off"}


def mode() -> str:
    """The layer's mode from MLOPS_EMULATOR_IAM; a value it does not know stops the emulator
    from starting (server.py), rather than quietly enforcing less."""
    value = os.environ.get(MODE_ENV, "1")
    if value not in MODES:
        raise ValueError(f"{MODE_ENV}={value!r}: expected one of {', '.join(sorted(MODES))}")
    return MODES[value]


def decide(
    operation: str, caller: Caller, policies: list[Policy], checked: Request, region: str
) -> Decision:
    policy, required = (None, False)
    owner = checked.resource_account
    if checked.resource != "*" and owner is not None:
        policy, required = resource_policy(checked.action, checked.resource, owner, region)
    decision = evaluate(caller, checked, policy, resource_policy_required=required)
    decisions.record(operation, caller, policies, policy, checked, decision, required)
    return decision


# --- answers in the protocol's shape ----------------------------------------------------------


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def denied_response(prefix: str, protocol: str, message: str, code: str | None = None) -> Response:
    request_id = str(uuid.uuid4())
    if protocol == "query":
        code = code or ("AuthorizationError" if prefix == "sns" else "AccessDenied")
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{code}</Code><Message>{_xml(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return Response(body, status=403, content_type="text/xml")
    if protocol == "rest-xml":
        code = code or "AccessDenied"
        body = (
            f"<Error><Code>{code}</Code><Message>{_xml(message)}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
        return Response(body, status=403, content_type="application/xml")
    code = code or "AccessDeniedException"
    status = 403 if protocol == "rest-json" else 400
    body = json.dumps({"__type": code, "message": message, "Message": message})
    return Response(
        body,
        status=status,
        content_type="application/x-amz-json-1.1",
        headers={"x-amzn-ErrorType": code, "x-amzn-RequestId": request_id},
    )


_INVALID_KEY = {
    "query": ("InvalidClientTokenId", "The security token included in the request is invalid."),
    "rest-xml": (
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
    ),
}


def refusal(
    prefix: str,
    operation: str,
    params: dict[str, Any],
    caller: Caller,
    policies: list[Policy],
    region: str,
) -> str | None:
    """Why IAM refuses the caller's request (None: it goes ahead), each of its checks decided
    and recorded; a denial refuses only when the layer enforces (logged otherwise, nothing
    decided when it is off). Also for what a service does in-process as a role (its request
    reaches no HTTP handler)."""
    current = mode()
    if current == "off":
        return None
    for checked in checks_for(prefix, operation, params, caller, region):
        decision = decide(operation, caller, policies, checked, region)
        if not decision.allowed:
            text = decision.message(caller, checked)
            _LOG.warning("authorization: denied %s.%s: %s", prefix, operation, text)
            if current == "enforce":
                return text
    return None


def authorize(service: str, found: tuple[str, str, dict[str, Any]]) -> Response | None:
    """The hook: None lets the request through; a Response refuses it."""
    current = mode()
    if current == "off":
        return None
    prefix = iam_reference.PREFIXES.get(service, service)
    operation, protocol, params = found
    if (prefix, operation) in iam_reference.UNAUTHORIZED_OPERATIONS:
        return None
    match = _ACCESS_KEY.search(request.headers.get("Authorization", ""))
    region = match.group(2) if match else "us-east-1"
    resolved = caller_for(match.group(1)) if match else None
    if resolved is None:
        _LOG.log(
            logging.WARNING if current == "enforce" else logging.DEBUG,
            "authorization: %s.%s signed by an unknown key",
            prefix,
            operation,
        )
        if current != "enforce":
            return None
        code, message = _INVALID_KEY.get(
            protocol,
            (
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            ),
        )
        return denied_response(prefix, protocol, message, code)
    caller, policies = resolved
    try:
        text = refusal(prefix, operation, params, caller, policies, region)
        if text is not None:
            return denied_response(prefix, protocol, text)
    except Exception as error:  # a gap of the authorizer: never an allow, always recorded
        known = (
            iam_reference.UnknownOperation,
            UnknownResource,
            UnknownConditionKey,
            UnknownConditionOperator,
        )
        gap = str(error) if isinstance(error, known) else f"{type(error).__name__}: {error}"
        _LOG.error("authorization: %s.%s: %s", prefix, operation, gap)
        decisions.record_gap(operation, caller, f"{prefix}:{operation}", gap)
        if current == "enforce":
            failure = denied_response(prefix, protocol, f"local AWS: {gap}", "InternalFailure")
            failure.status_code = 500
            return failure
    return None
