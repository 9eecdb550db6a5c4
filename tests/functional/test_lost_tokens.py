"""Guarantee 4: a token nobody waits for any more is cleaned up and its job stopped."""

import pytest

from support import (
    SLEEP_SCRIPT, client, glue_runs, lifecycle_for, make_activity, make_glue_job, serving, settings_for,
    single_task_machine, start, wait_execution, wait_for,
)


def _records(settings):
    return list(lifecycle_for("glue", settings).store.scan())


@pytest.mark.parametrize("stop_on_lost_token, final_state", [(True, "STOPPED"), (False, "SUCCEEDED")])
def test_stopped_execution_cleans_up_and_stops_the_run(aws, stop_on_lost_token, final_state):
    activity = make_activity()
    settings = settings_for("glue", activity, heartbeat_interval_seconds=0.5, stop_on_lost_token=stop_on_lost_token)
    job = make_glue_job(SLEEP_SCRIPT)
    execution = start(single_task_machine(activity), {"GlueJobName": job, "Arguments": {"--seconds": "4"}})
    with serving("glue", settings):
        wait_for(lambda: [r for r in glue_runs(job) if r["JobRunState"] == "RUNNING"], message="the run")
        client("stepfunctions").stop_execution(executionArn=execution)
        wait_for(lambda: not _records(settings), timeout=10, message="the record to be cleaned up")
        run = wait_for(lambda: [r for r in glue_runs(job) if r["JobRunState"] not in ("RUNNING", "STARTING", "STOPPING")], timeout=15, message="run end")[0]
    assert run["JobRunState"] == final_state


def test_heartbeat_timeout_answers_task_timed_out_and_the_run_is_stopped(aws):
    activity = make_activity()
    # Heartbeats every 3 s cannot satisfy HeartbeatSeconds=1: Step Functions times the task out.
    settings = settings_for("glue", activity, heartbeat_interval_seconds=3.0)
    job = make_glue_job(SLEEP_SCRIPT)
    execution = start(single_task_machine(activity, heartbeat=1), {"GlueJobName": job, "Arguments": {"--seconds": "20"}})
    with serving("glue", settings):
        result = wait_execution(execution, timeout=20)
        wait_for(lambda: not _records(settings), timeout=15, message="the record to be cleaned up")
        wait_for(lambda: glue_runs(job)[0]["JobRunState"] == "STOPPED", timeout=15, message="the run to be stopped")
    assert result["status"] == "FAILED"
