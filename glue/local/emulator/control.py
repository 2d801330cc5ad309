"""Start, find and stop the local AWS emulator process.

The emulator's pid, port and instance id live in `<state dir>/emulator.json`; every command that
talks to the local AWS reads the endpoint from there, so the port is whatever was free at `up`
time. The file is trusted only as far as it is proven: the pid must run this project's server for
this state file, and the endpoint must answer the instance id the file names. So a stale file
(after a reboot, or a pid reused by another program) never gets an unrelated process signalled.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from glue.errors import MlopsError
from glue.files import locked
from glue.local.target import Emulator
from glue.settings import state_dir

START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
SETTLE_SECONDS = 3.0
SERVER_MODULE = "glue.local.emulator.server"
# "_" is not allowed in an S3 bucket name, so no path-style S3 request can mean this path.
INSTANCE_PATH = "/_mlops/instance"
# The events the emulator's SageMaker emitted, taken by POST (glue/local/emulator/sagemaker_events)
EVENTS_PATH = "/_mlops/events"
# The authorization decisions (GET) and new root keys of an account (POST): see authorization.py
AUTHORIZATIONS_PATH = "/_mlops/authorizations"
ROOT_CREDENTIALS_PATH = "/_mlops/root-credentials"
SERVICE_CREDENTIALS_PATH = "/_mlops/service-credentials"
# A monitoring execution the local scheduler ran, recorded by POST (sagemaker_monitoring.py)
MONITORING_EXECUTIONS_PATH = "/_mlops/monitoring-executions"
# How the emulator authorizes requests: "enforce" (refuses what IAM would; the default), "audit"
# (records the decisions, refuses nothing), "off". Read by the server from its environment.
AUTHORIZATION_ENV = "MLOPS_EMULATOR_IAM"


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


# What reading the emulator's answer raises when nothing (or not all of it) comes back: no
# server (URLError is an OSError), a reset or timeout, an answer that is not its JSON, or a
# server stopping itself in the middle of its answer (http.client's IncompleteRead).
UNANSWERED = (OSError, ValueError, http.client.HTTPException)


def answered_instance(endpoint: str) -> str | None:
    """The instance id the emulator at the endpoint answers, or None when nothing answers."""
    try:
        with urllib.request.urlopen(f"{endpoint}{INSTANCE_PATH}", timeout=2) as answer:
            instance = json.loads(answer.read()).get("instance")
    except (*UNANSWERED, AttributeError):
        return None
    return instance if isinstance(instance, str) else None


def take_emitted_events(emulator: Emulator) -> list[dict]:
    """The events the emulator emitted since they were last taken, oldest first."""
    request = urllib.request.Request(f"{emulator.endpoint}{EVENTS_PATH}", method="POST", data=b"")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())["events"]
    except (*UNANSWERED, KeyError) as error:
        raise MlopsError(
            f"the local AWS emulator at {emulator.endpoint} did not hand over its events "
            f"({error}): restart it with `mlops local down` then `mlops local up`"
        ) from None


def as_variables(credentials: Mapping[str, str]) -> dict[str, str]:
    """Credentials as STS answers them (AccessKeyId, SecretAccessKey, SessionToken when a
    session's), as environment variables."""
    names = {
        "AccessKeyId": "AWS_ACCESS_KEY_ID",
        "SecretAccessKey": "AWS_SECRET_ACCESS_KEY",
        "SessionToken": "AWS_SESSION_TOKEN",
    }
    return {variable: credentials[key] for key, variable in names.items() if key in credentials}


def _control(
    emulator: Emulator, path: str, method: str, refused: str | None = None, body: bytes = b""
) -> dict:
    """The JSON the emulator answers on one of its control paths (a POST sends `body`); a
    refusal it explains (an HTTP error with {"error": ...}) is `refused: why`, when the caller
    says what was refused."""
    request = urllib.request.Request(
        f"{emulator.endpoint}{path}", method=method, data=body if method == "POST" else None
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as error:
        if refused is None:
            raise _unanswered(emulator, path, error) from None
        try:
            reason = json.loads(error.read() or b"{}").get("error", str(error))
        except ValueError:  # not the emulator's own answer
            reason = str(error)
        raise MlopsError(f"{refused}: {reason}") from None
    except UNANSWERED as error:
        raise _unanswered(emulator, path, error) from None


def _unanswered(emulator: Emulator, path: str, error: Exception) -> MlopsError:
    return MlopsError(
        f"the local AWS emulator at {emulator.endpoint} did not answer {path} ({error}): "
        "restart it with `mlops local down` then `mlops local up`"
    )


def authorizations(emulator: Emulator, since: int = 0, policies: bool = True) -> dict:
    """The emulator's authorization decisions from the since-th on: {"records", "policies",
    "next"} (authorization.taken; without the policies unless `policies`)."""
    query = f"since={since}&policies={int(policies)}"
    return _control(emulator, f"{AUTHORIZATIONS_PATH}?{query}", "GET")


def root_credentials(emulator: Emulator, account_id: str) -> dict[str, str]:
    """New access keys of the account's root user, as environment variables."""
    return as_variables(_control(emulator, f"{ROOT_CREDENTIALS_PATH}?account={account_id}", "POST"))


def service_credentials(
    emulator: Emulator,
    service: str,
    role_arn: str,
    session_name: str,
    source_arn: str | None = None,
) -> dict[str, str]:
    """A role's credentials as the service it is handed to gets them (refused unless the role's
    trust admits the service, for the resource `source_arn` when given): what the local
    stand-ins for SageMaker, Lambda and EventBridge act with."""
    asked = {"service": service, "role": role_arn, "session": session_name}
    query = urllib.parse.urlencode(asked | ({"source_arn": source_arn} if source_arn else {}))
    return as_variables(
        _control(
            emulator,
            f"{SERVICE_CREDENTIALS_PATH}?{query}",
            "POST",
            refused=f"{service} cannot act as {role_arn}",
        )
    )


def record_monitoring_execution(
    emulator: Emulator, account: str, region: str, summary: Mapping[str, Any]
) -> None:
    """Record a monitoring execution the local scheduler ran (a MonitoringExecutionSummary of
    one of the account's schedules; ScheduledTime in ISO 8601)."""
    body = json.dumps({"account": account, "region": region, "summary": dict(summary)})
    _control(
        emulator,
        MONITORING_EXECUTIONS_PATH,
        "POST",
        refused=f"the execution of {summary.get('MonitoringScheduleName')} is not recorded",
        body=body.encode(),
    )


def service_principal_credentials(
    emulator: Emulator, service: str, account: str, source_arn: str
) -> dict[str, str]:
    """Keys of a service acting as itself in `account` for the resource `source_arn` (an
    EventBridge rule delivering to a topic, function or queue): allowed only where that
    resource's policy names the service."""
    query = urllib.parse.urlencode(
        {"service": service, "account": account, "source_arn": source_arn}
    )
    return as_variables(_control(emulator, f"{SERVICE_CREDENTIALS_PATH}?{query}", "POST"))


def _arguments(pid: int) -> list[str]:
    """The process's arguments ([] when they cannot be read), from /proc, else from ps (macOS,
    where an argument holding a space cannot be told apart from two)."""
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        return subprocess.run(
            ["ps", "-o", "args=", "-p", str(pid)], capture_output=True, text=True, timeout=5
        ).stdout.split()
    return []


def _server_command(port: int, watch_pid: int | None) -> list[str]:
    command = [sys.executable, "-m", SERVER_MODULE, "--state-file", str(_state_file())]
    command += ["--port", str(port)]
    if watch_pid is not None:
        command += ["--watch-pid", str(watch_pid)]
    return command


def _is_our_server(pid: int) -> bool:
    """Is the pid this project's emulator server, started by `up` for this state file?"""
    # Argument by argument: a command line that merely mentions both (an editor, a grep) is not.
    return _arguments(pid)[1:5] == _server_command(0, None)[1:5]


def _recorded() -> Emulator | None:
    """What emulator.json says, or None when there is none or it is not what `up` writes."""
    try:
        state = json.loads(_state_file().read_text())
        emulator = Emulator(
            pid=state["pid"], host=state["host"], port=state["port"], instance=state["instance"]
        )
        types = (emulator.pid, int), (emulator.port, int), (emulator.host, str)
        if not all(isinstance(value, kind) for value, kind in (*types, (emulator.instance, str))):
            raise TypeError("emulator.json holds values of the wrong type")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError):
        raise MlopsError(
            f"{_state_file()} is not an emulator state file written by `mlops local up`: "
            "delete it (stop any emulator it belonged to by hand), then `mlops local up`"
        ) from None
    return emulator


def find() -> Emulator | None:
    """The running emulator of this state directory, proven by its process and its answer.

    None when nothing runs; a state file naming a process that is not this emulator is stale and
    removed (the process is left alone).
    """
    emulator = _recorded()
    if emulator is None:
        return None
    # A server that is starting or stopping answers nothing for a moment: give it that moment.
    deadline = time.monotonic() + SETTLE_SECONDS
    while _alive(emulator.pid) and _is_our_server(emulator.pid):
        if answered_instance(emulator.endpoint) == emulator.instance:
            return emulator
        if time.monotonic() > deadline:
            raise MlopsError(
                f"the local AWS emulator (pid {emulator.pid}) does not answer at "
                f"{emulator.endpoint} as instance {emulator.instance}: restart it with "
                "`mlops local down` then `mlops local up`"
            )
        time.sleep(0.1)
    _state_file().unlink(missing_ok=True)
    return None


def require() -> Emulator:
    emulator = find()
    if emulator is None:
        raise MlopsError("the local AWS emulator is not running: start it with `mlops local up`")
    return emulator


def up(port: int = 0, watch_pid: int | None = None) -> Emulator:
    """Start the emulator (port 0: any free port); return the running one if already up. It
    authorizes every request as IAM would, unless MLOPS_EMULATOR_IAM says otherwise. Two
    starts at once start one: the second waits for the first and returns its emulator."""
    state_dir().mkdir(parents=True, exist_ok=True)
    with locked(state_dir() / "emulator.lock"):
        return _up(port, watch_pid)


def _up(port: int, watch_pid: int | None) -> Emulator:
    running = find()
    if running is not None:
        if port and running.port != port:
            raise MlopsError(
                f"the local AWS emulator already runs on port {running.port}, not {port}: "
                "stop it first with `mlops local down`"
            )
        return running
    command = _server_command(port, watch_pid)
    with _log_file().open("w") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            last_line = (_log_file().read_text().strip().splitlines() or ["no output"])[-1]
            raise MlopsError(f"the local AWS emulator did not start: {last_line}")
        emulator = _recorded()
        if emulator is not None and answered_instance(emulator.endpoint) == emulator.instance:
            return emulator
        time.sleep(0.1)
    process.kill()
    raise MlopsError(
        f"the local AWS emulator did not answer within {START_TIMEOUT_SECONDS:.0f}s; "
        f"see {_log_file()}"
    )


def down() -> Emulator | None:
    """Stop the emulator; return what was stopped (None when nothing ran).

    Only a process proven to be this state directory's emulator server is signalled; one that
    stopped answering is still stopped, since its command line names this state file.
    """
    emulator = _recorded()
    if emulator is None:
        return None
    if not (_alive(emulator.pid) and _is_our_server(emulator.pid)):
        _state_file().unlink(missing_ok=True)
        return None
    os.kill(emulator.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while _alive(emulator.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(emulator.pid) and _is_our_server(emulator.pid):
        os.kill(emulator.pid, signal.SIGKILL)
    _state_file().unlink(missing_ok=True)
    return emulator


def _reap(pid: int) -> None:
    """Collect the exit status when the emulator is our own child, so it is not a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
