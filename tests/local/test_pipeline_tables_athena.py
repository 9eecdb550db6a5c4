"""The generated table DDL runs on the embedded Athena as the state machine
runs it: placeholders filled, one statement per query, then data is queryable."""

from __future__ import annotations

import time

import duckdb
import pytest

from runners.pipelines.model import Pipeline, Step, Table
from runners.pipelines.tables import create_database_sql, create_table_sql, drop_table_sql, repair_partitions_sql
from support import client, ensure_bucket, results_location, unique

TABLES = (
    Table("joined", "joined/x/", (("date", "date"), ("visits", "bigint")), partitioned_by=(("run_date", "string"),)),
    Table("raw_csv", "raw/csv/", (("day", "string"), ("n", "integer")), format="csv", header=True, description="it's a CSV"),
    Table("piped", "raw/piped", (("day", "string"), ("n", "int")), format="text", delimiter="|"),
    Table("events", "raw/json/", (("id", "bigint"), ("tags", "array<string>")), format="json"),
)


@pytest.fixture
def deployment(embedded_aws):
    bucket = unique("tables-data")
    ensure_bucket(bucket)
    database = unique("tables").replace("-", "_")
    pipeline = Pipeline(name="tables", database=database, steps={"s": Step("s", "S")}, tables={t.name: t for t in TABLES})
    return pipeline, {"${AthenaDatabase}": database, "${DataBucket}": bucket}, results_location(unique("tables"))


def fill(sql: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        sql = sql.replace(placeholder, value)
    return sql


def finish(sql: str, values: dict[str, str], output: str) -> tuple[str, dict]:
    """(query id, final status) of one statement, as the Athena runner sees it."""
    athena = client("athena")
    query_id = athena.start_query_execution(QueryString=fill(sql, values), ResultConfiguration={"OutputLocation": output})["QueryExecutionId"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
        if status["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return query_id, status
        time.sleep(0.01)
    raise AssertionError(f"{sql} did not finish in 30 s")


def run(sql: str, values: dict[str, str], output: str) -> list[list[str | None]]:
    query_id, status = finish(sql, values, output)
    assert status["State"] == "SUCCEEDED", f"{sql}: {status.get('StateChangeReason')}"
    rows = client("athena").get_query_results(QueryExecutionId=query_id)["ResultSet"]["Rows"]
    return [[d.get("VarCharValue") for d in row["Data"]] for row in rows]


def parquet(tmp_path, select: str) -> bytes:
    path = tmp_path / "part.parquet"
    duckdb.connect().execute(f"COPY ({select}) TO '{path}' (FORMAT PARQUET)")
    return path.read_bytes()


def test_generated_ddl_creates_queryable_tables_in_every_text_format(deployment):
    pipeline, values, output = deployment
    bucket, database = values["${DataBucket}"], values["${AthenaDatabase}"]
    s3 = client("s3")
    run(create_database_sql(pipeline), values, output)
    run(create_database_sql(pipeline), values, output)  # IF NOT EXISTS: a rerun is harmless
    for table in TABLES:
        run(create_table_sql(pipeline, table), values, output)
        run(create_table_sql(pipeline, table), values, output)
    s3.put_object(Bucket=bucket, Key="raw/csv/a.csv", Body=b"day,n\n2026-01-01,3\n2026-01-02,4\n")
    s3.put_object(Bucket=bucket, Key="raw/piped/a.txt", Body=b"2026-01-01|7\n")
    s3.put_object(Bucket=bucket, Key="raw/json/a.json", Body=b'{"id": 1, "tags": ["a", "b"]}\n')

    assert run(f"SELECT day, n FROM {database}.raw_csv ORDER BY day", values, output)[1:] == [["2026-01-01", "3"], ["2026-01-02", "4"]]
    assert run(f"SELECT n FROM {database}.piped", values, output)[1:] == [["7"]]
    assert run(f"SELECT id, cardinality(tags) FROM {database}.events", values, output)[1:] == [["1", "2"]]
    glue_table = client("glue").get_table(DatabaseName=database, Name="raw_csv")["Table"]
    assert glue_table["Parameters"]["skip.header.line.count"] == "1"
    assert glue_table["StorageDescriptor"]["Location"] == f"s3://{bucket}/raw/csv/"


def test_partitions_are_repaired_and_a_drop_and_create_applies_a_changed_schema(deployment, tmp_path):
    pipeline, values, output = deployment
    bucket, database = values["${DataBucket}"], values["${AthenaDatabase}"]
    s3 = client("s3")
    run(create_database_sql(pipeline), values, output)
    run(create_table_sql(pipeline, "joined"), values, output)
    s3.put_object(Bucket=bucket, Key="joined/x/run_date=2026-11-16/part-0.parquet",
                  Body=parquet(tmp_path, "SELECT DATE '2026-11-16' AS date, 5::BIGINT AS visits, 'extra' AS note"))
    assert run(f"SELECT count(*) FROM {database}.joined", values, output)[1:] == [["0"]]  # not registered yet
    run(repair_partitions_sql(pipeline, "joined"), values, output)
    assert run(f"SELECT run_date, visits FROM {database}.joined", values, output)[1:] == [["2026-11-16", "5"]]

    changed = Table("joined", "joined/x/", (("date", "date"), ("visits", "bigint"), ("note", "string")), partitioned_by=(("run_date", "string"),))
    run(drop_table_sql(pipeline, "joined"), values, output)
    run(create_table_sql(pipeline, changed), values, output)
    run(repair_partitions_sql(pipeline, changed), values, output)
    assert run(f"SELECT note FROM {database}.joined", values, output)[1:] == [["extra"]]
    assert s3.list_objects_v2(Bucket=bucket, Prefix="joined/x/")["KeyCount"] == 1  # DROP kept the data


def test_orc_tables_are_refused_locally_as_not_supported(deployment):
    pipeline, values, output = deployment
    orc = Table("o", "o/", (("a", "int"),), format="orc")
    run(create_database_sql(pipeline), values, output)
    _, status = finish(create_table_sql(pipeline, orc), values, output)
    assert status["State"] == "FAILED" and "not supported by the local Athena engine" in status["StateChangeReason"]
