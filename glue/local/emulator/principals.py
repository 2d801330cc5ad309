"""Who signed a request to the local AWS, and the keys the local AWS hands out itself.

An access key belongs to an IAM user (its inline, managed and groups' policies), to a role's
session (the role's policies) or to an account's root user. The local accounts have nobody at
first: `new_root_key` gives an account's root user's keys. A service acting as a role handed to
it gets the role's keys from `service_credentials`, only if the role's trust admits it. A service
acting as itself (EventBridge publishing to a topic, invoking a function, sending to a queue: the
resource's policy names the service principal and the rule as aws:SourceArn) signs with keys from
`service_principal_key`. A role's session may have a source identity (`source_identity`), which
its requests carry.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from glue.local.emulator import decisions
from glue.local.emulator.iam_reference import PARTITION as _PARTITION
from glue.local.emulator.policy_evaluation import Caller, Policy, Request, evaluate
from glue.local.emulator.resource_policies import document, resource_policy

# The source identity of each role session that has one, by the session's access key (moto's
# AssumedRole keeps none): set by AssumeRole's SourceIdentity, or kept from the session that
# assumed the role (sts_extensions). It lives as long as the emulator's other state does.
_source_identities: dict[str, str] = {}
# The service principal behind each key `service_principal_key` handed out: (service, account,
# source ARN), the account being the one the service acts in (aws:SourceAccount).
_service_keys: dict[str, tuple[str, str, str]] = {}


def source_identity(access_key: str) -> str | None:
    """The source identity of the role session whose access key this is, if it has one."""
    return _source_identities.get(access_key)


def set_source_identity(access_key: str, identity: str) -> None:
    _source_identities[access_key] = identity


def new_root_key(account: str) -> dict[str, str]:
    """Access keys of an account's root user (what `glue.local.administrators` starts from: the
    local accounts have nobody else)."""
    from moto.iam.models import AccessKey, iam_backends

    key = AccessKey(user_name=None, prefix="AKIA", account_id=account)
    iam_backends[account][_PARTITION].access_keys[key.access_key_id] = key
    return {"AccessKeyId": key.access_key_id, "SecretAccessKey": key.secret_access_key}


def service_principal_key(service: str, account: str, source_arn: str) -> dict[str, str]:
    """Keys with which a service (events.amazonaws.com) acts as itself in `account`, for the
    resource `source_arn` (the rule): its requests are allowed only where a resource policy
    names the service, with aws:SourceAccount and aws:SourceArn those. moto serves them in
    `account` (it resolves an access key's account from IAM's keys)."""
    from moto.iam.models import AccessKey, iam_backends

    key = AccessKey(user_name=None, prefix="ASIA", account_id=account)
    iam_backends[account][_PARTITION].access_keys[key.access_key_id] = key
    _service_keys[key.access_key_id] = (service, account, source_arn)
    return {"AccessKeyId": key.access_key_id, "SecretAccessKey": key.secret_access_key}


class ServiceNotTrusted(Exception):
    """A service asked for a role whose trust policy does not admit it."""


def service_credentials(
    service: str, role_arn: str, session_name: str, source_arn: str | None = None
) -> dict[str, str]:
    """What a service (sagemaker.amazonaws.com, lambda.amazonaws.com, ...) does to act as a role
    handed to it: AssumeRole, allowed only by the role's trust policy (naming the service, its
    conditions on aws:SourceAccount / aws:SourceArn met). The local stand-ins for those
    services (the pipeline runner, the Lambda runner, the event router) act through this."""
    from moto.sts.models import sts_backends

    account = role_arn.split(":")[4]
    region = "us-east-1"
    caller = Caller(arn=service, account=account, service=service)
    context = {"aws:sourceaccount": (account,), "aws:securetransport": ("true",)}
    if source_arn:
        context["aws:sourcearn"] = (source_arn,)
    checked = Request("sts:AssumeRole", role_arn, account, context)
    trust, _ = resource_policy("sts:AssumeRole", role_arn, account, region)
    decision = evaluate(caller, checked, trust, resource_policy_required=True)
    decisions.record("AssumeRole", caller, [], trust, checked, decision, required=True)
    if not decision.allowed:
        raise ServiceNotTrusted(decision.message(caller, checked))
    assumed = sts_backends[account][_PARTITION].assume_role(
        region_name=region,
        role_session_name=session_name,
        role_arn=role_arn,
        policy="",
        duration=3600,
        external_id="",
    )
    return {
        "AccessKeyId": assumed.access_key_id,
        "SecretAccessKey": assumed.secret_access_key,
        "SessionToken": assumed.session_token,
    }


def _inline(policies: dict[str, Any], label: str) -> Iterator[Policy]:
    for name, text in list(policies.items()):
        yield Policy(f"{label}#inline:{name}", document(text))


def _managed(managed: dict[str, Any], label: str) -> Iterator[Policy]:
    for arn, policy in list(managed.items()):
        yield Policy(f"{label}#managed:{arn}", document(policy.default_version.document))


def caller_for(access_key: str) -> tuple[Caller, list[Policy]] | None:
    """The principal whose access key signed the request, with its identity policies."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    if access_key in _service_keys:
        service, account, source_arn = _service_keys[access_key]
        return Caller(arn=service, account=account, service=service, source_arn=source_arn), []
    for account, backends in list(iam_backends.items()):
        backend = backends[_PARTITION]
        key = backend.access_keys.get(access_key)
        if key is None:
            continue
        if getattr(key, "status", "Active") != "Active":
            return None
        if getattr(key, "role_arn", None):
            role = next((r for r in list(backend.roles.values()) if r.arn == key.role_arn), None)
            if role is None:
                return None
            session = sts_backends[account][_PARTITION].get_assumed_role_from_access_key(access_key)
            name = session.session_name if session else "session"
            label = role.arn
            policies = [*_inline(role.policies, label), *_managed(role.managed_policies, label)]
            caller = Caller(
                arn=f"arn:{_PARTITION}:sts::{account}:assumed-role/{role.name}/{name}",
                account=account,
                userid=f"{role.id}:{name}",
                also_named=(role.arn,),
                identity_policies=tuple(policies),
                source_identity=source_identity(access_key),
            )
            return caller, policies
        if key.user_name is None:
            return Caller(
                arn=f"arn:{_PARTITION}:iam::{account}:root",
                account=account,
                is_root=True,
                userid=account,
            ), []
        user = backend.users.get(key.user_name)
        if user is None:  # moto keeps a deleted user's keys
            return None
        label = user.arn
        policies = [*_inline(user.policies, label), *_managed(user.managed_policies, label)]
        for group in backend.get_groups_for_user(user.name):
            policies += [
                *_inline(group.policies, group.arn),
                *_managed(group.managed_policies, group.arn),
            ]
        caller = Caller(
            arn=user.arn, account=account, userid=user.id, identity_policies=tuple(policies)
        )
        return caller, policies
    return None
