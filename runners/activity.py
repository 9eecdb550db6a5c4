"""The one task lifecycle: poll -> record -> validate -> [gate] -> start -> check -> report -> forget.

Shared by Glue and Athena through ``ServiceAdapter``. A task whose input has
a ``DependencyGate`` is held like a deferred start (RECEIVED, heartbeating,
looked at again each cycle) until the jobs and state machines it names are
idle; see ``_gate_open``. Every step is safe to
repeat after a crash at any instant: records are written before anything is
started, phase changes are conditional, starts are idempotent (Athena
ClientRequestToken; Glue run tagged with the task id and adopted on recovery)
and the outcome is saved before it is sent.

How a worker finds what needs attention: the records it *holds* (received
or taken over; ``runners.state``) are in memory, and ``tend`` looks at them
every check interval without reading the table. A run's end reaches it by
its job state change event (``runners.job_events``, with an events queue),
else by a status check of its held runs each check interval; the slow
``runners.sweep`` catches what events missed and takes over what dead
workers held. ``check_all`` reads the whole table instead: Lambda mode's
cycle, where no worker outlives an invocation.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import uuid
from datetime import datetime, timezone
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import structlog
from botocore.exceptions import ClientError, ParamValidationError

from . import failpoints
from .adapter import RunRef, RunStatus, ServiceAdapter
from .config import Settings
from .errors import (
    DependencyGateCheckFailedError, DependencyGateTimeoutError, InvalidTaskInputError, JobStartFailedError, RunnerError, StartDeferred,
    TaskNotRecordedError, to_sfn_failure,
)
from .gate import GateChecker, GateStatus
from .log import token_hash
from .retry import error_code, is_transient
from .state import RECEIVED, REPORTING, RUNNING, STARTING, Conflict, TaskRecord, TaskStore, task_id_for
from .task_input import DependencyGate, load_task_input

if TYPE_CHECKING:
    from .events_consumer import EventsQueue

log = structlog.get_logger("runners.activity")

# A worker is alive until this many sweep intervals after it last vouched.
LIVENESS_INTERVALS = 2.0

# Step Functions' answers meaning "nobody is waiting for this token any more".
LOST_TOKEN_CODES = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})


# Prompt checks: a run just started is checked at interval/8, /4, /2 after
# its start, then only with the regular cycle. A query that ends in 100 ms is
# reported in about a tenth of the interval, and a long run costs three
# extra (batched) status calls.
PROMPT_FIRST_CHECK_FRACTION = 1 / 8

# Phases whose token a worker keeps alive with heartbeats.
BEATING_PHASES = (RECEIVED, STARTING, RUNNING)
# A heartbeat sent more than this share of the interval (and at least
# LATE_HEARTBEAT_MIN_SECONDS) past its due time is late: the worker is behind
# (it logs it and takes no new work until it is not).
LATE_HEARTBEAT_FRACTION = 0.25
LATE_HEARTBEAT_MIN_SECONDS = 1.0
# Backoff between transient start failures of one task: 1, 2, 4 ... 30 s.
START_BACKOFF_MAX_SECONDS = 30.0
# Run ids this worker reported lately: a repeated event for one of them is
# answered from memory.
RECENTLY_REPORTED = 1024


@dataclass
class _PromptWatch:
    """A run this worker just started, and when to look at it next."""

    record: TaskRecord
    started: float
    due: float


@dataclass
class CycleReport:
    """What one check cycle saw and did (for logs, tests and benchmarks)."""

    records: int = 0
    started: int = 0
    reported: int = 0
    heartbeats: int = 0
    abandoned: int = 0
    errors: int = 0
    late_heartbeats: int = 0
    seconds: float = 0.0
    states: dict[str, int] = field(default_factory=dict)


class TaskLifecycle:
    """Drives every task of one activity from receipt to report."""

    def __init__(
        self,
        adapter: ServiceAdapter,
        store: TaskStore,
        sfn: Any,
        settings: Settings,
        clock: Callable[[], float] = time.time,
        gate_checker: GateChecker | None = None,
        events: "EventsQueue | None" = None,
    ) -> None:
        self.adapter = adapter
        #: The queue of this kind's job state change events, if any: then run
        #: ends come by event (and sweeps), not by status checks each cycle.
        self.events = events
        self.gate_checker = gate_checker
        self.store = store
        self.sfn = sfn
        self.settings = settings
        self.clock = clock
        # Leases are held by one claim (one thread's pass through a phase), not
        # by the process: the poller that took a task and the checker thread
        # of the same worker must not both start it, and a restarted worker
        # must wait for its dead predecessor's leases like anyone else.
        self.worker_id = f"{settings.worker_name}:{os.getpid()}"
        # This lifecycle as the holder of records (several may share a process).
        self.holder = f"{self.worker_id}:{uuid.uuid4().hex[:8]}"
        self._recently_reported: dict[str, None] = {}  # run ids, oldest first
        self._last_beat: dict[str, float] = {}
        self._seen_over: dict[str, float] = {}  # another worker's run seen ended, since when
        self._beat_lock = threading.Lock()
        self._beating: set[str] = set()  # heartbeats in flight (keeper and checker never double up)
        # Records whose token this worker keeps alive: the last scan's, plus
        # those received since. The heartbeat keeper needs no scan of its own.
        self._held: dict[str, TaskRecord] = {}
        self._vouch_lock = threading.Lock()
        self._alive_until = 0.0  # what this worker last said about itself
        self._received_since_scan: set[str] = set()
        # Tasks taken from Step Functions but not yet recorded (a cold stop
        # waits for them: the protocol's one lost-token window).
        self._in_hand = 0
        self._in_hand_changed = threading.Condition()
        self._cycle_retry = settings.cycle_retry()
        self._record_retry = settings.record_retry()
        self._prompt: dict[str, _PromptWatch] = {}
        self._prompt_lock = threading.Lock()
        self._gate_blockers: dict[str, list[str]] = {}  # what held each task at its gate, last we looked
        #: Called (on the starting thread) after a run starts; a worker uses
        #: it to wake its checker for the run's first prompt check.
        self.on_run_started: Callable[[], None] = lambda: None

    # -- receiving -----------------------------------------------------------
    def poll_once(self, activity_arn: str) -> bool:
        """One GetActivityTask long poll; True if a task arrived (and was recorded)."""
        response = self.sfn.get_activity_task(activityArn=activity_arn, workerName=self.settings.worker_name[:80])
        token = response.get("taskToken")
        if not token:
            return False
        self.accept(token, response.get("input"))
        return True

    def accept(self, token: str, raw_input: str | None) -> None:
        """Record a task the instant it arrives, then try to start it at once.

        A task that cannot be recorded is failed at once with a named error:
        we hold its token, and dropping it would hang its execution until a
        timeout."""
        owner = self._claim_id()
        lease_until = self.clock() + self.settings.lease_seconds
        with self._in_hand_changed:
            self._in_hand += 1
        try:
            failpoints.hit("before_record")
            self._vouch_quietly()
            try:
                record = self._record_retry.call(self.store.create, token, raw_input, owner, lease_until, self.holder)
            except Conflict:
                # A retried put whose first attempt landed; the record is there.
                record = self.store.get(task_id_for(token))
                if record is None:
                    return
            except Exception as exc:  # noqa: BLE001 - any failure to record fails the task
                self._fail_unrecorded(token, exc)
                return
        finally:
            with self._in_hand_changed:
                self._in_hand -= 1
                self._in_hand_changed.notify_all()
        failpoints.hit("after_record")
        self._hold(record)
        log.info("task_received", task=record.task_id[:12], kind=self.adapter.kind)
        self._safely(self._start, record, CycleReport(), owner)

    def _fail_unrecorded(self, token: str, exc: BaseException) -> None:
        error = TaskNotRecordedError(
            f"the task could not be recorded: {type(exc).__name__}: {str(exc)[:500]}",
            errorType=type(exc).__name__, errorCode=error_code(exc),
        )
        bound = log.bind(task=task_id_for(token)[:12], kind=self.adapter.kind, token=token_hash(token))
        bound.error("task_not_recorded", error=str(exc)[:300], error_type=type(exc).__name__, error_code=error_code(exc))
        name, cause = to_sfn_failure(error)
        try:
            self._record_retry.call(self.sfn.send_task_failure, taskToken=token, error=name, cause=cause)
            bound.warning("task_reported", status="failure", error=name)
        except Exception as send_exc:  # noqa: BLE001
            bound.error("task_lost", error=str(send_exc)[:300], error_code=error_code(send_exc))

    def wait_for_in_hand(self, timeout: float) -> bool:
        """Wait until every task taken from Step Functions is recorded (or failed).
        True if none is left in hand."""
        deadline = time.monotonic() + timeout
        with self._in_hand_changed:
            while self._in_hand:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._in_hand_changed.wait(remaining)
            return True

    # -- checking ------------------------------------------------------------
    def check_all(self) -> CycleReport:
        """One cycle over every record of the table (a consistent scan):
        start what is due, check what runs (in batches), heartbeat what needs
        it, report what ended. Lambda mode's cycle; a serving worker ``tend``s
        what it holds instead."""
        began = time.monotonic()
        report = CycleReport()
        if self.gate_checker is not None:
            self.gate_checker.new_cycle()
        with self._beat_lock:
            self._received_since_scan = set()
        records = list(self.store.scan())
        report.records = len(records)
        self._hold_only(records)
        statuses = self._statuses([r for r in records if r.phase == RUNNING and r.run_id], report)
        for record in records:
            self._safely(self._advance, record, report, statuses.get(record.run_id or ""))
        self._forget_gone({r.task_id for r in records})
        report.seconds = time.monotonic() - began
        return report

    def tend(self) -> CycleReport:
        """One pass over the records this worker holds, in memory (no table
        read): start what is due, look at gates, retry failed reports, and,
        without an events queue, check the held runs (in batches) and report
        those that ended."""
        began = time.monotonic()
        report = CycleReport()
        if self.gate_checker is not None:
            self.gate_checker.new_cycle()
        with self._beat_lock:
            held = list(self._held.values())
        report.records = len(held)
        running = [] if self.events else [r for r in held if r.phase == RUNNING and r.run_id]
        statuses = self._statuses(running, report)
        for record in held:
            self._safely(self._advance, record, report, statuses.get(record.run_id or ""), True)
        report.seconds = time.monotonic() - began
        return report

    def keep_alive(self) -> CycleReport:
        """Heartbeat every held task that is due, and nothing else: run on its
        own thread, so slow scans, status calls or starts never make a token
        expire (a worker that is behind keeps what it holds alive first)."""
        report = CycleReport()
        with self._beat_lock:
            held = [r for r in self._held.values() if r.phase in BEATING_PHASES]
        report.records = len(held)
        for record in held:
            self._safely(self._heartbeat_if_due, record, report)
        return report

    def check_prompt(self) -> CycleReport:
        """Check, in one batch, the just-started runs whose prompt check is
        due; report those that ended. No scan: these records are in memory."""
        report = CycleReport()
        now = self.clock()
        with self._prompt_lock:
            due = [w for w in self._prompt.values() if w.due <= now]
        if not due:
            return report
        report.records = len(due)
        statuses = self._statuses([w.record for w in due], report)
        with self._prompt_lock:
            for watch in due:
                next_due = watch.started + 2 * (watch.due - watch.started)
                if next_due - watch.started >= self.settings.check_interval_seconds:
                    self._prompt.pop(watch.record.task_id, None)  # the regular cycle takes over
                else:
                    watch.due = next_due
        for watch in due:
            status = statuses.get(watch.record.run_id or "")
            if status is not None and status.terminal:
                self._safely(self._advance, watch.record, report, status)
        return report

    def _statuses(self, running: list[TaskRecord], report: CycleReport) -> dict[str, RunStatus]:
        """Statuses of these runs by run id, in the adapter's batches. A failed
        call is logged and counted, never fatal: the next check looks again."""
        if not running:
            return {}
        return self.adapter_statuses([self._ref(r) for r in running], report)

    def adapter_statuses(self, refs: list[RunRef], report: CycleReport) -> dict[str, RunStatus]:
        """``adapter.statuses`` for these runs; a failed call is logged and
        counted, never fatal (the next check looks again)."""
        if not refs:
            return {}
        try:
            return self.adapter.statuses(refs)
        except Exception as exc:  # noqa: BLE001 - one bad call must not stop the cycle
            report.errors += 1
            log.warning("status_check_failed", kind=self.adapter.kind, error=str(exc), error_code=error_code(exc))
            return {}

    def seconds_until_prompt_check(self) -> float | None:
        """How long until a just-started run is due a prompt check (None: none is)."""
        with self._prompt_lock:
            if not self._prompt:
                return None
            return max(0.0, min(w.due for w in self._prompt.values()) - self.clock())

    def _watch_promptly(self, record: TaskRecord) -> None:
        if self.events:  # its event reports it; a prompt check would cost calls for nothing
            self.on_run_started()
            return
        now = self.clock()
        first = self.settings.check_interval_seconds * PROMPT_FIRST_CHECK_FRACTION
        with self._prompt_lock:
            self._prompt[record.task_id] = _PromptWatch(record, now, now + first)
        self.on_run_started()

    def _advance(self, record: TaskRecord, report: CycleReport, status: RunStatus | None, held: bool = False) -> None:
        """Move one record on. ``held``: this worker holds it (``tend``), so
        it reports an ended run at once; from a scan, the run's starter does."""
        report.states[record.phase] = report.states.get(record.phase, 0) + 1
        if record.phase in (RECEIVED, STARTING):
            if self._heartbeat_if_due(record, report):
                self._start(record, report)
        elif record.phase == RUNNING:
            if status is not None and status.terminal:
                if held or self._reports(record):
                    self._finish(record, self._outcome_of(status), report)
            else:
                self._heartbeat_if_due(record, report)
        elif record.phase == REPORTING:
            if record.lease_until < self.clock():
                self.resume_report(record, report)

    def resume_report(self, record: TaskRecord, report: CycleReport) -> bool:
        """Send the saved outcome of a record whose reporter's lease expired
        (it died between claiming the report and finishing it). False if
        another claim holds it now."""
        try:
            self.store.claim(record, REPORTING, self._claim_id(), self.settings.lease_seconds, self.clock())
        except Conflict:
            self._refresh_held(record.task_id)
            return False
        self._report(record, report)
        return True

    # -- starting ------------------------------------------------------------
    def _start(self, record: TaskRecord, report: CycleReport, owner: str | None = None) -> None:
        """Start the run (or adopt one an interrupted attempt started).
        ``owner``: the claim that received the task and holds its first lease."""
        now = self.clock()
        if record.phase == RECEIVED and record.not_before > now:
            return
        if record.lease_until >= now and not (owner and record.owner == owner):
            return  # its receiver or a starter (maybe another thread of ours) holds it
        if record.phase == RECEIVED and not self._gate_open(record, report, owner):
            return
        earlier_attempts = int(record.start_attempts)
        owner = owner or self._claim_id()
        try:
            self.store.claim(record, STARTING, owner, self.settings.lease_seconds, now, start_attempts=earlier_attempts + 1)
        except Conflict:
            self._refresh_held(record.task_id)  # our copy is behind: someone else moved it on
            return
        failpoints.hit("after_claim")
        bound = log.bind(task=record.task_id[:12], kind=self.adapter.kind)
        try:
            request = self.adapter.parse(self._load(record))
            group = self.adapter.group_of(request)
            bound = bound.bind(group=group)
            run_id = None
            if earlier_attempts:
                # An interrupted attempt may have started the run: adopt it.
                run_id = self.adapter.find_started(record.task_id, request, record.received_at)
                if run_id:
                    bound.info("run_adopted", run_id=run_id)
            if run_id is None:
                run_id = self.adapter.start(record.task_id, request)
                bound.info("run_started", run_id=run_id)
                report.started += 1
            failpoints.hit("after_start")
            self.store.advance(record, owner, RUNNING, run_id=run_id, run_group=group, started_at=datetime.fromtimestamp(self.clock(), timezone.utc), lease_until=0, start_errors=0)
            self._watch_promptly(record)
        except Conflict:
            raise
        except StartDeferred as deferred:
            retry_at = self.clock() + self.settings.start_retry_seconds
            bound.info("start_deferred", reason=deferred.reason, retry_in_seconds=self.settings.start_retry_seconds)
            self.store.advance(record, owner, RECEIVED, not_before=retry_at, lease_until=0)
        except Exception as exc:  # noqa: BLE001 - classified below; never retried blindly forever
            error = self._start_failure(record, exc)
            if error is not None:
                bound.warning("task_failed_to_start", error=error.error_name, reason=error.message[:500])
                self._finish(record, _failure(error), report, owner)
                return
            # Transient trouble: back off (holding the lease), then the next
            # cycle (ours or another worker's) retries, searching for a run an
            # attempt whose answer was lost may have started.
            errors = int(record.start_errors) + 1
            backoff = min(START_BACKOFF_MAX_SECONDS, 2.0 ** (errors - 1)) * random.uniform(0.5, 1.0)
            bound.warning(
                "start_failed_will_retry", attempt=errors, of=self.settings.max_start_errors, retry_in_seconds=round(backoff, 2),
                error=str(exc)[:300], error_type=type(exc).__name__, error_code=error_code(exc),
            )
            report.errors += 1
            self.store.advance(record, owner, STARTING, lease_until=self.clock() + backoff, start_errors=errors)

    # -- dependency gate -----------------------------------------------------
    def _gate_open(self, record: TaskRecord, report: CycleReport, owner: str | None) -> bool:
        """True if the task may be claimed for a start: it has no gate, or
        everything its gate names is idle.

        Looked at before the claim, so a held task costs no table write per
        cycle: only the first closed sighting writes (``gate_closed_at``, and
        the receiver's lease is released so any worker's next cycle looks
        again). Only RECEIVED tasks are gated: a STARTING one may already
        have a run to adopt. A gate that stays closed ``MaxWaitSeconds`` past
        ``gate_closed_at``, or cannot be checked at all, fails the task."""
        gate = self._gate_of(record)
        if gate is None:
            return True
        bound = log.bind(task=token_hash(record.task_token), kind=self.adapter.kind)
        try:
            if self.gate_checker is None:
                raise DependencyGateCheckFailedError("this worker has no dependency gate checker; the task's DependencyGate cannot be honoured")
            status = self.gate_checker.check(gate)
        except DependencyGateCheckFailedError as error:
            bound.warning("task_gate_check_failed", reason=error.message[:500], error_code=error.details.get("errorCode"))
            self._finish(record, _failure(error), report, owner)
            return False
        now = self.clock()
        if status.open:
            if record.gate_closed_at is not None:
                with self._beat_lock:
                    waited_for = self._gate_blockers.pop(record.task_id, None) or gate.names
                bound.info("task_gate_opened", waited_for=waited_for, waited_seconds=round(now - record.gate_closed_at.timestamp(), 2))
            return True
        if record.gate_closed_at is None:
            self.store.hold_at_gate(record, owner or self._claim_id(), now)
        waited = now - record.gate_closed_at.timestamp() if record.gate_closed_at else 0.0
        if waited >= gate.max_wait_seconds:
            error = _gate_timeout(gate, status, waited, record.gate_closed_at)
            bound.warning("task_gate_timed_out", blockers=status.blockers, waited_seconds=round(waited, 2), max_wait_seconds=gate.max_wait_seconds)
            self._finish(record, _failure(error), report, owner)
            return False
        with self._beat_lock:
            changed = self._gate_blockers.get(record.task_id) != status.blockers
            self._gate_blockers[record.task_id] = status.blockers
        if changed:
            bound.info(
                "task_gate_held", busy_glue_jobs=list(status.busy_glue_jobs), busy_state_machines=list(status.busy_state_machines),
                unchecked=list(status.unchecked), waited_seconds=round(waited, 2), max_wait_seconds=gate.max_wait_seconds,
            )
        return False

    def _gate_of(self, record: TaskRecord) -> DependencyGate | None:
        """The task's gate; None if it has none or its input is invalid (the
        claimed start then fails it with the usual InvalidTaskInputError)."""
        try:
            request = self.adapter.parse(self._load(record))
        except InvalidTaskInputError:
            return None
        return getattr(request, "gate", None)

    def _start_failure(self, record: TaskRecord, exc: Exception) -> RunnerError | None:
        """The error a failed start reports, or None if it is worth retrying.

        The task's fault or the service's final word fails the task at once;
        transient trouble is retried, but only ``max_start_errors`` times."""
        if isinstance(exc, RunnerError):
            return exc
        if isinstance(exc, ParamValidationError):
            return InvalidTaskInputError(f"the {self.adapter.kind} request is invalid: {exc}")
        code = error_code(exc)
        if isinstance(exc, ClientError) and not is_transient(exc):
            message = exc.response.get("Error", {}).get("Message", str(exc))
            return JobStartFailedError(f"{self.adapter.kind} refused the start: {code}: {message}", errorCode=code)
        if int(record.start_errors) + 1 >= self.settings.max_start_errors:
            return JobStartFailedError(
                f"could not start after {int(record.start_errors) + 1} attempts; last error: {type(exc).__name__}: {str(exc)[:500]}",
                errorType=type(exc).__name__, errorCode=code,
            )
        return None

    # -- finishing -----------------------------------------------------------
    def _outcome_of(self, status: RunStatus) -> dict[str, Any]:
        if status.succeeded:
            return {"status": "success", "output": status.output}
        message = status.error_message or f"run ended in state {status.state}"
        return _failure(self.adapter.failure_error(message, **status.output))

    def report_ended(self, record: TaskRecord, status: RunStatus, report: CycleReport) -> bool:
        """Report a run that has ended, whoever saw it end (a status check, a
        sweep, a job state change event): the conditional REPORTING claim
        lets exactly one report it. False if another claim had it first."""
        return self._finish(record, self._outcome_of(status), report)

    def _finish(self, record: TaskRecord, outcome: dict[str, Any], report: CycleReport, owner: str | None = None) -> bool:
        """Save the outcome (claiming the report), then send it. ``owner`` is
        the claim already held on the record (a start that failed), if any.
        False if another claim had the report first."""
        with self._prompt_lock:
            self._prompt.pop(record.task_id, None)
        self._release(record.task_id)
        try:
            self.store.claim(
                record, REPORTING, owner or self._claim_id(), self.settings.lease_seconds, self.clock(),
                outcome=json.dumps(outcome, default=str),
            )
        except Conflict:
            return False  # another worker reports it
        failpoints.hit("before_report")
        self._report(record, report)
        return True

    def _report(self, record: TaskRecord, report: CycleReport) -> None:
        outcome = json.loads(record.outcome or "{}")
        bound = log.bind(task=record.task_id[:12], kind=self.adapter.kind, run_id=record.run_id)
        try:
            if outcome.get("status") == "success":
                self._cycle_retry.call(self.sfn.send_task_success, taskToken=record.task_token, output=json.dumps(outcome["output"]))
            else:
                self._cycle_retry.call(
                    self.sfn.send_task_failure, taskToken=record.task_token, error=outcome.get("error", "RunnerError"), cause=outcome.get("cause", ""),
                )
            bound.info("task_reported", status=outcome.get("status"), error=outcome.get("error"))
            report.reported += 1
        except ClientError as exc:
            if error_code(exc) not in LOST_TOKEN_CODES:
                raise
            # Already reported by an earlier attempt, or nobody waits any more.
            bound.warning("report_token_gone", error_code=error_code(exc))
        failpoints.hit("after_report")
        self.store.delete(record)
        if record.run_id:
            with self._beat_lock:
                self._recently_reported[record.run_id] = None
                while len(self._recently_reported) > RECENTLY_REPORTED:
                    del self._recently_reported[next(iter(self._recently_reported))]

    # -- heartbeats and lost tokens ------------------------------------------
    def _heartbeat_if_due(self, record: TaskRecord, report: CycleReport) -> bool:
        """Heartbeat when the interval has passed. False if the token is lost
        (the record is then cleaned up, and its run stopped if still running)."""
        now = self.clock()
        interval = self.settings.heartbeat_interval_seconds
        with self._beat_lock:
            ours = record.task_id in self._last_beat
            last = self._last_beat.setdefault(record.task_id, record.received_at.timestamp())
            if now - last < interval or record.task_id in self._beating:
                return True
            self._beating.add(record.task_id)
        try:
            late = now - (last + interval)
            if ours and late > max(interval * LATE_HEARTBEAT_FRACTION, LATE_HEARTBEAT_MIN_SECONDS):
                report.late_heartbeats += 1
                log.warning("heartbeat_late", task=record.task_id[:12], kind=self.adapter.kind, late_seconds=round(late, 2))
            try:
                self._cycle_retry.call(self.sfn.send_task_heartbeat, taskToken=record.task_token)
            except ClientError as exc:
                if error_code(exc) not in LOST_TOKEN_CODES:
                    raise
                self._abandon(record, error_code(exc) or "", report)
                return False
            with self._beat_lock:
                self._last_beat[record.task_id] = now
            report.heartbeats += 1
            return True
        finally:
            with self._beat_lock:
                self._beating.discard(record.task_id)

    def _abandon(self, record: TaskRecord, reason: str, report: CycleReport) -> None:
        """Step Functions no longer waits for this token. Find out why before
        acting: a task another worker just reported is not an incident, and a
        run that has already ended needs no stop."""
        self._release(record.task_id)
        bound = log.bind(task=record.task_id[:12], kind=self.adapter.kind, reason=reason)
        current = self.store.get(record.task_id)
        if current is None or current.phase == REPORTING:
            bound.info("task_reported_elsewhere", run_id=record.run_id)
            return  # its reporter deletes the record
        bound = bound.bind(run_id=current.run_id)
        if current.run_id and self.settings.stop_on_lost_token:
            status = self._statuses([current], report).get(current.run_id)
            if status is not None and status.terminal:
                bound.info("token_lost_run_ended", state=status.state)
            else:
                try:
                    self.adapter.stop(self._ref(current))
                    bound.warning("run_stopped_token_lost")
                except ClientError as exc:
                    bound.warning("stop_failed", error_code=error_code(exc))
        else:
            bound.warning("task_abandoned_token_lost", phase=current.phase)
        self.store.delete(current)
        report.abandoned += 1

    def _reports(self, record: TaskRecord) -> bool:
        """The worker that started a run reports it. Others step in once they
        have seen it ended for two check intervals (its starter is gone),
        instead of racing it for the report with refused conditional writes."""
        if (record.owner or "").startswith(f"{self.worker_id}:"):
            return True
        now = self.clock()
        with self._beat_lock:
            first_seen = self._seen_over.setdefault(record.task_id, now)
        return now - first_seen >= 2 * self.settings.check_interval_seconds

    def _claim_id(self) -> str:
        return f"{self.worker_id}:{uuid.uuid4().hex[:12]}"

    def load(self, record: TaskRecord) -> dict[str, Any]:
        """The task's input, parsed as JSON (InvalidTaskInputError if it cannot be)."""
        return self._load(record)

    def _load(self, record: TaskRecord) -> dict[str, Any]:
        if record.input_error:
            raise InvalidTaskInputError(record.input_error)
        return load_task_input(record.raw_input, self.settings.max_task_input_bytes)

    def _ref(self, record: TaskRecord) -> RunRef:
        request = self.adapter.parse(self._load(record))
        return RunRef(record.run_id or "", record.run_group, request)

    # -- held tokens ---------------------------------------------------------
    def vouch(self, now: float) -> None:
        """Say this worker is alive for two more sweep intervals, unless it
        already said so with more than one interval to spare. Only a worker
        that holds records needs to (a sweep takes over the records of holders
        that are not alive), so an idle worker writes nothing for it."""
        interval = self.settings.sweep_interval_seconds
        with self._vouch_lock:
            if self._alive_until - now > interval:
                return
            until = now + LIVENESS_INTERVALS * interval
            self.store.say_alive(self.holder, until)
            self._alive_until = until

    def _vouch_quietly(self) -> None:
        """Before recording a task: vouch, or let the next sweep do it (a
        failed write here must not cost the task; at worst another worker's
        sweep takes the record over, which is safe)."""
        try:
            self.vouch(self.clock())
        except Exception as exc:  # noqa: BLE001
            log.warning("vouch_failed", kind=self.adapter.kind, error=str(exc)[:300], error_code=error_code(exc))

    def hold(self, record: TaskRecord) -> None:
        """Look after this record from now on (a sweep took it over)."""
        self._hold(record)

    def _hold(self, record: TaskRecord) -> None:
        with self._beat_lock:
            self._held[record.task_id] = record
            self._received_since_scan.add(record.task_id)

    def held_run(self, run_id: str) -> TaskRecord | None:
        """The held record of this run, if this worker holds it."""
        with self._beat_lock:
            return next((r for r in self._held.values() if r.run_id == run_id), None)

    def held_record(self, task_id: str) -> TaskRecord | None:
        with self._beat_lock:
            return self._held.get(task_id)

    def reported_lately(self, run_id: str) -> bool:
        """True if this worker reported this run's task (a repeated event)."""
        with self._beat_lock:
            return run_id in self._recently_reported

    def _refresh_held(self, task_id: str) -> None:
        """A change to a held record was refused: our copy is behind. Read it
        again; keep holding it only if it still exists and is still ours."""
        with self._beat_lock:
            if task_id not in self._held:
                return
        current = self.store.get(task_id)
        with self._beat_lock:
            if current is None or current.holder not in (None, self.holder):
                self._held.pop(task_id, None)
            elif task_id in self._held:
                self._held[task_id] = current

    def _hold_only(self, records: list[TaskRecord]) -> None:
        """After a scan: hold exactly what is recorded, plus what was received
        while the scan ran (it may have missed those)."""
        scanned = {r.task_id: r for r in records}
        with self._beat_lock:
            fresh = {k: self._held[k] for k in self._received_since_scan if k in self._held and k not in scanned}
            self._held = {**scanned, **fresh}

    def _release(self, task_id: str) -> None:
        """Stop looking after a task (reported, lost, or someone else's now)."""
        with self._beat_lock:
            self._held.pop(task_id, None)
            self._received_since_scan.discard(task_id)
            for seen in (self._last_beat, self._seen_over, self._gate_blockers):
                seen.pop(task_id, None)

    @property
    def held_count(self) -> int:
        with self._beat_lock:
            return len(self._held)

    def _forget_gone(self, live: set[str]) -> None:
        """Drop per-task memory (heartbeat times, ended-run sightings) of tasks no longer recorded."""
        with self._beat_lock:
            for seen in (self._last_beat, self._seen_over, self._gate_blockers):
                for task_id in [t for t in seen if t not in live]:
                    del seen[task_id]

    # -- isolation -----------------------------------------------------------
    def _safely(self, step: Callable[..., None], record: TaskRecord, report: CycleReport, *args: Any) -> None:
        """One task's trouble is logged and retried next cycle; never fatal."""
        try:
            step(record, report, *args)
        except Conflict:
            self._refresh_held(record.task_id)  # a held copy that is behind would be refused again and again
        except Exception as exc:  # noqa: BLE001
            report.errors += 1
            log.warning(
                "task_step_failed", task=record.task_id[:12], kind=self.adapter.kind, phase=record.phase,
                error=str(exc)[:500], error_type=type(exc).__name__, error_code=error_code(exc),
            )


def _failure(error: RunnerError) -> dict[str, Any]:
    name, cause = to_sfn_failure(error)
    return {"status": "failure", "error": name, "cause": cause}


def _gate_timeout(gate: DependencyGate, status: GateStatus, waited: float, closed_at: datetime | None) -> DependencyGateTimeoutError:
    return DependencyGateTimeoutError(
        f"the dependency gate stayed closed for {waited:.0f} s (MaxWaitSeconds {gate.max_wait_seconds}); "
        f"still busy: {', '.join(status.blockers)}",
        **status.details(), maxWaitSeconds=gate.max_wait_seconds, waitedSeconds=round(waited, 2),
        gateClosedAt=closed_at.isoformat() if closed_at else None,
    )
