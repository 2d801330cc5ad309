"""Terraform, offline: find the binary and the AWS provider's filesystem mirror, and run it.

The only module that drives Terraform; it wraps python-terraform so that the wrapper can be
swapped (for tftest's runner, say) without touching the rest of the glue.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from python_terraform import IsFlagged, Terraform

from glue.errors import MlopsError
from glue.settings import PROJECT_ROOT, state_dir

TERRAFORM_ENV = "MLOPS_TERRAFORM"
MIRROR_ENV = "MLOPS_TF_PLUGIN_MIRROR"
AWS_PROVIDER = Path("registry.terraform.io/hashicorp/aws")
MIRROR_CANDIDATES = (
    Path("/opt/tf-plugins"),
    Path.home() / ".terraform.d/plugins",
    Path.home() / ".local/share/terraform/plugins",
    Path("/usr/local/share/terraform/plugins"),
    Path("/usr/share/terraform/plugins"),
)


def find_terraform() -> str:
    configured = os.environ.get(TERRAFORM_ENV)
    if configured:
        if shutil.which(configured) is None:
            raise MlopsError(f"terraform not found: {TERRAFORM_ENV}={configured} is not executable")
        return configured
    found = shutil.which("terraform")
    if found is None:
        raise MlopsError(
            "terraform not found: looked on PATH; install Terraform >= 1.11 "
            f"or set {TERRAFORM_ENV} to its path"
        )
    return found


def find_provider_mirror() -> Path:
    """The folder holding registry.terraform.io/hashicorp/aws/<version>/<platform>/."""
    configured = os.environ.get(MIRROR_ENV)
    candidates = (Path(configured),) if configured else MIRROR_CANDIDATES
    for candidate in candidates:
        if any((candidate / AWS_PROVIDER).glob("*/*/terraform-provider-aws*")):
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise MlopsError(
        f"AWS provider mirror not found: looked for {AWS_PROVIDER}/<version>/ in {looked}; "
        f"set {MIRROR_ENV} to the folder that holds registry.terraform.io/"
    )


def write_cli_config(mirror: Path) -> Path:
    """A CLI config that installs providers from the mirror only: no registry is reachable."""
    config = state_dir() / "terraform.rc"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        "provider_installation {\n"
        f"  filesystem_mirror {{\n    path = {json.dumps(str(mirror))}\n  }}\n"
        "}\n"
    )
    return config


@contextlib.contextmanager
def _environment(overrides: Mapping[str, str], unset: tuple[str, ...]) -> Iterator[None]:
    """python-terraform passes os.environ to Terraform, so set it for the call only."""
    saved = dict(os.environ)
    os.environ.update(overrides)
    for name in unset:
        os.environ.pop(name, None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _lock_holder(lines: list[str]) -> str | None:
    """Who holds the state lock, from Terraform's `Lock Info:`, as a person can act on it."""
    info = {}
    for line in lines:
        key, separator, value = line.strip().partition(":")
        if separator and key in ("ID", "Who", "Operation", "Created"):
            info.setdefault(key, value.strip())
    if "ID" not in info:
        return None
    return (
        f"the state is locked by {info.get('Who', 'someone')} "
        f"({info.get('Operation', 'an operation')} since {info.get('Created', '?')}, "
        f"lock ID {info['ID']}): wait for that run to finish; if it was killed and nothing "
        f"runs, release the lock with `mlops unlock --lock-id {info['ID']}` and the same --env"
    )


def _errors(stderr: str) -> str:
    """The `Error:` lines of Terraform's output, which say what failed."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", stderr)
    lines = [line.strip(" │╷╵") for line in text.splitlines()]
    if any("Error acquiring the state lock" in line for line in lines):
        holder = _lock_holder(lines)
        if holder:
            return holder
    errors = [line for line in lines if line.startswith("Error:")]
    return "; ".join(errors) if errors else (text.strip().splitlines() or ["no output"])[-1]


@dataclass
class TerraformRunner:
    """One Terraform root module, run offline with the given extra environment (and without
    the variables named in `unset`)."""

    working_dir: Path
    name: str
    environment: Mapping[str, str] = field(default_factory=dict)
    unset: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self._binary = find_terraform()
        cli_config = write_cli_config(find_provider_mirror())
        self._env = {
            "TF_CLI_CONFIG_FILE": str(cli_config),
            "TF_DATA_DIR": str(state_dir() / "terraform" / self.name),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            **self.environment,
        }
        self._terraform = Terraform(
            working_dir=str(self.working_dir), terraform_bin_path=self._binary
        )

    def _run(
        self, command: str, *args: str, ok_codes: tuple[int, ...] = (0,), **options
    ) -> tuple[int, str]:
        """Run a command with captured output; an unexpected exit code is a one-line error."""
        with _environment(self._env, self.unset):
            code, out, err = self._terraform.cmd(command, *args, no_color=IsFlagged, **options)
        if code not in ok_codes:
            raise MlopsError(
                f"terraform {command} failed in {self.working_dir}: {_errors(err or '')}"
            )
        return code, out or ""

    def _init_fingerprint(self, backend_config: Path | None) -> str:
        """What `terraform init` depends on: the root's files and every local module's (their
        module and provider blocks), the lock file, the CLI and the backend configuration."""
        digest = hashlib.sha256(str(self.working_dir.resolve()).encode())
        inputs = [
            *sorted(self.working_dir.glob("*.tf")),
            *sorted((PROJECT_ROOT / "modules").glob("**/*.tf")),
            self.working_dir / ".terraform.lock.hcl",
            Path(self._env["TF_CLI_CONFIG_FILE"]),
        ]
        if backend_config is not None:
            inputs.append(backend_config)
        for path in inputs:
            digest.update(f"{path.name}\0".encode())
            if path.is_file():
                digest.update(path.read_bytes())
        return digest.hexdigest()

    def init(self, backend_config: Path | None = None) -> None:
        """`terraform init`, only when something it depends on changed since the last one."""
        done = Path(self._env["TF_DATA_DIR"]) / "mlops-init.sha256"
        if done.is_file() and done.read_text() == self._init_fingerprint(backend_config):
            return
        done.unlink(missing_ok=True)
        options = {"input": False}
        if backend_config is not None:
            options["backend_config"] = str(backend_config)
            options["reconfigure"] = IsFlagged
        else:
            options["backend"] = False
        self._run("init", **options)
        done.parent.mkdir(parents=True, exist_ok=True)
        done.write_text(self._init_fingerprint(backend_config))

    def validate(self) -> None:
        self._run("validate")

    def plan(self, plan_file: Path, var_file: Path | None = None, destroy: bool = False) -> bool:
        """Save a plan; return whether it changes anything (exit code 2 of -detailed-exitcode)."""
        options: dict = {"input": False, "out": str(plan_file), "detailed_exitcode": IsFlagged}
        if var_file is not None:
            options["var_file"] = str(var_file)
        if destroy:
            options["destroy"] = IsFlagged
        code, _ = self._run("plan", ok_codes=(0, 2), **options)
        return code == 2

    def apply(self, plan_file: Path) -> None:
        """Apply exactly a saved plan: what was reviewed is what is applied."""
        self._run("apply", str(plan_file), input=False, auto_approve=IsFlagged)

    def force_unlock(self, lock_id: str) -> None:
        self._run("force-unlock", lock_id, force=IsFlagged)

    def show(self, plan_file: Path) -> dict:
        return json.loads(self._run("show", str(plan_file), json=IsFlagged)[1])

    def outputs(self) -> dict:
        outputs = json.loads(self._run("output", json=IsFlagged)[1])
        return {name: value["value"] for name, value in outputs.items()}
