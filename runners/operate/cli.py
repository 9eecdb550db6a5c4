"""`etl-runner backfill` and `etl-runner redrive`: operating a deployed pipeline
(on AWS, or on the embedded AWS when AWS_ENDPOINT_URL points at it)."""

from __future__ import annotations

import argparse
import sys
import threading
from datetime import date
from typing import Any, Callable, ContextManager, TextIO

from runners.aws import AwsClients
from runners.config import Settings

StopOnSignals = Callable[[], ContextManager[threading.Event]]


def _date(text: str) -> date:
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prefix", help="stack prefix the pipeline was deployed with: its state machine is <prefix>-<pipeline> "
                                         "(default: ETL_STACK_PREFIX, else etl-runner)")
    parser.add_argument("--state-machine-arn", help="the pipeline's state machine, instead of looking it up by name")
    parser.add_argument("--poll-seconds", type=float, default=5.0, help="seconds between status checks (default 5)")


def add_commands(sub: Any, stop_on_signals: StopOnSignals) -> None:
    """Register ``backfill`` and ``redrive``; ``stop_on_signals()`` is a context
    in which Ctrl-C and SIGTERM set the event it gives."""
    backfill = sub.add_parser(
        "backfill", help="run a pipeline for every period of a date range",
        description="Start one execution per period from --from to --to (the pipeline's schedule defines the periods; "
                    "daily without one), oldest first, at most --max-concurrent running at once. Executions are named by "
                    "run date: periods that SUCCEEDED are skipped (unless --rerun), running ones are waited for, failed ones "
                    "run again as <date>-rerun-<n>. Ctrl-C starts nothing more and leaves running executions running; the same "
                    "command resumes. Exit 0 when every period succeeded, 1 if one did not, 130 when interrupted.")
    backfill.add_argument("pipeline", help="pipeline name (in pipelines/) or file")
    backfill.add_argument("--from", dest="first", metavar="DATE", type=_date, required=True, help="first run date, YYYY-MM-DD")
    backfill.add_argument("--to", dest="last", metavar="DATE", type=_date, required=True, help="last run date, YYYY-MM-DD (included)")
    backfill.add_argument("--max-concurrent", metavar="N", type=_positive, default=1, help="executions running at once (default 1)")
    backfill.add_argument("--rerun", action="store_true", help="run periods that already SUCCEEDED again (as <date>-rerun-<n>)")
    backfill.add_argument("--clean-up", action="store_true",
                          help="before a period runs, delete its earlier outputs: only the run date's part of what the pipeline "
                               "declares it writes; refused when that cannot be scoped to one run date")
    backfill.add_argument("--dry-run", action="store_true", help="print the plan (and what --clean-up would delete); start nothing")
    _add_target_options(backfill)
    backfill.set_defaults(func=lambda args: _with_stop(stop_on_signals, args))

    redrive = sub.add_parser(
        "redrive", help="continue a failed execution from its failed step",
        description="Redrive a FAILED, TIMED_OUT or ABORTED execution (Step Functions RedriveExecution, within 14 days): "
                    "it continues from the step that failed, the steps that succeeded are not run again. When redrive is not "
                    "possible, start the date again as a fresh execution <date>-rerun-<n> with the same input. Says which.")
    redrive.add_argument("execution", help="an execution ARN, or a pipeline name or file with --date")
    redrive.add_argument("--date", type=_date, help="the run date whose latest execution to redrive")
    redrive.add_argument("--wait", action="store_true", help="follow the execution to its end; exit 0 only if it succeeds")
    _add_target_options(redrive)
    redrive.set_defaults(func=cmd_redrive)


def _with_stop(stop_on_signals: StopOnSignals, args: argparse.Namespace) -> int:
    with stop_on_signals() as stop:
        return cmd_backfill(args, stop)


def _clients(args: argparse.Namespace) -> AwsClients:
    return AwsClients(Settings.from_env(region=getattr(args, "region", None)))


def _pipeline_name(name_or_file: str) -> str:
    """A pipeline file's ``pipeline:`` name, or the name as given."""
    from runners.pipelines import PipelineFileError, find_pipeline_file, load_pipeline

    try:
        return load_pipeline(find_pipeline_file(name_or_file)).name
    except PipelineFileError:
        return name_or_file


def cmd_backfill(args: argparse.Namespace, stop: threading.Event, out: TextIO | None = None) -> int:
    from runners.pipelines import find_pipeline_file, load_pipeline

    from .backfill import Backfill, BackfillOptions
    from .target import find_target

    pipeline = load_pipeline(find_pipeline_file(args.pipeline))
    clients = _clients(args)
    sfn = clients.client("stepfunctions")
    target = find_target(sfn, pipeline.name, args.prefix, args.state_machine_arn)
    options = BackfillOptions(args.max_concurrent, args.clean_up, args.dry_run, args.rerun, args.poll_seconds)
    say = lambda line: print(line, file=out or sys.stdout, flush=True)  # noqa: E731
    runner = Backfill(sfn, pipeline, target, options, s3=clients.client("s3"), glue=clients.client("glue"), say=say, stop=stop)
    return runner.run(args.first, args.last).exit_code


def cmd_redrive(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from .history import failure_text
    from .redrive import REDRIVEN, NOTHING, redrive_date, redrive_execution, wait_for
    from .target import find_target

    say = lambda line: print(line, file=out or sys.stdout, flush=True)  # noqa: E731
    sfn = _clients(args).client("stepfunctions")
    if args.execution.startswith("arn:"):
        if args.date:
            raise ValueError("give an execution ARN or a pipeline with --date, not both")
        outcome = redrive_execution(sfn, args.execution, say)
    else:
        if not args.date:
            raise ValueError(f"{args.execution!r} is not an execution ARN: give --date to redrive a pipeline's run date")
        target = find_target(sfn, _pipeline_name(args.execution), args.prefix, args.state_machine_arn)
        outcome = redrive_date(sfn, target.state_machine_arn, str(args.date), say)
    say(outcome.message)
    if outcome.execution_arn and outcome.action != NOTHING:
        say(f"execution: {outcome.execution_arn}")
    if outcome.action == NOTHING:
        return 0 if outcome.status == "SUCCEEDED" else 1
    if not args.wait or outcome.execution_arn is None:
        return 0
    described = wait_for(sfn, outcome.execution_arn, args.poll_seconds)
    say(f"{described['name']} {failure_text(described)}" + (" (redriven)" if outcome.action == REDRIVEN else ""))
    return 0 if described["status"] == "SUCCEEDED" else 1
