"""Each environment's Terraform state store, in its own account: the bucket and key made before
Terraform can run (it cannot keep its state in a bucket it has yet to create), the backend
settings that point Terraform at them, and the outputs read back from the state (the platform
contract: every AWS name the glue uses, none computed here).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

from glue import contract
from glue.aws import Target, client, session_for
from glue.config import WORKLOAD_ENVIRONMENTS, EnvironmentConfig
from glue.contract import RegistryContract, WorkloadContract
from glue.errors import MlopsError
from glue.settings import state_dir


def state_bucket_name(config: EnvironmentConfig) -> str:
    return f"{config.values['name_prefix']}-tfstate-{config.account_id}"


def state_key(config: EnvironmentConfig) -> str:
    return f"{config.name}/terraform.tfstate"


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


def outputs(config: EnvironmentConfig, target: Target) -> dict:
    """The environment's Terraform outputs, read from its state object: no init, and neither
    the Terraform binary nor the provider is needed to read a name. An environment that was
    never applied (or whose local AWS restarted) is an error, not an empty answer."""
    found = stored_outputs(config, target)
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


def stored_outputs(config: EnvironmentConfig, target: Target) -> dict:
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
