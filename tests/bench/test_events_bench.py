"""bench.events starts, measures every mode and both run lengths at a tiny
size, prints its tables and draws its chart; by events a run is reported
well inside the latency target, and polling today costs status calls."""

import re

import pytest

pytestmark = pytest.mark.timeout(420)


def _row(stdout: str, *leading: str) -> list[str]:
    for line in stdout.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[: len(leading)] == list(leading):
            return cells
    raise AssertionError(f"no table row starting {leading!r} in:\n{stdout}")


def test_events_bench_prints_its_tables_and_draws_its_chart(run_quick):
    stdout = run_quick("events", timeout=400)
    assert "| runner | mode | p50 s | p95 s | max s | tasks |" in stdout
    for kind in ("glue", "athena"):
        for mode in ("events", "events, every end lost", "Lambda handler (warm)", "polling, no events queue", "today"):
            assert re.search(rf"\| {kind} \| {re.escape(mode)} \| \d+\.\d+ \|", stdout), (kind, mode)
        assert float(_row(stdout, kind, "events")[2]) < 1.5
    assert float(_row(stdout, "5 s", "events", "1")[4]) == 0.0, "by events a short run costs no status call"
    assert float(_row(stdout, "5 s", "today", "1")[4]) > 1.0
    assert "| item | formula | $ / month |" in stdout and "| schedule | memory MB | $ / month |" in stdout
