"""Operating a pipeline over weeks, on the embedded AWS wired as deployed:
each ended execution goes (status rule -> triggers queue -> trigger function)
to the run report, the audit lineage and the OpenLineage events; each input's
files are checked against their table when the wait releases.

An Athena-only weekly pipeline makes the points without Spark: week 1 runs
as configured, week 2's file gains a column (the tables evolve, the query
sees it), week 3's file loses one (SchemaDriftError before any step runs)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from support import unique
from runners import lineage
from runners.local.pipeline import LocalPipeline

PIPELINE = """
pipeline: weekly-sales
description: Copies the week's sales file into Parquet and stores the totals by region (Athena only).
database: weekly_sales
notify:
  on: [SUCCEEDED, FAILED, TIMED_OUT, ABORTED]
inputs:
  sales_file:
    pattern: raw/weekly_sales/run_date=${run_date}/*.csv
    timeout_hours: 1
    schema: {table: sales_raw, on_new_columns: evolve, evolve: [sales_copy]}
tables:
  sales_raw:
    location: raw/weekly_sales/
    format: csv
    header: true
    columns: {day: date, region: string, amount: bigint}
    partitioned_by: {run_date: string}
  sales_copy:
    location: copies/weekly_sales/
    format: parquet
    columns: {day: date, region: string, amount: bigint}
    partitioned_by: {run_date: string}
  sales_by_region:
    location: marts/sales_by_region/
    format: parquet
    columns: {region: string, amount: bigint, sales: bigint}
    partitioned_by: {run_date: string}
steps:
  copy_sales:
    after: [sales_file]
    refresh: [{table: sales_raw, action: partitions, when: before}]
    athena:
      sql: pipelines/sql/copy_sales.sql
      parameters: ["'${run_date}'"]
  store_totals:
    after: [copy_sales]
    athena:
      sql: pipelines/sql/store_totals.sql
      parameters: ["'${run_date}'"]
"""
SQL = {
    "copy_sales.sql": "INSERT INTO ${database}.sales_copy SELECT * FROM ${database}.sales_raw WHERE run_date = ?\n",
    "store_totals.sql": "INSERT INTO ${database}.sales_by_region\n"
                        "SELECT region, sum(amount), count(*), run_date FROM ${database}.sales_copy WHERE run_date = ? GROUP BY region, run_date\n",
}
WEEKS = {
    "2026-11-16": b"day,region,amount\n2026-11-10,north,10\n2026-11-11,south,5\n2026-11-12,north,7\n",
    "2026-11-23": b"day,region,amount,channel\n2026-11-17,north,3,web\n2026-11-18,south,4,shop\n",  # gains a column
    "2026-11-30": b"day,region,channel\n2026-11-24,north,web\n",  # loses one
}
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "openlineage"


def sales_key(run_date: str) -> str:
    return f"raw/weekly_sales/run_date={run_date}/sales.csv"


@pytest.fixture(scope="module")
def weeks(embedded_aws, tmp_path_factory):
    """Three weekly runs, one after another; per run date: execution, its messages, its status."""
    root = tmp_path_factory.mktemp("project")
    (root / "pipelines" / "sql").mkdir(parents=True)
    (root / "pipelines" / "weekly_sales.yaml").write_text(PIPELINE)
    for name, text in SQL.items():
        (root / "pipelines" / "sql" / name).write_text(text)
    events_file = root / "openlineage.jsonl"
    previous = os.environ.get("ETL_OPENLINEAGE_TRANSPORT")
    os.environ["ETL_OPENLINEAGE_TRANSPORT"] = f"file:{events_file}"  # handed to the trigger function
    local = LocalPipeline(prefix=unique("weekly"), aws=embedded_aws, activity_poll_seconds=1.0, check_interval_seconds=0.3,
                          pipeline=root / "pipelines" / "weekly_sales.yaml")
    try:
        local.start()
        s3, sfn = local.client("s3"), local.client("stepfunctions")
        runs = {}
        for run_date, body in WEEKS.items():
            s3.put_object(Bucket=local.deployment.data_bucket, Key=sales_key(run_date), Body=body)
            execution = local.start_execution(run_date)
            deadline = time.time() + 60
            while sfn.describe_execution(executionArn=execution)["status"] == "RUNNING" and time.time() < deadline:
                time.sleep(0.2)
            described = sfn.describe_execution(executionArn=execution)
            messages = local.notifications(execution, wait_for_report=30)
            runs[run_date] = {"execution": execution, "described": described, "messages": messages}
        yield local, runs, events_file
    finally:
        local.stop()
        if previous is None:
            os.environ.pop("ETL_OPENLINEAGE_TRANSPORT", None)
        else:
            os.environ["ETL_OPENLINEAGE_TRANSPORT"] = previous


def query(local, sql, parameters=()):
    athena = local.client("athena")
    kwargs = {"ExecutionParameters": list(parameters)} if parameters else {}
    qid = athena.start_query_execution(QueryString=sql, QueryExecutionContext={"Database": local.deployment.athena_database},
                                       ResultConfiguration={"OutputLocation": local.deployment.results_location}, **kwargs)["QueryExecutionId"]
    for _ in range(300):
        status = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
        if status["State"] not in ("QUEUED", "RUNNING"):
            break
        time.sleep(0.1)
    assert status["State"] == "SUCCEEDED", status
    rows = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    header = [c["VarCharValue"] for c in rows[0]["Data"]]
    return [dict(zip(header, (c.get("VarCharValue") for c in row["Data"]))) for row in rows[1:]]


def states_entered(local, execution):
    events = local.client("stepfunctions").get_execution_history(executionArn=execution, maxResults=1000)["events"]
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def report_of(run):
    reports = [m for m in run["messages"] if m.message_type == "report"]
    assert len(reports) == 1, [m.subject for m in run["messages"]]
    return reports[0]


def test_a_success_report_names_the_pipeline_run_date_status_duration_and_outputs(weeks):
    local, runs, _ = weeks
    run = runs["2026-11-16"]
    assert run["described"]["status"] == "SUCCEEDED"
    report = report_of(run)
    assert report.subject.startswith("[etl-runner] weekly-sales 2026-11-16 SUCCEEDED in ") and len(report.subject) <= 100
    facts = report.facts
    assert (facts["pipeline"], facts["runDate"], facts["status"], facts["executionArn"]) == ("weekly-sales", "2026-11-16", "SUCCEEDED", run["execution"])
    assert facts["durationSeconds"] > 0 and facts["failedStates"] == [] and facts["error"] is None
    bucket, database = local.deployment.data_bucket, local.deployment.athena_database
    written = {(o["step"], o["table"], o["location"], o["rows"]) for o in facts["outputs"]}
    assert written == {
        ("Copy Sales", f"{database}.sales_copy", f"s3://{bucket}/copies/weekly_sales/run_date=2026-11-16/", 3),
        ("Store Totals", f"{database}.sales_by_region", f"s3://{bucket}/marts/sales_by_region/run_date=2026-11-16/", 2),
    }
    assert "Outputs written:\n  - Copy Sales:" in report.body and "Run date:   2026-11-16" in report.body
    assert "--- JSON ---" in report.body
    assert not [m for m in run["messages"] if m.message_type == "alert"]  # an alert is for failures


def test_a_failure_report_names_the_failed_state_with_its_error_and_cause(weeks):
    _, runs, _ = weeks
    run = runs["2026-11-30"]
    assert run["described"]["status"] == "FAILED"
    report = report_of(run)
    assert report.subject == "[etl-runner] weekly-sales 2026-11-30 FAILED at Wait For Sales File"
    facts = report.facts
    assert facts["failedStates"] == ["Wait For Sales File"] and facts["error"] == "SchemaDriftError"
    assert "removed: amount" in facts["cause"] and facts["outputs"] == []
    assert "Failed at:  Wait For Sales File" in report.body and "Error:      SchemaDriftError" in report.body
    # One message per ended run: the rendered state machine publishes nothing itself.
    assert [m.message_type for m in run["messages"]] == ["report"]


def test_a_new_column_evolves_the_tables_and_the_query_sees_it(weeks):
    local, runs, _ = weeks
    assert runs["2026-11-23"]["described"]["status"] == "SUCCEEDED"
    glue = local.client("glue")
    for table in ("sales_raw", "sales_copy"):  # the input's table and the one downstream that carries its columns
        columns = [c["Name"] for c in glue.get_table(DatabaseName=local.deployment.athena_database, Name=table)["Table"]["StorageDescriptor"]["Columns"]]
        assert columns == ["day", "region", "amount", "channel"], table
    untouched = glue.get_table(DatabaseName=local.deployment.athena_database, Name="sales_by_region")["Table"]["StorageDescriptor"]["Columns"]
    assert [c["Name"] for c in untouched] == ["region", "amount", "sales"]  # not among the tables the input evolves
    rows = query(local, "SELECT run_date, region, channel FROM sales_copy ORDER BY day")
    assert [(r["run_date"], r["region"], r["channel"]) for r in rows] == [
        ("2026-11-16", "north", None), ("2026-11-16", "south", None), ("2026-11-16", "north", None),
        ("2026-11-23", "north", "web"), ("2026-11-23", "south", "shop")]
    history = local.client("stepfunctions").get_execution_history(executionArn=runs["2026-11-23"]["execution"], maxResults=1000)["events"]
    outputs = [json.loads(e["activitySucceededEventDetails"]["output"]) for e in history if e["type"] == "ActivitySucceeded"]
    changes = [o["SchemaChanges"] for o in outputs if "SchemaChanges" in o]
    assert [c["Added"] for c in changes] == [[["channel", "string"]]]


def test_a_lost_column_fails_the_wait_with_schema_drift_error_before_any_step_runs(weeks):
    local, runs, _ = weeks
    run = runs["2026-11-30"]
    assert run["described"]["error"] == "SchemaDriftError"
    cause = json.loads(run["described"]["cause"])
    assert cause["removed"] == ["amount"] and cause["table"].endswith(".sales_raw")
    assert "amount" in cause["errorMessage"] and list(cause["files"]) == [sales_key("2026-11-30")]
    entered = states_entered(local, run["execution"])
    assert "Copy Sales" not in entered and "Store Totals" not in entered and "Load Partitions Of sales_raw" not in entered


def test_the_lineage_table_answers_which_files_produced_a_partition_and_what_a_file_fed(weeks):
    local, runs, _ = weeks
    bucket, database = local.deployment.data_bucket, local.deployment.athena_database
    s3 = local.client("s3")
    # What actually ran: the week's file (its ETag now) and the queries of the execution's Athena steps.
    etag = s3.head_object(Bucket=bucket, Key=sales_key("2026-11-23"))["ETag"].strip('"')
    history = local.client("stepfunctions").get_execution_history(executionArn=runs["2026-11-23"]["execution"], maxResults=1000)["events"]
    query_ids = {json.loads(e["activitySucceededEventDetails"]["output"]).get("QueryExecutionId") for e in history if e["type"] == "ActivitySucceeded"}

    partition = f"s3://{bucket}/marts/sales_by_region/run_date=2026-11-23/"
    behind = query(local, lineage.query("files_behind_partition", database), [f"'{partition}'"])
    assert [(r["source_bucket"], r["source_key"], r["source_etag"], r["step"]) for r in behind] == [(bucket, sales_key("2026-11-23"), etag, "Store Totals")]
    assert behind[0]["run_id"] in query_ids

    fed = query(local, lineage.query("fed_by_file", database), [f"'{bucket}'", f"'{sales_key('2026-11-23')}'"])
    assert [(r["run_date"], r["step"], r["output_location"], r["output_rows"]) for r in fed] == [
        ("2026-11-23", "Copy Sales", f"s3://{bucket}/copies/weekly_sales/run_date=2026-11-23/", "2"),
        ("2026-11-23", "Store Totals", f"s3://{bucket}/marts/sales_by_region/run_date=2026-11-23/", "2"),
    ]
    assert {r["run_id"] for r in fed} <= query_ids
    # The failed week fed nothing: its wait refused the file.
    assert query(local, lineage.query("fed_by_file", database), [f"'{bucket}'", f"'{sales_key('2026-11-30')}'"]) == []
    files = s3.list_objects_v2(Bucket=bucket, Prefix="_lineage/pipeline=weekly-sales/")["Contents"]
    assert len(files) == 3  # one per execution, failed ones included


def _validator(name: str) -> Draft202012Validator:
    documents = [json.loads(p.read_text()) for p in FIXTURES.glob("*.json")]
    registry = Registry().with_resources((d["$id"], Resource.from_contents(d)) for d in documents)
    core = json.loads((FIXTURES / "OpenLineage.json").read_text())
    return Draft202012Validator({"$ref": f"{core['$id']}#/$defs/{name}"}, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _facets(event: dict) -> list[dict]:
    holders = [event["run"], event["job"], *event.get("inputs", []), *event.get("outputs", [])]
    return [f for h in holders for key in ("facets", "inputFacets", "outputFacets") for f in (h.get(key) or {}).values()]


def test_openlineage_events_are_sent_and_validate_against_the_openlineage_schema(weeks):
    local, runs, events_file = weeks
    events = [json.loads(line) for line in events_file.read_text().splitlines()]
    run_event = _validator("RunEvent")
    for event in events:
        run_event.validate(event)
        for facet in _facets(event):
            location, _, pointer = facet["_schemaURL"].partition("#")
            schema_file, definition = location.rsplit("/", 1)[1], pointer.rsplit("/", 1)[1]
            assert (FIXTURES / schema_file).is_file(), f"no fixture for {facet['_schemaURL']}"
            _validator_for(schema_file, definition).validate(facet)
    # Per run: the pipeline's START and end, and each query's START and end with its inputs and outputs.
    week = [e for e in events if e["run"]["facets"].get("nominalTime", {}).get("nominalStartTime", "").startswith("2026-11-23")]
    assert [(e["job"]["name"], e["eventType"]) for e in week] == [
        ("weekly-sales", "START"), ("weekly-sales.copy_sales", "START"), ("weekly-sales.copy_sales", "COMPLETE"),
        ("weekly-sales.store_totals", "START"), ("weekly-sales.store_totals", "COMPLETE"), ("weekly-sales", "COMPLETE")]
    copy_end = week[2]
    bucket = local.deployment.data_bucket
    assert [(d["namespace"], d["name"]) for d in copy_end["inputs"]] == [(f"s3://{bucket}", sales_key("2026-11-23"))]
    assert [(d["namespace"], d["name"]) for d in copy_end["outputs"]] == [(f"s3://{bucket}", "copies/weekly_sales/run_date=2026-11-23")]
    assert copy_end["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] == 2
    assert copy_end["run"]["facets"]["parent"]["run"]["runId"] == week[0]["run"]["runId"]
    failed = [e for e in events if e["job"]["name"] == "weekly-sales" and e["eventType"] == "FAIL"]
    assert len(failed) == 1 and "SchemaDriftError" in failed[0]["run"]["facets"]["errorMessage"]["message"]


def _validator_for(schema_file: str, definition: str) -> Draft202012Validator:
    documents = [json.loads(p.read_text()) for p in FIXTURES.glob("*.json")]
    registry = Registry().with_resources((d["$id"], Resource.from_contents(d)) for d in documents)
    facet = json.loads((FIXTURES / schema_file).read_text())
    return Draft202012Validator({"$ref": f"{facet['$id']}#/$defs/{definition}"}, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
