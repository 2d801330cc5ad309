"""Least privilege, proven on one run's requests: each statement removed in turn, and the run's
allowed requests evaluated again by the local AWS's evaluator against what is left.

A statement is needed when removing it denies a request the run made (the request names it);
an Allow statement no request needs is dead for that run. One run's record is evaluated again,
in process, once per statement: no Terraform run, no request replayed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from glue.local.emulator.policy_evaluation import Caller, Policy, Request, evaluate


@dataclass(frozen=True)
class Statement:
    policy: str  # the policy's label in the record
    index: int
    sid: str | None
    effect: str

    @property
    def name(self) -> str:
        return f"{self.policy.rsplit('@', 1)[0]}#{self.sid or self.index}"


def statements(policies: dict[str, dict], chosen: Callable[[str], bool]) -> list[Statement]:
    """The statements of the chosen policies (chosen by label, without the record's digest)."""
    found = []
    for label, document in policies.items():
        if not chosen(label.rsplit("@", 1)[0]):
            continue
        listed = document.get("Statement", [])
        for index, statement in enumerate(listed if isinstance(listed, list) else [listed]):
            found.append(Statement(label, index, statement.get("Sid"), statement.get("Effect")))
    return found


def _without(document: dict, index: int) -> dict:
    trimmed = copy.deepcopy(document)
    listed = trimmed.get("Statement", [])
    listed = listed if isinstance(listed, list) else [listed]
    trimmed["Statement"] = [s for i, s in enumerate(listed) if i != index]
    return trimmed


def _evaluate(record: dict, policies: dict[str, dict]) -> bool:
    caller = record["caller"]
    identity = tuple(Policy(label, policies[label]) for label in record["identity_policies"])
    resource_label = record["resource_policy"]
    resource = Policy(resource_label, policies[resource_label]) if resource_label else None
    request = record["request"]
    context = {key: tuple(values) for key, values in request["context"].items()}
    return evaluate(
        Caller(
            arn=caller["arn"],
            account=caller["account"],
            also_named=tuple(caller["also_named"]),
            identity_policies=identity,
            is_root=caller["is_root"],
            service=caller["service"],
        ),
        Request(request["action"], request["resource"], request["resource_account"], context),
        resource,
        resource_policy_required=record["resource_policy_required"],
    ).allowed


def needs(
    records: Iterable[dict], policies: dict[str, dict], of: list[Statement]
) -> dict[Statement, set[str]]:
    """For each Allow statement: the actions of the run's requests that removing it denies."""
    allowed = [r for r in records if r["allowed"]]
    # The evaluation is the emulator's: each allowed record is allowed again as recorded.
    differ = [r["request"]["action"] for r in allowed if not _evaluate(r, policies)]
    assert not differ, f"records not allowed again as recorded: {differ[:5]}"
    found: dict[Statement, set[str]] = {}
    for statement in of:
        if statement.effect != "Allow":
            continue
        mutated = policies | {
            statement.policy: _without(policies[statement.policy], statement.index)
        }
        uses = [
            r
            for r in allowed
            if statement.policy in (*r["identity_policies"], r["resource_policy"])
        ]
        found[statement] = {r["request"]["action"] for r in uses if not _evaluate(r, mutated)}
    return found


def needs_by_sid(
    records: Iterable[dict], policies: dict[str, dict], of: list[Statement]
) -> dict[str, set[str]]:
    """`needs`, pooled by statement (its Sid, else its name) across the policies carrying it:
    a module's statement is needed when some account's copy is."""
    pooled: dict[str, set[str]] = {}
    for statement, actions in needs(records, policies, of).items():
        pooled.setdefault(statement.sid or statement.name, set()).update(actions)
    return pooled
