"""`etl-runner demo`: the whole sales, marketing and join pipeline on this machine.

Starts the embedded AWS, deploys the pipeline, starts the three workers,
starts an execution, uploads the sales file, pauses (so the waits show), then
the marketing file, and follows the execution live. Ends with a summary:
status, where the time went, where the outputs are, and the query's answer.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, TextIO

from runners.follow import TERMINAL, Follower, print_state_table, short_cause
from runners.pipelines.states import parent_states, result_keys

if TYPE_CHECKING:  # the emulator is imported only when the demo runs
    from runners.local.pipeline import LocalPipeline



def default_run_date(today: date | None = None) -> str:
    """Monday of the current week: the weekly run's date."""
    today = today or date.today()
    return (today - timedelta(days=today.weekday())).isoformat()


# -- input data ----------------------------------------------------------------
MAX_ROWS = 50_000_000


def check_arguments(args: argparse.Namespace) -> None:
    """Refuse bad input before anything starts, one line naming the problem
    and the expected form (the CLI prints it and exits 2)."""
    from runners import sample_data

    if args.run_date is not None:
        try:
            parsed = date.fromisoformat(args.run_date)
        except ValueError:
            parsed = None
        if parsed is None or len(args.run_date) != 10:
            raise ValueError(f"--run-date {args.run_date!r} is not a calendar date; expected YYYY-MM-DD, e.g. {default_run_date()}")
    if not 1 <= args.rows <= MAX_ROWS:
        raise ValueError(f"--rows {args.rows} is out of range; expected a number of sales rows from 1 to {MAX_ROWS:,}")
    if not 0 <= args.pause <= 3600:
        raise ValueError(f"--pause {args.pause} is out of range; expected seconds from 0 to 3600")
    for option, path, header in (("--sales-csv", args.sales_csv, sample_data.SALES_HEADER),
                                 ("--marketing-csv", args.marketing_csv, sample_data.MARKETING_HEADER)):
        if path is None:
            continue
        if not Path(path).is_file():
            raise ValueError(f"{option} {path}: no such file")
        with open(path, newline="", encoding="utf-8-sig") as handle:
            found = next(csv.reader(handle), [])
        missing = [c for c in header if c.strip() not in {f.strip() for f in found}]
        if missing:
            raise ValueError(f"{option} {path}: the header lacks column(s) {', '.join(map(repr, missing))}; expected the columns {', '.join(header)}")


def prepare_inputs(args: argparse.Namespace, workdir: Path) -> tuple[Path, Path]:
    from runners import sample_data

    generated = sample_data.write_sample_files(workdir, rows=args.rows, seed=args.seed)
    sales = Path(args.sales_csv) if args.sales_csv else generated.sales
    marketing = Path(args.marketing_csv) if args.marketing_csv else generated.marketing
    if args.break_input:
        broken = workdir / f"broken-{args.break_input}.csv"
        source = sales if args.break_input == "sales" else marketing
        _break_header(source, broken)
        if args.break_input == "sales":
            sales = broken
        else:
            marketing = broken
    return sales, marketing


def _break_header(source: Path, target: Path) -> None:
    """A realistic bad delivery: the upstream system renamed its columns."""
    with source.open(newline="") as src, target.open("w", newline="") as dst:
        header = next(csv.reader(src))
        dst.write(",".join(f"col_{i}" for i in range(len(header))) + "\n")
        for line in src:
            dst.write(line)


# -- following the execution ---------------------------------------------------
# -- summary --------------------------------------------------------------------
def _intervals(items: Iterable[tuple[float, float]]) -> float:
    """Length of the union of intervals (parallel work counted once)."""
    total, end = 0.0, float("-inf")
    for start, stop in sorted(items):
        if stop <= end:
            continue
        total += stop - max(start, end)
        end = stop
    return total


def _iso(value: str | None) -> float | None:
    return datetime.fromisoformat(value).timestamp() if value else None


def build_summary(pipeline: LocalPipeline, execution_arn: str, run_date: str, follower: Follower, wall_start: float) -> dict[str, Any]:
    sfn = pipeline.client("stepfunctions")
    described = sfn.describe_execution(executionArn=execution_arn)
    definition = json.loads(sfn.describe_state_machine(stateMachineArn=described["stateMachineArn"])["definition"])
    started, stopped = described["startDate"].timestamp(), (described.get("stopDate") or datetime.now()).timestamp()
    output = json.loads(described.get("output") or "{}")
    glue = pipeline.client("glue")
    assert pipeline.deployment is not None
    job_intervals, runs = [], {}
    for job in pipeline.deployment.job_names.values():
        for run in glue.get_job_runs(JobName=job)["JobRuns"]:
            runs[job] = {"JobRunId": run["Id"], "JobRunState": run["JobRunState"], "ExecutionTime": run.get("ExecutionTime"), "ErrorMessage": run.get("ErrorMessage")}
            if run.get("CompletedOn"):
                job_intervals.append((run["StartedOn"].timestamp(), run["CompletedOn"].timestamp()))
    athena = pipeline.client("athena")
    query_ids = athena.list_query_executions().get("QueryExecutionIds", [])
    queries = athena.batch_get_query_execution(QueryExecutionIds=query_ids[:50])["QueryExecutions"] if query_ids else []
    for q in queries:
        status = q["Status"]
        if status.get("CompletionDateTime"):
            job_intervals.append((status["SubmissionDateTime"].timestamp(), status["CompletionDateTime"].timestamp()))
    wait_intervals = [(t.entered, t.exited) for t in follower.states.values() if t.name.startswith("Wait") and t.exited]
    wall = stopped - started
    waiting, jobs = _intervals(wait_intervals), _intervals(job_intervals)
    busy = _intervals(wait_intervals + job_intervals)
    data_bucket = pipeline.deployment.data_bucket
    query = output.get("query", {}) if isinstance(output, dict) else {}
    return {
        "status": described["status"],
        "executionArn": execution_arn,
        "wallSeconds": round(wall, 2),
        "waitingForDataSeconds": round(waiting, 2),
        "jobSeconds": round(jobs, 2),
        "orchestrationOverheadSeconds": round(max(wall - busy, 0.0), 2),
        "demoSeconds": round(time.time() - wall_start, 2),
        # Every state of the definition, reached or not, in reading order.
        "states": _state_data(sfn, execution_arn, definition, follower),
        "jobRuns": runs,
        "error": described.get("error"),
        "cause": described.get("cause"),
        # Only what was written: a failed run lists no output it never produced.
        "outputs": _existing(pipeline, {
            "processedSales": f"s3://{data_bucket}/processed/sales/run_date={run_date}/",
            "processedMarketing": f"s3://{data_bucket}/processed/marketing/run_date={run_date}/",
            "joined": f"s3://{data_bucket}/joined/sales_marketing/run_date={run_date}/",
            "queryResult": query.get("OutputLocation"),
        }),
        "queryExecutionId": query.get("QueryExecutionId"),
    }


def _existing(pipeline: LocalPipeline, outputs: dict[str, str | None]) -> dict[str, str]:
    s3 = pipeline.client("s3")
    found = {}
    for name, uri in outputs.items():
        if not uri:
            continue
        bucket, _, key = uri[len("s3://"):].partition("/")
        if s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1).get("KeyCount", 0):
            found[name] = uri
    return found


def _state_data(sfn: Any, execution_arn: str, definition: dict[str, Any], follower: Follower) -> dict[str, Any]:
    """Every state as data (status, seconds, error, cause, the Glue run or query
    it ran), replayed from the history as `etl-runner history` does."""
    from runners.observe.execution import from_history

    described = sfn.describe_execution(executionArn=execution_arn)
    view = from_history(described, definition, [follower.events[i] for i in sorted(follower.events)])
    keep = ("status", "depth", "parent", "seconds", "entered", "exited", "attempts", "error", "cause", "run")
    return {name: {k: v for k, v in run.to_json().items() if k in keep} for name, run in view.states.items()}


def query_rows(pipeline: LocalPipeline, query_id: str | None, limit: int = 10) -> list[list[str]]:
    if not query_id:
        return []
    rows = pipeline.client("athena").get_query_results(QueryExecutionId=query_id, MaxResults=limit + 1)["ResultSet"]["Rows"]
    return [[cell.get("VarCharValue", "") for cell in row["Data"]] for row in rows]


def export_outputs(pipeline: LocalPipeline, summary: dict[str, Any], out_dir: Path) -> dict[str, str]:
    """Copy each job's output folder to ``out_dir/<name>/`` and the query result to ``out_dir/<name>.csv``."""
    s3 = pipeline.client("s3")
    exported: dict[str, str] = {}
    for name, uri in summary["outputs"].items():
        if not uri:
            continue
        bucket, _, key = uri[len("s3://") :].partition("/")
        if key.endswith("/"):
            target = out_dir / name
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
                for item in page.get("Contents", []):
                    destination = target / item["Key"][len(key) :]
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    s3.download_file(bucket, item["Key"], str(destination))
        else:
            target = out_dir / f"{name}{Path(key).suffix}"
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, key, str(target))
        exported[name] = str(target)
    return exported


def print_summary(summary: dict[str, Any], rows: list[list[str]], out: TextIO) -> None:
    print("\nSummary", file=out)
    print(f"  status                   {summary['status']}", file=out)
    print(f"  execution wall time      {summary['wallSeconds']:.1f}s", file=out)
    print(f"  waiting for data         {summary['waitingForDataSeconds']:.1f}s", file=out)
    print(f"  running jobs and queries {summary['jobSeconds']:.1f}s", file=out)
    print(f"  orchestration overhead   {summary['orchestrationOverheadSeconds']:.1f}s", file=out)
    if summary["status"] != "SUCCEEDED":
        print(f"  error                    {summary.get('error')}: {short_cause(summary.get('cause') or '')}", file=out)
    if summary["outputs"]:
        print("  outputs (in the embedded AWS; --out exports them, --keep-up keeps it running):", file=out)
    for name, uri in summary["outputs"].items():
        print(f"    {name:20} {uri}", file=out)
    for name, path in summary.get("exported", {}).items():
        print(f"  exported {name:13} {path}", file=out)
    for name, path in summary.get("logs", {}).items():
        print(f"  {name + ' log':24} {path}", file=out)
    if rows:
        print("\n  query result (first rows):", file=out)
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for row in rows:
            print("    " + "  ".join(cell.rjust(w) for cell, w in zip(row, widths)), file=out)


# -- the command ----------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rows", type=int, default=20000, help="sales rows to generate (default 20000; marketing gets one row a day)")
    parser.add_argument("--seed", type=int, default=7, help="generator seed (same seed, same data)")
    parser.add_argument("--sales-csv", help="use this sales pipeline CSV instead of generated data")
    parser.add_argument("--marketing-csv", help="use this marketing CSV instead of generated data")
    parser.add_argument("--run-date", default=None, help="the weekly run's date, YYYY-MM-DD (default: this week's Monday)")
    parser.add_argument("--pause", type=float, default=3.0, help="seconds between the two uploads, so the waits are visible (default 3)")
    parser.add_argument("--break", dest="break_input", choices=("sales", "marketing"), help="upload a broken file for this input to show the failure path")
    parser.add_argument("--out", help="export each job's output and the query result to this directory")
    parser.add_argument("--summary-json", help="write the summary as JSON to this path")
    parser.add_argument("--keep-up", action="store_true", help="keep the embedded AWS and workers running afterwards (Ctrl-C to stop)")


def run(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    check_arguments(args)
    wall_start = time.time()
    run_date = args.run_date or default_run_date()
    print(f"etl-runner demo: sales, marketing and join pipeline for run date {run_date}", file=out, flush=True)
    with tempfile.TemporaryDirectory(prefix="etl-demo-") as tmp:
        sales, marketing = prepare_inputs(args, Path(tmp))
        print(f"  inputs: {sales.name} ({sales.stat().st_size:,} bytes), {marketing.name} ({marketing.stat().st_size:,} bytes)", file=out, flush=True)
        from runners.local.pipeline import LocalPipeline

        pipeline = LocalPipeline()
        pipeline.start()
        try:
            assert pipeline.aws is not None
            print(f"  embedded AWS at {pipeline.aws.endpoint_url}; pipeline deployed, workers started", file=out, flush=True)
            execution = pipeline.start_execution(run_date)
            sfn = pipeline.client("stepfunctions")
            definition = json.loads(sfn.describe_state_machine(stateMachineArn=pipeline.deployment.state_machine_arn)["definition"])  # type: ignore[union-attr]
            follower = Follower(sfn, execution, out, time.time(), result_keys(definition), parent_states(definition))
            follower._print(f"execution started: {execution.rsplit(':', 1)[-1]}")
            key = pipeline.upload_input("sales", run_date, sales)
            follower._print(f"uploaded s3://{pipeline.deployment.data_bucket}/{key}")  # type: ignore[union-attr]
            pause_until = time.time() + args.pause
            while time.time() < pause_until:
                follower.poll()
                time.sleep(0.25)
            key = pipeline.upload_input("marketing", run_date, marketing)
            follower._print(f"uploaded s3://{pipeline.deployment.data_bucket}/{key}")  # type: ignore[union-attr]
            sfn = pipeline.client("stepfunctions")
            while sfn.describe_execution(executionArn=execution)["status"] not in TERMINAL:
                follower.poll()
                time.sleep(0.25)
            follower.poll()
            summary = build_summary(pipeline, execution, run_date, follower, wall_start)
            rows = query_rows(pipeline, summary.get("queryExecutionId")) if summary["status"] == "SUCCEEDED" else []
            summary["queryRows"] = rows
            summary["logs"] = {"worker": str(getattr(args, "log_path", "") or ""), "embedded AWS": str(pipeline.aws.log_path or "")}
            if args.out:
                summary["exported"] = export_outputs(pipeline, summary, Path(args.out))
            print_summary(summary, rows, out)
            print_state_table(definition, follower, summary["status"], out)
            # What the pipeline's topic subscribers got (the report, for statuses in notify.on).
            pipeline.print_notifications(execution, out, wait_for_report=15.0)
            if args.summary_json:
                Path(args.summary_json).write_text(json.dumps(summary, indent=2, default=str))
            if args.keep_up:
                print(f"\nKeeping the stack up. export AWS_ENDPOINT_URL={pipeline.aws.endpoint_url} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION={pipeline.region}", file=out)
                print("Ctrl-C to stop.", file=out, flush=True)
                try:
                    while True:
                        time.sleep(3600)
                except KeyboardInterrupt:
                    pass
            return 0 if summary["status"] == "SUCCEEDED" else 1
        finally:
            pipeline.stop()
