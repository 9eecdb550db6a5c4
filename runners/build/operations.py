"""Operating the deployed pipelines: Lambda code, schedules, manual runs.

Resources are found in the project's stacks (``ListStackResources``), not by
hard-coded names: a Lambda function by its handler, a state machine and a
schedule by their resource types (in the named pipeline's stack when a
pipeline is named).

A pipeline's schedule (``AWS::Scheduler::Schedule``) is switched with the
EventBridge Scheduler API (``UpdateSchedule`` with every other field as it
is), not with a stack update: it takes effect at once and needs no
parameter file change. The template's ``State`` is the state a
``createstack`` starts with; an ``updatestack`` that changes the schedule
resource itself applies the template's ``State`` again.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from datetime import date, timedelta
from typing import Any, Callable

from botocore.exceptions import ClientError

from runners.build import package, stacks
from runners.build.runner import TaskError
from runners.build.settings import PIPELINE_STACK_PREFIX, BuildContext

Say = Callable[[str], None]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# What UpdateSchedule accepts besides Name, GroupName and State; fields left
# out would be reset to their defaults, so every present one is sent back.
_SCHEDULE_FIELDS = (
    "ActionAfterCompletion",
    "Description",
    "EndDate",
    "FlexibleTimeWindow",
    "KmsKeyArn",
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "StartDate",
    "Target",
)


# -- Lambda code -------------------------------------------------------------------------


def update_lambda_code(ctx: BuildContext, functions: list[str], say: Say) -> dict[str, str]:
    """Point each chosen function of the project's stacks at the uploaded
    package. Returns {function name: CodeSha256}."""
    built = package.built_package(ctx.settings.lambda_dir)
    expected_sha = base64.b64encode(bytes.fromhex(built.sha256)).decode()
    lam = ctx.client("lambda")
    deployed = stacks.project_resources(ctx, "AWS::Lambda::Function")
    by_handler: dict[str, list[str]] = {}
    for _stack, _logical, function_name in deployed:
        handler = lam.get_function_configuration(FunctionName=function_name)["Handler"]
        by_handler.setdefault(handler, []).append(function_name)
    updated: dict[str, str] = {}
    for name in functions:
        handler = package.HANDLERS[name]
        targets = by_handler.get(handler, [])
        if not targets:
            raise TaskError(f"no Lambda function with handler {handler} in the stacks {', '.join(ctx.settings.stack_name(s) for s in ctx.settings.project_stacks())}: create the runner stack first")
        for function_name in targets:
            answer = lam.update_function_code(FunctionName=function_name, S3Bucket=ctx.artifact_bucket, S3Key=built.s3_key)
            _wait_function_updated(lam, function_name)
            sha = answer.get("CodeSha256", "")
            check = "matches the package" if sha == expected_sha else f"differs from the package ({expected_sha})"
            say(f"{name}: {function_name} now runs s3://{ctx.artifact_bucket}/{built.s3_key} (CodeSha256 {sha}, {check})")
            updated[function_name] = sha
    return updated


def _wait_function_updated(lam: Any, function_name: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        config = lam.get_function_configuration(FunctionName=function_name)
        status = config.get("LastUpdateStatus", "Successful")
        if status == "Successful":
            return
        if status == "Failed":
            raise TaskError(f"{function_name}: code update failed: {config.get('LastUpdateStatusReason', 'no reason given')}")
        if time.monotonic() > deadline:
            raise TaskError(f"{function_name}: code update still {status} after {timeout:.0f} s")
        time.sleep(1.0)


# -- schedules -------------------------------------------------------------------


def _find_schedule(ctx: BuildContext, name: str | None) -> tuple[str, str]:
    """(name, group) of the schedule: the named one (a schedule's or a pipeline's name),
    or the one in the project's stacks."""
    scheduler = ctx.client("scheduler")
    if name and name in ctx.settings.pipeline_files():
        found = stacks.resources_of(ctx, PIPELINE_STACK_PREFIX + name, "AWS::Scheduler::Schedule")
        if not found:
            raise TaskError(f"pipeline {name} has no schedule in its stack {ctx.settings.stack_name(PIPELINE_STACK_PREFIX + name)} (not deployed, or no schedule in its file)")
        name = found[0][2]
    if not name:
        found = stacks.project_resources(ctx, "AWS::Scheduler::Schedule")
        if not found:
            raise TaskError("no AWS::Scheduler::Schedule in the project's stacks (not created yet?); name it: enableschedule[NAME]")
        if len(found) > 1:
            raise TaskError(f"several schedules in the project's stacks ({', '.join(f[2] for f in found)}); name one (or its pipeline): enableschedule[NAME]")
        name = found[0][2]
    groups = [s.get("GroupName", "default") for page in scheduler.get_paginator("list_schedules").paginate(NamePrefix=name) for s in page.get("Schedules", []) if s["Name"] == name]
    if not groups:
        raise TaskError(f"schedule {name} does not exist")
    if len(groups) > 1:
        raise TaskError(f"schedule {name} exists in several groups ({', '.join(groups)})")
    return name, groups[0]


def set_schedule_state(ctx: BuildContext, name: str | None, state: str, say: Say) -> dict[str, Any]:
    """Enable or disable a schedule; returns the schedule as it now is."""
    assert state in {"ENABLED", "DISABLED"}
    scheduler = ctx.client("scheduler")
    name, group = _find_schedule(ctx, name)
    current = scheduler.get_schedule(Name=name, GroupName=group)
    if current.get("State") == state:
        say(f"schedule {group}/{name} is already {state} ({current.get('ScheduleExpression')})")
        return current
    fields = {key: current[key] for key in _SCHEDULE_FIELDS if current.get(key) not in (None, "")}
    scheduler.update_schedule(Name=name, GroupName=group, State=state, **fields)
    now = scheduler.get_schedule(Name=name, GroupName=group)
    say(f"schedule {group}/{name}: {current.get('State')} -> {now.get('State')} ({now.get('ScheduleExpression')} {now.get('ScheduleExpressionTimezone') or 'UTC'})")
    return now


# -- manual executions ---------------------------------------------------------------------


def this_weeks_monday(today: date | None = None) -> str:
    today = today or date.today()
    return (today - timedelta(days=today.weekday())).isoformat()


def parse_run_date(text: str | None) -> str:
    if not text:
        return this_weeks_monday()
    if not _DATE.match(text):
        raise TaskError(f"run date {text!r} is not YYYY-MM-DD")
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise TaskError(f"run date {text!r}: {exc}") from None


def find_state_machine(ctx: BuildContext, pipeline: str | None = None) -> str:
    """The named pipeline's state machine, or the one state machine in the project's stacks."""
    if pipeline:
        if pipeline not in ctx.settings.pipeline_files():
            raise TaskError(f"unknown pipeline {pipeline!r}; pipelines: {', '.join(ctx.settings.pipeline_files()) or '(none)'}")
        found = stacks.resources_of(ctx, PIPELINE_STACK_PREFIX + pipeline, "AWS::StepFunctions::StateMachine")
        if not found:
            raise TaskError(f"pipeline {pipeline} is not deployed: no state machine in {ctx.settings.stack_name(PIPELINE_STACK_PREFIX + pipeline)} (deploypipelines[{pipeline}])")
        return found[0][2]
    found = stacks.project_resources(ctx, "AWS::StepFunctions::StateMachine")
    if not found:
        raise TaskError("no state machine in the project's stacks: deploy a pipeline first (deploypipelines)")
    if len(found) > 1:
        raise TaskError(f"several state machines in the project's stacks ({', '.join(f[2] for f in found)}): name the pipeline, startexecution[RUN_DATE,pipeline=NAME]")
    return found[0][2]


def start_execution(ctx: BuildContext, run_date: str | None, say: Say, pipeline: str | None = None) -> str:
    """Start a pipeline for ``run_date`` (default: this week's Monday)."""
    day = parse_run_date(run_date)
    arn = find_state_machine(ctx, pipeline)
    sfn = ctx.client("stepfunctions")
    # Execution names are unique per state machine; keep the date in it for the console.
    name = f"manual-{day}-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:6]}"
    try:
        execution_arn = sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps({"runDate": day}))["executionArn"]
    except ClientError as exc:
        raise TaskError(f"could not start {arn}: {exc}") from None
    say(f"started {execution_arn}")
    say(f"input {{\"runDate\": \"{day}\"}}; follow it with `aws stepfunctions describe-execution --execution-arn {execution_arn}`")
    return execution_arn
