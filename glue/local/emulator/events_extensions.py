"""EventBridge TestEventPattern, which moto 5.2.5 answers with an empty body; and PutEvents onto
another account's bus, which moto puts on the caller's own.

The local event router asks EventBridge itself whether a deployed rule's pattern matches an
event; the answer comes from moto's own pattern matcher, the one its rules use. A rule whose
target is another account's bus forwards through PutEvents as the target's role (authorized
against that role's policy and the receiving bus's policy, as AWS does); the router itself then
routes the event through the receiving account's rules, so here the local AWS only accepts it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from moto.events.models import EventPattern, EventsBackend
from moto.events.responses import EventsHandler


def _test_event_pattern(self: EventsHandler) -> tuple[str, dict]:
    pattern = EventPattern.load(self._get_param("EventPattern"))
    event = json.loads(self._get_param("Event"))
    return json.dumps({"Result": pattern.matches_event(event)}), self.response_headers


def _elsewhere(backend: EventsBackend, entry: dict[str, Any]) -> bool:
    bus = entry.get("EventBusName") or ""
    return bus.startswith("arn:") and bus.split(":")[4] != backend.account_id


def _accepting_other_accounts(original: Callable) -> Callable:
    def put_events(self: EventsBackend, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not any(_elsewhere(self, e) for e in events):
            return original(self, events)
        return [
            {"EventId": str(uuid.uuid4())} if _elsewhere(self, e) else original(self, [e])[0]
            for e in events
        ]

    put_events._mlops_original = original
    return put_events


def install() -> None:
    """Answer TestEventPattern with the result of moto's matcher; accept events put on another
    account's bus (idempotent)."""
    EventsHandler.test_event_pattern = _test_event_pattern
    if not hasattr(EventsBackend.put_events, "_mlops_original"):
        EventsBackend.put_events = _accepting_other_accounts(EventsBackend.put_events)
