"""The messages a pipeline's topic received, read locally.

On AWS they reach e-mail (and chat) through the topic's subscriptions; the
local deployment subscribes an SQS queue instead (``Deployment.notifications_queue_url``),
so a run can print what its subscribers would get: the state machine's alert
on failure, and the trigger function's report when the execution has ended.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, TextIO


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    message_type: str  # "report" or "alert"

    @property
    def facts(self) -> dict[str, Any]:
        """The report's JSON block (empty for an alert)."""
        _, marker, block = self.body.partition("--- JSON ---\n")
        return json.loads(block) if marker else {}


def read_messages(sqs: Any, queue_url: str, *, execution_arn: str | None = None, run_date: str | None = None,
                  wait_for_report: float = 0.0) -> list[Message]:
    """The messages in the inbox (removed from it), oldest first; those of one
    execution or run date when given. Waits up to ``wait_for_report`` seconds
    for a report to arrive (the function sends it after the execution ends)."""
    found: list[Message] = []
    deadline = time.monotonic() + wait_for_report
    while True:
        answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1 if wait_for_report else 0,
                                     MessageAttributeNames=["All"])
        for item in answer.get("Messages", []):
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=item["ReceiptHandle"])
            envelope = json.loads(item["Body"])
            attributes = envelope.get("MessageAttributes") or {}
            kind = (attributes.get("message_type") or {}).get("Value", "report")
            message = Message(envelope.get("Subject") or "", envelope.get("Message") or "", kind)
            if _belongs(message, execution_arn, run_date):
                found.append(message)
        if any(m.message_type == "report" for m in found) or time.monotonic() >= deadline:
            return found


def _belongs(message: Message, execution_arn: str | None, run_date: str | None) -> bool:
    if message.message_type == "report":
        facts = message.facts
        return (execution_arn is None or facts.get("executionArn") == execution_arn) and (run_date is None or facts.get("runDate") == run_date)
    return run_date is None or run_date in message.subject


def print_notifications(sqs: Any, queue_url: str, out: TextIO, *, execution_arn: str | None = None, run_date: str | None = None,
                        wait_for_report: float = 30.0) -> list[Message]:
    """Print what the pipeline's subscribers got about a run (for `pipeline run` and the demo)."""
    messages = read_messages(sqs, queue_url, execution_arn=execution_arn, run_date=run_date, wait_for_report=wait_for_report)
    if not messages:
        print("\n  notifications: none (this run's status is not in the pipeline's notify.on)", file=out)
        return messages
    for message in messages:
        print(f"\n  notification ({message.message_type}): {message.subject}", file=out)
        text = message.body.partition("\n--- JSON ---\n")[0]
        for line in text.splitlines():
            print(f"    {line}", file=out)
    return messages
