"""Benchmark 2: AWS API calls as work grows.

Every call is counted by a botocore ``before-call`` hook on the very clients
the lifecycle uses: the boto3 clients of ``AwsClients`` and the botocore
client inside the task table's pynamodb connection. Two measurements:

* **per check cycle** with N task records RUNNING on runs that stay active:
  one ``TaskLifecycle.check_all()`` (batched status calls) against the
  original sample's strategy (read the table, one GetJobRun /
  GetQueryExecution per active run), on the same clients and table;
* **per completed task**: M trivial tasks taken end to end through Step
  Functions by a real ``Worker`` with the service's default settings.

    python -m bench.api_calls [--runs 5] [--tasks 30] [--quick] [--out DIR]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from functools import cache
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

from bench.report import Report, figure, median, options, save_chart, table

SIZES, QUICK_SIZES = (10, 100, 1_000, 10_000), (10, 100)
GLUE_JOB_NAME_COUNTS = (1, 10)
STATUS_CALLS = {"glue": ("GetJobRun", "GetJobRuns"), "athena": ("GetQueryExecution", "BatchGetQueryExecution")}
BUCKET = "etl-runner-bench-api-calls"
ROLE = "arn:aws:iam::123456789012:role/etl-runner-bench"
HOLD_COMMAND = "benchhold"  # Glue Command.Name whose runs are a `sleep` process
ONE_REPEAT_FROM = 10_000  # a cycle here takes 15-80 s on the emulator, and the counts do not vary between repeats


class CallCounter:
    """Calls by ``service.Operation`` on every client attached; also, under
    keys with a parenthesis (subsets, not extra calls): calls answered with an
    error and long polls that came back without a task; and DynamoDB items read."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.*.*", self._before)
        client.meta.events.register("after-call.*.*", self._after)

    def _before(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[f"{model.service_model.service_name}.{model.name}"] += 1

    def _after(self, model: Any, parsed: dict, **_: Any) -> None:
        extra: Counter[str] = Counter()
        if code := parsed.get("Error", {}).get("Code"):
            extra[f"{model.service_model.service_name}.{model.name} (answered {code})"] = 1
        if model.name == "Scan":
            extra["dynamodb items read"] = parsed.get("ScannedCount", 0)
        elif model.name == "GetItem":
            extra["dynamodb items read"] = int("Item" in parsed)
        elif model.name == "GetActivityTask" and not parsed.get("taskToken"):
            extra["stepfunctions.GetActivityTask (empty long poll)"] = 1
        with self._lock:
            self.calls.update(extra)

    def take(self) -> Counter[str]:
        with self._lock:
            taken, self.calls = self.calls, Counter()
        return taken


def start_embedded_aws() -> Any:
    """One in-process emulator; everything below talks to it over HTTP."""
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"})
    os.environ.pop("AWS_PROFILE", None)
    from embedded_aws import EmbeddedAws
    from embedded_aws.glue.launch import JobExecutor, RunLaunch

    class SleepExecutor(JobExecutor):
        """A Glue run that is one idle `sleep` process (no interpreter start)."""

        def launch(self, launch: RunLaunch) -> subprocess.Popen[bytes]:
            return subprocess.Popen(["sleep", "86400"], stdin=subprocess.DEVNULL, stdout=launch.stdout, stderr=launch.stderr, start_new_session=True)

    aws = EmbeddedAws(activity_poll_seconds=1.0).start()
    os.environ["AWS_ENDPOINT_URL"] = aws.endpoint_url
    aws.glue.register_executor(HOLD_COMMAND, SleepExecutor())
    s3 = emulator_client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="scripts/exit.py", Body=b"pass\n")
    return aws


@cache
def emulator_client(service: str) -> Any:
    """An unhooked client for setting things up (built once: building one takes ~0.4 s)."""
    import boto3

    return boto3.client(service)


def make_job(command: str, max_concurrent_runs: int, queuing: bool = False) -> str:
    name = f"bench-{uuid.uuid4().hex[:10]}"
    emulator_client("glue").create_job(
        Name=name, Role=ROLE, GlueVersion="3.0", JobRunQueuingEnabled=queuing, ExecutionProperty={"MaxConcurrentRuns": max_concurrent_runs},
        Command={"Name": command, "ScriptLocation": f"s3://{BUCKET}/scripts/exit.py", "PythonVersion": "3.9"},
    )
    return name


# -- runs that stay active -------------------------------------------------------
def held_glue_runs(aws: Any, count: int, job_names: int) -> list[tuple[dict, str, str]]:
    """``count`` active runs spread over ``job_names`` jobs, one process per job.

    Each job allows one concurrent run and queues the rest (real StartJobRun
    calls); its first run is a `sleep` process, the queued ones are relabelled
    RUNNING with the emulator's ``force_run_state`` (no process, never started)."""
    glue = emulator_client("glue")
    jobs = [make_job(HOLD_COMMAND, 1, queuing=True) for _ in range(job_names)]
    runs = []
    for i in range(count):
        job = jobs[i % job_names]
        run_id = glue.start_job_run(JobName=job)["JobRunId"]
        if i >= job_names:
            aws.glue.force_run_state(job, run_id, "RUNNING")
        runs.append(({"GlueJobName": job}, job, run_id))
    return runs


def held_athena_queries(aws: Any, count: int) -> list[tuple[dict, None, str]]:
    """``count`` query executions that stay RUNNING.

    Benchmark-only: the emulator runs every query on its own thread and DuckDB
    session until it ends and has no way to hold one, so 10,000 live queries
    would be 10,000 threads. These are entered in its in-process query book
    instead; the Athena APIs then answer for them like for any other query."""
    from moto.athena.models import athena_backends

    from embedded_aws.athena.engine import RUNNING, QueryRun, query_book
    from embedded_aws.s3.objects import S3Uri

    book = query_book(athena_backends[aws.account_id][aws.region])
    output = f"s3://{BUCKET}/held/"
    payload = {"AthenaQueryString": "SELECT 1", "AthenaResultOutputLocation": output}
    runs = []
    for _ in range(count):
        query_id = str(uuid.uuid4())
        book.runs[query_id] = QueryRun(
            query_id=query_id, query="SELECT 1", account_id=aws.account_id, region=aws.region, workgroup="primary", context={},
            result_configuration={"OutputLocation": output}, output_uri=S3Uri.parse(output).join(f"{query_id}.csv"),
            execution_parameters=[], client_request_token=None, statement_type="DML", state=RUNNING,
        )
        runs.append((payload, None, query_id))
    return runs


def seed_running_records(store: Any, runs: list[tuple[dict, str | None, str]]) -> None:
    """RUNNING task records for ``runs``, written in batches (not measured)."""
    from runners.state import RUNNING, task_id_for, utcnow

    now = utcnow()
    with store.model.batch_write() as batch:
        for payload, group, run_id in runs:
            token = f"bench-token-{uuid.uuid4().hex}"
            batch.save(store.model(
                task_id_for(token), task_token=token, raw_input=json.dumps(payload), phase=RUNNING, received_at=now,
                run_group=group, run_id=run_id, started_at=now, expires_at=now + timedelta(days=1),
            ))


# -- measurements ------------------------------------------------------------------
def counted_lifecycle(kind: str, counter: CallCounter, **settings: Any) -> tuple[Any, Any]:
    """A lifecycle built as the service builds it, on a fresh table, and its
    clients, all hooked. pynamodb makes its own botocore client; the model's
    (cached) connection is where it lives."""
    from runners.aws import AwsClients
    from runners.config import Settings
    from runners.service import build_lifecycle

    values = {f"{kind}_table": f"bench-{kind}-{uuid.uuid4().hex[:8]}", "worker_name": "bench-api-calls", **settings}
    config = Settings(**values)
    config.validate()
    clients = AwsClients(config)
    lifecycle = build_lifecycle(kind, config, clients)
    lifecycle.store.ensure_table()
    for client in (clients.sfn, clients.client(kind), lifecycle.store.model._get_connection().connection.client):
        counter.attach(client)
    return lifecycle, clients


def per_run_polling(kind: str, lifecycle: Any, clients: Any) -> Callable[[], None]:
    """The original sample's check: read the table, one status call per active run."""
    from runners.state import RUNNING

    def cycle() -> None:
        for record in lifecycle.store.scan():
            if record.phase == RUNNING and record.run_id:
                if kind == "glue":
                    clients.glue.get_job_run(JobName=record.run_group, RunId=record.run_id)
                else:
                    clients.athena.get_query_execution(QueryExecutionId=record.run_id)

    return cycle


def median_calls(counter: CallCounter, cycle: Callable[[], Any], repeats: int) -> tuple[Counter[str], bool]:
    """Median calls by API over ``repeats`` cycles, and whether any repeat differed."""
    counter.take()
    samples = []
    for _ in range(repeats):
        cycle()
        samples.append(counter.take())
    keys = set().union(*samples)
    return Counter({key: median(sample[key] for sample in samples) for key in keys}), any(s != samples[0] for s in samples)


def status_calls(calls: Counter[str], kind: str) -> tuple[float, str]:
    parts = {op: calls[f"{kind}.{op}"] for op in STATUS_CALLS[kind] if calls[f"{kind}.{op}"]}
    return sum(parts.values()), ", ".join(f"{op} ×{n:g}" for op, n in parts.items()) or "-"


def per_cycle(kind: str, job_names: int | None, runs: list[tuple[dict, str | None, str]], repeats: int) -> tuple[list[Any], bool]:
    """One table row: calls per cycle with a record for each of ``runs``."""
    counter = CallCounter()
    # Heartbeats are kept out of the way (records are "received" at seeding);
    # the SFN column shows that none was sent.
    lifecycle, clients = counted_lifecycle(kind, counter, heartbeat_interval_seconds=3600)
    seed_running_records(lifecycle.store, runs)
    size = len(runs)
    repeats = 1 if size >= ONE_REPEAT_FROM else repeats
    ours, ours_varied = median_calls(counter, lifecycle.check_all, repeats)
    baseline, base_varied = median_calls(counter, per_run_polling(kind, lifecycle, clients), repeats)
    assert len(list(lifecycle.store.scan())) == size, "a record was reported or dropped: runs did not stay active"
    lifecycle.store.model.delete_table()
    ours_status, ours_detail = status_calls(ours, kind)
    base_status, _ = status_calls(baseline, kind)
    dynamo, base_dynamo = (sum(n for key, n in calls.items() if key.startswith("dynamodb.")) for calls in (ours, baseline))
    sfn = sum(n for key, n in ours.items() if key.startswith("stepfunctions."))
    print(f"{kind} job names={job_names} N={size}: {ours_status:g} vs {base_status:g} status calls", file=sys.stderr, flush=True)
    row = [kind.capitalize(), job_names or "-", size, ours_status, ours_detail, base_status, dynamo if dynamo == base_dynamo else f"{dynamo:g} / {base_dynamo:g}", ours["dynamodb items read"], sfn]
    return row, ours_varied or base_varied


def per_task(aws: Any, kind: str, tasks: int) -> tuple[Counter[str], dict[str, float]]:
    """M tasks through a state machine and a real Worker; every call it made."""
    from runners.worker import Worker

    sfn = emulator_client("stepfunctions")
    activity = sfn.create_activity(name=f"bench-{kind}-{uuid.uuid4().hex[:8]}")["activityArn"]
    definition = {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity, "TimeoutSeconds": 300, "End": True}}}
    machine = sfn.create_state_machine(name=f"bench-{uuid.uuid4().hex[:8]}", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    if kind == "glue":
        payload: dict[str, str] = {"GlueJobName": make_job("pythonshell", tasks)}
    else:
        payload = {"AthenaQueryString": "SELECT 1", "AthenaResultOutputLocation": f"s3://{BUCKET}/results/"}
    counter = CallCounter()
    lifecycle, _ = counted_lifecycle(kind, counter, **{f"{kind}_activity_arn": activity})
    cycles: Counter[str] = Counter()
    for name in ("check_all", "check_prompt"):  # check_prompt: quick checks of just-started runs, where present
        if hasattr(lifecycle, name):
            step = getattr(lifecycle, name)
            setattr(lifecycle, name, lambda step=step, name=name: (cycles.update([name]), step())[1])
    executions = [sfn.start_execution(stateMachineArn=machine, input=json.dumps(payload))["executionArn"] for _ in range(tasks)]
    counter.take()
    worker = Worker(lifecycle, activity, lifecycle.settings.pollers, lifecycle.settings.check_interval_seconds)
    thread = threading.Thread(target=worker.serve, daemon=True)
    started = time.monotonic()
    thread.start()
    pending = set(executions)
    while pending and time.monotonic() - started < 300:
        pending = {arn for arn in pending if sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"}
        time.sleep(0.2)
    seconds = time.monotonic() - started
    worker.request_shutdown()
    thread.join(60)
    failed = [arn for arn in executions if sfn.describe_execution(executionArn=arn)["status"] != "SUCCEEDED"]
    if failed:
        raise RuntimeError(f"{len(failed)} of {tasks} {kind} executions did not succeed")
    return counter.take(), {"seconds": seconds, "cycles": cycles["check_all"], "prompt": cycles["check_prompt"]}


# -- output ------------------------------------------------------------------------
def draw(rows: list[list[Any]], out: Path, quick: bool) -> Path | None:
    fig, axes = figure(width=7.0, height=4.5)
    ax = axes[0][0]
    athena = [row for row in rows if row[0] == "Athena"]
    ax.plot([row[2] for row in athena], [row[5] for row in athena], "k--o", label="per-run polling: Athena (●), Glue (×)")
    ax.plot([row[2] for row in rows if row[0] == "Glue"], [row[5] for row in rows if row[0] == "Glue"], "kx", markersize=10)
    for kind, names, label in (("Athena", "-", "ours: Athena"), ("Glue", 1, "ours: Glue, 1 job name"), ("Glue", 10, "ours: Glue, 10 job names")):
        points = [(row[2], row[3]) for row in rows if row[0] == kind and row[1] == names]
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
    ax.set(xscale="log", yscale="log", xlabel="active runs N", ylabel="status calls per check cycle", title="Status calls per check cycle")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return save_chart(fig, out, "api_calls", quick)


def per_task_table(results: dict[str, tuple[Counter[str], dict[str, float]]], tasks: int) -> str:
    keys = sorted({key for calls, _ in results.values() for key in calls if key != "dynamodb items read"})
    rows = [[key] + [results[kind][0][key] / tasks for kind in results] for key in keys]
    rows.append(["**all calls**"] + [sum(n for k, n in calls.items() if "." in k and "(" not in k) / tasks for calls, _ in results.values()])
    rows.append(["dynamodb items read"] + [calls["dynamodb items read"] / tasks for calls, _ in results.values()])
    rows += [
        ["full check cycles run (total)"] + [int(info["cycles"]) for _, info in results.values()],
        ["prompt checks run (total)"] + [int(info["prompt"]) for _, info in results.values()],
        ["seconds until all succeeded"] + [info["seconds"] for _, info in results.values()],
    ]
    return table(["API call (service.Operation)", *(f"{kind.capitalize()}, per task" for kind in results)], rows)


def main(argv: list[str] | None = None) -> None:
    args = options(__doc__.splitlines()[0], lambda p: p.add_argument("--tasks", type=int, default=30, help="tasks run end to end per service (default 30)"), argv)
    tasks = 3 if args.quick else args.tasks
    from runners.config import Settings
    from runners.log import configure

    configure(level="WARNING", stream=sys.stderr)
    sizes = QUICK_SIZES if args.quick else SIZES
    aws = start_embedded_aws()
    try:
        # One pool of active runs per series; size N uses its newest N runs
        # (jobs keep older runs, as on AWS; paging is newest first).
        series = [("athena", None, held_athena_queries(aws, max(sizes)))]
        series += [("glue", names, held_glue_runs(aws, max(sizes), names)) for names in GLUE_JOB_NAME_COUNTS]
        measured = [per_cycle(kind, names, pool[len(pool) - size :], args.runs) for kind, names, pool in series for size in sizes]
        cycle_rows, varied = [row for row, _ in measured], any(v for _, v in measured)
        task_results = {kind: per_task(aws, kind, tasks) for kind in ("glue", "athena")}
    finally:
        aws.stop()
    report = Report("api_calls", "API calls as work grows", " ".join(["python -m bench.api_calls", *(argv if argv is not None else sys.argv[1:])]), args.runs)
    report.add("Calls per check cycle with N active runs", table(
        ["Service", "Job names", "Active runs N", "Status calls, ours", "Ours, by API", "Status calls, per-run polling", "DynamoDB calls", "DynamoDB items read", "SFN calls"],
        cycle_rows,
    ))
    defaults = Settings()
    report.add("", NOTES_CYCLE.format(one=f"{ONE_REPEAT_FROM:,}", varied="differed" if varied else "gave identical counts", beat=f"{defaults.heartbeat_interval_seconds:g}"))
    report.add(f"Calls per completed task ({tasks} tasks per service, end to end)", per_task_table(task_results, tasks))
    report.add("", NOTES_TASK.format(tasks=tasks, pollers=defaults.pollers, check=f"{defaults.check_interval_seconds:g}", beat=f"{defaults.heartbeat_interval_seconds:g}"))
    report.publish(args.out, args.quick)
    draw(cycle_rows, args.out, args.quick)


NOTES_CYCLE = """\
One check cycle = one `TaskLifecycle.check_all()` (ours) or one pass of the original sample's check
(read the task table, then one GetJobRun / GetQueryExecution per active run), on the same clients and
table. Calls are counted by a botocore `before-call` hook; medians of the runs, except at N = {one}:
one cycle per strategy (repeats at the smaller sizes {varied}). DynamoDB calls are the Scan pages, the
same for per-run polling, which reads the same table (a cell would say "ours / per-run" otherwise);
items read = ScannedCount. Heartbeats are set to 1 h here so none falls due (SFN column); ours
heartbeat each task every {beat} s, the original sample sent one SendTaskHeartbeat per active run per
cycle (not counted here).

Runs stay active throughout. Glue: real StartJobRun calls on jobs that allow one concurrent run and
queue the rest; the first run of each job is a `sleep` process, the queued ones are relabelled RUNNING
with the emulator's `force_run_state`; size N uses the newest N runs of one pool per series (spread
evenly over the job names). Athena: queries entered RUNNING in the emulator's in-process query book
(benchmark-only; the emulator has no API to hold a query, and one thread per live query does not scale
to 10,000). Glue status checks page GetJobRuns (200 runs a page, newest first) for a job with more than
one active run and use GetJobRun for a single one, so they grow with the job names and with the runs
per job / 200, not with the runs themselves."""

NOTES_TASK = """\
Each task: a Step Functions execution of one activity Task state (all {tasks} started together), taken
by a real `Worker` with the default settings ({pollers} pollers, {check} s check interval, {beat} s heartbeats)
against the embedded AWS, whose long polls last 1 s (60 s on AWS). Rows with a parenthesis are subsets
of the row above them, not extra calls: GetActivityTask calls answered without a task (they depend on
idle time, not on tasks) and calls answered with an error. Status calls come from full check cycles
and from the worker's prompt checks of just-started runs; they and the Scan pages are shared by the
tasks active at the time, so per task they shrink as more tasks run together. Glue tasks run a Python
shell script that exits at once; Athena tasks run `SELECT 1`."""

if __name__ == "__main__":
    main()
