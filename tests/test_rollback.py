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
        sagemaker.create_model_package(
            ModelPackageGroupName=arn,
            InferenceSpecification=accounts.INFERENCE_SPEC,
            ModelApprovalStatus=status,
            CustomerMetadataProperties={"baseline_uri": "s3://m/baseline.json"},
        )

    return sagemaker, arn, add


def statuses(sagemaker, arn) -> list[str]:
    return [v.status for v in registry.list_versions(sagemaker, arn)]


def test_rollback_serves_the_previous_approved_version_and_a_repeat_changes_nothing(group):
    sagemaker, arn, add = group
    for status in ("Approved", "Approved", "Rejected", "Approved", "PendingManualApproval"):
        add(status)
    assert latest_approved(sagemaker, arn)["ModelPackageArn"].endswith("/4")

    done = registry.rollback(sagemaker, arn, "rollback: AUC fell to 0.6", version=4)
    assert (done.rejected.version, done.rejected.status, done.changed) == (4, "Rejected", True)
    assert done.serving.version == 2
    # What the next inference run gets from the Lambda.
    assert latest_approved(sagemaker, arn)["ModelPackageArn"] == done.serving.arn
    described = registry.describe(sagemaker, arn, 4)
    assert described["ApprovalDescription"] == "rollback: AUC fell to 0.6"

    again = registry.rollback(sagemaker, arn, "rollback: AUC fell to 0.6", version=4)
    assert (again.rejected.version, again.serving.version, again.changed) == (4, 2, False)
    assert statuses(sagemaker, arn) == [
        "Approved",
        "Approved",
        "Rejected",
        "Rejected",
        "PendingManualApproval",
    ]


@pytest.mark.parametrize(
    ("versions", "arguments", "message"),
    [
        (["Approved"], {}, "no earlier approved version in .* \\(version 1 is approved\\)"),
        ([], {}, "no earlier approved version in .* \\(no version is approved\\)"),
        (["Approved", "Approved"], {"version": 1}, "version 1 .* is Approved, not the one served"),
        (["Approved", "Approved"], {"version": 7}, "model version 7 does not exist"),
        (["Approved", "Approved"], {"comment": " "}, "a comment is required: say why the served"),
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
    with pytest.raises(MlopsError, match=message):
        registry.rollback(sagemaker, arn, comment, **version)
    assert statuses(sagemaker, arn) == before
