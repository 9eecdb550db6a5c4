"""What happens when a pipeline's execution ends (any status): the trigger
function receives the pipeline's status-change event from the triggers queue
(payload kind ``ended``, see ``runners.pipelines.triggers.ended_rule``), reads
the execution back, then

1. records its audit lineage (``runners.lineage``: JSON lines in the data
   bucket, the ``etl_lineage`` table created when missing);
2. sends its OpenLineage events (``runners.openlineage_events``; off unless
   ``ETL_OPENLINEAGE_TRANSPORT`` says where);
3. publishes the run report to the pipeline's topic when its status is one
   of the pipeline's ``notify.on`` (``runners.pipeline_notify``).

In that order: the first two are idempotent (same key, same run ids), the
publish is not, so a failure before it (the message is delivered again)
never sends a report twice; a failed publish is retried with the rest.
Delivery is at least once: SQS may deliver a message twice.

Payload: {"kind": "ended", "pipeline", "topicArn", "notifyOn": [statuses],
"dataBucket", "database", "executionArn", "status"}.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog

from . import lineage
from .execution_report import TERMINAL, complete_outputs, read_execution
from .openlineage_events import emit as emit_openlineage
from .pipeline_notify import compose

log = structlog.get_logger(__name__)



class EndedPayloadError(ValueError):
    """A status message that names no ended execution of a pipeline."""


@dataclass(frozen=True)
class Ended:
    pipeline: str
    execution_arn: str
    status: str
    topic_arn: str | None
    notify_on: tuple[str, ...]
    data_bucket: str | None
    database: str | None


def parse_ended(payload: dict[str, Any]) -> Ended:
    def text(field: str, required: bool = True) -> str | None:
        value = payload.get(field)
        if value in (None, "") and not required:
            return None
        if not isinstance(value, str) or not value:
            raise EndedPayloadError(f"{field} must be a non-empty string")
        return value

    status = text("status")
    if status not in TERMINAL:
        raise EndedPayloadError(f"status {status!r} is not an end (expected one of {', '.join(TERMINAL)})")
    notify_on = payload.get("notifyOn") or []
    if not isinstance(notify_on, list) or not all(isinstance(s, str) for s in notify_on):
        raise EndedPayloadError("notifyOn must be a list of statuses")
    return Ended(str(text("pipeline")), str(text("executionArn")), str(status), text("topicArn", False), tuple(notify_on),
                 text("dataBucket", False), text("database", False))


def on_execution_ended(ended: Ended, clients: Any) -> dict[str, Any]:
    """Lineage, OpenLineage, then the report; what was done (for the log)."""
    bound = log.bind(pipeline=ended.pipeline, execution_arn=ended.execution_arn, status=ended.status)
    report = read_execution(clients.client("stepfunctions"), ended.execution_arn, ended.pipeline)
    complete_outputs(report, clients.client("athena"), clients.client("glue"),
                     on_error=lambda task, exc: bound.warning("output_details_unavailable", step=task.state, error=str(exc)[:300]))
    done: dict[str, Any] = {"run_date": report.run_date}
    if ended.data_bucket:
        done["lineage"] = lineage.write_lineage(clients.client("s3"), ended.data_bucket, report)
        if ended.database:
            lineage.ensure_table(clients.client("glue"), ended.database, ended.data_bucket, ended.pipeline)
    try:
        done["openlineage_events"] = emit_openlineage(report)
    except Exception as exc:  # noqa: BLE001 - an unreachable lineage backend must not hold the report back
        bound.warning("openlineage_not_sent", error=str(exc)[:300], error_type=type(exc).__name__)
        done["openlineage_events"] = 0
    if ended.topic_arn and report.status in ended.notify_on:
        notification = compose(report)
        done["message_id"] = notification.publish(clients.client("sns"), ended.topic_arn)
        done["subject"] = notification.subject
    bound.info("execution_ended_recorded", **done)
    return done
