"""The trigger function: starts a pipeline's execution for each message its
EventBridge rules put on the pipeline-triggers queue (see
``runners.pipelines.triggers`` for the rules and the payloads), and handles
the pipeline's own executions ending (kind ``ended``: lineage, OpenLineage
events and the run report, see ``runners.run_ended``).

Exactly once per run date: the execution is named after the run date and
its input is the same text for the same trigger, so StartExecution answers
the existing execution (same input, still running) or
``ExecutionAlreadyExists`` (other input, or already ended): both mean
"already started", neither is an error.

What happens to a message:

* it starts the run, or the run was already started -> done (deleted);
* it can never start anything (not a payload, a key that does not match its
  template, a date that does not exist, an upstream without a ``runDate``)
  -> logged and dropped, never retried;
* Step Functions did not take it (throttled, unreachable, or refused: a
  missing state machine or a denied call) -> a batch item failure: SQS
  delivers it again after its visibility timeout, and after the queue's
  maxReceiveCount it waits in the dead-letter queue for a fix and a redrive.

Schedules (``schedule`` payloads, from EventBridge Scheduler, invoking the
function directly or through the queue) and catch-up continuations
(``catch-up`` payloads, when one of the pipeline's executions ends) read the
pipeline's executions (ListExecutions) and start the periods
``runners.operate.catch_up`` plans, oldest first, each by its run date's
name. A direct invocation that fails raises, so Scheduler retries it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from botocore.exceptions import BotoCoreError, ClientError

from .operate.catch_up import CatchUpPlan, plan_catch_up
from .operate.history import History
from .operate.periods import Periods, ScheduleError, parse_cron
from .pipelines.model import CatchUp, Schedule
from .pipelines.triggers import execution_name, is_run_date, run_date_from_key
from .pipelines.triggers import KIND_ARRIVAL, KIND_CATCH_UP, KIND_ENDED, KIND_SCHEDULE, KIND_UPSTREAM
from .retry import RetryPolicy, error_code, is_transient

log = structlog.get_logger(__name__)

ALREADY_STARTED = "ExecutionAlreadyExists"


class TriggerPayloadError(ValueError):
    """A message that can never start an execution."""


@dataclass(frozen=True)
class StartRequest:
    """One StartExecution: the pipeline's state machine, for one run date."""

    pipeline: str
    state_machine_arn: str
    run_date: str
    execution_input: dict[str, Any]

    @property
    def name(self) -> str:
        return execution_name(self.run_date)

    @property
    def input_text(self) -> str:
        """Canonical JSON: the same trigger gives the same text (StartExecution
        compares input strings for its idempotency)."""
        return json.dumps(self.execution_input, sort_keys=True, separators=(",", ":"))


def _text(payload: dict[str, Any], field: str) -> str:
    value = payload.get(field)
    if not isinstance(value, str) or not value:
        raise TriggerPayloadError(f"{field} must be a non-empty string")
    return value


def _json_field(value: Any, field: str) -> Any:
    """A JSON text of the Step Functions event (or the value, if already parsed)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise TriggerPayloadError(f"upstream {field} is not JSON") from None
    return value


def parse_payload(body: str) -> StartRequest:
    """The execution a trigger message asks for; TriggerPayloadError if none."""
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, TypeError):
        raise TriggerPayloadError("the message body is not JSON") from None
    if not isinstance(payload, dict):
        raise TriggerPayloadError("the message body is not a JSON object")
    kind = payload.get("kind")
    if kind == KIND_ARRIVAL:
        return _arrival(payload)
    if kind == KIND_UPSTREAM:
        return _upstream(payload)
    raise TriggerPayloadError(f"unknown trigger kind {kind!r}")


def _arrival(payload: dict[str, Any]) -> StartRequest:
    pipeline, state_machine = _text(payload, "pipeline"), _text(payload, "stateMachineArn")
    template, bucket, key = _text(payload, "keyTemplate"), _text(payload, "bucket"), _text(payload, "key")
    try:
        run_date = run_date_from_key(template, key)
    except ValueError as exc:
        raise TriggerPayloadError(str(exc)) from None
    if run_date is None:
        raise TriggerPayloadError(f"key {key!r} does not match the trigger key template {template!r} with a real date")
    trigger = {"kind": KIND_ARRIVAL, "bucket": bucket, "key": key}
    return StartRequest(pipeline, state_machine, run_date, {"runDate": run_date, "trigger": trigger})


def _upstream(payload: dict[str, Any]) -> StartRequest:
    pipeline, state_machine = _text(payload, "pipeline"), _text(payload, "stateMachineArn")
    upstream = payload.get("upstream")
    if not isinstance(upstream, dict):
        raise TriggerPayloadError("upstream must be an object")
    execution_arn = _text(upstream, "executionArn")
    upstream_input = _json_field(upstream.get("input"), "input")
    if not isinstance(upstream_input, dict):
        raise TriggerPayloadError("upstream input is not a JSON object (excluded from the event when too large?)")
    run_date = upstream_input.get("runDate")
    if not is_run_date(run_date):
        raise TriggerPayloadError(f"upstream input has no runDate of the form YYYY-MM-DD (found {run_date!r})")
    output = upstream.get("output")
    try:
        output = _json_field(output, "output")
    except TriggerPayloadError:
        pass  # not JSON: hand it over as the text it is
    name = upstream.get("pipeline")
    trigger = {"kind": KIND_UPSTREAM, "pipeline": name, "executionArn": execution_arn}
    handed_over = {"pipeline": name, "executionArn": execution_arn, "output": output}
    return StartRequest(pipeline, state_machine, str(run_date), {"runDate": run_date, "trigger": trigger, "upstream": handed_over})


def _pipeline_named(body: Any) -> str | None:
    """The pipeline a message names, if any (for the log of a dropped one)."""
    name = (_json_object(body) or {}).get("pipeline")
    return name if isinstance(name, str) else None


def start(sfn: Any, request: StartRequest, retry: RetryPolicy) -> str:
    """Start the run; return its execution ARN, or "" if it was started before."""
    try:
        answer = retry.call(sfn.start_execution, stateMachineArn=request.state_machine_arn, name=request.name, input=request.input_text)
    except ClientError as exc:
        if error_code(exc) == ALREADY_STARTED:
            return ""
        raise
    return str(answer["executionArn"])


@dataclass(frozen=True)
class ScheduleRequest:
    """A schedule's fire time, or a catch-up continuation's event time."""

    kind: str
    pipeline: str
    state_machine_arn: str
    schedule: Schedule
    instant: datetime


class NotScheduled(TriggerPayloadError):
    """A catch-up event after an execution the schedule did not start (a backfill's, a manual one)."""


def parse_schedule_payload(payload: dict[str, Any]) -> ScheduleRequest:
    """The schedule's or continuation's request; TriggerPayloadError if it can never start anything."""
    kind = payload.get("kind")
    if kind not in (KIND_SCHEDULE, KIND_CATCH_UP):
        raise TriggerPayloadError(f"unknown schedule kind {kind!r}")
    pipeline, state_machine = _text(payload, "pipeline"), _text(payload, "stateMachineArn")
    when = _text(payload, "scheduledTime" if kind == KIND_SCHEDULE else "time")
    try:
        instant = datetime.fromisoformat(when)
    except ValueError:
        raise TriggerPayloadError(f"{when!r} is not an ISO 8601 time") from None
    if instant.tzinfo is None:
        raise TriggerPayloadError(f"{when!r} has no time zone")
    fields = payload.get("schedule")
    if not isinstance(fields, dict) or bool(fields.get("cron")) == bool(fields.get("rate")):
        raise TriggerPayloadError("schedule must be an object with one of cron and rate")
    catch_up = None
    if isinstance(fields.get("catchUp"), dict):
        c = fields["catchUp"]
        if not fields.get("cron") or not isinstance(c.get("horizonDays"), int) or not isinstance(c.get("maxConcurrent", 1), int):
            raise TriggerPayloadError("catchUp needs a cron schedule, an integer horizonDays and maxConcurrent")
        catch_up = CatchUp(c["horizonDays"], c.get("maxConcurrent", 1))
    if kind == KIND_CATCH_UP and not _started_by_schedule(payload.get("ended")):
        raise NotScheduled("the ended execution was not started by the schedule: nothing to continue")
    schedule = Schedule(cron=fields.get("cron"), rate=fields.get("rate"), timezone=str(fields.get("timezone") or "UTC"), catch_up=catch_up)
    try:
        if schedule.cron:
            parse_cron(schedule.cron)
        Periods(schedule).zone
    except (ScheduleError, ValueError, KeyError) as exc:
        raise TriggerPayloadError(f"schedule: {exc}") from None
    return ScheduleRequest(str(kind), pipeline, state_machine, schedule, instant)


def _started_by_schedule(ended: Any) -> bool:
    if not isinstance(ended, dict):
        return False
    try:
        execution_input = _json_field(ended.get("input"), "input")
    except TriggerPayloadError:
        return False
    trigger = execution_input.get("trigger") if isinstance(execution_input, dict) else None
    return isinstance(trigger, dict) and trigger.get("kind") == KIND_SCHEDULE


def run_schedule(sfn: Any, request: ScheduleRequest, retry: RetryPolicy) -> CatchUpPlan:
    """Start the periods the plan wants now, oldest first; return the plan."""
    history = retry.call(History.read, sfn, request.state_machine_arn)
    plan = plan_catch_up(Periods(request.schedule), request.schedule.catch_up, request.instant, history)
    context = {"pipeline": request.pipeline, "kind": request.kind, "current": str(plan.current),
               "missed": [str(d) for d in plan.missed], "running": plan.running}
    if plan.note:
        log.info("catch_up_note", **context, note=plan.note)
    for run_date in plan.to_start:
        caught_up = run_date != plan.current
        execution_input = {"runDate": str(run_date), "trigger": {"kind": KIND_SCHEDULE, "catchUp": caught_up}}
        arn = start(sfn, StartRequest(request.pipeline, request.state_machine_arn, str(run_date), execution_input), retry)
        log.info("pipeline_started" if arn else "pipeline_already_started", **context, run_date=str(run_date),
                 catch_up=caught_up, execution_arn=arn or None)
    waiting = [str(d) for d in plan.wanted if d not in plan.to_start]
    if waiting:
        log.info("catch_up_waiting", **context, waiting=waiting)
    return plan


def on_schedule(payload: dict[str, Any], sfn: Any, retry: RetryPolicy) -> dict[str, Any]:
    """A direct invocation (EventBridge Scheduler's target): a payload that can
    never start anything is dropped (logged); a failure to start raises."""
    try:
        request = parse_schedule_payload(payload)
    except TriggerPayloadError as exc:
        log.error("trigger_dropped", pipeline=payload.get("pipeline"), reason=str(exc))
        return {"started": [], "dropped": str(exc)}
    plan = run_schedule(sfn, request, retry)
    return {"current": str(plan.current), "missed": [str(d) for d in plan.missed], "started": [str(d) for d in plan.to_start]}


def _json_object(body: Any) -> dict[str, Any] | None:
    """The message body as a JSON object, or None."""
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, TypeError):
        return None
    return payload if isinstance(payload, dict) else None


def _kind_of(body: Any) -> str | None:
    kind = (_json_object(body) or {}).get("kind")
    return kind if isinstance(kind, str) else None


def _on_ended(body: str, clients: Any) -> None:
    """An execution of a pipeline ended: record and report it (``runners.run_ended``).
    Raises TriggerPayloadError for a message that can never be handled."""
    from .run_ended import EndedPayloadError, on_execution_ended, parse_ended

    try:
        ended = parse_ended(json.loads(body))
    except EndedPayloadError as exc:
        raise TriggerPayloadError(str(exc)) from None
    if clients is None:
        raise TriggerPayloadError("this trigger function was given no AWS clients for execution ends")
    on_execution_ended(ended, clients)


def _schedule_kind(body: Any) -> dict[str, Any] | None:
    payload = _json_object(body)
    return payload if payload is not None and payload.get("kind") in (KIND_SCHEDULE, KIND_CATCH_UP) else None


def on_trigger_messages(event: dict[str, Any], sfn: Any, retry: RetryPolicy, clients: Any = None) -> dict[str, list[dict[str, str]]]:
    """Handle an SQS batch; answer the messages to deliver again (Lambda's
    ``ReportBatchItemFailures`` response). ``clients`` (``runners.aws.AwsClients``)
    serve the ``ended`` messages."""
    failures: list[dict[str, str]] = []
    for record in event.get("Records", []):
        message_id = str(record.get("messageId", ""))
        if _kind_of(record.get("body")) == KIND_ENDED:
            try:
                _on_ended(record.get("body", ""), clients)
            except TriggerPayloadError as exc:
                log.warning("trigger_dropped", message_id=message_id, pipeline=_pipeline_named(record.get("body")), reason=str(exc))
            except Exception as exc:  # noqa: BLE001 - delivered again; after maxReceiveCount it waits in the DLQ
                transient = is_transient(exc)
                (log.warning if transient else log.error)(
                    "execution_end_not_recorded", message_id=message_id, pipeline=_pipeline_named(record.get("body")),
                    error=str(exc)[:300], error_code=error_code(exc) or type(exc).__name__, transient=transient,
                )
                failures.append({"itemIdentifier": message_id})
            continue
        if (scheduled := _schedule_kind(record.get("body"))) is not None:
            try:
                run_schedule(sfn, parse_schedule_payload(scheduled), retry)
            except NotScheduled:
                log.debug("catch_up_not_scheduled", message_id=message_id, pipeline=scheduled.get("pipeline"))
            except TriggerPayloadError as exc:
                log.warning("trigger_dropped", message_id=message_id, pipeline=scheduled.get("pipeline"), reason=str(exc))
            except (ClientError, BotoCoreError) as exc:
                log.warning("trigger_start_failed", message_id=message_id, pipeline=scheduled.get("pipeline"),
                            error=error_code(exc) or type(exc).__name__, transient=is_transient(exc))
                failures.append({"itemIdentifier": message_id})
            continue
        try:
            request = parse_payload(record.get("body", ""))
        except TriggerPayloadError as exc:
            log.warning("trigger_dropped", message_id=message_id, pipeline=_pipeline_named(record.get("body")), reason=str(exc))
            continue
        context = {"message_id": message_id, "pipeline": request.pipeline, "run_date": request.run_date,
                   "trigger": request.execution_input["trigger"]}
        try:
            execution_arn = start(sfn, request, retry)
        except (ClientError, BotoCoreError) as exc:
            transient = is_transient(exc)
            (log.warning if transient else log.error)(
                "trigger_start_failed", **context, error=error_code(exc) or type(exc).__name__, transient=transient,
            )
            failures.append({"itemIdentifier": message_id})
            continue
        if execution_arn:
            log.info("pipeline_started", **context, execution_arn=execution_arn)
        else:
            log.info("pipeline_already_started", **context)
    return {"batchItemFailures": failures}
