"""What Terraform says, read for a person: its errors (a state lock named with its holder and
how to release it), the diagnostics and planned changes of its JSON stream, and the instances a
saved plan's prior state holds."""

from __future__ import annotations

import contextlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

from glue.errors import MlopsError


def _lock_holder(lines: list[str]) -> str | None:
    """Who holds the state lock, from Terraform's `Lock Info:`, as a person can act on it."""
    info = {}
    for line in lines:
        key, separator, value = line.strip().partition(":")
        if separator and key in ("ID", "Who", "Operation", "Created"):
            info.setdefault(key, value.strip())
    if "ID" not in info:
        return None
    return (
        f"the state is locked by {info.get('Who', 'someone')} "
        f"({info.get('Operation', 'an operation')} since {info.get('Created', '?')}, "
        f"lock ID {info['ID']}): wait for that run to finish; if it was killed and nothing "
        f"runs, release the lock with `mlops unlock --lock-id {info['ID']}` and the same --env"
    )


def errors(stderr: str) -> str:
    """The `Error:` lines of Terraform's output, which say what failed."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", stderr)
    lines = [line.strip(" │╷╵") for line in text.splitlines()]
    if any("Error acquiring the state lock" in line for line in lines):
        holder = _lock_holder(lines)
        if holder:
            return holder
    errors = [line for line in lines if line.startswith("Error:")]
    return "; ".join(errors) if errors else (text.strip().splitlines() or ["no output"])[-1]


def messages(stream: str) -> Iterator[dict]:
    """The JSON messages of a `-json` run (one per line)."""
    for line in stream.splitlines():
        with contextlib.suppress(ValueError):
            message = json.loads(line)
            if isinstance(message, dict):
                yield message


def diagnostics(stream: str) -> str:
    """The error diagnostics of a `-json` run, as Terraform prints them without -json."""
    lines = []
    for message in messages(stream):
        diagnostic = message.get("diagnostic") or {}
        if message.get("type") == "diagnostic" and diagnostic.get("severity") == "error":
            lines += [f"Error: {diagnostic.get('summary', '')}"]
            lines += str(diagnostic.get("detail", "")).splitlines()
    return "\n".join(lines)


# What a plan does to a resource, by the name `terraform show -json` gives it; moves, imports
# without changes, no-ops and data source reads change nothing.
_CHANGING_ACTIONS = {
    "create": "create",
    "update": "update",
    "delete": "delete",
    "replace": "replace",
    "remove": "forget",
}


def planned_changes(stream: str) -> list[tuple[str, str]]:
    """(action, address) of every resource a `plan -json` run changes, in Terraform's order."""
    changes = []
    for message in messages(stream):
        if message.get("type") != "planned_change":
            continue
        change = message.get("change") or {}
        action = _CHANGING_ACTIONS.get(change.get("action"))
        if action:
            changes.append((action, change["resource"]["addr"]))
    return changes


def _instance_address(resource: dict, instance: dict) -> str:
    module = f"{resource['module']}." if resource.get("module") else ""
    key = instance.get("index_key")
    index = "" if key is None else f"[{json.dumps(key)}]"
    return f"{module}{resource['type']}.{resource['name']}{index}"


def prior_instances(plan: bytes) -> dict[str, tuple[str, dict]]:
    """Each managed resource instance of the state a saved plan was made from (the plan file's
    `tfstate`), by its Terraform address: its type and its attributes. No `terraform show`."""
    try:
        with zipfile.ZipFile(io.BytesIO(plan)) as archive:
            prior = json.loads(archive.read("tfstate"))
    except (KeyError, ValueError, zipfile.BadZipFile):
        raise MlopsError("the saved plan holds no prior state (its tfstate): plan again") from None
    return {
        _instance_address(resource, instance): (
            resource["type"],
            instance.get("attributes") or {},
        )
        for resource in prior.get("resources", [])
        if resource.get("mode") == "managed"
        for instance in resource.get("instances", [])
    }


def is_plan_file(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as plan:
            return "tfplan" in plan.namelist()
    except (OSError, zipfile.BadZipFile):
        return False
