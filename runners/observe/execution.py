"""An execution's history -> each state's status, timings, input, output and error.

Step Functions records events, not states: a task's failure is an
``ActivityFailed`` event whose only link to its state is ``previousEventId``.
Following that chain back to the ``...StateEntered`` event names the state.

Statuses:
  succeeded    entered and exited, its last attempt did not fail
  failed       its last attempt failed (caught by a Catch or not), or a Parallel
               whose branch failed, or the Fail state that ended the execution
  running      entered, not exited, the execution still runs
  cancelled    entered, never finished, and the execution (or the Parallel
               around it) ended first: e.g. the other branch of a failed Parallel
  not reached  never entered
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

from .definition import Definition, parse

SUCCEEDED, FAILED, RUNNING, CANCELLED, NOT_REACHED = "succeeded", "failed", "running", "cancelled", "not reached"
STATUSES = (SUCCEEDED, FAILED, RUNNING, CANCELLED, NOT_REACHED)
TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")

# Events that end one attempt of a task badly (the Retry may start another).
TASK_FAILURES = {
    "ActivityFailed": "activityFailedEventDetails",
    "ActivityTimedOut": "activityTimedOutEventDetails",
    "ActivityScheduleFailed": "activityScheduleFailedEventDetails",
    "TaskFailed": "taskFailedEventDetails",
    "TaskTimedOut": "taskTimedOutEventDetails",
    "TaskStartFailed": "taskStartFailedEventDetails",
    "TaskSubmitFailed": "taskSubmitFailedEventDetails",
    "LambdaFunctionFailed": "lambdaFunctionFailedEventDetails",
    "LambdaFunctionTimedOut": "lambdaFunctionTimedOutEventDetails",
    "LambdaFunctionScheduleFailed": "lambdaFunctionScheduleFailedEventDetails",
    "LambdaFunctionStartFailed": "lambdaFunctionStartFailedEventDetails",
}
TASK_SCHEDULED = {"ActivityScheduled": "activityScheduledEventDetails", "TaskScheduled": "taskScheduledEventDetails",
                  "LambdaFunctionScheduled": "lambdaFunctionScheduledEventDetails"}
TASK_SUCCEEDED = {"ActivitySucceeded": "activitySucceededEventDetails", "TaskSucceeded": "taskSucceededEventDetails",
                  "LambdaFunctionSucceeded": "lambdaFunctionSucceededEventDetails"}
CONTAINER_FAILURES = ("ParallelStateFailed", "ParallelStateAborted", "MapStateFailed", "MapStateAborted")
EXECUTION_ENDS = {"ExecutionFailed": "executionFailedEventDetails", "ExecutionTimedOut": "executionTimedOutEventDetails",
                  "ExecutionAborted": "executionAbortedEventDetails"}


@dataclass
class StateRun:
    """One state of one execution (its latest entry, when a loop entered it more than once)."""

    name: str
    type: str
    depth: int
    parent: str | None = None
    status: str = NOT_REACHED
    entered: datetime | None = None
    exited: datetime | None = None
    ended: datetime | None = None  # exited, failed for good, or cancelled
    input: str | None = None
    output: str | None = None
    task_input: str | None = None  # what the task was given (an activity's input, a service call's parameters)
    result: str | None = None  # what the task returned (before ResultPath)
    error: str | None = None
    cause: str | None = None
    attempts: int = 0
    entries: int = 0

    def seconds(self, now: datetime | None = None) -> float | None:
        """Time in the state; a running state counts up to ``now``."""
        if self.entered is None:
            return None
        end = self.ended or self.exited
        if end is None:
            if self.status != RUNNING:
                return None
            end = now or datetime.now(timezone.utc)
        return max((end - self.entered).total_seconds(), 0.0)

    @property
    def run(self) -> dict[str, str] | None:
        """The Glue run or Athena query this state ran, from its result or its error's cause."""
        for text in (self.result, self.cause):
            found = run_reference(text)
            if found:
                return found
        return None

    def to_json(self, now: datetime | None = None) -> dict[str, Any]:
        return {
            "name": self.name, "type": self.type, "depth": self.depth, "parent": self.parent, "status": self.status,
            "entered": iso(self.entered), "exited": iso(self.exited), "seconds": _round(self.seconds(now)),
            "attempts": self.attempts, "entries": self.entries, "error": self.error, "cause": self.cause,
            "run": self.run, "input": self.input, "output": self.output, "taskInput": self.task_input, "result": self.result,
        }


@dataclass
class ExecutionView:
    arn: str
    name: str
    state_machine_arn: str
    status: str
    started: datetime
    stopped: datetime | None
    input: str | None
    output: str | None
    error: str | None
    cause: str | None
    definition: Definition
    states: dict[str, StateRun] = field(default_factory=dict)  # reading order of the definition

    @property
    def run_date(self) -> str | None:
        return run_date_of(self.input)

    def seconds(self, now: datetime | None = None) -> float:
        end = self.stopped or now or datetime.now(timezone.utc)
        return max((end - self.started).total_seconds(), 0.0)

    @property
    def failed_state(self) -> StateRun | None:
        """Where it went wrong: the first task-like state that failed; else the
        Fail state that ended the execution; else a failed Parallel."""
        failed = [s for s in self.states.values() if s.status == FAILED]
        for wanted in (lambda s: s.type not in ("Parallel", "Map", "Fail"), lambda s: s.type == "Fail", lambda s: True):
            matches = [s for s in failed if wanted(s)]
            if matches:
                return min(matches, key=lambda s: s.ended or s.entered or self.started)
        return None

    @property
    def running_states(self) -> list[StateRun]:
        """The innermost states running now (not the Parallel around them)."""
        running = [s for s in self.states.values() if s.status == RUNNING]
        parents = {s.parent for s in running}
        return [s for s in running if s.name not in parents]

    def to_json(self, now: datetime | None = None, with_states: bool = True) -> dict[str, Any]:
        failed = self.failed_state
        data: dict[str, Any] = {
            "executionArn": self.arn, "name": self.name, "stateMachineArn": self.state_machine_arn, "status": self.status,
            "runDate": self.run_date, "started": iso(self.started), "stopped": iso(self.stopped), "seconds": _round(self.seconds(now)),
            "error": self.error, "cause": self.cause, "failedState": failed.name if failed else None,
            "running": [s.name for s in self.running_states],
        }
        if with_states:
            data["states"] = [s.to_json(now) for s in self.states.values()]
        return data


# -- building the view ---------------------------------------------------------------------------
def load(sfn: Any, execution_arn: str) -> ExecutionView:
    """DescribeExecution, the definition it runs (DescribeStateMachineForExecution) and its whole history."""
    described = sfn.describe_execution(executionArn=execution_arn)
    machine = sfn.describe_state_machine_for_execution(executionArn=execution_arn)
    return from_history(described, machine["definition"], history(sfn, execution_arn))


def history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        events.extend(page["events"])
        if not page.get("nextToken"):
            return events
        kwargs["nextToken"] = page["nextToken"]


def from_history(described: dict[str, Any], definition: dict[str, Any] | str | Definition, events: Iterable[dict[str, Any]]) -> ExecutionView:
    tree = definition if isinstance(definition, Definition) else parse(definition)
    view = ExecutionView(
        arn=described["executionArn"], name=described.get("name") or described["executionArn"].rsplit(":", 1)[-1],
        state_machine_arn=described.get("stateMachineArn", ""), status=described["status"],
        started=described["startDate"], stopped=described.get("stopDate"), input=described.get("input"),
        output=described.get("output"), error=described.get("error"), cause=described.get("cause"), definition=tree,
        states={name: StateRun(name, d.type, d.depth, d.parent) for name, d in tree.states.items()},
    )
    _Replay(view).run(sorted(events, key=lambda e: e["id"]))
    return view


class _Replay:
    """Applies events in order to the view's states."""

    def __init__(self, view: ExecutionView) -> None:
        self.view = view
        self.events: dict[int, dict[str, Any]] = {}

    def run(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            self.events[event["id"]] = event
            self._apply(event)
        if self.view.status in TERMINAL:
            end = self.view.stopped
            for state in self.view.states.values():
                if state.status == RUNNING:
                    state.status, state.ended = CANCELLED, end

    def _state(self, name: str) -> StateRun:
        states = self.view.states
        if name not in states:  # not in the definition we were given (updated since): still shown
            states[name] = StateRun(name, "", 0)
        return states[name]

    def owner(self, event: dict[str, Any]) -> StateRun | None:
        """The state an event belongs to: follow previousEventId back to a StateEntered."""
        current: dict[str, Any] | None = event
        while current is not None:
            details = current.get("stateEnteredEventDetails")
            if details:
                return self._state(details["name"])
            current = self.events.get(current.get("previousEventId") or 0)
        return None

    def _failure_along(self, event: dict[str, Any]) -> tuple[str | None, str | None]:
        """The error and cause of the first failure found walking back from ``event``."""
        current: dict[str, Any] | None = event
        while current is not None:
            for key, value in current.items():
                if key.endswith("EventDetails") and isinstance(value, dict) and value.get("error"):
                    return value.get("error"), value.get("cause")
            if "stateEnteredEventDetails" in current:
                return None, None
            current = self.events.get(current.get("previousEventId") or 0)
        return None, None

    def _container_ended(self, state: StateRun) -> bool:
        return any(self.view.states[p].ended is not None for p in self.view.definition.ancestors(state.name) if p in self.view.states)

    def _apply(self, event: dict[str, Any]) -> None:
        kind, stamp = event["type"], event["timestamp"]
        if kind.endswith("StateEntered"):
            details = event["stateEnteredEventDetails"]
            state = self._state(details["name"])
            state.entries += 1
            state.entered, state.exited, state.ended = stamp, None, None
            state.error = state.cause = state.output = None
            state.input = details.get("input")
            state.status = RUNNING
            if kind == "FailStateEntered":
                spec = self.view.definition.states.get(state.name)
                state.status, state.ended = FAILED, stamp
                if spec is not None:
                    state.error, state.cause = spec.spec.get("Error"), spec.spec.get("Cause")
        elif kind.endswith("StateExited"):
            details = event["stateExitedEventDetails"]
            state = self._state(details["name"])
            state.exited, state.output = stamp, details.get("output")
            state.ended = state.ended or stamp
            if state.status not in (FAILED, CANCELLED):
                state.status = SUCCEEDED
            self._cancel_inside(state.name, stamp)
        elif kind in TASK_SCHEDULED:
            state = self.owner(event)
            if state is not None:
                details = event.get(TASK_SCHEDULED[kind], {})
                state.attempts += 1
                state.task_input = details.get("input") or details.get("parameters")
                if state.status == FAILED:  # a retry: the last attempt's error is history
                    state.status, state.ended = RUNNING, None
                    state.error = state.cause = None
        elif kind in TASK_SUCCEEDED:
            state = self.owner(event)
            if state is not None:
                state.result = event.get(TASK_SUCCEEDED[kind], {}).get("output")
        elif kind in TASK_FAILURES:
            state = self.owner(event)
            if state is None or state.status != RUNNING:
                return
            details = event.get(TASK_FAILURES[kind], {})
            if self._container_ended(state):  # its Parallel had already failed: it was stopped, not broken
                state.status, state.ended = CANCELLED, stamp
                return
            state.status, state.ended = FAILED, stamp
            state.error, state.cause = details.get("error") or kind, details.get("cause")
        elif kind in CONTAINER_FAILURES:
            container = self._open_container(self.owner(event))
            if container is not None:
                container.status, container.ended = FAILED, stamp
                container.error, container.cause = self._failure_along(event)
                self._cancel_inside(container.name, stamp)
        elif kind in EXECUTION_ENDS:
            details = event.get(EXECUTION_ENDS[kind], {})
            state = self.owner(event)
            if state is None:
                return
            if state.type == "Fail":
                state.error = details.get("error") or state.error
                state.cause = details.get("cause") or state.cause
            elif kind == "ExecutionFailed" and state.status == RUNNING:  # e.g. States.Runtime in this state
                state.status, state.ended = FAILED, stamp
                state.error, state.cause = details.get("error"), details.get("cause")

    def _cancel_inside(self, container: str, stamp: datetime) -> None:
        """A Parallel that ended stops its branches: what still runs there is cancelled."""
        for state in self.view.states.values():
            if state.status == RUNNING and container in self.view.definition.ancestors(state.name):
                state.status, state.ended = CANCELLED, stamp

    def _open_container(self, inner: StateRun | None) -> StateRun | None:
        """The innermost Parallel/Map around (or at) ``inner`` that has not ended yet."""
        if inner is None:
            return None
        names = [inner.name, *self.view.definition.ancestors(inner.name)]
        for name in names:
            state = self.view.states.get(name)
            if state is not None and state.type in ("Parallel", "Map") and state.ended is None:
                return state
        return None


# -- small readers -------------------------------------------------------------------------------
def run_reference(text: str | None) -> dict[str, str] | None:
    """A Glue run ({"kind": "glue", "id", "job"}) or Athena query ({"kind": "athena", "id"}) named in a task's JSON."""
    if not text:
        return None
    try:
        data = json.loads(text)
    except (TypeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    if data.get("JobRunId"):
        return {"kind": "glue", "id": str(data["JobRunId"]), "job": str(data.get("JobName") or "")}
    if data.get("QueryExecutionId"):
        return {"kind": "athena", "id": str(data["QueryExecutionId"])}
    return None


def run_date_of(execution_input: str | None) -> str | None:
    """The run date an execution was started for: its input's runDate, or a schedule's time's date."""
    try:
        data = json.loads(execution_input or "")
    except (TypeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("runDate"), str):
        return data["runDate"]
    if isinstance(data.get("scheduledTime"), str):
        return data["scheduledTime"].split("T", 1)[0]
    return None


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _round(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None
