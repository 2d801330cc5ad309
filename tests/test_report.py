"""The reviewers' report, rendered from real checkov runs: a clean one (the project's sources)
and one with failed checks (a deliberately insecure fixture module outside modules/)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from glue import checkov, config, saved_plans
from glue.aws import AWS
from glue.deploy import PlanSummary, ResourceChange
from glue.terraform_output import planned_changes

ROOT = Path(__file__).resolve().parent.parent
INSECURE = Path("tests/fixtures/insecure_module")
UNPARSABLE = Path("tests/fixtures/unparsable_module")


@pytest.fixture
def reports(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("MLOPS_REPORTS_DIR", str(tmp_path / "reports"))
    return tmp_path / "reports"


def mlops(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "glue.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ.copy(),
        timeout=300,
    )


def report(reports: Path, plans: Path) -> str:
    result = mlops("report", "--plans", str(plans))
    assert result.returncode == 0, result.stderr
    return (reports / "checkov.md").read_text()


def skip_reasons(folder: Path) -> set[str]:
    return {
        check["check_result"]["suppress_comment"]
        for _, check in checkov.checks(checkov.read_reports(folder), "skipped")
    }


def test_clean_run_shows_totals_and_every_skip_reason(reports, tmp_path):
    scan = mlops("scan")
    assert scan.returncode == 0, scan.stderr
    folder = reports / "checkov" / checkov.SOURCES_SCAN
    for published in ("results_json.json", "results_junitxml.xml", "results_sarif.sarif"):
        assert (folder / published).stat().st_size > 0
    markdown = report(reports, tmp_path / "no-plans")
    totals = re.match(r"## checkov: 0 failed, (\d+) passed, (\d+) skipped - clean", markdown)
    assert totals and int(totals[1]) > 100 and int(totals[2]) > 0
    assert "### Failed checks" not in markdown
    reasons = skip_reasons(folder)
    assert reasons and all(reason in markdown for reason in reasons)
    assert "no reason given" not in markdown
    assert "#### `modules/kms-key`" in markdown and "#### `modules/artifacts-bucket`" in markdown


def test_failed_checks_show_file_line_and_guideline_grouped_by_module(reports, tmp_path):
    result = checkov.scan("insecure", directories=(INSECURE,))
    assert result.failed > 0
    markdown = report(reports, tmp_path / "no-plans")
    assert markdown.startswith(f"## checkov: {result.failed} failed,")
    assert "- changes needed" in markdown
    failed = markdown.split("### Failed checks")[1].split("### Skipped checks")[0]
    assert f"#### `{INSECURE.as_posix()}`" in failed
    # The security group's line in the fixture, as a reviewer would open it.
    lines = (ROOT / INSECURE / "main.tf").read_text().splitlines()
    line = 1 + next(i for i, text in enumerate(lines) if '"ssh_from_anywhere"' in text)
    row = next(r for r in failed.splitlines() if r.startswith("| CKV_AWS_24:"))
    assert f"`{INSECURE.as_posix()}/main.tf:{line}`" in row
    assert "aws_security_group.ssh_from_anywhere" in row
    assert "[policy index](https://www.checkov.io/5.Policy%20Index/terraform.html)" in row
    skipped = markdown.split("### Skipped checks and their reasons")[1]
    assert "| CKV_AWS_27:" in skipped
    assert "The fixture's reason for a skip, shown in the report." in skipped


def test_a_file_checkov_cannot_parse_fails_the_scan_and_shows_in_the_report(
    reports, tmp_path, monkeypatch, capsys
):
    """checkov skips a file its parser refuses and says so only in a count: the scan fails,
    naming the file, and the report's headline and a section of its own show it, so "0
    failed" is never read over a file that was not scanned."""
    from glue import cli

    monkeypatch.setattr(checkov, "SOURCES", (UNPARSABLE,))
    assert cli.main(["scan"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith(
        "mlops: checkov could not parse 1 file(s) of the Terraform sources, so none of their "
        f"checks ran: {UNPARSABLE.as_posix()}/variables.tf (see "
    )
    markdown = report(reports, tmp_path / "no-plans")
    headline = markdown.splitlines()[0]
    assert headline.endswith(", 1 file(s) not parsed - changes needed"), headline
    assert f"| {checkov.SOURCES_SCAN} |" in markdown and "| 1 |" in markdown
    unparsed = markdown.split("### Files checkov could not parse")[1]
    assert f"- `{UNPARSABLE.as_posix()}/variables.tf`" in unparsed


def _stamp(plan_file: Path, made_from: config.EnvironmentConfig) -> None:
    """What `mlops plan` and a first scan write beside a plan, for a plan JSON written by
    hand (its changes are the resource changes of that JSON)."""
    plan = b"a plan written by hand"
    plan_file.write_bytes(plan)
    shown = saved_plans.plan_json_for(plan_file).read_bytes()
    changes = tuple(
        ResourceChange(change["change"]["actions"][0], change["address"])
        for change in json.loads(shown)["resource_changes"]
    )
    origin = saved_plans.made_from(made_from, AWS)
    stamp = saved_plans.stamp(origin, False, plan, changes, plan_json=shown)
    saved_plans.stamp_for(plan_file).write_text(stamp)


def test_scan_of_a_plan_with_a_failed_check_fails_the_command(reports, tmp_path):
    """What fails the Jenkins stage: `mlops scan --env` exits 1 and says where to look."""
    plan = tmp_path / "dev.tfplan"
    open_ingress = {"cidr_blocks": ["0.0.0.0/0"], "from_port": 22, "to_port": 22}
    resource = {
        "address": "aws_security_group.open",
        "mode": "managed",
        "type": "aws_security_group",
        "name": "open",
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "values": {"name": "open", "ingress": [{**open_ingress, "protocol": "tcp"}]},
    }
    change = {key: resource[key] for key in ("address", "mode", "type", "name")}
    change["change"] = {"actions": ["create"], "before": None, "after": resource["values"]}
    (tmp_path / "dev.tfplan.json").write_text(
        json.dumps(
            {
                "format_version": "1.2",
                "terraform_version": "1.11.0",
                "variables": {"environment": {"value": "dev"}},
                "planned_values": {"root_module": {"resources": [resource]}},
                "resource_changes": [change],
            }
        )
    )
    _stamp(plan, config.load("dev"))
    scan = mlops("scan", "--env", "dev", "--plan-file", str(plan))
    assert scan.returncode == 1
    assert "failed checkov check(s) in the saved plan of dev" in scan.stderr
    assert str(reports / "checkov" / "dev" / checkov.RESULTS_TEXT) in scan.stderr
    markdown = report(reports, tmp_path)
    assert "| dev | 1 | 0 | 0 | 0 |" in markdown  # the plan summary table
    assert "create   aws_security_group.open" in markdown
    assert "#### `plan of dev`" in markdown


def test_plan_summary_counts_a_replacement_as_add_and_destroy():
    """From a `terraform plan -json` stream: moves, imports, no-ops and reads change nothing."""
    actions = ["create", "update", "delete", "replace", "noop", "read", "move", "import"]
    stream = [{"type": "version", "terraform": "1.11.0", "ui": "1.2"}]
    stream += [
        {
            "@level": "info",
            "@message": f"aws_thing.r{i}: Plan to {action}",
            "type": "planned_change",
            "change": {"resource": {"addr": f"aws_thing.r{i}"}, "action": action},
        }
        for i, action in enumerate(actions)
    ]
    stream.append({"type": "change_summary", "changes": {"add": 2, "change": 1, "remove": 2}})
    planned = planned_changes("\n".join(json.dumps(m) for m in stream) + "\nnot JSON\n")
    changes = tuple(ResourceChange(action, address) for action, address in planned)
    summary = PlanSummary("prod", Path("prod.tfplan"), changes)
    assert (summary.add, summary.change, summary.destroy) == (2, 1, 2)
    assert str(summary) == "prod: 2 to add, 1 to change, 2 to destroy"
    assert summary.details().splitlines()[-1] == "  replace  aws_thing.r3"


def test_a_plan_that_only_forgets_says_so_on_its_summary_line():
    """A `removed` block that keeps the object (destroy = false) changes nothing in AWS, yet the
    reviewer of the plan reads on its one line that Terraform stops managing it."""
    stream = {
        "type": "planned_change",
        "change": {"resource": {"addr": "aws_sqs_queue_policy.p"}, "action": "remove"},
    }
    changes = tuple(ResourceChange(a, r) for a, r in planned_changes(json.dumps(stream)))
    summary = PlanSummary("registry", Path("registry.tfplan"), changes)
    assert str(summary) == "registry: 0 to add, 0 to change, 0 to destroy, 1 to forget"
    assert summary.has_changes


def test_report_without_any_scan_says_so(reports, tmp_path):
    markdown = report(reports, tmp_path)
    assert markdown.startswith("## checkov: no results")
