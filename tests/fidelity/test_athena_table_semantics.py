"""Trino semantics over catalog table columns, where the types come from the Glue Data Catalog.

The function corpus uses literals; a data engineer's queries read table
columns. Here a delimited text table with typed columns is queried through
real boto3 calls, and each expected value is computed by hand from the
Trino rules the function reference documents (decimal division keeps a
decimal, date arithmetic on a date column stays a date, doubles print as
Java does, timestamps of a Hive table have milliseconds).
"""

from __future__ import annotations

import time
import uuid

import pytest

RESULTS_BUCKET = "athena-table-semantics-results"
RESULTS = f"s3://{RESULTS_BUCKET}/q/"
ROWS = "1|10.00|0.00001|2020-01-31|2020-01-02 03:04:05|alpha\n2|2.50|12345678.9|2020-02-29|2020-01-02 03:04:05.5|beta\n"


@pytest.fixture(scope="module")
def table(embedded_aws):
    s3, athena = embedded_aws.client("s3"), embedded_aws.client("athena")
    data_bucket = f"athena-table-semantics-{uuid.uuid4().hex[:8]}"
    for bucket in (RESULTS_BUCKET, data_bucket):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=data_bucket, Key="items/part-0.txt", Body=ROWS.encode())
    database = f"sem_{uuid.uuid4().hex[:8]}"
    for ddl in (
        f"CREATE DATABASE {database}",
        f"CREATE EXTERNAL TABLE {database}.items (id int, price decimal(10,2), ratio double, d date, ts timestamp, name string) "
        f"ROW FORMAT DELIMITED FIELDS TERMINATED BY '|' LOCATION 's3://{data_bucket}/items/'",
    ):
        assert _run(athena, ddl, database)["Status"]["State"] == "SUCCEEDED"
    return athena, database


def _run(athena, sql: str, database: str = "default") -> dict:
    query_id = athena.start_query_execution(
        QueryString=sql,
        QueryExecutionContext={"Database": database},
        ResultConfiguration={"OutputLocation": RESULTS},
    )["QueryExecutionId"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        if execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return execution
        time.sleep(0.02)
    raise AssertionError("query did not finish")


def _result(table, sql: str) -> tuple[list[list[str | None]], list[tuple[str, int, int]]]:
    athena, database = table
    execution = _run(athena, sql, database)
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"].get("StateChangeReason")
    result = athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])["ResultSet"]
    rows = [[d.get("VarCharValue") for d in row["Data"]] for row in result["Rows"][1:]]
    info = [(c["Type"], c["Precision"], c["Scale"]) for c in result["ResultSetMetadata"]["ColumnInfo"]]
    return rows, info


def test_columns_render_with_their_catalog_types(table):
    rows, info = _result(table, "SELECT id, price, ratio, d, ts, name FROM items ORDER BY id")
    assert rows == [
        ["1", "10.00", "1.0E-5", "2020-01-31", "2020-01-02 03:04:05.000", "alpha"],
        ["2", "2.50", "1.23456789E7", "2020-02-29", "2020-01-02 03:04:05.500", "beta"],
    ]
    assert info == [
        ("integer", 10, 0), ("decimal", 10, 2), ("double", 17, 0), ("date", 0, 0), ("timestamp", 3, 0),
        ("varchar", 2147483647, 0),
    ]


def test_a_decimal_column_divided_stays_a_decimal(table):
    # decimal(10,2) / integer(as decimal(10,0)): precision 10 + 0 + 0, scale 2; 10.00 / 3 = 3.33, 2.50 / 3 = 0.83
    rows, info = _result(table, "SELECT price / 3 FROM items ORDER BY id")
    assert rows == [["3.33"], ["0.83"]] and info == [("decimal", 10, 2)]


def test_date_arithmetic_on_a_date_column_stays_a_date(table):
    rows, info = _result(table, "SELECT date_add('month', 1, d), d + INTERVAL '1' DAY FROM items ORDER BY id")
    assert rows == [["2020-02-29", "2020-02-01"], ["2020-03-29", "2020-03-01"]]
    assert info == [("date", 0, 0), ("date", 0, 0)]


def test_text_of_a_double_column_is_java_s(table):
    rows, _ = _result(table, "SELECT CAST(ratio AS VARCHAR), typeof(price), typeof(name) FROM items ORDER BY id")
    assert rows == [["1.0E-5", "decimal(10,2)", "varchar"], ["1.23456789E7", "decimal(10,2)", "varchar"]]


def test_aggregates_over_columns(table):
    rows, _ = _result(table, "SELECT map_agg(name, id), array_agg(name ORDER BY id), sum(price), max(ts) FROM items")
    assert rows == [["{alpha=1, beta=2}", "[alpha, beta]", "12.50", "2020-01-02 03:04:05.500"]]
