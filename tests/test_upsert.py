"""Upsert of scripts and pipelines on the local AWS: writes only what changed."""

from __future__ import annotations

import dataclasses
import json
import uuid
from pathlib import Path

import pytest

from glue import config, contract, state_store
from glue.aws import client
from glue.contract import WorkloadContract
from glue.errors import MlopsError
from glue.pipelines import upsert
from tests import accounts
from tests.conftest import ACCOUNTS, REGION

pytestmark = pytest.mark.emulator
ROOT = Path(__file__).resolve().parent.parent
WRITES = ("Create", "Update", "Put", "Add", "Delete", "Publish")


@pytest.fixture()
def dev(tmp_path) -> config.EnvironmentConfig:
    """dev's tfvars with names of its own, so tests never meet each other's pipelines."""
    values = json.loads((ROOT / "dev.tfvars.json").read_text())
    unique = uuid.uuid4().hex[:8]
    values["model_name"] = f"upsert-{unique}"
    values["name_prefix"] = f"u{unique}"
    path = tmp_path / "dev.tfvars.json"
    path.write_text(json.dumps(values))
    return config.load("dev", path)


@pytest.fixture()
def outputs(emulator, dev) -> dict:
    """The `platform` output of dev, with its two roles and the bucket really there."""
    session = accounts.session(emulator, ACCOUNTS["dev"])
    # Stand-ins for the roles Terraform makes, allowed everything: the upsert's logic is what is
    # tested here; the deploy role's own policy is proven by the walkthrough's upsert.
    roles = {}
    for role in ("sagemaker-execution", "ci-deploy"):
        roles[role] = f"arn:aws:iam::{ACCOUNTS['dev']}:role/{dev.values['model_name']}-{role}"
        accounts.role_session(emulator, roles[role])
    bucket = f"{dev.values['model_name']}-artifacts"
    client(session, "s3", emulator).create_bucket(Bucket=bucket)
    return {
        "environment": "dev",
        "parameter_name": f"/{dev.values['name_prefix']}/dev/platform",
        "notification_topic_arn": f"arn:aws:sns:{REGION}:{ACCOUNTS['dev']}:failures",
        "rule_arns": {},
        "sagemaker_execution_role_arn": roles["sagemaker-execution"],
        "deploy_role_arn": roles["ci-deploy"],
        "latest_model_function_arn": (
            f"arn:aws:lambda:{REGION}:{ACCOUNTS['dev']}:function:"
            f"{dev.values['model_name']}-latest-approved-model"
        ),
        "pipeline_names": {
            "training": f"{dev.values['model_name']}-train-pipeline",
            "inference": f"{dev.values['model_name']}-inference-pipeline",
            "comparison": f"{dev.values['model_name']}-comparison-pipeline",
        },
        "data_prefix": dev.values["name_prefix"],
        "data_quality_report_prefix": f"{dev.values['name_prefix']}/inference/quality",
        "artifacts_bucket_name": bucket,
        "artifacts_kms_key_arn": f"arn:aws:kms:{REGION}:{ACCOUNTS['registry']}:key/artifacts",
        "workload_kms_key_arn": f"arn:aws:kms:{REGION}:{ACCOUNTS['dev']}:key/workload",
        "model_package_group_arn": (
            f"arn:aws:sagemaker:{REGION}:{ACCOUNTS['registry']}:model-package-group/models-dev"
        ),
    }


@pytest.fixture()
def workload(outputs) -> WorkloadContract:
    """dev's contract, as the upsert reads it from dev's state (named apart from the suite's
    `platform` fixture: nothing here needs the applied platform)."""
    return contract.parse(WorkloadContract, "dev", outputs)


def counted_session(emulator, workload) -> tuple[object, list[str]]:
    """The deploy role's session, as the upsert assumes it, counting every call made."""
    session = accounts.role_session(emulator, workload.deploy_role_arn, "upsert")
    calls: list[str] = []
    session.events.register("before-call.*.*", lambda model, **_: calls.append(model.name))
    return session, calls


def test_upsert_creates_then_writes_nothing_then_updates_one(emulator, dev, workload):
    session, calls = counted_session(emulator, workload)
    changes, _ = upsert.upsert(dev, workload, emulator, session=session)
    assert {c.action for c in changes} == {"created"}
    # The processing scripts (preprocess, evaluate: the QualityCheck steps run Model Monitor's
    # image, no script) and the three pipelines; the Lambda is Terraform's.
    assert [c.kind for c in changes] == ["script"] * 2 + ["pipeline"] * 3
    assert [n for n in calls if n.startswith(WRITES)] == ["PutObject"] * 2 + ["CreatePipeline"] * 3
    sagemaker = client(session, "sagemaker", emulator)
    training = sagemaker.describe_pipeline(
        PipelineName=f"{dev.values['model_name']}-train-pipeline"
    )
    tags = sagemaker.list_tags(ResourceArn=training["PipelineArn"])["Tags"]
    assert {"Key": "environment", "Value": "dev"} in tags
    assert any(t["Key"] == "git-commit" and len(t["Value"]) >= 7 for t in tags)

    calls.clear()
    changes, _ = upsert.upsert(dev, workload, emulator, session=session)
    assert {c.action for c in changes} == {"unchanged"}
    writes = [name for name in calls if name.startswith(WRITES)]
    assert writes == [], f"second upsert wrote: {writes}"

    raised = config.EnvironmentConfig(
        dev.name, dev.tfvars_file, dev.values | {"auc_threshold": 0.9}
    )
    calls.clear()
    changes, _ = upsert.upsert(raised, workload, emulator, session=session)
    updated = [c.name for c in changes if c.action == "updated"]
    assert updated == [f"{dev.values['model_name']}-train-pipeline"]
    assert [n for n in calls if n.startswith(WRITES)] == ["UpdatePipeline", "AddTags"]


def test_dry_run_prints_the_diff_and_writes_nothing(emulator, dev, workload):
    session, calls = counted_session(emulator, workload)
    changes, diffs = upsert.upsert(dev, workload, emulator, dry_run=True, session=session)
    assert {c.action for c in changes if c.kind == "pipeline"} == {"would create"}
    assert [n for n in calls if n.startswith(WRITES)] == []
    assert any('"AucThreshold"' in diff or "AucThreshold" in diff for diff in diffs)
    assert diffs[0].startswith(f"--- {dev.values['model_name']}-train-pipeline (deployed)")


def test_registry_environment_has_no_pipelines(emulator, workload):
    with pytest.raises(MlopsError, match="environment 'registry' is not a stage"):
        state_store.workload_platform(config.load("registry"), emulator)
    with pytest.raises(MlopsError, match="pipelines of registry not upserted: the platform given"):
        upsert.upsert(config.load("registry"), workload, emulator)


def test_a_contract_lacking_a_field_is_a_clear_error(outputs):
    del outputs["sagemaker_execution_role_arn"]
    with pytest.raises(MlopsError, match="platform output of dev lacks sagemaker_execution_role"):
        contract.parse(WorkloadContract, "dev", outputs)
    with pytest.raises(MlopsError, match="dev has no platform output in its state: it was appl"):
        contract.parse(WorkloadContract, "dev", None)
    outputs["sagemaker_execution_role_arn"] = "arn:aws:iam::1:role/x"
    # Applied by a version before the comparison pipeline: apply it again.
    older = outputs | {"pipeline_names": dict(outputs["pipeline_names"])}
    del older["pipeline_names"]["comparison"]
    with pytest.raises(MlopsError, match="platform output of dev lacks pipeline_names.comparison"):
        contract.parse(WorkloadContract, "dev", older)
    with pytest.raises(MlopsError, match="the state read for prod holds the platform of dev"):
        contract.parse(WorkloadContract, "prod", outputs)


def test_upsert_refuses_a_step_request_aws_would_refuse_and_writes_nothing(emulator, dev, workload):
    session, calls = counted_session(emulator, workload)
    key = f"arn:aws:kms:{REGION}:{ACCOUNTS['dev']}:key/work load"
    workload = dataclasses.replace(workload, workload_kms_key_arn=key)
    for dry_run in (True, False):
        with pytest.raises(MlopsError) as refused:
            upsert.upsert(dev, workload, emulator, dry_run=dry_run, session=session)
        message = str(refused.value)
        assert message.startswith("pipelines of dev not upserted: ")
        assert "step Preprocess (CreateProcessingJob): ValidationException: " in message
        assert "at 'processingResources.clusterConfig.volumeKmsKeyId' failed to satisfy" in message
        assert "\n" not in message
    assert calls == [], "nothing is read or written once a refusal is found"
