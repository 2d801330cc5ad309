"""SageMaker pipeline definitions (format version 2020-12-01), built deterministically.

The same settings give byte-identical JSON: no timestamps, no random names, sorted keys.
Training: preprocess -> data-quality baseline (Model Monitor) and train (built-in XGBoost) ->
evaluate -> AUC >= threshold ? register in the central group, with the baseline as the version's
drift check baselines : fail. Inference: latest approved version (Lambda) -> create model ->
data-quality check of the batch against that version's baseline (Model Monitor) -> batch
transform. Comparison: the evaluation of a challenger and a champion model on the same held-out
data, in one processing job.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from glue.aws import s3_uri
from glue.errors import MlopsError
from glue.pipelines.validation import REPRESENTATIVE_EXECUTION_ID
from glue.steps import STEPS_DIR, endpoint_deployer, images

DEFINITION_VERSION = "2020-12-01"
PIPELINE_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$")

# Accounts that host the SageMaker built-in images, per region (public AWS documentation).
_IMAGE_ACCOUNTS = {
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-west-2": "246618743249",
    "eu-west-1": "141502667606",
    "eu-central-1": "492215442770",
}
# The built-in XGBoost algorithm trains, and its image serves, the model.
XGBOOST_IMAGE = "sagemaker-xgboost:1.7-1"
PROCESSING_ROOT = "/opt/ml/processing"
# Customer metadata holds flat strings in a small alphabet (no JSON): one key per hyperparameter.
HYPERPARAMETER_PREFIX = "hp_"
LATEST_MODEL_OUTPUT = "Steps.LatestApprovedModel.OutputParameters['{}']"
# What the latest-approved-model Lambda returns (glue/steps/latest_approved_model.py).
LATEST_MODEL_OUTPUTS = (
    "ModelPackageArn",
    "ModelDataUrl",
    "ImageUri",
    "BaselineStatisticsUri",
    "BaselineConstraintsUri",
)
# SageMaker Model Monitor's analyzer image (its repository; the account hosting it in each
# region is the SDK's: glue/steps/endpoint_deployer.py's analyzer_image, which the endpoint's
# monitoring uses too).
MODEL_MONITOR_REPOSITORY = endpoint_deployer.ANALYZER_REPOSITORY
# The QualityCheck steps' analyzer job: its input and output names (the SDK's), and the report of
# a checked dataset it writes in its output (Model Monitor's container contract).
BASELINE_DATASET_INPUT = "baseline_dataset_input"
QUALITY_CHECK_OUTPUT = "quality_check_output"
VIOLATIONS_FILE = "constraint_violations.json"


@dataclass(frozen=True)
class PipelineSettings:
    """Everything a definition depends on: from the tfvars and the Terraform outputs. Every AWS
    name here (pipelines, bucket and prefix, roles, keys, group, function) is Terraform's."""

    model_name: str
    environment: str
    region: str
    role_arn: str
    bucket: str
    prefix: str
    quality_report_prefix: str  # Model Monitor's reports (the governance reader reads them)
    artifacts_kms_key_arn: str
    workload_kms_key_arn: str
    model_package_group_arn: str
    lambda_function_arn: str
    training_pipeline: str
    inference_pipeline: str
    comparison_pipeline: str
    auc_threshold: float
    source_commit: str = "unknown"  # the commit the pipeline's code comes from
    processing_instance_type: str = "ml.m5.large"
    training_instance_type: str = "ml.m5.xlarge"
    transform_instance_type: str = "ml.m5.large"

    def __post_init__(self) -> None:
        for name in (self.training_pipeline, self.inference_pipeline, self.comparison_pipeline):
            check_pipeline_name(name)

    def s3(self, *parts: str) -> str:
        return s3_uri(self.bucket, self.prefix, *parts)

    def image(self, name: str) -> str:
        """The ECR URI of a built-in image `repository:tag` in this region."""
        account = _IMAGE_ACCOUNTS.get(self.region)
        if account is None:
            raise MlopsError(
                f"no SageMaker built-in image account known for region {self.region}: "
                f"supported regions are {', '.join(sorted(_IMAGE_ACCOUNTS))}"
            )
        return f"{account}.dkr.ecr.{self.region}.amazonaws.com/{name}"

    def model_monitor_image(self) -> str:
        """Model Monitor's analyzer in this region (untagged: the SDK's URI, the latest)."""
        image = endpoint_deployer.analyzer_image(self.region)
        if image is None:
            raise MlopsError(f"SageMaker Model Monitor has no analyzer image in {self.region}")
        return image


def check_pipeline_name(name: str) -> str:
    if not PIPELINE_NAME.match(name):
        raise MlopsError(
            f"invalid pipeline name {name!r}: expected 1-256 letters, digits or single hyphens, "
            "starting and ending with a letter or digit"
        )
    return name


def get(path: str) -> dict[str, str]:
    return {"Get": path}


# Within the metadata pattern (no parentheses, no commas).
TRAINED_BY_SCHEDULE = "a rule: schedule or failed inference"


def _parameter(name: str, kind: str, default: Any = None) -> dict[str, Any]:
    """A pipeline parameter; without a default, every start must give it."""
    declared = {"Name": name, "Type": kind}
    return declared if default is None else {**declared, "DefaultValue": default}


def _processing_step(
    settings: PipelineSettings,
    name: str,
    script: str,
    inputs: dict[str, Any],
    outputs: dict[str, str],
    instance_type: Any,
) -> dict[str, Any]:
    code = settings.s3("code", script)
    processing_inputs = [
        {
            "InputName": "code",
            "AppManaged": False,
            "S3Input": _s3_input(code, f"{PROCESSING_ROOT}/input/code"),
        }
    ]
    processing_inputs += [
        {
            "InputName": input_name,
            "AppManaged": False,
            "S3Input": _s3_input(uri, f"{PROCESSING_ROOT}/{input_name}"),
        }
        for input_name, uri in inputs.items()
    ]
    return {
        "Name": name,
        "Type": "Processing",
        "Arguments": {
            "ProcessingResources": _processing_resources(settings, instance_type),
            "AppSpecification": {
                "ImageUri": settings.image(images.declared_image(STEPS_DIR / script)),
                "ContainerEntrypoint": ["python3", f"{PROCESSING_ROOT}/input/code/{script}"],
            },
            "RoleArn": settings.role_arn,
            "ProcessingInputs": processing_inputs,
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": output_name,
                        "AppManaged": False,
                        "S3Output": {
                            "S3Uri": uri,
                            "LocalPath": f"{PROCESSING_ROOT}/{output_name}",
                            "S3UploadMode": "EndOfJob",
                        },
                    }
                    for output_name, uri in outputs.items()
                ],
                "KmsKeyId": settings.artifacts_kms_key_arn,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        },
    }


def _processing_resources(settings: PipelineSettings, instance_type: Any) -> dict[str, Any]:
    """One instance of the type, its volume encrypted with the workload key."""
    return {
        "ClusterConfig": {
            "InstanceCount": 1,
            "InstanceType": instance_type,
            "VolumeSizeInGB": 30,
            "VolumeKmsKeyId": settings.workload_kms_key_arn,
        }
    }


def _s3_input(uri: Any, local_path: str) -> dict[str, Any]:
    return {
        "S3Uri": uri,
        "LocalPath": local_path,
        "S3DataType": "S3Prefix",
        "S3InputMode": "File",
        "S3DataDistributionType": "FullyReplicated",
    }


def _output_uri(step: str, output: str) -> dict[str, str]:
    return get(f"Steps.{step}.ProcessingOutputConfig.Outputs['{output}'].S3Output.S3Uri")


def _data_quality_check(
    settings: PipelineSettings,
    name: str,
    dataset: Any,
    output: Any,
    instance_type: Any,
    supplied_baseline: tuple[Any, Any] | None = None,
) -> dict[str, Any]:
    """A QualityCheck step of type DATA_QUALITY, as the SageMaker Python SDK's QualityCheckStep
    writes it: its Arguments are the analyzer's processing job (dataset in, statistics and
    constraints out, and the violations when it checks). Without `supplied_baseline` it only
    computes the dataset's baseline, which becomes the one to check drift against (training);
    with the (statistics, constraints) of a registered version it checks the dataset against
    them and fails on a violation (inference)."""
    checks = supplied_baseline is not None
    statistics, constraints = supplied_baseline if checks else (None, None)
    return {
        "Name": name,
        "Type": "QualityCheck",
        "Arguments": {
            "ProcessingResources": _processing_resources(settings, instance_type),
            "AppSpecification": {"ImageUri": settings.model_monitor_image()},
            "Environment": {
                # Batches and the baseline alike: features only, no header (columns _c0, ...);
                # as the SDK's DatasetFormat.csv writes it.
                "dataset_format": json.dumps(
                    {"csv": {"header": False, "output_columns_position": "START"}}
                ),
                "dataset_source": f"{PROCESSING_ROOT}/input/{BASELINE_DATASET_INPUT}",
                "output_path": f"{PROCESSING_ROOT}/output",
                "publish_cloudwatch_metrics": "Disabled",
            },
            "RoleArn": settings.role_arn,
            "ProcessingInputs": [
                {
                    "InputName": BASELINE_DATASET_INPUT,
                    "AppManaged": False,
                    "S3Input": _s3_input(
                        dataset, f"{PROCESSING_ROOT}/input/{BASELINE_DATASET_INPUT}"
                    ),
                }
            ],
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": QUALITY_CHECK_OUTPUT,
                        "AppManaged": False,
                        "S3Output": {
                            "S3Uri": output,
                            "LocalPath": f"{PROCESSING_ROOT}/output",
                            "S3UploadMode": "EndOfJob",
                        },
                    }
                ],
                "KmsKeyId": settings.artifacts_kms_key_arn,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        },
        "CheckType": "DATA_QUALITY",
        # No group to fetch a baseline from: training computes its own, inference is given the
        # served version's (supplied baselines win over a group's, and the group is another
        # account's). Written as the SDK writes a parameter not given.
        "ModelPackageGroupName": None,
        "SkipCheck": not checks,
        "FailOnViolation": True,
        "RegisterNewBaseline": not checks,
        "SuppliedBaselineStatistics": statistics,
        "SuppliedBaselineConstraints": constraints,
    }


def _json_file(uri: Any) -> dict[str, Any]:
    return {"ContentType": "application/json", "S3Uri": uri}


def training_definition(settings: PipelineSettings) -> dict[str, Any]:
    run = "Execution.PipelineExecutionId"
    run_uri = {"Std:Join": {"On": "/", "Values": [settings.s3("training", "runs"), get(run)]}}

    def run_path(*parts: str) -> dict[str, Any]:
        return {"Std:Join": {"On": "/", "Values": [run_uri, *parts]}}

    preprocess = _processing_step(
        settings,
        "Preprocess",
        "preprocess.py",
        inputs={"input": get("Parameters.InputDataUri")},
        outputs={name: run_path(name) for name in ("train", "validation", "test", "baseline")},
        instance_type=get("Parameters.ProcessingInstanceType"),
    )
    train = {
        "Name": "Train",
        "Type": "Training",
        "Arguments": {
            "AlgorithmSpecification": {
                "TrainingImage": settings.image(XGBOOST_IMAGE),
                "TrainingInputMode": "File",
            },
            "HyperParameters": {
                "objective": "binary:logistic",
                "eval_metric": "auc",
                "num_round": "100",
                "max_depth": "4",
                "eta": "0.2",
                "subsample": "0.8",
            },
            "InputDataConfig": [
                {
                    "ChannelName": channel,
                    "ContentType": "text/csv",
                    "DataSource": {
                        "S3DataSource": {
                            "S3DataType": "S3Prefix",
                            "S3Uri": _output_uri("Preprocess", channel),
                            "S3DataDistributionType": "FullyReplicated",
                        }
                    },
                }
                for channel in ("train", "validation")
            ],
            "OutputDataConfig": {
                "S3OutputPath": run_path("model"),
                "KmsKeyId": settings.artifacts_kms_key_arn,
            },
            "ResourceConfig": {
                "InstanceCount": get("Parameters.TrainingInstanceCount"),
                "InstanceType": get("Parameters.TrainingInstanceType"),
                "VolumeSizeInGB": 30,
                "VolumeKmsKeyId": settings.workload_kms_key_arn,
            },
            "RoleArn": settings.role_arn,
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        },
        "DependsOn": ["Preprocess"],
    }
    # The training features' data-quality baseline (Model Monitor's statistics and constraints),
    # beside training; the version registered carries it for inference to check batches against.
    baseline = _data_quality_check(
        settings,
        "DataQualityBaseline",
        _output_uri("Preprocess", "baseline"),
        run_path("data-quality-baseline"),
        get("Parameters.ProcessingInstanceType"),
    )
    evaluate = _processing_step(
        settings,
        "Evaluate",
        "evaluate.py",
        inputs={
            "model": get("Steps.Train.ModelArtifacts.S3ModelArtifacts"),
            "test": _output_uri("Preprocess", "test"),
        },
        outputs={"evaluation": run_path("evaluation")},
        instance_type=get("Parameters.ProcessingInstanceType"),
    )
    evaluate["PropertyFiles"] = [
        {
            "PropertyFileName": "EvaluationReport",
            "OutputName": "evaluation",
            "FilePath": "evaluation.json",
        }
    ]

    def metric(name: str) -> dict[str, Any]:
        return {
            "Std:JsonGet": {
                "PropertyFile": get("Steps.Evaluate.PropertyFiles.EvaluationReport"),
                "Path": f"metrics.{name}.value",
            }
        }

    achieved_auc = metric("auc")
    register = {
        "Name": "RegisterModel",
        "Type": "RegisterModel",
        "Arguments": {
            "ModelPackageGroupName": settings.model_package_group_arn,
            # Not a parameter: whoever starts a run, an approver decides (the group's policy
            # also denies a workload account any other status).
            "ModelApprovalStatus": "PendingManualApproval",
            "InferenceSpecification": {
                "Containers": [
                    {
                        "Image": settings.image(XGBOOST_IMAGE),
                        "ModelDataUrl": get("Steps.Train.ModelArtifacts.S3ModelArtifacts"),
                    }
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
                "SupportedTransformInstanceTypes": [settings.transform_instance_type],
            },
            "ModelMetrics": {
                "ModelQuality": {
                    "Statistics": _json_file(run_path("evaluation", "evaluation.json"))
                },
                "ModelDataQuality": {
                    "Statistics": _json_file(
                        get("Steps.DataQualityBaseline.CalculatedBaselineStatistics")
                    ),
                    "Constraints": _json_file(
                        get("Steps.DataQualityBaseline.CalculatedBaselineConstraints")
                    ),
                },
            },
            # What the inference pipeline checks each batch against (and SageMaker Studio shows).
            "DriftCheckBaselines": {
                "ModelDataQuality": {
                    "Statistics": _json_file(
                        get("Steps.DataQualityBaseline.BaselineUsedForDriftCheckStatistics")
                    ),
                    "Constraints": _json_file(
                        get("Steps.DataQualityBaseline.BaselineUsedForDriftCheckConstraints")
                    ),
                }
            },
            "CustomerMetadataProperties": {
                "dataset_uri": get("Parameters.InputDataUri"),
                "pipeline_execution": get(run),
                # Four eyes: its trainer does not approve it (glue/governance.py).
                "trained_by": get("Parameters.TrainedBy"),
                # The held-out split: a comparison with the champion evaluates both on it.
                "test_data_uri": _output_uri("Preprocess", "test"),
                **{
                    f"{HYPERPARAMETER_PREFIX}{name}": value
                    for name, value in train["Arguments"]["HyperParameters"].items()
                },
                "auc": {"Std:Join": {"On": "", "Values": [achieved_auc]}},
                "accuracy": {"Std:Join": {"On": "", "Values": [metric("accuracy")]}},
                "training_commit": settings.source_commit,
                "source_environment": settings.environment,
            },
        },
    }
    fail = {
        "Name": "AucBelowThreshold",
        "Type": "Fail",
        "Arguments": {
            "ErrorMessage": {
                "Std:Join": {
                    "On": " ",
                    "Values": [
                        "Model AUC",
                        achieved_auc,
                        "is below the threshold",
                        get("Parameters.AucThreshold"),
                        "- nothing was registered",
                    ],
                }
            }
        },
    }
    condition = {
        "Name": "CheckAuc",
        "Type": "Condition",
        "Arguments": {
            "Conditions": [
                {
                    "Type": "GreaterThanOrEqualTo",
                    "LeftValue": achieved_auc,
                    "RightValue": get("Parameters.AucThreshold"),
                }
            ],
            "IfSteps": [register],
            "ElseSteps": [fail],
        },
    }
    return {
        "Version": DEFINITION_VERSION,
        "Metadata": {},
        "Parameters": [
            _parameter("InputDataUri", "String", settings.s3("training", "input/")),
            _parameter("ProcessingInstanceType", "String", settings.processing_instance_type),
            _parameter("TrainingInstanceType", "String", settings.training_instance_type),
            _parameter("TrainingInstanceCount", "Integer", 1),
            _parameter("AucThreshold", "Float", settings.auc_threshold),
            # Who started the run: `mlops pipelines start` sets the person; a rule (the weekly
            # schedule, a failed inference) leaves the default.
            _parameter("TrainedBy", "String", TRAINED_BY_SCHEDULE),
        ],
        "PipelineExperimentConfig": {
            "ExperimentName": get("Execution.PipelineName"),
            "TrialName": get(run),
        },
        "Steps": [preprocess, baseline, train, evaluate, condition],
    }


# The comparison's inputs: `mlops models compare` gives them at each start.
COMPARISON_PARAMETERS = ("ChallengerModelUri", "ChampionModelUri", "TestDataUri", "ReportUri")


def comparison_definition(settings: PipelineSettings) -> dict[str, Any]:
    """One processing job scoring a challenger and a champion model on the same held-out data
    (the evaluation step's script, given a second model), its report written to ReportUri."""
    compare = _processing_step(
        settings,
        "Compare",
        "evaluate.py",
        inputs={
            "model": get("Parameters.ChallengerModelUri"),
            "champion": get("Parameters.ChampionModelUri"),
            "test": get("Parameters.TestDataUri"),
        },
        outputs={"evaluation": get("Parameters.ReportUri")},
        instance_type=get("Parameters.ProcessingInstanceType"),
    )
    compare["PropertyFiles"] = [
        {
            "PropertyFileName": "ComparisonReport",
            "OutputName": "evaluation",
            "FilePath": "evaluation.json",
        }
    ]
    return {
        "Version": DEFINITION_VERSION,
        "Metadata": {},
        "Parameters": [
            *(_parameter(name, "String") for name in COMPARISON_PARAMETERS),
            _parameter("ProcessingInstanceType", "String", settings.processing_instance_type),
        ],
        "Steps": [compare],
    }


def inference_definition(settings: PipelineSettings) -> dict[str, Any]:
    run = get("Execution.PipelineExecutionId")
    latest = {
        "Name": "LatestApprovedModel",
        "Type": "Lambda",
        "FunctionArn": settings.lambda_function_arn,
        "OutputParameters": [
            {"OutputName": name, "OutputType": "String"} for name in LATEST_MODEL_OUTPUTS
        ],
        "Arguments": {"model_package_group_arn": settings.model_package_group_arn},
    }
    create_model = {
        "Name": "CreateModel",
        "Type": "Model",
        "Arguments": {
            "ExecutionRoleArn": settings.role_arn,
            "PrimaryContainer": {
                "Image": get(LATEST_MODEL_OUTPUT.format("ImageUri")),
                "ModelDataUrl": get(LATEST_MODEL_OUTPUT.format("ModelDataUrl")),
            },
        },
    }
    # The batch checked against the served version's baseline: a violation fails the run (and
    # the deployed failure rule starts retraining) before anything is scored.
    check = _data_quality_check(
        settings,
        "DataQualityCheck",
        get("Parameters.BatchInputUri"),
        {
            "Std:Join": {
                "On": "/",
                "Values": [s3_uri(settings.bucket, settings.quality_report_prefix), run],
            }
        },
        settings.processing_instance_type,
        supplied_baseline=(
            get(LATEST_MODEL_OUTPUT.format("BaselineStatisticsUri")),
            get(LATEST_MODEL_OUTPUT.format("BaselineConstraintsUri")),
        ),
    )
    transform = {
        "Name": "BatchTransform",
        "Type": "Transform",
        "Arguments": {
            "ModelName": get("Steps.CreateModel.ModelName"),
            "TransformInput": {
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": get("Parameters.BatchInputUri"),
                    }
                },
                "ContentType": "text/csv",
                "SplitType": "Line",
            },
            "TransformOutput": {
                "S3OutputPath": {
                    "Std:Join": {
                        "On": "/",
                        "Values": [settings.s3("inference", "predictions"), run],
                    }
                },
                "AssembleWith": "Line",
                "KmsKeyId": settings.artifacts_kms_key_arn,
            },
            "TransformResources": {
                "InstanceCount": 1,
                "InstanceType": get("Parameters.TransformInstanceType"),
                "VolumeKmsKeyId": settings.workload_kms_key_arn,
            },
        },
        "DependsOn": ["DataQualityCheck"],
    }
    return {
        "Version": DEFINITION_VERSION,
        "Metadata": {},
        "Parameters": [
            _parameter("BatchInputUri", "String", settings.s3("inference", "input/")),
            _parameter("TransformInstanceType", "String", settings.transform_instance_type),
        ],
        "Steps": [latest, create_model, check, transform],
    }


def representative_run_time_values(settings: PipelineSettings) -> dict[str, Any]:
    """What only a run decides, as a run would have it: the outputs of the Lambda step, and the
    comparison's parameters (given at each start, no default).

    The definitions' check (`glue.pipelines.validation`) resolves step arguments with these.
    """
    run = REPRESENTATIVE_EXECUTION_ID
    group = settings.model_package_group_arn
    model = settings.s3(
        "training", "runs", run, "model", f"pipelines-{run}-train", "output", "model.tar.gz"
    )
    return {
        LATEST_MODEL_OUTPUT.format("ModelPackageArn"): (
            group.replace(":model-package-group/", ":model-package/") + "/1"
        ),
        LATEST_MODEL_OUTPUT.format("ModelDataUrl"): model,
        LATEST_MODEL_OUTPUT.format("ImageUri"): settings.image(XGBOOST_IMAGE),
        **{
            LATEST_MODEL_OUTPUT.format(f"Baseline{kind.title()}Uri"): settings.s3(
                "training", "runs", run, "data-quality-baseline", f"{kind}.json"
            )
            for kind in ("statistics", "constraints")
        },
        "Parameters.ChallengerModelUri": model,
        "Parameters.ChampionModelUri": model,
        "Parameters.TestDataUri": settings.s3("training", "runs", run, "test"),
        "Parameters.ReportUri": settings.s3("comparison", "group-a/2", "vs", "group-b/1"),
    }


def render(definition: dict[str, Any]) -> str:
    """The one serialisation used for upsert and comparison: stable and compact."""
    return json.dumps(definition, sort_keys=True, separators=(",", ":"))
