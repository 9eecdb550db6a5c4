"""The soak benchmark starts, runs a tiny kill storm at two load levels and prints its table."""

import re

import pytest


@pytest.mark.timeout(400)
def test_soak_benchmark_runs_quick(run_quick):
    stdout = run_quick("soak", timeout=380)
    assert (
        "| hog processes | succeeded / total | tasks/min | heartbeats late | worker behind | Glue runs per task "
        "| re-issued | re-issued while alive | p95 scheduled→succeeded s | workers killed |"
    ) in stdout
    for level in (0, 2):  # one row per --quick load level
        assert re.search(rf"^\| {level} \| \d+ / \d+ \|", stdout, re.MULTILINE)
