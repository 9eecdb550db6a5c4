"""`etl-runner serve all`: one process serves every configured activity (Glue,
Athena, wait-for-data), each kind with its own threads; one SIGTERM drains
them all, a second exits at once; the health file says it is well."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from support import (
    SLEEP_SCRIPT, client, ensure_bucket, lifecycle_for, make_activity, make_glue_job, results_location, service_env,
    single_task_machine, spawn_service, start, unique, wait_execution, wait_for,
)
from runners.config import Settings
from runners.local.job_events import deploy_job_events, events_settings, remove_job_events


def service_settings(**overrides) -> Settings:
    """Settings naming an activity and tables for every kind (fast intervals, as settings_for)."""
    values = {
        "glue_activity_arn": make_activity(), "athena_activity_arn": make_activity(), "wait_activity_arn": make_activity(),
        "glue_table": unique("glue-tasks"), "athena_table": unique("athena-tasks"), "wait_table": unique("wait-tasks"),
        "arrivals_table": unique("arrivals"), "pollers": 2, "check_interval_seconds": 0.2, "sweep_interval_seconds": 1.0,
        "heartbeat_interval_seconds": 1.0, "lease_seconds": 2.0, "start_retry_seconds": 0.5, "api_max_attempts": 4,
    }
    values.update(overrides)
    return Settings.from_env(**values)


def wait_for_log(process: subprocess.Popen, event: str, count: int = 1) -> str:
    seen, found = "", 0
    for line in process.stderr:
        seen += line
        found += event in line
        if found >= count:
            return seen
    raise AssertionError(f"process ended before logging {event} {count} time(s): {seen[-3000:]}")


def health(health_file, max_age: float = 5.0) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "runners.cli", "health", "--file", str(health_file), "--max-age", str(max_age)],
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def job_events(aws):
    """The Glue and Athena events queues and rules the runner stack creates."""
    made = deploy_job_events(client, unique("all"), kinds=("glue", "athena"), visibility_seconds=2)
    yield made
    remove_job_events(client, made)


def test_one_process_runs_a_glue_an_athena_and_a_wait_task_to_completion(aws, job_events, tmp_path):
    settings = service_settings(**events_settings(job_events))
    bucket = unique("landing")
    ensure_bucket(bucket)
    client("s3").put_object(Bucket=bucket, Key="in/sales.csv", Body=b"Date,Salesperson\n1/2/2011,Gerri Hinds\n")
    health_file = tmp_path / "health.json"
    service = spawn_service(settings, ETL_HEALTH_FILE=str(health_file), ETL_HEALTH_INTERVAL_SECONDS="0.5")
    try:
        logs = wait_for_log(service, "worker_started", count=3)
        executions = {
            "glue": start(single_task_machine(settings.glue_activity_arn), {"GlueJobName": make_glue_job(SLEEP_SCRIPT), "Arguments": {"--seconds": "0.5"}}),
            "athena": start(single_task_machine(settings.athena_activity_arn),
                            {"AthenaQueryString": "SELECT 6 * 7 AS answer", "AthenaResultOutputLocation": results_location("serve-all")}),
            "wait": start(single_task_machine(settings.wait_activity_arn, heartbeat=30), {"Bucket": bucket, "Key": "in/sales.csv"}),
        }
        results = {kind: wait_execution(arn, timeout=60) for kind, arn in executions.items()}
        checked = health(health_file)
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=60) == 0
        logs += service.stderr.read()
    finally:
        if service.poll() is None:
            service.kill()
    assert {kind: r["status"] for kind, r in results.items()} == {"glue": "SUCCEEDED", "athena": "SUCCEEDED", "wait": "SUCCEEDED"}
    assert json.loads(results["glue"]["output"])["JobRunState"] == "SUCCEEDED"
    assert json.loads(results["athena"]["output"])["State"] == "SUCCEEDED"
    assert [o["Key"] for o in json.loads(results["wait"]["output"])["Objects"]] == ["in/sales.csv"]
    assert checked.returncode == 0, checked.stderr
    # One worker per kind, each with its events consumer where the kind has one, all in this process.
    started = [json.loads(line) for line in logs.splitlines() if '"worker_started"' in line]
    assert sorted(line["kind"] for line in started) == ["athena", "glue", "wait"]
    assert {line["kind"]: line["events"] for line in started} == {"glue": True, "athena": True, "wait": False}
    assert logs.count('"worker_stopped"') == 3
    assert not health_file.exists(), "a drained process leaves no health file behind"


def test_named_kinds_run_only_those_and_per_kind_options_need_one_kind(aws):
    settings = service_settings()
    refused = subprocess.run([sys.executable, "-m", "runners.cli", "serve", "glue", "athena", "--activity-arn", settings.glue_activity_arn],
                             env=service_env(settings), capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--activity-arn applies to one kind" in refused.stderr
    nothing = subprocess.run([sys.executable, "-m", "runners.cli", "serve", "all"], capture_output=True, text=True, timeout=60,
                             env={**service_env(settings), "ETL_GLUE_ACTIVITY_ARN": "", "ETL_ATHENA_ACTIVITY_ARN": "", "ETL_WAIT_ACTIVITY_ARN": ""})
    assert nothing.returncode == 2 and "ETL_GLUE_ACTIVITY_ARN" in nothing.stderr

    service = spawn_service(settings, "glue", "wait")
    try:
        logs = wait_for_log(service, "worker_started", count=2)
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=30) == 0
        logs += service.stderr.read()
    finally:
        if service.poll() is None:
            service.kill()
    assert sorted(json.loads(line)["kind"] for line in logs.splitlines() if '"worker_started"' in line) == ["glue", "wait"]


def test_sigterm_drains_every_worker_and_keeps_the_task_taken_during_shutdown(aws):
    settings = service_settings(pollers=1)
    job = make_glue_job(SLEEP_SCRIPT)
    aws.activity_poll_seconds = 6.0  # long polls still open when SIGTERM arrives
    try:
        service = spawn_service(settings, ETL_LOG_LEVEL="DEBUG")
        seen = wait_for_log(service, "long_poll_open", count=3)
        time.sleep(0.5)  # every poller is inside its long poll
        service.send_signal(signal.SIGTERM)
        # The job outlives the process, so its record must be left for a successor.
        execution = start(single_task_machine(settings.glue_activity_arn), {"GlueJobName": job, "Arguments": {"--seconds": "8"}})
        assert service.wait(timeout=30) == 0
        logs = seen + service.stderr.read()
    finally:
        aws.activity_poll_seconds = 1.0
    assert logs.count('"shutdown_requested"') == 1 and "task_received" in logs
    draining = [json.loads(line)["kind"] for line in logs.splitlines() if '"worker_draining"' in line]
    assert sorted(draining) == ["athena", "glue", "wait"]
    assert list(lifecycle_for("glue", settings).store.scan()), "the task taken during shutdown is recorded"

    successor = spawn_service(settings, "glue")
    try:
        assert wait_execution(execution, timeout=60)["status"] == "SUCCEEDED"
    finally:
        successor.terminate()
        successor.wait(timeout=60)


def test_a_second_signal_exits_every_worker_at_once(aws):
    settings = service_settings(pollers=1)
    aws.activity_poll_seconds = 6.0
    try:
        service = spawn_service(settings, ETL_LOG_LEVEL="DEBUG")
        wait_for_log(service, "long_poll_open", count=3)
        time.sleep(0.5)
        service.send_signal(signal.SIGTERM)
        wait_for_log(service, "worker_draining")  # signals do not queue: let the first be handled
        began = time.monotonic()
        service.send_signal(signal.SIGTERM)
        code = service.wait(timeout=10)
    finally:
        aws.activity_poll_seconds = 1.0
    assert code == 128 + signal.SIGTERM and time.monotonic() - began < 2


def test_the_health_command_fails_once_the_process_is_gone(aws, tmp_path):
    settings = service_settings()
    health_file = tmp_path / "health.json"
    service = spawn_service(settings, "athena", ETL_HEALTH_FILE=str(health_file), ETL_HEALTH_INTERVAL_SECONDS="0.3")
    try:
        wait_for(lambda: health_file.exists(), timeout=30, message="the health file")
        assert health(health_file).returncode == 0
        service.kill()  # no drain, no clean-up: the file goes stale
        service.wait(timeout=10)
    finally:
        if service.poll() is None:
            service.kill()
    time.sleep(1.2)
    stale = health(health_file, max_age=1.0)
    assert stale.returncode == 1 and "old" in stale.stderr
