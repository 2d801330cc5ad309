"""Governance verbs over environments: who acts in which account, and what gets recorded.

Reads run in the stage's own account through the group's resource policy; approvals and
promotions run as the registry account, which owns the groups. Nothing here writes the
governance table: SageMaker emits each change in the registry account, whose rule sends it to
the recorder (modules/governance-recorder), whoever made it.
"""

from __future__ import annotations

from collections.abc import Callable

from glue import comparison, deploy, registry
from glue.aws import client
from glue.config import WORKLOAD_ENVIRONMENTS, EnvironmentConfig
from glue.errors import MlopsError, UsageError
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


def tolerance(target: EnvironmentConfig) -> float:
    """How much lower than the target's champion a challenger's AUC may be (its tfvars)."""
    return float(target.values.get("challenger_auc_tolerance") or 0)


def promote(
    source: EnvironmentConfig,
    target: EnvironmentConfig,
    registry_config: EnvironmentConfig,
    emulator: Emulator | None,
    version: int,
    forced: str | None = None,
) -> registry.Promotion:
    """Copy an approved version of the source stage into the next stage, once; a challenger
    worse than the champion there (compared on the same held-out data) only when `forced`, the
    comment saying why."""
    require_promotion(source, target)
    source_group = deploy.workload_platform(source, emulator).model_package_group_arn
    target_group = deploy.workload_platform(target, emulator).model_package_group_arn
    sagemaker = _registry_sagemaker(registry_config, emulator)

    def challenge(candidate: dict) -> str | None:
        champion = registry.serving(sagemaker, target_group)
        metadata = (champion or {}).get("CustomerMetadataProperties") or {}
        if metadata.get("source_model_package_arn") == candidate["ModelPackageArn"]:
            return None  # its own copy, just made by a promotion running at the same time
        return comparison.promotion_problem(candidate, champion, target.name, tolerance(target))

    return registry.promote(
        sagemaker, source_group, target_group, version, git_commit(), challenge, forced
    )


# Runs a pipeline of the stage with the given parameters to its end (SageMaker on AWS, the
# local runner here); an error unless it succeeded.
RunPipeline = Callable[[str, dict[str, str]], None]


def compare(
    source: EnvironmentConfig,
    target: EnvironmentConfig,
    registry_config: EnvironmentConfig,
    emulator: Emulator | None,
    version: int,
    test_data: str | None,
    run: RunPipeline,
) -> comparison.Comparison:
    """Score a source stage's version and the target stage's champion on the same held-out
    data with the source stage's comparison pipeline; record both AUCs on the version. A
    comparison recorded before with this champion on this data is answered, nothing run."""
    require_promotion(source, target)
    platform = deploy.workload_platform(source, emulator)
    target_group = deploy.workload_platform(target, emulator).model_package_group_arn
    sagemaker = _registry_sagemaker(registry_config, emulator)
    candidate = registry.describe(sagemaker, platform.model_package_group_arn, version)
    champion = registry.serving(sagemaker, target_group)
    if champion is None:
        raise MlopsError(
            f"{target.name} serves no version yet: there is no champion to compare with "
            f"(the first promotion needs no comparison)"
        )
    data = comparison.held_out_data(candidate, test_data)
    done = comparison.recorded(candidate, champion["ModelPackageArn"], data)
    if done is not None:
        return done
    report = comparison.report_uri(
        platform.artifacts_bucket_name,
        platform.data_prefix,
        candidate["ModelPackageArn"],
        champion["ModelPackageArn"],
    )
    run(platform.comparison_pipeline, comparison.parameters(candidate, champion, data, report))
    s3 = client(deploy.session_for(source, emulator), "s3", emulator)
    aucs = comparison.read_report(s3, report)
    return comparison.record(sagemaker, candidate, champion["ModelPackageArn"], aucs, data, report)


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
