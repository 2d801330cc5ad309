"""The main job on the embedded local AWS: three accounts, the whole platform applied in order.

Start the emulator, validate every environment's tfvars, then plan and apply registry, dev and
prod (each plan saved and exactly that plan applied), prove a second plan is empty, upsert the
pipelines of dev and prod, and print a summary. The emulator is stopped at the end unless
asked to keep it for exploration.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from glue import config, deploy, lifecycle
from glue.emulator import control
from glue.emulator.control import Emulator
from glue.errors import MlopsError
from glue.events import Delivery
from glue.pipelines import upsert
from glue.registry import ModelVersion
from glue.runner import Execution
from glue.settings import state_dir

T = TypeVar("T")


@dataclass
class Step:
    what: str
    where: str
    status: str
    seconds: float
    detail: str = ""


def _timed(steps: list[Step], what: str, where: str, action: Callable[[], T]) -> T:
    print(f"... {what} [{where}]", flush=True)
    started = time.monotonic()
    try:
        result = action()
    except Exception:
        steps.append(Step(what, where, "FAILED", time.monotonic() - started))
        raise
    steps.append(Step(what, where, "ok", time.monotonic() - started, _describe(result)))
    return result


def _describe(result: object) -> str:
    if isinstance(result, Execution):
        return lifecycle.describe(result)
    if isinstance(result, ModelVersion):
        return f"v{result.version} {result.status}"
    if isinstance(result, list) and all(isinstance(d, Delivery) for d in result):
        return "; ".join(f"{d.rule}: {d.outcome}" for d in result) or "no rule matched"
    if isinstance(result, tuple):  # an upsert's changes and diffs
        actions = Counter(change.action for change in result[0])
        return ", ".join(f"{count} {action}" for action, count in sorted(actions.items()))
    if isinstance(result, deploy.PlanSummary):
        return f"+{result.add} ~{result.change} -{result.destroy}"
    if isinstance(result, Emulator):
        return result.endpoint
    return ""


def _table(steps: list[Step]) -> str:
    rows = [("step", "where", "status", "seconds", "detail")]
    rows += [(s.what, s.where, s.status, f"{s.seconds:.1f}", s.detail) for s in steps]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def run(
    keep_emulator: bool = False, tfvars_dir: Path | None = None, data: Path | None = None
) -> list[Step]:
    steps: list[Step] = []
    configs = [
        config.load(name, tfvars_dir / f"{name}.tfvars.json" if tfvars_dir else None)
        for name in config.ENVIRONMENTS
    ]
    started_here = control.find() is None
    emulator = _timed(steps, "start local AWS", "loopback", control.up)
    try:
        for env in configs:
            where = f"{env.name} ({env.account_id})"
            plan = _timed(steps, "plan", where, lambda env=env: deploy.plan(env, emulator))
            _timed(
                steps,
                "apply saved plan",
                where,
                lambda env=env, plan=plan: deploy.apply(env, emulator, plan.plan_file),
            )
        for env in configs:
            where = f"{env.name} ({env.account_id})"
            again = _timed(
                steps,
                "re-plan (expect no changes)",
                where,
                lambda env=env: deploy.plan(env, emulator),
            )
            if again.has_changes:
                steps[-1].status = "DRIFT"
        for env in configs:
            if env.name in config.WORKLOAD_ENVIRONMENTS:
                where = f"{env.name} ({env.account_id})"
                _timed(
                    steps,
                    "upsert pipelines",
                    where,
                    lambda env=env: upsert.upsert(env, deploy.outputs(env, emulator), emulator),
                )
        by_name = {env.name: env for env in configs}
        workdir = state_dir() / "runs"
        dev, prod = (lifecycle.stage(by_name[n], emulator, workdir) for n in ("dev", "prod"))
        lifecycle.run(
            dev,
            prod,
            by_name["registry"],
            emulator,
            lambda what, where, action: _timed(steps, what, where, action),
            data,
        )
    finally:
        if started_here and not keep_emulator:
            _timed(steps, "stop local AWS", "loopback", control.down)
        print()
        print(_table(steps))
    drifted = [step.where for step in steps if step.status == "DRIFT"]
    if drifted:
        raise MlopsError(f"a second plan is not empty (not idempotent) in: {', '.join(drifted)}")
    if keep_emulator:
        print(
            f"\nlocal AWS kept running at {emulator.endpoint}: `mlops local env` prints the "
            "exports for boto3 and the aws CLI; `mlops local down` stops it"
        )
    return steps
