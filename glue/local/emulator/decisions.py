"""The local AWS's record of its authorization decisions (`GET /_mlops/authorizations`).

Each decision: who (the caller), what (the action), on what (the resource, its owner, the
request's context), allowed or not and why, and the statements that decided; with the policies
themselves, by label, so a test can evaluate one run's requests again against a policy set with
one statement removed (tests/least_privilege.py).
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import asdict
from typing import Any

from glue.local.emulator.policy_evaluation import Caller, Decision, Policy, Request

_LOCK = threading.Lock()
_RECORDS: list[dict[str, Any]] = []
_POLICIES: dict[str, Any] = {}


def _caller(caller: Caller) -> dict[str, Any]:
    return {
        "arn": caller.arn,
        "account": caller.account,
        "also_named": list(caller.also_named),
        "is_root": caller.is_root,
        "service": caller.service,
    }


def _kept(policy: Policy) -> str:
    """The policy's label in the record, with its content's digest: a policy that changes
    later (a bus policy, a key policy) is another entry, so a request is evaluated again against
    the text it was decided on. Called with the lock held."""
    text = json.dumps(policy.document, sort_keys=True)
    label = f"{policy.label}@{hashlib.sha256(text.encode()).hexdigest()[:8]}"
    _POLICIES.setdefault(label, json.loads(text))
    return label


def record(
    operation: str,
    caller: Caller,
    identity: list[Policy],
    resource: Policy | None,
    checked: Request,
    decision: Decision,
    required: bool = False,
) -> None:
    with _LOCK:
        _RECORDS.append(
            {
                "operation": operation,
                "caller": _caller(caller),
                "identity_policies": [_kept(p) for p in identity],
                "resource_policy": _kept(resource) if resource else None,
                "resource_policy_required": required,
                "request": {**asdict(checked), "context": dict(checked.context)},
                "allowed": decision.allowed,
                "reason": decision.reason,
                "statements": list(decision.statements),
            }
        )


def record_gap(operation: str, caller: Caller, what: str, gap: str) -> None:
    """A request the authorizer could not decide (its own gap): recorded as a refusal, so that
    an audit sees it."""
    with _LOCK:
        _RECORDS.append(
            {
                "operation": operation,
                "caller": _caller(caller),
                "identity_policies": [],
                "resource_policy": None,
                "resource_policy_required": False,
                "request": {
                    "action": what,
                    "resource": "?",
                    "resource_account": None,
                    "context": {},
                },
                "allowed": False,
                "reason": f"(the local AWS could not decide: {gap})",
                "statements": [],
            }
        )


def taken(since: int = 0, with_policies: bool = True) -> dict[str, Any]:
    """The decisions from the since-th on, and (unless not wanted) the policies they name."""
    with _LOCK:
        policies = dict(_POLICIES) if with_policies else {}
        return {"records": _RECORDS[since:], "policies": policies, "next": len(_RECORDS)}
