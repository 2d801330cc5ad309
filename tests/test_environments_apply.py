"""Registry, dev and prod applied in order on the local AWS, each in its own account."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from glue import aws, cli, config, deploy, governance, registry, state_store
from glue.aws import client
from glue.local import operator
from glue.local.emulator import control
from glue.pipelines import upsert
from tests import accounts
from tests.accounts import DEV_APPROVER, PROD_APPROVER
from tests.test_cli import started

pytestmark = pytest.mark.emulator
ROOT = Path(__file__).resolve().parent.parent


def test_every_resource_lands_in_its_account(emulator, platform):
    registry, dev, prod = (platform[n].account_id for n in config.ENVIRONMENTS)
    in_registry = accounts.resources(emulator, registry)
    assert "mammo-model-artifacts-111111111111" in in_registry["buckets"]
    assert "alias/mammo-model-artifacts" in in_registry["aliases"]
    assert in_registry["tables"] == {"mammo-model-governance"}
    assert "mammo-governance-recorder" in in_registry["functions"]
    assert "mammo-governance-recorder" in in_registry["rules"]
    for stage, account in (("dev", dev), ("prod", prod)):
        found = accounts.resources(emulator, account)
        assert f"alias/mammo-{stage}-workload" in found["aliases"]
        assert {
            f"mammo-{stage}-sagemaker-execution",
            f"mammo-{stage}-latest-model-lambda",
            f"mammo-{stage}-ci-deploy",
            f"mammo-{stage}-events-start-pipelines",
        } <= found["roles"]
        assert f"mammo-{stage}-pipeline-failures" in found["topics"]
        assert {
            f"mammo-{stage}-inference-schedule",
            f"mammo-{stage}-training-schedule",
            f"mammo-{stage}-model-approved-infer",
            f"mammo-{stage}-inference-failed-retrain",
            f"mammo-{stage}-pipeline-failed-notify",
        } <= found["rules"]
        assert not found["tables"], "the governance table is the registry's"
        assert not found["groups"], "model package groups live in the registry account only"
    grants = client(accounts.session(emulator, registry), "kms", emulator).list_grants(
        KeyId=state_store.registry_platform(platform["registry"], emulator).artifacts_kms_key_arn
    )["Grants"]
    assert {g["GranteePrincipal"] for g in grants} == {
        f"arn:aws:iam::{dev}:role/mammo-dev-sagemaker-execution",
        f"arn:aws:iam::{prod}:role/mammo-prod-sagemaker-execution",
    }
    sagemaker = client(accounts.session(emulator, registry), "sagemaker", emulator)
    dev_policy = json.loads(
        sagemaker.get_model_package_group_policy(ModelPackageGroupName="mammo-severity-dev")[
            "ResourcePolicy"
        ]
    )
    assert {s["Sid"] for s in dev_policy["Statement"]} == {
        "AccountsReadModelVersions",
        "AccountsRegisterModelVersions",
        "OnlyApproversDecide",
    }
    # The applied registry has a feature branch (tests/conftest.py): its group, with the dev
    # group's policy (dev registers and reads; prod does not see it), in the contract.
    feature = "mammo-severity-feature-better-features"
    assert in_registry["groups"] == {"mammo-severity-dev", "mammo-severity-prod", feature}
    feature_policy = sagemaker.get_model_package_group_policy(ModelPackageGroupName=feature)
    assert json.loads(feature_policy["ResourcePolicy"]) == json.loads(
        json.dumps(dev_policy).replace("mammo-severity-dev", feature)
    )
    contract = state_store.registry_platform(platform["registry"], emulator)
    assert contract.feature_group_arns == {
        "better-features": f"arn:aws:sagemaker:us-east-1:{registry}:model-package-group/{feature}"
    }


def test_deploy_role_may_follow_only_its_own_pipelines_executions(emulator, platform):
    """`mlops models compare` waits for the comparison it started: DescribePipelineExecution,
    on the executions of the stage's pipelines only."""
    dev = platform["dev"]
    iam = client(accounts.session(emulator, dev.account_id), "iam", emulator)
    policy = iam.get_role_policy(RoleName="mammo-dev-ci-deploy", PolicyName="least-privilege")
    statements = policy["PolicyDocument"]["Statement"]
    [follow] = [s for s in statements if s.get("Sid") == "FollowPipelineExecutions"]
    pipelines = state_store.workload_platform(dev, emulator).pipeline_names.values()
    prefix = f"arn:aws:sagemaker:us-east-1:{dev.account_id}:pipeline"
    assert (follow["Effect"], follow["Action"]) == ("Allow", "sagemaker:DescribePipelineExecution")
    assert sorted(follow["Resource"]) == sorted(
        f"{prefix}/{name.lower()}/execution/*" for name in pipelines
    )


def test_second_plan_of_each_environment_is_empty(emulator, platform):
    # Each environment has its own state: their plans run side by side.
    with ThreadPoolExecutor(len(config.ENVIRONMENTS)) as pool:
        plans = pool.map(lambda name: deploy.plan(platform[name], emulator), config.ENVIRONMENTS)
        for name, again in zip(config.ENVIRONMENTS, plans, strict=True):
            assert not again.has_changes, f"second plan of {name} is not empty: {again}"


def test_upsert_on_the_applied_environments(emulator, platform):
    """Each stage's pipelines are written (created, or left as another test's upsert made
    them: tests run in any order), then a second upsert writes nothing."""
    for name in ("dev", "prod"):
        contract = state_store.workload_platform(platform[name], emulator)
        changes, _ = upsert.upsert(platform[name], contract, emulator)
        assert changes and {c.action for c in changes} <= {"created", "unchanged"}
        changes, _ = upsert.upsert(platform[name], contract, emulator)
        assert {c.action for c in changes} == {"unchanged"}


def test_plans_and_dry_runs_change_nothing_in_any_account(emulator, platform):
    """A plan and every --dry-run (apply, bootstrap, upsert, start) leave the three accounts as
    they were, object versions, policies and modification times included (the state lock a
    plan takes and releases apart), the bootstrap's state bucket and key among them."""
    _upserted(platform, emulator, "dev")  # so a start has a pipeline to check
    accounts_of = sorted({env.account_id for env in platform.values()})
    before = {account: accounts.inventory(emulator, account) for account in accounts_of}
    # (the state store among what is compared: its objects' versions and its key)
    assert before[platform["dev"].account_id][
        f"s3 {state_store.state_bucket_name(platform['dev'])}"
    ]
    dev = ["--env", "dev", f"--var-file={platform['dev'].tfvars_file}"]
    for command in (
        ["plan", *dev],
        ["apply", *dev, "--dry-run"],
        ["bootstrap", *dev, "--dry-run"],
        ["pipelines", "upsert", *dev, "--dry-run"],
        ["pipelines", "start", "train", *dev, "--dry-run"],
    ):
        code, out, err = _mlops(*command)
        assert code == 0, (command, err)
    after = {account: accounts.inventory(emulator, account) for account in accounts_of}
    for account in accounts_of:
        changed = {
            key: (before[account].get(key), after[account].get(key))
            for key in before[account].keys() | after[account].keys()
            if before[account].get(key) != after[account].get(key)
        }
        assert not changed, (account, changed)


def test_each_account_holds_its_platform_contract_encrypted_in_ssm(emulator, platform):
    """CI and other tools read the contract from SSM, as the glue reads it from the state."""
    for name in config.ENVIRONMENTS:
        if name in config.WORKLOAD_ENVIRONMENTS:
            stored = state_store.workload_platform(platform[name], emulator)
            key = stored.workload_kms_key_arn
        else:
            stored = state_store.registry_platform(platform[name], emulator)
            key = stored.artifacts_kms_key_arn
        ssm = client(accounts.session(emulator, platform[name].account_id), "ssm", emulator)
        described = ssm.describe_parameters(
            ParameterFilters=[{"Key": "Name", "Values": [stored.parameter_name]}]
        )["Parameters"]
        assert [(p["Type"], p["KeyId"]) for p in described] == [("SecureString", key)]
        parameter = ssm.get_parameter(Name=stored.parameter_name, WithDecryption=True)
        expected = dataclasses.asdict(stored)
        del expected["parameter_name"]
        assert json.loads(parameter["Parameter"]["Value"]) == expected


def _mlops(*args: str, person: str = "") -> tuple[int, str, str]:
    """Exit code, the command's own answer and stderr, run by the person (an IAM user the
    registry's tfvars name; by default the CI principal). On the local AWS a command that
    changes a version also prints the events it delivered (`  event: ...`, checked in
    tests/test_governance_table.py): left out here."""
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        operator.acting_as(person),
    ):
        code = cli.main(list(args))
    answer = [line for line in out.getvalue().splitlines(True) if not line.startswith("  event:")]
    return code, "".join(answer), err.getvalue()


def _recorded(emulator, platform, version_arn: str) -> dict:
    """The governance table's current item of a version (the registry's table, filled by the
    version's events)."""
    owner = platform["registry"]
    table = (
        aws.session_for(owner, emulator)
        .resource("dynamodb", endpoint_url=emulator.endpoint)
        .Table(state_store.registry_platform(owner, emulator).governance_table_name)
    )
    group, version = version_arn.split("/")[1:]
    key = {"model_package_group": group, "record": f"v{int(version):010d}"}
    return table.get_item(Key=key)["Item"]


def _upserted(platform, emulator, stage: str) -> None:
    """The stage's pipelines, as CI upserts them after its apply: an approval there starts its
    inference (whichever test ran first: tests run in any order)."""
    upsert.upsert(
        platform[stage], state_store.workload_platform(platform[stage], emulator), emulator
    )


def test_model_version_registered_approved_promoted_and_served(emulator, platform, tmp_path):
    """The dev pipeline registers into the registry through the group policy Terraform made;
    the registry approves and promotes; prod's Lambda logic finds it through its own policy."""
    # The dev approval starts dev's inference, the promotion prod's.
    _upserted(platform, emulator, "dev")
    _upserted(platform, emulator, "prod")
    files = [f"--var-file={platform['dev'].tfvars_file}"]
    registry_file = f"--registry-var-file={platform['registry'].tfvars_file}"
    dev_group = state_store.workload_platform(platform["dev"], emulator).model_package_group_arn
    dev_sagemaker = client(
        accounts.session(emulator, platform["dev"].account_id), "sagemaker", emulator
    )
    lineage = {
        "dataset_uri": "s3://data/train/",
        "training_commit": "abc1234",
        "auc": "0.87",
        "hp_eta": "0.2",
    }
    # Whatever other tests registered before (they run in any order): these two versions.
    first, second = (
        dev_sagemaker.create_model_package(
            ModelPackageGroupName=dev_group,
            InferenceSpecification=accounts.INFERENCE_SPEC,
            ModelApprovalStatus="PendingManualApproval",
            CustomerMetadataProperties=lineage,
            DriftCheckBaselines=accounts.DRIFT_CHECK_BASELINES,
        )["ModelPackageArn"].rsplit("/", 1)[1]
        for _ in range(2)
    )
    missing = str(int(second) + 7)

    code, out, _ = _mlops("models", "list", "--env", "dev", *files)
    listed = {line.split()[0]: line.split()[1] for line in out.splitlines()[1:]}
    assert code == 0 and listed[first] == listed[second] == "PendingManualApproval"

    code, _, err = _mlops(
        "models",
        "approve",
        "--env",
        "dev",
        *files,
        registry_file,
        "--version",
        missing,
        "--comment",
        "looks good",
        person=DEV_APPROVER,
    )
    assert code == 1 and f"model version {missing} does not exist" in err
    assert err.count("\n") == 1

    code, out, _ = _mlops(
        "models",
        "approve",
        "--env",
        "dev",
        *files,
        registry_file,
        "--version",
        first,
        "--comment",
        "AUC 0.87 on the holdout",
        person=DEV_APPROVER,
    )
    assert code == 0 and out.strip().endswith(f"/{first}: Approved")

    promote = ["models", "promote", "--env", "dev", *files, registry_file, "--version"]
    code, _, err = _mlops(*promote, second, "--to", "prod", person=PROD_APPROVER)
    assert code == 1 and "is PendingManualApproval: only approved versions are promoted" in err

    # Two promotions of the same version at once (two approvers, a retried job): one copy.
    prod_file = platform["prod"].tfvars_file
    promote = [*promote, first]
    prod_group = state_store.workload_platform(platform["prod"], emulator).model_package_group_arn
    owner = client(
        accounts.session(emulator, platform["registry"].account_id), "sagemaker", emulator
    )
    # Prod serves nothing here, whatever another test promoted before (tests run in any order):
    # this first promotion needs no comparison with a champion.
    for served in registry.list_versions(owner, prod_group):
        if served.status == "Approved":
            with operator.acting_as(PROD_APPROVER):
                governance.set_status(
                    platform["prod"], platform["registry"], emulator, served.version, False,
                    "not this test's: prod starts without a champion",
                )  # fmt: skip
    in_prod = len(registry.list_versions(owner, prod_group))
    as_pat = {**os.environ, operator.PERSON_ENV: PROD_APPROVER}
    both = [
        started(*promote, "--to", "prod", f"--to-var-file={prod_file}", env=as_pat)
        for _ in range(2)
    ]
    answers = [run.communicate(timeout=120) for run in both]
    assert [run.returncode for run in both] == [0, 0], answers
    # Each answers the one copy: made by it, or by the other a moment before ("promoted before").
    answered = [
        [line for line in out.splitlines() if not line.startswith("  event:")] for out, _ in answers
    ]
    said = {lines[-1].split(" (promoted before")[0] for lines in answered}
    assert len(said) == 1 and next(iter(said)).endswith(": Approved"), answers
    out = said.pop()
    promoted = registry.to_version(
        owner.describe_model_package(ModelPackageName=out.strip().rsplit(": ", 1)[0])
    )
    assert ":model-package/mammo-severity-prod/" in promoted.arn
    assert lineage.items() <= promoted.metadata.items()
    source = registry.package_arn(dev_group, int(first))
    assert promoted.metadata["source_model_package_arn"] == source

    code, out, _ = _mlops("models", "latest", "--env", "prod", f"--var-file={prod_file}")
    assert code == 0 and json.loads(out)["ModelPackageArn"] == promoted.arn

    # Promotion happens once: promoting again answers the existing copy and creates nothing.
    promote_again = ["models", "promote", "--env", "dev", *files, registry_file, "--version", first]
    code, out, _ = _mlops(*promote_again, f"--to-var-file={prod_file}", person=PROD_APPROVER)
    assert (
        code == 0
        and out.strip() == f"{promoted.arn}: Approved (promoted before: this is that copy)"
    )
    assert len(registry.list_versions(owner, prod_group)) == in_prod + 1

    item = _recorded(emulator, platform, source)
    assert item["status"] == "Approved" and item["comment"] == "AUC 0.87 on the holdout"

    def reject_in_dev(prod_tfvars: Path) -> str:
        """Reject dev's first version, looking for copies in the prod of these tfvars: the
        rejection stands whatever prod holds; the warning is returned."""
        code, out, _ = _mlops(
            "models", "reject", "--env", "dev", *files, registry_file, "--version", first,
            "--comment", "label leak found", f"--to-var-file={prod_tfvars}", person=DEV_APPROVER,
        )  # fmt: skip
        rejected, warning = out.strip().splitlines()
        assert code == 0 and rejected.endswith(f"/{first}: Rejected")
        return warning

    # Rejecting a source whose copy serves in prod says so, with the one command that follows.
    warning = reject_in_dev(prod_file)
    assert f"its copy {promoted.arn} is still Approved in prod and served" in warning
    copy_version = promoted.arn.rsplit("/", 1)[1]
    assert f"`mlops models reject --env prod --version {copy_version} --comment" in warning
    assert warning.endswith(f"--var-file {prod_file} {registry_file.replace('=', ' ')}`")
    code, _, err = _mlops(*promote_again, f"--to-var-file={prod_file}", person=PROD_APPROVER)
    assert code == 1 and "is Rejected: only approved versions are promoted" in err


def test_rollback_in_prod_through_the_cli(emulator, platform):
    """`models rollback` rejects what prod serves, as the registry account, records why, and
    the Lambda's pick (`models latest`) is the approved version before it; a repeat naming the
    version changes nothing."""
    _upserted(platform, emulator, "prod")
    prod, owner = platform["prod"], platform["registry"]
    files = [f"--var-file={prod.tfvars_file}", f"--registry-var-file={owner.tfvars_file}"]
    group = state_store.workload_platform(prod, emulator).model_package_group_arn
    prod_sagemaker = client(accounts.session(emulator, prod.account_id), "sagemaker", emulator)
    added = []
    for _ in range(2):
        arn = prod_sagemaker.create_model_package(
            ModelPackageGroupName=group,
            InferenceSpecification=accounts.INFERENCE_SPEC,
            ModelApprovalStatus="PendingManualApproval",
            DriftCheckBaselines=accounts.DRIFT_CHECK_BASELINES,
        )["ModelPackageArn"]
        version = int(arn.rsplit("/", 1)[1])
        with operator.acting_as(PROD_APPROVER):
            governance.set_status(prod, owner, emulator, version, True, "retrained on May data")
        added.append(arn)

    rollback = ["models", "rollback", "--env", "prod", *files]
    code, out, err = _mlops(*rollback, "--comment", "drift", person=PROD_APPROVER)
    assert code == 0, err
    assert out.splitlines() == [f"{added[1]}: Rejected", f"{added[0]}: serves prod again"]
    code, out, _ = _mlops("models", "latest", "--env", "prod", f"--var-file={prod.tfvars_file}")
    assert code == 0 and json.loads(out)["ModelPackageArn"] == added[0]
    item = _recorded(emulator, platform, added[1])
    assert (item["status"], item["comment"]) == ("Rejected", "rollback: drift")

    repeat = ["--version", added[1].rsplit("/", 1)[1], "--comment", "drift"]
    code, out, _ = _mlops(*rollback, *repeat, person=PROD_APPROVER)
    assert code == 0 and "(rolled back before: nothing changed)" in out
    code, out, _ = _mlops("models", "latest", "--env", "prod", f"--var-file={prod.tfvars_file}")
    assert json.loads(out)["ModelPackageArn"] == added[0]


def test_the_platform_is_deployed_as_the_ci_principal_through_each_terraform_role(
    emulator, platform
):
    """The local platform runs as AWS would see it: the tfvars' CI principal assumes each
    account's Terraform role (bootstrapped for it), and Terraform creates as that role."""
    records = control.authorizations(emulator, policies=False)["records"]
    assumed = {
        (r["caller"]["arn"], r["request"]["resource"])
        for r in records
        if r["request"]["action"] == "sts:AssumeRole" and r["allowed"]
    }
    ci = "arn:aws:sts::444444444444:assumed-role/jenkins/mlops-local-ci"
    for env in platform.values():
        assert (ci, env.terraform_role_arn) in assumed, env.name
    creators = {
        r["caller"]["arn"].rsplit("/", 1)[0]
        for r in records
        if r["request"]["action"] == "sagemaker:CreateModelPackageGroup"
        and "model-package-group/mammo-severity" in r["request"]["resource"]
    }
    assert creators == {"arn:aws:sts::111111111111:assumed-role/mlops-terraform"}
