"""Each benchmark's smoke test runs it at its tiny ``--quick`` size, as a user would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def run_quick(tmp_path: Path) -> Callable[[str], str]:
    """Run ``python -m bench.NAME --quick``; check it exits 0 and writes its
    table and chart; return what it printed."""

    def run(name: str, timeout: float = 240) -> str:
        done = subprocess.run(
            [sys.executable, "-m", f"bench.{name}", "--quick", "--out", str(tmp_path)],
            cwd=REPO, capture_output=True, text=True, timeout=timeout,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert (tmp_path / f"{name}.md").read_text() in done.stdout
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000
        return done.stdout

    return run
