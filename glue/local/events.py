"""Route pipeline status-change events through the EventBridge rules Terraform deployed.

The emulator stores rules and targets but delivers nothing to SageMaker or SNS. The router
reads the account's rules and targets from the emulator, asks EventBridge itself whether each
rule's pattern matches (TestEventPattern), and runs the matching targets: a SageMaker pipeline
target starts that pipeline with the target's parameters (on the local runner), an SNS target
publishes the event to the topic. So the rules are exercised as written, not as imagined.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from glue.aws import client
from glue.local.emulator.control import Emulator
from glue.local.runner import Execution, LocalRunner

MAX_CHAIN = 3  # a started pipeline's own terminal event is routed too, this many times at most


@dataclass(frozen=True)
class Delivery:
    rule: str
    target: str
    outcome: str
    execution: Execution | None = None


class EventRouter:
    def __init__(self, session, emulator: Emulator | None, runner: LocalRunner):
        self.events = client(session, "events", emulator)
        self.sns = client(session, "sns", emulator)
        self.runner = runner

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
                deliveries += self._deliver(rule["Name"], target, event, depth)
        return deliveries

    def _deliver(
        self, rule: str, target: dict[str, Any], event: dict[str, Any], depth: int
    ) -> list[Delivery]:
        arn = target["Arn"]
        if ":sns:" in arn:
            self.sns.publish(
                TopicArn=arn,
                Message=json.dumps(event),
                Subject=f"{event['detail-type']}: "
                f"{event['detail']['currentPipelineExecutionStatus']}"[:99],
            )
            return [Delivery(rule, arn, "published")]
        if ":pipeline/" in arn and depth < MAX_CHAIN:
            parameters = {
                p["Name"]: p["Value"]
                for p in target.get("SageMakerPipelineParameters", {}).get(
                    "PipelineParameterList", []
                )
            }
            execution = self.runner.run(arn.rsplit("/", 1)[1], parameters)
            delivery = Delivery(rule, arn, f"started, {execution.status}", execution)
            return [delivery, *self.route(execution.status_change_event(), depth + 1)]
        return [Delivery(rule, arn, "not delivered (unsupported target)")]
