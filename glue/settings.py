"""Where the project is and where it keeps its local state; every path is overridable."""

from __future__ import annotations

import os
from pathlib import Path

from glue.errors import MlopsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _folder(variable: str, default: Path) -> Path:
    folder = Path(os.environ.get(variable) or default).resolve()
    if folder.exists() and not folder.is_dir():
        raise MlopsError(
            f"{variable}={folder} is a file, not a folder: name a folder (or unset it)"
        )
    return folder


def state_dir() -> Path:
    """Local working state (emulator endpoint, Terraform CLI config, plans): MLOPS_STATE_DIR."""
    return _folder("MLOPS_STATE_DIR", PROJECT_ROOT / ".mlops")


def packages_dir() -> Path:
    """The Lambda packages `mlops plan` builds, named by their hash (saved plans name them)."""
    return state_dir() / "packages"


def reports_dir() -> Path:
    """What CI publishes (checkov results, the reviewers' report): MLOPS_REPORTS_DIR."""
    return _folder("MLOPS_REPORTS_DIR", PROJECT_ROOT / "reports")


def cache_dir() -> Path:
    """What is kept by content and shared by every run on this machine (results of scans of
    unchanged sources): MLOPS_CACHE_DIR."""
    return _folder("MLOPS_CACHE_DIR", PROJECT_ROOT / ".mlops" / "cache")
