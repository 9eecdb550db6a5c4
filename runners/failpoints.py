"""Crash injection for the kill-at-any-instant tests.

``ETL_FAILPOINT=after_start`` makes the process SIGKILL itself when it passes
the named point, so a test can prove recovery from exactly that instant. With
the variable unset this is one dict lookup.
"""

from __future__ import annotations

import os
import signal

from .config import ENV_FAILPOINT

POINTS = ("after_record", "after_claim", "after_start", "before_report", "after_report")


def hit(point: str) -> None:
    assert point in POINTS, point
    if os.environ.get(ENV_FAILPOINT) == point:
        os.kill(os.getpid(), signal.SIGKILL)
