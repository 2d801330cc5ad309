"""Governance verbs over environments: who acts in which account, and what gets recorded.

Reads run in the stage's own account through the group's resource policy; approvals and
promotions run as the registry account, which owns the groups, and are recorded in the stage's
governance table when it has one.
"""

from __future__ import annotations

from typing import Any

from glue import deploy, registry
from glue.aws import client
from glue.config import EnvironmentConfig
from glue.emulator.control import Emulator
from glue.pipelines.upsert import git_commit


def _registry_sagemaker(registry_config: EnvironmentConfig, emulator: Emulator | None):
    return client(deploy.session_for(registry_config, emulator), "sagemaker", emulator)


def _record(
    stage: EnvironmentConfig,
    outputs: dict[str, Any],
    emulator: Emulator | None,
    version: registry.ModelVersion,
    comment: str,
) -> None:
    table = outputs.get("governance_table_name")
    if not table:
        return
    dynamodb = deploy.session_for(stage, emulator).resource(
        "dynamodb", endpoint_url=emulator.endpoint if emulator else None
    )
    registry.record(
        dynamodb.Table(table), outputs["model_package_group_arn"], stage.name, version, comment
    )


def versions(stage: EnvironmentConfig, emulator: Emulator | None) -> list[registry.ModelVersion]:
    group = deploy.outputs(stage, emulator)["model_package_group_arn"]
    sagemaker = client(deploy.session_for(stage, emulator), "sagemaker", emulator)
    return registry.list_versions(sagemaker, group)


def latest(stage: EnvironmentConfig, emulator: Emulator | None) -> dict[str, str]:
    group = deploy.outputs(stage, emulator)["model_package_group_arn"]
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
    outputs = deploy.outputs(stage, emulator)
    status = registry.APPROVED if approve else registry.REJECTED
    changed = registry.set_status(
        _registry_sagemaker(registry_config, emulator),
        outputs["model_package_group_arn"],
        version,
        status,
        comment,
    )
    _record(stage, outputs, emulator, changed, comment)
    return changed


def promote(
    source: EnvironmentConfig,
    target: EnvironmentConfig,
    registry_config: EnvironmentConfig,
    emulator: Emulator | None,
    version: int,
) -> registry.ModelVersion:
    source_group = deploy.outputs(source, emulator)["model_package_group_arn"]
    target_outputs = deploy.outputs(target, emulator)
    promoted = registry.promote(
        _registry_sagemaker(registry_config, emulator),
        source_group,
        target_outputs["model_package_group_arn"],
        version,
        git_commit(),
    )
    _record(
        target, target_outputs, emulator, promoted, f"promoted from {source.name} version {version}"
    )
    return promoted
