"""Assembles a lifecycle for one kind of runner from settings (no globals)."""

from __future__ import annotations

from typing import Callable

from .activity import TaskLifecycle
from .adapter import ServiceAdapter
from .athena import AthenaAdapter
from .aws import AwsClients
from .config import Settings
from .glue import GlueAdapter
from .state import TaskStore

KINDS = ("glue", "athena")

ADAPTERS: dict[str, Callable[[AwsClients, Settings], ServiceAdapter]] = {
    "glue": lambda clients, settings: GlueAdapter(clients.glue, settings.api_max_attempts),
    "athena": lambda clients, settings: AthenaAdapter(clients.athena, settings.api_max_attempts),
}


def build_store(kind: str, settings: Settings, clients: AwsClients) -> TaskStore:
    return TaskStore(settings.table_name(kind), clients.region, clients.endpoint_for("dynamodb"), settings.record_ttl_days)


def build_lifecycle(kind: str, settings: Settings, clients: AwsClients | None = None) -> TaskLifecycle:
    if kind not in ADAPTERS:
        raise ValueError(f"unknown runner kind {kind!r}; expected one of {', '.join(KINDS)}")
    clients = clients or AwsClients(settings)
    return TaskLifecycle(ADAPTERS[kind](clients, settings), build_store(kind, settings, clients), clients.sfn, settings)
