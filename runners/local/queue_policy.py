"""The one shape of an SQS queue policy that lets EventBridge rules send to
a queue (the local deployers' counterpart of the stacks' QueuePolicy)."""

from __future__ import annotations

from typing import Any


def eventbridge_queue_policy(sid: str, queue_arn: str, rule_arn: str) -> dict[str, Any]:
    """EventBridge may send to the queue, from ``rule_arn`` only; a pattern
    with ``*`` (e.g. ``arn:aws:events:REGION:ACCOUNT:rule/PREFIX-*``) admits
    every rule it matches."""
    operator = "ArnLike" if "*" in rule_arn else "ArnEquals"
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {operator: {"aws:SourceArn": rule_arn}},
        }],
    }
