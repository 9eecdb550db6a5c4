"""A bad task fails alone and at once, a slow or failing step never stalls the
other tasks, a worker that is behind keeps what it holds alive before taking
more, and a lost token is looked into before anything is stopped."""

from __future__ import annotations

import json
import statistics
import threading
import time

from support import (
    SLEEP_SCRIPT, CannedError, client, event_counts, failure_of, glue_runs, history, lifecycle_for, make_activity, make_glue_job,
    results_location, serving, settings_for, single_task_machine, start, wait_execution, wait_for,
)
from runners.activity import CycleReport
from runners.aws import AwsClients
from runners.state import task_id_for


def _poll(activity: str) -> dict:
    sfn = client("stepfunctions")
    for _ in range(20):
        task = sfn.get_activity_task(activityArn=activity, workerName="test")
        if task.get("taskToken"):
            return task
    raise AssertionError("no task")


# -- item 2: a task whose input cannot be recorded is failed, not dropped ------------


def test_an_input_that_cannot_be_stored_fails_its_task_at_once_with_a_named_error(aws):
    activity = make_activity()
    settings = settings_for("glue", activity)
    execution = start(single_task_machine(activity), {"GlueJobName": "J"})
    task = _poll(activity)
    lifecycle = lifecycle_for("glue", settings)
    # What a worker's poll hands over if the text holds half a surrogate pair:
    # no AWS API (DynamoDB included) can carry it.
    lifecycle.accept(task["taskToken"], '{"GlueJobName": "J\ud800"}')
    assert wait_execution(execution, timeout=10)["status"] == "FAILED"
    failure = failure_of(execution)
    assert failure["error"] == "InvalidTaskInputError"
    assert "unpaired surrogate" in json.loads(failure["cause"])["errorMessage"]
    assert lifecycle.store.get(task_id_for(task["taskToken"])) is None, "the record is cleaned up"


def test_a_task_that_cannot_be_recorded_at_all_is_failed_not_dropped(aws):
    activity = make_activity()
    settings = settings_for("glue", activity)
    execution = start(single_task_machine(activity), {"GlueJobName": "J"})
    task = _poll(activity)
    lifecycle = lifecycle_for("glue", settings)

    def refuse(*args, **kwargs):
        raise PermissionError("AccessDeniedException: not allowed to write the table")

    lifecycle.store.create = refuse
    lifecycle.accept(task["taskToken"], task["input"])
    assert wait_execution(execution, timeout=10)["status"] == "FAILED"
    failure = failure_of(execution)
    assert failure["error"] == "TaskNotRecordedError"
    assert "not allowed to write the table" in json.loads(failure["cause"])["errorMessage"]


# -- item 3: no head-of-line blocking --------------------------------------------------


def _seconds(execution: str) -> float:
    events = history(execution)
    return (events[-1]["timestamp"] - events[0]["timestamp"]).total_seconds()


def test_tasks_whose_starts_keep_failing_do_not_stall_healthy_ones_and_fail_in_the_end(aws):
    activity = make_activity()
    settings = settings_for("athena", activity, max_start_errors=4, call_budget_seconds=1.0, pollers=4)
    clients = AwsClients(settings)
    failing = CannedError("StartQueryExecution", "InternalServerException", status=500, marker="FLAKY")
    clients.athena.meta.events.register("before-send.athena.*", failing)
    machine = single_task_machine(activity, heartbeat=4, timeout=60)
    where = results_location("hol")
    with serving("athena", settings, clients):
        bad = [start(machine, {"AthenaQueryString": f"SELECT 'FLAKY' AS x{i}", "AthenaResultOutputLocation": where}) for i in range(3)]
        time.sleep(1.0)  # the bad tasks are now being retried
        good = [start(machine, {"AthenaQueryString": f"SELECT {i}", "AthenaResultOutputLocation": where}) for i in range(8)]
        assert [wait_execution(e, timeout=30)["status"] for e in good] == ["SUCCEEDED"] * 8
        assert statistics.median(_seconds(e) for e in good) < 3.0, "healthy tasks waited behind failing ones"
        results = [wait_execution(e, timeout=60) for e in bad]
    assert [r["status"] for r in results] == ["FAILED"] * 3
    for execution in bad:
        failure = failure_of(execution)
        assert failure["error"] == "JobStartFailedError"
        assert "could not start after 4 attempts" in json.loads(failure["cause"])["errorMessage"]
        assert event_counts(execution)["ActivityTimedOut"] == 0, "the task failed by itself, not by timeout"
    assert failing.answered >= 3 * 4


# -- item 4: behind, a worker keeps its tasks alive first ------------------------------


def test_a_worker_whose_checks_are_slow_keeps_heartbeats_on_time_and_takes_no_new_work(aws):
    activity = make_activity()
    settings = settings_for("glue", activity, heartbeat_interval_seconds=1.0, check_interval_seconds=0.2)
    job = make_glue_job(SLEEP_SCRIPT, max_concurrent_runs=10)
    machine = single_task_machine(activity, heartbeat=3, timeout=60)
    with serving("glue", settings) as worker:
        first = start(machine, {"GlueJobName": job, "Arguments": {"--seconds": "20"}})  # outlives the slow phase
        wait_for(lambda: glue_runs(job), timeout=15, message="the first run")
        # Overload: every status check now takes 4 s, longer than HeartbeatSeconds.
        adapter = worker.lifecycle.adapter
        real_statuses = adapter.statuses
        slow = threading.Event()
        slow.set()

        def slow_statuses(runs):
            if slow.is_set():
                time.sleep(4.0)
            return real_statuses(runs)

        adapter.statuses = slow_statuses
        wait_for(lambda: worker.stats.behind, timeout=15, message="the worker to say it is behind")
        time.sleep(1.5)  # long polls already open when it fell behind end (1 s here, 60 s on AWS)
        second = start(machine, {"GlueJobName": job, "Arguments": {"--seconds": "0"}})
        time.sleep(3.0)
        assert len(glue_runs(job)) == 1, "a worker that is behind took new work"
        assert event_counts(second)["ActivityStarted"] == 0, "the new task stays with Step Functions"
        slow.clear()
        assert wait_execution(first, timeout=30)["status"] == "SUCCEEDED", "heartbeats lapsed while the checks were slow"
        assert wait_execution(second, timeout=30)["status"] == "SUCCEEDED", "the worker resumed taking work"
        assert not worker.stats.behind and worker.stats.times_behind >= 1


# -- item 6: a lost token is looked into before a run is stopped ------------------------


def test_a_task_reported_by_another_worker_is_not_taken_for_a_lost_one(aws):
    activity = make_activity()
    settings = settings_for("athena", activity, heartbeat_interval_seconds=0.1)
    execution = start(single_task_machine(activity), {"AthenaQueryString": "SELECT 1", "AthenaResultOutputLocation": results_location("elsewhere")})
    task = _poll(activity)
    mine = lifecycle_for("athena", settings)
    mine.accept(task["taskToken"], task["input"])
    record = mine.store.get(task_id_for(task["taskToken"]))
    stops: list = []
    mine.adapter.stop = lambda ref: stops.append(ref)
    # Another worker reports it and forgets it, as the 'other' lifecycle does here.
    other = lifecycle_for("athena", settings.with_(worker_name="other-worker"))
    other._finish(other.store.get(record.task_id), {"status": "success", "output": {}}, CycleReport())
    assert wait_execution(execution, timeout=10)["status"] == "SUCCEEDED"
    time.sleep(0.2)
    report = CycleReport()
    assert mine._heartbeat_if_due(record, report) is False  # TaskTimedOut: nobody waits any more
    assert stops == [], "a run another worker reported must not be stopped"
    assert report.abandoned == 0
