"""Running a lifecycle: as a long-lived service, or one bounded cycle (Lambda).

Signals are not handled here (only the entry point installs handlers); a
worker is stopped by ``request_shutdown()`` (warm) or ``stop_now()`` (cold).
Warm shutdown order: stop issuing long polls -> wait for polls already in
flight and record what they return -> one last pass over what it holds ->
say it is gone (the next sweep hands its tasks to another worker) -> stop
consuming events -> return. Cold: wait at most a moment for tasks already
taken to be recorded, then the caller exits. Running jobs are not waited for:
their records are durable and the next worker carries on.

Threads of ``serve``, in order of priority when the worker is behind: the
heartbeat keeper keeps held tokens alive, the checker tends what it holds
(every check interval, in memory) and sweeps (every sweep interval), the
events consumer reports runs as their events arrive, the pollers take new
work only while the worker keeps up. No thread reads the task table on a
timer except the sweep.
"""

from __future__ import annotations

import contextvars
import threading
import time
from dataclasses import dataclass
from typing import Callable

import structlog

from .activity import CycleReport, TaskLifecycle
from .config import LONG_POLL_SECONDS
from .events_consumer import EventConsumer
from .retry import error_code
from .sweep import SweepReport, sweep

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
    sweeps: int = 0  # sweeps this worker ran (others took the other turns)


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
        lifecycle.on_run_started = self._run_started
        self.events = EventConsumer(lifecycle, lifecycle.events) if lifecycle.events else None
        self._events_stop = threading.Event()
        self.received = 0
        self._counts_lock = threading.Lock()  # guards received and stats (pollers, keeper, checker)
        self.stats = WorkerStats()
        self._keeper_done = threading.Event()  # set once the pollers have drained
        self._keeping_up = threading.Event()  # pollers take new work only while set
        self._keeping_up.set()
        self._late_since_cycle = 0
        self._behind_since = 0.0
        # For the health signal: the threads serve() started, and when the
        # checker and heartbeat loops last came round (monotonic seconds).
        self._threads: list[threading.Thread] = []
        self._checker_at = self._keeper_at = time.monotonic()

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

    def health_problems(self, stuck_after: float, now: float | None = None) -> list[str]:
        """What is wrong with this worker for the container health check: a
        thread of serve() that died, or a checker or heartbeat loop that has
        not come round for ``stuck_after`` seconds. A draining worker has no
        problems (its threads end on purpose). A long poll may be open for a
        minute, so pollers are judged by being alive only."""
        if self.stopping:
            return []
        now = time.monotonic() if now is None else now
        kind = self.lifecycle.adapter.kind
        problems = [f"{kind}: thread {t.name} has died" for t in self._threads if not t.is_alive()]
        for loop, at in (("checker", self._checker_at), ("heartbeats", self._keeper_at)):
            if now - at > stuck_after:
                problems.append(f"{kind}: {loop} loop has not come round for {now - at:.0f} s")
        return problems

    # -- service mode --------------------------------------------------------
    def serve(self) -> None:
        """Long polls on their own threads, heartbeats on another, job events
        on another; on this one: what it holds every ``check_interval``
        (start to start), just-started runs promptly (without an events
        queue), and a sweep every sweep interval, the first at once (it takes
        over what dead workers left)."""
        sweep_interval = self.lifecycle.settings.sweep_interval_seconds
        self._checker_at = time.monotonic()
        self._sweep(force=True)
        threads = [_thread(self._poll_loop, f"poller-{i}") for i in range(self.pollers)]
        keeper = _thread(self._keep_alive_loop, "heartbeats")
        consumer = _thread(self.events.run, "job-events", self._events_stop) if self.events else None
        self._threads = [keeper, *([consumer] if consumer else []), *threads]
        for thread in self._threads:
            thread.start()
        log.info("worker_started", kind=self.lifecycle.adapter.kind, pollers=self.pollers, check_interval=self.check_interval,
                 sweep_interval=sweep_interval, events=bool(self.events))
        next_cycle = next_sweep = time.monotonic()
        next_sweep += sweep_interval
        while not self._stopping.is_set():
            now = self._checker_at = time.monotonic()
            if now >= next_cycle:
                self._judge(self._tend())
                # Fixed rate, no catch-up burst after a slow cycle.
                next_cycle = max(next_cycle + self.check_interval, time.monotonic())
            else:
                self._check_prompt()
            if now >= next_sweep:
                self._sweep()
                next_sweep = max(next_sweep + sweep_interval, time.monotonic())
            self._sleep_until(min(next_cycle, next_sweep))
        log.info("worker_draining", in_flight_polls=sum(t.is_alive() for t in threads))
        for thread in threads:
            thread.join()
        self._tend()
        self._say_gone()
        self._events_stop.set()
        if consumer is not None:
            consumer.join(timeout=1.0)  # a receive still open is left: what it returns comes back
        # Heartbeats went on while the last long polls (up to 60 s) drained.
        self._keeper_done.set()
        keeper.join(timeout=5)
        log.info("worker_stopped", received=self.received)

    def _run_started(self) -> None:
        self._wake.set()
        if self.events is not None:
            self.events.poke()

    def _sweep(self, force: bool = False) -> SweepReport | None:
        try:
            report = sweep(self.lifecycle, force=force)
        except Exception as exc:  # noqa: BLE001 - e.g. DynamoDB briefly unreachable; the next interval sweeps
            log.warning("sweep_failed", error=str(exc)[:300], error_code=error_code(exc))
            return None
        if report.swept:
            with self._counts_lock:
                self.stats.sweeps += 1
        return report

    def _say_gone(self) -> None:
        try:
            self.lifecycle.store.forget_worker(self.lifecycle.holder)
        except Exception as exc:  # noqa: BLE001 - it then counts as gone when its liveness runs out
            log.warning("worker_goodbye_failed", error=str(exc)[:300], error_code=error_code(exc))

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
            self._keeper_at = time.monotonic()
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

    def _tend(self) -> CycleReport | None:
        try:
            return self.lifecycle.tend()
        except Exception as exc:  # noqa: BLE001
            log.warning("check_cycle_failed", error=str(exc)[:300], error_code=error_code(exc))
            return None

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


def _thread(target: Callable[..., None], name: str, *args: object) -> threading.Thread:
    """A daemon thread that runs in a copy of the caller's logging context, so
    its log lines carry the worker's kind and activity too."""
    return threading.Thread(target=contextvars.copy_context().run, args=(target, *args), name=name, daemon=True)
