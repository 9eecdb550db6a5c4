"""Wait ``Timestamp``/``TimestampPath``: wait until that instant in UTC, never less.

Timestamps are RFC 3339 as the ASL specification profiles them (uppercase
T, ``Z`` or a numeric offset). moto compared a naive timestamp with the
host's local clock (outside UTC it waited hours too long or not at all) and
truncated to whole seconds (ending up to a second early).
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException
from moto.stepfunctions.parser.asl.component.state.wait.wait_function import timestamp as wait_timestamp
from moto.stepfunctions.parser.asl.eval.environment import Environment

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_timestamp(text: Any) -> datetime.datetime | None:
    """The aware UTC instant ``text`` names, or None if it is no valid timestamp."""
    if not isinstance(text, str) or not _RFC3339.match(text):
        return None
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(datetime.timezone.utc)
    except ValueError:
        return None


def _timestamp_from_string(timestamp: str) -> datetime.datetime | None:
    return parse_timestamp(timestamp)


def _wait_until(self: wait_timestamp.Timestamp, env: Environment) -> None:
    """Sleep until the timestamp (UTC) has passed, or the execution ends."""
    self.string.eval(env=env)
    text = env.stack.pop()
    deadline = parse_timestamp(text)
    if deadline is None:
        raise FailureEventException(self._create_failure_event(env, text))
    while env.is_running():
        remaining = (deadline - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
        if remaining <= 0:
            return
        env.program_state_event.wait(min(remaining, 1.0))


def install() -> None:
    """Replace moto's timestamp parsing and wait (idempotent)."""
    wait_timestamp.Timestamp._from_timestamp_string = staticmethod(_timestamp_from_string)  # type: ignore[method-assign]
    wait_timestamp.Timestamp._eval_body = _wait_until  # type: ignore[method-assign]
