"""Lambda's dead-letter queue setting, which moto 5.2.5 drops.

moto ignores `DeadLetterConfig` in CreateFunction and UpdateFunctionConfiguration and never
answers it, so Terraform would plan to add it again at every apply, and the local AWS could not
tell where a failed asynchronous invocation goes. It is kept and answered here as Lambda does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.awslambda.models import LambdaFunction

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


def install() -> None:
    """Keep and answer DeadLetterConfig (idempotent)."""
    if getattr(LambdaFunction, "_mlops_dead_letter", False):
        return
    LambdaFunction.__init__ = _with_dead_letter(LambdaFunction.__init__)
    LambdaFunction.get_configuration = _configuration(LambdaFunction.get_configuration)
    LambdaFunction.update_configuration = _update(LambdaFunction.update_configuration)
    LambdaFunction._mlops_dead_letter = True
