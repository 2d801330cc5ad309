"""dev and prod are two accounts of the same shape: their roots may differ only by name."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_dev_and_prod_roots_differ_only_by_the_environment_name():
    dev, prod = ROOT / "environments" / "dev", ROOT / "environments" / "prod"
    assert sorted(p.name for p in dev.glob("*.tf")) == sorted(p.name for p in prod.glob("*.tf"))
    for dev_file in dev.glob("*.tf"):
        as_prod = re.sub(r"\bdev\b", "prod", dev_file.read_text())
        assert as_prod == (prod / dev_file.name).read_text(), (
            f"environments/prod/{dev_file.name} drifted from environments/dev"
        )
