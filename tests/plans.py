"""Plan summaries and inventories, in the style of cloud-foundation-fabric's tests.

A summary plans a root module (a module or an environment, copied to a scratch folder so the
source tree is untouched) against the local AWS and flattens the plan into `values` (resource
address -> planned attributes) and `counts` (resource type -> number). An inventory states the
expected subset; JSON strings in the plan (policies, event patterns) are compared as data.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tftest

from glue.local.emulator.control import Emulator
from glue.local.target import emulator_environment
from glue.terraform_setup import cli_environment, find_terraform
from tests import accounts

ROOT = Path(__file__).resolve().parent.parent
OUTPUT_BLOCK = re.compile(r'^output\s+"([^"]+)"', re.M)
OUTPUT_SEPARATOR = "__"  # root output <module call>__<its output>: names allow no dots
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


def _run_plan(
    tfdir: Path, tfvars: dict, emulator: Emulator, credentials: dict[str, str] | None = None
) -> dict[str, Any]:
    """init, plan and show -json of one root, signed with `credentials` (by default the local
    platform's CI principal's): the plan's JSON."""
    var_file = tfdir / "test.tfvars.json"
    var_file.write_text(json.dumps(tfvars))
    env = {
        **emulator_environment(emulator, tfvars.get("region", "us-east-1"), credentials),
        **cli_environment(),
    }
    test = tftest.TerraformTest(str(tfdir), binary=find_terraform(), env=env)
    test.setup(upgrade=False)
    return test.plan(output=True, tf_var_file=str(var_file))._raw


def _summary(raw: dict[str, Any], module: str = "") -> PlanSummary:
    """The summary of the whole plan, or of one module call in it (addresses without the
    `module.<name>.` prefix, outputs those of the module), as if that module were the root."""
    prefix = f"module.{module}." if module else ""
    changes = {
        change["address"].removeprefix(prefix): change
        for change in raw.get("resource_changes", [])
        if change["mode"] == "managed" and change["address"].startswith(prefix)
    }
    values = {address: change["change"]["after"] or {} for address, change in changes.items()}
    counts = Counter(change["type"] for change in changes.values())
    outputs = {
        name: output.get("value")
        for name, output in raw.get("planned_values", {}).get("outputs", {}).items()
    }
    if module:
        outputs = {
            name.removeprefix(f"{module}{OUTPUT_SEPARATOR}"): value
            for name, value in outputs.items()
            if name.startswith(f"{module}{OUTPUT_SEPARATOR}")
        }
    return PlanSummary(values, dict(counts), outputs, raw)


def plan_summary(tree: Path, root: str, tfvars: dict, emulator: Emulator) -> PlanSummary:
    tfdir = tree / root
    if root.startswith("environments/"):
        (tfdir / "backend_override.tf").write_text(LOCAL_BACKEND)
    return _summary(_run_plan(tfdir, tfvars, emulator))


USAGE = re.compile(r"## Usage\s+```hcl\n(.*?)\n```", re.S)
EXAMPLE_PREFIX = "readme_"
# The providers a README example may pass to its module (`providers = { aws = aws.registry }`).
EXAMPLE_PROVIDERS = 'provider "aws" {\n  alias = "registry"\n}\n'


def readme_example(module: Path) -> tuple[str, str]:
    """A module README's Usage example as HCL of a root beside the copied modules, its blocks
    renamed `readme_<module>_<name>` (so examples share one root) and its module sourced from
    the copy; and that module call's name. The example must stand alone: a reference to
    anything it does not declare fails the plan."""
    found = USAGE.search((module / "README.md").read_text())
    assert found, f"{module}/README.md has no Usage example"
    prefix = f"{EXAMPLE_PREFIX}{module.name.replace('-', '_')}_"
    example = found[1]
    example = re.sub(
        r'^(module|resource\s+"[^"]+")\s+"([^"]+)"', rf'\1 "{prefix}\2"', example, flags=re.M
    )
    example = re.sub(r"\bmodule\.([a-z0-9_]+)", rf"module.{prefix}\1", example)
    example = re.sub(r'(\bsource\s*=\s*)"[^"]*"', rf'\1"../modules/{module.name}"', example)
    [call] = re.findall(rf'^module\s+"({prefix}[^"]+)"', example, flags=re.M)
    return example, call


def module_plan_summaries(
    tree: Path, calls: dict[str, tuple[str, dict]], emulator: Emulator
) -> dict[str, PlanSummary]:
    """Many modules planned in one Terraform run (one init, one provider start): a root that
    calls each module (name -> (module folder, its inputs)) and outputs each of its outputs
    as `<call>.<output>` (one root output each: an object output with one value unknown
    until apply would be unknown as a whole). Every module README's Usage example is planned
    in the same run: its summary is `readme:<module>`."""
    tfdir = tree / "module_calls"
    tfdir.mkdir(exist_ok=True)
    examples = {}
    hcl = [EXAMPLE_PROVIDERS]
    for module in sorted(p.parent for p in (tree / "modules").glob("*/README.md")):
        example, call = readme_example(module)
        hcl.append(example)
        for key in OUTPUT_BLOCK.findall((module / "outputs.tf").read_text()):
            hcl.append(
                f'output "{call}{OUTPUT_SEPARATOR}{key}" {{\n'
                f"  value     = module.{call}.{key}\n  sensitive = true\n}}"
            )
        examples[f"readme:{module.name}"] = call
    (tfdir / "readme_examples.tf").write_text("\n\n".join(hcl) + "\n")
    names = {name: name.replace("-", "_") for name in calls}
    root: dict[str, dict] = {"module": {}, "output": {}}
    for name, (folder, inputs) in calls.items():
        call = names[name]
        root["module"][call] = {"source": f"../{folder}", **inputs}
        for key in OUTPUT_BLOCK.findall((tree / folder / "outputs.tf").read_text()):
            root["output"][f"{call}{OUTPUT_SEPARATOR}{key}"] = {
                "value": f"${{module.{call}.{key}}}",
                "sensitive": True,  # whatever the module marks sensitive stays so
            }
    (tfdir / "main.tf.json").write_text(json.dumps(root, indent=2))
    # Signed as the root of the account the inventories' example ARNs name.
    raw = _run_plan(
        tfdir, {}, emulator, accounts.root_keys(emulator, accounts.MODULE_PLANS_ACCOUNT)
    )
    summaries = {name: _summary(raw, names[name]) for name in calls}
    return summaries | {name: _summary(raw, call) for name, call in examples.items()}


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
