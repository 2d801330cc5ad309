"""Rollback on the local AWS: the served version is rejected and the approved one before it
serves again, as the inference pipeline's Lambda picks it; refusals change nothing."""

from __future__ import annotations

import uuid

import pytest

from glue import registry
from glue.aws import client
from glue.errors import MlopsError
from glue.steps.latest_approved_model import latest_approved
from tests import accounts
from tests.conftest import ACCOUNTS

pytestmark = pytest.mark.emulator


@pytest.fixture()
def group(emulator):
    """A group of its own in the registry account, and a way to add versions to it."""
    sagemaker = client(accounts.session(emulator, ACCOUNTS["registry"]), "sagemaker", emulator)
    arn = sagemaker.create_model_package_group(ModelPackageGroupName=f"rb-{uuid.uuid4().hex[:12]}")[
        "ModelPackageGroupArn"
    ]

    def add(status: str) -> None:
        """A version of that status ("Pending": pending manual approval)."""
        sagemaker.create_model_package(
            ModelPackageGroupName=arn,
            InferenceSpecification=accounts.INFERENCE_SPEC,
            ModelApprovalStatus=status.replace("Pending", "PendingManualApproval"),
            DriftCheckBaselines=accounts.DRIFT_CHECK_BASELINES,
        )

    return sagemaker, arn, add


def statuses(sagemaker, arn) -> list[str]:
    return [v.status for v in registry.list_versions(sagemaker, arn)]


def test_rollback_serves_the_previous_approved_version_and_a_repeat_changes_nothing(group):
    sagemaker, arn, add = group
    for status in ("Approved", "Approved", "Approved", "Rejected", "Approved", "Pending"):
        add(status)
    assert latest_approved(sagemaker, arn)["ModelPackageArn"].endswith("/5")
    # A rejected version older than the one served was not rolled back from it: refused.
    with pytest.raises(MlopsError) as refused:
        registry.rollback(sagemaker, arn, "rollback: drift", version=4)
    assert str(refused.value) == (
        f"version 4 of {arn} is Rejected, not the one served (version 5 is): nothing rolled back"
    )

    done = registry.rollback(sagemaker, arn, "rollback: AUC fell to 0.6", version=5)
    assert (done.rejected.version, done.rejected.status, done.changed) == (5, "Rejected", True)
    assert done.serving.version == 3
    # What the next inference run gets from the Lambda.
    assert latest_approved(sagemaker, arn)["ModelPackageArn"] == done.serving.arn
    described = registry.describe(sagemaker, arn, 5)
    assert described["ApprovalDescription"] == "rollback: AUC fell to 0.6"

    again = registry.rollback(sagemaker, arn, "rollback: AUC fell to 0.6", version=5)
    assert (again.rejected.version, again.serving.version, again.changed) == (5, 3, False)
    assert statuses(sagemaker, arn) == [
        "Approved",
        "Approved",
        "Approved",
        "Rejected",
        "Rejected",
        "PendingManualApproval",
    ]


def test_two_approved_versions_are_enough_to_roll_back(group):
    sagemaker, arn, add = group
    add("Approved")
    add("Approved")
    done = registry.rollback(sagemaker, arn, "rollback: drift")
    assert (done.rejected.version, done.serving.version, done.changed) == (2, 1, True)


@pytest.mark.parametrize(
    ("versions", "arguments", "message"),
    [
        (
            ["Approved"],
            {},
            "no earlier approved version in {arn} to roll back to (version 1 is approved): "
            "rejecting it would leave nothing to serve; approve or promote another version first",
        ),
        ([], {}, "no earlier approved version in {arn} to roll back to (no version is approved)"),
        (
            ["Approved", "Approved"],
            {"version": 1},
            "version 1 of {arn} is Approved, not the one served (version 2 is): "
            "nothing rolled back",
        ),
        (
            ["Pending"],
            {"version": 1},
            "version 1 of {arn} is PendingManualApproval, not the one served (no version is)",
        ),
        (
            ["Approved", "Approved"],
            {"version": 7},
            "model version 7 does not exist in {arn}: `mlops models list` shows the versions",
        ),
        (
            ["Approved", "Approved"],
            {"comment": " "},
            "a comment is required: say why the served version is rolled back",
        ),
    ],
)
def test_a_rollback_that_cannot_be_done_is_refused_and_changes_nothing(
    group, versions, arguments, message
):
    sagemaker, arn, add = group
    for status in versions:
        add(status)
    before = statuses(sagemaker, arn)
    # (the parameters are read, never changed: a test run again gets them as they were)
    comment = arguments.get("comment", "rollback: drift")
    version = {k: v for k, v in arguments.items() if k != "comment"}
    with pytest.raises(MlopsError) as refused:
        registry.rollback(sagemaker, arn, comment, **version)
    assert str(refused.value).startswith(message.format(arn=arn))
    assert statuses(sagemaker, arn) == before
