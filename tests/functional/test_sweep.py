"""Reads follow changes, not time: a serving worker looks after the tasks it
holds in memory and reads the table only in the slow sweep; one worker per
interval sweeps for all, taking over what gone workers held and finishing
reports whose reporter died."""

from __future__ import annotations

import json
import time
from collections import Counter

from support import (
    SLEEP_SCRIPT, client, glue_runs, lifecycle_for, make_activity, make_glue_job, serving, settings_for, single_task_machine, start, unique,
    wait_for,
)
from runners.aws import AwsClients
from runners.service import build_lifecycle
from runners.state import REPORTING, RUNNING
from runners.sweep import sweep


def dynamodb_calls(lifecycle) -> Counter:
    calls: Counter = Counter()
    client = lifecycle.store.model._get_connection().connection.client
    client.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.update([model.name]))
    return calls


def test_a_serving_worker_reads_nothing_between_sweeps_while_its_job_runs(aws):
    activity = make_activity()
    settings = settings_for("glue", activity, check_interval_seconds=0.05, sweep_interval_seconds=3600)
    job = make_glue_job(SLEEP_SCRIPT)
    start(single_task_machine(activity), {"GlueJobName": job, "Arguments": {"--seconds": "30"}})
    with serving("glue", settings) as worker:
        wait_for(lambda: [r for r in worker.lifecycle._held.values() if r.phase == RUNNING], message="the run to start")
        calls = dynamodb_calls(worker.lifecycle)
        time.sleep(2.0)  # some 40 check cycles
        assert calls == Counter(), "a worker that holds its tasks in memory reads nothing on a timer"
        aws.glue.force_run_state(job, glue_runs(job)[0]["Id"], "STOPPED")


def test_one_sweep_per_interval_whoever_asks(aws):
    store = lifecycle_for("glue", settings_for("glue", make_activity())).store
    now = time.time()
    assert store.take_sweep_turn(now, 10.0)
    assert not store.take_sweep_turn(now + 1.0, 10.0), "another worker, a second later"
    assert store.take_sweep_turn(now + 9.5, 10.0), "a tenth of an interval early is on time"
    assert not store.take_sweep_turn(now + 10.0, 10.0)


def _held_task(lifecycle, phase: str = RUNNING, **sets) -> object:
    """A fake-token record held by ``lifecycle`` (its report only cleans up)."""
    store = lifecycle.store
    record = store.create(f"fake-token-{unique('t')}", json.dumps({"GlueJobName": "J"}), holder=lifecycle.holder)
    m = store.model
    values = {"phase": phase, "run_id": f"jr_{unique('r')}", "run_group": "J", **sets}
    record.update(actions=[getattr(m, name).set(value) for name, value in values.items()])
    return record


def test_the_tasks_of_a_worker_that_is_gone_go_to_the_next_sweep_and_a_live_ones_stay(aws):
    settings = settings_for("glue", make_activity())
    gone, alive, sweeper = (lifecycle_for("glue", settings) for _ in range(3))
    for lifecycle in (gone, alive):
        lifecycle.store.say_alive(lifecycle.holder, time.time() + 60)
    orphan, kept = _held_task(gone), _held_task(alive)
    gone.store.forget_worker(gone.holder)  # a drained worker says so

    report = sweep(sweeper, force=True)

    assert report.swept and report.taken_over == 1
    assert sweeper.held_record(orphan.task_id) is not None and sweeper.held_record(kept.task_id) is None
    assert sweeper.store.get(orphan.task_id).holder == sweeper.holder
    assert sweeper.store.get(kept.task_id).holder == alive.holder


def test_a_worker_whose_liveness_ran_out_counts_as_gone(aws):
    settings = settings_for("glue", make_activity())
    stalled, sweeper = lifecycle_for("glue", settings), lifecycle_for("glue", settings)
    stalled.store.say_alive(stalled.holder, time.time() - 1)  # killed: it never said goodbye
    record = _held_task(stalled, phase="RECEIVED")
    assert sweep(sweeper, force=True).taken_over == 1
    assert sweeper.held_record(record.task_id) is not None


def test_a_report_whose_reporter_died_is_finished_by_the_sweep(aws):
    settings = settings_for("glue", make_activity())
    holder, sweeper = lifecycle_for("glue", settings), lifecycle_for("glue", settings)
    holder.store.say_alive(holder.holder, time.time() + 60)
    outcome = json.dumps({"status": "success", "output": {"JobRunState": "SUCCEEDED"}})
    record = _held_task(holder, phase=REPORTING, outcome=outcome, lease_until=time.time() - 1, owner="dead-host:1:claim")
    sweep(sweeper, force=True)
    assert sweeper.store.get(record.task_id) is None, "reported (the fake token is refused) and forgotten"


def test_without_an_events_queue_the_sweep_asks_no_service_and_with_one_it_asks_once_per_job(aws):
    job = make_glue_job(SLEEP_SCRIPT, max_concurrent_runs=5)
    glue = client("glue")
    runs = [glue.start_job_run(JobName=job, Arguments={"--seconds": "30"})["JobRunId"] for _ in range(3)]
    try:
        for events in (None, "https://queue.invalid/unused"):
            settings = settings_for("glue", make_activity(), glue_events_queue_url=events)
            clients, calls = AwsClients(settings), Counter()
            clients.glue.meta.events.register("before-call.glue.*", lambda model, **_: calls.update([model.name]))
            lifecycle = build_lifecycle("glue", settings, clients)
            lifecycle.store.ensure_table()
            other = lifecycle_for("glue", settings)
            other.store.say_alive(other.holder, time.time() + 60)
            for run_id in runs:
                _held_task(other, run_id=run_id, run_group=job)
            sweep(lifecycle, force=True)
            assert calls == (Counter() if events is None else Counter({"GetJobRuns": 1})), calls
    finally:
        glue.batch_stop_job_run(JobName=job, JobRunIds=runs)


def _liveness(lifecycle) -> float | None:
    workers, _ = lifecycle.store.sweep_view()
    return workers.get(lifecycle.holder)


def test_an_idle_worker_vouches_for_nothing_and_writes_only_its_sweep_turn(aws):
    settings = settings_for("glue", make_activity(), sweep_interval_seconds=10.0)
    idle = lifecycle_for("glue", settings)
    calls = dynamodb_calls(idle)
    sweep(idle, force=True)
    assert _liveness(idle) is None, "holding nothing, it has nothing to vouch for"
    assert calls["PutItem"] == 0 and calls["UpdateItem"] == 1, f"only the sweep turn is written: {calls}"


def test_a_worker_vouches_before_it_records_a_task_and_again_only_when_its_word_runs_low(aws):
    activity = make_activity()
    settings = settings_for("glue", activity, sweep_interval_seconds=10.0)
    job = make_glue_job(SLEEP_SCRIPT)
    start(single_task_machine(activity), {"GlueJobName": job, "Arguments": {"--seconds": "30"}})
    lifecycle = lifecycle_for("glue", settings)
    assert lifecycle.poll_once(activity)
    try:
        said = _liveness(lifecycle)
        assert said is not None and said > time.time() + 15, "alive for about two intervals from the first task"
        calls = dynamodb_calls(lifecycle)
        sweep(lifecycle)
        assert calls["PutItem"] == 0, "more than an interval of its word is left: no new write"
        lifecycle.vouch(time.time() + 11.0)  # as a sweep an interval later would
        assert _liveness(lifecycle) > said
    finally:
        client("glue").batch_stop_job_run(JobName=job, JobRunIds=[r["Id"] for r in glue_runs(job)])


def test_a_sweep_asks_about_a_run_at_its_first_sweep_then_only_when_its_gap_is_over(aws):
    from datetime import datetime, timedelta, timezone

    settings = settings_for("glue", make_activity(), glue_events_queue_url="https://queue.invalid/unused",
                            sweep_interval_seconds=60.0, sweep_max_gap_seconds=300.0)
    sweeper = lifecycle_for("glue", settings)
    holder = lifecycle_for("glue", settings)
    holder.store.say_alive(holder.holder, time.time() + 600)
    now = datetime.now(timezone.utc)
    for minutes in (0.2, 1.5, 2.5, 4.0):  # due: first sweep; not due; two intervals; not due
        _held_task(holder, run_group="NoSuchJob", started_at=now - timedelta(minutes=minutes))
    assert sweep(sweeper).checked == 2
    assert sweep(sweeper, force=True).checked == 4, "a worker starting up checks every run once"
