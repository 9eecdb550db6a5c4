"""``etl-runner redrive``: continue a failed execution from its failed step, or
run its date again when that is not possible, and say which.

Redrive (RedriveExecution) continues an execution that FAILED, TIMED_OUT or
was ABORTED in the last 14 days in place: same ARN and input, the steps that
succeeded are not run again, the state that did not complete runs again.
DescribeExecution's ``redriveStatus``/``redriveStatusReason`` say whether
Step Functions allows it. It is pointless when the state that did not
complete is a Fail state (a failure path that caught the step's error and
ended in Fail): a redrive would only fail again. In both cases the date runs
again as a fresh execution named ``<date>-rerun-<n>``, with the failed
execution's input.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from botocore.exceptions import ClientError

from runners.pipelines.triggers import execution_name, is_run_date, run_date_of_execution
from runners.retry import error_code

from .history import ACTIVE, SUCCEEDED, UNSUCCESSFUL, History, failure_text

REDRIVEN = "redriven"
RESTARTED = "restarted"
STARTED = "started"  # the date had no execution at all
NOTHING = "nothing"

Say = Callable[[str], None]


@dataclass(frozen=True)
class Outcome:
    action: str  # redriven, restarted, started, nothing
    execution_arn: str | None
    message: str
    status: str | None = None  # with nothing: the execution's status


@dataclass(frozen=True)
class StopPoint:
    """Where a redrive would continue: the last state the execution entered."""

    state: str | None
    state_type: str | None  # Task, Parallel, Fail, ... (from the history event's type)

    @property
    def is_fail_state(self) -> bool:
        return self.state_type == "Fail"


def stop_point(sfn: Any, execution_arn: str) -> StopPoint:
    """The last state entered, read from the end of the execution's history."""
    paginator = sfn.get_paginator("get_execution_history")
    for page in paginator.paginate(executionArn=execution_arn, reverseOrder=True, includeExecutionData=False):
        for event in page["events"]:
            kind = event["type"]
            if kind.endswith("StateEntered"):
                return StopPoint(event["stateEnteredEventDetails"]["name"], kind[: -len("StateEntered")])
    return StopPoint(None, None)


def state_machine_of(execution_arn: str) -> str:
    """arn:...:execution:MACHINE:NAME -> arn:...:stateMachine:MACHINE."""
    head, _, _ = execution_arn.rpartition(":")
    return head.replace(":execution:", ":stateMachine:", 1)


def redrive_execution(sfn: Any, execution_arn: str, say: Say = print) -> Outcome:
    described = sfn.describe_execution(executionArn=execution_arn)
    name, status = described["name"], described["status"]
    if status in ACTIVE:
        return Outcome(NOTHING, execution_arn, f"{name} is {status}: nothing to redrive", status)
    if status == SUCCEEDED:
        return Outcome(NOTHING, execution_arn, f"{name} SUCCEEDED: nothing to redrive (etl-runner backfill --rerun runs a date again)", status)
    if status not in UNSUCCESSFUL:
        return Outcome(NOTHING, execution_arn, f"{name} is {status}: nothing to redrive", status)
    say(f"{name} {failure_text(described)}")
    point = stop_point(sfn, execution_arn)
    why_not = None
    if described.get("redriveStatus", "NOT_REDRIVABLE") != "REDRIVABLE":
        why_not = described.get("redriveStatusReason") or "Step Functions does not allow it"
    elif point.is_fail_state:
        why_not = (f"it would continue at {point.state!r}, a Fail state (the failed step's error was caught), "
                   "and fail again")
    if why_not is None:
        try:
            sfn.redrive_execution(executionArn=execution_arn, clientToken=uuid.uuid4().hex)
        except ClientError as exc:
            if error_code(exc) != "ExecutionNotRedrivable":
                raise
            why_not = str(exc)
        else:
            count = int(described.get("redriveCount", 0)) + 1
            return Outcome(REDRIVEN, execution_arn, f"redriven {name} from {point.state!r} (redrive {count}); "
                                                    "the steps that succeeded are not run again")
    return _restart(sfn, described, f"redrive is not possible: {why_not}")


def _restart(sfn: Any, described: dict[str, Any], why: str) -> Outcome:
    """The failed execution's date again, under its next rerun name, with its input."""
    parsed = run_date_of_execution(described["name"])
    execution_input = described.get("input") or "{}"
    run_date = parsed[0] if parsed else None
    if run_date is None:
        try:
            candidate = json.loads(execution_input).get("runDate")
        except (json.JSONDecodeError, AttributeError):
            candidate = None
        run_date = candidate if is_run_date(candidate) else None
    if run_date is None:
        raise ValueError(f"{described['name']}: {why}, and its run date is unknown (neither its name nor its input's runDate is a date)")
    state_machine = described.get("stateMachineArn") or state_machine_of(described["executionArn"])
    name = History.read(sfn, state_machine).next_rerun_name(run_date)
    arn = sfn.start_execution(stateMachineArn=state_machine, name=name, input=execution_input)["executionArn"]
    return Outcome(RESTARTED, arn, f"{why}; started {name}, a fresh execution of {run_date} with the same input")


def redrive_date(sfn: Any, state_machine_arn: str, run_date: str, say: Say = print) -> Outcome:
    """The latest execution of ``run_date``, redriven (or its date run again); the date's
    first execution if it has none."""
    latest = History.read(sfn, state_machine_arn).latest(run_date)
    if latest is None:
        name = execution_name(run_date)
        arn = sfn.start_execution(stateMachineArn=state_machine_arn, name=name,
                                  input=json.dumps({"runDate": run_date, "trigger": {"kind": "redrive"}}))["executionArn"]
        return Outcome(STARTED, arn, f"{run_date} has no execution: started {name}")
    return redrive_execution(sfn, latest.arn, say)


def wait_for(sfn: Any, execution_arn: str, poll_seconds: float = 5.0, timeout: float | None = None) -> dict[str, Any]:
    """DescribeExecution once the execution has ended (or at the timeout)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] not in ACTIVE or (deadline is not None and time.monotonic() > deadline):
            return described
        time.sleep(poll_seconds)
