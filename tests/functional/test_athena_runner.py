"""The Athena runner: a task runs a real query and reports its result and statistics."""

import json

import pytest

from support import (
    RESULTS_BUCKET, client, ensure_bucket, failure_of, make_activity, serving, settings_for, single_task_machine, start, unique,
    wait_execution, wait_for,
)

RESULTS = f"s3://{RESULTS_BUCKET}/athena/"


@pytest.fixture
def athena_worker(aws):
    ensure_bucket(RESULTS_BUCKET)
    activity = make_activity()
    with serving("athena", settings_for("athena", activity)) as worker:
        yield activity, worker


def test_query_success_reports_statistics_and_result_location(athena_worker):
    activity, _ = athena_worker
    execution = start(
        single_task_machine(activity),
        {"AthenaQueryString": "SELECT 40 + 2 AS answer", "AthenaDatabase": "default", "AthenaResultOutputLocation": RESULTS},
    )
    result = wait_execution(execution)
    assert result["status"] == "SUCCEEDED"
    output = json.loads(result["output"])
    assert output["State"] == "SUCCEEDED"
    assert output["OutputLocation"].startswith(RESULTS) and output["OutputLocation"].endswith(".csv")
    assert output["EngineExecutionTimeInMillis"] is not None and output["DataScannedInBytes"] is not None
    assert output["SubmissionDateTime"] and output["CompletionDateTime"]
    rows = client("athena").get_query_results(QueryExecutionId=output["QueryExecutionId"])["ResultSet"]["Rows"]
    assert rows[1]["Data"][0]["VarCharValue"] == "42"


def test_execution_parameters_are_bound_not_formatted(athena_worker):
    activity, _ = athena_worker
    execution = start(
        single_task_machine(activity),
        {"AthenaQueryString": "SELECT ? AS who", "ExecutionParameters": ["'); DROP TABLE x; --"], "AthenaResultOutputLocation": RESULTS},
    )
    output = json.loads(wait_execution(execution)["output"])
    rows = client("athena").get_query_results(QueryExecutionId=output["QueryExecutionId"])["ResultSet"]["Rows"]
    assert rows[1]["Data"][0]["VarCharValue"] == "'); DROP TABLE x; --"


def test_named_query_by_name(athena_worker):
    activity, _ = athena_worker
    name = unique("nq")
    client("athena").create_named_query(Name=name, Database="default", QueryString="SELECT 7 AS n")
    execution = start(single_task_machine(activity), {"AthenaNamedQuery": name, "AthenaResultOutputLocation": RESULTS})
    assert wait_execution(execution)["status"] == "SUCCEEDED"


def test_failed_query_reports_athena_query_failed_with_engine_message(athena_worker):
    activity, _ = athena_worker
    execution = start(single_task_machine(activity), {"AthenaQueryString": "SELECT * FROM no_such_table", "AthenaResultOutputLocation": RESULTS})
    assert wait_execution(execution)["status"] == "FAILED"
    failure = failure_of(execution)
    assert failure["error"] == "AthenaQueryFailedError"
    cause = json.loads(failure["cause"])
    assert cause["State"] == "FAILED" and "no_such_table" in cause["errorMessage"]


def test_cancelled_query_fails_the_task(athena_worker):
    activity, _ = athena_worker
    execution = start(
        single_task_machine(activity),
        {"AthenaQueryString": "SELECT count(*) FROM range(100000000000)", "AthenaResultOutputLocation": RESULTS},
    )
    athena = client("athena")

    def running_query():
        ids = athena.list_query_executions()["QueryExecutionIds"]
        states = athena.batch_get_query_execution(QueryExecutionIds=ids[:50])["QueryExecutions"] if ids else []
        return [q["QueryExecutionId"] for q in states if q["Status"]["State"] == "RUNNING" and "range(100000000000)" in q["Query"]]

    query_id = wait_for(running_query, message="the long query to run")[0]
    athena.stop_query_execution(QueryExecutionId=query_id)
    assert wait_execution(execution)["status"] == "FAILED"
    failure = failure_of(execution)
    assert failure["error"] == "AthenaQueryFailedError" and json.loads(failure["cause"])["State"] == "CANCELLED"


def test_query_refused_at_start_is_job_start_failed(athena_worker):
    activity, _ = athena_worker
    # No output location and the primary work group has none: Athena refuses to start.
    execution = start(single_task_machine(activity), {"AthenaQueryString": "SELECT 1"})
    assert wait_execution(execution)["status"] == "FAILED"
    assert failure_of(execution)["error"] == "JobStartFailedError"
