"""glue/registry.py's own rules, on groups of their own in the registry account: how a version
reads, what a status change needs, and promotion (which version is copied, once, with what
lineage and comment, and what is refused unchanged). The end-to-end promotions (CLI, approvers,
events) are tests/test_environments_apply.py's and tests/test_governance_table.py's; rollback is
tests/test_rollback.py's."""

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

    def add(status: str, auc: str, comment: str = "", metadata=(), **more) -> None:
        created = sagemaker.create_model_package(
            ModelPackageGroupName=made[0],
            InferenceSpecification=accounts.INFERENCE_SPEC,
            ModelApprovalStatus="PendingManualApproval",
            CustomerMetadataProperties={"auc": auc, **dict(metadata)},
            **more,
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

    with pytest.raises(MlopsError) as refused:
        registry.promote(sagemaker, source, target, 1, COMMIT, worse)
    assert str(refused.value) == (
        "AUC 0.80 is worse than the champion's 0.90: nothing promoted (promote it anyway with "
        '--force --comment "why", which the copy\'s approval records)'
    )
    assert asked == [registry.package_arn(source, 1)]  # the asked version is challenged
    with pytest.raises(MlopsError) as uncommented:
        registry.promote(sagemaker, source, target, 1, COMMIT, worse, forced="  ")
    assert str(uncommented.value) == (
        "a comment is required: say why a challenger worse than the champion is promoted"
    )
    assert registry.list_versions(sagemaker, target) == []

    forced = registry.promote(sagemaker, source, target, 1, COMMIT, worse, forced=" hotfix ")
    assert forced.version.comment.startswith(
        "forced: hotfix (AUC 0.80 is worse than the champion's 0.90); promoted from "
    )
    # Promoted before, it is not challenged again.
    assert registry.promote(sagemaker, source, target, 1, COMMIT, worse).created is False
    assert len(asked) == 3


def test_a_version_reads_as_sagemaker_describes_it(groups):
    sagemaker, source, _, add = groups
    add("PendingManualApproval", "0.9")
    [pending] = registry.list_versions(sagemaker, source)
    described = registry.describe(sagemaker, source, 1)
    assert (pending.arn, pending.version, pending.status) == (
        registry.package_arn(source, 1),
        1,
        "PendingManualApproval",
    )
    assert pending.created == str(described["CreationTime"]) and pending.comment == ""
    assert pending.changed == described.get("LastModifiedTime", described["CreationTime"])

    decided = registry.set_status(sagemaker, source, 1, "Approved", "  AUC 0.9  ")
    described = registry.describe(sagemaker, source, 1)
    assert (decided.status, decided.comment) == ("Approved", "AUC 0.9")  # as a person reads it
    assert decided.changed == described["LastModifiedTime"] >= described["CreationTime"]
    assert registry.list_versions(sagemaker, source) == [decided]


def test_a_status_change_needs_a_comment_and_an_existing_version(groups):
    sagemaker, source, _, add = groups
    add("PendingManualApproval", "0.9")
    with pytest.raises(MlopsError) as refused:
        registry.set_status(sagemaker, source, 1, "Approved", " ")
    assert str(refused.value) == (
        "a comment is required: say why the version is approved or rejected"
    )
    with pytest.raises(MlopsError) as missing:
        registry.set_status(sagemaker, source, 7, "Approved", "AUC 0.9")
    assert str(missing.value) == (
        f"model version 7 does not exist in {source}: `mlops models list` shows the versions"
    )
    assert [v.status for v in registry.list_versions(sagemaker, source)] == [
        "PendingManualApproval"
    ]


def test_a_copy_left_pending_is_approved_by_the_next_promotion_not_made_again(groups):
    sagemaker, source, target, add = groups
    add("Approved", "0.9", "AUC 0.9")
    described = registry.describe(sagemaker, source, 1)
    left = registry._copy(sagemaker, described, target, COMMIT)  # its approval never came
    promotion = registry.promote(sagemaker, source, target, 1, COMMIT)
    assert (promotion.version.arn, promotion.version.status) == (left, "Approved")
    assert [v.arn for v in registry.list_versions(sagemaker, target)] == [left]


def test_the_copy_keeps_the_source_s_metrics_baseline_and_a_comment_within_sagemaker_s_limit(
    groups,
):
    """The copy serves the next stage: its inference checks batches against the baseline the
    version was registered with, and its reviewers see the same metrics."""
    sagemaker, source, target, add = groups
    metrics = {"ModelQuality": {"Statistics": {"ContentType": "application/json",
                                               "S3Uri": "s3://m/evaluation.json"}}}  # fmt: skip
    baselines = accounts.DRIFT_CHECK_BASELINES
    add("Approved", "0.9", "x" * 1000, ModelMetrics=metrics, DriftCheckBaselines=baselines)
    copy = registry.promote(sagemaker, source, target, 1, COMMIT).version
    # ApprovalDescription holds at most 1024 characters (botocore's model): cut there.
    assert len(copy.comment) == 1024 and copy.comment.startswith("promoted from ")
    described = sagemaker.describe_model_package(ModelPackageName=copy.arn)
    assert described["ModelMetrics"] == metrics
    assert described["DriftCheckBaselines"] == baselines
    assert registry.latest(sagemaker, target)["BaselineConstraintsUri"] == (
        "s3://m/baseline/constraints.json"
    )


def test_promoting_a_version_that_does_not_exist_says_so(groups):
    sagemaker, source, target, _ = groups
    with pytest.raises(
        MlopsError, match=r"^model version 3 does not exist in .*`mlops models list`"
    ):
        registry.promote(sagemaker, source, target, 3, COMMIT)


def test_every_page_of_versions_is_read_oldest_first(groups):
    sagemaker, source, _, add = groups
    for auc in ("0.81", "0.82", "0.83"):
        add("PendingManualApproval", auc)
    listed = registry.list_versions(sagemaker, source, page_size=2)
    assert [(v.version, v.auc) for v in listed] == [(1, "0.81"), (2, "0.82"), (3, "0.83")]


def test_what_a_stage_serves_is_its_newest_approved_version(groups):
    sagemaker, source, _, add = groups
    assert registry.serving(sagemaker, source) is None
    with pytest.raises(MlopsError) as none:
        registry.latest(sagemaker, source)
    assert str(none.value) == (
        f"no approved model version in {source}: approve one with `mlops models approve`"
    )
    for status in ("Approved", "Approved", "Approved", "Rejected", "PendingManualApproval"):
        add(status, "0.9", "reviewed")
    served = registry.serving(sagemaker, source)
    assert served["ModelPackageArn"] == registry.package_arn(source, 3)
    assert served["ModelApprovalStatus"] == "Approved"
    with pytest.raises(MlopsError, match="has no data-quality drift check baselines"):
        registry.latest(sagemaker, source)  # the Lambda's rule
    add("Approved", "0.9", "reviewed", DriftCheckBaselines=accounts.DRIFT_CHECK_BASELINES)
    assert registry.latest(sagemaker, source)["ModelPackageArn"] == registry.package_arn(source, 6)
