"""Governance verbs over environments: who acts in which account, and what gets recorded.

Reads run in the stage's own account through the group's resource policy. Decisions (approve,
reject, promote, roll back) are a person's: they run as the stage's approver role in the
registry account, which owns the groups, with the person as the session's source identity
(glue/people.py); a version's trainer does not approve it (four eyes). Comparisons are evidence,
not decisions: CI records them as the registry account. Nothing here writes the governance
table: SageMaker emits each change in the registry account, whose rule sends it to the recorder
(modules/governance-recorder), whoever made it.
"""

from __future__ import annotations

from collections.abc import Callable

from glue import aws, comparison, people, registry, state_store
from glue.aws import Target, client
from glue.config import WORKLOAD_ENVIRONMENTS, EnvironmentConfig
from glue.errors import MlopsError, UsageError
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


def _registry_sagemaker(registry_config: EnvironmentConfig, target: Target):
    return client(aws.session_for(registry_config, target), "sagemaker", target)


def versions(stage: EnvironmentConfig, target: Target) -> list[registry.ModelVersion]:
    require_stage(stage)
    group = state_store.workload_platform(stage, target).model_package_group_arn
    sagemaker = client(aws.session_for(stage, target), "sagemaker", target)
    return registry.list_versions(sagemaker, group)


def latest(stage: EnvironmentConfig, target: Target) -> dict[str, str]:
    require_stage(stage)
    group = state_store.workload_platform(stage, target).model_package_group_arn
    sagemaker = client(aws.session_for(stage, target), "sagemaker", target)
    return registry.latest(sagemaker, group)


class _Decider:
    """The stage's approver: its SageMaker client, the person, and the registry's groups."""

    def __init__(self, registry_config: EnvironmentConfig, stage: str, target: Target):
        session, self.person = people.as_approver(registry_config, stage, target)
        self.sagemaker = client(session, "sagemaker", target)
        self.groups = people.registry_contract(
            session, registry_config, target
        ).model_package_group_arns


def set_status(
    stage: EnvironmentConfig,
    registry_config: EnvironmentConfig,
    target: Target,
    version: int,
    approve: bool,
    comment: str,
) -> registry.ModelVersion:
    """Approve or reject a version, as the person, in the stage's approver role. Refused: the
    trainer approving their own version (unless the stage's tfvars allow it: dev only), and a
    decision that changes nothing but its comment (no state-change event would record it)."""
    require_stage(stage)
    registry.require_comment(comment, "the version is approved or rejected")
    decider = _Decider(registry_config, stage.name, target)
    group = decider.groups[stage.name]
    described = registry.describe(decider.sagemaker, group, version)
    status = registry.APPROVED if approve else registry.REJECTED
    current = registry.to_version(described)
    if current.status == status:
        if current.comment == comment.strip():
            return current  # decided before, as now: nothing changes
        raise MlopsError(
            f"version {version} of {stage.name} is {status} already, with the comment "
            f"{current.comment!r}: a comment alone changes no decision, and SageMaker emits no "
            "event for it, so the governance record would not see it (nothing changed)"
        )
    trainer = current.metadata.get(registry.TRAINED_BY)
    if approve and trainer == decider.person and not stage.values.get("allow_self_approval"):
        raise MlopsError(
            f"{decider.person} trained version {version} of {stage.name}: another of its "
            "approvers decides (four eyes; nothing changed)"
        )
    return registry.set_status(decider.sagemaker, group, version, status, comment)


def served_copies(
    source: EnvironmentConfig,
    to: EnvironmentConfig,
    registry_config: EnvironmentConfig,
    target: Target,
    version: int,
) -> list[registry.ModelVersion]:
    """The approved copies of a source version in the stage it is promoted to."""
    require_promotion(source, to)
    decider = _Decider(registry_config, source.name, target)
    copies = registry.copies_of(
        decider.sagemaker,
        registry.package_arn(decider.groups[source.name], version),
        decider.groups[to.name],
    )
    return [copy for copy in copies if copy.status == registry.APPROVED]


def require_promotion(source: EnvironmentConfig, to: EnvironmentConfig) -> None:
    if PROMOTIONS.get(source.name) != to.name:
        ways = ", ".join(f"{s} -> {t}" for s, t in PROMOTIONS.items())
        raise UsageError(
            f"--env {source.name} --to {to.name} is not a promotion: models are promoted "
            f"one way only ({ways})"
        )


def tolerance(to: EnvironmentConfig) -> float:
    """How much lower than the target's champion a challenger's AUC may be (its tfvars)."""
    return float(to.values.get("challenger_auc_tolerance") or 0)


def promote(
    source: EnvironmentConfig,
    to: EnvironmentConfig,
    registry_config: EnvironmentConfig,
    target: Target,
    version: int,
    forced: str | None = None,
) -> registry.Promotion:
    """Copy an approved version of the source stage into the next stage, once, as the next
    stage's approver (accepting a model there is their decision); a challenger worse than the
    champion there (compared on the same held-out data) only when `forced`, the comment saying
    why."""
    require_promotion(source, to)
    decider = _Decider(registry_config, to.name, target)
    source_group, target_group = decider.groups[source.name], decider.groups[to.name]
    sagemaker = decider.sagemaker
    trainer = registry.to_version(registry.describe(sagemaker, source_group, version)).metadata
    if trainer.get(registry.TRAINED_BY) == decider.person:
        raise MlopsError(
            f"{decider.person} trained version {version} of {source.name}: another of "
            f"{to.name}'s approvers promotes it (four eyes; nothing promoted)"
        )

    def challenge(candidate: dict) -> str | None:
        champion = registry.serving(sagemaker, target_group)
        metadata = (champion or {}).get("CustomerMetadataProperties") or {}
        if metadata.get("source_model_package_arn") == candidate["ModelPackageArn"]:
            return None  # its own copy, just made by a promotion running at the same time
        return comparison.promotion_problem(candidate, champion, to.name, tolerance(to))

    return registry.promote(
        sagemaker, source_group, target_group, version, git_commit(), challenge, forced
    )


# Runs a pipeline of the stage with the given parameters to its end (SageMaker on AWS, the
# local runner here); an error unless it succeeded.
RunPipeline = Callable[[str, dict[str, str]], None]


def compare(
    source: EnvironmentConfig,
    to: EnvironmentConfig,
    registry_config: EnvironmentConfig,
    target: Target,
    version: int,
    test_data: str | None,
    run: RunPipeline,
) -> comparison.Comparison:
    """Score a source stage's version and the target stage's champion on the same held-out
    data with the source stage's comparison pipeline; record both AUCs on the version. A
    comparison recorded before with this champion on this data is answered, nothing run."""
    require_promotion(source, to)
    platform = state_store.workload_platform(source, target)
    target_group = state_store.workload_platform(to, target).model_package_group_arn
    sagemaker = _registry_sagemaker(registry_config, target)
    candidate = registry.describe(sagemaker, platform.model_package_group_arn, version)
    champion = registry.serving(sagemaker, target_group)
    if champion is None:
        raise MlopsError(
            f"{to.name} serves no version yet: there is no champion to compare with "
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
    s3 = client(aws.session_for(source, target), "s3", target)
    aucs = comparison.read_report(s3, report)
    return comparison.record(sagemaker, candidate, champion["ModelPackageArn"], aucs, data, report)


def rollback(
    stage: EnvironmentConfig,
    registry_config: EnvironmentConfig,
    target: Target,
    comment: str,
    version: int | None = None,
) -> registry.Rollback:
    """The stage serves its previous approved version again: the served one is rejected, by
    the person as the stage's approver."""
    require_stage(stage)
    registry.require_comment(comment, registry.ROLLED_BACK)
    decider = _Decider(registry_config, stage.name, target)
    return registry.rollback(
        decider.sagemaker, decider.groups[stage.name], f"rollback: {comment}", version
    )
