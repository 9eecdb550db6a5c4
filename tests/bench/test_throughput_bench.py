"""The throughput benchmark starts, runs a tiny load and prints its table."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_throughput_benchmark_runs_quick(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bench.throughput", "--quick", "--out", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| contender | tasks/s |" in done.stdout
    assert (tmp_path / "throughput.png").is_file()
    assert (tmp_path / "throughput.md").is_file()
