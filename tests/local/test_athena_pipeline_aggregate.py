"""The sample pipeline's Athena steps, as its state machine definition writes them, on the local Athena.

The definition's last steps store the monthly aggregate: a Parquet table
partitioned by run date, filled with INSERT INTO ... SELECT from the joined
table. A rerun of a run date must add nothing. Expected values come from
DuckDB over the same Parquet file, not from the local Athena.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from support import client, ensure_bucket, results_location, unique
from runners.pipelines import SAMPLE_PIPELINE, load_pipeline
from runners.pipelines.asl import render_state_machine

STEPS = ("Create Database", "Create Table sales_marketing_joined", "Load Partitions Of sales_marketing_joined",
         "Create Table sales_marketing_monthly", "Store Monthly Aggregate")


def _all_states(states: dict) -> dict:
    found = dict(states)
    for state in states.values():
        for branch in state.get("Branches", []):
            found.update(_all_states(branch["States"]))
    return found


def _statements(database: str, bucket: str) -> dict[str, dict]:
    states = _all_states(render_state_machine(load_pipeline(SAMPLE_PIPELINE)).definition["States"])
    found = {}
    for name in STEPS:
        parameters = states[name]["Parameters"]
        found[name] = {
            "sql": parameters["AthenaQueryString"].replace("${AthenaDatabase}", database).replace("${DataBucket}", bucket),
            "parameterised": "ExecutionParameters.$" in parameters,
        }
    return found


def _run(athena, sql: str, database: str, output: str, parameters: list[str] | None = None) -> dict:
    kwargs = {"QueryString": sql, "QueryExecutionContext": {"Database": database}, "ResultConfiguration": {"OutputLocation": output}}
    if parameters:
        kwargs["ExecutionParameters"] = parameters
    query_id = athena.start_query_execution(**kwargs)["QueryExecutionId"]
    for _ in range(3000):
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        if execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            assert execution["Status"]["State"] == "SUCCEEDED", (sql, execution["Status"].get("StateChangeReason"))
            return execution
        time.sleep(0.01)
    raise AssertionError(f"{sql!r} did not finish")


def test_the_monthly_aggregate_is_stored_once_per_run_date(embedded_aws, tmp_path: Path):
    database, bucket = unique("pipe").replace("-", "_"), unique("pipe-data")
    ensure_bucket(bucket)
    output = results_location(unique("pipe-results"))
    joined = tmp_path / "joined.parquet"
    duckdb.connect().execute(f"""
        COPY (SELECT DATE '2026-09-20' + CAST(i AS INTEGER) AS date,
                     CAST(i * 7 % 900 AS BIGINT) AS forecasted_monthly_revenue, CAST(i % 5 AS BIGINT) AS lead_count,
                     {", ".join(f"CAST(i AS BIGINT) AS {c}" for c in (
                         "new_visitors_seo", "new_visitors_cpc", "new_visitors_social_media", "return_visitors",
                         "twitter_mentions", "twitter_follower_adds", "twitter_followers_cumulative", "mailing_list_adds",
                         "mailing_list_cumulative", "website_pageviews"))},
                     CAST(i * 3 AS BIGINT) AS website_visits,
                     {", ".join(f"CAST(i AS BIGINT) AS {c}" for c in (
                         "website_unique_visits", "mobile_uniques", "tablet_uniques", "desktop_uniques", "free_sign_up"))},
                     CAST(i % 2 AS BIGINT) AS paid_conversion
              FROM range(75) t(i)) TO '{joined}' (FORMAT PARQUET)""")
    s3 = client("s3")
    for run_date in ("2026-11-09", "2026-11-16"):
        s3.upload_file(str(joined), bucket, f"joined/sales_marketing/run_date={run_date}/part-0000.parquet")
    athena = client("athena")
    statements = _statements(database, bucket)

    def run_pipeline_steps(run_date: str) -> dict:
        execution = {}
        for name in STEPS:
            step = statements[name]
            parameters = [f"'{run_date}'"] if step["parameterised"] else None
            execution = _run(athena, step["sql"], database, output, parameters)
        return execution

    stored = run_pipeline_steps("2026-11-16")
    assert stored["Query"].startswith("INSERT INTO")
    expected = duckdb.connect().execute(f"""
        SELECT CAST(date_trunc('month', date) AS DATE), sum(forecasted_monthly_revenue), sum(lead_count),
               sum(website_visits), sum(paid_conversion)
        FROM read_parquet('{joined}') GROUP BY 1 ORDER BY 1""").fetchall()
    assert len(expected) == 4  # 75 days from 20 September: four months
    assert athena.get_query_results(QueryExecutionId=stored["QueryExecutionId"])["UpdateCount"] == 4

    rerun = run_pipeline_steps("2026-11-16")  # a rerun of the same run date adds nothing
    assert athena.get_query_results(QueryExecutionId=rerun["QueryExecutionId"])["UpdateCount"] == 0
    run_pipeline_steps("2026-11-09")

    glue = client("glue")
    partitions = glue.get_partitions(DatabaseName=database, TableName="sales_marketing_monthly")["Partitions"]
    assert sorted(p["Values"][0] for p in partitions) == ["2026-11-09", "2026-11-16"]
    for run_date in ("2026-11-09", "2026-11-16"):
        prefix = f"aggregates/sales_marketing_monthly/run_date={run_date}/"
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]]
        assert len(keys) == 1
        local = tmp_path / f"{run_date}.parquet"
        s3.download_file(bucket, keys[0], str(local))
        rows = duckdb.connect().execute(
            "SELECT month, forecasted_revenue, leads, website_visits, paid_conversions "
            f"FROM read_parquet('{local}') ORDER BY 1"
        ).fetchall()
        assert rows == expected
