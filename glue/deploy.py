"""Init, plan, apply and destroy an environment, on the local AWS or on real AWS.

State lives in an S3 bucket of the target account (created here if missing, since Terraform
cannot store its state in a bucket it has yet to create), locked with `use_lockfile`.

A saved plan is the plan and a stamp naming what it was made from (environment, account,
tfvars digest, target: real AWS or one run of the local AWS), its digest and the changes
it makes (read from the plan's own JSON stream). A plan is written to temporary files and moved
into place only once it succeeded, stamp last, so a failed plan never replaces the one a person
reviewed; whatever reads a plan checks the stamp first. Its `terraform show -json` is produced
once, when first needed (checkov), and vouched for by the stamp from then on.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

from glue import contract, lambda_package, pipelines, quotas, refused_deletions
from glue.aws import AWS, Target, assumed_session, base_session, client
from glue.config import WORKLOAD_ENVIRONMENTS, EnvironmentConfig
from glue.contract import RegistryContract, WorkloadContract
from glue.errors import Interrupted, MlopsError
from glue.files import scratch
from glue.settings import packages_dir, state_dir
from glue.terraform import TerraformRunner


@dataclass(frozen=True)
class ResourceChange:
    action: str  # create, update, delete or replace, as Terraform shows them
    address: str

    def __str__(self) -> str:
        return f"{self.action:<8} {self.address}"


@dataclass(frozen=True)
class PlanSummary:
    environment: str
    plan_file: Path
    changes: tuple[ResourceChange, ...]
    blocked: tuple[str, ...] = ()  # deletions AWS would refuse as things stand (see apply)

    def _count(self, *actions: str) -> int:
        return sum(change.action in actions for change in self.changes)

    @property
    def add(self) -> int:  # a replacement adds and destroys, as Terraform counts it
        return self._count("create", "replace")

    @property
    def change(self) -> int:
        return self._count("update")

    @property
    def destroy(self) -> int:
        return self._count("delete", "replace")

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def __str__(self) -> str:
        counts = f"{self.add} to add, {self.change} to change, {self.destroy} to destroy"
        return f"{self.environment}: {counts}"

    def details(self) -> str:
        """The summary line, then one line per changed resource."""
        return "\n".join([str(self), *(f"  {change}" for change in self.changes)])


def state_bucket_name(config: EnvironmentConfig) -> str:
    return f"{config.values['name_prefix']}-tfstate-{config.account_id}"


def state_key(config: EnvironmentConfig) -> str:
    return f"{config.name}/terraform.tfstate"


def plan_file_for(config: EnvironmentConfig) -> Path:
    return state_dir() / "plans" / f"{config.name}.tfplan"


def plan_json_for(plan_file: Path) -> Path:
    """Where the JSON of a saved plan is kept once produced (for checkov and reviewers)."""
    return plan_file.with_name(plan_file.name + ".json")


def stamp_for(plan_file: Path) -> Path:
    """Where `mlops plan` keeps the stamp of a saved plan."""
    return plan_file.with_name(plan_file.name + ".stamp.json")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def made_from(config: EnvironmentConfig, target: Target) -> dict[str, str]:
    return {
        "environment": config.name,
        "account_id": config.account_id,
        "tfvars_sha256": _sha256(config.tfvars_file.read_bytes()),
        "target": target.name,
    }


def _stamp_text(content: dict) -> str:
    return json.dumps(content, indent=2, sort_keys=True) + "\n"


def stamp(
    origin: dict[str, str],
    destroy: bool,
    plan: bytes,
    changes: tuple[ResourceChange, ...],
    plan_json: bytes | None = None,
) -> str:
    """The stamp of a saved plan: what it was made from, the plan's digest and the changes it
    makes, and the digest of its JSON once that was produced."""
    content = {
        **origin,
        "destroy": destroy,
        "plan_sha256": _sha256(plan),
        "changes": [{"action": c.action, "address": c.address} for c in changes],
    }
    if plan_json is not None:
        content["plan_json_sha256"] = _sha256(plan_json)
    return _stamp_text(content)


@dataclass(frozen=True)
class SavedPlan:
    """A plan saved by `mlops plan`, its stamp and its JSON checked to belong together."""

    plan_file: Path
    stamp: dict
    changes: tuple[ResourceChange, ...]
    content: bytes = field(repr=False)  # the plan as checked: what apply applies

    @classmethod
    def load(cls, plan_file: Path) -> SavedPlan:
        stamp_file = stamp_for(plan_file)
        if not plan_file.is_file():
            raise MlopsError(
                f"no saved plan at {plan_file}: run `mlops plan` and review the plan it saves "
                "(an unreviewed plan is refused)"
            )
        incomplete = (
            f"{plan_file} is not a complete plan saved by `mlops plan` ({{}}): plan again "
            "and review the new plan"
        )
        try:
            stamped = json.loads(stamp_file.read_text())
            digest = stamped["plan_sha256"]
            changes = tuple(ResourceChange(c["action"], c["address"]) for c in stamped["changes"])
            made = {key: stamped[key] for key in ("environment", "account_id", "target")}
        except FileNotFoundError:
            raise MlopsError(incomplete.format(f"{stamp_file.name} is missing")) from None
        except (OSError, ValueError, TypeError, KeyError):
            raise MlopsError(incomplete.format(f"{stamp_file.name} is unreadable")) from None
        if not all(isinstance(value, str) for value in made.values()):
            raise MlopsError(incomplete.format(f"{stamp_file.name} is unreadable"))
        content = plan_file.read_bytes()
        if digest != _sha256(content):
            raise MlopsError(incomplete.format("the plan and its stamp do not match"))
        return cls(plan_file, stamped, changes, content)

    def check_made_from(self, config: EnvironmentConfig, target: Target | None) -> None:
        """Refuse the plan unless it was made from what is given now, saying what differs;
        where it was made too, unless `target` is None (what checkov reads is the plan's
        content: where it was planned does not change it)."""
        now = made_from(config, target or AWS)
        planned = {key: self.stamp.get(key) for key in now}
        if (planned["environment"], planned["account_id"]) != (config.name, config.account_id):
            raise MlopsError(
                f"{self.plan_file} was planned for environment {planned['environment']!r} in "
                f"account {planned['account_id']!r}, not {config.name!r} in "
                f"{config.account_id!r} ({config.tfvars_file}): refusing it"
            )
        if planned["tfvars_sha256"] != now["tfvars_sha256"]:
            raise MlopsError(
                f"{self.plan_file} was planned from other tfvars than {config.tfvars_file} "
                "holds now (edited since, or another --var-file): plan again and review that"
            )
        if target is not None and planned["target"] != now["target"]:
            raise MlopsError(f"{self.plan_file}: {target.refuse_plan_of(planned['target'])}")

    def summary(self) -> PlanSummary:
        return PlanSummary(self.stamp["environment"], self.plan_file, self.changes)

    def plan_json(self, config: EnvironmentConfig) -> Path:
        """The plan's `terraform show -json`, produced on first need (a scan) and kept beside
        the plan for reviewers: its digest joins the stamp, and a JSON the stamp does not
        vouch for is produced again from the plan, never used."""
        path = plan_json_for(self.plan_file)
        recorded = self.stamp.get("plan_json_sha256")
        if recorded and path.is_file() and _sha256(path.read_bytes()) == recorded:
            return path
        shown = runner(config, AWS).show(self.plan_file)  # offline: no target needed
        with (
            scratch(path.parent, path.name) as new_json,
            scratch(path.parent, stamp_for(self.plan_file).name) as new_stamp,
        ):
            new_json.write_bytes(shown)
            new_stamp.write_text(_stamp_text({**self.stamp, "plan_json_sha256": _sha256(shown)}))
            new_json.replace(path)
            new_stamp.replace(stamp_for(self.plan_file))
        return path


def session_for(config: EnvironmentConfig, target: Target):
    """A session in the environment's account (its terraform_role_arn, else ambient; on the
    local AWS, the account bootstrapped first for the local platform's CI principal)."""
    target.prepare_account(config)
    if config.terraform_role_arn:
        return assumed_session(config.terraform_role_arn, config.region, target)
    return base_session(config.region, target)


@dataclass(frozen=True)
class StateStore:
    bucket: str
    kms_key_arn: str


def state_key_alias(config: EnvironmentConfig) -> str:
    return f"alias/{config.values['name_prefix']}-tfstate"


def _state_key(config: EnvironmentConfig, kms) -> str:
    """The customer managed key of the environment's state (created with rotation if missing)."""
    alias = state_key_alias(config)
    try:
        return kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "NotFoundException":
            raise MlopsError(f"cannot look up the state key {alias}: {error}") from None
    key = kms.create_key(
        Description=f"Terraform state of {config.name} ({config.values['name_prefix']})"
    )["KeyMetadata"]
    try:
        kms.enable_key_rotation(KeyId=key["KeyId"])
        kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    except ClientError as error:
        # Without its alias the key would never be found again: leave no orphan behind.
        kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
        raise MlopsError(f"cannot create the state key {alias}: {error}") from None
    return key["Arn"]


def _tls_only_policy(partition: str, bucket: str) -> str:
    arn = f"arn:{partition}:s3:::{bucket}"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [arn, f"{arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


def existing_state_store(
    config: EnvironmentConfig, target: Target, session: boto3.Session
) -> StateStore | None:
    """The environment's state bucket and key if both exist and the bucket was set up to the
    end (its TLS-only policy, put last, is there); None otherwise. Creates nothing."""
    alias = state_key_alias(config)
    try:
        key = client(session, "kms", target).describe_key(KeyId=alias)["KeyMetadata"]["Arn"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "NotFoundException":
            return None
        raise MlopsError(f"cannot look up the state key {alias}: {error}") from None
    bucket = state_bucket_name(config)
    try:  # the TLS-only policy is put last: a bucket that has it was set up completely
        client(session, "s3", target).get_bucket_policy(Bucket=bucket)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchBucket", "NoSuchBucketPolicy"):
            return None
        raise MlopsError(f"cannot reach state bucket {bucket}: {error}") from None
    return StateStore(bucket, key)


def ensure_state_bucket(
    config: EnvironmentConfig, target: Target, session: boto3.Session | None = None
) -> StateStore:
    """The environment's state bucket and key, created if missing as every bucket of the
    platform is: private, versioned, encrypted with a customer managed key, TLS only. A bucket
    whose set-up was interrupted (no policy yet) is set up again. Bootstrapping the account
    (environments/bootstrap) makes them Terraform's; `session` is the one of its administrator
    then, else the environment's."""
    session = session or session_for(config, target)
    found = existing_state_store(config, target, session)
    if found is not None:
        return found
    store = StateStore(
        state_bucket_name(config), _state_key(config, client(session, "kms", target))
    )
    s3 = client(session, "s3", target)
    try:
        s3.head_bucket(Bucket=store.bucket)
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("404", "NoSuchBucket"):
            raise MlopsError(f"cannot reach state bucket {store.bucket}: {error}") from None
        options = {}
        if config.region != "us-east-1":
            options["CreateBucketConfiguration"] = {"LocationConstraint": config.region}
        s3.create_bucket(Bucket=store.bucket, **options)
    s3.put_public_access_block(
        Bucket=store.bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_versioning(Bucket=store.bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=store.bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": store.kms_key_arn,
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    partition = session.get_partition_for_region(config.region)
    s3.put_bucket_policy(Bucket=store.bucket, Policy=_tls_only_policy(partition, store.bucket))
    return store


def write_backend_config(
    config: EnvironmentConfig,
    target: Target,
    store: StateStore,
    key: str | None = None,
    assume_role: bool = True,
) -> Path:
    """The S3 backend settings of the environment's root (or of another root's `key` in the
    same bucket, as the administrator running it when not `assume_role`)."""
    key = key or state_key(config)
    settings: dict[str, object] = {
        "bucket": store.bucket,
        "key": key,
        "region": config.region,
        "encrypt": True,
        # Without it the backend asks for SSE-S3 on every write, whatever the bucket's default.
        "kms_key_id": store.kms_key_arn,
        "use_lockfile": True,
    }
    if config.terraform_role_arn and assume_role:
        settings["assume_role"] = {"role_arn": config.terraform_role_arn}
    settings |= target.backend_settings()
    # Named by bucket too: two platforms in one account have a bucket each.
    path = state_dir() / "backend" / f"{store.bucket}.{key.replace('/', '.')}.s3.tfbackend"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{key} = {_hcl(value)}\n" for key, value in settings.items()))
    return path


def _hcl(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_hcl(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


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
    per root: dev and prod share theirs)."""
    terraform = TerraformRunner(config.terraform_dir, f"{config.terraform_dir.name}-validate")
    terraform.init()
    terraform.validate()


def var_files(config: EnvironmentConfig) -> list[Path]:
    """What a plan of the environment's root is given: its tfvars and the package of its
    Lambda function, built from the repository (the governance recorder in the registry, the
    inference pipeline's step in a workload stage)."""
    function = (
        lambda_package.LATEST_MODEL
        if config.name in WORKLOAD_ENVIRONMENTS
        else lambda_package.GOVERNANCE_RECORDER
    )
    return [config.tfvars_file, lambda_package.build(function, packages_dir())]


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
    if saved.stamp.get("destroy"):
        _delete_pipelines(config, target, progress)
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


def _delete_pipelines(
    config: EnvironmentConfig, target: Target, progress: Callable[[str], None] | None
) -> None:
    """A stage's destroy takes its pipelines too: the upsert made them, from the names in the
    stage's outputs, so Terraform's plan does not hold them."""
    if config.name not in WORKLOAD_ENVIRONMENTS:
        return
    # Tolerant of a partial apply: a root that failed before its outputs has no pipelines either.
    platform = _stored_outputs(config, target).get("platform") or {}
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


def outputs(config: EnvironmentConfig, target: Target) -> dict:
    """The environment's Terraform outputs, read from its state object: no init, and neither
    the Terraform binary nor the provider is needed to read a name. An environment that was
    never applied (or whose local AWS restarted) is an error, not an empty answer."""
    found = _stored_outputs(config, target)
    if not found:
        raise MlopsError(
            f"environment {config.name} has no Terraform outputs in account "
            f"{config.account_id}: it is not applied; run `mlops plan --env {config.name}`, "
            f"then `mlops apply --env {config.name}`"
        )
    return found


def registry_platform(config: EnvironmentConfig, target: Target) -> RegistryContract:
    """The registry account's platform contract, from its state."""
    return contract.parse(RegistryContract, config.name, outputs(config, target).get("platform"))


def workload_platform(config: EnvironmentConfig, target: Target) -> WorkloadContract:
    """A stage's platform contract, from its state."""
    if config.name not in WORKLOAD_ENVIRONMENTS:
        raise MlopsError(
            f"environment {config.name!r} is not a stage: expected one of "
            f"{', '.join(WORKLOAD_ENVIRONMENTS)}"
        )
    return contract.parse(WorkloadContract, config.name, outputs(config, target).get("platform"))


def _stored_outputs(config: EnvironmentConfig, target: Target) -> dict:
    """The outputs in the environment's state object; none where it has no state yet."""
    target.check_not_restarted(config.name)
    s3 = client(session_for(config, target), "s3", target)
    try:
        state = s3.get_object(Bucket=state_bucket_name(config), Key=state_key(config))["Body"]
        found = {name: o["value"] for name, o in json.load(state).get("outputs", {}).items()}
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("NoSuchKey", "NoSuchBucket", "404"):
            raise MlopsError(f"cannot read the state of {config.name}: {error}") from None
        found = {}
    except (ValueError, TypeError, KeyError, AttributeError):
        raise MlopsError(
            f"the state of {config.name} (s3://{state_bucket_name(config)}/"
            f"{state_key(config)}) is not a Terraform state: restore it from a previous "
            "version of the object (the bucket is versioned)"
        ) from None
    return found
