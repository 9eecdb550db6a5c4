"""A pipeline's stack, rendered from its file: what it creates, what it
imports from the shared stacks, and exactly what it grants."""

from __future__ import annotations

import dataclasses
import json

import pytest
import yaml

from runners.pipelines.triggers import trigger_rules
from pipeline_examples import daily_orders, sample, with_stack
from runners.pipelines import naming
from runners.pipelines.stack import render_pipeline_stack, stack_json, stack_yaml, standard_placeholders


def imported(stack_parameter: str, export: str) -> dict:
    return {"Fn::ImportValue": {"Fn::Sub": f"${{{stack_parameter}}}-{export}"}}


DATA = imported("GlueStackName", "DataBucketName")
ARTIFACTS = imported("GlueStackName", "ArtifactBucketName")


def s3(key: str, bucket: dict = DATA) -> dict:
    return {"Fn::Sub": [f"arn:${{AWS::Partition}}:s3:::${{Bucket}}{key}", {"Bucket": bucket}]}


def regional(service: str, resource: str) -> dict:
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}"}


def statements(template: dict, logical: str, policy: int = 0) -> dict[str, dict]:
    props = template["Resources"][logical]["Properties"]
    document = props["PolicyDocument"] if "PolicyDocument" in props else props["Policies"][policy]["PolicyDocument"]
    return {s["Sid"]: s for s in document["Statement"]}


def runner_grants(template: dict, kind: str) -> dict[str, dict]:
    """The runner role's managed policy statements of one kind (Glue, Athena, Wait), by Sid without the kind."""
    return {sid.removeprefix(kind): {**s, "Sid": sid.removeprefix(kind)} for sid, s in statements(template, "RunnerPolicy").items() if sid.startswith(kind)}


@pytest.fixture(scope="module")
def sales():
    return with_stack(sample())


@pytest.fixture(scope="module")
def orders(tmp_path_factory):
    return with_stack(daily_orders(tmp_path_factory.mktemp("orders")))


def test_the_sample_stack_holds_its_jobs_state_machine_schedule_topic_and_runner_grants(sales):
    _, template = sales
    kinds = {logical: r["Type"] for logical, r in template["Resources"].items()}
    assert {k for k, v in kinds.items() if v == "AWS::Glue::Job"} == {"ProcessSalesDataJob", "ProcessMarketingDataJob", "JoinMarketingAndSalesDataJob"}
    assert {k for k, v in kinds.items() if v == "AWS::IAM::Role"} == {
        "ProcessSalesDataJobRole", "ProcessMarketingDataJobRole", "JoinMarketingAndSalesDataJobRole", "StateMachineRole", "ScheduleRole"}
    assert {k for k, v in kinds.items() if v == "AWS::IAM::Policy"} == {"StateMachineLogDeliveryPolicy"}
    # The shared roles' grants: one managed policy per role (inline policies of a role share 10,240 characters).
    assert {k for k, v in kinds.items() if v == "AWS::IAM::ManagedPolicy"} == {"RunnerPolicy", "ObjectCreatedPolicy", "PipelineTriggerPolicy"}
    names = {k: template["Resources"][k]["Properties"]["ManagedPolicyName"] for k in ("RunnerPolicy", "ObjectCreatedPolicy", "PipelineTriggerPolicy")}
    assert names == {"RunnerPolicy": "etl-runner-sales-marketing-runner", "ObjectCreatedPolicy": "etl-runner-sales-marketing-object-created",
                     "PipelineTriggerPolicy": "etl-runner-sales-marketing-pipeline-trigger"}
    for single in ("AWS::StepFunctions::StateMachine", "AWS::Scheduler::Schedule", "AWS::SNS::Topic", "AWS::KMS::Key", "AWS::Events::Rule"):
        assert list(kinds.values()).count(single) == 1, single
    assert "AWS::SNS::Subscription" not in kinds.values()  # the sample names no e-mail
    assert set(template["Parameters"]) == {"GlueStackName", "StepFunctionsStackName", "RunnerStackName", "StateMachineDefinitionS3Key",
                                           "ScheduleState", "StateMachineLogLevel", "LogRetentionInDays"}
    assert template["Parameters"]["GlueStackName"]["Default"] == "etl-runner-glue-resources"


def test_the_state_machine_reads_the_uploaded_definition_and_fills_exactly_its_placeholders(sales):
    pipeline, _ = sales
    used = {"GlueRunnerActivityArn", "DataBucket", "AthenaDatabase", "ProcessSalesDataJobName", "NotificationTopicArn"}
    template = render_pipeline_stack(pipeline, used)
    props = template["Resources"]["StateMachine"]["Properties"]
    assert props["StateMachineName"] == "etl-runner-sales-marketing"
    assert props["DefinitionS3Location"] == {"Bucket": ARTIFACTS, "Key": {"Ref": "StateMachineDefinitionS3Key"}}
    assert props["DefinitionSubstitutions"] == {
        "AthenaDatabase": "sales_marketing",
        "DataBucket": DATA,
        "GlueRunnerActivityArn": imported("StepFunctionsStackName", "GlueRunnerActivityArn"),
        "NotificationTopicArn": {"Ref": "NotificationTopic"},
        "ProcessSalesDataJobName": {"Ref": "ProcessSalesDataJob"},
    }
    everything = render_pipeline_stack(pipeline, standard_placeholders(pipeline))["Resources"]["StateMachine"]["Properties"]["DefinitionSubstitutions"]
    assert everything["AthenaResultsLocation"] == {"Fn::Sub": ["s3://${Bucket}/athena-results/sales-marketing/", {"Bucket": ARTIFACTS}]}
    assert everything["PipelineName"] == "sales-marketing"
    with pytest.raises(ValueError, match="placeholder\\(s\\) no stack value fills: Unheard"):
        render_pipeline_stack(pipeline, {"DataBucket", "Unheard"})


def test_a_glue_job_is_the_steps_settings_with_the_shared_security_and_logs(orders):
    _, template = orders
    job = template["Resources"]["CleanOrdersJob"]["Properties"]
    assert job["Name"] == "etl-runner-daily-orders-CleanOrders"
    assert job["Command"] == {"Name": "glueetl", "PythonVersion": "3",
                              "ScriptLocation": {"Fn::Sub": ["s3://${Bucket}/glue-scripts/daily-orders/clean_orders.py", {"Bucket": ARTIFACTS}]}}
    assert (job["GlueVersion"], job["WorkerType"], job["NumberOfWorkers"], job["Timeout"], job["MaxRetries"]) == ("5.0", "G.2X", 4, 30, 0)
    assert job["ExecutionProperty"] == {"MaxConcurrentRuns": 2} and job["JobRunQueuingEnabled"] is True
    assert job["SecurityConfiguration"] == imported("GlueStackName", "GlueSecurityConfigurationName")
    assert job["Role"] == {"Fn::GetAtt": ["CleanOrdersJobRole", "Arn"]}
    assert job["DefaultArguments"] == {
        "--job-language": "python",
        "--custom-logGroup-prefix": imported("GlueStackName", "GlueLogGroupPrefix"),
        "--lookup_path": {"Fn::Sub": ["s3://${ArtifactBucket}/lookups/daily-orders/", {"ArtifactBucket": ARTIFACTS}]},
    }


def test_a_job_role_reads_its_script_and_reads_writes_exactly_its_prefixes(orders):
    _, template = orders
    granted = statements(template, "CleanOrdersJobRole")
    assert granted["ReadScript"]["Action"] == "s3:GetObject"
    assert granted["ReadScript"]["Resource"] == s3("/glue-scripts/daily-orders/clean_orders.py", ARTIFACTS)
    assert granted["ListBuckets"]["Resource"] == [s3("", ARTIFACTS), s3("")]
    assert granted["ReadInputs"] == {"Sid": "ReadInputs", "Effect": "Allow", "Action": "s3:GetObject",
                                     "Resource": [s3("/landing/orders/*"), s3("/lookups/daily-orders/*", ARTIFACTS)]}
    assert granted["WriteOutputs"]["Action"] == ["s3:GetObject", "s3:DeleteObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    assert granted["WriteOutputs"]["Resource"] == [s3("/curated/orders_daily/*")]
    assert template["Resources"]["CleanOrdersJobRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "glue.amazonaws.com"}


def test_the_sample_runner_grants(sales):
    _, template = sales
    glue = runner_grants(template, "Glue")
    assert set(glue) == {"JobRuns"}
    assert glue["JobRuns"]["Action"] == ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"]
    assert glue["JobRuns"]["Resource"] == [
        {"Fn::Sub": ["arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:job/${Job}", {"Job": {"Ref": f"{j}Job"}}]}
        for j in ("ProcessSalesData", "ProcessMarketingData", "JoinMarketingAndSalesData")]
    assert template["Resources"]["RunnerPolicy"]["Properties"]["Roles"] == [imported("RunnerStackName", "RunnerRoleName")]
    assert list(statements(template, "RunnerPolicy")) == [
        "GlueJobRuns", "AthenaCatalogRead", "AthenaCatalogCreate", "AthenaCatalogPartitions", "AthenaListBuckets", "AthenaReadTables",
        "AthenaWriteTables", "AthenaQueryResults", "WaitListInputs1"]

    athena = runner_grants(template, "Athena")
    assert list(athena) == ["CatalogRead", "CatalogCreate", "CatalogPartitions", "ListBuckets", "ReadTables", "WriteTables", "QueryResults"]
    tables = [regional("glue", f"table/sales_marketing/{t}") for t in ("sales_marketing_joined", "sales_marketing_monthly")]
    catalog = [regional("glue", "catalog"), regional("glue", "database/sales_marketing")]
    assert athena["CatalogRead"]["Resource"] == [regional("glue", "catalog"), regional("glue", "database/default"), regional("glue", "database/sales_marketing"), *tables]
    assert athena["CatalogCreate"] == {"Sid": "CatalogCreate", "Effect": "Allow", "Action": ["glue:CreateDatabase", "glue:CreateTable"], "Resource": catalog + tables}
    assert athena["CatalogPartitions"]["Action"] == ["glue:CreatePartition", "glue:BatchCreatePartition"]
    assert athena["ReadTables"]["Resource"] == [s3("/joined/sales_marketing/*"), s3("/aggregates/sales_marketing_monthly/*")]
    # INSERT INTO writes the monthly aggregate only; nothing else of the data bucket is writable.
    assert athena["WriteTables"]["Resource"] == [s3("/aggregates/sales_marketing_monthly/*")]
    assert athena["QueryResults"]["Resource"] == s3("/athena-results/sales-marketing/*", ARTIFACTS)
    assert "CatalogDrop" not in athena and "WorkGroups" not in athena  # no recreate refresh, default work group

    # The wait runner (runner role) and object_created (its own role) list the same inputs.
    object_created = template["Resources"]["ObjectCreatedPolicy"]["Properties"]
    assert object_created["Roles"] == [imported("RunnerStackName", "ObjectCreatedRoleName")]
    (listing,) = object_created["PolicyDocument"]["Statement"]
    assert (listing["Action"], listing["Resource"]) == ("s3:ListBucket", s3(""))
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["raw/marketing/run_date=*", "raw/sales/run_date=*"]}}
    assert runner_grants(template, "Wait") == {"ListInputs1": listing}


def test_gates_refreshes_work_groups_and_unload_widen_the_grants_exactly(orders):
    _, template = orders
    gates = statements(template, "RunnerPolicy")
    assert gates["GateJobs"]["Action"] == "glue:GetJobRuns"
    assert gates["GateJobs"]["Resource"] == [regional("glue", "job/etl-runner-sales-marketing-JoinMarketingAndSalesData")]
    assert gates["GatePipelines"]["Resource"] == [regional("states", "stateMachine:etl-runner-daily-orders"), regional("states", "stateMachine:etl-runner-sales-marketing")]
    athena = runner_grants(template, "Athena")
    assert athena["WorkGroups"]["Resource"] == [regional("athena", "workgroup/etl")]
    assert athena["CatalogDrop"]["Action"] == ["glue:DeleteTable", "glue:DeletePartition", "glue:BatchDeletePartition"]
    assert athena["CatalogDrop"]["Resource"][-1] == regional("glue", "table/orders/orders_daily")
    assert athena["WriteTables"]["Resource"] == [s3("/exports/orders_totals/*")]  # UNLOAD's target
    wait = runner_grants(template, "Wait")["ListInputs1"]
    assert wait["Condition"] == {"StringLike": {"s3:prefix": ["landing/orders/*"]}}  # objects and .done marker


def test_trigger_rules_send_to_the_shared_queue_under_the_prefix_and_may_start_the_machine(orders):
    _, template = orders
    rule = template["Resources"]["TriggerOnArrivalRule"]["Properties"]
    assert rule["Name"] == "etl-runner-daily-orders-trigger-on-arrival"  # admitted by the queue policy's rule/<prefix>-*
    assert rule["EventPattern"]["detail"]["bucket"]["name"] == [DATA]
    assert rule["EventPattern"]["detail"]["object"]["key"] == [{"wildcard": "landing/orders/*/_SUCCESS.done"}]
    (target,) = rule["Targets"]
    assert target["Arn"] == imported("RunnerStackName", "PipelineTriggersQueueArn")
    assert target["InputTransformer"]["InputPathsMap"] == {"bucket": "$.detail.bucket.name", "key": "$.detail.object.key"}
    text = target["InputTransformer"]["InputTemplate"]["Fn::Sub"]
    assert '"stateMachineArn": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:etl-runner-daily-orders"' in text
    # the key template's run date is the trigger function's to fill, not CloudFormation's
    assert '"keyTemplate": "landing/orders/${!run_date}/_SUCCESS.done"' in text and "<key>" in text
    trigger = statements(template, "PipelineTriggerPolicy")["StartPipeline"]
    assert (trigger["Action"], trigger["Resource"]) == ("states:StartExecution", {"Ref": "StateMachine"})
    assert template["Resources"]["PipelineTriggerPolicy"]["Properties"]["Roles"] == [imported("RunnerStackName", "PipelineTriggerRoleName")]
    assert "Schedule" not in template["Resources"] and "ScheduleState" not in template["Parameters"]


def test_after_pipeline_triggers_name_the_upstream_state_machine(orders):
    pipeline, _ = orders
    chained = dataclasses.replace(pipeline, trigger=dataclasses.replace(pipeline.trigger, on_arrival_key=None, after_pipeline="sales-marketing"))
    calls = []

    def rules(*args):
        calls.append(args)
        return trigger_rules(*args)

    template = render_pipeline_stack(chained, standard_placeholders(chained), prefix="acme", trigger_rules=rules)
    (_, machine, bucket, upstream), = calls
    assert machine.endswith(":stateMachine:acme-daily-orders") and upstream.endswith(":stateMachine:acme-sales-marketing")
    assert bucket == "${DataBucket}"
    pattern = template["Resources"]["TriggerAfterPipelineRule"]["Properties"]["EventPattern"]
    assert pattern["detail"]["stateMachineArn"] == [{"Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:acme-sales-marketing"}]


def test_gated_pipelines_state_machines_are_substituted_by_name_and_gates_go_to_the_runner_role_once(orders):
    pipeline, template = orders
    substitutions = template["Resources"]["StateMachine"]["Properties"]["DefinitionSubstitutions"]
    assert substitutions["SalesMarketingStateMachineArn"] == regional("states", "stateMachine:etl-runner-sales-marketing")
    # gating on itself ("the previous run has finished") names its own machine, not a Ref to it (no cycle)
    assert substitutions["DailyOrdersStateMachineArn"] == regional("states", "stateMachine:etl-runner-daily-orders")
    export = pipeline.steps["export_totals"]
    gated = dataclasses.replace(pipeline, steps={**pipeline.steps, export.id: dataclasses.replace(export, gate=pipeline.steps["clean_orders"].gate)})
    runner = statements(render_pipeline_stack(gated, standard_placeholders(gated), trigger_rules=trigger_rules), "RunnerPolicy")
    assert runner["GatePipelines"]["Action"] == "states:ListExecutions" and runner["GateJobs"]["Action"] == "glue:GetJobRuns"
    assert [sid for sid in runner if "Gate" in sid] == ["GateJobs", "GatePipelines"]  # one gate grant for Glue and Athena steps


def test_schedule_and_notifications(sales, orders):
    _, template = sales
    schedule = template["Resources"]["Schedule"]["Properties"]
    assert (schedule["Name"], schedule["ScheduleExpression"], schedule["ScheduleExpressionTimezone"]) == ("etl-runner-sales-marketing", "cron(0 6 ? * MON *)", "UTC")
    assert schedule["State"] == {"Ref": "ScheduleState"} and schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    # The schedule hands its time to the trigger function, which names the execution by its run date.
    payload = json.loads(schedule["Target"]["Input"]["Fn::Sub"])
    assert payload["kind"] == "schedule" and payload["scheduledTime"] == "<aws.scheduler.scheduled-time>"
    assert payload["stateMachineArn"].endswith(":stateMachine:etl-runner-sales-marketing")
    assert schedule["Target"]["Arn"] == imported("RunnerStackName", "PipelineTriggerFunctionArn")
    assert statements(template, "ScheduleRole")["InvokeTrigger"]["Resource"] == imported("RunnerStackName", "PipelineTriggerFunctionArn")
    trigger = statements(template, "PipelineTriggerPolicy")
    assert trigger["StartPipeline"]["Resource"] == trigger["ListPipelineExecutions"]["Resource"] == {"Ref": "StateMachine"}
    # Every ended execution goes to the trigger function (lineage for all; the report on notify.on).
    rule = template["Resources"]["ExecutionEndedRule"]["Properties"]
    assert rule["EventPattern"]["detail"]["status"] == ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]
    target = rule["Targets"][0]
    assert target["Arn"] == {"Fn::ImportValue": {"Fn::Sub": "${RunnerStackName}-PipelineTriggersQueueArn"}}
    assert set(target["InputTransformer"]["InputPathsMap"]) == {"executionArn", "status"}
    assert '"notifyOn": ["FAILED", "TIMED_OUT", "ABORTED"]' in json.dumps(target["InputTransformer"]["InputTemplate"]).replace('\\"', '"')
    assert template["Resources"]["NotificationTopic"]["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": ["NotificationKey", "Arn"]}
    assert statements(template, "StateMachineRole")["PublishNotifications"]["Resource"] == {"Ref": "NotificationTopic"}
    ended = statements(template, "PipelineTriggerPolicy")
    assert ended["PublishReport"]["Resource"] == {"Ref": "NotificationTopic"}
    assert set(ended["ReadExecutions"]["Action"]) == {"states:DescribeExecution", "states:GetExecutionHistory", "states:DescribeStateMachineForExecution"}

    _, template = orders
    rule = template["Resources"]["ExecutionEndedRule"]["Properties"]
    assert '"notifyOn": ["FAILED", "SUCCEEDED"]' in json.dumps(rule["Targets"][0]["InputTransformer"]["InputTemplate"]).replace('\\"', '"')
    subscription = template["Resources"]["NotificationEmail1"]["Properties"]
    assert (subscription["Protocol"], subscription["Endpoint"]) == ("email", "data-team@example.com")
    assert subscription["FilterPolicy"] == {"message_type": ["report"]}


def test_long_names_stay_within_aws_limits_and_unique():
    long_name = "a-very-long-pipeline-name-for-limits-xx"  # 39 characters, within the schema's 40
    assert len(naming.rule("etl-runner-production", long_name, "after-upstream")) == 64
    assert naming.rule("etl-runner-production", long_name, "after-upstream") != naming.rule("etl-runner-production", long_name, "arrival")
    assert naming.rule("etl-runner", "x", "status") == "etl-runner-x-status"
    assert len(naming.schedule("p" * 30, long_name)) <= 64


def test_two_steps_uploading_scripts_of_the_same_file_name_are_refused(sales):
    pipeline, _ = sales
    join = pipeline.steps["join_marketing_and_sales_data"]
    clash = dataclasses.replace(join, glue=dataclasses.replace(join.glue, script="other/process_sales_data.py"))
    with pytest.raises(ValueError, match="same key glue-scripts/sales-marketing/process_sales_data.py"):
        render_pipeline_stack(dataclasses.replace(pipeline, steps={**pipeline.steps, join.id: clash}), standard_placeholders(pipeline))


def test_yaml_and_json_texts_are_the_same_template_without_anchors(orders):
    _, template = orders
    text = stack_yaml(template)
    assert "&id" not in text and "*id" not in text
    assert yaml.safe_load(text) == json.loads(stack_json(template)) == json.loads(json.dumps(template))
