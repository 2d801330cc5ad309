"""Check a pipeline definition's steps against the requests SageMaker makes of them.

SageMaker accepts a pipeline whose step arguments it would refuse: it only finds out when the
step runs and its job request is rejected with a ValidationException. Each step's Arguments are
the request of one API (Processing -> CreateProcessingJob, ...), so resolving them with
representative values and checking them against that API's model (every pattern, length, enum
and range: `glue.service_model`) finds the refusal at upsert time instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from glue import service_model
from glue.errors import MlopsError
from glue.pipelines.expressions import resolve, steps

# The API a step type becomes, and the name member SageMaker fills in for it.
STEP_APIS: dict[str, tuple[str, str | None]] = {
    "Processing": ("CreateProcessingJob", "ProcessingJobName"),
    # Model Monitor's analyzer, run as a processing job (QualityCheckStep.arguments).
    "QualityCheck": ("CreateProcessingJob", "ProcessingJobName"),
    "Training": ("CreateTrainingJob", "TrainingJobName"),
    "RegisterModel": ("CreateModelPackage", None),
    "Model": ("CreateModel", "ModelName"),
    "Transform": ("CreateTransformJob", "TransformJobName"),
}
# What SageMaker names jobs of a run: "pipelines-<execution id>-<step>-<suffix>".
REPRESENTATIVE_EXECUTION_ID = "a1b2c3d4e5f6"
REPRESENTATIVE_JOB_NAME = f"pipelines-{REPRESENTATIVE_EXECUTION_ID}-step-0123456789"
REPRESENTATIVE_S3_OUTPUT = "s3://amzn-s3-demo-bucket/pipelines/" + REPRESENTATIVE_EXECUTION_ID
# A value read from a property file (the evaluation report's metrics are numbers).
REPRESENTATIVE_PROPERTY_VALUE = 0.5
_STEP_OUTPUT = re.compile(r"Steps\.[A-Za-z0-9-]+\..*(S3Uri|S3ModelArtifacts|S3OutputPath)$")
# A QualityCheck step's baseline files (its properties are their S3 URIs).
_QUALITY_CHECK_FILE = re.compile(
    r"Steps\.[A-Za-z0-9-]+\.(CalculatedBaseline|BaselineUsedForDriftCheck)(Statistics|Constraints)$"
)


def step_request(step: dict[str, Any], arguments: Mapping[str, Any]) -> tuple[str, dict] | None:
    """The API and request a step with these (resolved) arguments makes; None if it makes none."""
    api = STEP_APIS.get(step["Type"])
    if api is None:
        return None
    operation, name_member = api
    request = dict(arguments)
    if name_member:
        request.setdefault(name_member, REPRESENTATIVE_JOB_NAME)
    return operation, request


def step_problems(step: dict[str, Any], arguments: Mapping[str, Any]) -> list[str]:
    """AWS's refusal of the request a step makes, one line per step, or nothing."""
    request = step_request(step, arguments)
    if request is None:
        return []
    operation, parameters = request
    found = service_model.request_violations("sagemaker", operation, parameters)
    if not found:
        return []
    return [
        f"step {step['Name']} ({operation}): ValidationException: {service_model.message(found)}"
    ]


class _PropertyFile:
    """A property file of a step that has not run: every path in it reads a number."""

    def __getitem__(self, key: str) -> _PropertyFile:
        return self

    def __str__(self) -> str:
        return str(REPRESENTATIVE_PROPERTY_VALUE)

    def __float__(self) -> float:
        return REPRESENTATIVE_PROPERTY_VALUE


def representative_lookup(
    definition: dict[str, Any], pipeline: str, run_time_values: Mapping[str, Any]
) -> Any:
    """Values for a definition's Get paths as a run would have them, without running it.

    Parameters take their defaults; the execution its representative id; step outputs an S3
    URI; property files a number; `run_time_values` (from the definition's builder) what only
    the run decides, such as a Lambda step's outputs.
    """
    defaults = {p["Name"]: p.get("DefaultValue") for p in definition.get("Parameters", [])}

    def lookup(path: str) -> Any:
        if path in run_time_values:
            return run_time_values[path]
        if path.startswith("Parameters."):
            return defaults[path.split(".", 1)[1]]
        if path == "Execution.PipelineExecutionId":
            return REPRESENTATIVE_EXECUTION_ID
        if path == "Execution.PipelineName":
            return pipeline
        if _STEP_OUTPUT.match(path):
            return f"{REPRESENTATIVE_S3_OUTPUT}/{path.split('.')[1]}"
        quality_check_file = _QUALITY_CHECK_FILE.match(path)
        if quality_check_file:
            kind = quality_check_file.group(2).lower()
            return f"{REPRESENTATIVE_S3_OUTPUT}/{path.split('.')[1]}/{kind}.json"
        if ".PropertyFiles." in path:
            return _PropertyFile()
        if path.endswith(".ModelName"):
            return REPRESENTATIVE_JOB_NAME
        raise MlopsError(f"no representative value for {{'Get': '{path}'}} in {pipeline}")

    return lookup


def definition_problems(
    pipeline: str, definition: dict[str, Any], run_time_values: Mapping[str, Any]
) -> list[str]:
    """Every step request of the definition that SageMaker would refuse when the step runs."""
    lookup = representative_lookup(definition, pipeline, run_time_values)
    problems = []
    for step in steps(definition["Steps"]):
        if step["Type"] in STEP_APIS:
            problems += step_problems(step, resolve(step.get("Arguments", {}), lookup))
    return [f"{pipeline}: {problem}" for problem in problems]
