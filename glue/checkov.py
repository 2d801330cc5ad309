"""checkov over the Terraform sources or a saved plan, with the results CI publishes.

checkov lives in its own virtual environment (it pins an old boto3), so it runs as a process.
Each scan writes checkov's own JSON, JUnit XML, SARIF and text results into one folder of
the reports directory; `glue.report` renders every folder there for reviewers.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from glue.errors import MlopsError, UsageError
from glue.files import keep_newest, mark_used
from glue.settings import PROJECT_ROOT, cache_dir, reports_dir

CHECKOV_ENV = "MLOPS_CHECKOV"
SOURCES = (Path("modules"), Path("environments"))
SOURCES_SCAN = "sources"
CHANGED_SCAN = "changed-sources"
RESULTS_JSON = "results_json.json"
RESULTS_TEXT = "results_cli.txt"
OUTPUTS = ("cli", "json", "junitxml", "sarif")


@dataclass(frozen=True)
class ScanResult:
    name: str
    folder: Path
    passed: int
    failed: int
    skipped: int
    # Files checkov could not parse (relative to the project): none of their checks ran, so
    # "0 failed" says nothing of them; a scan with any is a failed scan.
    unparsed: tuple[str, ...] = ()

    def __str__(self) -> str:
        unparsed = f", {len(self.unparsed)} file(s) not parsed" if self.unparsed else ""
        return (
            f"checkov {self.name}: {self.passed} passed, {self.failed} failed, "
            f"{self.skipped} skipped{unparsed} (results in {self.folder})"
        )

    @property
    def clean(self) -> bool:
        return not self.failed and not self.unparsed


def folders_of(paths: list[Path]) -> tuple[Path, ...]:
    """The Terraform folders (a module or a root) holding the given files, relative to the
    project; a path outside modules/ and environments/ is a usage error."""
    folders = set()
    for path in paths:
        absolute = (path if path.is_absolute() else Path.cwd() / path).resolve()
        folder = absolute if absolute.is_dir() else absolute.parent
        try:
            relative = folder.relative_to(PROJECT_ROOT)
        except ValueError:
            relative = None
        if relative is None or relative.parts[:1] not in [(s.as_posix(),) for s in SOURCES]:
            raise UsageError(
                f"{path}: not in a module or a root ({', '.join(map(str, SOURCES))}/...)"
            )
        folders.add(relative)
    return tuple(sorted(folders))


def find_checkov() -> str:
    candidates = [os.environ.get(CHECKOV_ENV), str(PROJECT_ROOT / ".venv-checkov/bin/checkov")]
    for candidate in filter(None, candidates):
        if shutil.which(candidate):
            return candidate
    found = shutil.which("checkov")
    if found is None:
        raise MlopsError(
            "checkov not found: run `make setup` (it installs it into .venv-checkov) "
            f"or set {CHECKOV_ENV} to its path"
        )
    return found


def read_reports(folder: Path) -> list[dict]:
    """checkov's JSON of a scan folder: one report per framework, as an object or a list."""
    data = json.loads((folder / RESULTS_JSON).read_text())
    reports = data if isinstance(data, list) else [data]
    # A scan that finds nothing to check writes a bare summary without results.
    return [report for report in reports if "results" in report]


def _relative(path: str) -> str:
    try:
        return Path(path).resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return path


def summarize(folder: Path, reports: list[dict]) -> ScanResult:
    """The totals of the scan written into a folder, named after the folder."""
    summaries = [report["summary"] for report in reports]
    unparsed = {
        _relative(path)
        for report in reports
        for path in report["results"].get("parsing_errors", [])
    }
    return ScanResult(
        folder.name,
        folder,
        sum(s["passed"] for s in summaries),
        sum(s["failed"] for s in summaries),
        sum(s["skipped"] for s in summaries),
        tuple(sorted(unparsed)),
    )


def checks(reports: list[dict], outcome: str) -> Iterator[tuple[str, dict]]:
    """(framework, check) for every `failed` or `skipped` check of a scan's reports."""
    for report in reports:
        for check in report["results"][f"{outcome}_checks"]:
            yield report["check_type"], check


# Beside a folder scan's results: what they were made from (see _sources_fingerprint).
FINGERPRINT = "mlops-sources.sha256"


def _sources_fingerprint(checkov: str, directories: tuple[Path, ...]) -> str:
    """What a folder scan depends on: checkov (its installation) and every file checkov reads
    in those folders, by path and content."""
    digest = hashlib.sha256()
    installed = Path(checkov).resolve()
    digest.update(f"{installed} {installed.stat().st_mtime_ns}\0".encode())
    requirements = PROJECT_ROOT / "requirements-checkov.txt"
    if requirements.is_file():
        digest.update(requirements.read_bytes())
    for directory in sorted(directories):
        for path in sorted(p for p in Path(directory).rglob("*") if p.is_file()):
            if ".terraform" in path.parts:
                continue
            digest.update(f"{path.resolve()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def scan(
    name: str, *, directories: tuple[Path, ...] = (), plan_json: Path | None = None
) -> ScanResult:
    """Scan Terraform folders or the JSON of a saved plan into reports/checkov/<name>/. A folder
    scan whose sources and checkov are those of the results already there is not run again
    (`make test` lints, then tests, the same sources)."""
    folder = reports_dir() / "checkov" / name
    fingerprint = None
    if plan_json is None:
        fingerprint = _sources_fingerprint(find_checkov(), directories)
        recorded = folder / FINGERPRINT
        results = folder / RESULTS_JSON
        if recorded.is_file() and results.is_file() and recorded.read_text() == fingerprint:
            return summarize(folder, read_reports(folder))
    if folder.exists():
        shutil.rmtree(folder)
    if fingerprint is not None and _from_cache(fingerprint, folder):
        return summarize(folder, read_reports(folder))
    folder.mkdir(parents=True)
    if plan_json is not None:
        # Plan results point back at the sources, whose inline skips (with reasons) apply.
        target = ["-f", str(plan_json), "--framework", "terraform_plan"]
        target += ["--repo-root-for-plan-enrichment", str(PROJECT_ROOT)]
    else:
        target = [arg for d in directories for arg in ("-d", str(d))]
        target += ["--framework", "terraform"]
    outputs = [arg for output in OUTPUTS for arg in ("--output", output)]
    result = subprocess.run(
        [find_checkov(), *target, *outputs, "--output-file-path", str(folder), "--skip-download"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    if result.returncode not in (0, 1) or not (folder / RESULTS_JSON).is_file():
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise MlopsError(f"checkov could not scan {name} (exit {result.returncode}): {last}")
    summary = summarize(folder, read_reports(folder))
    if fingerprint is not None:
        (folder / FINGERPRINT).write_text(fingerprint)
        _to_cache(fingerprint, folder)
    return summary


# Folder scans kept by their sources' fingerprint, for another reports folder to copy (the
# tests scan the sources that `make lint` just scanned, each into a folder of its own): the few
# written or used last (each a few MB): those of the sources and of the test fixtures.
CACHED_SCANS = 8


def _from_cache(fingerprint: str, folder: Path) -> bool:
    cached = cache_dir() / "checkov" / fingerprint
    try:
        shutil.copytree(cached, folder)
    except OSError:  # not cached, or pruned while copied (by another scan): scan it
        shutil.rmtree(folder, ignore_errors=True)
        return False
    mark_used(cached)
    return True


def _to_cache(fingerprint: str, folder: Path) -> None:
    """Copied whole under a temporary name, then renamed: a scan reading the cache meanwhile
    (another test worker) finds all of it or nothing."""
    cache = cache_dir() / "checkov"
    cache.mkdir(parents=True, exist_ok=True)
    staging = cache / f".{fingerprint}.{os.getpid()}"
    shutil.copytree(folder, staging, dirs_exist_ok=True)
    try:
        staging.rename(cache / fingerprint)
    except OSError:  # another process cached the same scan first
        shutil.rmtree(staging, ignore_errors=True)
    keep_newest(cache, CACHED_SCANS)
