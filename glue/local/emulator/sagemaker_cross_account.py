"""Cross-account model registry access through a group's resource policy, as on AWS.

moto serves every SageMaker call from the caller's own account, so a dev pipeline registering
into the registry account's group by ARN, or a prod Lambda listing its versions, fails there.
Here a call whose group or model package ARN names another account is served by that
account's backend when the group's resource policy (stored by `sagemaker_extensions`) allows
the caller's account the action; otherwise it is denied as AWS denies it.

Also: moto's UpdateModelPackage drops the customer metadata, the approval status and its
description when the call does not repeat them; AWS keeps them (an approval must not erase a
version's lineage, recording metadata must not erase whether and why it was approved).
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable
from typing import Any

from moto.core.exceptions import ServiceException
from moto.sagemaker.models import SageMakerModelBackend, sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse

from glue.local.emulator import sagemaker_extensions

_ARN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"(?P<kind>model-package-group|model-package)/(?P<group>[^/]+)(/(?P<version>\d+))?$"
)

# action -> the request parameter that may carry another account's ARN
_ROUTED = {
    "create_model_package": ("CreateModelPackage", "ModelPackageGroupName"),
    "list_model_packages": ("ListModelPackages", "ModelPackageGroupName"),
    "describe_model_package": ("DescribeModelPackage", "ModelPackageName"),
    "update_model_package": ("UpdateModelPackage", "ModelPackageArn"),
    "describe_model_package_group": ("DescribeModelPackageGroup", "ModelPackageGroupName"),
}


class AccessDeniedException(ServiceException):
    code = "AccessDeniedException"


def _as_list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def policy_allows(policy: str, caller_account: str, action: str, resource: str) -> bool:
    """Whether an Allow statement names the caller's account (root or one of its roles)."""
    for statement in json.loads(policy).get("Statement", []):
        if statement.get("Effect") != "Allow":
            continue
        principals = _as_list(statement.get("Principal", {}).get("AWS", []))
        in_account = any(p.split(":")[4:5] == [caller_account] for p in principals)
        actions = _as_list(statement.get("Action", []))
        action_ok = any(fnmatch.fnmatchcase(f"sagemaker:{action}", a) for a in actions)
        resources = _as_list(statement.get("Resource", []))
        resource_ok = any(fnmatch.fnmatchcase(resource, r) for r in resources)
        if in_account and action_ok and resource_ok:
            return True
    return False


def _route(original: Callable, action: str, parameter: str) -> Callable:
    def routed(self: SageMakerResponse) -> Any:
        match = _ARN.match(self._get_param(parameter) or "")
        if match is None:
            return original(self)
        if parameter == "ModelPackageGroupName":
            # AWS takes a group's name or ARN; moto's backend finds groups by name only.
            self.params[parameter] = match["group"]
        if match["account"] == self.current_account:
            return original(self)
        owner: SageMakerModelBackend = sagemaker_backends[match["account"]][match["region"]]
        group = match["group"]
        try:
            policy = sagemaker_extensions.get_model_package_group_policy(owner, group)
        except ServiceException:
            policy = '{"Statement": []}'
        resource = match.group(0)
        if not policy_allows(policy, self.current_account, action, resource):
            raise AccessDeniedException(
                f"User: arn:aws:iam::{self.current_account}:root is not authorized to perform: "
                f"sagemaker:{action} on resource: {resource} because no resource-based policy "
                "allows the action"
            )
        self.current_account = match["account"]
        return original(self)

    return routed


def _keep_metadata(original: Callable) -> Callable:
    def update(self: SageMakerModelBackend, **kwargs: Any) -> str:
        name = self.model_package_name_mapping.get(
            kwargs["model_package_arn"], kwargs["model_package_arn"]
        )
        existing = self.model_packages.get(name)
        if existing is not None:
            if kwargs.get("customer_metadata_properties") is None:
                kwargs["customer_metadata_properties"] = existing.customer_metadata_properties
            if kwargs.get("approval_description") is None:
                kwargs["approval_description"] = existing.approval_description
            if kwargs.get("model_approval_status") is None:
                kwargs["model_approval_status"] = existing.model_approval_status
        return original(self, **kwargs)

    return update


def install() -> None:
    """Route cross-account registry calls through resource policies (idempotent)."""
    if getattr(SageMakerResponse, "_mlops_cross_account", False):
        return
    for method, (action, parameter) in _ROUTED.items():
        setattr(
            SageMakerResponse, method, _route(getattr(SageMakerResponse, method), action, parameter)
        )
    SageMakerModelBackend.update_model_package = _keep_metadata(
        SageMakerModelBackend.update_model_package
    )
    SageMakerResponse._mlops_cross_account = True
