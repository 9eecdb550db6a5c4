"""End to end: the second example pipeline (pipelines/orders_daily.yaml) on the
embedded AWS, started the way it is deployed: by its .done marker. It proves
the framework is not shaped around the sample: a trigger, a dependency gate,
a DDL refresh around a Glue job, and a pipeline chained after it."""

from __future__ import annotations

import json
import shutil
import time

import pytest

from support import unique, wait_execution
from runners.local.pipeline import LocalPipeline
from runners.pipelines import PIPELINES_DIR, PROJECT_ROOT

pytestmark = pytest.mark.e2e

RUN_DATE = "2026-11-30"
ORDERS = PIPELINES_DIR / "examples" / "orders" / "orders.csv"

DOWNSTREAM = """
pipeline: orders-report
description: Counts the day's currencies once orders-daily has succeeded.
trigger:
  after_pipeline: orders-daily
database: orders
steps:
  count_currencies:
    athena:
      sql: pipelines/sql/orders_report/count_currencies.sql
      parameters: ["'${run_date}'"]
"""


@pytest.fixture
def project(tmp_path):
    """A copy of the project's pipelines and scripts, plus a pipeline chained after orders-daily."""
    for folder in ("pipelines", "glue-scripts"):
        shutil.copytree(PROJECT_ROOT / folder, tmp_path / folder)
    (tmp_path / "pipelines" / "orders_report.yaml").write_text(DOWNSTREAM)
    sql = tmp_path / "pipelines" / "sql" / "orders_report" / "count_currencies.sql"
    sql.parent.mkdir(parents=True)
    sql.write_text("SELECT count(*) AS currencies FROM ${database}.daily_revenue WHERE run_date = ?\n")
    return tmp_path


@pytest.fixture
def pipeline(aws, project):
    with LocalPipeline(prefix=unique("orders"), aws=aws, activity_poll_seconds=1.0, check_interval_seconds=0.3,
                       pipeline=project / "pipelines" / "orders_daily.yaml") as p:
        yield p


def executions(pipeline, state_machine_arn):
    return pipeline.client("stepfunctions").list_executions(stateMachineArn=state_machine_arn)["executions"]


def wait_for_executions(pipeline, state_machine_arn, count, timeout=60.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = executions(pipeline, state_machine_arn)
        if len(found) >= count:
            return found
        time.sleep(0.3)
    raise AssertionError(f"{count} execution(s) of {state_machine_arn} not started within {timeout}s")


def athena_rows(pipeline, sql, database):
    athena = pipeline.client("athena")
    query = athena.start_query_execution(QueryString=sql, QueryExecutionContext={"Database": database},
                                         ResultConfiguration={"OutputLocation": pipeline.deployment.results_location})["QueryExecutionId"]
    for _ in range(600):
        state = athena.get_query_execution(QueryExecutionId=query)["QueryExecution"]["Status"]["State"]
        if state in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        time.sleep(0.1)
    assert state == "SUCCEEDED", athena.get_query_execution(QueryExecutionId=query)
    rows = athena.get_query_results(QueryExecutionId=query)["ResultSet"]["Rows"]
    return [[c.get("VarCharValue") for c in r["Data"]] for r in rows[1:]]


def test_the_done_marker_starts_one_run_that_refreshes_its_table_and_chains_the_report(pipeline, project):
    d = pipeline.deployment
    report = pipeline.deploy(project / "pipelines" / "orders_report.yaml")
    s3, glue = pipeline.client("s3"), pipeline.client("glue")
    # The table exists from an older version of the file, with one column less.
    athena_rows(pipeline, f"CREATE DATABASE IF NOT EXISTS {d.athena_database}", d.athena_database)
    athena_rows(pipeline, f"CREATE EXTERNAL TABLE {d.athena_database}.orders_clean (order_id string, amount decimal(12,2)) "
                          f"PARTITIONED BY (run_date string) STORED AS PARQUET LOCATION 's3://{d.data_bucket}/clean/orders/'", d.athena_database)

    s3.upload_file(str(ORDERS), d.data_bucket, f"landing/orders/{RUN_DATE}/orders.csv")
    marker = f"landing/orders/{RUN_DATE}/_SUCCESS.done"
    s3.put_object(Bucket=d.data_bucket, Key=marker, Body=b"")
    s3.put_object(Bucket=d.data_bucket, Key=marker, Body=b"")  # the exporter retried: still one run

    (started,) = wait_for_executions(pipeline, d.state_machine_arn, 1)
    assert started["name"] == RUN_DATE
    result = wait_execution(started["executionArn"], timeout=600)
    assert result["status"] == "SUCCEEDED", result
    assert json.loads(result["input"])["runDate"] == RUN_DATE
    time.sleep(2)  # a late duplicate event would have started a second run by now
    assert len(executions(pipeline, d.state_machine_arn)) == 1
    assert len(glue.get_job_runs(JobName=d.job_names["clean_orders"])["JobRuns"]) == 1

    # The refresh recreated the table from the file: every configured column.
    columns = [c["Name"] for c in glue.get_table(DatabaseName=d.athena_database, Name="orders_clean")["Table"]["StorageDescriptor"]["Columns"]]
    assert columns == ["order_id", "customer_id", "ordered_at", "amount", "currency"]
    revenue = athena_rows(pipeline, f"SELECT currency, orders, CAST(revenue AS varchar) FROM {d.athena_database}.daily_revenue "
                                    f"WHERE run_date = '{RUN_DATE}' ORDER BY currency", d.athena_database)
    assert revenue == [["EUR", "2", "119.90"], ["USD", "1", "7.50"]]

    # The chained pipeline started once, for the upstream's run date, with its output.
    (downstream,) = wait_for_executions(pipeline, report.state_machine_arn, 1)
    assert downstream["name"] == RUN_DATE
    chained = wait_execution(downstream["executionArn"], timeout=120)
    assert chained["status"] == "SUCCEEDED", chained
    chained_input = json.loads(chained["input"])
    assert chained_input["runDate"] == RUN_DATE and chained_input["upstream"]["executionArn"] == started["executionArn"]
    assert "dailyRevenue" in chained_input["upstream"]["output"]
    assert len(executions(pipeline, report.state_machine_arn)) == 1
