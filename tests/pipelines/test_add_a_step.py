"""Adding a Glue job and an Athena step to a pipeline touches only that
pipeline's file, the job's script and the step's SQL file: the rendered state
machine, the deployed Glue job and the (local) deployment follow from them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from support import unique
from runners.aws import AwsClients
from runners.config import Settings
from runners.local.deploy import deploy_pipeline
from runners.pipelines import SAMPLE_PIPELINE, load_pipeline
from runners.pipelines.asl import render_state_machine
from runners.pipelines.states import all_states

ROOT = SAMPLE_PIPELINE.parents[1]

NEW_STEPS = """
  score_leads:
    after: [process_sales_data]
    glue:
      script: glue-scripts/score_leads.py
      worker_type: G.2X
      workers: 4
      arguments:
        --input_path: s3://${data_bucket}/processed/sales/run_date=${run_date}/
        --output_path: s3://${data_bucket}/scored/leads/run_date=${run_date}/
    reads: [processed/sales/]
    writes: [scored/leads/]

  count_scored_leads:
    after: [score_leads, store_monthly_aggregate]
    athena:
      sql: pipelines/sql/sales_marketing/count_scored_leads.sql
      parameters: ["'${run_date}'"]
"""


def copy_of_the_sample(tmp_path: Path) -> Path:
    for folder in ("pipelines", "glue-scripts"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    path = tmp_path / "pipelines" / SAMPLE_PIPELINE.name
    path.write_text(path.read_text() + NEW_STEPS)
    (tmp_path / "glue-scripts" / "score_leads.py").write_text("from awsglue.utils import getResolvedOptions\n")
    (tmp_path / "pipelines" / "sql" / "sales_marketing" / "count_scored_leads.sql").write_text(
        "SELECT count(*) FROM ${database}.sales_marketing_monthly WHERE run_date = ?\n")
    return path


def names(definition: dict) -> dict[str, dict]:
    return {name: state for name, state, _ in all_states(definition["States"])}


def test_the_new_steps_are_rendered_where_their_dependencies_put_them(tmp_path):
    pipeline = load_pipeline(copy_of_the_sample(tmp_path))
    rendered = render_state_machine(pipeline)
    states = names(rendered.definition)
    assert states["Score Leads"]["Parameters"]["GlueJobName"] == "${ScoreLeadsJobName}"
    assert "ScoreLeadsJobName" in rendered.placeholders
    query = states["Count Scored Leads"]["Parameters"]
    assert query["AthenaQueryString"].startswith("SELECT count(*) FROM ${AthenaDatabase}.sales_marketing_monthly")
    assert query["ExecutionParameters.$"] == r"States.Array(States.Format('\'{}\'', $.runDate))"
    # Score Leads depends only on Process Sales Data: it runs beside the join, in a branch.
    top = rendered.definition["States"]
    assert "Score Leads" not in top and "Count Scored Leads" in top
    original = names(render_state_machine(load_pipeline(SAMPLE_PIPELINE)).definition)
    kept = {n for n in original if not n.startswith("Parallel ")}
    assert kept <= set(states) and {"Score Leads", "Count Scored Leads"} <= set(states)


def test_the_copy_deploys_to_the_embedded_aws_with_its_new_job(aws, tmp_path):
    path = copy_of_the_sample(tmp_path)
    prefix = unique("addstep")
    settings = Settings.from_env(glue_table=f"{prefix}-glue", athena_table=f"{prefix}-athena", wait_table=f"{prefix}-waits", arrivals_table=f"{prefix}-arrivals")
    clients = AwsClients(settings)
    deployment = deploy_pipeline(clients, settings, load_pipeline(path), prefix=prefix)
    glue = clients.client("glue")
    job = glue.get_job(JobName=deployment.job_names["score_leads"])["Job"]
    assert job["WorkerType"] == "G.2X" and job["NumberOfWorkers"] == 4
    script = job["Command"]["ScriptLocation"]
    bucket, key = script[len("s3://"):].split("/", 1)
    assert clients.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().startswith(b"from awsglue")
    definition = json.loads(clients.client("stepfunctions").describe_state_machine(stateMachineArn=deployment.state_machine_arn)["definition"])
    states = names(definition)
    assert states["Score Leads"]["Parameters"]["GlueJobName"] == deployment.job_names["score_leads"]
    assert deployment.athena_database in states["Count Scored Leads"]["Parameters"]["AthenaQueryString"]
