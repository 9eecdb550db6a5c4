"""What the runners hold right now: their DynamoDB task records (runners.state).

A record lives from the moment a worker takes a task until it has reported
it, and knows what Step Functions cannot say while a task runs: which Glue
run or Athena query it started. A running state is matched to its record by
its task input (the ActivityScheduled input is the record's raw input).
Task tokens are credentials: they are read with the record, never shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from pynamodb.exceptions import PynamoDBException

from runners.config import Settings
from runners.service import KINDS
from runners.state import TaskStore


@dataclass(frozen=True)
class InFlightTask:
    kind: str
    task_id: str  # a hash of the token, safe to show
    phase: str
    received_at: datetime | None
    started_at: datetime | None
    run_id: str | None
    run_group: str | None  # Glue: the job name
    owner: str | None
    raw_input: str | None

    def matches(self, task_input: str | None) -> bool:
        return _same_json(self.raw_input, task_input)

    @property
    def label(self) -> str:
        """The job or query the task is about, from its input."""
        data = _json(self.raw_input)
        if not isinstance(data, dict):
            return ""
        for key in ("GlueJobName", "AthenaNamedQuery", "Pattern", "Key", "Prefix"):
            if data.get(key):
                return str(data[key])
        query = data.get("AthenaQueryString")
        return " ".join(str(query).split())[:60] if query else ""

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "taskId": self.task_id[:16], "phase": self.phase, "receivedAt": _iso(self.received_at),
                "startedAt": _iso(self.started_at), "runId": self.run_id, "runGroup": self.run_group, "owner": self.owner, "label": self.label}


def table_names(settings: Settings, prefix: str | None = None) -> dict[str, str]:
    """kind -> table: a local prefix's tables, or the configured ones (ETL_<KIND>_TABLE)."""
    if prefix:
        from runners.local.deploy import task_table_names

        settings = settings.with_(**task_table_names(prefix))
    return {kind: settings.table_name(kind) for kind in KINDS}


def in_flight(tables: dict[str, str], region: str, host: str | None) -> tuple[list[InFlightTask], list[str]]:
    """Every task record of the given tables, and the tables that do not exist."""
    tasks: list[InFlightTask] = []
    missing: list[str] = []
    for kind, table in tables.items():
        store = TaskStore(table, region, host)
        try:
            records = list(store.scan())
        except PynamoDBException as exc:
            if getattr(exc, "cause_response_code", None) == "ResourceNotFoundException":
                missing.append(table)
                continue
            raise
        for record in records:
            tasks.append(InFlightTask(kind, record.task_id, record.phase, record.received_at, record.started_at,
                                      record.run_id, record.run_group, record.owner, record.raw_input))
    return sorted(tasks, key=lambda t: (t.kind, t.received_at or datetime.min.replace(tzinfo=timezone.utc))), missing


def _json(text: str | None) -> Any:
    try:
        data = json.loads(text or "")
    except (TypeError, json.JSONDecodeError):
        return None
    if isinstance(data, str):  # the sample's shape: a JSON string holding the object
        try:
            return json.loads(data)
        except json.JSONDecodeError:
            return data
    return data


def _same_json(a: str | None, b: str | None) -> bool:
    left, right = _json(a), _json(b)
    return left is not None and left == right


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
