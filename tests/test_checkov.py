"""checkov over the Terraform sources and over each environment's plan: zero failed checks."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.plans import ROOT, copy_tree, plan_summary

CHECKOV = Path(os.environ.get("MLOPS_CHECKOV", ROOT / ".venv-checkov" / "bin" / "checkov"))


def checkov(*args: str) -> list[dict]:
    if not CHECKOV.exists():
        pytest.fail(f"checkov not found at {CHECKOV}: run `make test` (it installs it)")
    result = subprocess.run(
        [str(CHECKOV), *args, "--output", "json", "--skip-download", "--compact"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    # One JSON document per scanned folder and framework, one after the other.
    reports, decoder, text, position = [], json.JSONDecoder(), result.stdout.strip(), 0
    while position < len(text):
        report, position = decoder.raw_decode(text, position)
        reports += report if isinstance(report, list) else [report]
        position = len(text) - len(text[position:].lstrip())
    return reports


def failures(reports: list[dict]) -> list[str]:
    return [
        f"{check['check_id']} {check['resource']} ({check['file_path']})"
        for report in reports
        for check in report["results"]["failed_checks"]
    ]


def test_sources_have_no_failed_checks():
    reports = checkov("-d", "modules", "-d", "environments", "--framework", "terraform")
    assert not failures(reports)
    assert sum(report["summary"]["passed"] for report in reports) > 100
    skipped = [check for report in reports for check in report["results"]["skipped_checks"]]
    assert all(check["check_result"].get("suppress_comment") for check in skipped), (
        "every skip carries its reason"
    )


@pytest.mark.emulator
def test_plans_have_no_failed_checks(emulator, registry_artifacts_key, tmp_path):
    tree = copy_tree(tmp_path / "tree")
    plan_files = []
    for name in ("registry", "dev", "prod"):
        tfvars = json.loads((ROOT / f"{name}.tfvars.json").read_text())
        summary = plan_summary(tree, f"environments/{name}", tfvars, emulator)
        plan_file = tmp_path / f"{name}.plan.json"
        plan_file.write_text(json.dumps(summary.raw))
        plan_files += ["-f", str(plan_file)]
    reports = checkov(
        *plan_files, "--framework", "terraform_plan", "--repo-root-for-plan-enrichment", str(ROOT)
    )
    assert not failures(reports), "\n".join(failures(reports))
    assert sum(report["summary"]["passed"] for report in reports) > 50
