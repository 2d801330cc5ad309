"""`mlops bootstrap`: an account's state store and the role Terraform runs as, applied by an
administrator of the account; here on the local AWS (no --aws), and its refusals with --aws, on
the local AWS configured as a plain AWS endpoint through environment variables only, as a
user's AWS would be. tests/test_walkthrough.py bootstraps three accounts that way, then deploys
as the CI principal through the role and state store the bootstrap made.

An account of its own (555...) and a name prefix of their own keep this apart from the platform
other tests apply on the same local AWS."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from glue import config
from glue.local import operator
from tests import accounts
from tests.test_cli import PROJECT_ROOT, mlops, one_line, started

pytestmark = pytest.mark.emulator

LOCAL_ACCOUNT = "555555555555"
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


@pytest.fixture(scope="module")
def bootstrapped(emulator, tmp_path_factory) -> Path:
    """dev's account bootstrapped on the running local AWS (most of it is the provider waiting
    for the state bucket's lifecycle rule to settle); its tfvars."""
    dev = _tfvars(tmp_path_factory.mktemp("bootstrap"), "dev", LOCAL_ACCOUNT)
    run = started("bootstrap", "--env", "dev", "--var-file", str(dev))
    _, err = run.communicate(timeout=300)
    assert run.returncode == 0, f"bootstrap of dev: {err}"
    return dev


def test_bootstrap_creates_the_role_and_takes_over_the_state_store(emulator, bootstrapped):
    iam = accounts.client_in(emulator, LOCAL_ACCOUNT, "iam")
    role = iam.get_role(RoleName="mlops-terraform")["Role"]
    assert role["Path"] == "/platform/"
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert (trust["Action"], sorted(trust["Principal"]["AWS"])) == (
        "sts:AssumeRole",
        sorted(PRINCIPALS),
    )
    assert iam.list_role_policies(RoleName="mlops-terraform")["PolicyNames"] == ["platform-roots"]
    assert not iam.list_attached_role_policies(RoleName="mlops-terraform")["AttachedPolicies"]

    s3 = accounts.client_in(emulator, LOCAL_ACCOUNT, "s3")
    bucket = f"{PREFIX}-tfstate-{LOCAL_ACCOUNT}"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    [rule] = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    kms = accounts.client_in(emulator, LOCAL_ACCOUNT, "kms")
    key = kms.describe_key(KeyId=f"alias/{PREFIX}-tfstate")
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": key["KeyMetadata"]["Arn"],
    }
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["DenyInsecureTransport"]
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert lifecycle[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 365
    # The bootstrap's own state is in that bucket, beside where the environment's will be.
    assert s3.head_object(Bucket=bucket, Key="dev/bootstrap.tfstate")


def test_a_second_bootstrap_changes_nothing(bootstrapped):
    again = mlops("bootstrap", "--env", "dev", "--var-file", str(bootstrapped))
    assert again.returncode == 0, again.stderr
    assert "0 to add, 0 to change, 0 to destroy: bootstrapped before, nothing to change" in (
        again.stdout
    )


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
    environment = accounts.as_aws(emulator, credentials)
    if not credentials:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            environment.pop(name, None)
    run = started("bootstrap", "--env", "prod", "--aws", "--var-file", str(tfvars), env=environment)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 1
    assert said in one_line(err)
    # Nothing was made: no state bucket in either account.
    for account in ("123456789012", LOCAL_ACCOUNT):
        buckets = accounts.client_in(emulator, account, "s3").list_buckets()["Buckets"]
        assert not [b for b in buckets if b["Name"].startswith("refused-")]


def _bootstrap_processes(tfvars: Path) -> int:
    """The bootstrap processes of the local platform started for these tfvars."""
    listed = subprocess.run(["ps", "-ww", "-eo", "args"], capture_output=True, text=True).stdout
    return sum(
        "glue.local.operator" in line and str(tfvars) in line for line in listed.splitlines()
    )


def test_the_local_platform_bootstraps_an_account_once_and_again_after_a_failure(
    emulator, tmp_path
):
    """The first command that needs an account bootstraps it for the CI principal, in a process
    of its own that a second command does not duplicate; one that ends before its Terraform role
    exists (stopped with its local AWS, say) is one line, and the next command starts it again;
    Terraform's state is never left in the sources."""
    values = json.loads((PROJECT_ROOT / "registry.tfvars.json").read_text())
    path = tmp_path / "registry.tfvars.json"
    path.write_text(json.dumps(accounts.own_platform(values, "lazy")))
    env = config.load("registry", path)

    operator.start(env, emulator)
    operator.start(env, emulator)
    assert _bootstrap_processes(path) == 1
    operator.stop(emulator)  # what `mlops local down` does first
    # Stopped, Terraform first finishes the operations in flight (the provider's polls of the
    # state bucket's lifecycle rule take a minute), then the process moves any errored.tfstate
    # out of the sources: only once it has ended is there nothing left to see.
    deadline = time.monotonic() + 180
    while _bootstrap_processes(path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _bootstrap_processes(path), "the stopped bootstrap did not end"
    # The folder is every bootstrap's working folder: another worker's bootstrap, stopped with
    # its local AWS, may be between writing errored.tfstate and moving it out. None may stay.
    errored = PROJECT_ROOT / "environments" / "bootstrap" / "errored.tfstate"
    deadline = time.monotonic() + 60
    while errored.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not errored.exists()

    operator.bootstrapped(env, emulator)  # started again, ready once the role exists
    iam = accounts.client_in(emulator, env.account_id, "iam")
    assert iam.get_role(RoleName="lazy-terraform")["Role"]["Arn"] == env.terraform_role_arn
    # (its apply goes on for a minute, the state bucket's lifecycle rule: the demo waits for it)


def _inventory(emulator, account: str) -> dict[str, list[str]]:
    """What a bootstrap makes in an account (its local administrator aside: on AWS that person
    exists before; here the first bootstrap command makes them)."""
    s3 = accounts.client_in(emulator, account, "s3")
    kms = accounts.client_in(emulator, account, "kms")
    iam = accounts.client_in(emulator, account, "iam")
    return {
        "buckets": sorted(b["Name"] for b in s3.list_buckets()["Buckets"]),
        "keys": sorted(k["KeyId"] for k in kms.list_keys()["Keys"]),
        "aliases": sorted(a["AliasName"] for a in kms.list_aliases()["Aliases"]),
        "roles": sorted(r["RoleName"] for r in iam.list_roles()["Roles"]),
    }


def test_a_dry_run_before_the_first_bootstrap_creates_nothing(emulator, tmp_path):
    """Not even the state bucket and key that a plan of the bootstrap needs first: it says what
    the bootstrap would create."""
    tfvars = _tfvars(tmp_path, "prod", LOCAL_ACCOUNT, name_prefix="dry")
    before = _inventory(emulator, LOCAL_ACCOUNT)
    result = mlops("bootstrap", "--env", "prod", "--var-file", str(tfvars), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert one_line(result.stdout) == (
        f"bootstrap of prod: would create the state bucket dry-tfstate-{LOCAL_ACCOUNT} and its "
        "key alias/dry-tfstate, then plan and apply the bootstrap (--dry-run: nothing created; "
        "the plan needs them first)"
    )
    assert _inventory(emulator, LOCAL_ACCOUNT) == before
