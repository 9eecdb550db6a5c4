"""Smoke test of benchmark 4 (local engine): the quick mode runs end to end.

It measures nothing; it proves the command works, that DuckDB and the Spark
scripts agree on a tiny input (the benchmark exits non-zero if they do not),
and that the table and chart are written.
"""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest

missing = [name for name in ("pyspark", "duckdb", "psutil", "matplotlib") if importlib.util.find_spec(name) is None]
pytestmark = [
    pytest.mark.skipif(bool(missing), reason=f"the engine benchmark needs {', '.join(missing)}"),
    pytest.mark.skipif(not (shutil.which("java") or os.environ.get("JAVA_HOME")), reason="local Spark needs Java"),
    pytest.mark.timeout(240),  # about 15 s: one Spark start and 2,000 rows
]


def test_quick_run_prints_a_table_and_draws_the_chart(run_quick) -> None:
    stdout = run_quick("engine", timeout=220)
    assert "| sales rows | engine | step | median s |" in stdout
    assert "| DuckDB | **one statement** |" in stdout
