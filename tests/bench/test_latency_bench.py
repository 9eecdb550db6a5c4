"""bench.latency starts, measures both steps and the pipeline, and prints its table (tiny size)."""

import re

import pytest

pytestmark = pytest.mark.timeout(660)


def test_latency_bench_prints_its_tables_and_draws_its_chart(run_quick):
    stdout = run_quick("latency", timeout=600)
    assert "| runner | step | p50 s | p95 s | max s | tasks |" in stdout
    for kind in ("glue", "athena"):
        assert re.search(rf"\| {kind} \| job terminal -> SendTaskSuccess \| \d+\.\d+ \|", stdout)
    assert "| wall s | waiting for data s |" in stdout
