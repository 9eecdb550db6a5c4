"""A few hundred hostile task inputs, through real executions: every invalid
task fails within seconds with a named error (never by timeout), every valid
control succeeds, and the workers keep serving throughout."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import timedelta

import pytest

from fuzz_corpus import INVALID, REFUSED, VALID, FuzzCase, corpus, execution_input
from support import (
    ROLE_ARN, SLEEP_SCRIPT, client, history, make_activity, make_glue_job, results_location, serving, settings_for, unique,
)

SEED = 20261201
EXPECTED_ERROR = {INVALID: "InvalidTaskInputError", REFUSED: "JobStartFailedError"}
# "Within seconds": from the worker taking the task to Step Functions hearing
# the failure. Generous for a loaded CI machine; a hang would take the state's
# whole TimeoutSeconds.
FAIL_WITHIN = timedelta(seconds=10)
STATE_TIMEOUT_SECONDS = 90


def _machine(activity_arn: str) -> str:
    """One activity Task fed ``$.payload``: a string payload reaches the worker
    as a JSON string literal, so malformed text arrives as text."""
    definition = {
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task", "Resource": activity_arn, "InputPath": "$.payload",
                "TimeoutSeconds": STATE_TIMEOUT_SECONDS, "HeartbeatSeconds": 60, "End": True,
            }
        },
    }
    return client("stepfunctions").create_state_machine(name=unique("fuzz"), definition=json.dumps(definition), roleArn=ROLE_ARN)["stateMachineArn"]


def _wait_all(machines: list[str], timeout: float) -> None:
    sfn = client("stepfunctions")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = sum(
            len(page["executions"])
            for machine in machines
            for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine, statusFilter="RUNNING")
        )
        if running == 0:
            return
        time.sleep(0.5)
    raise AssertionError(f"{running} executions still RUNNING after {timeout}s")


def _verdict(case: FuzzCase, execution_arn: str) -> str | None:
    """None if the execution ended as the case expects, else what went wrong."""
    events = history(execution_arn)
    types = Counter(e["type"] for e in events)
    if types["ActivityTimedOut"] or types["ExecutionTimedOut"]:
        return "timed out instead of failing at once"
    if case.expect == VALID:
        return None if types["ExecutionSucceeded"] == 1 else f"valid control did not succeed: {dict(types)}"
    failed = [e for e in events if e["type"] == "ActivityFailed"]
    if len(failed) != 1:
        return f"expected one ActivityFailed, got {dict(types)}"
    error = failed[0]["activityFailedEventDetails"]["error"]
    if error != EXPECTED_ERROR[case.expect]:
        return f"failed with {error}, expected {EXPECTED_ERROR[case.expect]}"
    json.loads(failed[0]["activityFailedEventDetails"]["cause"])  # readable JSON
    started = next(e["timestamp"] for e in events if e["type"] == "ActivityStarted")
    if failed[0]["timestamp"] - started > FAIL_WITHIN:
        return f"failed only after {failed[0]['timestamp'] - started}"
    return None


@pytest.mark.timeout(600)
def test_every_fuzzed_task_fails_fast_with_a_named_error_and_every_control_succeeds(aws):
    glue_activity, athena_activity = make_activity(), make_activity()
    job = make_glue_job(SLEEP_SCRIPT, max_concurrent_runs=100)
    named_query = unique("fuzz-select-one")
    client("athena").create_named_query(Name=named_query, Database="default", QueryString="SELECT 1")
    cases = corpus(seed=SEED, glue_job=job, named_query=named_query, results=results_location("fuzz"))
    assert len({c.category for c in cases}) >= 30 and len(cases) >= 300
    machines = {"glue": _machine(glue_activity), "athena": _machine(athena_activity)}
    glue = settings_for("glue", glue_activity, pollers=4, heartbeat_interval_seconds=5.0)
    athena = settings_for("athena", athena_activity, pollers=4, heartbeat_interval_seconds=5.0)
    sfn = client("stepfunctions")

    with serving("glue", glue) as glue_worker, serving("athena", athena) as athena_worker:
        started = [
            (case, sfn.start_execution(stateMachineArn=machines[case.kind], name=unique("fz"), input=execution_input(case.payload))["executionArn"])
            for case in cases
        ]
        _wait_all(list(machines.values()), timeout=STATE_TIMEOUT_SECONDS * 3)
        assert not glue_worker.stopping and not athena_worker.stopping

    wrong = {case.label: verdict for case, arn in started if (verdict := _verdict(case, arn))}
    assert not wrong, f"{len(wrong)} of {len(cases)} cases ended wrongly:\n" + "\n".join(f"{k}: {v}" for k, v in list(wrong.items())[:40])
