"""A pipeline's schedule goes through the trigger function: what the schedule's
target input and the catch-up rule hold, and what the function starts for
them (a stub Step Functions client; the embedded AWS runs it in tests/e2e)."""

from __future__ import annotations

import json

import pytest

from runners.pipeline_trigger import (KIND_CATCH_UP, NotScheduled, TriggerPayloadError, on_schedule, on_trigger_messages,
                                      parse_schedule_payload)
from runners.pipelines.model import CatchUp, Pipeline, Schedule
from runners.pipelines.triggers import (CATCH_UP_SUFFIX, SCHEDULED_TIME, catch_up_rules, execution_name, schedule_target_input)
from runners.retry import RetryPolicy

SM = "arn:aws:states:us-east-1:123456789012:stateMachine:weekly"
NO_RETRY = RetryPolicy(max_attempts=1, max_seconds=None)
CATCHING_UP = Pipeline(name="weekly", database="db", steps={},
                       schedule=Schedule(cron="0 6 ? * MON *", catch_up=CatchUp(horizon_days=56, max_concurrent=1)))


class StubSfn:
    """ListExecutions and StartExecution over named executions."""

    def __init__(self, existing: dict[str, str] | None = None):
        self.executions: dict[str, tuple[str, str]] = {n: (s, "{}") for n, s in (existing or {}).items()}
        self.started: list[str] = []

    def get_paginator(self, operation: str):
        assert operation == "list_executions"
        stub = self

        class Pages:
            def paginate(self, stateMachineArn: str):
                yield {"executions": [{"name": n, "status": s, "executionArn": f"{SM}:{n}"} for n, (s, _) in stub.executions.items()]}
        return Pages()

    def start_execution(self, stateMachineArn: str, name: str, input: str) -> dict:
        assert stateMachineArn == SM
        self.executions[name] = ("RUNNING", input)
        self.started.append(name)
        return {"executionArn": f"{SM}:{name}"}


def scheduled(at: str) -> dict:
    """The payload the schedule sends at ``at`` (Scheduler fills the scheduled time)."""
    return json.loads(schedule_target_input(CATCHING_UP, SM).replace(SCHEDULED_TIME, at))


def test_the_schedule_target_input_carries_the_schedule_and_the_scheduled_time():
    payload = json.loads(schedule_target_input(CATCHING_UP, SM))
    assert payload == {"kind": "schedule", "pipeline": "weekly", "stateMachineArn": SM, "scheduledTime": SCHEDULED_TIME,
                       "schedule": {"cron": "0 6 ? * MON *", "timezone": "UTC", "catchUp": {"horizonDays": 56, "maxConcurrent": 1}}}


def test_the_catch_up_rule_follows_the_pipelines_own_ended_executions():
    (rule,) = catch_up_rules(CATCHING_UP, SM)
    assert rule.suffix == CATCH_UP_SUFFIX
    assert rule.event_pattern["detail"] == {"status": ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"], "stateMachineArn": [SM]}
    filled = rule.input_template
    for name, value in {"time": '"2026-02-02T07:00:00Z"', "executionArn": '"arn"', "status": '"SUCCEEDED"',
                        "input": json.dumps('{"runDate":"2026-01-12","trigger":{"kind":"schedule"}}')}.items():
        filled = filled.replace(f"<{name}>", value)
    payload = json.loads(filled)
    assert payload["kind"] == KIND_CATCH_UP and payload["schedule"]["catchUp"] == {"horizonDays": 56, "maxConcurrent": 1}
    assert parse_schedule_payload(payload).schedule.catch_up == CatchUp(56, 1)
    assert catch_up_rules(Pipeline(name="p", database="db", steps={}, schedule=Schedule(cron="0 6 ? * MON *")), SM) == []


def test_the_scheduled_run_starts_the_oldest_missed_period_first_and_one_at_a_time():
    sfn = StubSfn({"2026-01-05": "SUCCEEDED"})
    answer = on_schedule(scheduled("2026-02-02T06:00:00Z"), sfn, NO_RETRY)
    assert answer == {"current": "2026-02-02", "missed": ["2026-01-12", "2026-01-19", "2026-01-26"], "started": ["2026-01-12"]}
    assert json.loads(sfn.executions["2026-01-12"][1]) == {"runDate": "2026-01-12", "trigger": {"kind": "schedule", "catchUp": True}}


def test_an_ended_scheduled_run_starts_the_next_period_and_then_the_current_one():
    sfn = StubSfn({"2026-01-05": "SUCCEEDED", "2026-01-12": "SUCCEEDED", "2026-01-19": "SUCCEEDED", "2026-01-26": "SUCCEEDED"})
    (rule,) = catch_up_rules(CATCHING_UP, SM)
    ended_input = json.dumps(json.dumps({"runDate": "2026-01-26", "trigger": {"kind": "schedule", "catchUp": True}}))
    body = rule.input_template.replace("<time>", '"2026-02-02T06:20:00Z"').replace("<executionArn>", '"a"') \
        .replace("<status>", '"SUCCEEDED"').replace("<input>", ended_input)
    assert on_trigger_messages({"Records": [{"messageId": "m1", "body": body}]}, sfn, NO_RETRY) == {"batchItemFailures": []}
    assert sfn.started == [execution_name("2026-02-02")]
    assert json.loads(sfn.executions["2026-02-02"][1])["trigger"] == {"kind": "schedule", "catchUp": False}


def test_the_end_of_a_run_the_schedule_did_not_start_continues_nothing():
    (rule,) = catch_up_rules(CATCHING_UP, SM)
    backfilled = json.dumps(json.dumps({"runDate": "2026-01-05", "trigger": {"kind": "backfill"}}))
    payload = json.loads(rule.input_template.replace("<time>", '"2026-02-02T06:20:00Z"').replace("<executionArn>", '"a"')
                         .replace("<status>", '"SUCCEEDED"').replace("<input>", backfilled))
    with pytest.raises(NotScheduled):
        parse_schedule_payload(payload)
    sfn = StubSfn({"2026-01-05": "SUCCEEDED"})
    on_trigger_messages({"Records": [{"messageId": "m1", "body": json.dumps(payload)}]}, sfn, NO_RETRY)
    assert sfn.started == []


@pytest.mark.parametrize("change, problem", [
    ({"scheduledTime": "next monday"}, "not an ISO 8601 time"),
    ({"scheduledTime": "2026-02-02T06:00:00"}, "no time zone"),
    ({"schedule": {"rate": "7 days", "catchUp": {"horizonDays": 56}}}, "catchUp needs a cron schedule"),
    ({"schedule": {"cron": "0 6 * * MON *"}}, "question mark"),
    ({"schedule": {"cron": "0 6 ? * MON *", "timezone": "Mars/Olympus"}}, "schedule"),
])
def test_a_schedule_payload_that_can_never_start_anything_is_dropped(change, problem):
    payload = {**scheduled("2026-02-02T06:00:00Z"), **change}
    with pytest.raises(TriggerPayloadError, match=problem):
        parse_schedule_payload(payload)
    sfn = StubSfn()
    assert on_schedule(payload, sfn, NO_RETRY)["started"] == [] and sfn.started == []
