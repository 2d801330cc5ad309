"""checkov over the Terraform sources: zero failed checks, and every skip carries its reason
(inline, where it applies). Each environment's plan is scanned by the CI's own commands in
tests/test_jenkinsfile.py (`mlops scan --env ...` exits 1 on any failed check)."""

from __future__ import annotations

import pytest

from glue import checkov


@pytest.fixture(autouse=True)
def reports(tmp_path, monkeypatch):
    monkeypatch.setenv("MLOPS_REPORTS_DIR", str(tmp_path / "reports"))


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    """A scan of a throwaway folder keeps its results out of the machine's cache (which keeps
    the newest few: the sources' scan by `make lint` stays for the tests that scan them)."""
    monkeypatch.setenv("MLOPS_CACHE_DIR", str(tmp_path / "cache"))


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
    assert not result.unparsed, f"files checkov could not parse: {result.unparsed}"
    assert result.passed > 100 and result.skipped > 0
    assert not skipped_without_reason(result)


def test_the_pre_commit_scan_covers_the_folders_of_the_files_it_is_given(capsys):
    """`mlops scan FILE...` (the pre-commit hook) scans the modules and roots of those files."""
    from glue import cli

    changed = ["modules/kms-grant/main.tf", "environments/registry/outputs.tf"]
    assert cli.main(["scan", *changed, "modules/kms-grant/variables.tf"]) == 0
    assert capsys.readouterr().out.startswith(f"checkov {checkov.CHANGED_SCAN}: ")
    folder = checkov.reports_dir() / "checkov" / checkov.CHANGED_SCAN
    scanned = {
        tuple(check["repo_file_path"].lstrip("/").split("/")[:2])
        for report in checkov.read_reports(folder)
        for outcome in ("passed", "failed", "skipped")
        for check in report["results"][f"{outcome}_checks"]
    }
    # The registry root brings the modules it calls; a module only the workload root calls
    # is not scanned.
    assert {("environments", "registry"), ("modules", "artifacts-bucket")} <= scanned
    assert not {("environments", "workload"), ("modules", "iam-roles")} & scanned


def test_a_folder_scan_runs_again_only_when_its_sources_changed(tmp_path, own_cache):
    """`make test` lints, then tests, the same sources: an unchanged folder is not scanned
    twice; a changed file (or another checkov) is scanned again."""
    module = tmp_path / "module"
    module.mkdir()
    (module / "main.tf").write_text('resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n')
    first = checkov.scan("probe", directories=(module,))
    results = first.folder / checkov.RESULTS_JSON
    written = results.stat().st_mtime_ns
    assert checkov.scan("probe", directories=(module,)) == first
    assert results.stat().st_mtime_ns == written  # answered from the results already there
    (module / "main.tf").write_text(
        'resource "aws_sqs_queue" "q" {\n  name = "q"\n  sqs_managed_sse_enabled = true\n}\n'
    )
    again = checkov.scan("probe", directories=(module,))
    assert results.stat().st_mtime_ns != written and again.failed < first.failed


def test_a_folder_scan_of_sources_scanned_before_is_copied_not_run(
    tmp_path, monkeypatch, own_cache
):
    """`make lint` scans the sources, then the tests scan them again, each into a reports
    folder of its own: a scan of the same files by the same checkov is copied from the
    cache, whole, and checkov does not run."""
    module = tmp_path / "module"
    module.mkdir()
    (module / "main.tf").write_text('resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n')
    first = checkov.scan("probe", directories=(module,))

    monkeypatch.setenv("MLOPS_REPORTS_DIR", str(tmp_path / "other-reports"))

    def not_run(*args, **kwargs):
        raise AssertionError(f"checkov ran again: {args}")

    monkeypatch.setattr(checkov.subprocess, "run", not_run)
    copied = checkov.scan("probe", directories=(module,))
    assert copied.folder != first.folder
    assert (copied.passed, copied.failed, copied.skipped) == (
        first.passed,
        first.failed,
        first.skipped,
    )
    for result in (checkov.RESULTS_JSON, checkov.RESULTS_TEXT):
        assert (copied.folder / result).read_bytes() == (first.folder / result).read_bytes()
