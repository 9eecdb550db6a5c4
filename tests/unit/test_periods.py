"""A pipeline's periods are the local dates its schedule fires on.

The cron cases are the examples and wildcard descriptions of the AWS docs
("Cron expressions" of EventBridge Scheduler and EventBridge rules), checked
against a calendar of 2026 (1 January 2026 is a Thursday)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from runners.operate.periods import Periods, ScheduleError, parse_cron
from runners.pipelines.model import Schedule


def days(cron: str, first: str, last: str, zone: str = "UTC") -> list[str]:
    return [str(d) for d in Periods(Schedule(cron=cron, timezone=zone)).between(date.fromisoformat(first), date.fromisoformat(last))]


@pytest.mark.parametrize("cron, first, last, expected", [
    # "Run at 10:00 am (UTC) every day" / "12:15 pm every day"
    ("0 10 * * ? *", "2026-01-01", "2026-01-03", ["2026-01-01", "2026-01-02", "2026-01-03"]),
    ("15 12 * * ? *", "2026-01-30", "2026-02-01", ["2026-01-30", "2026-01-31", "2026-02-01"]),
    # "6:00 pm every Monday through Friday"
    ("0 18 ? * MON-FRI *", "2026-01-01", "2026-01-11",
     ["2026-01-01", "2026-01-02", "2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08", "2026-01-09"]),
    # "8:00 am every first day of the month"
    ("0 8 1 * ? *", "2026-01-01", "2026-04-30", ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]),
    # "every 15 minutes": one period a day
    ("0/15 * * * ? *", "2026-01-01", "2026-01-02", ["2026-01-01", "2026-01-02"]),
    # "every 10 minutes Monday through Friday", "every 5 minutes Mon-Fri between 8:00 am and 5:55 pm"
    ("0/10 * ? * MON-FRI *", "2026-01-01", "2026-01-06", ["2026-01-01", "2026-01-02", "2026-01-05", "2026-01-06"]),
    ("0/5 8-17 ? * MON-FRI *", "2026-01-03", "2026-01-05", ["2026-01-05"]),
    # "9:00 am the first Monday of each month" (2#1); "3#2 is the second Tuesday of the month"
    ("0 9 ? * 2#1 *", "2026-01-01", "2026-04-30", ["2026-01-05", "2026-02-02", "2026-03-02", "2026-04-06"]),
    ("0 9 ? * 3#2 *", "2026-01-01", "2026-03-31", ["2026-01-13", "2026-02-10", "2026-03-10"]),
    # L: the last day of the month; in day-of-week with a day, the last such day (6L: the last Friday)
    ("0 0 L * ? *", "2026-01-01", "2026-03-31", ["2026-01-31", "2026-02-28", "2026-03-31"]),
    ("0 0 ? * 6L *", "2026-01-01", "2026-03-31", ["2026-01-30", "2026-02-27", "2026-03-27"]),
    # "3W is the weekday closest to the third day of the month" (3 Jan 2026 is a Saturday, 3 May a Sunday)
    ("0 0 3W * ? *", "2026-01-01", "2026-05-31", ["2026-01-02", "2026-02-03", "2026-03-03", "2026-04-03", "2026-05-04"]),
    # ... never in another month: 1 August 2026 is a Saturday
    ("0 0 1W * ? *", "2026-07-01", "2026-09-30", ["2026-07-01", "2026-08-03", "2026-09-01"]),
    # day-of-week 1-7 is SUN-SAT; the year field
    ("0 6 ? * 1 *", "2026-01-01", "2026-01-14", ["2026-01-04", "2026-01-11"]),
    ("0 12 1 1 ? 2027", "2026-01-01", "2028-12-31", ["2027-01-01"]),
])
def test_cron_periods_follow_the_aws_docs_examples(cron, first, last, expected):
    assert days(cron, first, last) == expected


def test_both_ends_of_the_range_are_periods_when_the_schedule_fires_on_them():
    assert days("0 6 ? * MON *", "2026-01-05", "2026-01-12") == ["2026-01-05", "2026-01-12"]
    assert days("0 6 ? * MON *", "2026-01-06", "2026-01-11") == []


def test_the_run_date_is_the_local_date_the_schedule_fires_on():
    # 08:00 on Mondays in Tokyo is 23:00 UTC on Sundays: the periods are the Mondays.
    assert days("0 8 ? * MON *", "2026-01-01", "2026-01-14", "Asia/Tokyo") == ["2026-01-05", "2026-01-12"]
    tokyo = Periods(Schedule(cron="0 8 ? * MON *", timezone="Asia/Tokyo"))
    assert tokyo.latest_on_or_before(datetime(2026, 1, 11, 23, 0, tzinfo=timezone.utc)) == date(2026, 1, 12)


def test_a_fire_time_a_dst_change_skips_keeps_its_date():
    # 02:30 does not exist in Berlin on 29 March 2026; the period does.
    assert days("30 2 * * ? *", "2026-03-28", "2026-03-30", "Europe/Berlin") == ["2026-03-28", "2026-03-29", "2026-03-30"]


def test_the_latest_period_at_or_before_an_instant():
    weekly = Periods(Schedule(cron="0 6 ? * MON *"))
    assert weekly.latest_on_or_before(datetime(2026, 1, 12, 6, 0, tzinfo=timezone.utc)) == date(2026, 1, 12)
    assert weekly.latest_on_or_before(datetime(2026, 1, 12, 6, 0, 30, tzinfo=timezone.utc)) == date(2026, 1, 12)
    assert weekly.latest_on_or_before(datetime(2026, 1, 12, 5, 59, tzinfo=timezone.utc)) == date(2026, 1, 5)


def test_a_rate_counts_from_the_first_day():
    weekly = Periods(Schedule(rate="7 days"))
    assert [str(d) for d in weekly.between(date(2026, 1, 1), date(2026, 1, 31))] == \
        ["2026-01-01", "2026-01-08", "2026-01-15", "2026-01-22", "2026-01-29"]
    # Hours give the dates their fire times fall on; minutes, every day.
    assert [d.day for d in Periods(Schedule(rate="36 hours")).between(date(2026, 1, 1), date(2026, 1, 8))] == [1, 2, 4, 5, 7, 8]
    assert len(Periods(Schedule(rate="5 minutes")).between(date(2026, 1, 1), date(2026, 1, 3))) == 3


def test_a_pipeline_without_a_schedule_has_daily_periods():
    assert [str(d) for d in Periods(None).between(date(2026, 2, 27), date(2026, 3, 2))] == \
        ["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]
    assert Periods(None).between(date(2026, 3, 2), date(2026, 3, 1)) == []


@pytest.mark.parametrize("cron, problem", [
    ("0 6 * * MON *", "One must be a question mark"),  # day-of-month and day-of-week together
    ("0 6 ? * 8 *", "day-of-week"),
    ("61 * * * ? *", "minute"),
    ("0 25 * * ? *", "hour"),
    ("0 6 ? * MON", "6 required, 5 provided"),
])
def test_an_expression_eventbridge_refuses_is_refused(cron, problem):
    with pytest.raises(ScheduleError, match=problem):
        parse_cron(cron)
