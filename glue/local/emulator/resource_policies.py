"""The policy of the resource a request acts on, as the local AWS holds it: a bucket's, a KMS
key's, a role's trust (for assuming it), a model package group's, an event bus's, a topic's, a
queue's, a function's."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import unquote

from glue.local.emulator.iam_reference import PARTITION as _PARTITION
from glue.local.emulator.policy_evaluation import Policy

_LOG = logging.getLogger(__name__)

# What a role's trust policy decides: assuming it, and what a session of it may carry.
_TRUSTED_ACTIONS = ("sts:assumerole", "sts:setsourceidentity", "sts:tagsession")


def document(value: Any) -> dict:
    """A policy document as moto holds it: a dict, JSON text, or URL-encoded JSON (IAM's)."""
    if isinstance(value, dict):
        return value
    text = value if value.lstrip().startswith("{") else unquote(value)
    return json.loads(text)


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
                (r for r in list(iam_backends[owner][_PARTITION].roles.values()) if r.arn == arn),
                None,
            )
            if role is None:
                return None, True
            return Policy(f"trust policy {arn}", document(role.assume_role_policy_document)), True
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
                return Policy(f"bus policy {arn}", document(policy)), False
        if service == "sns":
            from moto.sns.models import sns_backends

            topic = sns_backends[owner][region].topics.get(arn)
            if topic is not None:
                return Policy(f"topic policy {arn}", json.loads(topic.policy)), False
        if service == "sqs":
            from moto.sqs.models import sqs_backends

            queue = sqs_backends[owner][region].queues.get(arn.rsplit(":", 1)[-1])
            if queue is not None and queue.policy:
                return Policy(f"queue policy {arn}", document(queue.policy)), False
        if service == "lambda" and ":function:" in arn:
            from moto.awslambda.models import lambda_backends

            name = arn.split(":function:", 1)[1].split(":", 1)[0]
            try:
                function = lambda_backends[owner][region].get_function(name)
                held = function.policy.get_policy()["Policy"]
            except Exception:
                return None, False
            return Policy(f"function policy {arn}", held), False
    except (KeyError, ValueError, AttributeError) as error:
        _LOG.debug("authorization: no policy for %s (%s)", arn, error)
    return None, False
