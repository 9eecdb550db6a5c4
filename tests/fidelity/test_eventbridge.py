"""EventBridge rules and targets on the embedded AWS, as the EventBridge user
guide documents them: input transformation (InputPathsMap + InputTemplate,
``Input``, ``InputPath``), content filters (``wildcard``), rule state, and a
clear refusal for targets the embedded AWS cannot deliver to.

Events come from PutEvents and go to an SQS queue, read back with boto3."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

EC2_DETAIL = {"instance-id": "i-0123456789", "state": "RUNNING", "n": 5, "o": {"a": [1, 2]}, "flag": True,
              "input": '{"runDate":"2026-11-30","note":"a \\"quoted\\" word"}'}
PATHS = {"instance": "$.detail.instance-id", "state": "$.detail.state"}


@pytest.fixture(scope="module")
def events(embedded_aws):
    return embedded_aws.client("events")


@pytest.fixture(scope="module")
def sqs(embedded_aws):
    return embedded_aws.client("sqs")


@pytest.fixture
def source() -> str:
    return f"test.{uuid.uuid4().hex[:8]}"


@pytest.fixture
def queue(sqs):
    url = sqs.create_queue(QueueName=f"eb-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def rule(events, source: str, queue_arn: str, pattern: dict | None = None, **target: object) -> str:
    name = f"r-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=name, EventPattern=json.dumps(pattern or {"source": [source]}))
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": queue_arn, **target}])
    return name


def put(events, source: str, detail: dict, detail_type: str = "EC2 Instance State-change Notification") -> None:
    answer = events.put_events(Entries=[{"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}])
    assert answer["FailedEntryCount"] == 0


def bodies(sqs, url: str, expected: int, timeout: float = 5.0) -> list[str]:
    found: list[str] = []
    deadline = time.monotonic() + timeout
    while len(found) < expected and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            found.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def nothing_arrives(sqs, url: str) -> bool:
    return not sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages")


def transformed(events, sqs, queue, source, template: str, paths: dict | None = None, detail: dict | None = None) -> str:
    url, arn = queue
    rule(events, source, arn, InputTransformer={"InputPathsMap": PATHS if paths is None else paths, "InputTemplate": template})
    put(events, source, detail or EC2_DETAIL)
    (body,) = bodies(sqs, url, 1)
    return body


# --- input transformation (the user guide's examples) --------------------------------------


def test_a_variable_outside_quotes_becomes_a_json_string(events, sqs, queue, source):
    body = transformed(events, sqs, queue, source, '{"instance" : <instance>, "state": <state>}')
    assert json.loads(body) == {"instance": "i-0123456789", "state": "RUNNING"}


def test_a_variable_inside_a_string_is_inserted_as_text(events, sqs, queue, source):
    template = '{"instance" : <instance>, "state": "<state>", "instanceStatus": "instance \\"<instance>\\" is in <state>"}'
    body = transformed(events, sqs, queue, source, template)
    assert json.loads(body) == {"instance": "i-0123456789", "state": "RUNNING", "instanceStatus": 'instance "i-0123456789" is in RUNNING'}


def test_variables_mix_with_static_json(events, sqs, queue, source):
    body = transformed(events, sqs, queue, source, '{"instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes"}')
    assert json.loads(body) == {"instance": "i-0123456789", "state": [9, "RUNNING", True], "Transformed": "Yes"}


def test_numbers_booleans_and_objects_keep_their_json_type(events, sqs, queue, source):
    paths = {"n": "$.detail.n", "o": "$.detail.o", "flag": "$.detail.flag", "first": "$.detail.o.a[0]"}
    body = transformed(events, sqs, queue, source, '{"n": <n>, "o": <o>, "flag": <flag>, "first": <first>, "text": "n=<n>"}', paths)
    assert json.loads(body) == {"n": 5, "o": {"a": [1, 2]}, "flag": True, "first": 1, "text": "n=5"}


def test_a_string_holding_json_arrives_as_that_string(events, sqs, queue, source):
    """What Step Functions events carry: ``input`` is JSON text, quotes and all."""
    body = transformed(events, sqs, queue, source, '{"input": <input>}', {"input": "$.detail.input"})
    assert json.loads(body) == {"input": EC2_DETAIL["input"]}
    assert json.loads(json.loads(body)["input"])["note"] == 'a "quoted" word'


def test_a_path_missing_from_the_event_gives_null(events, sqs, queue, source):
    body = transformed(events, sqs, queue, source, '{"missing": <missing>, "state": <state>}', {"missing": "$.detail.nope", **PATHS})
    assert json.loads(body) == {"missing": None, "state": "RUNNING"}


def test_the_predefined_variables(events, sqs, queue, source):
    url, arn = queue
    name = rule(events, source, arn, InputTransformer={
        "InputPathsMap": PATHS,
        "InputTemplate": '{"ruleArn": <aws.events.rule-arn>, "ruleName": <aws.events.rule-name>, '
                         '"ingested": <aws.events.event.ingestion-time>, "event": <aws.events.event.json>}',
    })
    put(events, source, EC2_DETAIL)
    (body,) = bodies(sqs, url, 1)
    answer = json.loads(body)
    assert answer["ruleName"] == name
    assert answer["ruleArn"] == events.describe_rule(Name=name)["Arn"]
    assert answer["event"]["source"] == source and answer["event"]["detail"] == EC2_DETAIL
    assert answer["ingested"].endswith("Z") and "T" in answer["ingested"]


def test_a_string_template(events, sqs, queue, source):
    body = transformed(events, sqs, queue, source, '"instance <instance> is in <state>"')
    assert json.loads(body) == "instance i-0123456789 is in RUNNING"


def test_a_constant_input_and_an_input_path(events, sqs, queue, source):
    url, arn = queue
    rule(events, source, arn, Input='{"fixed": true}')
    rule(events, source, arn, InputPath="$.detail.o")
    put(events, source, EC2_DETAIL)
    assert sorted((json.loads(b) for b in bodies(sqs, url, 2)), key=str) == sorted([{"fixed": True}, {"a": [1, 2]}], key=str)


def test_without_input_settings_the_target_gets_the_whole_event(events, sqs, queue, source):
    url, arn = queue
    rule(events, source, arn)
    put(events, source, EC2_DETAIL)
    (body,) = bodies(sqs, url, 1)
    event = json.loads(body)
    assert set(event) == {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
    assert event["source"] == source and event["detail"] == EC2_DETAIL
    assert time.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ")


# --- patterns and rule state ---------------------------------------------------------------


def test_a_wildcard_filter_matches_the_whole_value(events, sqs, queue, source):
    url, arn = queue
    rule(events, source, arn, {"source": [source], "detail": {"key": [{"wildcard": "landing/orders/*/_SUCCESS.done"}]}})
    for key in ("landing/orders/2026-11-30/_SUCCESS.done", "landing/orders/2026-11-30/_SUCCESS.done.tmp", "x/landing/orders/1/_SUCCESS.done"):
        put(events, source, {"key": key})
    assert [json.loads(b)["detail"]["key"] for b in bodies(sqs, url, 1)] == ["landing/orders/2026-11-30/_SUCCESS.done"]
    assert nothing_arrives(sqs, url)


def test_a_disabled_rule_sends_nothing(events, sqs, queue, source):
    url, arn = queue
    name = rule(events, source, arn)
    events.disable_rule(Name=name)
    put(events, source, EC2_DETAIL)
    assert nothing_arrives(sqs, url)
    events.enable_rule(Name=name)
    put(events, source, EC2_DETAIL)
    assert len(bodies(sqs, url, 1)) == 1


# --- what the embedded AWS refuses ----------------------------------------------------------


def test_a_target_it_cannot_deliver_to_is_refused_when_added(events, source):
    name = f"r-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=name, EventPattern=json.dumps({"source": [source]}))
    with pytest.raises(ClientError, match="not supported locally"):
        events.put_targets(Rule=name, Targets=[{"Id": "k", "Arn": "arn:aws:kinesis:us-east-1:123456789012:stream/s"}])


def test_a_json_path_it_cannot_evaluate_is_refused_when_added(events, queue, source):
    name = f"r-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=name, EventPattern=json.dumps({"source": [source]}))
    with pytest.raises(ClientError, match="not supported locally"):
        events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": queue[1], "InputTransformer": {
            "InputPathsMap": {"all": "$.detail.o.*"}, "InputTemplate": '{"all": <all>}'}}])
