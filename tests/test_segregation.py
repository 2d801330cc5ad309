"""Segregation of duties (issue 27): each stage's decisions are its approvers', made with the
person's identity on the session; the trainer does not approve; no run registers a decided
version; a comment alone is no decision. Every refusal here is the local AWS's authorization or
the CLI's, on the applied platform."""

from __future__ import annotations

import dataclasses

import pytest
from botocore.exceptions import ClientError

from glue import aws, cli, compliance, governance, people, state_store
from glue import registry as registry_module
from glue.aws import assumed_session, base_session, client
from glue.local import lifecycle, operator, sample_data
from glue.local.services import as_service
from glue.pipelines import upsert
from glue.pipelines.start import TRAINED_BY
from tests.accounts import DATA_SCIENTIST, DEV_APPROVER, PROD_APPROVER, READER


@pytest.fixture(scope="module")
def dev(emulator, platform, tmp_path_factory) -> lifecycle.Stage:
    upsert.upsert(
        platform["dev"], state_store.workload_platform(platform["dev"], emulator), emulator
    )
    stage = lifecycle.stage(platform["dev"], emulator, tmp_path_factory.mktemp("runs"))
    stage.put(stage.training_data_uri(), sample_data.training_csv())
    stage.put(stage.batch_uri(), sample_data.batch_csv())
    return stage


def _trained_by(dev: lifecycle.Stage, person: str) -> int:
    """A version dev's training registered, started by `person`."""
    run = dev.runner.run(dev.settings.training_pipeline, {TRAINED_BY: person})
    version = lifecycle.registered_version(run)
    assert version is not None, run.failure_reason
    return version


def _denied(call) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    assert raised.value.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException")
    return raised.value.response["Error"]["Message"]


def _models(*arguments: str, platform, person: str) -> int:
    files = [
        f"--var-file={platform['dev'].tfvars_file}",
        f"--registry-var-file={platform['registry'].tfvars_file}",
    ]
    with operator.acting_as(person):
        return cli.main(["models", *arguments, "--env", "dev", *files])


def test_what_a_person_assumes_is_named_as_terraform_names_it(emulator, platform):
    """The names glue/people.py derives before any state can be read are the applied
    registry's."""
    owner = platform["registry"]
    contract = state_store.registry_platform(owner, emulator)
    assert contract.model_approver_role_arns == {
        stage: people.approver_role_arn(owner, stage) for stage in ("dev", "prod")
    }
    assert contract.governance_reader_role_arn == people.reader_role_arn(owner)
    assert contract.parameter_name == people.contract_parameter_name(owner)


@pytest.mark.refuses("sagemaker:UpdateModelPackage", "sts:AssumeRole")
def test_only_the_stages_approver_decides_and_only_with_their_identity(
    emulator, platform, dev, tmp_path
):
    owner = platform["registry"]
    version = _trained_by(dev, "sam")
    dev_version = registry_module.package_arn(dev.settings.model_package_group_arn, version)
    prod_group = state_store.workload_platform(platform["prod"], emulator).model_package_group_arn
    prod_version = registry_module.package_arn(prod_group, 1)
    approve = {"ModelApprovalStatus": "Approved", "ApprovalDescription": "looks fine"}

    with operator.acting_as(DEV_APPROVER):
        dana, who = people.as_approver(owner, "dev", emulator)
        assert who == DEV_APPROVER
        as_dana = client(dana, "sagemaker", emulator)
        message = _denied(
            lambda: as_dana.update_model_package(ModelPackageArn=prod_version, **approve)
        )
        assert "mammo-dev-model-approver/dana is not authorized to perform: " in message
        # Without a source identity, or giving another person's, the role is not assumed.
        sts = client(base_session(owner.region, emulator), "sts", emulator)
        role = people.approver_role_arn(owner, "dev")
        _denied(lambda: sts.assume_role(RoleArn=role, RoleSessionName="dana"))
        _denied(lambda: sts.assume_role(RoleArn=role, RoleSessionName="pat", SourceIdentity="pat"))
    # prod's approver is no dev approver.
    with (
        operator.acting_as(PROD_APPROVER),
        pytest.raises(Exception, match="pat may not act as .*mammo-dev-model-approver"),
    ):
        people.as_approver(owner, "dev", emulator)

    # Neither the Terraform roles nor CI's deploy role decide.
    registry_terraform = client(aws.session_for(owner, emulator), "sagemaker", emulator)
    _denied(lambda: registry_terraform.update_model_package(ModelPackageArn=dev_version, **approve))
    deploy_role = state_store.workload_platform(platform["dev"], emulator).deploy_role_arn
    ci = client(assumed_session(deploy_role, owner.region, emulator), "sagemaker", emulator)
    _denied(lambda: ci.update_model_package(ModelPackageArn=dev_version, **approve))

    # dev's approver does, and SageMaker records the person behind the role.
    as_dana.update_model_package(ModelPackageArn=dev_version, **approve)
    changed = as_dana.describe_model_package(ModelPackageName=dev_version)["LastModifiedBy"]
    assert changed["IamIdentity"]["SourceIdentity"] == DEV_APPROVER
    lifecycle.deliver_here(owner, emulator, tmp_path)


@pytest.mark.refuses("sts:AssumeRole")
def test_a_data_scientist_starts_training_as_themselves_and_the_version_says_so(
    emulator, platform, dev, capsys
):
    files = [f"--var-file={platform['dev'].tfvars_file}"]
    start = ["pipelines", "start", "--env", "dev", *files]
    with operator.acting_as(DATA_SCIENTIST):
        assert cli.main([*start, "train"]) == 0
    out = capsys.readouterr().out
    assert ": Succeeded" in out and "registered v" in out
    version = int(out.split("registered v", 1)[1].split(",")[0].split()[0])
    sagemaker = client(aws.session_for(platform["dev"], emulator), "sagemaker", emulator)
    registered = registry_module.describe(sagemaker, dev.settings.model_package_group_arn, version)
    assert registered["CustomerMetadataProperties"][registry_module.TRAINED_BY] == DATA_SCIENTIST
    # A person starts training only; one dev's tfvars do not name starts nothing.
    with operator.acting_as(DATA_SCIENTIST):
        assert cli.main([*start, "infer"]) == 1
    assert "starts training only" in capsys.readouterr().err
    with operator.acting_as(DEV_APPROVER):
        assert cli.main([*start, "train"]) == 1
    assert "dana may not act as arn:aws:iam::222222222222:role/mammo-dev-data-scientist" in (
        capsys.readouterr().err
    )


@pytest.mark.refuses("sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage")
def test_no_run_registers_a_decided_version_and_no_workload_account_decides(
    emulator, platform, dev, capsys
):
    files = [f"--var-file={platform['dev'].tfvars_file}"]
    start = ["pipelines", "start", "--env", "dev", "train", *files]
    assert cli.main([*start, "--param", "ModelApprovalStatus=Approved"]) == 1
    assert "has no parameter ModelApprovalStatus" in capsys.readouterr().err
    assert cli.main([*start, "--param", f"{TRAINED_BY}=someone-else"]) == 2
    assert "mlops sets it" in capsys.readouterr().err

    # The execution role registers versions, pending: the group's policy denies the rest.
    execution_role = state_store.workload_platform(
        platform["dev"], emulator
    ).sagemaker_execution_role_arn
    steps = client(
        as_service(emulator, "sagemaker.amazonaws.com", execution_role, "us-east-1", "step"),
        "sagemaker",
        emulator,
    )
    group = dev.settings.model_package_group_arn
    version = _trained_by(dev, "sam")
    source = steps.describe_model_package(
        ModelPackageName=registry_module.package_arn(group, version)
    )
    assert source["ModelApprovalStatus"] == "PendingManualApproval"
    message = _denied(
        lambda: steps.create_model_package(
            ModelPackageGroupName=group,
            InferenceSpecification=source["InferenceSpecification"],
            ModelApprovalStatus="Approved",
        )
    )
    assert "explicit deny in a resource-based policy" in message
    _denied(
        lambda: steps.update_model_package(
            ModelPackageArn=source["ModelPackageArn"], ModelApprovalStatus="Approved"
        )
    )


@pytest.mark.refuses("sagemaker:UpdateModelPackage")
def test_the_trainer_does_not_approve_and_a_comment_alone_is_no_decision(
    emulator, platform, dev, capsys, tmp_path
):
    owner = platform["registry"]
    version = _trained_by(dev, DEV_APPROVER)
    arn = registry_module.package_arn(dev.settings.model_package_group_arn, version)
    approve = ["approve", "--version", str(version), "--comment", "mine"]
    assert _models(*approve, platform=platform, person=DEV_APPROVER) == 1
    assert f"{DEV_APPROVER} trained version {version} of dev" in capsys.readouterr().err
    with operator.acting_as(DEV_APPROVER):
        dana = client(people.as_approver(owner, "dev", emulator)[0], "sagemaker", emulator)
    assert dana.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == (
        "PendingManualApproval"
    )

    # The console cannot be stopped by IAM: there, the report flags it.
    dana.update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="console"
    )
    lifecycle.deliver_here(owner, emulator, tmp_path)
    with operator.acting_as(READER):
        rows, recorded = compliance.read(owner, emulator)
    row = next(r for r in rows if r.arn == arn)
    assert f"approved by its trainer, {DEV_APPROVER} (four eyes)" in row.flags
    assert row.changed_by.startswith(f"{DEV_APPROVER} as arn:aws:sts::")

    # Re-approving with only a new comment is refused; the same decision again changes nothing.
    again = ["approve", "--version", str(version), "--comment"]
    assert _models(*again, "changed my mind", platform=platform, person=DEV_APPROVER) == 1
    assert "a comment alone changes no decision" in capsys.readouterr().err
    assert _models(*again, "console", platform=platform, person=DEV_APPROVER) == 0
    # Made raw, it emits no event: reconcile names the cause.
    dana.update_model_package(ModelPackageArn=arn, ApprovalDescription="edited in the console")
    lifecycle.deliver_here(owner, emulator, tmp_path)
    with operator.acting_as(READER):
        found = compliance.reconcile(owner, emulator)
    assert any("a change of the comment alone emits no event" in line for line in found)
    # Restored, the record agrees again (the suite's later reconciles expect 0 differences).
    dana.update_model_package(ModelPackageArn=arn, ApprovalDescription="console")
    with operator.acting_as(READER):
        assert compliance.reconcile(owner, emulator) == []

    # Where dev's tfvars allow it (dev only: test_config), the trainer approves.
    lenient = dataclasses.replace(
        platform["dev"], values={**platform["dev"].values, "allow_self_approval": True}
    )
    own = _trained_by(dev, DEV_APPROVER)
    with operator.acting_as(DEV_APPROVER):
        approved = governance.set_status(lenient, owner, emulator, own, True, "mine, allowed")
    assert approved.status == "Approved"
    lifecycle.deliver_here(owner, emulator, tmp_path)
