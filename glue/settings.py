"""Where the project is and where it keeps its local state; every path is overridable."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def state_dir() -> Path:
    """Local working state (emulator endpoint, Terraform CLI config, plans): MLOPS_STATE_DIR."""
    return Path(os.environ.get("MLOPS_STATE_DIR", PROJECT_ROOT / ".mlops")).resolve()


def reports_dir() -> Path:
    """What CI publishes (checkov results, the reviewers' report): MLOPS_REPORTS_DIR."""
    return Path(os.environ.get("MLOPS_REPORTS_DIR", PROJECT_ROOT / "reports")).resolve()
