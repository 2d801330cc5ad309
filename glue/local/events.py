"""Route SageMaker's events through the EventBridge rules Terraform deployed.

The emulator stores rules and targets but delivers nothing to SageMaker, SNS or another
account's bus. The router reads the account's rules and targets from the emulator, asks
EventBridge itself whether each rule's pattern matches (TestEventPattern), and runs the
matching targets: a SageMaker pipeline target starts that pipeline with the target's parameters
(on the local runner), an SNS target publishes the event to the topic, a Lambda target runs the
deployed function (functions.py), an event bus of another account routes the event there (as
that account's bus would). So the rules are exercised as written, not as imagined. The events
are SageMaker's: a pipeline execution's status change (runner.py) and the model versions' state
changes, which the local AWS emits itself and `deliver_emitted` takes and routes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from glue.aws import client
from glue.errors import MlopsError
from glue.local.emulator.control import Emulator, take_emitted_events
from glue.local.functions import LocalFunctions
from glue.local.runner import Execution, LocalRunner
from glue.local.services import as_service

MAX_CHAIN = 3  # a started pipeline's own terminal event is routed too, this many times at most


@dataclass(frozen=True)
class Delivery:
    rule: str
    target: str
    outcome: str
    execution: Execution | None = None


class EventRouter:
    """Routes events in one account (`account`, the id). `runner` runs that account's
    pipelines (None: it has none, as the registry); `accounts` are the routers of the accounts
    whose default bus a rule here may target."""

    def __init__(
        self,
        account: str,
        session,
        emulator: Emulator | None,
        runner: LocalRunner | None,
        accounts: Mapping[str, EventRouter] | None = None,
    ):
        self.account, self.session, self.emulator = account, session, emulator
        self.events = client(session, "events", emulator)
        self.sns = client(session, "sns", emulator)
        self.functions = LocalFunctions(session, emulator) if emulator else None
        self.runner = runner
        self.accounts = dict(accounts or {})

    def accepts(self, partition: str, account: str) -> bool:
        """Whether this account's default bus lets `account` put events on it."""
        policy = self.events.describe_event_bus(Name="default").get("Policy")
        root = f"arn:{partition}:iam::{account}:root"
        for statement in json.loads(policy)["Statement"] if policy else []:
            principal = statement.get("Principal")
            allowed = principal.get("AWS", []) if isinstance(principal, dict) else [principal]
            allowed = [allowed] if isinstance(allowed, str) else allowed
            actions = statement.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            if (
                statement.get("Effect") == "Allow"
                and "events:PutEvents" in actions
                and ({root, account} & set(allowed))
            ):
                return True
        return False

    def _rules(self) -> list[dict[str, Any]]:
        rules, token = [], None
        while True:
            page = self.events.list_rules(**({"NextToken": token} if token else {}))
            rules += page["Rules"]
            token = page.get("NextToken")
            if not token:
                # By name: the order Terraform happened to create them in is no order at all.
                enabled = [r for r in rules if r.get("State") == "ENABLED"]
                return sorted(
                    (r for r in enabled if r.get("EventPattern")), key=lambda rule: rule["Name"]
                )

    def route(self, event: dict[str, Any], depth: int = 0) -> list[Delivery]:
        deliveries: list[Delivery] = []
        for rule in self._rules():
            matched = self.events.test_event_pattern(
                EventPattern=rule["EventPattern"], Event=json.dumps(event)
            )["Result"]
            if not matched:
                continue
            targets = self.events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
            for target in targets:
                deliveries += self._deliver(rule, target, event, depth)
        return deliveries

    def _deliver(
        self, matched: dict[str, Any], target: dict[str, Any], event: dict[str, Any], depth: int
    ) -> list[Delivery]:
        rule, arn = matched["Name"], target["Arn"]
        if ":function:" in arn and self.functions is not None:
            return [Delivery(rule, arn, self.functions.invoke_for_rule(arn, matched["Arn"], event))]
        if ":sns:" in arn:
            self.sns.publish(
                TopicArn=arn,
                Message=json.dumps(event),
                Subject=f"{event['detail-type']}: "
                f"{event['detail']['currentPipelineExecutionStatus']}"[:99],
            )
            return [Delivery(rule, arn, "published")]
        bus_account = arn.split(":")[4] if ":event-bus/" in arn else None
        if bus_account in self.accounts and depth < MAX_CHAIN:
            receiver, sender = self.accounts[bus_account], event["account"]
            if not receiver.accepts(self.events.meta.partition, sender):
                # As AWS: PutEvents onto another account's bus needs that bus's policy.
                return [Delivery(rule, arn, f"refused: its policy does not admit {sender}")]
            forwarded = Delivery(rule, arn, f"forwarded to account {bus_account}")
            return [forwarded, *receiver.route(event, depth + 1)]
        if ":pipeline/" in arn and self.runner is not None and depth < MAX_CHAIN:
            parameters = {
                p["Name"]: p["Value"]
                for p in target.get("SageMakerPipelineParameters", {}).get(
                    "PipelineParameterList", []
                )
            }
            # EventBridge starts the pipeline as the target's role.
            started_by = (
                as_service(
                    self.emulator,
                    "events.amazonaws.com",
                    target["RoleArn"],
                    self.session.region_name,
                    matched["Name"],
                )
                if self.emulator is not None and target.get("RoleArn")
                else None
            )
            execution = self.runner.run(arn.rsplit("/", 1)[1], parameters, started_by)
            delivery = Delivery(rule, arn, f"started, {execution.status}", execution)
            return [delivery, *self.route(execution.status_change_event(), depth + 1)]
        return [Delivery(rule, arn, "not delivered (unsupported target)")]


MAX_ROUNDS = 10  # runs started by an event may emit events of their own (a registration)


def deliver_emitted(emulator: Emulator, routers: Mapping[str, EventRouter]) -> list[Delivery]:
    """What EventBridge does with the events the local AWS emitted since the last delivery:
    each goes through the rules of the account it was emitted in (`routers`, by account id),
    and so do the events emitted by what those rules started, until none is left."""
    deliveries: list[Delivery] = []
    for _ in range(MAX_ROUNDS):
        events = take_emitted_events(emulator)
        if not events:
            return deliveries
        for event in events:
            router = routers.get(event["account"])
            if router is not None:
                deliveries += router.route(event)
    raise MlopsError(
        f"events still emitted after {MAX_ROUNDS} rounds of delivery: a rule's target "
        "emits what the rule matches again"
    )
