"""Benchmark: wall time of the test suite, each environment's plan and apply, and the demo
(its peak memory and the AUC it registers, on the UCI data when it is beside the project).

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

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "latest.json"
UCI_DATA = ROOT.parent / "shared" / "data" / "mammographic_masses.csv"


def _timed_command(*command: str, env: dict[str, str] | None = None) -> dict:
    started = time.monotonic()
    result = subprocess.run(
        command, cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True
    )
    seconds = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(
            f"benchmark: {' '.join(command)} failed:\n{result.stdout[-3000:]}"
            f"{result.stderr[-3000:]}"
        )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "seconds": round(seconds, 1),
        "peak_child_rss_mib": round(peak / 1024),
        "stdout": result.stdout,
    }


def _environments(state: Path) -> dict:
    os.environ["MLOPS_STATE_DIR"] = str(state)
    from glue import config, deploy
    from glue.emulator import control

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
            }
    finally:
        control.down()
    return timings


def _demo(state: Path) -> dict:
    """The demo on the UCI data when it is beside the project, else on the generated sample."""
    command = [str(ROOT / ".venv/bin/mlops"), "demo"]
    if UCI_DATA.is_file():
        command += ["--data", str(UCI_DATA)]
    measured = _timed_command(*command, env={"MLOPS_STATE_DIR": str(state)})
    output = measured.pop("stdout")
    measured["data"] = str(UCI_DATA) if UCI_DATA.is_file() else "generated sample"
    measured["registered_auc"] = [float(a) for a in re.findall(r"AUC (\d\.\d+)", output)]
    return measured


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        results = {
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "environments": _environments(Path(scratch) / "environments"),
            "demo": _demo(Path(scratch) / "demo"),
            "test_suite": {
                key: value
                for key, value in _timed_command(
                    str(ROOT / ".venv/bin/pytest"), "-q", "-p", "no:cacheprovider"
                ).items()
                if key != "stdout"
            },
        }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
