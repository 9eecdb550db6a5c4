"""Where the observations come from: one set of AWS clients (the embedded AWS
when AWS_ENDPOINT_URL is set, else the account of the usual credentials),
the local prefix if any, and the runners' task tables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from runners.aws import AwsClients
from runners.config import Settings

from . import lookup, tasks


@dataclass
class Source:
    clients: AwsClients
    settings: Settings
    prefix: str | None = None  # local deployments: state machines <prefix>-<pipeline>, tables <prefix>-glue-tasks, ...
    every_machine: bool = False  # list every state machine, not only those named like a pipeline
    _known: set[str] | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, region: str | None = None, prefix: str | None = None, every_machine: bool = False) -> "Source":
        settings = Settings.from_env(region=region)
        return cls(AwsClients(settings), settings, prefix, every_machine)

    @property
    def sfn(self) -> Any:
        return self.clients.sfn

    def client(self, service: str) -> Any:
        return self.clients.client(service)

    @property
    def where(self) -> str:
        endpoint = os.environ.get("AWS_ENDPOINT_URL")
        return f"embedded AWS at {endpoint}" if endpoint else f"AWS account, region {self.clients.region}"

    def pipelines(self) -> list[lookup.PipelineRef]:
        return lookup.find_pipelines(self.sfn, self.prefix, self.every_machine)

    def pipeline(self, name: str) -> lookup.PipelineRef:
        return lookup.find_pipeline(self.sfn, name, self.prefix)

    def execution_arn(self, target: str) -> str:
        return lookup.execution_arn(self.sfn, target, self.prefix)

    def in_flight(self) -> tuple[list[tasks.InFlightTask], list[str]]:
        return tasks.in_flight(tasks.table_names(self.settings, self.prefix), self.clients.region, self.clients.endpoint_for("dynamodb"))
