"""End to end: the sales, marketing and join pipeline for real on this machine
(embedded AWS, local Spark for Glue, DuckDB for Athena), driven by our workers."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from support import unique, wait_execution, worker_env
from runners.local.pipeline import LocalPipeline

pytestmark = pytest.mark.e2e

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference-data"
SALES = REFERENCE / "SalesPipeline_QuickSightSample.csv"
MARKETING = REFERENCE / "MarketingData_QuickSightSample.csv"
RUN_DATE = "2026-11-16"

needs_reference = pytest.mark.skipif(not SALES.exists(), reason="../shared/reference-data is not beside the checkout")


@pytest.fixture
def pipeline(aws):
    with LocalPipeline(prefix=unique("e2e"), aws=aws, activity_poll_seconds=1.0, check_interval_seconds=0.3) as p:
        yield p


def glue_run_counts(pipeline):
    glue = pipeline.client("glue")
    return {job: len(glue.get_job_runs(JobName=job)["JobRuns"]) for job in pipeline.deployment.job_names.values()}


def query_result(pipeline, execution):
    output = json.loads(pipeline.client("stepfunctions").describe_execution(executionArn=execution)["output"])
    rows = pipeline.client("athena").get_query_results(QueryExecutionId=output["query"]["QueryExecutionId"])["ResultSet"]["Rows"]
    header = [c["VarCharValue"] for c in rows[0]["Data"]]
    return [dict(zip(header, [c.get("VarCharValue") for c in row["Data"]])) for row in rows[1:]]


def expected_by_month():
    """The pipeline's question answered independently, straight from the CSVs."""
    return duckdb.sql(f"""
        WITH sales AS (
            SELECT strptime("Date", '%-m/%-d/%Y')::DATE AS d, sum("Forecasted Monthly Revenue") AS revenue, count(*) AS leads
            FROM read_csv('{SALES}', header=true, types={{'Date': 'VARCHAR'}}) WHERE "Opportunity Stage" = 'Lead' GROUP BY 1),
        marketing AS (
            SELECT strptime("Date", '%-m/%-d/%Y')::DATE AS d, "Website Visits" AS visits, "Paid conversion" AS paid
            FROM read_csv('{MARKETING}', header=true, types={{'Date': 'VARCHAR'}}))
        SELECT strftime(date_trunc('month', s.d), '%Y-%m') AS month, sum(revenue)::BIGINT, sum(leads)::BIGINT, sum(visits)::BIGINT, sum(paid)::BIGINT
        FROM sales s JOIN marketing m ON s.d = m.d GROUP BY 1 ORDER BY 1
    """).fetchall()


def stored_monthly_aggregate(pipeline, directory):
    """The INSERT INTO step's table: one run-date partition, its Parquet files read straight from S3."""
    deployment = pipeline.deployment
    partitions = pipeline.client("glue").get_partitions(
        DatabaseName=deployment.athena_database, TableName="sales_marketing_monthly"
    )["Partitions"]
    assert [p["Values"] for p in partitions] == [[RUN_DATE]]
    prefix = f"aggregates/sales_marketing_monthly/run_date={RUN_DATE}/"
    s3 = pipeline.client("s3")
    paths = []
    for index, item in enumerate(s3.list_objects_v2(Bucket=deployment.data_bucket, Prefix=prefix)["Contents"]):
        path = directory / f"aggregate-{index}.parquet"
        s3.download_file(deployment.data_bucket, item["Key"], str(path))
        paths.append(str(path))
    return duckdb.sql(
        "SELECT strftime(month, '%Y-%m'), forecasted_revenue, leads, website_visits, paid_conversions "
        f"FROM read_parquet({paths!r}) ORDER BY 1"
    ).fetchall()


@needs_reference
def test_reference_data_gives_the_independently_computed_answer(pipeline, tmp_path):
    execution = pipeline.start_execution(RUN_DATE)
    pipeline.upload_input("sales", RUN_DATE, SALES)
    pipeline.upload_input("marketing", RUN_DATE, MARKETING)
    result = wait_execution(execution, timeout=600)
    assert result["status"] == "SUCCEEDED", result

    rows = query_result(pipeline, execution)
    got = [(r["month"][:7], int(r["forecasted_revenue"]), int(r["leads"]), int(r["website_visits"]), int(r["paid_conversions"])) for r in rows]
    assert got == expected_by_month()
    assert len(got) > 12
    assert set(glue_run_counts(pipeline).values()) == {1}
    assert stored_monthly_aggregate(pipeline, tmp_path) == expected_by_month()
    assert_lineage_matches_the_run(pipeline, execution)


def lineage_rows(pipeline, name, parameters):
    """One of the lineage table's questions (runners.lineage), asked through Athena."""
    from runners import lineage

    athena = pipeline.client("athena")
    query = athena.start_query_execution(
        QueryString=lineage.query(name, pipeline.deployment.athena_database), ExecutionParameters=parameters,
        QueryExecutionContext={"Database": pipeline.deployment.athena_database},
        ResultConfiguration={"OutputLocation": pipeline.deployment.results_location})["QueryExecutionId"]
    for _ in range(300):
        state = athena.get_query_execution(QueryExecutionId=query)["QueryExecution"]["Status"]["State"]
        if state not in ("QUEUED", "RUNNING"):
            break
        time.sleep(0.1)
    assert state == "SUCCEEDED", athena.get_query_execution(QueryExecutionId=query)
    rows = athena.get_query_results(QueryExecutionId=query)["ResultSet"]["Rows"]
    header = [c["VarCharValue"] for c in rows[0]["Data"]]
    return [dict(zip(header, [c.get("VarCharValue") for c in row["Data"]])) for row in rows[1:]]


def assert_lineage_matches_the_run(pipeline, execution):
    """The trigger function records the run when it ends: the joined partition came from
    the two uploaded files, and the sales file fed exactly the steps downstream of it."""
    deployment = pipeline.deployment
    bucket, s3 = deployment.data_bucket, pipeline.client("s3")
    uploaded = {pipeline.input_key(d, RUN_DATE): s3.head_object(Bucket=bucket, Key=pipeline.input_key(d, RUN_DATE))["ETag"].strip('"')
                for d in ("sales", "marketing")}
    key = f"_lineage/pipeline=sales-marketing/run_date={RUN_DATE}/{execution.rsplit(':', 1)[1]}.json"
    deadline = time.time() + 60
    while time.time() < deadline and "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix=key):
        time.sleep(0.5)
    joined = f"s3://{bucket}/joined/sales_marketing/run_date={RUN_DATE}/"
    behind = lineage_rows(pipeline, "files_behind_partition", [f"'{joined}'"])
    assert {(r["source_key"], r["source_etag"]) for r in behind} == set(uploaded.items())
    job_runs = {run["Id"] for job in deployment.job_names.values() for run in pipeline.client("glue").get_job_runs(JobName=job)["JobRuns"]}
    assert {r["step"] for r in behind} == {"Join Marketing And Sales Data"} and {r["run_id"] for r in behind} <= job_runs
    fed = lineage_rows(pipeline, "fed_by_file", [f"'{bucket}'", f"'{pipeline.input_key('sales', RUN_DATE)}'"])
    assert {r["step"] for r in fed} == {"Process Sales Data", "Join Marketing And Sales Data", "Query Revenue And Visits By Month",
                                        "Store Monthly Aggregate"}
    assert f"s3://{bucket}/processed/sales/run_date={RUN_DATE}/" in {r["output_location"] for r in fed}


@needs_reference
def test_files_uploaded_before_the_execution_starts_release_the_waits(pipeline):
    pipeline.upload_input("sales", RUN_DATE, SALES)
    pipeline.upload_input("marketing", RUN_DATE, MARKETING)
    execution = pipeline.start_execution(RUN_DATE)
    assert wait_execution(execution, timeout=600)["status"] == "SUCCEEDED"


@needs_reference
def test_a_failing_glue_script_fails_the_execution_with_the_scripts_error(pipeline, tmp_path):
    broken = tmp_path / "sales.csv"
    lines = SALES.read_text().splitlines()
    broken.write_text("\n".join(["Day,Who,Lead"] + [",".join(line.split(",")[:3]) for line in lines[1:50]]) + "\n")
    execution = pipeline.start_execution(RUN_DATE)
    pipeline.upload_input("sales", RUN_DATE, broken)
    pipeline.upload_input("marketing", RUN_DATE, MARKETING)
    result = wait_execution(execution, timeout=600)
    assert result["status"] == "FAILED"
    assert result["error"] == "GlueJobFailedError"
    cause = json.loads(result["cause"])
    assert cause["JobRunState"] == "FAILED" and cause["JobName"].endswith("ProcessSalesData")
    assert "Date" in cause["errorMessage"] or "Opportunity Stage" in cause["errorMessage"]
    # The subscribers hear of it once: the trigger function's report (the rendered
    # state machine leaves the error uncaught and publishes nothing itself).
    messages = pipeline.notifications(execution, wait_for_report=60)
    assert [m.message_type for m in messages] == ["report"]
    report = next(m for m in messages if m.message_type == "report")
    assert report.subject == f"[etl-runner] sales-marketing {RUN_DATE} FAILED at Process Sales Data"
    assert report.facts["error"] == "GlueJobFailedError" and report.facts["failedStates"] == ["Process Sales Data"]


@needs_reference
def test_glue_worker_killed_mid_pipeline_and_restarted_runs_no_job_twice(aws, tmp_path):
    with LocalPipeline(prefix=unique("kill"), aws=aws, activity_poll_seconds=1.0, check_interval_seconds=0.3, workers_kinds=("athena", "wait")) as pipeline:
        # A dead worker's records go to another worker at the first sweep
        # after its word (two sweep intervals) runs out: 3 s intervals here, 60 s by default.
        settings = pipeline.settings.with_(lease_seconds=2.0, check_interval_seconds=0.3, sweep_interval_seconds=3.0)
        # One poller: the dying worker holds only the task it is starting. With
        # more, a second poller could die holding a task it has not recorded
        # yet: the protocol's lost-token case, which the pipeline recovers only
        # after its 300 s HeartbeatSeconds (tested on its own in
        # tests/functional/test_exactly_once.py).
        env = worker_env(settings, "glue", ETL_FAILPOINT="after_start", ETL_POLLERS="1")
        command = [sys.executable, "-m", "runners.cli", "serve", "glue"]
        doomed = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        execution = pipeline.start_execution(RUN_DATE)
        pipeline.upload_input("sales", RUN_DATE, SALES)
        pipeline.upload_input("marketing", RUN_DATE, MARKETING)
        assert doomed.wait(timeout=120) == -signal.SIGKILL
        env.pop("ETL_FAILPOINT")
        survivor_log = tmp_path / "survivor.log"
        with survivor_log.open("w") as log:
            survivor = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
            try:
                result = wait_execution(execution, timeout=240)
            except AssertionError as stuck:
                raise AssertionError(f"{stuck}\nkilled worker:\n{doomed.stderr.read()}\nsurvivor:\n{survivor_log.read_text()}") from None
            finally:
                survivor.terminate()
                survivor.wait(timeout=60)
        assert result["status"] == "SUCCEEDED", (result, doomed.stderr.read(), survivor_log.read_text())
        assert set(glue_run_counts(pipeline).values()) == {1}
