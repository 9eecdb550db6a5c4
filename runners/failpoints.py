"""Crash and stall injection for the kill-at-any-instant tests.

``ETL_FAILPOINT=after_start`` makes the process SIGKILL itself when it passes
the named point, so a test can prove recovery from exactly that instant
(``event_received``: a job event taken from the queue, not yet handled).
``ETL_FAILPOINT=before_record:sleep=1.5`` stalls the thread there instead, so
a test can act (send a signal) while the process sits at that instant. With
the variable unset this is one dict lookup.
"""

from __future__ import annotations

import os
import signal
import time

from .config import ENV_FAILPOINT

POINTS = ("before_record", "after_record", "after_claim", "after_start", "before_report", "after_report", "event_received")


def hit(point: str) -> None:
    assert point in POINTS, point
    setting = os.environ.get(ENV_FAILPOINT)
    if not setting:
        return
    name, _, action = setting.partition(":")
    if name != point:
        return
    if action.startswith("sleep="):
        time.sleep(float(action.removeprefix("sleep=")))
    else:
        os.kill(os.getpid(), signal.SIGKILL)
