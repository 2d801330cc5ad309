"""The platform contract: what each root outputs as `platform`, as Python types.

Terraform decides every AWS name and ARN (environments/*/outputs.tf); the glue reads them from
here and computes none. A field added to a root's `platform` output is added to its class below;
a stored contract that lacks a field (an environment applied by an older version) is an error
that says to apply it again.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar, TypeVar

from glue.errors import MlopsError


@dataclass(frozen=True)
class RegistryContract:
    """The central account: the artifacts bucket and its key, each stage's group, and the
    governance table with what fills it (rule, function, dead-letter queue)."""

    environment: str
    parameter_name: str
    artifacts_bucket_name: str
    artifacts_kms_key_arn: str
    model_package_group_arns: dict[str, str]
    feature_group_arns: dict[str, str]  # per feature branch: dev's candidates of that branch
    approval_rule_arns: dict[str, str]  # per stage: forwards approvals to its account
    governance_table_name: str
    governance_table_arn: str
    governance_rule_arn: str
    governance_function_arn: str
    governance_dead_letter_queue_url: str
    model_approver_role_arns: dict[str, str]  # per stage: who decides there (glue/people.py)
    governance_reader_role_arn: str | None  # None: the tfvars name no governance reader
    data_quality_report_prefixes: dict[str, str]  # per stage: its inference runs' reports

    OPTIONAL: ClassVar[tuple[str, ...]] = ("governance_reader_role_arn",)


@dataclass(frozen=True)
class WorkloadContract:
    """A stage's account (dev, prod): what its pipelines, CLI verbs and tools need."""

    environment: str
    parameter_name: str
    artifacts_bucket_name: str
    artifacts_kms_key_arn: str
    data_prefix: str
    data_quality_report_prefix: str  # its inference runs' Model Monitor reports, one per run
    model_package_group_arn: str
    workload_kms_key_arn: str
    sagemaker_execution_role_arn: str
    deploy_role_arn: str
    latest_model_function_arn: str
    pipeline_names: dict[str, str]  # PIPELINES, each by its kind
    notification_topic_arn: str
    rule_arns: dict[str, str | None]
    data_scientist_role_arn: str | None  # None: the tfvars name no data scientist
    endpoint_name: str | None  # the real-time endpoint; None: the tfvars ask for none
    # Its Model Monitor schedule; None: no endpoint, or one that captures nothing (serverless)
    monitoring_schedule_name: str | None = None

    PIPELINES: ClassVar[tuple[str, ...]] = ("training", "inference", "comparison")
    OPTIONAL: ClassVar[tuple[str, ...]] = (
        "data_scientist_role_arn",
        "endpoint_name",
        "monitoring_schedule_name",
    )

    @property
    def training_pipeline(self) -> str:
        return self.pipeline_names["training"]

    @property
    def inference_pipeline(self) -> str:
        return self.pipeline_names["inference"]

    @property
    def comparison_pipeline(self) -> str:
        return self.pipeline_names["comparison"]


Contract = TypeVar("Contract", RegistryContract, WorkloadContract)


def parse(kind: type[Contract], environment: str, platform: Any) -> Contract:
    """The contract of `environment` from its stored `platform` output; a clear error when the
    output is missing or lacks a field."""
    if not isinstance(platform, dict):
        raise MlopsError(
            f"environment {environment} has no platform output in its state: it was applied "
            f"by an older version or not at all; run `mlops plan --env {environment}`, then "
            f"`mlops apply --env {environment}`"
        )
    names = [field.name for field in fields(kind)]
    missing = [
        name
        for name in names
        if name not in kind.OPTIONAL and (platform.get(name) is None or platform.get(name) == "")
    ]
    if kind is WorkloadContract and platform.get("pipeline_names"):
        missing += [
            f"pipeline_names.{pipeline}"
            for pipeline in WorkloadContract.PIPELINES
            if not platform["pipeline_names"].get(pipeline)
        ]
    if missing:
        raise MlopsError(
            f"the platform output of {environment} lacks {', '.join(missing)}: apply it "
            f"again with this version (`mlops plan --env {environment}`, then `mlops apply`)"
        )
    if platform["environment"] != environment:
        raise MlopsError(
            f"the state read for {environment} holds the platform of "
            f"{platform['environment']}: check its backend key and state bucket"
        )
    return kind(**{name: platform.get(name) for name in names})
