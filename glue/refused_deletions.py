"""Deletions AWS would refuse, found before an apply deletes anything.

Terraform deletes in dependency order and stops at the first refusal: a registry whose groups
hold versions lost its bucket policy, rule, recorder and contract before SageMaker refused to
delete a group. So a plan that deletes what AWS refuses to delete in its present state is
refused whole, before any deletion, each obstacle named with what to do (`mlops plan` already
names them, so the plan can be kept and applied once they are cleared).

What is deleted, and as what it was, comes from the plan itself: its prior state (the plan
file's `tfstate`), the same bytes the apply applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from glue.aws import client
from glue.terraform_output import prior_instances


@dataclass(frozen=True)
class Deleted:
    address: str
    type: str
    attributes: dict


def deleted(plan: bytes, changes: Iterable[tuple[str, str]]) -> Iterator[Deleted]:
    """Each managed resource the plan deletes (or replaces), with its attributes before."""
    deleting = {address for action, address in changes if action in ("delete", "replace")}
    if not deleting:
        return
    for address, (kind, attributes) in prior_instances(plan).items():
        if address in deleting:
            yield Deleted(address, kind, attributes)


def obstacles(plan: bytes, changes: Iterable[tuple[str, str]], session, target) -> list[str]:
    """What AWS would refuse of the plan's deletions, as it stands now: one sentence each."""
    found = []
    for resource in deleted(plan, changes):
        why = _refusal(resource, session, target)
        if why:
            found.append(f"{resource.address}: {why}")
    return found


def _refusal(resource: Deleted, session, target) -> str | None:
    attributes = resource.attributes
    if resource.type == "aws_dynamodb_table" and attributes.get("deletion_protection_enabled"):
        return (
            f"DynamoDB refuses to delete table {attributes.get('name')} while its deletion "
            "protection is on: set protect_from_destroy to false in the tfvars and apply that "
            "first (a decision to lose the governance record)"
        )
    if resource.type == "aws_s3_bucket" and not attributes.get("force_destroy"):
        bucket = attributes.get("bucket")
        listed = client(session, "s3", target).list_object_versions(Bucket=bucket, MaxKeys=1)
        if listed.get("Versions") or listed.get("DeleteMarkers"):
            return (
                f"S3 refuses to delete bucket {bucket} while it holds objects, and force_destroy "
                "is off (protect_from_destroy): empty it, every version, or set "
                "protect_from_destroy to false and apply that first"
            )
    if resource.type == "aws_sagemaker_model_package_group":
        group = attributes.get("model_package_group_name")
        sagemaker = client(session, "sagemaker", target)
        listed = sagemaker.list_model_packages(ModelPackageGroupName=group, MaxResults=1)
        if listed.get("ModelPackageSummaryList"):
            return (
                f"SageMaker refuses to delete model package group {group} while it holds "
                "versions: delete them first, as the registry's administrator (README, "
                "Deploying to AWS, step 9)"
            )
    return None
