"""Model Monitor's files against the schemas its documentation gives (tests/fixtures/model_monitor,
each schema citing its page)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

SCHEMAS = Path(__file__).parent / "fixtures" / "model_monitor"


def valid(document: dict, name: str) -> dict:
    """The document, if it validates against the schema `name` (statistics, constraints,
    constraint_violations)."""
    jsonschema.validate(document, json.loads((SCHEMAS / f"{name}.schema.json").read_text()))
    return document
