"""Completion by events: a run's Glue or Athena state change event reports its
task at once, with no status call; a lost event is made up for by the sweep;
a repeated or late one changes nothing; a worker killed between taking an
event and reporting it loses nothing."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections import Counter

import pytest

from support import (
    SLEEP_SCRIPT, client, event_counts, glue_runs, lifecycle_for, make_activity, make_glue_job, results_location, serving,
    settings_for, single_task_machine, spawn_worker, start, unique, wait_execution, wait_for,
)
from runners.aws import AwsClients
from runners.events_consumer import EventConsumer
from runners.local.job_events import deploy_job_events, events_settings, remove_job_events
from runners.service import on_job_event_messages
from runners.state import REPORTING, RUNNING

STATUS_CALLS = {"glue": {"GetJobRun", "GetJobRuns"}, "athena": {"GetQueryExecution", "BatchGetQueryExecution"}}
NO_SWEEP = 3600.0  # sweeps never come round during the test (the one at start-up still runs)


@pytest.fixture
def events_queue(aws):
    """Per kind, the queue and rule the stacks create, with a short visibility
    timeout (a message a killed worker took comes back in 2 s); removed after."""
    made = {}

    def make(kind: str):
        made.update(deploy_job_events(client, unique("ev"), kinds=(kind,), visibility_seconds=2))
        return made[kind]

    yield make
    remove_job_events(client, made)
    aws.service_event_faults.clear()


def counted(settings, kind: str) -> tuple[AwsClients, Counter]:
    clients, calls = AwsClients(settings), Counter()
    clients.client(kind).meta.events.register(f"before-call.{kind}.*", lambda model, **_: calls.update([model.name]))
    return clients, calls


def task_for(kind: str, seconds: float = 0.5) -> dict:
    if kind == "glue":
        return {"GlueJobName": make_glue_job(SLEEP_SCRIPT, max_concurrent_runs=5), "Arguments": {"--seconds": str(seconds)}}
    return {"AthenaQueryString": "SELECT 1 AS one", "AthenaResultOutputLocation": results_location("job-events")}


def ended(event: dict) -> bool:
    return event["detail"].get("state", event["detail"].get("currentState")) in ("SUCCEEDED", "FAILED", "CANCELLED", "STOPPED", "TIMEOUT")


def ends_of(task: dict):
    """Matches the end events of this task's runs only: a run another test
    left behind may end meanwhile (Athena: every query's end, while armed)."""
    job = task.get("GlueJobName")
    return lambda event: ended(event) and (job is None or event["detail"].get("jobName") == job)


@pytest.mark.parametrize("kind", ["glue", "athena"])
def test_a_task_is_reported_from_its_event_with_no_status_call_in_between(aws, events_queue, kind):
    activity = make_activity()
    settings = settings_for(kind, activity, sweep_interval_seconds=NO_SWEEP, describe_on_event=frozenset(),
                            **events_settings({kind: events_queue(kind)}))
    clients, calls = counted(settings, kind)
    execution = start(single_task_machine(activity), task_for(kind))
    with serving(kind, settings, clients) as worker:
        result = wait_execution(execution, timeout=30)
        wait_for(lambda: worker.events.stats.reported == 1, timeout=5, message="the consumer to count its report")
    assert result["status"] == "SUCCEEDED"
    assert not set(calls) & STATUS_CALLS[kind], calls
    output = json.loads(result["output"])
    if kind == "glue":
        (run,) = glue_runs(output["JobName"])
        assert (output["JobRunId"], output["JobRunState"]) == (run["Id"], "SUCCEEDED") and output["StartedOn"] and output["CompletedOn"]
    else:
        assert output["State"] == "SUCCEEDED" and output["OutputLocation"].endswith(f"{output['QueryExecutionId']}.csv")
    assert event_counts(execution)["ActivitySucceeded"] == 1


def test_by_default_an_athena_task_is_described_once_after_its_end_so_its_output_has_the_querys_figures(aws, events_queue):
    activity = make_activity()
    settings = settings_for("athena", activity, sweep_interval_seconds=NO_SWEEP, **events_settings({"athena": events_queue("athena")}))
    clients, calls = counted(settings, "athena")
    execution = start(single_task_machine(activity), task_for("athena"))
    with serving("athena", settings, clients) as worker:
        result = wait_execution(execution, timeout=30)
        wait_for(lambda: worker.events.stats.reported == 1, timeout=5, message="the consumer to count its report")
    assert result["status"] == "SUCCEEDED"
    assert Counter({k: v for k, v in calls.items() if k in STATUS_CALLS["athena"]}) == Counter({"BatchGetQueryExecution": 1}), calls
    output = json.loads(result["output"])
    described = client("athena").get_query_execution(QueryExecutionId=output["QueryExecutionId"])["QueryExecution"]
    assert output["DataScannedInBytes"] == described["Statistics"]["DataScannedInBytes"]
    assert output["EngineExecutionTimeInMillis"] is not None
    assert output["OutputLocation"] == described["ResultConfiguration"]["OutputLocation"]


def test_a_failed_run_is_reported_from_its_event_with_the_services_own_error(aws, events_queue):
    activity = make_activity()
    settings = settings_for("glue", activity, sweep_interval_seconds=NO_SWEEP, **events_settings({"glue": events_queue("glue")}))
    job = make_glue_job(SLEEP_SCRIPT)
    execution = start(single_task_machine(activity), {"GlueJobName": job, "Arguments": {"--fail": "row 7 has no date"}})
    with serving("glue", settings) as worker:
        result = wait_execution(execution, timeout=30)
        wait_for(lambda: worker.events.stats.reported == 1, timeout=5, message="the consumer to count its report")
    assert result["status"] == "FAILED"
    (failed,) = [e for e in client("stepfunctions").get_execution_history(executionArn=execution)["events"] if e["type"] == "ActivityFailed"]
    cause = json.loads(failed["activityFailedEventDetails"]["cause"])
    assert failed["activityFailedEventDetails"]["error"] == "GlueJobFailedError"
    assert "row 7 has no date" in cause["errorMessage"] and cause["JobRunState"] == "FAILED"


@pytest.mark.parametrize("kind", ["glue", "athena"])
def test_a_dropped_event_is_caught_by_the_sweep(aws, events_queue, kind):
    activity = make_activity()
    settings = settings_for(kind, activity, sweep_interval_seconds=1.0, **events_settings({kind: events_queue(kind)}))
    clients, calls = counted(settings, kind)
    task = task_for(kind)
    aws.service_event_faults.drop(source=f"aws.{kind}", match=ends_of(task), times=None)
    execution = start(single_task_machine(activity), task)
    with serving(kind, settings, clients) as worker:
        result = wait_execution(execution, timeout=30)
        assert worker.events.stats.reported == 0
    assert {a for a, *_ in aws.service_event_faults.applied} == {"drop"}
    assert result["status"] == "SUCCEEDED"
    assert set(calls) & STATUS_CALLS[kind], "the sweep asked the service"
    assert event_counts(execution)["ActivitySucceeded"] == 1


def test_a_glue_end_that_sends_no_event_is_caught_by_the_sweep(aws, events_queue):
    """Glue documents no event for ERROR or EXPIRED."""
    activity = make_activity()
    settings = settings_for("glue", activity, sweep_interval_seconds=1.0, **events_settings({"glue": events_queue("glue")}))
    job = make_glue_job(SLEEP_SCRIPT)
    execution = start(single_task_machine(activity), {"GlueJobName": job, "Arguments": {"--seconds": "60"}})
    with serving("glue", settings):
        wait_for(lambda: [r for r in glue_runs(job) if r["JobRunState"] == "RUNNING"], message="the run")
        aws.glue.force_run_state(job, glue_runs(job)[0]["Id"], "ERROR", "the job was deleted")
        result = wait_execution(execution, timeout=30)
    assert result["status"] == "FAILED"
    assert event_counts(execution)["ActivityFailed"] == 1


@pytest.mark.parametrize("fault", ["duplicate", "late"])
def test_a_repeated_or_late_event_after_the_report_changes_nothing(aws, events_queue, fault):
    activity = make_activity()
    queue = events_queue("glue")
    # A late event comes after the sweep (every 0.5 s) has reported the task.
    settings = settings_for("glue", activity, sweep_interval_seconds=NO_SWEEP if fault == "duplicate" else 0.5,
                            **events_settings({"glue": queue}))
    task = task_for("glue")
    if fault == "duplicate":
        aws.service_event_faults.duplicate(source="aws.glue", match=ends_of(task))
    else:
        aws.service_event_faults.delay(3.0, source="aws.glue", match=ends_of(task))
    execution = start(single_task_machine(activity), task)
    with serving("glue", settings) as worker:
        assert wait_execution(execution, timeout=30)["status"] == "SUCCEEDED"
        # Every message is taken and deleted, and nothing else is reported.
        wait_for(lambda: worker.events.stats.received == (2 if fault == "duplicate" else 1), timeout=15, message="the events")
        wait_for(lambda: not client("sqs").receive_message(QueueUrl=queue.queue_url, VisibilityTimeout=0).get("Messages"),
                 timeout=15, message="the queue to be empty")
        assert worker.events.stats.reported == (1 if fault == "duplicate" else 0)
        assert worker.events.stats.retried == 0 and worker.events.stats.errors == 0
    counts = event_counts(execution)
    assert counts["ActivitySucceeded"] == 1 and counts["ExecutionSucceeded"] == 1
    assert not list(lifecycle_for("glue", settings).store.scan())


def test_an_event_that_beats_its_record_is_tried_again_until_the_record_has_its_run(aws, events_queue):
    """A query can end before its starter has written the run id down; the
    consumer keeps the event and tries again, briefly."""
    queue = events_queue("glue")
    settings = settings_for("glue", "arn:aws:states:us-east-1:123456789012:activity:unused", **events_settings({"glue": queue}))
    lifecycle = lifecycle_for("glue", settings)
    run_id = f"jr_{unique('early')}"
    body = {"version": "0", "id": unique("e"), "detail-type": "Glue Job State Change", "source": "aws.glue", "account": "123456789012",
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "region": "us-east-1", "resources": [],
            "detail": {"jobName": "J", "severity": "INFO", "state": "SUCCEEDED", "jobRunId": run_id, "message": "Job run succeeded"}}
    client("sqs").send_message(QueueUrl=queue.queue_url, MessageBody=json.dumps(body))
    consumer = EventConsumer(lifecycle, lifecycle.events)
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_for(lambda: consumer.stats.received == 1, message="the event")
        time.sleep(0.5)
        # Only now is the run written down (a fake token: its report only cleans up).
        record = lifecycle.store.create(f"fake-token-{unique('t')}", json.dumps({"GlueJobName": "J"}))
        record.update(actions=[lifecycle.store.model.phase.set(RUNNING), lifecycle.store.model.run_id.set(run_id),
                               lifecycle.store.model.run_group.set("J")])
        wait_for(lambda: consumer.stats.reported == 1, timeout=10, message="the early event to report its task")
    finally:
        stop.set()
        thread.join(timeout=25)
    assert lifecycle.store.get(record.task_id) is None


def test_the_lambda_handler_reports_from_an_sqs_batch_and_a_repeated_batch_changes_nothing(aws, events_queue):
    queue = events_queue("athena")
    activity = make_activity()
    settings = settings_for("athena", activity, **events_settings({"athena": queue}))
    execution = start(single_task_machine(activity), task_for("athena"))
    taker = lifecycle_for("athena", settings)  # what a run-once invocation does: take the task and start it
    assert wait_for(lambda: taker.poll_once(activity), message="the task")
    sqs = client("sqs")
    messages = wait_for(lambda: sqs.receive_message(QueueUrl=queue.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages"),
                        message="the query's event")
    batch = {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                          "eventSource": "aws:sqs"} for m in messages]}

    assert on_job_event_messages(batch, settings) == {"batchItemFailures": []}
    assert wait_execution(execution, timeout=10)["status"] == "SUCCEEDED"
    assert on_job_event_messages(batch, settings) == {"batchItemFailures": []}
    assert event_counts(execution)["ActivitySucceeded"] == 1


@pytest.mark.parametrize("point", ["event_received", "before_report"])
def test_killed_between_receiving_an_event_and_reporting_loses_nothing(aws, events_queue, point):
    activity = make_activity()
    settings = settings_for("glue", activity, sweep_interval_seconds=NO_SWEEP, **events_settings({"glue": events_queue("glue")}))
    job = make_glue_job(SLEEP_SCRIPT)
    execution = start(single_task_machine(activity, heartbeat=30), {"GlueJobName": job, "Arguments": {"--seconds": "0.5"}})

    doomed = spawn_worker("glue", settings, ETL_FAILPOINT=point)
    assert doomed.wait(timeout=60) == -signal.SIGKILL, doomed.stderr.read()
    (left,) = list(lifecycle_for("glue", settings).store.scan())
    assert left.phase == {"event_received": RUNNING, "before_report": REPORTING}[point]

    survivor = spawn_worker("glue", settings)
    try:
        result = wait_execution(execution, timeout=60)
        wait_for(lambda: not list(lifecycle_for("glue", settings).store.scan()), message="the record to be forgotten")
    finally:
        survivor.terminate()
        survivor.wait(timeout=60)
    assert result["status"] == "SUCCEEDED"
    assert len(glue_runs(job)) == 1
    counts = event_counts(execution)
    assert counts["ActivityScheduled"] == 1 and counts["ActivitySucceeded"] == 1


def test_one_scheduled_function_takes_the_tasks_of_every_runner_and_the_next_invocation_reports_them(aws, monkeypatch):
    from runners import handlers

    settings = {kind: settings_for(kind, make_activity()) for kind in ("glue", "athena")}
    for kind, s in settings.items():
        lifecycle_for(kind, s)  # the tables (the stack creates them on AWS)
        monkeypatch.setenv(f"ETL_{kind.upper()}_ACTIVITY_ARN", s.activity_arn(kind))
        monkeypatch.setenv(f"ETL_{kind.upper()}_TABLE", s.table_name(kind))
    monkeypatch.setenv("ETL_RUN_ONCE_BUDGET_SECONDS", "73")  # polls for about 3 s (the embedded AWS's long polls last 1 s)
    executions = {kind: start(single_task_machine(s.activity_arn(kind)), task_for(kind)) for kind, s in settings.items()}

    first = handlers.all_runners({}, None)
    assert {kind: result["received"] for kind, result in first.items()} == {"glue": 1, "athena": 1}
    time.sleep(1.5)  # the runs end
    handlers.all_runners({}, None)
    for execution in executions.values():
        assert wait_execution(execution, timeout=10)["status"] == "SUCCEEDED"
