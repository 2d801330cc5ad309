"""Init, plan, apply and destroy an environment, on the local emulator or on real AWS.

State lives in an S3 bucket of the target account (created here if missing, since Terraform
cannot store its state in a bucket it has yet to create), locked with `use_lockfile`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import ClientError

from glue.aws import assumed_session, base_session, client, emulator_environment
from glue.config import EnvironmentConfig
from glue.emulator.control import Emulator
from glue.errors import MlopsError
from glue.settings import state_dir
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

    @classmethod
    def from_plan(cls, plan_file: Path, plan: dict) -> PlanSummary:
        """Summarize `terraform show -json` of a saved plan."""
        changes = []
        for resource in plan.get("resource_changes", []):
            actions = [a for a in resource["change"]["actions"] if a not in ("no-op", "read")]
            if actions:
                action = "replace" if len(actions) > 1 else actions[0]
                changes.append(ResourceChange(action, resource["address"]))
        return cls(_planned(plan, "environment") or "?", plan_file, tuple(changes))

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


def plan_file_for(config: EnvironmentConfig) -> Path:
    return state_dir() / "plans" / f"{config.name}.tfplan"


def plan_json_for(plan_file: Path) -> Path:
    """Where `mlops plan` keeps the JSON of a saved plan, for checkov and the report."""
    return plan_file.with_name(plan_file.name + ".json")


def session_for(config: EnvironmentConfig, emulator: Emulator | None):
    """A session in the environment's account (its terraform_role_arn, else ambient)."""
    if config.terraform_role_arn:
        return assumed_session(config.terraform_role_arn, config.region, emulator)
    return base_session(config.region, emulator)


def ensure_state_bucket(config: EnvironmentConfig, emulator: Emulator | None) -> str:
    """Create the versioned, encrypted, private state bucket of the environment if missing."""
    bucket = state_bucket_name(config)
    s3 = client(session_for(config, emulator), "s3", emulator)
    try:
        s3.head_bucket(Bucket=bucket)
        return bucket
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("404", "NoSuchBucket", "NotFound"):
            raise MlopsError(f"cannot reach state bucket {bucket}: {error}") from None
    options = {}
    if config.region != "us-east-1":
        options["CreateBucketConfiguration"] = {"LocationConstraint": config.region}
    s3.create_bucket(Bucket=bucket, **options)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    return bucket


def write_backend_config(config: EnvironmentConfig, emulator: Emulator | None) -> Path:
    settings: dict[str, object] = {
        "bucket": state_bucket_name(config),
        "key": f"{config.name}/terraform.tfstate",
        "region": config.region,
        "encrypt": True,
        "use_lockfile": True,
    }
    if config.terraform_role_arn:
        settings["assume_role"] = {"role_arn": config.terraform_role_arn}
    if emulator is not None:
        settings["use_path_style"] = True
        settings["endpoints"] = {"s3": emulator.endpoint, "sts": emulator.endpoint}
    path = state_dir() / "backend" / f"{config.name}.s3.tfbackend"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{key} = {_hcl(value)}\n" for key, value in settings.items()))
    return path


def _hcl(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_hcl(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def runner(config: EnvironmentConfig, emulator: Emulator | None) -> TerraformRunner:
    environment = emulator_environment(emulator, config.region) if emulator else {}
    return TerraformRunner(config.terraform_dir, config.name, environment)


def init(config: EnvironmentConfig, emulator: Emulator | None) -> TerraformRunner:
    ensure_state_bucket(config, emulator)
    terraform = runner(config, emulator)
    terraform.init(write_backend_config(config, emulator))
    return terraform


def validate(config: EnvironmentConfig) -> None:
    """`terraform validate` of the environment's root, offline and without its backend."""
    terraform = TerraformRunner(config.terraform_dir, f"{config.name}-validate")
    terraform.init()
    terraform.validate()


def plan(
    config: EnvironmentConfig,
    emulator: Emulator | None,
    plan_file: Path | None = None,
    destroy: bool = False,
) -> PlanSummary:
    terraform = init(config, emulator)
    plan_file = plan_file or plan_file_for(config)
    plan_file.parent.mkdir(parents=True, exist_ok=True)
    terraform.plan(plan_file, config.tfvars_file, destroy=destroy)
    shown = terraform.show(plan_file)
    plan_json_for(plan_file).write_text(json.dumps(shown, sort_keys=True))
    return PlanSummary.from_plan(plan_file, shown)


def _planned(plan: dict, variable: str) -> str | None:
    return plan.get("variables", {}).get(variable, {}).get("value")


def apply(
    config: EnvironmentConfig, emulator: Emulator | None, plan_file: Path, dry_run: bool = False
) -> PlanSummary:
    """Apply exactly a saved plan, and only one made for this environment and account."""
    if not plan_file.is_file():
        raise MlopsError(
            f"no plan file at {plan_file}: run `mlops plan --env {config.name}` and apply "
            "the plan it saves (applying an unreviewed plan is refused)"
        )
    terraform = init(config, emulator)
    shown = terraform.show(plan_file)
    planned_for = (_planned(shown, "environment"), _planned(shown, "account_id"))
    if planned_for != (config.name, config.account_id):
        raise MlopsError(
            f"{plan_file} was planned for environment {planned_for[0]!r} in account "
            f"{planned_for[1]!r}, not {config.name!r} in {config.account_id!r} "
            f"({config.tfvars_file}): refusing to apply it"
        )
    if not dry_run:
        terraform.apply(plan_file)
    return PlanSummary.from_plan(plan_file, shown)


def outputs(config: EnvironmentConfig, emulator: Emulator | None) -> dict:
    return init(config, emulator).outputs()
