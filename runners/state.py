"""Durable task records in DynamoDB (pynamodb).

A record exists from the moment a task is taken from Step Functions until it
has been reported; every phase change is a conditional write, so several
workers on one table never start or report a task twice.

Phases (timeline of one task)::

    GetActivityTask -> put RECEIVED (only if absent)
    [DependencyGate closed: stay RECEIVED, gate_closed_at set once, lease
     released; each cycle looks again without writing, until it opens or
     MaxWaitSeconds after gate_closed_at fails the task]
    claim           -> STARTING, owner=me, lease_until=now+lease
    StartJobRun / StartQueryExecution (idempotent by task id)
    update          -> RUNNING, run_id          (only if still mine)
    ... status checks, heartbeats ...
    claim           -> REPORTING, outcome saved (only if RUNNING)
    SendTaskSuccess / SendTaskFailure
    delete

A worker that dies mid-phase leaves its lease behind; once it expires any
worker may take the record over and finish the phase (adopting a started run).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.models import Model

from .dynamo import bind, ensure_table

RECEIVED = "RECEIVED"
STARTING = "STARTING"
RUNNING = "RUNNING"
REPORTING = "REPORTING"
PHASES = (RECEIVED, STARTING, RUNNING, REPORTING)


def task_id_for(token: str) -> str:
    """A stable, non-secret id for a task token (also Athena's ClientRequestToken)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class TaskRecord(Model):
    """One task taken from an activity. Bound to a table by ``TaskStore``."""

    class Meta:
        table_name = "unbound"
        billing_mode = "PAY_PER_REQUEST"

    task_id = UnicodeAttribute(hash_key=True)
    task_token = UnicodeAttribute()
    raw_input = UnicodeAttribute(null=True)
    #: Why ``raw_input`` could not be stored as received (the task then fails
    #: with InvalidTaskInputError instead of being lost with its token).
    input_error = UnicodeAttribute(null=True)
    phase = UnicodeAttribute()
    received_at = UTCDateTimeAttribute()
    owner = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(default=0)
    not_before = NumberAttribute(default=0)
    start_attempts = NumberAttribute(default=0)
    start_errors = NumberAttribute(default=0)  # transient start failures in a row
    run_group = UnicodeAttribute(null=True)
    run_id = UnicodeAttribute(null=True)
    started_at = UTCDateTimeAttribute(null=True)
    #: When the task's dependency gate was first found closed: its
    #: MaxWaitSeconds counts from here, whichever worker (or restart) looks.
    gate_closed_at = UTCDateTimeAttribute(null=True)
    outcome = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)


class Conflict(Exception):
    """Another worker changed the record first; this one backs off."""


class TaskStore:
    """Conditional operations on one table of task records."""

    def __init__(self, table_name: str, region: str, host: str | None, ttl_days: int = 14) -> None:
        self.model = bind(TaskRecord, table_name, region, host)
        self.table_name = table_name
        self._ttl = timedelta(days=ttl_days)

    def ensure_table(self) -> None:
        """Create the table if missing (local runs; CloudFormation owns it on AWS)."""
        ensure_table(self.model)

    # -- create --------------------------------------------------------------
    def create(self, token: str, raw_input: str | None, owner: str | None = None, lease_until: float = 0) -> TaskRecord:
        """Record a task, leased to the claim that received it: other workers'
        cycles leave it alone while its receiver starts it (no lease: anyone may)."""
        now = utcnow()
        raw_input, input_error = storable_input(raw_input)
        record = self.model(
            task_id_for(token),
            task_token=token,
            raw_input=raw_input,
            input_error=input_error,
            phase=RECEIVED,
            received_at=now,
            owner=owner,
            lease_until=lease_until,
            expires_at=now + self._ttl,
        )
        try:
            record.save(condition=self.model.task_id.does_not_exist())
        except PutError as exc:
            if _conditional(exc):
                raise Conflict("task already recorded") from None
            raise
        return record

    # -- read ----------------------------------------------------------------
    def scan(self) -> Iterator[TaskRecord]:
        """Every record, every page: no task is ever starved."""
        return self.model.scan(consistent_read=True)

    def get(self, task_id: str) -> TaskRecord | None:
        try:
            return self.model.get(task_id, consistent_read=True)
        except self.model.DoesNotExist:
            return None

    # -- phase changes -------------------------------------------------------
    def claim(self, record: TaskRecord, to_phase: str, owner: str, lease_seconds: float, now: float, **sets: Any) -> None:
        """Take the record into ``to_phase`` if it is still as we saw it and
        nobody else holds a live lease on it."""
        m = self.model
        condition = (m.phase == record.phase) & ((m.lease_until < now) | (m.owner == owner))
        if record.phase == RECEIVED:
            condition = condition & (m.not_before <= now)
        actions = [m.phase.set(to_phase), m.owner.set(owner), m.lease_until.set(now + lease_seconds)]
        actions += [getattr(m, name).set(value) for name, value in sets.items()]
        self._update(record, actions, condition)

    def advance(self, record: TaskRecord, owner: str, to_phase: str, **sets: Any) -> None:
        """Move a record we hold the lease on to its next phase."""
        m = self.model
        condition = (m.phase == record.phase) & (m.owner == owner)
        actions = [m.phase.set(to_phase)] + [getattr(m, name).set(value) for name, value in sets.items()]
        self._update(record, actions, condition)

    def hold_at_gate(self, record: TaskRecord, owner: str, now: float) -> None:
        """Note that the task's gate is closed: set ``gate_closed_at`` unless
        some worker already did (the first sighting wins, so a restart never
        restarts the wait), and release the lease so any worker's next cycle
        may look at the gate again. Only while RECEIVED and not leased by
        another claim (the receiver's own lease is ours to release)."""
        m = self.model
        condition = (m.phase == RECEIVED) & ((m.lease_until < now) | (m.owner == owner))
        closed_at = datetime.fromtimestamp(now, timezone.utc)
        actions = [m.gate_closed_at.set(m.gate_closed_at | closed_at), m.lease_until.set(0)]
        self._update(record, actions, condition)

    def _update(self, record: TaskRecord, actions: list[Any], condition: Any) -> None:
        try:
            record.update(actions=actions, condition=condition)
        except UpdateError as exc:
            if _conditional(exc):
                raise Conflict(f"record {record.task_id[:12]} changed under us") from None
            raise

    def delete(self, record: TaskRecord) -> None:
        try:
            record.delete(condition=self.model.task_id.exists())
        except DeleteError as exc:
            if not _conditional(exc):
                raise


def storable_input(raw_input: str | None) -> tuple[str | None, str | None]:
    """The input as it can be stored, and why not if it cannot: DynamoDB (like
    every AWS API) only carries valid UTF-8, and a JSON input may hold half a
    surrogate pair."""
    if raw_input is None:
        return None, None
    try:
        raw_input.encode("utf-8")
    except UnicodeEncodeError as exc:
        return None, f"task input is not valid Unicode: an unpaired surrogate (U+{ord(raw_input[exc.start]):04X}) at character {exc.start}"
    return raw_input, None


def _conditional(exc: Exception) -> bool:
    cause = getattr(exc, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException"
