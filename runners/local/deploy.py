"""Deploys the sample pipeline to the embedded AWS with the same boto3 calls a
stack would make: buckets, activities, tables, Glue jobs, notifications and
the state machine from ``state_machine/`` (filled like DefinitionSubstitutions).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from runners.aws import AwsClients
from runners.config import Settings
from runners.definition import PIPELINE_DEFINITION, pipeline_definition
from runners.service import KINDS, ensure_tables

REPO_ROOT = Path(__file__).resolve().parents[2]
GLUE_SCRIPTS = REPO_ROOT / "glue-scripts"
ROLE_ARN = "arn:aws:iam::123456789012:role/etl-runner-local"

JOBS = {
    "ProcessSalesJobName": ("ProcessSalesData", "process_sales_data.py"),
    "ProcessMarketingJobName": ("ProcessMarketingData", "process_marketing_data.py"),
    "JoinJobName": ("JoinMarketingAndSalesData", "join_marketing_and_sales_data.py"),
}


@dataclass(frozen=True)
class Deployment:
    """What was deployed: everything a worker, a test or the demo needs to find it."""

    state_machine_arn: str
    glue_activity_arn: str
    athena_activity_arn: str
    wait_activity_arn: str
    data_bucket: str
    artifacts_bucket: str
    results_location: str
    athena_database: str
    notification_topic_arn: str
    arrivals_queue_url: str
    job_names: dict[str, str]

    def settings(self, base: Settings) -> Settings:
        return base.with_(
            glue_activity_arn=self.glue_activity_arn,
            athena_activity_arn=self.athena_activity_arn,
            wait_activity_arn=self.wait_activity_arn,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def deploy_pipeline(
    clients: AwsClients,
    settings: Settings,
    prefix: str = "etl-demo",
    glue_scripts: Path = GLUE_SCRIPTS,
    definition_path: Path = PIPELINE_DEFINITION,
) -> Deployment:
    s3, sfn, glue, sqs, sns = (clients.client(name) for name in ("s3", "stepfunctions", "glue", "sqs", "sns"))
    data_bucket, artifacts_bucket = f"{prefix}-data", f"{prefix}-artifacts"
    for bucket in (data_bucket, artifacts_bucket):
        _create_bucket(s3, bucket)

    activities = {
        kind: sfn.create_activity(name=f"{prefix}-{name}")["activityArn"]
        for kind, name in (("glue", "GlueRunnerActivity"), ("athena", "AthenaRunnerActivity"), ("wait", "WaitForDataActivity"))
    }
    for kind in KINDS:
        ensure_tables(kind, settings, clients)

    queue_url = sqs.create_queue(QueueName=f"{prefix}-object-created")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=data_bucket,
        NotificationConfiguration={"QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "raw/"}]}}}]},
    )
    topic_arn = sns.create_topic(Name=f"{prefix}-notifications")["TopicArn"]

    job_names: dict[str, str] = {}
    for placeholder, (name, script) in JOBS.items():
        key = f"glue-scripts/{script}"
        s3.put_object(Bucket=artifacts_bucket, Key=key, Body=(glue_scripts / script).read_bytes())
        job = f"{prefix}-{name}"
        _create_or_update_job(glue, job, f"s3://{artifacts_bucket}/{key}")
        job_names[placeholder] = job

    results_location = f"s3://{artifacts_bucket}/athena-results/"
    database = prefix.replace("-", "_")
    definition = pipeline_definition(
        {
            "WaitForDataActivityArn": activities["wait"],
            "GlueRunnerActivityArn": activities["glue"],
            "AthenaRunnerActivityArn": activities["athena"],
            "DataBucket": data_bucket,
            "AthenaDatabase": database,
            "AthenaResultsLocation": results_location,
            "NotificationTopicArn": topic_arn,
            **job_names,
        },
        definition_path,
    )
    name = f"{prefix}-sales-marketing-pipeline"
    existing = [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"] if m["name"] == name]
    if existing:
        sfn.update_state_machine(stateMachineArn=existing[0], definition=definition)
        state_machine_arn = existing[0]
    else:
        state_machine_arn = sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE_ARN)["stateMachineArn"]

    return Deployment(
        state_machine_arn=state_machine_arn,
        glue_activity_arn=activities["glue"],
        athena_activity_arn=activities["athena"],
        wait_activity_arn=activities["wait"],
        data_bucket=data_bucket,
        artifacts_bucket=artifacts_bucket,
        results_location=results_location,
        athena_database=database,
        notification_topic_arn=topic_arn,
        arrivals_queue_url=queue_url,
        job_names=job_names,
    )


def _create_bucket(s3: Any, bucket: str) -> None:
    try:
        s3.create_bucket(Bucket=bucket)
    except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        pass


def _create_or_update_job(glue: Any, name: str, script_location: str) -> None:
    spec = {
        "Role": ROLE_ARN,
        "Command": {"Name": "glueetl", "ScriptLocation": script_location, "PythonVersion": "3"},
        "GlueVersion": "5.0",
        "WorkerType": "G.1X",
        "NumberOfWorkers": 2,
        "Timeout": 60,
        "ExecutionProperty": {"MaxConcurrentRuns": 1},
        "DefaultArguments": {"--job-language": "python"},
    }
    try:
        glue.create_job(Name=name, **spec)
    except glue.exceptions.AlreadyExistsException:
        glue.update_job(JobName=name, JobUpdate=spec)
