"""`etl-runner pipeline validate|render|run`: pipeline files on this machine.

validate  load and check files (schema, references, cycles, templates, files)
render    write what AWS needs: the state machine, the tables' DDL, the Glue jobs
run       deploy one pipeline to the embedded AWS, run it for a date, follow every state
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .follow import TERMINAL, print_state_table
from .pipelines import PIPELINES_DIR, find_pipeline_file, pipeline_files
from .pipelines.asl import render_state_machine
from .pipelines.states import parent_states, result_keys

if TYPE_CHECKING:  # reading pipeline files needs the 'pipelines' extra (YAML, JSON Schema): imported when used
    from .pipelines.model import Pipeline


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="pipeline_command", required=True)
    validate = sub.add_parser("validate", help="check pipeline files", description="Load and check pipeline files: the published schema, references between steps, cycles, files, templates, and the permissions their generated roles grant. Exit 1 if any is invalid. Example: etl-runner pipeline validate orders-daily")
    validate.add_argument("names", nargs="*", help="pipeline names or files (default: every file in pipelines/)")
    validate.set_defaults(func=cmd_validate)

    render = sub.add_parser("render", help="write a pipeline's state machine, stack and DDL", description="Render a pipeline file into what AWS needs, under --out. Example: etl-runner pipeline render orders-daily")
    render.add_argument("name", help="pipeline name or file")
    render.add_argument("--out", help="directory (default: build/pipelines/; the files go to <out>/<name>/)")
    render.set_defaults(func=cmd_render)

    deploy = sub.add_parser("deploy", help="deploy a pipeline's stack to AWS (build.py deploypipelines)",
                            description="Render, check permissions, upload the definition and scripts, and create or update the pipeline-<name> stack "
                                        "through the build tasks (the shared stacks must exist: python build.py deploy). "
                                        "Example: etl-runner pipeline deploy orders-daily")
    deploy.add_argument("name", help="pipeline name")
    deploy.set_defaults(func=cmd_deploy)

    run = sub.add_parser("run", help="run a pipeline on the embedded AWS", description="Start the embedded AWS, deploy the pipeline, start the workers, upload the given inputs and follow one execution, printing every state. Exit 0 when it succeeds. Example: etl-runner pipeline run orders-daily --run-date 2026-11-30 --input order_exports=pipelines/examples/orders/orders.csv")
    run.add_argument("name", help="pipeline name or file")
    run.add_argument("--run-date", required=True, help="the run date, YYYY-MM-DD")
    run.add_argument("--input", action="append", default=[], metavar="ID=PATH", help="upload this local file for the pipeline's input ID (repeatable)")
    run.add_argument("--timeout", type=float, default=1800, help="give up after this many seconds (default 1800)")
    run.set_defaults(func=cmd_run)


def _load(name: str) -> Pipeline:
    from .pipelines import load_pipeline

    return load_pipeline(find_pipeline_file(name))


def cmd_validate(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    from .pipelines import PipelineFileError, load_pipeline

    files = [find_pipeline_file(n) for n in args.names] if args.names else pipeline_files(PIPELINES_DIR)
    failed = 0
    known = {}
    for path in pipeline_files(PIPELINES_DIR):
        try:
            known[load_pipeline(path).name] = path
        except PipelineFileError:
            pass
    for path in files:
        try:
            pipeline = load_pipeline(path)
            rendered = render_state_machine(pipeline)
        except PipelineFileError as exc:
            failed += 1
            print(f"✗ {path.name}", file=out)
            for problem in exc.problems:
                print(f"    {problem}", file=out)
            continue
        from .pipelines.permissions import check_permissions

        denied = check_permissions(pipeline)
        if denied:
            failed += 1
            print(f"✗ {path.name}: a step needs what the generated roles would deny on AWS:", file=out)
            for problem in denied:
                print(f"    {problem}", file=out)
            continue
        missing = sorted({n for s in pipeline.steps.values() if s.gate for n in s.gate.pipelines} - set(known) - {pipeline.name})
        if pipeline.trigger and pipeline.trigger.after_pipeline and pipeline.trigger.after_pipeline not in known:
            missing.append(pipeline.trigger.after_pipeline)
        if missing:
            failed += 1
            print(f"✗ {path.name}: refers to pipeline(s) {', '.join(missing)}, not found in {PIPELINES_DIR.name}/", file=out)
            continue
        start = pipeline.schedule.expression if pipeline.schedule else (
            f"on arrival of {pipeline.trigger.on_arrival_key}" if pipeline.trigger and pipeline.trigger.on_arrival_key else
            f"after {pipeline.trigger.after_pipeline}" if pipeline.trigger else "by hand")
        print(f"✓ {path.name}: pipeline {pipeline.name}, {len(pipeline.steps)} step(s), {len(pipeline.inputs)} input(s), "
              f"{len(pipeline.tables)} table(s); starts {start}", file=out)
        for state in rendered.approximate:
            print(f"    note: {state!r} also waits for steps it does not depend on (the dependencies are not series-parallel)", file=out)
    return 1 if failed else 0


def cmd_render(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """What the build deploys, written for review: the state machine, the
    stack (jobs, roles and grants, schedule, triggers, notifications) and the
    tables' DDL."""
    from .build.pipelines import RenderedPipeline, write
    from .pipelines import naming
    from .pipelines import tables as ddl

    pipeline = _load(args.name)
    target = Path(args.out) if args.out else Path("build") / "pipelines"
    rendered = render_state_machine(pipeline)
    written = write(RenderedPipeline(pipeline, rendered.text, rendered.placeholders, naming.DEFAULT_PREFIX), target)
    statements = [ddl.create_database_sql(pipeline)] + [ddl.create_table_sql(pipeline, t) for t in pipeline.tables.values()]
    tables = target / pipeline.name / "tables.sql"
    tables.write_text(";\n\n".join(statements) + ";\n", encoding="utf-8")
    for path in [*written, tables]:
        print(f"wrote {path}", file=out)
    print(f"placeholders (filled at deploy): {', '.join(sorted(rendered.placeholders))}", file=out)
    return 0


def cmd_deploy(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """The build tasks do the deploying; this is their pipeline-sized door."""
    import subprocess

    from .pipelines import PROJECT_ROOT

    pipeline = _load(args.name)
    command = [sys.executable, str(PROJECT_ROOT / "build.py"), f"deploypipelines[{pipeline.name}]"]
    print(f"$ python build.py deploypipelines[{pipeline.name}]", file=out, flush=True)
    return subprocess.call(command, cwd=PROJECT_ROOT)


def input_key(pipeline: Pipeline, input_id: str, run_date: str, filename: str) -> str:
    """Where a local file goes so that the input's wait releases: its pattern
    for the date, with the file's name where the pattern has a wildcard."""
    from .pipelines.templates import resolve

    item = pipeline.inputs[input_id]
    pattern = item.pattern.replace("${run_date}", run_date)
    if not any(c in pattern for c in "*?["):
        return pattern
    folder = pattern.rsplit("/", 1)[0] + "/" if "/" in pattern else ""
    if any(c in folder for c in "*?["):
        raise ValueError(f"input {input_id}: pattern {item.pattern!r} has a wildcard in a folder; upload the file yourself")
    return resolve(folder, {}) + filename


def cmd_run(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    from .follow import Follower, open_run_log
    from .local.pipeline import LocalPipeline

    log_path = open_run_log("pipeline-run", getattr(args, "log_level", None) or "INFO")
    pipeline = _load(args.name)
    uploads: list[tuple[str, Path]] = []
    for item in args.input:
        input_id, _, path = item.partition("=")
        if input_id not in pipeline.inputs:
            raise ValueError(f"--input {item}: {pipeline.name} has no input {input_id!r} (inputs: {', '.join(pipeline.inputs) or 'none'})")
        if not Path(path).is_file():
            raise ValueError(f"--input {item}: {path} is not a file")
        uploads.append((input_id, Path(path)))
    _check_date(args.run_date)
    print(f"etl-runner pipeline run: {pipeline.name} for run date {args.run_date}", file=out, flush=True)
    local = LocalPipeline(pipeline=pipeline, prefix="local")
    local.start()
    try:
        assert local.deployment is not None and local.aws is not None
        print(f"  embedded AWS at {local.aws.endpoint_url}; deployed, workers started", file=out, flush=True)
        sfn = local.client("stepfunctions")
        definition = json.loads(sfn.describe_state_machine(stateMachineArn=local.deployment.state_machine_arn)["definition"])
        execution = local.start_execution(args.run_date)
        follower = Follower(sfn, execution, out, time.time(), result_keys(definition), parent_states(definition))
        s3 = local.client("s3")
        for input_id, path in uploads:
            key = input_key(pipeline, input_id, args.run_date, path.name)
            s3.upload_file(str(path), local.deployment.data_bucket, key)
            follower._print(f"uploaded s3://{local.deployment.data_bucket}/{key}")
            marker = pipeline.inputs[input_id].done_marker
            if marker:
                marker_key = marker.replace("${run_date}", args.run_date)
                s3.put_object(Bucket=local.deployment.data_bucket, Key=marker_key, Body=b"")
                follower._print(f"uploaded s3://{local.deployment.data_bucket}/{marker_key}")
        deadline = time.time() + args.timeout
        status = "RUNNING"
        while time.time() < deadline:
            follower.poll()
            status = sfn.describe_execution(executionArn=execution)["status"]
            if status in TERMINAL:
                break
            time.sleep(0.25)
        follower.poll()
        described = sfn.describe_execution(executionArn=execution)
        print_state_table(definition, follower, described["status"], out)
        if described["status"] != "SUCCEEDED":
            print(f"\n  {described['status']}: {described.get('error', '')}: {described.get('cause', '')[:500]}", file=out)
        local.print_notifications(execution, out)
        print(f"\n  worker log: {log_path}\n  embedded AWS log: {local.aws.log_path}", file=out)
        return 0 if described["status"] == "SUCCEEDED" else 1
    finally:
        local.stop()


def _check_date(text: str) -> None:
    from datetime import date

    try:
        date.fromisoformat(text)
        if len(text) != 10:
            raise ValueError
    except ValueError:
        raise ValueError(f"--run-date {text!r} is not a date YYYY-MM-DD") from None
