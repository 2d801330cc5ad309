"""Terraform's installation, offline: the binary (MLOPS_TERRAFORM, else the PATH's), its version
against each root's `required_version`, the AWS provider's filesystem mirror and the CLI
configuration that installs the provider from it, and the environment every run gets."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from glue.errors import MlopsError
from glue.files import write_whole
from glue.settings import cache_dir, state_dir

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
        found = shutil.which(configured)
        if found is None:
            raise MlopsError(f"terraform not found: {TERRAFORM_ENV}={configured} is not executable")
        return found
    found = shutil.which("terraform")
    if found is None:
        raise MlopsError(
            "terraform not found: looked on PATH; install Terraform >= 1.11 "
            f"or set {TERRAFORM_ENV} to its path"
        )
    return found


def binary_identity(binary: str) -> str:
    """Which Terraform binary this is (a new install at the same path is another)."""
    resolved = Path(binary).resolve()
    status = resolved.stat()
    return f"{resolved} {status.st_size} {status.st_mtime_ns}"


def terraform_version(binary: str) -> str:
    """The version the binary reports (`terraform version -json`), asked once per binary on this
    machine."""
    known = cache_dir() / "terraform-version.json"
    identity = binary_identity(binary)
    with contextlib.suppress(OSError, ValueError, AttributeError):
        recorded = json.loads(known.read_text())
        if recorded.get("binary") == identity:
            return str(recorded["version"])
    answer = subprocess.run(
        [binary, "version", "-json"], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    try:
        version = json.loads(answer.stdout)["terraform_version"]
    except (ValueError, TypeError, KeyError):  # before 0.13, only `Terraform v0.12.31`
        said = re.match(r"Terraform v(\d+\.\d+\.\d+\S*)", answer.stdout)
        if said is None:
            raise MlopsError(
                f"{binary} is not Terraform: `{binary} version -json` does not say its version"
            ) from None
        version = said.group(1)
    write_whole(known, json.dumps({"binary": identity, "version": version}).encode())
    return str(version)


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version.split("-")[0])[:3])


def _meets(version: tuple[int, ...], constraint: str) -> bool:
    """Whether a version meets one Terraform version constraint (`>= 1.11`, `~> 1.11.0`, ...)."""
    operator, wanted_text = re.fullmatch(r"\s*(>=|<=|!=|~>|>|<|=)?\s*(\S+)\s*", constraint).groups()
    wanted = _release(wanted_text)
    padded = version + (0,) * (3 - len(version))
    wanted_padded = wanted + (0,) * (3 - len(wanted))
    if operator == "~>":  # the rightmost given part may grow, the others are fixed
        fixed = wanted[:-1] if len(wanted) > 1 else wanted
        return padded >= wanted_padded and padded[: len(fixed)] == fixed
    comparisons = {
        ">=": padded >= wanted_padded,
        "<=": padded <= wanted_padded,
        ">": padded > wanted_padded,
        "<": padded < wanted_padded,
        "!=": padded != wanted_padded,
    }
    return comparisons.get(operator or "=", padded == wanted_padded)


def required_version(root: Path) -> str | None:
    """The root's `required_version` (its versions.tf), the one place the supported range is set."""
    versions = root / "versions.tf"
    found = (
        re.search(r'required_version\s*=\s*"([^"]*)"', versions.read_text())
        if versions.is_file()
        else None
    )
    return found.group(1) if found else None


def check_version(binary: str, root: Path) -> None:
    """Refuse a Terraform the root does not support, before it runs (its own refusal comes only
    at init, and a binary that is not Terraform would never give one)."""
    required = required_version(root)
    if required is None:
        return
    version = terraform_version(binary)
    if not all(_meets(_release(version), part) for part in required.split(",")):
        raise MlopsError(
            f"terraform {version} ({binary}) is not one {root.name} supports: its versions.tf "
            f"requires {required}; install such a Terraform or set {TERRAFORM_ENV} to its path"
        )


def _holds_provider(folder: Path) -> bool:
    return any((folder / AWS_PROVIDER).glob("*/*/terraform-provider-aws*"))


def find_provider_mirror() -> Path | None:
    """The folder holding registry.terraform.io/hashicorp/aws/<version>/<platform>/: the one
    configured in MLOPS_TF_PLUGIN_MIRROR (an error if it holds no provider), else the first
    usual place that holds one, else None: Terraform installs the provider from its registry."""
    configured = os.environ.get(MIRROR_ENV)
    if configured:
        if not _holds_provider(Path(configured)):
            raise MlopsError(
                f"AWS provider mirror not found: looked for {AWS_PROVIDER}/<version>/ in "
                f"{configured} ({MIRROR_ENV}); point it at the folder that holds "
                "registry.terraform.io/, or unset it to let Terraform install the provider"
            )
        return Path(configured)
    return next((c for c in MIRROR_CANDIDATES if _holds_provider(c)), None)


def provider_installation() -> str:
    """How the AWS provider is installed, as `mlops doctor` says it."""
    mirror = find_provider_mirror()
    if mirror is not None:
        return f"from the filesystem mirror {mirror}"
    looked = ", ".join(str(c) for c in MIRROR_CANDIDATES)
    return (
        "by Terraform from its registry, checked against the committed lock files (no mirror "
        f"in {looked}; set {MIRROR_ENV} to use one)"
    )


# Terraform and the AWS provider are Go programs that spend about a quarter of their CPU time
# in Go's garbage collector while they load the provider's schema (thousands of resource types),
# which every command does. Collecting at 4x the live heap instead of 2x (Go's GOGC) costs about
# a fifth more memory (~370 MB instead of ~310 MB for a validate of the workload root) and saves
# about a quarter of the CPU (3.5 -> 2.8 CPU seconds there). Collecting only near a memory limit
# (GOGC=off, GOMEMLIMIT=1GiB) saved a little more on a validate (2.4 CPU seconds, 665 MB) but
# nothing measurable on the suite, and the suite's killed-apply test failed in 3 of 8 runs with
# it (0 of about 15 before), so it is not used. A GOGC or GOMEMLIMIT the user set wins (then
# neither is set here).
GO_GARBAGE_COLLECTION = {"GOGC": "400"}
GO_TUNING_VARIABLES = ("GOGC", "GOMEMLIMIT")


def cli_environment() -> dict[str, str]:
    """What every Terraform run gets: with a mirror, a CLI config that installs providers from
    it only (offline machines; without one, Terraform's own configuration and registry install
    them); Go's garbage collection tuned for the provider's schema, unless the user tuned it."""
    mirror = find_provider_mirror()
    installation = {} if mirror is None else {"TF_CLI_CONFIG_FILE": str(write_cli_config(mirror))}
    tuned_by_user = any(name in os.environ for name in GO_TUNING_VARIABLES)
    return installation | ({} if tuned_by_user else GO_GARBAGE_COLLECTION)


def write_cli_config(mirror: Path) -> Path:
    """A CLI config that installs providers from the mirror only: no registry is reachable."""
    config = state_dir() / "terraform.rc"
    text = (
        "provider_installation {\n"
        f"  filesystem_mirror {{\n    path = {json.dumps(str(mirror))}\n  }}\n"
        "}\n"
    )
    if not config.is_file() or config.read_text() != text:
        # Replaced whole, never rewritten in place: a Terraform run started meanwhile (another
        # environment planned at the same time) reads the old file or the new, not half of one.
        write_whole(config, text.encode())
    return config
