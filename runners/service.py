"""Assembles a lifecycle for one kind of runner from settings (no globals)."""

from __future__ import annotations

from typing import Callable

from .activity import CycleReport, TaskLifecycle
from .adapter import ServiceAdapter
from .arrivals import ArrivalStore
from .athena import AthenaAdapter
from .aws import AwsClients
from .config import Settings
from .gate import GateChecker
from .glue import GlueAdapter
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
    return TaskLifecycle(ADAPTERS[kind](clients, settings), build_store(kind, settings, clients), clients.sfn, settings, gate_checker=gates)


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
