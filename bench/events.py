"""Completion by events against polling: latency, calls and reads per task, idle cost.

Everything runs in this process against the embedded AWS (its Glue and
Athena put their state change events on its EventBridge, whose rules fill an
SQS queue per kind), with the runner's default settings (0.5 s check
interval, 60 s sweep, 30 s heartbeats, 4 pollers) unless a row says
otherwise. The embedded AWS's activity long polls last 5 s here (60 s on
AWS): that changes only how many GetActivityTask calls an idle poller makes,
which no figure below counts.

Part 1, latency: job terminal (the run's CompletedOn / CompletionDateTime) ->
SendTaskSuccess (the ActivitySucceeded event), both from the emulator's
clock, for Glue runs (a `sleep` process of 0.3-4 s) and Athena queries (of
random length), started 0.2-1.2 s apart, one worker, in these modes:

  events                     the run's event -> EventBridge -> SQS -> the worker's consumer thread
  events, every end lost     every end event dropped (test-only faults): the sweep reports the run
  Lambda handler (warm)      runners.handlers.job_events' code fed by an SQS poller loop, as a
                             warm function behind an event source mapping (tasks taken by a
                             run-once style poller)
  polling, no events queue   held runs checked in batches every check interval (no table reads)
  today                      the worker before this change: every check interval one check_all,
                             a consistent scan of the table plus batched status calls

Part 2, calls and reads per task: Glue runs of 5 s and of --long-seconds
(default 300 s, real time), N tasks started together, 1 and 4 workers, events
against today. Every call the workers make is counted by botocore hooks on
their clients; DynamoDB read and write units are computed from the items each
call returned or wrote, by DynamoDB's rules (see ``read_units``).

Part 3: an idle worker's DynamoDB units per second (events and today), over
the long phase. Part 4: a `.sync` integration for the same work, and idle
cost per month: counted calls and resources times the list prices printed.

    python -m bench.events [--tasks 12] [--long-seconds 300] [--concurrent 10] [--quick]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

from bench.report import Report, figure, options, percentile, save_chart, table

BUCKET = "etl-bench-events"
ROLE = "arn:aws:iam::123456789012:role/etl-bench-events"
HOLD = "benchsleep"  # Glue Command.Name whose run is a `sleep --seconds` process
STATUS_CALLS = {"glue.GetJobRun", "glue.GetJobRuns", "athena.GetQueryExecution", "athena.BatchGetQueryExecution"}
EMULATOR_POLL_SECONDS = 5.0
LAMBDA_HANDLER = "Lambda handler (warm)"
MODES = ("events", "events, every end lost", LAMBDA_HANDLER, "polling, no events queue", "today")


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tasks", type=int, default=12, help="tasks per kind per latency mode (default 12; 4 when every end is lost)")
    parser.add_argument("--long-seconds", type=float, default=300.0, help="length of the long Glue runs (default 300)")
    parser.add_argument("--concurrent", type=int, default=10, help="tasks started together in part 2 (default 10)")


# -- the embedded AWS ------------------------------------------------------------------
def start_aws() -> Any:
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"})
    os.environ.pop("AWS_PROFILE", None)
    from embedded_aws import EmbeddedAws
    from embedded_aws.glue.launch import JobExecutor, RunLaunch

    class SleepExecutor(JobExecutor):
        """A Glue run that is one `sleep` process (no interpreter start-up)."""

        def launch(self, launch: RunLaunch) -> subprocess.Popen[bytes]:
            args = dict(zip(launch.arguments[::2], launch.arguments[1::2]))
            return subprocess.Popen(["sleep", args.get("--seconds", "0")], stdin=subprocess.DEVNULL, stdout=launch.stdout,
                                    stderr=launch.stderr, start_new_session=True)

    aws = EmbeddedAws(activity_poll_seconds=EMULATOR_POLL_SECONDS).start()
    os.environ["AWS_ENDPOINT_URL"] = aws.endpoint_url
    aws.glue.register_executor(HOLD, SleepExecutor())
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="hold.py", Body=b"pass\n")
    return aws


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# -- counting calls and DynamoDB units --------------------------------------------------
def item_size(item: dict[str, Any]) -> int:
    """Bytes of a DynamoDB item (wire format) by DynamoDB's rules: names plus
    values; a number is about one byte per two digits plus one; a list or
    map 3 bytes plus one per element."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    (kind, raw), = value.items()
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        return (len(raw.strip("-").replace(".", "").lstrip("0")) + 1) // 2 + 1
    if kind == "B":
        return len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in raw)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in raw.items())
    return sum(len(str(v)) for v in raw)  # sets


def read_units(operation: str, consistent: bool, items: list[dict[str, Any]]) -> float:
    """Read request units of one GetItem / Query / Scan page: the items'
    total size rounded up to 4 KB (at least one 4 KB unit per request, even
    when nothing is found), 1 unit each when strongly consistent, 0.5 when
    eventually consistent (index queries always are)."""
    size = sum(item_size(item) for item in items)
    return max(1, math.ceil(size / 4096)) * (1.0 if consistent else 0.5)


def write_units(item: dict[str, Any] | None) -> float:
    """Write request units of one write: the item's size rounded up to 1 KB
    (at least 1; a refused conditional write costs 1 too). Deletes, whose
    size no response tells, are counted as 2 (a task record is 1-2 KB)."""
    return 2.0 if item is None else max(1, math.ceil(item_size(item) / 1024))


class CallMeter:
    """Calls by ``service.Operation`` on every client attached, plus DynamoDB
    read and write units (keys ``ddb.read_units`` / ``ddb.write_units``)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.*.*", self._before)
        client.meta.events.register("after-call.*.*", self._after)

    def _before(self, model: Any, params: dict, context: dict, **_: Any) -> None:
        context["bench_consistent"] = bool(params.get("ConsistentRead")) and not params.get("IndexName")
        context["bench_item"] = params.get("Item")
        with self.lock:
            self.calls[f"{model.service_model.service_name}.{model.name}"] += 1

    def _after(self, model: Any, parsed: dict, context: dict, **_: Any) -> None:
        if model.service_model.service_name != "dynamodb":
            return
        name, extra = model.name, Counter()
        if name == "GetItem":
            extra["ddb.read_units"] = read_units(name, context.get("bench_consistent", False), [parsed["Item"]] if "Item" in parsed else [])
        elif name in ("Query", "Scan"):
            extra["ddb.read_units"] = read_units(name, context.get("bench_consistent", False), parsed.get("Items", []))
        elif name == "PutItem":
            extra["ddb.write_units"] = write_units(context.get("bench_item") or {})
        elif name == "UpdateItem":
            extra["ddb.write_units"] = write_units(parsed.get("Attributes") or {})
        elif name == "DeleteItem":
            extra["ddb.write_units"] = write_units(None)
        with self.lock:
            self.calls.update(extra)

    def take(self) -> Counter[str]:
        with self.lock:
            taken, self.calls = self.calls, Counter()
        return taken


def status_calls(calls: Counter[str]) -> float:
    return sum(calls[name] for name in STATUS_CALLS)


# -- one runner deployment (activity, machine, table, queue, workers) ---------------------
@dataclass
class Deployment:
    kind: str
    mode: str
    workers: int = 1
    sweep_seconds: float | None = None
    job: str | None = None
    meter: CallMeter = field(default_factory=CallMeter)
    machine: str = ""
    settings: Any = None
    _stops: list[Callable[[], None]] = field(default_factory=list)

    def start(self, aws: Any) -> "Deployment":
        from runners.config import Settings
        from runners.local.job_events import deploy_job_events

        sfn = aws.client("stepfunctions")
        activity = sfn.create_activity(name=unique(f"bench-{self.kind}"))["activityArn"]
        state = {"Type": "Task", "Resource": activity, "TimeoutSeconds": 3600, "HeartbeatSeconds": 300, "End": True}
        self.machine = sfn.create_state_machine(name=unique("bench-events"), roleArn=ROLE,
                                                definition=json.dumps({"StartAt": "Work", "States": {"Work": state}}))["stateMachineArn"]
        values: dict[str, Any] = {f"{self.kind}_activity_arn": activity, f"{self.kind}_table": unique(f"bench-{self.kind}"),
                                  "worker_name": "bench-events", "log_level": "WARNING"}
        if self.sweep_seconds:
            values["sweep_interval_seconds"] = self.sweep_seconds
        if self.mode.startswith("events") or self.mode == LAMBDA_HANDLER:
            (queue,) = deploy_job_events(aws.client, unique("bench"), kinds=(self.kind,)).values()
            if self.job:  # this deployment's runs only (another's would cost it index lookups)
                self._narrow_rule(aws, queue, self.job)
            values[f"{self.kind}_events_queue_url"] = queue.queue_url
        self.settings = Settings(**values)
        if self.mode == LAMBDA_HANDLER:
            self._start_lambda_mode()
        else:
            for _ in range(self.workers):
                self._start_worker()
        return self

    @staticmethod
    def _narrow_rule(aws: Any, queue: Any, job: str) -> None:
        from runners.job_events import EVENT_PATTERNS

        pattern = json.loads(json.dumps(EVENT_PATTERNS["glue"]))
        pattern["detail"]["jobName"] = [job]
        aws.client("events").put_rule(Name=queue.rule_arn.rsplit("/", 1)[-1], EventPattern=json.dumps(pattern), State="ENABLED")

    def _lifecycle(self, settings: Any = None) -> Any:
        from runners.aws import AwsClients
        from runners.service import build_lifecycle

        settings = settings or self.settings
        clients = AwsClients(settings)
        lifecycle = build_lifecycle(self.kind, settings, clients)
        lifecycle.store.ensure_table()
        for client in (clients.sfn, clients.client(self.kind), clients.client("sqs"), lifecycle.store.model._get_connection().connection.client):
            self.meter.attach(client)
        return lifecycle

    def _start_worker(self) -> None:
        from runners.worker import Worker

        lifecycle = self._lifecycle()
        cls = TodaysWorker if self.mode == "today" else Worker
        worker = cls(lifecycle, self.settings.activity_arn(self.kind), self.settings.pollers, self.settings.check_interval_seconds)
        threading.Thread(target=worker.serve, daemon=True).start()
        # Not waited for: the worker winds down by itself (its figures are taken before).
        self._stops.append(worker.request_shutdown)

    def _start_lambda_mode(self) -> None:
        """A run-once style poller takes and starts the tasks; a loop standing
        in for Lambda's SQS event source mapping feeds batches to the
        job_events handler's code, its lifecycles kept between batches (a warm
        function)."""
        from runners.service import on_job_event_messages

        taker, stop = self._lifecycle(self.settings.with_(**{f"{self.kind}_events_queue_url": None})), threading.Event()
        handler_lifecycles = {self.kind: self._lifecycle()}
        sqs, url = handler_lifecycles[self.kind].events.sqs, handler_lifecycles[self.kind].events.url
        activity = self.settings.activity_arn(self.kind)

        def take() -> None:
            while not stop.is_set():
                taker.poll_once(activity)

        def event_source() -> None:
            while not stop.is_set():
                messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=20).get("Messages", [])
                if not messages or stop.is_set():
                    continue
                batch = {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"]} for m in messages]}
                failed = {f["itemIdentifier"] for f in on_job_event_messages(batch, self.settings, lifecycles=handler_lifecycles)["batchItemFailures"]}
                for m in messages:
                    if m["MessageId"] not in failed:
                        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

        for target in (take, event_source):
            threading.Thread(target=target, daemon=True).start()
        self._stops.append(stop.set)

    def stop(self) -> None:
        for stop in self._stops:
            stop()


def _todays_worker_class() -> type:
    from runners.worker import Worker

    class Today(Worker):
        """The service loop before job events (for comparison): every check
        interval one ``check_all`` (a consistent scan of the task table,
        batched status calls, heartbeats for every record), prompt checks of
        just-started runs between."""

        def serve(self) -> None:
            for target in [self._keep_alive_loop] + [self._poll_loop] * self.pollers:
                threading.Thread(target=target, daemon=True).start()
            next_cycle = time.monotonic()
            while not self._stopping.is_set():
                if time.monotonic() >= next_cycle:
                    self._judge(self._check())
                    next_cycle = max(next_cycle + self.check_interval, time.monotonic())
                else:
                    self._check_prompt()
                self._sleep_until(next_cycle)
            self._keeper_done.set()

    return Today


TodaysWorker: Any = None


# -- part 1: latency ------------------------------------------------------------------------
def task_input(kind: str, rng: random.Random, job: str | None) -> dict[str, Any]:
    if kind == "glue":
        return {"GlueJobName": job, "Arguments": {"--seconds": f"{rng.uniform(0.3, 4.0):.2f}"}}
    rows = int(10 ** rng.uniform(3, 8.3))  # about 1 ms to 2 s in DuckDB
    return {"AthenaQueryString": f"SELECT sum(i) FROM range({rows}) t(i)", "AthenaResultOutputLocation": f"s3://{BUCKET}/results/"}


def make_job(aws: Any, concurrent: int) -> str:
    name = unique("bench-hold")
    aws.client("glue").create_job(Name=name, Role=ROLE, GlueVersion="3.0", ExecutionProperty={"MaxConcurrentRuns": concurrent},
                                  Command={"Name": HOLD, "ScriptLocation": f"s3://{BUCKET}/hold.py", "PythonVersion": "3.9"})
    return name


def wait_all(aws: Any, executions: list[str], timeout: float) -> None:
    sfn, deadline, pending = aws.client("stepfunctions"), time.monotonic() + timeout, set(executions)
    while pending:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(pending)} executions still running after {timeout:.0f} s")
        time.sleep(0.5)
        for arn in list(pending):
            described = sfn.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING":
                if described["status"] != "SUCCEEDED":
                    raise RuntimeError(f"{arn} ended {described['status']}: {described.get('cause')}")
                pending.discard(arn)


def terminal_to_reported(aws: Any, kind: str, execution: str) -> float:
    sfn = aws.client("stepfunctions")
    events = {e["type"]: e["timestamp"].timestamp() for e in sfn.get_execution_history(executionArn=execution)["events"]}
    output = json.loads(sfn.describe_execution(executionArn=execution)["output"])
    if kind == "glue":
        ended = aws.client("glue").get_job_run(JobName=output["JobName"], RunId=output["JobRunId"])["JobRun"]["CompletedOn"]
    else:
        ended = aws.client("athena").get_query_execution(QueryExecutionId=output["QueryExecutionId"])["QueryExecution"]["Status"]["CompletionDateTime"]
    return events["ActivitySucceeded"] - ended.timestamp()


def measure_latency(aws: Any, kind: str, mode: str, tasks: int, sweep: float, rng: random.Random) -> list[float]:
    lost = mode == "events, every end lost"
    job = make_job(aws, 50) if kind == "glue" else None
    deployment = Deployment(kind, mode, sweep_seconds=sweep if lost else None, job=job).start(aws)
    if lost:
        aws.service_event_faults.drop(source=f"aws.{kind}", times=None,
                                      match=lambda e: e["detail"].get("state", e["detail"].get("currentState")) not in ("QUEUED", "RUNNING"))
    try:
        sfn, executions = aws.client("stepfunctions"), []
        for _ in range(tasks):
            executions.append(sfn.start_execution(stateMachineArn=deployment.machine, input=json.dumps(task_input(kind, rng, job)))["executionArn"])
            time.sleep(rng.uniform(0.2, 1.2))
        wait_all(aws, executions, timeout=120 + 2 * sweep)
        return [terminal_to_reported(aws, kind, arn) for arn in executions]
    finally:
        aws.service_event_faults.clear()
        deployment.stop()


# -- part 2 and 3: calls and units per task, idle ---------------------------------------------
@dataclass
class CostRow:
    mode: str
    workers: int
    seconds: float
    tasks: int
    calls: Counter[str]
    wall: float

    def per_task(self, key: str) -> float:
        return self.calls[key] / self.tasks

    @property
    def status_per_task(self) -> float:
        return status_calls(self.calls) / self.tasks


def measure_costs(aws: Any, run_seconds: float, concurrent: int, idle: bool = False) -> tuple[list[CostRow], dict[str, Counter[str]], float]:
    """Events and today, 1 and 4 workers, ``concurrent`` tasks each, all at
    once (each its own job, table, queue and workers); with ``idle``, also
    events with 3 × ``concurrent`` tasks (sweep calls are shared by the runs
    going at the time), and one idle worker of each mode."""
    configs = [(mode, workers, concurrent) for mode in ("events", "today") for workers in (1, 4)]
    if idle:
        configs.append(("events", 1, 3 * concurrent))
    deployments = []
    for mode, workers, tasks in configs:
        job = make_job(aws, tasks)
        deployments.append(Deployment("glue", mode, workers=workers, job=job).start(aws))
    idlers = {mode: Deployment("glue", mode, job=make_job(aws, 1)).start(aws) for mode in ("events", "today")} if idle else {}
    sfn = aws.client("stepfunctions")
    began = time.monotonic()
    try:
        executions = {
            id(d): [sfn.start_execution(stateMachineArn=d.machine, input=json.dumps({"GlueJobName": d.job, "Arguments": {"--seconds": str(run_seconds)}}))["executionArn"]
                    for _ in range(tasks)]
            for d, (_, _, tasks) in zip(deployments, configs)
        }
        rows = []
        for deployment, (mode, workers, tasks) in zip(deployments, configs):
            wait_all(aws, executions[id(deployment)], timeout=run_seconds + 300)
            rows.append(CostRow(mode, workers, run_seconds, tasks, deployment.meter.take(), time.monotonic() - began))
            deployment.stop()
        idle_seconds = time.monotonic() - began
        idle_calls = {mode: d.meter.take() for mode, d in idlers.items()}
        return rows, idle_calls, idle_seconds
    finally:
        for deployment in [*deployments, *idlers.values()]:
            deployment.stop()


# -- part 4: what it costs, and what .sync would do ----------------------------------------
PRICES = {
    "fargate_spot_vcpu_hour": 0.012344,  # us-east-1, Linux/x86 Fargate Spot (Spot prices move)
    "fargate_spot_gb_hour": 0.001355,
    "public_ipv4_hour": 0.005,
    "lambda_arm_gb_second": 0.0000133334,  # us-east-1, arm64
    "lambda_request": 0.20 / 1e6,
    "sqs_request": 0.40 / 1e6,  # standard queue, past the free tier
    "ddb_read_unit": 0.125 / 1e6,  # on-demand, us-east-1
    "ddb_write_unit": 0.625 / 1e6,
    "sfn_transition": 0.025 / 1e3,  # Standard workflows
}
HOURS_PER_MONTH = 730
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
RUNNER_KINDS = 3  # glue, athena, wait: one worker each in service mode
EVENT_QUEUES = 2  # glue, athena
SQS_IDLE_RECEIVES_PER_MINUTE = 3  # one 20 s long poll after another
ESM_IDLE_POLLERS = 5  # assumed: Lambda's SQS event source mapping keeps about five long polls open


def service_idle_cost(idle_units_per_second: dict[str, float]) -> list[list[Any]]:
    """One 0.25 vCPU / 0.5 GB Fargate Spot task serving the three runners."""
    p = PRICES
    rows = [
        ["Fargate Spot, 0.25 vCPU", f"0.25 × ${p['fargate_spot_vcpu_hour']}/vCPU-h × {HOURS_PER_MONTH} h", 0.25 * p["fargate_spot_vcpu_hour"] * HOURS_PER_MONTH],
        ["Fargate Spot, 0.5 GB", f"0.5 × ${p['fargate_spot_gb_hour']}/GB-h × {HOURS_PER_MONTH} h", 0.5 * p["fargate_spot_gb_hour"] * HOURS_PER_MONTH],
        ["SQS long polls (2 event queues)", f"{EVENT_QUEUES} × {SQS_IDLE_RECEIVES_PER_MINUTE}/min × ${p['sqs_request'] * 1e6:.2f}/M",
         EVENT_QUEUES * SQS_IDLE_RECEIVES_PER_MINUTE * 60 * HOURS_PER_MONTH * p["sqs_request"]],
        ["DynamoDB reads (3 tables, measured)", f"{RUNNER_KINDS} × {idle_units_per_second['read']:.4f} units/s × ${p['ddb_read_unit'] * 1e6:.3f}/M",
         RUNNER_KINDS * idle_units_per_second["read"] * SECONDS_PER_MONTH * p["ddb_read_unit"]],
        ["DynamoDB writes (3 tables, measured)", f"{RUNNER_KINDS} × {idle_units_per_second['write']:.4f} units/s × ${p['ddb_write_unit'] * 1e6:.3f}/M",
         RUNNER_KINDS * idle_units_per_second["write"] * SECONDS_PER_MONTH * p["ddb_write_unit"]],
        ["Step Functions GetActivityTask", "not billed", 0.0],
    ]
    return rows + [["**total**", "(SQS's free tier, 1M requests a month, would cover the polls)", sum(r[2] for r in rows)],
                   ["public IPv4 address, if the task has one", f"${p['public_ipv4_hour']}/h × {HOURS_PER_MONTH} h (none in an IPv6-only subnet)",
                    p["public_ipv4_hour"] * HOURS_PER_MONTH]]


def scheduled_cost(functions: int, period_minutes: float, memory_mb: int, billed_seconds: float) -> float:
    """Scheduled runner functions: compute, requests, and the two consistent
    scans (one page each) of every table a cycle makes (check_all before and
    after its polls)."""
    p, invocations = PRICES, SECONDS_PER_MONTH / 60 / period_minutes * functions
    compute = invocations * billed_seconds * memory_mb / 1024 * p["lambda_arm_gb_second"] + invocations * p["lambda_request"]
    return compute + invocations * 2 * (RUNNER_KINDS / functions) * 1.0 * p["ddb_read_unit"]


def lambda_idle_cost(period_minutes: float, memory_mb: int, billed_seconds: float) -> float:
    """One function for all runners on a schedule (each invocation holds one
    long poll per activity, in parallel), and the job_events function behind
    an SQS event source mapping (no invocation while idle; its pollers are
    billed as SQS requests)."""
    esm = EVENT_QUEUES * ESM_IDLE_POLLERS * SQS_IDLE_RECEIVES_PER_MINUTE * 60 * HOURS_PER_MONTH * PRICES["sqs_request"]
    return scheduled_cost(1, period_minutes, memory_mb, billed_seconds) + esm


SYNC_POLLS = [60.0 * m for m in range(1, 11)] + [600.0 + 300.0 * m for m in range(1, 200)]


def sync_row(seconds: float) -> list[Any]:
    """Glue ``startJobRun.sync``: Step Functions polls GetJobRun once a minute
    for the first 10 minutes, every 5 minutes after (AWS re:Post answer by
    AWS; the developer guide gives no interval). A run of about ``seconds``
    ends somewhere in the poll gap it falls in: noticed at the next poll, on
    average half a gap later."""
    first = next(t for t in SYNC_POLLS if t >= seconds)
    gap = 60.0 if seconds <= 600 else 300.0
    worst, average = (first - seconds, first - seconds) if seconds < 60 else (gap, gap / 2)
    return [f"{seconds:g} s", sum(1 for t in SYNC_POLLS if t <= first), worst, average, "no runner: $0", "same as an activity Task (1 per Task state)"]


# -- report -------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    global TodaysWorker
    args = options(__doc__.splitlines()[0], _add_options, argv)
    quick = args.quick
    tasks, long_seconds, concurrent = (1, 8.0, 2) if quick else (args.tasks, args.long_seconds, args.concurrent)
    lost_sweep = 3.0 if quick else 60.0
    from runners.config import Settings
    from runners.log import configure

    configure(level="WARNING", stream=sys.stderr)
    TodaysWorker = _todays_worker_class()
    aws = start_aws()
    rng = random.Random(17)
    latency: dict[tuple[str, str], list[float]] = {}
    try:
        for kind in ("glue", "athena"):
            for mode in MODES:
                count = min(tasks, 4) if mode == "events, every end lost" else tasks
                latency[(kind, mode)] = measure_latency(aws, kind, mode, count, lost_sweep, rng)
                print(f"{kind} / {mode}: p50 {percentile(latency[(kind, mode)], 50):.2f} s", file=sys.stderr, flush=True)
        short_rows, _, _ = measure_costs(aws, 5.0, concurrent)
        long_rows, idle_calls, idle_seconds = measure_costs(aws, long_seconds, concurrent, idle=True)
    finally:
        aws.stop()

    defaults = Settings()
    report = Report("events", "Completion by events, as deployed", " ".join(["python -m bench.events", *(argv if argv is not None else sys.argv[1:])]), 1)
    rows = []
    for (kind, mode), values in latency.items():
        rows.append([kind, mode, percentile(values, 50), percentile(values, 95), max(values), len(values)])
    report.add(
        "Job terminal -> SendTaskSuccess, seconds (one worker, default settings; target p50 ≤ 0.5, p95 ≤ 1.5 by events)",
        table(["runner", "mode", "p50 s", "p95 s", "max s", "tasks"], rows)
        + f"\n\nWith every end event lost the sweep reports the runs: bounded by the sweep interval ({lost_sweep:g} s here, "
          f"{defaults.sweep_interval_seconds:g} s by default). Lambda handler (warm): the handler's own latency behind an SQS "
          "poller in this process; Lambda's event source mapping adds its polling delay, and a cold start (about 1-2 s) when no "
          "instance is warm.",
    )
    cost_rows = []
    for row in short_rows + long_rows:
        cost_rows.append([
            f"{row.seconds:g} s", row.mode, row.workers, row.tasks, row.status_per_task, row.per_task("ddb.read_units"), row.per_task("ddb.write_units"),
            row.per_task("stepfunctions.SendTaskHeartbeat"), row.per_task("dynamodb.Scan"), row.per_task("sqs.ReceiveMessage"),
        ])
    report.add(
        f"Per task: Glue runs of 5 s and {long_seconds:g} s (real time), started together, default settings "
        "(targets with events: status calls ≤ 0.2, DynamoDB read units ≤ 5)",
        table(["run", "mode", "workers", "tasks together", "status calls", "DynamoDB read units", "DynamoDB write units", "heartbeats", "Scan calls",
               "SQS receives"], cost_rows),
    )
    idle_units = {mode: {"read": calls["ddb.read_units"] / idle_seconds, "write": calls["ddb.write_units"] / idle_seconds} for mode, calls in idle_calls.items()}
    report.add(
        f"An idle worker, over {idle_seconds:.0f} s (target ≤ 0.1 read units/s)",
        table(["mode", "DynamoDB read units/s", "DynamoDB write units/s", "status calls"],
              [[mode, units["read"], units["write"], status_calls(idle_calls[mode])] for mode, units in idle_units.items()]),
    )
    report.add(
        "A `.sync` integration for the same Glue work (Step Functions polls GetJobRun once a minute for 10 minutes, "
        "then every 5 minutes: an AWS re:Post answer by AWS; the developer guide gives no interval)",
        table(["run", "GetJobRun polls (by Step Functions, not billed)", "terminal -> next state, worst s", "average s", "idle cost", "state transitions"],
              [sync_row(5.0), sync_row(long_seconds), sync_row(1800.0)]),
    )
    service = service_idle_cost(idle_units.get("events", {"read": 0.0, "write": 0.0}))
    report.add("Idle cost per month, service mode: one 0.25 vCPU / 0.5 GB Fargate Spot task serving Glue, Athena and waits (target ≤ $3)",
               table(["item", "formula", "$ / month"], service))
    lambda_rows = [[f"rate({m} minute{'s' if m > 1 else ''})" + (" (the stack's default)" if (m, mb) == (1, 128) else ""), mb,
                    lambda_idle_cost(m, mb, 62.0)] for m in (1, 2, 5) for mb in (128, 256)]
    report.add(
        "Idle cost per month, Lambda mode: one function for all runners on a schedule, the job_events function behind an SQS "
        "event source mapping (target ≤ $9; the runner-resources stack deploys rate(1 minute) at 128 MB, RunnerMemorySize; today's three functions on rate(1 minute) at 256 MB: "
        f"${scheduled_cost(3, 1, 256, 62.0):.2f})",
        table(["schedule", "memory MB", "$ / month"], lambda_rows)
        + "\n\nFormula: invocations/month × 62 s billed (one 60 s long poll per activity, in parallel, plus checks) × GB × "
          f"${PRICES['lambda_arm_gb_second']}/GB-s (arm64) + ${PRICES['lambda_request'] * 1e6:.2f}/M requests + the event source "
          f"mapping's idle polling ({EVENT_QUEUES} queues × about {ESM_IDLE_POLLERS} long polls × 3/min × ${PRICES['sqs_request'] * 1e6:.2f}/M) "
          "+ 2 consistent scans of each of 3 tables per invocation. The schedule must stay well under the states' HeartbeatSeconds "
          "(300 s): a task is heartbeaten only by the scheduled cycle in Lambda mode, and picked up only while one runs.",
    )
    report.add("", NOTES.format(poll=f"{EMULATOR_POLL_SECONDS:g}", sweep=f"{defaults.sweep_interval_seconds:g}",
                                max_gap=f"{defaults.sweep_max_gap_seconds:g}"))
    report.publish(args.out, quick)
    draw(latency, short_rows + long_rows, args.out, quick)


NOTES = """\
How the per-task figures grow. With events a task costs no status call of its own: a sweep
(one worker per interval, {sweep} s) asks about the runs that are due, in one GetJobRuns per Glue
job name (200 runs a page) or one BatchGetQueryExecution per 50 queries: a run at the first sweep
after it starts, then after gaps doubling from two intervals up to {max_gap} s
(runners/sweep_schedule.py). A 5-minute run is asked about at most twice, a 30-minute run 7 times,
an hour-long one 13 times, and runs of one job share each call, whatever the number of workers:
status calls per task ≈ (checks per run) × (calls per sweep) ÷ (tasks running together); one
5-minute task alone costs 2. Reads per task: a sweep reads the sweep
index (about 150 bytes a task, eventually consistent) and a task's event is found in memory by the
worker that started it, or through the run index by another (0.5 unit). Today's worker reads the
whole table (consistent) and asks about every run every 0.5 s, in every worker: its figures grow
in proportion to run length and to the number of workers. Heartbeats (every 30 s while a task is
held) are what Step Functions' HeartbeatSeconds requires in both modes; today each worker sends
them for every record it scans. Write units count each write at its item's size rounded up to
1 KB (a delete as 2). The embedded AWS's activity long polls last {poll} s here (60 s on AWS),
which changes only the GetActivityTask calls of idle pollers (not shown; Step Functions does not
bill them)."""


def draw(latency: dict[tuple[str, str], list[float]], cost_rows: list[CostRow], out: Any, quick: bool) -> None:
    fig, axes = figure(1, 2, width=6.0)
    ax = axes[0][0]
    for mode in MODES:
        values = sorted(v for (_, m), vs in latency.items() if m == mode for v in vs)
        if values:
            ax.plot(values, [(i + 1) / len(values) for i in range(len(values))], drawstyle="steps-post", label=mode)
    ax.axvline(0.5, color="grey", linestyle=":")
    ax.axvline(1.5, color="grey", linestyle="--")
    ax.set(xscale="log", title="job terminal -> SendTaskSuccess (Glue and Athena)", xlabel="seconds", ylabel="fraction of tasks", ylim=(0, 1.02))
    ax.legend(fontsize=7)
    ax = axes[0][1]
    labels = [f"{r.seconds:g} s\n{r.mode}\n{r.workers}w {r.tasks}t" for r in cost_rows]
    ax.bar(range(len(cost_rows)), [max(r.status_per_task, 0.01) for r in cost_rows], color=["tab:green" if r.mode == "events" else "tab:red" for r in cost_rows])
    ax.axhline(0.2, color="grey", linestyle=":")
    ax.set_xticks(range(len(cost_rows)), labels, fontsize=6)
    ax.set(yscale="log", title="status calls per task", ylabel="calls")
    save_chart(fig, out, "events", quick)


if __name__ == "__main__":
    main()
