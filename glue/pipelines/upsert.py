"""Create or update an environment's pipelines and step scripts: write only what changed.

A second upsert of unchanged definitions makes no write call: scripts are compared by content
hash, pipelines by their definition and role. (The Lambda the inference pipeline calls is
Terraform's, deployed with the workload root.)
"""

from __future__ import annotations

import difflib
import hashlib
import json
import subprocess
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from glue import pipelines
from glue.aws import Target, assumed_session, client
from glue.config import EnvironmentConfig
from glue.contract import WorkloadContract
from glue.errors import MlopsError
from glue.pipelines.definitions import (
    PipelineSettings,
    comparison_definition,
    inference_definition,
    render,
    representative_run_time_values,
    training_definition,
)
from glue.pipelines.validation import definition_problems
from glue.settings import PROJECT_ROOT
from glue.steps import PIPELINE_SCRIPTS, PROCESSING_SCRIPTS, STEPS_DIR, images

HASH_METADATA = "sha256"


@dataclass(frozen=True)
class Change:
    kind: str
    name: str
    action: str  # created, updated, unchanged, would create, would update

    def __str__(self) -> str:
        return f"{self.kind} {self.name}: {self.action}"


def _planned(action: str, dry_run: bool) -> str:
    """What a dry run reports instead of doing: `would create` for `created`."""
    if not dry_run or action == "unchanged":
        return action
    return {"created": "would create", "updated": "would update"}[action]


def settings_for(config: EnvironmentConfig, platform: WorkloadContract) -> PipelineSettings:
    return PipelineSettings(
        model_name=config.values["model_name"],
        environment=config.name,
        region=config.region,
        role_arn=platform.sagemaker_execution_role_arn,
        bucket=platform.artifacts_bucket_name,
        prefix=platform.data_prefix,
        quality_report_prefix=platform.data_quality_report_prefix,
        artifacts_kms_key_arn=platform.artifacts_kms_key_arn,
        workload_kms_key_arn=platform.workload_kms_key_arn,
        model_package_group_arn=platform.model_package_group_arn,
        lambda_function_arn=platform.latest_model_function_arn,
        training_pipeline=platform.training_pipeline,
        inference_pipeline=platform.inference_pipeline,
        comparison_pipeline=platform.comparison_pipeline,
        auc_threshold=float(config.values["auc_threshold"]),
        source_commit=source_commit(),
    )


def built_definitions(settings: PipelineSettings) -> dict[str, dict[str, Any]]:
    """The pipelines of the environment, by name, as built (before rendering)."""
    return {
        settings.training_pipeline: training_definition(settings),
        settings.inference_pipeline: inference_definition(settings),
        settings.comparison_pipeline: comparison_definition(settings),
    }


def definitions(settings: PipelineSettings) -> dict[str, str]:
    return {name: render(built) for name, built in built_definitions(settings).items()}


def refusals(settings: PipelineSettings, built: dict[str, dict[str, Any]]) -> list[str]:
    """What AWS would refuse once the pipelines run: a step's job request, a script's image."""
    run_time_values = representative_run_time_values(settings)
    found = [
        problem
        for name, definition in built.items()
        for problem in definition_problems(name, definition, run_time_values)
    ]
    for script in PIPELINE_SCRIPTS:
        found += images.problems(STEPS_DIR / script)
    return found


def _git(*arguments: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", *arguments], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return result.stdout.strip()


def git_commit() -> str:
    """The checked-out commit (what ran a promotion)."""
    return _git("rev-parse", "HEAD") or "unknown"


# What a pipeline is built from: its definitions and the scripts its steps run.
PIPELINE_SOURCES = ("glue/pipelines", "glue/steps")


def source_commit() -> str:
    """The last commit that changed the pipelines' code ("-dirty" with uncommitted changes).

    Recorded on every version the pipeline registers. Unrelated commits (a README) leave it,
    and so the definitions, unchanged: the upsert writes nothing for them.
    """
    commit = _git("log", "-1", "--format=%H", "--", *PIPELINE_SOURCES)
    if not commit:
        return "unknown"
    dirty = _git("status", "--porcelain", "--", *PIPELINE_SOURCES)
    return f"{commit}-dirty" if dirty else commit


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def upload_scripts(s3, settings: PipelineSettings, dry_run: bool) -> list[Change]:
    changes = []
    for script in PROCESSING_SCRIPTS:
        body = (STEPS_DIR / script).read_bytes()
        key = f"{settings.prefix}/code/{script}"
        try:
            head = s3.head_object(Bucket=settings.bucket, Key=key)
            current = head.get("Metadata", {}).get(HASH_METADATA)
            action = "unchanged" if current == _sha256(body) else "updated"
        except ClientError as error:
            if error.response["Error"]["Code"] not in ("404", "NoSuchKey", "NotFound"):
                raise
            action = "created"
        if action != "unchanged" and not dry_run:
            s3.put_object(
                Bucket=settings.bucket,
                Key=key,
                Body=body,
                Metadata={HASH_METADATA: _sha256(body)},
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=settings.artifacts_kms_key_arn,
            )
        changes.append(Change("script", f"s3://{settings.bucket}/{key}", _planned(action, dry_run)))
    return changes


def _diff(name: str, current: str | None, wanted: str) -> str:
    def pretty(text: str | None) -> list[str]:
        return json.dumps(json.loads(text), indent=2, sort_keys=True).splitlines() if text else []

    return "\n".join(
        difflib.unified_diff(
            pretty(current), pretty(wanted), f"{name} (deployed)", f"{name} (upsert)", lineterm=""
        )
    )


def upsert_pipeline(
    sagemaker,
    name: str,
    definition: str,
    settings: PipelineSettings,
    tags: list[dict[str, str]],
    dry_run: bool,
) -> tuple[Change, str]:
    current = pipelines.deployed(sagemaker, name)
    deployed = current["PipelineDefinition"] if current else None
    diff = _diff(name, deployed, definition)
    if current and deployed == definition and current.get("RoleArn") == settings.role_arn:
        return Change("pipeline", name, "unchanged"), diff
    if dry_run:
        return Change("pipeline", name, _planned("updated" if current else "created", True)), diff
    description = f"{settings.model_name} ({settings.environment}), managed by mlops"
    if current:
        sagemaker.update_pipeline(
            PipelineName=name,
            PipelineDefinition=definition,
            RoleArn=settings.role_arn,
            PipelineDescription=description,
        )
        sagemaker.add_tags(ResourceArn=current["PipelineArn"], Tags=tags)
        return Change("pipeline", name, "updated"), diff
    sagemaker.create_pipeline(
        PipelineName=name,
        PipelineDefinition=definition,
        RoleArn=settings.role_arn,
        PipelineDescription=description,
        Tags=tags,
    )
    return Change("pipeline", name, "created"), diff


def upsert(
    config: EnvironmentConfig,
    platform: WorkloadContract,
    target: Target,
    dry_run: bool = False,
    session: boto3.Session | None = None,
) -> tuple[list[Change], list[str]]:
    """Upsert the scripts and both pipelines; return the changes and the diffs.

    Runs as the account's deploy role (least privilege, trusted by the CI principal only), not
    as the broader role Terraform uses.
    """
    if platform.environment != config.name:
        raise MlopsError(
            f"pipelines of {config.name} not upserted: the platform given is "
            f"{platform.environment}'s"
        )
    settings = settings_for(config, platform)
    built = built_definitions(settings)
    refused = refusals(settings, built)
    if refused:
        raise MlopsError(f"pipelines of {config.name} not upserted: {'; '.join(refused)}")
    session = session or assumed_session(
        platform.deploy_role_arn, config.region, target, f"mlops-upsert-{config.name}"
    )
    changes = upload_scripts(client(session, "s3", target), settings, dry_run)
    tags = [
        {"Key": "environment", "Value": config.name},
        {"Key": "git-commit", "Value": settings.source_commit},
    ]
    sagemaker = client(session, "sagemaker", target)
    diffs = []
    for name, definition in built.items():
        change, diff = upsert_pipeline(sagemaker, name, render(definition), settings, tags, dry_run)
        changes.append(change)
        if diff:
            diffs.append(diff)
    return changes, diffs
