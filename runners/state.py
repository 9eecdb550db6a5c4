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

Who looks after a record between phase changes is its ``holder``: the
worker instance that received it (or took it over), which keeps it in memory,
heartbeats it and moves it on; no worker reads the table to find its own
work. Each worker says it is alive with one small item
(``worker#<holder>``, ``alive_until``); the slow sweep, run by one worker per
interval (``sweep#turn``), lists every record and worker through the
``sweep-index`` and takes over the records of workers that are gone. A job
state change event finds its record through the ``run_id-index``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from .dynamo import bind, ensure_table

RECEIVED = "RECEIVED"
STARTING = "STARTING"
RUNNING = "RUNNING"
REPORTING = "REPORTING"
PHASES = (RECEIVED, STARTING, RUNNING, REPORTING)
# Items of the table that are not tasks.
WORKER = "WORKER"  # a worker's "I am alive" item
SWEEP_TURN_KEY = "sweep#turn"  # whose turn the next sweep is
SWEEP_TURN_SLACK = 0.1  # of an interval: see TaskStore.take_sweep_turn
WORKER_KEY_PREFIX = "worker#"
# The one partition of the sweep index: every task and worker item is in it
# (a few hundred small items; one Query pages through them all).
SWEEP_SHARD = "all"
RUN_INDEX = "run_id-index"
SWEEP_INDEX = "sweep-index"
# What the sweep needs of each item (the rest is read only for a record it acts on).
SWEEP_ATTRIBUTES = ["phase", "run_id", "run_group", "holder", "lease_until", "alive_until", "started_at"]


def task_id_for(token: str) -> str:
    """A stable, non-secret id for a task token (also Athena's ClientRequestToken)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class RunIndex(GlobalSecondaryIndex["TaskRecord"]):
    """Records by run id (only those with a run): how a job's event finds its task."""

    class Meta:
        index_name = RUN_INDEX
        projection = AllProjection()

    run_id = UnicodeAttribute(hash_key=True)


class SweepIndex(GlobalSecondaryIndex["TaskRecord"]):
    """Every task and worker item, a few attributes each: what a sweep reads."""

    class Meta:
        index_name = SWEEP_INDEX
        projection = IncludeProjection(SWEEP_ATTRIBUTES)

    sweep_shard = UnicodeAttribute(hash_key=True)


class TaskRecord(Model):
    """One task taken from an activity (or, with phase WORKER, a worker's
    liveness item). Bound to a table by ``TaskStore``."""

    class Meta:
        table_name = "unbound"
        billing_mode = "PAY_PER_REQUEST"

    task_id = UnicodeAttribute(hash_key=True)
    task_token = UnicodeAttribute(null=True)  # always set on tasks; worker items have none
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
    #: The worker instance looking after the record (see the module doc).
    holder = UnicodeAttribute(null=True)
    sweep_shard = UnicodeAttribute(null=True)
    #: Worker items: the holder counts as gone after this (epoch seconds).
    alive_until = NumberAttribute(null=True)
    #: The sweep-turn item: when the next sweep is due (epoch seconds).
    next_sweep_at = NumberAttribute(null=True)

    run_index = RunIndex()
    sweep_index = SweepIndex()

    @property
    def is_task(self) -> bool:
        return self.phase in PHASES


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
    def create(self, token: str, raw_input: str | None, owner: str | None = None, lease_until: float = 0, holder: str | None = None) -> TaskRecord:
        """Record a task, leased to the claim that received it: other workers'
        cycles leave it alone while its receiver starts it (no lease: anyone
        may). ``holder``: the worker instance that will look after it."""
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
            holder=holder,
            sweep_shard=SWEEP_SHARD,
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
        """Every task record, every page: no task is ever starved. (Lambda
        mode's cycle and tests; a serving worker never scans.)"""
        return (record for record in self.model.scan(consistent_read=True) if record.is_task)

    def find_by_run(self, run_id: str) -> list[TaskRecord]:
        """The task records of a run, from the run index (eventually
        consistent: a record may be a moment behind; every change made from
        it is conditional)."""
        return [record for record in self.model.run_index.query(run_id) if record.is_task]

    def sweep_view(self) -> tuple[dict[str, float], list[TaskRecord]]:
        """(alive_until by worker, every task record) as the sweep index has
        them: a few attributes each (``SWEEP_ATTRIBUTES``)."""
        workers: dict[str, float] = {}
        tasks: list[TaskRecord] = []
        for item in self.model.sweep_index.query(SWEEP_SHARD):
            if item.phase == WORKER:
                workers[item.task_id.removeprefix(WORKER_KEY_PREFIX)] = float(item.alive_until or 0)
            elif item.is_task:
                tasks.append(item)
        return workers, tasks

    # -- workers and the sweep -------------------------------------------------
    def say_alive(self, holder: str, until: float) -> None:
        """This worker instance holds its records until ``until`` at least."""
        expires = datetime.fromtimestamp(until, timezone.utc) + self._ttl
        self.model(f"{WORKER_KEY_PREFIX}{holder}", phase=WORKER, received_at=utcnow(), alive_until=until,
                   sweep_shard=SWEEP_SHARD, expires_at=expires).save()

    def forget_worker(self, holder: str) -> None:
        """The worker is gone (a drained worker says so at once): its records go to the next sweep."""
        try:
            self.model(f"{WORKER_KEY_PREFIX}{holder}").delete()
        except DeleteError:
            pass

    def take_sweep_turn(self, now: float, interval: float) -> bool:
        """True if the sweep is due and this caller now has it: the next one is
        due ``interval`` from now, whoever asks. A caller a tenth of an
        interval early still gets it (a worker's timer and its clock reading
        differ by the time a sweep takes; without the slack one worker alone
        would sweep every other interval)."""
        m = self.model
        turn = m(SWEEP_TURN_KEY)
        try:
            turn.update(actions=[m.next_sweep_at.set(now + interval), m.phase.set("SWEEP")],
                        condition=m.next_sweep_at.does_not_exist() | (m.next_sweep_at <= now + SWEEP_TURN_SLACK * interval))
        except UpdateError as exc:
            if _conditional(exc):
                return False
            raise
        return True

    def take_over(self, record: TaskRecord, holder: str) -> TaskRecord | None:
        """Become the record's holder if it still has the holder we saw; the
        whole record as it is now, or None if someone else changed hands first."""
        m = self.model
        seen = record.holder
        condition = m.holder.does_not_exist() if seen is None else (m.holder == seen)
        current = m(record.task_id)
        try:
            current.update(actions=[m.holder.set(holder)], condition=condition & m.phase.is_in(*PHASES))
        except UpdateError as exc:
            if _conditional(exc):
                return None
            raise
        return current

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
