"""Bucket-policy evaluation as AWS does it for requests that arrive over TLS.

moto's policy engine evaluates only StringEquals conditions and treats any other condition as
met, so the TLS-only statement every bucket here carries (Deny when `aws:SecureTransport` is
false) denies every object request. The emulator listens on loopback without TLS as a stand-in
for AWS's HTTPS endpoints: requests are evaluated as having arrived over TLS, so statements that
apply only to plain-HTTP requests are left out and every other statement is evaluated as before.
"""

from __future__ import annotations

import json
from typing import Any

from moto.s3.models import FakeBucket

SECURE_TRANSPORT = "aws:securetransport"


def applies_to_tls_request(statement: dict[str, Any]) -> bool:
    """False for a statement conditioned on `aws:SecureTransport` being false."""
    for operator, keys in statement.get("Condition", {}).items():
        if not operator.startswith("Bool"):
            continue
        for key, value in keys.items():
            values = value if isinstance(value, list) else [value]
            if key.lower() == SECURE_TRANSPORT and "true" not in [str(v).lower() for v in values]:
                return False
    return True


def _get_permission(self: FakeBucket, action: str, resource: str) -> Any:
    from moto.iam.access_control import IAMPolicy, PermissionResult

    if self.policy is None:
        return PermissionResult.NEUTRAL
    document = json.loads(self.policy.decode())
    statements = document.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    document["Statement"] = [s for s in statements if applies_to_tls_request(s)]
    return IAMPolicy(json.dumps(document)).is_action_permitted(action, resource)


def install() -> None:
    """Evaluate bucket policies as for a TLS request (idempotent)."""
    FakeBucket.get_permission = _get_permission
