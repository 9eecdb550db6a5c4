"""Dependency gate: a step whose task input names Glue jobs or state machines
that must be idle is held (recorded, heartbeating, nothing started) while any
of them is busy, starts within one check interval after the last one ends,
and fails with DependencyGateTimeoutError when the gate stays closed past
MaxWaitSeconds, counted from when the gate was first found closed, across
worker restarts."""

from __future__ import annotations

import contextlib
import io
import json
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Iterator

from support import (
    SLEEP_SCRIPT, CannedError, client, failure_of, glue_runs, history, lifecycle_for, make_activity, make_glue_job,
    make_state_machine, results_location, running_glue_run, serving, settings_for, single_task_machine, spawn_worker, start,
    unique, wait_execution, wait_for,
)
from runners import log as logging_setup
from runners.aws import AwsClients
from runners.log import token_hash
from runners.service import build_lifecycle
from runners.state import RECEIVED

CHECK = 0.5
# A cycle's own work after the blocker ends (scan, GetJobRuns, claim,
# StartJobRun) on a loaded two-core machine; the bound is one check interval
# plus this.
CYCLE_WORK_ALLOWANCE = 0.4


@contextlib.contextmanager
def busy_glue_job(seconds: int = 60) -> Iterator[tuple[str, str]]:
    """A Glue job with one RUNNING run; the run is stopped on exit if still busy."""
    job = make_glue_job(SLEEP_SCRIPT)
    glue = client("glue")
    run_id = glue.start_job_run(JobName=job, Arguments={"--seconds": str(seconds)})["JobRunId"]
    running_glue_run(job)
    try:
        yield job, run_id
    finally:
        with contextlib.suppress(Exception):
            glue.batch_stop_job_run(JobName=job, JobRunIds=[run_id])


def counted_heartbeats(clients: AwsClients) -> list[str]:
    """The task tokens of every SendTaskHeartbeat these clients send."""
    beats: list[str] = []
    clients.sfn.meta.events.register("provide-client-params.states.SendTaskHeartbeat", lambda params, **_: beats.append(params["taskToken"]))
    return beats


def gate(**fields) -> dict:
    return {"MaxWaitSeconds": 60, **fields}


def event_time(execution: str, event_type: str) -> datetime:
    return next(e["timestamp"] for e in history(execution) if e["type"] == event_type)


def test_a_gated_step_waits_while_the_named_job_runs_and_starts_within_one_check_interval_after_it_ends(aws):
    activity = make_activity()
    # A production-length lease: the receiver must release it when it holds
    # the task, or no cycle would look at the gate again for 30 s.
    settings = settings_for("glue", activity, check_interval_seconds=CHECK, lease_seconds=30.0)
    clients = AwsClients(settings)
    beats = counted_heartbeats(clients)
    job = make_glue_job(SLEEP_SCRIPT)
    with busy_glue_job() as (blocker, blocker_run):
        # HeartbeatSeconds 2: held for longer than that, only heartbeats keep the task.
        execution = start(single_task_machine(activity, heartbeat=2), {"GlueJobName": job, "DependencyGate": gate(GlueJobs=[blocker])})
        with serving("glue", settings, clients):
            time.sleep(3.5)
            assert glue_runs(job) == [], "started while the job it is gated on runs"
            assert client("stepfunctions").describe_execution(executionArn=execution)["status"] == "RUNNING"
            assert len(beats) >= 2 and len(set(beats)) == 1
            aws.glue.force_run_state(blocker, blocker_run, "SUCCEEDED")
            assert wait_execution(execution, timeout=30)["status"] == "SUCCEEDED"

    ended = client("glue").get_job_run(JobName=blocker, RunId=blocker_run)["JobRun"]["CompletedOn"]
    (run,) = glue_runs(job)
    delay = (run["StartedOn"] - ended).total_seconds()
    assert 0 <= delay <= CHECK + CYCLE_WORK_ALLOWANCE, f"started {delay:.2f} s after the blocker ended"


def test_an_athena_step_is_held_by_a_busy_glue_job_too(aws):
    activity = make_activity()
    settings = settings_for("athena", activity, check_interval_seconds=0.2)
    store = lifecycle_for("athena", settings).store
    task = {"AthenaQueryString": "SELECT 1 AS one", "AthenaResultOutputLocation": results_location("gate")}
    with busy_glue_job() as (blocker, blocker_run), serving("athena", settings):
        execution = start(single_task_machine(activity, heartbeat=5), {**task, "DependencyGate": gate(GlueJobs=[blocker])})
        (record,) = wait_for(lambda: [r for r in store.scan() if r.gate_closed_at], message="the task held at the gate")
        time.sleep(1.0)
        (record,) = list(store.scan())
        assert (record.phase, record.run_id) == (RECEIVED, None)
        aws.glue.force_run_state(blocker, blocker_run, "STOPPED")
        result = wait_execution(execution, timeout=30)
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"])["State"] == "SUCCEEDED"


def test_a_gate_that_never_opens_fails_with_dependency_gate_timeout_error_naming_what_was_busy(aws):
    activity = make_activity()
    settings = settings_for("glue", activity, check_interval_seconds=0.2)
    job = make_glue_job(SLEEP_SCRIPT)
    with busy_glue_job() as (blocker, _), busy_glue_job() as (other, _):
        idle = make_glue_job(SLEEP_SCRIPT)
        execution = start(single_task_machine(activity), {"GlueJobName": job, "DependencyGate": gate(GlueJobs=[blocker, idle, other], MaxWaitSeconds=2)})
        with serving("glue", settings):
            result = wait_execution(execution, timeout=30)

    assert result["status"] == "FAILED"
    failure = failure_of(execution)
    assert failure["error"] == "DependencyGateTimeoutError"
    cause = json.loads(failure["cause"])
    assert cause["busyGlueJobs"] == [blocker, other] and cause["busyStateMachines"] == []
    assert cause["maxWaitSeconds"] == 2 and cause["waitedSeconds"] >= 2
    assert blocker in cause["errorMessage"] and idle not in cause["errorMessage"]
    held = (event_time(execution, "ActivityFailed") - event_time(execution, "ActivityStarted")).total_seconds()
    assert 2 <= held < 3.5
    assert glue_runs(job) == []


def test_a_gate_on_a_state_machine_holds_while_it_runs_and_exclude_execution_ignores_the_tasks_own(aws):
    """The step's own pipeline is in the gate ("the previous run has finished");
    ExcludeExecution, rendered from $$.Execution.Id, keeps its own execution
    from blocking it."""
    activity = make_activity()
    settings = settings_for("glue", activity, check_interval_seconds=0.2)
    sfn = client("stepfunctions")
    other = make_state_machine({"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 120, "End": True}}})
    other_execution = start(other, {})
    pipeline = make_state_machine({"StartAt": "Work", "States": {"Work": {
        "Type": "Task", "Resource": activity, "HeartbeatSeconds": 5, "TimeoutSeconds": 120, "End": True,
        "Parameters": {
            "GlueJobName.$": "$.job",
            "DependencyGate": {"StateMachines.$": "$.after", "ExcludeExecution.$": "$$.Execution.Id", "MaxWaitSeconds": 60},
        },
    }}})
    job = make_glue_job(SLEEP_SCRIPT)
    execution = start(pipeline, {"job": job, "after": [pipeline, other]})
    try:
        with serving("glue", settings):
            time.sleep(1.5)
            assert glue_runs(job) == [], "started while the other pipeline runs"
            sfn.stop_execution(executionArn=other_execution)
            result = wait_execution(execution, timeout=30)
    finally:
        with contextlib.suppress(Exception):
            sfn.stop_execution(executionArn=other_execution)
    assert result["status"] == "SUCCEEDED", failure_of(execution) if result["status"] == "FAILED" else result
    assert len(glue_runs(job)) == 1


def test_a_worker_killed_while_a_task_is_held_keeps_the_original_wait_start(aws):
    max_wait = 4
    activity = make_activity()
    settings = settings_for("glue", activity, check_interval_seconds=0.2)
    store = lifecycle_for("glue", settings).store
    job = make_glue_job(SLEEP_SCRIPT)
    with busy_glue_job() as (blocker, _):
        execution = start(single_task_machine(activity, heartbeat=30), {"GlueJobName": job, "DependencyGate": gate(GlueJobs=[blocker], MaxWaitSeconds=max_wait)})
        doomed = spawn_worker("glue", settings)
        try:
            (record,) = wait_for(lambda: [r for r in store.scan() if r.gate_closed_at], message="the task held at the gate")
            closed_at = record.gate_closed_at
            time.sleep(1.5)
        finally:
            doomed.kill()
            doomed.wait(timeout=30)
        restarted_at = datetime.now(timezone.utc)
        survivor = spawn_worker("glue", settings)
        try:
            result = wait_execution(execution, timeout=30)
        finally:
            survivor.terminate()
            survivor.wait(timeout=60)

    assert result["status"] == "FAILED"
    failure = failure_of(execution)
    assert failure["error"] == "DependencyGateTimeoutError"
    assert json.loads(failure["cause"])["gateClosedAt"] == closed_at.isoformat()
    failed_at = event_time(execution, "ActivityFailed")
    assert closed_at + timedelta(seconds=max_wait) <= failed_at < restarted_at + timedelta(seconds=max_wait), (closed_at, restarted_at, failed_at)
    assert glue_runs(job) == []


# -- one worker's cycle, in process -------------------------------------------

def _counting(clients: AwsClients) -> Counter:
    calls: Counter = Counter()
    for service in (clients.glue, clients.sfn):
        service.meta.events.register("before-call.*.*", lambda model, **_: calls.update([model.name]))
    return calls


def _held_tasks(lifecycle, count: int, task: dict) -> list:
    return [lifecycle.store.create(f"token-{unique('t')}", json.dumps(task)) for _ in range(count)]


def test_tasks_gated_on_the_same_job_cost_one_call_per_job_and_no_table_write_per_cycle(aws):
    activity = make_activity()
    settings = settings_for("glue", activity, heartbeat_interval_seconds=3600)
    clients = AwsClients(settings)
    calls = _counting(clients)
    lifecycle = build_lifecycle("glue", settings, clients)
    lifecycle.store.ensure_table()
    writes: Counter = Counter()
    dynamodb = lifecycle.store.model._get_connection().connection.client
    dynamodb.meta.events.register("before-call.dynamodb.*", lambda model, **_: writes.update([model.name]))
    machine = make_state_machine({"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 120, "End": True}}})
    busy_execution = start(machine, {})
    job = make_glue_job(SLEEP_SCRIPT)
    try:
        with busy_glue_job() as (blocker, _):
            _held_tasks(lifecycle, 5, {"GlueJobName": job, "DependencyGate": gate(GlueJobs=[blocker], StateMachines=[machine])})

            lifecycle.check_all()
            assert (calls["GetJobRuns"], calls["ListExecutions"]) == (1, 1)
            assert writes["UpdateItem"] == 5  # each task notes once when its gate was first found closed
            writes.clear()
            lifecycle.check_all()
            assert (calls["GetJobRuns"], calls["ListExecutions"]) == (2, 2)
            assert writes == Counter({"Scan": 1})  # while held: no write at all
    finally:
        client("stepfunctions").stop_execution(executionArn=busy_execution)
    assert glue_runs(job) == []
    assert {r.phase for r in lifecycle.store.scan()} == {RECEIVED}


def test_the_held_and_opened_logs_name_the_blockers_and_never_the_token(aws):
    settings = settings_for("glue", make_activity(), heartbeat_interval_seconds=3600)
    lifecycle = lifecycle_for("glue", settings)
    job = make_glue_job(SLEEP_SCRIPT)
    buffer = io.StringIO()
    logging_setup.configure("DEBUG", "json", stream=buffer)
    try:
        with busy_glue_job() as (blocker, blocker_run):
            token = f"token-{unique('t')}"
            lifecycle.store.create(token, json.dumps({"GlueJobName": job, "DependencyGate": gate(GlueJobs=[blocker])}))
            lifecycle.check_all()
            lifecycle.check_all()
            aws.glue.force_run_state(blocker, blocker_run, "SUCCEEDED")
            lifecycle.check_all()
    finally:
        logging_setup.configure()
    text = buffer.getvalue()
    assert token not in text
    events = [json.loads(line) for line in text.splitlines()]
    held = [e for e in events if e["event"] == "task_gate_held"]
    opened = [e for e in events if e["event"] == "task_gate_opened"]
    assert len(held) == 1, "logged once while the blockers stay the same"
    assert held[0]["task"] == token_hash(token) and held[0]["busy_glue_jobs"] == [blocker]
    assert len(opened) == 1 and opened[0]["waited_for"] == [blocker] and opened[0]["waited_seconds"] >= 0
    assert [e for e in events if e["event"] == "run_started"]
    assert len(glue_runs(job)) == 1


def test_an_access_error_on_a_gate_check_fails_that_task_with_a_named_error_and_the_worker_keeps_serving(aws):
    activity = make_activity()
    settings = settings_for("glue", activity)
    clients = AwsClients(settings)
    denied = make_glue_job(SLEEP_SCRIPT)
    clients.glue.meta.events.register("before-send.glue.GetJobRuns", CannedError("GetJobRuns", "AccessDeniedException", marker=denied))
    job = make_glue_job(SLEEP_SCRIPT)
    machine = single_task_machine(activity)
    with serving("glue", settings, clients):
        refused = start(machine, {"GlueJobName": job, "DependencyGate": gate(GlueJobs=[denied])})
        unknown = start(machine, {"GlueJobName": job, "DependencyGate": gate(GlueJobs=["NoSuchJob"])})
        fine = start(machine, {"GlueJobName": job})
        outcomes = [wait_execution(e, timeout=30)["status"] for e in (refused, unknown, fine)]
    assert outcomes == ["FAILED", "FAILED", "SUCCEEDED"]
    for execution, name, code in ((refused, denied, "AccessDeniedException"), (unknown, "NoSuchJob", "EntityNotFoundException")):
        failure = failure_of(execution)
        assert failure["error"] == "DependencyGateCheckFailedError"
        cause = json.loads(failure["cause"])
        assert cause["errorCode"] == code and cause["glueJob"] == name and name in cause["errorMessage"]
    assert len(glue_runs(job)) == 1


def test_a_transient_error_on_a_gate_check_holds_the_task_until_a_later_cycle_can_see(aws):
    activity = make_activity()
    settings = settings_for("glue", activity, api_max_attempts=2)
    clients = AwsClients(settings)
    gated_on = make_glue_job(SLEEP_SCRIPT)  # idle: only the throttling holds the task
    throttle = CannedError("GetJobRuns", "ThrottlingException", times=6, marker=gated_on)
    clients.glue.meta.events.register("before-send.glue.GetJobRuns", throttle)
    job = make_glue_job(SLEEP_SCRIPT)
    execution = start(single_task_machine(activity), {"GlueJobName": job, "DependencyGate": gate(GlueJobs=[gated_on])})
    with serving("glue", settings, clients):
        result = wait_execution(execution, timeout=30)
    assert result["status"] == "SUCCEEDED"
    # Every throttled look was followed by another: an unchecked job kept the
    # gate closed (an open gate would have started the task after the first).
    assert throttle.answered == 6
    assert len(glue_runs(job)) == 1
