"""Bootstrap an account (environments/bootstrap): its Terraform state store and the role the
environment's root assumes, applied once by an administrator of the account, with their own
credentials, before the first `mlops plan` there."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from glue import aws, deploy, saved_plans, state_store
from glue.aws import Target, client
from glue.config import EnvironmentConfig
from glue.errors import MlopsError
from glue.settings import PROJECT_ROOT, state_dir
from glue.terraform import TerraformRunner

ROOT = PROJECT_ROOT / "environments" / "bootstrap"


def require_bootstrappable(config: EnvironmentConfig) -> None:
    """Its tfvars name the role to create and who may assume it."""
    missing = [
        key
        for key in ("terraform_role_arn", "terraform_principal_arns")
        if not config.values.get(key)
    ]
    if missing:
        raise MlopsError(
            f"{config.tfvars_file}: bootstrapping {config.name} needs {' and '.join(missing)} "
            "(the role Terraform runs as there, and the roles that may assume it)"
        )


def _administrator(
    config: EnvironmentConfig, target: Target
) -> tuple[boto3.Session, tuple[dict[str, str], tuple[str, ...]]]:
    """A session of an administrator of the account and the environment Terraform runs with
    (set, and unset): the ambient credentials on AWS, the local administrator of the account
    on the local AWS."""
    keys = target.administrator_credentials(config)
    session = aws.session_with(config.region, keys)
    environment = target.terraform_environment(config.region, keys)
    try:
        account = client(session, "sts", target).get_caller_identity()["Account"]
    except (BotoCoreError, ClientError) as error:
        raise MlopsError(
            f"cannot tell whose AWS credentials these are ({error}): bootstrapping "
            f"{config.name} needs an administrator of account {config.account_id}"
        ) from None
    if account != config.account_id:
        raise MlopsError(
            f"the AWS credentials are of account {account}: bootstrapping {config.name} needs "
            f"an administrator of account {config.account_id} (its tfvars' account_id)"
        )
    return session, environment


def _variables(config: EnvironmentConfig, store: state_store.StateStore) -> Path:
    values = {
        key: config.values[key]
        for key in (
            "environment",
            "region",
            "account_id",
            "aws_max_retries",
            "terraform_role_arn",
            "terraform_principal_arns",
            "name_prefix",
            "model_name",
            "tags",
            "registry_account_id",
        )
        if config.values.get(key) is not None
    }
    values |= {
        "state_bucket_name": store.bucket,
        "state_key_arn": store.kms_key_arn,
        "state_key_alias": state_store.state_key_alias(config).removeprefix("alias/"),
    }
    path = state_dir() / "bootstrap" / f"{store.bucket}.tfvars.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values, indent=2, sort_keys=True))
    return path


class StoreMissing(MlopsError):
    """A dry run before the first bootstrap: the plan needs the state store, which only a
    bootstrap creates."""


def bootstrap(
    config: EnvironmentConfig,
    target: Target,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
) -> saved_plans.PlanSummary:
    """Plan the bootstrap of the environment's account and, unless `dry_run`, apply that plan;
    a bootstrapped account plans no change. A dry run creates nothing: before the first
    bootstrap it raises StoreMissing, saying what the bootstrap would create."""
    require_bootstrappable(config)
    session, environment = _administrator(config, target)
    if dry_run and state_store.existing_state_store(config, target, session) is None:
        raise StoreMissing(
            f"bootstrap of {config.name}: would create the state bucket "
            f"{state_store.state_bucket_name(config)} and its key "
            f"{state_store.state_key_alias(config)}, "
            "then plan and apply the bootstrap (--dry-run: nothing created; the plan needs them "
            "first)"
        )
    store = state_store.ensure_state_bucket(config, target, session)
    backend = state_store.write_backend_config(
        config, target, store, key=f"{config.name}/bootstrap.tfstate", assume_role=False
    )
    terraform = TerraformRunner(
        # One working folder and plan per state store: two platforms in one account are two.
        ROOT,
        f"bootstrap-{store.bucket}",
        *environment,
    )
    terraform.init(backend)
    variables = _variables(config, store)
    if dry_run:
        plan_file = state_dir() / "plans" / f"bootstrap-{store.bucket}.tfplan"
        plan_file.parent.mkdir(parents=True, exist_ok=True)
        planned = terraform.plan(plan_file, variables)
        return _summary(config, planned, plan_file)
    try:
        return _summary(config, terraform.plan_and_apply(variables, progress=progress))
    except BaseException as error:
        kept = deploy.keep_errored_state(ROOT, f"bootstrap-{store.bucket}")
        if kept is None or not isinstance(error, MlopsError):
            raise
        raise type(error)(f"{error}; {kept}") from None


def _summary(
    config: EnvironmentConfig, planned: list[tuple[str, str]], plan_file: Path | None = None
) -> saved_plans.PlanSummary:
    return saved_plans.PlanSummary(
        f"bootstrap of {config.name}",
        plan_file,
        tuple(saved_plans.ResourceChange(action, address) for action, address in planned),
    )
