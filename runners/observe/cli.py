"""`etl-runner status|history|logs|graph|console`: the same commands for the
embedded AWS (AWS_ENDPOINT_URL set) and for a real account."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

PREFIX_HELP = "a local deployment's prefix: state machines <prefix>-<pipeline>, tables <prefix>-glue-tasks... (`etl-runner demo` uses etl-demo, `pipeline run` local)"


def add_commands(sub: Any) -> None:
    """Register the commands on the top-level subparsers."""
    status = sub.add_parser(
        "status", help="pipelines, what runs now, what failed",
        description=_wrap("Every pipeline with its latest execution; each running execution with its running states, for how long and "
                    "the Glue run or query behind them; recent failures with the failed state, error and cause; the runners' tasks in flight."),
        epilog="example: etl-runner status --prefix etl-demo", formatter_class=argparse.RawDescriptionHelpFormatter)
    _common(status)
    status.add_argument("--recent", type=int, default=5, help="executions per pipeline to look at for failures (default 5)")
    status.add_argument("--all", dest="every_machine", action="store_true", help="list every state machine, not only those named like a pipeline file")
    status.set_defaults(func=cmd_status)

    history = sub.add_parser(
        "history", help="a pipeline's executions with per-state timings",
        description=_wrap("A pipeline's executions, newest first: run date, status, duration and each state's status and time."),
        epilog="example: etl-runner history sales-marketing --limit 5", formatter_class=argparse.RawDescriptionHelpFormatter)
    history.add_argument("pipeline", help="pipeline name (or its state machine's name or ARN)")
    _common(history)
    history.add_argument("--limit", type=int, default=10, help="executions to show (default 10)")
    history.add_argument("--status", choices=("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"), help="only executions in this status")
    history.set_defaults(func=cmd_history)

    logs = sub.add_parser(
        "logs", help="a Glue run's driver output, a query, or why an execution failed",
        description=_wrap("TARGET is an execution ARN, PIPELINE/EXECUTION_NAME, a pipeline (its latest execution), a Glue run id (jr_...) "
                    "or an Athena query id. For an execution: its error, and the logs of its failed state (or --state), of its running "
                    "states, or of every state that ran a job."),
        epilog="examples:\n  etl-runner logs sales-marketing\n  etl-runner logs sales-marketing --state 'Process Sales Data'\n  etl-runner logs jr_0123abcd...",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    logs.add_argument("target", help="execution ARN, PIPELINE/EXECUTION_NAME, PIPELINE, Glue run id or Athena query id")
    logs.add_argument("--state", help="this state of the execution")
    logs.add_argument("--tail", type=int, default=200, help="last lines of each log stream (default 200; 0: all)")
    _common(logs)
    logs.set_defaults(func=cmd_logs)

    graph = sub.add_parser(
        "graph", help="draw an execution's state machine, states coloured by status (SVG)",
        description=_wrap("The state machine of an execution drawn from its definition: Parallel branches side by side, Choice edges "
                    "labelled, Catch edges dashed; succeeded green, failed red, running blue, cancelled striped, not reached grey."),
        epilog="example: etl-runner graph sales-marketing --out run.svg", formatter_class=argparse.RawDescriptionHelpFormatter)
    graph.add_argument("execution", help="execution ARN, PIPELINE/EXECUTION_NAME or PIPELINE (its latest execution)")
    graph.add_argument("--out", help="write the SVG here (default: standard output)")
    graph.add_argument("--prefix", help=PREFIX_HELP)
    graph.set_defaults(func=cmd_graph)

    console = sub.add_parser(
        "console", help="a small read-only web console (localhost)",
        description=_wrap("Serve pipelines, executions, the live graph of an execution, per-state input/output/timings, job logs and "
                    "query results as HTML pages. Read-only; binds to 127.0.0.1 unless told otherwise."),
        epilog="example: etl-runner console --prefix etl-demo --port 8765", formatter_class=argparse.RawDescriptionHelpFormatter)
    console.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    console.add_argument("--port", type=int, default=8765, help="port (default 8765; 0: any free port)")
    console.add_argument("--prefix", help=PREFIX_HELP)
    console.add_argument("--all", dest="every_machine", action="store_true", help="list every state machine, not only those named like a pipeline file")
    console.add_argument("--refresh", type=float, default=3.0, help="seconds between refreshes of a running execution's page (default 3)")
    console.set_defaults(func=cmd_console)


def _wrap(text: str) -> str:
    """Descriptions wrapped here, so the examples in the epilog keep their lines."""
    import textwrap

    return textwrap.fill(text, 78)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prefix", help=PREFIX_HELP)
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def _source(args: argparse.Namespace) -> Any:
    from .source import Source

    return Source.from_env(region=getattr(args, "region", None), prefix=args.prefix, every_machine=getattr(args, "every_machine", False))


def _aws_errors(command: Any) -> Any:
    """An AWS error (no such execution, no credentials, endpoint down) is one line, not a traceback."""
    import functools

    @functools.wraps(command)
    def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return command(args, out or sys.stdout)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            print(f"etl-runner {args.command}: {error.get('Code')}: {error.get('Message')}", file=sys.stderr)
        except BotoCoreError as exc:
            print(f"etl-runner {args.command}: {exc}", file=sys.stderr)
        return 1

    return run


def _emit(args: argparse.Namespace, report: dict[str, Any], render: Any, out: TextIO) -> None:
    """Text for people, --json for scripts (the same report)."""
    print(json.dumps(report, indent=2, default=str) if args.json else render(report), file=out)


@_aws_errors
def cmd_status(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from . import status

    _emit(args, status.build(_source(args), recent=args.recent), status.render, out)
    return 0


@_aws_errors
def cmd_history(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from . import history

    _emit(args, history.build(_source(args), args.pipeline, limit=args.limit, status=args.status), history.render, out)
    return 0


@_aws_errors
def cmd_logs(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from . import logs

    _emit(args, logs.build(_source(args), args.target, state=args.state, tail=args.tail or None), logs.render, out)
    return 0


@_aws_errors
def cmd_graph(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from . import execution, svg

    if args.out and not args.out.lower().endswith(".svg"):
        raise ValueError(f"--out {args.out}: the graph is SVG (name the file .svg; a browser shows it, rsvg-convert turns it into PNG)")
    source = _source(args)
    view = execution.load(source.sfn, source.execution_arn(args.execution))
    picture = svg.render(view)
    if args.out:
        Path(args.out).write_text(picture, encoding="utf-8")
        print(f"wrote {args.out} ({view.name}, {view.status})", file=out)
    else:
        out.write(picture)
    return 0


def cmd_console(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from . import console

    out = out or sys.stdout
    server = console.make_server(_source(args), args.host, args.port, refresh_seconds=args.refresh)
    host, port = server.server_address[:2]
    print(f"etl-runner console: http://{host}:{port}/  ({server.source.where}; read-only; Ctrl-C to stop)", file=out, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
