"""Guarantees 6-8: transient errors retried, concurrency limits wait, heartbeats
paced, bad input fails alone."""

import json
import time

from support import (
    SLEEP_SCRIPT, CannedError, event_counts, failure_of, glue_runs, make_activity, make_glue_job, results_location, serving, settings_for,
    single_task_machine, start, wait_execution,
)
from runners.aws import AwsClients


def Throttle(operation: str, times: int) -> CannedError:
    """Answers the first N calls of ``operation`` with a real 400 ThrottlingException."""
    return CannedError(operation, "ThrottlingException", times=times)


def test_throttled_calls_are_retried_and_the_task_succeeds(aws):
    activity = make_activity()
    settings = settings_for("athena", activity)
    clients = AwsClients(settings)
    start_throttle, report_throttle = Throttle("StartQueryExecution", 2), Throttle("SendTaskSuccess", 2)
    clients.athena.meta.events.register("before-send.athena.*", start_throttle)
    clients.sfn.meta.events.register("before-send.states.*", report_throttle)
    execution = start(single_task_machine(activity), {"AthenaQueryString": "SELECT 1", "AthenaResultOutputLocation": results_location("throttle")})
    with serving("athena", settings, clients):
        assert wait_execution(execution)["status"] == "SUCCEEDED"
    assert start_throttle.answered == 2 and report_throttle.answered == 2
    assert event_counts(execution)["ActivitySucceeded"] == 1


def test_concurrent_runs_exceeded_waits_and_starts_later(aws):
    activity = make_activity()
    job = make_glue_job(SLEEP_SCRIPT, max_concurrent_runs=1)
    machine = single_task_machine(activity)
    executions = [start(machine, {"GlueJobName": job, "Arguments": {"--seconds": "1"}}) for _ in range(2)]
    with serving("glue", settings_for("glue", activity)):
        results = [wait_execution(e, timeout=60) for e in executions]
    assert [r["status"] for r in results] == ["SUCCEEDED", "SUCCEEDED"]
    first, second = sorted(glue_runs(job), key=lambda r: r["StartedOn"])
    assert second["StartedOn"] >= first["CompletedOn"]


def test_heartbeats_keep_a_long_job_alive_without_one_per_cycle(aws):
    activity = make_activity()
    settings = settings_for("glue", activity, heartbeat_interval_seconds=1.0, check_interval_seconds=0.1)
    clients = AwsClients(settings)
    beats: list[float] = []
    clients.sfn.meta.events.register("before-call.states.SendTaskHeartbeat", lambda **_: beats.append(time.monotonic()))
    job = make_glue_job(SLEEP_SCRIPT)
    execution = start(single_task_machine(activity, heartbeat=2), {"GlueJobName": job, "Arguments": {"--seconds": "5"}})
    began = time.monotonic()
    with serving("glue", settings, clients):
        result = wait_execution(execution, timeout=60)
    elapsed = time.monotonic() - began
    assert result["status"] == "SUCCEEDED", "HeartbeatSeconds=2 would have failed a 5 s job without heartbeats"
    # About one per second of running, far fewer than the ~50 check cycles.
    assert 3 <= len(beats) <= elapsed + 1


BAD_INPUTS = [
    ("not JSON", json.dumps("this is not json")),
    ("wrong type", {"GlueJobName": 42}),
    ("missing job name", {"Arguments": {"--x": "1"}}),
    ("unknown job", {"GlueJobName": "NoSuchJob"}),
    ("oversized", {"GlueJobName": "J", "Arguments": {"--pad": "x" * 70_000}}),
]


def test_bad_input_fails_that_task_alone_and_the_worker_keeps_serving(aws):
    activity = make_activity()
    job = make_glue_job(SLEEP_SCRIPT)
    machine = single_task_machine(activity)
    with serving("glue", settings_for("glue", activity)):
        bad = [(label, start(machine, payload)) for label, payload in BAD_INPUTS]
        good = start(machine, {"GlueJobName": job})
        outcomes = {label: wait_execution(e) for label, e in bad}
        assert wait_execution(good)["status"] == "SUCCEEDED"
    for label, execution in bad:
        assert outcomes[label]["status"] == "FAILED", label
        failure = failure_of(execution)
        assert failure["error"] == "InvalidTaskInputError", label
        assert json.loads(failure["cause"])["errorMessage"], label
    assert "NoSuchJob" in json.loads(failure_of(bad[3][1])["cause"])["errorMessage"]
    assert "65536" in json.loads(failure_of(bad[4][1])["cause"])["errorMessage"]
