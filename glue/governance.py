"""Governance verbs over environments: who acts in which account, and what gets recorded.

Reads run in the stage's own account through the group's resource policy; approvals and
promotions run as the registry account, which owns the groups. Nothing here writes the
governance table: SageMaker emits each change in the registry account, whose rule sends it to
the recorder (modules/governance-recorder), whoever made it.
"""

from __future__ import annotations

from glue import deploy, registry
from glue.aws import client
from glue.config import WORKLOAD_ENVIRONMENTS, EnvironmentConfig
from glue.errors import UsageError
from glue.local.emulator.control import Emulator
from glue.pipelines.upsert import git_commit

# The one way models move between stages: a version approved in dev is copied to prod.
PROMOTIONS = {"dev": "prod"}


def require_stage(stage: EnvironmentConfig) -> None:
    """Model versions live in the stages' groups; the registry account owns them, has none."""
    if stage.name not in WORKLOAD_ENVIRONMENTS:
        stages = ", ".join(WORKLOAD_ENVIRONMENTS)
        raise UsageError(
            f"--env {stage.name}: models belong to a stage ({stages}); the registry account "
            "owns their groups but is not a stage"
        )


def _registry_sagemaker(registry_config: EnvironmentConfig, emulator: Emulator | None):
    return client(deploy.session_for(registry_config, emulator), "sagemaker", emulator)


def versions(stage: EnvironmentConfig, emulator: Emulator | None) -> list[registry.ModelVersion]:
    require_stage(stage)
    group = deploy.workload_platform(stage, emulator).model_package_group_arn
    sagemaker = client(deploy.session_for(stage, emulator), "sagemaker", emulator)
    return registry.list_versions(sagemaker, group)


def latest(stage: EnvironmentConfig, emulator: Emulator | None) -> dict[str, str]:
    require_stage(stage)
    group = deploy.workload_platform(stage, emulator).model_package_group_arn
    sagemaker = client(deploy.session_for(stage, emulator), "sagemaker", emulator)
    return registry.latest(sagemaker, group)


def set_status(
    stage: EnvironmentConfig,
    registry_config: EnvironmentConfig,
    emulator: Emulator | None,
    version: int,
    approve: bool,
    comment: str,
) -> registry.ModelVersion:
    require_stage(stage)
    platform = deploy.workload_platform(stage, emulator)
    status = registry.APPROVED if approve else registry.REJECTED
    return registry.set_status(
        _registry_sagemaker(registry_config, emulator),
        platform.model_package_group_arn,
        version,
        status,
        comment,
    )


def served_copies(
    source: EnvironmentConfig,
    target: EnvironmentConfig,
    registry_config: EnvironmentConfig,
    emulator: Emulator | None,
    version: int,
) -> list[registry.ModelVersion]:
    """The approved copies of a source version in the stage it is promoted to."""
    require_promotion(source, target)
    source_group = deploy.workload_platform(source, emulator).model_package_group_arn
    target_group = deploy.workload_platform(target, emulator).model_package_group_arn
    copies = registry.copies_of(
        _registry_sagemaker(registry_config, emulator),
        registry.package_arn(source_group, version),
        target_group,
    )
    return [copy for copy in copies if copy.status == registry.APPROVED]


def require_promotion(source: EnvironmentConfig, target: EnvironmentConfig) -> None:
    if PROMOTIONS.get(source.name) != target.name:
        ways = ", ".join(f"{s} -> {t}" for s, t in PROMOTIONS.items())
        raise UsageError(
            f"--env {source.name} --to {target.name} is not a promotion: models are promoted "
            f"one way only ({ways})"
        )


def promote(
    source: EnvironmentConfig,
    target: EnvironmentConfig,
    registry_config: EnvironmentConfig,
    emulator: Emulator | None,
    version: int,
) -> registry.Promotion:
    """Copy an approved version of the source stage into the next stage, once."""
    require_promotion(source, target)
    source_group = deploy.workload_platform(source, emulator).model_package_group_arn
    target_platform = deploy.workload_platform(target, emulator)
    return registry.promote(
        _registry_sagemaker(registry_config, emulator),
        source_group,
        target_platform.model_package_group_arn,
        version,
        git_commit(),
    )


def rollback(
    stage: EnvironmentConfig,
    registry_config: EnvironmentConfig,
    emulator: Emulator | None,
    comment: str,
    version: int | None = None,
) -> registry.Rollback:
    """The stage serves its previous approved version again: the served one is rejected (as
    the registry account, which owns the group)."""
    require_stage(stage)
    registry.require_comment(comment, registry.ROLLED_BACK)
    platform = deploy.workload_platform(stage, emulator)
    return registry.rollback(
        _registry_sagemaker(registry_config, emulator),
        platform.model_package_group_arn,
        f"rollback: {comment}",
        version,
    )
