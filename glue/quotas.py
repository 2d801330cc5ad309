"""The account's quotas a plan needs, checked before it is saved (so never half-applied).

Lambda refuses a function's reserved concurrency that would leave the account's unreserved pool
under 100, and new accounts may start with a concurrency quota of 10: the governance recorder's
reservation (tfvars `governance_recorder_concurrency`) would then stop the registry's first apply
after most of it was created. So a registry plan that creates the recorder, or reserves more for
it than it holds now (read from the plan's own prior state), reads the account's Lambda settings
first and says which quota to raise. No `terraform show`: a plan costs what it cost.
"""

from __future__ import annotations

from collections.abc import Callable

from botocore.exceptions import ClientError

from glue.aws import client
from glue.errors import MlopsError
from glue.terraform_output import prior_instances

# Lambda keeps this many concurrent executions unreserved in every account and region.
MINIMUM_UNRESERVED = 100
# The Service Quotas code of Lambda's "Concurrent executions".
CONCURRENCY_QUOTA_CODE = "L-B99A9384"
RESERVATION_KEY = "governance_recorder_concurrency"
# The recorder's function, by its address in environments/registry (as deploy.STAGES_READ).
RECORDER = "module.governance_recorder.module.function.aws_lambda_function.this"
_DENIED = {"AccessDeniedException", "AccessDenied"}


def _reserved_now(plan: bytes) -> int:
    """What the recorder reserves today, from the plan's prior state (0: not created yet)."""
    _, attributes = prior_instances(plan).get(RECORDER, ("", {}))
    reserved = attributes.get("reserved_concurrent_executions")
    return reserved if isinstance(reserved, int) and reserved > 0 else 0


def check_concurrency(config, plan: bytes, changes, session: Callable, target) -> None:
    """Refuse a registry plan reserving more concurrency than the account can spare; the
    environment's session is made (`session()`) only when the account must be read."""
    wanted = config.values.get(RESERVATION_KEY)
    touched = any(
        change.address == RECORDER and change.action in ("create", "update", "replace")
        for change in changes
    )
    if not isinstance(wanted, int) or not touched:
        return
    more = wanted - _reserved_now(plan)
    if more <= 0:
        return
    try:
        settings = client(session(), "lambda", target).get_account_settings()["AccountLimit"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in _DENIED:
            raise
        raise MlopsError(
            f"the plan reserves Lambda concurrency, and checking that account "
            f"{config.account_id} can hold it needs lambda:GetAccountSettings, which its "
            f"Terraform role lacks (bootstrapped before the check): run `mlops bootstrap --env "
            f"{config.name}` again as the account's administrator, then plan again"
        ) from None
    if more > settings["UnreservedConcurrentExecutions"] - MINIMUM_UNRESERVED:
        raise MlopsError(
            f"account {config.account_id} cannot reserve {wanted} concurrent executions for the "
            f"governance recorder ({RESERVATION_KEY} in {config.tfvars_file}): its Lambda quota "
            f"is {settings['ConcurrentExecutions']} concurrent executions, "
            f"{settings['UnreservedConcurrentExecutions']} unreserved, and Lambda keeps "
            f"{MINIMUM_UNRESERVED} unreserved; ask for more (Service Quotas, AWS Lambda, "
            f"'Concurrent executions', {CONCURRENCY_QUOTA_CODE}), then plan again"
        )
