"""Deploys pipeline triggers locally the way they run on AWS: EventBridge
rules (``runners.pipelines.triggers.trigger_rules``) send to one triggers
queue, and the trigger function (``runners.handlers.pipeline_trigger``)
consumes it through an SQS event source mapping that reports batch item
failures. The data bucket sends its events to EventBridge.

The embedded AWS runs the function in its own process and polls the queue,
as Lambda does.
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Iterable

from runners import config
from runners.config import Settings
from runners.local.object_created import ensure_role, function_code
from runners.local.queue_policy import eventbridge_queue_policy
from runners.pipelines.triggers import RuleSpec

HANDLER = "runners.handlers.pipeline_trigger"
FUNCTION_TIMEOUT_SECONDS = 60
# AWS: a queue a function consumes should hide a message for six times the function's timeout.
QUEUE_VISIBILITY_SECONDS = 6 * FUNCTION_TIMEOUT_SECONDS
MAX_RECEIVES = 5  # deliveries of a message before it moves to the dead-letter queue
TARGET_ID = "pipeline-triggers"


def create_trigger_queue(sqs: Any, name: str, rule_arn_pattern: str | None = None) -> tuple[str, str]:
    """The triggers queue and its dead-letter queue (``NAME-dlq``); (url, arn) of the queue.

    ``rule_arn_pattern`` (``arn:aws:events:REGION:ACCOUNT:rule/PREFIX-*``)
    sets the queue policy the stack sets on AWS (the embedded AWS does not
    enforce it)."""
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName=name, Attributes={
        "VisibilityTimeout": str(QUEUE_VISIBILITY_SECONDS),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVES)}),
    })["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if rule_arn_pattern:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(eventbridge_queue_policy("PipelineTriggerRules", arn, rule_arn_pattern))})
    return url, arn


def deploy_trigger_function(client: Callable[[str], Any], settings: Settings, queue_url: str, function_name: str) -> str:
    """Create the trigger function (and the role it runs as) and map the queue
    to it, reporting batch item failures; return the function's ARN.
    ``client(service)`` gives a boto3 client."""
    role_arn = ensure_role(client("iam"), f"{function_name}-role")
    lambda_client = client("lambda")
    function_arn = lambda_client.create_function(
        FunctionName=function_name, Runtime="python3.11", Role=role_arn, Handler=HANDLER, Timeout=FUNCTION_TIMEOUT_SECONDS,
        Code={"ZipFile": function_code()}, Environment={"Variables": {config.ENV_LOG_LEVEL: settings.log_level, **lineage_environment()}},
    )["FunctionArn"]
    queue_arn = client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lambda_client.create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName=function_name, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    return str(function_arn)


def lineage_environment() -> dict[str, str]:
    """This process's OpenLineage settings, handed to the local function (on AWS the
    runner stack's parameters set them)."""
    return {k: v for k, v in os.environ.items() if k.startswith(("ETL_OPENLINEAGE_", "OPENLINEAGE_", "OPENLINEAGE__"))}


def rule_name(rule_prefix: str, spec: RuleSpec) -> str:
    return f"{rule_prefix}-{spec.suffix}"


def put_trigger_rules(events: Any, rule_prefix: str, specs: Iterable[RuleSpec], target_queue_arn: str) -> list[str]:
    """Create or update each rule (``PREFIX-SUFFIX``, default bus) with the
    triggers queue as its one target; return the rules' ARNs."""
    arns = []
    for spec in specs:
        name = rule_name(rule_prefix, spec)
        arn = events.put_rule(Name=name, EventPattern=json.dumps(spec.event_pattern), State="ENABLED",
                              Description=spec.description[:512])["RuleArn"]
        answer = events.put_targets(Rule=name, Targets=[{"Id": TARGET_ID, "Arn": target_queue_arn, "InputTransformer": spec.input_transformer}])
        if answer.get("FailedEntryCount"):
            raise RuntimeError(f"rule {name}: the triggers queue was not added as its target: {answer['FailedEntries']}")
        arns.append(str(arn))
    return arns


def enable_eventbridge_notifications(s3: Any, bucket: str) -> None:
    """Make ``bucket`` send its events to EventBridge, keeping its other notifications."""
    current = s3.get_bucket_notification_configuration(Bucket=bucket)
    current.pop("ResponseMetadata", None)
    if "EventBridgeConfiguration" in current:
        return
    current["EventBridgeConfiguration"] = {}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=current)
