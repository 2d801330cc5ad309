"""The emulator process: moto's server on loopback, extended with the operations it lacks.

Run as `python -m glue.local.emulator.server --state-file F [--port N] [--watch-pid P]`. Once the
socket is bound it writes {"pid", "host", "port", "instance"} to the state file, so a port of 0
(pick a free one) has no race between choosing and binding. The instance id is new at every
start and answered on `GET /_mlops/instance`: it proves a pid is this emulator (not a process
that reused the pid) and tells commands that the in-memory state they knew is gone. With
--watch-pid it exits when that process is gone, so a test run that is killed never leaves a
server behind. It also exits when its state file is gone or names another instance (the state
folder deleted, `make clean`): no command could find it to stop it any more.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import parse_qs

from moto.sagemaker.exceptions import ResourceNotFound

from glue.local.emulator import (
    authorization,
    decisions,
    events_extensions,
    kms_extensions,
    lambda_extensions,
    principals,
    retries,
    s3_extensions,
    sagemaker_cross_account,
    sagemaker_endpoints,
    sagemaker_events,
    sagemaker_extensions,
    sagemaker_monitoring,
    sagemaker_runtime,
    strict_requests,
    sts_extensions,
)
from glue.local.emulator.control import (
    AUTHORIZATIONS_PATH,
    INSTANCE_PATH,
    MONITORING_EXECUTIONS_PATH,
    ROOT_CREDENTIALS_PATH,
    SERVICE_CREDENTIALS_PATH,
    process_alive,
)

HOST = "127.0.0.1"


def answering_instance(app: Callable, instance: str) -> Callable:
    """The WSGI app, plus the control endpoints: this process's instance id, the events
    SageMaker emitted since they were last taken (POST: taking empties the outbox), the
    authorization decisions made (GET, `?since=N`), and new root access keys of an account
    (POST, `?account=N`: the local accounts' only way in before anyone is made in them), and a
    role's credentials as a service gets them (POST, `?service=S&role=ARN&session=NAME`), or a
    service's own keys in an account, acting for a resource (POST,
    `?service=S&account=N&source_arn=ARN`), and the record of a monitoring execution the local
    scheduler ran (POST, sagemaker_monitoring.record_execution)."""

    def wsgi(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if path == INSTANCE_PATH:
            answer: object = {"instance": instance}
        elif path == sagemaker_events.EVENTS_PATH and environ.get("REQUEST_METHOD") == "POST":
            answer = {"events": sagemaker_events.take()}
        elif path == MONITORING_EXECUTIONS_PATH and environ.get("REQUEST_METHOD") == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            try:
                answer = sagemaker_monitoring.record_execution(environ["wsgi.input"].read(size))
            except (KeyError, ValueError, ResourceNotFound) as error:
                start_response("400 Bad Request", [("Content-Type", "application/json")])
                return [json.dumps({"error": f"not recorded: {error}"}).encode()]
        elif path == AUTHORIZATIONS_PATH:
            query = parse_qs(environ.get("QUERY_STRING", ""))
            since = query.get("since", ["0"])[0]
            answer = decisions.taken(
                int(since) if since.isdigit() else 0, query.get("policies", ["1"])[0] != "0"
            )
        elif path == ROOT_CREDENTIALS_PATH and environ.get("REQUEST_METHOD") == "POST":
            account = parse_qs(environ.get("QUERY_STRING", "")).get("account", [""])[0]
            if not (account.isdigit() and len(account) == 12):
                start_response("400 Bad Request", [("Content-Type", "application/json")])
                return [b'{"error": "account must be 12 digits"}']
            answer = principals.new_root_key(account)
        elif path == SERVICE_CREDENTIALS_PATH and environ.get("REQUEST_METHOD") == "POST":
            asked = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            try:
                if "role" in asked:
                    answer = principals.service_credentials(
                        asked["service"], asked["role"], asked["session"], asked.get("source_arn")
                    )
                else:
                    account = asked["account"]
                    if not (account.isdigit() and len(account) == 12):
                        raise KeyError("account (12 digits)")
                    answer = principals.service_principal_key(
                        asked["service"], account, asked["source_arn"]
                    )
            except (KeyError, IndexError) as error:
                start_response("400 Bad Request", [("Content-Type", "application/json")])
                return [json.dumps({"error": f"missing {error}"}).encode()]
            except principals.ServiceNotTrusted as error:
                start_response("403 Forbidden", [("Content-Type", "application/json")])
                return [json.dumps({"error": str(error)}).encode()]
        else:
            return app(environ, start_response)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(answer).encode()]

    return wsgi


def _write_state(state_file: Path, port: int, instance: str) -> None:
    state = {"pid": os.getpid(), "host": HOST, "port": port, "instance": instance}
    temporary = state_file.with_suffix(".tmp")
    temporary.write_text(json.dumps(state))
    temporary.replace(state_file)


def _still_recorded(state_file: Path, instance: str) -> bool:
    """Whether the state file still names this run (written whole, so never read half)."""
    try:
        return json.loads(state_file.read_text()).get("instance") == instance
    except (OSError, ValueError, AttributeError):
        return False


def serve(state_file: Path, port: int, watch_pid: int | None) -> int:
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    try:
        authorization.mode()  # an unknown MLOPS_EMULATOR_IAM stops the start, in one line
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    sagemaker_extensions.install()
    sagemaker_endpoints.install()
    sagemaker_monitoring.install()
    sagemaker_runtime.install()
    sagemaker_cross_account.install()
    sagemaker_events.install()
    sagemaker_extensions.install_client_tokens()
    s3_extensions.install()
    events_extensions.install()
    lambda_extensions.install()
    kms_extensions.install()
    sts_extensions.install()
    instance = uuid.uuid4().hex
    # Bound here, in the main thread, so a port in use is an error we can report.
    try:
        server = make_server(
            HOST,
            port,
            answering_instance(
                retries.replaying_retries(
                    DomainDispatcherApplication(
                        strict_requests.strict_backend_app(create_backend_app)
                    )
                ),
                instance,
            ),
            threaded=True,
            request_handler=MotoRequestHandler,
        )
    except (OSError, SystemExit) as error:
        print(f"port {HOST}:{port} is already in use ({error})", file=sys.stderr)
        return 2
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _write_state(state_file, server.server_address[1], instance)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.5):
        if watch_pid is not None and not process_alive(watch_pid):
            break
        if not _still_recorded(state_file, instance):
            break
    server.shutdown()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m glue.local.emulator.server")
    parser.add_argument("--state-file", type=Path, required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--watch-pid", type=int)
    args = parser.parse_args(argv)
    return serve(args.state_file, args.port, args.watch_pid)


if __name__ == "__main__":
    sys.exit(main())
