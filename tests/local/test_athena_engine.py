"""Athena query executions on the embedded AWS, really run by DuckDB."""

from __future__ import annotations

import time
import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

BUCKET = "local-athena-results"
RESULTS = f"s3://{BUCKET}/results/"
LONG_QUERY = "SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = 3"


@pytest.fixture(scope="module")
def s3(emulator):
    client = emulator.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture(scope="module")
def athena(emulator, s3):
    return emulator.client("athena")


def _start(athena, query: str, **kwargs: object) -> str:
    kwargs.setdefault("ResultConfiguration", {"OutputLocation": RESULTS})
    return athena.start_query_execution(QueryString=query, **kwargs)["QueryExecutionId"]


def _wait(athena, query_id: str, states=("SUCCEEDED", "FAILED", "CANCELLED"), timeout: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        if execution["Status"]["State"] in states:
            return execution
        time.sleep(0.05)
    raise AssertionError(f"query never reached {states}")


def _error_code(excinfo: pytest.ExceptionInfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_select_succeeds_and_writes_a_csv_with_header_to_s3(athena, s3):
    encryption = {"EncryptionOption": "SSE_S3"}
    query_id = _start(
        athena,
        "SELECT 40 + 2 AS answer, 'a,b' AS text, NULL AS nothing",
        QueryExecutionContext={"Database": "default"},
        ResultConfiguration={"OutputLocation": RESULTS, "EncryptionConfiguration": encryption},
    )
    execution = _wait(athena, query_id)

    assert execution["Status"]["State"] == "SUCCEEDED"
    location = execution["ResultConfiguration"]["OutputLocation"]
    assert location == f"{RESULTS}{query_id}.csv"
    assert execution["ResultConfiguration"]["EncryptionConfiguration"] == encryption
    assert execution["QueryExecutionContext"] == {"Database": "default"}
    assert execution["StatementType"] == "DML" and execution["WorkGroup"] == "primary"
    stats = execution["Statistics"]
    assert stats["TotalExecutionTimeInMillis"] >= stats["EngineExecutionTimeInMillis"] >= 0
    assert stats["DataScannedInBytes"] == 0 and "QueryQueueTimeInMillis" in stats
    assert execution["Status"]["SubmissionDateTime"] <= execution["Status"]["CompletionDateTime"]

    body = s3.get_object(Bucket=BUCKET, Key=f"results/{query_id}.csv")["Body"].read().decode()
    assert body == '"answer","text","nothing"\n"42","a,b",\n'  # Athena leaves a NULL empty, unquoted

    result_set = athena.get_query_results(QueryExecutionId=query_id)["ResultSet"]
    assert [[d.get("VarCharValue") for d in row["Data"]] for row in result_set["Rows"]] == [
        ["answer", "text", "nothing"],
        ["42", "a,b", None],
    ]
    assert [c["Type"] for c in result_set["ResultSetMetadata"]["ColumnInfo"]][:2] == ["integer", "varchar"]


def test_failed_query_reports_the_engine_message(athena):
    query_id = _start(athena, "SELECT * FROM no_such_table")
    execution = _wait(athena, query_id)
    assert execution["Status"]["State"] == "FAILED"
    assert "no_such_table" in execution["Status"]["StateChangeReason"]
    assert execution["Status"]["AthenaError"]["ErrorMessage"] == execution["Status"]["StateChangeReason"]
    with pytest.raises(ClientError) as excinfo:
        athena.get_query_results(QueryExecutionId=query_id)
    assert _error_code(excinfo) == "InvalidRequestException"


def test_stop_cancels_a_running_query(athena, s3):
    query_id = _start(athena, LONG_QUERY)
    _wait(athena, query_id, states=("RUNNING",))
    began = time.monotonic()
    athena.stop_query_execution(QueryExecutionId=query_id)

    execution = _wait(athena, query_id)
    assert execution["Status"]["State"] == "CANCELLED" and "CompletionDateTime" in execution["Status"]
    assert time.monotonic() - began < 2
    time.sleep(0.3)
    assert _wait(athena, query_id)["Status"]["State"] == "CANCELLED"
    with pytest.raises(ClientError):
        s3.head_object(Bucket=BUCKET, Key=f"results/{query_id}.csv")


def test_client_request_token_makes_start_idempotent(athena):
    token = uuid.uuid4().hex + uuid.uuid4().hex
    first = _start(athena, "SELECT 1 AS one", ClientRequestToken=token)
    again = _start(athena, "SELECT 1 AS one", ClientRequestToken=token)
    assert again == first
    assert athena.list_query_executions()["QueryExecutionIds"].count(first) == 1
    with pytest.raises(ClientError) as excinfo:
        _start(athena, "SELECT 2 AS two", ClientRequestToken=token)
    assert _error_code(excinfo) == "InvalidRequestException"


def test_batch_get_returns_fifty_and_lists_unknown_ids(athena):
    ids = [_start(athena, f"SELECT {n} AS n") for n in range(50)]
    found = athena.batch_get_query_execution(QueryExecutionIds=ids)
    assert [q["QueryExecutionId"] for q in found["QueryExecutions"]] == ids
    assert found["UnprocessedQueryExecutionIds"] == []

    unknown = str(uuid.uuid4())
    mixed = athena.batch_get_query_execution(QueryExecutionIds=[ids[0], unknown])
    assert [q["QueryExecutionId"] for q in mixed["QueryExecutions"]] == [ids[0]]
    (missing,) = mixed["UnprocessedQueryExecutionIds"]
    assert missing["QueryExecutionId"] == unknown and missing["ErrorCode"] and missing["ErrorMessage"]


def test_batch_get_refuses_more_than_fifty_ids(emulator):
    unchecked = emulator.client("athena", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as excinfo:
        unchecked.batch_get_query_execution(QueryExecutionIds=[str(uuid.uuid4()) for _ in range(51)])
    assert _error_code(excinfo) == "InvalidRequestException"


def test_output_location_comes_from_the_request_or_the_work_group(athena):
    with pytest.raises(ClientError) as excinfo:
        athena.start_query_execution(QueryString="SELECT 1")  # primary has no output location
    assert _error_code(excinfo) == "InvalidRequestException"

    group = f"wg-{uuid.uuid4().hex[:8]}"
    athena.create_work_group(Name=group, Configuration={"ResultConfiguration": {"OutputLocation": f"s3://{BUCKET}/{group}/"}})
    query_id = athena.start_query_execution(QueryString="SELECT 1 AS one", WorkGroup=group)["QueryExecutionId"]
    execution = _wait(athena, query_id)
    assert execution["Status"]["State"] == "SUCCEEDED" and execution["WorkGroup"] == group
    assert execution["ResultConfiguration"]["OutputLocation"] == f"s3://{BUCKET}/{group}/{query_id}.csv"

    with pytest.raises(ClientError) as excinfo:
        _start(athena, "SELECT 1", WorkGroup="no-such-group")
    assert _error_code(excinfo) == "InvalidRequestException"


def test_execution_parameters_are_bound_as_athena_literals(athena):
    query_id = _start(
        athena,
        "SELECT ? AS city, ? + 1 AS next_year, ? AS raw",
        ExecutionParameters=["'Lisboa'", "2021", "'); DROP TABLE x; --"],
    )
    assert _wait(athena, query_id)["ExecutionParameters"] == ["'Lisboa'", "2021", "'); DROP TABLE x; --"]
    rows = athena.get_query_results(QueryExecutionId=query_id)["ResultSet"]["Rows"]
    assert [d["VarCharValue"] for d in rows[1]["Data"]] == ["Lisboa", "2022", "'); DROP TABLE x; --"]


def test_get_query_results_pages(athena):
    query_id = _start(athena, "SELECT i FROM range(5) t(i) ORDER BY i")
    _wait(athena, query_id)
    first = athena.get_query_results(QueryExecutionId=query_id, MaxResults=4)
    second = athena.get_query_results(QueryExecutionId=query_id, MaxResults=4, NextToken=first["NextToken"])
    values = [row["Data"][0]["VarCharValue"] for page in (first, second) for row in page["ResultSet"]["Rows"]]
    assert values == ["i", "0", "1", "2", "3", "4"] and "NextToken" not in second


def test_named_queries_are_still_moto_s(athena):
    query_id = athena.create_named_query(Name="daily", Database="default", QueryString="SELECT 7 AS n")["NamedQueryId"]
    assert athena.get_named_query(NamedQueryId=query_id)["NamedQuery"]["QueryString"] == "SELECT 7 AS n"
    assert query_id in athena.list_named_queries()["NamedQueryIds"]


def test_an_unknown_named_query_id_is_an_invalid_request_as_on_aws(athena):
    with pytest.raises(athena.exceptions.InvalidRequestException, match="was not found"):
        athena.get_named_query(NamedQueryId="0b6c8a0e-1b2c-4d5e-8f90-123456789abc")
