"""What reviewers and the compliance officer read: `mlops scan`, `mlops report` (checkov and
the plans, for a pull request) and `mlops governance report|reconcile`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from glue.cli.common import (
    add_account_argument,
    add_environment_arguments,
    config_of,
    deliver_emitted,
    target_of,
)
from glue.errors import MlopsError, UsageError
from glue.files import write_output

GOVERNANCE_FORMATS = ("html", "md", "csv")


def _scan(args: argparse.Namespace) -> None:
    from glue import checkov, saved_plans

    if args.env is None and args.paths:
        # The pre-commit hook: only the modules and roots whose files changed.
        folders = checkov.folders_of(args.paths)
        result = checkov.scan(checkov.CHANGED_SCAN, directories=folders)
        subject = ", ".join(folder.as_posix() for folder in folders)
    elif args.env is None:
        result = checkov.scan(checkov.SOURCES_SCAN, directories=checkov.SOURCES)
        subject = "the Terraform sources"
    else:
        if args.paths:
            raise UsageError("scan: give --env (a saved plan) or paths (sources), not both")
        loaded = config_of(args)
        saved = saved_plans.SavedPlan.load(args.plan_file or saved_plans.plan_file_for(loaded))
        saved.check_made_from(loaded, None)  # wherever it was planned
        result = checkov.scan(loaded.name, plan_json=saved.plan_json(loaded))
        subject = f"the saved plan of {loaded.name}"
    print(result)
    if result.unparsed:
        raise MlopsError(
            f"checkov could not parse {len(result.unparsed)} file(s) of {subject}, so none of "
            f"their checks ran: {', '.join(result.unparsed)} "
            f"(see {result.folder / checkov.RESULTS_TEXT})"
        )
    if result.failed:
        raise MlopsError(
            f"{result.failed} failed checkov check(s) in {subject}: see "
            f"{result.folder / checkov.RESULTS_TEXT} (fix them, or skip one inline with its reason)"
        )


def _report(args: argparse.Namespace) -> None:
    from glue import report
    from glue.settings import reports_dir, state_dir

    results = args.results or reports_dir() / "checkov"
    rendered = report.render(results, args.plans or state_dir() / "plans")
    out = args.out or reports_dir() / "checkov.md"
    write_output(out, rendered.text.encode())
    unparsed = f", {len(rendered.unparsed)} file(s) not parsed" if rendered.unparsed else ""
    print(f"report written to {out} ({rendered.failed} failed check(s){unparsed})")
    # The report still reaches reviewers (it lists the refused plans); the plans themselves
    # are refused again by scan and apply, which fail the build.
    for refused in rendered.refused:
        print(f"warning: plan refused, not summarized: {refused}", file=sys.stderr)


def _governance_report(args: argparse.Namespace) -> None:
    from glue import compliance

    loaded, target = config_of(args), target_of(args)
    deliver_emitted(loaded, target)
    out, rows = compliance.write(loaded, target, args.format, args.out)
    flagged = sum(bool(row.flags) for row in rows)
    print(f"governance report written to {out} ({len(rows)} versions, {flagged} flagged)")


def _governance_reconcile(args: argparse.Namespace) -> None:
    from glue import compliance

    loaded, target = config_of(args), target_of(args)
    deliver_emitted(loaded, target)
    found = compliance.reconcile(loaded, target)
    for difference in found:
        print(difference)
    if found:
        raise MlopsError(
            f"{len(found)} difference(s) between the governance table and the registry: each "
            "line says what differs; an event the recorder could not record waits in its "
            "dead-letter queue"
        )
    print("the governance table and the registry agree: 0 differences")


def register(commands: argparse._SubParsersAction) -> None:
    governance = commands.add_parser(
        "governance", help="what a compliance officer reads of the model registry"
    )
    governance_commands = governance.add_subparsers(dest="governance_command", required=True)
    report = governance_commands.add_parser(
        "report",
        help="every version of every group: status, comment, when, AUC, promotions, flags",
    )
    report.add_argument("--format", choices=GOVERNANCE_FORMATS, default="html")
    report.add_argument("--out", type=Path, help="default: reports/governance.<format>")
    add_environment_arguments(report, only="registry")  # the registry owns the groups
    report.set_defaults(handler=_governance_report)
    reconcile = governance_commands.add_parser(
        "reconcile",
        help="the governance table against the registry: each difference (exit 1 on any)",
    )
    add_environment_arguments(reconcile, only="registry")
    reconcile.set_defaults(handler=_governance_reconcile)

    scan = commands.add_parser(
        "scan", help="checkov over the Terraform sources, or over an environment's saved plan"
    )
    scan.add_argument("--env", help="scan this environment's saved plan instead of the sources")
    scan.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="scan only the modules and roots holding these files (what pre-commit passes)",
    )
    scan.add_argument("--var-file", type=Path, help="tfvars JSON (default: <env>.tfvars.json)")
    scan.add_argument("--plan-file", type=Path, help="default: .mlops/plans/<env>.tfplan")
    add_account_argument(scan)
    scan.set_defaults(handler=_scan)

    report = commands.add_parser(
        "report", help="checkov results and plan summaries as Markdown for the pull request"
    )
    report.add_argument("--results", type=Path, help="scan folders (default: reports/checkov)")
    report.add_argument("--plans", type=Path, help="plan JSON folder (default: .mlops/plans)")
    report.add_argument("--out", type=Path, help="Markdown file (default: reports/checkov.md)")
    report.set_defaults(handler=_report)
