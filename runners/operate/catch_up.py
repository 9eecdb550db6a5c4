"""Catch-up: which periods a scheduled run starts (pure; the trigger function acts on it).

When the schedule fires (or, while catching up, whenever an execution of the
pipeline ends), the wanted periods are, oldest first:

1. the *missed* ones: the schedule's run dates after the newest run date whose
   latest execution SUCCEEDED, no older than ``horizon_days`` before the
   current period and before it, that have no execution at all (a period
   whose execution failed is not missed: it is for ``etl-runner redrive``);
2. the *current* one, the run date of the schedule's latest fire time at or
   before now, unless it has an execution already.

Of these, as many start as fit beside the pipeline's running executions
under ``max_concurrent``; the rest start when one ends (the continuation
event). Without any success in the listed history (a new pipeline, or one
that has not succeeded for 90 days) nothing is caught up: only the current
period starts, and ``etl-runner backfill`` fills the past.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from runners.pipelines.model import CatchUp

from .history import History
from .periods import Periods


@dataclass(frozen=True)
class CatchUpPlan:
    current: date | None
    missed: tuple[date, ...]
    to_start: tuple[date, ...]
    running: int
    note: str = ""

    @property
    def wanted(self) -> tuple[date, ...]:
        return self.missed + ((self.current,) if self.current is not None and self.current not in self.missed else ())


def plan_catch_up(periods: Periods, catch_up: CatchUp | None, instant: datetime, history: History) -> CatchUpPlan:
    """The periods to start at ``instant`` (aware): see the module's docstring.
    Without ``catch_up`` only the current period, whatever else runs."""
    cron = periods.schedule is not None and periods.schedule.cron
    current = periods.latest_on_or_before(instant) if cron else periods.local_date(instant)
    if catch_up is not None and not cron:
        raise ValueError("catch-up needs a cron schedule")
    running = history.running_count()
    if current is None:
        return CatchUpPlan(None, (), (), running, "the schedule has not fired yet")
    current_wanted = () if history.has_run(current) else (current,)
    if catch_up is None:
        return CatchUpPlan(current, (), current_wanted, running)
    note = ""
    last_success = history.last_succeeded(before=current)
    missed: tuple[date, ...] = ()
    if last_success is None:
        note = "no successful execution in the listed history: nothing to catch up (etl-runner backfill fills the past)"
    else:
        horizon = current - timedelta(days=catch_up.horizon_days)
        first = max(last_success + timedelta(days=1), horizon)
        missed = tuple(d for d in periods.between(first, current - timedelta(days=1)) if not history.has_run(d))
    wanted = missed + current_wanted
    slots = max(0, catch_up.max_concurrent - running)
    return CatchUpPlan(current, missed, wanted[:slots], running, note)
