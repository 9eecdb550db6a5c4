"""Assembles a lifecycle for one kind of runner from settings (no globals)."""

from __future__ import annotations

import time
from typing import Callable

from .activity import CycleReport, TaskLifecycle
from .adapter import ServiceAdapter
from .arrivals import ArrivalStore
from .athena import AthenaAdapter
from .aws import AwsClients
from .config import Settings
from .events_consumer import EventsQueue
from .gate import GateChecker
from .glue import GlueAdapter
from .job_events import EARLY_EVENT_SECONDS, Handled, JobEvent, handle_event, parse_event
from .s3_waiter import S3WaitAdapter, objects_from_event
from .state import TaskStore

KINDS = ("glue", "athena", "wait")
GATED_KINDS = ("glue", "athena")


def build_arrivals(settings: Settings, clients: AwsClients) -> ArrivalStore:
    return ArrivalStore(settings.arrivals_table, clients.region, clients.endpoint_for("dynamodb"), settings.record_ttl_days)


ADAPTERS: dict[str, Callable[[AwsClients, Settings], ServiceAdapter]] = {
    "glue": lambda clients, settings: GlueAdapter(clients.glue, settings.cycle_retry()),
    "athena": lambda clients, settings: AthenaAdapter(clients.athena, settings.cycle_retry()),
    "wait": lambda clients, settings: S3WaitAdapter(clients.client("s3"), build_arrivals(settings, clients), clients.glue),
}


def build_store(kind: str, settings: Settings, clients: AwsClients) -> TaskStore:
    return TaskStore(settings.table_name(kind), clients.region, clients.endpoint_for("dynamodb"), settings.record_ttl_days)


def ensure_tables(kind: str, settings: Settings, clients: AwsClients) -> None:
    """Create the kind's tables if missing (local runs; the stack owns them on AWS)."""
    build_store(kind, settings, clients).ensure_table()
    if kind == "wait":
        build_arrivals(settings, clients).ensure_table()


def build_lifecycle(kind: str, settings: Settings, clients: AwsClients | None = None) -> TaskLifecycle:
    if kind not in ADAPTERS:
        raise ValueError(f"unknown runner kind {kind!r}; expected one of {', '.join(KINDS)}")
    clients = clients or AwsClients(settings)
    # Glue and Athena steps may carry a DependencyGate; waits may not.
    gates = GateChecker(clients.glue, clients.sfn, settings.cycle_retry()) if kind in GATED_KINDS else None
    queue_url = settings.events_queue_url(kind)
    events = EventsQueue(clients.client("sqs"), queue_url) if queue_url else None
    return TaskLifecycle(ADAPTERS[kind](clients, settings), build_store(kind, settings, clients), clients.sfn, settings,
                         gate_checker=gates, events=events)


def on_objects_created(event: dict, settings: Settings, clients: AwsClients | None = None, lifecycle: TaskLifecycle | None = None) -> CycleReport:
    """Record the arrivals an S3 event names, then check the waits once.

    Recording comes first: a wait recorded after this check still finds the
    arrival (see runners.s3_waiter for the ordering argument)."""
    clients = clients or AwsClients(settings)
    arrivals = build_arrivals(settings, clients)
    for obj in objects_from_event(event):
        arrivals.record(obj)
    lifecycle = lifecycle or build_lifecycle("wait", settings, clients)
    return lifecycle.check_all()


def on_job_event_messages(event: dict, settings: Settings, clients: AwsClients | None = None,
                          budget_seconds: float | None = None, lifecycles: dict[str, TaskLifecycle] | None = None) -> dict:
    """The job events in an SQS batch (Lambda's event source mapping): report
    each ended run's task; return the batch item failures SQS should deliver
    again. An event whose run has no task yet is tried again for a few
    seconds (it may have beaten its record), then let go like the events of
    runs that are not the runner's; a lost one is the sweep's."""
    clients = clients or AwsClients(settings)
    lifecycles = lifecycles if lifecycles is not None else {}
    started = time.monotonic()
    limit = min(EARLY_EVENT_SECONDS, budget_seconds) if budget_seconds is not None else EARLY_EVENT_SECONDS
    failures: list[str] = []
    early: list[tuple[str, JobEvent]] = []
    for record in event.get("Records", []):
        job_event = parse_event(record.get("body", ""))
        if job_event is None:
            continue
        lifecycle = lifecycles.get(job_event.kind)
        if lifecycle is None:
            lifecycle = lifecycles[job_event.kind] = build_lifecycle(job_event.kind, settings, clients)
        handled = handle_event(lifecycle, job_event)
        if handled is Handled.RETRY:
            failures.append(record["messageId"])
        elif handled is Handled.NOT_FOUND and job_event.age_seconds(time.time()) < EARLY_EVENT_SECONDS:
            early.append((record["messageId"], job_event))
    pause = 0.25
    while early and time.monotonic() - started + pause < limit:
        time.sleep(pause)
        pause *= 3
        still = []
        for message_id, job_event in early:
            handled = handle_event(lifecycles[job_event.kind], job_event)
            if handled is Handled.RETRY:
                failures.append(message_id)
            elif handled is Handled.NOT_FOUND:
                still.append((message_id, job_event))
        early = still
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failures]}
