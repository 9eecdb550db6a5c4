"""The three shared stacks and the sample pipeline's stack through
CloudFormation on the embedded AWS: create in order, effects visible through
the ordinary APIs, update, delete in reverse."""

from __future__ import annotations

import dataclasses
import io
import json
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest
from botocore.exceptions import ClientError

from pipeline_examples import sample
from runners.pipelines.asl import render_state_machine
from runners.build.stacks import PACKAGE_KEY_PARAMETERS
from runners.state import SWEEP_ATTRIBUTES
from runners.pipelines.stack import render_pipeline_stack, stack_yaml

TEMPLATES = Path(__file__).resolve().parents[2] / "cloudformation"
PIPELINE = "pipeline-sales-marketing"
SHARED = ("glue-resources", "step-functions-resources", "runner-resources")
SERVICE = "runner-service"  # optional, after runner-resources in service mode


class Deployment:
    """The shared stacks and the sample's pipeline stack under one unique prefix, with the parameters build.py fills."""

    def __init__(self) -> None:
        suffix = uuid.uuid4().hex[:8]
        self.prefix = f"cfn{suffix}"
        self.artifact_bucket = f"{self.prefix}-artifacts"
        self.data_bucket = f"{self.prefix}-data"
        self.definition_key = f"state-machine/{suffix}.asl.json"
        self.code_key = f"lambda/{suffix}.zip"
        self.cfn = boto3.client("cloudformation")
        self.pipeline = sample()
        self.machine = render_state_machine(self.pipeline)

    def stack_name(self, stack: str) -> str:
        return f"{self.prefix}-{stack}"

    def template(self, stack: str, pipeline: Any = None) -> str:
        if stack == PIPELINE:
            return stack_yaml(render_pipeline_stack(pipeline or self.pipeline, self.machine.placeholders, prefix=self.prefix))
        return (TEMPLATES / f"{stack}.yaml").read_text()

    def parameters(self, stack: str, **overrides: str) -> list[dict[str, str]]:
        values = {} if stack == PIPELINE else {p["ParameterKey"]: p["ParameterValue"] for p in json.loads((TEMPLATES / f"{stack}-params.json").read_text())}
        names = {f"{key}StackName": self.stack_name(s) for key, s in (("Glue", "glue-resources"), ("StepFunctions", "step-functions-resources"), ("Runner", "runner-resources"))}
        values.update(
            {
                "glue-resources": {"DataBucketName": self.data_bucket, "ArtifactBucketName": self.artifact_bucket},
                "step-functions-resources": {},
                "runner-resources": {"GlueStackName": names["GlueStackName"], "StepFunctionsStackName": names["StepFunctionsStackName"],
                                     "StackPrefix": self.prefix, **{key: self.code_key for key in PACKAGE_KEY_PARAMETERS}},
                PIPELINE: {**names, "StateMachineDefinitionS3Key": self.definition_key},
                SERVICE: {"RunnerStackName": names["RunnerStackName"], "StepFunctionsStackName": names["StepFunctionsStackName"],
                          "StackPrefix": self.prefix, "ImageUri": f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{self.prefix}-runner:src-0"},
            }[stack]
        )
        values.update(overrides)
        return [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()]

    def _call(self, action: str, stack: str, pipeline: Any = None, **overrides: str) -> dict[str, Any]:
        getattr(self.cfn, action)(
            StackName=self.stack_name(stack),
            TemplateBody=self.template(stack, pipeline),
            Parameters=self.parameters(stack, **overrides),
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        )
        return self.describe(stack)

    def create(self, stack: str, **overrides: str) -> dict[str, Any]:
        return self._call("create_stack", stack, **overrides)

    def update(self, stack: str, pipeline: Any = None, **overrides: str) -> dict[str, Any]:
        return self._call("update_stack", stack, pipeline, **overrides)

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
    # What build.py uploads between the stacks (deploylambda, uploaddefinition).
    s3.put_object(Bucket=d.artifact_bucket, Key=d.code_key, Body=_lambda_package())
    created.append(d.create("step-functions-resources"))
    created.append(d.create("runner-resources"))
    s3.put_object(Bucket=d.artifact_bucket, Key=d.definition_key, Body=d.machine.text.encode())
    created.append(d.create(PIPELINE))
    d.created = created  # type: ignore[attr-defined]
    yield d
    for stack in (SERVICE, PIPELINE, *reversed(SHARED)):
        try:
            d.cfn.delete_stack(StackName=d.stack_name(stack))
        except ClientError:
            pass


def _keys_received(sqs: Any, queue_url: str, keys_of: Any, seconds: float = 10.0) -> list[str]:
    """Object keys in the queue's messages (S3 notifications or EventBridge events), waiting up to ``seconds`` for the first."""
    found: list[str] = []
    deadline = time.monotonic() + seconds
    while not found and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1, MaxNumberOfMessages=10).get("Messages", []):
            found += keys_of(json.loads(message["Body"]))
    return found


def _substitutions(d: Deployment) -> dict[str, str]:
    sfn = d.outputs("step-functions-resources")
    pipeline = d.outputs(PIPELINE)
    values = {
        "WaitForDataActivityArn": sfn["WaitForDataActivityArn"],
        "GlueRunnerActivityArn": sfn["GlueRunnerActivityArn"],
        "AthenaRunnerActivityArn": sfn["AthenaRunnerActivityArn"],
        "DataBucket": d.data_bucket,
        "ArtifactBucket": d.artifact_bucket,
        "AthenaDatabase": "sales_marketing",
        "AthenaResultsLocation": f"s3://{d.artifact_bucket}/athena-results/sales-marketing/",
        "PipelineName": "sales-marketing",
        "NotificationTopicArn": pipeline["NotificationTopicArn"],
        **{f"{job}JobName": pipeline[f"{job}JobName"] for job in ("ProcessSalesData", "ProcessMarketingData", "JoinMarketingAndSalesData")},
    }
    return {name: values[name] for name in d.machine.placeholders}


def test_the_shared_stacks_and_the_pipeline_stack_create_complete_with_every_output(deployment):
    for stack in deployment.created:  # type: ignore[attr-defined]
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
        assert all(o.get("OutputValue") for o in stack.get("Outputs", [])), stack.get("Outputs")
    exports = {e["Name"]: e["Value"] for e in boto3.client("cloudformation").list_exports()["Exports"]}
    glue_stack, runner_stack = deployment.stack_name("glue-resources"), deployment.stack_name("runner-resources")
    assert exports[f"{glue_stack}-GlueSecurityConfigurationName"] == f"{glue_stack}-glue-jobs"
    assert exports[f"{glue_stack}-GlueLogGroupPrefix"] == f"/aws-glue/jobs/{glue_stack}"
    assert exports[f"{runner_stack}-PipelineTriggersQueueArn"].startswith("arn:aws:sqs:us-east-1:123456789012:")
    for role in ("Runner", "ObjectCreated", "PipelineTrigger"):
        boto3.client("iam").get_role(RoleName=exports[f"{runner_stack}-{role}RoleName"])
    # one runner role; the per-kind names stay exported for stacks that import them
    assert {exports[f"{runner_stack}-{kind}RunnerRoleName"] for kind in ("Glue", "Athena", "Wait")} == {exports[f"{runner_stack}-RunnerRoleName"]}
    # what the ECS service stack imports (RunnerMode service)
    runner = deployment.outputs("runner-resources")
    for name in ("RunnerRoleArn", "GlueTasksTableName", "AthenaTasksTableName", "DataWaitsTableName", "ObjectArrivalsTableName",
                 "GlueEventsQueueUrl", "AthenaEventsQueueUrl"):
        assert exports[f"{runner_stack}-{name}"] == runner[name], name
    assert exports[f"{runner_stack}-RunnerRoleArn"].endswith(f":role/{exports[f'{runner_stack}-RunnerRoleName']}")
    assert not [name for name in exports if name.startswith(deployment.stack_name(PIPELINE))]  # pipeline stacks export nothing


def test_the_pipelines_glue_jobs_use_the_shared_security_configuration_and_logs(deployment):
    glue = boto3.client("glue")
    outputs = deployment.outputs(PIPELINE)
    glue_stack = deployment.stack_name("glue-resources")
    job = glue.get_job(JobName=outputs["ProcessSalesDataJobName"])["Job"]
    assert job["Name"] == f"{deployment.prefix}-sales-marketing-ProcessSalesData"
    assert job["Command"]["Name"] == "glueetl"
    assert job["Command"]["ScriptLocation"] == f"s3://{deployment.artifact_bucket}/glue-scripts/sales-marketing/process_sales_data.py"
    assert job["DefaultArguments"] == {"--job-language": "python", "--custom-logGroup-prefix": f"/aws-glue/jobs/{glue_stack}"}
    assert (job["GlueVersion"], job["WorkerType"], job["NumberOfWorkers"]) == ("5.0", "G.1X", 2)
    assert (job["Timeout"], job["MaxRetries"], job["ExecutionProperty"]) == (60, 0, {"MaxConcurrentRuns": 1})
    assert job["Role"].split("/")[-1].startswith(f"{deployment.stack_name(PIPELINE)}-ProcessSalesDataJobRole")
    assert job["SecurityConfiguration"] == f"{glue_stack}-glue-jobs"
    config = glue.get_security_configuration(Name=f"{glue_stack}-glue-jobs")["SecurityConfiguration"]
    assert config["EncryptionConfiguration"]["S3Encryption"] == [{"S3EncryptionMode": "SSE-S3"}]


def _attached(iam: Any, role: str) -> dict[str, str]:
    return {p["PolicyName"]: p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]}


def test_the_shared_roles_carry_the_pipelines_managed_policies(deployment):
    iam = boto3.client("iam")
    runner = deployment.outputs("runner-resources")
    prefix = deployment.prefix
    attached = {role: _attached(iam, runner[f"{role}RoleName"]) for role in ("Runner", "ObjectCreated", "PipelineTrigger")}
    assert set(attached["Runner"]) == {f"{prefix}-sales-marketing-runner"}
    assert set(attached["ObjectCreated"]) == {f"{prefix}-sales-marketing-object-created"}
    # Its schedule goes through the trigger function, and so do its ended executions (lineage, report).
    assert set(attached["PipelineTrigger"]) == {f"{prefix}-sales-marketing-pipeline-trigger"}
    assert not [p for p in iam.list_role_policies(RoleName=runner["RunnerRoleName"])["PolicyNames"] if "sales-marketing" in p]
    arn = attached["Runner"][f"{prefix}-sales-marketing-runner"]
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    assert policy["AttachmentCount"] == 1
    document = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]
    document = document if isinstance(document, dict) else json.loads(document)
    writes = next(s for s in document["Statement"] if s["Sid"] == "AthenaWriteTables")
    assert writes["Resource"] == [f"arn:aws:s3:::{deployment.data_bucket}/aggregates/sales_marketing_monthly/*"]
    jobs = next(s for s in document["Statement"] if s["Sid"] == "GlueJobRuns")
    assert f"arn:aws:glue:us-east-1:123456789012:job/{prefix}-sales-marketing-JoinMarketingAndSalesData" in jobs["Resource"]


def test_policies_apply_buckets_notify_and_tls_only_buckets_stay_usable(deployment):
    s3 = boto3.client("s3")
    policy = json.loads(s3.get_bucket_policy(Bucket=deployment.data_bucket)["Policy"])
    assert policy["Statement"][0]["Sid"] == "DenyInsecureTransport"
    notifications = s3.get_bucket_notification_configuration(Bucket=deployment.data_bucket)
    (queue,) = notifications["QueueConfigurations"]
    exports = {e["Name"]: e["Value"] for e in boto3.client("cloudformation").list_exports()["Exports"]}
    assert queue["QueueArn"] == exports[f"{deployment.stack_name('glue-resources')}-ArrivalsQueueArn"] and queue["Events"] == ["s3:ObjectCreated:*"]
    assert queue["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": "raw/"}]

    sqs = boto3.client("sqs")
    queue_url = sqs.get_queue_url(QueueName=deployment.outputs("glue-resources")["ArrivalsQueueUrl"].rsplit("/", 1)[-1])["QueueUrl"]
    s3.put_object(Bucket=deployment.data_bucket, Key="raw/probe.csv", Body=b"a\n")
    assert s3.get_object(Bucket=deployment.data_bucket, Key="raw/probe.csv")["Body"].read() == b"a\n"
    # (the arrivals queue's messages go to the object_created function's event source mapping)
    queue_policy = json.loads(sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    assert [s["Sid"] for s in queue_policy["Statement"]] == ["DataBucketNotifications", "DenyInsecureTransport"]

    triggers_url = sqs.get_queue_url(QueueName=deployment.outputs("runner-resources")["PipelineTriggersQueueUrl"].rsplit("/", 1)[-1])["QueueUrl"]
    triggers_policy = json.loads(sqs.get_queue_attributes(QueueUrl=triggers_url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    assert triggers_policy["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"] == f"arn:aws:events:us-east-1:123456789012:rule/{deployment.prefix}-*"

    # Ended executions reach the trigger function through the triggers queue (lineage, the run report).
    (target,) = boto3.client("events").list_targets_by_rule(Rule=f"{deployment.prefix}-sales-marketing-status")["Targets"]
    assert target["Arn"] == exports[f"{deployment.stack_name('runner-resources')}-PipelineTriggersQueueArn"]
    template = json.loads(target["InputTransformer"]["InputTemplate"].replace("<executionArn>", '"x"').replace("<status>", '"FAILED"'))
    assert template["kind"] == "ended" and template["topicArn"] == deployment.outputs(PIPELINE)["NotificationTopicArn"]


def test_state_machine_from_s3_with_every_placeholder_filled(deployment):
    sfn = boto3.client("stepfunctions")
    outputs = deployment.outputs(PIPELINE)
    activity = sfn.describe_activity(activityArn=deployment.outputs("step-functions-resources")["GlueRunnerActivityArn"])
    assert activity["name"] == f"{deployment.stack_name('step-functions-resources')}-GlueRunnerActivity"
    machine = sfn.describe_state_machine(stateMachineArn=outputs["StateMachineArn"])
    assert machine["name"] == outputs["StateMachineName"] == f"{deployment.prefix}-sales-marketing"
    expected = deployment.machine.text
    for name, value in _substitutions(deployment).items():
        expected = expected.replace("${" + name + "}", value)
    assert json.loads(machine["definition"]) == json.loads(expected)
    logging = machine["loggingConfiguration"]
    assert (logging["level"], logging["includeExecutionData"]) == ("ALL", True)
    assert logging["destinations"][0]["cloudWatchLogsLogGroup"]["logGroupArn"].endswith(f":log-group:{outputs['StateMachineLogGroupName']}")


def test_the_stack_state_machine_executes_and_hands_out_activity_tasks(deployment):
    sfn = boto3.client("stepfunctions")
    wait_activity = deployment.outputs("step-functions-resources")["WaitForDataActivityArn"]
    execution = sfn.start_execution(stateMachineArn=deployment.outputs(PIPELINE)["StateMachineArn"], input='{"runDate": "2024-01-01"}')
    try:
        task = sfn.get_activity_task(activityArn=wait_activity, workerName="test")
        for _ in range(4):
            if task.get("taskToken"):
                break
            task = sfn.get_activity_task(activityArn=wait_activity, workerName="test")
        assert task.get("taskToken"), "no task from the shared wait activity"
        assert json.loads(task["input"])["Bucket"] == deployment.data_bucket
    finally:
        sfn.stop_execution(executionArn=execution["executionArn"])


def test_the_pipelines_schedule_hands_its_time_to_the_trigger_function(deployment):
    outputs = deployment.outputs(PIPELINE)
    schedule = boto3.client("scheduler").get_schedule(Name=outputs["ScheduleName"], GroupName="default")
    assert (schedule["ScheduleExpression"], schedule["ScheduleExpressionTimezone"]) == ("cron(0 6 ? * MON *)", "UTC")
    assert schedule["State"] == "ENABLED"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    trigger = boto3.client("lambda").get_function(FunctionName=deployment.outputs("runner-resources")["PipelineTriggerFunctionName"])
    assert schedule["Target"]["Arn"] == trigger["Configuration"]["FunctionArn"]
    payload = json.loads(schedule["Target"]["Input"])
    assert payload["kind"] == "schedule" and payload["scheduledTime"] == "<aws.scheduler.scheduled-time>"
    assert payload["stateMachineArn"] == outputs["StateMachineArn"]


def test_runner_tables_functions_and_invoke_configs(deployment):
    outputs = deployment.outputs("runner-resources")
    sfn_outputs = deployment.outputs("step-functions-resources")
    dynamodb = boto3.client("dynamodb")
    for key in ("GlueTasksTableName", "AthenaTasksTableName", "DataWaitsTableName", "ObjectArrivalsTableName"):
        assert dynamodb.describe_table(TableName=outputs[key])["Table"]["TableStatus"] == "ACTIVE"
    for key in ("GlueTasksTableName", "AthenaTasksTableName", "DataWaitsTableName"):
        indexes = {i["IndexName"]: i for i in dynamodb.describe_table(TableName=outputs[key])["Table"]["GlobalSecondaryIndexes"]}
        assert set(indexes) == {"run_id-index", "sweep-index"}, key
        assert indexes["sweep-index"]["Projection"] == {"ProjectionType": "INCLUDE",
                                                        "NonKeyAttributes": SWEEP_ATTRIBUTES}
    aws_lambda = boto3.client("lambda")
    function = aws_lambda.get_function(FunctionName=outputs["RunnerFunctionName"])["Configuration"]
    assert function["Handler"] == "runners.handlers.all_runners"
    variables = function["Environment"]["Variables"]
    assert (variables["ETL_GLUE_ACTIVITY_ARN"], variables["ETL_ATHENA_ACTIVITY_ARN"], variables["ETL_WAIT_ACTIVITY_ARN"]) == (
        sfn_outputs["GlueRunnerActivityArn"], sfn_outputs["AthenaRunnerActivityArn"], sfn_outputs["WaitForDataActivityArn"])
    assert (variables["ETL_GLUE_EVENTS_QUEUE_URL"], variables["ETL_ATHENA_EVENTS_QUEUE_URL"]) == (outputs["GlueEventsQueueUrl"], outputs["AthenaEventsQueueUrl"])
    config = aws_lambda.get_function_event_invoke_config(FunctionName=outputs["RunnerFunctionName"])
    assert (config["MaximumRetryAttempts"], config["MaximumEventAgeInSeconds"]) == (0, 60)
    trigger = aws_lambda.get_function(FunctionName=outputs["PipelineTriggerFunctionName"])["Configuration"]
    assert trigger["Handler"] == "runners.handlers.pipeline_trigger"
    mappings = aws_lambda.list_event_source_mappings(FunctionName=outputs["PipelineTriggerFunctionName"])["EventSourceMappings"]
    exports = {e["Name"]: e["Value"] for e in boto3.client("cloudformation").list_exports()["Exports"]}
    assert [m["EventSourceArn"] for m in mappings] == [exports[f"{deployment.stack_name('runner-resources')}-PipelineTriggersQueueArn"]]


def _job_events_mappings(outputs: dict[str, str]) -> dict[str, dict[str, Any]]:
    mappings = boto3.client("lambda").list_event_source_mappings(FunctionName=outputs["JobEventsFunctionName"])["EventSourceMappings"]
    return {m["EventSourceArn"].rsplit(":", 1)[-1]: m for m in mappings}


def test_job_events_rules_feed_their_queues_and_the_job_events_function(deployment):
    from runners.job_events import EVENT_PATTERNS

    outputs = deployment.outputs("runner-resources")
    sqs, events = boto3.client("sqs"), boto3.client("events")
    mappings = _job_events_mappings(outputs)
    assert len(mappings) == 2
    for kind, prefix in (("glue", "Glue"), ("athena", "Athena")):
        url = outputs[f"{prefix}EventsQueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["VisibilityTimeout"] == "360" and attributes["SqsManagedSseEnabled"] == "true"
        (allow, _deny) = json.loads(attributes["Policy"])["Statement"]
        rule_arn = allow["Condition"]["ArnEquals"]["aws:SourceArn"]
        rule = events.describe_rule(Name=rule_arn.rsplit("/", 1)[-1])
        assert json.loads(rule["EventPattern"]) == EVENT_PATTERNS[kind] and rule["State"] == "ENABLED"
        (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        assert target["Arn"] == attributes["QueueArn"]
        mapping = mappings[attributes["QueueArn"].rsplit(":", 1)[-1]]
        assert mapping["State"] == "Enabled" and mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["ScalingConfig"] == {"MaximumConcurrency": 2}


def test_runner_mode_service_disables_the_schedule_and_the_job_events_mappings(deployment):
    outputs = deployment.outputs("runner-resources")
    events = boto3.client("events")
    assert events.describe_rule(Name=outputs["RunnerScheduleRuleName"])["State"] == "ENABLED"
    updated = deployment.update("runner-resources", RunnerMode="service")
    assert updated["StackStatus"] == "UPDATE_COMPLETE", updated.get("StackStatusReason")
    # (the output is read again: moto replaces an updated rule under a new name, AWS changes it in place)
    assert events.describe_rule(Name=deployment.outputs("runner-resources")["RunnerScheduleRuleName"])["State"] == "DISABLED"
    assert {m["State"] for m in _job_events_mappings(outputs).values()} == {"Disabled"}
    assert deployment.outputs("runner-resources")["GlueEventsQueueUrl"] == outputs["GlueEventsQueueUrl"]  # the service's queues stay
    back = deployment.update("runner-resources", RunnerMode="lambda")
    assert back["StackStatus"] == "UPDATE_COMPLETE", back.get("StackStatusReason")
    assert events.describe_rule(Name=deployment.outputs("runner-resources")["RunnerScheduleRuleName"])["State"] == "ENABLED"
    assert {m["State"] for m in _job_events_mappings(outputs).values()} == {"Enabled"}


def test_the_runner_service_runs_on_the_runner_stacks_exports_in_service_mode(deployment):
    ec2, ecs = boto3.client("ec2"), boto3.client("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.43.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.43.{i}.0/24")["Subnet"]["SubnetId"] for i in (1, 2)]
    runner = deployment.update("runner-resources", RunnerMode="service")
    assert runner["StackStatus"] == "UPDATE_COMPLETE", runner.get("StackStatusReason")
    try:
        service = deployment.create(SERVICE, VpcId=vpc, Subnets=",".join(subnets))
        assert service["StackStatus"] == "CREATE_COMPLETE", service.get("StackStatusReason")
        runner_outputs, outputs = deployment.outputs("runner-resources"), deployment.outputs(SERVICE)
        task = ecs.describe_task_definition(taskDefinition=outputs["TaskDefinitionArn"])["taskDefinition"]
        (container,) = task["containerDefinitions"]
        environment = {e["name"]: e["value"] for e in container["environment"]}
        assert environment["ETL_GLUE_EVENTS_QUEUE_URL"] == runner_outputs["GlueEventsQueueUrl"]
        assert environment["ETL_ATHENA_TABLE"] == runner_outputs["AthenaTasksTableName"]
        assert container["command"] == ["serve", "all"]
        (found,) = ecs.describe_services(cluster=outputs["ClusterName"], services=[outputs["ServiceName"]])["services"]
        assert found["status"] == "ACTIVE"
        assert deployment.delete(SERVICE) == "DELETE_COMPLETE"
    finally:
        deployment.update("runner-resources", RunnerMode="lambda")


def test_a_changed_pipeline_file_updates_its_stack_then_all_delete_in_reverse_order(deployment):
    glue, scheduler, sfn, iam = boto3.client("glue"), boto3.client("scheduler"), boto3.client("stepfunctions"), boto3.client("iam")
    outputs = deployment.outputs(PIPELINE)
    runner_outputs = deployment.outputs("runner-resources")

    pipeline = deployment.pipeline
    join = pipeline.steps["join_marketing_and_sales_data"]
    wider = dataclasses.replace(pipeline, steps={**pipeline.steps, join.id: dataclasses.replace(join, glue=dataclasses.replace(join.glue, workers=3))})
    updated = deployment.update(PIPELINE, wider, ScheduleState="DISABLED")
    assert updated["StackStatus"] == "UPDATE_COMPLETE", updated.get("StackStatusReason")
    assert glue.get_job(JobName=outputs["JoinMarketingAndSalesDataJobName"])["Job"]["NumberOfWorkers"] == 3
    assert scheduler.get_schedule(Name=outputs["ScheduleName"])["State"] == "DISABLED"

    assert deployment.delete(PIPELINE) == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        sfn.describe_state_machine(stateMachineArn=outputs["StateMachineArn"])
    with pytest.raises(ClientError):
        glue.get_job(JobName=outputs["JoinMarketingAndSalesDataJobName"])
    with pytest.raises(ClientError):
        scheduler.get_schedule(Name=outputs["ScheduleName"])
    # the pipeline's grants leave the shared roles with it
    policy_arn = _attached(iam, runner_outputs["RunnerRoleName"]).get(f"{deployment.prefix}-sales-marketing-runner")
    assert policy_arn is None
    for role in ("RunnerRoleName", "ObjectCreatedRoleName", "PipelineTriggerRoleName"):
        assert _attached(iam, runner_outputs[role]) == {}, role

    assert deployment.delete("runner-resources") == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        boto3.client("dynamodb").describe_table(TableName=runner_outputs["GlueTasksTableName"])
    sfn_outputs = deployment.outputs("step-functions-resources")
    assert deployment.delete("step-functions-resources") == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        sfn.describe_activity(activityArn=sfn_outputs["GlueRunnerActivityArn"])

    # EventBridgeEnabled on the data bucket: an object-created event reaches a rule, as a
    # pipeline's trigger rule needs. (Checked once the runner stack is gone: moto's fan-out
    # of S3 events stops at the first matching rule whose target it cannot deliver, and the
    # runners' schedule rule, which has no event pattern, matches every event there.)
    sqs, events = boto3.client("sqs"), boto3.client("events")
    listener = sqs.create_queue(QueueName=f"{deployment.prefix}-listener")["QueueUrl"]
    listener_arn = sqs.get_queue_attributes(QueueUrl=listener, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=f"{deployment.prefix}-probe", EventPattern=json.dumps({"source": ["aws.s3"], "detail": {"bucket": {"name": [deployment.data_bucket]}}}))
    events.put_targets(Rule=f"{deployment.prefix}-probe", Targets=[{"Id": "q", "Arn": listener_arn}])
    try:
        boto3.client("s3").put_object(Bucket=deployment.data_bucket, Key="landing/x/_SUCCESS.done", Body=b"")
        assert "landing/x/_SUCCESS.done" in _keys_received(sqs, listener, lambda body: [body["detail"]["object"]["key"]])
    finally:
        events.remove_targets(Rule=f"{deployment.prefix}-probe", Ids=["q"])
        events.delete_rule(Name=f"{deployment.prefix}-probe")
    assert deployment.delete("glue-resources") == "DELETE_COMPLETE"
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
