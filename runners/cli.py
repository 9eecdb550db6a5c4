"""`etl-runner`: the command-line entry point. The only place signals are handled."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
from typing import Any, Iterator, Protocol, Sequence

import structlog

from . import log as logging_setup
from .config import Settings
from .aws import AwsClients
from .health import DEFAULT_MAX_AGE_SECONDS, HealthBeacon, read_health
from .service import KINDS, build_lifecycle, ensure_tables
from .worker import Worker
from .worker_group import WorkerGroup

log = structlog.get_logger("runners.cli")


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {
        "region": getattr(args, "region", None),
        "log_format": getattr(args, "log_format", None),
        "log_level": getattr(args, "log_level", None),
        "pollers": getattr(args, "pollers", None),
        "check_interval_seconds": getattr(args, "check_interval", None),
        "sweep_interval_seconds": getattr(args, "sweep_interval", None),
        "heartbeat_interval_seconds": getattr(args, "heartbeat_interval", None),
        "run_once_budget_seconds": getattr(args, "budget", None),
    }
    kind = getattr(args, "kind", None)
    if kind and getattr(args, "activity_arn", None):
        overrides[f"{kind}_activity_arn"] = args.activity_arn
    if kind and getattr(args, "table", None):
        overrides[f"{kind}_table"] = args.table
    if kind in ("glue", "athena") and getattr(args, "events_queue_url", None):
        overrides[f"{kind}_events_queue_url"] = args.events_queue_url
    return Settings.from_env(**overrides)


def _worker(args: argparse.Namespace, kind: str, settings: Settings, clients: AwsClients) -> Worker:
    activity_arn = settings.activity_arn(kind)
    if not activity_arn:
        raise SystemExit(f"etl-runner: no activity ARN for {kind}: pass --activity-arn or set ETL_{kind.upper()}_ACTIVITY_ARN")
    if args.create_table:
        ensure_tables(kind, settings, clients)
    lifecycle = build_lifecycle(kind, settings, clients)
    return Worker(lifecycle, activity_arn, settings.pollers, settings.check_interval_seconds)


class _Stoppable(Protocol):
    @property
    def stopping(self) -> bool: ...

    def request_shutdown(self) -> None: ...

    def stop_now(self) -> bool: ...


def _install_signal_handlers(worker: _Stoppable) -> None:
    """First SIGTERM/SIGINT drains; a second exits at once, after recording the
    tasks its polls have already returned (milliseconds; at most a moment)."""

    def handle(signum: int, _frame: Any) -> None:
        if worker.stopping:
            recorded = worker.stop_now()
            log.warning("exiting_now", signal=signal.Signals(signum).name, tasks_in_hand_recorded=recorded)
            os._exit(128 + signum)
        log.info("shutdown_requested", signal=signal.Signals(signum).name)
        worker.request_shutdown()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


PER_KIND_OPTIONS = ("activity_arn", "table", "events_queue_url")


def _serve_kinds(args: argparse.Namespace, settings: Settings) -> list[str]:
    """The kinds `serve` runs: those named, or with ``all`` every kind whose
    activity ARN is configured."""
    named = list(dict.fromkeys(args.kinds))
    if "all" in named:
        if len(named) > 1:
            raise ValueError("serve: 'all' stands alone (it means every configured kind)")
        configured = [kind for kind in KINDS if settings.activity_arn(kind)]
        if not configured:
            raise ValueError("serve all: no activity configured: set " + ", ".join(f"ETL_{k.upper()}_ACTIVITY_ARN" for k in KINDS))
        return configured
    if len(named) > 1:
        given = [f"--{o.replace('_', '-')}" for o in PER_KIND_OPTIONS if getattr(args, o, None)]
        if given:
            raise ValueError(f"serve: {', '.join(given)} applies to one kind; with several kinds set ETL_<KIND>_... variables instead")
    return named


def cmd_serve(args: argparse.Namespace) -> int:
    args.kind = args.kinds[0] if len(args.kinds) == 1 and args.kinds[0] != "all" else None
    settings = _settings(args)
    logging_setup.configure(settings.log_level, settings.log_format)
    kinds = _serve_kinds(args, settings)
    clients = AwsClients(settings)
    group = WorkerGroup({kind: _worker(args, kind, settings, clients) for kind in kinds}, settings.health_stuck_seconds)
    _install_signal_handlers(group)
    beacon = HealthBeacon(settings.health_file, settings.health_interval_seconds, group.health_problems).start()
    try:
        return group.serve()
    finally:
        beacon.stop()


def cmd_health(args: argparse.Namespace) -> int:
    settings = Settings.from_env(health_file=args.file)
    verdict = read_health(settings.health_file, args.max_age)
    print(f"etl-runner: {verdict.reason}", file=sys.stdout if verdict.healthy else sys.stderr)
    return 0 if verdict.healthy else 1


def cmd_run_once(args: argparse.Namespace) -> int:
    settings = _settings(args)
    logging_setup.configure(settings.log_level, settings.log_format)
    worker = _worker(args, args.kind, settings, AwsClients(settings))
    structlog.contextvars.bind_contextvars(activity=worker.activity_arn.rsplit(":", 1)[-1], kind=args.kind)
    _install_signal_handlers(worker)
    summary = worker.run_once(settings.run_once_budget_seconds)
    last = summary.cycles[-1] if summary.cycles else None
    print(json.dumps({"received": summary.received, "seconds": round(summary.seconds, 3), "active": last.records if last else None}))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from . import demo

    from .follow import open_run_log

    args.log_path = open_run_log("demo", args.log_level or "INFO")
    return demo.run(args)


def cmd_sample_data(args: argparse.Namespace) -> int:
    from pathlib import Path

    from . import sample_data

    files = sample_data.write_sample_files(Path(args.out), rows=args.rows, seed=args.seed)
    print(f"wrote {files.sales} ({files.sales_rows} rows) and {files.marketing} ({files.marketing_rows} rows)")
    return 0


def cmd_local_up(args: argparse.Namespace) -> int:
    from embedded_aws import serve_forever

    on_ready = _start_sample_pipeline if args.with_pipeline else None
    serve_forever(port=args.port, activity_poll_seconds=args.activity_poll_seconds, on_ready=on_ready)
    return 0


def _start_sample_pipeline(aws: Any) -> Any:
    """Deploy the sample pipeline to the running embedded AWS, start its three
    workers, and say how to drive it with the AWS CLI."""
    from .local.pipeline import LocalPipeline

    logging_setup.configure("WARNING", "json")
    pipeline = LocalPipeline(aws=aws).start()
    deployment = pipeline.deployment
    assert deployment is not None
    run_date = "2026-11-16"
    print(
        "sample pipeline deployed, workers running:\n"
        f"  state machine  {deployment.state_machine_arn}\n"
        f"  data bucket    s3://{deployment.data_bucket}/\n"
        "try:\n"
        f"  aws stepfunctions start-execution --state-machine-arn {deployment.state_machine_arn} --input '{{\"runDate\": \"{run_date}\"}}'\n"
        f"  aws s3 cp sales.csv s3://{deployment.data_bucket}/{pipeline.input_key('sales', run_date)}\n"
        f"  aws s3 cp marketing.csv s3://{deployment.data_bucket}/{pipeline.input_key('marketing', run_date)}\n"
        "  (etl-runner sample-data --out . writes the two CSVs)",
        flush=True,
    )
    return pipeline.stop_workers


@contextlib.contextmanager
def _stopping_on_signals() -> Iterator[threading.Event]:
    """For commands that end early on Ctrl-C or SIGTERM (backfill): the first
    sets the event; a second one acts as it did before (Ctrl-C: KeyboardInterrupt)."""
    stop = threading.Event()
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}

    def handle(signum: int, _frame: Any) -> None:
        log.info("stop_requested", signal=signal.Signals(signum).name)
        stop.set()
        signal.signal(signum, previous[signum])

    for signum in previous:
        signal.signal(signum, handle)
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _add_worker_options(parser: argparse.ArgumentParser, *, service: bool) -> None:
    if service:
        parser.add_argument("kinds", nargs="+", choices=(*KINDS, "all"), metavar="KIND",
                            help="which runners, in one process: glue (Glue job runs), athena (Athena queries), wait (wait for S3 data), "
                                 "several of them, or all (every kind whose ETL_<KIND>_ACTIVITY_ARN is set)")
    else:
        parser.add_argument("kind", choices=KINDS, help="which runner: glue (Glue job runs), athena (Athena queries) or wait (wait for S3 data)")
    parser.add_argument("--activity-arn", help="Step Functions activity to poll (default: ETL_<KIND>_ACTIVITY_ARN; one kind only)")
    parser.add_argument("--table", help="DynamoDB table of active tasks (default: ETL_<KIND>_TABLE; one kind only)")
    parser.add_argument("--create-table", action="store_true", help="create the DynamoDB table(s) if missing (local use; CloudFormation owns them on AWS)")
    parser.add_argument("--heartbeat-interval", type=float, help="seconds between heartbeats of a running task (ETL_HEARTBEAT_INTERVAL_SECONDS)")
    if service:
        parser.add_argument("--pollers", type=int, help="concurrent GetActivityTask long polls (ETL_POLLERS)")
        parser.add_argument("--check-interval", type=float, help="seconds between looks at the tasks this worker holds (ETL_CHECK_INTERVAL_SECONDS)")
        parser.add_argument("--sweep-interval", type=float, help="seconds between sweeps that catch lost job events and take over dead workers' tasks (ETL_SWEEP_INTERVAL_SECONDS)")
        parser.add_argument("--events-queue-url", help="SQS queue of this kind's Glue/Athena state change events (ETL_GLUE_EVENTS_QUEUE_URL / ETL_ATHENA_EVENTS_QUEUE_URL)")
    else:
        parser.add_argument("--budget", type=float, help="seconds this cycle may take; no long poll starts that could outlive it (ETL_RUN_ONCE_BUDGET_SECONDS)")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("etl-runner")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="etl-runner",
        description="Step Functions activity workers that run AWS Glue jobs and Athena queries.",
    )
    parser.add_argument("--version", action="version", version=f"etl-runner {_version()}")
    parser.add_argument("--region", help="AWS region (default: AWS_REGION / AWS_DEFAULT_REGION)")
    parser.add_argument("--log-format", choices=("auto", "json", "console"), help="log output (ETL_LOG_FORMAT; auto = console on a terminal, else JSON)")
    parser.add_argument("--log-level", help="DEBUG, INFO, WARNING... (ETL_LOG_LEVEL)")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run long-lived workers (one kind, several, or all in one process)", description="Poll activities continuously, start, watch and report jobs until SIGTERM (every worker drains) or a second signal (exits). While every worker is well the process rewrites ETL_HEALTH_FILE every ETL_HEALTH_INTERVAL_SECONDS for `etl-runner health`.", epilog="examples:\n  etl-runner serve glue --activity-arn arn:aws:states:...:activity:etl-runner-GlueRunnerActivity\n  etl-runner serve all          (every kind whose ETL_<KIND>_ACTIVITY_ARN is set)\n  etl-runner serve glue athena", formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_worker_options(serve, service=True)
    serve.set_defaults(func=cmd_serve)

    health = sub.add_parser("health", help="exit 0 if the serving process on this host is healthy (container health check)", description="Read the health file `etl-runner serve` rewrites while every worker's threads are alive and not stuck. Exit 0 when it is fresh and healthy, 1 otherwise (the reason on stderr).", epilog="example: etl-runner health --max-age 30", formatter_class=argparse.RawDescriptionHelpFormatter)
    health.add_argument("--max-age", type=float, default=DEFAULT_MAX_AGE_SECONDS, help=f"seconds the file may be old (default {DEFAULT_MAX_AGE_SECONDS:.0f})")
    health.add_argument("--file", help="the health file (default: ETL_HEALTH_FILE, else etl-runner-health.json in the temporary directory)")
    health.set_defaults(func=cmd_health)

    once = sub.add_parser("run-once", help="one bounded cycle (what the scheduled Lambda runs)", description="Check all active tasks, take new tasks while a full long poll fits the budget, check again, exit.", epilog="example: etl-runner run-once athena --budget 50", formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_worker_options(once, service=False)
    once.set_defaults(func=cmd_run_once)

    demo = sub.add_parser("demo", help="run the whole sales, marketing and join pipeline locally", description="Start the embedded AWS, deploy the pipeline, start the workers, upload generated (or your) data and follow one execution to its end. Exit code 0 when it succeeds.", epilog="example: etl-runner demo --rows 200000 --out out   (or: make demo DEMO_ARGS='--rows 200000 --out out')", formatter_class=argparse.RawDescriptionHelpFormatter)
    from .demo import add_arguments as add_demo_arguments

    add_demo_arguments(demo)
    demo.set_defaults(func=cmd_demo)

    sample = sub.add_parser("sample-data", help="generate the two input CSVs", description="Write sales.csv and marketing.csv with the schemas of the public sample, deterministic for a seed, at any size.", epilog="example: etl-runner sample-data --rows 50000 --out data/", formatter_class=argparse.RawDescriptionHelpFormatter)
    sample.add_argument("--rows", type=int, default=20000, help="sales rows (default 20000)")
    sample.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    sample.add_argument("--out", default=".", help="directory to write into (default: current)")
    sample.set_defaults(func=cmd_sample_data)

    pipeline = sub.add_parser("pipeline", help="validate, render and run your own pipeline files", description="Pipelines are files under pipelines/ (schema: runners/pipelines/pipeline.schema.json).")
    from .pipeline_cli import add_arguments as add_pipeline_arguments

    add_pipeline_arguments(pipeline)

    from .observe.cli import add_commands as add_observe_commands

    add_observe_commands(sub)  # status, history, logs, graph, console

    from .operate.cli import add_commands as add_operate_commands

    add_operate_commands(sub, _stopping_on_signals)

    local = sub.add_parser("local", help="the embedded AWS for local runs and tests", description="Embedded AWS: moto server with Step Functions activities, Glue job runs and Athena queries that really run.")
    local_sub = local.add_subparsers(dest="local_command", required=True)
    up = local_sub.add_parser("up", help="start the embedded AWS and print its endpoint", description="Start the embedded AWS on 127.0.0.1 and block until interrupted. It prints AWS_ENDPOINT_URL=... and one export line (endpoint, region, dummy credentials) for the AWS CLI, SDKs and the runners.", epilog="example: etl-runner local up --with-pipeline", formatter_class=argparse.RawDescriptionHelpFormatter)
    up.add_argument("--port", type=int, default=4566, help="port to listen on (default 4566)")
    up.add_argument("--activity-poll-seconds", type=float, default=60.0, help="how long GetActivityTask waits for a task (AWS: 60)")
    up.add_argument("--with-pipeline", action="store_true", help="also deploy the sample pipeline and start its Glue, Athena and wait-for-data workers")
    up.set_defaults(func=cmd_local_up)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValueError as exc:  # PipelineFileError included: it names file, line and field
        print(f"etl-runner: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
