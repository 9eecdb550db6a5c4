"""End to end: the sample pipeline's hand-written JSONata twin
(``state_machine/sales_marketing_pipeline.jsonata.asl.json``) runs on this
machine in place of the definition rendered from the sample's pipeline file:
same jobs and placeholders, same answer, same failure."""

import json

import duckdb
import pytest

from support import unique, wait_execution
from runners.definition import PIPELINE_DEFINITION_JSONATA, placeholders
from runners.pipelines import SAMPLE_PIPELINE, load_pipeline
from runners.pipelines.asl import render_state_machine
from runners.local.pipeline import LocalPipeline
from runners.sample_data import write_sample_files

pytestmark = pytest.mark.e2e

RUN_DATE = "2026-11-16"


@pytest.fixture
def pipeline(aws):
    with LocalPipeline(prefix=unique("jsonata"), aws=aws, activity_poll_seconds=1.0, check_interval_seconds=0.3,
                       definition_path=PIPELINE_DEFINITION_JSONATA) as p:
        yield p


def entered_states(pipeline, execution):
    events = pipeline.client("stepfunctions").get_execution_history(executionArn=execution, maxResults=1000)["events"]
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def test_the_twin_uses_only_placeholders_the_sample_deployment_fills():
    rendered = render_state_machine(load_pipeline(SAMPLE_PIPELINE))
    text = PIPELINE_DEFINITION_JSONATA.read_text()
    assert json.loads(text)["QueryLanguage"] == "JSONata"
    # The twin publishes its own failure alert: the deployers fill the topic for it.
    assert placeholders(text) <= rendered.placeholders | {"NotificationTopicArn"}


def test_jsonata_twin_runs_the_pipeline_and_answers_the_question(pipeline, tmp_path):
    files = write_sample_files(tmp_path, rows=2000)
    execution = pipeline.start_execution(RUN_DATE)
    pipeline.upload_input("sales", RUN_DATE, files.sales)
    pipeline.upload_input("marketing", RUN_DATE, files.marketing)
    result = wait_execution(execution, timeout=600)
    assert result["status"] == "SUCCEEDED", result

    # The output document the JSONPath original builds with ResultPath.
    output = json.loads(result["output"])
    assert output["runDate"] == RUN_DATE
    sales_branch, marketing_branch = output["processed"]
    assert sales_branch["salesJob"]["JobRunState"] == "SUCCEEDED" and "salesData" in sales_branch
    assert marketing_branch["marketingJob"]["JobRunState"] == "SUCCEEDED" and "marketingData" in marketing_branch
    assert output["joinJob"]["JobRunState"] == "SUCCEEDED"
    assert set(output) == {"runDate", "processed", "joinJob", "query", "monthlyAggregate"}
    assert output["monthlyAggregate"]["State"] == "SUCCEEDED"
    assert "Run Date From Schedule" not in entered_states(pipeline, execution)

    rows = pipeline.client("athena").get_query_results(
        QueryExecutionId=output["query"]["QueryExecutionId"])["ResultSet"]["Rows"]
    got = [(r["Data"][0]["VarCharValue"][:7], int(r["Data"][2]["VarCharValue"])) for r in rows[1:]]
    expected = duckdb.sql(f"""
        WITH sales AS (SELECT strptime("Date", '%-m/%-d/%Y')::DATE AS d, count(*) AS leads
                       FROM read_csv('{files.sales}', header=true, types={{'Date': 'VARCHAR'}})
                       WHERE "Opportunity Stage" = 'Lead' GROUP BY 1),
             marketing AS (SELECT strptime("Date", '%-m/%-d/%Y')::DATE AS d
                           FROM read_csv('{files.marketing}', header=true, types={{'Date': 'VARCHAR'}}))
        SELECT strftime(date_trunc('month', s.d), '%Y-%m'), sum(leads)::BIGINT
        FROM sales s JOIN marketing m ON s.d = m.d GROUP BY 1 ORDER BY 1
    """).fetchall()
    assert got == expected and got


def test_jsonata_twin_fails_with_the_glue_error_after_notifying(pipeline, tmp_path):
    files = write_sample_files(tmp_path, rows=200)
    broken = tmp_path / "broken.csv"
    broken.write_text("Day,Who\n1/1/2020,x\n")
    execution = pipeline.start_execution(RUN_DATE)
    pipeline.upload_input("sales", RUN_DATE, files.sales)
    pipeline.upload_input("marketing", RUN_DATE, broken)
    result = wait_execution(execution, timeout=600)
    assert result["status"] == "FAILED"
    assert result["error"] == "GlueJobFailedError"
    assert json.loads(result["cause"])["JobName"].endswith("ProcessMarketingData")
    assert entered_states(pipeline, execution)[-2:] == ["Notify Failure", "Pipeline Failed"]
