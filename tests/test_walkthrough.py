"""README, "Deploying to AWS", top to bottom, with `--aws` only.

The local AWS stands in for AWS as a plain endpoint: an emulator of its own, started empty, and
three fresh accounts reached through environment variables alone (`AWS_ENDPOINT_URL`,
credentials; no profile, nothing of `mlops local`). Each account is bootstrapped with its
administrator's keys, then the CI principal deploys, trains, approves, promotes and tears down,
command by command as the README gives them (with `--var-file`, since these accounts are not
the shipped tfvars'). Commands the README lists for different accounts run side by side.

What SageMaker does on its own is done here by hand, as SageMaker would: the local AWS stores a
started pipeline execution but runs no step (it answers it Succeeded at once), so the versions
the training runs register are registered as the RegisterModel step would, and the report the
comparison pipeline writes is written where it writes it, by the stage's SageMaker role.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from glue import comparison, config, registry
from glue.aws import client, session_with, split_s3
from glue.local import administrators, operator
from glue.local.emulator import control
from tests import accounts, least_privilege
from tests.accounts import DEV_APPROVER, PROD_APPROVER
from tests.conftest import ACCOUNTS as SHIPPED
from tests.conftest import REGION
from tests.test_cli import PROJECT_ROOT, started

pytestmark = pytest.mark.emulator

# Fresh accounts, standing in for the three of the shipped tfvars (SHIPPED).
ACCOUNTS = {"registry": "710000000001", "dev": "710000000002", "prod": "710000000003"}
# The CI principal the tfvars name (terraform_principal_arns, ci_role_arn): a role of the CI
# account that may assume the roles the README says it needs, and nothing else.
CI_ROLE_ARN = "arn:aws:iam::444444444444:role/jenkins"
OFFLINE = {"validate"}  # commands that reach no AWS take no --aws
# models verbs that read the registry's tfvars, and the next stage's (--to, prod by default)
NEED_THE_REGISTRY = {"approve", "reject", "compare", "promote", "rollback"}
READ_THE_NEXT_STAGE = {"compare", "promote", "reject"}
COMMAND_TIMEOUT = 600  # an apply waits for the provider's consistency polls (minutes at most)


def _tfvars(folder: Path) -> dict[str, Path]:
    """The shipped tfvars, moved to the fresh accounts, deletion protection off (step 9), and
    dev with a real-time endpoint (README, "Real-time serving")."""
    files = {}
    for environment in SHIPPED:
        text = (PROJECT_ROOT / f"{environment}.tfvars.json").read_text()
        for name, account in SHIPPED.items():
            text = text.replace(account, ACCOUNTS[name])
        values = json.loads(text) | {"protect_from_destroy": False}
        if environment == "dev":
            values["endpoint"] = accounts.DEV_ENDPOINT
        files[environment] = folder / f"{environment}.tfvars.json"
        files[environment].write_text(json.dumps(values))
    return files


class Shell:
    """Runs `mlops` commands as the README's reader would, with --aws and their variables."""

    def __init__(self, emulator, files: dict[str, Path], ci: dict[str, str], say):
        self.emulator = emulator
        self.files = files
        self.ci = ci
        self.say = say

    def start(self, credentials: dict[str, str], *arguments: str) -> subprocess.Popen:
        aws = [] if arguments[0] in OFFLINE else ["--aws"]
        environment = accounts.as_aws(self.emulator, credentials)
        return started(*arguments, *aws, *self._files(arguments), env=environment)

    def _files(self, arguments: tuple[str, ...]) -> list[str]:
        """--var-file for --env, and the tfvars of the other stage and the registry that a
        models command reads."""
        environment = arguments[arguments.index("--env") + 1]
        files = ["--var-file", str(self.files[environment])]
        if arguments[0] == "models" and arguments[1] in NEED_THE_REGISTRY:
            files += ["--registry-var-file", str(self.files["registry"])]
        if arguments[0] == "models" and arguments[1] in READ_THE_NEXT_STAGE:
            to = arguments[arguments.index("--to") + 1] if "--to" in arguments else "prod"
            files += ["--to-var-file", str(self.files[to])]
        return files

    def side_by_side(self, *runs: tuple[dict[str, str], tuple[str, ...]]) -> list[str]:
        """Commands for different accounts at once; each must succeed. Their outputs."""
        self.say("walkthrough: " + " & ".join(f"mlops {' '.join(a)}" for _, a in runs))
        started = [self.start(credentials, *arguments) for credentials, arguments in runs]
        outputs = []
        try:
            for (_, arguments), run in zip(runs, started, strict=True):
                out, err = run.communicate(timeout=COMMAND_TIMEOUT)
                assert run.returncode == 0, f"mlops {' '.join(arguments)}: {err}"
                outputs.append(out)
        finally:  # none left running against an emulator that is stopping
            for run in started:
                if run.poll() is None:
                    run.kill()
                    run.communicate()
        return outputs

    def run(self, *arguments: str) -> str:
        """A command as the CI principal."""
        return self.side_by_side((self.ci, arguments))[0]


@pytest.fixture()
def empty_local_aws(tmp_path, monkeypatch):
    """An emulator of its own, started empty, stopped at the end."""
    monkeypatch.setenv("MLOPS_STATE_DIR", str(tmp_path / "state"))
    emulator = control.up(watch_pid=os.getpid())
    try:
        yield emulator
    finally:
        control.down()


def test_the_readme_walkthrough_runs_with_aws_only(empty_local_aws, tmp_path, say):
    emulator = empty_local_aws
    files = _tfvars(tmp_path)
    shell = Shell(emulator, files, _ci_principal(emulator, files), say)
    stages = ("dev", "prod")
    CI = shell.ci  # noqa: N806 (the README's principal, as the steps below name it)

    # 2. Each tfvars file checked offline; 3. each account bootstrapped by its administrator.
    for checked in shell.side_by_side(*((CI, ("validate", "--env", name)) for name in ACCOUNTS)):
        assert "valid tfvars" in checked
    administrator = {
        name: administrators.credentials(emulator, account, REGION)
        for name, account in ACCOUNTS.items()
    }
    shell.side_by_side(*((administrator[name], ("bootstrap", "--env", name)) for name in ACCOUNTS))

    # 4. Deployed in order, as the CI principal: the registry, then dev and prod.
    shell.run("plan", "--env", "registry")
    shell.run("apply", "--env", "registry")
    shell.side_by_side(*((CI, ("plan", "--env", stage)) for stage in stages))
    shell.side_by_side(*((CI, ("apply", "--env", stage)) for stage in stages))
    # (That a second plan of each is empty: tests/test_environments_apply.py, same roots.)

    # 5. Pipelines; 6. the first training run, and the version it registers.
    shell.side_by_side(*((CI, ("pipelines", "upsert", "--env", stage)) for stage in stages))
    assert "started (it runs on SageMaker)" in shell.run(
        "pipelines", "start", "--env", "dev", "train"
    )
    dev = json.loads(shell.run("outputs", "--env", "dev"))
    # dev's real-time endpoint: made by the first approval that reaches it (on AWS, through
    # EventBridge), not yet.
    assert ": not created yet" in shell.run("endpoint", "status", "--env", "dev")
    _register_as_the_training_pipeline_would(emulator, dev)
    listed = shell.run("models", "list", "--env", "dev")
    assert "PendingManualApproval" in listed and "0.91" in listed

    # 7. Approved in dev by its approver, promoted to prod by prod's (its first version: no
    # champion to compare with); the next version compared with that champion on the same
    # held-out data by CI, then promoted. Each person with their own credentials.
    dana, pat = (_person(emulator, name) for name in (DEV_APPROVER, PROD_APPROVER))
    [approved] = shell.side_by_side(
        (dana, ("models", "approve", "--env", "dev", "--version", "1", "--comment", "AUC 0.91"))
    )
    assert approved.strip().endswith(": Approved")
    champion = _promote(shell, pat, 1)
    challenger = _register_as_the_training_pipeline_would(emulator, dev, auc="0.93")
    shell.side_by_side(
        (dana, ("models", "approve", "--env", "dev", "--version", "2", "--comment", "AUC 0.93"))
    )
    _report_as_the_comparison_pipeline_would(emulator, dev, challenger, champion, (0.93, 0.91))
    compared = shell.run("models", "compare", "--env", "dev", "--version", "2")
    assert f"recorded on {challenger}" in compared
    _promote(shell, pat, 2)

    # 9. Torn down in reverse, once the groups hold no versions; the bootstrap stays.
    prod = json.loads(shell.run("outputs", "--env", "prod"))
    shell.side_by_side(*((CI, ("plan", "--env", stage, "--destroy")) for stage in stages))
    shell.side_by_side(*((CI, ("apply", "--env", stage)) for stage in stages))
    # A registry whose groups hold versions: SageMaker would refuse to delete them, after the
    # deletions Terraform orders first. The plan says so; its apply deletes nothing.
    planned = shell.run("plan", "--env", "registry", "--destroy")
    blocked = [line for line in planned.splitlines() if "SageMaker refuses to delete" in line]
    assert len(blocked) == 2 and "blocked: AWS would refuse 2 of these deletions" in planned
    before = accounts.resources(emulator, ACCOUNTS["registry"])
    refused = shell.start(CI, "apply", "--env", "registry")
    _, err = refused.communicate(timeout=COMMAND_TIMEOUT)
    assert refused.returncode == 1 and "was not applied: AWS would refuse 2 of its" in err
    assert accounts.resources(emulator, ACCOUNTS["registry"]) == before
    # (what Terraform would have deleted first: the bucket's TLS-only policy among it)
    s3 = accounts.client_in(emulator, ACCOUNTS["registry"], "s3")
    assert s3.get_bucket_policy(Bucket=dev["artifacts_bucket_name"])["Policy"]
    # Cleared, the same reviewed plan applies.
    _delete_versions(emulator, administrator["registry"], dev, prod)
    shell.run("apply", "--env", "registry")
    for name, account in ACCOUNTS.items():
        left = accounts.resources(emulator, account)
        assert left["buckets"] == {f"mammo-tfstate-{account}"}, name
        assert left["aliases"] == {"alias/mammo-tfstate"}, name
        assert not any(v for k, v in left.items() if k not in ("buckets", "aliases")), left
        iam = accounts.client_in(emulator, account, "iam")
        assert iam.get_role(RoleName="mlops-terraform"), "the bootstrap's role stays"

    # Every call was authorized as IAM would (the emulator enforced it); who made them, and
    # which statements of the Terraform role's policy the run needed.
    record = control.authorizations(emulator)
    refused = [r for r in record["records"] if not r["allowed"]]
    assert not refused, refused[:3]
    _assert_the_steps_ran_as_the_execution_role(record, dev)
    _assert_every_statement_of_the_terraform_role_is_needed(record)


def _assert_the_steps_ran_as_the_execution_role(record: dict, dev: dict) -> None:
    """The comparison report was written, its data key made, by SageMaker's execution role."""
    role = dev["sagemaker_execution_role_arn"].rsplit("/", 1)[1]
    writes = [
        (r["request"]["action"], r["caller"]["arn"])
        for r in record["records"]
        if r["operation"] == "PutObject"
        and comparison.REPORT_FILE in r["request"]["resource"]
        or (r["operation"] == "PutObject" and r["request"]["action"] == "kms:GenerateDataKey")
    ]
    by = f"arn:aws:sts::{ACCOUNTS['dev']}:assumed-role/{role}/compare"
    assert ("s3:PutObject", by) in writes and ("kms:GenerateDataKey", by) in writes, writes


def _assert_every_statement_of_the_terraform_role_is_needed(record: dict) -> None:
    """Each statement of the bootstrap's policy, of the stages' deploy role's, and the key
    policies' delegation to the account's IAM, removed alone, denies some request of this run
    in some account (tests/least_privilege.py): none is dead."""
    policies = record["policies"]
    chosen = least_privilege.statements(
        policies,
        lambda label: (
            label.endswith(":role/mlops-terraform#inline:platform-roots")
            or label.endswith("-ci-deploy#inline:least-privilege")
        ),
    )
    # And the key policies' delegation to the owning account's IAM, which Terraform's role
    # administers the keys through.
    chosen += [
        statement
        for statement in least_privilege.statements(policies, lambda n: n.startswith("key policy "))
        if statement.sid == "OwningAccountAdministersTheKey"
    ]
    assert {s.sid for s in chosen} >= {"ActionsWithoutResourceScope", "UpsertPipelines"}
    by_sid = least_privilege.needs_by_sid(record["records"], policies, chosen)
    dead = sorted(
        sid for sid, actions in by_sid.items() if not actions and sid not in EXERCISED_ELSEWHERE
    )
    assert not dead, f"statements no request of the walkthrough needs: {dead}"


# Statements the walkthrough's run does not need (it delivers no event: no endpoint is made), and
# the test whose requests, refused without them, do.
EXERCISED_ELSEWHERE = {
    "ReadTheEndpointChecks": "test_lifecycle: `mlops endpoint status` shows a deployment's check",
    "ReadTheEndpointsMonitoring": "test_lifecycle: `mlops endpoint status` shows the monitoring",
}


def _ci_principal(emulator, files: dict[str, Path]) -> dict[str, str]:
    """Step 1's CI principal: the role the tfvars name, made in its account by that account's
    administrator, allowed to assume each account's Terraform role and the stages' deploy roles
    (README, "Delivery with Jenkins": what the local platform's CI role may assume too); its
    session's keys."""
    account = CI_ROLE_ARN.split(":")[4]
    own = session_with(REGION, administrators.credentials(emulator, account, REGION))
    trust = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}}
    roles = sorted(
        {
            role
            for name, path in files.items()
            for role in operator.assumable_roles(config.load(name, path))
        }
    )
    iam = client(own, "iam", emulator)
    name = CI_ROLE_ARN.rsplit("/", 1)[1]
    iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [trust | {"Action": "sts:AssumeRole"}]}
        ),
    )
    iam.put_role_policy(
        RoleName=name,
        PolicyName="assume-the-platform-roles",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": roles}],
            }
        ),
    )
    answer = client(own, "sts", emulator).assume_role(RoleArn=CI_ROLE_ARN, RoleSessionName="ci")
    return control.as_variables(answer["Credentials"])


def _person(emulator, name: str) -> dict[str, str]:
    """A person's own keys: an IAM user of the CI account (the shipped registry tfvars name its
    users as approvers), allowed to assume roles with their identity set, as its administrator
    grants its people."""
    account = CI_ROLE_ARN.split(":")[4]
    return administrators.user_keys(emulator, account, name, operator.PERSON_POLICY, REGION)


def _promote(shell: Shell, approver: dict[str, str], version: int) -> str:
    """Promote a dev version to prod, as prod's approver: the copy, which prod's inference then
    serves."""
    [promoted] = shell.side_by_side(
        (approver, ("models", "promote", "--env", "dev", "--version", str(version), "--to", "prod"))
    )
    copy, status = promoted.strip().rsplit(": ", 1)
    assert status == "Approved"
    # What prod's inference pipeline serves next (its Lambda's answer).
    assert json.loads(shell.run("models", "latest", "--env", "prod"))["ModelPackageArn"] == copy
    return copy


def _as_sagemaker(emulator, stage: dict, session_name: str):
    """The stage's SageMaker execution role, as SageMaker acts with it (its trust admits it)."""
    keys = control.service_credentials(
        emulator, "sagemaker.amazonaws.com", stage["sagemaker_execution_role_arn"], session_name
    )
    return session_with(REGION, keys)


def _register_as_the_training_pipeline_would(emulator, stage: dict, auc: str = "0.91") -> str:
    """The RegisterModel step of the training pipeline, by the stage's SageMaker role: the
    version's ARN."""
    role = _as_sagemaker(emulator, stage, "training")
    data = f"s3://{stage['artifacts_bucket_name']}/{stage['data_prefix']}"
    baseline = {
        kind: {"ContentType": "application/json", "S3Uri": f"{data}/baseline/{kind.lower()}.json"}
        for kind in ("Statistics", "Constraints")
    }
    return client(role, "sagemaker", emulator).create_model_package(
        ModelPackageGroupName=stage["model_package_group_arn"],
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification=accounts.INFERENCE_SPEC,
        CustomerMetadataProperties={"auc": auc, "test_data_uri": f"{data}/preprocessed/test"},
        ModelMetrics={"ModelDataQuality": baseline},
        DriftCheckBaselines={"ModelDataQuality": baseline},
    )["ModelPackageArn"]


def _report_as_the_comparison_pipeline_would(
    emulator, stage: dict, challenger: str, champion: str, aucs: tuple[float, float]
) -> None:
    """The report of the comparison pipeline's Evaluate step, where the pipeline writes it."""
    role = _as_sagemaker(emulator, stage, "compare")
    bucket, prefix = split_s3(
        comparison.report_uri(
            stage["artifacts_bucket_name"], stage["data_prefix"], challenger, champion
        )
    )
    report = {
        "metrics": {"auc": {"value": aucs[0]}},
        "champion": {"metrics": {"auc": {"value": aucs[1]}}},
    }
    client(role, "s3", emulator).put_object(
        Bucket=bucket, Key=f"{prefix}/{comparison.REPORT_FILE}", Body=json.dumps(report)
    )


def _delete_versions(emulator, administrator: dict[str, str], *stages: dict) -> None:
    """What the README asks of the registry's administrator before its teardown."""
    own = session_with(REGION, administrator)
    sagemaker = client(own, "sagemaker", emulator)
    for stage in stages:
        for version in registry.list_versions(sagemaker, stage["model_package_group_arn"]):
            sagemaker.delete_model_package(ModelPackageName=version.arn)
