"""Waiting for data: a file releases its wait exactly once whether it lands
before, during or after the wait state starts, or while no worker runs."""

import json
import time

import pytest

from support import (
    client, ensure_bucket, event_counts, make_activity, serving, settings_for, single_task_machine, start, unique,
    wait_execution, wait_for,
)
from runners.aws import AwsClients
from runners.errors import InvalidTaskInputError
from runners.local.object_created import deploy_object_created_function
from runners.s3_waiter import S3WaitAdapter, objects_from_event
from runners.service import build_lifecycle, ensure_tables


@pytest.fixture
def data(aws):
    """A bucket whose object-created events reach the waiter handler through SQS,
    as they do on AWS, and the settings of a wait-for-data runner."""
    bucket = unique("data")
    ensure_bucket(bucket)
    sqs = client("sqs")
    queue_url = sqs.create_queue(QueueName=unique("arrivals"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    client("s3").put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]}
    )
    activity = make_activity()
    settings = settings_for("wait", activity, arrivals_table=unique("arrivals"))
    clients = AwsClients(settings)
    ensure_tables("wait", settings, clients)
    # The object_created handler as a Lambda function fed by the queue, as on AWS.
    function = unique("object-created")
    deploy_object_created_function(client, settings, queue_url, function)
    yield bucket, activity, settings
    client("lambda").delete_function(FunctionName=function)


def put(bucket, key, body=b"Date,Salesperson\n1/2/2011,Gerri Hinds\n"):
    client("s3").put_object(Bucket=bucket, Key=key, Body=body)


def wait_machine(activity):
    return single_task_machine(activity, heartbeat=30)


def test_file_landing_while_waiting_releases_with_the_object(data):
    bucket, activity, settings = data
    with serving("wait", settings):
        execution = start(wait_machine(activity), {"Bucket": bucket, "Pattern": "raw/sales/run_date=2026-11-16/*.csv"})
        time.sleep(1.0)
        assert client("stepfunctions").describe_execution(executionArn=execution)["status"] == "RUNNING"
        put(bucket, "raw/sales/run_date=2026-11-16/sales file.csv")
        result = wait_execution(execution, timeout=20)
    assert result["status"] == "SUCCEEDED"
    (obj,) = json.loads(result["output"])["Objects"]
    assert obj["Key"] == "raw/sales/run_date=2026-11-16/sales file.csv" and obj["Size"] > 0 and obj["ETag"]


def test_file_landing_before_the_wait_state_releases_it(data):
    bucket, activity, settings = data
    put(bucket, "raw/sales/run_date=2026-11-16/sales.csv")
    time.sleep(1.5)  # the notification has been handled; no wait exists yet
    with serving("wait", settings):
        execution = start(wait_machine(activity), {"Bucket": bucket, "Prefix": "raw/sales/run_date=2026-11-16/"})
        assert wait_execution(execution, timeout=20)["status"] == "SUCCEEDED"


def test_file_landing_while_no_worker_runs_releases_on_restart(data):
    bucket, activity, settings = data
    execution = start(wait_machine(activity), {"Bucket": bucket, "Key": "raw/marketing/run_date=2026-11-16/m.csv"})
    with serving("wait", settings):
        wait_for(lambda: list(build_lifecycle("wait", settings).store.scan()), message="the wait to be recorded")
    # Worker down; the file lands; the handler records it.
    put(bucket, "raw/marketing/run_date=2026-11-16/m.csv")
    time.sleep(1.5)
    assert client("stepfunctions").describe_execution(executionArn=execution)["status"] in ("RUNNING", "SUCCEEDED")
    with serving("wait", settings):
        assert wait_execution(execution, timeout=20)["status"] == "SUCCEEDED"
    assert event_counts(execution)["ActivitySucceeded"] == 1


def test_an_earlier_weeks_file_does_not_release_this_weeks_wait(data):
    bucket, activity, settings = data
    put(bucket, "raw/sales/run_date=2026-11-09/sales.csv")
    with serving("wait", settings):
        execution = start(wait_machine(activity), {"Bucket": bucket, "Pattern": "raw/sales/run_date=2026-11-16/*.csv"})
        time.sleep(2.0)
        assert client("stepfunctions").describe_execution(executionArn=execution)["status"] == "RUNNING"
        put(bucket, "raw/sales/run_date=2026-11-16/sales.csv")
        result = wait_execution(execution, timeout=20)
    assert [o["Key"] for o in json.loads(result["output"])["Objects"]] == ["raw/sales/run_date=2026-11-16/sales.csv"]


def test_done_marker_must_land_too(data):
    bucket, activity, settings = data
    with serving("wait", settings):
        execution = start(wait_machine(activity), {"Bucket": bucket, "Prefix": "raw/x/", "DoneMarker": "raw/x/_DONE"})
        put(bucket, "raw/x/part-1.csv")
        time.sleep(2.0)
        assert client("stepfunctions").describe_execution(executionArn=execution)["status"] == "RUNNING"
        put(bucket, "raw/x/_DONE", b"")
        result = wait_execution(execution, timeout=20)
    assert [o["Key"] for o in json.loads(result["output"])["Objects"]] == ["raw/x/part-1.csv"]


def test_objects_in_s3_before_notifications_existed_still_count(aws):
    bucket = unique("quiet")
    ensure_bucket(bucket)  # no notifications configured at all
    put(bucket, "in/file.csv")
    activity = make_activity()
    settings = settings_for("wait", activity, arrivals_table=unique("arrivals"))
    ensure_tables("wait", settings, AwsClients(settings))
    with serving("wait", settings):
        assert wait_execution(start(wait_machine(activity), {"Bucket": bucket, "Key": "in/file.csv"}), timeout=20)["status"] == "SUCCEEDED"


def test_many_concurrent_releases_report_each_wait_once(data):
    """Handler and worker race to release the same waits; each is reported once."""
    bucket, activity, settings = data
    with serving("wait", settings, AwsClients(settings)), serving("wait", settings):
        executions = [start(wait_machine(activity), {"Bucket": bucket, "Key": f"raw/many/{i}.csv"}) for i in range(8)]
        wait_for(lambda: len(list(build_lifecycle("wait", settings).store.scan())) == 8, message="all waits recorded")
        for i in range(8):
            put(bucket, f"raw/many/{i}.csv")
        results = [wait_execution(e, timeout=30) for e in executions]
    assert [r["status"] for r in results] == ["SUCCEEDED"] * 8
    assert all(event_counts(e)["ActivitySucceeded"] == 1 for e in executions)


@pytest.mark.parametrize(
    "payload, fragment",
    [
        ({"Key": "k"}, "Bucket is required"),
        ({"Bucket": "Bad_Bucket", "Key": "k"}, "not a valid S3 bucket name"),
        ({"Bucket": "b-1", "Key": "k", "Prefix": "p"}, "exactly one of Key, Prefix or Pattern"),
        ({"Bucket": "b-1"}, "exactly one of Key, Prefix or Pattern"),
        ({"Bucket": "b-1", "Key": "k", "MinimumObjects": 2}, "MinimumObjects applies"),
    ],
)
def test_bad_wait_input_is_rejected(payload, fragment):
    with pytest.raises(InvalidTaskInputError, match=fragment):
        S3WaitAdapter(s3_client=None, arrivals=None).parse(payload)


def test_events_are_read_directly_or_wrapped_in_sqs():
    direct = {"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": {"key": "raw/a+b%3D1.csv", "size": 3, "eTag": "e"}}}]}
    wrapped = {"Records": [{"body": json.dumps(direct)}, {"body": json.dumps({"Event": "s3:TestEvent"})}]}
    for event in (direct, wrapped):
        (obj,) = objects_from_event(event)
        assert (obj.bucket, obj.key, obj.size, obj.etag) == ("b", "raw/a b=1.csv", 3, "e")
