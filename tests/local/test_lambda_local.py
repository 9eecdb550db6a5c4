"""Lambda functions run locally (Python runtimes, no Docker) and SQS event
source mappings deliver to them as Lambda's pollers do."""

from __future__ import annotations

import io
import json
import textwrap
import time
import zipfile

import pytest

APP = '''
import json, os
import boto3

def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    bodies = [r["body"] for r in event.get("Records", [])]
    for body in bodies:
        if body == "poison":
            raise RuntimeError("poison message")
        boto3.client("s3").put_object(Bucket=os.environ["OUT_BUCKET"], Key=body, Body=b"seen")
    return {"function": context.function_name, "greeting": os.environ["GREETING"], "records": len(bodies), "left_ms": context.get_remaining_time_in_millis() > 0}

def partial(event, context):
    for record in event["Records"]:
        if record["body"] != "poison":
            boto3.client("s3").put_object(Bucket=os.environ["OUT_BUCKET"], Key=record["body"], Body=b"seen")
    return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "poison"]}

def sleepy(event, context):
    import time
    time.sleep(5)
'''


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", textwrap.dedent(source))
    return buffer.getvalue()


@pytest.fixture
def function(emulator, name):
    iam, lam, s3 = emulator.client("iam"), emulator.client("lambda"), emulator.client("s3")
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }))["Role"]["Arn"]
    s3.create_bucket(Bucket=f"{name}-out")
    lam.create_function(
        FunctionName=name, Runtime="python3.11", Role=role, Handler="app.handler", Timeout=30, Code={"ZipFile": _zip(APP)},
        Environment={"Variables": {"GREETING": "hello", "OUT_BUCKET": f"{name}-out"}},
    )
    return name, role


def _keys(emulator, bucket: str) -> list[str]:
    return sorted(o["Key"] for o in emulator.client("s3").list_objects_v2(Bucket=bucket).get("Contents", []))


def test_invoke_runs_the_handler_from_the_zip_with_its_environment(emulator, function):
    name, _ = function
    answer = emulator.client("lambda").invoke(FunctionName=name, Payload=json.dumps({}))
    assert "FunctionError" not in answer
    assert json.loads(answer["Payload"].read()) == {"function": name, "greeting": "hello", "records": 0, "left_ms": True}


def test_a_handler_error_comes_back_as_lambdas_error_document(emulator, function):
    name, _ = function
    answer = emulator.client("lambda").invoke(FunctionName=name, Payload=json.dumps({"fail": True}))
    assert answer.get("FunctionError")
    error = json.loads(answer["Payload"].read())
    assert error["errorType"] == "ValueError" and error["errorMessage"] == "asked to fail"


def test_a_handler_that_outlives_its_timeout_is_cut(emulator, function, name):
    _, role = function
    lam = emulator.client("lambda")
    lam.create_function(FunctionName=f"{name}-slow", Runtime="python3.11", Role=role, Handler="app.sleepy", Timeout=1, Code={"ZipFile": _zip(APP)})
    answer = lam.invoke(FunctionName=f"{name}-slow", Payload=b"{}")
    assert json.loads(answer["Payload"].read())["errorMessage"].startswith("Task timed out after 1.00 seconds")


def test_another_runtime_is_refused_clearly(emulator, function, name):
    _, role = function
    lam = emulator.client("lambda")
    lam.create_function(FunctionName=f"{name}-node", Runtime="nodejs20.x", Role=role, Handler="index.handler", Code={"ZipFile": _zip(APP)})
    error = json.loads(lam.invoke(FunctionName=f"{name}-node", Payload=b"{}")["Payload"].read())
    assert error["errorType"] == "Runtime.NotSupportedLocally"


def test_an_sqs_mapping_delivers_messages_sent_before_and_after_it_and_deletes_them(emulator, function, name):
    fname, _ = function
    sqs, lam = emulator.client("sqs"), emulator.client("lambda")
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.send_message(QueueUrl=queue_url, MessageBody="before-mapping")
    lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=fname, BatchSize=10)
    sqs.send_message(QueueUrl=queue_url, MessageBody="after-mapping")
    deadline = time.monotonic() + 30
    while _keys(emulator, f"{name}-out") != ["after-mapping", "before-mapping"]:
        assert time.monotonic() < deadline, _keys(emulator, f"{name}-out")
        time.sleep(0.2)
    time.sleep(1.5)
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0" and attributes["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_a_failed_batch_stays_in_the_queue_for_another_try(emulator, function, name):
    fname, _ = function
    sqs, lam = emulator.client("sqs"), emulator.client("lambda")
    queue_url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    mapping = lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=fname, BatchSize=1)["UUID"]
    sqs.send_message(QueueUrl=queue_url, MessageBody="poison")
    time.sleep(4.5)
    lam.update_event_source_mapping(UUID=mapping, Enabled=False)
    time.sleep(1.5)
    received = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=2, AttributeNames=["ApproximateReceiveCount"]).get("Messages", [])
    assert [m["Body"] for m in received] == ["poison"], "a failed message is never deleted"
    assert int(received[0]["Attributes"]["ApproximateReceiveCount"]) >= 3, "it was retried after its visibility timeout"


def test_a_mapping_that_reports_batch_item_failures_keeps_only_those(emulator, function, name):
    _, role = function
    sqs, lam = emulator.client("sqs"), emulator.client("lambda")
    lam.create_function(FunctionName=f"{name}-partial", Runtime="python3.11", Role=role, Handler="app.partial", Timeout=30,
                        Code={"ZipFile": _zip(APP)}, Environment={"Variables": {"OUT_BUCKET": f"{name}-out"}})
    queue_url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for body in ("good-1", "poison", "good-2"):
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    mapping = lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=f"{name}-partial", BatchSize=10,
                                              FunctionResponseTypes=["ReportBatchItemFailures"])["UUID"]
    deadline = time.monotonic() + 30
    while _keys(emulator, f"{name}-out") != ["good-1", "good-2"]:
        assert time.monotonic() < deadline, _keys(emulator, f"{name}-out")
        time.sleep(0.2)
    time.sleep(2.5)
    lam.update_event_source_mapping(UUID=mapping, Enabled=False)
    time.sleep(1.5)
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=2,
                                   AttributeNames=["ApproximateReceiveCount"]).get("Messages", [])
    assert [m["Body"] for m in received] == ["poison"], "the messages that succeeded were deleted, the failed one kept"
    assert int(received[0]["Attributes"]["ApproximateReceiveCount"]) >= 2, "it was delivered again"
