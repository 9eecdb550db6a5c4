"""Stack progress and failure reporting, and parameter files (no AWS needed).

moto's CloudFormation finishes a stack inside the create call and writes only
stack-level events, so progress across polls and failing resources are
scripted here with a fake client that answers like CloudFormation.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

from runners.build import stacks
from runners.build.runner import TaskError

T0 = datetime(2026, 11, 16, 6, 0, 0, tzinfo=timezone.utc)


def event(n: int, logical: str, status: str, reason: str = "", kind: str = "AWS::S3::Bucket") -> dict:
    return {"EventId": f"e{n}", "Timestamp": T0.replace(second=n), "LogicalResourceId": logical, "ResourceType": kind, "ResourceStatus": status, "ResourceStatusReason": reason}


class FakeCfn:
    """Replays (new events, stack status) per poll; events are returned newest first."""

    def __init__(self, polls: list[tuple[list[dict], str]], stack_name: str = "etl-x", reason: str = "") -> None:
        self._polls = polls
        self._events: list[dict] = []
        self._poll = -1
        self._name = stack_name
        self._reason = reason

    def get_paginator(self, operation: str):
        assert operation == "describe_stack_events"
        self._poll += 1
        if self._poll < len(self._polls):
            self._events = self._polls[self._poll][0][::-1] + self._events
        events = list(self._events)

        class Pages:
            def paginate(self, StackName: str):  # noqa: N803
                # two pages, as the API pages them
                yield {"StackEvents": events[:2]}
                yield {"StackEvents": events[2:]}

        return Pages()

    def describe_stacks(self, StackName: str) -> dict:  # noqa: N803
        status = self._polls[min(self._poll, len(self._polls) - 1)][1]
        stack = {"StackName": self._name, "StackStatus": status}
        if self._reason and not status.endswith("IN_PROGRESS"):
            stack["StackStatusReason"] = self._reason
        return {"Stacks": [stack]}


def wait(cfn: FakeCfn, operation: str = "create", seen: set[str] | None = None, timeout: float = 60.0):
    lines: list[str] = []
    sleeps: list[float] = []
    clock = iter(range(0, 10_000, 5))
    try:
        result = stacks.wait_for(cfn, "arn:stack", operation, lines.append, seen=set() if seen is None else seen, poll_seconds=5, timeout_seconds=timeout, sleep=sleeps.append, clock=lambda: next(clock))
    except TaskError as exc:
        return lines, sleeps, exc
    return lines, sleeps, result


def test_events_are_printed_once_each_in_order_as_they_come():
    cfn = FakeCfn(
        [
            ([event(1, "etl-x", "CREATE_IN_PROGRESS", "User Initiated", "AWS::CloudFormation::Stack"), event(2, "Data", "CREATE_IN_PROGRESS")], "CREATE_IN_PROGRESS"),
            ([event(3, "Data", "CREATE_IN_PROGRESS", "Resource creation Initiated"), event(4, "Data", "CREATE_COMPLETE")], "CREATE_IN_PROGRESS"),
            ([event(5, "etl-x", "CREATE_COMPLETE", kind="AWS::CloudFormation::Stack")], "CREATE_COMPLETE"),
        ]
    )
    lines, sleeps, result = wait(cfn)
    assert result["StackStatus"] == "CREATE_COMPLETE"
    assert [line.split()[1] for line in lines] == ["CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", "CREATE_COMPLETE", "CREATE_COMPLETE"]
    assert lines[0].split()[0] == "06:00:01" and "Resource creation Initiated" in lines[2]
    assert sleeps == [5, 5]


def test_events_from_before_the_operation_are_not_repeated():
    old = [event(1, "etl-x", "CREATE_COMPLETE", kind="AWS::CloudFormation::Stack")]
    cfn = FakeCfn([(old, "CREATE_COMPLETE"), ([event(2, "etl-x", "UPDATE_COMPLETE", kind="AWS::CloudFormation::Stack")], "UPDATE_COMPLETE")])
    cfn.get_paginator("describe_stack_events")  # the history before the update
    lines, _, result = wait(cfn, "update", seen={"e1"})
    assert result["StackStatus"] == "UPDATE_COMPLETE"
    assert len(lines) == 1 and "UPDATE_COMPLETE" in lines[0]


def test_a_failed_create_names_the_failing_resource_and_its_reason():
    cfn = FakeCfn(
        [
            ([event(1, "etl-x", "CREATE_IN_PROGRESS", "User Initiated", "AWS::CloudFormation::Stack"), event(2, "Data", "CREATE_IN_PROGRESS"), event(3, "Table", "CREATE_IN_PROGRESS", kind="AWS::DynamoDB::Table")], "CREATE_IN_PROGRESS"),
            (
                [
                    event(4, "Data", "CREATE_FAILED", "etl-data already exists"),
                    event(5, "Table", "CREATE_FAILED", "Resource creation cancelled", "AWS::DynamoDB::Table"),
                    event(6, "etl-x", "ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [Data, Table].", "AWS::CloudFormation::Stack"),
                ],
                "ROLLBACK_IN_PROGRESS",
            ),
            ([event(7, "etl-x", "ROLLBACK_COMPLETE", kind="AWS::CloudFormation::Stack")], "ROLLBACK_COMPLETE"),
        ],
        reason="The following resource(s) failed to create: [Data, Table].",
    )
    lines, _, error = wait(cfn)
    assert isinstance(error, TaskError)
    message = str(error)
    assert message.startswith("create of etl-x ended ROLLBACK_COMPLETE: The following resource(s) failed to create: [Data, Table].")
    assert "Data (AWS::S3::Bucket) CREATE_FAILED: etl-data already exists" in message
    assert "cancelled" not in message  # the knock-on failure is not the cause
    assert "deletestack and createstack again" in message
    assert any("etl-data already exists" in line for line in lines)


def test_a_failed_delete_suggests_emptying_buckets():
    cfn = FakeCfn([([event(1, "Data", "DELETE_FAILED", "The bucket you tried to delete is not empty")], "DELETE_FAILED")])
    _, _, error = wait(cfn, "delete")
    assert "Data (AWS::S3::Bucket) DELETE_FAILED: The bucket you tried to delete is not empty" in str(error)
    assert "deletes3bucket[BUCKET]" in str(error)


def test_throttling_while_waiting_is_retried():
    cfn = FakeCfn([([event(1, "etl-x", "CREATE_COMPLETE", kind="AWS::CloudFormation::Stack")], "CREATE_COMPLETE")])
    answer = cfn.describe_stacks
    calls = []

    def throttled_once(StackName: str) -> dict:  # noqa: N803
        calls.append(StackName)
        if len(calls) == 1:
            raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "DescribeStacks")
        return answer(StackName=StackName)

    cfn.describe_stacks = throttled_once
    _, _, result = wait(cfn)
    assert result["StackStatus"] == "CREATE_COMPLETE" and len(calls) == 2


def test_waiting_gives_up_after_the_timeout():
    cfn = FakeCfn([([], "CREATE_IN_PROGRESS")])
    _, sleeps, error = wait(cfn, timeout=12)
    assert isinstance(error, TaskError) and "still CREATE_IN_PROGRESS after 12 s" in str(error)
    assert len(sleeps) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"Environment": "x"}', "must be a JSON list"),
        ('[{"ParameterKey": "A"}]', "item 0 must be"),
        ('[{"ParameterKey": "A", "ParameterValue": 3}]', "item 0 must be"),
        ('[{"ParameterKey": "A", "ParameterValue": "1"}, {"ParameterKey": "A", "ParameterValue": "2"}]', "A is given twice"),
    ],
)
def test_bad_parameter_files_are_explained(tmp_path, content, message):
    path = tmp_path / "x-params.json"
    path.write_text(content)
    with pytest.raises(TaskError, match=message):
        stacks.read_params_file(path)


def test_parameter_file_in_the_samples_format(tmp_path):
    path = tmp_path / "x-params.json"
    path.write_text(json.dumps([{"ParameterKey": "A", "ParameterValue": "1"}, {"ParameterKey": "B", "ParameterValue": stacks.NO_DEFAULT}]))
    assert stacks.read_params_file(path) == {"A": "1", "B": "<NO-DEFAULT>"}
    with pytest.raises(TaskError, match="missing"):
        stacks.read_params_file(tmp_path / "nope-params.json")


def test_the_runner_mode_comes_from_etl_runner_mode_and_fills_runner_mode():
    from runners.build.settings import BuildContext, BuildSettings
    from runners.build.stacks import BUILD_PARAMETERS, RUNNER_MODE_PARAMETER, BuildValues

    assert RUNNER_MODE_PARAMETER in BUILD_PARAMETERS
    assert BuildSettings.from_env({}).runner_mode == "lambda"
    service = BuildSettings.from_env({"ETL_RUNNER_MODE": "service"})
    assert BuildValues(BuildContext(service), "runner-resources").value(RUNNER_MODE_PARAMETER) == "service"
    with pytest.raises(ValueError, match="ETL_RUNNER_MODE='ecs': expected one of lambda, service"):
        BuildSettings.from_env({"ETL_RUNNER_MODE": "ecs"})
