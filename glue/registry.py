"""Model governance over the central model package groups.

Reads (list, latest) run in the workload account, through the group's resource policy. Writes
(approve, reject, promote) run as the registry account, which owns the groups; their events
fill the registry's governance table.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from glue.errors import MlopsError
from glue.steps.latest_approved_model import NoApprovedModel, latest_approved

APPROVED, REJECTED, PENDING = "Approved", "Rejected", "PendingManualApproval"
# Who trained a version (its metadata): the training pipeline's TrainedBy parameter, which
# `mlops pipelines start` sets to the person who started it.
TRAINED_BY = "trained_by"


@dataclass(frozen=True)
class ModelVersion:
    arn: str
    version: int
    status: str
    created: str
    metadata: dict[str, str] = field(default_factory=dict)
    comment: str = ""  # of the last approval or rejection
    changed: datetime | None = None  # when its status last changed (else when it was created)

    @property
    def auc(self) -> str:
        return self.metadata.get("auc", "-")


def package_arn(group_arn: str, version: int) -> str:
    return f"{group_arn.replace(':model-package-group/', ':model-package/')}/{version}"


def to_version(described: dict[str, Any]) -> ModelVersion:
    return ModelVersion(
        arn=described["ModelPackageArn"],
        # Every version of a group has its number (DescribeModelPackage's ModelPackageVersion).
        version=int(described["ModelPackageVersion"]),
        status=described["ModelApprovalStatus"],
        created=str(described["CreationTime"]),
        metadata=dict(described.get("CustomerMetadataProperties") or {}),
        comment=(described.get("ApprovalDescription") or "").strip(),
        changed=described.get("LastModifiedTime") or described["CreationTime"],
    )


def describe(sagemaker, group_arn: str, version: int) -> dict[str, Any]:
    try:
        return sagemaker.describe_model_package(ModelPackageName=package_arn(group_arn, version))
    except ClientError as error:
        # SageMaker answers a version that does not exist with a ValidationException.
        if error.response["Error"]["Code"] == "ValidationException":
            raise MlopsError(
                f"model version {version} does not exist in {group_arn}: "
                "`mlops models list` shows the versions"
            ) from None
        raise


def list_versions(sagemaker, group_arn: str, page_size: int = 100) -> list[ModelVersion]:
    """Every version of the group, oldest first (every page of them)."""
    summaries = []
    for page in sagemaker.get_paginator("list_model_packages").paginate(
        ModelPackageGroupName=group_arn, PaginationConfig={"PageSize": page_size}
    ):
        summaries += page["ModelPackageSummaryList"]
    return sorted(
        (
            to_version(sagemaker.describe_model_package(ModelPackageName=s["ModelPackageArn"]))
            for s in summaries
        ),
        key=lambda v: v.version,
    )


def require_comment(comment: str, why: str) -> None:
    """Every change of a version's status says why: the comment is its record."""
    if not comment.strip():
        raise MlopsError(f"a comment is required: say why {why}")


def set_status(sagemaker, group_arn: str, version: int, status: str, comment: str) -> ModelVersion:
    require_comment(comment, "the version is approved or rejected")
    describe(sagemaker, group_arn, version)
    sagemaker.update_model_package(
        ModelPackageArn=package_arn(group_arn, version),
        ModelApprovalStatus=status,
        ApprovalDescription=comment,
    )
    return to_version(describe(sagemaker, group_arn, version))


def copies_of(sagemaker, source_arn: str, target_group_arn: str) -> list[ModelVersion]:
    """The versions of the target group promoted from the source version."""
    return [
        v
        for v in list_versions(sagemaker, target_group_arn)
        if v.metadata.get("source_model_package_arn") == source_arn
    ]


@dataclass(frozen=True)
class Promotion:
    version: ModelVersion
    created: bool  # False: the source was promoted before, and this is that copy


def promote(
    sagemaker,
    source_group_arn: str,
    target_group_arn: str,
    version: int,
    commit: str,
    challenge: Callable[[dict[str, Any]], str | None] = lambda source: None,
    forced: str | None = None,
) -> Promotion:
    """Copy an approved version into the target group, approved, with its lineage; once: a
    version promoted before returns its existing copy. A new copy is made only if `challenge`
    finds no reason against it (the champion there is better), or `forced` says why anyway."""
    source = describe(sagemaker, source_group_arn, version)
    if source["ModelApprovalStatus"] != APPROVED:
        raise MlopsError(
            f"version {version} of {source_group_arn} is {source['ModelApprovalStatus']}: "
            "only approved versions are promoted (`mlops models approve` first)"
        )
    existing = copies_of(sagemaker, source["ModelPackageArn"], target_group_arn)
    if existing and existing[0].status != PENDING:
        return Promotion(existing[0], created=False)
    # The copy's approval says where it comes from and why that was approved: what a
    # compliance report shows for it.
    why = (source.get("ApprovalDescription") or "").strip() or "no comment"
    description = f"promoted from {source['ModelPackageArn']} (approved: {why})"
    if not existing:
        problem = challenge(source)
        if problem:
            if forced is None:
                raise MlopsError(
                    f"{problem}: nothing promoted (promote it anyway with --force --comment "
                    '"why", which the copy\'s approval records)'
                )
            require_comment(forced, "a challenger worse than the champion is promoted")
            description = f"forced: {forced.strip()} ({problem}); {description}"
    # A copy left pending (its approval failed after it was created) is approved now.
    created = existing[0].arn if existing else _copy(sagemaker, source, target_group_arn, commit)
    sagemaker.update_model_package(
        ModelPackageArn=created,
        ModelApprovalStatus=APPROVED,
        ApprovalDescription=description[:1024],
    )
    return Promotion(to_version(sagemaker.describe_model_package(ModelPackageName=created)), True)


def _copy(sagemaker, source: dict[str, Any], target_group_arn: str, commit: str) -> str:
    """The source's copy in the target group, pending approval, with its lineage."""
    metadata = dict(source.get("CustomerMetadataProperties") or {})
    metadata.update(
        {"source_model_package_arn": source["ModelPackageArn"], "promotion_commit": commit}
    )
    arguments: dict[str, Any] = {
        "ModelPackageGroupName": target_group_arn,
        "ModelPackageDescription": f"promoted from {source['ModelPackageArn']}",
        "InferenceSpecification": source["InferenceSpecification"],
        # Created pending, then approved with its comment (CreateModelPackage takes none): the
        # approval is a status change, so its event carries the comment to the governance
        # table and starts the stage's inference.
        "ModelApprovalStatus": PENDING,
        "CustomerMetadataProperties": metadata,
        # One copy per source and target group, however many promotions run at once: the
        # token is derived from both, and SageMaker answers a token it has seen with the
        # version it created. The source's creation time tells a version from one of the same
        # ARN in a group deleted and made again.
        "ClientToken": str(
            uuid.uuid5(
                uuid.NAMESPACE_URL,
                f"{source['ModelPackageArn']} {source.get('CreationTime')} {target_group_arn}",
            )
        ),
    }
    # Its metrics, and the data-quality baseline the stage's inference checks batches against.
    for kept in ("ModelMetrics", "DriftCheckBaselines"):
        if source.get(kept):
            arguments[kept] = source[kept]
    return sagemaker.create_model_package(**arguments)["ModelPackageArn"]


ROLLED_BACK = "the served version is rolled back"


@dataclass(frozen=True)
class Rollback:
    rejected: ModelVersion  # the version that served and no longer does
    serving: ModelVersion  # the approved version served again
    changed: bool  # False: that version was rolled back before, and nothing changed


def rollback(sagemaker, group_arn: str, comment: str, version: int | None = None) -> Rollback:
    """Reject the version served (the newest approved, as the inference Lambda picks it) so the
    approved one before it serves again. With `version`, only that version is rolled back: a
    repeat finds it rejected and changes nothing."""
    require_comment(comment, ROLLED_BACK)
    versions = list_versions(sagemaker, group_arn)
    # Versions are numbered in creation order, the order the Lambda picks the newest by.
    approved = [v for v in versions if v.status == APPROVED]
    if version is not None:
        asked = next((v for v in versions if v.version == version), None)
        if asked is None:
            raise MlopsError(
                f"model version {version} does not exist in {group_arn}: "
                "`mlops models list` shows the versions"
            )
        if asked.status == REJECTED and approved and approved[-1].version < version:
            return Rollback(asked, approved[-1], changed=False)
        if not approved or approved[-1].version != version:
            served = f"version {approved[-1].version}" if approved else "no version"
            raise MlopsError(
                f"version {version} of {group_arn} is {asked.status}, not the one served "
                f"({served} is): nothing rolled back"
            )
    if len(approved) < 2:
        only = f"version {approved[0].version}" if approved else "no version"
        raise MlopsError(
            f"no earlier approved version in {group_arn} to roll back to ({only} is approved): "
            "rejecting it would leave nothing to serve; approve or promote another version first"
        )
    rejected = set_status(sagemaker, group_arn, approved[-1].version, REJECTED, comment)
    return Rollback(rejected, approved[-2], changed=True)


def serving(sagemaker, group_arn: str) -> dict[str, Any] | None:
    """The version a stage serves (the newest approved, as its Lambda picks it), described; None
    when none is approved."""
    approved = [v for v in list_versions(sagemaker, group_arn) if v.status == APPROVED]
    return sagemaker.describe_model_package(ModelPackageName=approved[-1].arn) if approved else None


def latest(sagemaker, group_arn: str) -> dict[str, str]:
    try:
        return latest_approved(sagemaker, group_arn)
    except NoApprovedModel as error:
        raise MlopsError(str(error)) from None
