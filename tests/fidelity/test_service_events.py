"""The events S3 and Step Functions put on the default EventBridge bus, in the
shapes their user guides document ("EventBridge event message structure" for
S3, "EventBridge events for Step Functions execution status changes"), read
back through a rule whose target is an SQS queue."""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest

ENVELOPE = {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TIME = "%Y-%m-%dT%H:%M:%SZ"
ROLE = "arn:aws:iam::123456789012:role/service-events"


@pytest.fixture(scope="module")
def clients(embedded_aws):
    return {name: embedded_aws.client(name) for name in ("events", "sqs", "s3", "stepfunctions")}


def capture(clients, pattern: dict) -> str:
    """A queue receiving every event that matches ``pattern``, unchanged."""
    sqs, events = clients["sqs"], clients["events"]
    name = f"se-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": arn}])
    return url


def received(clients, url: str, count: int, timeout: float = 10.0) -> list[dict]:
    sqs = clients["sqs"]
    found: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(found) < count and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert len(found) == count, found
    return found


def nothing_more(clients, url: str) -> bool:
    return not clients["sqs"].receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages")


def check_envelope(event: dict, source: str, detail_type: str, resources: list[str]) -> None:
    assert set(event) == ENVELOPE
    assert event["version"] == "0" and UUID.match(event["id"])
    assert (event["source"], event["detail-type"]) == (source, detail_type)
    assert event["account"] == "123456789012" and event["region"] == "us-east-1"
    assert event["resources"] == resources
    time.strptime(event["time"], TIME)


# --- S3 ---------------------------------------------------------------------------------------


@pytest.fixture
def bucket(clients):
    name = f"se-{uuid.uuid4().hex[:8]}"
    clients["s3"].create_bucket(Bucket=name)
    clients["s3"].put_bucket_notification_configuration(Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}})
    return name


def test_an_object_created_event(clients, bucket):
    url = capture(clients, {"source": ["aws.s3"], "detail": {"bucket": {"name": [bucket]}}})
    put = clients["s3"].put_object(Bucket=bucket, Key="landing/orders/2026-11-30/_SUCCESS.done", Body=b"done")
    (event,) = received(clients, url, 1)
    check_envelope(event, "aws.s3", "Object Created", [f"arn:aws:s3:::{bucket}"])
    detail = event["detail"]
    assert set(detail) == {"version", "bucket", "object", "request-id", "requester", "source-ip-address", "reason"}
    assert detail["version"] == "0" and detail["bucket"] == {"name": bucket}
    assert detail["object"] == {"key": "landing/orders/2026-11-30/_SUCCESS.done", "size": 4, "etag": put["ETag"].strip('"'),
                                "sequencer": detail["object"]["sequencer"]}
    assert re.fullmatch(r"[0-9A-F]{16,}", detail["object"]["sequencer"])
    assert detail["requester"] == "123456789012" and detail["reason"] == "PutObject"
    assert re.fullmatch(r"[0-9A-Z]{16}", detail["request-id"])


def test_how_an_object_was_created_is_the_reason_and_later_writes_sequence_higher(clients, bucket):
    url = capture(clients, {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": {"bucket": {"name": [bucket]}}})
    s3 = clients["s3"]
    s3.put_object(Bucket=bucket, Key="a", Body=b"1")
    s3.copy_object(Bucket=bucket, Key="a", CopySource={"Bucket": bucket, "Key": "a"}, MetadataDirective="REPLACE")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="b")["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="b", UploadId=upload, PartNumber=1, Body=b"x")["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="b", UploadId=upload, MultipartUpload={"Parts": [{"ETag": part, "PartNumber": 1}]})
    events = received(clients, url, 3)
    assert [(e["detail"]["object"]["key"], e["detail"]["reason"]) for e in events] == [
        ("a", "PutObject"), ("a", "CopyObject"), ("b", "CompleteMultipartUpload")]
    first, second = (e["detail"]["object"]["sequencer"] for e in events[:2])
    width = max(len(first), len(second))
    assert second.rjust(width, "0") > first.rjust(width, "0")


def test_a_versioned_bucket_names_the_version_and_a_delete_is_an_object_deleted_event(clients, bucket):
    s3 = clients["s3"]
    url = capture(clients, {"source": ["aws.s3"], "detail": {"bucket": {"name": [bucket]}}})
    s3.put_object(Bucket=bucket, Key="plain", Body=b"1")
    s3.delete_object(Bucket=bucket, Key="plain")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket=bucket, Key="kept", Body=b"1")["VersionId"]
    created, deleted, versioned = received(clients, url, 3)
    assert "version-id" not in created["detail"]["object"]
    assert deleted["detail-type"] == "Object Deleted"
    assert deleted["detail"]["reason"] == "DeleteObject" and deleted["detail"]["deletion-type"] == "Permanently Deleted"
    assert "size" not in deleted["detail"]["object"]
    assert versioned["detail"]["object"]["version-id"] == version


def test_a_bucket_without_eventbridge_notifications_sends_nothing(clients):
    name = f"se-{uuid.uuid4().hex[:8]}"
    clients["s3"].create_bucket(Bucket=name)
    url = capture(clients, {"source": ["aws.s3"], "detail": {"bucket": {"name": [name]}}})
    clients["s3"].put_object(Bucket=name, Key="k", Body=b"1")
    assert nothing_more(clients, url)


# --- Step Functions -----------------------------------------------------------------------------


def machine(clients, states: dict, kind: str = "STANDARD") -> str:
    definition = {"StartAt": next(iter(states)), "States": states}
    return clients["stepfunctions"].create_state_machine(
        name=f"se-{uuid.uuid4().hex[:8]}", definition=json.dumps(definition), roleArn=ROLE, type=kind)["stateMachineArn"]


def status_queue(clients, state_machine_arn: str) -> str:
    return capture(clients, {"source": ["aws.states"], "detail": {"stateMachineArn": [state_machine_arn]}})


def check_status_event(event: dict, execution_arn: str, state_machine_arn: str, status: str) -> dict:
    check_envelope(event, "aws.states", "Step Functions Execution Status Change", [execution_arn])
    detail = event["detail"]
    assert set(detail) == {"executionArn", "stateMachineArn", "name", "status", "startDate", "stopDate", "input",
                           "inputDetails", "output", "outputDetails", "error", "cause"}
    assert (detail["executionArn"], detail["stateMachineArn"], detail["status"]) == (execution_arn, state_machine_arn, status)
    assert detail["name"] == execution_arn.rsplit(":", 1)[-1]
    assert isinstance(detail["startDate"], int) and detail["startDate"] > 1_600_000_000_000
    return detail


def test_an_execution_that_succeeds_sends_running_then_succeeded(clients):
    arn = machine(clients, {"Done": {"Type": "Pass", "Result": {"rows": 3}, "End": True}})
    url = status_queue(clients, arn)
    execution = clients["stepfunctions"].start_execution(stateMachineArn=arn, name="2026-11-30", input='{"runDate": "2026-11-30"}')["executionArn"]
    running, succeeded = sorted(received(clients, url, 2), key=lambda e: e["detail"]["status"] != "RUNNING")
    detail = check_status_event(running, execution, arn, "RUNNING")
    assert detail["stopDate"] is None and detail["output"] is None and detail["outputDetails"] is None
    assert json.loads(detail["input"]) == {"runDate": "2026-11-30"} and detail["inputDetails"] == {"included": True}
    assert detail["error"] is None and detail["cause"] is None
    detail = check_status_event(succeeded, execution, arn, "SUCCEEDED")
    described = clients["stepfunctions"].describe_execution(executionArn=execution)
    assert detail["stopDate"] >= detail["startDate"]
    for field in ("startDate", "stopDate"):  # DescribeExecution's dates, in epoch milliseconds
        assert abs(detail[field] - described[field].timestamp() * 1000) < 1
    assert json.loads(detail["output"]) == {"rows": 3} and detail["outputDetails"] == {"included": True}
    assert nothing_more(clients, url)


def test_a_failed_execution_names_its_error_and_cause(clients):
    arn = machine(clients, {"Boom": {"Type": "Fail", "Error": "Oops", "Cause": "it broke"}})
    url = status_queue(clients, arn)
    execution = clients["stepfunctions"].start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    failed = [e for e in received(clients, url, 2) if e["detail"]["status"] != "RUNNING"]
    detail = check_status_event(failed[0], execution, arn, "FAILED")
    assert (detail["error"], detail["cause"], detail["output"], detail["outputDetails"]) == ("Oops", "it broke", None, None)


def test_a_stopped_execution_sends_aborted_once(clients):
    arn = machine(clients, {"Sleep": {"Type": "Wait", "Seconds": 60, "End": True}})
    url = status_queue(clients, arn)
    sfn = clients["stepfunctions"]
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    (running,) = received(clients, url, 1)
    check_status_event(running, execution, arn, "RUNNING")
    sfn.stop_execution(executionArn=execution, error="Manual", cause="stopped by the test")
    (aborted,) = received(clients, url, 1)
    detail = check_status_event(aborted, execution, arn, "ABORTED")
    assert (detail["error"], detail["cause"]) == ("Manual", "stopped by the test") and detail["stopDate"]
    assert nothing_more(clients, url)


def test_express_executions_send_no_events(clients):
    arn = machine(clients, {"Done": {"Type": "Pass", "End": True}}, kind="EXPRESS")
    url = status_queue(clients, arn)
    clients["stepfunctions"].start_execution(stateMachineArn=arn, input="{}")
    assert nothing_more(clients, url)


def test_a_redriven_execution_announces_running_again_then_its_new_end(clients):
    sfn = clients["stepfunctions"]
    activity = sfn.create_activity(name=f"se-{uuid.uuid4().hex[:8]}")["activityArn"]
    arn = machine(clients, {"Work": {"Type": "Task", "Resource": activity, "End": True}})
    url = status_queue(clients, arn)
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]

    def answer(**outcome: str) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            token = sfn.get_activity_task(activityArn=activity).get("taskToken")
            if token:
                (sfn.send_task_failure if "error" in outcome else sfn.send_task_success)(taskToken=token, **outcome)
                return
        raise AssertionError("no activity task")

    answer(error="Flaky", cause="first try")
    assert [e["detail"]["status"] for e in received(clients, url, 2)] == ["RUNNING", "FAILED"]
    sfn.redrive_execution(executionArn=execution)
    answer(output='{"ok": true}')
    running, succeeded = received(clients, url, 2)
    check_status_event(running, execution, arn, "RUNNING")
    detail = check_status_event(succeeded, execution, arn, "SUCCEEDED")
    assert json.loads(detail["output"]) == {"ok": True}
