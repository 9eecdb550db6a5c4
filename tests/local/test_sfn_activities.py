"""Step Functions activity tasks on the embedded AWS, driven like a real worker would."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/test"


@pytest.fixture(scope="module")
def sfn(emulator):
    return emulator.client("stepfunctions", config=Config(max_pool_connections=32, read_timeout=30))


def _machine(sfn, name: str, definition: dict) -> str:
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]


def _task(activity_arn: str, **fields: Any) -> dict:
    return {"Type": "Task", "Resource": activity_arn, "End": True, **fields}


def _wait_done(sfn, execution_arn: str, timeout: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError("execution still RUNNING")


def _events(sfn, execution_arn: str) -> list[dict]:
    return sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]


def _error_code(excinfo: pytest.ExceptionInfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_task_is_delivered_to_a_poller_and_success_completes_the_execution(sfn, name):
    activity = sfn.create_activity(name=name)["activityArn"]
    machine = _machine(sfn, name, {"StartAt": "Work", "States": {"Work": _task(activity, TimeoutSeconds=30)}})
    execution = sfn.start_execution(stateMachineArn=machine, input='{"job": "sales"}')["executionArn"]

    task = sfn.get_activity_task(activityArn=activity, workerName="worker-1")
    assert json.loads(task["input"]) == {"job": "sales"}
    sfn.send_task_heartbeat(taskToken=task["taskToken"])  # accepted without HeartbeatSeconds, as on AWS
    sfn.send_task_success(taskToken=task["taskToken"], output='{"done": true}')

    described = _wait_done(sfn, execution)
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"done": True}
    started = [e for e in _events(sfn, execution) if e["type"] == "ActivityStarted"]
    assert started[0]["activityStartedEventDetails"]["workerName"] == "worker-1"


def test_parallel_branches_each_deliver_a_task(sfn, name):
    activity = sfn.create_activity(name=name)["activityArn"]
    branch = lambda job: {"StartAt": job, "States": {job: _task(activity, Parameters={"job": job})}}  # noqa: E731
    machine = _machine(
        sfn, name,
        {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": True, "Branches": [branch("sales"), branch("marketing")]}}},
    )
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]

    tasks = [sfn.get_activity_task(activityArn=activity, workerName=f"w{i}") for i in range(2)]
    jobs = {json.loads(t["input"])["job"]: t["taskToken"] for t in tasks}
    assert set(jobs) == {"sales", "marketing"}
    for job, token in jobs.items():
        sfn.send_task_success(taskToken=token, output=json.dumps({"ran": job}))

    described = _wait_done(sfn, execution)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == [{"ran": "sales"}, {"ran": "marketing"}]


def test_long_poll_returns_empty_after_poll_seconds(emulator, sfn, name):
    poll_seconds = emulator.activity_poll_seconds
    activity = sfn.create_activity(name=name)["activityArn"]
    began = time.monotonic()
    response = sfn.get_activity_task(activityArn=activity)
    elapsed = time.monotonic() - began
    assert "taskToken" not in response
    assert poll_seconds - 0.1 <= elapsed < poll_seconds + 1.5


def test_many_concurrent_long_polls_share_the_tasks(emulator, sfn, name):
    activity = sfn.create_activity(name=name)["activityArn"]
    machine = _machine(sfn, name, {"StartAt": "Work", "States": {"Work": _task(activity)}})
    results: list[dict] = []
    lock = threading.Lock()

    def poll() -> None:
        response = sfn.get_activity_task(activityArn=activity)
        with lock:
            results.append(response)

    pollers = [threading.Thread(target=poll) for _ in range(12)]
    for poller in pollers:
        poller.start()
    time.sleep(0.3)  # every poller is waiting inside its long poll
    executions = [sfn.start_execution(stateMachineArn=machine, input=json.dumps({"n": n}))["executionArn"] for n in range(3)]
    for poller in pollers:
        poller.join(timeout=emulator.activity_poll_seconds + 5)

    delivered = [r for r in results if "taskToken" in r]
    assert len(results) == 12 and len(delivered) == 3
    assert sorted(json.loads(r["input"])["n"] for r in delivered) == [0, 1, 2]
    for response in delivered:
        sfn.send_task_success(taskToken=response["taskToken"], output="{}")
    assert all(_wait_done(sfn, e)["status"] == "SUCCEEDED" for e in executions)


def test_missed_heartbeat_retries_under_a_new_token_and_the_old_token_times_out(sfn, name):
    activity = sfn.create_activity(name=name)["activityArn"]
    retry = [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 1}]
    machine = _machine(
        sfn, name, {"StartAt": "Work", "States": {"Work": _task(activity, TimeoutSeconds=30, HeartbeatSeconds=1, Retry=retry)}}
    )
    execution = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]

    first = sfn.get_activity_task(activityArn=activity)["taskToken"]
    # Re-issued after the 1 s heartbeat timeout + 1 s retry interval; the
    # server's long poll may be shorter than that, so poll until it comes.
    deadline = time.monotonic() + 15
    second: dict = {}
    while not second.get("taskToken") and time.monotonic() < deadline:
        second = sfn.get_activity_task(activityArn=activity)
    assert second.get("taskToken") and second["taskToken"] != first

    for call in (
        lambda: sfn.send_task_success(taskToken=first, output="{}"),
        lambda: sfn.send_task_heartbeat(taskToken=first),
        lambda: sfn.send_task_failure(taskToken=first, error="Late"),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert _error_code(excinfo) == "TaskTimedOut"
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"

    sfn.send_task_success(taskToken=second["taskToken"], output='{"attempt": 2}')
    assert _wait_done(sfn, execution)["status"] == "SUCCEEDED"
    types = [e["type"] for e in _events(sfn, execution)]
    assert types.count("ActivityScheduled") == 2 and types.count("ActivityTimedOut") == 1


def test_tokens_of_finished_tasks_and_unknown_tokens_are_refused(sfn, name):
    activity = sfn.create_activity(name=name)["activityArn"]
    machine = _machine(sfn, name, {"StartAt": "Work", "States": {"Work": _task(activity)}})
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    token = sfn.get_activity_task(activityArn=activity)["taskToken"]
    sfn.send_task_success(taskToken=token, output="{}")
    _wait_done(sfn, execution)

    with pytest.raises(ClientError) as excinfo:
        sfn.send_task_success(taskToken=token, output="{}")
    assert _error_code(excinfo) == "TaskTimedOut"
    with pytest.raises(ClientError) as excinfo:
        sfn.send_task_success(taskToken="not-a-token", output="{}")
    assert _error_code(excinfo) == "InvalidToken"


def test_task_failure_carries_error_and_cause(sfn, name):
    activity = sfn.create_activity(name=name)["activityArn"]
    machine = _machine(sfn, name, {"StartAt": "Work", "States": {"Work": _task(activity)}})
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    token = sfn.get_activity_task(activityArn=activity)["taskToken"]
    sfn.send_task_failure(taskToken=token, error="GlueJobFailedError", cause='{"JobRunState": "FAILED"}')

    described = _wait_done(sfn, execution)
    assert described["status"] == "FAILED" and described["error"] == "GlueJobFailedError"
    failed = [e["activityFailedEventDetails"] for e in _events(sfn, execution) if e["type"] == "ActivityFailed"]
    assert failed == [{"error": "GlueJobFailedError", "cause": '{"JobRunState": "FAILED"}'}]


def test_task_of_a_stopped_execution_is_never_delivered(sfn, name):
    activity = sfn.create_activity(name=name)["activityArn"]
    machine = _machine(sfn, name, {"StartAt": "Work", "States": {"Work": _task(activity)}})
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    time.sleep(0.2)  # the task is queued
    sfn.stop_execution(executionArn=execution)
    assert "taskToken" not in sfn.get_activity_task(activityArn=activity)


def test_timeout_seconds_counts_from_when_a_worker_takes_the_task(sfn, name):
    """AWS: an activity's TimeoutSeconds starts at ActivityStarted, not at scheduling."""
    activity = sfn.create_activity(name=name)["activityArn"]
    machine = _machine(sfn, name, {"StartAt": "Work", "States": {"Work": _task(activity, TimeoutSeconds=1)}})
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    time.sleep(1.5)  # longer than TimeoutSeconds, but nobody has taken the task yet
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"

    task = sfn.get_activity_task(activityArn=activity)
    taken = time.monotonic()
    described = _wait_done(sfn, execution)
    assert described["status"] == "FAILED" and described["error"] == "States.Timeout"
    assert time.monotonic() - taken >= 0.9
    assert [e["type"] for e in _events(sfn, execution)][-2:] == ["ActivityTimedOut", "ExecutionFailed"]
    with pytest.raises(ClientError) as excinfo:
        sfn.send_task_success(taskToken=task["taskToken"], output="{}")
    assert _error_code(excinfo) == "TaskTimedOut"


def test_unpolled_task_ends_with_the_execution_timeout(sfn, name):
    activity = sfn.create_activity(name=name)["activityArn"]
    machine = _machine(sfn, name, {"TimeoutSeconds": 1, "StartAt": "Work", "States": {"Work": _task(activity, TimeoutSeconds=30)}})
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]

    described = _wait_done(sfn, execution)
    assert described["status"] == "TIMED_OUT"
    assert "taskToken" not in sfn.get_activity_task(activityArn=activity)  # the stale task is dropped
    assert [e["type"] for e in _events(sfn, execution)][-2:] == ["ActivityScheduled", "ExecutionTimedOut"]


def test_polling_an_unknown_activity_fails(sfn):
    with pytest.raises(ClientError) as excinfo:
        sfn.get_activity_task(activityArn="arn:aws:states:us-east-1:123456789012:activity:nope")
    assert _error_code(excinfo) == "ActivityDoesNotExist"


def test_execution_of_a_deleted_activity_fails(sfn, name):
    activity = sfn.create_activity(name=name)["activityArn"]
    machine = _machine(sfn, name, {"StartAt": "Work", "States": {"Work": _task(activity)}})
    sfn.delete_activity(activityArn=activity)
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    assert _wait_done(sfn, execution)["status"] == "FAILED"


def _open_long_poll(emulator, activity_arn: str, worker_name: str):
    """A GetActivityTask request on a raw socket, left waiting for its answer
    (as a worker's poll is when the worker is SIGKILLed)."""
    import socket
    from urllib.parse import urlparse

    import botocore.session
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    endpoint = urlparse(emulator.endpoint_url)
    body = json.dumps({"activityArn": activity_arn, "workerName": worker_name})
    request = AWSRequest(
        method="POST", url=f"{emulator.endpoint_url}/", data=body,
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.GetActivityTask"},
    )
    credentials = botocore.session.Session().get_credentials() or botocore.credentials.Credentials("testing", "testing")
    SigV4Auth(credentials, "states", "us-east-1").add_auth(request)
    prepared = request.prepare()
    conn = socket.create_connection((endpoint.hostname, endpoint.port))
    head = f"POST / HTTP/1.1\r\nHost: {endpoint.netloc}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in prepared.headers.items())
    conn.sendall((head + f"Content-Length: {len(body)}\r\n\r\n{body}").encode())
    return conn


def test_a_task_is_never_handed_to_a_poll_whose_client_has_gone(emulator, sfn, name):
    """A SIGKILLed worker's open long polls must not swallow tasks: the client
    is gone, so the task stays queued for a live poller (AWS itself may hand it
    out; HeartbeatSeconds and Retry cover that there)."""
    activity = sfn.create_activity(name=name)["activityArn"]
    dead = [_open_long_poll(emulator, activity, f"dead-{i}") for i in range(3)]
    time.sleep(0.3)  # the polls are waiting in the server
    for conn in dead:
        conn.close()
    time.sleep(0.3)
    machine = _machine(sfn, name, {"StartAt": "Work", "States": {"Work": _task(activity, TimeoutSeconds=30)}})
    execution = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    task = sfn.get_activity_task(activityArn=activity, workerName="alive")
    assert "taskToken" in task, "the task went to a poll whose client had gone"
    sfn.send_task_success(taskToken=task["taskToken"], output="{}")
    assert _wait_done(sfn, execution)["status"] == "SUCCEEDED"
    workers = [e["activityStartedEventDetails"]["workerName"] for e in _events(sfn, execution) if e["type"] == "ActivityStarted"]
    assert workers == ["alive"]


def test_a_string_state_input_reaches_the_worker_as_json_text(sfn, name):
    """GetActivityTask's input is the JSON text of the state's input, so a JSON
    string arrives quoted (a worker decoding it gets the string back)."""
    activity = sfn.create_activity(name=name)["activityArn"]
    machine = _machine(sfn, name, {"StartAt": "Work", "States": {"Work": _task(activity, InputPath="$.payload", TimeoutSeconds=30)}})
    for payload in ["not json", '{"GlueJobName": "J"}']:
        sfn.start_execution(stateMachineArn=machine, input=json.dumps({"payload": payload}))
        task = sfn.get_activity_task(activityArn=activity, workerName="w")
        assert json.loads(task["input"]) == payload
        sfn.send_task_success(taskToken=task["taskToken"], output="{}")
