"""The run report a pipeline's subscribers get when an execution ends.

One message per ended execution whose status the pipeline's ``notify.on``
lists: a subject a person can triage from their inbox
(``[etl-runner] orders-daily 2026-11-30 FAILED at Clean Orders``), a body that
says what happened in words, and the same facts as a JSON block for tools.

Two kinds of message reach a pipeline's topic, told apart by the
``message_type`` attribute (and their subjects):

* ``report``: this one, sent by the trigger function from the execution's
  status event, once the execution has ended; complete (failed state, error,
  outputs, duration).
* ``alert``: what a hand-written state machine's own failure state may
  publish the moment a step fails (rendered ones leave errors uncaught so a
  redrive resumes at the failed step, and publish nothing themselves); short.

E-mail subscriptions filter on ``message_type = report``, so a failure sends
a person one message; a pager or chat subscription can take any alerts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .execution_report import ExecutionReport, readable_cause

SUBJECT_PREFIX = "[etl-runner]"
MAX_SUBJECT = 100  # SNS: at most 100 printable ASCII characters
MESSAGE_TYPE = "message_type"
REPORT, ALERT = "report", "alert"


@dataclass(frozen=True)
class Notification:
    subject: str
    body: str
    facts: dict[str, Any]

    def publish(self, sns: Any, topic_arn: str) -> str:
        answer = sns.publish(
            TopicArn=topic_arn, Subject=self.subject, Message=self.body,
            MessageAttributes={
                MESSAGE_TYPE: {"DataType": "String", "StringValue": REPORT},
                "pipeline": {"DataType": "String", "StringValue": self.facts["pipeline"] or "unknown"},
                "status": {"DataType": "String", "StringValue": self.facts["status"]},
            },
        )
        return str(answer["MessageId"])


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def subject(report: ExecutionReport) -> str:
    where = f" at {', '.join(report.failed_states)}" if report.failed_states and report.status != "SUCCEEDED" else ""
    if report.status == "SUCCEEDED":
        where = f" in {duration(report.seconds)}"
    text = f"{SUBJECT_PREFIX} {report.pipeline} {report.run_date or report.name} {report.status}{where}"
    text = "".join(c if 32 <= ord(c) < 127 else "?" for c in text)  # SNS subjects are ASCII
    return text if len(text) <= MAX_SUBJECT else text[: MAX_SUBJECT - 3] + "..."


def facts(report: ExecutionReport) -> dict[str, Any]:
    """The report as JSON-ready data (the message's JSON block)."""
    return {
        "pipeline": report.pipeline,
        "runDate": report.run_date,
        "status": report.status,
        "executionArn": report.execution_arn,
        "startDate": report.started.isoformat() if report.started else None,
        "stopDate": report.stopped.isoformat() if report.stopped else None,
        "durationSeconds": round(report.seconds, 3) if report.seconds is not None else None,
        "failedStates": report.failed_states,
        "error": report.error if report.status != "SUCCEEDED" else None,
        "cause": readable_cause(report.cause, 4000) if report.status != "SUCCEEDED" else None,
        "outputs": [
            {"step": task.state, "runId": task.run_id, "location": out.location, "table": out.table, "partition": out.partition,
             "rows": out.rows, "what": out.what}
            for task, out in report.outputs
        ],
        "steps": [
            {"step": t.state, "kind": t.kind, "status": t.status, "runId": t.run_id, "seconds": t.seconds, "attempts": t.attempts}
            for t in report.tasks
        ],
        "sources": [{"bucket": s.bucket, "key": s.key, "etag": s.etag, "size": s.size, "input": s.input} for s in report.sources],
    }


def compose(report: ExecutionReport) -> Notification:
    """The message for an ended execution."""
    data = facts(report)
    lines = [
        f"Pipeline {report.pipeline}, run date {report.run_date or 'unknown'}: {report.status}.",
        "",
        f"  Status:     {report.status}",
        f"  Run date:   {report.run_date or 'unknown'}",
        f"  Duration:   {duration(report.seconds)} ({data['startDate']} to {data['stopDate']})",
    ]
    if report.status != "SUCCEEDED":
        lines.append(f"  Failed at:  {', '.join(report.failed_states) or 'before any step (see the error)'}")
        lines.append(f"  Error:      {report.error or 'unknown'}")
        lines.append(f"  Cause:      {readable_cause(report.cause, 1500) or 'not given'}")
    lines.append(f"  Execution:  {report.execution_arn}")
    lines.append("")
    written = [(t, o) for t, o in report.outputs if o.what == "data"]
    results = [(t, o) for t, o in report.outputs if o.what != "data"]
    lines.append("Outputs written:" if written else "Outputs written: none")
    for task, out in written:
        lines.append(f"  - {task.state}: {out.describe()}")
    for task, out in results:
        lines.append(f"  - {task.state}: {out.describe()}")
    if report.sources:
        lines.append("")
        lines.append("Inputs read:")
        for obj in report.sources:
            size = f", {obj.size:,} bytes" if obj.size is not None else ""
            lines.append(f"  - {obj.uri} (ETag {obj.etag or 'unknown'}{size})")
    lines.append("")
    lines.append("Steps:")
    marks = {"SUCCEEDED": "ok", "FAILED": "FAILED", "ABORTED": "cancelled", "RUNNING": "did not finish"}
    for task in report.tasks:
        took = f" ({duration(task.seconds)})" if task.seconds is not None else ""
        retried = f", {task.attempts} attempts" if task.attempts > 1 else ""
        lines.append(f"  - {task.state}: {marks.get(task.status, task.status)}{took}{retried}")
    lines.append("")
    lines.append("--- JSON ---")
    lines.append(json.dumps(data, indent=2, default=str))
    return Notification(subject(report), "\n".join(lines), data)
