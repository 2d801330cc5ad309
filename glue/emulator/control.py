"""Start, find and stop the local AWS emulator process.

The emulator's pid and port live in `<state dir>/emulator.json`; every command that talks to the
local AWS reads the endpoint from there, so the port is whatever was free at `up` time.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from glue.errors import MlopsError
from glue.settings import state_dir

START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Emulator:
    pid: int
    host: str
    port: int

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"


def _state_file() -> Path:
    return state_dir() / "emulator.json"


def _log_file() -> Path:
    return state_dir() / "emulator.log"


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _alive(pid: int) -> bool:
    """Alive and not a zombie child of ours."""
    _reap(pid)
    return process_alive(pid)


def _answers(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2):
            return True
    except (urllib.error.URLError, OSError):
        return False


def find() -> Emulator | None:
    """The running emulator of this state directory, or None (a stale state file is removed)."""
    try:
        state = json.loads(_state_file().read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    emulator = Emulator(pid=state["pid"], host=state["host"], port=state["port"])
    if _alive(emulator.pid):
        return emulator
    _state_file().unlink(missing_ok=True)
    return None


def require() -> Emulator:
    emulator = find()
    if emulator is None:
        raise MlopsError("the local AWS emulator is not running: start it with `mlops local up`")
    return emulator


def up(port: int = 0, watch_pid: int | None = None) -> Emulator:
    """Start the emulator (port 0: any free port); return the running one if already up."""
    running = find()
    if running is not None:
        if port and running.port != port:
            raise MlopsError(
                f"the local AWS emulator already runs on port {running.port}, not {port}: "
                "stop it first with `mlops local down`"
            )
        return running
    state_dir().mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "glue.emulator.server", "--state-file", str(_state_file())]
    command += ["--port", str(port)]
    if watch_pid is not None:
        command += ["--watch-pid", str(watch_pid)]
    with _log_file().open("w") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            last_line = (_log_file().read_text().strip().splitlines() or ["no output"])[-1]
            raise MlopsError(f"the local AWS emulator did not start: {last_line}")
        emulator = find()
        if emulator is not None and _answers(emulator.endpoint):
            return emulator
        time.sleep(0.1)
    process.kill()
    raise MlopsError(
        f"the local AWS emulator did not answer within {START_TIMEOUT_SECONDS:.0f}s; "
        f"see {_log_file()}"
    )


def down() -> Emulator | None:
    """Stop the emulator; return what was stopped (None when nothing ran)."""
    emulator = find()
    if emulator is None:
        return None
    os.kill(emulator.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while _alive(emulator.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(emulator.pid):
        os.kill(emulator.pid, signal.SIGKILL)
    _state_file().unlink(missing_ok=True)
    return emulator


def _reap(pid: int) -> None:
    """Collect the exit status when the emulator is our own child, so it is not a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
