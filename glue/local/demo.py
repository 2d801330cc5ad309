"""The main job on the embedded local AWS: three accounts, the whole platform applied in order.

Start the emulator, validate every environment's tfvars, then plan and apply the registry, then
dev and prod side by side (each plan saved and exactly that plan applied), prove a second plan
of each is empty, upsert the pipelines of dev and prod, and print a summary. The emulator is
stopped at the end unless asked to keep it for exploration.
"""

from __future__ import annotations

import shutil
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from glue import compliance, config, deploy, saved_plans, state_store
from glue.comparison import Comparison, version_name
from glue.errors import MlopsError
from glue.local import lifecycle, operator, target
from glue.local.emulator import control
from glue.local.emulator.control import Emulator
from glue.local.events import Delivery
from glue.local.runner import Execution
from glue.pipelines import upsert
from glue.registry import ModelVersion, Rollback
from glue.settings import state_dir

T = TypeVar("T")


OK, FAILED, DRIFT = "ok", "FAILED", "DRIFT"
INTENDED = "failed as intended:"
WIDTH = 110  # the summary's width when the terminal's is unknown; kept within 100 to 120
_SHORT = textwrap.TextWrapper(
    240, max_lines=1, placeholder=" ...", break_long_words=False, break_on_hyphens=False
)


@dataclass
class Step:
    what: str
    where: str
    status: str
    seconds: float
    detail: str = ""


def _timed(steps: list[Step], what: str, where: str, action: Callable[[], T]) -> T:
    # One write per line: the stages' chains print side by side.
    sys.stdout.write(f"... {what} [{where}]\n")
    sys.stdout.flush()
    started = time.monotonic()
    try:
        result = action()
    except Exception as error:
        # The error itself is raised in full; the table keeps its first words.
        detail = _SHORT.fill(str(error))
        steps.append(Step(what, where, FAILED, time.monotonic() - started, detail))
        raise
    status, detail = _outcome(result)
    steps.append(Step(what, where, status, time.monotonic() - started, detail))
    return result


def _outcome(result: object) -> tuple[str, str]:
    """The status and detail of a step that returned `result`."""
    if isinstance(result, Execution) and result.status == "Failed":
        # Each run of the lifecycle must end as it requires (anything else raises), so a failed
        # run that comes back is one the walkthrough asked for: the batch with outliers.
        return OK, f"{INTENDED} {lifecycle.reason(result)}"
    if isinstance(result, list) and any(
        isinstance(d, Delivery) and d.execution and d.execution.status == "Failed" for d in result
    ):
        return FAILED, _describe(result)  # a run the failure event started did not succeed
    return OK, _describe(result)


def _describe(result: object) -> str:
    if isinstance(result, Execution):
        return lifecycle.describe(result)
    if isinstance(result, ModelVersion):
        return f"v{result.version} {result.status}"
    if isinstance(result, Comparison):
        return (
            f"challenger AUC {result.challenger_auc:.3f}, champion "
            f"{version_name(result.champion_arn)} AUC {result.champion_auc:.3f} (same held-out "
            "data)"
        )
    if isinstance(result, Rollback):
        rejected, serving = result.rejected, result.serving
        return f"v{rejected.version} {rejected.status}, v{serving.version} serves"
    if isinstance(result, list) and all(isinstance(d, Delivery) for d in result):
        return "; ".join(_delivered(d) for d in result) or "no rule matched"
    if isinstance(result, tuple):  # an upsert's changes and diffs
        actions = Counter(change.action for change in result[0])
        return ", ".join(f"{count} {action}" for action, count in sorted(actions.items()))
    if isinstance(result, saved_plans.PlanSummary):
        forgets = f" ?{result.forget}" if result.forget else ""  # no longer managed, left in AWS
        return f"+{result.add} ~{result.change} -{result.destroy}{forgets}"
    if isinstance(result, Emulator):
        return result.endpoint
    if isinstance(result, Path):
        return f"written to {result.name}"
    if isinstance(result, str):
        return result
    return ""


def _delivered(delivery: Delivery) -> str:
    text = f"{delivery.rule}: {delivery.outcome}"
    version = lifecycle.registered_version(delivery.execution) if delivery.execution else None
    if version is not None:
        text += f", registered v{version}"
    if delivery.execution and lifecycle.SERVED in delivery.execution.properties:
        text += f", served v{delivery.execution.properties[lifecycle.SERVED].rsplit('/', 1)[1]}"
    if delivery.execution and delivery.execution.failure_reason:
        text += f", {lifecycle.reason(delivery.execution)}"
    return text


def table(steps: list[Step], width: int = WIDTH) -> str:
    """The steps as columns; a long detail continues on the next lines, broken between words."""
    header = ("step", "where", "status", "seconds", "detail")
    rows = [(s.what, s.where, s.status, f"{s.seconds:.1f}") for s in steps]
    widths = [max(len(row[i]) for row in [header[:4], *rows]) for i in range(4)]
    room = max(width - sum(widths) - 2 * len(widths), 20)
    wrap = textwrap.TextWrapper(room, break_long_words=False, break_on_hyphens=False)
    details = [wrap.wrap(s.detail) or [""] for s in steps]
    widths.append(max([len(header[4]), *(len(line) for d in details for line in d)]))

    def line(cells: tuple[str, ...]) -> str:
        what, where, status, seconds, detail = cells
        fixed = (what.ljust(widths[0]), where.ljust(widths[1]), status.ljust(widths[2]))
        return "  ".join((*fixed, seconds.rjust(widths[3]), detail)).rstrip()

    lines = [line(header), "  ".join("-" * w for w in widths)]
    for row, detail in zip(rows, details, strict=True):
        lines.append(line((*row, detail[0])))
        lines += [line(("", "", "", "", more)) for more in detail[1:]]
    return "\n".join(lines)


def summary(steps: list[Step], seconds: float, retrained: int | None, width: int = WIDTH) -> str:
    """The table, the model version the retraining in prod registered, and the wall time."""
    minutes, rest = divmod(round(seconds), 60)
    total = f"{seconds:.1f} s" + (f" ({minutes} min {rest} s)" if minutes else "")
    version = f"v{retrained}" if retrained is not None else "none registered"
    return "\n".join(
        [
            table(steps, width),
            "",
            f"retrained model version: {version} (the retraining in prod that the failed "
            "inference's event started)",
            f"total wall time: {total}",
        ]
    )


def _deploy(
    env: config.EnvironmentConfig,
    emulator: Emulator,
    steps: list[Step],
    pipelines: bool = False,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Plan, apply exactly that plan and re-plan; for a stage, then upsert its pipelines."""
    where = f"{env.name} ({env.account_id})"
    plan = _timed(steps, "plan", where, lambda: deploy.plan(env, emulator))
    _timed(
        steps,
        "apply saved plan",
        where,
        lambda: deploy.apply(env, emulator, plan.plan_file, progress=progress),
    )
    _replan(env, emulator, steps)
    if pipelines:
        _timed(
            steps,
            "upsert pipelines",
            where,
            lambda: upsert.upsert(env, state_store.workload_platform(env, emulator), emulator),
        )


def _replan(env: config.EnvironmentConfig, emulator: Emulator, steps: list[Step]) -> None:
    """A second plan, which must be empty (marked DRIFT otherwise)."""
    where = f"{env.name} ({env.account_id})"
    again = _timed(steps, "re-plan (expect no changes)", where, lambda: deploy.plan(env, emulator))
    if again.has_changes:
        steps[-1].status = DRIFT


def _width() -> int:
    return min(max(shutil.get_terminal_size((WIDTH, 24)).columns, 100), 120)


def _reconciled(registry: config.EnvironmentConfig, emulator: Emulator) -> str:
    """The governance table, filled by the versions' events alone, agrees with the registry."""
    with operator.acting_as(operator.reader(registry)):
        found = compliance.reconcile(registry, emulator)
    if found:
        raise MlopsError(f"the governance table and the registry disagree: {'; '.join(found)}")
    return "table and registry agree: 0 differences"


def _report(registry: config.EnvironmentConfig, emulator: Emulator) -> Path:
    """The compliance officer's report, read as the governance reader."""
    with operator.acting_as(operator.reader(registry)):
        return compliance.write(registry, emulator, "html")[0]


def _bootstrapped(env: config.EnvironmentConfig, emulator: Emulator) -> str:
    operator.bootstrapped(env, emulator)
    return f"{env.terraform_role_arn} ready (the apply ends in the background)"


def _authorized(emulator: Emulator) -> str:
    """Every request of the run was one IAM allows, each made as its principal: Terraform and the
    model commands as the accounts' Terraform roles (assumed by the CI principal), the upserts
    and starts as the stages' deploy roles, pipeline steps as their pipeline's role, functions
    as theirs, rule targets as theirs (the local AWS refuses anything else; this step shows the
    record it keeps of its decisions)."""
    records = control.authorizations(emulator, policies=False)["records"]
    refused = sorted(
        {
            f"{r['caller']['arn']}: {r['request']['action']} on {r['request']['resource']}"
            for r in records
            if not r["allowed"]
        }
    )
    if refused:
        raise MlopsError(f"IAM would refuse {len(refused)} of the run's requests: {refused[0]}")
    # A role's sessions are one principal (the ARN without the session's name).
    callers = {r["caller"]["arn"].rsplit("/", 1)[0] for r in records}
    return f"{len(records)} requests of {len(callers)} principals allowed, none refused"


def run(
    keep_emulator: bool = False, tfvars_dir: Path | None = None, data: Path | None = None
) -> list[Step]:
    began = time.monotonic()
    steps: list[Step] = []
    outcome: lifecycle.Outcome | None = None
    report: Path | None = None
    configs = [
        config.load(name, tfvars_dir / f"{name}.tfvars.json" if tfvars_dir else None)
        for name in config.ENVIRONMENTS
    ]
    running = control.find()
    if running is not None and target.applied_here("registry", running):
        raise MlopsError(
            f"the local AWS at {running.endpoint} already holds a platform (a demo kept with "
            "--keep, or applies of your own): the demo's lifecycle starts from an empty "
            "registry and would stop at its first promotion; stop it with `mlops local down` "
            "and run the demo again"
        )
    started_here = running is None
    emulator = _timed(steps, "start local AWS", "loopback", control.up)
    try:
        by_name = {env.name: env for env in configs}
        registry = by_name["registry"]
        for env in configs:  # each account bootstrapped for the CI principal, side by side
            operator.start(env, emulator)
        for env in configs:
            _timed(
                steps,
                "bootstrap for the CI principal",
                f"{env.name} ({env.account_id})",
                lambda env=env: _bootstrapped(env, emulator),
            )
        # dev and prod depend on the registry's artifacts key only: each stage's account, state
        # and data folder are its own, so they are deployed side by side, as soon as that key
        # exists, while the registry's apply goes on.
        chains: dict[str, list[Step]] = {name: [] for name in config.ENVIRONMENTS}

        def stages() -> None:
            with ThreadPoolExecutor(len(config.WORKLOAD_ENVIRONMENTS)) as pool:
                runs = [
                    pool.submit(_deploy, by_name[name], emulator, chains[name], True)
                    for name in config.WORKLOAD_ENVIRONMENTS
                ]
            for finished in runs:
                finished.result()  # the first failure, once every chain has ended

        try:
            deploy.registry_then_stages(
                lambda progress: _deploy(registry, emulator, chains["registry"], False, progress),
                stages,
            )
        finally:
            for chain in chains.values():
                steps += chain
        workdir = state_dir() / "runs"
        dev, prod = (lifecycle.stage(by_name[n], emulator, workdir) for n in ("dev", "prod"))
        outcome = lifecycle.run(
            dev,
            prod,
            by_name["registry"],
            emulator,
            lambda what, where, action: _timed(steps, what, where, action),
            data,
        )
        operator.finish(emulator)
        _timed(steps, "authorization record", "local AWS", lambda: _authorized(emulator))
        _timed(
            steps,
            f"governance reconcile, by {operator.reader(registry)}",
            f"registry ({registry.account_id})",
            lambda: _reconciled(registry, emulator),
        )
        report = _timed(
            steps,
            f"governance report, by {operator.reader(registry)}",
            f"registry ({registry.account_id})",
            lambda: _report(registry, emulator),
        )
    finally:
        if started_here and not keep_emulator:
            operator.stop(emulator)
            _timed(steps, "stop local AWS", "loopback", control.down)
        print()
        retrained = lifecycle.retrained_version(outcome.deliveries) if outcome else None
        print(summary(steps, time.monotonic() - began, retrained, _width()))
    if report is not None:
        print(f"governance report: {report} (open it in a browser)")
    drifted = [step.where for step in steps if step.status == DRIFT]
    if drifted:
        raise MlopsError(f"a second plan is not empty (not idempotent) in: {', '.join(drifted)}")
    if keep_emulator:
        print(
            f"\nlocal AWS kept running at {emulator.endpoint}: `mlops local env` prints the "
            "exports for boto3 and the aws CLI; `mlops local down` stops it"
        )
    return steps
