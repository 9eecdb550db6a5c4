"""One settings object for the whole service.

Precedence is explicit argument > environment variable > default. Every
environment variable the service reads is named here and nowhere else, so the
README's configuration table and the code cannot drift apart.
"""

from __future__ import annotations

import os
import socket
import tempfile
from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping

from .retry import RetryPolicy

# Environment variable names, in one place.
ENV_REGION = "AWS_REGION"
ENV_DEFAULT_REGION = "AWS_DEFAULT_REGION"
ENV_GLUE_ACTIVITY_ARN = "ETL_GLUE_ACTIVITY_ARN"
ENV_ATHENA_ACTIVITY_ARN = "ETL_ATHENA_ACTIVITY_ARN"
ENV_GLUE_TABLE = "ETL_GLUE_TABLE"
ENV_ATHENA_TABLE = "ETL_ATHENA_TABLE"
ENV_WAIT_ACTIVITY_ARN = "ETL_WAIT_ACTIVITY_ARN"
ENV_WAIT_TABLE = "ETL_WAIT_TABLE"
ENV_ARRIVALS_TABLE = "ETL_ARRIVALS_TABLE"
ENV_POLLERS = "ETL_POLLERS"
ENV_CHECK_INTERVAL = "ETL_CHECK_INTERVAL_SECONDS"
ENV_SWEEP_INTERVAL = "ETL_SWEEP_INTERVAL_SECONDS"
ENV_SWEEP_MAX_GAP = "ETL_SWEEP_MAX_GAP_SECONDS"
ENV_GLUE_EVENTS_QUEUE_URL = "ETL_GLUE_EVENTS_QUEUE_URL"
ENV_ATHENA_EVENTS_QUEUE_URL = "ETL_ATHENA_EVENTS_QUEUE_URL"
ENV_DESCRIBE_ON_EVENT = "ETL_DESCRIBE_ON_EVENT"
ENV_HEARTBEAT_INTERVAL = "ETL_HEARTBEAT_INTERVAL_SECONDS"
ENV_STOP_ON_LOST_TOKEN = "ETL_STOP_ON_LOST_TOKEN"
ENV_LEASE_SECONDS = "ETL_LEASE_SECONDS"
ENV_START_RETRY_SECONDS = "ETL_START_RETRY_SECONDS"
ENV_MAX_INPUT_BYTES = "ETL_MAX_TASK_INPUT_BYTES"
ENV_RECORD_TTL_DAYS = "ETL_RECORD_TTL_DAYS"
ENV_WORKER_NAME = "ETL_WORKER_NAME"
ENV_LOG_FORMAT = "ETL_LOG_FORMAT"
ENV_LOG_LEVEL = "ETL_LOG_LEVEL"
ENV_MAX_ATTEMPTS = "ETL_API_MAX_ATTEMPTS"
ENV_CALL_BUDGET = "ETL_CALL_BUDGET_SECONDS"
ENV_MAX_START_ERRORS = "ETL_MAX_START_ERRORS"
ENV_RUN_ONCE_BUDGET = "ETL_RUN_ONCE_BUDGET_SECONDS"
ENV_FAILPOINT = "ETL_FAILPOINT"
# The health signal of `etl-runner serve` (runners.health): the file it
# rewrites while healthy, how often, and when a loop counts as stuck.
ENV_HEALTH_FILE = "ETL_HEALTH_FILE"
ENV_HEALTH_INTERVAL = "ETL_HEALTH_INTERVAL_SECONDS"
ENV_HEALTH_STUCK = "ETL_HEALTH_STUCK_SECONDS"
# Where the trigger function sends OpenLineage events of ended executions (runners.openlineage_events).
ENV_OPENLINEAGE_TRANSPORT = "ETL_OPENLINEAGE_TRANSPORT"
ENV_OPENLINEAGE_NAMESPACE = "ETL_OPENLINEAGE_NAMESPACE"
# Build tasks (build.py; read by runners.build.settings).
ENV_ARTIFACT_BUCKET = "ETL_ARTIFACT_BUCKET"
ENV_STACK_PREFIX = "ETL_STACK_PREFIX"
ENV_BUILD_DIR = "ETL_BUILD_DIR"
ENV_TEMPLATES_DIR = "ETL_TEMPLATES_DIR"
ENV_PIPELINES_DIR = "ETL_PIPELINES_DIR"
ENV_STACK_POLL_SECONDS = "ETL_STACK_POLL_SECONDS"
ENV_STACK_TIMEOUT_SECONDS = "ETL_STACK_TIMEOUT_SECONDS"
# lambda | service: who polls the activities and reads the job events queues on
# AWS (runner-resources' RunnerMode parameter).
ENV_RUNNER_MODE = "ETL_RUNNER_MODE"
RUNNER_MODES = ("lambda", "service")

# GetActivityTask holds a request open for up to 60 s; the read timeout of the
# Step Functions client must exceed that or a task handed out at second 59 is
# lost in a cut connection.
LONG_POLL_SECONDS = 60.0
SFN_READ_TIMEOUT_SECONDS = 70.0


EVENT_KINDS = ("glue", "athena")


def _env_kinds(value: str) -> frozenset[str]:
    """A comma list of runner kinds, or a boolean: true = every kind, false = none."""
    try:
        return frozenset(EVENT_KINDS) if _env_bool(value) else frozenset()
    except ValueError:
        kinds = frozenset(k.strip().lower() for k in value.split(",") if k.strip())
        unknown = kinds - set(EVENT_KINDS)
        if unknown:
            raise ValueError(f"unknown runner kind(s) {', '.join(sorted(unknown))}; expected a comma list of {', '.join(EVENT_KINDS)}, true or false") from None
        return kinds


def _env_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


@dataclass(frozen=True)
class Settings:
    """Everything a worker needs to know, resolved once at start-up."""

    region: str = "us-east-1"
    glue_activity_arn: str | None = None
    athena_activity_arn: str | None = None
    glue_table: str = "EtlRunnerGlueTasks"
    athena_table: str = "EtlRunnerAthenaTasks"
    wait_activity_arn: str | None = None
    wait_table: str = "EtlRunnerDataWaits"
    arrivals_table: str = "EtlRunnerObjectArrivals"
    pollers: int = 4
    # How often a worker looks at the tasks it holds (in memory: starts that
    # are due, gates, retries; and, without an events queue, run statuses).
    check_interval_seconds: float = 0.5
    # How often the slow sweep runs (one worker per interval for the whole
    # table): it catches run ends whose events were lost, and takes over the
    # tasks of workers that are gone (a worker is gone 2 intervals after it
    # last said it was alive).
    sweep_interval_seconds: float = 60.0
    # With an events queue, a running job is checked by the first sweep after
    # it starts, then after gaps doubling from 2 intervals up to this (see
    # runners.sweep_schedule); at most the sweep interval: every sweep.
    sweep_max_gap_seconds: float = 300.0
    # SQS queues EventBridge fills with Glue / Athena state change events:
    # set, a run is reported as soon as its event arrives and status checks
    # happen only in sweeps; unset, held runs are checked every check interval.
    glue_events_queue_url: str | None = None
    athena_events_queue_url: str | None = None
    # Kinds whose runs an event says SUCCEEDED are also described (one batched
    # status call) before the report, so the task output carries the
    # service's own figures; failures are always described. Athena by
    # default: its output's data scanned, engine time and result location
    # are the task output's contract and no event carries them. A Glue
    # event carries what the output needs (name, id, state, times, error).
    describe_on_event: frozenset[str] = frozenset({"athena"})
    heartbeat_interval_seconds: float = 30.0
    stop_on_lost_token: bool = True
    lease_seconds: float = 60.0
    start_retry_seconds: float = 30.0
    max_task_input_bytes: int = 65536
    record_ttl_days: int = 14
    worker_name: str = field(default_factory=socket.gethostname)
    log_format: str = "auto"
    log_level: str = "INFO"
    api_max_attempts: int = 8
    # Seconds one AWS call made on the check or heartbeat thread may spend
    # retrying; the next cycle is its retry (no head-of-line blocking).
    call_budget_seconds: float = 2.0
    # Transient errors in a row after which a start is given up and the task
    # fails with JobStartFailedError (with backoff: about two minutes).
    max_start_errors: int = 8
    run_once_budget_seconds: float = 240.0
    # `serve` rewrites this file every health interval while each worker's
    # threads are alive and its loops come round within the stuck limit;
    # `etl-runner health` reads it (the container's health check). Under the
    # temporary directory: the one writable place of a read-only container.
    health_file: str = field(default_factory=lambda: os.path.join(tempfile.gettempdir(), "etl-runner-health.json"))
    health_interval_seconds: float = 5.0
    health_stuck_seconds: float = 120.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        """Build settings from the environment, with explicit overrides winning."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        region = env.get(ENV_REGION) or env.get(ENV_DEFAULT_REGION)
        if region:
            values["region"] = region
        for name, (var, parse) in ENV_FIELDS.items():
            raw = env.get(var)
            if raw is None or raw == "":
                continue
            try:
                values[name] = parse(raw)
            except ValueError as exc:
                raise ValueError(f"{var}={raw!r} is invalid: {exc}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.pollers < 1:
            raise ValueError("pollers must be at least 1")
        if self.check_interval_seconds <= 0:
            raise ValueError("check interval must be positive")
        if self.sweep_interval_seconds <= 0:
            raise ValueError("sweep interval must be positive")
        if self.sweep_max_gap_seconds <= 0:
            raise ValueError("sweep max gap must be positive")
        if self.heartbeat_interval_seconds <= 0:
            raise ValueError("heartbeat interval must be positive")
        if self.call_budget_seconds <= 0:
            raise ValueError("call budget must be positive")
        if self.max_start_errors < 1:
            raise ValueError("max start errors must be at least 1")
        if self.health_interval_seconds <= 0 or self.health_stuck_seconds <= 0:
            raise ValueError("health interval and stuck limit must be positive")
        if self.log_format not in {"auto", "json", "console"}:
            raise ValueError("log format must be auto, json or console")

    def with_(self, **changes: Any) -> "Settings":
        return replace(self, **changes)

    def cycle_retry(self) -> RetryPolicy:
        """Retries for calls on the check and heartbeat threads: short."""
        return RetryPolicy(self.api_max_attempts, self.call_budget_seconds)

    def record_retry(self) -> RetryPolicy:
        """Retries for recording a task we hold the token of: giving up fails it."""
        return RetryPolicy(self.api_max_attempts, max(10.0, self.call_budget_seconds))

    def activity_arn(self, kind: str) -> str | None:
        return {"glue": self.glue_activity_arn, "athena": self.athena_activity_arn, "wait": self.wait_activity_arn}[kind]

    def table_name(self, kind: str) -> str:
        return {"glue": self.glue_table, "athena": self.athena_table, "wait": self.wait_table}[kind]

    def events_queue_url(self, kind: str) -> str | None:
        """The queue of this kind's job state change events (waits have none:
        S3's object-created handler is theirs)."""
        return {"glue": self.glue_events_queue_url, "athena": self.athena_events_queue_url}.get(kind)


ENV_FIELDS: dict[str, tuple[str, Any]] = {
    "glue_activity_arn": (ENV_GLUE_ACTIVITY_ARN, str),
    "athena_activity_arn": (ENV_ATHENA_ACTIVITY_ARN, str),
    "glue_table": (ENV_GLUE_TABLE, str),
    "athena_table": (ENV_ATHENA_TABLE, str),
    "wait_activity_arn": (ENV_WAIT_ACTIVITY_ARN, str),
    "wait_table": (ENV_WAIT_TABLE, str),
    "arrivals_table": (ENV_ARRIVALS_TABLE, str),
    "pollers": (ENV_POLLERS, int),
    "check_interval_seconds": (ENV_CHECK_INTERVAL, float),
    "sweep_interval_seconds": (ENV_SWEEP_INTERVAL, float),
    "sweep_max_gap_seconds": (ENV_SWEEP_MAX_GAP, float),
    "glue_events_queue_url": (ENV_GLUE_EVENTS_QUEUE_URL, str),
    "athena_events_queue_url": (ENV_ATHENA_EVENTS_QUEUE_URL, str),
    "describe_on_event": (ENV_DESCRIBE_ON_EVENT, _env_kinds),
    "heartbeat_interval_seconds": (ENV_HEARTBEAT_INTERVAL, float),
    "stop_on_lost_token": (ENV_STOP_ON_LOST_TOKEN, _env_bool),
    "lease_seconds": (ENV_LEASE_SECONDS, float),
    "start_retry_seconds": (ENV_START_RETRY_SECONDS, float),
    "max_task_input_bytes": (ENV_MAX_INPUT_BYTES, int),
    "record_ttl_days": (ENV_RECORD_TTL_DAYS, int),
    "worker_name": (ENV_WORKER_NAME, str),
    "log_format": (ENV_LOG_FORMAT, str),
    "log_level": (ENV_LOG_LEVEL, str),
    "api_max_attempts": (ENV_MAX_ATTEMPTS, int),
    "call_budget_seconds": (ENV_CALL_BUDGET, float),
    "max_start_errors": (ENV_MAX_START_ERRORS, int),
    "run_once_budget_seconds": (ENV_RUN_ONCE_BUDGET, float),
    "health_file": (ENV_HEALTH_FILE, str),
    "health_interval_seconds": (ENV_HEALTH_INTERVAL, float),
    "health_stuck_seconds": (ENV_HEALTH_STUCK, float),
}

assert set(ENV_FIELDS) | {"region"} == {f.name for f in fields(Settings)}
