"""A run just started is checked soon, on a short backoff schedule, without
waiting for the next full check cycle: short queries report in a fraction of
the check interval, and long runs cost at most a few extra status calls."""

import time
from collections import Counter

import pytest

from runners.aws import AwsClients
from runners.service import build_lifecycle
from support import (
    RESULTS_BUCKET, client, ensure_bucket, make_activity, serving, settings_for, single_task_machine, start, wait_execution,
    wait_for,
)

RESULTS = f"s3://{RESULTS_BUCKET}/athena-prompt/"
QUICK_QUERY = {"AthenaQueryString": "SELECT 1 AS one", "AthenaResultOutputLocation": RESULTS}
ENDLESS_QUERY = {"AthenaQueryString": "SELECT count(*) FROM range(100000000000)", "AthenaResultOutputLocation": RESULTS}


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def counted_clients(settings) -> tuple[AwsClients, Counter]:
    clients, calls = AwsClients(settings), Counter()
    clients.athena.meta.events.register("before-call.athena.*", lambda model, **_: calls.update([model.name]))
    return clients, calls


@pytest.fixture
def activity(aws):
    ensure_bucket(RESULTS_BUCKET)
    return make_activity()


def lifecycle_with_clock(activity: str, check_interval: float):
    settings = settings_for("athena", activity, check_interval_seconds=check_interval, heartbeat_interval_seconds=600)
    clients, calls = counted_clients(settings)
    lifecycle = build_lifecycle("athena", settings, clients)
    lifecycle.store.ensure_table()
    clock = FakeClock(time.time())
    lifecycle.clock = clock
    return lifecycle, clock, calls


def test_a_short_query_is_reported_at_the_first_prompt_check(activity):
    lifecycle, clock, calls = lifecycle_with_clock(activity, check_interval=8.0)
    execution = start(single_task_machine(activity), QUICK_QUERY)
    assert wait_for(lambda: lifecycle.poll_once(activity), message="the task")
    assert lifecycle.seconds_until_prompt_check() == pytest.approx(1.0)  # interval / 8
    run_id = next(iter(lifecycle.store.scan())).run_id
    athena = client("athena")
    wait_for(lambda: athena.get_query_execution(QueryExecutionId=run_id)["QueryExecution"]["Status"]["State"] == "SUCCEEDED",
             message="the query to finish")

    assert lifecycle.check_prompt().reported == 0  # not due yet
    clock.now += 1.0
    report = lifecycle.check_prompt()

    assert report.reported == 1
    assert wait_execution(execution)["status"] == "SUCCEEDED"
    assert lifecycle.seconds_until_prompt_check() is None
    assert calls["BatchGetQueryExecution"] == 1


def test_prompt_checks_back_off_then_leave_a_long_run_to_the_regular_cycle(activity):
    lifecycle, clock, calls = lifecycle_with_clock(activity, check_interval=8.0)
    start(single_task_machine(activity), ENDLESS_QUERY)
    assert wait_for(lambda: lifecycle.poll_once(activity), message="the task")
    started = clock.now
    checked_at = []
    while (wait := lifecycle.seconds_until_prompt_check()) is not None:
        clock.now += wait
        before = calls["BatchGetQueryExecution"]
        lifecycle.check_prompt()
        assert calls["BatchGetQueryExecution"] == before + 1
        checked_at.append(round(clock.now - started, 3))

    assert checked_at == [1.0, 2.0, 4.0]  # then every 8 s with everything else
    record = next(iter(lifecycle.store.scan()))
    lifecycle.adapter.stop(lifecycle._ref(record))


def test_a_worker_reports_a_short_query_long_before_its_check_interval(activity):
    settings = settings_for("athena", activity, check_interval_seconds=6.0)
    with serving("athena", settings):
        execution = start(single_task_machine(activity), QUICK_QUERY)
        result = wait_execution(execution, timeout=3.0)  # the next full cycle is up to 6 s away
    assert result["status"] == "SUCCEEDED"
