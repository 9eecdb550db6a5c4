"""The health signal of a serving process, for a container health check.

No HTTP server: the process rewrites a small JSON file every few seconds
(``HealthBeacon``), saying whether every worker is well, and
``etl-runner health`` judges it (``read_health``). A process that is wedged
as a whole stops rewriting the file, so its age is the signal of last
resort; a thread that died or a loop that is stuck is written into it.

The file is replaced atomically (write a sibling, then rename), so a reader
never sees half a file. It holds no task token or ARN: only kinds, counts
and the problems' descriptions.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import structlog

log = structlog.get_logger("runners.health")

# `etl-runner health` without --max-age: the file must be younger than this.
DEFAULT_MAX_AGE_SECONDS = 30.0


@dataclass(frozen=True)
class HealthVerdict:
    healthy: bool
    reason: str


class HealthBeacon:
    """Rewrites ``path`` every ``interval`` seconds with what ``probe`` finds
    wrong (an empty list: healthy) until ``stop()``; the file is removed at
    stop, so a stale one never outlives the process that wrote it."""

    def __init__(self, path: str | os.PathLike[str], interval: float, probe: Callable[[], list[str]],
                 clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.interval = interval
        self._probe = probe
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_problems: list[str] = []

    def write_once(self) -> list[str]:
        """Probe and write one verdict; return the problems found."""
        try:
            problems = self._probe()
        except Exception as exc:  # noqa: BLE001 - a probe that fails is itself a problem
            problems = [f"health probe failed: {exc}"[:300]]
        if problems and problems != self.last_problems:
            log.warning("unhealthy", problems=problems)
        elif not problems and self.last_problems:
            log.info("healthy_again")
        self.last_problems = problems
        record = {"healthy": not problems, "problems": problems, "written_at": self._clock(), "pid": os.getpid()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(record), encoding="utf-8")
        os.replace(partial, self.path)
        return problems

    def start(self) -> "HealthBeacon":
        self.write_once()
        self._thread = threading.Thread(target=self._loop, name="health", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 5)
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.write_once()
            except OSError as exc:  # e.g. the disk is full: the file goes stale, which says it
                log.warning("health_write_failed", error=str(exc)[:300])


def read_health(path: str | os.PathLike[str], max_age_seconds: float, now: float | None = None) -> HealthVerdict:
    """Healthy when the file exists, is younger than ``max_age_seconds`` and
    says healthy; otherwise why not."""
    now = time.time() if now is None else now
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
        written_at = float(record["written_at"])
        healthy = record["healthy"] is True
        problems = [str(p) for p in record.get("problems", [])]
    except FileNotFoundError:
        return HealthVerdict(False, f"no health file at {path}: the service is not running (or not yet started)")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return HealthVerdict(False, f"unreadable health file {path}: {exc}")
    age = now - written_at
    if age > max_age_seconds:
        return HealthVerdict(False, f"health file is {age:.0f} s old (limit {max_age_seconds:.0f} s): the process is stuck")
    if not healthy:
        return HealthVerdict(False, "unhealthy: " + "; ".join(problems or ["no reason given"]))
    return HealthVerdict(True, f"healthy ({age:.1f} s ago)")
