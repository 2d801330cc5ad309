"""Lambda handler of the inference pipeline: the newest approved version of a model group.

Returns the version's ARN, model data URL, image and data-quality baseline (the statistics and
constraints registered as its drift check baselines): the outputs the pipeline's CreateModel and
data-quality check steps read, as the reference design's helper returns them. Pages through
every version (never trusts one page) and fails with a clear message when no version is
approved.
"""

from __future__ import annotations

from typing import Any

import boto3

# The image this script runs in (its Python and packages: glue/steps/images.json).
IMAGE = "lambda:python3.12"


class NoApprovedModel(Exception):
    pass


def drift_check_baselines(described: dict) -> tuple[str, str] | None:
    """A described version's data-quality drift check baselines (statistics, constraints URIs),
    if it has both."""
    files = described.get("DriftCheckBaselines", {}).get("ModelDataQuality", {})
    if not {"Statistics", "Constraints"} <= set(files):
        return None
    return files["Statistics"]["S3Uri"], files["Constraints"]["S3Uri"]


def latest_approved(sagemaker: Any, group: str, page_size: int = 100) -> dict[str, str]:
    newest = None
    paginator = sagemaker.get_paginator("list_model_packages")
    pages = paginator.paginate(
        ModelPackageGroupName=group,
        ModelApprovalStatus="Approved",
        PaginationConfig={"PageSize": page_size},
    )
    for page in pages:
        for summary in page["ModelPackageSummaryList"]:
            if newest is None or summary["CreationTime"] > newest["CreationTime"]:
                newest = summary
    if newest is None:
        raise NoApprovedModel(
            f"no approved model version in {group}: approve one with `mlops models approve`"
        )
    described = sagemaker.describe_model_package(ModelPackageName=newest["ModelPackageArn"])
    container = described["InferenceSpecification"]["Containers"][0]
    baseline = drift_check_baselines(described)
    if baseline is None:
        raise NoApprovedModel(
            f"{newest['ModelPackageArn']} has no data-quality drift check baselines: register "
            "versions through the training pipeline, which registers its baseline with them"
        )
    return {
        "ModelPackageArn": newest["ModelPackageArn"],
        "ModelDataUrl": container["ModelDataUrl"],
        "ImageUri": container["Image"],
        "BaselineStatisticsUri": baseline[0],
        "BaselineConstraintsUri": baseline[1],
    }


def handler(event: dict, context: Any) -> dict[str, str]:
    return latest_approved(boto3.client("sagemaker"), event["model_package_group_arn"])
