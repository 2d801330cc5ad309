"""The governance report as its reader gets it (no local AWS needed): the HTML opened in a real
browser (headless Chromium, the Debian package `make test` installs) renders without a console
error; the CSV is safe in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
import shutil
import struct
import subprocess
import time
from pathlib import Path

import boto3
import pytest

from glue import compliance
from glue.errors import MlopsError

GENERATED = "2026-12-01 06:00 UTC"
BUCKET = "mammo-model-artifacts-111111111111"


DRIFTED = {
    "feature_name": "_c1",
    "constraint_check_type": "baseline_drift_check",
    "description": "Numerical distance: 0.98 <b>exceeds</b> numerical threshold: 0.1",
}


def rows() -> list[compliance.VersionRow]:
    arn = "arn:aws:sagemaker:us-east-1:111111111111:model-package/models-{}/{}"
    return [
        compliance.VersionRow("dev", "models-dev", 1, arn.format("dev", 1), "Rejected",
                              "=SUM(A1) worse on May data", "2026-11-30 10:00 UTC",
                              "arn:aws:sts::111111111111:assumed-role/reviewer/ana", 0.91),
        compliance.VersionRow("dev", "models-dev", 2, arn.format("dev", 2), "Approved", "",
                              "2026-11-30 11:00 UTC", "", 0.93, served=True,
                              flags=["approved without a comment"],
                              baseline=("s3://b/dev/statistics.json", "s3://b/dev/constraints.json"),
                              quality=compliance.QualityCheck(
                                  "run-7", "s3://b/mammo-dev/inference/quality/run-7/x.json",
                                  "2026-12-01 05:00 UTC",
                                  [DRIFTED])),
        compliance.VersionRow("prod", "models-prod", 1, arn.format("prod", 1), "Approved",
                              "promoted from dev v1 <b>not markup</b>", "2026-11-30 10:30 UTC",
                              "arn:aws:sts::111111111111:assumed-role/mlops/promote", 0.91,
                              promoted_from="dev v1", served=True,
                              flags=["approved copy of dev v1, which was rejected since"],
                              baseline=("s3://b/p/statistics.json", "s3://b/p/constraints.json")),
    ]  # fmt: skip


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "chromium not found: `make test` installs it (Debian package chromium)"
    return found


def open_in_browser(page: Path, shot: Path) -> list[str]:
    """Open the page in headless Chromium, screenshot it; the console messages it logged."""
    result = subprocess.run(
        [
            _chromium(),
            "--headless=new",
            "--no-sandbox",  # as root, as CI runs
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            f"--screenshot={shot}",
            "--window-size=1280,1000",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"HOME": str(page.parent), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return [line for line in result.stderr.splitlines() if ":CONSOLE" in line]


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", header[16:24])


def test_the_html_report_renders_in_a_browser_without_console_errors(tmp_path):
    page = tmp_path / "governance.html"
    page.write_text(compliance.render(rows(), "html", GENERATED))
    shot = tmp_path / "governance.png"
    assert open_in_browser(page, shot) == []
    assert png_size(shot) == (1280, 1000) and shot.stat().st_size > 20_000  # drawn, not blank
    html = page.read_text()
    assert "&lt;b&gt;not markup&lt;/b&gt;" in html and "<b>not markup" not in html
    assert "&lt;b&gt;exceeds&lt;/b&gt;" in html, "a violation's description is text, not markup"


def test_the_browser_check_sees_a_console_error(tmp_path):
    """The check above can fail: a page that logs an error is caught."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><script>console.error("report broken")</script>')
    messages = open_in_browser(page, tmp_path / "broken.png")
    assert any('"report broken"' in message for message in messages), messages


def test_the_csv_is_safe_in_a_spreadsheet_and_the_markdown_lists_the_flags():
    table = list(csv.DictReader(io.StringIO(compliance.render(rows(), "csv", GENERATED))))
    assert [row["comment"][:6] for row in table] == ["'=SUM(", "", "promot"]
    assert table[2]["promoted_from"] == "dev v1" and table[2]["served"] == "true"
    markdown = compliance.render(rows(), "md", GENERATED)
    assert "## Flags (2)" in markdown
    assert "- **prod v1** (Approved): approved copy of dev v1, which was rejected since" in markdown
    # What each stage serves: its baseline, its last batch's check.
    assert table[1]["baseline_constraints"] == "s3://b/dev/constraints.json"
    assert table[1]["last_data_quality_check"] == (
        "run run-7 (2026-12-01 05:00 UTC): _c1 baseline_drift_check: Numerical distance: 0.98 "
        "<b>exceeds</b> numerical threshold: 0.1"
    )
    assert table[2]["last_data_quality_check"] == ""
    assert "- **prod v1**: baseline s3://b/p/statistics.json and s3://b/p/constraints.json; " \
        "the stage's last checked inference batch: none checked yet" in markdown  # fmt: skip


def test_the_last_data_quality_report_of_a_stage_is_its_newest_run_s():
    """Read as the reader reads it: listed under the stage's folder only, the newest
    constraint_violations.json read; none before a first check; a file that is not one is a
    clear error."""
    from moto import mock_aws

    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        prefix = "mammo-dev/inference/quality"
        assert compliance.last_quality_check(s3, BUCKET, prefix) is None
        # The newer run's id sorts first, and is listed first: only its time makes it newest.
        for run, violations in (("run-b", [DRIFTED]), ("run-a", [])):
            s3.put_object(Bucket=BUCKET, Key=f"{prefix}/{run}/statistics.json", Body=b"{}")
            s3.put_object(
                Bucket=BUCKET,
                Key=f"{prefix}/{run}/constraint_violations.json",
                Body=json.dumps({"violations": violations}).encode(),
            )
            time.sleep(1.1)  # S3 keeps LastModified to the second
        for elsewhere in ("mammo-prod/inference/quality", f"{prefix}-old", "mammo-dev2/inference"):
            key = f"{elsewhere}/run-z/constraint_violations.json"
            s3.put_object(Bucket=BUCKET, Key=key, Body=b"{}")
        found = compliance.last_quality_check(s3, BUCKET, prefix)
        assert (found.run, found.violations) == ("run-a", [])
        assert found.uri == f"s3://{BUCKET}/{prefix}/run-a/constraint_violations.json"
        assert found.summary().endswith("): no violation")
        malformed = {"violations": [{"feature_name": "_c1"}]}  # no check, no description
        key = f"{prefix}/run-c/constraint_violations.json"
        s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(malformed).encode())
        with pytest.raises(MlopsError, match="run-c/constraint_violations.json is not Model"):
            compliance.last_quality_check(s3, BUCKET, prefix)


@pytest.mark.parametrize("fmt", ["html", "md", "csv"])
def test_an_empty_registry_still_renders(fmt):
    assert compliance.render([], fmt, GENERATED)
