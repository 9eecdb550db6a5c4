"""The slow sweep: what events missed, and what dead workers held.

Every worker calls ``sweep`` once per sweep interval (default 60 s). A
worker that holds records says it is alive (``alive_until`` = now + 2
intervals; ``TaskLifecycle.vouch``); one that holds nothing has nothing to
vouch for and writes nothing (it vouches again before it records its next
task). Then one caller per interval, whichever takes the turn first (a
conditional write), sweeps for everyone:

1. it lists every task record and worker through the sweep index (a few
   small attributes each);
2. it takes over the records whose holder is gone (no live worker item): it
   becomes their holder, so it heartbeats them and moves them on;
3. it finishes reports whose reporter died (REPORTING, lease expired);
4. with an events queue, it checks the RUNNING runs that are due (the
   first sweep after a run starts, then less and less often up to every
   ``sweep_max_gap_seconds``: ``runners.sweep_schedule``) in batches (one
   GetJobRuns per Glue job name, one BatchGetQueryExecution per 50 queries)
   and reports those that ended: their event was lost, or was one Glue
   never sends (ERROR, EXPIRED). Without one, holders check their runs each
   check interval themselves.

So a lost event costs at most one sweep interval for a run shorter than
one (at most the max gap for a long run), a dead worker's tasks are
looked after again within about three, and the status calls of a sweep do
not grow with the number of workers. The table is never scanned.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from .activity import CycleReport
from .adapter import RunRef
from .retry import error_code
from .state import REPORTING, RUNNING, TaskRecord
from .sweep_schedule import is_due

if TYPE_CHECKING:
    from .activity import TaskLifecycle
    from .config import Settings

log = structlog.get_logger("runners.sweep")

# A dead worker's item is removed once it holds nothing and has been gone this long.
FORGET_WORKER_INTERVALS = 10.0


@dataclass
class SweepReport:
    swept: bool = False  # False: another worker had this interval's turn
    records: int = 0
    taken_over: int = 0
    checked: int = 0
    reported: int = 0
    errors: int = 0
    seconds: float = 0.0


def sweep(lifecycle: "TaskLifecycle", force: bool = False) -> SweepReport:
    """Say this worker is alive; sweep if it is this worker's turn (or
    ``force``: a worker starting up takes over what the dead left at once)."""
    began = time.monotonic()
    out = SweepReport()
    store, settings, now = lifecycle.store, lifecycle.settings, lifecycle.clock()
    interval = settings.sweep_interval_seconds
    if lifecycle.held_count:
        lifecycle.vouch(now)
    turn = store.take_sweep_turn(now, interval)
    if not (turn or force):
        return out
    out.swept = True
    workers, records = store.sweep_view()
    out.records = len(records)
    alive = {holder for holder, until in workers.items() if until >= now} | {lifecycle.holder}
    report = CycleReport()
    for record in records:
        if record.holder not in alive:
            _take_over(lifecycle, record, out)
    for record in records:
        if record.phase == REPORTING and record.lease_until < now:
            _finish_report(lifecycle, record, report)
    if lifecycle.events:
        running = [r for r in records if r.phase == RUNNING and r.run_id]
        _check_running(lifecycle, running if force else [r for r in running if _due(r, now, settings)], out, report)
    holding = {record.holder for record in records}
    for holder, until in workers.items():
        if holder not in holding and until < now - FORGET_WORKER_INTERVALS * interval:
            store.forget_worker(holder)
    out.reported += report.reported
    out.errors += report.errors
    out.seconds = time.monotonic() - began
    if out.taken_over or out.reported or out.errors:
        log.info("sweep_done", kind=lifecycle.adapter.kind, records=out.records, taken_over=out.taken_over,
                 checked=out.checked, reported=out.reported, errors=out.errors, seconds=round(out.seconds, 3))
    return out


def _due(record: TaskRecord, now: float, settings: "Settings") -> bool:
    age = None if record.started_at is None else now - record.started_at.timestamp()
    return is_due(age, settings.sweep_interval_seconds, settings.sweep_max_gap_seconds)


def _take_over(lifecycle: "TaskLifecycle", seen: TaskRecord, out: SweepReport) -> None:
    try:
        record = lifecycle.store.take_over(seen, lifecycle.holder)
    except Exception as exc:  # noqa: BLE001 - the next sweep tries again
        out.errors += 1
        log.warning("take_over_failed", task=seen.task_id[:12], error=str(exc)[:300], error_code=error_code(exc))
        return
    if record is not None:
        lifecycle.vouch(lifecycle.clock())
        lifecycle.hold(record)
        out.taken_over += 1
        log.info("task_taken_over", task=record.task_id[:12], kind=lifecycle.adapter.kind, phase=record.phase,
                 run_id=record.run_id, from_holder=seen.holder)


def _finish_report(lifecycle: "TaskLifecycle", seen: TaskRecord, report: CycleReport) -> None:
    """A reporter claimed the report and died before sending it."""
    try:
        record = lifecycle.store.get(seen.task_id)
        if record is not None and record.phase == REPORTING and record.lease_until < lifecycle.clock():
            lifecycle.resume_report(record, report)
    except Exception as exc:  # noqa: BLE001
        report.errors += 1
        log.warning("report_resume_failed", task=seen.task_id[:12], error=str(exc)[:300], error_code=error_code(exc))


def _check_running(lifecycle: "TaskLifecycle", running: list[TaskRecord], out: SweepReport, report: CycleReport) -> None:
    """Status of every RUNNING run, whoever holds it; report those that ended."""
    out.checked = len(running)
    refs = [RunRef(r.run_id or "", r.run_group) for r in running]
    statuses = lifecycle.adapter_statuses(refs, report)
    for seen in running:
        status = statuses.get(seen.run_id or "")
        if status is None or not status.terminal:
            continue
        try:
            record = lifecycle.held_record(seen.task_id) or lifecycle.store.get(seen.task_id)
            if record is not None and record.phase == RUNNING:
                log.info("run_ended_unannounced", task=seen.task_id[:12], kind=lifecycle.adapter.kind, run_id=seen.run_id, state=status.state)
                lifecycle.report_ended(record, status, report)
        except Exception as exc:  # noqa: BLE001
            report.errors += 1
            log.warning("sweep_report_failed", task=seen.task_id[:12], error=str(exc)[:300], error_code=error_code(exc))
