"""Terminal text: durations, times, short causes, marks. One place, so the
commands and the console say things the same way."""

from __future__ import annotations

import json
from datetime import datetime, timezone

MARKS = {"succeeded": "✓", "failed": "✗", "running": "▶", "cancelled": "⊘", "not reached": "·"}
EXECUTION_MARKS = {"SUCCEEDED": "✓", "FAILED": "✗", "TIMED_OUT": "✗", "ABORTED": "⊘", "RUNNING": "▶", "PENDING_REDRIVE": "↻"}


def duration(seconds: float | None) -> str:
    """1.2s, 3m 04s, 2h 05m."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def when(value: datetime | str | None) -> str:
    """A time in UTC to the second."""
    if value is None:
        return "-"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def short_cause(cause: str | None, limit: int = 300) -> str:
    """The message of a cause: our causes are JSON with errorMessage; Glue's has ErrorMessage."""
    if not cause:
        return ""
    try:
        parsed = json.loads(cause)
    except (json.JSONDecodeError, TypeError):
        parsed = None
    if isinstance(parsed, dict):
        message = parsed.get("errorMessage") or parsed.get("ErrorMessage") or parsed.get("Cause")
        if message:
            cause = str(message)
    text = " ".join(cause.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def table(rows: list[list[str]], indent: str = "  ") -> list[str]:
    """Rows padded into columns (the first row is the header)."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
