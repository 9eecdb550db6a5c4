"""Guarantee 1: kill the worker (SIGKILL) at any instant, restart it, and every
task is still started once and reported once."""

import signal

import pytest

from support import (
    SLEEP_SCRIPT, client, event_counts, glue_runs, lifecycle_for, make_activity, make_glue_job, results_location, settings_for,
    single_task_machine, spawn_worker, start, unique, wait_execution, wait_for,
)
from runners.failpoints import POINTS

# A kill before the record is written loses the token by the protocol's
# design; the test after this one shows heartbeat and retry recover it.
# (event_received: tests/functional/test_job_events.py, with an events queue.)
RECORDED_POINTS = [p for p in POINTS if p not in ("before_record", "event_received")]

def _athena_queries_with(marker: str) -> list[str]:
    athena = client("athena")
    ids = []
    for page in athena.get_paginator("list_query_executions").paginate():
        ids += page["QueryExecutionIds"]
    found = []
    for offset in range(0, len(ids), 50):
        for q in athena.batch_get_query_execution(QueryExecutionIds=ids[offset : offset + 50])["QueryExecutions"]:
            if marker in q["Query"]:
                found.append(q["QueryExecutionId"])
    return found


def _task_for(kind: str):
    """(task input, function counting the job runs / queries it started)."""
    if kind == "glue":
        job = make_glue_job(SLEEP_SCRIPT)
        return {"GlueJobName": job, "Arguments": {"--seconds": "0.5"}}, lambda: len(glue_runs(job))
    marker = unique("marker")
    query = f"SELECT 1 AS one -- {marker}"
    return {"AthenaQueryString": query, "AthenaResultOutputLocation": results_location("exactly-once")}, lambda: len(_athena_queries_with(marker))


@pytest.mark.parametrize("kind", ["glue", "athena"])
@pytest.mark.parametrize("point", RECORDED_POINTS)
def test_killed_at_any_point_and_restarted_starts_once_and_reports_once(aws, kind, point):
    activity = make_activity()
    settings = settings_for(kind, activity)
    task_input, count_runs = _task_for(kind)
    execution = start(single_task_machine(activity, heartbeat=30), task_input)

    doomed = spawn_worker(kind, settings, ETL_FAILPOINT=point)
    assert doomed.wait(timeout=60) == -signal.SIGKILL, doomed.stderr.read()

    survivor = spawn_worker(kind, settings)
    try:
        result = wait_execution(execution, timeout=60)
        store = lifecycle_for(kind, settings).store
        wait_for(lambda: not list(store.scan()), message="the record to be forgotten")
    finally:
        survivor.terminate()
        survivor.wait(timeout=60)

    assert result["status"] == "SUCCEEDED", result
    assert count_runs() == 1
    counts = event_counts(execution)
    assert counts["ActivityScheduled"] == 1 and counts["ActivitySucceeded"] == 1


def test_kill_between_receiving_and_recording_is_recovered_by_heartbeat_and_retry(aws):
    """The one window the protocol leaves open: the token dies with the worker.
    HeartbeatSeconds expires, Retry re-issues the task, the execution succeeds."""
    activity = make_activity()
    settings = settings_for("glue", activity)
    job = make_glue_job(SLEEP_SCRIPT)
    machine = single_task_machine(
        activity, heartbeat=2, retry=[{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 1.0}]
    )
    execution = start(machine, {"GlueJobName": job})

    # A worker receives the task and dies before writing anything.
    lost = wait_for(lambda: client("stepfunctions").get_activity_task(activityArn=activity).get("taskToken"), message="the first task")
    assert lost

    survivor = spawn_worker("glue", settings)
    try:
        result = wait_execution(execution, timeout=60)
    finally:
        survivor.terminate()
        survivor.wait(timeout=60)
    assert result["status"] == "SUCCEEDED"
    counts = event_counts(execution)
    assert counts["ActivityTimedOut"] == 1 and counts["ActivitySucceeded"] == 1
    assert len(glue_runs(job)) == 1
