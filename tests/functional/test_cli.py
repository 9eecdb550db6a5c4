"""The `etl-runner` command: help everywhere, run-once bounded, graceful shutdown."""

import json
import signal
import subprocess
import sys
import time

import pytest

from support import (
    SLEEP_SCRIPT, event_counts, lifecycle_for, make_activity, make_glue_job, run_once_process, settings_for, single_task_machine,
    spawn_worker, start, wait_execution, wait_for,
)


@pytest.mark.parametrize("command", [[], ["serve"], ["run-once"], ["local"], ["local", "up"]])
def test_every_command_explains_itself(command):
    result = subprocess.run([sys.executable, "-m", "runners.cli", *command, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "usage: etl-runner" in result.stdout and len(result.stdout.splitlines()) > 4


def test_missing_activity_arn_is_a_clear_error(aws):
    result = subprocess.run([sys.executable, "-m", "runners.cli", "run-once", "glue"], capture_output=True, text=True, timeout=60,
                            env={**__import__("os").environ, "ETL_GLUE_ACTIVITY_ARN": ""})
    assert result.returncode != 0 and "ETL_GLUE_ACTIVITY_ARN" in result.stderr


def test_run_once_takes_and_finishes_tasks_over_two_invocations(aws):
    activity = make_activity()
    settings = settings_for("glue", activity)
    job = make_glue_job(SLEEP_SCRIPT)
    execution = start(single_task_machine(activity), {"GlueJobName": job})

    first = run_once_process("glue", settings, "--budget", "100")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["received"] == 1
    wait_for(lambda: run_once_process("glue", settings, "--budget", "5").returncode == 0 and not list(lifecycle_for("glue", settings).store.scan()), timeout=60, message="report")
    assert wait_execution(execution)["status"] == "SUCCEEDED"


def test_run_once_never_starts_a_long_poll_it_cannot_finish(aws):
    activity = make_activity()
    settings = settings_for("glue", activity)
    start(single_task_machine(activity), {"GlueJobName": make_glue_job(SLEEP_SCRIPT)})
    began = time.monotonic()
    result = run_once_process("glue", settings, "--budget", "30")
    assert result.returncode == 0 and json.loads(result.stdout)["received"] == 0
    assert time.monotonic() - began < 20
    # The task is still there for the next invocation.
    assert json.loads(run_once_process("glue", settings, "--budget", "100").stdout)["received"] == 1


def _wait_for_log(process, event: str) -> str:
    seen = ""
    for line in process.stderr:
        seen += line
        if event in line:
            return seen
    raise AssertionError(f"process ended before logging {event}: {seen}")


def test_sigterm_drains_a_task_taken_during_shutdown(aws):
    activity = make_activity()
    settings = settings_for("glue", activity, pollers=1)
    job = make_glue_job(SLEEP_SCRIPT)
    aws.activity_poll_seconds = 6.0  # a long poll that is still open when SIGTERM arrives
    try:
        worker = spawn_worker("glue", settings, ETL_LOG_LEVEL="DEBUG")
        seen = _wait_for_log(worker, "long_poll_open")
        time.sleep(0.5)  # the poller is inside its long poll
        worker.send_signal(signal.SIGTERM)
        # The job outlives the worker, so the record must be left for a successor (an instant
        # job could end and be reported before the worker exits).
        execution = start(single_task_machine(activity), {"GlueJobName": job, "Arguments": {"--seconds": "8"}})
        assert worker.wait(timeout=30) == 0
        logs = seen + worker.stderr.read()
    finally:
        aws.activity_poll_seconds = 1.0
    assert "shutdown_requested" in logs and "task_received" in logs
    assert list(lifecycle_for("glue", settings).store.scan()), "the task taken during shutdown is recorded"

    successor = spawn_worker("glue", settings)
    try:
        assert wait_execution(execution, timeout=60)["status"] == "SUCCEEDED"
    finally:
        successor.terminate()
        successor.wait(timeout=60)


def test_second_signal_exits_at_once(aws):
    settings = settings_for("glue", make_activity(), pollers=1)
    aws.activity_poll_seconds = 6.0
    try:
        worker = spawn_worker("glue", settings, ETL_LOG_LEVEL="DEBUG")
        _wait_for_log(worker, "long_poll_open")
        time.sleep(0.5)
        worker.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        began = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=10)
    finally:
        aws.activity_poll_seconds = 1.0
    assert code == 128 + signal.SIGTERM and time.monotonic() - began < 2


def test_a_second_signal_still_records_the_task_its_poll_has_returned(aws):
    """The second signal exits at once, but first records what the polls have
    already returned: here the worker holds a task it has not yet written
    (stalled at that instant) when both signals arrive."""
    activity = make_activity()
    settings = settings_for("glue", activity, pollers=1)
    job = make_glue_job(SLEEP_SCRIPT)
    worker = spawn_worker("glue", settings, ETL_FAILPOINT="before_record:sleep=1.0")
    _wait_for_log(worker, "worker_started")
    execution = start(single_task_machine(activity, timeout=300), {"GlueJobName": job})
    wait_for(lambda: event_counts(execution)["ActivityStarted"], timeout=15, message="the worker to take the task")
    worker.send_signal(signal.SIGTERM)
    _wait_for_log(worker, "worker_draining")  # signals do not queue: let the first be handled
    worker.send_signal(signal.SIGTERM)
    code = worker.wait(timeout=10)
    assert code == 128 + signal.SIGTERM, worker.stderr.read()[-3000:]
    assert list(lifecycle_for("glue", settings).store.scan()), "the task in hand was recorded before the exit"

    successor = spawn_worker("glue", settings)
    try:
        assert wait_execution(execution, timeout=60)["status"] == "SUCCEEDED"
    finally:
        successor.terminate()
        successor.wait(timeout=60)
