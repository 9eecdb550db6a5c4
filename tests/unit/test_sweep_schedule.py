"""The sweep's insurance against lost job events costs a few status calls
per run, not one per sweep for as long as the run lasts."""

from __future__ import annotations

import itertools

import pytest

from runners.sweep_schedule import check_ages, is_due

MINUTE = 60.0


def checks_over(seconds: float, interval: float = MINUTE, max_gap: float = 300.0, phase: float = 0.5) -> int:
    """Status checks a run of ``seconds`` gets from sweeps one interval apart,
    the first ``phase`` of an interval after it starts."""
    ages = (interval * (phase + k) for k in itertools.count())
    return sum(is_due(age, interval, max_gap) for age in itertools.takewhile(lambda a: a < seconds, ages))


def test_a_run_is_checked_by_its_first_sweep_then_after_gaps_doubling_up_to_the_max_gap():
    ages = list(itertools.islice(check_ages(MINUTE, 300.0), 7))
    assert [a / MINUTE for a in ages] == [0, 2, 6, 11, 16, 21, 26]


@pytest.mark.parametrize("seconds, checks", [(5, 0), (300, 2), (1800, 7), (3600, 13)])
def test_checks_grow_slowly_with_the_runs_length(seconds, checks):
    assert checks_over(seconds) == checks


@pytest.mark.parametrize("phase", [0.01, 0.3, 0.7, 0.99])
def test_whatever_the_sweeps_phase_each_check_age_is_hit_by_exactly_one_sweep(phase):
    sweeps = [MINUTE * (phase + k) for k in range(40)]
    due_ages = list(itertools.takewhile(lambda a: a <= sweeps[-1], check_ages(MINUTE, 300.0)))
    hits = [age for age in sweeps if is_due(age, MINUTE, 300.0)]
    assert len(hits) == len(due_ages)
    assert all(0 <= hit - due < MINUTE for hit, due in zip(hits, due_ages)), "each within one interval of its age"


def test_a_short_run_whose_event_is_lost_is_checked_within_one_interval():
    assert is_due(MINUTE * 0.99, MINUTE, 300.0)


def test_a_lost_end_of_a_long_run_waits_at_most_the_max_gap():
    ages = list(itertools.islice(check_ages(MINUTE, 300.0), 30))
    assert max(b - a for a, b in zip(ages, ages[1:])) == 300.0


def test_a_max_gap_no_longer_than_the_interval_checks_every_sweep_and_an_unknown_age_is_always_due():
    assert all(is_due(MINUTE * (k + 0.5), MINUTE, MINUTE) for k in range(20))
    assert is_due(None, MINUTE, 300.0)
