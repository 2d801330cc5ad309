"""The constraints AWS enforces server-side, read from botocore's service models.

botocore validates a request's types and required members on the client, but not the `pattern`,
`min`/`max` length, `enum` and numeric range its models carry: AWS checks those when the request
arrives and answers `ValidationException`. This module checks all of them, so a value AWS would
refuse is refused before it gets there: by the local AWS for every request it receives, and by
`mlops pipelines upsert` for what a pipeline step will send when it runs.

Patterns are Java regular expressions (`\\p{L}`, `\\p{N}`...), matched against the whole value as
Java's `matches()` does; the `regex` package understands their classes.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import botocore.session
import regex
from botocore.model import OperationModel, ServiceModel, Shape

# Java writes "any character outside the BMP" as a range of UTF-16 surrogate pairs.
_JAVA_SURROGATE_RANGE = "\\uD800\\uDC00-\\uDBFF\\uDFFF"
_PYTHON_ASTRAL_RANGE = "\\U00010000-\\U0010FFFF"
_SHOWN_VALUE_LENGTH = 120


@dataclass(frozen=True)
class Violation:
    """One member that breaks one constraint, worded as AWS words it."""

    path: str
    value: Any
    rule: str

    def __str__(self) -> str:
        shown = self.value if isinstance(self.value, str) else json.dumps(self.value, default=str)
        if len(shown) > _SHOWN_VALUE_LENGTH:
            shown = shown[:_SHOWN_VALUE_LENGTH] + "..."
        value = "null" if self.value is None else f"'{shown}'"
        return f"Value {value} at '{self.path}' failed to satisfy constraint: {self.rule}"


def message(violations: list[Violation]) -> str:
    """AWS's ValidationException message for a list of violations."""
    count = len(violations)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(str(v) for v in violations)


@functools.cache
def service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def operation_model(service: str, operation: str) -> OperationModel:
    return service_model(service).operation_model(operation)


@functools.cache
def compiled(pattern: str) -> regex.Pattern[str]:
    """A botocore pattern as a Python regex: Java's surrogate-pair range made a code point range."""
    return regex.compile(pattern.replace(_JAVA_SURROGATE_RANGE, _PYTHON_ASTRAL_RANGE))


def _camel(name: str) -> str:
    """AWS names members in lower camel case in its messages: roleArn, tags.1.member.value."""
    return name[:1].lower() + name[1:]


def _bound_rules(shape: Shape, measure: float, what: str = "length") -> list[str]:
    """The shape's min/max: a length for strings, blobs, lists and maps, a value for numbers."""
    rules = []
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and measure < low:
        rules.append(f"Member must have {what} greater than or equal to {low}")
    if high is not None and measure > high:
        rules.append(f"Member must have {what} less than or equal to {high}")
    return rules


def _scalar_rules(shape: Shape, value: Any) -> list[str]:
    kind = shape.type_name
    if kind == "string" and isinstance(value, str):
        rules = []
        if shape.enum and value not in shape.enum:
            rules.append(f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
        rules += _bound_rules(shape, len(value))
        pattern = shape.metadata.get("pattern")
        if pattern and compiled(pattern).fullmatch(value) is None:
            rules.append(f"Member must satisfy regular expression pattern: {pattern}")
        return rules
    if kind == "blob" and isinstance(value, bytes | str):
        return _bound_rules(shape, len(value))
    if kind in ("integer", "long", "float", "double") and isinstance(value, int | float):
        return _bound_rules(shape, value, "value")
    return []


def violations(shape: Shape | None, value: Any, path: str = "") -> list[Violation]:
    """Every constraint of `shape` that `value` breaks; `path` names the member as AWS does."""
    if shape is None or value is None:
        return []
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, Mapping):
            return []
        found = [
            Violation(_join(path, _camel(name)), None, "Member must not be null")
            for name in shape.required_members
            if value.get(name) is None
        ]
        for name, member in shape.members.items():
            if name in value:
                found += violations(member, value[name], _join(path, _camel(name)))
        return found
    if kind == "list":
        if not isinstance(value, list | tuple):
            return []
        found = [Violation(path, value, rule) for rule in _bound_rules(shape, len(value))]
        for index, item in enumerate(value, start=1):
            found += violations(shape.member, item, f"{path}.{index}.member")
        return found
    if kind == "map":
        if not isinstance(value, Mapping):
            return []
        found = [Violation(path, value, rule) for rule in _bound_rules(shape, len(value))]
        for key, item in value.items():
            key_rules = _scalar_rules(shape.key, key)
            if key_rules:
                found.append(
                    Violation(
                        path, key, f"Map keys must satisfy constraint: [{', '.join(key_rules)}]"
                    )
                )
            for inner in violations(shape.value, item, f"{path}.{key}"):
                found.append(
                    Violation(
                        path, inner.value, f"Map value must satisfy constraint: [{inner.rule}]"
                    )
                )
        return found
    return [Violation(path, value, rule) for rule in _scalar_rules(shape, value)]


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def request_violations(
    service: str, operation: str, parameters: Mapping[str, Any]
) -> list[Violation]:
    """What AWS would refuse in a request of `operation` with these parameters."""
    return violations(operation_model(service, operation).input_shape, parameters)
