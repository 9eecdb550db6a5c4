"""Reading an ended execution back: the failed state, each step's sources and
outputs, and the report's subject and body."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from runners.execution_report import build_report, partition_of, waits_before
from runners.pipeline_notify import MAX_SUBJECT, compose, subject
from runners import lineage

T0 = datetime(2026, 11, 30, 6, 0, tzinfo=timezone.utc)
WAIT = {"Bucket": "data", "Pattern": "raw/orders/2026-11-30/*.csv"}
CLEAN = {"GlueJobName": "clean-orders", "Arguments": {"--input_path": "s3://data/raw/orders/2026-11-30/",
                                                     "--output_path": "s3://data/clean/orders/run_date=2026-11-30/", "--TempDir": "s3://tmp/x/"}}
DEFINITION = {"StartAt": "Parallel 1", "States": {
    "Parallel 1": {"Type": "Parallel", "Next": "Clean Orders", "Branches": [
        {"StartAt": "Wait For Orders", "States": {"Wait For Orders": {"Type": "Task", "Parameters": {"Bucket": "data", "Pattern.$": "x"}, "End": True}}},
        {"StartAt": "Create Table", "States": {"Create Table": {"Type": "Task", "Parameters": {"AthenaQueryString": "CREATE"}, "End": True}}}]},
    "Clean Orders": {"Type": "Task", "Next": "Store Revenue"},
    "Store Revenue": {"Type": "Task", "End": True},
}}


class History:
    def __init__(self) -> None:
        self.events: list[dict] = []

    def add(self, kind: str, previous: int, **details) -> int:
        event = {"id": len(self.events) + 1, "previousEventId": previous, "type": kind, "timestamp": T0 + timedelta(seconds=len(self.events))}
        event.update(details)
        self.events.append(event)
        return event["id"]

    def task(self, name: str, previous: int, task_input: dict, outcome: list[tuple[str, dict]]) -> int:
        last = self.add("TaskStateEntered", previous, stateEnteredEventDetails={"name": name, "input": "{}"})
        for kind, details in outcome:
            last = self.add("ActivityScheduled", last, activityScheduledEventDetails={"resource": "arn:activity", "input": json.dumps(task_input)})
            last = self.add(kind, last, **details)
        return last


def failed_run() -> tuple[dict, list[dict]]:
    h = History()
    start = h.add("ExecutionStarted", 0, executionStartedEventDetails={"input": '{"runDate": "2026-11-30"}'})
    objects = {"Bucket": "data", "Objects": [{"Bucket": "data", "Key": "raw/orders/2026-11-30/a.csv", "Size": 10, "ETag": "e1"}]}
    waited = h.task("Wait For Orders", start, WAIT, [("ActivitySucceeded", {"activitySucceededEventDetails": {"output": json.dumps(objects)}})])
    h.add("TaskStateExited", waited, stateExitedEventDetails={"name": "Wait For Orders", "output": "{}"})
    failure = {"activityFailedEventDetails": {"error": "GlueJobFailedError", "cause": json.dumps({"errorMessage": "division by zero", "JobRunId": "jr_2"})}}
    timeout = {"activityTimedOutEventDetails": {"error": "States.Timeout", "cause": ""}}
    last = h.task("Clean Orders", waited, CLEAN, [("ActivityTimedOut", timeout), ("ActivityFailed", failure)])  # retried, then failed
    notify = h.add("TaskStateEntered", last, stateEnteredEventDetails={"name": "Notify Failure", "input": "{}"})
    h.add("ExecutionFailed", notify, executionFailedEventDetails={"error": "GlueJobFailedError", "cause": "{}"})
    described = {"executionArn": "arn:aws:states:us-east-1:123456789012:execution:etl-orders:2026-11-30", "name": "2026-11-30",
                 "status": "FAILED", "input": '{"runDate": "2026-11-30"}', "startDate": T0, "stopDate": T0 + timedelta(minutes=3, seconds=5),
                 "error": "GlueJobFailedError", "cause": "{}"}
    return described, h.events


def test_the_failed_state_is_the_one_whose_last_failure_ended_the_run_with_its_error_and_run_id():
    report = build_report(*failed_run(), DEFINITION, "orders-daily")
    assert report.failed_states == ["Clean Orders"] and report.error == "GlueJobFailedError"
    clean = next(t for t in report.tasks if t.state == "Clean Orders")
    assert (clean.kind, clean.status, clean.attempts, clean.run_id) == ("glue", "FAILED", 2, "jr_2")
    assert [s.key for s in clean.sources] == ["raw/orders/2026-11-30/a.csv"] and clean.outputs == []  # a failed job wrote nothing we count


def test_the_report_names_pipeline_run_date_status_failed_state_error_cause_and_duration():
    note = compose(build_report(*failed_run(), DEFINITION, "orders-daily"))
    assert note.subject == "[etl-runner] orders-daily 2026-11-30 FAILED at Clean Orders"
    assert "Failed at:  Clean Orders" in note.body and "Cause:      division by zero" in note.body and "Duration:   3m 05s" in note.body
    assert note.facts["failedStates"] == ["Clean Orders"] and note.facts["durationSeconds"] == 185.0


def test_a_succeeded_glue_step_wrote_its_output_arguments_scoped_to_the_run_date_not_its_temp_dir():
    described, events = failed_run()
    events = [e for e in events if e["type"] not in ("ActivityFailed", "ExecutionFailed")]
    ok = {"activitySucceededEventDetails": {"output": json.dumps({"JobRunId": "jr_3", "JobRunState": "SUCCEEDED"})}}
    clean_entered = next(e["id"] for e in events if e.get("stateEnteredEventDetails", {}).get("name") == "Clean Orders")
    scheduled = max(e["id"] for e in events if e["type"] == "ActivityScheduled")
    events.append({"id": 100, "previousEventId": scheduled, "type": "ActivitySucceeded", "timestamp": T0, **ok})
    events.append({"id": 101, "previousEventId": 100, "type": "TaskStateExited", "timestamp": T0, "stateExitedEventDetails": {"name": "Clean Orders"}})
    report = build_report({**described, "status": "SUCCEEDED"}, events, DEFINITION, "orders-daily")
    clean = next(t for t in report.tasks if t.state == "Clean Orders")
    assert clean_entered and [(o.location, o.partition) for o in clean.outputs] == [("s3://data/clean/orders/run_date=2026-11-30/", "run_date=2026-11-30")]
    lines = lineage.records(report)
    assert {(l["edge"], l.get("source_key") or l.get("output_location")) for l in lines} == {
        ("read", "raw/orders/2026-11-30/a.csv"), ("write", "s3://data/clean/orders/run_date=2026-11-30/")}
    assert subject(report).startswith("[etl-runner] orders-daily 2026-11-30 SUCCEEDED in ")


def test_waits_before_follows_parallels_and_the_subject_stays_within_the_sns_limit():
    before = waits_before(DEFINITION)
    assert before["Clean Orders"] == {"Wait For Orders"} and before["Create Table"] == set()
    report = build_report(*failed_run(), DEFINITION, "p" * 40)
    report.failed_states = ["A very long state name that goes on " * 3]
    assert len(subject(report)) == MAX_SUBJECT and subject(report).endswith("...")
    assert partition_of("s3://b/x/year=2026/month=11/") == "year=2026/month=11" and partition_of("s3://b/x/") is None
