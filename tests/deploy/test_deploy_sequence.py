"""The README's "Deploy to AWS" commands with the real templates and the
sample pipeline, against the embedded AWS: `deploy` creates the shared stacks
and the pipeline's stack, the deployed state machine is the rendered one with
every placeholder filled, the pipeline's grants sit on the runner roles,
schedules switch and runs start by pipeline name, a second `deploy` updates
in place, and teardown works.

The tasks run in-process through build.py's entry point (as `python build.py`
would).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path

import boto3
import pytest

from runners.pipelines.asl import render_state_machine
from runners.build import pipelines as pipeline_ops
from runners.build.runner import main
from runners.build.settings import current_context
from support import unique

ROOT = Path(__file__).resolve().parents[2]
SHARED = ("glue-resources", "step-functions-resources", "runner-resources")


def _load_build_module():
    spec = importlib.util.spec_from_file_location("build_tasks_for_deploy", ROOT / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILD = _load_build_module()


@pytest.fixture
def deployer(embedded_aws, tmp_path, monkeypatch, capsys):
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
        "ETL_PIPELINES_DIR": str(ROOT / "pipelines"),
        "ETL_STACK_POLL_SECONDS": "0.05",
        "AWS_ENDPOINT_URL": embedded_aws.endpoint_url,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(pipeline_ops, "render_definition", render_state_machine)

    def build(*argv: str) -> str:
        capsys.readouterr()
        status = main(BUILD, list(argv))
        out, err = capsys.readouterr()
        assert status == 0, f"{argv}:\n{out}\n{err}"
        return out

    return build, prefix, data_bucket, env["ETL_ARTIFACT_BUCKET"]


def outputs(stack_name: str) -> dict[str, str]:
    stack = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    assert stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), stack["StackStatus"]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


@pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")
def test_readme_deploy_sequence_creates_runs_updates_and_tears_down(deployer):
    build, prefix, data_bucket, artifact_bucket = deployer
    build("deploy")
    status = build("stackstatus")
    for stack in current_context().settings.project_stacks():
        if stack == "runner-service":  # opt-in: buildimage pushimage rolloutservice (needs a VPC and Docker)
            assert re.search(rf"^{stack}\s+{prefix}-{stack}\s+NOT CREATED", status, re.M), status
            continue
        assert re.search(rf"^{stack}\s+{prefix}-{stack}\s+CREATE_COMPLETE", status, re.M), status

    glue_out, sfn_out, runner_out = (outputs(f"{prefix}-{s}") for s in SHARED)
    pipeline_out = outputs(f"{prefix}-pipeline-sales-marketing")
    rendered = pipeline_ops.render(current_context(), "sales-marketing")
    values = {
        "WaitForDataActivityArn": sfn_out["WaitForDataActivityArn"],
        "GlueRunnerActivityArn": sfn_out["GlueRunnerActivityArn"],
        "AthenaRunnerActivityArn": sfn_out["AthenaRunnerActivityArn"],
        "DataBucket": data_bucket,
        "ArtifactBucket": artifact_bucket,
        "AthenaDatabase": "sales_marketing",
        "AthenaResultsLocation": f"s3://{artifact_bucket}/athena-results/sales-marketing/",
        "PipelineName": "sales-marketing",
        "NotificationTopicArn": pipeline_out["NotificationTopicArn"],
        "ProcessSalesDataJobName": pipeline_out["ProcessSalesDataJobName"],
        "ProcessMarketingDataJobName": pipeline_out["ProcessMarketingDataJobName"],
        "JoinMarketingAndSalesDataJobName": pipeline_out["JoinMarketingAndSalesDataJobName"],
    }
    expected = re.sub(r"\$\{([A-Za-z0-9_]+)\}", lambda m: values[m.group(1)], rendered.definition)
    sfn = boto3.client("stepfunctions")
    deployed = sfn.describe_state_machine(stateMachineArn=pipeline_out["StateMachineArn"])
    assert deployed["name"] == f"{prefix}-sales-marketing"
    assert json.loads(deployed["definition"]) == json.loads(expected), "the stack runs the rendered definition, every placeholder filled"

    glue = boto3.client("glue")
    job = glue.get_job(JobName=pipeline_out["ProcessSalesDataJobName"])["Job"]
    assert pipeline_out["ProcessSalesDataJobName"] == f"{prefix}-sales-marketing-ProcessSalesData"
    assert job["Command"]["ScriptLocation"] == f"s3://{artifact_bucket}/glue-scripts/sales-marketing/process_sales_data.py"
    script = boto3.client("s3").get_object(Bucket=artifact_bucket, Key="glue-scripts/sales-marketing/process_sales_data.py")["Body"].read()
    assert script == (ROOT / "glue-scripts" / "process_sales_data.py").read_bytes()
    assert job["DefaultArguments"]["--custom-logGroup-prefix"] == glue_out["GlueLogGroupNames"].split(",")[0].rsplit("/", 1)[0]

    iam = boto3.client("iam")
    attached = {role: {p["PolicyName"]: p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=runner_out[f"{role}RoleName"])["AttachedPolicies"]}
                for role in ("Runner", "ObjectCreated", "PipelineTrigger")}
    # one managed policy per deployed pipeline on each shared role it needs
    for role, suffix in (("Runner", "runner"), ("ObjectCreated", "object-created"), ("PipelineTrigger", "pipeline-trigger")):
        assert f"{prefix}-sales-marketing-{suffix}" in attached[role], (role, attached[role])
    arn = attached["Runner"][f"{prefix}-sales-marketing-runner"]
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    granted = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    granted = granted if isinstance(granted, dict) else json.loads(granted)
    assert f"arn:aws:glue:us-east-1:123456789012:job/{prefix}-sales-marketing-JoinMarketingAndSalesData" in granted["Statement"][0]["Resource"]
    assert runner_out["RunnerMode"] == "lambda"

    scheduler = boto3.client("scheduler")
    build("disableschedule[sales-marketing]")
    assert scheduler.get_schedule(Name=pipeline_out["ScheduleName"])["State"] == "DISABLED"
    build("enableschedule[sales-marketing]")
    assert scheduler.get_schedule(Name=pipeline_out["ScheduleName"])["State"] == "ENABLED"

    out = build("startexecution[2026-11-16,pipeline=sales-marketing]")
    executions = sfn.list_executions(stateMachineArn=pipeline_out["StateMachineArn"])["executions"]
    assert len(executions) == 1 and executions[0]["executionArn"] in out
    sfn.stop_execution(executionArn=executions[0]["executionArn"])

    again = build("deploy")  # everything exists: updated in place, the pipeline re-checked
    assert f"updating stack {prefix}-pipeline-sales-marketing" in again
    assert outputs(f"{prefix}-pipeline-sales-marketing")["StateMachineArn"] == pipeline_out["StateMachineArn"]

    pipeline_stacks = [s for s in current_context().settings.project_stacks() if s.startswith("pipeline-")]
    assert "pipeline-sales-marketing" in pipeline_stacks  # deploy deployed every pipeline file
    for stack in (*pipeline_stacks, *reversed(SHARED)):
        build(f"deletestack[{stack}]")
    names = {s["StackName"]: s["StackStatus"] for s in boto3.client("cloudformation").list_stacks()["StackSummaries"] if s["StackName"].startswith(prefix)}
    assert set(names.values()) == {"DELETE_COMPLETE"}
