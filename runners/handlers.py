"""Thin AWS Lambda entry points over the same code as `etl-runner run-once`."""

from __future__ import annotations

import threading
from typing import Any

from . import log as logging_setup
from .aws import AwsClients
from .config import Settings
from .pipeline_trigger import on_schedule, on_trigger_messages
from .service import KINDS, build_lifecycle, on_job_event_messages, on_objects_created
from .worker import Worker

# Leave time to record and report after the last poll before Lambda's deadline.
SAFETY_SECONDS = 10.0


def _run_once(kind: str, context: Any, settings: Settings | None = None) -> dict[str, Any]:
    if settings is None:
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


def all_runners(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One scheduled function for every runner whose activity ARN is set
    (Glue, Athena, waits): the bounded cycle of `etl-runner run-once KIND`
    for each, side by side on threads of one invocation (one function and
    one schedule instead of three: a third of the idle invocations, and the
    waits' cycle is the scheduled safety net of the object-created handler's
    fast path). With job events
    (``job_events``) this is only the slow sweep and the pickup of new
    tasks; run ends are reported as their events arrive."""
    settings = Settings.from_env()
    logging_setup.configure(settings.log_level, "json")
    kinds = [kind for kind in KINDS if settings.activity_arn(kind)]
    if not kinds:
        raise RuntimeError("none of ETL_GLUE_ACTIVITY_ARN, ETL_ATHENA_ACTIVITY_ARN, ETL_WAIT_ACTIVITY_ARN is set")
    results: dict[str, Any] = {}

    def run(kind: str) -> None:
        try:
            results[kind] = _run_once(kind, context, settings)
        except Exception as exc:  # noqa: BLE001 - one runner's trouble must not stop the others
            results[kind] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}

    threads = [threading.Thread(target=run, args=(kind,), name=f"runner-{kind}") for kind in kinds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def object_created(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """S3 object-created notifications (direct, or through SQS/SNS): record the
    arrivals, then release every wait they satisfy."""
    settings = Settings.from_env()
    logging_setup.configure(settings.log_level, "json")
    report = on_objects_created(event, settings)
    return {"waits": report.records, "released": report.reported}


def job_events(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Glue and Athena state change events (SQS, from the job events rules):
    report each ended run's task at once; answer the messages SQS should
    deliver again (the event source mapping reports batch item failures)."""
    settings = Settings.from_env()
    logging_setup.configure(settings.log_level, "json")
    budget = None
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        budget = context.get_remaining_time_in_millis() / 1000.0 - SAFETY_SECONDS
    return on_job_event_messages(event, settings, budget_seconds=budget)


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
