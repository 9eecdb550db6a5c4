"""bench.latency starts, measures both steps and the pipeline, and prints its table (tiny size)."""

import re
import subprocess
import sys


def test_latency_bench_prints_its_tables_and_draws_its_chart(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bench.latency", "--quick", "--out", str(tmp_path)], capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| runner | step | p50 s | p95 s | max s | tasks |" in done.stdout
    for kind in ("glue", "athena"):
        assert re.search(rf"\| {kind} \| job terminal -> SendTaskSuccess \| \d+\.\d+ \|", done.stdout)
    assert "| wall s | waiting for data s |" in done.stdout
    assert (tmp_path / "latency.md").read_text().startswith("### Step latency")
    assert (tmp_path / "latency.png").stat().st_size > 10_000
