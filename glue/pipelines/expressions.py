"""Evaluate the expressions of a pipeline definition: Get, Std:Join and Std:JsonGet.

One evaluator for whoever needs a step's arguments as SageMaker will send them: the check of a
definition before upsert (with representative values) and the local runner (with a run's real
values). `lookup` answers a `Get` path such as `Parameters.InputDataUri`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Lookup = Callable[[str], Any]


def resolve(value: Any, lookup: Lookup) -> Any:
    if isinstance(value, list):
        return [resolve(item, lookup) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Get"}:
        return lookup(value["Get"])
    if set(value) == {"Std:Join"}:
        join = value["Std:Join"]
        return join["On"].join(str(resolve(v, lookup)) for v in join["Values"])
    if set(value) == {"Std:JsonGet"}:
        json_get = value["Std:JsonGet"]
        document = resolve(json_get["PropertyFile"], lookup)
        for part in json_get["Path"].split("."):
            document = document[part]
        return document
    return {key: resolve(item, lookup) for key, item in value.items()}


def steps(definition_steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every step, those inside a Condition's branches included, in definition order."""
    found = []
    for step in definition_steps:
        found.append(step)
        if step["Type"] == "Condition":
            arguments = step["Arguments"]
            found += steps(arguments.get("IfSteps", []) + arguments.get("ElseSteps", []))
    return found
