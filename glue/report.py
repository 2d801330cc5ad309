"""The reviewers' report: checkov results and plan summaries as one pull-request comment.

Reads every scan folder that `mlops scan` wrote and every plan `mlops plan` saved (its
summary, from its stamp; a plan the stamp does not vouch for is listed as refused, the rest of
the report still written), and renders them with the jinja2 template beside this module:
totals, failed checks with file:line and guideline, and skips with their reasons, grouped by
module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from glue import checkov
from glue.deploy import PlanSummary, SavedPlan
from glue.errors import MlopsError
from glue.settings import PROJECT_ROOT

TEMPLATE = "checkov_report.md.j2"
# checkov run offline (--skip-download) carries no guideline URL; its policy index lists all.
POLICY_INDEX = "https://www.checkov.io/5.Policy%20Index/"


@dataclass
class Finding:
    """One check at one place in the code, however many scans (sources, plans) reported it."""

    check_id: str
    check_name: str
    path: str
    line: int
    guideline: str  # checkov's guideline URL, else the policy index (offline runs have none)
    reason: str
    resources: list[str] = field(default_factory=list)
    scans: list[str] = field(default_factory=list)

    @property
    def guideline_label(self) -> str:
        return "policy index" if self.guideline.startswith(POLICY_INDEX) else "guideline"

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def _source_path(check: dict, scan_name: str) -> str:
    """The .tf file, relative to the project, where checkov found the resource.

    Source scans name it in `repo_file_path`; plan scans in `file_path` when they could map the
    resource back to its source, else only the plan itself is known.
    """
    for candidate in (check.get("repo_file_path"), check.get("file_path")):
        if candidate and candidate.endswith(".tf"):
            path = Path(candidate.lstrip("/"))
            if (PROJECT_ROOT / path).is_file():
                return path.as_posix()
    return f"plan of {scan_name}"


def _sources_first(folder: Path) -> tuple[bool, str]:
    return folder.name != checkov.SOURCES_SCAN, folder.name


def _module(path: str) -> str:
    return str(Path(path).parent) if path.endswith(".tf") else path


def _collect(
    results_dir: Path,
) -> tuple[list[checkov.ScanResult], dict[str, dict[str, list[Finding]]]]:
    findings: dict[tuple, Finding] = {}
    # The sources first, then each environment's plan.
    folders = [
        results_json.parent for results_json in results_dir.glob(f"*/{checkov.RESULTS_JSON}")
    ]
    scans = []
    for folder in sorted(folders, key=_sources_first):
        reports = checkov.read_reports(folder)
        scan = checkov.summarize(folder, reports)
        scans.append(scan)
        for outcome in ("failed", "skipped"):
            for framework, check in checkov.checks(reports, outcome):
                path = _source_path(check, scan.name)
                line = (check.get("file_line_range") or [0])[0]
                key = (outcome, path, line, check["check_id"])
                finding = findings.get(key) or Finding(
                    check["check_id"],
                    check["check_name"],
                    path,
                    line,
                    check.get("guideline") or f"{POLICY_INDEX}{framework}.html",
                    check["check_result"].get("suppress_comment") or "",
                )
                findings[key] = finding
                if check["resource"] not in finding.resources:
                    finding.resources.append(check["resource"])
                if scan.name not in finding.scans:
                    finding.scans.append(scan.name)
    grouped: dict[str, dict[str, list[Finding]]] = {"failed": {}, "skipped": {}}
    for (outcome, *_), finding in sorted(findings.items()):
        grouped[outcome].setdefault(_module(finding.path), []).append(finding)
    for outcome, modules in grouped.items():
        grouped[outcome] = dict(sorted(modules.items()))
    return scans, grouped


def _plans(plans_dir: Path) -> tuple[list[PlanSummary], list[str]]:
    """Each saved plan's summary, from its stamp; and why each plan it does not vouch for was
    refused (that plan is not summarized: its content is not known to be what was planned)."""
    summaries, refused = [], []
    for plan in sorted(plans_dir.glob("*.tfplan")):
        try:
            summaries.append(SavedPlan.load(plan).summary())
        except MlopsError as error:
            refused.append(f"{plan.name}: {error}")
    return summaries, refused


@dataclass(frozen=True)
class Report:
    text: str
    failed: int  # failed checks
    refused: list[str]  # plans not summarized, with the reason
    unparsed: list[str] = field(default_factory=list)  # files checkov could not parse


def _cell(value: object) -> str:
    """Text that stays inside one Markdown table cell."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def render(results_dir: Path, plans_dir: Path) -> Report:
    """The Markdown comment, the number of failed checks in it and the plans it refused."""
    scans, grouped = _collect(results_dir)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["cell"] = _cell
    plans, refused = _plans(plans_dir)
    unparsed = sorted({path for scan in scans for path in scan.unparsed})
    text = environment.get_template(TEMPLATE).render(
        scans=scans,
        totals={k: sum(getattr(s, k) for s in scans) for k in ("passed", "failed", "skipped")},
        unparsed=unparsed,
        failed=grouped["failed"],
        skipped=grouped["skipped"],
        plans=plans,
        refused=refused,
    )
    return Report(text, sum(scan.failed for scan in scans), refused, unparsed)
