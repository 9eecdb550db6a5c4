"""Following one execution as it runs: a line per state change, the failed
state named with its error, and at the end every state of the definition
with its status (succeeded, failed, running, cancelled or not reached).

Used by `etl-runner demo` and `etl-runner pipeline run`."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, TextIO

from runners.pipelines.states import all_states

TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


@dataclass
class StateTiming:
    name: str
    entered: float
    exited: float | None = None
    status: str = "running"
    detail: str = ""
    output: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds(self) -> float | None:
        return None if self.exited is None else self.exited - self.entered


class Follower:
    """Reads the execution history incrementally and prints state changes."""

    def __init__(self, sfn: Any, execution_arn: str, out: TextIO, started: float, result_keys: dict[str, str] | None = None,
                 parents: dict[str, str] | None = None, spark_note: bool = True) -> None:
        self.parents = parents or {}
        self.spark_note = spark_note  # state -> the Parallel/Map holding it (runners.pipelines.states.parent_states)
        self.sfn, self.arn, self.out, self.started = sfn, execution_arn, out, started
        self.result_keys = result_keys or {}  # state -> its ResultPath key (runners.pipelines.states.result_keys)
        self.seen = 0
        self._at: float | None = None
        self.events: dict[int, dict[str, Any]] = {}
        self.states: dict[str, StateTiming] = {}
        self.current: dict[str, str] = {}

    def poll(self) -> None:
        events = self.sfn.get_execution_history(executionArn=self.arn, maxResults=1000)["events"]
        for event in events[self.seen :]:
            self._on(event)
            self._at = None
        self.seen = len(events)

    def _stamp(self, event: dict[str, Any]) -> float:
        return event["timestamp"].timestamp()

    def _entered_state_of(self, event: dict[str, Any]) -> str | None:
        """The state an event belongs to: follow previousEventId back to its StateEntered."""
        current: dict[str, Any] | None = event
        for _ in range(50):
            if current is None:
                return None
            if "stateEnteredEventDetails" in current:
                return current["stateEnteredEventDetails"]["name"]
            current = self.events.get(current.get("previousEventId", 0))
        return None

    def _on(self, event: dict[str, Any]) -> None:
        self.events[event["id"]] = event
        self._at = self._stamp(event)  # state lines are stamped when they happened, not when they were read
        kind = event["type"]
        if kind.endswith("StateEntered"):
            name = event["stateEnteredEventDetails"]["name"]
            self.states[name] = StateTiming(name, self._stamp(event))
            self._print(f"▶ {name}")
        elif kind.endswith("StateExited"):
            details = event["stateExitedEventDetails"]
            timing = self.states.get(details["name"])
            if timing is None:
                return
            timing.exited = self._stamp(event)
            if timing.status == "failed" and details["name"] in self.parents.values():
                return  # a Parallel/Map already reported failed
            if timing.status != "failed":
                timing.status = "succeeded"
            try:
                output = json.loads(details.get("output") or "{}")
            except json.JSONDecodeError:
                output = {}
            timing.detail = _describe_result(details["name"], output, self.result_keys)
            self._print(f"✓ {timing.name} ({timing.seconds:.1f}s){'  ' + timing.detail if timing.detail else ''}")
        elif kind in ("ParallelStateFailed", "MapStateFailed"):
            # The innermost Parallel/Map still running around the state that failed.
            state = self.parents.get(self._entered_state_of(event) or "")
            while state and self.states.get(state) is not None and self.states[state].status != "running":
                state = self.parents.get(state)
            if state in self.states:
                self.states[state].status = "failed"
                self.states[state].exited = self._stamp(event)
                self._print(f"✗ {state} failed ({self.states[state].seconds:.1f}s)")
        elif kind == "TaskStateAborted":
            state = self._entered_state_of(event)
            if state in self.states:
                self.states[state].status = "cancelled"
                self.states[state].exited = self._stamp(event)
                self._print(f"⊘ {state} cancelled")
        elif kind in ("ActivityScheduled", "TaskScheduled"):
            details = event.get("activityScheduledEventDetails") or {}
            if self.spark_note and "GlueJobName" in (details.get("input") or ""):
                self.spark_note = False
                self._print("  (the first Glue job starts local Spark: about 10 s, once per run)")
            state = self._entered_state_of(event)
            if state in self.states and self.states[state].status == "failed":
                self.states[state].status = "running"  # retried
        elif kind in ("ActivityFailed", "TaskFailed", "ActivityTimedOut"):
            details = event.get("activityFailedEventDetails") or event.get("taskFailedEventDetails") or event.get("activityTimedOutEventDetails") or {}
            state = self._entered_state_of(event)
            if state in self.states:
                self.states[state].status = "failed"
                self.states[state].detail = f"{details.get('error', kind)}: {short_cause(details.get('cause', ''))}"
            self._print(f"✗ {state or 'a state'} failed: {details.get('error', kind)}: {short_cause(details.get('cause', ''))}")
        elif kind in ("ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"):
            self._print(f"■ {kind.replace('Execution', 'execution ').lower()}")

    def _print(self, text: str) -> None:
        at = self._at if self._at is not None else time.time()
        print(f"  {max(at - self.started, 0.0):6.1f}s  {text}", file=self.out, flush=True)


def _describe_result(state: str, output: dict[str, Any], keys: dict[str, str]) -> str:
    result = output.get(keys.get(state, ""), None) if isinstance(output, dict) else None
    if not isinstance(result, dict):
        return ""
    if "JobRunId" in result:
        return f"Glue run {result['JobRunId'][:12]}…  {result.get('ExecutionTime')}s in Glue"
    if "QueryExecutionId" in result:
        return f"query {result['QueryExecutionId'][:8]}…  {result.get('EngineExecutionTimeInMillis')} ms in engine"
    if "Objects" in result:
        objects = result["Objects"]
        return f"{len(objects)} object(s), {sum(o.get('Size', 0) for o in objects):,} bytes"
    return ""


def short_cause(cause: str) -> str:
    try:
        parsed = json.loads(cause)
        if isinstance(parsed, dict):
            return str(parsed.get("errorMessage") or parsed.get("ErrorMessage") or cause)[:300]
    except (json.JSONDecodeError, TypeError):
        pass
    return cause[:300]


def state_statuses(definition: dict[str, Any], follower: Any, execution_status: str) -> list[tuple[str, int, str, str]]:
    """Every state of the definition: (name, depth, status, detail), replayed
    from the execution's history by runners.observe.execution (the same
    statuses `etl-runner history` and the console show); the detail adds what
    the follower saw (a job's run id, a wait's objects) or the error."""
    from runners.observe.execution import from_history

    described = follower.sfn.describe_execution(executionArn=follower.arn)
    events = [follower.events[i] for i in sorted(follower.events)]
    view = from_history(described, definition, events)
    rows = []
    for name, _state, depth in all_states(definition["States"]):
        run = view.states.get(name)
        status = run.status if run is not None else "not reached"
        seconds = run.seconds() if run is not None else None
        timing = follower.states.get(name)
        note = (f"{run.error}: {short_cause(run.cause or '')}" if run is not None and run.error and status == "failed"
                else timing.detail if timing is not None and status != "cancelled" else "")
        detail = "  ".join(x for x in (f"{seconds:.1f}s" if seconds is not None else "", note) if x)
        rows.append((name, depth, status, detail))
    return rows


MARKS = {"succeeded": "✓", "failed": "✗", "running": "…", "cancelled": "⊘", "not reached": "·"}


def print_state_table(definition: dict[str, Any], follower: Any, execution_status: str, out: TextIO) -> None:
    print(f"\nStates ({execution_status})", file=out)
    for name, depth, status, detail in state_statuses(definition, follower, execution_status):
        print(f"  {('  ' * depth + MARKS[status] + ' ' + name):<56} {status:<12} {detail}", file=out)




def open_run_log(name: str, level: str = "INFO") -> Path:
    """Workers' log lines go to a file for a local run (the terminal shows the
    run's progress); the summary names the file."""
    from runners import log as logging_setup

    path = Path(tempfile.gettempdir()) / f"etl-runner-{name}-{os.getpid()}.log"
    stream = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115  (lives as long as the run)
    logging_setup.configure(level, "json", stream=stream)
    return path
