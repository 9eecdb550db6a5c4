"""Smoke test of benchmark 4 (local engine): the quick mode runs end to end.

It measures nothing; it proves the command works, that DuckDB and the Spark
scripts agree on a tiny input (the benchmark exits non-zero if they do not),
and that the table and chart are written.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

missing = [name for name in ("pyspark", "duckdb", "psutil", "matplotlib") if importlib.util.find_spec(name) is None]
pytestmark = [
    pytest.mark.skipif(bool(missing), reason=f"the engine benchmark needs {', '.join(missing)}"),
    pytest.mark.skipif(not (shutil.which("java") or os.environ.get("JAVA_HOME")), reason="local Spark needs Java"),
    pytest.mark.timeout(240),  # about 15 s: one Spark start and 2,000 rows
]


def test_quick_run_prints_a_table_and_draws_the_chart(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.engine", "--quick", "--out", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=220,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| sales rows | engine | step | median s |" in done.stdout
    assert "| DuckDB | **one statement** |" in done.stdout
    assert (tmp_path / "engine.png").is_file()
    assert (tmp_path / "engine.md").is_file()
