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
            if self.behaviour == "echo":
                self.sfn.send_task_success(taskToken=token, output=json.dumps(received))
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
