"""Pipelines started by their triggers, exactly once per run date, on the
embedded AWS wired as on AWS: the data bucket and Step Functions put events
on EventBridge, the pipelines' rules send them to the triggers queue, and the
trigger function (a Lambda function fed by the queue) starts the executions."""

from __future__ import annotations

import json

import pytest

from support import client, ensure_bucket, make_state_machine, unique, wait_execution, wait_for
from runners.config import Settings
from runners.local.triggers import create_trigger_queue, deploy_trigger_function, enable_eventbridge_notifications, put_trigger_rules
from runners.pipelines.model import Pipeline, Trigger
from runners.pipelines.triggers import trigger_rules

MARKER = "landing/orders/${run_date}/_SUCCESS.done"
HANDLED = {"pipeline_started", "pipeline_already_started", "trigger_dropped"}


@pytest.fixture(scope="module")
def triggers(embedded_aws):
    """The triggers queue and the trigger function consuming it."""
    queue_url, queue_arn = create_trigger_queue(client("sqs"), unique("pipeline-triggers"))
    function = unique("pipeline-trigger")
    deploy_trigger_function(client, Settings(log_level="INFO"), queue_url, function)
    yield queue_url, queue_arn, function
    client("lambda").delete_function(FunctionName=function)


def data_bucket() -> str:
    bucket = unique("data")
    ensure_bucket(bucket)
    enable_eventbridge_notifications(client("s3"), bucket)
    return bucket


def pass_machine(**state: object) -> str:
    return make_state_machine({"StartAt": "Run", "States": {"Run": {"Type": "Pass", "End": True, **state}}})


def deploy(triggers, pipeline: Pipeline, state_machine: str, bucket: str, upstream_state_machine: str | None = None) -> None:
    specs = trigger_rules(pipeline, state_machine, bucket, upstream_state_machine)
    put_trigger_rules(client("events"), unique("etl"), specs, triggers[1])


def executions(state_machine: str) -> list[dict]:
    return client("stepfunctions").list_executions(stateMachineArn=state_machine)["executions"]


def handled(function: str, pipeline: str) -> list[dict]:
    """What the trigger function logged about ``pipeline``'s messages."""
    logs = client("logs")
    group = f"/aws/lambda/{function}"
    lines: list[dict] = []
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        return lines  # the first invocation has not ended yet
    for stream in logs.describe_log_streams(logGroupName=group)["logStreams"]:
        for event in logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"])["events"]:
            try:
                line = json.loads(event["message"])
            except json.JSONDecodeError:
                continue
            if isinstance(line, dict) and line.get("event") in HANDLED and pipeline in json.dumps(line):
                lines.append(line)
    return lines


def queue_drained(queue_url: str) -> bool:
    attributes = client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    return attributes["ApproximateNumberOfMessages"] == "0" and attributes["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_a_done_marker_uploaded_twice_starts_one_execution_for_its_date(triggers):
    bucket, state_machine = data_bucket(), pass_machine()
    orders = Pipeline(name=unique("orders"), database="db", steps={}, trigger=Trigger(on_arrival_key=MARKER))
    deploy(triggers, orders, state_machine, bucket)
    key = "landing/orders/2026-11-30/_SUCCESS.done"
    s3 = client("s3")
    s3.put_object(Bucket=bucket, Key=key, Body=b"")
    wait_for(lambda: executions(state_machine), timeout=60, message="the first marker's execution")
    s3.put_object(Bucket=bucket, Key=key, Body=b"")
    wait_for(lambda: len(handled(triggers[2], orders.name)) == 2, timeout=60, message="both markers handled")
    (execution,) = executions(state_machine)
    assert execution["name"] == "2026-11-30"
    described = wait_execution(execution["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["input"]) == {"runDate": "2026-11-30", "trigger": {"kind": "arrival", "bucket": bucket, "key": key}}
    assert {line["event"] for line in handled(triggers[2], orders.name)} <= {"pipeline_started", "pipeline_already_started"}


def test_keys_of_other_pipelines_or_buckets_and_impossible_dates_start_nothing(triggers):
    bucket, other_bucket, state_machine = data_bucket(), data_bucket(), pass_machine()
    orders = Pipeline(name=unique("orders"), database="db", steps={}, trigger=Trigger(on_arrival_key=MARKER))
    deploy(triggers, orders, state_machine, bucket)
    s3 = client("s3")
    s3.put_object(Bucket=bucket, Key="landing/other/2026-11-30/_SUCCESS.done", Body=b"")  # another pipeline's marker
    s3.put_object(Bucket=other_bucket, Key="landing/orders/2026-11-30/_SUCCESS.done", Body=b"")  # another bucket
    s3.put_object(Bucket=bucket, Key="landing/orders/2026-13-45/_SUCCESS.done", Body=b"")  # no such date: dropped
    (dropped,) = wait_for(lambda: handled(triggers[2], orders.name), timeout=60, message="the impossible date handled")
    assert dropped["event"] == "trigger_dropped"
    wait_for(lambda: queue_drained(triggers[0]), timeout=30, message="nothing left to retry")
    assert executions(state_machine) == []
    # The same rules start the pipeline for its own key in its own bucket.
    s3.put_object(Bucket=bucket, Key="landing/orders/2026-12-01/_SUCCESS.done", Body=b"")
    wait_for(lambda: executions(state_machine), timeout=60, message="the pipeline's own marker")
    assert [e["name"] for e in executions(state_machine)] == ["2026-12-01"]


def test_an_upstream_success_starts_the_downstream_once_with_its_run_date_and_output(triggers):
    upstream = pass_machine(Parameters={"rows": 3, "runDate.$": "$.runDate"})
    downstream = pass_machine()
    sales = unique("sales")
    report = Pipeline(name=unique("report"), database="db", steps={}, trigger=Trigger(after_pipeline=sales))
    deploy(triggers, report, downstream, "unused-bucket", upstream)
    sfn = client("stepfunctions")
    first = sfn.start_execution(stateMachineArn=upstream, name=unique("run"), input=json.dumps({"runDate": "2026-11-30"}))["executionArn"]
    wait_for(lambda: executions(downstream), timeout=60, message="the downstream execution")
    # Another successful upstream run of the same date starts nothing more.
    sfn.start_execution(stateMachineArn=upstream, name=unique("run"), input=json.dumps({"runDate": "2026-11-30"}))
    wait_for(lambda: len(handled(triggers[2], report.name)) == 2, timeout=60, message="both upstream successes handled")
    (execution,) = executions(downstream)
    assert execution["name"] == "2026-11-30"
    assert json.loads(wait_execution(execution["executionArn"])["input"]) == {
        "runDate": "2026-11-30",
        "trigger": {"kind": "upstream", "pipeline": sales, "executionArn": first},
        "upstream": {"pipeline": sales, "executionArn": first, "output": {"rows": 3, "runDate": "2026-11-30"}},
    }


def test_a_failed_upstream_starts_nothing(triggers):
    upstream = make_state_machine({"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.runDate", "StringEquals": "2026-11-29", "Next": "Broken"}],
                  "Default": "Done"},
        "Broken": {"Type": "Fail", "Error": "Broken", "Cause": "the upstream failed"},
        "Done": {"Type": "Succeed"},
    }})
    downstream = pass_machine()
    report = Pipeline(name=unique("report"), database="db", steps={}, trigger=Trigger(after_pipeline=unique("sales")))
    deploy(triggers, report, downstream, "unused-bucket", upstream)
    sfn = client("stepfunctions")
    failed = sfn.start_execution(stateMachineArn=upstream, input=json.dumps({"runDate": "2026-11-29"}))["executionArn"]
    assert wait_execution(failed)["status"] == "FAILED"
    sfn.start_execution(stateMachineArn=upstream, input=json.dumps({"runDate": "2026-11-30"}))
    wait_for(lambda: executions(downstream), timeout=60, message="the succeeded date's downstream")
    wait_for(lambda: queue_drained(triggers[0]), timeout=30, message="every trigger handled")
    assert [e["name"] for e in executions(downstream)] == ["2026-11-30"]
