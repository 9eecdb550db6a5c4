"""JSONata and variables on the embedded Step Functions, case by case from the
AWS documentation (the cases and their sources: ``sfn_jsonata_cases``).

Every case goes through real boto3 calls: CreateStateMachine,
StartExecution, DescribeExecution, and the activity API for Task states.
"""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sfn_jsonata_cases import CASES, Case
from support import ROLE_ARN, unique

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def sfn(embedded_aws):
    return boto3.client("stepfunctions", config=Config(read_timeout=70))


class ActivityWorker(threading.Thread):
    """Serves one activity as a case's ``worker`` says; records the task inputs it got."""

    def __init__(self, sfn: Any, activity_arn: str, behaviour: Any):
        super().__init__(daemon=True)
        self.sfn, self.activity_arn, self.behaviour = sfn, activity_arn, behaviour
        self.inputs: list[Any] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            task = self.sfn.get_activity_task(activityArn=self.activity_arn, workerName="corpus")
            token = task.get("taskToken")
            if not token:
                continue
            received = json.loads(task["input"])
            self.inputs.append(received)
            if self.behaviour == "silent":
                continue
            if self.behaviour == "echo" or (self.behaviour == "fail-once" and len(self.inputs) > 1):
                self.sfn.send_task_success(taskToken=token, output=json.dumps(received))
            elif self.behaviour == "fail-once":
                self.sfn.send_task_failure(taskToken=token, error="Transient", cause="first attempt")
            elif "fail" in self.behaviour:
                error, cause = self.behaviour["fail"]
                self.sfn.send_task_failure(taskToken=token, error=error, cause=cause)
            else:
                self.sfn.send_task_success(taskToken=token, output=json.dumps(self.behaviour["output"]))


def run_case(sfn: Any, case: Case) -> tuple[dict[str, Any], ActivityWorker | None]:
    text = json.dumps(case.definition)
    worker = None
    if case.worker is not None:
        activity = sfn.create_activity(name=unique("corpus"))["activityArn"]
        text = text.replace("${Activity}", activity)
        worker = ActivityWorker(sfn, activity, case.worker)
        worker.start()
    try:
        machine = sfn.create_state_machine(name=unique("corpus"), definition=text, roleArn=ROLE_ARN)
        execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps(case.input))
        deadline = time.monotonic() + 30
        while True:
            described = sfn.describe_execution(executionArn=execution["executionArn"])
            if described["status"] != "RUNNING" or time.monotonic() > deadline:
                return described, worker
            time.sleep(0.05)
    finally:
        if worker is not None:
            worker.done.set()


@pytest.mark.parametrize("case", [c for c in CASES if not c.invalid], ids=lambda c: c.id)
def test_documented_behaviour(sfn, case: Case) -> None:
    described, worker = run_case(sfn, case)
    if case.error is None:
        assert described["status"] == "SUCCEEDED", (described.get("error"), described.get("cause"))
        output = json.loads(described["output"])
        if case.check == "random-and-uuid":
            assert output["same"] is True and output["inRange"] is True
            assert UUID4.match(output["uuid"])
        else:
            assert output == case.output
    else:
        assert described["status"] == "FAILED"
        assert described["error"] == case.error, described.get("cause")
        if case.cause_contains:
            assert case.cause_contains in described["cause"]
    if case.task_input is not None:
        assert worker is not None and worker.inputs[0] == case.task_input


@pytest.mark.parametrize("case", [c for c in CASES if c.invalid], ids=lambda c: c.id)
def test_refused_definition(sfn, case: Case) -> None:
    with pytest.raises(ClientError) as refused:
        sfn.create_state_machine(name=unique("corpus"), definition=json.dumps(case.definition), roleArn=ROLE_ARN)
    assert refused.value.response["Error"]["Code"] == "InvalidDefinition"
    assert "SCHEMA_VALIDATION_FAILED" in refused.value.response["Error"]["Message"]


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 25


@pytest.fixture
def service_integrations(embedded_aws, monkeypatch):
    """Optimised integrations (SQS here) call the embedded AWS's own port."""
    monkeypatch.setenv("MOTO_PORT", embedded_aws.endpoint_url.rsplit(":", 1)[-1])


def test_callback_token_from_the_context_in_jsonata_arguments(sfn, service_integrations) -> None:
    """TD: a .waitForTaskToken task passes $states.context.Task.Token in its Arguments;
    SendTaskSuccess's output becomes $states.result."""
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName=unique("corpus"))["QueueUrl"]
    definition = {"QueryLanguage": "JSONata", "StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "TimeoutSeconds": 30,
        "Arguments": {"QueueUrl": queue, "MessageBody": {"token": "{% $states.context.Task.Token %}",
                                                         "order": "{% $states.input.order %}"}},
        "Output": {"approved": "{% $states.result.approved %}", "order": "{% $states.input.order %}"},
        "End": True}}}
    machine = sfn.create_state_machine(name=unique("corpus"), definition=json.dumps(definition), roleArn=ROLE_ARN)
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps({"order": 7}))
    messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=10).get("Messages", [])
    assert messages, "the task sent no message"
    body = json.loads(messages[0]["Body"])
    assert body["order"] == 7
    sfn.send_task_success(taskToken=body["token"], output=json.dumps({"approved": True}))
    deadline = time.monotonic() + 10
    while (described := sfn.describe_execution(executionArn=execution["executionArn"]))["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert json.loads(described["output"]) == {"approved": True, "order": 7}


def test_a_failed_expression_is_an_evaluation_failed_event(sfn) -> None:
    """TD / API EvaluationFailedEventDetails: the history names the state and the error."""
    definition = {"QueryLanguage": "JSONata", "StartAt": "Shape", "States": {
        "Shape": {"Type": "Pass", "Output": "{% $states.input.missing %}", "End": True}}}
    machine = sfn.create_state_machine(name=unique("corpus"), definition=json.dumps(definition), roleArn=ROLE_ARN)
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")["executionArn"]
    deadline = time.monotonic() + 10
    while sfn.describe_execution(executionArn=execution)["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    events = sfn.get_execution_history(executionArn=execution)["events"]
    types = [e["type"] for e in events]
    assert types[-2:] == ["EvaluationFailed", "ExecutionFailed"]
    details = events[-2]["evaluationFailedEventDetails"]
    assert details["state"] == "Shape" and details["error"] == "States.QueryEvaluationError"


def test_assigned_variables_are_in_the_state_exited_event(sfn) -> None:
    """VAR: the state-exited event lists each assigned variable as JSON text."""
    definition = {"QueryLanguage": "JSONata", "StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"name": "a \"quoted\" name", "count": 2, "list": [1, "{% 1 + 1 %}"]},
                "End": True}}}
    machine = sfn.create_state_machine(name=unique("corpus"), definition=json.dumps(definition), roleArn=ROLE_ARN)
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")["executionArn"]
    deadline = time.monotonic() + 10
    while sfn.describe_execution(executionArn=execution)["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    exited = [e for e in sfn.get_execution_history(executionArn=execution)["events"] if e["type"] == "PassStateExited"]
    assigned = exited[0]["stateExitedEventDetails"]["assignedVariables"]
    assert {name: json.loads(text) for name, text in assigned.items()} == {
        "name": 'a "quoted" name', "count": 2, "list": [1, 2]}
