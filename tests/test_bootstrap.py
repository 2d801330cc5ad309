"""`mlops bootstrap`: an account's state store and the role Terraform runs as, applied by an
administrator of the account; here on the local AWS (no --aws) and, with --aws, on the local AWS
configured as a plain AWS endpoint through environment variables only, as a user's AWS would be.

Accounts of their own (555..., 666...) and a name prefix of their own keep this apart from the
platform other tests apply on the same local AWS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from glue.aws import EMULATOR_UNSET, assumed_session, client
from glue.local import administrators
from tests.test_cli import PROJECT_ROOT, mlops, one_line

pytestmark = pytest.mark.emulator

LOCAL_ACCOUNT, AWS_ACCOUNT = "555555555555", "666666666666"
PRINCIPALS = ["arn:aws:iam::444444444444:role/jenkins", "arn:aws:iam::444444444444:role/admins"]
PREFIX = "boot"


def _tfvars(folder: Path, environment: str, account: str, **changes) -> Path:
    values = json.loads((PROJECT_ROOT / f"{environment}.tfvars.json").read_text())
    values |= {
        "account_id": account,
        "terraform_role_arn": f"arn:aws:iam::{account}:role/platform/mlops-terraform",
        "terraform_principal_arns": PRINCIPALS,
        "name_prefix": PREFIX,
        "protect_from_destroy": False,
    }
    if environment != "registry":
        values["registry_account_id"] = account
        values["registry_terraform_role_arn"] = values["terraform_role_arn"]
    values |= changes
    path = folder / f"{environment}-{account}.tfvars.json"
    path.write_text(json.dumps({k: v for k, v in values.items() if v is not None}))
    return path


def _as_aws(emulator, credentials: dict[str, str]) -> dict[str, str]:
    """The environment of a user whose AWS is the local AWS: an endpoint and credentials, no
    variable of the glue's emulator set-up."""
    environment = {k: v for k, v in os.environ.items() if k not in EMULATOR_UNSET}
    return environment | {
        "AWS_ENDPOINT_URL": emulator.endpoint,
        "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        **credentials,
    }


def _run(arguments: list[str], environment: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "glue.cli", *arguments],
        cwd=PROJECT_ROOT,
        env=environment or dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def bootstrapped(emulator, tmp_path_factory) -> dict[str, object]:
    """dev's account bootstrapped here and the registry's with --aws, side by side (most of
    each is the provider waiting for the state bucket's lifecycle rule to settle)."""
    folder = tmp_path_factory.mktemp("bootstrap")
    dev = _tfvars(folder, "dev", LOCAL_ACCOUNT)
    registry = _tfvars(folder, "registry", AWS_ACCOUNT)
    administrator = administrators.credentials(emulator, AWS_ACCOUNT, "us-east-1")
    runs = {
        "dev": _run(["bootstrap", "--env", "dev", "--var-file", str(dev)]),
        "registry": _run(
            ["bootstrap", "--env", "registry", "--aws", "--var-file", str(registry)],
            _as_aws(emulator, administrator),
        ),
    }
    done = {name: (run.communicate(timeout=300), run.returncode) for name, run in runs.items()}
    for name, ((_, err), code) in done.items():
        assert code == 0, f"bootstrap of {name}: {err}"
    return {"dev": dev, "registry": registry, "output": {n: d[0][0] for n, d in done.items()}}


def _inside(emulator, account: str, service: str):
    return client(
        assumed_session(f"arn:aws:iam::{account}:role/inspector", "us-east-1", emulator),
        service,
        emulator,
    )


@pytest.mark.parametrize("account", [LOCAL_ACCOUNT, AWS_ACCOUNT])
def test_bootstrap_creates_the_role_and_takes_over_the_state_store(emulator, bootstrapped, account):
    iam = _inside(emulator, account, "iam")
    role = iam.get_role(RoleName="mlops-terraform")["Role"]
    assert role["Path"] == "/platform/"
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert (trust["Action"], sorted(trust["Principal"]["AWS"])) == (
        "sts:AssumeRole",
        sorted(PRINCIPALS),
    )
    assert iam.list_role_policies(RoleName="mlops-terraform")["PolicyNames"] == ["platform-roots"]
    assert not iam.list_attached_role_policies(RoleName="mlops-terraform")["AttachedPolicies"]

    s3, bucket = _inside(emulator, account, "s3"), f"{PREFIX}-tfstate-{account}"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    [rule] = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    key = _inside(emulator, account, "kms").describe_key(KeyId=f"alias/{PREFIX}-tfstate")
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": key["KeyMetadata"]["Arn"],
    }
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["DenyInsecureTransport"]
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert lifecycle[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 365
    # The bootstrap's own state is in that bucket, beside where the environment's will be.
    environment = "dev" if account == LOCAL_ACCOUNT else "registry"
    assert s3.head_object(Bucket=bucket, Key=f"{environment}/bootstrap.tfstate")


def test_a_second_bootstrap_changes_nothing(bootstrapped):
    again = mlops("bootstrap", "--env", "dev", "--var-file", str(bootstrapped["dev"]))
    assert again.returncode == 0, again.stderr
    assert "0 to add, 0 to change, 0 to destroy: bootstrapped before, nothing to change" in (
        again.stdout
    )


def test_with_aws_only_the_registry_plans_as_the_role_it_made(emulator, bootstrapped):
    """The CI principal's credentials (any identity here) assume terraform_role_arn, and the
    state goes to the bucket the bootstrap took over: `--aws`, environment variables only."""
    ci = {"AWS_ACCESS_KEY_ID": "ci-principal", "AWS_SECRET_ACCESS_KEY": "ci-principal"}
    environment = _as_aws(emulator, ci)
    planned = _run(
        ["plan", "--env", "registry", "--aws", "--var-file", str(bootstrapped["registry"])],
        environment,
    )
    out, err = planned.communicate(timeout=300)
    assert planned.returncode == 0, err
    assert "registry: " in out and "to add, 0 to change, 0 to destroy" in out
    # Its backend is the bucket the bootstrap took over: no other was made.
    buckets = _inside(emulator, AWS_ACCOUNT, "s3").list_buckets()["Buckets"]
    assert [b["Name"] for b in buckets] == [f"{PREFIX}-tfstate-{AWS_ACCOUNT}"]


def test_bootstrap_refuses_tfvars_without_who_may_assume_the_role(tmp_path):
    tfvars = _tfvars(tmp_path, "prod", LOCAL_ACCOUNT, terraform_principal_arns=None)
    # No local AWS is needed to refuse: the state directory has none running.
    result = mlops(
        "bootstrap", "--env", "prod", "--var-file", str(tfvars),
        env={"MLOPS_STATE_DIR": str(tmp_path / "state")},
    )  # fmt: skip
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        f"mlops: {tfvars}: bootstrapping prod needs terraform_principal_arns (the role "
        "Terraform runs as there, and the roles that may assume it)"
    )


@pytest.mark.parametrize(
    ("credentials", "said"),
    [
        (
            {"AWS_ACCESS_KEY_ID": "someone-else", "AWS_SECRET_ACCESS_KEY": "x"},
            "the AWS credentials are of account 123456789012: bootstrapping prod needs an "
            f"administrator of account {LOCAL_ACCOUNT} (its tfvars' account_id)",
        ),
        ({}, "cannot tell whose AWS credentials these are (Unable to locate credentials)"),
    ],
    ids=["another-account", "none"],
)
def test_bootstrap_with_aws_refuses_credentials_not_of_the_account(
    emulator, tmp_path, credentials, said
):
    tfvars = _tfvars(tmp_path, "prod", LOCAL_ACCOUNT, name_prefix="refused")
    environment = _as_aws(emulator, credentials)
    if not credentials:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            environment.pop(name, None)
    run = _run(["bootstrap", "--env", "prod", "--aws", "--var-file", str(tfvars)], environment)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 1
    assert said in one_line(err)
    # Nothing was made: no state bucket in either account.
    for account in ("123456789012", LOCAL_ACCOUNT):
        buckets = _inside(emulator, account, "s3").list_buckets()["Buckets"]
        assert not [b for b in buckets if b["Name"].startswith("refused-")]
