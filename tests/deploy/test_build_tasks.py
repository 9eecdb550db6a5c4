"""Every build task against the embedded AWS, checked by its effect.

Stacks come from the fixture templates in tests/deploy/fixtures (copied per
test, so a test can edit its params file), and no pipeline files unless a
test points ETL_PIPELINES_DIR at them (the sample's, or a copy); the
pipeline stacks themselves, which import the real shared stacks, are
deployed in test_deploy_sequence.py.

Most tasks run in-process through the same entry point as ``python
build.py``; a few run as real ``python build.py ...`` processes to prove the
invocation style.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError

from runners.pipelines.asl import render_state_machine
from runners.build import artifacts, operations
from runners.build import pipelines as pipeline_ops
from runners.build import stacks as stack_ops
from runners.build.package import PACKAGE_NAME
from runners.build.runner import main
from runners.build.settings import current_context
from support import unique

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _load_build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_tasks_under_test", ROOT / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILD = _load_build_module()


class Build:
    """One test's build configuration: its own prefix, bucket, build and template dirs."""

    def __init__(self, tmp_path: Path, endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.prefix = unique("t")
        self.bucket = unique("artifacts")
        self.build_dir = tmp_path / "build"
        self.templates = tmp_path / "templates"
        shutil.copytree(FIXTURES, self.templates)
        self.pipelines = tmp_path / "no-pipelines"
        self.pipelines.mkdir()
        self.env = {
            "ETL_STACK_PREFIX": self.prefix,
            "ETL_ARTIFACT_BUCKET": self.bucket,
            "ETL_BUILD_DIR": str(self.build_dir),
            "ETL_TEMPLATES_DIR": str(self.templates),
            "ETL_PIPELINES_DIR": str(self.pipelines),
            "ETL_STACK_POLL_SECONDS": "0.05",
            "AWS_ENDPOINT_URL": endpoint,
        }
        self._capsys = capsys

    def run(self, *argv: str) -> tuple[int, str, str]:
        """`python build.py ARGV` in this process; (exit status, stdout, stderr)."""
        self._capsys.readouterr()
        status = main(BUILD, list(argv))
        out, err = self._capsys.readouterr()
        return status, out, err

    def ok(self, *argv: str) -> str:
        status, out, err = self.run(*argv)
        assert status == 0, f"{argv} failed ({status}):\n{out}\n{err}"
        return out

    def artifact_bucket(self) -> None:
        """What glue-resources does: a stack creates the artifact bucket."""
        self.ok("createstack[artifacts]")

    def process(self, *argv: str) -> subprocess.CompletedProcess[str]:
        """`python build.py ARGV` as a real process."""
        env = {**os.environ, **self.env}
        return subprocess.run([sys.executable, "build.py", *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    def set_param(self, stack: str, key: str, value: str) -> None:
        path = self.templates / f"{stack}-params.json"
        items = [i for i in json.loads(path.read_text()) if i["ParameterKey"] != key]
        path.write_text(json.dumps([*items, {"ParameterKey": key, "ParameterValue": value}]))

    def stack_name(self, stack: str) -> str:
        return f"{self.prefix}-{stack}"

    def package_key(self) -> str:
        data = (self.build_dir / "lambda" / PACKAGE_NAME).read_bytes()
        return f"lambda/etl-runner-{hashlib.sha256(data).hexdigest()[:16]}.zip"


@pytest.fixture
def build(embedded_aws, tmp_path, monkeypatch, capsys) -> Build:
    b = Build(tmp_path, embedded_aws.endpoint_url, capsys)
    for key, value in b.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(pipeline_ops, "render_definition", render_state_machine)
    return b


@pytest.fixture
def with_sample(build, monkeypatch) -> Build:
    """The build pointed at the repository's pipeline files."""
    monkeypatch.setenv("ETL_PIPELINES_DIR", str(ROOT / "pipelines"))
    return build


def c(service: str):
    return boto3.client(service)


def stack_status(name: str) -> str | None:
    try:
        return c("cloudformation").describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    except ClientError:
        return None


def physical_ids(stack_name: str) -> dict[str, str]:
    resources = c("cloudformation").list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources if r["LogicalResourceId"]}


# -- artifacts ----------------------------------------------------------------------------


def test_packagelambda_and_deploylambda_as_processes_upload_the_package(build):
    build.artifact_bucket()
    done = build.process("packagelambda[all_runners,job_events]", "deploylambda")
    assert done.returncode == 0, done.stderr
    zip_path = build.build_dir / "lambda" / PACKAGE_NAME
    key = build.package_key()
    body = c("s3").get_object(Bucket=build.bucket, Key=key)["Body"].read()
    assert body == zip_path.read_bytes()
    assert f"s3://{build.bucket}/{key} ({len(body):,} bytes" in done.stdout
    assert "handler runners.handlers.all_runners" in done.stdout
    assert done.stdout.count("[ packagelambda") == 1  # the dependency ran once, with the arguments given

    # Same package again: same key, not uploaded twice.
    again = build.ok("deploylambda")
    assert f"already uploaded s3://{build.bucket}/{key}" in again


def test_deploygluescripts_uploads_each_pipelines_scripts_under_its_name(with_sample):
    build = with_sample
    build.artifact_bucket()
    out = build.ok("deploygluescripts")
    sample = pipeline_ops.render(current_context(), "sales-marketing").pipeline
    scripts = sorted({sample.script_path(step) for step in sample.glue_steps})
    listed = c("s3").list_objects_v2(Bucket=build.bucket, Prefix="glue-scripts/sales-marketing/")["Contents"]
    assert sorted(o["Key"] for o in listed) == sorted(f"glue-scripts/sales-marketing/{s.name}" for s in scripts)
    for script in scripts:
        assert c("s3").get_object(Bucket=build.bucket, Key=f"glue-scripts/sales-marketing/{script.name}")["Body"].read() == script.read_bytes()
        assert f"s3://{build.bucket}/glue-scripts/sales-marketing/{script.name}" in out


def test_uploaddefinition_uploads_the_rendered_state_machine_under_its_content_key(with_sample):
    build = with_sample
    build.artifact_bucket()
    out = build.ok("uploaddefinition[sales-marketing]")
    rendered = pipeline_ops.render(current_context(), "sales-marketing")
    key = rendered.definition_key
    assert re.fullmatch(r"state-machine/sales-marketing-[0-9a-f]{16}\.asl\.json", key)
    assert c("s3").get_object(Bucket=build.bucket, Key=key)["Body"].read().decode() == rendered.definition
    assert key in out and "glue-scripts/sales-marketing/process_sales_data.py" in out
    assert "already uploaded" in build.ok("uploaddefinition")  # same content, same key


def test_renderpipelines_writes_the_definition_and_template_and_checks_permissions(with_sample, monkeypatch):
    build = with_sample
    status, _, err = build.run("renderpipelines")  # the fixture templates are not the shared stacks
    assert status == 1 and "no template of the shared stack(s) glue-resources, step-functions-resources, runner-resources" in err
    monkeypatch.setenv("ETL_TEMPLATES_DIR", str(ROOT / "cloudformation"))
    out = build.ok("renderpipelines")
    folder = build.build_dir / "pipelines" / "sales-marketing"
    assert json.loads((folder / "definition.asl.json").read_text())["States"]
    template = yaml.safe_load((folder / "template.yaml").read_text())
    assert template["Resources"]["StateMachine"]["Properties"]["StateMachineName"] == f"{build.prefix}-sales-marketing"
    assert re.search(r"^permission check passed: .*\bsales-marketing\b", out, re.M)


def test_renderpipelines_fails_naming_the_step_action_and_resource(build, monkeypatch, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "pipelines", project / "pipelines")
    shutil.copytree(ROOT / "glue-scripts", project / "glue-scripts")
    path = project / "pipelines" / "sales_marketing.yaml"
    path.write_text(path.read_text().replace("    reads: [raw/sales/]", "    reads: [raw/sales/2025/]"))
    monkeypatch.setenv("ETL_PIPELINES_DIR", str(project / "pipelines"))
    monkeypatch.setenv("ETL_TEMPLATES_DIR", str(ROOT / "cloudformation"))
    status, _, err = build.run("renderpipelines")
    assert status == 1 and "the permission check failed (a step would be denied on AWS)" in err
    assert f"sales-marketing: step process_sales_data: the Glue job role lacks s3:GetObject on arn:aws:s3:::{build.prefix}-data/raw/sales/run_date=2026-11-16/part-00000" in err


def test_unknown_and_invalid_pipelines_are_named(with_sample, monkeypatch, tmp_path):
    build = with_sample
    status, _, err = build.run("deploypipelines[nosuch]")
    assert status == 1 and "unknown pipeline(s) nosuch" in err and "sales-marketing" in err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "bad.yaml").write_text("pipeline: bad\nsteps: {}\n")
    monkeypatch.setenv("ETL_PIPELINES_DIR", str(broken))
    status, _, err = build.run("renderpipelines")
    assert status == 1 and "pipeline bad (" in err and "steps" in err


# -- stacks --------------------------------------------------------------------------------


def test_createstack_refuses_no_default_values_and_names_them(build):
    status, out, err = build.run("createstack[runners]")
    assert status == 1
    assert "Environment" in err and "<NO-DEFAULT>" in err and "runners-params.json" in err
    assert stack_status(build.stack_name("runners")) is None


def test_createstack_needs_the_uploaded_package(build):
    build.set_param("runners", "Environment", "test")
    build.artifact_bucket()
    build.ok("packagelambda")
    status, _, err = build.run("createstack[runners]")
    assert status == 1
    assert "deploylambda" in err and "not uploaded" in err
    assert stack_status(build.stack_name("runners")) is None


def test_stack_lifecycle_create_update_status_delete(build):
    build.set_param("runners", "Environment", "staging")
    build.artifact_bucket()
    build.ok("deploylambda")
    name = build.stack_name("runners")

    # create, as a process: python build.py createstack[runners]
    created = build.process("createstack[runners]")
    assert created.returncode == 0, created.stderr
    assert stack_status(name) == "CREATE_COMPLETE"
    for key in stack_ops.PACKAGE_KEY_PARAMETERS:
        assert f"parameter {key} = {build.package_key()} (set by the build)" in created.stdout
    assert "CREATE_COMPLETE" in created.stdout and "output TasksTableName" in created.stdout
    ids = physical_ids(name)
    lam = c("lambda")
    package_sha = base64.b64encode(hashlib.sha256((build.build_dir / "lambda" / PACKAGE_NAME).read_bytes()).digest()).decode()
    for logical, handler in [("RunnerFunction", "all_runners"), ("JobEventsFunction", "job_events"), ("ObjectCreatedFunction", "object_created")]:
        config = lam.get_function_configuration(FunctionName=ids[logical])
        assert config["Handler"] == f"runners.handlers.{handler}"
        assert config["CodeSha256"] == package_sha
    assert c("dynamodb").describe_table(TableName=ids["TasksTable"])["Table"]["TableStatus"] == "ACTIVE"
    assert c("ssm").get_parameter(Name=f"/{name}/environment")["Parameter"]["Value"] == "staging"
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in c("cloudformation").describe_stacks(StackName=name)["Stacks"][0]["Parameters"]}
    assert parameters["ArtifactBucketName"] == build.bucket
    assert parameters["GlueStackName"] == build.stack_name("glue-resources")  # for its imports

    # create again: refused
    status, _, err = build.run("createstack[runners]")
    assert status == 1 and "already exists" in err and "updatestack[runners]" in err

    # update: the changed parameter reaches the resource
    build.set_param("runners", "Environment", "production")
    build.set_param("runners", "VisibilitySeconds", "120")
    out = build.ok("updatestack[runners]")
    assert "UPDATE_COMPLETE" in out
    assert stack_status(name) == "UPDATE_COMPLETE"
    assert c("ssm").get_parameter(Name=f"/{name}/environment")["Parameter"]["Value"] == "production"
    queue_url = c("cloudformation").describe_stacks(StackName=name)["Stacks"][0]["Outputs"]
    url = next(o["OutputValue"] for o in queue_url if o["OutputKey"] == "ArrivalsQueueUrl")
    assert c("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]["VisibilityTimeout"] == "120"

    # update without changes is not an error (moto updates anyway; AWS answers as simulated here)
    cfn = current_context().client("cloudformation")

    def no_updates(**_kwargs):
        raise ClientError({"Error": {"Code": "ValidationError", "Message": "No updates are to be performed."}}, "UpdateStack")

    cfn.meta.events.register("before-call.cloudformation.UpdateStack", no_updates)
    try:
        assert "no changes" in build.ok("updatestack[runners]")
    finally:
        cfn.meta.events.unregister("before-call.cloudformation.UpdateStack", no_updates)

    # status of every project stack
    out = build.ok("stackstatus")
    lines = {line.split()[0]: line for line in out.splitlines()[1:] if line.strip() and not line.startswith("[")}
    assert name in lines["runners"] and "UPDATE_COMPLETE" in lines["runners"]
    assert "CREATE_COMPLETE" in lines["artifacts"] and "NOT CREATED" in lines["pipeline"]

    # delete: the stack and its resources are gone; a second delete is a no-op
    out = build.ok("deletestack[runners]")
    assert "DELETE_COMPLETE" in out
    assert stack_status(name) is None
    with pytest.raises(ClientError):
        c("dynamodb").describe_table(TableName=ids["TasksTable"])
    assert "nothing to delete" in build.ok("deletestack[runners]")


def test_updatelambda_points_every_function_at_the_package(build):
    build.set_param("runners", "Environment", "test")
    build.artifact_bucket()
    build.ok("deploylambda", "createstack[runners]")
    ids = physical_ids(build.stack_name("runners"))
    lam = c("lambda")
    # Drift one function's code away from the package.
    c("s3").put_object(Bucket=build.bucket, Key="other.zip", Body=b"PK\x05\x06" + b"\0" * 18)
    lam.update_function_code(FunctionName=ids["JobEventsFunction"], S3Bucket=build.bucket, S3Key="other.zip")
    package_sha = base64.b64encode(hashlib.sha256((build.build_dir / "lambda" / PACKAGE_NAME).read_bytes()).digest()).decode()
    assert lam.get_function_configuration(FunctionName=ids["JobEventsFunction"])["CodeSha256"] != package_sha

    out = build.ok("updatelambda[job_events]")
    assert lam.get_function_configuration(FunctionName=ids["JobEventsFunction"])["CodeSha256"] == package_sha
    assert "matches the package" in out and ids["JobEventsFunction"] in out
    assert out.count("now runs") == 1  # only the function asked for

    out = build.ok("updatelambda")  # all four
    assert out.count("now runs") == 4


def test_updatelambda_without_a_stack_says_what_to_do(build):
    build.artifact_bucket()
    status, _, err = build.run("updatelambda[all_runners]")
    assert status == 1 and "no Lambda function with handler runners.handlers.all_runners" in err


def test_unknown_and_missing_stack_names(build):
    status, _, err = build.run("createstack[nosuch]")
    assert status == 1 and "unknown stack 'nosuch'" in err and "artifacts, pipeline, runners" in err
    status, _, err = build.run("createstack")
    assert status == 1 and "name the stack" in err


def test_large_template_goes_through_the_artifact_bucket(build):
    template = build.templates / "pipeline.yaml"
    template.write_text(template.read_text() + "# padding\n" * 6000)
    build.artifact_bucket()
    out = build.ok("createstack[pipeline]")
    assert "using s3://" in out
    assert stack_status(build.stack_name("pipeline")) == "CREATE_COMPLETE"
    build.ok("deletestack[pipeline]")


# -- operating the pipeline ------------------------------------------------------------------


def _schedule(name: str) -> dict:
    return c("scheduler").get_schedule(Name=name)


def test_disable_and_enable_the_weekly_schedule(build):
    scheduler = c("scheduler")
    name = unique("weekly")
    target = {"Arn": "arn:aws:states:us-east-1:123456789012:stateMachine:x", "RoleArn": "arn:aws:iam::123456789012:role/x", "Input": "{}"}
    scheduler.create_schedule(
        Name=name,
        ScheduleExpression="cron(0 6 ? * MON *)",
        ScheduleExpressionTimezone="Europe/Berlin",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=target,
        State="ENABLED",
        Description="weekly pipeline run",
    )
    out = build.ok(f"disableschedule[{name}]")
    schedule = _schedule(name)
    assert schedule["State"] == "DISABLED" and "ENABLED -> DISABLED" in out
    # everything else is kept
    assert schedule["ScheduleExpression"] == "cron(0 6 ? * MON *)"
    assert schedule["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert schedule["Target"]["Arn"] == target["Arn"] and schedule["Description"] == "weekly pipeline run"

    assert "already DISABLED" in build.ok(f"disableschedule[{name}]")
    done = build.process(f"enableschedule[{name}]")
    assert done.returncode == 0, done.stderr
    assert _schedule(name)["State"] == "ENABLED"


def test_schedule_is_found_in_the_project_stacks(build, monkeypatch):
    name = unique("weekly")
    c("scheduler").create_schedule(Name=name, ScheduleExpression="rate(7 days)", FlexibleTimeWindow={"Mode": "OFF"}, Target={"Arn": "arn:aws:sqs:us-east-1:123456789012:q", "RoleArn": "arn:aws:iam::123456789012:role/x"})
    # moto's CloudFormation does not create AWS::Scheduler::Schedule; stand in for ListStackResources.
    monkeypatch.setattr(operations.stacks, "project_resources", lambda ctx, kind: [(build.stack_name("pipeline"), "WeeklySchedule", name)] if kind == "AWS::Scheduler::Schedule" else [])
    build.ok("disableschedule")
    assert _schedule(name)["State"] == "DISABLED"


def test_schedule_not_found_is_a_clear_error(build):
    status, _, err = build.run("enableschedule")
    assert status == 1 and "no AWS::Scheduler::Schedule" in err and "enableschedule[NAME]" in err
    status, _, err = build.run("enableschedule[no-such-schedule]")
    assert status == 1 and "does not exist" in err


def test_startexecution_starts_the_stacks_state_machine_with_the_run_date(build):
    build.artifact_bucket()
    build.ok("createstack[pipeline]")
    arn = physical_ids(build.stack_name("pipeline"))["Pipeline"]
    sfn = c("stepfunctions")

    done = build.process("startexecution[2026-11-16]")
    assert done.returncode == 0, done.stderr
    executions = sfn.list_executions(stateMachineArn=arn)["executions"]
    assert len(executions) == 1 and executions[0]["executionArn"] in done.stdout
    assert json.loads(sfn.describe_execution(executionArn=executions[0]["executionArn"])["input"]) == {"runDate": "2026-11-16"}

    build.ok("startexecution")  # default: this week's Monday
    today = date.today()
    monday = (today - timedelta(days=today.weekday())).isoformat()
    inputs = [json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"]) for e in sfn.list_executions(stateMachineArn=arn)["executions"]]
    assert {"runDate": monday} in inputs

    status, _, err = build.run("startexecution[2026-13-01]")
    assert status == 1 and "2026-13-01" in err
    status, _, err = build.run("startexecution[16.11.2026]")
    assert status == 1 and "YYYY-MM-DD" in err


def test_startexecution_without_a_stack_says_so(build):
    status, _, err = build.run("startexecution")
    assert status == 1 and "no state machine" in err


# -- buckets ---------------------------------------------------------------------------------


def test_deletes3bucket_deletes_every_version_then_the_bucket(build):
    s3 = c("s3")
    bucket = unique("doomed")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for i in range(3):
        s3.put_object(Bucket=bucket, Key="data.csv", Body=f"v{i}".encode())
    s3.put_object(Bucket=bucket, Key="other.csv", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="other.csv")  # a delete marker

    status, _, err = build.run(f"deletes3bucket[{bucket}]")  # no terminal, no confirmation
    assert status == 1 and f"deletes3bucket[{bucket},confirm=yes]" in err
    assert artifacts.bucket_exists(s3, bucket)

    out = build.ok(f"deletes3bucket[{bucket},confirm=yes]")
    assert "5 object version(s)/marker(s)" in out
    assert not artifacts.bucket_exists(s3, bucket)

    status, _, err = build.run(f"deletes3bucket[{bucket},confirm=yes]")
    assert status == 1 and "does not exist" in err


def test_clean_removes_the_build_directory(build):
    build.ok("packagelambda")
    assert (build.build_dir / "lambda" / PACKAGE_NAME).is_file()
    build.ok("clean")
    assert not build.build_dir.exists()


def test_params_file_must_match_the_template(build):
    build.set_param("runners", "Environment", "test")
    build.set_param("runners", "Colour", "blue")
    status, _, err = build.run("createstack[runners]")
    assert status == 1 and "sets Colour, which runners.yaml does not declare" in err
    # a template parameter without a default must be given
    (build.templates / "runners-params.json").write_text("[]")
    status, _, err = build.run("createstack[runners]")
    assert status == 1 and "set Environment in" in err
    assert stack_status(build.stack_name("runners")) is None


def test_build_values_and_the_params_file_must_agree(build):
    build.artifact_bucket()
    build.set_param("pipeline", "ArtifactBucketName", "someone-elses-bucket")
    status, _, err = build.run("createstack[pipeline]")
    assert status == 1 and "sets ArtifactBucketName='someone-elses-bucket'" in err and "the build sets these" in err
    build.set_param("pipeline", "ArtifactBucketName", "<NO-DEFAULT>")  # fine: the build fills it
    out = build.ok("createstack[pipeline]")
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in c("cloudformation").describe_stacks(StackName=build.stack_name("pipeline"))["Stacks"][0]["Parameters"]}
    assert parameters["ArtifactBucketName"] == build.bucket
    assert f"parameter ArtifactBucketName = {build.bucket} (set by the build)" in out


def test_only_pipeline_stacks_get_a_definition_key(build):
    template = build.templates / "pipeline.yaml"
    template.write_text(template.read_text().replace("Parameters:\n", "Parameters:\n  StateMachineDefinitionS3Key:\n    Type: String\n", 1))
    status, _, err = build.run("createstack[pipeline]")
    assert status == 1 and "declares StateMachineDefinitionS3Key, which the build fills only for pipeline stacks" in err


def test_uploads_need_the_artifact_bucket_and_say_which_stack_creates_it(with_sample):
    build = with_sample
    for task in ("deploygluescripts", "uploaddefinition", "deploylambda"):
        status, _, err = build.run(task)
        assert status == 1
        assert f"artifact bucket {build.bucket} (from ETL_ARTIFACT_BUCKET) does not exist: createstack[artifacts] creates it" in err


def test_artifact_bucket_name_from_a_params_file_or_the_default(with_sample, monkeypatch):
    build = with_sample
    monkeypatch.delenv("ETL_ARTIFACT_BUCKET")
    name = unique("from-params")
    build.set_param("artifacts", "ArtifactBucketName", name)
    build.ok("createstack[artifacts]")
    assert artifacts.bucket_exists(c("s3"), name)
    assert f"s3://{name}/glue-scripts/sales-marketing/" in build.ok("deploygluescripts")
    # Neither the variable nor a params file: <prefix>-artifacts-<account>-<region>
    build.set_param("artifacts", "ArtifactBucketName", "<NO-DEFAULT>")
    assert current_context().artifact_bucket == f"{build.prefix}-artifacts-123456789012-us-east-1"
    # Two params files that disagree
    build.set_param("artifacts", "ArtifactBucketName", "one")
    build.set_param("pipeline", "ArtifactBucketName", "two")
    status, _, err = build.run("deploygluescripts")
    assert status == 1 and "different artifact buckets" in err


# -- the real templates -------------------------------------------------------------------


@pytest.fixture
def real(with_sample) -> Build:
    """The build pointed at a copy of cloudformation/ (so its params file can be filled) and the sample pipeline."""
    build = with_sample
    shutil.rmtree(build.templates)
    shutil.copytree(ROOT / "cloudformation", build.templates, ignore=shutil.ignore_patterns("*.md"))
    return build


def test_real_templates_get_every_parameter_from_their_file_or_the_build(real):
    """glue-resources is created on the embedded AWS; for the other shared stacks
    and the sample's pipeline stack the build's parameters are resolved and
    checked without creating them (test_deploy_sequence.py creates them all)."""
    stacks_ = sorted(p.stem for p in (ROOT / "cloudformation").glob("*.yaml"))
    assert stacks_ == ["glue-resources", "runner-resources", "runner-service", "step-functions-resources"]
    project = current_context().settings.project_stacks()
    assert project[:4] == stacks_ and "pipeline-sales-marketing" in project[4:]  # then one stack per pipeline file

    status, _, err = real.run("createstack[glue-resources]")
    assert status == 1 and "set DataBucketName in" in err  # the one value a user must choose

    data_bucket = unique("data")
    real.set_param("glue-resources", "DataBucketName", data_bucket)
    out = real.ok("createstack[glue-resources]")
    assert f"parameter ArtifactBucketName = {real.bucket} (set by the build)" in out
    assert artifacts.bucket_exists(c("s3"), real.bucket) and artifacts.bucket_exists(c("s3"), data_bucket)

    real.ok("uploaddefinition", "deploylambda")

    key = real.package_key()
    values = {}
    for stack in ("step-functions-resources", "runner-resources", "pipeline-sales-marketing"):
        request = stack_ops.prepare(current_context(), stack, print)
        values[stack] = {p["ParameterKey"]: p["ParameterValue"] for p in request.parameters}
        assert "<NO-DEFAULT>" not in values[stack].values()
    runner, pipeline = values["runner-resources"], values["pipeline-sales-marketing"]
    assert runner["GlueStackName"] == real.stack_name("glue-resources")
    assert runner["StepFunctionsStackName"] == real.stack_name("step-functions-resources")
    assert runner["StackPrefix"] == real.prefix
    assert {runner[k] for k in stack_ops.PACKAGE_KEY_PARAMETERS} == {key}
    assert runner["RunnerMode"] == "lambda"  # ETL_RUNNER_MODE unset
    assert pipeline["RunnerStackName"] == real.stack_name("runner-resources")
    assert pipeline["StateMachineDefinitionS3Key"] == pipeline_ops.render(current_context(), "sales-marketing").definition_key
