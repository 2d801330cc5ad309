"""What the local stand-ins for AWS's services act as: the role handed to the service, or AWS.

SageMaker runs a pipeline's steps as the pipeline's role, Lambda a function as its role,
EventBridge delivers to a target as the target's role: each assumes the role, which its trust
policy must allow for that service. The local runner, Lambda runner and event router get the
role's credentials from the local AWS the same way (`control.service_credentials`: refused
unless the trust admits the service), so every call they make is authorized as that role's.

A service acting as itself (EventBridge publishing to a topic) gets keys of its own
(`as_service_itself`): the resource's policy must name the service and the rule.

What a service knows of an account on its own (the rules EventBridge routes by, a function's
configuration and code, a pipeline's definition) no principal asks for on AWS: the stand-ins read
it as the account's root user (`as_aws`), which no identity policy restricts.
"""

from __future__ import annotations

import threading

from glue.aws import session_with
from glue.local.emulator.control import (
    Emulator,
    root_credentials,
    service_credentials,
    service_principal_credentials,
)


def as_service(
    emulator: Emulator,
    service: str,
    role_arn: str,
    region: str,
    session_name: str,
    source_arn: str | None = None,
):
    """A boto3 session of the role, as the service (e.g. sagemaker.amazonaws.com) gets it,
    acting for `source_arn` (the rule, say) when given."""
    return session_with(
        region, service_credentials(emulator, service, role_arn, session_name[:64], source_arn)
    )


def as_service_itself(emulator: Emulator, service: str, account: str, region: str, source_arn: str):
    """A boto3 session of the service acting as itself in `account` for `source_arn`: what
    EventBridge publishes, invokes and sends with when a target has no role (the topic's,
    function's or queue's policy must name it)."""
    return session_with(
        region, service_principal_credentials(emulator, service, account, source_arn)
    )


_ROOTS: dict[tuple[str, str], dict[str, str]] = {}
_ROOTS_LOCK = threading.Lock()


def root_keys(emulator: Emulator, account: str) -> dict[str, str]:
    """The keys of the account's root user, as environment variables (one per account and run
    of the emulator in a process)."""
    with _ROOTS_LOCK:
        keys = _ROOTS.get((emulator.instance, account))
        if keys is None:
            keys = _ROOTS[(emulator.instance, account)] = root_credentials(emulator, account)
    return keys


def as_aws(emulator: Emulator, account: str, region: str):
    """A boto3 session of the account's root user: AWS's services reading what they know of
    the account."""
    return session_with(region, root_keys(emulator, account))
