"""What Step Functions knows about a pipeline's periods: its executions, by run date.

The only state backfill, catch-up and redrive read is ListExecutions (no
local file), so a command can be interrupted and run again anywhere.
Executions are matched to run dates by name (``execution_name`` and
``rerun_execution_name``); executions with other names (started by hand
with a name of their own) are not any period's.

A period's status is its latest attempt's: the rerun with the highest
number, or the first run. Step Functions lists closed executions for 90 days
after they end; older periods look as if they never ran.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable

from runners.pipelines.triggers import rerun_execution_name, run_date_of_execution

RUNNING = "RUNNING"
SUCCEEDED = "SUCCEEDED"
PENDING_REDRIVE = "PENDING_REDRIVE"  # a redriven execution before it runs again
ACTIVE = frozenset({RUNNING, PENDING_REDRIVE})
UNSUCCESSFUL = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})


@dataclass(frozen=True)
class Attempt:
    """One execution of a period."""

    run_date: str
    rerun: int  # 0: the first run
    name: str
    arn: str
    status: str
    start_date: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


@dataclass
class History:
    """A state machine's executions, by run date."""

    attempts: dict[str, list[Attempt]] = field(default_factory=dict)  # run date -> attempts, first run first
    others: int = 0  # executions whose name is not a run date's
    running_others: int = 0

    @classmethod
    def from_executions(cls, executions: Iterable[dict[str, Any]]) -> "History":
        by_date: dict[str, list[Attempt]] = defaultdict(list)
        history = cls()
        for execution in executions:
            parsed = run_date_of_execution(execution["name"])
            if parsed is None:
                history.others += 1
                history.running_others += execution["status"] in ACTIVE
                continue
            by_date[parsed[0]].append(Attempt(parsed[0], parsed[1], execution["name"], execution["executionArn"],
                                              execution["status"], execution.get("startDate")))
        history.attempts = {d: sorted(a, key=lambda x: x.rerun) for d, a in by_date.items()}
        return history

    @classmethod
    def read(cls, sfn: Any, state_machine_arn: str) -> "History":
        """Every execution Step Functions lists for the state machine (newest first, paged)."""
        executions: list[dict[str, Any]] = []
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn):
            executions.extend(page["executions"])
        return cls.from_executions(executions)

    # -- one period --------------------------------------------------------------
    def latest(self, run_date: date | str) -> Attempt | None:
        found = self.attempts.get(str(run_date))
        return found[-1] if found else None

    def status(self, run_date: date | str) -> str | None:
        latest = self.latest(run_date)
        return latest.status if latest else None

    def has_run(self, run_date: date | str) -> bool:
        return str(run_date) in self.attempts

    def next_rerun_name(self, run_date: date | str) -> str:
        attempts = self.attempts.get(str(run_date), [])
        return rerun_execution_name(str(run_date), max((a.rerun for a in attempts), default=0) + 1)

    # -- all periods ---------------------------------------------------------------
    def last_succeeded(self, before: date | None = None) -> date | None:
        """The newest run date whose latest attempt SUCCEEDED (before ``before``, if given)."""
        dates = [date.fromisoformat(d) for d, a in self.attempts.items() if a[-1].status == SUCCEEDED]
        if before is not None:
            dates = [d for d in dates if d < before]
        return max(dates, default=None)

    def active(self) -> list[Attempt]:
        return [a for attempts in self.attempts.values() for a in attempts if a.active]

    def running_count(self) -> int:
        """Executions of the state machine running now, whatever their name."""
        return len(self.active()) + self.running_others


REASON_FIELDS = ("StateChangeReason", "ErrorMessage", "errorMessage", "Cause", "message")


def failure_text(described: dict[str, Any], limit: int = 300) -> str:
    """``STATUS: Error: reason`` of an ended execution (DescribeExecution), the
    cause's reason field when the cause is a runner's JSON."""
    cause = described.get("cause") or ""
    try:
        parsed = json.loads(cause)
    except (json.JSONDecodeError, TypeError):
        parsed = None
    if isinstance(parsed, dict):
        cause = next((str(parsed[f]) for f in REASON_FIELDS if parsed.get(f)), cause)
    text = f"{described['status']}: {described.get('error') or ''}: {cause}".rstrip(": ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
