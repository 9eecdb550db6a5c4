"""The runner-service stack through CloudFormation on the embedded AWS:
created against the exports it imports, its cluster with both Fargate
capacity providers, its task definition as the template says, then deleted.

The exports of runner-resources (RunnerRoleArn, the task tables, the job
events queues) and step-functions-resources (the activity ARNs) come from a
stand-in stack here, so this test does not depend on the Lambda stack's
mode; the deploy sequence test deploys the real stacks."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest

TEMPLATE = (Path(__file__).resolve().parents[2] / "cloudformation" / "runner-service.yaml").read_text()
IMPORTED = {
    "runner-resources": ["RunnerRoleArn", "GlueTasksTableName", "AthenaTasksTableName", "DataWaitsTableName", "ObjectArrivalsTableName",
                         "GlueEventsQueueUrl", "AthenaEventsQueueUrl"],
    "step-functions-resources": ["GlueRunnerActivityArn", "AthenaRunnerActivityArn", "WaitForDataActivityArn"],
}


def stand_in_value(export: str) -> str:
    return f"arn:aws:iam::123456789012:role/runner" if export == "RunnerRoleArn" else f"stand-in-{export}"


def wait(cfn: Any, name: str) -> dict[str, Any]:
    for _ in range(200):
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        if not stack["StackStatus"].endswith("_IN_PROGRESS"):
            return stack
        time.sleep(0.05)
    raise AssertionError(f"{name} still in progress")


def delete(cfn: Any, name: str) -> str:
    """Delete and wait; a deleted stack is found by its id only (as on AWS)."""
    stack_id = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackId"]
    cfn.delete_stack(StackName=stack_id)
    return wait(cfn, stack_id)["StackStatus"]


@pytest.fixture(scope="module")
def service_stack(embedded_aws) -> Iterator[dict[str, Any]]:
    cfn, ec2 = boto3.client("cloudformation"), boto3.client("ec2")
    prefix = f"svc{uuid.uuid4().hex[:6]}"
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24")["Subnet"]["SubnetId"] for i in (1, 2)]
    for stack, exports in IMPORTED.items():
        body = {"Resources": {"Placeholder": {"Type": "AWS::SQS::Queue"}},
                "Outputs": {e: {"Value": stand_in_value(e), "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-" + e}}} for e in exports}}
        cfn.create_stack(StackName=f"{prefix}-{stack}", TemplateBody=json.dumps(body))
        assert wait(cfn, f"{prefix}-{stack}")["StackStatus"] == "CREATE_COMPLETE"
    name = f"{prefix}-runner-service"
    parameters = {"RunnerStackName": f"{prefix}-runner-resources", "StepFunctionsStackName": f"{prefix}-step-functions-resources",
                  "StackPrefix": prefix, "ImageUri": f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{prefix}-runner:src-0123456789abcdef0123",
                  "VpcId": vpc, "Subnets": ",".join(subnets)}
    cfn.create_stack(StackName=name, TemplateBody=TEMPLATE, Capabilities=["CAPABILITY_IAM"],
                     Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
    created = wait(cfn, name)
    yield {"stack": created, "name": name, "prefix": prefix, "parameters": parameters}
    for stack in (name, *(f"{prefix}-{s}" for s in IMPORTED)):
        assert delete(cfn, stack) == "DELETE_COMPLETE"


def outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def test_the_service_stack_creates_complete_with_every_output(service_stack):
    stack = service_stack["stack"]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    assert set(outputs(stack)) == {"ClusterName", "ServiceName", "ServiceArn", "TaskDefinitionArn", "LogGroupName", "TaskSecurityGroupId"}


def test_the_cluster_has_both_fargate_capacity_providers(service_stack):
    (cluster,) = boto3.client("ecs").describe_clusters(clusters=[outputs(service_stack["stack"])["ClusterName"]])["clusters"]
    assert cluster["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert cluster["defaultCapacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 1}]


def test_the_task_runs_serve_all_with_the_imported_settings(service_stack):
    out = outputs(service_stack["stack"])
    definition = boto3.client("ecs").describe_task_definition(taskDefinition=out["TaskDefinitionArn"])["taskDefinition"]
    (container,) = definition["containerDefinitions"]
    assert container["image"] == service_stack["parameters"]["ImageUri"] and container["command"] == ["serve", "all"]
    assert container["user"] == "10001:10001" and container["readonlyRootFilesystem"] is True
    assert container["mountPoints"] == [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}]
    assert container["healthCheck"]["command"][:3] == ["CMD", "etl-runner", "health"] and container["stopTimeout"] == 120
    environment = {e["name"]: e["value"] for e in container["environment"]}
    assert environment["ETL_GLUE_ACTIVITY_ARN"] == "stand-in-GlueRunnerActivityArn"
    assert environment["ETL_WAIT_TABLE"] == "stand-in-DataWaitsTableName"
    assert environment["ETL_ATHENA_EVENTS_QUEUE_URL"] == "stand-in-AthenaEventsQueueUrl"
    assert environment["ETL_LOG_FORMAT"] == "json"
    assert container["logConfiguration"]["options"]["awslogs-group"] == out["LogGroupName"]
    logs = boto3.client("logs").describe_log_groups(logGroupNamePrefix=out["LogGroupName"])["logGroups"]
    assert [g["retentionInDays"] for g in logs] == [365]


def test_the_security_group_admits_nothing_in(service_stack):
    # (moto's CloudFormation keeps the default allow-all egress rule instead of
    # the template's 443-only one; tests/deploy/test_templates.py checks that rule.)
    (group,) = boto3.client("ec2").describe_security_groups(GroupIds=[outputs(service_stack["stack"])["TaskSecurityGroupId"]])["SecurityGroups"]
    assert group["IpPermissions"] == [] and group["VpcId"]


def test_deleting_the_associations_detaches_the_providers(embedded_aws):
    cfn, ecs = boto3.client("cloudformation"), boto3.client("ecs")
    name = f"cap{uuid.uuid4().hex[:6]}"
    template = {"Resources": {
        "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": name}},
        "Providers": {"Type": "AWS::ECS::ClusterCapacityProviderAssociations", "Properties": {
            "Cluster": {"Ref": "Cluster"}, "CapacityProviders": ["FARGATE_SPOT"],
            "DefaultCapacityProviderStrategy": [{"CapacityProvider": "FARGATE_SPOT", "Weight": 2, "Base": 1}]}},
    }}
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(template))
    assert wait(cfn, name)["StackStatus"] == "CREATE_COMPLETE"
    (cluster,) = ecs.describe_clusters(clusters=[name])["clusters"]
    assert cluster["defaultCapacityProviderStrategy"] == [{"capacityProvider": "FARGATE_SPOT", "weight": 2, "base": 1}]
    del template["Resources"]["Providers"]
    cfn.update_stack(StackName=name, TemplateBody=json.dumps(template))
    assert wait(cfn, name)["StackStatus"] == "UPDATE_COMPLETE"
    (cluster,) = ecs.describe_clusters(clusters=[name])["clusters"]
    assert cluster.get("capacityProviders", []) == []
    assert delete(cfn, name) == "DELETE_COMPLETE"


def test_a_default_strategy_naming_a_provider_not_associated_fails_the_stack(embedded_aws):
    cfn = boto3.client("cloudformation")
    name = f"bad{uuid.uuid4().hex[:6]}"
    template = {"Resources": {
        "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": name}},
        "Providers": {"Type": "AWS::ECS::ClusterCapacityProviderAssociations", "Properties": {
            "Cluster": {"Ref": "Cluster"}, "CapacityProviders": ["FARGATE"],
            "DefaultCapacityProviderStrategy": [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]}},
    }}
    with pytest.raises(Exception, match="not associated with the cluster"):
        cfn.create_stack(StackName=name, TemplateBody=json.dumps(template))
        assert wait(cfn, name)["StackStatus"] != "CREATE_COMPLETE"
        raise AssertionError(cfn.describe_stack_events(StackName=name))
