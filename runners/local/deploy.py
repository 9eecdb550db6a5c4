"""Deploys pipelines to the embedded AWS with the same boto3 calls a stack
would make. The platform (buckets, activities, the runners' tables, the
object-created queue) is shared; each pipeline file adds its Glue jobs, its
notification topic and its state machine, rendered from the file.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from runners.aws import AwsClients
from runners.config import Settings
from runners.definition import render
from runners.pipelines import SAMPLE_PIPELINE, Pipeline, load_pipeline
from runners.pipelines.asl import render_state_machine, state_machine_placeholder
from runners.pipelines import naming
from runners.pipelines.jobs import job_definition
from runners.pipelines.templates import resolve
from runners.pipelines.triggers import catch_up_rules, ended_rule, trigger_rules
from runners.operate.target import deployment_tags
from runners.local.triggers import create_trigger_queue, enable_eventbridge_notifications, put_trigger_rules
from runners.service import KINDS, ensure_tables

ROLE_ARN = "arn:aws:iam::123456789012:role/etl-runner-local"
ARRIVALS_PREFIX = "raw/"


@dataclass(frozen=True)
class Platform:
    """What every pipeline of one prefix shares."""

    prefix: str
    data_bucket: str
    artifacts_bucket: str
    results_location: str
    glue_activity_arn: str
    athena_activity_arn: str
    wait_activity_arn: str
    arrivals_queue_url: str
    triggers_queue_url: str
    triggers_queue_arn: str


@dataclass(frozen=True)
class Deployment:
    """What was deployed: everything a worker, a test or the demo needs to find it."""

    pipeline: str
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
    triggers_queue_url: str
    job_names: dict[str, str]  # step id -> Glue job name
    trigger_rules: tuple[str, ...] = ()  # EventBridge rules that start this pipeline
    notifications_queue_url: str = ""  # an SQS queue subscribed to the topic: the messages, readable locally

    def settings(self, base: Settings) -> Settings:
        return base.with_(
            glue_activity_arn=self.glue_activity_arn,
            athena_activity_arn=self.athena_activity_arn,
            wait_activity_arn=self.wait_activity_arn,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def deploy_platform(clients: AwsClients, settings: Settings, prefix: str = "etl-demo") -> Platform:
    s3, sfn, sqs = (clients.client(name) for name in ("s3", "stepfunctions", "sqs"))
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
        NotificationConfiguration={"QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": ARRIVALS_PREFIX}]}}}]},
    )
    # Triggers: S3 and Step Functions events reach EventBridge; each pipeline's
    # rules send the ones that start it to one queue the trigger function reads.
    enable_eventbridge_notifications(s3, data_bucket)
    triggers_url, triggers_arn = create_trigger_queue(sqs, f"{prefix}-pipeline-triggers")
    return Platform(prefix, data_bucket, artifacts_bucket, f"s3://{artifacts_bucket}/athena-results/",
                    activities["glue"], activities["athena"], activities["wait"], queue_url, triggers_url, triggers_arn)


def local_database(prefix: str, pipeline: Pipeline) -> str:
    """Several prefixes share one embedded AWS (tests): each gets its own database."""
    return f"{prefix}_{pipeline.database}".replace("-", "_")


def state_machine_name(prefix: str, pipeline_name: str) -> str:
    return naming.state_machine(prefix, pipeline_name)


def task_table_names(prefix: str) -> dict[str, str]:
    """The runners' DynamoDB tables of one local prefix, as Settings fields."""
    return {
        "glue_table": f"{prefix}-glue-tasks",
        "athena_table": f"{prefix}-athena-tasks",
        "wait_table": f"{prefix}-data-waits",
        "arrivals_table": f"{prefix}-object-arrivals",
    }


def deploy_pipeline(
    clients: AwsClients,
    settings: Settings,
    pipeline: Pipeline | Path = SAMPLE_PIPELINE,
    prefix: str = "etl-demo",
    definition_path: Path | None = None,
    platform: Platform | None = None,
) -> Deployment:
    """Deploy one pipeline (and the platform, unless given). ``definition_path``
    replaces the rendered state machine by a hand-written one using the same
    ``${Placeholders}`` (e.g. the sample's JSONata twin)."""
    if not isinstance(pipeline, Pipeline):
        pipeline = load_pipeline(Path(pipeline))
    platform = platform or deploy_platform(clients, settings, prefix)
    s3, sfn, glue, sns = (clients.client(name) for name in ("s3", "stepfunctions", "glue", "sns"))
    database = local_database(prefix, pipeline)
    results_location = f"s3://{platform.artifacts_bucket}/{naming.results_prefix(pipeline)}"
    variables = {
        "data_bucket": platform.data_bucket,
        "artifacts_bucket": platform.artifacts_bucket,
        "database": database,
        "results_location": results_location,
        "pipeline": pipeline.name,
    }
    topic_arn = sns.create_topic(Name=f"{prefix}-{pipeline.name}-notifications")["TopicArn"]

    job_names: dict[str, str] = {}
    substitutions = {
        "WaitForDataActivityArn": platform.wait_activity_arn,
        "GlueRunnerActivityArn": platform.glue_activity_arn,
        "AthenaRunnerActivityArn": platform.athena_activity_arn,
        "DataBucket": platform.data_bucket,
        "ArtifactBucket": platform.artifacts_bucket,
        "AthenaDatabase": database,
        "AthenaResultsLocation": results_location,
        "PipelineName": pipeline.name,
        "NotificationTopicArn": topic_arn,
    }
    for step in pipeline.glue_steps:
        assert step.glue is not None
        key = naming.script_key(pipeline, step)
        s3.put_object(Bucket=platform.artifacts_bucket, Key=key, Body=pipeline.script_path(step).read_bytes())
        job = naming.glue_job(prefix, pipeline, step)
        _create_or_update_job(glue, job, job_definition(step, ROLE_ARN, f"s3://{platform.artifacts_bucket}/{key}", variables))
        job_names[step.id] = job
        substitutions[pipeline.job_placeholder(step)] = job

    if definition_path is not None:
        text = definition_path.read_text(encoding="utf-8")
    else:
        text = render_state_machine(pipeline).text
    for gated in sorted({name for step in pipeline.steps.values() if step.gate for name in step.gate.pipelines}):
        substitutions[state_machine_placeholder(gated)] = _other_pipeline(clients, settings, pipeline, gated, prefix, platform)
    definition = render(text, substitutions, allow_unused=True)
    name = state_machine_name(prefix, pipeline.name)
    existing = [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"] if m["name"] == name]
    # Backfill, catch-up and redrive find the deployment's buckets and database in its tags.
    tags = deployment_tags(pipeline.name, platform.data_bucket, platform.artifacts_bucket, database)
    if existing:
        sfn.update_state_machine(stateMachineArn=existing[0], definition=definition)
        sfn.tag_resource(resourceArn=existing[0], tags=tags)
        state_machine_arn = existing[0]
    else:
        state_machine_arn = sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE_ARN, tags=tags)["stateMachineArn"]

    rules = _trigger_rules(clients, settings, pipeline, state_machine_arn, prefix, platform, variables)
    # Ended executions go to the trigger function (lineage, the run report), as the stack wires them.
    put_trigger_rules(clients.client("events"), naming.state_machine(prefix, pipeline),
                      [ended_rule(pipeline, state_machine_arn, topic_arn, platform.data_bucket, database)], platform.triggers_queue_arn)
    inbox = notification_inbox(clients.client("sqs"), sns, topic_arn, f"{prefix}-{pipeline.name}-notifications")
    return Deployment(
        pipeline=pipeline.name,
        state_machine_arn=state_machine_arn,
        glue_activity_arn=platform.glue_activity_arn,
        athena_activity_arn=platform.athena_activity_arn,
        wait_activity_arn=platform.wait_activity_arn,
        data_bucket=platform.data_bucket,
        artifacts_bucket=platform.artifacts_bucket,
        results_location=results_location,
        athena_database=database,
        notification_topic_arn=topic_arn,
        arrivals_queue_url=platform.arrivals_queue_url,
        triggers_queue_url=platform.triggers_queue_url,
        job_names=job_names,
        trigger_rules=tuple(rules),
        notifications_queue_url=inbox,
    )


def notification_inbox(sqs: Any, sns: Any, topic_arn: str, name: str) -> str:
    """An SQS queue subscribed to the pipeline's topic (every message type), so the
    messages e-mail would carry on AWS can be read locally (``runners.local.notifications``)."""
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    subscribed = {s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]}
    if arn not in subscribed:
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
    return str(url)


def _trigger_rules(clients: AwsClients, settings: Settings, pipeline: Pipeline, state_machine_arn: str, prefix: str,
                   platform: Platform, variables: dict[str, str]) -> list[str]:
    specs = catch_up_rules(pipeline, state_machine_arn)
    if pipeline.trigger is not None:
        upstream_arn = None
        if pipeline.trigger.after_pipeline:
            upstream_arn = _other_pipeline(clients, settings, pipeline, pipeline.trigger.after_pipeline, prefix, platform)
        bucket = resolve(pipeline.trigger.on_arrival_bucket, variables)
        specs += trigger_rules(pipeline, state_machine_arn, bucket, upstream_arn, variables)
    if not specs:
        return []
    return put_trigger_rules(clients.client("events"), naming.state_machine(prefix, pipeline), specs, platform.triggers_queue_arn)


def _other_pipeline(clients: AwsClients, settings: Settings, pipeline: Pipeline, gated: str, prefix: str, platform: Platform) -> str:
    """The ARN of a pipeline a gate waits for or a trigger follows: deployed
    here too when it is not yet (from the same folder)."""
    sfn = clients.client("stepfunctions")
    name = state_machine_name(prefix, gated)
    if gated == pipeline.name or any(m["name"] == name for m in sfn.list_state_machines()["stateMachines"]):
        return _state_machine_arn(clients, name)
    from runners.pipelines import find_pipeline_file

    folder = pipeline.source.parent if pipeline.source else None
    other = load_pipeline(find_pipeline_file(gated, folder)) if folder else None
    if other is None:
        raise ValueError(f"pipeline {pipeline.name} refers to pipeline {gated!r}, which is not deployed and has no file beside it")
    return deploy_pipeline(clients, settings, other, prefix=prefix, platform=platform).state_machine_arn


def _state_machine_arn(clients: AwsClients, name: str) -> str:
    """The ARN a state machine has (or will have once its pipeline is deployed)."""
    sfn = clients.client("stepfunctions")
    for machine in sfn.list_state_machines()["stateMachines"]:
        if machine["name"] == name:
            return machine["stateMachineArn"]
    account = clients.client("sts").get_caller_identity()["Account"]
    return f"arn:aws:states:{sfn.meta.region_name}:{account}:stateMachine:{name}"


def _create_bucket(s3: Any, bucket: str) -> None:
    try:
        s3.create_bucket(Bucket=bucket)
    except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        pass


def _create_or_update_job(glue: Any, name: str, spec: dict[str, Any]) -> None:
    try:
        glue.create_job(Name=name, **spec)
    except glue.exceptions.AlreadyExistsException:
        glue.update_job(JobName=name, JobUpdate=spec)
