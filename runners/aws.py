"""The one place boto3 clients are built.

Endpoints come from the standard ``AWS_ENDPOINT_URL`` and
``AWS_ENDPOINT_URL_<SERVICE>`` variables, which botocore resolves itself, so
the same code talks to AWS or to the embedded emulator. Nothing is built at
import time; clients are built on first use and shared between threads (boto3
clients are thread-safe, sessions are not, so only this class touches the
session, under a lock).

Retries are *not* left to botocore: ``runners.retry`` retries an explicit list
of error codes, because some calls (Glue ``StartJobRun``) must never be retried
blindly.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

from .config import SFN_READ_TIMEOUT_SECONDS, Settings


class AwsClients:
    """Lazily built, shared boto3 clients for one region."""

    def __init__(self, settings: Settings, session: boto3.session.Session | None = None) -> None:
        self._settings = settings
        self._session = session or boto3.session.Session(region_name=settings.region)
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def region(self) -> str:
        return self._session.region_name or self._settings.region

    def _config(self, service: str) -> Config:
        read_timeout = SFN_READ_TIMEOUT_SECONDS if service == "stepfunctions" else 30.0
        return Config(
            region_name=self.region,
            connect_timeout=5,
            read_timeout=read_timeout,
            retries={"total_max_attempts": 1, "mode": "standard"},
            # Every long poll holds a connection; leave room for checks.
            max_pool_connections=self._settings.pollers + 8,
        )

    def client(self, service: str) -> Any:
        with self._lock:
            client = self._clients.get(service)
            if client is None:
                client = self._session.client(service, config=self._config(service))
                self._clients[service] = client
            return client

    @property
    def sfn(self) -> Any:
        return self.client("stepfunctions")

    @property
    def glue(self) -> Any:
        return self.client("glue")

    @property
    def athena(self) -> Any:
        return self.client("athena")

    def endpoint_for(self, service: str) -> str | None:
        """The endpoint a client of ``service`` talks to (for pynamodb)."""
        return self.client(service).meta.endpoint_url

    def credentials(self) -> Any:
        return self._session.get_credentials()
