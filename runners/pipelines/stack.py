"""A pipeline's CloudFormation stack, rendered from its file.

The shared stacks (glue-resources, step-functions-resources,
runner-resources) know no pipeline. Each pipeline's stack imports their
exports and creates what is the pipeline's own:

* a role and a Glue job per Glue step (the role reads the step's ``reads``,
  writes its ``writes`` and reads its script);
* the state machine (definition from the artifact bucket, every placeholder
  of the rendered definition filled), its role and log group;
* the schedule, the notification topic with its key, the trigger rules, and
  the rule that hands every ended execution to the trigger function (lineage,
  OpenLineage, the run report on ``notify.on``);
* one customer managed policy (``AWS::IAM::ManagedPolicy``) per shared role
  it needs, granting exactly what this pipeline's steps need: on the runner
  role its Glue jobs, Athena tables and inputs (``RunnerPolicy``), on the
  object_created role its inputs (``ObjectCreatedPolicy``), on the
  pipeline-trigger role its starts and ended executions
  (``PipelineTriggerPolicy``). Managed, not inline: a role's inline policies
  share 10,240 characters, while each managed policy has 6,144 of its own
  (a role holds 10 by default), so the runner role serves several pipelines.

``runners.pipelines.permissions`` checks these grants against what each step
needs at run time.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Iterable

import yaml

from . import cfn, naming
from .cfn import arn, get_att, imported, ref, sub
from .locations import S3Location, parse, prefix_pattern
from .triggers import catch_up_rules, schedule_target_input
from .model import Pipeline, Step, camel_case
from .sql_access import SqlAccess, SqlAccessError
from .statements import AthenaStatement, athena_statements

PIPELINE_PARAMETERS = ("GlueStackName", "StepFunctionsStackName", "RunnerStackName", "StateMachineDefinitionS3Key")
LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]
DEFAULT_WORK_GROUP = "primary"
# The managed policies a pipeline stack attaches to the shared roles:
# logical id -> (role, in the policy's name; runner-resources' export of the role's name).
SHARED_ROLE_POLICIES = {
    "RunnerPolicy": ("runner", "RunnerRoleName"),
    "ObjectCreatedPolicy": ("object-created", "ObjectCreatedRoleName"),
    "PipelineTriggerPolicy": ("pipeline-trigger", "PipelineTriggerRoleName"),
}
RUN_DATE_EXAMPLE = "2026-11-16"

JOB_RUN_ACTIONS = ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"]
QUERY_ACTIONS = ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:BatchGetQueryExecution",
                 "athena:StopQueryExecution", "athena:GetNamedQuery", "athena:ListNamedQueries"]
CATALOG_READ_ACTIONS = ["glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables", "glue:GetPartition",
                        "glue:GetPartitions", "glue:BatchGetPartition"]
OBJECT_WRITE_ACTIONS = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
# The trigger function reads an ended execution back (runners.execution_report).
ENDED_EXECUTION_ACTIONS = ["states:DescribeExecution", "states:GetExecutionHistory", "states:DescribeStateMachineForExecution"]
LINEAGE_PREFIX = "_lineage/"  # runners.lineage.LINEAGE_PREFIX
LINEAGE_TABLE = "etl_lineage"  # runners.lineage.TABLE
MESSAGE_TYPE, REPORT = "message_type", "report"  # runners.pipeline_notify

_LOG_DELIVERY_SKIP = (
    "CloudWatch Logs encrypts every log group at rest with its own keys; a customer managed key would add a "
    "key policy for the logs service and a monthly key charge for logs that hold no secrets."
)


def render_pipeline_stack(pipeline: Pipeline, placeholders: Iterable[str], *, prefix: str = naming.DEFAULT_PREFIX,
                          trigger_rules: Callable[..., list[Any]] | None = None) -> dict[str, Any]:
    """The pipeline's stack template.

    ``placeholders``: the rendered definition's ``${...}`` names; the state
    machine's DefinitionSubstitutions fill exactly these (an unknown one is an
    error). ``prefix``: the stack prefix, which names the jobs, state machine,
    rules and schedule. ``trigger_rules``: ``runners.pipelines.triggers.trigger_rules``
    unless given (used when the pipeline has a trigger)."""
    return _Renderer(pipeline, frozenset(placeholders), prefix, trigger_rules).render()


def standard_placeholders(pipeline: Pipeline) -> frozenset[str]:
    """Every placeholder a pipeline stack can fill: the shared names, one job name per Glue
    step, one state machine ARN per pipeline a dependency gate names."""
    return (frozenset(STANDARD_PLACEHOLDERS) | {pipeline.job_placeholder(step) for step in pipeline.glue_steps}
            | {gate_placeholder(name) for name in gated_pipelines(pipeline)})


def gated_pipelines(pipeline: Pipeline) -> list[str]:
    return sorted({name for step in pipeline.steps.values() if step.gate for name in step.gate.pipelines})


def gate_placeholder(pipeline_name: str) -> str:
    """The definition's placeholder of a gated pipeline's state machine ARN
    (as runners.pipelines.asl.state_machine_placeholder names it)."""
    return f"{camel_case(pipeline_name.replace('-', '_'))}StateMachineArn"


STANDARD_PLACEHOLDERS = (
    "GlueRunnerActivityArn", "AthenaRunnerActivityArn", "WaitForDataActivityArn", "DataBucket", "ArtifactBucket",
    "AthenaDatabase", "AthenaResultsLocation", "PipelineName", "NotificationTopicArn",
)


def stack_yaml(template: dict[str, Any]) -> str:
    """The template as YAML (long-form intrinsics, no anchors: CloudFormation reads it as it is)."""

    class _NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    return yaml.dump(template, Dumper=_NoAliases, sort_keys=False, width=120, allow_unicode=True)


def stack_json(template: dict[str, Any]) -> str:
    return json.dumps(template, indent=1) + "\n"


class _Renderer:
    def __init__(self, pipeline: Pipeline, placeholders: frozenset[str], prefix: str, trigger_rules: Callable[..., list[Any]] | None) -> None:
        self.pipeline = pipeline
        self.placeholders = placeholders
        self.prefix = prefix
        self.trigger_rules = trigger_rules
        self.resources: dict[str, Any] = {}
        self.outputs: dict[str, Any] = {}
        # shared role (logical id of the policy) -> its statements, in order
        self.grants: dict[str, list[dict[str, Any]]] = {}

    def render(self) -> dict[str, Any]:
        p = self.pipeline
        self._check_scripts()
        for step in p.glue_steps:
            self._glue_job(step)
        self._notifications()
        self._state_machine()
        if p.schedule is not None:
            self._schedule()
        if p.trigger is not None or p.schedule is not None:
            self._triggers()
        self._glue_runner_policy()
        self._athena_runner_policy()
        self._wait_policy()
        self._shared_role_policies()
        description = f"etl-runner pipeline {p.name} (rendered from {p.source.name if p.source else 'its pipeline file'}; do not edit): " + (p.description or "")
        return {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Description": description[:1024],
            "Parameters": self._parameters(),
            "Resources": self.resources,
            "Outputs": self.outputs,
        }

    # -- parameters ---------------------------------------------------------------------
    def _parameters(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for stack, parameter in cfn.STACK_PARAMETERS.items():
            params[parameter] = {
                "Type": "String",
                "Default": naming.shared_stack_name(self.prefix, stack),
                "Description": f"Set by build.py: the {stack} stack whose exports this stack imports (<ETL_STACK_PREFIX>-{stack}).",
            }
        params["StateMachineDefinitionS3Key"] = {
            "Type": "String",
            "Description": "Set by build.py: content-addressed key of the rendered definition in the artifact bucket.",
        }
        if self.pipeline.schedule is not None:
            params["ScheduleState"] = {
                "Type": "String",
                "Default": "ENABLED" if self.pipeline.schedule.enabled else "DISABLED",
                "AllowedValues": ["ENABLED", "DISABLED"],
                "Description": "Whether the schedule starts executions (build.py enableschedule/disableschedule switch it too).",
            }
        params["StateMachineLogLevel"] = {
            "Type": "String", "Default": "ALL", "AllowedValues": ["ALL", "ERROR", "FATAL", "OFF"],
            "Description": "Execution history events sent to the state machine's log group.",
        }
        params["LogRetentionInDays"] = {
            "Type": "Number", "Default": 365, "AllowedValues": LOG_RETENTION_DAYS,
            "Description": "Retention of the state machine's log group.",
        }
        return params

    # -- Glue ---------------------------------------------------------------------------
    def _check_scripts(self) -> None:
        keys: dict[str, str] = {}
        for step in self.pipeline.glue_steps:
            key = naming.script_key(self.pipeline, step)
            if key in keys:
                raise ValueError(f"steps {keys[key]} and {step.id} upload different scripts to the same key {key}: give the scripts different file names")
            keys[key] = step.id

    def _glue_job(self, step: Step) -> None:
        assert step.glue is not None
        p, job = self.pipeline, step.glue
        logical = camel_case(step.id)
        statements: list[dict[str, Any]] = [
            _allow("ReadScript", "s3:GetObject", arn("s3", f"${{Bucket}}/{naming.script_key(p, step)}", Bucket=cfn.artifact_bucket())),
        ]
        locations = [self._location(r) for r in step.reads] + [self._location(w) for w in step.writes]
        if locations:
            statements.append(_allow("ListBuckets", ["s3:ListBucket", "s3:GetBucketLocation"], _bucket_arns(locations)))
        if step.reads:
            statements.append(_allow("ReadInputs", "s3:GetObject", [self._objects(self._location(r)) for r in step.reads]))
        if step.writes:
            statements.append(_allow("WriteOutputs", ["s3:GetObject", "s3:DeleteObject", *OBJECT_WRITE_ACTIONS],
                                     [self._objects(self._location(w)) for w in step.writes]))
        # The job logs to glue-resources' groups (--custom-logGroup-prefix); /aws-glue/*
        # also covers the groups Glue writes to outside the script (e.g. job insights).
        statements.append(_allow("JobLogs", ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], [
            arn("logs", "log-group:/aws-glue/*"), arn("logs", "log-group:/aws-glue/*:log-stream:*"),
        ]))
        self.resources[f"{logical}JobRole"] = {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "Description": f"Glue job of step {step.id} of pipeline {p.name}: reads its script and inputs, writes its outputs.",
                "AssumeRolePolicyDocument": _assume("glue.amazonaws.com"),
                "Policies": [{"PolicyName": "glue-job", "PolicyDocument": _document(statements)}],
            },
        }
        default_arguments: dict[str, Any] = {
            "--job-language": "python",
            "--custom-logGroup-prefix": imported("glue-resources", "GlueLogGroupPrefix"),
        }
        for name, value in job.job_parameters:
            default_arguments[name] = cfn.text(p, value)
        properties: dict[str, Any] = {
            "Name": naming.glue_job(self.prefix, p, step),
            "Description": (job.description or step.title) + f" ({job.script})",
            "Role": get_att(f"{logical}JobRole", "Arn"),
            "Command": {
                "Name": "glueetl",
                "PythonVersion": "3",
                "ScriptLocation": sub(f"s3://${{Bucket}}/{naming.script_key(p, step)}", Bucket=cfn.artifact_bucket()),
            },
            "GlueVersion": job.glue_version,
            "WorkerType": job.worker_type,
            "NumberOfWorkers": job.workers,
            "Timeout": job.timeout_minutes,
            "MaxRetries": 0,
            "ExecutionProperty": {"MaxConcurrentRuns": job.max_concurrent_runs},
            "JobRunQueuingEnabled": True,
            "SecurityConfiguration": imported("glue-resources", "GlueSecurityConfigurationName"),
            "DefaultArguments": default_arguments,
        }
        self.resources[f"{logical}Job"] = {"Type": "AWS::Glue::Job", "Properties": properties}
        self.outputs[f"{logical}JobName"] = {"Description": f"Glue job of step {step.id}", "Value": ref(f"{logical}Job")}

    def _location(self, text: str) -> S3Location:
        """A reads/writes entry or table location, deploy-time names filled (buckets stay variables)."""
        return location_of(self.pipeline, text)

    def _objects(self, location: S3Location) -> Any:
        return _s3_arn(location, prefix_pattern(location))

    # -- notifications --------------------------------------------------------------------
    def _notifications(self) -> None:
        p = self.pipeline
        self.resources["NotificationKey"] = {
            "Type": "AWS::KMS::Key",
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
            "Properties": {
                "Description": f"Encrypts the notification topic of pipeline {p.name}",
                "EnableKeyRotation": True,
                "PendingWindowInDays": 7,
                "KeyPolicy": _document([
                    # Hands the key to IAM: principals of this account use it only as far as
                    # their IAM policies allow (here: the trigger function's, which publishes
                    # the report, and the state machine role if its definition publishes). Listed instead of
                    # kms:* so no account principal gets more than key administration and the
                    # two data-key calls SNS publishers make.
                    {"Sid": "AccountAdministersAndIamGrantsUse", "Effect": "Allow",
                     "Principal": {"AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
                     "Action": KEY_ADMIN_ACTIONS, "Resource": "*"},
                ]),
            },
        }
        self.resources["NotificationKeyAlias"] = {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": f"alias/{naming.bounded(f'{self.prefix}-{p.name}-notifications', 250)}",
                           "TargetKeyId": ref("NotificationKey")},
        }
        self.resources["NotificationTopic"] = {
            "Type": "AWS::SNS::Topic",
            "Properties": {"DisplayName": f"ETL pipeline {p.name}"[:100], "KmsMasterKeyId": get_att("NotificationKey", "Arn")},
        }
        for index, email in enumerate(p.notify.emails, start=1):
            self.resources[f"NotificationEmail{index}"] = {
                "Type": "AWS::SNS::Subscription",
                # One message per ended run: the report (alerts a hand-written definition publishes are for pagers and chat).
                "Properties": {"TopicArn": ref("NotificationTopic"), "Protocol": "email", "Endpoint": email,
                               "FilterPolicy": {MESSAGE_TYPE: [REPORT]}, "FilterPolicyScope": "MessageAttributes"},
            }
        self._ended_rule()
        self.outputs["NotificationTopicArn"] = {"Value": ref("NotificationTopic")}

    def _ended_rule(self) -> None:
        """Every ended execution goes to the trigger function (through the triggers
        queue), which records its lineage and publishes the run report on
        ``notify.on``; its role gets exactly what that takes for this pipeline."""
        from .triggers import ended_rule

        p = self.pipeline
        spec = ended_rule(p, self._machine_arn(), "${NotificationTopic}", "${DataBucket}", p.database)
        self._queue_rule("ExecutionEndedRule", spec, {"DataBucket": cfn.data_bucket(), "NotificationTopic": ref("NotificationTopic")})
        executions = arn("states", f"execution:{naming.state_machine(self.prefix, p)}:*")
        database = p.database
        catalog = [arn("glue", "catalog"), arn("glue", f"database/{database}")]
        lineage_objects = arn("s3", f"${{Bucket}}/{LINEAGE_PREFIX}pipeline={p.name}/*", Bucket=cfn.data_bucket())
        results = self._objects(S3Location("${artifacts_bucket}", naming.results_prefix(p)))
        statements = [
            _allow("ReadExecutions", ENDED_EXECUTION_ACTIONS, executions),
            _allow("WriteLineage", "s3:PutObject", lineage_objects),
            _allow("LineageTable", ["glue:GetDatabase", "glue:CreateDatabase", "glue:GetTable", "glue:CreateTable"],
                   catalog + [arn("glue", f"table/{database}/{LINEAGE_TABLE}")]),
            # An Athena step's target table: its location and partition keys, for the report and lineage.
            _allow("OutputTables", "glue:GetTable", catalog + [arn("glue", f"table/{database}/*")]),
            _allow("QueryRowCounts", "athena:GetQueryResults", arn("athena", f"workgroup/{DEFAULT_WORK_GROUP}")),
            _allow("QueryResults", "s3:GetObject", results),
            _allow("PublishReport", "sns:Publish", ref("NotificationTopic")),
            _allow("EncryptedTopic", ["kms:Decrypt", "kms:GenerateDataKey"], get_att("NotificationKey", "Arn")),
        ]
        work_groups = sorted({s.athena.work_group for s in p.steps.values() if s.athena and s.athena.work_group} - {DEFAULT_WORK_GROUP})
        if work_groups:
            statements.append(_allow("QueryRowCountsOtherWorkGroups", "athena:GetQueryResults", [arn("athena", f"workgroup/{w}") for w in work_groups]))
        self._grant("PipelineTriggerPolicy", statements)

    # -- state machine ----------------------------------------------------------------------
    def _substitutions(self) -> dict[str, Any]:
        p = self.pipeline
        known: dict[str, Any] = {
            "GlueRunnerActivityArn": imported("step-functions-resources", "GlueRunnerActivityArn"),
            "AthenaRunnerActivityArn": imported("step-functions-resources", "AthenaRunnerActivityArn"),
            "WaitForDataActivityArn": imported("step-functions-resources", "WaitForDataActivityArn"),
            "DataBucket": cfn.data_bucket(),
            "ArtifactBucket": cfn.artifact_bucket(),
            "AthenaDatabase": p.database,
            "AthenaResultsLocation": cfn.results_location(p),
            "PipelineName": p.name,
            "NotificationTopicArn": ref("NotificationTopic"),
        }
        for step in p.glue_steps:
            known[p.job_placeholder(step)] = ref(f"{camel_case(step.id)}Job")
        for name in gated_pipelines(p):
            # an ARN built from the name, not a Ref: the pipeline may gate on itself
            known[gate_placeholder(name)] = arn("states", f"stateMachine:{naming.state_machine(self.prefix, name)}")
        unknown = sorted(self.placeholders - set(known))
        if unknown:
            raise ValueError(f"the definition of pipeline {p.name} has placeholder(s) no stack value fills: {', '.join(unknown)}")
        return {name: known[name] for name in sorted(self.placeholders)}

    def _state_machine(self) -> None:
        p = self.pipeline
        self.resources["StateMachineLogGroup"] = {
            "Type": "AWS::Logs::LogGroup",
            "Metadata": {"checkov": {"skip": [{"id": "CKV_AWS_158", "comment": _LOG_DELIVERY_SKIP}]}},
            "Properties": {
                # /aws/vendedlogs/ keeps the log resource policy Step Functions writes small.
                "LogGroupName": f"/aws/vendedlogs/states/{naming.state_machine(self.prefix, p)}",
                "RetentionInDays": ref("LogRetentionInDays"),
            },
        }
        role: dict[str, Any] = {
            "Description": f"State machine of pipeline {p.name} (activity tasks need no permissions; it logs, and publishes only if its definition does).",
            "AssumeRolePolicyDocument": _assume("states.amazonaws.com", source_account=True),
        }
        if "NotificationTopicArn" in self.placeholders:  # a definition that publishes to the topic itself
            role["Policies"] = [{"PolicyName": "notify", "PolicyDocument": _document([
                _allow("PublishNotifications", "sns:Publish", ref("NotificationTopic")),
                _allow("EncryptedTopic", ["kms:Decrypt", "kms:GenerateDataKey"], get_att("NotificationKey", "Arn")),
            ])}]
        self.resources["StateMachineRole"] = {"Type": "AWS::IAM::Role", "Properties": role}
        self.resources["StateMachineLogDeliveryPolicy"] = {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": "log-delivery",
                "Roles": [ref("StateMachineRole")],
                # Step Functions' vended log delivery: these actions have no resource
                # types, so AWS documents Resource "*" for them.
                "PolicyDocument": _document([_allow("VendedLogDelivery", LOG_DELIVERY_ACTIONS, "*")]),
            },
        }
        self.resources["StateMachine"] = {
            "Type": "AWS::StepFunctions::StateMachine",
            "DependsOn": "StateMachineLogDeliveryPolicy",
            "Properties": {
                "StateMachineName": naming.state_machine(self.prefix, p),
                "StateMachineType": "STANDARD",
                "RoleArn": get_att("StateMachineRole", "Arn"),
                "DefinitionS3Location": {"Bucket": cfn.artifact_bucket(), "Key": ref("StateMachineDefinitionS3Key")},
                "DefinitionSubstitutions": self._substitutions(),
                # What backfill, redrive and clean-up read back (runners.operate.target).
                "Tags": [
                    {"Key": "etl-runner:pipeline", "Value": p.name},
                    {"Key": "etl-runner:data-bucket", "Value": cfn.data_bucket()},
                    {"Key": "etl-runner:artifacts-bucket", "Value": cfn.artifact_bucket()},
                    {"Key": "etl-runner:database", "Value": p.database},
                ],
                "LoggingConfiguration": {
                    "Level": ref("StateMachineLogLevel"),
                    "IncludeExecutionData": True,
                    "Destinations": [{"CloudWatchLogsLogGroup": {"LogGroupArn": get_att("StateMachineLogGroup", "Arn")}}],
                },
            },
        }
        self.outputs["StateMachineArn"] = {"Value": ref("StateMachine")}
        self.outputs["StateMachineName"] = {"Value": get_att("StateMachine", "Name")}
        self.outputs["StateMachineLogGroupName"] = {"Value": ref("StateMachineLogGroup")}

    # -- starting executions ------------------------------------------------------------------
    def _schedule(self) -> None:
        p = self.pipeline
        assert p.schedule is not None
        self.resources["ScheduleRole"] = {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "Description": f"EventBridge Scheduler starts pipeline {p.name}.",
                "AssumeRolePolicyDocument": _assume("scheduler.amazonaws.com", source_account=True),
                "Policies": [{"PolicyName": "invoke-trigger", "PolicyDocument": _document([
                    _allow("InvokeTrigger", "lambda:InvokeFunction", imported("runner-resources", "PipelineTriggerFunctionArn")),
                ])}],
            },
        }
        # The schedule hands its time to the trigger function, which names the
        # execution by the run date (its local date in the schedule's time zone):
        # Scheduler's at-least-once delivery cannot start a date twice, backfill
        # and redrive see scheduled runs, and catch-up starts missed periods first.
        self.resources["Schedule"] = {
            "Type": "AWS::Scheduler::Schedule",
            "Properties": {
                "Name": naming.schedule(self.prefix, p),
                "Description": f"Starts pipeline {p.name} ({p.schedule.expression} {p.schedule.timezone})",
                "ScheduleExpression": p.schedule.expression,
                "ScheduleExpressionTimezone": p.schedule.timezone,
                "State": ref("ScheduleState"),
                "FlexibleTimeWindow": {"Mode": "OFF"},
                "Target": {
                    "Arn": imported("runner-resources", "PipelineTriggerFunctionArn"),
                    "RoleArn": get_att("ScheduleRole", "Arn"),
                    "Input": _subbed(schedule_target_input(p, self._machine_arn()), {}),
                    "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
                },
            },
        }
        self.outputs["ScheduleName"] = {"Description": "The schedule (group default); ScheduleState enables or disables it.", "Value": ref("Schedule")}

    def _machine_arn(self, pipeline: str | None = None) -> str:
        return ("arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:"
                + naming.state_machine(self.prefix, pipeline or self.pipeline))

    def _triggers(self) -> None:
        """The rules that start the pipeline (its trigger, and catch-up after a
        scheduled run ends), and what the trigger function may do for it."""
        p = self.pipeline
        machine = self._machine_arn()
        specs = list(catch_up_rules(p, machine))
        if p.trigger is not None:
            rules_of = self.trigger_rules
            if rules_of is None:
                from .triggers import trigger_rules as rules_of  # type: ignore[no-redef]
            upstream = self._machine_arn(p.trigger.after_pipeline) if p.trigger.after_pipeline else None
            bucket = {"${data_bucket}": "${DataBucket}", "${artifacts_bucket}": "${ArtifactBucket}"}.get(p.trigger.on_arrival_bucket, p.trigger.on_arrival_bucket)
            specs += rules_of(p, machine, bucket, upstream)
        variables = {"DataBucket": cfn.data_bucket(), "ArtifactBucket": cfn.artifact_bucket()}
        for spec in specs:
            self._queue_rule(f"{camel_case(spec.suffix.replace('-', '_'))}Rule", spec, variables)
        statements = [_allow("StartPipeline", "states:StartExecution", ref("StateMachine"))]
        if p.schedule is not None:  # a scheduled run looks for the periods it must catch up, or the date it already started
            statements.append(_allow("ListPipelineExecutions", "states:ListExecutions", ref("StateMachine")))
        self._grant("PipelineTriggerPolicy", statements)

    def _queue_rule(self, logical: str, spec: Any, variables: dict[str, Any]) -> None:
        """An EventBridge rule handing its events, transformed, to the shared pipeline-triggers queue."""
        transformer: dict[str, Any] = {"InputTemplate": _subbed(spec.input_template, variables)}
        if spec.input_paths_map:
            transformer["InputPathsMap"] = _subbed(dict(spec.input_paths_map), variables)
        self.resources[logical] = {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Name": naming.rule(self.prefix, self.pipeline, spec.suffix),
                "Description": spec.description[:512],
                "State": "ENABLED",
                "EventPattern": _subbed(spec.event_pattern, variables),
                "Targets": [{
                    "Id": "pipeline-triggers",
                    "Arn": imported("runner-resources", "PipelineTriggersQueueArn"),
                    "InputTransformer": transformer,
                }],
            },
        }

    # -- the shared roles' grants --------------------------------------------------------------
    def _grant(self, policy: str, statements: list[dict[str, Any]], sid_prefix: str = "") -> None:
        """Add statements to the managed policy ``policy`` (a key of SHARED_ROLE_POLICIES);
        ``sid_prefix`` keeps the Sids of one document unique (Glue, Athena, Wait)."""
        self.grants.setdefault(policy, []).extend({**st, "Sid": sid_prefix + st["Sid"]} for st in statements)

    def _shared_role_policies(self) -> None:
        for policy, (role, export) in SHARED_ROLE_POLICIES.items():
            statements = self.grants.get(policy)
            if not statements:
                continue
            self.resources[policy] = {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "ManagedPolicyName": naming.shared_role_policy(self.prefix, self.pipeline, role),
                    "Description": f"What pipeline {self.pipeline.name}'s steps need of the shared {role} role"[:1000],
                    "Roles": [imported("runner-resources", export)],
                    "PolicyDocument": _document(statements),
                },
            }

    def _gate_statements(self) -> list[dict[str, Any]]:
        """The dependency gate: the runner of a gated step (Glue or Athena: one role)
        starts it only when the named jobs have no active run and the named pipelines
        no running execution."""
        p = self.pipeline
        gated = [s for s in p.steps.values() if s.gate is not None]
        jobs = sorted({naming.gate_job(self.prefix, p, j) for s in gated for j in s.gate.glue_jobs})  # type: ignore[union-attr]
        pipelines = sorted({name for s in gated for name in s.gate.pipelines})  # type: ignore[union-attr]
        statements = []
        if jobs:
            statements.append(_allow("GateJobs", "glue:GetJobRuns", [arn("glue", f"job/{name}") for name in jobs]))
        if pipelines:
            statements.append(_allow("GatePipelines", "states:ListExecutions",
                                     [arn("states", f"stateMachine:{naming.state_machine(self.prefix, name)}") for name in pipelines]))
        return statements

    def _glue_runner_policy(self) -> None:
        p = self.pipeline
        statements = []
        if p.glue_steps:
            statements.append(_allow("JobRuns", JOB_RUN_ACTIONS, [arn("glue", "job/${Job}", Job=ref(f"{camel_case(s.id)}Job")) for s in p.glue_steps]))
        self._grant("RunnerPolicy", statements, "Glue")
        self._grant("RunnerPolicy", self._gate_statements())

    def _athena_runner_policy(self) -> None:
        p = self.pipeline
        statements = athena_statements(p)
        if not statements:
            return
        database = p.database
        own = {(database, t) for t in p.tables}
        # A statement whose access cannot be read widens no grant (the permission check names it).
        accesses = [a for a in (_access_or_none(s) for s in statements) if a is not None]
        created = {t for a in accesses for t in a.creates}
        written = {t for a in accesses for t in a.writes}
        dropped = {t for a in accesses for t in a.drops}
        partitioned = {(database, t.name) for t in p.tables.values() if t.partitioned_by}

        def catalog(tables: Iterable[tuple[str, str]], databases: Iterable[str] = (database,)) -> list[Any]:
            return ([arn("glue", "catalog")] + [arn("glue", f"database/{d}") for d in sorted(set(databases))]
                    + [arn("glue", f"table/{d}/{t}") for d, t in sorted(tables)])

        grants: list[dict[str, Any]] = []
        work_groups = sorted({s.work_group for s in statements if s.work_group} - {DEFAULT_WORK_GROUP})
        if work_groups:  # the runner role has the default work group (runner-resources' AthenaWorkGroup)
            grants.append(_allow("WorkGroups", QUERY_ACTIONS, [arn("athena", f"workgroup/{w}") for w in work_groups]))
        # Athena reads and writes the Data Catalog with the caller's permissions: the
        # pipeline's database and tables only (reading "default" too, which Athena looks up).
        grants.append(_allow("CatalogRead", CATALOG_READ_ACTIONS, catalog(own | created, [database, "default"])))
        grants.append(_allow("CatalogCreate", ["glue:CreateDatabase", "glue:CreateTable"], catalog(own | created)))
        if partitioned:
            grants.append(_allow("CatalogPartitions", ["glue:CreatePartition", "glue:BatchCreatePartition"], catalog(partitioned & (own | created))))
        if dropped & own:
            # DDL refresh: DROP TABLE before CREATE (the data stays: the tables are EXTERNAL).
            grants.append(_allow("CatalogDrop", ["glue:DeleteTable", "glue:DeletePartition", "glue:BatchDeletePartition"], catalog(dropped & own)))
        locations = {t: self._location(p.tables[t[1]].location) for t in own}
        results = S3Location("${artifacts_bucket}", naming.results_prefix(p))
        write_locations = [self._location(w) for a in accesses for w in a.write_locations]
        buckets = list(locations.values()) + [results] + write_locations
        grants.append(_allow("ListBuckets", ["s3:GetBucketLocation", "s3:ListBucket"], _bucket_arns(buckets)))
        if locations:
            grants.append(_allow("ReadTables", "s3:GetObject", [self._objects(loc) for _, loc in sorted(locations.items())]))
        writes = [self._objects(locations[t]) for t in sorted(written & own)] + [self._objects(w) for w in write_locations]
        if writes:
            # INSERT INTO / CTAS / UNLOAD write these (the tables' files, UNLOAD's target).
            grants.append(_allow("WriteTables", OBJECT_WRITE_ACTIONS, writes))
        grants.append(_allow("QueryResults", ["s3:GetObject", *OBJECT_WRITE_ACTIONS], self._objects(results)))
        self._grant("RunnerPolicy", grants, "Athena")

    def _wait_policy(self) -> None:
        """The wait runner (and object_created, which takes over interrupted waits) list
        each input's bucket under the input's prefix only."""
        p = self.pipeline
        if not p.inputs:
            return
        by_bucket: dict[str, list[str]] = {}
        for data in p.inputs.values():
            for key in filter(None, (data.pattern, data.done_marker)):
                location = S3Location(data.bucket, cfn.literal_text(p, key, BUCKET_VARIABLES))
                by_bucket.setdefault(data.bucket, []).append(location.literal_prefix + "*")
        statements = []
        for index, (bucket, prefixes) in enumerate(sorted(by_bucket.items()), start=1):
            statement = _allow(f"ListInputs{index}", "s3:ListBucket", _bucket_arn(bucket))
            statement["Condition"] = {"StringLike": {"s3:prefix": sorted(set(prefixes))}}
            statements.append(statement)
        checked = [data for data in p.inputs.values() if data.schema is not None]
        if checked:
            # The schema check reads the released files' heads (or Parquet footers) and the
            # tables' columns, and adds new columns to the tables it evolves.
            objects = [_s3_arn(S3Location(d.bucket, ""), S3Location(d.bucket, cfn.literal_text(p, d.pattern, BUCKET_VARIABLES)).literal_prefix + "*")
                       for d in checked]
            statements.append(_allow("ReadInputHeads", "s3:GetObject", objects))
            tables = sorted({d.schema.table for d in checked} | {t for d in checked for t in d.schema.evolve})  # type: ignore[union-attr]
            catalog = [arn("glue", "catalog"), arn("glue", f"database/{p.database}")] + [arn("glue", f"table/{p.database}/{t}") for t in tables]
            statements.append(_allow("InputTables", "glue:GetTable", catalog))
            evolved = sorted({t for d in checked if d.schema.on_new_columns == "evolve" for t in (d.schema.table, *d.schema.evolve)})  # type: ignore[union-attr]
            if evolved:
                statements.append(_allow("EvolveTables", "glue:UpdateTable",
                                          [arn("glue", "catalog"), arn("glue", f"database/{p.database}")] + [arn("glue", f"table/{p.database}/{t}") for t in evolved]))
        self._grant("RunnerPolicy", statements, "Wait")
        self._grant("ObjectCreatedPolicy", statements)


KEY_ADMIN_ACTIONS = [
    "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:Decrypt", "kms:DeleteAlias", "kms:DescribeKey", "kms:DisableKey",
    "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation", "kms:GenerateDataKey", "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus", "kms:ListGrants", "kms:ListKeyPolicies", "kms:ListResourceTags", "kms:PutKeyPolicy",
    "kms:RevokeGrant", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
]
LOG_DELIVERY_ACTIONS = [
    "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
]


BUCKET_VARIABLES = {"data": "${data_bucket}", "artifacts": "${artifacts_bucket}"}


def location_of(pipeline: Pipeline, text: str) -> S3Location:
    """A location of the pipeline file with its deploy-time names filled; buckets stay variables."""
    return parse(cfn.literal_text(pipeline, text, BUCKET_VARIABLES))


def _document(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": statements}


def _allow(sid: str, actions: str | list[str], resources: Any) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}


def _assume(service: str, source_account: bool = False) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if source_account:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}
    return _document([statement])


def _bucket_arn(bucket: str) -> Any:
    return _s3_arn(S3Location(bucket, ""), "")


def _bucket_arns(locations: Iterable[S3Location]) -> list[Any]:
    return [_bucket_arn(b) for b in sorted({loc.bucket for loc in locations})]


def _s3_arn(location: S3Location, key: str) -> Any:
    path = f"/{key}" if key else ""
    value = cfn.bucket_value(location.bucket)
    if isinstance(value, str):
        return arn("s3", f"{value}{path}")
    return arn("s3", f"${{Bucket}}{path}", Bucket=value)


def _access_or_none(statement: AthenaStatement) -> SqlAccess | None:
    try:
        return statement.access
    except SqlAccessError:
        return None


def _subbed(value: Any, variables: dict[str, Any]) -> Any:
    """Strings holding ``${Var}`` (a pseudo parameter or one of ``variables``) as ``Fn::Sub``;
    any other ``${name}`` (e.g. a key template's ``${run_date}``) stays literal (``${!name}``)."""
    if isinstance(value, str):
        if "${" not in value:
            return value
        used = {name: v for name, v in variables.items() if "${" + name + "}" in value}
        if len(used) == 1 and value == "${" + next(iter(used)) + "}":
            return next(iter(used.values()))  # the value itself, e.g. an import

        names = re.findall(r"\$\{([^}]*)\}", value)
        if not any(name in used or name.startswith("AWS::") for name in names):
            return value  # nothing for CloudFormation to substitute

        def keep(match: re.Match[str]) -> str:
            name = match.group(1)
            return match.group(0) if name in used or name.startswith("AWS::") else "${!" + name + "}"

        return sub(re.sub(r"\$\{([^}]*)\}", keep, value), **used)
    if isinstance(value, dict):
        return {k: _subbed(v, variables) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_subbed(v, variables) for v in value]
    return value
