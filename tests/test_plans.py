"""Plans of every module and environment against their inventories (tests/inventories)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import yaml

from glue import config, deploy
from glue.errors import MlopsError
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
    emulator, bootstrapped, registry_artifacts_key, tree, module_summaries, inventory_file
):
    inventory = yaml.safe_load(inventory_file.read_text())
    if inventory_file.stem in module_summaries:
        summary = module_summaries[inventory_file.stem]
    else:
        # What `mlops plan` gives the root: the tfvars and, for a stage, the Lambda package;
        # an inventory of a variant of an environment's tfvars names the values it changes.
        name = inventory.get("environment", inventory_file.stem)
        environment = config.load(name, ROOT / inventory["tfvars_file"])
        tfvars = {}
        for var_file in deploy.var_files(environment):
            tfvars |= json.loads(var_file.read_text())
        tfvars |= inventory.get("tfvars_changed", {})
        summary = plan_summary(tree, inventory["root"], tfvars, emulator)
    assert_inventory(summary, inventory)


@pytest.mark.parametrize(
    "module", sorted(p.parent.name for p in (ROOT / "modules").glob("*/README.md"))
)
def test_the_readme_usage_example_plans_what_the_inventory_counts(module_summaries, module):
    """Each module README's Usage example is planned (in the inventories' one run: it stands
    alone, every required input given) and creates each kind of resource the module's
    inventory counts."""
    summary = module_summaries[f"readme:{module}"]
    counted = {}
    for path in INVENTORIES:
        inventory = yaml.safe_load(path.read_text())
        if inventory["root"] == f"modules/{module}":
            counted |= {kind: n for kind, n in (inventory.get("counts") or {}).items() if n}
    missing = sorted(kind for kind in counted if not summary.counts.get(kind))
    assert not missing, f"modules/{module}/README.md's example plans no {missing}"
    if not counted:  # a module of names or documents only: its outputs are planned
        assert summary.outputs or summary.counts, f"modules/{module}: its example plans nothing"


def test_every_module_and_environment_has_an_inventory():
    roots = {yaml.safe_load(path.read_text())["root"] for path in INVENTORIES}
    modules = {f"modules/{p.name}" for p in (ROOT / "modules").iterdir() if p.is_dir()}
    environments = {f"environments/{p.name}" for p in (ROOT / "environments").iterdir()}
    # naming has no resources; its outputs are checked through every environment's plan. The
    # bootstrap root imports the state store `mlops bootstrap` creates first: a plan without it
    # fails, so tests/test_bootstrap.py applies it (its module has an inventory).
    assert roots == (modules | environments) - {"modules/naming", "environments/bootstrap"}


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


def test_the_stages_start_once_the_registry_creates_what_they_read():
    """The registry's apply announces the resource the stages read (by its address in the
    registry's plan); the stages start then, alongside it; a registry failing before it starts
    no stage."""
    inventory = yaml.safe_load((ROOT / "tests" / "inventories" / "registry.yaml").read_text())
    assert deploy.STAGES_READ in inventory["values"]
    workload = (ROOT / "environments" / "workload" / "main.tf").read_text()
    assert 'data "aws_kms_alias" "artifacts"' in workload

    order: list[str] = []
    started = threading.Event()

    def registry(progress) -> None:
        order.append("registry starts")
        progress(f"{deploy.STAGES_READ}: Creating...")
        assert not started.wait(0.2), "the stages started before the key existed"
        progress(f"{deploy.STAGES_READ}: Creation complete after 0s [id=alias/x]")
        assert started.wait(5), "the stages did not start once the key existed"
        order.append("registry ends")

    def stages() -> None:
        order.append("stages")
        started.set()

    deploy.registry_then_stages(registry, stages)
    assert order == ["registry starts", "stages", "registry ends"]

    def failing(progress) -> None:
        raise MlopsError("the registry failed")

    with pytest.raises(MlopsError, match="the registry failed"):
        deploy.registry_then_stages(failing, lambda: order.append("stages again"))
    assert "stages again" not in order


def test_feature_branches_add_groups_governed_by_the_recorder(
    emulator, bootstrapped, registry_artifacts_key, tree
):
    """Each listed branch plans a group `<model>-feature-<branch>` with a policy (the shipped
    tfvars, without branches, plan the two stage groups only: registry.yaml; the applied
    platform has a branch, whose policy and contract tests/test_environments_apply.py reads)."""
    environment = config.load("registry", ROOT / "registry.tfvars.json")
    tfvars = {}
    for var_file in deploy.var_files(environment):
        tfvars |= json.loads(var_file.read_text())
    tfvars["feature_branches"] = ["better-features", "fix-42"]
    summary = plan_summary(tree, "environments/registry", tfvars, emulator)
    assert summary.counts["aws_sagemaker_model_package_group"] == 4
    assert summary.counts["aws_sagemaker_model_package_group_policy"] == 4
    for branch in tfvars["feature_branches"]:
        call = f'module.feature_registry["{branch}"]'
        group = summary.values[f"{call}.aws_sagemaker_model_package_group.this"]
        assert group["model_package_group_name"] == f"mammo-severity-feature-{branch}"
        assert f"{call}.aws_sagemaker_model_package_group_policy.this[0]" in summary.values
    recorder = summary.values["module.governance_recorder.module.function.aws_lambda_function.this"]
    governed = json.loads(recorder["environment"][0]["variables"]["GOVERNED_GROUPS"])
    assert governed == {
        "mammo-severity-dev": "dev",
        "mammo-severity-prod": "prod",
        "mammo-severity-feature-better-features": "dev",
        "mammo-severity-feature-fix-42": "dev",
    }
