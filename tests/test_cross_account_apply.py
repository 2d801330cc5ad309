"""End to end on the local AWS: Terraform creates resources in two accounts by assuming roles."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from glue.aws import client
from glue.errors import MlopsError
from glue.local.target import emulator_environment
from glue.terraform import TerraformRunner
from tests import accounts
from tests.conftest import ACCOUNTS, REGION

pytestmark = pytest.mark.emulator
FIXTURE = Path(__file__).parent / "fixtures" / "cross_account"
DEPLOYER = "cross-account-deployer"


def test_apply_read_back_destroy(emulator, tmp_path):
    workdir = tmp_path / "cross_account"
    shutil.copytree(FIXTURE, workdir)
    variables = tmp_path / "vars.tfvars.json"
    variables.write_text(
        json.dumps(
            {
                "registry_account_id": ACCOUNTS["registry"],
                "workload_account_id": ACCOUNTS["dev"],
                "name": "e2e-models",
                "role_name": DEPLOYER,
            }
        )
    )
    # Terraform runs as the registry's tester user, which the role in each account trusts.
    caller = f"arn:aws:iam::{ACCOUNTS['registry']}:user/{accounts.TESTER}"
    keys = accounts.tester_keys(emulator, ACCOUNTS["registry"])
    for account in (ACCOUNTS["registry"], ACCOUNTS["dev"]):
        accounts.make_role(emulator, f"arn:aws:iam::{account}:role/{DEPLOYER}", trusted=caller)
    runner = TerraformRunner(workdir, "cross-account", emulator_environment(emulator, REGION, keys))
    runner.init()
    assert runner.plan(tmp_path / "apply.tfplan", variables)
    runner.apply(tmp_path / "apply.tfplan")
    outputs = runner.outputs()

    registry = accounts.session(emulator, ACCOUNTS["registry"])
    dev = accounts.session(emulator, ACCOUNTS["dev"])
    sagemaker = client(registry, "sagemaker", emulator)
    group = sagemaker.describe_model_package_group(ModelPackageGroupName="e2e-models")
    assert group["ModelPackageGroupArn"] == outputs["model_package_group_arn"]
    assert f":{ACCOUNTS['registry']}:" in group["ModelPackageGroupArn"]
    policy = json.loads(
        sagemaker.get_model_package_group_policy(ModelPackageGroupName="e2e-models")[
            "ResourcePolicy"
        ]
    )
    assert policy["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNTS['dev']}:root"}
    assert outputs["bucket"] in _bucket_names(dev, emulator)
    assert outputs["bucket"] not in _bucket_names(registry, emulator)

    assert not runner.plan(tmp_path / "again.tfplan", variables), "second plan must be empty"

    assert runner.plan(tmp_path / "destroy.tfplan", variables, destroy=True)
    runner.apply(tmp_path / "destroy.tfplan")
    with pytest.raises(ClientError, match="does not exist"):
        sagemaker.describe_model_package_group(ModelPackageGroupName="e2e-models")
    assert outputs["bucket"] not in _bucket_names(dev, emulator)


def _bucket_names(session, emulator) -> set[str]:
    return {b["Name"] for b in client(session, "s3", emulator).list_buckets()["Buckets"]}


def test_operation_missing_from_emulator_fails_in_seconds(emulator, tmp_path):
    workdir = tmp_path / "unsupported"
    shutil.copytree(FIXTURE.parent / "unsupported_operation", workdir)
    keys = accounts.root_keys(emulator, accounts.MODULE_PLANS_ACCOUNT)
    runner = TerraformRunner(workdir, "unsupported", emulator_environment(emulator, REGION, keys))
    runner.init()
    runner.plan(tmp_path / "unsupported.tfplan")
    started = time.monotonic()
    with pytest.raises(MlopsError, match="CreateStudioLifecycleConfig.*exceeded maximum number"):
        runner.apply(tmp_path / "unsupported.tfplan")
    assert time.monotonic() - started < 60
