"""What one pipeline execution did, read back from Step Functions.

The notifier and the lineage recorder both start from an execution that has
ended: DescribeExecution (status, times, run date, error), the execution's
history (every task's input and output: what the waits found, which Glue run
and which Athena query each step was, what they wrote) and the definition it
ran (which waits come before which steps). Nothing here needs the pipeline
file: a deployed execution carries everything.

Reading the history:

* a task state's events are tied to it by ``previousEventId`` chains back to
  its ``TaskStateEntered`` (branches of a Parallel interleave);
* the kind of a task is what its input asks for (``GlueJobName``: Glue,
  ``AthenaQueryString``/``AthenaNamedQuery``: Athena, ``Bucket`` with a
  ``Key``/``Prefix``/``Pattern``: a wait for data); a retried task keeps its
  last attempt;
* the failed state is the one whose failure ended the run: the last
  ``ActivityFailed``/``TaskFailed``/``...TimedOut`` event, followed back to its
  ``StateEntered``; a run that timed out or was aborted names the states it
  was still in.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from .observe.execution import TASK_FAILURES, TERMINAL  # noqa: F401  (TERMINAL: run_ended imports it from here)
from .pipelines.arguments import output_argument

GLUE, ATHENA, WAIT, OTHER = "glue", "athena", "wait", "other"
# One list of the events that end a task's attempt badly, kept by the history replay.
FAILURE_EVENTS = TASK_FAILURES
# Statements that only change the catalog: they read no data and write no result.
_DDL = re.compile(r"^\s*(CREATE\s+(DATABASE|SCHEMA|EXTERNAL\s+TABLE|TABLE\s+IF\s+NOT\s+EXISTS|VIEW|OR\s+REPLACE\s+VIEW)|DROP|ALTER|MSCK|SHOW|DESCRIBE|DESC)\b", re.I)
_NAME = r"((?:`[^`]+`|\"[^\"]+\"|[A-Za-z_][A-Za-z0-9_]*)(?:\s*\.\s*(?:`[^`]+`|\"[^\"]+\"|[A-Za-z_][A-Za-z0-9_]*))?)"
_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+" + _NAME, re.I)
_CTAS = re.compile(r"^\s*CREATE\s+TABLE\s+" + _NAME + r"[\s\S]*?\bAS\b", re.I)
_UNLOAD = re.compile(r"^\s*UNLOAD\s*\([\s\S]*\)\s*TO\s*'(s3://[^']+)'", re.I)
_PARTITION_SEGMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=[^/]+$")


@dataclass(frozen=True)
class SourceObject:
    """An S3 object a wait released on: what the run read."""

    bucket: str
    key: str
    size: int | None
    etag: str | None
    version_id: str | None
    input: str  # the wait state that found it

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class Output:
    """Something a step wrote: an S3 location (with its partition when the path
    names one), a table, and the rows when the service reports them."""

    location: str | None = None
    table: str | None = None
    partition: str | None = None
    rows: int | None = None
    what: str = "data"  # "data" (a job's or INSERT's output) or "query result" (a SELECT's CSV)

    def describe(self) -> str:
        parts = [self.table] if self.table else []
        if self.partition:
            parts.append(f"({self.partition})")
        if self.location and (not self.table or self.what != "data"):
            parts.append(self.location)
        elif self.location:
            parts.append(f"at {self.location}")
        if self.rows is not None:
            parts.append(f"{self.rows:,} row{'s' if self.rows != 1 else ''}")
        if self.what != "data":
            parts.append(f"[{self.what}]")
        return " ".join(parts)


@dataclass
class TaskRun:
    """One task state of the execution (its last attempt)."""

    state: str
    kind: str = OTHER
    status: str = "RUNNING"  # SUCCEEDED, FAILED, ABORTED, RUNNING (still in it when the run ended)
    started: datetime | None = None
    ended: datetime | None = None
    input: dict[str, Any] = field(default_factory=dict)
    output: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    cause: str | None = None
    attempts: int = 0
    sources: list[SourceObject] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)

    @property
    def run_id(self) -> str | None:
        """The Glue job run or Athena query this task was (also found in a failure's cause)."""
        for key in ("JobRunId", "QueryExecutionId"):
            if self.output.get(key):
                return str(self.output[key])
        cause = _json(self.cause)
        if isinstance(cause, dict):
            for key in ("JobRunId", "QueryExecutionId"):
                if cause.get(key):
                    return str(cause[key])
        return None

    @property
    def job(self) -> str | None:
        """The Glue job name, or the statement an Athena task ran (first line)."""
        if self.kind == GLUE:
            return self.input.get("GlueJobName")
        if self.kind == ATHENA:
            text = self.input.get("AthenaQueryString") or self.input.get("AthenaNamedQuery") or ""
            return " ".join(str(text).split())[:200]
        return None

    @property
    def is_ddl(self) -> bool:
        return self.kind == ATHENA and bool(_DDL.match(str(self.input.get("AthenaQueryString") or "")))

    @property
    def seconds(self) -> float | None:
        if self.started is None or self.ended is None:
            return None
        return (self.ended - self.started).total_seconds()


@dataclass
class ExecutionReport:
    pipeline: str
    execution_arn: str
    name: str
    state_machine_arn: str
    status: str
    run_date: str | None
    started: datetime | None
    stopped: datetime | None
    error: str | None = None
    cause: str | None = None
    failed_states: list[str] = field(default_factory=list)
    tasks: list[TaskRun] = field(default_factory=list)

    @property
    def seconds(self) -> float | None:
        if self.started is None or self.stopped is None:
            return None
        return (self.stopped - self.started).total_seconds()

    @property
    def sources(self) -> list[SourceObject]:
        found: dict[tuple[str, str], SourceObject] = {}
        for task in self.tasks:
            if task.kind == WAIT:
                for obj in task.sources:
                    found.setdefault((obj.bucket, obj.key), obj)
        return list(found.values())

    @property
    def outputs(self) -> list[tuple[TaskRun, Output]]:
        return [(t, o) for t in self.tasks for o in t.outputs]

    @property
    def work(self) -> list[TaskRun]:
        """The job runs and queries (waits and catalog DDL left out)."""
        return [t for t in self.tasks if t.kind in (GLUE, ATHENA) and not t.is_ddl]


def read_execution(sfn: Any, execution_arn: str, pipeline: str = "") -> ExecutionReport:
    """The report of an execution (any status) from Step Functions' own records."""
    described = sfn.describe_execution(executionArn=execution_arn)
    events = list(_history(sfn, execution_arn))
    try:
        definition = json.loads(sfn.describe_state_machine_for_execution(executionArn=execution_arn)["definition"])
    except Exception:  # noqa: BLE001 - without the definition, sources are every wait's
        definition = {}
    return build_report(described, events, definition, pipeline)


def _history(sfn: Any, execution_arn: str) -> Iterable[dict[str, Any]]:
    token = None
    while True:
        kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000, "includeExecutionData": True}
        if token:
            kwargs["nextToken"] = token
        page = sfn.get_execution_history(**kwargs)
        yield from page.get("events", [])
        token = page.get("nextToken")
        if not token:
            return


def build_report(described: dict[str, Any], events: list[dict[str, Any]], definition: dict[str, Any], pipeline: str = "") -> ExecutionReport:
    """Pure: the report from DescribeExecution's answer, the history's events and the definition."""
    execution_input = _json(described.get("input")) or {}
    run_date = execution_input.get("runDate") if isinstance(execution_input, dict) else None
    report = ExecutionReport(
        pipeline=pipeline,
        execution_arn=described["executionArn"],
        name=described.get("name") or described["executionArn"].rsplit(":", 1)[-1],
        state_machine_arn=described.get("stateMachineArn", ""),
        status=described.get("status", "RUNNING"),
        run_date=run_date if isinstance(run_date, str) else None,
        started=described.get("startDate"),
        stopped=described.get("stopDate"),
        error=described.get("error"),
        cause=described.get("cause"),
    )
    by_id = {e["id"]: e for e in events}
    tasks: dict[int, TaskRun] = {}  # by the id of the TaskStateEntered event
    last_failure: tuple[dict[str, Any], str] | None = None

    def entered(event: dict[str, Any]) -> dict[str, Any] | None:
        current: dict[str, Any] | None = event
        for _ in range(200):
            if current is None:
                return None
            if current["type"].endswith("StateEntered"):
                return current
            current = by_id.get(current.get("previousEventId", 0))
        return None

    for event in events:
        kind = event["type"]
        if kind == "TaskStateEntered":
            details = event["stateEnteredEventDetails"]
            tasks[event["id"]] = TaskRun(details["name"], started=event.get("timestamp"))
            continue
        if kind in FAILURE_EVENTS:
            last_failure = (event, FAILURE_EVENTS[kind])
        start = entered(event)
        task = tasks.get(start["id"]) if start else None
        if task is None:
            continue
        if kind in ("ActivityScheduled", "TaskScheduled"):
            details = event.get("activityScheduledEventDetails") or event.get("taskScheduledEventDetails") or {}
            task.input = _object(details.get("input") if "input" in details else details.get("parameters"))
            task.kind = _kind(task.input)
            task.attempts += 1
            task.status, task.error, task.cause = "RUNNING", None, None
        elif kind in ("ActivitySucceeded", "TaskSucceeded"):
            details = event.get("activitySucceededEventDetails") or event.get("taskSucceededEventDetails") or {}
            task.output = _object(details.get("output"))
        elif kind in FAILURE_EVENTS:
            details = event.get(FAILURE_EVENTS[kind]) or {}
            task.status, task.error, task.cause = "FAILED", details.get("error") or kind, details.get("cause")
            task.ended = event.get("timestamp")
        elif kind == "TaskStateExited":
            task.status, task.ended = "SUCCEEDED", event.get("timestamp")
        elif kind == "TaskStateAborted":
            task.status, task.ended = "ABORTED", event.get("timestamp")

    report.tasks = list(tasks.values())
    if report.status == "FAILED" and last_failure is not None:
        event, details_key = last_failure
        start = entered(event)
        if start is not None:
            report.failed_states = [start["stateEnteredEventDetails"]["name"]]
        details = event.get(details_key) or {}
        report.error, report.cause = details.get("error") or report.error, details.get("cause") or report.cause
    elif report.status in ("TIMED_OUT", "ABORTED"):
        report.failed_states = [t.state for t in report.tasks if t.status == "RUNNING"]
    elif report.status == "FAILED":
        # Failed without a task failing (e.g. an invalid run date): the Fail state's error.
        report.failed_states = []
    _fill_sources(report, definition)
    for task in report.tasks:
        if task.status == "SUCCEEDED":
            task.outputs = _glue_outputs(task) if task.kind == GLUE else _athena_outputs(task) if task.kind == ATHENA else []
    return report


def _kind(task_input: dict[str, Any]) -> str:
    if "GlueJobName" in task_input:
        return GLUE
    if "AthenaQueryString" in task_input or "AthenaNamedQuery" in task_input:
        return ATHENA
    if "Bucket" in task_input and any(k in task_input for k in ("Key", "Prefix", "Pattern")):
        return WAIT
    return OTHER


def _fill_sources(report: ExecutionReport, definition: dict[str, Any]) -> None:
    """A wait's sources are the objects it released on; a step's are those of
    every wait that comes before it in the definition's control flow."""
    waits: dict[str, list[SourceObject]] = {}
    for task in report.tasks:
        if task.kind == WAIT and task.output:
            objects = []
            for item in task.output.get("Objects") or []:
                objects.append(SourceObject(str(item.get("Bucket") or task.output.get("Bucket")), str(item["Key"]), item.get("Size"),
                                            (str(item["ETag"]).strip('"') or None) if item.get("ETag") else None, item.get("VersionId"), task.state))
            task.sources = objects
            waits[task.state] = objects
    before = waits_before(definition) if definition else {}
    for task in report.tasks:
        if task.kind in (GLUE, ATHENA):
            names = before.get(task.state, set(waits)) if before else set(waits)
            task.sources = [obj for name in sorted(names) for obj in waits.get(name, [])]


def waits_before(definition: dict[str, Any]) -> dict[str, set[str]]:
    """State name -> the wait-for-data states that run before it (on every path
    through Next, Choices and the branches of earlier Parallels)."""
    result: dict[str, set[str]] = {}

    def is_wait(state: dict[str, Any]) -> bool:
        parameters = {key.removesuffix(".$"): value for key, value in (state.get("Parameters") or {}).items()}
        return state.get("Type") == "Task" and _kind(parameters) == WAIT

    def walk(states: dict[str, Any], name: str | None, seen: frozenset[str], visiting: frozenset[str]) -> frozenset[str]:
        while name and name in states and name not in visiting:
            visiting = visiting | {name}
            state = states[name]
            result.setdefault(name, set()).update(seen)
            if state.get("Type") == "Parallel":
                inner = set(seen)
                for branch in state.get("Branches", []):
                    inner |= walk(branch["States"], branch["StartAt"], seen, frozenset())
                seen = frozenset(inner)
            elif is_wait(state):
                seen = seen | {name}
            if state.get("Type") == "Choice":
                targets = [c.get("Next") for c in state.get("Choices", [])] + [state.get("Default")]
                ends = [walk(states, t, seen, visiting) for t in targets if t]
                return frozenset().union(*ends) if ends else seen
            name = None if state.get("End") else state.get("Next")
        return seen

    walk(definition.get("States", {}), definition.get("StartAt"), frozenset(), frozenset())
    return result


def _glue_outputs(task: TaskRun) -> list[Output]:
    """The run's output locations, as its arguments name them (scoped to the run date when the path is)."""
    outputs = []
    for name, value in sorted((task.input.get("Arguments") or {}).items()):
        if isinstance(value, str) and value.startswith("s3://") and output_argument(name):
            outputs.append(Output(location=value, partition=partition_of(value)))
    return outputs


def _athena_outputs(task: TaskRun) -> list[Output]:
    """A statement's target (INSERT INTO, CREATE TABLE AS, UNLOAD) or a query's result file."""
    text = str(task.input.get("AthenaQueryString") or "")
    database = task.input.get("AthenaDatabase") or task.output.get("Database")
    result = task.output.get("OutputLocation")
    if task.is_ddl:
        return []
    for pattern in (_INSERT, _CTAS):
        match = pattern.match(text)
        if match:
            return [Output(table=qualified(match.group(1), database))]
    match = _UNLOAD.match(text)
    if match:
        return [Output(location=match.group(1), partition=partition_of(match.group(1)))]
    return [Output(location=result, what="query result")] if result else []


def qualified(name: str, database: str | None) -> str:
    """``db.table`` without quotes (the statement's database when it names none)."""
    parts = [p.strip().strip('`"') for p in name.split(".")]
    if len(parts) == 1 and database:
        parts = [database, parts[0]]
    return ".".join(parts)


def partition_of(location: str) -> str | None:
    """``run_date=2026-11-16`` for ``s3://b/joined/run_date=2026-11-16/`` (every k=v segment, in order)."""
    segments = [s for s in location.split("://", 1)[-1].split("/")[1:] if _PARTITION_SEGMENT.match(s)]
    return "/".join(segments) or None


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except (json.JSONDecodeError, ValueError):
        return None


def _object(text: Any) -> dict[str, Any]:
    value = _json(text)
    if isinstance(value, str):  # a task input given as a JSON string holding an object
        value = _json(value)
    return value if isinstance(value, dict) else {}


def readable_cause(cause: str | None, limit: int = 1000) -> str:
    """A cause as a person reads it: the ``errorMessage`` of a JSON cause, else the text."""
    if not cause:
        return ""
    value = _json(cause)
    if isinstance(value, dict):
        for key in ("errorMessage", "ErrorMessage", "Cause", "message"):
            if isinstance(value.get(key), str) and value[key]:
                return value[key][:limit]
    return cause[:limit]


def complete_outputs(report: ExecutionReport, athena: Any, glue: Any, on_error: Any = None) -> None:
    """Fill what only the services know about an Athena step's target table:
    its location, the run date's partition (tables partitioned by ``run_date``)
    and the rows written (``UpdateCount``). A refused call leaves the output as it is."""
    for task in report.tasks:
        for index, out in enumerate(task.outputs):
            if not out.table or task.kind != ATHENA:
                continue
            rows, location, partition = out.rows, out.location, out.partition
            try:
                if task.run_id:
                    rows = athena.get_query_results(QueryExecutionId=task.run_id, MaxResults=1).get("UpdateCount", rows)
                database, _, name = out.table.partition(".")
                table = glue.get_table(DatabaseName=database, Name=name)["Table"]
                location = (table.get("StorageDescriptor") or {}).get("Location") or location
                keys = [k["Name"] for k in table.get("PartitionKeys") or []]
                if keys == ["run_date"] and report.run_date:
                    partition = f"run_date={report.run_date}"
                    location = location.rstrip("/") + f"/{partition}/" if location else location
            except Exception as exc:  # noqa: BLE001 - the report goes out without these details
                if on_error is not None:
                    on_error(task, exc)
            task.outputs[index] = Output(location=location, table=out.table, partition=partition, rows=rows, what=out.what)
