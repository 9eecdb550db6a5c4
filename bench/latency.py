"""Step latency in service mode, and the sample pipeline's orchestration overhead.

Part 1: `etl-runner serve glue` and `etl-runner serve athena` run as processes
with default settings against the embedded AWS (60 s long polls, as on AWS).
Executions of a one-state machine hand them Glue runs (Python shell jobs that
sleep a random 0.3-4 s) and Athena queries (of random length). For each task:

* scheduled -> started: the ActivityScheduled event to the run's StartedOn /
  SubmissionDateTime;
* terminal -> reported: the run's CompletedOn / CompletionDateTime to the
  ActivitySucceeded event.

All timestamps come from the one emulator clock. Part 2 runs `etl-runner demo`
(20,000 sales rows, default settings) and splits its wall time into waiting
for data, jobs and orchestration overhead.

    python -m bench.latency [--runs 5] [--tasks 12] [--pipeline-runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.report import Report, figure, median, options, percentile, save_chart, table

SLEEP_SCRIPT = b"""
import sys, time
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
time.sleep(float(args.get("--seconds", "0")))
"""
BUCKET = "etl-bench-latency"


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tasks", type=int, default=12, help="tasks per kind per run (default 12)")
    parser.add_argument("--pipeline-runs", type=int, default=None, help="demo pipeline runs (default: --runs)")


# -- part 1: one task at a time through `serve` -------------------------------------
class ServiceModeBench:
    """An embedded AWS, one activity + table + worker process per kind."""

    def __init__(self, aws: Any, stack: ExitStack) -> None:
        self.aws = aws
        self.sfn, self.glue, self.athena = aws.client("stepfunctions"), aws.client("glue"), aws.client("athena")
        s3 = aws.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="sleep.py", Body=SLEEP_SCRIPT)
        self.job = f"bench-sleep-{uuid.uuid4().hex[:6]}"
        self.glue.create_job(
            Name=self.job, Role="arn:aws:iam::123456789012:role/bench", GlueVersion="3.0",
            Command={"Name": "pythonshell", "ScriptLocation": f"s3://{BUCKET}/sleep.py", "PythonVersion": "3.9"},
            ExecutionProperty={"MaxConcurrentRuns": 50},
        )
        self.machines = {kind: self._machine_and_worker(kind, stack) for kind in ("glue", "athena")}

    def _machine_and_worker(self, kind: str, stack: ExitStack) -> str:
        activity = self.sfn.create_activity(name=f"bench-{kind}-{uuid.uuid4().hex[:6]}")["activityArn"]
        definition = {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity, "TimeoutSeconds": 300, "End": True}}}
        machine = self.sfn.create_state_machine(
            name=f"bench-{kind}-{uuid.uuid4().hex[:6]}", definition=json.dumps(definition),
            roleArn="arn:aws:iam::123456789012:role/bench",
        )["stateMachineArn"]
        env = {
            **os.environ, **self.aws.environment(), "ETL_LOG_LEVEL": "WARNING", "ETL_LOG_FORMAT": "json",
            f"ETL_{kind.upper()}_ACTIVITY_ARN": activity, f"ETL_{kind.upper()}_TABLE": f"bench-{kind}-{uuid.uuid4().hex[:6]}",
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "runners.cli", "serve", kind, "--create-table"], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        stack.callback(_stop, worker)
        return machine

    def task_input(self, kind: str, rng: random.Random) -> dict[str, Any]:
        if kind == "glue":
            return {"GlueJobName": self.job, "Arguments": {"--seconds": f"{rng.uniform(0.3, 4.0):.2f}"}}
        rows = int(10 ** rng.uniform(3, 8.3))  # about 1 ms to 2 s in DuckDB
        return {"AthenaQueryString": f"SELECT sum(i) FROM range({rows}) t(i)", "AthenaResultOutputLocation": f"s3://{BUCKET}/results/"}

    def run(self, kind: str, tasks: int, rng: random.Random) -> list[tuple[float, float]]:
        """Start ``tasks`` executions 0.2-1.2 s apart; return (to start, to report) per task."""
        executions = []
        for _ in range(tasks):
            arn = self.sfn.start_execution(stateMachineArn=self.machines[kind], input=json.dumps(self.task_input(kind, rng)))["executionArn"]
            executions.append(arn)
            time.sleep(rng.uniform(0.2, 1.2))
        return [self._latencies(kind, arn) for arn in executions]

    def _latencies(self, kind: str, execution: str) -> tuple[float, float]:
        deadline = time.monotonic() + 120
        while (described := self.sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
            if time.monotonic() > deadline:
                raise RuntimeError(f"{execution} still RUNNING after 120 s")
            time.sleep(0.2)
        if described["status"] != "SUCCEEDED":
            raise RuntimeError(f"{execution} ended {described['status']}: {described.get('cause')}")
        events = {e["type"]: e["timestamp"].timestamp() for e in self.sfn.get_execution_history(executionArn=execution)["events"]}
        output = json.loads(described["output"])
        if kind == "glue":
            run = self.glue.get_job_run(JobName=output["JobName"], RunId=output["JobRunId"])["JobRun"]
            started, ended = run["StartedOn"].timestamp(), run["CompletedOn"].timestamp()
        else:
            status = self.athena.get_query_execution(QueryExecutionId=output["QueryExecutionId"])["QueryExecution"]["Status"]
            started, ended = status["SubmissionDateTime"].timestamp(), status["CompletionDateTime"].timestamp()
        return started - events["ActivityScheduled"], events["ActivitySucceeded"] - ended


def _stop(process: subprocess.Popen) -> None:
    """Stop a worker the bench is done with: a warm stop would wait for its
    open 60 s long polls, so the second signal (a cold stop) follows at once."""
    process.terminate()
    try:
        process.wait(timeout=1)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def measure_steps(runs: int, tasks: int) -> dict[str, list[list[tuple[float, float]]]]:
    from embedded_aws import EmbeddedAws

    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"})
    rng = random.Random(5)
    samples: dict[str, list[list[tuple[float, float]]]] = {"glue": [], "athena": []}
    with ExitStack() as stack:
        aws = stack.enter_context(EmbeddedAws(activity_poll_seconds=60.0))
        bench = ServiceModeBench(aws, stack)
        for kind in samples:  # warm-up, not counted: worker start-up, first imports
            bench.run(kind, 1, rng)
        for _ in range(runs):
            for kind in samples:
                samples[kind].append(bench.run(kind, tasks, rng))
    return samples


# -- part 2: the whole pipeline -------------------------------------------------------
def measure_pipeline(runs: int, rows: int) -> list[dict[str, Any]]:
    summaries = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "summary.json"
            subprocess.run(
                [sys.executable, "-m", "runners.cli", "demo", "--rows", str(rows), "--summary-json", str(path)],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "ETL_LOG_LEVEL": "WARNING"},
            )
            summaries.append(json.loads(path.read_text()))
    return summaries


# -- report -----------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    args = options("Step latency in service mode and pipeline orchestration overhead", _add_options, argv)
    tasks = 3 if args.quick else args.tasks
    pipeline_runs = 1 if args.quick else (args.pipeline_runs or args.runs)
    rows = 2000 if args.quick else 20000
    steps = measure_steps(args.runs, tasks)
    pipelines = measure_pipeline(pipeline_runs, rows)

    report = Report("latency", "Step latency and orchestration overhead", "python -m bench.latency", args.runs)
    step_rows = []
    for kind, per_run in steps.items():
        for index, label in ((0, "scheduled -> job started"), (1, "job terminal -> SendTaskSuccess")):
            values = [[sample[index] for sample in run] for run in per_run]
            step_rows.append([
                kind, label, median(percentile(v, 50) for v in values), median(percentile(v, 95) for v in values),
                max(max(v) for v in values), sum(len(v) for v in values),
            ])
    report.add(
        f"Service mode, default settings (`etl-runner serve`, check interval 0.5 s); {tasks} tasks per kind per run, "
        "seconds; p50/p95 are medians over runs, max over all tasks",
        table(["runner", "step", "p50 s", "p95 s", "max s", "tasks"], step_rows),
    )
    keys = ["wallSeconds", "waitingForDataSeconds", "jobSeconds", "orchestrationOverheadSeconds"]
    pipeline_row = [median(s[k] for s in pipelines) for k in keys]
    share = median(s["orchestrationOverheadSeconds"] / s["wallSeconds"] * 100 for s in pipelines)
    report.add(
        f"Sample pipeline, {rows:,} sales rows (`etl-runner demo`, default settings, {pipeline_runs} runs): overhead = wall "
        "minus the union of waiting for data and job/query run time",
        table(["wall s", "waiting for data s", "jobs and queries s", "overhead s", "overhead % of wall"], [[*pipeline_row, share]])
        + "\n\nOverhead per run (s): " + ", ".join(f"{s['orchestrationOverheadSeconds']:.2f}" for s in pipelines),
    )
    report.publish(args.out, args.quick)

    fig, axes = figure(1, 2, width=5.5)
    for ax, (index, label) in zip(axes[0], ((0, "activity scheduled -> job started"), (1, "job terminal -> SendTaskSuccess"))):
        for kind, per_run in steps.items():
            values = sorted(sample[index] for run in per_run for sample in run)
            ax.plot(values, [(i + 1) / len(values) for i in range(len(values))], drawstyle="steps-post", label=kind)
        ax.axvline(0.5, color="grey", linestyle=":", label="p50 target")
        ax.axvline(1.5, color="grey", linestyle="--", label="p95 target")
        ax.set(title=label, xlabel="seconds", ylabel="fraction of tasks", ylim=(0, 1.02))
        ax.legend()
    save_chart(fig, args.out, "latency", args.quick)


if __name__ == "__main__":
    main()
