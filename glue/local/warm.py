"""Programs the local AWS runs (step scripts, Lambda handlers), forked from a warm interpreter.

A processing step is a container's `python3 script.py ...`, a Lambda invocation a handler in an
execution environment: each runs here in a process of its own, with its own arguments,
environment, working folder and output, and its exit status decides. Starting a fresh
interpreter for each cost more than the work: importing pandas, scikit-learn, xgboost or boto3
takes seconds of CPU, most of what a step spent here. So each program is forked from one
interpreter that imported them once (Python's forkserver, started at the first program), as a
warm container or Lambda environment already holds its runtime. What a script may import is
still its image's business: `glue.steps.images` checks that, from the source, before it runs.

Where a forked program differs from `python3 script`: it ends with os._exit, so atexit handlers
do not run; an uncaught exception's traceback on stderr follows a "Process ..." line (its last
line, what callers report, is Python's); sys.path holds this process's entries after the
script's folder. The step scripts and handlers here depend on none of these.
"""

from __future__ import annotations

import multiprocessing
import os
import runpy
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

PRELOADED = ["pandas", "sklearn.metrics", "xgboost", "boto3"]

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(PRELOADED)
# One program at a time: starting a process reaps the others' exit statuses (multiprocessing's
# _cleanup), which can race another thread's join and lose a status.
_ONE_AT_A_TIME = threading.Lock()


@dataclass(frozen=True)
class Finished:
    returncode: int | None  # None: killed at its timeout
    stdout: str
    stderr: str


def run(
    script: Path,
    arguments: list[str],
    *,
    environment: dict[str, str] | None = None,
    cwd: Path | None = None,
    stdin: str = "",
    search_path: list[str] | None = None,
    timeout: float | None = None,
) -> Finished:
    """`python3 script arguments...`: in `cwd`, with exactly `environment` (default: this
    process's), `stdin` as its input and `search_path` before the script's folder on sys.path."""
    with _ONE_AT_A_TIME, tempfile.TemporaryDirectory(prefix="mlops-program-") as scratch:
        streams = {name: Path(scratch) / name for name in ("stdin", "stdout", "stderr")}
        for name, path in streams.items():
            path.write_text(stdin if name == "stdin" else "")
        process = _CONTEXT.Process(
            target=_program,
            args=(
                str(script),
                list(arguments),
                dict(os.environ if environment is None else environment),
                str(cwd or Path.cwd()),
                list(search_path or []),
                {name: str(path) for name, path in streams.items()},
            ),
        )
        process.start()
        process.join(timeout)
        if process.is_alive():
            process.kill()
            process.join()
            returncode = None
        else:
            returncode = process.exitcode
        return Finished(
            returncode,
            streams["stdout"].read_text(errors="replace"),
            streams["stderr"].read_text(errors="replace"),
        )


def _program(
    script: str,
    arguments: list[str],
    environment: dict[str, str],
    cwd: str,
    search_path: list[str],
    streams: dict[str, str],
) -> None:
    """In the forked process: become `python3 script arguments...` and run it. An exception or
    sys.exit ends the process as it would end Python (traceback on stderr, exit status)."""
    for descriptor, (name, mode) in enumerate((("stdin", "r"), ("stdout", "w"), ("stderr", "w"))):
        with open(streams[name], mode) as stream:
            os.dup2(stream.fileno(), descriptor)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the process's own stdin, never closed
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(environment)
    sys.argv = [script, *arguments]
    sys.path[:0] = [*search_path, str(Path(script).parent)]
    runpy.run_path(script, run_name="__main__")
