"""One Terraform root per kind of account, varied by tfvars: dev and prod share one root."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from glue import config

ROOT = Path(__file__).resolve().parent.parent


def test_one_root_per_kind_of_account():
    roots = {p.name for p in (ROOT / "environments").iterdir() if p.is_dir()}
    assert set(config.ROOTS.values()) == {"registry", "workload"}
    # And one applied to every account once, before the others (`mlops bootstrap`).
    assert roots == {"registry", "workload", "bootstrap"}
    for environment in config.ENVIRONMENTS:
        assert (
            config.load(environment).terraform_dir
            == ROOT / "environments" / config.ROOTS[environment]
        )


def test_the_variables_every_root_shares_are_written_once():
    """The roots' shared variables (name prefix, accounts, region, roles, retries, tags) are one
    file, the same in each root: a rule changed in one is changed in both."""
    shared = {
        root: (ROOT / "environments" / root / "shared_variables.tf").read_text()
        for root in ("registry", "workload")
    }
    assert shared["registry"] == shared["workload"]
    for root in shared:
        own = (ROOT / "environments" / root / "variables.tf").read_text()
        again = set(re.findall(r'^variable "([^"]+)"', own, re.M)) & set(
            re.findall(r'^variable "([^"]+)"', shared[root], re.M)
        )
        assert not again, f"environments/{root}/variables.tf declares shared ones again: {again}"


def test_the_workload_root_names_no_stage():
    """A stage is what its tfvars say: the root's only mentions of one are the rules for them
    (which they are, and that a trainer approves their own version in dev only)."""
    for source in (ROOT / "environments" / "workload").glob("*.tf"):
        text = source.read_text()
        if source.name == "variables.tf":
            text = text.replace('contains(["dev", "prod"], var.environment)', "")
            text = text.replace('!var.allow_self_approval || var.environment == "dev"', "")
            text = re.sub(r"(description|error_message) += \".*\"", "", text)
        assert not re.search(r"\b(dev|prod)\b", text), source.name


# What only emulates AWS here computes ARNs as AWS itself would; it never runs against AWS.
LOCAL_EMULATION = (
    "glue/local/emulator/",
    "glue/local/runner.py",
    "glue/local/events.py",
    "glue/local/functions.py",
    "glue/local/administrators.py",
    "glue/local/operator.py",
)
# An ARN, a Lambda function, a pipeline name or anything built from the name prefix.
AWS_NAME = re.compile(r"f\"arn:|:function:|-pipeline\"|name_prefix'\]\}")


def test_python_computes_no_aws_name_terraform_owns():
    """Names come from the environment's Terraform outputs. Two exceptions must be known before
    any state can be read, and so are named by the glue: the state store (bucket, its key and
    that bucket's own policy), which must exist before Terraform can run (every such name
    carries `tfstate`), and what a person assumes to read the registry at all (the approver and
    reader roles and the contract's parameter, glue/people.py; test_segregation holds them to
    the applied registry's outputs)."""
    found = []
    for source in sorted((ROOT / "glue").rglob("*.py")):
        relative = source.relative_to(ROOT).as_posix()
        if relative.startswith(LOCAL_EMULATION):
            continue
        for number, line in enumerate(source.read_text().splitlines(), 1):
            if AWS_NAME.search(line):
                found.append(f"{relative}:{number}: {line.strip()}")
    state_store = [
        "return f\"{config.values['name_prefix']}-tfstate-{config.account_id}\"",
        "return f\"alias/{config.values['name_prefix']}-tfstate\"",
        "Description=f\"Terraform state of {config.name} ({config.values['name_prefix']})\"",
        'arn = f"arn:{partition}:s3:::{bucket}"',
    ]
    entry_points = [
        'return f"arn:{partition}:iam::{environment.account_id}:role/{role_name}"',
        "return _role_arn(registry, f\"{registry.values['name_prefix']}-{stage}-model-approver\")",  # noqa: E501
        "return _role_arn(registry, f\"{registry.values['name_prefix']}-governance-reader\")",
        "return _role_arn(stage, f\"{stage.values['name_prefix']}-{stage.name}-data-scientist\")",
        "return f\"/{environment.values['name_prefix']}/{environment.name}/platform\"",
    ]
    named = [line.split(": ", 1) for line in found]
    assert [line for _, line in named] == entry_points + state_store, "\n".join(found)
    assert {where.split(":")[0] for where, _ in named} == {"glue/state_store.py", "glue/people.py"}


def test_set_up_says_what_it_installs():
    """A cold `make` spends minutes in pip: each environment announces itself and pip prints
    what it collects and installs (no --quiet), so no minute passes in silence."""
    makefile = (ROOT / "Makefile").read_text()
    installs = [line for line in makefile.splitlines() if "/bin/pip install" in line]
    assert len(installs) == 2
    assert not [line for line in installs if re.search(r"\s(--quiet|-q)\b", line)]
    assert "--quiet" not in makefile.split("PIP_INSTALL =", 1)[1].splitlines()[0]
    assert makefile.count('@echo "setting up $(') == 2


# Where a command runs is chosen once, by the CLI (its `--aws` flag); what runs only locally
# lives under glue/local/.
CHOOSES_THE_TARGET = ("glue/cli/common.py", "glue/cli/local.py")


def _imports(source: Path) -> set[str]:
    tree = ast.parse(source.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_the_aws_side_knows_the_local_aws_only_as_a_target():
    """The AWS-side modules reach the local AWS only through glue/aws.py's Target (an Emulator
    is one): none imports glue.local, not even lazily or for a type."""
    found = {}
    for source in sorted((ROOT / "glue").rglob("*.py")):
        relative = source.relative_to(ROOT).as_posix()
        if relative.startswith("glue/local/") or relative in CHOOSES_THE_TARGET:
            continue
        local = sorted(
            n for n in _imports(source) if n == "glue.local" or n.startswith("glue.local.")
        )
        if local:
            found[relative] = local
    assert not found


def test_the_seam_finds_an_import_of_the_local_side(tmp_path):
    """The check above sees every form of import."""
    for line in (
        "import glue.local.operator",
        "from glue.local import operator",
        "from glue import local",
        "def f():\n    from glue.local.target import Emulator",
    ):
        (tmp_path / "m.py").write_text(line + "\n")
        names = _imports(tmp_path / "m.py")
        assert any(n == "glue.local" or n.startswith("glue.local.") for n in names), line
