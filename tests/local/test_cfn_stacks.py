"""The three real stacks through CloudFormation on the embedded AWS: create in
order, effects visible through the ordinary APIs, update, delete in reverse."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest
from botocore.exceptions import ClientError

from runners.definition import PIPELINE_DEFINITION, pipeline_definition

TEMPLATES = Path(__file__).resolve().parents[2] / "cloudformation"
CODE_KEYS = ("GlueRunnerCodeS3Key", "AthenaRunnerCodeS3Key", "WaitRunnerCodeS3Key", "ObjectCreatedCodeS3Key")


class Deployment:
    """The three stacks under one unique prefix, with the parameters build.py fills."""

    def __init__(self) -> None:
        suffix = uuid.uuid4().hex[:8]
        self.prefix = f"cfn{suffix}"
        self.artifact_bucket = f"{self.prefix}-artifacts"
        self.data_bucket = f"{self.prefix}-data"
        self.definition_key = f"state_machine/{suffix}.asl.json"
        self.code_key = f"lambda/{suffix}.zip"
        self.cfn = boto3.client("cloudformation")

    def stack_name(self, stack: str) -> str:
        return f"{self.prefix}-{stack}"

    def parameters(self, stack: str, **overrides: str) -> list[dict[str, str]]:
        values = {p["ParameterKey"]: p["ParameterValue"] for p in json.loads((TEMPLATES / f"{stack}-params.json").read_text())}
        values.update(
            {
                "glue-resources": {"DataBucketName": self.data_bucket, "ArtifactBucketName": self.artifact_bucket},
                "step-functions-resources": {
                    "GlueStackName": self.stack_name("glue-resources"),
                    "StateMachineDefinitionS3Key": self.definition_key,
                },
                "runner-resources": {
                    "GlueStackName": self.stack_name("glue-resources"),
                    "StepFunctionsStackName": self.stack_name("step-functions-resources"),
                    **{key: self.code_key for key in CODE_KEYS},
                },
            }[stack]
        )
        values.update(overrides)
        return [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()]

    def _call(self, action: str, stack: str, **overrides: str) -> dict[str, Any]:
        getattr(self.cfn, action)(
            StackName=self.stack_name(stack),
            TemplateBody=(TEMPLATES / f"{stack}.yaml").read_text(),
            Parameters=self.parameters(stack, **overrides),
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        )
        return self.describe(stack)

    def create(self, stack: str, **overrides: str) -> dict[str, Any]:
        return self._call("create_stack", stack, **overrides)

    def update(self, stack: str, **overrides: str) -> dict[str, Any]:
        return self._call("update_stack", stack, **overrides)

    def describe(self, stack: str) -> dict[str, Any]:
        return self.cfn.describe_stacks(StackName=self.stack_name(stack))["Stacks"][0]

    def outputs(self, stack: str) -> dict[str, str]:
        return {o["OutputKey"]: o["OutputValue"] for o in self.describe(stack).get("Outputs", [])}

    def delete(self, stack: str) -> str:
        stack_id = self.describe(stack)["StackId"]
        self.cfn.delete_stack(StackName=self.stack_name(stack))
        return self.cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]


def _lambda_package() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("runners/handlers.py", "def glue_runner(event, context):\n    return None\n")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def deployment(embedded_aws) -> Iterator[Deployment]:
    d = Deployment()
    created = [d.create("glue-resources")]
    s3 = boto3.client("s3")
    # What build.py uploads between the stacks (uploaddefinition, deploylambda).
    s3.put_object(Bucket=d.artifact_bucket, Key=d.definition_key, Body=PIPELINE_DEFINITION.read_bytes())
    s3.put_object(Bucket=d.artifact_bucket, Key=d.code_key, Body=_lambda_package())
    created.append(d.create("step-functions-resources"))
    created.append(d.create("runner-resources"))
    d.created = created  # type: ignore[attr-defined]
    yield d
    for stack in ("runner-resources", "step-functions-resources", "glue-resources"):
        try:
            d.cfn.delete_stack(StackName=d.stack_name(stack))
        except ClientError:
            pass


def _substitutions(d: Deployment) -> dict[str, str]:
    glue = d.outputs("glue-resources")
    sfn = d.outputs("step-functions-resources")
    return {
        "WaitForDataActivityArn": sfn["WaitForDataActivityArn"],
        "GlueRunnerActivityArn": sfn["GlueRunnerActivityArn"],
        "AthenaRunnerActivityArn": sfn["AthenaRunnerActivityArn"],
        "DataBucket": glue["DataBucketName"],
        "ProcessSalesJobName": glue["ProcessSalesJobName"],
        "ProcessMarketingJobName": glue["ProcessMarketingJobName"],
        "JoinJobName": glue["JoinJobName"],
        "AthenaDatabase": sfn["AthenaDatabase"],
        "AthenaResultsLocation": glue["AthenaResultsLocation"],
        "NotificationTopicArn": sfn["NotificationTopicArn"],
    }


def test_all_three_stacks_create_complete_with_every_output(deployment):
    for stack in deployment.created:  # type: ignore[attr-defined]
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
        assert all(o.get("OutputValue") for o in stack["Outputs"]), stack["Outputs"]
    exports = {e["Name"]: e["Value"] for e in boto3.client("cloudformation").list_exports()["Exports"]}
    glue_stack = deployment.stack_name("glue-resources")
    assert exports[f"{glue_stack}-JoinJobName"] == f"{glue_stack}-JoinMarketingAndSalesData"
    assert exports[f"{deployment.stack_name('step-functions-resources')}-GlueRunnerActivityArn"].endswith(
        f":activity:{deployment.stack_name('step-functions-resources')}-GlueRunnerActivity"
    )


def test_glue_jobs_and_security_configuration(deployment):
    glue = boto3.client("glue")
    outputs = deployment.outputs("glue-resources")
    stack = deployment.stack_name("glue-resources")
    job = glue.get_job(JobName=outputs["ProcessSalesJobName"])["Job"]
    assert job["Command"]["Name"] == "glueetl"
    assert job["Command"]["ScriptLocation"] == f"s3://{deployment.artifact_bucket}/glue-scripts/process_sales_data.py"
    assert job["DefaultArguments"] == {"--job-language": "python", "--custom-logGroup-prefix": f"/aws-glue/jobs/{stack}"}
    assert (job["GlueVersion"], job["WorkerType"], job["NumberOfWorkers"]) == ("5.0", "G.1X", 2)
    assert (job["Timeout"], job["MaxRetries"], job["ExecutionProperty"]) == (60, 0, {"MaxConcurrentRuns": 1})
    assert job["Role"] == outputs["GlueJobRoleArn"]
    assert job["SecurityConfiguration"] == f"{stack}-glue-jobs"
    config = glue.get_security_configuration(Name=f"{stack}-glue-jobs")["SecurityConfiguration"]
    assert config["EncryptionConfiguration"]["S3Encryption"] == [{"S3EncryptionMode": "SSE-S3"}]


def test_policies_apply_and_tls_only_buckets_stay_usable(deployment):
    s3 = boto3.client("s3")
    policy = json.loads(s3.get_bucket_policy(Bucket=deployment.data_bucket)["Policy"])
    assert policy["Statement"][0]["Sid"] == "DenyInsecureTransport"
    s3.put_object(Bucket=deployment.data_bucket, Key="raw/probe.csv", Body=b"a\n")
    assert s3.get_object(Bucket=deployment.data_bucket, Key="raw/probe.csv")["Body"].read() == b"a\n"

    queue_url = deployment.outputs("glue-resources")["ArrivalsQueueUrl"]
    sqs = boto3.client("sqs")
    queue_url = sqs.get_queue_url(QueueName=queue_url.rsplit("/", 1)[-1])["QueueUrl"]
    queue_policy = json.loads(sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    assert [s["Sid"] for s in queue_policy["Statement"]] == ["DataBucketNotifications", "DenyInsecureTransport"]

    topic = deployment.outputs("step-functions-resources")["NotificationTopicArn"]
    topic_policy = json.loads(boto3.client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    assert topic_policy["Statement"][0]["Sid"] == "ExecutionStatusEvents"


def test_activities_and_state_machine_from_s3_with_substitutions(deployment):
    sfn = boto3.client("stepfunctions")
    outputs = deployment.outputs("step-functions-resources")
    activity = sfn.describe_activity(activityArn=outputs["GlueRunnerActivityArn"])
    assert activity["name"] == f"{deployment.stack_name('step-functions-resources')}-GlueRunnerActivity"
    machine = sfn.describe_state_machine(stateMachineArn=outputs["StateMachineArn"])
    assert machine["name"] == outputs["StateMachineName"]
    assert machine["definition"] == pipeline_definition(_substitutions(deployment))
    logging = machine["loggingConfiguration"]
    assert (logging["level"], logging["includeExecutionData"]) == ("ALL", True)
    assert logging["destinations"][0]["cloudWatchLogsLogGroup"]["logGroupArn"].endswith(
        f":log-group:{outputs['StateMachineLogGroupName']}"
    )


def test_the_stack_state_machine_executes_and_hands_out_activity_tasks(deployment):
    sfn = boto3.client("stepfunctions")
    outputs = deployment.outputs("step-functions-resources")
    execution = sfn.start_execution(stateMachineArn=outputs["StateMachineArn"], input='{"runDate": "2024-01-01"}')
    try:
        task = sfn.get_activity_task(activityArn=outputs["WaitForDataActivityArn"], workerName="test")
        for _ in range(4):
            if task.get("taskToken"):
                break
            task = sfn.get_activity_task(activityArn=outputs["WaitForDataActivityArn"], workerName="test")
        assert task.get("taskToken"), "no task from the stack's wait activity"
        assert json.loads(task["input"])["Bucket"] == deployment.data_bucket
    finally:
        sfn.stop_execution(executionArn=execution["executionArn"])


def test_weekly_schedule_targets_the_state_machine(deployment):
    outputs = deployment.outputs("step-functions-resources")
    schedule = boto3.client("scheduler").get_schedule(Name=outputs["WeeklyScheduleName"], GroupName="default")
    assert (schedule["ScheduleExpression"], schedule["ScheduleExpressionTimezone"]) == ("cron(0 6 ? * MON *)", "UTC")
    assert schedule["State"] == "ENABLED"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["Target"]["Arn"] == outputs["StateMachineArn"]
    assert json.loads(schedule["Target"]["Input"]) == {"scheduledTime": "<aws.scheduler.scheduled-time>"}


def test_runner_tables_functions_and_invoke_configs(deployment):
    outputs = deployment.outputs("runner-resources")
    dynamodb = boto3.client("dynamodb")
    for key in ("GlueTasksTableName", "AthenaTasksTableName", "DataWaitsTableName", "ObjectArrivalsTableName"):
        assert dynamodb.describe_table(TableName=outputs[key])["Table"]["TableStatus"] == "ACTIVE"
    aws_lambda = boto3.client("lambda")
    function = aws_lambda.get_function(FunctionName=outputs["GlueRunnerFunctionName"])["Configuration"]
    activity_arn = deployment.outputs("step-functions-resources")["GlueRunnerActivityArn"]
    assert function["Environment"]["Variables"]["ETL_GLUE_ACTIVITY_ARN"] == activity_arn
    config = aws_lambda.get_function_event_invoke_config(FunctionName=outputs["GlueRunnerFunctionName"])
    assert (config["MaximumRetryAttempts"], config["MaximumEventAgeInSeconds"]) == (0, 60)


def test_update_then_delete_in_reverse_order(deployment):
    glue, scheduler, sfn = boto3.client("glue"), boto3.client("scheduler"), boto3.client("stepfunctions")
    glue_outputs = deployment.outputs("glue-resources")
    sfn_outputs = deployment.outputs("step-functions-resources")

    updated = deployment.update("glue-resources", GlueNumberOfWorkers="3")
    assert updated["StackStatus"] == "UPDATE_COMPLETE", updated.get("StackStatusReason")
    assert glue.get_job(JobName=glue_outputs["JoinJobName"])["Job"]["NumberOfWorkers"] == 3

    updated = deployment.update("step-functions-resources", ScheduleState="DISABLED")
    assert updated["StackStatus"] == "UPDATE_COMPLETE", updated.get("StackStatusReason")
    assert deployment.outputs("step-functions-resources")["WeeklyScheduleName"] == sfn_outputs["WeeklyScheduleName"]
    assert scheduler.get_schedule(Name=sfn_outputs["WeeklyScheduleName"])["State"] == "DISABLED"

    runner_outputs = deployment.outputs("runner-resources")
    assert deployment.delete("runner-resources") == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        boto3.client("dynamodb").describe_table(TableName=runner_outputs["GlueTasksTableName"])

    assert deployment.delete("step-functions-resources") == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        sfn.describe_state_machine(stateMachineArn=sfn_outputs["StateMachineArn"])
    with pytest.raises(ClientError):
        sfn.describe_activity(activityArn=sfn_outputs["GlueRunnerActivityArn"])
    with pytest.raises(ClientError):
        scheduler.get_schedule(Name=sfn_outputs["WeeklyScheduleName"])

    assert deployment.delete("glue-resources") == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        glue.get_job(JobName=glue_outputs["JoinJobName"])
    with pytest.raises(ClientError):
        glue.get_security_configuration(Name=f"{deployment.stack_name('glue-resources')}-glue-jobs")
    buckets = {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}
    assert {deployment.artifact_bucket, deployment.data_bucket} <= buckets  # DeletionPolicy: Retain


def test_a_failing_resource_is_a_validation_error_naming_it(embedded_aws):
    template = {
        "Resources": {
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "RoleArn": "arn:aws:iam::123456789012:role/r",
                    "DefinitionS3Location": {"Bucket": "no-such-bucket-cfn", "Key": "missing.json"},
                },
            }
        }
    }
    with pytest.raises(ClientError) as raised:
        boto3.client("cloudformation").create_stack(
            StackName=f"cfn-{uuid.uuid4().hex[:8]}", TemplateBody=json.dumps(template)
        )
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert "Machine (AWS::StepFunctions::StateMachine)" in raised.value.response["Error"]["Message"]
