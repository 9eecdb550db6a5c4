"""When the sweep asks about a running job: its first sweep, then less often.

With job events a run's status call is only insurance against a lost event.
Asking every sweep makes that insurance cost grow with the run's length (a
30-minute Glue job: 30 calls). Instead a run is checked by the first sweep
after it starts (a short run whose event was lost is reported within one
sweep interval), then after gaps that double from two intervals up to
``max_gap`` (default 300 s, the interval at which Step Functions' own
``.sync`` integrations poll a long Glue job):

    sweeps since start:  0, 2, 6, 11, 16, 21, ...   (interval 60 s, max gap 300 s)

A 5-minute run is asked about twice, a 30-minute run 7 times, an hour-long
one 13 times; a lost end is noticed within one interval for a run shorter
than one, and within the current gap (at most ``max_gap``) for a longer one.
A ``max_gap`` no longer than the interval checks every run at every sweep.

Stateless: whichever worker sweeps decides from the run's ``started_at`` and
the sweep interval alone (sweeps are one interval apart; one running late
can at worst move a check to the next due sweep).
"""

from __future__ import annotations

from typing import Iterator


def check_ages(interval: float, max_gap: float) -> Iterator[float]:
    """The run ages (seconds) at which a check is due, in order: 0, then
    gaps of 2, 4, 8... intervals, each at most ``max_gap`` (and at least one
    interval)."""
    age, gap = 0.0, 2.0 * interval
    while True:
        yield age
        age += max(interval, min(gap, max_gap))
        gap *= 2.0


def is_due(age: float | None, interval: float, max_gap: float) -> bool:
    """True if a sweep now should ask about a run this old: a check age falls
    within the last interval. An unknown age is always due."""
    if age is None or max_gap <= interval:
        return True
    for due in check_ages(interval, max_gap):
        if due > age:
            return False
        if due > age - interval:
            return True
    return False  # pragma: no cover - the generator never ends
