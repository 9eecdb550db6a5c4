"""End to end: a state machine with Parallel Glue tasks then an Athena task,
completed by `etl-runner serve glue` and `etl-runner serve athena` processes."""

import json

import pytest

from support import (
    SLEEP_SCRIPT, activity_task, event_counts, glue_runs, make_activity, make_glue_job, make_state_machine, results_location,
    settings_for, spawn_worker, start, wait_execution,
)

pytestmark = pytest.mark.e2e


def test_parallel_glue_then_athena_completes_through_the_real_workers(aws):
    results = results_location("e2e")
    glue_activity, athena_activity = make_activity(), make_activity()
    sales, marketing = make_glue_job(SLEEP_SCRIPT), make_glue_job(SLEEP_SCRIPT)
    retry = [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 2}]
    branch = lambda name, job: {  # noqa: E731
        "StartAt": name,
        "States": {name: {**activity_task(glue_activity, heartbeat=30, retry=retry), "Parameters": {"GlueJobName": job, "Arguments": {"--seconds": "1"}}}},
    }
    definition = {
        "StartAt": "Process",
        "States": {
            "Process": {
                "Type": "Parallel",
                "Branches": [branch("ProcessSales", sales), branch("ProcessMarketing", marketing)],
                "ResultPath": "$.glue",
                "Next": "Query",
            },
            "Query": {
                **activity_task(athena_activity, heartbeat=30),
                "Parameters": {"AthenaQueryString": "SELECT 'done' AS status", "AthenaResultOutputLocation": results},
            },
        },
    }
    execution = start(make_state_machine(definition), {"runDate": "2026-11-16"})
    workers = [spawn_worker("glue", settings_for("glue", glue_activity)), spawn_worker("athena", settings_for("athena", athena_activity))]
    try:
        result = wait_execution(execution, timeout=120)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)

    assert result["status"] == "SUCCEEDED", result
    assert json.loads(result["output"])["State"] == "SUCCEEDED"
    assert len(glue_runs(sales)) == 1 and len(glue_runs(marketing)) == 1
    counts = event_counts(execution)
    assert counts["ActivitySucceeded"] == 3 and counts["ActivityFailed"] == 0
