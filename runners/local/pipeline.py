"""A whole pipeline (the sample unless told otherwise) on one machine: embedded AWS, deployment, the
three workers (Glue, Athena, wait-for-data) and the object-created Lambda function.

Used by `etl-runner demo` and by the end-to-end tests. The workers are the
same ``Worker`` objects `etl-runner serve` runs, on threads of this process.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runners.aws import AwsClients
from runners.config import Settings
from runners.local.deploy import Deployment, Platform, deploy_pipeline, deploy_platform, task_table_names
from runners.local.job_events import deploy_job_events, events_settings
from runners.pipelines import SAMPLE_PIPELINE, Pipeline, load_pipeline
from runners.local.object_created import deploy_object_created_function
from runners.local.triggers import deploy_trigger_function
from embedded_aws.server import EmbeddedAws
from runners.service import KINDS, build_lifecycle
from runners.worker import Worker

LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@dataclass
class LocalPipeline:
    """Start with ``start()``; every part stops with ``stop()``."""

    prefix: str = "etl-demo"
    region: str = "us-east-1"
    activity_poll_seconds: float = 5.0
    check_interval_seconds: float | None = None  # the service default
    workers_kinds: tuple[str, ...] = KINDS
    pipeline: Pipeline | Path = SAMPLE_PIPELINE  # a pipeline file, or one already loaded
    check_permissions: bool = True  # the pipeline's steps against the roles its stack generates
    definition_path: Path | None = None  # a hand-written definition instead of the rendered one (e.g. the JSONata twin)
    aws: EmbeddedAws | None = None
    deployment: Deployment | None = None
    platform: Platform | None = None
    settings: Settings | None = None
    _workers: list[tuple[Worker, threading.Thread]] = field(default_factory=list)
    _handler_deployed: bool = False
    _owns_aws: bool = False

    def start(self) -> "LocalPipeline":
        for key, value in LOCAL_CREDENTIALS.items():
            os.environ.setdefault(key, value)
        if self.aws is None:
            self.aws = EmbeddedAws(region=self.region, activity_poll_seconds=self.activity_poll_seconds).start()
            self._owns_aws = True
        # Everything in this process (workers, the state machine's SNS step) talks to it.
        os.environ["AWS_ENDPOINT_URL"] = self.aws.endpoint_url
        os.environ["MOTO_PORT"] = self.aws.endpoint_url.rsplit(":", 1)[-1]
        base = Settings.from_env(
            region=self.region,
            check_interval_seconds=self.check_interval_seconds,
            **task_table_names(self.prefix),
        )
        clients = AwsClients(base)
        if not isinstance(self.pipeline, Pipeline):
            self.pipeline = load_pipeline(Path(self.pipeline))
        if self.check_permissions:
            # Nothing enforces IAM locally: refuse what the generated roles would deny on AWS.
            from runners.pipelines.permissions import require_permissions

            require_permissions(self.pipeline)
        self.platform = deploy_platform(clients, base, self.prefix)
        self.deployment = deploy_pipeline(clients, base, self.pipeline, prefix=self.prefix, definition_path=self.definition_path, platform=self.platform)
        # Glue and Athena state change events -> EventBridge rules -> SQS, as
        # the runner stack wires them: runs are reported from their events.
        queues = deploy_job_events(clients.client, self.prefix)
        self.settings = self.deployment.settings(base).with_(**events_settings(queues))
        self.start_workers(self.workers_kinds)
        return self

    def deploy(self, pipeline: Pipeline | Path) -> Deployment:
        """Deploy another pipeline beside the first (same buckets, activities
        and workers), e.g. one that a trigger chains after it."""
        assert self.settings is not None and self.platform is not None
        return deploy_pipeline(AwsClients(self.settings), self.settings, pipeline, prefix=self.prefix, platform=self.platform)

    def start_workers(self, kinds: tuple[str, ...]) -> None:
        assert self.settings is not None
        for kind in kinds:
            # One client set per worker: each keeps its own connection pool for its long polls.
            clients = AwsClients(self.settings)
            lifecycle = build_lifecycle(kind, self.settings, clients)
            worker = Worker(lifecycle, self.settings.activity_arn(kind) or "", self.settings.pollers, self.settings.check_interval_seconds)
            thread = threading.Thread(target=worker.serve, name=f"worker-{kind}", daemon=True)
            thread.start()
            self._workers.append((worker, thread))
        if "wait" in kinds and self.deployment is not None and not self._handler_deployed:
            # S3 -> SQS -> the object_created Lambda, as on AWS (the embedded
            # AWS runs the function and polls the queue for it).
            clients = AwsClients(self.settings)
            deploy_object_created_function(clients.client, self.settings, self.deployment.arrivals_queue_url, f"{self.prefix}-object-created")
            # Pipeline triggers (a .done marker, another pipeline's success)
            # start executions through the trigger function, as on AWS.
            deploy_trigger_function(clients.client, self.settings, self.deployment.triggers_queue_url, f"{self.prefix}-pipeline-trigger")
            self._handler_deployed = True

    def stop_workers(self) -> None:
        for worker, _ in self._workers:
            worker.request_shutdown()
        for _, thread in self._workers:
            thread.join(timeout=self.activity_poll_seconds + 30)
        self._workers.clear()

    def stop(self) -> None:
        self.stop_workers()
        if self._owns_aws and self.aws is not None:
            self.aws.stop()

    def __enter__(self) -> "LocalPipeline":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- driving the pipeline -------------------------------------------------
    def client(self, service: str) -> Any:
        assert self.settings is not None
        return AwsClients(self.settings).client(service)

    def start_execution(self, run_date: str, name: str | None = None) -> str:
        assert self.deployment is not None
        return self.client("stepfunctions").start_execution(
            stateMachineArn=self.deployment.state_machine_arn,
            name=name or f"run-{run_date}-{uuid.uuid4().hex[:6]}",
            input=json.dumps({"runDate": run_date}),
        )["executionArn"]

    def notifications(self, execution_arn: str | None = None, run_date: str | None = None, wait_for_report: float = 0.0) -> list[Any]:
        """The messages the pipeline's topic got (``runners.local.notifications``), removed from its inbox."""
        from runners.local.notifications import read_messages

        assert self.deployment is not None
        return read_messages(self.client("sqs"), self.deployment.notifications_queue_url, execution_arn=execution_arn,
                             run_date=run_date, wait_for_report=wait_for_report)

    def print_notifications(self, execution_arn: str, out: Any, wait_for_report: float = 30.0) -> list[Any]:
        """Print what the subscribers got about this execution: the alert of a failure,
        and the report when the execution's status is in the pipeline's ``notify.on``
        (waiting up to ``wait_for_report`` seconds for the trigger function to send it)."""
        from runners.local.notifications import print_notifications

        assert self.deployment is not None and isinstance(self.pipeline, Pipeline)
        status = self.client("stepfunctions").describe_execution(executionArn=execution_arn)["status"]
        wait = wait_for_report if status in self.pipeline.notify.on else 0.0
        return print_notifications(self.client("sqs"), self.deployment.notifications_queue_url, out, execution_arn=execution_arn,
                                   wait_for_report=wait)

    def input_key(self, dataset: str, run_date: str, filename: str | None = None) -> str:
        return f"raw/{dataset}/run_date={run_date}/{filename or dataset + '.csv'}"

    def upload_input(self, dataset: str, run_date: str, path: Path) -> str:
        assert self.deployment is not None
        key = self.input_key(dataset, run_date)
        self.client("s3").upload_file(str(path), self.deployment.data_bucket, key)
        return key
