"""Wires the job events path locally the way the stacks wire it on AWS: per
kind (Glue, Athena) one SQS queue, and one EventBridge rule on the default
bus (``runners.job_events.EVENT_PATTERNS``) whose target is that queue. The
embedded Glue and Athena put their state change events on that bus.

    queues = deploy_job_events(clients.client, prefix)
    settings = settings.with_(**events_settings(queues))   # then build the workers
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from runners.job_events import EVENT_PATTERNS
from runners.local.queue_policy import eventbridge_queue_policy

KINDS = ("glue", "athena")
# A serving worker handles an event in milliseconds; a message it received
# but could not finish (it died) comes back after this.
VISIBILITY_SECONDS = 30
# An event nobody could handle for a day is of no use: the sweep has long
# reported its run.
RETENTION_SECONDS = 86400
TARGET_ID = "job-events"


@dataclass(frozen=True)
class JobEventsQueue:
    kind: str
    queue_url: str
    queue_arn: str
    rule_arn: str


def deploy_job_events(client: Callable[[str], Any], prefix: str, kinds: tuple[str, ...] = KINDS,
                      visibility_seconds: int = VISIBILITY_SECONDS) -> dict[str, JobEventsQueue]:
    """Create (or update) each kind's queue and rule, ``PREFIX-KIND-job-events``;
    ``client(service)`` gives a boto3 client."""
    sqs, events = client("sqs"), client("events")
    made = {}
    for kind in kinds:
        name = f"{prefix}-{kind}-job-events"
        url = sqs.create_queue(QueueName=name, Attributes={
            "VisibilityTimeout": str(visibility_seconds), "MessageRetentionPeriod": str(RETENTION_SECONDS),
        })["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        rule_arn = events.put_rule(Name=name, EventPattern=json.dumps(EVENT_PATTERNS[kind]), State="ENABLED",
                                   Description=f"{kind} runs that ended -> the {kind} runner's events queue")["RuleArn"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(eventbridge_queue_policy("JobEventsRule", arn, rule_arn))})
        answer = events.put_targets(Rule=name, Targets=[{"Id": TARGET_ID, "Arn": arn}])
        if answer.get("FailedEntryCount"):
            raise RuntimeError(f"rule {name}: the queue was not added as its target: {answer['FailedEntries']}")
        made[kind] = JobEventsQueue(kind, url, arn, rule_arn)
    return made


def events_settings(queues: dict[str, JobEventsQueue]) -> dict[str, str]:
    """The Settings fields that point each kind's workers at its queue."""
    return {f"{kind}_events_queue_url": queue.queue_url for kind, queue in queues.items()}


def remove_job_events(client: Callable[[str], Any], queues: dict[str, JobEventsQueue]) -> None:
    """Undo ``deploy_job_events``: each rule's target, then the rule (the queues stay, as a stack's would until deleted)."""
    events = client("events")
    for queue in queues.values():
        name = queue.rule_arn.rsplit("/", 1)[-1]
        events.remove_targets(Rule=name, Ids=[TARGET_ID])
        events.delete_rule(Name=name)
