"""checkov over the Terraform sources: zero failed checks, and every skip carries its reason
(inline, where it applies). Each environment's plan is scanned by the CI's own commands in
tests/test_jenkinsfile.py (`mlops scan --env ...` exits 1 on any failed check)."""

from __future__ import annotations

import pytest

from glue import checkov


@pytest.fixture(autouse=True)
def reports(tmp_path, monkeypatch):
    monkeypatch.setenv("MLOPS_REPORTS_DIR", str(tmp_path / "reports"))


def skipped_without_reason(result: checkov.ScanResult) -> list[str]:
    return [
        f"{check['check_id']} {check['resource']} ({check['file_path']})"
        for _, check in checkov.checks(checkov.read_reports(result.folder), "skipped")
        if not check["check_result"].get("suppress_comment")
    ]


def failures(result: checkov.ScanResult) -> list[str]:
    return [
        f"{check['check_id']} {check['resource']} ({check['file_path']})"
        for _, check in checkov.checks(checkov.read_reports(result.folder), "failed")
    ]


def test_sources_have_no_failed_checks():
    result = checkov.scan(checkov.SOURCES_SCAN, directories=checkov.SOURCES)
    assert not failures(result)
    assert result.passed > 100 and result.skipped > 0
    assert not skipped_without_reason(result)
