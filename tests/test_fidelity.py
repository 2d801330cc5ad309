"""What passes here must pass on AWS: scripts fit their images, step requests fit the API model.

The local runner runs scripts with this machine's Python and packages, and moto checks no
pattern, length or enum: these tests ask the references instead (the images' manifests from the
container sources, botocore's service model with its constraints).
"""

from __future__ import annotations

import pytest

from glue.pipelines import validation
from glue.pipelines.definitions import (
    inference_definition,
    representative_run_time_values,
    training_definition,
)
from glue.pipelines.expressions import resolve, steps
from glue.steps import SCRIPTS, STEPS_DIR, images
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
    from glue import service_model

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
