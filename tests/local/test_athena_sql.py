"""Athena SQL on the embedded AWS: Hive DDL in the Glue Data Catalog, SELECTs over S3 data.

Every statement goes through real boto3 calls (StartQueryExecution,
GetQueryExecution, GetQueryResults, Glue GetTable/GetPartitions, S3), the
way the pipeline's Athena step makes them.
"""

from __future__ import annotations

import csv
import datetime
import io
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest
from botocore.exceptions import ClientError

from support import client, ensure_bucket, results_location, unique

TERMINAL = ("SUCCEEDED", "FAILED", "CANCELLED")


class Athena:
    """Runs one statement at a time and waits for it, as the pipeline's Athena task does."""

    def __init__(self, database: str, output: str):
        self.client = client("athena")
        self.database = database
        self.output = output

    def start(self, sql: str, parameters: list[str] | None = None, database: str | None = None) -> str:
        kwargs: dict[str, Any] = {
            "QueryString": sql,
            "QueryExecutionContext": {"Database": database or self.database},
            "ResultConfiguration": {"OutputLocation": self.output},
        }
        if parameters:
            kwargs["ExecutionParameters"] = parameters
        return self.client.start_query_execution(**kwargs)["QueryExecutionId"]

    def wait(self, query_id: str, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            execution = self.client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
            if execution["Status"]["State"] in TERMINAL:
                return execution
            time.sleep(0.01)
        raise AssertionError(f"query {query_id} did not finish in {timeout}s")

    def run(self, sql: str, parameters: list[str] | None = None, database: str | None = None) -> dict:
        execution = self.wait(self.start(sql, parameters, database))
        state = execution["Status"]["State"]
        assert state == "SUCCEEDED", f"{sql!r} ended {state}: {execution['Status'].get('StateChangeReason')}"
        return execution

    def fail(self, sql: str, parameters: list[str] | None = None, database: str | None = None) -> str:
        execution = self.wait(self.start(sql, parameters, database))
        assert execution["Status"]["State"] == "FAILED", f"{sql!r} did not fail"
        reason = execution["Status"]["StateChangeReason"]
        assert execution["Status"]["AthenaError"]["ErrorMessage"] == reason
        return reason

    def rows(self, sql: str, parameters: list[str] | None = None, database: str | None = None) -> list[list[str | None]]:
        """Result rows as GetQueryResults returns them (header first for SELECTs)."""
        query_id = self.run(sql, parameters, database)["QueryExecutionId"]
        result = self.client.get_query_results(QueryExecutionId=query_id)["ResultSet"]
        return [[d.get("VarCharValue") for d in row["Data"]] for row in result["Rows"]]

    def result_set(self, query_id: str) -> dict:
        return self.client.get_query_results(QueryExecutionId=query_id)["ResultSet"]


@pytest.fixture
def names(embedded_aws) -> dict[str, str]:
    """A fresh database, data bucket and result location for one test."""
    bucket = unique("athena-data")
    ensure_bucket(bucket)
    return {"db": unique("db").replace("-", "_"), "bucket": bucket, "results": results_location(unique("athena"))}


@pytest.fixture
def athena(names) -> Athena:
    return Athena(names["db"], names["results"])


def write_parquet(directory: Path, name: str, select: str) -> Path:
    path = directory / name
    duckdb.connect().execute(f"COPY ({select}) TO '{path}' (FORMAT PARQUET)")
    return path


def joined_rows(first_day: str, days: int, seed: int) -> str:
    """The join job's output shape: one row a day."""
    return f"""
        SELECT DATE '{first_day}' + CAST(i AS INTEGER) AS date,
               CAST((i * {seed}) % 9000 + 1000 AS BIGINT) AS forecasted_monthly_revenue,
               CAST(i % 11 AS BIGINT) AS lead_count,
               CAST((i * 31 + {seed}) % 700 AS BIGINT) AS website_visits,
               CAST(i % 5 AS BIGINT) AS free_sign_up
        FROM range({days}) t(i)
    """


# --- the pipeline's flow ---------------------------------------------------------------------

FLOW_DDL = [
    "CREATE DATABASE IF NOT EXISTS {db}",
    "CREATE EXTERNAL TABLE IF NOT EXISTS {db}.joined (date date, forecasted_monthly_revenue bigint, "
    "lead_count bigint, website_visits bigint) PARTITIONED BY (run_date string) STORED AS PARQUET "
    "LOCATION 's3://{bucket}/joined/'",
    "MSCK REPAIR TABLE {db}.joined",
]
FLOW_QUERY = (
    "SELECT date_trunc('month', date) AS month, sum(forecasted_monthly_revenue) AS revenue, "
    "sum(website_visits) AS visits FROM joined WHERE run_date = ? GROUP BY 1 ORDER BY 1"
)


def test_pipeline_flow_matches_duckdb_on_the_same_data(names, athena, tmp_path):
    db, bucket = names["db"], names["bucket"]
    s3 = client("s3")
    today = write_parquet(tmp_path, "today.parquet", joined_rows("2026-09-20", 60, 37))
    last_week = write_parquet(tmp_path, "last_week.parquet", joined_rows("2026-09-13", 60, 53))
    s3.upload_file(str(today), bucket, "joined/run_date=2026-11-16/part-0000.parquet")
    s3.upload_file(str(last_week), bucket, "joined/run_date=2026-11-09/part-0000.parquet")
    s3.put_object(Bucket=bucket, Key="joined/run_date=2026-11-16/_SUCCESS", Body=b"")

    timings = {}
    for statement in FLOW_DDL:
        began = time.monotonic()
        execution = athena.run(statement.format(db=db, bucket=bucket), database="default")
        timings[" ".join(statement.split(" ")[:2])] = time.monotonic() - began
        assert execution["StatementType"] == "DDL"
        assert execution["ResultConfiguration"]["OutputLocation"].endswith(f"{execution['QueryExecutionId']}.txt")

    began = time.monotonic()
    query_id = athena.start(FLOW_QUERY, ["'2026-11-16'"], database=db)
    execution = athena.wait(query_id)
    timings["SELECT"] = time.monotonic() - began
    print("flow latency (s):", {k: round(v, 3) for k, v in timings.items()})
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"].get("StateChangeReason")
    assert execution["ExecutionParameters"] == ["'2026-11-16'"]
    # Only the one partition asked for is read.
    assert execution["Statistics"]["DataScannedInBytes"] == today.stat().st_size

    expected = duckdb.connect().execute(
        f"SELECT CAST(date_trunc('month', date) AS DATE), sum(forecasted_monthly_revenue), sum(website_visits) "
        f"FROM read_parquet('{today}') GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert len(expected) == 3
    result = athena.result_set(query_id)
    rows = [[d.get("VarCharValue") for d in row["Data"]] for row in result["Rows"]]
    assert rows[0] == ["month", "revenue", "visits"]
    assert rows[1:] == [[m.isoformat(), str(r), str(v)] for m, r, v in expected]
    assert [(c["Name"], c["Type"]) for c in result["ResultSetMetadata"]["ColumnInfo"]] == [
        ("month", "date"), ("revenue", "bigint"), ("visits", "bigint"),
    ]

    output = execution["ResultConfiguration"]["OutputLocation"]
    assert output == f"{names['results']}{query_id}.csv"
    result_bucket, _, key = output[len("s3://"):].partition("/")
    body = s3.get_object(Bucket=result_bucket, Key=key)["Body"].read().decode()
    assert body.splitlines()[0] == '"month","revenue","visits"'
    assert list(csv.reader(io.StringIO(body)))[1:] == rows[1:]

    # The other partition is there too, and the catalog shows what AWS would.
    other = athena.rows(FLOW_QUERY, ["'2026-11-09'"])
    assert len(other) > 1 and other[1:] != rows[1:]
    glue = client("glue")
    table = glue.get_table(DatabaseName=db, Name="joined")["Table"]
    descriptor = table["StorageDescriptor"]
    assert table["TableType"] == "EXTERNAL_TABLE" and table["Parameters"]["EXTERNAL"] == "TRUE"
    assert descriptor["Location"] == f"s3://{bucket}/joined/"
    assert [(c["Name"], c["Type"]) for c in descriptor["Columns"]] == [
        ("date", "date"), ("forecasted_monthly_revenue", "bigint"), ("lead_count", "bigint"), ("website_visits", "bigint"),
    ]
    assert descriptor["InputFormat"] == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    assert descriptor["SerdeInfo"]["SerializationLibrary"] == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    assert table["PartitionKeys"] == [{"Name": "run_date", "Type": "string"}]
    partitions = glue.get_partitions(DatabaseName=db, TableName="joined")["Partitions"]
    assert sorted((p["Values"], p["StorageDescriptor"]["Location"]) for p in partitions) == [
        (["2026-11-09"], f"s3://{bucket}/joined/run_date=2026-11-09/"),
        (["2026-11-16"], f"s3://{bucket}/joined/run_date=2026-11-16/"),
    ]

    # Running the whole flow again changes nothing (IF NOT EXISTS; MSCK finds nothing new).
    for statement in FLOW_DDL:
        athena.run(statement.format(db=db, bucket=bucket))
    assert len(glue.get_partitions(DatabaseName=db, TableName="joined")["Partitions"]) == 2
    assert athena.rows(FLOW_QUERY, ["'2026-11-16'"]) == rows


def test_partitions_are_invisible_until_registered(names, athena, tmp_path):
    db, bucket = names["db"], names["bucket"]
    s3 = client("s3")
    athena.run(f"CREATE DATABASE {db}")
    athena.run(
        f"CREATE EXTERNAL TABLE events (id bigint, amount double) PARTITIONED BY (day string, hour int) "
        f"STORED AS PARQUET LOCATION 's3://{bucket}/events'"
    )
    for day, hour, ids in [("2026-01-01", 1, "1, 2"), ("2026-01-01", 2, "3"), ("2026-01-02", 1, "4, 5, 6")]:
        path = write_parquet(tmp_path, f"{day}-{hour}.parquet", f"SELECT CAST(id AS BIGINT) AS id, id * 1.5 AS amount FROM (VALUES {', '.join(f'({i})' for i in ids.split(', '))}) v(id)")
        s3.upload_file(str(path), bucket, f"events/day={day}/hour={hour}/data.parquet")
    s3.put_object(Bucket=bucket, Key="events/day=2026-01-03/", Body=b"")  # a folder marker only
    s3.put_object(Bucket=bucket, Key="events/notes.txt", Body=b"not a partition")

    count = "SELECT count(*) AS n FROM events"
    assert athena.rows(count)[1:] == [["0"]]
    athena.run("ALTER TABLE events ADD PARTITION (day='2026-01-01', hour=1)")
    assert athena.rows(count)[1:] == [["2"]]
    athena.run("ALTER TABLE events ADD IF NOT EXISTS PARTITION (hour=1, day='2026-01-01')")
    reason = athena.fail("ALTER TABLE events ADD PARTITION (day='2026-01-01', hour=1)")
    assert "AlreadyExistsException" in reason
    assert "Non-Partition column" in athena.fail("ALTER TABLE events ADD PARTITION (nope='x')")

    repaired = athena.rows("MSCK REPAIR TABLE events")
    assert "Repair: Added partition to metastore events:day=2026-01-02/hour=1" in [r[0] for r in repaired]
    assert athena.rows(count)[1:] == [["6"]]
    assert athena.rows("SHOW PARTITIONS events") == [
        ["day=2026-01-01/hour=1"], ["day=2026-01-01/hour=2"], ["day=2026-01-02/hour=1"],
    ]
    typed = athena.rows("SELECT day, hour, sum(id) AS ids FROM events WHERE hour = 1 GROUP BY day, hour ORDER BY day")
    assert typed[1:] == [["2026-01-01", "1", "3"], ["2026-01-02", "1", "15"]]

    athena.run("ALTER TABLE events DROP PARTITION (day='2026-01-02', hour=1)")
    assert athena.rows(count)[1:] == [["3"]]
    # A partition at an explicit location (any folder) is read from there.
    athena.run(
        f"ALTER TABLE events ADD PARTITION (day='elsewhere', hour=0) LOCATION 's3://{bucket}/events/day=2026-01-02/hour=1/'"
    )
    assert athena.rows("SELECT count(*) FROM events WHERE day = 'elsewhere'")[1:] == [["3"]]


def test_csv_tables_skip_headers_and_read_declared_types(names, athena):
    db, bucket = names["db"], names["bucket"]
    s3 = client("s3")
    athena.run(f"CREATE DATABASE {db}")
    athena.run(
        "CREATE EXTERNAL TABLE sales (day date, salesperson string, revenue decimal(12,2), leads int, closed boolean) "
        "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde' "
        "WITH SERDEPROPERTIES ('separatorChar' = ',', 'quoteChar' = '\"') "
        f"STORED AS TEXTFILE LOCATION 's3://{bucket}/sales/' TBLPROPERTIES ('skip.header.line.count'='1')"
    )
    header = "Date,Salesperson,Revenue,Leads,Closed\n"
    s3.put_object(Bucket=bucket, Key="sales/a.csv", Body=(header + '2026-01-01,"Smith, Ann",10.50,3,true\n2026-01-02,Bo,,2,false\n').encode())
    s3.put_object(Bucket=bucket, Key="sales/nested/b.csv", Body=(header + "2026-01-02,Cy,1.25,x,true\n").encode())
    s3.put_object(Bucket=bucket, Key="sales/_SUCCESS", Body=b"")
    s3.put_object(Bucket=bucket, Key="sales/.a.csv.crc", Body=b"crc")
    s3.put_object(Bucket=bucket, Key="sales/_temporary/0/c.csv", Body=(header + "2026-09-09,Tmp,1,1,true\n").encode())

    rows = athena.rows("SELECT * FROM sales ORDER BY salesperson")
    assert rows == [
        ["day", "salesperson", "revenue", "leads", "closed"],
        ["2026-01-02", "Bo", None, "2", "false"],
        ["2026-01-02", "Cy", "1.25", None, "true"],
        ["2026-01-01", "Smith, Ann", "10.50", "3", "true"],
    ]
    query_id = athena.run("SELECT day, sum(revenue) AS total FROM sales GROUP BY day ORDER BY day")["QueryExecutionId"]
    result = athena.result_set(query_id)
    assert [(c["Type"], c["Precision"], c["Scale"]) for c in result["ResultSetMetadata"]["ColumnInfo"]][0] == ("date", 0, 0)
    assert result["ResultSetMetadata"]["ColumnInfo"][1]["Type"] == "decimal"

    athena.run(
        "CREATE EXTERNAL TABLE IF NOT EXISTS visits (day string, `visits` bigint, note string) "
        "ROW FORMAT DELIMITED FIELDS TERMINATED BY '|' "
        f"LOCATION 's3://{bucket}/visits/' TBLPROPERTIES ('skip.header.line.count'='2')"
    )
    s3.put_object(Bucket=bucket, Key="visits/v.txt", Body=b'# export\nday|visits|note\n2026-01-01|10|"quoted"\n2026-01-02|\\N|\n2026-01-03|7\n')
    assert athena.rows("SELECT day, visits, note FROM visits ORDER BY day")[1:] == [
        ["2026-01-01", "10", '"quoted"'], ["2026-01-02", None, ""], ["2026-01-03", "7", None],
    ]
    descriptor = client("glue").get_table(DatabaseName=db, Name="visits")["Table"]["StorageDescriptor"]
    assert descriptor["SerdeInfo"] == {
        "SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
        "Parameters": {"field.delim": "|", "serialization.format": "|"},
    }
    assert descriptor["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"


def test_drop_table_and_if_not_exists(names, athena):
    db, bucket = names["db"], names["bucket"]
    glue = client("glue")
    create_db = f"CREATE DATABASE {db}"
    create_table = f"CREATE EXTERNAL TABLE {db}.t (a int) STORED AS PARQUET LOCATION 's3://{bucket}/t/'"
    athena.run(create_db)
    assert "AlreadyExistsException(message:Database" in athena.fail(create_db)
    athena.run(f"CREATE DATABASE IF NOT EXISTS {db}")
    athena.run(create_table)
    assert "AlreadyExistsException(message:Table" in athena.fail(create_table)
    athena.run(create_table.replace("TABLE", "TABLE IF NOT EXISTS", 1))
    assert athena.rows("SHOW TABLES") == [["t"]]
    assert [db] == [r[0] for r in athena.rows(f"SHOW DATABASES LIKE '{db}'")]
    assert athena.rows("SELECT count(*) AS n FROM t")[1:] == [["0"]]  # no data yet: empty, not an error

    assert "is not empty" in athena.fail(f"DROP DATABASE {db}")
    athena.run(f"DROP TABLE {db}.t")
    with pytest.raises(ClientError) as excinfo:
        glue.get_table(DatabaseName=db, Name="t")
    assert excinfo.value.response["Error"]["Code"] == "EntityNotFoundException"
    assert "TABLE_NOT_FOUND" in athena.fail("SELECT * FROM t")
    assert "Table not found" in athena.fail("DROP TABLE t")
    athena.run("DROP TABLE IF EXISTS t")
    athena.run(f"DROP DATABASE {db}")
    athena.run(f"DROP DATABASE IF EXISTS {db}")
    assert "Database does not exist" in athena.fail(f"DROP DATABASE {db}")


def test_failures_read_like_athena(names, athena):
    db, bucket = names["db"], names["bucket"]
    athena.run(f"CREATE DATABASE {db}")
    athena.run(f"CREATE EXTERNAL TABLE t (a int, b string) STORED AS PARQUET LOCATION 's3://{bucket}/t/'")

    assert athena.fail("SELECT a FROM missing") == (
        f"TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.{db}.missing' does not exist"
    )
    assert athena.fail("SELECT a\nFROM nodb.t") == "SCHEMA_NOT_FOUND: line 2:6: Schema 'nodb' does not exist"
    assert athena.fail("SELECT nope FROM t").startswith("COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved")
    with pytest.raises(ClientError, match=r"line 1:1: mismatched input 'SELEC'"):  # refused at submission
        athena.start("SELEC a FROM t")
    assert athena.fail("SELECT ? FROM t", ["1", "2"]).startswith("INVALID_PARAMETER_USAGE: ")
    assert athena.fail(
        f"CREATE EXTERNAL TABLE o (a int) STORED AS ORC LOCATION 's3://{bucket}/o/'"
    ) == "NOT_SUPPORTED: STORED AS ORC is not supported by the local Athena engine"
    assert athena.fail(f"CREATE TABLE c (a int) LOCATION 's3://{bucket}/c/'").startswith("NOT_SUPPORTED: Only external")
    assert athena.fail("CREATE EXTERNAL TABLE x (a uniontype<int,string>) LOCATION 's3://b/x/'").startswith(
        "FAILED: ParseException line 1:27 Unsupported column type"
    )
    assert athena.fail("CREATE EXTERNAL TABLE x (a int) STORED AS PARQUET").startswith("FAILED: SemanticException LOCATION")
    assert athena.fail("CREATE EXTERNAL TABLE x (a money) LOCATION 's3://b/x/'") == (
        "FAILED: ParseException line 1:27 Unsupported column type: money"
    )
    assert athena.fail("CREATE EXTERNAL TABLEE x (a int)").startswith(
        "FAILED: ParseException line 1:16 mismatched input 'TABLEE' expecting TABLE"
    )
    assert athena.fail("MSCK REPAIR TABLE nothing_here") == "FAILED: SemanticException [Error 10001]: Table not found " + f"{db}.nothing_here"
    assert athena.fail("INSERT INTO t VALUES ('a', 1)").startswith(
        "TYPE_MISMATCH: line 1:1: Insert query has mismatched column types: Table: [integer, varchar], Query: [varchar, integer]"
    )


def test_queries_bind_parameters_and_follow_trino_semantics(names, athena, tmp_path):
    db, bucket = names["db"], names["bucket"]
    athena.run(f"CREATE DATABASE {db}")
    athena.run(f"CREATE EXTERNAL TABLE people (name string, age int, born date) STORED AS PARQUET LOCATION 's3://{bucket}/people/'")
    path = write_parquet(
        tmp_path, "p.parquet",
        "SELECT * FROM (VALUES ('ann', 31, DATE '1995-03-14'), ('bob', 42, DATE '1984-07-02'), ('o''neil', 7, DATE '2019-12-31')) v(Name, Age, Born)",
    )
    client("s3").upload_file(str(path), bucket, "people/p.parquet")

    injected = athena.rows("SELECT name FROM people WHERE name = ? OR age > ?", ["'x'' OR 1=1 --'", "40"])
    assert injected[1:] == [["bob"]]
    assert athena.rows("SELECT name FROM people WHERE name = ?", ["'o''neil'"])[1:] == [["o'neil"]]
    trino = athena.rows(
        f"SELECT sum(age) / count(*), 7 / 2, date_trunc('year', born), upper(name), p.age FROM {db}.people p "
        "WHERE born < DATE '2000-01-01' GROUP BY born, name, p.age ORDER BY p.age"
    )
    assert trino == [
        ["_col0", "_col1", "_col2", "_col3", "age"],
        ["31", "3", "1995-01-01", "ANN", "31"],
        ["42", "3", "1984-01-01", "BOB", "42"],
    ]
    joined = athena.rows(
        "WITH young AS (SELECT name FROM people WHERE age < 40) "
        "SELECT a.name, b.name AS other FROM young a JOIN awsdatacatalog." + db + ".people b ON a.name <> b.name "
        "WHERE b.age > 40 ORDER BY 1"
    )
    assert joined[1:] == [["ann", "bob"], ["o'neil", "bob"]]


def test_repeated_queries_read_the_cached_copy_until_the_object_changes(names, athena, tmp_path):
    from embedded_aws.athena import engine as athena_engine

    db, bucket = names["db"], names["bucket"]
    s3 = client("s3")
    athena.run(f"CREATE DATABASE {db}")
    athena.run(f"CREATE EXTERNAL TABLE n (v bigint) STORED AS PARQUET LOCATION 's3://{bucket}/n/'")
    s3.upload_file(str(write_parquet(tmp_path, "1.parquet", "SELECT 1::BIGINT AS v")), bucket, "n/data.parquet")

    cache = athena_engine.engine().sql.cache
    assert athena.rows("SELECT sum(v) FROM n")[1:] == [["1"]]
    downloads = cache.downloads
    execution = athena.run("SELECT sum(v) FROM n")
    assert cache.downloads == downloads and execution["Statistics"]["DataScannedInBytes"] > 0

    s3.upload_file(str(write_parquet(tmp_path, "2.parquet", "SELECT 41::BIGINT AS v UNION ALL SELECT 1")), bucket, "n/data.parquet")
    assert athena.rows("SELECT sum(v) FROM n")[1:] == [["42"]]
    assert cache.downloads == downloads + 1


def test_tables_created_through_the_glue_api_are_queryable(names, athena):
    db, bucket = names["db"], names["bucket"]
    glue = client("glue")
    glue.create_database(DatabaseInput={"Name": db})
    glue.create_table(
        DatabaseName=db,
        TableInput={
            "Name": "crawled",
            "StorageDescriptor": {
                "Columns": [{"Name": "k", "Type": "string"}, {"Name": "n", "Type": "int"}],
                "Location": f"s3://{bucket}/crawled/",
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "SerdeInfo": {
                    "SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                    "Parameters": {"field.delim": ","},
                },
            },
            "PartitionKeys": [{"Name": "day", "Type": "date"}],
        },
    )
    client("s3").put_object(Bucket=bucket, Key="crawled/day=2026-02-03/x.csv", Body=b"a,1\nb,2\n")
    glue.create_partition(
        DatabaseName=db, TableName="crawled",
        PartitionInput={"Values": ["2026-02-03"], "StorageDescriptor": {"Location": f"s3://{bucket}/crawled/day=2026-02-03/"}},
    )
    query_id = athena.run("SELECT day, sum(n) AS n FROM crawled WHERE day = DATE '2026-02-03' GROUP BY day")["QueryExecutionId"]
    result = athena.result_set(query_id)
    assert [[d.get("VarCharValue") for d in r["Data"]] for r in result["Rows"]] == [["day", "n"], ["2026-02-03", "3"]]
    assert result["ResultSetMetadata"]["ColumnInfo"][0]["Type"] == "date"
    assert datetime.date.fromisoformat(result["Rows"][1]["Data"][0]["VarCharValue"]).day == 3
