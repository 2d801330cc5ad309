"""Plan summaries and inventories, in the style of cloud-foundation-fabric's tests.

A summary plans a root module (a module or an environment, copied to a scratch folder so the
source tree is untouched) against the local AWS and flattens the plan into `values` (resource
address -> planned attributes) and `counts` (resource type -> number). An inventory states the
expected subset; JSON strings in the plan (policies, event patterns) are compared as data.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tftest

from glue.aws import emulator_environment
from glue.local.emulator.control import Emulator
from glue.terraform import cli_environment, find_terraform

ROOT = Path(__file__).resolve().parent.parent
LOCAL_BACKEND = 'terraform {\n  backend "local" {}\n}\n'


@dataclass
class PlanSummary:
    values: dict[str, dict[str, Any]]
    counts: dict[str, int]
    outputs: dict[str, Any]
    raw: dict[str, Any]


def copy_tree(destination: Path) -> Path:
    for folder in ("modules", "environments"):
        shutil.copytree(
            ROOT / folder,
            destination / folder,
            ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"),
        )
    return destination


def plan_summary(tree: Path, root: str, tfvars: dict, emulator: Emulator) -> PlanSummary:
    tfdir = tree / root
    if root.startswith("environments/"):
        (tfdir / "backend_override.tf").write_text(LOCAL_BACKEND)
    var_file = tfdir / "test.tfvars.json"
    var_file.write_text(json.dumps(tfvars))
    env = {
        **emulator_environment(emulator, tfvars.get("region", "us-east-1")),
        **cli_environment(),
    }
    test = tftest.TerraformTest(str(tfdir), binary=find_terraform(), env=env)
    test.setup(upgrade=False)
    plan = test.plan(output=True, tf_var_file=str(var_file))
    values = {
        address: change["change"]["after"] or {}
        for address, change in plan.resource_changes.items()
        if change["mode"] == "managed"
    }
    counts = Counter(
        change["type"] for change in plan.resource_changes.values() if change["mode"] == "managed"
    )
    return PlanSummary(values, dict(counts), dict(plan.outputs), plan._raw)


def assert_subset(expected: Any, actual: Any, path: str = "") -> None:
    """Every expected key and value is in the plan; JSON strings compare as data."""
    if isinstance(expected, dict | list) and isinstance(actual, str) and actual[:1] in "{[":
        actual = json.loads(actual)
    if isinstance(expected, list) and not isinstance(actual, list):
        actual = [actual]  # IAM writes a single action or principal without a list
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{path}: missing {key!r} (has {sorted(actual)})"
            assert_subset(value, actual[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{path}: expected a list, got {actual!r}"
        if all(not isinstance(item, dict | list) for item in expected + actual):
            # Lists of scalars (actions, principals, ARNs): order carries no meaning.
            assert sorted(expected) == sorted(actual), f"{path}: expected {expected}, got {actual}"
            return
        assert len(expected) == len(actual), f"{path}: {len(actual)} items, expected {expected}"
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            assert_subset(want, got, f"{path}[{index}]")
    else:
        assert expected == actual, f"{path}: expected {expected!r}, got {actual!r}"


def assert_inventory(summary: PlanSummary, inventory: dict) -> None:
    for address, values in (inventory.get("values") or {}).items():
        assert address in summary.values, f"{address} not planned (have {sorted(summary.values)})"
        assert_subset(values, summary.values[address], address)
    for name, value in (inventory.get("outputs") or {}).items():
        assert name in summary.outputs, (
            f"output {name} not planned (have {sorted(summary.outputs)})"
        )
        assert_subset(value, summary.outputs[name], f"output {name}")
    for resource_type, count in (inventory.get("counts") or {}).items():
        assert summary.counts.get(resource_type, 0) == count, (
            f"{resource_type}: planned {summary.counts.get(resource_type, 0)}, expected {count}"
        )
