"""bench.api_calls starts, prints its tables, draws its chart, and its
smallest numbers are what batching promises."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _row(stdout: str, *leading: str) -> list[str]:
    for line in stdout.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[: len(leading)] == list(leading):
            return cells
    raise AssertionError(f"no table row starting {leading!r} in:\n{stdout}")


def test_quick_run_prints_tables_and_draws_chart(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bench.api_calls", "--quick", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "| Service | Job names | Active runs N |" in result.stdout
    assert "| API call (service.Operation) |" in result.stdout
    assert (tmp_path / "api_calls.png").stat().st_size > 0
    assert (tmp_path / "api_calls.md").read_text() in result.stdout

    # 100 active queries: two BatchGetQueryExecution calls, against 100 GetQueryExecution.
    athena = _row(result.stdout, "Athena", "-", "100")
    assert (athena[3], athena[5]) == ("2", "100")
    # 100 runs of one job: one GetJobRuns page; of ten jobs: one call per job.
    assert _row(result.stdout, "Glue", "1", "100")[3] == "1"
    assert _row(result.stdout, "Glue", "10", "100")[3] == "10"
