"""Variable rules (Terraform `validation` blocks) evaluated on many values in few plans: each
value a module instance of a generated root, its variables' blocks copied from the files."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any


def _template_safe(value: Any) -> Any:
    """A value as a literal of Terraform's JSON syntax, whose strings are templates."""
    if isinstance(value, str):
        return value.replace("${", "$${").replace("%{", "%%{")
    if isinstance(value, list):
        return [_template_safe(item) for item in value]
    if isinstance(value, dict):
        return {_template_safe(key): _template_safe(item) for key, item in value.items()}
    return value


def _blocks(files: list[Path]) -> tuple[str, dict[str, str]]:
    """The locals blocks and each variable block of a root's or module's files, as written."""
    text = "\n".join(path.read_text() for path in files)
    shared = "".join(m[0] for m in re.finditer(r"^locals \{\n.*?^\}\n", text, re.M | re.S))
    variables = re.finditer(r'^variable "(\w+)" \{\n.*?^\}\n', text, re.M | re.S)
    return shared, {m[1]: m[0] for m in variables}


# Module instances a plan: Terraform's time grows with the square of their number (about 5 s
# for 300, 22 s for 750), so a batch is planned in parts of this size.
PLAN_SIZE = 100


def failing_rules(
    files: list[Path], batch: list[tuple[dict[str, Any], dict[str, Any]]], workdir: Path
) -> list[set[str]]:
    """For each (values, the valid values they were made from: the shipped tfvars) of the
    batch, the variables whose rules they fail, in plans of PLAN_SIZE instances."""
    return [
        failing
        for start in range(0, len(batch), PLAN_SIZE)
        for failing in _failing_rules_in_one_plan(
            files, batch[start : start + PLAN_SIZE], workdir / f"plan-{start}"
        )
    ]


def _failing_rules_in_one_plan(
    files: list[Path], batch: list[tuple[dict[str, Any], dict[str, Any]]], workdir: Path
) -> list[set[str]]:
    """For each (values, the shipped tfvars they were made from) of the batch, the variables
    whose rules they fail: one plan of a root with a module instance per values, one line of
    main.tf.json each (so that a diagnostic's line says whose it is). An instance's module
    declares the variables its values change from the shipped tfvars and those their rules
    refer to: Terraform evaluates those rules only."""
    shared, blocks = _blocks(files)
    lines = []
    for number, (values, shipped) in enumerate(batch):
        # What changed, the variables their rules refer to, and those whose rules refer to them.
        needed = {k for k in blocks if values.get(k) != shipped.get(k)} or set(blocks)
        while (
            more := {
                other
                for other, block in blocks.items()
                for k in needed
                if k in re.findall(r"var\.(\w+)", block)
                or other in re.findall(r"var\.(\w+)", blocks[k])
            }
            - needed
        ):
            needed |= more
        module = "m_" + "_".join(sorted(needed)) if len(needed) < 4 else f"m_{number}"
        if not (workdir / module).is_dir():
            (workdir / module).mkdir(parents=True)
            text = shared + "".join(blocks[k] for k in sorted(needed))
            (workdir / module / "variables.tf").write_text(text)
        arguments = {k: _template_safe(values[k]) for k in sorted(needed) if k in values}
        case = {"source": f"./{module}", **arguments}
        lines.append(f'"case_{number}": {json.dumps(case)}')
    (workdir / "main.tf.json").write_text('{"module": {\n' + ",\n".join(lines) + "\n}}\n")
    env = {**os.environ, "TF_CLI_CONFIG_FILE": "/dev/null", "TF_IN_AUTOMATION": "1"}
    env["TF_DATA_DIR"] = str(workdir / ".terraform")
    for command in (["init", "-backend=false"], ["plan", "-json", "-lock=false"]):
        result = subprocess.run(
            ["terraform", *command, "-input=false", "-no-color"],
            cwd=workdir,
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    failing: list[set[str]] = [set() for _ in batch]
    for line in result.stdout.splitlines():
        message = json.loads(line)
        diagnostic = message.get("diagnostic", {})
        if diagnostic.get("severity") != "error":
            continue
        assert diagnostic["summary"] == "Invalid value for variable", diagnostic
        where = diagnostic["range"]
        assert where["filename"] == "main.tf.json", diagnostic
        # "<variable> must be ..." or "<variable>.<attribute> must be ...".
        variable = diagnostic["detail"].split(" ", 1)[0].split(".", 1)[0]
        failing[where["start"]["line"] - 2].add(variable)
    return failing
