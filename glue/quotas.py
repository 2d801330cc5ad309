"""The account's quotas a plan needs, checked before it is saved (so never half-applied).

Lambda refuses a function's reserved concurrency that would leave the account's unreserved pool
under 100, and new accounts may start with a concurrency quota of 10: the governance recorder's
reservation would then stop the registry's first apply after most of it was created. So a plan
that reserves concurrency reads the account's Lambda settings first and says which quota to
raise.
"""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from glue.aws import client
from glue.errors import MlopsError

# Lambda keeps this many concurrent executions unreserved in every account and region.
MINIMUM_UNRESERVED = 100
# The Service Quotas code of Lambda's "Concurrent executions".
CONCURRENCY_QUOTA_CODE = "L-B99A9384"
FUNCTION = "aws_lambda_function"
_DENIED = {"AccessDeniedException", "AccessDenied"}


def reserves_concurrency(changes) -> bool:
    """Whether the plan creates or changes a function (and so may reserve concurrency)."""
    return any(
        change.action in ("create", "update", "replace") and f"{FUNCTION}." in change.address
        for change in changes
    )


def _reserved(values: dict | None) -> int:
    reserved = (values or {}).get("reserved_concurrent_executions")
    return reserved if isinstance(reserved, int) and reserved > 0 else 0  # -1: none reserved


def check_concurrency(plan_json: bytes, session, emulator, config) -> None:
    """Refuse a plan whose functions reserve more concurrency than the account can spare."""
    added = {}
    for change in json.loads(plan_json).get("resource_changes", []):
        if change.get("type") != FUNCTION:
            continue
        more = _reserved(change["change"].get("after")) - _reserved(change["change"].get("before"))
        if more > 0:
            added[change["address"]] = more
    if not added:
        return
    try:
        settings = client(session, "lambda", emulator).get_account_settings()["AccountLimit"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in _DENIED:
            raise
        raise MlopsError(
            f"the plan reserves Lambda concurrency, and checking that account "
            f"{config.account_id} can hold it needs lambda:GetAccountSettings, which its "
            f"Terraform role lacks (bootstrapped before the check): run `mlops bootstrap --env "
            f"{config.name}` again as the account's administrator, then plan again"
        ) from None
    spare = settings["UnreservedConcurrentExecutions"] - MINIMUM_UNRESERVED
    if sum(added.values()) > spare:
        wanted = ", ".join(f"{address} {count}" for address, count in added.items())
        raise MlopsError(
            f"account {config.account_id} cannot reserve the Lambda concurrency this plan "
            f"reserves ({wanted}): its quota is {settings['ConcurrentExecutions']} concurrent "
            f"executions, {settings['UnreservedConcurrentExecutions']} unreserved, and Lambda "
            f"keeps {MINIMUM_UNRESERVED} unreserved; ask for more (Service Quotas, AWS Lambda, "
            f"'Concurrent executions', {CONCURRENCY_QUOTA_CODE}), then plan again"
        )
