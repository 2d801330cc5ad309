"""Init, plan, apply and destroy an environment, on the local AWS or on real AWS: Terraform
run with the target's environment on the state store of the environment's account
(glue/state_store.py), each plan saved with its stamp and applied only as saved
(glue/saved_plans.py), the registry before the stages, and what AWS would refuse checked first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from botocore.exceptions import ClientError

from glue import endpoints, lambda_package, pipelines, quotas, refused_deletions
from glue.aws import Target, client, session_for
from glue.config import WORKLOAD_ENVIRONMENTS, EnvironmentConfig
from glue.errors import Interrupted, MlopsError
from glue.files import scratch
from glue.saved_plans import (
    PlanSummary,
    ResourceChange,
    SavedPlan,
    made_from,
    plan_file_for,
    plan_json_for,
    stamp,
    stamp_for,
)
from glue.settings import packages_dir, state_dir
from glue.state_store import ensure_state_bucket, stored_outputs, write_backend_config
from glue.terraform import TerraformRunner


def runner(config: EnvironmentConfig, target: Target) -> TerraformRunner:
    environment, unset = target.terraform_environment(config.region)
    return TerraformRunner(config.terraform_dir, config.name, environment, unset)


def init(config: EnvironmentConfig, target: Target) -> TerraformRunner:
    store = ensure_state_bucket(config, target)
    terraform = runner(config, target)
    terraform.init(write_backend_config(config, target, store))
    return terraform


def validate(config: EnvironmentConfig) -> None:
    """`terraform validate` of the environment's root, offline and without its backend (once
    per configuration of the root on this machine: dev and prod share theirs)."""
    TerraformRunner(config.terraform_dir, f"{config.terraform_dir.name}-validate").validate()


def var_files(config: EnvironmentConfig) -> list[Path]:
    """What a plan of the environment's root is given: its tfvars and the packages of its
    Lambda functions, built from the repository (the governance recorder in the registry; the
    inference pipeline's step and the endpoint deployment in a workload stage)."""
    functions = (
        (lambda_package.LATEST_MODEL, lambda_package.ENDPOINT_DEPLOYER)
        if config.name in WORKLOAD_ENVIRONMENTS
        else (lambda_package.GOVERNANCE_RECORDER,)
    )
    return [config.tfvars_file] + [lambda_package.build(f, packages_dir()) for f in functions]


def plan(
    config: EnvironmentConfig,
    target: Target,
    plan_file: Path | None = None,
    destroy: bool = False,
) -> PlanSummary:
    """Save a plan, its JSON and its stamp; on any failure the previous ones stay as they were."""
    terraform = init(config, target)
    plan_file = plan_file or plan_file_for(config)
    plan_file.parent.mkdir(parents=True, exist_ok=True)
    origin = made_from(config, target)
    with (
        scratch(plan_file.parent, plan_file.name) as new_plan,
        scratch(plan_file.parent, stamp_for(plan_file).name) as new_stamp,
    ):
        try:
            planned = terraform.plan(new_plan, *var_files(config), destroy=destroy)
        except Interrupted:
            raise
        except MlopsError as error:
            hint = target.why_registry_may_be_missing(config.name)
            raise MlopsError(f"{error}{hint}") from None
        changes = tuple(ResourceChange(action, address) for action, address in planned)
        content = new_plan.read_bytes()
        blocked = _refused_deletions(config, target, content, changes)
        quotas.check_concurrency(
            config, content, changes, lambda: session_for(config, target), target
        )
        new_stamp.write_text(stamp(origin, destroy, content, changes))
        # The stamp goes first and comes back last: in between, readers see no complete plan.
        # The JSON of the plan it replaces goes too; a scan produces the new plan's.
        stamp_for(plan_file).unlink(missing_ok=True)
        plan_json_for(plan_file).unlink(missing_ok=True)
        new_plan.replace(plan_file)
        new_stamp.replace(stamp_for(plan_file))
    return PlanSummary(config.name, plan_file, changes, tuple(blocked))


def _refused_deletions(
    config: EnvironmentConfig, target: Target, plan: bytes, changes
) -> list[str]:
    pairs = [(change.action, change.address) for change in changes]
    if not any(action in ("delete", "replace") for action, _ in pairs):
        return []
    return refused_deletions.obstacles(plan, pairs, session_for(config, target), target)


def apply(
    config: EnvironmentConfig,
    target: Target,
    plan_file: Path,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
) -> PlanSummary:
    """Apply exactly a saved plan, and only one made from what is given now; `progress` hears
    what Terraform is doing, resource by resource."""
    saved = SavedPlan.load(plan_file)
    saved.check_made_from(config, target)
    if dry_run:
        return saved.summary()
    terraform = init(config, target)
    # Checked now, not only when planned: the obstacles may have been cleared, or appeared.
    blocked = _refused_deletions(config, target, saved.content, saved.changes)
    if blocked:
        raise MlopsError(
            f"{saved.plan_file} was not applied: AWS would refuse {len(blocked)} of its "
            "deletions, and Terraform would stop there with the deletions before them done:\n"
            + "\n".join(f"  {obstacle}" for obstacle in blocked)
            + "\nclear them and apply the same plan again"
        )
    # The endpoint goes with its deployment function: a destroy, or tfvars that no longer ask
    # for an endpoint (what the function made would keep serving, and billing, unwatched).
    removes_endpoint = any(c.action == "delete" and c.address == _DEPLOYER for c in saved.changes)
    destroy = bool(saved.stamp.get("destroy"))
    platform = _stage_platform(config, target) if destroy or removes_endpoint else {}
    if destroy:
        _delete_pipelines(config, target, platform, progress)
    endpoint = platform.get("endpoint_name") if removes_endpoint else None
    target.apply_starting(config.name)
    try:
        # The bytes that were checked are applied, not the file, which may change meanwhile.
        with scratch(plan_file.parent, plan_file.name) as checked:
            checked.write_bytes(saved.content)
            terraform.apply(checked, progress)
    except MlopsError as error:
        reasons = [str(error)]
        kept = keep_errored_state(config.terraform_dir, config.name)
        if kept is not None:
            reasons.append(kept)
        target.apply_failed(config.name, reasons)
        # An interrupted apply stays one (exit 130), with what Terraform saved said beside it.
        raise type(error)("; ".join(reasons)) from None
    if endpoint:
        # Once its deployment function and rules are gone: nothing deploys it again.
        sagemaker = client(session_for(config, target), "sagemaker", target)
        try:
            for deleted in endpoints.delete(sagemaker, endpoint):
                if progress is not None:
                    progress(f"{deleted}: deleted (made by its deployment, not by Terraform)")
        except (ClientError, MlopsError) as error:
            said = (
                error.response["Error"].get("Message") if isinstance(error, ClientError) else error
            )
            # The state no longer names it: say it, so that it is not left running unseen.
            raise MlopsError(
                f"{config.name} was applied, but its endpoint {endpoint} was not deleted "
                f"({said}): delete its monitoring schedules, then it, and its endpoint configs, "
                f"models and data-quality job definitions {endpoint}-v*, in account "
                f"{config.account_id}"
            ) from None
    if saved.stamp.get("destroy"):
        target.destroyed(config.name)
    return saved.summary()


# The one resource of the registry that the stages read (environments/workload: the artifacts
# key, by alias). Terraform creates it in the registry apply's first seconds; the stages can plan
# from then on, while that apply goes on (most of a minute: the bucket's lifecycle rule settles).
STAGES_READ = "module.artifacts_key.aws_kms_alias.this"


def stages_can_plan(progress_message: str) -> bool:
    """Whether a progress message of the registry's apply says what the stages read exists."""
    return progress_message.startswith(f"{STAGES_READ}: Creation complete")


def registry_then_stages(
    deploy_registry: Callable[[Callable[[str], None]], object], deploy_stages: Callable[[], object]
) -> None:
    """Deploy the registry (given a progress callback for its apply) and, as soon as what the
    stages read exists, the stages alongside it; a registry that fails before starts no stage.
    Returns once both have ended; the registry's error first."""
    ready = threading.Event()

    def registry() -> None:
        try:
            deploy_registry(lambda message: ready.set() if stages_can_plan(message) else None)
        finally:
            ready.set()

    with ThreadPoolExecutor(1) as pool:
        registry_run = pool.submit(registry)
        ready.wait()
        if registry_run.done():
            registry_run.result()
        try:
            deploy_stages()
        finally:
            registry_run.result()


# The endpoint's deployment function in a stage's plan (environments/workload).
_DEPLOYER = "module.realtime_endpoint[0].module.function.aws_lambda_function.this"


def _stage_platform(config: EnvironmentConfig, target: Target) -> dict:
    """A stage's platform outputs as its state holds them ({} for the registry, or a root that
    failed before its outputs: it made no pipeline or endpoint either)."""
    if config.name not in WORKLOAD_ENVIRONMENTS:
        return {}
    return stored_outputs(config, target).get("platform") or {}


def _delete_pipelines(
    config: EnvironmentConfig,
    target: Target,
    platform: dict,
    progress: Callable[[str], None] | None,
) -> None:
    """A stage's destroy takes its pipelines too: the upsert made them, from the names in the
    stage's outputs (`platform`), so Terraform's plan does not hold them."""
    names = platform.get("pipeline_names") or {}
    sagemaker = client(session_for(config, target), "sagemaker", target)
    for name in sorted(names.values()):
        if pipelines.deployed(sagemaker, name) is None:
            continue
        sagemaker.delete_pipeline(PipelineName=name)
        if progress is not None:
            progress(f"{name}: pipeline deleted (made by the upsert, not by Terraform)")


def keep_errored_state(root: Path, name: str) -> str | None:
    """Terraform writes the state it could not store to `errored.tfstate` in the root's folder:
    move it out of the sources (where it would be lost, or committed) and say where, and what
    to do with it (None: there was none)."""
    errored = root / "errored.tfstate"
    if not errored.is_file():
        return None
    kept = state_dir() / "errored" / f"{name}-{time.strftime('%Y%m%dT%H%M%S')}.tfstate"
    kept.parent.mkdir(parents=True, exist_ok=True)
    errored.replace(kept)
    return (
        f"Terraform could not store the state and saved it to {kept}: on AWS, push it back with "
        "`terraform state push` once the state bucket is reachable"
    )


def unlock(config: EnvironmentConfig, target: Target, lock_id: str) -> None:
    """Release a state lock left by a run that was killed."""
    init(config, target).force_unlock(lock_id)
