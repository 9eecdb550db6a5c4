"""The Glue runner: a task starts a real job run and reports every terminal state."""

import json
import time

import pytest

from support import (
    SLEEP_SCRIPT, client, failure_of, glue_runs, make_activity, make_glue_job, serving, settings_for,
    running_glue_run, single_task_machine, start, wait_execution,
)
from runners.glue import TASK_ID_ARGUMENT


@pytest.fixture
def glue_worker(aws):
    activity = make_activity()
    settings = settings_for("glue", activity)
    with serving("glue", settings) as worker:
        yield activity, worker


def test_success_reports_run_id_times_and_statistics(glue_worker):
    activity, _ = glue_worker
    job = make_glue_job(SLEEP_SCRIPT)
    execution = start(single_task_machine(activity), {"GlueJobName": job, "Arguments": {"--seconds": "0.3"}})

    result = wait_execution(execution)

    assert result["status"] == "SUCCEEDED"
    output = json.loads(result["output"])
    (run,) = glue_runs(job)
    assert output["JobRunId"] == run["Id"] and output["JobRunState"] == "SUCCEEDED" and output["JobName"] == job
    assert output["StartedOn"] and output["CompletedOn"] and output["ExecutionTime"] is not None
    assert run["Arguments"]["--seconds"] == "0.3"
    assert len(run["Arguments"][TASK_ID_ARGUMENT]) == 64  # tagged for adoption after a crash


def test_sample_shape_json_string_input_runs(glue_worker):
    activity, _ = glue_worker
    job = make_glue_job(SLEEP_SCRIPT)
    execution = start(single_task_machine(activity), json.dumps(json.dumps({"GlueJobName": job})))
    assert wait_execution(execution)["status"] == "SUCCEEDED"


def test_failed_script_reports_glue_job_failed_with_the_scripts_message(glue_worker):
    activity, _ = glue_worker
    job = make_glue_job(SLEEP_SCRIPT)
    execution = start(single_task_machine(activity), {"GlueJobName": job, "Arguments": {"--fail": "bad row 7"}})

    assert wait_execution(execution)["status"] == "FAILED"
    failure = failure_of(execution)
    assert failure["error"] == "GlueJobFailedError"
    cause = json.loads(failure["cause"])
    assert cause["JobRunState"] == "FAILED" and "bad row 7" in cause["errorMessage"]


@pytest.mark.parametrize("state", ["STOPPED", "TIMEOUT", "ERROR", "EXPIRED"])
def test_every_failure_terminal_state_fails_the_task(aws, glue_worker, state):
    activity, _ = glue_worker
    job = make_glue_job(SLEEP_SCRIPT, timeout=1 if state == "TIMEOUT" else None)  # a "minute" is 3 s here (sleeps 30)
    execution = start(single_task_machine(activity), {"GlueJobName": job, "Arguments": {"--seconds": "30"}})
    run = running_glue_run(job)
    if state == "STOPPED":
        client("glue").batch_stop_job_run(JobName=job, JobRunIds=[run["Id"]])
    elif state in ("ERROR", "EXPIRED"):
        aws.glue.force_run_state(job, run["Id"], state, error_message=f"service says {state}")

    assert wait_execution(execution, timeout=30)["status"] == "FAILED"
    failure = failure_of(execution)
    assert failure["error"] == "GlueJobFailedError"
    assert json.loads(failure["cause"])["JobRunState"] == state


def test_waiting_is_not_terminal(aws, glue_worker):
    activity, _ = glue_worker
    job = make_glue_job(SLEEP_SCRIPT)
    execution = start(single_task_machine(activity), {"GlueJobName": job, "Arguments": {"--seconds": "30"}})
    run = running_glue_run(job)
    aws.glue.force_run_state(job, run["Id"], "WAITING")
    time.sleep(1.0)  # several check cycles
    assert client("stepfunctions").describe_execution(executionArn=execution)["status"] == "RUNNING"
    aws.glue.force_run_state(job, run["Id"], "SUCCEEDED")
    assert wait_execution(execution)["status"] == "SUCCEEDED"
