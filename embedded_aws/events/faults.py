"""Test-only: lose, repeat or hold back the events the emulator's own services
put on EventBridge.

AWS delivers service events (S3, Step Functions, Glue, Athena) on a best
effort basis: an event can arrive late, twice, or never. Code that consumes
them must cope, and its tests need a way to make that happen on purpose.
Nothing here has an AWS API; it is reached from Python only, as
``EmbeddedAws.service_event_faults`` (one process-wide object, like moto's
backends), and does nothing until a test arms it::

    faults = aws.service_event_faults
    faults.drop(source="aws.glue", times=1)          # the next Glue event is lost
    faults.duplicate(detail_type="Athena Query State Change")
    faults.delay(3.0, match=lambda e: e["detail"].get("state") == "SUCCEEDED")
    ...
    faults.clear()

Each armed fault applies to the next ``times`` matching events (every
matching event with ``times=None``), first armed first; ``applied`` lists
what each did (action, event id, source, detail-type), so a test can tell an
event was really dropped rather than never sent.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable

DROP, DUPLICATE, DELAY = "drop", "duplicate", "delay"


@dataclass
class _Fault:
    action: str
    source: str | None
    detail_type: str | None
    match: Callable[[dict[str, Any]], bool] | None
    times: int | None
    seconds: float = 0.0

    def applies_to(self, event: dict[str, Any]) -> bool:
        if self.times == 0:
            return False
        if self.source is not None and event.get("source") != self.source:
            return False
        if self.detail_type is not None and event.get("detail-type") != self.detail_type:
            return False
        return self.match is None or bool(self.match(event))


class ServiceEventFaults:
    """Armed faults, consulted once for every service event (see the module doc)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []
        self.applied: list[tuple[str, str, str, str]] = []

    def drop(self, *, source: str | None = None, detail_type: str | None = None,
             match: Callable[[dict[str, Any]], bool] | None = None, times: int | None = 1) -> None:
        """Lose the next matching event(s): no rule sees them."""
        self._arm(_Fault(DROP, source, detail_type, match, times))

    def duplicate(self, *, source: str | None = None, detail_type: str | None = None,
                  match: Callable[[dict[str, Any]], bool] | None = None, times: int | None = 1) -> None:
        """Deliver the next matching event(s) twice, with the same id (an at-least-once repeat)."""
        self._arm(_Fault(DUPLICATE, source, detail_type, match, times))

    def delay(self, seconds: float, *, source: str | None = None, detail_type: str | None = None,
              match: Callable[[dict[str, Any]], bool] | None = None, times: int | None = 1) -> None:
        """Deliver the next matching event(s) ``seconds`` late (events behind them are not held up)."""
        self._arm(_Fault(DELAY, source, detail_type, match, times, float(seconds)))

    def clear(self) -> None:
        """Disarm everything and forget what was applied."""
        with self._lock:
            self._faults.clear()
            self.applied.clear()

    def _arm(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def plan(self, event: dict[str, Any]) -> list[float]:
        """When to deliver ``event``: one delay per delivery ([] = never, [0.0] = now)."""
        with self._lock:
            for fault in self._faults:
                if fault.applies_to(event):
                    if fault.times is not None:
                        fault.times -= 1
                    self.applied.append((fault.action, event["id"], event["source"], event["detail-type"]))
                    return {DROP: [], DUPLICATE: [0.0, 0.0], DELAY: [fault.seconds]}[fault.action]
        return [0.0]


#: The one instance every service event passes through.
FAULTS = ServiceEventFaults()
