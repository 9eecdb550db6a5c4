"""The events S3, Step Functions, Glue and Athena put on the default
EventBridge bus, in the shapes their guides document ("EventBridge event
message structure" for S3, "EventBridge events for Step Functions execution
status changes", "Automating AWS Glue with EventBridge", "Monitoring Athena
queries with EventBridge events"), read back through a rule whose target is
an SQS queue; and the test-only faults that lose, repeat or delay them."""

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


# --- Glue ---------------------------------------------------------------------------------------

GLUE_DETAIL = {"jobName", "severity", "state", "jobRunId", "message"}
SLEEPER = b"import sys, time\nargs = dict(zip(sys.argv[1::2], sys.argv[2::2]))\ntime.sleep(float(args.get('--seconds', '0')))\nif args.get('--fail'):\n    raise RuntimeError(args['--fail'])\n"


@pytest.fixture(scope="module")
def glue_job(clients, embedded_aws):
    s3, glue = clients["s3"], embedded_aws.client("glue")
    bucket = f"se-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="sleeper.py", Body=SLEEPER)
    name = f"se-{uuid.uuid4().hex[:8]}"
    glue.create_job(Name=name, Role=ROLE, GlueVersion="3.0", ExecutionProperty={"MaxConcurrentRuns": 10},
                    Command={"Name": "pythonshell", "ScriptLocation": f"s3://{bucket}/sleeper.py", "PythonVersion": "3.9"})
    return name


def glue_queue(clients, job: str) -> str:
    return capture(clients, {"source": ["aws.glue"], "detail": {"jobName": [job]}})


def check_glue_event(event: dict, job: str, run_id: str, state: str, severity: str) -> str:
    check_envelope(event, "aws.glue", "Glue Job State Change", [])
    detail = event["detail"]
    assert set(detail) == GLUE_DETAIL
    assert (detail["jobName"], detail["jobRunId"], detail["state"], detail["severity"]) == (job, run_id, state, severity)
    return detail["message"]


def test_a_glue_run_that_succeeds_sends_one_event_and_none_while_it_runs(clients, embedded_aws, glue_job):
    url = glue_queue(clients, glue_job)
    glue = embedded_aws.client("glue")
    run_id = glue.start_job_run(JobName=glue_job, Arguments={"--seconds": "0.5"})["JobRunId"]
    (event,) = received(clients, url, 1, timeout=30)
    assert check_glue_event(event, glue_job, run_id, "SUCCEEDED", "INFO") == "Job run succeeded"
    assert glue.get_job_run(JobName=glue_job, RunId=run_id)["JobRun"]["JobRunState"] == "SUCCEEDED"
    assert nothing_more(clients, url)


def test_a_failed_glue_run_carries_its_error_message_at_error_severity(clients, embedded_aws, glue_job):
    url = glue_queue(clients, glue_job)
    glue = embedded_aws.client("glue")
    run_id = glue.start_job_run(JobName=glue_job, Arguments={"--fail": "bad input row 7"})["JobRunId"]
    (event,) = received(clients, url, 1, timeout=30)
    message = check_glue_event(event, glue_job, run_id, "FAILED", "ERROR")
    assert "bad input row 7" in message
    assert message == glue.get_job_run(JobName=glue_job, RunId=run_id)["JobRun"]["ErrorMessage"]


def test_stopped_and_timed_out_glue_runs_send_their_state(clients, embedded_aws, glue_job):
    url = glue_queue(clients, glue_job)
    glue = embedded_aws.client("glue")
    stopped = glue.start_job_run(JobName=glue_job, Arguments={"--seconds": "60"})["JobRunId"]
    timed_out = glue.start_job_run(JobName=glue_job, Arguments={"--seconds": "60"}, Timeout=1)["JobRunId"]  # 1 Glue minute = 3 s here
    deadline = time.monotonic() + 20
    while glue.get_job_run(JobName=glue_job, RunId=stopped)["JobRun"]["JobRunState"] != "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.1)
    glue.batch_stop_job_run(JobName=glue_job, JobRunIds=[stopped])
    events = {e["detail"]["jobRunId"]: e for e in received(clients, url, 2, timeout=30)}
    assert check_glue_event(events[stopped], glue_job, stopped, "STOPPED", "INFO") == "Job run stopped"
    assert check_glue_event(events[timed_out], glue_job, timed_out, "TIMEOUT", "WARN") == "Job run timed out"


def test_error_and_expired_ends_send_no_event(clients, embedded_aws, glue_job):
    """The Glue guide names SUCCEEDED, FAILED, TIMEOUT and STOPPED only; a
    consumer learns of the other ends by asking."""
    url = glue_queue(clients, glue_job)
    glue = embedded_aws.client("glue")
    runs = [glue.start_job_run(JobName=glue_job, Arguments={"--seconds": "60"})["JobRunId"] for _ in range(2)]
    for run_id, state in zip(runs, ("ERROR", "EXPIRED")):
        embedded_aws.glue.force_run_state(glue_job, run_id, state)
    assert nothing_more(clients, url)


# --- Athena -------------------------------------------------------------------------------------

ATHENA_DETAIL = {"versionId", "currentState", "previousState", "statementType", "queryExecutionId", "workgroupName", "sequenceNumber"}


@pytest.fixture(scope="module")
def results(clients):
    bucket = f"se-{uuid.uuid4().hex[:8]}"
    clients["s3"].create_bucket(Bucket=bucket)
    return f"s3://{bucket}/results/"


@pytest.fixture
def group(embedded_aws, results):
    """A work group of this test's own, so another test's queries never reach its queue."""
    name = f"se-{uuid.uuid4().hex[:8]}"
    embedded_aws.client("athena").create_work_group(Name=name, Configuration={"ResultConfiguration": {"OutputLocation": results}})
    return name


def query_events(clients, url: str, query_id: str, count: int) -> list[dict]:
    events = [e for e in received(clients, url, count, timeout=30) if e["detail"]["queryExecutionId"] == query_id]
    for event in events:
        check_envelope(event, "aws.athena", "Athena Query State Change", [])
    return sorted(events, key=lambda e: int(e["detail"]["sequenceNumber"]))


def test_a_query_announces_queued_running_and_succeeded_in_sequence(clients, embedded_aws, group):
    url = capture(clients, {"source": ["aws.athena"], "detail-type": ["Athena Query State Change"], "detail": {"workgroupName": [group]}})
    query_id = embedded_aws.client("athena").start_query_execution(QueryString="SELECT 1 AS one", WorkGroup=group)["QueryExecutionId"]
    queued, running, succeeded = query_events(clients, url, query_id, 3)
    assert queued["detail"] == {"versionId": "0", "currentState": "QUEUED", "statementType": "DML",
                                "queryExecutionId": query_id, "workgroupName": group, "sequenceNumber": "1"}
    assert set(running["detail"]) == set(succeeded["detail"]) == ATHENA_DETAIL
    assert (running["detail"]["previousState"], running["detail"]["currentState"], running["detail"]["sequenceNumber"]) == ("QUEUED", "RUNNING", "2")
    assert (succeeded["detail"]["previousState"], succeeded["detail"]["currentState"], succeeded["detail"]["sequenceNumber"]) == ("RUNNING", "SUCCEEDED", "3")


def test_a_failed_query_event_carries_its_athena_error_and_ddl_is_named(clients, embedded_aws, group):
    url = capture(clients, {"source": ["aws.athena"], "detail": {"currentState": ["FAILED", "SUCCEEDED"], "workgroupName": [group]}})
    athena = embedded_aws.client("athena")
    failed = athena.start_query_execution(QueryString="SELECT nope FROM no_such_table", WorkGroup=group)["QueryExecutionId"]
    ddl = athena.start_query_execution(QueryString=f"CREATE DATABASE IF NOT EXISTS se_{uuid.uuid4().hex[:6]}", WorkGroup=group)["QueryExecutionId"]
    events = {e["detail"]["queryExecutionId"]: e["detail"] for e in received(clients, url, 2, timeout=30)}
    error = athena.get_query_execution(QueryExecutionId=failed)["QueryExecution"]["Status"]["AthenaError"]
    assert events[failed]["currentState"] == "FAILED"
    assert events[failed]["athenaError"] == {"errorCategory": error["ErrorCategory"], "errorType": error["ErrorType"],
                                             "errorMessage": error["ErrorMessage"], "retryable": error["Retryable"]}
    assert events[ddl]["statementType"] == "DDL" and "athenaError" not in events[ddl]


def test_a_cancelled_query_ends_cancelled(clients, embedded_aws, group):
    url = capture(clients, {"source": ["aws.athena"], "detail": {"currentState": ["CANCELLED"], "workgroupName": [group]}})
    athena = embedded_aws.client("athena")
    query_id = athena.start_query_execution(QueryString="SELECT count(*) FROM range(100000000000)", WorkGroup=group)["QueryExecutionId"]
    athena.stop_query_execution(QueryExecutionId=query_id)
    (event,) = received(clients, url, 1)
    assert event["detail"]["queryExecutionId"] == query_id and event["detail"]["previousState"] in ("QUEUED", "RUNNING")


# --- lost, repeated and late events (test-only faults) ------------------------------------------


@pytest.fixture
def faults(embedded_aws):
    yield embedded_aws.service_event_faults
    embedded_aws.service_event_faults.clear()


def test_faults_drop_repeat_and_delay_only_the_events_they_match(clients, embedded_aws, group, faults):
    athena = embedded_aws.client("athena")
    url = capture(clients, {"source": ["aws.athena"], "detail": {"currentState": ["SUCCEEDED"], "workgroupName": [group]}})

    def run() -> str:
        return athena.start_query_execution(QueryString="SELECT 1", WorkGroup=group)["QueryExecutionId"]

    def ended(event: dict) -> bool:
        return event["detail"].get("currentState") == "SUCCEEDED" and event["detail"].get("workgroupName") == group

    faults.drop(source="aws.athena", match=ended)
    lost = run()
    assert nothing_more(clients, url)
    assert [(a, s) for a, _, s, _ in faults.applied] == [("drop", "aws.athena")]

    faults.duplicate(source="aws.athena", match=ended)
    twice = run()
    first, second = received(clients, url, 2)
    assert first == second and first["detail"]["queryExecutionId"] == twice

    faults.delay(2.0, source="aws.athena", match=ended)
    late = run()
    time.sleep(0.5)
    on_time = run()
    (early,) = received(clients, url, 1, timeout=1.5)
    assert early["detail"]["queryExecutionId"] == on_time, "a delayed event does not hold up the ones behind it"
    (delayed,) = received(clients, url, 1, timeout=5)
    assert delayed["detail"]["queryExecutionId"] == late
    assert lost not in (twice, late, on_time)
