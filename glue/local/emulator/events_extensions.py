"""EventBridge TestEventPattern, which moto 5.2.5 answers with an empty body.

The local event router asks EventBridge itself whether a deployed rule's pattern matches an
event; the answer comes from moto's own pattern matcher, the one its rules use.
"""

from __future__ import annotations

import json

from moto.events.models import EventPattern
from moto.events.responses import EventsHandler


def _test_event_pattern(self: EventsHandler) -> tuple[str, dict]:
    pattern = EventPattern.load(self._get_param("EventPattern"))
    event = json.loads(self._get_param("Event"))
    return json.dumps({"Result": pattern.matches_event(event)}), self.response_headers


def install() -> None:
    """Answer TestEventPattern with the result of moto's matcher (idempotent)."""
    EventsHandler.test_event_pattern = _test_event_pattern
