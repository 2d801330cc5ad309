"""What passes here must pass on AWS: scripts fit their images, step requests fit the API model.

The local runner runs scripts with this machine's Python and packages, and moto checks no
pattern, length or enum: these tests ask the references instead (the images' manifests from the
container sources, botocore's service model with its constraints).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from glue import service_model
from glue.errors import MlopsError
from glue.local.target import emulator_environment
from glue.pipelines import validation
from glue.pipelines.definitions import (
    inference_definition,
    representative_run_time_values,
    training_definition,
)
from glue.pipelines.expressions import resolve, steps
from glue.steps import SCRIPTS, STEPS_DIR, images
from glue.terraform import TerraformRunner
from tests import accounts
from tests.conftest import ACCOUNTS, REGION
from tests.test_definitions import SETTINGS

DEFINITIONS = {
    SETTINGS.training_pipeline: training_definition(SETTINGS),
    SETTINGS.inference_pipeline: inference_definition(SETTINGS),
}
PROCESSING_STEPS = [
    (pipeline, step)
    for pipeline, definition in DEFINITIONS.items()
    for step in steps(definition["Steps"])
    if step["Type"] == "Processing"
]


def script_and_image(step: dict) -> tuple[str, str]:
    specification = step["Arguments"]["AppSpecification"]
    script = specification["ContainerEntrypoint"][-1].rsplit("/", 1)[1]
    return script, specification["ImageUri"].split("/", 1)[1]


@pytest.mark.parametrize(
    ("pipeline", "step"), PROCESSING_STEPS, ids=[s["Name"] for _, s in PROCESSING_STEPS]
)
def test_each_processing_step_imports_only_what_its_image_installs(pipeline, step):
    script, image = script_and_image(step)
    assert images.import_problems(STEPS_DIR / script, images.image(image)) == []


@pytest.mark.parametrize(
    ("pipeline", "step"), PROCESSING_STEPS, ids=[s["Name"] for _, s in PROCESSING_STEPS]
)
def test_each_processing_step_runs_in_the_image_its_script_declares(pipeline, step):
    script, image = script_and_image(step)
    assert images.declared_image(STEPS_DIR / script) == image


@pytest.mark.parametrize("script", SCRIPTS)
def test_each_step_script_fits_its_images_python(script):
    path = STEPS_DIR / script
    assert images.python_problems(path, images.image(images.declared_image(path))) == []


def test_the_image_check_finds_what_aws_would_fail_on(tmp_path):
    script = tmp_path / "step.py"
    script.write_text(
        'IMAGE = "sagemaker-scikit-learn:1.2-1-cpu-py3"\n'
        "import xgboost\n"
        "import pandas\n"
        "pairs = list(zip([1], [2], strict=True))\n"
    )
    found = images.problems(script)
    assert any("No module named 'xgboost'" in p for p in found)
    assert not any("'pandas'" in p for p in found)
    assert any("zip(strict)" in p and "3.8" in p for p in found)


def register_request() -> dict:
    definition = DEFINITIONS[SETTINGS.training_pipeline]
    register = next(s for s in steps(definition["Steps"]) if s["Type"] == "RegisterModel")
    lookup = validation.representative_lookup(
        definition, SETTINGS.training_pipeline, representative_run_time_values(SETTINGS)
    )
    return resolve(register["Arguments"], lookup)


def test_registered_version_is_a_request_create_model_package_accepts():
    found = service_model.request_violations("sagemaker", "CreateModelPackage", register_request())
    assert [str(v) for v in found] == []


@pytest.mark.parametrize("pipeline", DEFINITIONS)
def test_every_step_request_fits_the_sagemaker_model(pipeline):
    assert (
        validation.definition_problems(
            pipeline, DEFINITIONS[pipeline], representative_run_time_values(SETTINGS)
        )
        == []
    )


# --- the strict local AWS: what AWS refuses, refused here with AWS's error -------------------


def registry_sagemaker(emulator):
    return accounts.client_in(emulator, ACCOUNTS["registry"], "sagemaker")


@pytest.mark.emulator
def test_local_aws_refuses_a_metadata_value_outside_the_allowed_alphabet(emulator):
    sagemaker = registry_sagemaker(emulator)
    sagemaker.create_model_package_group(ModelPackageGroupName="strict-metadata")
    with pytest.raises(ClientError) as refused:
        sagemaker.create_model_package(
            ModelPackageGroupName="strict-metadata",
            ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification={
                "Containers": [{"Image": "xgboost", "ModelDataUrl": "s3://b/model.tar.gz"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            CustomerMetadataProperties={"hyperparameters": '{"eta": "0.2"}'},
        )
    error = refused.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"].startswith('1 validation error detected: Value \'{"eta": "0.2"}\'')
    assert "at 'customerMetadataProperties' failed to satisfy constraint" in error["Message"]
    assert (
        sagemaker.list_model_packages(ModelPackageGroupName="strict-metadata")[
            "ModelPackageSummaryList"
        ]
        == []
    ), "a refused request changes nothing"


@pytest.mark.emulator
def test_local_aws_refuses_a_tfvars_tag_aws_refuses_through_terraform(emulator, tmp_path):
    """The provider passes any tag value; SageMaker's model allows a small alphabet only."""
    workdir = tmp_path / "strict"
    shutil.copytree(Path(__file__).parent / "fixtures" / "strict_requests", workdir)
    tfvars = tmp_path / "tags.tfvars.json"
    tfvars.write_text(json.dumps({"tags": {"cost-center": "ml#42"}}))
    keys = accounts.root_keys(emulator, accounts.MODULE_PLANS_ACCOUNT)
    runner = TerraformRunner(workdir, "strict", emulator_environment(emulator, REGION, keys))
    runner.init()
    runner.plan(tmp_path / "strict.tfplan", tfvars)
    with pytest.raises(MlopsError) as refused:
        runner.apply(tmp_path / "strict.tfplan")
    assert "ValidationException: 1 validation error detected: Value 'ml#42' at " in str(
        refused.value
    )
    assert "'tags.1.member.value' failed to satisfy constraint" in str(refused.value)


def test_tfvars_refuse_a_tag_value_aws_refuses(tmp_path):
    from glue import config

    values = json.loads((Path(__file__).parent.parent / "dev.tfvars.json").read_text())
    path = tmp_path / "dev.tfvars.json"
    path.write_text(json.dumps(values | {"tags": {"cost-center": "ml#42"}}))
    with pytest.raises(MlopsError, match="key 'tags': expected .*letters, digits, spaces"):
        config.load("dev", path)


def test_a_step_request_aws_refuses_is_named_with_its_member_and_rule():
    broken = SETTINGS.__class__(
        **{**SETTINGS.__dict__, "workload_kms_key_arn": "arn:aws:kms:us-east-1:1:key/work load"}
    )
    problems = validation.definition_problems(
        broken.training_pipeline,
        training_definition(broken),
        representative_run_time_values(broken),
    )
    assert problems[0].startswith(
        "mammo-severity-train-pipeline: step Preprocess (CreateProcessingJob): ValidationException:"
    )
    assert "at 'processingResources.clusterConfig.volumeKmsKeyId'" in problems[0]
    assert "Member must satisfy regular expression pattern" in problems[0]
    # Model Monitor's analyzer job too: a QualityCheck step is a CreateProcessingJob request.
    assert any(
        p.startswith(f"{broken.training_pipeline}: step DataQualityBaseline (CreateProcessingJob)")
        for p in problems
    )
    assert service_model.compiled("[a-zA-Z0-9:/_-]*").fullmatch("key/work load") is None


def test_local_runner_refuses_a_script_its_image_cannot_run():
    from glue.local.runner import LocalRunner, StepFailed

    evaluate_in_the_sklearn_image = {
        "AppSpecification": {
            "ImageUri": SETTINGS.image("sagemaker-scikit-learn:1.2-1-cpu-py3"),
            "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/evaluate.py"],
        }
    }
    with pytest.raises(StepFailed, match="No module named 'xgboost' in sagemaker-scikit-learn"):
        LocalRunner._refuse_unfit_script({"Name": "Evaluate"}, evaluate_in_the_sklearn_image)


def test_service_model_checks_each_kind_of_constraint():
    found = service_model.request_violations(
        "sagemaker",
        "CreateProcessingJob",
        {
            "ProcessingJobName": "",
            "AppSpecification": {"ImageUri": "image"},
            "ProcessingResources": {
                "ClusterConfig": {
                    "InstanceCount": 0,
                    "InstanceType": "ml.nope",
                    "VolumeSizeInGB": 1,
                }
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 0},
            "Environment": {"bad key!": "value"},
        },
    )
    rules = {(v.path, v.rule.split(":")[0]) for v in found}
    assert rules == {
        ("processingJobName", "Member must have length greater than or equal to 1"),
        ("processingJobName", "Member must satisfy regular expression pattern"),
        (
            "processingResources.clusterConfig.instanceCount",
            "Member must have value greater than or equal to 1",
        ),
        ("processingResources.clusterConfig.instanceType", "Member must satisfy enum value set"),
        (
            "stoppingCondition.maxRuntimeInSeconds",
            "Member must have value greater than or equal to 1",
        ),
        ("environment", "Map keys must satisfy constraint"),
        ("roleArn", "Member must not be null"),
    }
    assert service_model.message(found).startswith(
        "7 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: "
    )


def test_every_pattern_of_the_services_used_compiles():
    """A Java construct the regex package cannot read would silently check nothing."""
    for service in ("s3", "kms", "iam", "sts", "sns", "events", "sagemaker", "lambda", "dynamodb"):
        model = service_model.service_model(service)
        for name in model.shape_names:
            pattern = model.shape_for(name).metadata.get("pattern")
            if pattern:
                service_model.compiled(pattern)
