"""Smoke test of the Glue run overhead benchmark: the quick mode runs one cold and one warm job end to end."""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest

missing = [name for name in ("pyspark", "matplotlib") if importlib.util.find_spec(name) is None]
pytestmark = [
    pytest.mark.skipif(bool(missing), reason=f"the benchmark needs {', '.join(missing)}"),
    pytest.mark.skipif(not (shutil.which("java") or os.environ.get("JAVA_HOME")), reason="local Spark needs Java"),
    pytest.mark.timeout(300),
]


def test_quick_run_prints_a_table_and_draws_the_chart(run_quick) -> None:
    stdout = run_quick("glue_overhead", timeout=280)
    assert "| run | wall s (median) | script s (median) | overhead s (median) |" in stdout
    assert "| cold (first run: driver and Spark start) |" in stdout
    assert "| warm |" in stdout
