"""The small interface every service behind the task lifecycle implements.

The lifecycle (``runners.activity``) knows nothing about Glue or Athena; an
adapter knows nothing about Step Functions or DynamoDB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, Sequence


@dataclass(frozen=True)
class RunRef:
    """Enough to find one run again: its id, the key runs are grouped by, and
    the parsed task request (the S3 waiter's status depends on what it waits for)."""

    run_id: str
    group: str | None = None  # Glue: job name; Athena: work group; waiter: bucket
    request: Any = None


@dataclass(frozen=True)
class RunStatus:
    state: str
    terminal: bool
    succeeded: bool
    output: dict[str, Any] = field(default_factory=dict)
    error_message: str | None = None


class ServiceAdapter(Protocol):
    kind: str
    # Called as failure_error(message, **status.output) when a run ends badly: a
    # RunnerError subclass, or a function choosing one (the waiter's: schema drift or not).
    failure_error: Any

    def parse(self, payload: dict[str, Any]) -> Any:
        """Validate task input; raise InvalidTaskInputError on anything wrong."""

    def group_of(self, request: Any) -> str | None:
        """The batching key recorded with the run (Glue: job name)."""

    def find_started(self, task_id: str, request: Any, since: datetime) -> str | None:
        """A run an earlier, interrupted attempt already started for this task."""

    def start(self, task_id: str, request: Any) -> str:
        """Start the run idempotently for ``task_id``; return its id.

        Raises InvalidTaskInputError, JobStartFailedError or StartDeferred."""

    def statuses(self, runs: Sequence[RunRef]) -> dict[str, RunStatus]:
        """Status of many runs with as few calls as the service allows.
        Runs the service could not report this time are simply absent."""

    def stop(self, run: RunRef) -> None:
        """Ask the service to stop a run nobody will use."""


def iso(value: Any) -> str | None:
    """ISO 8601 for the datetimes boto3 returns."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
