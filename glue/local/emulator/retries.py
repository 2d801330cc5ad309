"""An SDK's retry of a change the local AWS already made: answered as the first attempt was.

The AWS SDKs number each attempt of one call (`amz-sdk-invocation-id`, the same for every
attempt; `amz-sdk-request: attempt=N`). A retry after an answered change means the client never
read that answer: the connection failed under load, which on loopback is this server's failing,
not a case AWS's own services produce. Executing it again would answer "already exists"
(EntityAlreadyExists on CreateRole, ParameterAlreadyExists on PutParameter: issue 30's
duplicated creates) for a change that was made. So a change's successful answer is kept, a few
hundred at most, and a later attempt of the same call gets it again; reads are run again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable

KEPT = 512
_CHANGES = {"POST", "PUT", "DELETE", "PATCH"}


def replaying_retries(app: Callable) -> Callable:
    answered: OrderedDict[str, tuple[str, list, bytes]] = OrderedDict()
    lock = threading.Lock()

    def wsgi(environ: dict, start_response: Callable) -> Iterable[bytes]:
        invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID")
        if not invocation or environ.get("REQUEST_METHOD") not in _CHANGES:
            return app(environ, start_response)
        attempt = environ.get("HTTP_AMZ_SDK_REQUEST", "attempt=1").replace(" ", "")
        if not attempt.startswith("attempt=1;") and attempt != "attempt=1":
            with lock:
                kept = answered.get(invocation)
            if kept is not None:
                status, headers, body = kept
                start_response(status, headers)
                return [body]
        started: dict = {}

        def keeping(status: str, headers: list, exc_info=None):
            started["status"], started["headers"] = status, headers
            return start_response(status, headers, exc_info)

        answer = app(environ, keeping)
        try:
            body = b"".join(answer)
        finally:
            if hasattr(answer, "close"):
                answer.close()
        if started.get("status", "").startswith("2"):
            with lock:
                answered[invocation] = (started["status"], list(started["headers"]), body)
                while len(answered) > KEPT:
                    answered.popitem(last=False)
        return [body]

    return wsgi
