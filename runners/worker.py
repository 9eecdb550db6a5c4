"""Running a lifecycle: as a long-lived service, or one bounded cycle (Lambda).

Signals are not handled here (only the entry point installs handlers); a
worker is stopped by ``request_shutdown()``. Shutdown order: stop issuing long
polls -> wait for polls already in flight and record what they return -> one
last check cycle -> return. Running jobs are not waited for: their records are
durable and the next worker carries on.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import structlog

from .activity import CycleReport, TaskLifecycle
from .config import LONG_POLL_SECONDS
from .retry import error_code

log = structlog.get_logger("runners.worker")

# Keep a margin so the last long poll's answer can still be recorded.
POLL_MARGIN_SECONDS = 10.0


@dataclass
class RunOnceSummary:
    received: int
    cycles: list[CycleReport]
    seconds: float


class Worker:
    def __init__(self, lifecycle: TaskLifecycle, activity_arn: str, pollers: int, check_interval_seconds: float) -> None:
        self.lifecycle = lifecycle
        self.activity_arn = activity_arn
        self.pollers = pollers
        self.check_interval = check_interval_seconds
        self._stopping = threading.Event()
        self.received = 0
        self._received_lock = threading.Lock()

    def request_shutdown(self) -> None:
        """Warm shutdown: stop polling, drain, return from serve()."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    # -- service mode --------------------------------------------------------
    def serve(self) -> None:
        """Long polls on their own threads; checks on this one, about every second."""
        threads = [threading.Thread(target=self._poll_loop, name=f"poller-{i}", daemon=True) for i in range(self.pollers)]
        for thread in threads:
            thread.start()
        log.info("worker_started", kind=self.lifecycle.adapter.kind, pollers=self.pollers, check_interval=self.check_interval)
        while not self._stopping.is_set():
            self._check()
            self._stopping.wait(self.check_interval)
        log.info("worker_draining", in_flight_polls=sum(t.is_alive() for t in threads))
        for thread in threads:
            thread.join()
        self._check()
        log.info("worker_stopped", received=self.received)

    def _poll_loop(self) -> None:
        backoff = 0.0
        while not self._stopping.is_set():
            try:
                log.debug("long_poll_open")
                if self.lifecycle.poll_once(self.activity_arn):
                    with self._received_lock:
                        self.received += 1
                backoff = 0.0
            except Exception as exc:  # noqa: BLE001 - a poller never dies
                backoff = min(max(backoff * 2, 0.5), 20.0)
                log.warning("poll_failed", error=str(exc)[:300], error_code=error_code(exc), retry_in_seconds=backoff)
                self._stopping.wait(backoff)

    def _check(self) -> CycleReport | None:
        try:
            return self.lifecycle.check_all()
        except Exception as exc:  # noqa: BLE001 - e.g. DynamoDB briefly unreachable
            log.warning("check_cycle_failed", error=str(exc)[:300], error_code=error_code(exc))
            return None

    # -- Lambda mode ---------------------------------------------------------
    def run_once(self, budget_seconds: float) -> RunOnceSummary:
        """Check everything, take tasks while a full long poll still fits the
        budget, check again. Never starts a long poll that could outlive the
        budget, since a task handed out on a cut connection would be lost."""
        started = time.monotonic()
        deadline = started + budget_seconds
        cycles = [c for c in [self._check()] if c]
        received = 0
        while not self._stopping.is_set() and deadline - time.monotonic() > LONG_POLL_SECONDS + POLL_MARGIN_SECONDS:
            try:
                if not self.lifecycle.poll_once(self.activity_arn):
                    break
            except Exception as exc:  # noqa: BLE001
                log.warning("poll_failed", error=str(exc)[:300], error_code=error_code(exc))
                break
            received += 1
        cycles += [c for c in [self._check()] if c]
        return RunOnceSummary(received, cycles, time.monotonic() - started)
