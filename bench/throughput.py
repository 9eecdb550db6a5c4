"""Benchmark 3, throughput: Athena activity tasks per second completed by 1, 2
and 4 `etl-runner serve athena` processes, next to the embedded AWS's own
ceiling for the same calls made from one client process with no worker logic.

Timing and counting happen in the server, so measuring adds no calls: a tap in
front of the embedded AWS's WSGI app counts every request (by X-Amz-Target)
with the CPU its thread spent on it, stamps successful StartQueryExecution and
SendTaskSuccess answers, and holds GetActivityTask requests until every poller
is waiting, so process start-up is not timed. A run lasts from that release to
the last task's SendTaskSuccess. The server's CPU per task, by call, is what
explains the gap between a worker and the ceiling.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import psutil

from bench.report import Report, figure, median, options, save_chart, table

QUERY = "SELECT 1 AS one"
RESULTS_BUCKET = "bench-throughput-results"
ROLE_ARN = "arn:aws:iam::123456789012:role/bench"
WORKER_COUNTS = (1, 2, 4)
TARGET_SHARE = 0.70  # one worker should reach this share of the ceiling
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}
STAMPED = ("StartQueryExecution", "SendTaskSuccess")  # calls whose answer times are kept
Runs = dict[str, list[dict[str, Any]]]  # contender -> its measured runs


class ServerTap:
    """Counts, stamps and gates the embedded AWS's requests (it runs in this process)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.gate = threading.Event()
        self.gate.set()
        self.calls: Counter[str] = Counter()
        self.cpu: Counter[str] = Counter()  # seconds of the request threads' own CPU, by call
        self.held = 0
        self.stamps: dict[str, list[float]] = {op: [] for op in STAMPED}

    def install(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication

        original, tap = DomainDispatcherApplication.__call__, self

        def tapped(app: Any, environ: dict, start_response: Callable) -> Any:
            op = environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2] or environ.get("REQUEST_METHOD", "?")
            if op == "GetActivityTask" and not tap.gate.is_set():
                with tap.lock:
                    tap.held += 1
                tap.gate.wait()
            status: list[str] = []
            cpu = time.thread_time()  # a request runs on one thread: this is its own CPU
            body = original(app, environ, lambda s, h, *e: (status.append(s), start_response(s, h, *e))[1])
            ok, cpu = bool(status) and status[0].startswith("200"), time.thread_time() - cpu
            with tap.lock:
                tap.calls[op if ok else f"{op} (refused)"] += 1
                tap.cpu[op if ok else f"{op} (refused)"] += cpu
                if ok and op in STAMPED:
                    tap.stamps[op].append(time.perf_counter())
            return body

        DomainDispatcherApplication.__call__ = tapped  # type: ignore[method-assign]

    def hold_polls(self) -> None:
        with self.lock:
            self.held = 0
            self.stamps = {op: [] for op in STAMPED}
        self.gate.clear()

    def release_when_held(self, polls: int, alive: Callable[[], bool], timeout: float = 120.0) -> float:
        """Open the gate once ``polls`` GetActivityTask calls wait at it; the run starts then."""
        deadline = time.monotonic() + timeout
        while self.held < polls:
            if not alive() or time.monotonic() > deadline:
                self.gate.set()
                raise RuntimeError(f"only {self.held} of {polls} pollers reached the server")
            time.sleep(0.02)
        with self.lock:
            self.calls.clear()
            self.cpu.clear()
        self.gate.set()
        return time.perf_counter()

    def wait_for(self, op: str, count: int, alive: Callable[[], bool], timeout: float = 600.0) -> None:
        deadline = time.monotonic() + timeout
        while self.calls[op] < count:
            if not alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{op}: {self.calls[op]} of {count}; calls so far {dict(self.calls)}")
            time.sleep(0.05)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def queue_tasks(sfn: Any, tasks: int) -> tuple[str, str]:
    """A new activity with ``tasks`` executions of a one-state machine waiting on it (untimed)."""
    activity = sfn.create_activity(name=unique("bench"))["activityArn"]
    state = {"Type": "Task", "Resource": activity, "TimeoutSeconds": 900, "End": True}
    definition = json.dumps({"StartAt": "Query", "States": {"Query": state}})
    machine = sfn.create_state_machine(name=unique("bench"), definition=definition, roleArn=ROLE_ARN)["stateMachineArn"]
    payload = json.dumps({"AthenaQueryString": QUERY, "AthenaResultOutputLocation": f"s3://{RESULTS_BUCKET}/{activity[-8:]}/"})
    executions = [sfn.start_execution(stateMachineArn=machine, name=f"task-{i}", input=payload)["executionArn"] for i in range(tasks)]
    for arn in executions:  # every task is queued before anyone polls
        while not any(e["type"] == "ActivityScheduled" for e in sfn.get_execution_history(executionArn=arn)["events"]):
            time.sleep(0.05)
    return activity, machine


def new_table() -> str:
    """An empty task table, created the way `--create-table` does."""
    from runners.aws import AwsClients
    from runners.config import Settings
    from runners.service import build_store

    settings = Settings.from_env(athena_table=unique("bench-tasks"))
    build_store("athena", settings, AwsClients(settings)).ensure_table()
    return settings.athena_table


# -- the ceiling: a worker's calls with no worker logic ---------------------------------
def replay_calls(activity: str, table: str, tasks: int, pollers: int) -> None:
    """Shaped like one worker: ``pollers`` threads take and start tasks, one
    thread checks (50 a call, as the worker batches) and reports. Runs in its
    own process so its client-side CPU does not share the server's GIL."""
    import boto3
    from botocore.config import Config

    from runners.athena import to_status

    config = Config(max_pool_connections=pollers + 8, retries={"total_max_attempts": 1}, read_timeout=70)
    sfn, ddb, athena = (boto3.client(s, config=config) for s in ("stepfunctions", "dynamodb", "athena"))
    started: queue.Queue[tuple[dict, str, str]] = queue.Queue()
    tickets = iter(range(tasks))
    tickets_lock = threading.Lock()

    def move(key: dict, from_phase: str, to_phase: str, condition: str, **sets: dict) -> None:
        """A conditional phase change, as the record store makes it."""
        names = {"#p": "phase", **{f"#{k}": k for k in sets}}
        values = {":from": {"S": from_phase}, ":to": {"S": to_phase}, **{f":{k}": v for k, v in sets.items()}}
        ddb.update_item(
            TableName=table, Key=key, UpdateExpression="SET #p = :to" + "".join(f", #{k} = :{k}" for k in sets),
            ConditionExpression=condition, ExpressionAttributeNames=names, ExpressionAttributeValues=values, ReturnValues="ALL_NEW",
        )

    def take_and_start() -> None:
        while True:
            with tickets_lock:
                if next(tickets, None) is None:
                    return
            task = sfn.get_activity_task(activityArn=activity, workerName="ceiling")
            token, now, owner = task["taskToken"], time.time(), {"S": uuid.uuid4().hex}
            task_id = hashlib.sha256(token.encode()).hexdigest()
            key = {"task_id": {"S": task_id}}
            ddb.put_item(TableName=table, ConditionExpression="attribute_not_exists(task_id)", Item={
                **key, "task_token": {"S": token}, "raw_input": {"S": task["input"]}, "phase": {"S": "RECEIVED"},
                "received_at": {"S": datetime.now(timezone.utc).isoformat()}, "expires_at": {"N": str(int(now) + 86400)},
            })
            move(key, "RECEIVED", "STARTING", "#p = :from", owner=owner, lease_until={"N": str(now + 60)})
            request = json.loads(task["input"])
            run_id = athena.start_query_execution(
                QueryString=request["AthenaQueryString"], ClientRequestToken=task_id,
                ResultConfiguration={"OutputLocation": request["AthenaResultOutputLocation"]},
            )["QueryExecutionId"]
            move(key, "STARTING", "RUNNING", "#p = :from AND #owner = :owner", owner=owner, run_id={"S": run_id})
            started.put((key, token, run_id))

    def check_and_report() -> None:
        reported = 0
        while reported < tasks:
            batch = [started.get()]
            while len(batch) < 50 and not started.empty():
                batch.append(started.get())
            answer = athena.batch_get_query_execution(QueryExecutionIds=[run_id for _, _, run_id in batch])
            statuses = {q["QueryExecutionId"]: to_status(q) for q in answer["QueryExecutions"]}
            for key, token, run_id in batch:
                status = statuses[run_id]
                if not status.terminal:
                    started.put((key, token, run_id))
                    continue
                outcome = {"S": json.dumps({"status": "success", "output": status.output})}
                move(key, "RUNNING", "REPORTING", "#p = :from", outcome=outcome, lease_until={"N": str(time.time() + 60)})
                sfn.send_task_success(taskToken=token, output=json.dumps(status.output))
                ddb.delete_item(TableName=table, Key=key, ConditionExpression="attribute_exists(task_id)")
                reported += 1
            if not any(statuses[run_id].terminal for _, _, run_id in batch):
                time.sleep(0.01)  # every query in hand still runs: do not spin on them

    threads = [threading.Thread(target=_fatal_on_error(take_and_start)) for _ in range(pollers)]
    threads.append(threading.Thread(target=_fatal_on_error(check_and_report)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _fatal_on_error(target: Callable[[], None]) -> Callable[[], None]:
    """A dead thread would leave the run waiting forever: end the process instead."""

    def run() -> None:
        try:
            target()
        except BaseException:  # noqa: BLE001
            traceback.print_exc()
            os._exit(1)

    return run


# -- one measured run -------------------------------------------------------------------
def spawn_workers(count: int, activity: str, table: str, pollers: int, log_dir: Path) -> list[subprocess.Popen]:
    """`etl-runner serve athena` processes with default settings but for the names."""
    env = {**os.environ, "ETL_ATHENA_ACTIVITY_ARN": activity, "ETL_ATHENA_TABLE": table, "ETL_POLLERS": str(pollers), "ETL_LOG_FORMAT": "json"}
    command = [sys.executable, "-m", "runners.cli", "serve", "athena"]
    procs = []
    for i in range(count):
        with (log_dir / f"worker-{i}.log").open("w") as log:
            procs.append(subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT))
    return procs


def warnings(log_dir: Path, workers: int) -> Counter[str]:
    """Warning and error events in the workers' logs (a clean run has none)."""
    found: Counter[str] = Counter()
    for i in range(workers):
        for line in (log_dir / f"worker-{i}.log").read_text().splitlines():
            event = json.loads(line) if line.startswith("{") else {"level": "error", "event": line[:80]}
            if event.get("level") not in ("info", "debug"):
                found[event.get("event", "?")] += 1
    return found


def cpu_seconds(pids: list[int]) -> float:
    return sum(sum(psutil.Process(pid).cpu_times()[:2]) for pid in pids)


def measure(tap: ServerTap, sfn: Any, tasks: int, pollers: int, workers: int, log_dir: Path) -> dict[str, Any]:
    """One run: ``tasks`` tasks through ``workers`` worker processes, or through
    the replaying client when ``workers`` is 0. Wall time, calls and CPU."""
    activity, machine = queue_tasks(sfn, tasks)
    table = new_table()
    tap.hold_polls()
    if workers:
        procs = spawn_workers(workers, activity, table, pollers, log_dir)
    else:
        replay = f"from bench.throughput import replay_calls; replay_calls({activity!r}, {table!r}, {tasks}, {pollers})"
        procs = [subprocess.Popen([sys.executable, "-c", replay], cwd=Path(__file__).resolve().parents[1])]
    alive = lambda: all(p.poll() in (None, 0) for p in procs)  # noqa: E731 - the replay exits 0 when done
    pids, server = [p.pid for p in procs], psutil.Process()
    try:
        began = tap.release_when_held(pollers * workers if workers else min(pollers, tasks), alive)
        cpu_before = (sum(server.cpu_times()[:2]), cpu_seconds(pids))
        tap.wait_for("SendTaskSuccess", tasks, alive)
        seconds = tap.stamps["SendTaskSuccess"][tasks - 1] - began
        all_started = tap.stamps["StartQueryExecution"][tasks - 1] - began
        server_cpu, client_cpu = sum(server.cpu_times()[:2]) - cpu_before[0], cpu_seconds(pids) - cpu_before[1]
        window = time.perf_counter() - began  # what those CPU seconds were spent in
        tap.wait_for("DeleteItem", tasks, alive, timeout=30)
        calls, call_cpu = Counter(tap.calls), Counter(tap.cpu)
        server_cpu_total = sum(server.cpu_times()[:2]) - cpu_before[0]  # over the same span as the counts
    except RuntimeError:
        for path in sorted(log_dir.glob("worker-*.log")):
            print(f"--- {path.name}\n{path.read_text()[-3000:]}", file=sys.stderr)
        raise
    finally:
        for proc in procs:
            if proc.poll() is None:  # workers get a warm shutdown, as in production
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=60)
    succeeded = sfn.list_executions(stateMachineArn=machine, statusFilter="SUCCEEDED", maxResults=1000)["executions"]
    if len(succeeded) != tasks:
        raise RuntimeError(f"only {len(succeeded)} of {tasks} executions SUCCEEDED")
    return {
        "seconds": seconds, "all_started": all_started, "server_share": server_cpu / window, "client_share": client_cpu / window,
        "calls": calls, "call_cpu": call_cpu, "server_cpu_total": server_cpu_total, "warnings": warnings(log_dir, workers),
    }


# -- the benchmark ----------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    args = options(
        "Tasks per second through 1, 2 and 4 workers against the embedded AWS, and its ceiling for the same calls.",
        lambda p: p.add_argument("--tasks", type=int, help="tasks per run (default 200; --quick: 10)"),
        argv,
    )
    tasks = args.tasks or (10 if args.quick else 200)
    counts = (1,) if args.quick else WORKER_COUNTS
    os.environ.update(CREDENTIALS)
    os.environ.pop("AWS_PROFILE", None)
    from runners.config import Settings
    from embedded_aws import EmbeddedAws

    tap = ServerTap()
    tap.install()
    # Tasks are queued before anyone polls, so a short long poll only shortens drains.
    aws = EmbeddedAws(activity_poll_seconds=1.0).start()
    os.environ["AWS_ENDPOINT_URL"] = aws.endpoint_url
    sfn = aws.client("stepfunctions")
    aws.client("s3").create_bucket(Bucket=RESULTS_BUCKET)
    pollers = Settings.from_env().pollers
    contenders = {"server ceiling": 0, **{f"{n} worker{'s' if n > 1 else ''}": n for n in counts}}
    runs: Runs = {name: [] for name in contenders}
    began, load_before = time.monotonic(), os.getloadavg()[0]
    try:
        with tempfile.TemporaryDirectory() as logs:
            measure(tap, sfn, 10, pollers, 0, Path(logs))  # warm-up: the server's first queries and calls cost more
            for _ in range(args.runs):  # interleaved, so drift hits every contender alike
                for name, workers in contenders.items():
                    runs[name].append(measure(tap, sfn, tasks, pollers, workers, Path(logs)))
    finally:
        aws.stop()
    publish(args, runs, tasks, time.monotonic() - began, (load_before, os.getloadavg()[0]))
    return 0


def per_task(results: list[dict[str, Any]], tasks: int, value: Callable[[dict[str, Any]], float]) -> float:
    return sum(value(r) for r in results) / (tasks * len(results))


def speed_table(runs: Runs, tasks: int) -> str:
    ceiling = median(tasks / r["seconds"] for r in runs["server ceiling"])
    rows = []
    for name, results in runs.items():
        rates = [tasks / r["seconds"] for r in results]
        rows.append([
            name, median(rates), f"{min(rates):.1f}–{max(rates):.1f}", f"{100 * median(rates) / ceiling:.0f} %",
            median(r["seconds"] for r in results), median(r["all_started"] for r in results),
            f"{100 * median(r['server_share'] for r in results):.0f} %", f"{100 * median(r['client_share'] for r in results):.0f} %",
        ])
    return table(["contender", "tasks/s", "min–max", "% of ceiling", "seconds", "all started at (s)", "server CPU", "client CPU"], rows)


def calls_table(runs: Runs, tasks: int) -> str:
    """Calls per task and the server CPU they took, by call; refused calls next to their call."""
    ops = list(dict.fromkeys(op for results in runs.values() for r in results for op in r["calls"]))  # first-call order
    bases = list(dict.fromkeys(op.split(" (")[0] for op in ops))
    ops.sort(key=lambda op: bases.index(op.split(" (")[0]))

    def cell(results: list[dict[str, Any]], count: Callable[[dict], float] | None, cpu: Callable[[dict], float]) -> str:
        prefix = f"{per_task(results, tasks, count):.2f} · " if count else ""
        return f"{prefix}{1000 * per_task(results, tasks, cpu):.1f} ms"

    rows = [[op, *(cell(rs, lambda r: r["calls"][op], lambda r: r["call_cpu"][op]) for rs in runs.values())] for op in ops]
    rows.append(["other server threads (SFN executions, DuckDB queries)", *(cell(rs, None, lambda r: r["server_cpu_total"] - sum(r["call_cpu"].values())) for rs in runs.values())])
    rows.append(["all", *(cell(rs, lambda r: sum(r["calls"].values()), lambda r: r["server_cpu_total"]) for rs in runs.values())])
    return table(["call", *runs], rows)


def publish(args: Any, runs: Runs, tasks: int, elapsed: float, load: tuple[float, float]) -> None:
    from runners.config import Settings

    settings, cores = Settings.from_env(), os.cpu_count()
    rate = {name: median(tasks / r["seconds"] for r in results) for name, results in runs.items()}
    share = {name: median(r["server_share"] for r in results) for name, results in runs.items()}
    cost = {name: per_task(results, tasks, lambda r: r["server_cpu_total"]) for name, results in runs.items()}
    ceiling, one = rate["server ceiling"], rate["1 worker"]
    noticed = sum((r["warnings"] for results in runs.values() for r in results), Counter())
    command = "python -m bench.throughput" + (" --quick" if args.quick else f" --tasks {tasks}" if args.tasks else "")
    report = Report("throughput", "Benchmark 3: throughput", command + (f" --runs {args.runs}" if args.runs != 5 and not args.quick else ""), args.runs)
    report.add("", (
        f"{tasks} Athena activity tasks (`{QUERY}`, results to the embedded S3) a run, queued up front as executions of a "
        f"one-state machine. A run lasts from the moment every poller waits on `GetActivityTask` until the last "
        f"`SendTaskSuccess`; the embedded AWS counts and stamps the calls itself, so measuring adds none. Workers are "
        f"`etl-runner serve athena` processes with default settings ({settings.pollers} pollers and a checker thread, "
        f"{settings.check_interval_seconds:g} s check interval, INFO JSON logs to a file). The ceiling is one client process "
        f"with the same threads making the calls a task needs with no worker logic: the pollers take, record, claim, start "
        f"and mark running; the checker asks about up to 50 queries a call (pausing 10 ms only when none has ended), claims "
        f"the report, sends `SendTaskSuccess` and deletes. Contenders take turns run by run, after a warm-up. Whole "
        f"benchmark {elapsed:.0f} s; 1-minute load average {load[0]:.1f} before, {load[1]:.1f} after."
    ))
    report.add("Tasks per second", speed_table(runs, tasks))
    report.add("Calls per task · server CPU per task, measured in the server (refused: conditional-check failures and other errors)", calls_table(runs, tasks))
    notes = [
        f"One worker reaches {100 * one / ceiling:.0f} % of the ceiling (target {100 * TARGET_SHARE:.0f} %: {'met' if one >= TARGET_SHARE * ceiling else 'missed'}).",
        "server CPU: the embedded AWS process (moto under one GIL, plus DuckDB query threads); client CPU: all worker processes "
        f"(or the ceiling client) together; both as a share of one core, on {cores} cores shared by everything.",
        "all started at: when the last task's query was started; the rest of the run is the checking and reporting tail.",
        "tasks/s ≈ the server's CPU share ÷ its CPU per task (" + "; ".join(f"{n}: {share[n]:.2f} ÷ {1000 * cost[n]:.1f} ms = {share[n] / cost[n]:.1f}" for n in runs)
        + "). Near a full core the single-GIL server is the bottleneck: a contender goes faster only by costing it less per "
        "task (the call table says where) or by leaving it idle less.",
        f"Warnings and errors in worker logs: {dict(noticed) or 'none'}.",
    ]
    if len(runs) > 2:
        notes.insert(-1, "Every worker's check cycle scans the whole table (the extra Scans) and checks every running task. A task is "
                     "born leased to its receiver and a run is reported by its starter, so other workers only step in on a run "
                     "left unreported for two check intervals; the few refused UpdateItems left are most likely such late claims when the "
                     f"starter was slow under load. Idle pollers keep long polls open, and each process takes time from the "
                     f"server on {cores} cores.")
    report.add("Reading it", "\n".join(f"- {note}" for note in notes))
    report.publish(args.out, args.quick)
    fig, axes = figure()
    ax = axes[0][0]
    ax.bar_label(ax.bar(list(rate), list(rate.values()), color=["#888888"] + ["#3b75af"] * (len(rate) - 1)), fmt="%.1f")
    ax.axhline(TARGET_SHARE * ceiling, color="#c44e52", linestyle="--", label=f"target for one worker: {100 * TARGET_SHARE:.0f} % of ceiling")
    ax.set(ylabel="tasks per second (median)", title=f"Throughput: {tasks} Athena tasks a run, embedded AWS")
    ax.set_ylim(0, 1.25 * max(rate.values()))  # room for the labels and the legend
    ax.legend(loc="upper right")
    save_chart(fig, args.out, "throughput", args.quick)


if __name__ == "__main__":
    sys.exit(main())
