"""Plans of every module and environment against their inventories (tests/inventories)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from glue import config, deploy
from tests.plans import (
    ROOT,
    PlanSummary,
    assert_inventory,
    copy_tree,
    module_plan_summaries,
    plan_summary,
)

pytestmark = pytest.mark.emulator
INVENTORIES = sorted((Path(__file__).parent / "inventories").glob("*.yaml"))


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    return copy_tree(tmp_path_factory.mktemp("tree"))


@pytest.fixture(scope="module")
def module_summaries(emulator, tree) -> dict[str, PlanSummary]:
    """Every module's inventory inputs planned in one Terraform run (a root calling them all)."""
    calls = {}
    for path in INVENTORIES:
        inventory = yaml.safe_load(path.read_text())
        if inventory["root"].startswith("modules/"):
            calls[path.stem] = (inventory["root"], inventory["tfvars"])
    return module_plan_summaries(tree, calls, emulator)


@pytest.mark.parametrize("inventory_file", INVENTORIES, ids=lambda path: path.stem)
def test_plan_matches_inventory(
    emulator, registry_artifacts_key, tree, module_summaries, inventory_file
):
    inventory = yaml.safe_load(inventory_file.read_text())
    if inventory_file.stem in module_summaries:
        summary = module_summaries[inventory_file.stem]
    else:
        # What `mlops plan` gives the root: the tfvars and, for a stage, the Lambda package.
        environment = config.load(inventory_file.stem, ROOT / inventory["tfvars_file"])
        tfvars = {}
        for var_file in deploy.var_files(environment):
            tfvars |= json.loads(var_file.read_text())
        summary = plan_summary(tree, inventory["root"], tfvars, emulator)
    assert_inventory(summary, inventory)


def test_every_module_and_environment_has_an_inventory():
    roots = {yaml.safe_load(path.read_text())["root"] for path in INVENTORIES}
    modules = {f"modules/{p.name}" for p in (ROOT / "modules").iterdir() if p.is_dir()}
    environments = {f"environments/{p.name}" for p in (ROOT / "environments").iterdir()}
    # naming has no resources; its outputs are checked through every environment's plan.
    assert roots == (modules | environments) - {"modules/naming"}


def test_execution_role_may_publish_job_metrics(module_summaries):
    """CreateTrainingJob's RoleArn must be able to publish metrics (cloudwatch:PutMetricData)."""
    summary = module_summaries["module-iam-roles"]
    policy = json.loads(summary.values["aws_iam_role_policy.sagemaker_execution"]["policy"])
    metrics = [s for s in policy["Statement"] if "cloudwatch:PutMetricData" in str(s["Action"])]
    assert metrics == [
        {
            "Sid": "PublishJobMetrics",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}},
        }
    ]
