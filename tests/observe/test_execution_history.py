"""An execution's history read back into per-state statuses: the rules the
status, history, graph and console all rely on."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from runners.observe.execution import CANCELLED, FAILED, NOT_REACHED, RUNNING, SUCCEEDED, from_history, run_date_of

T0 = datetime(2026, 11, 16, 6, 0, tzinfo=timezone.utc)
TASK = {"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:glue"}


class History:
    """Builds events as Step Functions links them: each names the event before it."""

    def __init__(self) -> None:
        self.events: list[dict] = []

    def add(self, kind: str, previous: int = 0, seconds: float | None = None, **details) -> int:
        event_id = len(self.events) + 1
        event = {"id": event_id, "previousEventId": previous, "type": kind,
                 "timestamp": T0 + timedelta(seconds=event_id if seconds is None else seconds)}
        if details:
            key = kind[0].lower() + kind[1:] + "EventDetails"
            if kind.endswith("StateEntered"):
                key = "stateEnteredEventDetails"
            elif kind.endswith("StateExited"):
                key = "stateExitedEventDetails"
            event[key] = details
        self.events.append(event)
        return event_id

    def enter(self, kind: str, name: str, previous: int) -> int:
        return self.add(f"{kind}StateEntered", previous, name=name, input="{}")

    def exit(self, kind: str, name: str, previous: int) -> int:
        return self.add(f"{kind}StateExited", previous, name=name, output="{}")

    def task(self, name: str, previous: int, outcome: str = "ActivitySucceeded", **details) -> int:
        entered = self.enter("Task", name, previous)
        scheduled = self.add("ActivityScheduled", entered, input=json.dumps({"GlueJobName": name}))
        started = self.add("ActivityStarted", scheduled)
        return self.add(outcome, started, **details) if outcome else started


def view(definition: dict, history: History, status: str, stopped: bool = True, execution_input: str = '{"runDate": "2026-11-16"}'):
    described = {"executionArn": "arn:aws:states:us-east-1:123456789012:execution:p:e", "stateMachineArn": "arn:sm", "status": status,
                 "startDate": T0, "stopDate": T0 + timedelta(seconds=len(history.events) + 1) if stopped else None, "input": execution_input}
    return from_history(described, definition, history.events)


def statuses(result) -> dict[str, str]:
    return {name: state.status for name, state in result.states.items()}


def test_a_successful_run_has_every_state_succeeded_with_its_time_and_result():
    definition = {"StartAt": "Prepare", "States": {"Prepare": {"Type": "Pass", "Next": "Load"}, "Load": {**TASK, "Next": "Done"}, "Done": {"Type": "Succeed"}}}
    h = History()
    start = h.add("ExecutionStarted")
    e = h.exit("Pass", "Prepare", h.enter("Pass", "Prepare", start))
    done = h.task("Load", e, output=json.dumps({"JobRunId": "jr_1", "JobName": "load"}))
    e = h.exit("Task", "Load", done)
    e = h.exit("Succeed", "Done", h.enter("Succeed", "Done", e))
    h.add("ExecutionSucceeded", e)
    result = view(definition, h, "SUCCEEDED")
    assert statuses(result) == {"Prepare": SUCCEEDED, "Load": SUCCEEDED, "Done": SUCCEEDED}
    load = result.states["Load"]
    assert load.seconds() == 4.0 and load.attempts == 1
    assert load.run == {"kind": "glue", "id": "jr_1", "job": "load"}
    assert result.failed_state is None and result.run_date == "2026-11-16"


def test_a_retried_task_that_then_succeeds_is_succeeded_with_its_attempts_counted():
    definition = {"StartAt": "Load", "States": {"Load": {**TASK, "End": True}}}
    h = History()
    entered = h.enter("Task", "Load", h.add("ExecutionStarted"))
    failed = h.add("ActivityFailed", h.add("ActivityStarted", h.add("ActivityScheduled", entered)), error="RunnerInternalError", cause="boom")
    succeeded = h.add("ActivitySucceeded", h.add("ActivityStarted", h.add("ActivityScheduled", failed)), output="{}")
    h.add("ExecutionSucceeded", h.exit("Task", "Load", succeeded))
    load = view(definition, h, "SUCCEEDED").states["Load"]
    assert load.status == SUCCEEDED and load.attempts == 2 and load.error is None


def test_a_caught_failure_marks_the_task_failed_and_the_fail_state_carries_the_error():
    definition = {"StartAt": "Load", "States": {
        "Load": {**TASK, "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Notify"}], "Next": "Done"},
        "Done": {"Type": "Succeed"},
        "Notify": {"Type": "Pass", "Next": "Failed"},
        "Failed": {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"}}}
    h = History()
    cause = json.dumps({"errorMessage": "no data", "JobRunId": "jr_9", "JobName": "load"})
    failed = h.task("Load", h.add("ExecutionStarted"), "ActivityFailed", error="GlueJobFailedError", cause=cause)
    e = h.exit("Task", "Load", failed)  # the Catch hands over: the state still exits
    e = h.exit("Pass", "Notify", h.enter("Pass", "Notify", e))
    fail = h.enter("Fail", "Failed", e)
    h.add("ExecutionFailed", fail, error="GlueJobFailedError", cause=cause)
    result = view(definition, h, "FAILED")
    assert statuses(result) == {"Load": FAILED, "Done": NOT_REACHED, "Notify": SUCCEEDED, "Failed": FAILED}
    assert result.failed_state.name == "Load"
    assert (result.states["Load"].error, result.states["Failed"].error) == ("GlueJobFailedError", "GlueJobFailedError")
    assert result.states["Load"].run == {"kind": "glue", "id": "jr_9", "job": "load"}  # from the cause: logs can find the run


def parallel_definition() -> dict:
    return {"StartAt": "Both", "States": {
        "Both": {"Type": "Parallel", "Branches": [
            {"StartAt": "Sales", "States": {"Sales": {**TASK, "End": True}}},
            {"StartAt": "Marketing", "States": {"Marketing": {**TASK, "End": True}}}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}], "Next": "Join"},
        "Join": {**TASK, "End": True},
        "Failed": {"Type": "Fail", "Error": "PipelineFailed"}}}


def test_a_failed_branch_fails_its_parallel_and_cancels_the_branch_still_running():
    h = History()
    parallel = h.enter("Parallel", "Both", h.add("ExecutionStarted"))
    started = h.add("ParallelStateStarted", parallel)
    h.task("Marketing", started, outcome="")  # still running
    failed = h.task("Sales", started, "ActivityFailed", error="GlueJobFailedError", cause='{"errorMessage": "bad header"}')
    parallel_failed = h.add("ParallelStateFailed", failed)
    e = h.exit("Parallel", "Both", parallel_failed)
    # The stopped branch's activity may still report after the Parallel ended: it was cancelled, not broken.
    h.add("ActivityTimedOut", 4, error="States.Timeout")
    fail = h.enter("Fail", "Failed", e)
    h.add("ExecutionFailed", fail, error="PipelineFailed")
    result = view(parallel_definition(), h, "FAILED")
    assert statuses(result) == {"Both": FAILED, "Sales": FAILED, "Marketing": CANCELLED, "Join": NOT_REACHED, "Failed": FAILED}
    assert result.states["Both"].error == "GlueJobFailedError"
    assert result.failed_state.name == "Sales"
    assert result.states["Marketing"].depth == 1 and result.states["Marketing"].parent == "Both"


def test_a_running_execution_shows_what_runs_now_and_for_how_long():
    h = History()
    parallel = h.enter("Parallel", "Both", h.add("ExecutionStarted"))
    started = h.add("ParallelStateStarted", parallel)
    h.task("Marketing", started, outcome="")
    done = h.task("Sales", started, output="{}")
    h.exit("Task", "Sales", done)
    result = view(parallel_definition(), h, "RUNNING", stopped=False)
    assert statuses(result) == {"Both": RUNNING, "Sales": SUCCEEDED, "Marketing": RUNNING, "Join": NOT_REACHED, "Failed": NOT_REACHED}
    assert [s.name for s in result.running_states] == ["Marketing"]  # the innermost, not the Parallel around it
    entered = result.states["Marketing"].entered
    assert result.states["Marketing"].seconds(now=entered + timedelta(seconds=90)) == 90.0
    assert result.states["Marketing"].task_input == json.dumps({"GlueJobName": "Marketing"})


def test_an_aborted_execution_cancels_what_was_running():
    h = History()
    h.task("Load", h.add("ExecutionStarted"), outcome="")
    h.add("ExecutionAborted", len(h.events))
    result = view({"StartAt": "Load", "States": {"Load": {**TASK, "End": True}}}, h, "ABORTED")
    assert result.states["Load"].status == CANCELLED and result.failed_state is None


def test_a_runtime_error_in_a_state_without_a_task_fails_that_state():
    definition = {"StartAt": "Resolve", "States": {"Resolve": {"Type": "Pass", "Next": "Load"}, "Load": {**TASK, "End": True}}}
    h = History()
    entered = h.enter("Pass", "Resolve", h.add("ExecutionStarted"))
    h.add("ExecutionFailed", entered, error="States.Runtime", cause="list index out of range")
    result = view(definition, h, "FAILED")
    assert statuses(result) == {"Resolve": FAILED, "Load": NOT_REACHED}
    assert result.failed_state.error == "States.Runtime"


def test_nested_parallels_fail_from_the_inside_out():
    definition = {"StartAt": "Outer", "States": {"Outer": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Inner", "States": {"Inner": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "Load", "States": {"Load": {**TASK, "End": True}}}]}}},
        {"StartAt": "Other", "States": {"Other": {**TASK, "End": True}}}]}}}
    h = History()
    outer = h.add("ParallelStateStarted", h.enter("Parallel", "Outer", h.add("ExecutionStarted")))
    h.task("Other", outer, outcome="")
    inner = h.add("ParallelStateStarted", h.enter("Parallel", "Inner", outer))
    failed = h.task("Load", inner, "ActivityFailed", error="GlueJobFailedError", cause="{}")
    inner_failed = h.add("ParallelStateFailed", failed)
    outer_failed = h.add("ParallelStateFailed", inner_failed)
    h.add("ExecutionFailed", outer_failed, error="GlueJobFailedError")
    result = view(definition, h, "FAILED")
    assert statuses(result) == {"Outer": FAILED, "Inner": FAILED, "Load": FAILED, "Other": CANCELLED}
    assert result.states["Load"].depth == 2 and result.failed_state.name == "Load"


def test_the_run_date_comes_from_the_input_or_the_schedule():
    assert run_date_of('{"runDate": "2026-11-16"}') == "2026-11-16"
    assert run_date_of('{"scheduledTime": "2026-11-16T06:00:00Z"}') == "2026-11-16"
    assert run_date_of('{"other": 1}') is None and run_date_of("not json") is None and run_date_of(None) is None
