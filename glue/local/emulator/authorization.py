"""The local AWS authorizes every request as IAM would, after the strict layer, before moto.

For each request: who signed it (the access key: an IAM user, a role's session, an account's
root), which actions it needs and on which resources (the IAM Service Authorization Reference,
`iam_reference`), the policies that apply (the caller's identity policies; the resource's
policy: bucket, key, role trust, model package group, event bus, topic, queue, function), and
the calls AWS makes on the caller's behalf and authorizes as the caller (`iam:PassRole` where a
role is handed to a service; `kms:GenerateDataKey` / `kms:Decrypt` for SSE-KMS objects). The
decision is `policy_evaluation.evaluate`'s. A refusal is AWS's error in the protocol's shape.

Every decision is recorded (`GET /_mlops/authorizations`): who, what, on what, allowed or not,
and the statements that allowed it; with the policies themselves (by label), so a test can
evaluate one run's requests again against a policy set with one statement removed.

`MLOPS_EMULATOR_IAM`: unset or `1` enforces; `audit` records and refuses nothing; `0` is off
(to measure what it costs).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from flask import Response, request

from glue.local.emulator import iam_reference
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

_LOG = logging.getLogger(__name__)
_PARTITION = "aws"
_ACCESS_KEY = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/")


def mode() -> str:
    value = os.environ.get(MODE_ENV, "1")
    return {"1": "enforce", "0": "off"}.get(value, value)


# --- the record -------------------------------------------------------------------------------

_LOCK = threading.Lock()
_RECORDS: list[dict[str, Any]] = []
_POLICIES: dict[str, Any] = {}


def _record(
    operation: str,
    caller: Caller,
    identity: list[Policy],
    resource: Policy | None,
    checked: Request,
    decision: Decision,
    required: bool = False,
) -> None:
    with _LOCK:
        for policy in [*identity, *([resource] if resource else [])]:
            _POLICIES.setdefault(policy.label, policy.document)
        _RECORDS.append(
            {
                "operation": operation,
                "caller": {
                    "arn": caller.arn,
                    "account": caller.account,
                    "also_named": list(caller.also_named),
                    "is_root": caller.is_root,
                    "service": caller.service,
                },
                "identity_policies": [p.label for p in identity],
                "resource_policy": resource.label if resource else None,
                "resource_policy_required": required,
                "request": {**asdict(checked), "context": dict(checked.context)},
                "allowed": decision.allowed,
                "reason": decision.reason,
                "statements": list(decision.statements),
            }
        )


def taken(since: int = 0, with_policies: bool = True) -> dict[str, Any]:
    """The decisions from the since-th on, and (unless not wanted) the policies they name."""
    with _LOCK:
        policies = dict(_POLICIES) if with_policies else {}
        return {"records": _RECORDS[since:], "policies": policies, "next": len(_RECORDS)}


# --- who signed the request -------------------------------------------------------------------


def new_root_key(account: str) -> dict[str, str]:
    """Access keys of an account's root user (what `glue.local.administrators` starts from: the
    local accounts have nobody else)."""
    from moto.iam.models import AccessKey, iam_backends

    key = AccessKey(user_name=None, prefix="AKIA", account_id=account)
    iam_backends[account][_PARTITION].access_keys[key.access_key_id] = key
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
    _record("AssumeRole", caller, [], trust, checked, decision, required=True)
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


def _documents(policies: dict[str, Any], label: str) -> Iterator[Policy]:
    for name, document in policies.items():
        yield Policy(f"{label}#inline:{name}", _document(document))


def _document(document: Any) -> dict:
    if isinstance(document, dict):
        return document
    text = document if document.lstrip().startswith("{") else unquote(document)
    return json.loads(text)


def _managed(managed: dict[str, Any], label: str) -> Iterator[Policy]:
    for arn, policy in managed.items():
        yield Policy(f"{label}#managed:{arn}", _document(policy.default_version.document))


def caller_for(access_key: str) -> tuple[Caller, list[Policy]] | None:
    """The principal whose access key signed the request, with its identity policies."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    for account, backends in list(iam_backends.items()):
        backend = backends[_PARTITION]
        key = backend.access_keys.get(access_key)
        if key is None:
            continue
        if getattr(key, "role_arn", None):
            role = next((r for r in backend.roles.values() if r.arn == key.role_arn), None)
            if role is None:
                return None
            session = sts_backends[account][_PARTITION].get_assumed_role_from_access_key(access_key)
            name = session.session_name if session else "session"
            label = role.arn
            policies = [*_documents(role.policies, label), *_managed(role.managed_policies, label)]
            caller = Caller(
                arn=f"arn:{_PARTITION}:sts::{account}:assumed-role/{role.name}/{name}",
                account=account,
                userid=f"{role.id}:{name}",
                also_named=(role.arn,),
                identity_policies=tuple(policies),
            )
            return caller, policies
        if key.user_name is None:
            return Caller(
                arn=f"arn:{_PARTITION}:iam::{account}:root",
                account=account,
                is_root=True,
                userid=account,
            ), []
        user = backend.users[key.user_name]
        label = user.arn
        policies = [*_documents(user.policies, label), *_managed(user.managed_policies, label)]
        for group in backend.get_groups_for_user(user.name):
            policies += [
                *_documents(group.policies, group.arn),
                *_managed(group.managed_policies, group.arn),
            ]
        caller = Caller(
            arn=user.arn, account=account, userid=user.id, identity_policies=tuple(policies)
        )
        return caller, policies
    return None


# --- what the request needs -------------------------------------------------------------------

# A template's variable -> the request parameters that may hold it (besides its own name).
_ALIASES = {
    "BucketName": ("Bucket",),
    "ObjectName": ("Key",),
    "RoleNameWithPath": ("RoleName",),
    "UserNameWithPath": ("UserName",),
    "KeyId": ("KeyId", "TargetKeyId"),
    "Alias": ("AliasName",),
    "TopicName": ("Name",),
    "RuleName": ("Name", "Rule"),
    "ParameterNameWithoutLeadingSlash": ("Name", "ResourceId"),
    "ModelPackageName": ("ModelPackageArn",),
    "QueueName": ("QueueUrl",),
}
# Variables filled from the request only, never defaulted.
_EVENT_BUS = "EventBusName"

# (prefix, operation) -> (where the passed role is, the service it is passed to)
_PASSED_ROLES: dict[tuple[str, str], tuple[str, str]] = {
    ("lambda", "CreateFunction"): ("Role", "lambda.amazonaws.com"),
    ("lambda", "UpdateFunctionConfiguration"): ("Role", "lambda.amazonaws.com"),
    ("events", "PutTargets"): ("Targets[].RoleArn", "events.amazonaws.com"),
    ("sagemaker", "CreatePipeline"): ("RoleArn", "sagemaker.amazonaws.com"),
    ("sagemaker", "UpdatePipeline"): ("RoleArn", "sagemaker.amazonaws.com"),
    ("sagemaker", "StartPipelineExecution"): ("", "sagemaker.amazonaws.com"),
    ("sagemaker", "CreateModel"): ("ExecutionRoleArn", "sagemaker.amazonaws.com"),
    ("sagemaker", "CreateProcessingJob"): ("RoleArn", "sagemaker.amazonaws.com"),
    ("sagemaker", "CreateTrainingJob"): ("RoleArn", "sagemaker.amazonaws.com"),
}


# What a role's trust policy decides: assuming it, and what a session of it may carry.
_TRUSTED_ACTIONS = ("sts:assumerole", "sts:setsourceidentity", "sts:tagsession")


class UnknownResource(Exception):
    """A request whose resource the authorizer cannot tell: a gap of the authorizer."""


def _parameter(params: dict[str, Any], names: tuple[str, ...]) -> str | None:
    lowered = {k.lower(): v for k, v in params.items()}
    for name in names:
        value = lowered.get(name.lower())
        if isinstance(value, str) and value:
            return value
    return None


def _fill(
    resource: iam_reference.ResourceType,
    params: dict[str, Any],
    account: str,
    region: str,
) -> str | None:
    for value in params.values():
        if (
            isinstance(value, str)
            and value.startswith("arn:")
            and resource.pattern.fullmatch(value)
        ):
            return value
    if resource.name.startswith("rule-on-"):
        # A rule of the default bus has no bus in its ARN (even when the request names the
        # default bus), and a rule of another bus has it.
        bus = (_parameter(params, (_EVENT_BUS,)) or "default").rsplit("/", 1)[-1]
        if (bus == "default") != (resource.name == "rule-on-default-event-bus"):
            return None
    values = {"Partition": _PARTITION, "Region": region, "Account": account}
    for variable in resource.variables:
        if variable in values:
            continue
        names = (variable, *_ALIASES.get(variable, ()))
        if variable == _EVENT_BUS and resource.name == "event-bus":
            names = (variable, "Name")
        value = _parameter(params, names)
        if value is None and variable == _EVENT_BUS and resource.name == "event-bus":
            value = "default"
        if variable == _EVENT_BUS and value is not None:
            value = value.rsplit("/", 1)[-1]  # a bus is named by its name or its ARN
        if value is None:
            return None
        if value.startswith("arn:"):
            return None  # an ARN of another type: not this one
        if variable == "QueueName" and "/" in value:  # a queue URL: .../ACCOUNT/NAME
            *_, owner, value = value.rstrip("/").rsplit("/", 2)
            values["Account"] = owner if owner.isdigit() else account
        if variable == "ParameterNameWithoutLeadingSlash":
            value = value.lstrip("/")
        if variable == "Alias":
            value = value.removeprefix("alias/")
        if variable == "KeyId":
            value = _key_id(value, account, region)
        values[variable] = value
    arn = resource.arn_template
    for variable, value in values.items():
        arn = arn.replace("${" + variable + "}", value)
    return arn


def _key_id(value: str, account: str, region: str) -> str:
    from moto.kms.models import kms_backends

    try:
        return kms_backends[account][region].any_id_to_key_id(value)
    except Exception:  # an unknown key: KMS answers NotFound itself
        return value


def _owner(arn: str, prefix: str, default: str) -> str:
    if prefix == "s3":
        from moto.s3.models import s3_backends

        bucket = arn.split(":::", 1)[-1].split("/", 1)[0]
        found = s3_backends.bucket_accounts.get(bucket)
        return found[1] if found else default
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 and parts[4] else default


def resources_for(action: str, params: dict[str, Any], account: str, region: str) -> list[str]:
    """The resource ARNs the action is authorized against for this request ("*": none)."""
    prefix = action.split(":", 1)[0]
    types = iam_reference.resource_types(action)
    if not types:
        return ["*"]
    if prefix == "ssm" and isinstance(params.get("ResourceType"), str):
        # SSM's tag operations name the kind of resource: Parameter, MaintenanceWindow, ...
        types = tuple(t for t in types if t.name == params["ResourceType"].lower())
    named = [v for v in params.values() if isinstance(v, str) and v.startswith("arn:")]
    found = [arn for arn in named if any(t.pattern.fullmatch(arn) for t in types)]
    if not found:
        found = [arn for arn in (_fill(t, params, account, region) for t in types) if arn]
    if not found:  # a request may name a resource of another of the service's types (one
        # that it names: not an account's singleton such as S3's access-grants/default)
        found = [
            arn
            for t in iam_reference.service_resource_types(prefix)
            if set(t.variables) - {"Partition", "Region", "Account"}
            and (arn := _fill(t, params, account, region))
        ]
    if not found:
        raise UnknownResource(f"cannot tell the resource of {action} from the request")
    return list(dict.fromkeys(found))


# --- resource policies ------------------------------------------------------------------------


def resource_policy(action: str, arn: str, owner: str, region: str) -> tuple[Policy | None, bool]:
    """(The resource's policy for the action, whether one is required: key policies and, to
    assume a role, its trust policy are; iam:PassRole is the caller's identity policy alone)."""
    service = arn.split(":")[2] if arn.startswith("arn:") else ""
    if service == "iam" and not action.lower().startswith(_TRUSTED_ACTIONS):
        return None, False
    try:
        if service == "kms" and ":key/" in arn:
            from moto.kms.models import kms_backends

            key = kms_backends[owner][region].keys.get(arn.rsplit("/", 1)[-1])
            if key is None:  # KMS answers NotFoundException itself
                return None, False
            return Policy(f"key policy {arn}", json.loads(key.policy)), True
        if service == "iam" and ":role/" in arn:
            from moto.iam.models import iam_backends

            role = next(
                (r for r in iam_backends[owner][_PARTITION].roles.values() if r.arn == arn), None
            )
            if role is None:
                return None, True
            return Policy(f"trust policy {arn}", _document(role.assume_role_policy_document)), True
        if service == "s3":
            from moto.s3.models import s3_backends

            bucket_name = arn.split(":::", 1)[-1].split("/", 1)[0]
            bucket = s3_backends[owner][_PARTITION].buckets.get(bucket_name)
            if bucket is not None and bucket.policy:
                return Policy(f"bucket policy {bucket_name}", json.loads(bucket.policy)), False
        if service == "sagemaker" and ":model-package" in arn:
            from moto.sagemaker.models import sagemaker_backends

            from glue.local.emulator import sagemaker_extensions

            group = arn.split("/", 2)[1]
            backend = sagemaker_backends[owner][region]
            try:
                text = sagemaker_extensions.get_model_package_group_policy(backend, group)
            except Exception:
                return None, False
            group_arn = arn.split(":model-package")[0] + f":model-package-group/{group}"
            return Policy(f"group policy {group_arn}", json.loads(text)), False
        if service == "events" and ":event-bus/" in arn:
            from moto.events.models import events_backends

            bus = events_backends[owner][region].event_buses.get(arn.rsplit("/", 1)[-1])
            policy = bus.policy if bus is not None else None
            if policy:
                return Policy(f"bus policy {arn}", _document(policy)), False
        if service == "sns":
            from moto.sns.models import sns_backends

            topic = sns_backends[owner][region].topics.get(arn)
            if topic is not None:
                return Policy(f"topic policy {arn}", json.loads(topic.policy)), False
        if service == "sqs":
            from moto.sqs.models import sqs_backends

            queue = sqs_backends[owner][region].queues.get(arn.rsplit(":", 1)[-1])
            if queue is not None and queue.policy:
                return Policy(f"queue policy {arn}", _document(queue.policy)), False
        if service == "lambda" and ":function:" in arn:
            from moto.awslambda.models import lambda_backends

            name = arn.split(":function:", 1)[1].split(":", 1)[0]
            try:
                function = lambda_backends[owner][region].get_function(name)
                document = function.policy.get_policy()["Policy"]
            except Exception:
                return None, False
            return Policy(f"function policy {arn}", document), False
    except (KeyError, ValueError) as error:
        _LOG.debug("authorization: no policy for %s (%s)", arn, error)
    return None, False


# --- the checks of one request ----------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    action: str
    resource: str
    owner: str | None
    context: dict[str, tuple[str, ...]]


def _base_context(caller: Caller, region: str) -> dict[str, tuple[str, ...]]:
    now = datetime.now(timezone.utc)
    context = {
        "aws:securetransport": ("true",),
        "aws:userid": (caller.userid,),
        **({"aws:username": (caller.arn.rsplit("/", 1)[1],)} if ":user/" in caller.arn else {}),
        "aws:principalarn": (caller.also_named[0] if caller.also_named else caller.arn,),
        "aws:principalaccount": (caller.account,),
        "aws:principaltype": (
            "Account" if caller.is_root else "AssumedRole" if caller.also_named else "User",
        ),
        "aws:requestedregion": (region,),
        "aws:currenttime": (now.strftime("%Y-%m-%dT%H:%M:%SZ"),),
        "aws:epochtime": (str(int(now.timestamp())),),
    }
    return context


def _request_context(
    prefix: str, operation: str, params: dict[str, Any]
) -> dict[str, tuple[str, ...]]:
    context: dict[str, tuple[str, ...]] = {}
    if prefix == "sagemaker" and params.get("ModelApprovalStatus"):
        context["sagemaker:modelapprovalstatus"] = (params["ModelApprovalStatus"],)
    if prefix == "cloudwatch" and params.get("Namespace"):
        context["cloudwatch:namespace"] = (params["Namespace"],)
    if prefix == "sts" and params.get("SourceIdentity"):
        context["sts:sourceidentity"] = (params["SourceIdentity"],)
    if prefix == "sts" and params.get("RoleSessionName"):
        context["sts:rolesessionname"] = (params["RoleSessionName"],)
    return context


def _passed_roles(prefix: str, operation: str, params: dict[str, Any]) -> tuple[list[str], str]:
    where, service = _PASSED_ROLES.get((prefix, operation), ("", ""))
    if not where:
        return [], service
    if where.endswith("[].RoleArn"):
        items = params.get(where.split("[]")[0]) or []
        return [t["RoleArn"] for t in items if isinstance(t, dict) and t.get("RoleArn")], service
    value = params.get(where)
    return ([value] if isinstance(value, str) and value else []), service


def _sse_kms_key(
    operation: str, params: dict[str, Any], account: str, region: str
) -> tuple[str, str] | None:
    """(action, key ARN) S3 asks KMS for as the caller: GenerateDataKey to write an SSE-KMS
    object, Decrypt to read one."""
    from moto.s3.models import s3_backends

    bucket_name = params.get("Bucket")
    found = s3_backends.bucket_accounts.get(bucket_name or "")
    if not found:
        return None
    bucket = s3_backends[found[1]][_PARTITION].buckets.get(bucket_name)
    if bucket is None:
        return None
    key_id = None
    if operation in ("PutObject", "CreateMultipartUpload", "CopyObject"):
        key_id = params.get("SSEKMSKeyId")
        if key_id is None and bucket.encryption:
            for rule in _as_list(bucket.encryption.get("Rule")):
                default = rule.get("ApplyServerSideEncryptionByDefault", {})
                if default.get("SSEAlgorithm") == "aws:kms":
                    key_id = default.get("KMSMasterKeyID")
        action = "kms:GenerateDataKey"
    elif operation == "GetObject":
        stored = bucket.keys.get(params.get("Key", ""))
        key_id = getattr(stored, "kms_key_id", None) if stored is not None else None
        action = "kms:Decrypt"
    else:
        return None
    if not key_id:
        return None
    found_key = _existing_key(key_id, account, region)
    if found_key is None:
        return None  # S3 answers KMS's NotFoundException itself
    return action, found_key


def _existing_key(key_id: str, account: str, region: str) -> str | None:
    """The ARN of the KMS key a key ID, key ARN, alias name or alias ARN names (an alias or
    ID alone is the requester's account's, as S3's KMSMasterKeyID), or None when none."""
    from moto.kms.models import kms_backends

    if key_id.startswith("arn:"):
        _, _, _, region, account, resource = key_id.split(":", 5)
        key_id = resource if resource.startswith("alias/") else resource.split("/", 1)[-1]
    try:
        key = kms_backends[account][region].describe_key(key_id)
    except Exception:
        return None
    return key.arn


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value] if value else []


def _each_resource(prefix: str, operation: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The request's parameters once per resource it acts on: S3's DeleteObjects deletes each
    of its keys (s3:DeleteObject on each object)."""
    if (prefix, operation) == ("s3", "DeleteObjects"):
        objects = (params.get("Delete") or {}).get("Objects") or []
        each = [
            params | {"Key": o["Key"], "VersionId": o.get("VersionId")}
            for o in objects
            if isinstance(o, dict)
        ]
        return each or [params]
    return [params]


# S3: an object request naming a version needs the version's action.
_VERSIONED = {"s3:GetObject": "s3:GetObjectVersion", "s3:DeleteObject": "s3:DeleteObjectVersion"}


def _copy_source(prefix: str, operation: str, params: dict[str, Any]) -> str | None:
    """The object a copy reads (s3:GetObject on it): `bucket/key[?versionId=...]`."""
    if (prefix, operation) not in (("s3", "CopyObject"), ("s3", "UploadPartCopy")):
        return None
    source = params.get("CopySource")
    if isinstance(source, dict):
        return f"{source.get('Bucket')}/{source.get('Key')}"
    if isinstance(source, str) and source:
        return unquote(source.lstrip("/").split("?", 1)[0])
    return None


def checks_for(
    prefix: str, operation: str, params: dict[str, Any], caller: Caller, region: str
) -> list[Check]:
    base = _base_context(caller, region)
    context = {**base, **_request_context(prefix, operation, params)}
    checks = []
    for named in _each_resource(prefix, operation, params):
        for action in iam_reference.actions_for(prefix, operation):
            if named.get("VersionId"):
                action = _VERSIONED.get(action, action)
            for arn in resources_for(action, named, caller.account, region):
                owner = None if arn == "*" else _owner(arn, prefix, caller.account)
                checks.append(Check(action, arn, owner, context))
    source = _copy_source(prefix, operation, params)
    if source is not None:
        arn = f"arn:{_PARTITION}:s3:::{source}"
        checks.append(Check("s3:GetObject", arn, _owner(arn, "s3", caller.account), context))
    if prefix == "sts" and operation.startswith("AssumeRole"):
        # Setting a source identity or session tags needs the trust to allow that too.
        for given, action in (
            ("SourceIdentity", "sts:SetSourceIdentity"),
            ("Tags", "sts:TagSession"),
        ):
            if params.get(given):
                role = params["RoleArn"]
                checks.append(Check(action, role, role.split(":")[4], context))
    roles, service = _passed_roles(prefix, operation, params)
    for role in roles:
        passed = {**base, "iam:passedtoservice": (service,)}
        checks.append(Check("iam:PassRole", role, role.split(":")[4], passed))
    if prefix == "s3":
        sse = _sse_kms_key(operation, params, caller.account, region)
        if sse is not None:
            action, key = sse
            via = {
                **base,
                "kms:viaservice": (f"s3.{region}.amazonaws.com",),
                "kms:calleraccount": (caller.account,),
                "aws:viaawsservice": ("true",),
            }
            checks.append(Check(action, key, key.split(":")[4], via))
    return checks


def decide(
    operation: str, caller: Caller, policies: list[Policy], check: Check, region: str
) -> Decision:
    policy, required = (None, False)
    if check.resource != "*" and check.owner is not None:
        policy, required = resource_policy(check.action, check.resource, check.owner, region)
    checked = Request(check.action, check.resource, check.owner, check.context)
    decision = evaluate(caller, checked, policy, resource_policy_required=required)
    _record(operation, caller, policies, policy, checked, decision, required)
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
        checks = checks_for(prefix, operation, params, caller, region)
        for check in checks:
            decision = decide(operation, caller, policies, check, region)
            if not decision.allowed:
                checked = Request(check.action, check.resource, check.owner, check.context)
                text = decision.message(caller, checked)
                _LOG.warning("authorization: denied %s.%s: %s", prefix, operation, text)
                if current == "enforce":
                    return denied_response(prefix, protocol, text)
    except (
        iam_reference.UnknownOperation,
        UnknownResource,
        UnknownConditionKey,
        UnknownConditionOperator,
    ) as gap:
        _LOG.error("authorization: %s.%s: %s", prefix, operation, gap)
        if current == "enforce":
            return Response(
                json.dumps({"__type": "InternalFailure", "message": f"local AWS: {gap}"}),
                status=500,
                content_type="application/x-amz-json-1.1",
            )
    return None
