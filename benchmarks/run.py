"""Benchmark: wall and CPU time of the test suite, each environment's plan and apply, and the demo
(its peak memory and the AUC it registers, on the UCI data when it is beside the project).
The demo and the suite also run with the local AWS's strict request checks off
(MLOPS_EMULATOR_STRICT) and with its authorization off (MLOPS_EMULATOR_IAM), and the cost of
each layer is reported as a share of each.

Run with `make benchmark` (not part of the test suite). Prints a table and writes
benchmarks/latest.json. Uses its own state directory and emulator, so it does not disturb a
running `mlops local up`.
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from glue.local.emulator.control import AUTHORIZATION_ENV
from glue.local.emulator.strict_requests import STRICT_ENV

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "latest.json"
UCI_DATA = ROOT.parent / "shared" / "data" / "mammographic_masses.csv"


def _timed_command(
    *command: str, env: dict[str, str] | None = None, must_pass: bool = True
) -> dict:
    started = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        command, cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True
    )
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0 and must_pass:
        sys.exit(
            f"benchmark: {' '.join(command)} failed:\n{result.stdout[-3000:]}"
            f"{result.stderr[-3000:]}"
        )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # The CPU time of the command and of every process it waited for (the kernel's accounting
    # of reaped children: pytest's workers, Terraform, the emulators, the step scripts).
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "peak_child_rss_mib": round(peak / 1024),
        "stdout": result.stdout,
    }


def plan_against_bare_terraform(env, emulator, scratch: Path, pairs: int = 3) -> dict:
    """`mlops plan` (state bucket check, init when needed, plan, stamp) against a bare
    `terraform plan -out` of the same root, initialized, in alternating pairs: medians and
    ratio."""
    from statistics import median

    from glue import deploy

    deploy.plan(env, emulator, scratch / f"{env.name}.warm.tfplan")  # both sides start warm
    mlops_seconds, bare_seconds = [], []
    inputs = [f"-var-file={var_file}" for var_file in deploy.var_files(env)]
    for _ in range(pairs):
        started = time.monotonic()
        deploy.plan(env, emulator, scratch / f"{env.name}.mlops.tfplan")
        mlops_seconds.append(time.monotonic() - started)
        started = time.monotonic()
        bare = scratch / f"{env.name}.bare.tfplan"
        deploy.runner(env, emulator).run("plan", "-input=false", f"-out={bare}", *inputs)
        bare_seconds.append(time.monotonic() - started)
    return {
        "mlops_plan_seconds": round(median(mlops_seconds), 2),
        "bare_terraform_plan_seconds": round(median(bare_seconds), 2),
        "ratio": round(median(mlops_seconds) / median(bare_seconds), 2),
    }


def model_command_seconds(environment: str, runs: int = 3) -> dict:
    """`mlops models list` as a user runs it (a new process), median of `runs`; with no
    Terraform to be found, so a run that needed it would fail the benchmark."""
    from statistics import median

    seconds = [
        _timed_command(
            str(ROOT / ".venv/bin/mlops"),
            "models",
            "list",
            "--env",
            environment,
            env={"MLOPS_TERRAFORM": "/nonexistent"},
        )["seconds"]
        for _ in range(runs)
    ]
    return {"command": f"mlops models list --env {environment}", "seconds": median(seconds)}


def _environments(state: Path) -> dict:
    os.environ["MLOPS_STATE_DIR"] = str(state)
    from glue import config, deploy
    from glue.local.emulator import control

    emulator = control.up()
    timings = {}
    try:
        for name in config.ENVIRONMENTS:
            env = config.load(name)
            started = time.monotonic()
            plan = deploy.plan(env, emulator)
            planned = time.monotonic()
            deploy.apply(env, emulator, plan.plan_file)
            applied = time.monotonic()
            deploy.plan(env, emulator)
            replanned = time.monotonic()
            timings[name] = {
                "plan_seconds": round(planned - started, 1),
                "apply_seconds": round(applied - planned, 1),
                "second_plan_seconds": round(replanned - applied, 1),
                "plan_against_bare_terraform": plan_against_bare_terraform(env, emulator, state),
            }
        timings["dev"]["model_command"] = model_command_seconds("dev")
    finally:
        control.down()
    return timings


def _layers(strict: bool, authorization: bool) -> dict[str, str]:
    """The local AWS's layers: each as it is by default, or off."""
    return {
        **({} if strict else {STRICT_ENV: "0"}),
        **({} if authorization else {AUTHORIZATION_ENV: "0"}),
    }


def _demo(state: Path, strict: bool = True, authorization: bool = True) -> dict:
    """The demo on the UCI data when it is beside the project, else on the generated sample."""
    command = [str(ROOT / ".venv/bin/mlops"), "demo"]
    if UCI_DATA.is_file():
        command += ["--data", str(UCI_DATA)]
    measured = _timed_command(
        *command, env={"MLOPS_STATE_DIR": str(state), **_layers(strict, authorization)}
    )
    output = measured.pop("stdout")
    # Named relative to the project: the recorded figures name no path of the machine.
    measured["data"] = (
        str(UCI_DATA.relative_to(ROOT.parent).as_posix())
        if UCI_DATA.is_file()
        else "generated sample"
    )
    measured["registered_auc"] = [float(a) for a in re.findall(r"AUC (\d\.\d+)", output)]
    return measured


def _suite(strict: bool = True, authorization: bool = True) -> dict:
    """`make test`, warm (lint, then the suite in its parallel workers), as CI runs it; without
    a layer the tests that prove its refusals fail (as they should), so that run is timed, not
    required to pass."""
    measured = _timed_command(
        "make",
        "test",
        "PYTEST_ARGS=-q -p no:cacheprovider",
        env=_layers(strict, authorization),
        must_pass=strict and authorization,
    )
    outcome = re.findall(r"^(?:\d+ (?:failed|passed)[^\n]*) in ", measured.pop("stdout"), re.M)
    return {**measured, "outcome": outcome[-1].removesuffix(" in ") if outcome else "?"}


def _overhead(strict: dict, lenient: dict) -> dict:
    return {
        "seconds_without": lenient["seconds"],
        "percent": round(100 * (strict["seconds"] - lenient["seconds"]) / lenient["seconds"], 1),
    }


# The budgets of DEVELOPERS.md and issue 12, checked against what was just measured.
BUDGETS = {
    "make test (s)": 300,
    "demo (s)": 120,
    "mlops plan / bare terraform plan": 1.3,
    "model command (s)": 1.0,
}


def _budgets(environments: dict, demo: dict, suite: dict) -> dict:
    measured = {
        "make test (s)": suite["seconds"],
        "demo (s)": demo["seconds"],
        "mlops plan / bare terraform plan": max(
            e["plan_against_bare_terraform"]["ratio"] for e in environments.values()
        ),
        "model command (s)": environments["dev"]["model_command"]["seconds"],
    }
    return {
        name: {"budget": budget, "measured": measured[name], "within": measured[name] <= budget}
        for name, budget in BUDGETS.items()
    }


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        demo = _demo(Path(scratch) / "demo")
        demo_lenient = _demo(Path(scratch) / "demo-lenient", strict=False)
        demo_unauthorized = _demo(Path(scratch) / "demo-unauthorized", authorization=False)
        suite = _suite()
        suite_lenient = _suite(strict=False)
        suite_unauthorized = _suite(authorization=False)
        environments = _environments(Path(scratch) / "environments")
        results = {
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "budgets": _budgets(environments, demo, suite),
            "environments": environments,
            "demo": demo,
            "test_suite": suite,
            "strict_requests_cost": {
                "demo": _overhead(demo, demo_lenient),
                "test_suite": _overhead(suite, suite_lenient),
            },
            # Authorization is enforced everywhere: the demo, the suite, the walkthrough.
            "authorization_cost": {
                "demo": _overhead(demo, demo_unauthorized),
                "test_suite": _overhead(suite, suite_unauthorized),
            },
        }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
