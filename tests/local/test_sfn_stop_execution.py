"""StopExecution on the embedded AWS ends an execution the way AWS does.

On AWS the call ends the execution: it answers with ``stopDate``,
DescribeExecution then says ABORTED with that date (and the ``error`` and
``cause`` given), the history ends with ``ExecutionAborted``, the task tokens
of the execution answer TaskTimedOut and a task nobody took is never handed
out.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/test"


@pytest.fixture(scope="module")
def sfn(emulator):
    return emulator.client("stepfunctions", config=Config(read_timeout=30))


def _machine(sfn, name: str, work: dict, **states: dict) -> str:
    definition = {"StartAt": "Work", "States": {"Work": work, **states}}
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]


def _task(activity_arn: str, **fields: Any) -> dict:
    return {"Type": "Task", "Resource": activity_arn, "End": True, **fields}


def _events(sfn, execution_arn: str) -> list[dict]:
    return sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]


def _wait_for_event(sfn, execution_arn: str, event_type: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(e["type"] == event_type for e in _events(sfn, execution_arn)):
            return
        time.sleep(0.05)
    raise AssertionError(f"no {event_type} event")


def _queued_execution(sfn, name: str, **task_fields: Any) -> tuple[str, str]:
    """An execution whose activity task is queued (nobody took it): (activity, execution)."""
    activity = sfn.create_activity(name=name)["activityArn"]
    machine = _machine(sfn, name, _task(activity, **task_fields))
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    _wait_for_event(sfn, execution, "ActivityScheduled")
    return activity, execution


def _error_code(call, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return excinfo.value.response["Error"]["Code"]


def _assert_aborted(sfn, execution: str, stop_date, error: str | None, cause: str | None) -> None:
    described = sfn.describe_execution(executionArn=execution)
    assert described["status"] == "ABORTED"
    assert described["stopDate"] == stop_date
    assert described.get("error") == error and described.get("cause") == cause
    assert ("error" in described, "cause" in described) == (error is not None, cause is not None)

    events = _events(sfn, execution)
    last = events[-1]
    assert last["type"] == "ExecutionAborted" and last["previousEventId"] == 0
    expected = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
    assert last["executionAbortedEventDetails"] == expected
    assert [e["type"] for e in events].count("ExecutionAborted") == 1

    machine = described["stateMachineArn"]
    listed = sfn.list_executions(stateMachineArn=machine, statusFilter="ABORTED")["executions"]
    assert [(e["executionArn"], e["stopDate"]) for e in listed] == [(execution, stop_date)]
    assert sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"] == []


def test_stopping_an_execution_whose_task_a_worker_holds(sfn, name):
    activity = sfn.create_activity(name=name)["activityArn"]
    machine = _machine(sfn, name, _task(activity, HeartbeatSeconds=60, TimeoutSeconds=300))
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    token = sfn.get_activity_task(activityArn=activity, workerName="w1")["taskToken"]
    sfn.send_task_heartbeat(taskToken=token)

    stopped = sfn.stop_execution(executionArn=execution, error="MyErr", cause="because")

    assert "stopDate" in stopped
    _assert_aborted(sfn, execution, stopped["stopDate"], "MyErr", "because")
    types = [e["type"] for e in _events(sfn, execution)]
    assert types == ["ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ExecutionAborted"]
    # The worker learns its job is over from any call with the token.
    assert _error_code(sfn.send_task_heartbeat, taskToken=token) == "TaskTimedOut"
    assert _error_code(sfn.send_task_success, taskToken=token, output="{}") == "TaskTimedOut"
    assert _error_code(sfn.send_task_failure, taskToken=token, error="E", cause="C") == "TaskTimedOut"
    _assert_aborted(sfn, execution, stopped["stopDate"], "MyErr", "because")  # the late calls changed nothing


def test_stopping_an_execution_whose_task_nobody_took(sfn, name):
    activity, execution = _queued_execution(sfn, name)

    stopped = sfn.stop_execution(executionArn=execution, error="MyErr", cause="because")

    _assert_aborted(sfn, execution, stopped["stopDate"], "MyErr", "because")
    assert "taskToken" not in sfn.get_activity_task(activityArn=activity)  # the queued task is never delivered
    assert "ActivityStarted" not in [e["type"] for e in _events(sfn, execution)]


@pytest.mark.parametrize(
    "error, cause",
    [(None, None), ("MyErr", None), (None, "because")],
    ids=["neither", "error-only", "cause-only"],
)
def test_error_and_cause_are_optional(sfn, name, error, cause):
    _, execution = _queued_execution(sfn, name)
    request = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}

    stopped = sfn.stop_execution(executionArn=execution, **request)

    _assert_aborted(sfn, execution, stopped["stopDate"], error, cause)


def test_a_stopped_execution_runs_no_retry_or_catch(sfn, name):
    activity = sfn.create_activity(name=name)["activityArn"]
    work = _task(activity, Retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 3}],
                 Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Handled"}])
    del work["End"]
    work["Next"] = "Handled"
    machine = _machine(sfn, name, work, Handled={"Type": "Pass", "End": True})
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    token = sfn.get_activity_task(activityArn=activity)["taskToken"]

    stopped = sfn.stop_execution(executionArn=execution)
    history = _events(sfn, execution)
    time.sleep(1.5)  # longer than the retry interval: a retry or the catcher would have run by now

    _assert_aborted(sfn, execution, stopped["stopDate"], None, None)
    assert _events(sfn, execution) == history
    assert "taskToken" not in sfn.get_activity_task(activityArn=activity)  # no second attempt was queued
    assert _error_code(sfn.send_task_success, taskToken=token, output="{}") == "TaskTimedOut"


def test_stopping_an_ended_execution_changes_nothing(sfn, name):
    _, execution = _queued_execution(sfn, name)
    first = sfn.stop_execution(executionArn=execution, error="MyErr", cause="because")

    again = sfn.stop_execution(executionArn=execution, error="Other", cause="later")

    assert again["stopDate"] == first["stopDate"]
    _assert_aborted(sfn, execution, first["stopDate"], "MyErr", "because")

    # A succeeded execution stays SUCCEEDED (the API lists no error for this case).
    machine = _machine(sfn, f"{name}-pass", {"Type": "Pass", "End": True})
    done = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    deadline = time.monotonic() + 10
    while sfn.describe_execution(executionArn=done)["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.05)
    described = sfn.describe_execution(executionArn=done)
    assert sfn.stop_execution(executionArn=done)["stopDate"] == described["stopDate"]
    assert sfn.describe_execution(executionArn=done)["status"] == "SUCCEEDED"
    assert _events(sfn, done)[-1]["type"] == "ExecutionSucceeded"


@pytest.mark.skipif(shutil.which("aws") is None, reason="AWS CLI not installed")
def test_aws_cli_stop_execution(emulator, sfn, name):
    activity, execution = _queued_execution(sfn, name)
    env = {**os.environ, **emulator.environment(), "AWS_PAGER": ""}
    env.pop("AWS_PROFILE", None)

    result = subprocess.run(
        ["aws", "stepfunctions", "stop-execution", "--endpoint-url", emulator.endpoint_url,
         "--execution-arn", execution, "--error", "MyErr", "--cause", "because", "--output", "json"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "stopDate" in json.loads(result.stdout or "{}")  # the CLI prints nothing for an empty answer
    described = sfn.describe_execution(executionArn=execution)
    assert (described["status"], described["error"], described["cause"]) == ("ABORTED", "MyErr", "because")
