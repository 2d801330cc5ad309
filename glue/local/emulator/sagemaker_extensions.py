"""SageMaker operations moto 5.2.5 lacks, added to the emulator this project starts.

moto answers HTTP 500 for PutModelPackageGroupPolicy, GetModelPackageGroupPolicy,
DeleteModelPackageGroupPolicy and DeleteModelPackageGroup, which Terraform needs to create and
destroy `aws_sagemaker_model_package_group(_policy)`, and for DeleteModelPackage, without which
a group that held versions could never be destroyed. They are added here with the error
messages AWS gives (the AWS provider matches on them to detect "not found").

CreateModelPackage's ClientToken (an idempotency token in botocore's model: SDKs fill in a
random one) is ignored by moto: two calls with one token made two versions. Here a token the
account has seen answers the version it created, nothing new made (and no event emitted).

moto keeps one SageMaker backend per account and region, so a policy stored on the backend is
stored per group and account.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.sagemaker.exceptions import ConflictException, ValidationError
from moto.sagemaker.models import SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse

_POLICIES_ATTRIBUTE = "_mlops_model_package_group_policies"
_TOKENS_ATTRIBUTE = "_mlops_model_package_client_tokens"
# Creations one at a time: the token's check and the creation are one step (and moto numbers a
# group's versions by counting them, so two at once could get one number).
_CREATING = threading.Lock()


def _group_name(name_or_arn: str) -> str:
    """AWS accepts a group's name or ARN; the backend stores groups by name."""
    return name_or_arn.rsplit("/", 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn


def _policies(backend: SageMakerModelBackend) -> dict[str, str]:
    if not hasattr(backend, _POLICIES_ATTRIBUTE):
        setattr(backend, _POLICIES_ATTRIBUTE, {})
    return getattr(backend, _POLICIES_ATTRIBUTE)


def _existing_group(backend: SageMakerModelBackend, name_or_arn: str) -> str:
    name = _group_name(name_or_arn)
    if name not in backend.model_package_groups:
        raise ValidationError(f"Cannot find Model Package Group {name}")
    return name


def put_model_package_group_policy(backend: SageMakerModelBackend, group: str, policy: str) -> str:
    name = _existing_group(backend, group)
    _policies(backend)[name] = policy
    return backend.model_package_groups[name].arn


def get_model_package_group_policy(backend: SageMakerModelBackend, group: str) -> str:
    name = _existing_group(backend, group)
    policy = _policies(backend).get(name)
    if policy is None:
        arn = backend.model_package_groups[name].arn
        raise ValidationError(f"Cannot find resource policy for {arn}")
    return policy


def delete_model_package_group_policy(backend: SageMakerModelBackend, group: str) -> None:
    name = _existing_group(backend, group)
    if _policies(backend).pop(name, None) is None:
        arn = backend.model_package_groups[name].arn
        raise ValidationError(f"Cannot find resource policy for {arn}")


def delete_model_package_group(backend: SageMakerModelBackend, group: str) -> None:
    name = _group_name(group)
    if name not in backend.model_package_groups:
        region, account = backend.region_name, backend.account_id
        arn = f"arn:aws:sagemaker:{region}:{account}:model-package-group/{name}"
        raise ValidationError(f"ModelPackageGroup {arn} does not exist.")
    if any(p.model_package_group_name == name for p in backend.model_packages.values()):
        raise ConflictException(
            f"Model Package Group {name} cannot be deleted while it contains model packages."
        )
    _policies(backend).pop(name, None)
    del backend.model_package_groups[name]


def delete_model_package(backend: SageMakerModelBackend, name_or_arn: str) -> None:
    key = backend.model_package_name_mapping.get(name_or_arn, name_or_arn)
    if backend.model_packages.pop(key, None) is None:
        raise ValidationError(f"Model package {name_or_arn} not found")
    for alias in [a for a, target in backend.model_package_name_mapping.items() if target == key]:
        del backend.model_package_name_mapping[alias]


def _respond_put_policy(self: SageMakerResponse) -> ActionResult:
    arn = put_model_package_group_policy(
        self.sagemaker_backend,
        self._get_param("ModelPackageGroupName"),
        self._get_param("ResourcePolicy"),
    )
    return ActionResult({"ModelPackageGroupArn": arn})


def _respond_get_policy(self: SageMakerResponse) -> ActionResult:
    policy = get_model_package_group_policy(
        self.sagemaker_backend, self._get_param("ModelPackageGroupName")
    )
    return ActionResult({"ResourcePolicy": policy})


def _respond_delete_policy(self: SageMakerResponse) -> ActionResult:
    delete_model_package_group_policy(
        self.sagemaker_backend, self._get_param("ModelPackageGroupName")
    )
    return EmptyResult()


def _respond_delete_group(self: SageMakerResponse) -> ActionResult:
    delete_model_package_group(self.sagemaker_backend, self._get_param("ModelPackageGroupName"))
    return EmptyResult()


def _respond_delete_package(self: SageMakerResponse) -> ActionResult:
    delete_model_package(self.sagemaker_backend, self._get_param("ModelPackageName"))
    return EmptyResult()


_RESPONSES: dict[str, Any] = {
    "put_model_package_group_policy": _respond_put_policy,
    "get_model_package_group_policy": _respond_get_policy,
    "delete_model_package_group_policy": _respond_delete_policy,
    "delete_model_package_group": _respond_delete_group,
    "delete_model_package": _respond_delete_package,
}


def _idempotent_create(original: Callable) -> Callable:
    def create(self: SageMakerModelBackend, *args: Any, **kwargs: Any) -> str:
        token = kwargs.get("client_token")
        with _CREATING:
            if not hasattr(self, _TOKENS_ATTRIBUTE):
                setattr(self, _TOKENS_ATTRIBUTE, {})
            seen: dict[str, str] = getattr(self, _TOKENS_ATTRIBUTE)
            if token in seen and seen[token] in self.model_packages:
                return self.model_packages[seen[token]].arn
            arn = original(self, *args, **kwargs)
            if token:
                seen[token] = self.model_package_name_mapping.get(arn, arn)
            return arn

    return create


def install_client_tokens() -> None:
    """CreateModelPackage honours its ClientToken; installed after the wrappers that emit
    events, so an answer from a token emits none (idempotent)."""
    if getattr(SageMakerModelBackend, "_mlops_honours_client_tokens", False):
        return
    SageMakerModelBackend.create_model_package = _idempotent_create(
        SageMakerModelBackend.create_model_package
    )
    SageMakerModelBackend._mlops_honours_client_tokens = True


def install() -> None:
    """Add the missing operations to moto's SageMaker responder (idempotent)."""
    for action, handler in _RESPONSES.items():
        if not hasattr(SageMakerResponse, action):
            setattr(SageMakerResponse, action, handler)
