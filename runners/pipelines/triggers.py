"""What a pipeline's trigger becomes: EventBridge rules that send one small
payload per event to the shared pipeline-triggers queue (pure; no AWS calls).

The path on AWS: the data bucket (EventBridge notifications on) and Step
Functions put events on the default bus; a pipeline's rule matches its own
marker key or its upstream's SUCCEEDED executions and, through an
InputTransformer, sends the payload below to the triggers queue; the
trigger function (``runners.pipeline_trigger``) starts the execution.

Exactly once per run date: every execution a trigger starts is *named* after
its run date (``execution_name``). Step Functions keeps execution names
unique per state machine (for 90 days after an execution ends), so a marker
uploaded twice, an event delivered twice, or two upstream runs of one date
start one execution; the second StartExecution answers the first one or
``ExecutionAlreadyExists``. Backfill and restarts of a period reuse the same
name, so a period is never started twice by two mechanisms either.

Schedules: the schedule (EventBridge Scheduler) invokes the trigger function
with ``schedule_target_input``; the function starts the current period by
name, and with catch-up first the missed ones (``runners.operate.catch_up``).
While catching up, the pipeline's own executions' status changes (its
``catch_up_rules``) send a ``catch-up`` payload that starts the next period
when one ends, so at most ``max_concurrent`` run at once.

Payloads (JSON, the InputTemplate's output):

* arrival:  {"kind": "arrival", "pipeline", "stateMachineArn", "keyTemplate", "bucket", "key"}
* upstream: {"kind": "upstream", "pipeline", "stateMachineArn",
             "upstream": {"pipeline", "executionArn", "stateMachineArn", "input", "output"}}
  (``input`` and ``output`` are the upstream execution's JSON texts, as the
  Step Functions event holds them.)
* schedule: {"kind": "schedule", "pipeline", "stateMachineArn", "scheduledTime",
             "schedule": {"cron", "timezone", "catchUp": {"horizonDays", "maxConcurrent"}}}
* catch-up: {"kind": "catch-up", "pipeline", "stateMachineArn", "time", "schedule": {...},
             "ended": {"executionArn", "status", "input"}}
* ended:    {"kind": "ended", "pipeline", "topicArn", "notifyOn", "dataBucket", "database",
             "executionArn", "status"} (``ended_rule``: every execution of the pipeline
  that ends; the function records its lineage and publishes the run report
  when ``notifyOn`` lists the status, see ``runners.run_ended``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping

from .model import Pipeline
from .templates import TEMPLATE, resolve

RUN_DATE = "${run_date}"
# The payload kinds the pipeline-triggers queue carries (one place for the
# rules that write them and the function that reads them).
KIND_ARRIVAL, KIND_UPSTREAM, KIND_SCHEDULE, KIND_CATCH_UP, KIND_ENDED = "arrival", "upstream", "schedule", "catch-up", "ended"
ARRIVAL_SUFFIX = "trigger-on-arrival"
UPSTREAM_SUFFIX = "trigger-after-pipeline"
CATCH_UP_SUFFIX = "catch-up"
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"  # EventBridge Scheduler fills it in the target's input
ENDED_STATUSES = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def execution_name(run_date: str) -> str:
    """The name of the execution of ``run_date``: the date itself (YYYY-MM-DD).

    Whatever starts a run date (a trigger, a backfill, a restart) uses this
    name, so Step Functions refuses a second execution of the same period."""
    return run_date


RERUN = "-rerun-"
_EXECUTION_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})(?:-rerun-([1-9]\d*))?")


def rerun_execution_name(run_date: str, attempt: int) -> str:
    """The name of the ``attempt``-th rerun of ``run_date`` (1, 2, ...):
    ``<date>-rerun-<n>``. A period whose execution has ended keeps its name
    for 90 days, so running it again (``backfill --rerun``, a failed period
    retried, ``redrive`` when redrive is impossible) needs a new one; the
    next number is one above the highest of the date's executions."""
    if attempt < 1:
        raise ValueError("rerun attempts count from 1")
    return f"{run_date}{RERUN}{attempt}"


def run_date_of_execution(name: str) -> tuple[str, int] | None:
    """(run date, rerun number; 0 for the first run) of an execution named by
    ``execution_name`` or ``rerun_execution_name``; None for any other name."""
    match = _EXECUTION_NAME.fullmatch(name)
    if match is None or not is_run_date(match.group(1)):
        return None
    return match.group(1), int(match.group(2) or 0)


def is_run_date(text: object) -> bool:
    """A real calendar date written YYYY-MM-DD."""
    if not isinstance(text, str) or not _DATE.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _split(key_template: str) -> tuple[str, str]:
    if key_template.count(RUN_DATE) != 1:
        raise ValueError(f"a trigger key template must hold {RUN_DATE} exactly once: {key_template!r}")
    before, _, after = key_template.partition(RUN_DATE)
    return before, after


def run_date_from_key(key_template: str, key: str) -> str | None:
    """The run date of ``key`` if the whole key is ``key_template`` with a real
    date in place of ``${run_date}``; else None.

    The template's deploy-time variables must be resolved already; the rest of
    it is literal text (no glob)."""
    before, after = _split(key_template)
    if not (key.startswith(before) and key.endswith(after)) or len(key) != len(before) + 10 + len(after):
        return None
    candidate = key[len(before):len(before) + 10]
    return candidate if is_run_date(candidate) else None


def key_wildcard(key_template: str) -> str:
    """The EventBridge ``wildcard`` filter of the template's keys: ``*`` for the
    run date, the template's own ``*`` and ``\\`` escaped. The filter is coarse
    (``*`` also matches ``/``); the trigger function checks the key exactly."""
    before, after = _split(key_template)

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("*", "\\*")

    return f"{escape(before)}*{escape(after)}"


@dataclass(frozen=True)
class RuleSpec:
    """One EventBridge rule: a name suffix (the stack names it ``<prefix>-<suffix>``),
    its pattern, and the InputTransformer of its one target, the triggers queue."""

    suffix: str
    event_pattern: dict[str, Any]
    input_paths_map: dict[str, str]
    input_template: str
    description: str = field(default="")

    @property
    def input_transformer(self) -> dict[str, Any]:
        """The target's ``InputTransformer`` (PutTargets and AWS::Events::Rule spell it alike)."""
        return {"InputPathsMap": dict(self.input_paths_map), "InputTemplate": self.input_template}


def _constant(value: str, what: str) -> str:
    """A JSON string literal for the template; EventBridge would read ``<name>``
    in it as a placeholder and ``<``/``>`` cannot be escaped."""
    if "<" in value or ">" in value:
        raise ValueError(f"{what} {value!r} holds '<' or '>', which an EventBridge input template cannot carry")
    return json.dumps(value)


def _template(fields: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{json.dumps(name)}: {value}" for name, value in fields) + "}"


def _resolved_key(pipeline: Pipeline, key_template: str, variables: Mapping[str, str]) -> str:
    values = {"run_date": RUN_DATE, **variables}
    missing = sorted(set(TEMPLATE.findall(key_template)) - set(values))
    if missing:
        raise ValueError(f"pipeline {pipeline.name!r}: trigger key {key_template!r} needs a value for {', '.join(missing)}")
    return resolve(key_template, values)


def trigger_rules(
    pipeline: Pipeline,
    state_machine_arn: str,
    bucket: str,
    upstream_state_machine_arn: str | None,
    variables: Mapping[str, str] | None = None,
) -> list[RuleSpec]:
    """The rules that start ``pipeline`` (none without a trigger).

    ``state_machine_arn``, ``bucket`` (the trigger's bucket, resolved) and
    ``upstream_state_machine_arn`` may be CloudFormation placeholders; they
    are kept as opaque strings. ``variables`` gives deploy-time values of the
    key template (default: ``pipeline``, ``database``, and ``data_bucket`` when
    the trigger's bucket is the data bucket)."""
    trigger = pipeline.trigger
    if trigger is None:
        return []
    if trigger.on_arrival_key is not None:
        defaults = {"pipeline": pipeline.name, "database": pipeline.database}
        if trigger.on_arrival_bucket == "${data_bucket}":
            defaults["data_bucket"] = bucket
        key_template = _resolved_key(pipeline, trigger.on_arrival_key, {**defaults, **(variables or {})})
        template = _template([
            ("kind", f'"{KIND_ARRIVAL}"'),
            ("pipeline", _constant(pipeline.name, "pipeline name")),
            ("stateMachineArn", _constant(state_machine_arn, "state machine")),
            ("keyTemplate", _constant(key_template, "trigger key")),
            ("bucket", "<bucket>"),
            ("key", "<key>"),
        ])
        return [RuleSpec(
            suffix=ARRIVAL_SUFFIX,
            event_pattern={
                "source": ["aws.s3"],
                "detail-type": ["Object Created"],
                "detail": {"bucket": {"name": [bucket]}, "object": {"key": [{"wildcard": key_wildcard(key_template)}]}},
            },
            input_paths_map={"bucket": "$.detail.bucket.name", "key": "$.detail.object.key"},
            input_template=template,
            description=f"Starts pipeline {pipeline.name} for the run date in a new {key_template}",
        )]
    upstream = trigger.after_pipeline
    if not upstream_state_machine_arn:
        raise ValueError(f"pipeline {pipeline.name!r} runs after {upstream!r}: the upstream state machine is needed")
    upstream_fields = _template([
        ("pipeline", _constant(str(upstream), "upstream pipeline name")),
        ("executionArn", "<executionArn>"),
        ("stateMachineArn", "<upstreamStateMachineArn>"),
        ("input", "<input>"),
        ("output", "<output>"),
    ])
    template = _template([
        ("kind", f'"{KIND_UPSTREAM}"'),
        ("pipeline", _constant(pipeline.name, "pipeline name")),
        ("stateMachineArn", _constant(state_machine_arn, "state machine")),
        ("upstream", upstream_fields),
    ])
    return [RuleSpec(
        suffix=UPSTREAM_SUFFIX,
        event_pattern={
            "source": ["aws.states"],
            "detail-type": ["Step Functions Execution Status Change"],
            "detail": {"status": ["SUCCEEDED"], "stateMachineArn": [upstream_state_machine_arn]},
        },
        input_paths_map={
            "executionArn": "$.detail.executionArn",
            "upstreamStateMachineArn": "$.detail.stateMachineArn",
            "input": "$.detail.input",
            "output": "$.detail.output",
        },
        input_template=template,
        description=f"Starts pipeline {pipeline.name} when pipeline {upstream} succeeds, for its run date",
    )]


def schedule_fields(pipeline: Pipeline) -> dict[str, Any]:
    """The schedule as the trigger function reads it (payload field ``schedule``)."""
    schedule = pipeline.schedule
    if schedule is None:
        raise ValueError(f"pipeline {pipeline.name!r} has no schedule")
    fields: dict[str, Any] = {"cron": schedule.cron} if schedule.cron else {"rate": schedule.rate}
    fields["timezone"] = schedule.timezone
    if schedule.catch_up is not None:
        fields["catchUp"] = {"horizonDays": schedule.catch_up.horizon_days, "maxConcurrent": schedule.catch_up.max_concurrent}
    return fields


def schedule_target_input(pipeline: Pipeline, state_machine_arn: str) -> str:
    """The ``Input`` of the schedule's target, the trigger function (Scheduler
    replaces ``<aws.scheduler.scheduled-time>``)."""
    return json.dumps({
        "kind": KIND_SCHEDULE,
        "pipeline": pipeline.name,
        "stateMachineArn": state_machine_arn,
        "scheduledTime": SCHEDULED_TIME,
        "schedule": schedule_fields(pipeline),
    })


def catch_up_rules(pipeline: Pipeline, state_machine_arn: str) -> list[RuleSpec]:
    """While catching up, an ended execution of the pipeline starts the next
    period (none without catch-up). The trigger function continues only after
    executions a schedule started (their input's ``trigger.kind``), so a
    backfill's or a manual run's end starts nothing."""
    if pipeline.schedule is None or pipeline.schedule.catch_up is None:
        return []
    template = _template([
        ("kind", f'"{KIND_CATCH_UP}"'),
        ("pipeline", _constant(pipeline.name, "pipeline name")),
        ("stateMachineArn", _constant(state_machine_arn, "state machine")),
        ("time", "<time>"),
        ("schedule", _constant_object(schedule_fields(pipeline), "schedule")),
        ("ended", _template([("executionArn", "<executionArn>"), ("status", "<status>"), ("input", "<input>")])),
    ])
    return [RuleSpec(
        suffix=CATCH_UP_SUFFIX,
        event_pattern={
            "source": ["aws.states"],
            "detail-type": ["Step Functions Execution Status Change"],
            "detail": {"status": list(ENDED_STATUSES), "stateMachineArn": [state_machine_arn]},
        },
        input_paths_map={"time": "$.time", "executionArn": "$.detail.executionArn", "status": "$.detail.status",
                         "input": "$.detail.input"},
        input_template=template,
        description=f"Catch-up of pipeline {pipeline.name}: when one of its executions ends, start the next missed period",
    )]


def _constant_object(value: dict[str, Any], what: str) -> str:
    text = json.dumps(value)
    _constant(text, what)  # the same refusal of '<' and '>'
    return text
ENDED_SUFFIX = "status"
ENDED_STATUSES = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


def ended_rule(pipeline: Pipeline, state_machine_arn: str, topic_arn: str, data_bucket: str, database: str) -> RuleSpec:
    """The rule that hands each ended execution of ``pipeline`` (every end
    status: lineage is recorded for all) to the trigger function, which records
    its lineage and publishes the run report when ``notify.on`` lists the status.

    Payload: {"kind": "ended", "pipeline", "topicArn", "notifyOn", "dataBucket",
    "database", "executionArn", "status"} (see ``runners.run_ended``). Arguments
    may be CloudFormation placeholders, kept as opaque strings."""
    template = _template([
        ("kind", f'"{KIND_ENDED}"'),
        ("pipeline", _constant(pipeline.name, "pipeline name")),
        ("topicArn", _constant(topic_arn, "topic")),
        ("notifyOn", json.dumps(list(pipeline.notify.on))),
        ("dataBucket", _constant(data_bucket, "data bucket")),
        ("database", _constant(database, "database")),
        ("executionArn", "<executionArn>"),
        ("status", "<status>"),
    ])
    return RuleSpec(
        suffix=ENDED_SUFFIX,
        event_pattern={
            "source": ["aws.states"],
            "detail-type": ["Step Functions Execution Status Change"],
            "detail": {"stateMachineArn": [state_machine_arn], "status": list(ENDED_STATUSES)},
        },
        input_paths_map={"executionArn": "$.detail.executionArn", "status": "$.detail.status"},
        input_template=template,
        description=(f"Ended executions of pipeline {pipeline.name}: lineage recorded for every one, "
                     f"the run report published on {', '.join(pipeline.notify.on) or 'none'}"),
    )
