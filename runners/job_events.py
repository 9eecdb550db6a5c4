"""Job state change events: how a run's end reaches its task without a status call.

EventBridge rules (``EVENT_PATTERNS``) send Glue "Glue Job State Change"
and Athena "Athena Query State Change" events of runs that ended to an SQS
queue; a serving worker's consumer thread (``runners.events_consumer``) or
the Lambda handler ``runners.handlers.job_events`` hands each one to
``handle_event``, which finds the task of the run and reports it through the
same conditional REPORTING claim a status check uses.

Events are delivered best effort: late, twice, or never. Hence:

* a repeated or late event finds the task already reported (gone, or
  REPORTING under another claim) and changes nothing;
* an event can beat the record of its run (a query that ends within
  milliseconds of its start): no task has its run id yet. The caller tries
  again for ``EARLY_EVENT_SECONDS`` and then lets it go, as it lets go of
  events of runs that are not the runner's (every Glue job and Athena query
  of the account matches the rules);
* a lost event is made up for by the sweep (``runners.sweep``).

A message is deleted only once its event is handled (``Handled.REPORTED``,
``DONE``, or ``NOT_FOUND`` for good); a worker killed in between leaves it
to come back to another.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import structlog

from . import athena, glue
from .activity import CycleReport
from .adapter import RunRef, RunStatus
from .errors import InvalidTaskInputError
from .retry import error_code
from .state import REPORTING, RUNNING, TaskRecord

if TYPE_CHECKING:
    from .activity import TaskLifecycle

log = structlog.get_logger("runners.job_events")

GLUE_SOURCE, GLUE_DETAIL_TYPE = "aws.glue", "Glue Job State Change"
ATHENA_SOURCE, ATHENA_DETAIL_TYPE = "aws.athena", "Athena Query State Change"

#: The EventBridge rule patterns (default bus) that feed each kind's events queue:
#: only ends, as the services document them (Glue sends no event for ERROR or
#: EXPIRED; the sweep finds those).
EVENT_PATTERNS: dict[str, dict[str, Any]] = {
    "glue": {"source": [GLUE_SOURCE], "detail-type": [GLUE_DETAIL_TYPE],
             "detail": {"state": ["SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED"]}},
    "athena": {"source": [ATHENA_SOURCE], "detail-type": [ATHENA_DETAIL_TYPE],
               "detail": {"currentState": ["SUCCEEDED", "FAILED", "CANCELLED"]}},
}
# How long an event whose run has no task yet is tried again before it is let go.
EARLY_EVENT_SECONDS = 5.0


@dataclass(frozen=True)
class JobEvent:
    kind: str  # glue | athena
    run_id: str
    state: str
    detail: dict[str, Any]
    time: datetime | None
    event_id: str

    @property
    def terminal(self) -> bool:
        return self.state in (glue.TERMINAL_STATES if self.kind == "glue" else athena.TERMINAL_STATES)

    def age_seconds(self, now: float) -> float:
        return now - self.time.timestamp() if self.time is not None else 0.0


class Handled(enum.Enum):
    REPORTED = "reported"  # this call reported the task
    DONE = "done"  # nothing (more) to do: already reported, or not an end
    NOT_FOUND = "not_found"  # no task has this run (yet): early, or not the runner's
    RETRY = "retry"  # the task is mid-report under another claim, or a call failed


def parse_event(body: str | dict[str, Any]) -> JobEvent | None:
    """The job event in an SQS message body (the EventBridge event itself),
    or None if it is not a Glue or Athena state change."""
    try:
        event = json.loads(body) if isinstance(body, str) else body
    except json.JSONDecodeError:
        return None
    if not isinstance(event, dict) or not isinstance(event.get("detail"), dict):
        return None
    detail = event["detail"]
    source, detail_type = event.get("source"), event.get("detail-type")
    if (source, detail_type) == (GLUE_SOURCE, GLUE_DETAIL_TYPE):
        kind, run_id, state = "glue", detail.get("jobRunId"), detail.get("state")
    elif (source, detail_type) == (ATHENA_SOURCE, ATHENA_DETAIL_TYPE):
        kind, run_id, state = "athena", detail.get("queryExecutionId"), detail.get("currentState")
    else:
        return None
    if not isinstance(run_id, str) or not isinstance(state, str):
        return None
    return JobEvent(kind, run_id, state, detail, _event_time(event.get("time")), str(event.get("id", "")))


def _event_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return None


def handle_event(lifecycle: "TaskLifecycle", event: JobEvent) -> Handled:
    """Report the task of the run this event says ended (see the module doc).
    Errors are logged and answered ``RETRY``: the message comes back."""
    if event.kind != lifecycle.adapter.kind or not event.terminal:
        return Handled.DONE
    bound = log.bind(kind=event.kind, run_id=event.run_id, state=event.state)
    try:
        if lifecycle.reported_lately(event.run_id):
            return Handled.DONE
        record = lifecycle.held_run(event.run_id) or _find(lifecycle, event.run_id)
        if record is None:
            return Handled.NOT_FOUND
        return _report(lifecycle, record, event, bound)
    except Exception as exc:  # noqa: BLE001 - the event comes back; the sweep is behind it
        bound.warning("job_event_failed", error=str(exc)[:300], error_type=type(exc).__name__, error_code=error_code(exc))
        return Handled.RETRY


def _find(lifecycle: "TaskLifecycle", run_id: str) -> TaskRecord | None:
    found = [r for r in lifecycle.store.find_by_run(run_id) if r.phase in (RUNNING, REPORTING)]
    return found[0] if found else None


def _report(lifecycle: "TaskLifecycle", record: TaskRecord, event: JobEvent, bound: Any) -> Handled:
    report = CycleReport()
    if record.phase == RUNNING:
        status = _status(lifecycle, record, event, report)
        bound.info("run_ended_event", task=record.task_id[:12], event_id=event.event_id)
        if lifecycle.report_ended(record, status, report):
            return Handled.REPORTED
        record = lifecycle.store.get(record.task_id)  # refused: what is it now?
        if record is None:
            return Handled.DONE
    if record.phase == REPORTING:
        if record.lease_until >= lifecycle.clock():
            return Handled.RETRY  # a reporter holds it; if it died, its lease ends and we finish
        return Handled.REPORTED if lifecycle.resume_report(record, report) else Handled.RETRY
    return Handled.RETRY  # still RUNNING after a refused claim: look again


def _status(lifecycle: "TaskLifecycle", record: TaskRecord, event: JobEvent, report: CycleReport) -> RunStatus:
    """The run's status from its event; described by one status call when it
    failed (the cause should say everything) or when asked to
    (``describe_on_event``)."""
    request = _request(lifecycle, record)
    if event.kind == "glue":
        status = glue.status_from_event(event.detail, event.time, record.started_at)
    else:
        status = athena.status_from_event(event.detail, event.time, record.started_at, request)
    if status.succeeded and event.kind not in lifecycle.settings.describe_on_event:
        return status
    described = lifecycle.adapter_statuses([RunRef(record.run_id or "", record.run_group, request)], report).get(record.run_id or "")
    return described if described is not None and described.terminal else status


def _request(lifecycle: "TaskLifecycle", record: TaskRecord) -> Any:
    try:
        return lifecycle.adapter.parse(lifecycle.load(record))
    except InvalidTaskInputError:
        return None
