"""State machines from the AWS Step Functions documentation, run on the embedded AWS.

Each case is a definition (mostly the documentation's own example, sometimes
trimmed), an input, and what the documentation says happens: the execution's
status, its output or error, and for some the history or API answers. The
expected values were worked out by hand from the documentation (or, for
hashes and encodings, with Python's standard library), not from this
project's code. Every call is a real boto3 call to the embedded AWS.

Sources (developer guide / API reference pages):
  input-output-*         "Processing input and output", InputPath/Parameters/ResultSelector/ResultPath/OutputPath
  intrinsic-functions    "Intrinsic functions for JSONPath states"
  state-choice/-wait/-map/-parallel, state-task, concepts-error-handling
  connect-glue, connect-athena, connect-to-resource (.sync, .waitForTaskToken)
  supported-services-awssdk (error names), redrive-executions, API_StopExecution,
  API_GetExecutionHistory, API_ValidateStateMachineDefinition, API_CreateStateMachine
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import re
import textwrap
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/corpus"
SCRIPTS = "sfn-corpus-scripts"
RESULTS = "sfn-corpus-results"
UNSET = object()


# --- the harness ----------------------------------------------------------------------------


@dataclass
class Run:
    """One execution of a case, with clients and what the driver learned."""

    sfn: Any
    aws: Any
    machine_arn: str
    execution_arn: str = ""
    notes: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> dict:
        return self.sfn.describe_execution(executionArn=self.execution_arn)

    def wait(self, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            described = self.describe()
            if described["status"] != "RUNNING":
                return described
            time.sleep(0.05)
        raise AssertionError(f"{self.execution_arn} still RUNNING after {timeout}s")

    def events(self, **kwargs: Any) -> list[dict]:
        return self.sfn.get_execution_history(executionArn=self.execution_arn, maxResults=1000, **kwargs)["events"]

    def types(self) -> list[str]:
        return [e["type"] for e in self.events()]

    def activity(self, name: str = "worker") -> str:
        arn = self.notes.get(f"activity:{name}")
        if arn is None:
            arn = self.sfn.create_activity(name=f"corpus-{uuid.uuid4().hex[:10]}")["activityArn"]
            self.notes[f"activity:{name}"] = arn
        return arn

    def take(self, name: str = "worker", timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            task = self.sfn.get_activity_task(activityArn=self.activity(name), workerName="corpus")
            if task.get("taskToken"):
                return task
        raise AssertionError("no activity task delivered")


@dataclass
class Case:
    id: str
    category: str
    definition: dict | Callable[[Run], dict]
    input: Any = None
    status: str = "SUCCEEDED"
    output: Any = UNSET
    error: str | None = None
    cause: Callable[[str], bool] | None = None
    drive: Callable[[Run], None] | None = None
    check: Callable[[Run, dict], None] | None = None
    timeout: float = 30.0


def _pass(result: Any = UNSET, **fields: Any) -> dict:
    state = {"Type": "Pass", **fields}
    if result is not UNSET:
        state["Result"] = result
    if "Next" not in state:
        state["End"] = True
    return state


def _one(state: dict, **top: Any) -> dict:
    return {"StartAt": "S", "States": {"S": state}, **top}


def _task(arn: str, **fields: Any) -> dict:
    state = {"Type": "Task", "Resource": arn, **fields}
    if "Next" not in state:
        state["End"] = True
    return state


# --- data flow (InputPath, Parameters, ResultSelector, ResultPath, OutputPath) -------------------

BOOKS = {"books": [{"title": "Moby Dick", "price": 9.5}, {"title": "Ulysses", "price": 14.0}], "owner": "ana"}

DATA_FLOW = [
    Case("inputpath-parameters-resultpath-outputpath", "data flow",
         {"StartAt": "P", "States": {
             "P": _pass(InputPath="$.a", Parameters={"x.$": "$.b", "fixed": 1}, ResultPath="$.r", Next="Q"),
             "Q": _pass(OutputPath="$.r")}},
         {"a": {"b": 7}, "c": 2}, output={"x": 7, "fixed": 1}),
    Case("resultpath-merges-into-the-raw-input", "data flow",
         _one(_pass({"v": 1}, InputPath="$.a", ResultPath="$.a.result")),
         {"a": {"keep": True}, "b": 2}, output={"a": {"keep": True, "result": {"v": 1}}, "b": 2}),
    Case("resultpath-null-discards-the-result", "data flow",
         _one(_pass({"ignored": True}, ResultPath=None)), {"k": "v"}, output={"k": "v"}),
    Case("definite-path-selects-the-value-not-a-list", "data flow",
         _one(_pass(OutputPath="$.books[0].title")), BOOKS, output="Moby Dick"),
    Case("definite-path-in-parameters", "data flow",
         _one(_pass(Parameters={"first.$": "$.books[1].title", "who.$": "$.owner"})), BOOKS,
         output={"first": "Ulysses", "who": "ana"}),
    Case("wildcard-and-filter-paths-select-lists", "data flow",
         _one(_pass(Parameters={"all.$": "$.books[*].title", "cheap.$": "$.books[?(@.price < 10)].title"})), BOOKS,
         output={"all": ["Moby Dick", "Ulysses"], "cheap": ["Moby Dick"]}),
    Case("resultselector-on-a-parallel-result", "data flow",
         _one({"Type": "Parallel", "End": True,
               "Branches": [{"StartAt": "A", "States": {"A": _pass({"v": "a"})}},
                            {"StartAt": "B", "States": {"B": _pass({"v": "b"})}}],
               "ResultSelector": {"first.$": "$[0].v", "count.$": "States.ArrayLength($)"},
               "ResultPath": "$.summary"}),
         {"in": 1}, output={"in": 1, "summary": {"first": "a", "count": 2}}),
    Case("context-object-in-parameters", "data flow",
         _one(_pass(Parameters={"state.$": "$$.State.Name", "input.$": "$$.Execution.Input.k"})),
         {"k": "v"}, output={"state": "S", "input": "v"}),
    Case("bare-string-result-is-json-text", "data flow",
         _one(_pass("hello")), {}, output="hello",
         check=lambda run, d: _assert(d["output"] == '"hello"', d["output"])),
    Case("missing-parameters-path-fails-the-execution", "data flow",
         _one(_pass(Parameters={"x.$": "$.nope"})), {"a": 1}, status="FAILED", error="States.Runtime",
         cause=lambda c: "$.nope" in c),
]


# --- intrinsic functions ----------------------------------------------------------------------

INTRINSICS = [
    Case("format-and-string-split", "intrinsics",
         _one(_pass(Parameters={"greeting.$": "States.Format('Hello, my name is {}.', $.name)",
                                "parts.$": "States.StringSplit($.csv, ',')"})),
         {"name": "Arnav", "csv": "1,2,3,4,5"},
         output={"greeting": "Hello, my name is Arnav.", "parts": ["1", "2", "3", "4", "5"]}),
    Case("json-to-string-and-back", "intrinsics",
         _one(_pass(Parameters={"text.$": "States.JsonToString($.obj)", "obj.$": "States.StringToJson($.text)"})),
         {"obj": {"a": 1}, "text": "{\"b\":[1,2]}"},
         output={"text": "{\"a\":1}", "obj": {"b": [1, 2]}}),
    Case("array-functions", "intrinsics",
         _one(_pass(Parameters={
             "array.$": "States.Array('x', $.n, 2)",
             "partition.$": "States.ArrayPartition($.nine, 4)",
             "contains.$": "States.ArrayContains($.nine, 5)",
             "range.$": "States.ArrayRange(1, 9, 2)",
             "item.$": "States.ArrayGetItem($.nine, 5)",
             "length.$": "States.ArrayLength($.nine)",
             "unique.$": "States.ArrayUnique($.dupes)"})),
         {"n": 1, "nine": [1, 2, 3, 4, 5, 6, 7, 8, 9], "dupes": [1, 2, 3, 3, 3, 3, 3, 3, 4]},
         output={"array": ["x", 1, 2], "partition": [[1, 2, 3, 4], [5, 6, 7, 8], [9]], "contains": True,
                 "range": [1, 3, 5, 7, 9], "item": 6, "length": 9, "unique": [1, 2, 3, 4]}),
    Case("base64-and-hash", "intrinsics",
         _one(_pass(Parameters={"enc.$": "States.Base64Encode($.text)", "dec.$": "States.Base64Decode($.b64)",
                                "sha1.$": "States.Hash($.text, 'SHA-1')"})),
         {"text": "Data to encode", "b64": base64.b64encode(b"Decoded text").decode()},
         output={"enc": base64.b64encode(b"Data to encode").decode(), "dec": "Decoded text",
                 "sha1": hashlib.sha1(b"Data to encode").hexdigest()}),
    Case("json-merge-is-shallow-and-math-add", "intrinsics",
         _one(_pass(Parameters={"merged.$": "States.JsonMerge($.a, $.b, false)", "sum.$": "States.MathAdd($.x, -1)"})),
         {"a": {"k": 1, "nested": {"c": 2}}, "b": {"nested": {"d": 3}}, "x": 111},
         output={"merged": {"k": 1, "nested": {"d": 3}}, "sum": 110}),
    Case("uuid-and-math-random", "intrinsics",
         _one(_pass(Parameters={"id.$": "States.UUID()", "n.$": "States.MathRandom(1, 999)"})), {},
         check=lambda run, d: _assert(
             re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", json.loads(d["output"])["id"])
             and 1 <= json.loads(d["output"])["n"] < 999, d["output"])),
]


# --- Choice -------------------------------------------------------------------------------------

CHOICE_MACHINE = {"StartAt": "C", "States": {
    "C": {"Type": "Choice", "Default": "Other", "Choices": [
        {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
        {"And": [{"Variable": "$.value", "IsPresent": True}, {"Variable": "$.value", "IsNumeric": True},
                 {"Variable": "$.value", "NumericGreaterThanEquals": 20}, {"Variable": "$.value", "NumericLessThan": 30}],
         "Next": "Twenties"},
        {"Variable": "$.name", "StringMatches": "log-*.txt", "Next": "Log"},
        {"Variable": "$.when", "TimestampGreaterThan": "2020-01-01T00:00:00Z", "Next": "Recent"}]},
    "Public": _pass("public"), "Twenties": _pass("twenties"), "Log": _pass("log"),
    "Recent": _pass("recent"), "Other": _pass("other")}}

CHOICE = [
    Case("choice-not-rule", "choice", CHOICE_MACHINE, {"type": "Public"}, output="public"),
    Case("choice-and-rule", "choice", CHOICE_MACHINE, {"type": "Private", "value": 25}, output="twenties"),
    Case("choice-string-matches", "choice", CHOICE_MACHINE, {"type": "Private", "name": "log-01.txt"}, output="log"),
    Case("choice-timestamp", "choice", CHOICE_MACHINE, {"type": "Private", "when": "2024-05-01T10:00:00Z"}, output="recent"),
    Case("choice-default", "choice", CHOICE_MACHINE, {"type": "Private", "value": 31}, output="other"),
    Case("choice-without-match-or-default", "choice",
         {"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [
             {"Variable": "$.x", "NumericEquals": 1, "Next": "E"}]}, "E": {"Type": "Succeed"}}},
         {"x": 2}, status="FAILED", error="States.NoChoiceMatched"),
]


# --- Wait -----------------------------------------------------------------------------------------


def _future(seconds: float, offset_hours: int) -> str:
    zone = datetime.timezone(datetime.timedelta(hours=offset_hours))
    when = datetime.datetime.now(zone) + datetime.timedelta(seconds=seconds)
    return when.isoformat(timespec="milliseconds")


def _wait_check(least: float) -> Callable[[Run, dict], None]:
    def check(run: Run, described: dict) -> None:
        events = run.events()
        entered = next(e["timestamp"] for e in events if e["type"] == "WaitStateEntered")
        exited = next(e["timestamp"] for e in events if e["type"] == "WaitStateExited")
        assert (exited - entered).total_seconds() >= least - 0.05, (entered, exited)
    return check


def _timestamp_path_check(run: Run, described: dict) -> None:
    target = datetime.datetime.fromisoformat(json.loads(described["input"])["until"])
    exited = next(e["timestamp"] for e in run.events() if e["type"] == "WaitStateExited")
    assert exited >= target, (exited, target)  # never a moment early, whatever the offset


WAIT = [
    Case("wait-seconds", "wait", _one({"Type": "Wait", "Seconds": 1, "End": True}), {"k": 1}, output={"k": 1},
         check=_wait_check(1.0)),
    Case("wait-seconds-path", "wait", _one({"Type": "Wait", "SecondsPath": "$.s", "End": True}), {"s": 1},
         output={"s": 1}, check=_wait_check(1.0)),
    Case("wait-timestamp-in-the-past-ends-at-once", "wait",
         _one({"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z", "End": True}), {}, output={}),
    Case("wait-timestamp-path-with-offset-is-utc", "wait",
         lambda run: _one({"Type": "Wait", "TimestampPath": "$.until", "End": True}),
         lambda: {"until": _future(1.2, 5)}, check=_timestamp_path_check),
    Case("wait-timestamp-path-negative-offset", "wait",
         lambda run: _one({"Type": "Wait", "TimestampPath": "$.until", "End": True}),
         lambda: {"until": _future(1.2, -7)}, check=_timestamp_path_check),
    Case("wait-invalid-timestamp-path", "wait", _one({"Type": "Wait", "TimestampPath": "$.until", "End": True}),
         {"until": "tomorrow"}, status="FAILED", error="States.Runtime"),
]


# --- Map and Parallel ------------------------------------------------------------------------------

_FAIL_ON_ONE = {"StartAt": "F", "States": {
    "F": {"Type": "Choice", "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "X"}], "Default": "OK"},
    "X": {"Type": "Fail", "Error": "ItemFailed", "Cause": "bad item"},
    "OK": {"Type": "Pass", "End": True}}}


def _distributed(**fields: Any) -> dict:
    processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, **_FAIL_ON_ONE}
    return _one({"Type": "Map", "ItemProcessor": processor, "End": True, **fields})


def _items(failing: int, total: int) -> list[dict]:
    return [{"i": i, "fail": i < failing} for i in range(total)]


MAP_PARALLEL = [
    Case("inline-map-items-path-item-selector", "map",
         _one({"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
               "ItemSelector": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value", "tag.$": "$.tag"},
               "ItemProcessor": {"StartAt": "P", "States": {"P": _pass()}}, "End": True}),
         {"items": ["a", "b", "c"], "tag": "t"},
         output=[{"index": 0, "value": "a", "tag": "t"}, {"index": 1, "value": "b", "tag": "t"},
                 {"index": 2, "value": "c", "tag": "t"}]),
    Case("inline-map-failure-is-caught", "map",
         {"StartAt": "M", "States": {
             "M": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": _FAIL_ON_ONE, "ResultPath": "$.results",
                   "Catch": [{"ErrorEquals": ["ItemFailed"], "ResultPath": "$.error", "Next": "Handled"}], "End": True},
             "Handled": _pass(OutputPath="$.error")}},
         {"items": _items(1, 3)}, output={"Error": "ItemFailed", "Cause": "bad item"}),
    Case("distributed-map-integer-percentage-within-threshold", "map",
         _distributed(ToleratedFailurePercentage=50), _items(1, 4),
         check=lambda run, d: _assert(len(json.loads(d["output"])) == 4, d["output"])),
    Case("distributed-map-no-failure-tolerated-by-default", "map",
         _distributed(), _items(1, 4), status="FAILED", error="States.ExceedToleratedFailureThreshold"),
    Case("distributed-map-count-exceeded", "map",
         _distributed(ToleratedFailureCount=1), _items(2, 4), status="FAILED",
         error="States.ExceedToleratedFailureThreshold"),
    Case("distributed-map-percentage-exceeded", "map",
         _distributed(ToleratedFailurePercentage=25), _items(2, 4), status="FAILED",
         error="States.ExceedToleratedFailureThreshold"),
    Case("parallel-branch-results-in-order", "parallel",
         _one({"Type": "Parallel", "End": True, "Branches": [
             {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 1, "Next": "A2"}, "A2": _pass("slow")}},
             {"StartAt": "B", "States": {"B": _pass("fast")}}]}),
         {}, output=["slow", "fast"]),
    Case("parallel-branch-failure-is-caught", "parallel",
         {"StartAt": "P", "States": {
             "P": {"Type": "Parallel", "Next": "Done",
                   "Branches": [{"StartAt": "A", "States": {"A": _pass("ok")}},
                                {"StartAt": "B", "States": {"B": {"Type": "Fail", "Error": "BranchBroke", "Cause": "why"}}}],
                   "Catch": [{"ErrorEquals": ["BranchBroke"], "Next": "Handled"}]},
             "Handled": _pass(), "Done": _pass("not reached")}},
         {}, output={"Error": "BranchBroke", "Cause": "why"}),
]


# --- activities: Retry, Catch, TimeoutSeconds, HeartbeatSeconds --------------------------------------


def _fail_then_succeed(run: Run) -> None:
    first = run.take()
    run.sfn.send_task_failure(taskToken=first["taskToken"], error="Transient", cause="try again")
    second = run.take()
    run.sfn.send_task_success(taskToken=second["taskToken"], output='{"attempt": 2}')


def _fail(error: str, cause: str) -> Callable[[Run], None]:
    def drive(run: Run) -> None:
        run.sfn.send_task_failure(taskToken=run.take()["taskToken"], error=error, cause=cause)
    return drive


def _take_and_go_silent(run: Run) -> None:
    run.notes["token"] = run.take()["taskToken"]


def _take_then_succeed_later(run: Run) -> None:
    run.notes["started"] = time.monotonic()
    time.sleep(1.3)  # longer than TimeoutSeconds: nobody has taken the task, so it cannot time out
    assert run.describe()["status"] == "RUNNING"
    run.notes["token"] = run.take()["taskToken"]
    run.notes["taken"] = time.monotonic()


def _heartbeats_keep_the_task_alive(run: Run) -> None:
    token = run.take()["taskToken"]
    for _ in range(4):
        time.sleep(0.5)
        run.sfn.send_task_heartbeat(taskToken=token)
    run.sfn.send_task_success(taskToken=token, output='"done"')


def _token_refused(run: Run, described: dict) -> None:
    with pytest.raises(ClientError) as excinfo:
        run.sfn.send_task_success(taskToken=run.notes["token"], output="{}")
    assert excinfo.value.response["Error"]["Code"] == "TaskTimedOut"


ACTIVITIES = [
    Case("activity-retry-then-success", "activities",
         lambda run: _one(_task(run.activity(), Retry=[{"ErrorEquals": ["Transient"], "IntervalSeconds": 1, "MaxAttempts": 2}])),
         {"job": 1}, output={"attempt": 2}, drive=_fail_then_succeed,
         check=lambda run, d: _assert(run.types().count("ActivityScheduled") == 2, run.types())),
    Case("activity-catch-with-result-path", "activities",
         lambda run: {"StartAt": "W", "States": {
             "W": _task(run.activity(), Catch=[{"ErrorEquals": ["States.TaskFailed", "JobFailed"], "ResultPath": "$.error", "Next": "H"}]),
             "H": _pass()}},
         {"job": 1}, output={"job": 1, "error": {"Error": "JobFailed", "Cause": "{\"reason\": \"disk\"}"}},
         drive=_fail("JobFailed", "{\"reason\": \"disk\"}")),
    Case("activity-failure-uncaught", "activities", lambda run: _one(_task(run.activity())), {},
         status="FAILED", error="JobFailed", cause=lambda c: c == "no luck", drive=_fail("JobFailed", "no luck")),
    Case("activity-heartbeat-timeout-is-catchable", "activities",
         lambda run: {"StartAt": "W", "States": {
             "W": _task(run.activity(), TimeoutSeconds=30, HeartbeatSeconds=1,
                        Catch=[{"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "H"}]),
             "H": _pass()}},
         {}, output={"Error": "States.HeartbeatTimeout", "Cause": ""}, drive=_take_and_go_silent, check=_token_refused),
    Case("activity-heartbeat-timeout-matches-states-timeout", "activities",
         lambda run: {"StartAt": "W", "States": {
             "W": _task(run.activity(), TimeoutSeconds=30, HeartbeatSeconds=1,
                        Catch=[{"ErrorEquals": ["States.Timeout"], "Next": "H"}]),
             "H": _pass()}},
         {}, output={"Error": "States.HeartbeatTimeout", "Cause": ""}, drive=_take_and_go_silent),
    Case("activity-heartbeats-extend-the-task", "activities",
         lambda run: _one(_task(run.activity(), TimeoutSeconds=30, HeartbeatSeconds=1)), {}, output="done",
         drive=_heartbeats_keep_the_task_alive),
    Case("activity-timeout-counts-from-activity-started", "activities",
         lambda run: _one(_task(run.activity(), TimeoutSeconds=1)), {}, status="FAILED", error="States.Timeout",
         drive=_take_then_succeed_later,
         check=lambda run, d: (_assert(d["stopDate"].timestamp() >= 0 and run.types()[-2] == "ActivityTimedOut", run.types()),
                               _token_refused(run, d))),
]


# --- service integrations: .sync, request-response, callback, aws-sdk --------------------------------


def _sqs_callback(run: Run) -> None:
    sqs = run.aws.client("sqs")
    url = run.notes["queue"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        if messages:
            body = json.loads(messages[0]["Body"])
            run.sfn.send_task_success(taskToken=body["token"], output=json.dumps({"echo": body["job"]}))
            return
    raise AssertionError("no callback message")


def _sqs_machine(run: Run) -> dict:
    run.notes["queue"] = run.aws.client("sqs").create_queue(QueueName=f"corpus-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    return _one(_task("arn:aws:states:::sqs:sendMessage.waitForTaskToken", TimeoutSeconds=20,
                      Parameters={"QueueUrl": run.notes["queue"],
                                  "MessageBody": {"token.$": "$$.Task.Token", "job.$": "$.job"}}))


def _glue_sync(job: str, **fields: Any) -> dict:
    return _one(_task("arn:aws:states:::glue:startJobRun.sync", Parameters={"JobName": job}, **fields))


def _glue_run_stopped(run: Run, job: str) -> None:
    glue = run.aws.client("glue")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        runs = glue.get_job_runs(JobName=job)["JobRuns"]
        if runs and all(r["JobRunState"] in ("STOPPING", "STOPPED") for r in runs):
            return
        time.sleep(0.1)
    raise AssertionError(f"the job run was not stopped: {[r['JobRunState'] for r in runs]}")


def _athena_sync(query: str) -> dict:
    return {"StartAt": "Q", "States": {
        "Q": _task("arn:aws:states:::athena:startQueryExecution.sync", Next="R",
                   Parameters={"QueryString": query, "WorkGroup": "primary",
                               "ResultConfiguration": {"OutputLocation": f"s3://{RESULTS}/"}}),
        "R": _task("arn:aws:states:::athena:getQueryResults",
                   Parameters={"QueryExecutionId.$": "$.QueryExecution.QueryExecutionId"},
                   ResultSelector={"rows.$": "$.ResultSet.Rows"})}}


def _json_cause(predicate: Callable[[dict], bool]) -> Callable[[str], bool]:
    return lambda cause: predicate(json.loads(cause))


INTEGRATIONS = [
    Case("glue-start-job-run-sync-succeeds", "integrations", _glue_sync("corpus-ok"), {},
         check=lambda run, d: _assert(
             json.loads(d["output"])["JobRunState"] == "SUCCEEDED" and json.loads(d["output"])["JobName"] == "corpus-ok"
             and {"Id", "StartedOn", "CompletedOn"} <= set(json.loads(d["output"]))
             and run.types()[2:6] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"], run.types())),
    Case("glue-start-job-run-sync-failure-is-task-failed", "integrations",
         {"StartAt": "G", "States": {
             "G": _task("arn:aws:states:::glue:startJobRun.sync", Parameters={"JobName": "corpus-fails"},
                        Catch=[{"ErrorEquals": ["States.TaskFailed"], "Next": "H"}]),
             "H": _pass(Parameters={"error.$": "$.Error", "run.$": "States.StringToJson($.Cause)"})}},
         {}, check=lambda run, d: _assert(
             json.loads(d["output"])["error"] == "States.TaskFailed"
             and json.loads(d["output"])["run"]["JobRunState"] == "FAILED"
             and "boom" in json.loads(d["output"])["run"]["ErrorMessage"], d["output"])),
    Case("glue-sync-timeout-stops-the-job-run", "integrations", _glue_sync("corpus-sleeps", TimeoutSeconds=2), {},
         status="FAILED", error="States.Timeout", check=lambda run, d: _glue_run_stopped(run, "corpus-sleeps")),
    Case("glue-start-job-run-request-response", "integrations",
         _one(_task("arn:aws:states:::glue:startJobRun", Parameters={"JobName": "corpus-ok"})), {},
         check=lambda run, d: _assert(set(json.loads(d["output"])) == {"JobRunId", "JobName"}, d["output"])),
    Case("glue-unknown-job-is-a-glue-error", "integrations", _glue_sync("corpus-no-such-job"), {},
         status="FAILED", error="Glue.EntityNotFoundException"),
    Case("sync-with-heartbeat-is-refused-loudly", "integrations", _glue_sync("corpus-ok", HeartbeatSeconds=5), {},
         status="FAILED", error="States.Runtime", cause=lambda c: "not supported locally" in c),
    Case("athena-start-query-execution-sync-then-results", "integrations", _athena_sync("SELECT 40 + 2 AS answer"), {},
         output={"rows": [{"Data": [{"VarCharValue": "answer"}]}, {"Data": [{"VarCharValue": "42"}]}]}),
    Case("athena-sync-failure-is-task-failed", "integrations", _athena_sync("SELECT * FROM corpus_no_such_table"), {},
         status="FAILED", error="States.TaskFailed",
         cause=_json_cause(lambda c: c["QueryExecution"]["Status"]["State"] == "FAILED")),
    Case("sqs-wait-for-task-token-callback", "integrations", _sqs_machine, {"job": "j1"}, output={"echo": "j1"},
         drive=_sqs_callback),
    Case("callback-heartbeat-timeout", "integrations",
         lambda run: {"StartAt": "S", "States": {
             "S": {**_sqs_machine(run)["States"]["S"], "HeartbeatSeconds": 1,
                   "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "H"}]},
             "H": _pass(OutputPath="$.Error")}},
         {"job": "j2"}, output="States.HeartbeatTimeout",
         check=lambda run, d: _assert("TaskTimedOut" in run.types(), run.types())),
    Case("aws-sdk-error-name-uses-the-service-name", "integrations",
         {"StartAt": "Get", "States": {
             "Get": _task("arn:aws:states:::aws-sdk:s3:getObject", Parameters={"Bucket": RESULTS, "Key": "no/such/key"},
                          Catch=[{"ErrorEquals": ["S3.NoSuchKeyException"], "Next": "Missing"}]),
             "Missing": _pass(OutputPath="$.Error")}},
         {}, output="S3.NoSuchKeyException"),
]


# --- redrive and stop -------------------------------------------------------------------------------------


def _redrive_after_failure(run: Run) -> None:
    run.sfn.send_task_failure(taskToken=run.take()["taskToken"], error="Flaky", cause="first attempt")
    failed = run.wait()
    assert failed["status"] == "FAILED" and failed["redriveStatus"] == "REDRIVABLE" and failed["redriveCount"] == 0
    run.notes["redrive"] = run.sfn.redrive_execution(executionArn=run.execution_arn)
    task = run.take()
    run.notes["second_input"] = json.loads(task["input"])
    run.sfn.send_task_success(taskToken=task["taskToken"], output='{"ok": true}')


def _redriven(run: Run, described: dict) -> None:
    types = run.types()
    entered = [e["stateEnteredEventDetails"]["name"] for e in run.events() if "stateEnteredEventDetails" in e]
    assert entered == ["Prepare", "Work", "Work", "Count"], entered  # Prepare succeeded: it is not run again
    assert types.count("ExecutionRedriven") == 1 and types.index("ExecutionRedriven") == types.index("ExecutionFailed") + 1
    redriven = next(e for e in run.events() if e["type"] == "ExecutionRedriven")
    assert redriven["executionRedrivenEventDetails"] == {"redriveCount": 1}
    assert run.notes["second_input"] == {"job": 7, "prepared": True}  # the same input as the failed attempt
    assert described["redriveCount"] == 1 and described["redriveDate"] == run.notes["redrive"]["redriveDate"]
    assert described["redriveStatus"] == "NOT_REDRIVABLE"
    assert described["redriveStatusReason"] == "Execution is SUCCEEDED and cannot be redriven"
    assert described["inputDetails"] == {"included": True} and described["outputDetails"] == {"included": True}
    with pytest.raises(ClientError) as excinfo:
        run.sfn.redrive_execution(executionArn=run.execution_arn)
    assert excinfo.value.response["Error"]["Code"] == "ExecutionNotRedrivable"
    listed = run.sfn.list_executions(stateMachineArn=run.machine_arn, redriveFilter="REDRIVEN")["executions"]
    assert [e["executionArn"] for e in listed] == [run.execution_arn] and listed[0]["redriveCount"] == 1
    assert run.sfn.list_executions(stateMachineArn=run.machine_arn, redriveFilter="NOT_REDRIVEN")["executions"] == []


def _running_is_not_redrivable(run: Run) -> None:
    described = run.describe()
    assert described["redriveStatus"] == "NOT_REDRIVABLE"
    assert described["redriveStatusReason"] == "Execution is RUNNING and cannot be redriven"
    with pytest.raises(ClientError) as excinfo:
        run.sfn.redrive_execution(executionArn=run.execution_arn)
    assert excinfo.value.response["Error"]["Code"] == "ExecutionNotRedrivable"
    run.sfn.send_task_success(taskToken=run.take()["taskToken"], output="{}")


def _redrive_parallel(run: Run) -> None:
    run.sfn.send_task_failure(taskToken=run.take()["taskToken"], error="Flaky")
    assert run.wait()["status"] == "FAILED"
    run.sfn.redrive_execution(executionArn=run.execution_arn)
    run.sfn.send_task_success(taskToken=run.take()["taskToken"], output='"second"')


def _redrive_stopped(run: Run) -> None:
    run.take()
    run.sfn.stop_execution(executionArn=run.execution_arn, error="Operator", cause="paused")
    stopped = run.wait()
    assert stopped["status"] == "ABORTED" and stopped["redriveStatus"] == "REDRIVABLE"
    run.sfn.redrive_execution(executionArn=run.execution_arn, clientToken="once")
    assert run.sfn.redrive_execution(executionArn=run.execution_arn, clientToken="once")  # same request: idempotent
    run.sfn.send_task_success(taskToken=run.take()["taskToken"], output='"resumed"')


def _redrive_timed_out(run: Run) -> None:
    assert run.wait()["status"] == "TIMED_OUT"  # nobody took the task within the execution's TimeoutSeconds
    run.sfn.redrive_execution(executionArn=run.execution_arn)
    run.sfn.send_task_success(taskToken=run.take()["taskToken"], output='"late but done"')


def _stop_with_error_and_cause(run: Run) -> None:
    run.take()
    run.notes["stop"] = run.sfn.stop_execution(executionArn=run.execution_arn, error="Manual", cause="operator said so")


def _stopped(run: Run, described: dict) -> None:
    assert described["stopDate"] == run.notes["stop"]["stopDate"]
    assert described["error"] == "Manual" and described["cause"] == "operator said so"
    aborted = run.events()[-1]
    assert aborted["type"] == "ExecutionAborted"
    assert aborted["executionAbortedEventDetails"] == {"error": "Manual", "cause": "operator said so"}


REDRIVE_STOP = [
    Case("redrive-continues-from-the-failed-state", "redrive",
         lambda run: {"StartAt": "Prepare", "States": {
             "Prepare": _pass(True, ResultPath="$.prepared", Next="Work"), "Work": _task(run.activity(), Next="Count"),
             "Count": _pass(Parameters={"ok.$": "$.ok", "redrives.$": "$$.Execution.RedriveCount"})}},
         {"job": 7}, output={"ok": True, "redrives": 1}, drive=_redrive_after_failure, check=_redriven),
    Case("redrive-refused-while-running", "redrive", lambda run: _one(_task(run.activity())), {}, output={},
         drive=_running_is_not_redrivable),
    Case("redrive-reruns-only-the-failed-parallel-branch", "redrive",
         lambda run: _one({"Type": "Parallel", "End": True, "Branches": [
             {"StartAt": "Quick", "States": {"Quick": _pass("first")}},
             {"StartAt": "Before", "States": {"Before": _pass(Next="Slow"), "Slow": _task(run.activity())}}]}),
         {}, output=["first", "second"], drive=_redrive_parallel,
         check=lambda run, d: _assert(
             [e["stateEnteredEventDetails"]["name"] for e in run.events() if e["type"] == "PassStateEntered"]
             in (["Quick", "Before"], ["Before", "Quick"]), run.types())),
    Case("redrive-an-aborted-execution", "redrive", lambda run: _one(_task(run.activity())), {}, output="resumed",
         drive=_redrive_stopped,
         check=lambda run, d: _assert(d["redriveCount"] == 1 and "error" not in d, d)),
    Case("redrive-a-timed-out-execution", "redrive",
         lambda run: _one(_task(run.activity()), TimeoutSeconds=2), {}, output="late but done", drive=_redrive_timed_out,
         check=lambda run, d: _assert(run.types().count("ExecutionTimedOut") == 1, run.types())),
    Case("stop-execution-records-error-and-cause", "stop", lambda run: _one(_task(run.activity())), {},
         status="ABORTED", drive=_stop_with_error_and_cause, check=_stopped),
]


# --- GetExecutionHistory paging -----------------------------------------------------------------------


def _history_pages(run: Run, described: dict) -> None:
    everything = run.events()
    pages, token = [], None
    while True:
        kwargs = {"nextToken": token} if token else {}
        page = run.sfn.get_execution_history(executionArn=run.execution_arn, maxResults=4, **kwargs)
        assert len(page["events"]) <= 4
        pages.extend(page["events"])
        token = page.get("nextToken")
        if not token:
            break
    assert [e["id"] for e in pages] == [e["id"] for e in everything] == list(range(1, len(everything) + 1))
    newest = run.sfn.get_execution_history(executionArn=run.execution_arn, maxResults=2, reverseOrder=True)
    assert [e["id"] for e in newest["events"]] == [len(everything), len(everything) - 1] and newest["nextToken"]
    bare = run.sfn.get_execution_history(executionArn=run.execution_arn, includeExecutionData=False)["events"]
    assert "input" not in bare[0]["executionStartedEventDetails"]
    assert "output" not in bare[-1]["executionSucceededEventDetails"]
    assert json.loads(everything[0]["executionStartedEventDetails"]["input"]) == {"n": 1}
    with pytest.raises(ClientError) as excinfo:
        run.sfn.get_execution_history(executionArn=run.execution_arn, nextToken="not-a-token")
    assert excinfo.value.response["Error"]["Code"] == "InvalidToken"


HISTORY = [
    Case("history-paging-reverse-and-without-data", "history",
         {"StartAt": "A", "States": {"A": _pass(Next="B"), "B": _pass(Next="C"), "C": _pass(Next="D"), "D": _pass()}},
         {"n": 1}, output={"n": 1}, check=_history_pages),
]

CORPUS = DATA_FLOW + INTRINSICS + CHOICE + WAIT + MAP_PARALLEL + ACTIVITIES + INTEGRATIONS + REDRIVE_STOP + HISTORY


def _assert(condition: Any, detail: Any) -> None:
    assert condition, detail


# --- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sfn(embedded_aws):
    return embedded_aws.client("stepfunctions", config=Config(max_pool_connections=16, read_timeout=30))


@pytest.fixture(scope="module")
def services(embedded_aws):
    """The Glue jobs and buckets the integration cases use (Python shell scripts on the embedded S3)."""
    s3 = embedded_aws.client("s3")
    glue = embedded_aws.client("glue")
    for bucket in (SCRIPTS, RESULTS):
        s3.create_bucket(Bucket=bucket)
    scripts = {"corpus-ok": "print('fine')\n", "corpus-fails": "raise SystemExit('boom: the job failed')\n",
               "corpus-sleeps": "import time\ntime.sleep(60)\n"}
    for job, script in scripts.items():
        s3.put_object(Bucket=SCRIPTS, Key=f"{job}.py", Body=textwrap.dedent(script).encode())
        try:
            glue.create_job(Name=job, Role=ROLE, GlueVersion="3.0",
                            Command={"Name": "pythonshell", "ScriptLocation": f"s3://{SCRIPTS}/{job}.py", "PythonVersion": "3.9"})
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "AlreadyExistsException":
                raise
    return embedded_aws


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_documented_behaviour(case: Case, sfn, services):
    run = Run(sfn=sfn, aws=services, machine_arn="")
    definition = case.definition(run) if callable(case.definition) else case.definition
    run.machine_arn = sfn.create_state_machine(
        name=f"corpus-{uuid.uuid4().hex[:10]}", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    execution_input = case.input() if callable(case.input) else case.input
    run.execution_arn = sfn.start_execution(
        stateMachineArn=run.machine_arn, input=json.dumps({} if execution_input is None else execution_input))["executionArn"]
    if case.drive is not None:
        driver_error: list[BaseException] = []

        def drive() -> None:
            try:
                case.drive(run)  # type: ignore[misc]
            except BaseException as exc:  # reported below, on the test's thread
                driver_error.append(exc)

        thread = threading.Thread(target=drive, daemon=True)
        thread.start()
        thread.join(case.timeout)
        if driver_error:
            raise driver_error[0]
    described = run.wait(case.timeout)

    assert described["status"] == case.status, described
    if case.output is not UNSET:
        assert json.loads(described["output"]) == case.output
    if case.error is not None:
        assert described.get("error") == case.error, described
    if case.cause is not None:
        assert case.cause(described.get("cause", "")), described.get("cause")
    if case.check is not None:
        case.check(run, described)


# --- definitions AWS refuses, and ValidateStateMachineDefinition -------------------------------------------

INVALID = [
    ("missing-next-target", {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "X"}}},
     "MISSING_TRANSITION_TARGET", "Missing 'Next' target: X", "/States/A/Next"),
    ("missing-choice-target", {"StartAt": "C", "States": {"C": {"Type": "Choice", "Default": "D", "Choices": [
        {"Variable": "$.x", "IsPresent": True, "Next": "Nowhere"}]}, "D": {"Type": "Succeed"}}},
     "MISSING_TRANSITION_TARGET", "Missing 'Next' target: Nowhere", "/States/C/Choices/0/Next"),
    ("unknown-state-type", {"StartAt": "A", "States": {"A": {"Type": "Sleep", "End": True}}},
     "SCHEMA_VALIDATION_FAILED", None, "/States/A/Type"),
    ("missing-start-at", {"States": {"A": {"Type": "Pass", "End": True}}},
     "SCHEMA_VALIDATION_FAILED", "These fields are required: [StartAt]", "/"),
    ("unreachable-state", {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}, "B": {"Type": "Pass", "End": True}}},
     "MISSING_TRANSITION_TARGET", 'State "B" is not reachable.', "/States/B"),
    ("glue-has-no-callback-pattern", _one(_task("arn:aws:states:::glue:startJobRun.waitForTaskToken")),
     "SCHEMA_VALIDATION_FAILED", None, "/States/S/Resource"),
]


@pytest.mark.parametrize("case_id,definition,code,message,location", INVALID, ids=[c[0] for c in INVALID])
def test_invalid_definition_is_refused_as_aws_does(sfn, case_id, definition, code, message, location):
    text = json.dumps(definition)
    with pytest.raises(ClientError) as excinfo:
        sfn.create_state_machine(name=f"corpus-{uuid.uuid4().hex[:10]}", definition=text, roleArn=ROLE)
    error = excinfo.value.response["Error"]
    assert error["Code"] == "InvalidDefinition"
    assert error["Message"].startswith(f"Invalid State Machine Definition: '{code}: ")
    assert error["Message"].endswith(f" at {location}'")

    validated = sfn.validate_state_machine_definition(definition=text)
    assert validated["result"] == "FAIL" and validated["truncated"] is False
    diagnostic = validated["diagnostics"][0]
    assert (diagnostic["severity"], diagnostic["code"], diagnostic["location"]) == ("ERROR", code, location)
    if message is not None:
        assert diagnostic["message"] == message


def test_valid_definition_validates_ok_and_update_refuses_an_invalid_one(sfn):
    good = json.dumps(_one(_pass()))
    assert sfn.validate_state_machine_definition(definition=good)["result"] == "OK"
    assert sfn.validate_state_machine_definition(definition=good)["diagnostics"] == []
    arn = sfn.create_state_machine(name=f"corpus-{uuid.uuid4().hex[:10]}", definition=good, roleArn=ROLE)["stateMachineArn"]
    with pytest.raises(ClientError) as excinfo:
        sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Z"}}}))
    assert excinfo.value.response["Error"]["Code"] == "InvalidDefinition"
    assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == json.loads(good)


def test_list_executions_pages_and_filters(sfn):
    arn = sfn.create_state_machine(name=f"corpus-{uuid.uuid4().hex[:10]}", definition=json.dumps(_one(_pass())),
                                   roleArn=ROLE)["stateMachineArn"]
    started = [sfn.start_execution(stateMachineArn=arn)["executionArn"] for _ in range(3)]
    for execution in started:
        Run(sfn=sfn, aws=None, machine_arn=arn, execution_arn=execution).wait()
    first = sfn.list_executions(stateMachineArn=arn, maxResults=2)
    second = sfn.list_executions(stateMachineArn=arn, maxResults=2, nextToken=first["nextToken"])
    listed = [e["executionArn"] for e in first["executions"] + second["executions"]]
    assert sorted(listed) == sorted(started) and "nextToken" not in second
    assert all(e["redriveCount"] == 0 and e["status"] == "SUCCEEDED" for e in first["executions"])
    assert sfn.list_executions(stateMachineArn=arn, statusFilter="FAILED")["executions"] == []
    assert len(sfn.list_executions(stateMachineArn=arn, redriveFilter="NOT_REDRIVEN")["executions"]) == 3


def test_redriving_an_unknown_execution(sfn):
    unknown = "arn:aws:states:us-east-1:123456789012:execution:corpus-none:" + uuid.uuid4().hex
    with pytest.raises(ClientError) as excinfo:
        sfn.redrive_execution(executionArn=unknown)
    assert excinfo.value.response["Error"]["Code"] == "ExecutionDoesNotExist"


def test_redriving_a_failed_map_is_refused_loudly_not_run_differently(sfn):
    """AWS reruns only a Map's failed iterations; that is not supported locally and says so."""
    arn = sfn.create_state_machine(name=f"corpus-{uuid.uuid4().hex[:10]}", roleArn=ROLE, definition=json.dumps(
        _one({"Type": "Map", "ItemProcessor": _FAIL_ON_ONE, "End": True})))["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(_items(1, 2)))["executionArn"]
    run = Run(sfn=sfn, aws=None, machine_arn=arn, execution_arn=execution)
    assert run.wait()["status"] == "FAILED"
    with pytest.raises(ClientError) as excinfo:
        sfn.redrive_execution(executionArn=execution)
    assert excinfo.value.response["Error"]["Code"] == "NotImplemented"
    assert "not supported locally" in excinfo.value.response["Error"]["Message"]
    assert run.describe()["status"] == "FAILED"


def test_a_refused_definition_does_not_poison_later_ones(sfn):
    """moto kept parser state in a class-level list: after one refusal every definition was refused."""
    broken = {"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"a.$": "$.x"}, "End": True}}}
    with pytest.raises(ClientError):
        sfn.create_state_machine(name=f"corpus-{uuid.uuid4().hex[:10]}", definition=json.dumps(broken), roleArn=ROLE)
    for _ in range(2):
        sfn.create_state_machine(name=f"corpus-{uuid.uuid4().hex[:10]}", definition=json.dumps(_one(_pass())), roleArn=ROLE)
