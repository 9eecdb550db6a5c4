"""Running a lifecycle: as a long-lived service, or one bounded cycle (Lambda).

Signals are not handled here (only the entry point installs handlers); a
worker is stopped by ``request_shutdown()`` (warm) or ``stop_now()`` (cold).
Warm shutdown order: stop issuing long polls -> wait for polls already in
flight and record what they return -> one last check cycle -> return. Cold:
wait at most a moment for tasks already taken to be recorded, then the caller
exits. Running jobs are not waited for: their records are durable and the next
worker carries on.

Threads of ``serve``, in order of priority when the worker is behind: the
heartbeat keeper keeps held tokens alive, the checker checks and reports, the
pollers take new work only while the worker keeps up.
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
# A check cycle slower than this many intervals (and than BEHIND_MIN_SECONDS)
# means the worker is behind.
BEHIND_CYCLE_INTERVALS = 4
BEHIND_MIN_SECONDS = 2.0
# How long a cold stop waits for tasks already taken to be recorded.
COLD_STOP_SECONDS = 2.0
COLD_STOP_GRACE_SECONDS = 0.1


@dataclass
class WorkerStats:
    """What a worker says about itself (logs, tests, benchmarks)."""

    cycles: int = 0
    last_cycle_seconds: float = 0.0
    heartbeats: int = 0
    late_heartbeats: int = 0
    behind: bool = False
    times_behind: int = 0


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
        # Set by a poller that started a run (or by shutdown) so the checker
        # re-plans its sleep around the run's first prompt check.
        self._wake = threading.Event()
        lifecycle.on_run_started = self._wake.set
        self.received = 0
        self._counts_lock = threading.Lock()  # guards received and stats (pollers, keeper, checker)
        self.stats = WorkerStats()
        self._keeper_done = threading.Event()  # set once the pollers have drained
        self._keeping_up = threading.Event()  # pollers take new work only while set
        self._keeping_up.set()
        self._late_since_cycle = 0
        self._behind_since = 0.0

    def request_shutdown(self) -> None:
        """Warm shutdown: stop polling, drain, return from serve()."""
        self._stopping.set()
        self._wake.set()
        self._keeping_up.set()  # release paused pollers so they see the stop

    def stop_now(self) -> bool:
        """Cold shutdown (a second signal): no new polls, and wait a moment for
        tasks already taken from Step Functions to be recorded, so exiting
        loses no token it could have kept. True if none was left in hand."""
        self.request_shutdown()
        self._keeper_done.set()
        # A poll whose answer is on the wire now is recorded within
        # milliseconds; give those a moment to reach the record write.
        time.sleep(COLD_STOP_GRACE_SECONDS)
        return self.lifecycle.wait_for_in_hand(COLD_STOP_SECONDS)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    # -- service mode --------------------------------------------------------
    def serve(self) -> None:
        """Long polls on their own threads, heartbeats on another; checks on
        this one: everything every ``check_interval`` (start to start),
        just-started runs promptly."""
        threads = [threading.Thread(target=self._poll_loop, name=f"poller-{i}", daemon=True) for i in range(self.pollers)]
        keeper = threading.Thread(target=self._keep_alive_loop, name="heartbeats", daemon=True)
        for thread in [keeper, *threads]:
            thread.start()
        log.info("worker_started", kind=self.lifecycle.adapter.kind, pollers=self.pollers, check_interval=self.check_interval)
        next_cycle = time.monotonic()
        while not self._stopping.is_set():
            if time.monotonic() >= next_cycle:
                self._judge(self._check())
                # Fixed rate, no catch-up burst after a slow cycle.
                next_cycle = max(next_cycle + self.check_interval, time.monotonic())
            else:
                self._check_prompt()
            self._sleep_until(next_cycle)
        log.info("worker_draining", in_flight_polls=sum(t.is_alive() for t in threads))
        for thread in threads:
            thread.join()
        self._check()
        # Heartbeats went on while the last long polls (up to 60 s) drained.
        self._keeper_done.set()
        keeper.join(timeout=5)
        log.info("worker_stopped", received=self.received)

    def _poll_loop(self) -> None:
        backoff = 0.0
        while not self._stopping.is_set():
            # Behind: keep what we hold alive and checked before taking more.
            self._keeping_up.wait()
            if self._stopping.is_set():
                return
            try:
                log.debug("long_poll_open")
                if self.lifecycle.poll_once(self.activity_arn):
                    with self._counts_lock:
                        self.received += 1
                backoff = 0.0
            except Exception as exc:  # noqa: BLE001 - a poller never dies
                backoff = min(max(backoff * 2, 0.5), 20.0)
                log.warning("poll_failed", error=str(exc)[:300], error_code=error_code(exc), retry_in_seconds=backoff)
                self._stopping.wait(backoff)

    def _keep_alive_loop(self) -> None:
        """Heartbeats, on time whatever the checker is doing."""
        tick = min(1.0, self.lifecycle.settings.heartbeat_interval_seconds / 4)
        while not self._keeper_done.wait(tick):
            try:
                beats = self.lifecycle.keep_alive()
            except Exception as exc:  # noqa: BLE001
                log.warning("keep_alive_failed", error=str(exc)[:300], error_code=error_code(exc))
                continue
            with self._counts_lock:
                self.stats.heartbeats += beats.heartbeats
                self.stats.late_heartbeats += beats.late_heartbeats
                self._late_since_cycle += beats.late_heartbeats

    def _judge(self, report: CycleReport | None) -> None:
        """After each cycle: is the worker keeping up? While it is not, its
        pollers open no new long polls (polls already open finish; the tasks
        stay with Step Functions, where another worker, or this one later,
        takes them)."""
        seconds = report.seconds if report else 0.0
        with self._counts_lock:
            late = self._late_since_cycle + (report.late_heartbeats if report else 0)
            self._late_since_cycle = 0
            self.stats.cycles += 1
            self.stats.last_cycle_seconds = seconds
            self.stats.late_heartbeats += report.late_heartbeats if report else 0
        slow = seconds > max(BEHIND_MIN_SECONDS, BEHIND_CYCLE_INTERVALS * self.check_interval)
        # A worker holding nothing has nothing to protect: it always polls, so
        # pausing can never stall it (finished runs shrink the work it holds).
        behind = (slow or late > 0) and self.lifecycle.held_count > 0
        if behind and not self.stats.behind:
            self.stats.behind, self.stats.times_behind = True, self.stats.times_behind + 1
            self._behind_since = time.monotonic()
            self._keeping_up.clear()
            log.warning(
                "worker_behind", cycle_seconds=round(seconds, 2), late_heartbeats=late,
                active_tasks=report.records if report else None, held_tasks=self.lifecycle.held_count, polling="paused",
            )
        elif not behind and self.stats.behind:
            self.stats.behind = False
            self._keeping_up.set()
            log.info("worker_caught_up", behind_seconds=round(time.monotonic() - self._behind_since, 2), cycle_seconds=round(seconds, 2))

    def _sleep_until(self, next_cycle: float) -> None:
        """Sleep until the next cycle or the next prompt check, whichever is
        first; a newly started run wakes us to re-plan."""
        self._wake.clear()
        timeout = next_cycle - time.monotonic()
        prompt = self.lifecycle.seconds_until_prompt_check()
        if prompt is not None:
            timeout = min(timeout, prompt)
        if timeout > 0:
            self._wake.wait(timeout)

    def _check_prompt(self) -> None:
        try:
            self.lifecycle.check_prompt()
        except Exception as exc:  # noqa: BLE001
            log.warning("prompt_check_failed", error=str(exc)[:300], error_code=error_code(exc))

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
