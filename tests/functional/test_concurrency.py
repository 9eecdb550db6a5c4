"""Guarantee 2: several workers on one activity and one table never double-start
or double-report."""

import json
import time
from collections import Counter

from support import (
    SLEEP_SCRIPT, event_counts, glue_runs, make_activity, make_glue_job, results_location, serving, settings_for,
    single_task_machine, spawn_worker, start, wait_execution,
)
from runners.glue import TASK_ID_ARGUMENT

TASKS = 12


def test_three_worker_processes_share_one_activity_without_duplicates(aws):
    activity = make_activity()
    settings = settings_for("glue", activity)
    job = make_glue_job(SLEEP_SCRIPT, max_concurrent_runs=TASKS)
    machine = single_task_machine(activity, heartbeat=30)
    executions = [start(machine, {"GlueJobName": job, "Arguments": {"--seconds": "0.5"}}) for _ in range(TASKS)]

    workers = [spawn_worker("glue", settings) for _ in range(3)]
    try:
        results = [wait_execution(e, timeout=90) for e in executions]
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=60)

    assert [r["status"] for r in results] == ["SUCCEEDED"] * TASKS
    runs = glue_runs(job)
    assert len(runs) == TASKS
    assert len({r["Arguments"][TASK_ID_ARGUMENT] for r in runs}) == TASKS
    assert sorted(json.loads(r["output"])["JobRunId"] for r in results) == sorted(r["Id"] for r in runs)
    for execution in executions:
        assert event_counts(execution)["ActivitySucceeded"] == 1


def test_two_worker_threads_share_one_athena_activity(aws):
    results = results_location("concurrency")
    activity = make_activity()
    settings = settings_for("athena", activity)
    machine = single_task_machine(activity)
    executions = [
        start(machine, {"AthenaQueryString": f"SELECT {i} AS n", "AthenaResultOutputLocation": results})
        for i in range(TASKS)
    ]
    with serving("athena", settings), serving("athena", settings):
        results = [wait_execution(e, timeout=60) for e in executions]
    assert [r["status"] for r in results] == ["SUCCEEDED"] * TASKS
    query_ids = [json.loads(r["output"])["QueryExecutionId"] for r in results]
    assert len(set(query_ids)) == TASKS
    for execution in executions:
        assert event_counts(execution)["ActivitySucceeded"] == 1


def test_the_checker_thread_never_restarts_a_task_its_own_poller_is_starting(aws):
    """Within one worker, the poller that took a task and the checker thread
    share nothing but the table: a live claim by one keeps the other out."""
    from support import glue_runs, lifecycle_for, make_glue_job, unique
    from runners.state import STARTING

    settings = settings_for("glue", make_activity(), lease_seconds=30.0)
    lifecycle = lifecycle_for("glue", settings)
    job = make_glue_job(SLEEP_SCRIPT, max_concurrent_runs=5)
    record = lifecycle.store.create(f"token-{unique('t')}", json.dumps({"GlueJobName": job}))
    # The poller thread has claimed the task and is about to call StartJobRun ...
    lifecycle.store.claim(record, STARTING, lifecycle._claim_id(), settings.lease_seconds, time.time(), start_attempts=1)
    # ... while the checker thread of the same worker runs a cycle.
    lifecycle.check_all()
    assert glue_runs(job) == []
    assert lifecycle.store.get(record.task_id).phase == STARTING


def test_a_task_is_born_leased_so_other_workers_leave_it_to_its_receiver(aws):
    """The record is written already leased to the claim that received the
    task: another worker's cycle neither starts it nor spends a refused
    conditional write trying to."""
    from support import glue_runs, lifecycle_for, make_glue_job, unique
    from runners.state import RECEIVED

    settings = settings_for("glue", make_activity(), lease_seconds=30.0)
    receiver, other = lifecycle_for("glue", settings), lifecycle_for("glue", settings)
    job = make_glue_job(SLEEP_SCRIPT, max_concurrent_runs=5)
    claim = receiver._claim_id()
    record = receiver.store.create(f"token-{unique('t')}", json.dumps({"GlueJobName": job}), claim, time.time() + settings.lease_seconds)
    writes = Counter()
    dynamodb = other.store.model._get_connection().connection.client
    dynamodb.meta.events.register("before-call.dynamodb.*", lambda model, **_: writes.update([model.name]))

    other.check_all()

    assert writes == Counter({"Scan": 1})
    assert glue_runs(job) == []
    assert other.store.get(record.task_id).phase == RECEIVED


def test_the_worker_that_started_a_run_reports_it_and_others_step_in_only_when_it_is_gone(aws):
    """Several workers see the same ended run; only its starter reports it at
    once. Another reports it only after two check intervals unreported."""
    from support import lifecycle_for, make_glue_job, unique, wait_for
    from runners.state import RUNNING

    settings = settings_for("glue", make_activity(), check_interval_seconds=0.5)
    starter, other = lifecycle_for("glue", settings), lifecycle_for("glue", settings)
    other.worker_id = "another-host:4242"
    job = make_glue_job("pass\n", max_concurrent_runs=5)
    execution = start(single_task_machine(starter.settings.glue_activity_arn), {"GlueJobName": job})
    assert wait_for(lambda: starter.poll_once(settings.glue_activity_arn), message="the task")
    record = next(iter(starter.store.scan()))
    wait_for(lambda: glue_runs(job) and glue_runs(job)[0]["JobRunState"] == "SUCCEEDED", message="the run to end")

    assert other.check_all().reported == 0  # its starter is alive and will report it
    assert starter.store.get(record.task_id).phase == RUNNING
    time.sleep(2 * settings.check_interval_seconds)
    assert other.check_all().reported == 1  # unreported for two intervals: the starter is gone
    assert wait_execution(execution)["status"] == "SUCCEEDED"
    assert event_counts(execution)["ActivitySucceeded"] == 1
