"""The governance report as its reader gets it (no local AWS needed): the HTML opened in a real
browser (headless Chromium, the Debian package `make test` installs) renders without a console
error; the CSV is safe in a spreadsheet."""

from __future__ import annotations

import csv
import io
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from glue import compliance

GENERATED = "2026-12-01 06:00 UTC"


def rows() -> list[compliance.VersionRow]:
    arn = "arn:aws:sagemaker:us-east-1:111111111111:model-package/models-{}/{}"
    return [
        compliance.VersionRow("dev", "models-dev", 1, arn.format("dev", 1), "Rejected",
                              "=SUM(A1) worse on May data", "2026-11-30 10:00 UTC",
                              "arn:aws:sts::111111111111:assumed-role/reviewer/ana", 0.91),
        compliance.VersionRow("dev", "models-dev", 2, arn.format("dev", 2), "Approved", "",
                              "2026-11-30 11:00 UTC", "", 0.93, served=True,
                              flags=["approved without a comment"]),
        compliance.VersionRow("prod", "models-prod", 1, arn.format("prod", 1), "Approved",
                              "promoted from dev v1 <b>not markup</b>", "2026-11-30 10:30 UTC",
                              "arn:aws:sts::111111111111:assumed-role/mlops/promote", 0.91,
                              promoted_from="dev v1", served=True,
                              flags=["approved copy of dev v1, which was rejected since"]),
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


@pytest.mark.parametrize("fmt", ["html", "md", "csv"])
def test_an_empty_registry_still_renders(fmt):
    assert compliance.render([], fmt, GENERATED)
