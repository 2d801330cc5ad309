"""Promotion's own rules (glue/registry.py), on groups of their own in the registry account:
which version is copied, once, with what lineage and comment, and what is refused unchanged.
The end-to-end promotions (CLI, approvers, events) are tests/test_environments_apply.py's and
tests/test_governance_table.py's."""

from __future__ import annotations

import uuid

import pytest

from glue import registry
from glue.aws import client
from glue.errors import MlopsError
from tests import accounts
from tests.conftest import ACCOUNTS

pytestmark = pytest.mark.emulator

COMMIT = "0123abc"


@pytest.fixture()
def groups(emulator):
    """A source (a stage's dev group) and a target group of their own, and a way to add
    versions to the source: the version's metadata says which it is."""
    sagemaker = client(accounts.session(emulator, ACCOUNTS["registry"]), "sagemaker", emulator)
    made = [
        sagemaker.create_model_package_group(
            ModelPackageGroupName=f"pr-{side}-{uuid.uuid4().hex[:10]}"
        )["ModelPackageGroupArn"]
        for side in ("dev", "prod")
    ]

    def add(status: str, auc: str, comment: str = "") -> None:
        created = sagemaker.create_model_package(
            ModelPackageGroupName=made[0],
            InferenceSpecification=accounts.INFERENCE_SPEC,
            ModelApprovalStatus="PendingManualApproval",
            CustomerMetadataProperties={"auc": auc},
        )["ModelPackageArn"]
        if status != "PendingManualApproval":
            sagemaker.update_model_package(
                ModelPackageArn=created, ModelApprovalStatus=status, ApprovalDescription=comment
            )

    return sagemaker, made[0], made[1], add


def test_the_asked_version_is_copied_approved_with_its_lineage_once(groups):
    sagemaker, source, target, add = groups
    add("Approved", "0.91", "AUC 0.91")
    add("Approved", "0.95", "AUC 0.95")  # newer, approved too: not the one asked for

    promotion = registry.promote(sagemaker, source, target, 1, COMMIT)
    copy = promotion.version
    assert promotion.created and copy.status == "Approved"
    assert copy.metadata == {
        "auc": "0.91",
        "source_model_package_arn": registry.package_arn(source, 1),
        "promotion_commit": COMMIT,
    }
    assert copy.comment == f"promoted from {registry.package_arn(source, 1)} (approved: AUC 0.91)"
    # Once: promoted again, the same copy, and nothing new in the target.
    again = registry.promote(sagemaker, source, target, 1, "another")
    assert (again.version.arn, again.created) == (copy.arn, False)
    assert [v.arn for v in registry.list_versions(sagemaker, target)] == [copy.arn]
    # The other version is a copy of its own.
    other = registry.promote(sagemaker, source, target, 2, COMMIT).version
    assert other.arn != copy.arn and other.metadata["auc"] == "0.95"
    assert registry.copies_of(sagemaker, registry.package_arn(source, 2), target) == [other]


def test_a_source_approved_without_a_comment_says_so_on_its_copy(groups):
    sagemaker, source, target, add = groups
    add("Approved", "0.9")
    copy = registry.promote(sagemaker, source, target, 1, COMMIT).version
    assert copy.comment.endswith("(approved: no comment)")


@pytest.mark.parametrize("status", ["PendingManualApproval", "Rejected"])
def test_only_an_approved_version_is_promoted(groups, status):
    sagemaker, source, target, add = groups
    add(status, "0.9", "not this one")
    with pytest.raises(MlopsError, match=f"version 1 of .* is {status}: only approved"):
        registry.promote(sagemaker, source, target, 1, COMMIT)
    assert registry.list_versions(sagemaker, target) == []


def test_a_challenge_refuses_unless_forced_with_a_comment_which_the_copy_keeps(groups):
    sagemaker, source, target, add = groups
    add("Approved", "0.80", "AUC 0.80")
    asked = []

    def worse(described: dict) -> str:
        asked.append(described["ModelPackageArn"])
        return "AUC 0.80 is worse than the champion's 0.90"

    with pytest.raises(MlopsError, match="worse than the champion's 0.90: nothing promoted"):
        registry.promote(sagemaker, source, target, 1, COMMIT, worse)
    assert asked == [registry.package_arn(source, 1)]  # the asked version is challenged
    with pytest.raises(MlopsError, match="a comment is required"):
        registry.promote(sagemaker, source, target, 1, COMMIT, worse, forced="  ")
    assert registry.list_versions(sagemaker, target) == []

    forced = registry.promote(sagemaker, source, target, 1, COMMIT, worse, forced=" hotfix ")
    assert forced.version.comment.startswith(
        "forced: hotfix (AUC 0.80 is worse than the champion's 0.90); promoted from "
    )
    # Promoted before, it is not challenged again.
    assert registry.promote(sagemaker, source, target, 1, COMMIT, worse).created is False
    assert len(asked) == 3
