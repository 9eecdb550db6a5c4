"""Service events put in order, off the thread that caused them.

Glue and Athena change a run's state while holding their engine's lock;
delivering an event from there would run EventBridge rules (and SQS, SNS,
Lambda targets) under that lock. ``emit`` only queues the event, already
shaped; one daemon thread puts the queued events on the bus in the order
they were emitted, as AWS delivers service events asynchronously.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

from embedded_aws.events import delivery

log = logging.getLogger(__name__)

_Event = tuple[str, str, str, str, dict[str, Any], list[str]]


class Emitter:
    def __init__(self) -> None:
        self._queue: "queue.Queue[_Event]" = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def emit(self, account_id: str, region: str, source: str, detail_type: str, detail: dict[str, Any],
             resources: list[str]) -> None:
        """Queue one event for the default bus."""
        self._queue.put((account_id, region, source, detail_type, detail, resources))
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="service-events", daemon=True)
                self._thread.start()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued event has been put on the bus (True) or ``timeout`` passes."""
        done = threading.Event()
        finished = threading.Thread(target=lambda: (self._queue.join(), done.set()), daemon=True)
        finished.start()
        return done.wait(timeout)

    def _run(self) -> None:
        while True:
            account_id, region, source, detail_type, detail, resources = self._queue.get()
            try:
                delivery.put_event(account_id, region, source, detail_type, detail, resources)
            except Exception:  # noqa: BLE001 - one bad delivery must not stop the others
                log.exception("could not put a %s event on EventBridge", detail_type)
            finally:
                self._queue.task_done()


#: The one emitter of the process (moto's backends are process-wide too).
EMITTER = Emitter()
