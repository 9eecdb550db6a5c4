"""The throughput benchmark starts, runs a tiny load and prints its table."""


def test_throughput_benchmark_runs_quick(run_quick):
    stdout = run_quick("throughput")
    assert "| contender | tasks/s |" in stdout
