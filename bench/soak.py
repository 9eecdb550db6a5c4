"""Soak: a kill storm on an increasingly overloaded machine, and how the workers degrade.

For each load level (0, 2, 4 and 8 CPU hog processes, each a Python busy
loop) three `etl-runner serve glue` processes serve a Glue activity while
executions of a one-state machine arrive at a steady rate. Each task is a
Python shell Glue job that sleeps a random 0.5-3 s. The state's Task has
``HeartbeatSeconds`` 8 (workers heartbeat every 2 s) and retries
``States.Timeout`` (1 s apart, 5 attempts). Meanwhile every 3-8 s (seeded, the
same schedule at every level) one random worker is SIGKILLed and a new
incarnation, with its own worker name, takes its place at once. A run ends
when every execution has ended, or at a deadline (the rest count as
unfinished). The embedded AWS runs in this process with real 60 s long polls.

How to read the table (one row per load level, medians over runs):

* succeeded / total and tasks/min: the arrivals cap tasks/min at the arrival
  rate times arrival time / (arrival time + the tail to the last task's end);
  it falls when tasks wait or are re-issued.
* re-issued: ActivityTimedOut events; Step Functions retries each, so the
  task is scheduled again. Killing workers causes some by itself: a task the
  killed process had taken but not yet recorded (or one handed to a long poll
  it left open, if the server does not notice the closed connection) times
  out after 8 s.
* re-issued while alive: those whose ActivityStarted names a worker
  incarnation that had not been killed (or died) before the timeout. These
  are the runner's own fault: a live worker failed to heartbeat in time. The
  target is 0 at every load where the workers still get CPU.
* heartbeats late / worker behind: the workers' own `heartbeat_late` and
  `worker_behind` log events (0 from workers that do not log them).
* Glue runs per task: GetJobRuns count / executions. Above 1, a re-issued
  task started a second run of a job the first attempt had already started.
* p95 s: from a task's first ActivityScheduled to its ActivitySucceeded,
  so the time lost to re-issues counts.

    python -m bench.soak [--runs 5] [--seconds 25] [--rate 2] [--seed 7] [--quick]

About 10 minutes on 2 cores with the defaults; ``--quick`` (levels 0 and 2,
8 executions, 20 s long polls, one run) about 1-2 minutes.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.report import Report, figure, fmt, median, options, percentile, save_chart, table

LEVELS = (0, 2, 4, 8)
QUICK_LEVELS = (0, 2)
WORKERS = 3
KILL_EVERY = (3.0, 8.0)  # seconds between kills, uniform
TASK_SECONDS = (0.5, 3.0)  # each Glue run sleeps this long, uniform
ROLE_ARN = "arn:aws:iam::123456789012:role/bench"
BUCKET = "etl-bench-soak"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}
WORKER_SETTINGS = {
    "ETL_POLLERS": "4",
    "ETL_CHECK_INTERVAL_SECONDS": "0.5",
    "ETL_HEARTBEAT_INTERVAL_SECONDS": "2",
    "ETL_LEASE_SECONDS": "5",
    "ETL_LOG_FORMAT": "json",
}
TASK_STATE = {"TimeoutSeconds": 120, "HeartbeatSeconds": 8, "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 5, "BackoffRate": 1}]}
SLEEP_SCRIPT = b"""
import sys, time
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
time.sleep(float(args.get("--seconds", "0")))
"""
# A busy loop that ends by itself once its parent (this benchmark) is gone.
HOG = "import os\nparent = os.getppid()\nwhile os.getppid() == parent:\n    for _ in range(1_000_000): pass\n"
COUNTED_EVENTS = ("heartbeat_late", "worker_behind")
MAX_CRASHES = 3 * WORKERS  # workers exiting by themselves in one run before the benchmark gives up


@dataclass(frozen=True)
class Sizes:
    levels: tuple[int, ...]
    rate: float  # executions started per second
    seconds: float  # for this long
    drain_seconds: float  # then wait this much longer at most for the last ones to end
    poll_seconds: float  # GetActivityTask long poll
    start_seconds: float = 90.0  # how long the first worker may take to create the table

    @property
    def executions(self) -> int:
        return max(1, round(self.rate * self.seconds))


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, help="seconds executions keep arriving per run (default 25; --quick: 8)")
    parser.add_argument("--rate", type=float, help="executions started per second (default 2; --quick: 1)")
    parser.add_argument("--seed", type=int, default=7, help="random seed of task lengths and the kill schedule (default 7)")


# -- processes ----------------------------------------------------------------------------
def _end(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def start_hogs(count: int) -> list[subprocess.Popen]:
    hogs: list[subprocess.Popen] = []
    try:
        for _ in range(count):
            hogs.append(subprocess.Popen([sys.executable, "-c", HOG], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    except BaseException:
        for hog in hogs:
            _end(hog)
        raise
    return hogs


@dataclass
class Incarnation:
    name: str
    process: subprocess.Popen
    log: Path
    started: float
    ended: float | None = None  # wall-clock time it was killed or found dead
    killed: bool = False


@dataclass
class Fleet:
    """``WORKERS`` worker slots; each slot holds one live incarnation at a time."""

    prefix: str
    env: dict[str, str]
    log_dir: Path
    incarnations: list[Incarnation] = field(default_factory=list)
    slots: dict[int, Incarnation] = field(default_factory=dict)
    generations: Counter[int] = field(default_factory=Counter)
    crashes: int = 0

    def spawn(self, slot: int) -> Incarnation:
        self.generations[slot] += 1
        name = f"{self.prefix}-w{slot}-g{self.generations[slot]}"
        log = self.log_dir / f"{name}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "runners.cli", "serve", "glue", "--create-table"],
                env={**self.env, "ETL_WORKER_NAME": name}, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            )
        incarnation = Incarnation(name, process, log, time.time())
        self.incarnations.append(incarnation)
        self.slots[slot] = incarnation
        return incarnation

    def kill_one(self, rng: random.Random) -> None:
        """SIGKILL one random slot's worker and start its next incarnation at once."""
        slot = rng.randrange(WORKERS)
        victim = self.slots[slot]
        if victim.process.poll() is None:
            victim.process.send_signal(signal.SIGKILL)
            victim.killed = True
        victim.ended = time.time()
        self.spawn(slot)
        try:
            victim.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def replace_dead(self) -> None:
        """A worker that exited by itself is replaced too (and counted); one that
        cannot stay up at all ends the benchmark instead of respawning forever."""
        for slot, incarnation in list(self.slots.items()):
            if incarnation.process.poll() is not None:
                incarnation.ended = time.time()
                self.crashes += 1
                if self.crashes > MAX_CRASHES:
                    tail = incarnation.log.read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"{self.crashes} workers exited by themselves; the last, {incarnation.name}, logged:\n{tail}")
                self.spawn(slot)

    def kills(self) -> int:
        return sum(i.killed for i in self.incarnations)

    def end_times(self) -> dict[str, float]:
        """Incarnation -> when it was killed, found dead or stopped at the end (live ones absent)."""
        return {i.name: i.ended for i in self.incarnations if i.ended is not None}

    def stop(self) -> None:
        now = time.time()
        for incarnation in self.incarnations:
            _end(incarnation.process)
            if incarnation.ended is None:
                incarnation.ended = now


def log_events(paths: list[Path]) -> tuple[Counter[str], Counter[str], float]:
    """(counts of COUNTED_EVENTS, warnings and errors by event, the largest late_seconds)."""
    counted: Counter[str] = Counter()
    warnings: Counter[str] = Counter()
    latest = 0.0
    for path in paths:
        for line in path.read_text(errors="replace").splitlines():
            try:
                event = json.loads(line) if line.startswith("{") else None
            except ValueError:
                event = None
            if not isinstance(event, dict):
                continue  # a traceback or other raw output of a killed process
            name = str(event.get("event", "?"))
            if name in COUNTED_EVENTS:
                counted[name] += 1
                if name == "heartbeat_late":
                    try:
                        latest = max(latest, float(event.get("late_seconds") or 0))
                    except (TypeError, ValueError):
                        pass
            elif event.get("level") not in ("info", "debug"):
                warnings[name] += 1
    return counted, warnings, latest


# -- one run at one load level ---------------------------------------------------------------
class Soak:
    def __init__(self, aws: Any, sizes: Sizes, seed: int, log_root: Path) -> None:
        self.aws, self.sizes, self.seed, self.log_root = aws, sizes, seed, log_root
        self.sfn, self.glue, self.ddb = aws.client("stepfunctions"), aws.client("glue"), aws.client("dynamodb")
        s3 = aws.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="sleep.py", Body=SLEEP_SCRIPT)

    def _resources(self, tag: str) -> tuple[str, str, str, str]:
        """A fresh activity, one-state machine, Glue job and table name for one run."""
        suffix = uuid.uuid4().hex[:6]
        activity = self.sfn.create_activity(name=f"soak-{tag}-{suffix}")["activityArn"]
        state = {"Type": "Task", "Resource": activity, **TASK_STATE, "End": True}
        machine = self.sfn.create_state_machine(
            name=f"soak-{tag}-{suffix}", definition=json.dumps({"StartAt": "Glue", "States": {"Glue": state}}), roleArn=ROLE_ARN,
        )["stateMachineArn"]
        job = f"soak-{tag}-{suffix}"
        self.glue.create_job(
            Name=job, Role=ROLE_ARN, GlueVersion="3.0",
            Command={"Name": "pythonshell", "ScriptLocation": f"s3://{BUCKET}/sleep.py", "PythonVersion": "3.9"},
            ExecutionProperty={"MaxConcurrentRuns": 1000},
        )
        return activity, machine, job, f"soak-{tag}-{suffix}"

    def _wait_for_table(self, name: str, first: Incarnation) -> None:
        deadline = time.monotonic() + self.sizes.start_seconds
        while time.monotonic() < deadline:
            try:
                if self.ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE":
                    return
            except self.ddb.exceptions.ResourceNotFoundException:
                pass
            if first.process.poll() is not None:
                break
            time.sleep(0.2)
        tail = first.log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"the first worker did not create table {name} (exit {first.process.poll()}):\n{tail}")

    def _running(self, machine: str) -> int:
        count, token = 0, None
        while True:
            page = self.sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING", maxResults=1000, **({"nextToken": token} if token else {}))
            count += len(page["executions"])
            token = page.get("nextToken")
            if not token:
                return count

    def run(self, level: int, run: int) -> dict[str, Any]:
        sizes = self.sizes
        tag = f"L{level}-r{run}"
        activity, machine, job, table_name = self._resources(tag)
        inputs = random.Random(self.seed * 1000 + run)  # the same tasks and kill schedule at every level
        kills = random.Random(self.seed * 1000 + 500 + run)
        log_dir = self.log_root / tag
        log_dir.mkdir()
        env = {
            **os.environ, **self.aws.environment(), **WORKER_SETTINGS,
            "ETL_GLUE_ACTIVITY_ARN": activity, "ETL_GLUE_TABLE": table_name,
        }
        fleet = Fleet(f"soak-{tag}", env, log_dir)
        executions: list[str] = []
        hogs: list[subprocess.Popen] = []
        load = os.getloadavg()[0]
        try:
            hogs = start_hogs(level)
            first = fleet.spawn(0)  # it creates the table; the others start once it exists (no create race)
            self._wait_for_table(table_name, first)
            for slot in range(1, WORKERS):
                fleet.spawn(slot)
            began = time.time()
            clock = time.monotonic()
            next_start, next_kill = clock, clock + kills.uniform(*KILL_EVERY)
            arrivals_end = clock + sizes.seconds
            deadline = arrivals_end + sizes.drain_seconds
            next_check = clock + 1.0
            all_ended = False
            while True:
                now = time.monotonic()
                if now >= deadline:
                    break
                if len(executions) < sizes.executions and now >= next_start:
                    payload = {"GlueJobName": job, "Arguments": {"--seconds": f"{inputs.uniform(*TASK_SECONDS):.2f}"}}
                    executions.append(self.sfn.start_execution(stateMachineArn=machine, name=f"{tag}-{len(executions)}", input=json.dumps(payload))["executionArn"])
                    next_start += 1.0 / sizes.rate
                    continue
                if now >= next_kill:
                    fleet.kill_one(kills)
                    next_kill += kills.uniform(*KILL_EVERY)
                fleet.replace_dead()
                if len(executions) == sizes.executions and now >= next_check:
                    next_check = now + 1.0
                    if self._running(machine) == 0:
                        all_ended = True
                        break
                upcoming = [next_kill, next_check, deadline]
                if len(executions) < sizes.executions:
                    upcoming.append(next_start)
                time.sleep(max(0.0, min(0.25, min(upcoming) - time.monotonic())))
            loop_end = time.time()
            load = max(load, os.getloadavg()[0])
        finally:
            fleet.stop()
            for hog in hogs:
                _end(hog)
        unfinished = 0
        for arn in executions:  # stop what the deadline cut off, so it does not run into the next run
            if self.sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
                unfinished += 1
                try:
                    self.sfn.stop_execution(executionArn=arn, error="SoakDeadline", cause="the soak run's deadline passed")
                except Exception:  # noqa: BLE001 - it may have ended meanwhile
                    pass
        result = self._measure(executions, job, fleet.end_times(), began, None if all_ended else loop_end)
        counted, warnings, latest = log_events([i.log for i in fleet.incarnations])
        result.update(
            level=level, unfinished=unfinished, heartbeats_late=counted["heartbeat_late"], worker_behind=counted["worker_behind"],
            latest=latest, warnings=warnings, kills=fleet.kills(), crashes=fleet.crashes, load=load,
        )
        return result

    def _history(self, arn: str) -> list[dict[str, Any]]:
        events, token = [], None
        while True:
            page = self.sfn.get_execution_history(executionArn=arn, maxResults=1000, **({"nextToken": token} if token else {}))
            events += page["events"]
            token = page.get("nextToken")
            if not token:
                return events

    def _glue_runs(self, job: str) -> int:
        count, token = 0, None
        while True:
            page = self.glue.get_job_runs(JobName=job, MaxResults=200, **({"NextToken": token} if token else {}))
            count += len(page["JobRuns"])
            token = page.get("NextToken")
            if not token:
                return count

    def _measure(self, executions: list[str], job: str, ended: dict[str, float], began: float, cut_at: float | None) -> dict[str, Any]:
        """Counts from the executions' histories. ``ended``: incarnation -> when it
        was killed; ``cut_at``: when the deadline cut the run short (None: all ended)."""
        succeeded = reissued = while_alive = never_started = 0
        latencies: list[float] = []
        last_end = began
        for arn in executions:
            described = self.sfn.describe_execution(executionArn=arn)
            if described["status"] == "SUCCEEDED":
                succeeded += 1
            if described.get("stopDate"):
                last_end = max(last_end, described["stopDate"].timestamp())
            first_scheduled = started_by = None
            for event in self._history(arn):
                kind, at = event["type"], event["timestamp"].timestamp()
                if kind == "ActivityScheduled":
                    first_scheduled = at if first_scheduled is None else first_scheduled
                    started_by = None  # a new attempt: nobody has it yet
                elif kind == "ActivityStarted":
                    started_by = event.get("activityStartedEventDetails", {}).get("workerName")
                elif kind == "ActivityTimedOut":
                    reissued += 1
                    if started_by is None:
                        never_started += 1
                    elif started_by not in ended or ended[started_by] > at:
                        while_alive += 1
                elif kind == "ActivitySucceeded" and first_scheduled is not None:
                    latencies.append(at - first_scheduled)
        window = cut_at if cut_at is not None else last_end
        return {
            "total": len(executions), "succeeded": succeeded, "reissued": reissued, "while_alive": while_alive,
            "never_started": never_started, "tasks_per_minute": 60 * len(latencies) / max(window - began, 1e-9),
            "glue_runs_per_task": self._glue_runs(job) / max(len(executions), 1), "p95": percentile(latencies, 95),
            "seconds": window - began,
        }


# -- the benchmark ----------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    args = options("Kill storm on an increasingly overloaded machine: how Glue workers degrade.", _add_options, argv)
    if args.quick:
        sizes = Sizes(QUICK_LEVELS, rate=args.rate or 1.0, seconds=args.seconds or 8.0, drain_seconds=60.0, poll_seconds=20.0)
    else:
        sizes = Sizes(LEVELS, rate=args.rate or 2.0, seconds=args.seconds or 25.0, drain_seconds=90.0, poll_seconds=60.0)
    os.environ.update(CREDENTIALS)
    os.environ.pop("AWS_PROFILE", None)
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    local = "127.0.0.1,localhost"
    for name in ("NO_PROXY", "no_proxy"):  # the endpoint is local: never through a proxy
        os.environ[name] = ",".join(filter(None, (os.environ.get(name), local)))
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))  # so every `finally` runs
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)  # timed-out attempts are expected here
    from embedded_aws import EmbeddedAws

    aws = EmbeddedAws(activity_poll_seconds=sizes.poll_seconds, glue_minute_seconds=60.0).start()
    os.environ["AWS_ENDPOINT_URL"] = aws.endpoint_url
    results: dict[int, list[dict[str, Any]]] = {level: [] for level in sizes.levels}
    began = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="soak-") as logs:
            soak = Soak(aws, sizes, args.seed, Path(logs))
            for run in range(args.runs):  # levels take turns, so drift hits every level alike
                for level in sizes.levels:
                    result = soak.run(level, run)
                    results[level].append(result)
                    print(
                        f"run {run + 1}/{args.runs}, {level} hogs: {result['succeeded']}/{result['total']} succeeded in "
                        f"{result['seconds']:.0f} s, {result['kills']} kills, {result['reissued']} re-issued "
                        f"({result['while_alive']} while alive)", file=sys.stderr, flush=True,
                    )
    finally:
        aws.stop()
    publish(args, sizes, results, time.monotonic() - began)
    return 0


def publish(args: Any, sizes: Sizes, results: dict[int, list[dict[str, Any]]], elapsed: float) -> None:
    rows, series = [], {"tasks/min": [], "re-issued": [], "re-issued while alive": [], "heartbeats late": []}
    for level, runs in results.items():
        row = {
            "succeeded": median(r["succeeded"] for r in runs), "tasks/min": median(r["tasks_per_minute"] for r in runs),
            "heartbeats late": median(r["heartbeats_late"] for r in runs), "behind": median(r["worker_behind"] for r in runs),
            "glue": median(r["glue_runs_per_task"] for r in runs), "re-issued": median(r["reissued"] for r in runs),
            "re-issued while alive": median(r["while_alive"] for r in runs), "p95": median(r["p95"] for r in runs),
            "kills": median(r["kills"] for r in runs),
        }
        for name in series:
            series[name].append(row[name])
        rows.append([
            level, f"{fmt(row['succeeded'], 1).removesuffix('.0')} / {sizes.executions}", row["tasks/min"], _count(row["heartbeats late"]),
            _count(row["behind"]), row["glue"], _count(row["re-issued"]), _count(row["re-issued while alive"]), row["p95"], _count(row["kills"]),
        ])
    headers = ["hog processes", "succeeded / total", "tasks/min", "heartbeats late", "worker behind", "Glue runs per task",
               "re-issued", "re-issued while alive", "p95 scheduled→succeeded s", "workers killed"]
    command = "python -m bench.soak" + (" --quick" if args.quick else "")
    for option, value in (("--runs", args.runs if args.runs != 5 and not args.quick else None), ("--seconds", args.seconds), ("--rate", args.rate)):
        if value is not None:
            command += f" {option} {value:g}"
    report = Report("soak", "Soak: kill storm under CPU load", command, args.runs)
    cores = os.cpu_count() or 1
    report.add("", (
        f"Per run and load level: {sizes.executions} executions started {sizes.rate:g}/s for {sizes.seconds:g} s, each one Glue "
        f"Python shell task sleeping {TASK_SECONDS[0]:g}-{TASK_SECONDS[1]:g} s (`TimeoutSeconds` 120, `HeartbeatSeconds` 8, "
        f"`Retry` on `States.Timeout` 1 s apart, 5 attempts), served by {WORKERS} `etl-runner serve glue` processes (4 pollers, "
        f"0.5 s check interval, 2 s heartbeat interval, 5 s lease) while the same number of CPU hog processes as the first column "
        f"busy-loop on {cores} cores. Every {KILL_EVERY[0]:g}-{KILL_EVERY[1]:g} s (seeded, the same schedule at every level) one "
        f"random worker is SIGKILLed and a new incarnation started; {sizes.poll_seconds:g} s long polls; a run waits at most "
        f"{sizes.drain_seconds:g} s after the last arrival. Whole benchmark {elapsed:.0f} s."
    ))
    report.add("By load level", table(headers, rows))
    all_runs = [r for runs in results.values() for r in runs]
    warnings = sum((r["warnings"] for r in all_runs), Counter())
    notes = [
        "tasks/min: ActivitySucceeded events per minute from the first arrival to the last execution's end; the arrivals cap it "
        f"near {60 * sizes.rate:g} × arrival time / (arrival time + tail).",
        "re-issued: ActivityTimedOut events (each followed by a retry). re-issued while alive: those whose ActivityStarted names "
        "an incarnation not killed before the timeout, i.e. a live worker missed the 8 s heartbeat deadline; the target is 0 at "
        "every level where the workers still get CPU. The rest follow kills: a task taken but not yet recorded by the killed "
        "process (or handed to a long poll it left open, if the server does not notice), or a takeover by another "
        "worker slower than the 8 s heartbeat deadline.",
        "heartbeats late / worker behind: `heartbeat_late` and `worker_behind` lines in all incarnations' JSON logs"
        + (f" (largest late_seconds seen: {max(r['latest'] for r in all_runs):.1f})." if any(r["latest"] for r in all_runs) else "."),
        "p95 s: first ActivityScheduled to ActivitySucceeded per succeeded task, re-issues included.",
        "Totals over all runs, by hog processes (re-issued / while alive / heartbeats late / worker behind): " + "; ".join(
            f"{level}: {sum(r['reissued'] for r in runs)} / {sum(r['while_alive'] for r in runs)} / "
            f"{sum(r['heartbeats_late'] for r in runs)} / {sum(r['worker_behind'] for r in runs)}" for level, runs in results.items()
        ) + ".",
        f"Unfinished at the deadline (stopped): {sum(r['unfinished'] for r in all_runs)}; re-issued tasks nobody had taken "
        f"(start timeout): {sum(r['never_started'] for r in all_runs)}; workers that exited by themselves: "
        f"{sum(r['crashes'] for r in all_runs)}; highest 1-minute load average seen: {max(r['load'] for r in all_runs):.1f}.",
        f"Other warnings and errors in worker logs: {dict(warnings.most_common(8)) or 'none'}.",
    ]
    report.add("Reading it", "\n".join(f"- {note}" for note in notes))
    report.publish(args.out, args.quick)

    fig, axes = figure(width=7.0)
    ax = axes[0][0]
    levels = list(results)
    ax.plot(levels, series["tasks/min"], "o-", color="#3b75af", label="tasks/min (left)")
    ax.set(xlabel="CPU hog processes", ylabel="tasks completed per minute", title=f"Soak: kill storm, {WORKERS} Glue workers, {cores} cores")
    ax.set_ylim(0, 1.15 * max([60 * sizes.rate, *[v for v in series["tasks/min"] if not math.isnan(v)]]))
    ax.set_xticks(levels)
    right = ax.twinx()
    for name, style, color in (("re-issued", "s--", "#dd8452"), ("re-issued while alive", "^-", "#c44e52"), ("heartbeats late", "d:", "#55a868")):
        right.plot(levels, series[name], style, color=color, label=f"{name} (right)")
    right.set_ylabel("count per run (median)")
    right.set_ylim(0, max(5.0, 1.2 * max(v for name in ("re-issued", "re-issued while alive", "heartbeats late") for v in series[name])))
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], loc="upper left", fontsize="small")
    save_chart(fig, args.out, "soak", args.quick)


def _count(value: float) -> Any:
    """Medians of counts: whole numbers stay whole."""
    return int(value) if not math.isnan(value) and value == int(value) else value


if __name__ == "__main__":
    sys.exit(main())
