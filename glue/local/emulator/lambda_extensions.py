"""Lambda's dead-letter queue setting, which moto 5.2.5 drops, its dry-run invocations, and a
permission's statement id unique in its function's policy.

moto ignores `DeadLetterConfig` in CreateFunction and UpdateFunctionConfiguration and never
answers it, so Terraform would plan to add it again at every apply, and the local AWS could not
tell where a failed asynchronous invocation goes. It is kept and answered here as Lambda does.

An invocation of type `DryRun` only checks that the caller may invoke the function (the local
AWS's authorization does that before it gets here): Lambda answers 204 and runs nothing, where
moto ran the function (in Docker, which this machine lacks). The local runner's Lambda steps
invoke so, as the pipeline's role, before running the function's code as its own role.

AddPermission with a statement id the function's policy already holds is refused with
`ResourceConflictException` (409), as Lambda refuses it; moto appended a second statement, so a
retried AddPermission (its first answer slow under load) left a copy behind that RemovePermission
never removed, and Terraform waited for the deletion until it gave up.

GetAccountSettings, which moto lacks, answers the account's concurrency quota (AWS's default,
1000, or the one MLOPS_EMULATOR_LAMBDA_CONCURRENCY sets: new accounts may start with 10) and the
unreserved pool left; a reservation that would leave that pool under Lambda's minimum of 100 is
refused as Lambda refuses it (moto's own check, given the same quota).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from moto.awslambda import urls
from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaFunction
from moto.awslambda.policy import Policy
from moto.awslambda.responses import LambdaResponse

CONCURRENCY_ENV = "MLOPS_EMULATOR_LAMBDA_CONCURRENCY"
DEFAULT_CONCURRENCY = 1000  # Lambda's default concurrency quota per account and region
# Lambda's own limits (Lambda quotas page): code storage, and a function's package sizes.
_CODE_STORAGE = 80 * 1024**3
_UNZIPPED = 250 * 1024**2
_ZIPPED = 50 * 1024**2

_ATTRIBUTE = "_mlops_dead_letter_config"


def _with_dead_letter(original: Callable) -> Callable:
    def init(self: LambdaFunction, account_id: str, spec: dict[str, Any], *args, **kwargs) -> None:
        original(self, account_id, spec, *args, **kwargs)
        setattr(self, _ATTRIBUTE, spec.get("DeadLetterConfig") or {})

    return init


def _configuration(original: Callable) -> Callable:
    def get_configuration(self: LambdaFunction, *args, **kwargs) -> dict[str, Any]:
        config = original(self, *args, **kwargs)
        dead_letter = getattr(self, _ATTRIBUTE, {})
        if dead_letter.get("TargetArn"):
            config["DeadLetterConfig"] = dict(dead_letter)
        return config

    return get_configuration


def _update(original: Callable) -> Callable:
    def update_configuration(self: LambdaFunction, updates: dict[str, Any]) -> dict[str, Any]:
        if "DeadLetterConfig" in updates:
            # {"TargetArn": ""} removes it, as on AWS.
            setattr(self, _ATTRIBUTE, updates["DeadLetterConfig"] or {})
        return original(self, updates)

    return update_configuration


def _dry_run(original: Callable) -> Callable:
    def invoke(self: LambdaResponse) -> Any:
        if self.headers.get("X-Amz-Invocation-Type") == "DryRun":
            self.backend.get_function(unquote(self.path.rsplit("/", 2)[-2]))  # 404 if none
            return 204, {"status": 204}, ""
        return original(self)

    return invoke


class _StatementIdExists(LambdaClientError):
    code = 409

    def __init__(self, sid: str):
        super().__init__(
            "ResourceConflictException",
            f"The statement id ({sid}) provided already exists. Please provide a new statement "
            "id, or remove the existing statement.",
        )


def _unique_statement_id(original: Callable) -> Callable:
    def add_statement(self: Policy, raw: str, qualifier: str | None = None) -> Any:
        sid = json.loads(raw).get("StatementId")
        if sid and any(statement.get("Sid") == sid for statement in self.statements):
            raise _StatementIdExists(sid)
        return original(self, raw, qualifier)

    return add_statement


def concurrency_quota() -> int:
    return int(os.environ.get(CONCURRENCY_ENV) or DEFAULT_CONCURRENCY)


def _account_settings(self: LambdaResponse) -> tuple[int, dict, str]:
    functions = list(self.backend.list_functions())
    quota = concurrency_quota()
    reserved = sum(int(function.reserved_concurrency or 0) for function in functions)
    settings = {
        "AccountLimit": {
            "TotalCodeSize": _CODE_STORAGE,
            "CodeSizeUnzipped": _UNZIPPED,
            "CodeSizeZipped": _ZIPPED,
            "ConcurrentExecutions": quota,
            "UnreservedConcurrentExecutions": quota - reserved,
        },
        "AccountUsage": {
            "TotalCodeSize": sum(int(function.code_size or 0) for function in functions),
            "FunctionCount": len(functions),
        },
    }
    return 200, {"Content-Type": "application/json"}, json.dumps(settings)


def install() -> None:
    """Keep and answer DeadLetterConfig; answer dry-run invocations; refuse a statement id the
    policy holds; answer GetAccountSettings and hold reservations to its quota (idempotent)."""
    if getattr(LambdaFunction, "_mlops_dead_letter", False):
        return
    # moto refuses a reservation leaving under 100 unreserved only when given a quota.
    os.environ["MOTO_LAMBDA_CONCURRENCY_QUOTA"] = str(concurrency_quota())
    urls.url_paths[r"{0}/(?P<api_version>[^/]+)/account-settings/?$"] = LambdaResponse.dispatch
    LambdaResponse.get_account_settings = _account_settings
    Policy.add_statement = _unique_statement_id(Policy.add_statement)
    LambdaResponse.invoke = _dry_run(LambdaResponse.invoke)
    LambdaFunction.__init__ = _with_dead_letter(LambdaFunction.__init__)
    LambdaFunction.get_configuration = _configuration(LambdaFunction.get_configuration)
    LambdaFunction.update_configuration = _update(LambdaFunction.update_configuration)
    LambdaFunction._mlops_dead_letter = True
