"""Route SageMaker's events through the EventBridge rules Terraform deployed.

The emulator stores rules and targets but delivers nothing to SageMaker, SNS or another
account's bus. The router reads the account's rules and targets from the emulator, asks
EventBridge itself whether each rule's pattern matches (TestEventPattern), and runs the
matching targets: a SageMaker pipeline target starts that pipeline with the target's parameters
(on the local runner), an SNS target publishes the event to the topic, a Lambda target runs the
deployed function (functions.py), an event bus of another account routes the event there (as
that account's bus would). Each delivery is made as AWS makes it, and the local AWS authorizes
it as AWS does: EventBridge publishes, invokes and sends to a dead-letter queue as itself for the
rule (the topic's, function's and queue's policies must name it, and their keys' policies let
it encrypt), starts a pipeline and puts events on another account's bus as the target's role
(that bus's policy must admit it). So the rules are exercised as written, not as imagined. The
events are SageMaker's: a pipeline execution's status change (runner.py) and the model versions'
state changes, which the local AWS emits itself and `deliver_emitted` takes and routes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from glue.aws import client
from glue.errors import MlopsError
from glue.local.emulator.control import Emulator, take_emitted_events
from glue.local.functions import LocalFunctions
from glue.local.runner import Execution, LocalRunner
from glue.local.services import as_service, as_service_itself

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
        emulator: Emulator,
        runner: LocalRunner | None,
        accounts: Mapping[str, EventRouter] | None = None,
    ):
        self.account, self.session, self.emulator = account, session, emulator
        self.events = client(session, "events", emulator)
        # What EventBridge knows of a queue (its URL), read as the account.
        self.sqs = client(session, "sqs", emulator)
        self.functions = LocalFunctions(session, emulator)
        self.runner = runner
        self.accounts = dict(accounts or {})

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

    def _as_events(self, rule_arn: str):
        """EventBridge acting as itself for the rule: how it publishes to a topic, invokes a
        function or sends to a dead-letter queue (each resource's policy must name it)."""
        return as_service_itself(
            self.emulator, "events.amazonaws.com", self.account, self.session.region_name, rule_arn
        )

    def _deliver(
        self, matched: dict[str, Any], target: dict[str, Any], event: dict[str, Any], depth: int
    ) -> list[Delivery]:
        rule, arn = matched["Name"], target["Arn"]
        if ":function:" in arn:
            invoker = self._as_events(matched["Arn"])
            outcome = self.functions.invoke_for_rule(arn, invoker, event)
            if outcome.startswith("refused: "):
                outcome += self._to_dead_letter_queue(matched, target, event, outcome)
            return [Delivery(rule, arn, outcome)]
        if ":sns:" in arn:
            try:
                client(self._as_events(matched["Arn"]), "sns", self.emulator).publish(
                    TopicArn=arn,
                    Message=json.dumps(event),
                    Subject=f"{event['detail-type']}: "
                    f"{event['detail']['currentPipelineExecutionStatus']}"[:99],
                )
            except ClientError as error:
                return [Delivery(rule, arn, f"refused: {_message(error)}")]
            return [Delivery(rule, arn, "published")]
        bus_account = arn.split(":")[4] if ":event-bus/" in arn else None
        if bus_account in self.accounts and depth < MAX_CHAIN:
            refused = self._forward(matched, target, event)
            if refused:
                return [Delivery(rule, arn, refused)]
            forwarded = Delivery(rule, arn, f"forwarded to account {bus_account}")
            return [forwarded, *self.accounts[bus_account].route(event, depth + 1)]
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
                    matched["Arn"],
                )
                if target.get("RoleArn")
                else None
            )
            execution = self.runner.run(arn.rsplit("/", 1)[1], parameters, started_by)
            delivery = Delivery(rule, arn, f"started, {execution.status}", execution)
            return [delivery, *self.route(execution.status_change_event(), depth + 1)]
        return [Delivery(rule, arn, "not delivered (unsupported target)")]

    def _forward(self, matched: dict, target: dict, event: dict[str, Any]) -> str | None:
        """PutEvents onto another account's bus as the target's role, which AWS authorizes
        against the role's policy and the receiving bus's policy; why not, or None."""
        if not target.get("RoleArn"):
            return "not delivered: a bus of another account is reached through the target's role"
        as_role = as_service(
            self.emulator,
            "events.amazonaws.com",
            target["RoleArn"],
            self.session.region_name,
            matched["Name"],
            matched["Arn"],
        )
        entry = {
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": json.dumps(event["detail"]),
            "Resources": event.get("resources", []),
            "EventBusName": target["Arn"],
        }
        try:
            answer = client(as_role, "events", self.emulator).put_events(Entries=[entry])
        except ClientError as error:
            return f"refused: {_message(error)}"
        failed = [e for e in answer["Entries"] if e.get("ErrorCode")]
        return (
            f"refused: {failed[0]['ErrorCode']}: {failed[0].get('ErrorMessage')}"
            if failed
            else None
        )

    def _to_dead_letter_queue(self, matched: dict, target: dict, event: dict, why: str) -> str:
        """What EventBridge does with an event it may not deliver (not retried): to the target's
        dead-letter queue, as itself, with the error in the message's attributes."""
        queue = target.get("DeadLetterConfig", {}).get("Arn")
        if not queue:
            return "; the event is lost (no dead-letter queue)"
        _, _, _, _, owner, name = queue.split(":", 5)
        url = self.sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=owner)["QueueUrl"]
        try:
            client(self._as_events(matched["Arn"]), "sqs", self.emulator).send_message(
                QueueUrl=url,
                MessageBody=json.dumps(event),
                MessageAttributes={
                    name: {"DataType": "String", "StringValue": value[:1024]}
                    for name, value in (
                        ("ERROR_CODE", "NO_PERMISSIONS"),
                        ("ERROR_MESSAGE", why.removeprefix("refused: ")),
                        ("RULE_ARN", matched["Arn"]),
                        ("TARGET_ARN", target["Arn"]),
                    )
                },
            )
        except ClientError as error:
            return f"; the event is lost ({name} refused it: {_message(error)})"
        return f"; the event waits in {name}"


def _message(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Message") or str(error)


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
