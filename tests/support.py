"""Test helpers: deploy things to the embedded AWS and drive workers.

Everything goes through real boto3 calls against the embedded server, the
same calls the product makes on AWS.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections import Counter
from typing import Any, Iterator

import boto3
from botocore.awsrequest import AWSResponse

from runners.aws import AwsClients
from runners.config import Settings
from runners.service import build_lifecycle
from runners.worker import Worker

SCRIPT_BUCKET = "etl-runner-test-scripts"
RESULTS_BUCKET = "etl-runner-test-results"
ROLE_ARN = "arn:aws:iam::123456789012:role/etl-runner-test"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def client(service: str) -> Any:
    return boto3.client(service)


def make_activity(name: str | None = None) -> str:
    return client("stepfunctions").create_activity(name=name or unique("act"))["activityArn"]


def activity_task(arn: str, *, timeout: int = 120, heartbeat: int | None = None, retry: list | None = None, end: bool = True, next_state: str | None = None, catch_all: bool = False) -> dict:
    state: dict[str, Any] = {"Type": "Task", "Resource": arn, "TimeoutSeconds": timeout}
    if heartbeat:
        state["HeartbeatSeconds"] = heartbeat
    if retry:
        state["Retry"] = retry
    if next_state:
        state["Next"] = next_state
    else:
        state["End"] = end
    return state


def make_state_machine(definition: dict) -> str:
    return client("stepfunctions").create_state_machine(name=unique("sm"), definition=json.dumps(definition), roleArn=ROLE_ARN)["stateMachineArn"]


def single_task_machine(activity_arn: str, **task_kwargs: Any) -> str:
    return make_state_machine({"StartAt": "Work", "States": {"Work": activity_task(activity_arn, **task_kwargs)}})


def start(sm_arn: str, payload: Any) -> str:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client("stepfunctions").start_execution(stateMachineArn=sm_arn, name=unique("ex"), input=body)["executionArn"]


def wait_execution(execution_arn: str, timeout: float = 60.0) -> dict:
    sfn = client("stepfunctions")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.1)
    raise AssertionError(f"execution still RUNNING after {timeout}s")


def history(execution_arn: str) -> list[dict]:
    events = client("stepfunctions").get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    return events


def event_counts(execution_arn: str) -> Counter:
    return Counter(e["type"] for e in history(execution_arn))


def failure_of(execution_arn: str) -> dict:
    for event in history(execution_arn):
        details = event.get("activityFailedEventDetails")
        if details:
            return details
    raise AssertionError("no ActivityFailed event")


def ensure_bucket(name: str) -> None:
    s3 = client("s3")
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        s3.create_bucket(Bucket=name)


def results_location(prefix: str) -> str:
    """An Athena result location in a bucket that exists."""
    ensure_bucket(RESULTS_BUCKET)
    return f"s3://{RESULTS_BUCKET}/{prefix}/"


def make_glue_job(script: str, *, name: str | None = None, max_concurrent_runs: int = 1, timeout: int | None = None, command: str = "pythonshell") -> str:
    """A Glue job whose script really runs on the embedded Glue: a Python shell
    job, or with ``command="glueetl"`` a Spark job (local PySpark)."""
    ensure_bucket(SCRIPT_BUCKET)
    name = name or unique("job")
    key = f"scripts/{name}.py"
    client("s3").put_object(Bucket=SCRIPT_BUCKET, Key=key, Body=textwrap.dedent(script).encode())
    kwargs: dict[str, Any] = {
        "Name": name,
        "Role": ROLE_ARN,
        "Command": {"Name": command, "ScriptLocation": f"s3://{SCRIPT_BUCKET}/{key}", "PythonVersion": "3.9" if command == "pythonshell" else "3"},
        "ExecutionProperty": {"MaxConcurrentRuns": max_concurrent_runs},
        "GlueVersion": "3.0" if command == "pythonshell" else "5.0",
    }
    if timeout:
        kwargs["Timeout"] = timeout
    client("glue").create_job(**kwargs)
    return name


SLEEP_SCRIPT = """
import sys, time
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
time.sleep(float(args.get("--seconds", "0")))
if args.get("--fail"):
    raise RuntimeError(args["--fail"])
"""


def glue_runs(job_name: str) -> list[dict]:
    return client("glue").get_job_runs(JobName=job_name, MaxResults=200)["JobRuns"]


def running_glue_run(job_name: str) -> dict:
    return wait_for(lambda: [r for r in glue_runs(job_name) if r["JobRunState"] == "RUNNING"], message="a RUNNING run")[0]


def settings_for(kind: str, activity_arn: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        f"{kind}_activity_arn": activity_arn,
        f"{kind}_table": unique(f"{kind}-tasks"),
        "pollers": 2,
        "check_interval_seconds": 0.2,
        # Sweeps every second: a dead worker's tasks are taken over within ~3 s.
        "sweep_interval_seconds": 1.0,
        "heartbeat_interval_seconds": 1.0,
        "lease_seconds": 2.0,
        "start_retry_seconds": 0.5,
        "worker_name": "test-worker",
        "api_max_attempts": 4,
    }
    values.update(overrides)
    return Settings.from_env(**values)


def lifecycle_for(kind: str, settings: Settings):
    lifecycle = build_lifecycle(kind, settings, AwsClients(settings))
    lifecycle.store.ensure_table()
    return lifecycle


@contextlib.contextmanager
def serving(kind: str, settings: Settings, clients: AwsClients | None = None) -> Iterator[Worker]:
    """An in-process `serve` worker on a thread, drained on exit. Pass
    ``clients`` to observe or shape its AWS calls with botocore event hooks."""
    lifecycle = build_lifecycle(kind, settings, clients or AwsClients(settings))
    lifecycle.store.ensure_table()
    worker = Worker(lifecycle, settings.activity_arn(kind), settings.pollers, settings.check_interval_seconds)
    thread = threading.Thread(target=worker.serve, daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        worker.request_shutdown()
        thread.join(timeout=30)
        assert not thread.is_alive(), "worker did not drain"


def worker_env(settings: Settings, kind: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            f"ETL_{kind.upper()}_ACTIVITY_ARN": settings.activity_arn(kind) or "",
            f"ETL_{kind.upper()}_TABLE": settings.table_name(kind),
            "ETL_POLLERS": str(settings.pollers),
            "ETL_CHECK_INTERVAL_SECONDS": str(settings.check_interval_seconds),
            "ETL_SWEEP_INTERVAL_SECONDS": str(settings.sweep_interval_seconds),
            "ETL_GLUE_EVENTS_QUEUE_URL": settings.glue_events_queue_url or "",
            "ETL_ATHENA_EVENTS_QUEUE_URL": settings.athena_events_queue_url or "",
            "ETL_HEARTBEAT_INTERVAL_SECONDS": str(settings.heartbeat_interval_seconds),
            "ETL_LEASE_SECONDS": str(settings.lease_seconds),
            "ETL_START_RETRY_SECONDS": str(settings.start_retry_seconds),
            "ETL_LOG_FORMAT": "json",
        }
    )
    env.update(extra)
    return env


def spawn_worker(kind: str, settings: Settings, *args: str, stderr: Any = subprocess.PIPE, **extra_env: str) -> subprocess.Popen:
    """`etl-runner serve KIND` as a real process (so it can be SIGKILLed)."""
    return subprocess.Popen(
        [sys.executable, "-m", "runners.cli", "serve", kind, "--create-table", *args],
        env=worker_env(settings, kind, **extra_env),
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )


def service_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of `etl-runner serve all` for every kind ``settings`` configures."""
    env = worker_env(settings, "glue", **extra)
    for kind in ("athena", "wait"):
        env[f"ETL_{kind.upper()}_ACTIVITY_ARN"] = settings.activity_arn(kind) or ""
        env[f"ETL_{kind.upper()}_TABLE"] = settings.table_name(kind)
    env["ETL_ARRIVALS_TABLE"] = settings.arrivals_table
    return env


def spawn_service(settings: Settings, *kinds: str, stderr: Any = subprocess.PIPE, **extra_env: str) -> subprocess.Popen:
    """`etl-runner serve all` (or ``serve KIND KIND...``) as a real process."""
    return subprocess.Popen(
        [sys.executable, "-m", "runners.cli", "serve", *(kinds or ("all",)), "--create-table"],
        env=service_env(settings, **extra_env),
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )


def run_once_process(kind: str, settings: Settings, *args: str, timeout: float = 120, **extra_env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "runners.cli", "run-once", kind, "--create-table", *args],
        env=worker_env(settings, kind, **extra_env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1, message: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")


class CannedError:
    """A botocore ``before-send`` hook that answers matching requests with a real
    AWS-shaped error instead of sending them: the first ``times`` calls of
    ``operation`` (all of them if None) whose body holds ``marker``."""

    def __init__(self, operation: str, code: str, status: int = 400, times: int | None = None, marker: str = "") -> None:
        self.operation, self.code, self.status, self.left, self.marker = operation, code, status, times, marker.encode()
        self.answered = 0

    def __call__(self, request, **kwargs):
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else target
        if not target.endswith(self.operation) or self.marker not in (request.body or b"") or self.left == 0:
            return None
        if self.left is not None:
            self.left -= 1
        self.answered += 1
        body = json.dumps({"__type": self.code, "message": f"canned {self.code}"}).encode()
        return AWSResponse(request.url, self.status, {"Content-Type": "application/x-amz-json-1.1"}, _RawBody(body))


class _RawBody:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **kwargs):
        yield self._body

    def read(self, *a, **k):
        return self._body
