"""Thin AWS Lambda entry points over the same code as `etl-runner run-once`."""

from __future__ import annotations

from typing import Any

from . import log as logging_setup
from .aws import AwsClients
from .config import Settings
from .pipeline_trigger import on_schedule, on_trigger_messages
from .service import build_lifecycle, on_objects_created
from .worker import Worker

# Leave time to record and report after the last poll before Lambda's deadline.
SAFETY_SECONDS = 10.0


def _run_once(kind: str, context: Any) -> dict[str, Any]:
    settings = Settings.from_env()
    logging_setup.configure(settings.log_level, "json")
    activity_arn = settings.activity_arn(kind)
    if not activity_arn:
        raise RuntimeError(f"ETL_{kind.upper()}_ACTIVITY_ARN is not set")
    budget = settings.run_once_budget_seconds
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        budget = min(budget, context.get_remaining_time_in_millis() / 1000.0 - SAFETY_SECONDS)
    worker = Worker(build_lifecycle(kind, settings), activity_arn, 1, settings.check_interval_seconds)
    summary = worker.run_once(budget)
    return {"received": summary.received, "seconds": round(summary.seconds, 3)}


def glue_runner(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _run_once("glue", context)


def athena_runner(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _run_once("athena", context)


def wait_runner(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Scheduled safety net for waits (the object-created handler does the fast path)."""
    return _run_once("wait", context)


def object_created(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """S3 object-created notifications (direct, or through SQS/SNS): record the
    arrivals, then release every wait they satisfy."""
    settings = Settings.from_env()
    logging_setup.configure(settings.log_level, "json")
    report = on_objects_created(event, settings)
    return {"waits": report.records, "released": report.reported}


def pipeline_trigger(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Pipeline-trigger messages (SQS, from the pipelines' EventBridge rules):
    start each run date once, record and report each ended execution; answer
    the messages SQS should deliver again (the event source mapping reports
    batch item failures). Invoked directly by a pipeline's schedule (a
    ``schedule`` payload, no ``Records``): start the current period, after the
    missed ones when catching up."""
    settings = Settings.from_env()
    logging_setup.configure(settings.log_level, "json")
    clients = AwsClients(settings)
    if "Records" not in event:
        return on_schedule(event, clients.sfn, settings.cycle_retry())
    return on_trigger_messages(event, clients.sfn, settings.cycle_retry(), clients)
