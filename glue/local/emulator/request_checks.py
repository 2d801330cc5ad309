"""What one request to the local AWS needs IAM to allow: each action on each resource, from the
IAM Service Authorization Reference (`iam_reference`: an action's resource types and their ARN
templates, filled from the request's parameters), with the request's condition context; and the
calls AWS makes on the caller's behalf and authorizes as the caller: `iam:PassRole` where a role
is handed to a service, KMS for SSE-KMS objects, the source object a copy reads.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from glue.local.emulator import iam_reference
from glue.local.emulator.iam_reference import PARTITION as _PARTITION
from glue.local.emulator.policy_evaluation import Caller, Request

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
    "DataQualityJobDefinitionName": ("JobDefinitionName",),
}
# Variables filled from the request only, never defaulted.
_EVENT_BUS = "EventBusName"


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
        if variable == "KeyId" and value.startswith("arn:") and ":alias/" in value:
            # A key named by its alias's ARN is that alias's key, in the alias's account.
            _, _, _, key_region, owner, _ = value.split(":", 5)
            values |= {"Region": key_region, "Account": owner}
            value = _key_id(value, owner, key_region)
        if value.startswith("arn:"):
            return None  # an ARN of another type: not this one
        if variable == "QueueName" and "/" in value:  # a queue URL: .../ACCOUNT/NAME
            *_, owner, value = value.rstrip("/").rsplit("/", 2)
            values["Account"] = owner if owner.isdigit() else account
        elif variable == "QueueName" and params.get("QueueOwnerAWSAccountId"):
            values["Account"] = params["QueueOwnerAWSAccountId"]
        if variable == "RoleNameWithPath":
            value = _role_path(params, value, account) + value
        if variable == "ParameterNameWithoutLeadingSlash":
            value = value.lstrip("/")
        if variable == "Alias":
            value = value.removeprefix("alias/")
        if variable == "KeyId":
            value = _key_id(value, values["Account"], values["Region"])
        values[variable] = value
    arn = resource.arn_template
    for variable, value in values.items():
        arn = arn.replace("${" + variable + "}", value)
    return arn


def _role_path(params: dict[str, Any], name: str, account: str) -> str:
    """A role's path without its leading slash ("" for "/"): the request's (CreateRole), else
    the role's own."""
    path = params.get("Path")
    if not isinstance(path, str):
        from moto.iam.models import iam_backends

        roles = list(iam_backends[account][_PARTITION].roles.values())
        path = next((r.path for r in roles if r.name == name), "/")
    return (path or "/").lstrip("/")


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
    if action == "sagemaker:CreateModel":
        # A model made from a model package is authorized on the package too (cross-account:
        # the package's group policy must also allow it, as the registry's grants the stages).
        containers = [params.get("PrimaryContainer") or {}, *(params.get("Containers") or [])]
        packages = [
            c["ModelPackageName"]
            for c in containers
            if isinstance(c, dict) and str(c.get("ModelPackageName", "")).startswith("arn:")
        ]
        # (SageMaker writes the model's name lowercase in its ARN.)
        name = str(params.get("ModelName", "")).lower()
        return [f"arn:{_PARTITION}:sagemaker:{region}:{account}:model/{name}", *packages]
    if action in ("cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms"):
        # Each alarm named (all of them when none is).
        names = [n for n in params.get("AlarmNames") or () if isinstance(n, str)] or ["*"]
        return [f"arn:{_PARTITION}:cloudwatch:{region}:{account}:alarm:{n}" for n in names]
    named = [v for v in params.values() if isinstance(v, str) and v.startswith("arn:")]
    found = [arn for arn in named if any(t.pattern.fullmatch(arn) for t in types)]
    if not found:
        found = [arn for arn in (_fill(t, params, account, region) for t in types) if arn]
        if prefix == "sagemaker":  # SageMaker writes the names in its ARNs lowercase
            found = [f"{arn.rsplit(':', 1)[0]}:{arn.rsplit(':', 1)[1].lower()}" for arn in found]
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
    ("sagemaker", "CreateDataQualityJobDefinition"): ("RoleArn", "sagemaker.amazonaws.com"),
}


def _base_context(caller: Caller, region: str) -> dict[str, tuple[str, ...]]:
    now = datetime.now(timezone.utc)
    if caller.service is not None:
        # A service principal has no ARN, user id or account of its own in the context: what
        # it acts for is aws:SourceAccount / aws:SourceArn (IAM User Guide, "AWS global
        # condition context keys": aws:PrincipalServiceName).
        return {
            "aws:securetransport": ("true",),
            "aws:principalservicename": (caller.service,),
            "aws:sourceaccount": (caller.account,),
            **({"aws:sourcearn": (caller.source_arn,)} if caller.source_arn else {}),
            "aws:requestedregion": (region,),
            "aws:currenttime": (now.strftime("%Y-%m-%dT%H:%M:%SZ"),),
            "aws:epochtime": (str(int(now.timestamp())),),
        }
    context = {
        "aws:securetransport": ("true",),
        "aws:viaawsservice": ("false",),
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
    if caller.source_identity:
        context["aws:sourceidentity"] = (caller.source_identity,)
    return context


_LISTINGS = ("ListObjects", "ListObjectsV2", "ListObjectVersions")


def _request_context(
    prefix: str, operation: str, params: dict[str, Any], caller: Caller
) -> dict[str, tuple[str, ...]]:
    context: dict[str, tuple[str, ...]] = {}
    if prefix == "sagemaker" and params.get("ModelApprovalStatus"):
        context["sagemaker:modelapprovalstatus"] = (params["ModelApprovalStatus"],)
    if prefix == "kms":
        context["kms:calleraccount"] = (caller.account,)
    if prefix == "cloudwatch" and params.get("Namespace"):
        context["cloudwatch:namespace"] = (params["Namespace"],)
    if prefix == "s3" and operation in _LISTINGS and params.get("Prefix") is not None:
        # A listing's prefix (the S3 actions' reference: s3:prefix on s3:ListBucket and
        # s3:ListBucketVersions); a listing without one has no such key.
        context["s3:prefix"] = (params["Prefix"],)
    if prefix == "sts":
        # A session's source identity persists across role chaining: assuming a role with it
        # sets it on the new session as if the request gave it (IAM User Guide, "Monitor and
        # control actions taken with assumed roles": both keys are in a chained request's
        # context).
        kept = caller.source_identity if operation.startswith("AssumeRole") else None
        source_identity = params.get("SourceIdentity") or kept
        if source_identity:
            context["sts:sourceidentity"] = (source_identity,)
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


def _ssm_kms_keys(operation: str, params: dict[str, Any], account: str, region: str) -> list[str]:
    """The keys SSM asks KMS to Decrypt with, as the caller, to answer SecureString parameters
    WithDecryption (AWS Systems Manager User Guide, "How AWS Systems Manager Parameter Store
    uses AWS KMS": the caller needs kms:Decrypt on the parameter's key)."""
    if operation not in ("GetParameter", "GetParameters") or not params.get("WithDecryption"):
        return []
    from moto.ssm.models import ssm_backends

    backend = ssm_backends[account][region]
    names = params.get("Names") or [params.get("Name")]
    keys = []
    for name in names:
        try:
            parameter = backend.get_parameter(name) if isinstance(name, str) else None
        except Exception:  # a version or label SSM does not find: it answers that itself
            parameter = None
        if parameter is None or parameter.parameter_type != "SecureString":
            continue
        key = _existing_key(parameter.keyid, account, region)
        if key is not None and key not in keys:
            keys.append(key)
    return keys


# What the service asks KMS for, as the caller, to serve a request on an encrypted topic, queue
# or table: SNS, "Encryption at rest" (a publisher needs kms:GenerateDataKey* and kms:Decrypt);
# SQS, "Key management" (a producer GenerateDataKey and Decrypt, a consumer Decrypt); DynamoDB,
# "How Amazon DynamoDB uses AWS KMS" (Decrypt of the table key for each data-plane request).
_DATA_KEYS = ("kms:GenerateDataKey", "kms:Decrypt")
_ENCRYPTED_STORES = {
    ("sns", "Publish"): _DATA_KEYS,
    ("sns", "PublishBatch"): _DATA_KEYS,
    ("sqs", "SendMessage"): _DATA_KEYS,
    ("sqs", "SendMessageBatch"): _DATA_KEYS,
    ("sqs", "ReceiveMessage"): ("kms:Decrypt",),
    **{
        ("dynamodb", operation): ("kms:Decrypt",)
        for operation in (
            "GetItem",
            "PutItem",
            "UpdateItem",
            "DeleteItem",
            "Query",
            "Scan",
            "BatchGetItem",
            "BatchWriteItem",
        )
    },
}


def _store_key(prefix: str, params: dict[str, Any], account: str, region: str) -> str | None:
    """The customer managed key of the topic, queue or table the request names, if any."""
    key_id = None
    try:
        if prefix == "sns":
            from moto.sns.models import sns_backends

            arn = params.get("TopicArn") or ""
            owner, topic_region = arn.split(":")[4], arn.split(":")[3]
            key_id = sns_backends[owner][topic_region].get_topic(arn).kms_master_key_id
        elif prefix == "sqs":
            from moto.sqs.models import sqs_backends

            owner, name = (params.get("QueueUrl") or "").rstrip("/").split("/")[-2:]
            key_id = sqs_backends[owner][region].get_queue(name).kms_master_key_id
        elif prefix == "dynamodb":
            from moto.dynamodb.models import dynamodb_backends

            names = params.get("RequestItems") or {params.get("TableName"): None}
            name = next(iter(names)).rsplit("/", 1)[-1]
            table = dynamodb_backends[account][region].get_table(name)
            sse = table.sse_specification or {}
            key_id = sse.get("KMSMasterKeyId") if sse.get("Enabled") else None
    except Exception:  # a store the service does not find: it answers that itself
        return None
    if not key_id or key_id.startswith("alias/aws/"):  # AWS managed keys: no policy of ours
        return None
    return _existing_key(key_id, account, region)


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
    of its keys (s3:DeleteObject on each object), EventBridge's PutEvents puts on each entry's
    bus."""
    if (prefix, operation) == ("s3", "DeleteObjects"):
        objects = (params.get("Delete") or {}).get("Objects") or []
        each = [
            params | {"Key": o["Key"], "VersionId": o.get("VersionId")}
            for o in objects
            if isinstance(o, dict)
        ]
        return each or [params]
    if (prefix, operation) == ("events", "PutEvents"):
        # Each entry goes to its own bus (the default one unless it names another, by name or
        # by ARN: another account's bus is that account's).
        entries = [e for e in params.get("Entries") or [] if isinstance(e, dict)]
        buses = {e.get("EventBusName") or "default" for e in entries}
        return [{_EVENT_BUS: bus} for bus in sorted(buses)] or [params]
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


def _through(
    base: dict[str, tuple[str, ...]], service: str, caller: Caller, region: str
) -> dict[str, tuple[str, ...]]:
    """The context of a KMS call a service (ssm, s3, sns, sqs, dynamodb) makes for the caller."""
    return {
        **base,
        "kms:viaservice": (f"{service}.{region}.amazonaws.com",),
        "kms:calleraccount": (caller.account,),
        "aws:viaawsservice": ("true",),
    }


def checks_for(
    prefix: str, operation: str, params: dict[str, Any], caller: Caller, region: str
) -> list[Request]:
    base = _base_context(caller, region)
    context = {**base, **_request_context(prefix, operation, params, caller)}
    checks = []
    for named in _each_resource(prefix, operation, params):
        for action in iam_reference.actions_for(prefix, operation):
            if named.get("VersionId"):
                action = _VERSIONED.get(action, action)
            for arn in resources_for(action, named, caller.account, region):
                owner = None if arn == "*" else _owner(arn, prefix, caller.account)
                checks.append(Request(action, arn, owner, context))
    source = _copy_source(prefix, operation, params)
    if source is not None:
        arn = f"arn:{_PARTITION}:s3:::{source}"
        checks.append(Request("s3:GetObject", arn, _owner(arn, "s3", caller.account), context))
    if prefix == "sts" and operation.startswith("AssumeRole"):
        # Setting a source identity (given, or kept from the calling session) or session tags
        # needs the trust to allow that too.
        role = params["RoleArn"]
        for needed, action in (
            (context.get("sts:sourceidentity"), "sts:SetSourceIdentity"),
            (params.get("Tags"), "sts:TagSession"),
        ):
            if needed:
                checks.append(Request(action, role, role.split(":")[4], context))
    roles, service = _passed_roles(prefix, operation, params)
    for role in roles:
        passed = {**base, "iam:passedtoservice": (service,)}
        checks.append(Request("iam:PassRole", role, role.split(":")[4], passed))
    if prefix == "ssm":
        via = _through(base, "ssm", caller, region)
        for key in _ssm_kms_keys(operation, params, caller.account, region):
            checks.append(Request("kms:Decrypt", key, key.split(":")[4], via))
    if (prefix, operation) in _ENCRYPTED_STORES:
        key = _store_key(prefix, params, caller.account, region)
        if key is not None:
            # A service principal calls KMS as itself, not through a service.
            via = base if caller.service is not None else _through(base, prefix, caller, region)
            for action in _ENCRYPTED_STORES[(prefix, operation)]:
                checks.append(Request(action, key, key.split(":")[4], via))
    if prefix == "s3":
        sse = _sse_kms_key(operation, params, caller.account, region)
        if sse is not None:
            action, key = sse
            checks.append(
                Request(action, key, key.split(":")[4], _through(base, "s3", caller, region))
            )
    return checks
