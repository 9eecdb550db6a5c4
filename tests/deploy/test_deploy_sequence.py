"""The README's "Deploy to AWS" commands, in order, with the real templates,
against the embedded AWS: every stack is created, the deployed state machine is
the one the local pipeline runs, the schedule switches, and teardown works."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from support import unique
from runners.definition import pipeline_definition

ROOT = Path(__file__).resolve().parents[2]
STACKS = ("glue-resources", "step-functions-resources", "runner-resources")


@pytest.fixture
def deployer(embedded_aws, tmp_path):
    templates = tmp_path / "cloudformation"
    shutil.copytree(ROOT / "cloudformation", templates)
    data_bucket = unique("data")
    params = templates / "glue-resources-params.json"
    items = json.loads(params.read_text())
    for item in items:
        if item["ParameterKey"] == "DataBucketName":
            item["ParameterValue"] = data_bucket
    params.write_text(json.dumps(items))
    prefix = unique("etl")
    env = {
        "ETL_STACK_PREFIX": prefix,
        "ETL_ARTIFACT_BUCKET": unique("artifacts"),
        "ETL_BUILD_DIR": str(tmp_path / "build"),
        "ETL_TEMPLATES_DIR": str(templates),
        "ETL_STACK_POLL_SECONDS": "0.05",
        "AWS_ENDPOINT_URL": embedded_aws.endpoint_url,
    }

    def build(*argv: str) -> str:
        done = subprocess.run([sys.executable, "build.py", *argv], cwd=ROOT, env={**__import__("os").environ, **env}, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{argv}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    return build, prefix, data_bucket


def outputs(stack_name: str) -> dict[str, str]:
    stack = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    assert stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), stack["StackStatus"]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def test_readme_deploy_sequence_creates_runs_and_tears_down(deployer):
    build, prefix, data_bucket = deployer
    build("createstack[glue-resources]")
    build("deploygluescripts", "uploaddefinition", "packagelambda", "deploylambda")
    build("createstack[step-functions-resources]")
    build("createstack[runner-resources]")
    status = build("stackstatus")
    for stack in STACKS:
        assert f"{prefix}-{stack}" in status

    glue_out, sfn_out = outputs(f"{prefix}-glue-resources"), outputs(f"{prefix}-step-functions-resources")
    sfn = boto3.client("stepfunctions")
    deployed = sfn.describe_state_machine(stateMachineArn=sfn_out["StateMachineArn"])["definition"]
    expected = pipeline_definition(
        {
            "WaitForDataActivityArn": sfn_out["WaitForDataActivityArn"],
            "GlueRunnerActivityArn": sfn_out["GlueRunnerActivityArn"],
            "AthenaRunnerActivityArn": sfn_out["AthenaRunnerActivityArn"],
            "DataBucket": data_bucket,
            "AthenaDatabase": sfn_out["AthenaDatabase"],
            "AthenaResultsLocation": glue_out["AthenaResultsLocation"],
            "NotificationTopicArn": sfn_out["NotificationTopicArn"],
            "ProcessSalesJobName": glue_out["ProcessSalesJobName"],
            "ProcessMarketingJobName": glue_out["ProcessMarketingJobName"],
            "JoinJobName": glue_out["JoinJobName"],
        }
    )
    assert json.loads(deployed) == json.loads(expected), "the stack runs the same definition file the local pipeline runs"
    assert boto3.client("glue").get_job(JobName=glue_out["ProcessSalesJobName"])["Job"]["Command"]["ScriptLocation"].endswith("glue-scripts/process_sales_data.py")

    scheduler = boto3.client("scheduler")
    schedule_name = outputs(f"{prefix}-step-functions-resources")["WeeklyScheduleName"]
    build("disableschedule")
    assert scheduler.get_schedule(Name=schedule_name)["State"] == "DISABLED"
    build("enableschedule")
    assert scheduler.get_schedule(Name=schedule_name)["State"] == "ENABLED"

    out = build("startexecution[2026-11-16]")
    executions = sfn.list_executions(stateMachineArn=sfn_out["StateMachineArn"])["executions"]
    assert len(executions) == 1 and executions[0]["executionArn"] in out

    for stack in reversed(STACKS):
        build(f"deletestack[{stack}]")
    names = {s["StackName"]: s["StackStatus"] for s in boto3.client("cloudformation").list_stacks()["StackSummaries"] if s["StackName"].startswith(prefix)}
    assert set(names.values()) == {"DELETE_COMPLETE"}
