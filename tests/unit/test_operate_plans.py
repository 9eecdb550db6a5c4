"""What backfill and catch-up decide from a pipeline's executions (as ListExecutions
lists them): which periods start, under which names, and which are left alone."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from runners.operate.backfill import RERUN, SKIP, START, WAIT, plan_periods
from runners.operate.catch_up import plan_catch_up
from runners.operate.history import History
from runners.operate.periods import Periods
from runners.pipelines.model import CatchUp, Schedule
from runners.pipelines.triggers import execution_name, rerun_execution_name, run_date_of_execution

WEEKLY = Periods(Schedule(cron="0 6 ? * MON *", catch_up=CatchUp(horizon_days=56)))
# The schedule fires on Monday 2 February 2026 at 06:00 UTC.
FIRED = datetime(2026, 2, 2, 6, 0, tzinfo=timezone.utc)


def history(*executions: tuple[str, str]) -> History:
    """(name, status) pairs, as ListExecutions lists them."""
    return History.from_executions(
        {"name": name, "status": status, "executionArn": f"arn:aws:states:us-east-1:123456789012:execution:p:{name}"}
        for name, status in executions)


def d(text: str) -> date:
    return date.fromisoformat(text)


# --- names ----------------------------------------------------------------------------------
def test_a_rerun_is_named_after_its_date_and_number():
    assert rerun_execution_name("2026-01-05", 1) == "2026-01-05-rerun-1"
    assert run_date_of_execution("2026-01-05-rerun-12") == ("2026-01-05", 12)
    assert run_date_of_execution(execution_name("2026-01-05")) == ("2026-01-05", 0)
    with pytest.raises(ValueError):
        rerun_execution_name("2026-01-05", 0)


@pytest.mark.parametrize("name", ["run-2026-01-05-ab12", "2026-01-05-rerun-0", "2026-02-30", "2026-01-05-rerun-", "x"])
def test_other_names_are_no_periods(name):
    assert run_date_of_execution(name) is None


# --- a period's state -----------------------------------------------------------------------------
def test_a_period_is_as_its_latest_attempt_and_the_next_rerun_number_follows_the_highest():
    h = history(("2026-01-05-rerun-2", "SUCCEEDED"), ("2026-01-05", "FAILED"), ("2026-01-05-rerun-1", "FAILED"),
                ("adhoc-run", "RUNNING"))
    assert h.status("2026-01-05") == "SUCCEEDED"
    assert h.next_rerun_name("2026-01-05") == "2026-01-05-rerun-3"
    assert h.next_rerun_name("2026-01-12") == "2026-01-12-rerun-1"
    assert h.others == 1 and h.running_count() == 1


# --- backfill ---------------------------------------------------------------------------------------
def test_backfill_starts_new_periods_skips_succeeded_waits_for_running_and_reruns_failed_ones():
    h = history(("2026-01-05", "SUCCEEDED"), ("2026-01-12", "RUNNING"), ("2026-01-19", "FAILED"), ("2026-01-26-rerun-1", "TIMED_OUT"))
    plan = plan_periods([d("2026-02-02"), d("2026-01-05"), d("2026-01-12"), d("2026-01-19"), d("2026-01-26")], h, rerun=False)
    assert [(p.run_date, p.action, p.name) for p in plan] == [
        ("2026-01-05", SKIP, "2026-01-05"),
        ("2026-01-12", WAIT, "2026-01-12"),
        ("2026-01-19", RERUN, "2026-01-19-rerun-1"),
        ("2026-01-26", RERUN, "2026-01-26-rerun-2"),
        ("2026-02-02", START, "2026-02-02"),
    ]


def test_backfill_with_rerun_runs_succeeded_periods_again_under_a_new_name():
    plan = plan_periods([d("2026-01-05")], history(("2026-01-05", "SUCCEEDED")), rerun=True)
    assert [(p.action, p.name) for p in plan] == [(RERUN, "2026-01-05-rerun-1")]


# --- catch-up ---------------------------------------------------------------------------------------
def test_catch_up_starts_the_missed_weeks_oldest_first_then_the_current_one():
    h = history(("2026-01-05", "SUCCEEDED"))
    plan = plan_catch_up(WEEKLY, CatchUp(56, max_concurrent=10), FIRED, h)
    assert plan.current == d("2026-02-02")
    assert plan.missed == (d("2026-01-12"), d("2026-01-19"), d("2026-01-26"))
    assert plan.to_start == (d("2026-01-12"), d("2026-01-19"), d("2026-01-26"), d("2026-02-02"))


def test_catch_up_starts_no_more_than_fit_beside_the_running_executions():
    h = history(("2026-01-05", "SUCCEEDED"))
    assert plan_catch_up(WEEKLY, CatchUp(56, max_concurrent=1), FIRED, h).to_start == (d("2026-01-12"),)
    busy = history(("2026-01-05", "SUCCEEDED"), ("2026-01-12", "RUNNING"))
    assert plan_catch_up(WEEKLY, CatchUp(56, max_concurrent=1), FIRED, busy).to_start == ()
    assert plan_catch_up(WEEKLY, CatchUp(56, max_concurrent=2), FIRED, busy).to_start == (d("2026-01-19"),)


def test_a_failed_period_is_not_missed_and_catch_up_looks_back_no_further_than_the_last_success():
    h = history(("2025-12-22", "SUCCEEDED"), ("2026-01-05", "SUCCEEDED"), ("2026-01-12", "FAILED"))
    plan = plan_catch_up(WEEKLY, CatchUp(56, max_concurrent=5), FIRED, h)
    # 2025-12-29 is older than the last success; 2026-01-12 failed (redrive it).
    assert plan.missed == (d("2026-01-19"), d("2026-01-26"))


def test_catch_up_looks_back_no_further_than_its_horizon():
    h = history(("2025-10-06", "SUCCEEDED"))
    plan = plan_catch_up(WEEKLY, CatchUp(14, max_concurrent=5), FIRED, h)
    assert plan.missed == (d("2026-01-19"), d("2026-01-26"))


def test_without_any_success_nothing_is_caught_up_only_the_current_period_starts():
    plan = plan_catch_up(WEEKLY, CatchUp(56, max_concurrent=5), FIRED, history(("2026-01-26", "FAILED")))
    assert plan.missed == () and plan.to_start == (d("2026-02-02"),) and "backfill" in plan.note


def test_a_period_that_ran_already_is_not_started_again():
    h = history(("2026-01-26", "SUCCEEDED"), ("2026-02-02", "SUCCEEDED"))
    assert plan_catch_up(WEEKLY, CatchUp(56), FIRED, h).to_start == ()


def test_without_catch_up_the_current_period_starts_whatever_runs():
    plain = Periods(Schedule(cron="0 6 ? * MON *"))
    plan = plan_catch_up(plain, None, FIRED, history(("2026-01-05", "SUCCEEDED"), ("2026-01-26", "RUNNING")))
    assert plan.missed == () and plan.to_start == (d("2026-02-02"),)
