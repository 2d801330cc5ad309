"""Start a stage's training or inference pipeline, as CI and people do (`mlops pipelines start`).

The parameters given are checked against the deployed definition first: a name it does not
declare, or a value its type cannot hold, is refused before anything starts (SageMaker would
refuse the name, or fail the run on the value).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from glue import pipelines
from glue.contract import WorkloadContract
from glue.errors import MlopsError, UsageError

# The training pipeline's parameter naming who started the run (the registered version's
# `trained_by`, glue/governance.py's four eyes).
TRAINED_BY = "TrainedBy"
# SageMaker's CustomerMetadataProperties value pattern, less the spaces (a person's name).
_METADATA_VALUE = re.compile(r"[\w.:/=+@-]{1,256}")


def trained_by(person: str) -> str:
    """The person as the version's metadata can hold them."""
    if not _METADATA_VALUE.fullmatch(person):
        raise MlopsError(
            f"{person!r} cannot be recorded as who trained the version (SageMaker's metadata "
            "takes letters, digits and _ . : / = + @ -): start it with other credentials"
        )
    return person


def pipeline_name(platform: WorkloadContract, kind: str) -> str:
    """The pipeline a kind names: `train` the training one, `infer` the inference one."""
    return {"train": platform.training_pipeline, "infer": platform.inference_pipeline}[kind]


def parse_parameters(pairs: list[str]) -> dict[str, str]:
    """`--param K=V` pairs as a mapping; a pair without `=`, or a name given twice, is a usage
    error."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name:
            raise UsageError(f"--param {pair!r}: expected NAME=VALUE, e.g. AucThreshold=0.8")
        if name in parsed:
            raise UsageError(f"--param {name} is given twice")
        parsed[name] = value
    return parsed


def _type_problem(kind: str, value: str) -> str | None:
    if kind == "Integer":
        try:
            int(value)
        except ValueError:
            return "an Integer"
    elif kind == "Float":
        try:
            if not math.isfinite(float(value)):
                return "a finite Float"
        except ValueError:
            return "a Float"
    elif kind == "Boolean" and value not in ("true", "false"):
        return "a Boolean (true or false)"
    return None


def checked_parameters(
    pipeline: str, definition: Mapping[str, Any], given: Mapping[str, str]
) -> list[dict[str, str]]:
    """The PipelineParameters of a start: each given name declared by the definition, each value
    one its type holds."""
    declared = {p["Name"]: p.get("Type", "String") for p in definition.get("Parameters", [])}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise MlopsError(
            f"{pipeline} has no parameter {', '.join(unknown)}: its parameters are "
            f"{', '.join(sorted(declared))}"
        )
    problems = [
        f"{name} must be {expected}, got {value!r}"
        for name, value in given.items()
        if (expected := _type_problem(declared[name], value))
    ]
    problems += [
        f"{p['Name']} has no default: give it (--param {p['Name']}=...)"
        for p in definition.get("Parameters", [])
        if "DefaultValue" not in p and p["Name"] not in given
    ]
    if problems:
        raise MlopsError(f"{pipeline} not started: {'; '.join(problems)}")
    return [{"Name": name, "Value": value} for name, value in sorted(given.items())]


def prepared(sagemaker, pipeline: str, given: Mapping[str, str]) -> list[dict[str, str]]:
    """The checked parameters of the deployed pipeline; a pipeline not upserted is an error."""
    described = pipelines.deployed(sagemaker, pipeline)
    if described is None:
        raise MlopsError(
            f"pipeline {pipeline} does not exist: upsert it first (`mlops pipelines upsert`)"
        )
    return checked_parameters(pipeline, json.loads(described["PipelineDefinition"]), given)


def start(sagemaker, pipeline: str, given: Mapping[str, str]) -> str:
    """Start the pipeline on SageMaker (it runs there, asynchronously); its execution ARN."""
    parameters = prepared(sagemaker, pipeline, given)
    return sagemaker.start_pipeline_execution(PipelineName=pipeline, PipelineParameters=parameters)[
        "PipelineExecutionArn"
    ]
