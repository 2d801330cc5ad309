"""Pipeline definitions: deterministic, and consistent with the 2020-12-01 format's references."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from glue.errors import MlopsError
from glue.pipelines.definitions import (
    COMPARISON_PARAMETERS,
    PipelineSettings,
    comparison_definition,
    inference_definition,
    render,
    training_definition,
)
from glue.pipelines.expressions import steps

SETTINGS = PipelineSettings(
    model_name="mammo-severity",
    environment="dev",
    region="us-east-1",
    role_arn="arn:aws:iam::222222222222:role/mammo-dev-sagemaker-execution",
    bucket="mammo-model-artifacts-111111111111",
    prefix="mammo-dev",
    quality_report_prefix="mammo-dev/inference/quality",
    artifacts_kms_key_arn="arn:aws:kms:us-east-1:111111111111:key/artifacts",
    workload_kms_key_arn="arn:aws:kms:us-east-1:222222222222:key/workload",
    model_package_group_arn="arn:aws:sagemaker:us-east-1:111111111111:model-package-group/mammo-severity-dev",
    lambda_function_arn="arn:aws:lambda:us-east-1:222222222222:function:mammo-dev-latest-approved-model",
    training_pipeline="mammo-severity-train-pipeline",
    inference_pipeline="mammo-severity-inference-pipeline",
    comparison_pipeline="mammo-severity-comparison-pipeline",
    auc_threshold=0.8,
)
BUILDERS = {
    "training": training_definition,
    "inference": inference_definition,
    "comparison": comparison_definition,
}


def references(node, kind):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == kind:
                yield value
            yield from references(value, kind)
    elif isinstance(node, list):
        for item in node:
            yield from references(item, kind)


@pytest.mark.parametrize("kind", BUILDERS)
def test_same_inputs_give_byte_identical_json(kind):
    assert render(BUILDERS[kind](SETTINGS)) == render(BUILDERS[kind](dataclasses.replace(SETTINGS)))
    assert "time" not in render(BUILDERS[kind](SETTINGS)).lower().replace("runtime", "")


@pytest.mark.parametrize("kind", BUILDERS)
def test_every_reference_resolves(kind):
    definition = BUILDERS[kind](SETTINGS)
    assert definition["Version"] == "2020-12-01"
    every_step = steps(definition["Steps"])
    by_name = {step["Name"]: step for step in every_step}
    assert len(by_name) == len(every_step), "step names are unique"
    parameters = {p["Name"] for p in definition["Parameters"]}
    for path in references(definition, "Get"):
        head, name = path.split(".")[0], re.split(r"[.\[]", path)[1]
        if head == "Parameters":
            assert name in parameters, f"{path}: no such parameter"
        elif head == "Steps":
            assert name in by_name, f"{path}: no such step"
        else:
            assert path in ("Execution.PipelineExecutionId", "Execution.PipelineName"), path
    for json_get in references(definition, "Std:JsonGet"):
        step_name, _, file_name = json_get["PropertyFile"]["Get"].split(".")[1:]
        declared = [f["PropertyFileName"] for f in by_name[step_name].get("PropertyFiles", [])]
        assert file_name in declared
    for step in by_name.values():
        for dependency in step.get("DependsOn", []):
            assert dependency in by_name


def test_training_gates_registration_on_auc():
    definition = training_definition(SETTINGS)
    assert [s["Type"] for s in definition["Steps"]] == [
        "Processing",
        "QualityCheck",
        "Training",
        "Processing",
        "Condition",
    ]
    condition = definition["Steps"][-1]["Arguments"]
    assert condition["Conditions"] == [
        {
            "Type": "GreaterThanOrEqualTo",
            "LeftValue": {
                "Std:JsonGet": {
                    "PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.EvaluationReport"},
                    "Path": "metrics.auc.value",
                }
            },
            "RightValue": {"Get": "Parameters.AucThreshold"},
        }
    ]
    (register,) = condition["IfSteps"]
    (fail,) = condition["ElseSteps"]
    assert register["Type"] == "RegisterModel" and fail["Type"] == "Fail"
    assert register["Arguments"]["ModelPackageGroupName"] == SETTINGS.model_package_group_arn
    # No run registers a decided version, whatever its parameters: approvers decide.
    assert register["Arguments"]["ModelApprovalStatus"] == "PendingManualApproval"
    parameters = {p["Name"]: p["DefaultValue"] for p in definition["Parameters"]}
    assert "ModelApprovalStatus" not in parameters
    assert register["Arguments"]["CustomerMetadataProperties"]["trained_by"] == {
        "Get": "Parameters.TrainedBy"
    }
    lineage = register["Arguments"]["CustomerMetadataProperties"]
    assert {"dataset_uri", "hp_max_depth", "auc", "accuracy"} <= set(lineage)
    # The run's held-out split, which a comparison with the champion scores both models on.
    assert lineage["test_data_uri"] == {
        "Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri"
    }
    assert lineage["training_commit"] == SETTINGS.source_commit


def test_training_registers_the_data_quality_baseline_model_monitor_computed():
    """As the SageMaker Python SDK's QualityCheckStep and RegisterModel write them: the
    training features' baseline, computed by Model Monitor's analyzer (the region's image, from
    the SDK's own image data) without a check, becomes the version's drift check baseline."""
    definition = training_definition(SETTINGS)
    baseline = definition["Steps"][1]
    assert baseline["Name"] == "DataQualityBaseline" and baseline["CheckType"] == "DATA_QUALITY"
    assert (baseline["SkipCheck"], baseline["RegisterNewBaseline"]) == (True, True)
    arguments = baseline["Arguments"]
    assert arguments["AppSpecification"] == {
        "ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
    }
    [dataset] = arguments["ProcessingInputs"]
    assert dataset["InputName"] == "baseline_dataset_input"
    assert dataset["S3Input"]["S3Uri"] == {
        "Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['baseline'].S3Output.S3Uri"
    }
    assert arguments["Environment"] == {
        "dataset_format": '{"csv": {"header": false, "output_columns_position": "START"}}',
        "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
        "output_path": "/opt/ml/processing/output",
        "publish_cloudwatch_metrics": "Disabled",
    }
    register = definition["Steps"][-1]["Arguments"]["IfSteps"][0]["Arguments"]

    def of(prefix: str) -> dict:
        return {
            kind: {
                "ContentType": "application/json",
                "S3Uri": {"Get": f"Steps.DataQualityBaseline.{prefix}{kind}"},
            }
            for kind in ("Statistics", "Constraints")
        }

    assert register["ModelMetrics"]["ModelDataQuality"] == of("CalculatedBaseline")
    assert register["DriftCheckBaselines"] == {"ModelDataQuality": of("BaselineUsedForDriftCheck")}


def test_the_comparison_scores_both_models_on_the_given_data_in_one_job():
    definition = comparison_definition(SETTINGS)
    (compare,) = definition["Steps"]
    assert compare["Type"] == "Processing"
    inputs = {
        i["InputName"]: i["S3Input"]["S3Uri"] for i in compare["Arguments"]["ProcessingInputs"]
    }
    assert inputs == {
        "code": "s3://mammo-model-artifacts-111111111111/mammo-dev/code/evaluate.py",
        "model": {"Get": "Parameters.ChallengerModelUri"},
        "champion": {"Get": "Parameters.ChampionModelUri"},
        "test": {"Get": "Parameters.TestDataUri"},
    }
    (output,) = compare["Arguments"]["ProcessingOutputConfig"]["Outputs"]
    assert output["S3Output"]["S3Uri"] == {"Get": "Parameters.ReportUri"}
    # Given at every start: no default to fall back on.
    declared = {p["Name"]: p for p in definition["Parameters"]}
    assert all("DefaultValue" not in declared[name] for name in COMPARISON_PARAMETERS)


def test_everything_is_encrypted_with_the_environment_keys():
    text = "".join(render(build(SETTINGS)) for build in BUILDERS.values())
    for key in ("VolumeKmsKeyId", "KmsKeyId"):
        values = set(re.findall(rf'"{key}":"([^"]+)"', text))
        assert values and values <= {SETTINGS.artifacts_kms_key_arn, SETTINGS.workload_kms_key_arn}
    assert "xgboost" in text and "683313688378.dkr.ecr.us-east-1.amazonaws.com" in text
    assert "Accelerator" not in text, "Elastic Inference is closed to new customers"


def test_inference_runs_lambda_model_check_transform():
    definition = inference_definition(SETTINGS)
    assert [s["Type"] for s in definition["Steps"]] == [
        "Lambda",
        "Model",
        "QualityCheck",
        "Transform",
    ]
    transform = definition["Steps"][-1]
    assert transform["DependsOn"] == ["DataQualityCheck"]
    # The batch, checked against the served version's registered baseline; a violation fails.
    check = definition["Steps"][2]
    assert (check["SkipCheck"], check["FailOnViolation"], check["RegisterNewBaseline"]) == (
        False,
        True,
        False,
    )
    assert {kind: check[f"SuppliedBaseline{kind}"] for kind in ("Statistics", "Constraints")} == {
        kind: {"Get": f"Steps.LatestApprovedModel.OutputParameters['Baseline{kind}Uri']"}
        for kind in ("Statistics", "Constraints")
    }
    assert check["Arguments"]["ProcessingInputs"][0]["S3Input"]["S3Uri"] == {
        "Get": "Parameters.BatchInputUri"
    }
    assert definition["Steps"][0]["FunctionArn"] == SETTINGS.lambda_function_arn


def test_a_changed_threshold_changes_only_the_training_definition():
    changed = dataclasses.replace(SETTINGS, auc_threshold=0.9)
    assert render(training_definition(changed)) != render(training_definition(SETTINGS))
    assert render(inference_definition(changed)) == render(inference_definition(SETTINGS))
    assert json.loads(render(training_definition(changed)))["Parameters"][4]["DefaultValue"] == 0.9


@pytest.mark.parametrize("name", ["bad_name", "-leading", "x" * 257])
def test_invalid_pipeline_names_are_rejected(name):
    with pytest.raises(MlopsError, match="invalid pipeline name"):
        dataclasses.replace(SETTINGS, training_pipeline=name)


def test_unknown_region_is_a_clear_error():
    with pytest.raises(MlopsError, match="no SageMaker built-in image account known for region"):
        training_definition(dataclasses.replace(SETTINGS, region="xx-nowhere-1"))
