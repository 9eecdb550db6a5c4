"""A pipeline's periods: the run dates its schedule defines.

A run date is a calendar day (``YYYY-MM-DD``, the execution's name), so a
period is a day on which the schedule fires, in the schedule's time zone:

* ``cron``: every local date with at least one fire time. AWS's six-field
  cron (minutes hours day-of-month month day-of-week year, with ``?``, ``L``,
  ``W``, ``#``, names, day-of-week 1-7 = SUN-SAT) is evaluated by the
  ``aws-croniter`` library on local wall-clock time, so the date is the local
  date EventBridge Scheduler fires on (a fire time that a DST change skips
  or repeats still falls on its date).
* ``rate``: every N days from the first period (for backfill: ``--from``);
  a rate of minutes or hours fires every day, and ``36 hours`` gives the
  dates its fire times fall on.
* no schedule (a pipeline started by a trigger or by hand): every day.

Pure: no AWS calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterator
from zoneinfo import ZoneInfo

from aws_croniter import AwsCroniter

from runners.pipelines.model import Schedule

_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


class ScheduleError(ValueError):
    """A schedule whose periods cannot be computed."""


def parse_cron(expression: str) -> AwsCroniter:
    """The parsed expression; ScheduleError (naming the field) if EventBridge would refuse it."""
    try:
        return AwsCroniter(expression)
    except Exception as exc:  # the library raises its own hierarchy and ValueError for numbers out of range
        raise ScheduleError(f"cron({expression}): {exc}") from None


def rate_seconds(rate: str) -> int:
    """``'7 days'`` -> 604800."""
    number, unit = rate.split()
    return int(number) * _UNIT_SECONDS[unit.rstrip("s")]


def _wall(day: date) -> datetime:
    """Local midnight as the naive-UTC wall clock the cron library works on."""
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


@dataclass(frozen=True)
class Periods:
    """The periods of one schedule (None: a pipeline without one, daily)."""

    schedule: Schedule | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.schedule.timezone if self.schedule else "UTC")

    @property
    def description(self) -> str:
        if self.schedule is None:
            return "daily (the pipeline has no schedule)"
        return f"{self.schedule.expression} {self.schedule.timezone}"

    def between(self, first: date, last: date) -> list[date]:
        """Run dates from ``first`` to ``last`` (both included), oldest first.
        A rate counts from ``first``."""
        if last < first:
            return []
        if self.schedule is None:
            return [first + timedelta(days=n) for n in range((last - first).days + 1)]
        if self.schedule.cron:
            return list(self._cron_dates(first, last))
        return self._rate_dates(first, last)

    def _cron_dates(self, first: date, last: date) -> Iterator[date]:
        assert self.schedule is not None and self.schedule.cron is not None
        cron = parse_cron(self.schedule.cron)
        day = first
        while day <= last:
            # One lookup per period: the first fire time at or after the day's start.
            (fire,) = cron.get_next(_wall(day), n=1, inclusive=True)
            if fire is None or fire.date() > last:
                return
            yield fire.date()
            day = fire.date() + timedelta(days=1)

    def _rate_dates(self, first: date, last: date) -> list[date]:
        assert self.schedule is not None and self.schedule.rate is not None
        step = timedelta(seconds=rate_seconds(self.schedule.rate))
        dates: list[date] = []
        instant = _wall(first)
        while instant.date() <= last:
            if not dates or dates[-1] != instant.date():
                dates.append(instant.date())
            instant += step
        return dates

    def local_date(self, instant: datetime) -> date:
        """The date of ``instant`` (aware) in the schedule's time zone."""
        return instant.astimezone(self.zone).date()

    def latest_on_or_before(self, instant: datetime) -> date | None:
        """The run date of the schedule's latest fire time at or before
        ``instant`` (a cron schedule; None if it never fired)."""
        if self.schedule is None or not self.schedule.cron:
            raise ScheduleError("only a cron schedule has fire times to look back on")
        local = instant.astimezone(self.zone).replace(tzinfo=timezone.utc, microsecond=0)
        (fire,) = parse_cron(self.schedule.cron).get_prev(local, n=1, inclusive=True)
        return fire.date() if fire is not None else None
