"""Does every step of a pipeline have every permission it needs on AWS?

Nothing enforces IAM locally, so a pipeline that runs on the embedded AWS
could still fail with AccessDenied on AWS. This check closes that gap for
what the project generates:

1. From the pipeline file, derive each request a step makes at run time,
   as (principal role, action, resource ARN, condition keys):

   * Glue runner (the runner role), per Glue step: start, read, list and stop
     runs of its job;
   * the runner of a gated step (Glue or Athena): list the named jobs' runs
     and the named pipelines' executions;
   * Glue job, per Glue step: read its script; read every ``s3://`` argument
     (by name: ``--output_path``, ``--target_*``, ... are written, the rest
     read); write its logs;
   * Athena runner, per Athena step and per generated DDL statement: the
     work group, the catalog actions of the statement on the tables sqlglot
     finds in it, the tables' S3 locations, the results location;
   * wait runner and object_created, per input: list its bucket under the
     input's prefix;
   * state machine (notify), scheduler and trigger: start or publish;
   * trigger function, when an execution ends: read it back, write its
     lineage and the lineage table, look up Athena targets, publish the report.

2. Resolve the shared templates and the pipeline's rendered stack with the
   names they are deployed with, collect each role's Allow/Deny statements
   (its inline policies, and the ``AWS::IAM::Policy`` and
   ``AWS::IAM::ManagedPolicy`` resources attached to it by name) and
   evaluate every request against the statements of the role that makes
   it, as IAM does (``runners.pipelines.iam``). The Glue, Athena and wait
   runners share one role (RunnerRole: the runner and job-events Lambdas, or
   the ECS service's tasks), so their requests are evaluated against it.

``policy_limit_problems`` checks IAM's size limits over every pipeline
deployed on one runner stack: each pipeline attaches one managed policy per
shared role it needs (at most 6,144 characters each, whitespace excluded),
and a role holds at most 10 managed policies by default, so one runner stack
serves 10 pipelines (20 with the quota "Managed policies per role" raised to
its maximum); the shared roles' inline policies stay within 10,240.

``check_permissions`` returns one line per missing permission, naming the
step, the role, the action and the resource. An example run date stands in
for ``${run_date}``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from . import naming
from .arguments import WRITTEN_ARGUMENT_WORDS, written_argument  # noqa: F401 - re-exported
from .cfn_resolve import Environment, ResolvedStack, ResolveError, load_template
from .iam import Request, allowed, statements_of
from .locations import S3Location, parse
from .triggers import trigger_rules
from .model import Pipeline, Step, camel_case
from .sql_access import SqlAccessError
from .stack import RUN_DATE_EXAMPLE, location_of, render_pipeline_stack, standard_placeholders
from .statements import AthenaStatement, athena_statements
from .templates import TEMPLATE

REPO_ROOT = Path(__file__).resolve().parents[2]
PIPELINE = "pipeline"
NO_DEFAULT = "<NO-DEFAULT>"
# IAM's limits (whitespace excluded from sizes): the inline policies of one role
# together; one managed policy; managed policies attached to one role (the
# default quota, adjustable up to 20).
INLINE_POLICY_LIMIT = 10_240
MANAGED_POLICY_LIMIT = 6_144
MANAGED_POLICIES_PER_ROLE = 10

# principal -> (stack, logical id of its role). The three runner kinds share one role.
RUNNER_ROLE = ("runner-resources", "RunnerRole")
SHARED_ROLES = {
    "Glue runner": RUNNER_ROLE,
    "Athena runner": RUNNER_ROLE,
    "wait runner": RUNNER_ROLE,
    "object_created": ("runner-resources", "ObjectCreatedRole"),
    "pipeline trigger": ("runner-resources", "PipelineTriggerRole"),
}
EXAMPLE_OBJECT = "part-00000"


@dataclass(frozen=True)
class Deployment:
    """The names a pipeline is deployed with (defaults: the build's, in the test account)."""

    prefix: str = naming.DEFAULT_PREFIX
    env: Environment = field(default_factory=Environment)
    data_bucket: str | None = None  # default: the glue-resources params file's, else <prefix>-data
    artifact_bucket: str | None = None  # default: <prefix>-artifacts-<account>-<region>, as build.py names it
    templates_dir: Path = REPO_ROOT / "cloudformation"

    def buckets(self) -> dict[str, str]:
        return {"data": self.data_bucket_name, "artifacts": self.artifact_bucket_name}

    @property
    def artifact_bucket_name(self) -> str:
        return self.artifact_bucket or f"{self.prefix}-artifacts-{self.env.account}-{self.env.region}"

    @property
    def data_bucket_name(self) -> str:
        if self.data_bucket:
            return self.data_bucket
        return _params_file(self.templates_dir, "glue-resources").get("DataBucketName") or f"{self.prefix}-data"

    def shared_parameters(self, stack: str) -> dict[str, str]:
        """The params file's values and what build.py fills."""
        values = _params_file(self.templates_dir, stack)
        values.update({
            "ArtifactBucketName": self.artifact_bucket_name,
            "DataBucketName": self.data_bucket_name,
            "StackPrefix": self.prefix,
            "GlueStackName": naming.shared_stack_name(self.prefix, "glue-resources"),
            "StepFunctionsStackName": naming.shared_stack_name(self.prefix, "step-functions-resources"),
            "RunnerStackName": naming.shared_stack_name(self.prefix, "runner-resources"),
        })
        template = load_template(self.templates_dir / f"{stack}.yaml")
        for name in template.get("Parameters") or {}:
            if name.endswith("CodeS3Key"):
                values[name] = "lambda/package.zip"
        return values


@dataclass(frozen=True)
class Need:
    """One request a step makes at run time."""

    principal: str  # the role's owner, e.g. "Glue runner", "Glue job" (of the step in ``where``)
    role: tuple[str, str]  # (stack, logical id)
    action: str
    resource: str
    where: str  # "step x", "table set-up", "input y", "state machine"
    why: str
    context: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        condition = "".join(f" with {key}={value!r}" for key, value in self.context)
        return f"{self.where}: the {self.principal} role lacks {self.action} on {self.resource}{condition} ({self.why})"


class Deployed:
    """The shared stacks and one pipeline stack, resolved."""

    def __init__(self, pipeline: Pipeline, template: Mapping[str, Any], deployment: Deployment) -> None:
        self.pipeline = pipeline
        self.deployment = deployment
        self.stacks: dict[str, ResolvedStack] = {}
        imports: dict[str, str] = {}
        missing = [s for s in naming.SHARED_STACKS if not (deployment.templates_dir / f"{s}.yaml").is_file()]
        if missing:
            raise ResolveError(f"no template of the shared stack(s) {', '.join(missing)} in {deployment.templates_dir}")
        for stack in naming.SHARED_STACKS:
            resolved = ResolvedStack(naming.shared_stack_name(deployment.prefix, stack), load_template(deployment.templates_dir / f"{stack}.yaml"),
                                     deployment.shared_parameters(stack), deployment.env, imports)
            self.stacks[stack] = resolved
            imports = {**imports, **resolved.exports()}
        parameters = {name: naming.shared_stack_name(deployment.prefix, stack) for stack, name in
                      (("glue-resources", "GlueStackName"), ("step-functions-resources", "StepFunctionsStackName"), ("runner-resources", "RunnerStackName"))}
        parameters["StateMachineDefinitionS3Key"] = f"{naming.DEFINITIONS_PREFIX}{pipeline.name}.asl.json"
        self.stacks[PIPELINE] = ResolvedStack(naming.stack_name(deployment.prefix, pipeline), template, parameters, deployment.env, imports)
        self.imports = imports

    def export(self, stack: str, name: str) -> str:
        return self.imports[f"{naming.shared_stack_name(self.deployment.prefix, stack)}-{name}"]

    def role_statements(self, role: tuple[str, str]) -> list[Mapping[str, Any]] | None:
        """Every statement of the role's identity policies; None when the role is not there."""
        stack, logical = role
        resolved = self.stacks[stack]
        if logical not in resolved.resources("AWS::IAM::Role"):
            return None
        name = resolved.physical_name(logical)
        found: list[Mapping[str, Any]] = []
        for policy in resolved.properties(logical).get("Policies") or []:
            found.extend(statements_of(policy["PolicyDocument"]))
        for other in self.stacks.values():
            for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                for policy_id in other.resources(kind):
                    props = other.properties(policy_id)
                    if name in (props.get("Roles") or []):
                        found.extend(statements_of(props["PolicyDocument"]))
        return found

    def attached(self, role: tuple[str, str], kind: str) -> list[tuple[str, str, Mapping[str, Any]]]:
        """(stack, logical id, resolved document) of every ``kind`` policy resource
        (``AWS::IAM::Policy`` or ``AWS::IAM::ManagedPolicy``) attached to the role by name."""
        name = self.stacks[role[0]].physical_name(role[1])
        found = []
        for stack, resolved in self.stacks.items():
            for policy_id in resolved.resources(kind):
                props = resolved.properties(policy_id)
                if name in (props.get("Roles") or []):
                    found.append((stack, policy_id, props["PolicyDocument"]))
        return found

    def inline_policy_size(self, role: tuple[str, str]) -> int:
        """Characters (without whitespace) IAM counts against the role's inline policy limit."""
        stack, logical = role
        documents = [p["PolicyDocument"] for p in self.stacks[stack].properties(logical).get("Policies") or []]
        documents += [document for _, _, document in self.attached(role, "AWS::IAM::Policy")]
        return sum(policy_size(d) for d in documents)

    def managed_policy_count(self, role: tuple[str, str], stacks: Iterable[str] | None = None) -> int:
        """Managed policies attached to the role by the given stacks (default: all of them),
        counting the role's own ManagedPolicyArns with its stack."""
        stack, logical = role
        chosen = set(self.stacks) if stacks is None else set(stacks)
        count = sum(1 for source, _, _ in self.attached(role, "AWS::IAM::ManagedPolicy") if source in chosen)
        if stack in chosen:
            count += len(self.stacks[stack].properties(logical).get("ManagedPolicyArns") or [])
        return count


def policy_size(document: Mapping[str, Any]) -> int:
    """A policy document's size as IAM counts it: its JSON without whitespace."""
    return len(re.sub(r"\s", "", json.dumps(document, separators=(",", ":"))))


class PipelinePermissionError(ValueError):
    """A step needs a permission the generated roles lack: it would work
    locally (nothing enforces IAM there) and fail with AccessDenied on AWS."""

    def __init__(self, pipeline: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"pipeline {pipeline}: the generated roles would deny these requests on AWS:\n  " + "\n  ".join(problems))


def require_permissions(pipeline: Pipeline, **kwargs: Any) -> None:
    """Raise PipelinePermissionError when ``check_permissions`` finds a problem."""
    problems = check_permissions(pipeline, **kwargs)
    if problems:
        raise PipelinePermissionError(pipeline.name, problems)


def check_permissions(pipeline: Pipeline, *, deployment: Deployment | None = None,
                      template: Mapping[str, Any] | None = None) -> list[str]:
    """Problems, one line each: a request some step makes that its role does not allow.

    ``template``: the pipeline's stack as deployed (default: rendered now)."""
    deployment = deployment or Deployment()
    if template is None:
        template = render_pipeline_stack(pipeline, standard_placeholders(pipeline), prefix=deployment.prefix,
                                         trigger_rules=trigger_rules if pipeline.trigger else None)
    try:
        return _evaluate(pipeline, Deployed(pipeline, template, deployment))
    except ResolveError as exc:
        return [f"the stacks cannot be resolved: {exc}"]


def _evaluate(pipeline: Pipeline, deployed: Deployed) -> list[str]:
    needs, problems = required(pipeline, deployed)
    cache: dict[tuple[str, str], list[Mapping[str, Any]] | None] = {}
    for need in needs:
        if need.role not in cache:
            cache[need.role] = deployed.role_statements(need.role)
        statements = cache[need.role]
        if statements is None:
            problems.append(f"{need.where}: the {need.principal} role ({need.role[1]} in {need.role[0]}) is missing")
            cache[need.role] = []
            continue
        if not allowed(statements, Request(need.action, need.resource, dict(need.context))):
            problems.append(need.describe())
    return list(dict.fromkeys(problems))


def required(pipeline: Pipeline, deployed: Deployed) -> tuple[list[Need], list[str]]:
    """Every request the pipeline's steps make, and what makes a request unknowable."""
    return _Needs(pipeline, deployed).collect()


class _Needs:
    def __init__(self, pipeline: Pipeline, deployed: Deployed) -> None:
        self.p = pipeline
        self.d = deployed
        self.e = deployed.deployment.env
        self.prefix = deployed.deployment.prefix
        self.buckets = deployed.deployment.buckets()
        self.needs: list[Need] = []
        self.problems: list[str] = []

    def collect(self) -> tuple[list[Need], list[str]]:
        for step in self.p.glue_steps:
            self._glue_runner(step)
            self._glue_job(step)
        for step in self.p.steps.values():
            if step.gate is not None:
                self._gate(step)
        for statement in athena_statements(self.p):
            self._athena(statement)
        for data in self.p.inputs.values():
            self._input(data.id, data.bucket, data.pattern, data.done_marker)
        self._state_machine()
        return self.needs, self.problems

    # -- helpers -------------------------------------------------------------------------
    def need(self, principal: str, role: tuple[str, str], actions: str | Iterable[str], resource: str, where: str, why: str,
             context: Mapping[str, str] | None = None) -> None:
        for action in [actions] if isinstance(actions, str) else actions:
            self.needs.append(Need(principal, role, action, resource, where, why, tuple(sorted((context or {}).items()))))

    def arn(self, service: str, resource: str) -> str:
        e = self.e
        if service == "s3":
            return f"arn:{e.partition}:s3:::{resource}"
        return f"arn:{e.partition}:{service}:{e.region}:{e.account}:{resource}"

    def bucket(self, bucket: str) -> str:
        return {"${data_bucket}": self.buckets["data"], "${artifacts_bucket}": self.buckets["artifacts"]}.get(bucket, bucket)

    def filled(self, text: str) -> str:
        """A template of the pipeline file with example run-time and the deployed names."""
        values = {
            "run_date": RUN_DATE_EXAMPLE, "database": self.p.database, "pipeline": self.p.name,
            "data_bucket": self.buckets["data"], "artifacts_bucket": self.buckets["artifacts"],
            "results_location": f"s3://{self.buckets['artifacts']}/{naming.results_prefix(self.p)}",
        }
        return TEMPLATE.sub(lambda m: values.get(m.group(1), m.group(0)), text)

    def object_arn(self, location: S3Location, name: str = EXAMPLE_OBJECT) -> str:
        """An object under a prefix (a key ending in '/' or empty), or the key itself."""
        key = self.filled(location.key)
        key = key + name if key.endswith("/") or not key else key
        return self.arn("s3", f"{self.bucket(location.bucket)}/{key}")

    # -- Glue ---------------------------------------------------------------------------
    def _glue_runner(self, step: Step) -> None:
        role = SHARED_ROLES["Glue runner"]
        where = f"step {step.id}"
        activity = self.d.export("step-functions-resources", "GlueRunnerActivityArn")
        self.need("Glue runner", role, "states:GetActivityTask", activity, where, "take the step's task")
        self.need("Glue runner", role, ["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"], "*", where, "report the task")
        job = self.arn("glue", f"job/{naming.glue_job(self.prefix, self.p, step)}")
        self.need("Glue runner", role, ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"], job, where,
                  "start, watch and stop the step's job")

    def _gate(self, step: Step) -> None:
        assert step.gate is not None
        principal = "Glue runner" if step.kind == "glue" else "Athena runner"  # the runner holding the gated task
        role = SHARED_ROLES[principal]
        where = f"step {step.id}"
        for job in step.gate.glue_jobs:
            name = naming.gate_job(self.prefix, self.p, job)
            self.need(principal, role, "glue:GetJobRuns", self.arn("glue", f"job/{name}"), where, f"wait until job {name} is idle")
        for other in step.gate.pipelines:
            machine = naming.state_machine_arn(self.prefix, other, partition=self.e.partition, region=self.e.region, account=self.e.account)
            self.need(principal, role, "states:ListExecutions", machine, where, f"wait until pipeline {other} is idle")

    def _glue_job(self, step: Step) -> None:
        assert step.glue is not None
        principal = "Glue job"
        role = (PIPELINE, f"{camel_case(step.id)}JobRole")
        where = f"step {step.id}"
        script = self.arn("s3", f"{self.buckets['artifacts']}/{naming.script_key(self.p, step)}")
        self.need(principal, role, "s3:GetObject", script, where, f"read its script {step.glue.script}")
        for argument, value in (*step.glue.arguments, *step.glue.job_parameters):
            text = self.filled(value)
            if not text.startswith("s3://"):
                continue
            location = parse(text)
            bucket_arn = self.arn("s3", location.bucket)
            if written_argument(argument):
                self.need(principal, role, "s3:PutObject", self.object_arn(location), where, f"write {argument} {text}")
            else:
                self.need(principal, role, "s3:GetObject", self.object_arn(location), where, f"read {argument} {text}")
            self.need(principal, role, "s3:ListBucket", bucket_arn, where, f"list {argument} {text}")
        log_prefix = self.d.export("glue-resources", "GlueLogGroupPrefix")
        for stream in ("output", "error"):
            group = self.arn("logs", f"log-group:{log_prefix}/{stream}:log-stream:{step.glue.job_name}-run")
            self.need(principal, role, ["logs:CreateLogStream", "logs:PutLogEvents"], group, where, f"write its {stream} log")

    # -- Athena -------------------------------------------------------------------------
    def _athena(self, statement: AthenaStatement) -> None:
        principal, role = "Athena runner", SHARED_ROLES["Athena runner"]
        where = statement.where()
        label = statement.label

        def need(actions: str | Iterable[str], resource: str, why: str, context: Mapping[str, str] | None = None) -> None:
            self.need(principal, role, actions, resource, where, f"{label}: {why}", context)

        work_group = statement.work_group or "primary"
        need(["athena:StartQueryExecution", "athena:GetQueryExecution"], self.arn("athena", f"workgroup/{work_group}"), f"run in work group {work_group}")
        activity = self.d.export("step-functions-resources", "AthenaRunnerActivityArn")
        need("states:GetActivityTask", activity, "take the task")
        results = S3Location("${artifacts_bucket}", naming.results_prefix(self.p))
        need("s3:GetBucketLocation", self.arn("s3", self.buckets["artifacts"]), "find the results bucket")
        need(["s3:PutObject", "s3:GetObject"], self.object_arn(results, "query.csv"), "write and read its results")
        try:
            access = statement.access
        except SqlAccessError as exc:
            self.problems.append(f"{where}: {label}: what the statement touches is unknown, so its permissions cannot be checked: {exc}")
            return

        catalog = self.arn("glue", "catalog")

        def database_arn(name: str) -> str:
            return self.arn("glue", f"database/{name}")

        def table(actions: list[str], db_table: tuple[str, str], why: str) -> None:
            db, name = db_table
            for resource in (catalog, database_arn(db), self.arn("glue", f"table/{db}/{name}")):
                need(actions, resource, why)

        need("glue:GetDatabase", catalog, "look up its database")
        need("glue:GetDatabase", database_arn(statement.database), "look up its database")
        for db in access.databases:
            need("glue:CreateDatabase", catalog, f"create database {db}")
            need("glue:CreateDatabase", database_arn(db), f"create database {db}")
        for t in access.creates:
            table(["glue:GetTable", "glue:CreateTable"], t, f"create table {t[0]}.{t[1]}")
        for t in access.drops:
            table(["glue:GetTable", "glue:DeleteTable", "glue:GetPartitions", "glue:BatchDeletePartition"], t, f"drop table {t[0]}.{t[1]}")
        for t in access.repairs:
            table(["glue:GetTable", "glue:GetPartitions", "glue:BatchCreatePartition"], t, f"load the partitions of {t[0]}.{t[1]}")
            self._table_location(t, access, statement, lambda loc, t=t: need("s3:ListBucket", self.arn("s3", self.bucket(loc.bucket)), f"list {t[0]}.{t[1]}",
                                                                           {"s3:prefix": self.filled(loc.key)}))
        for t in access.reads - access.writes:
            table(["glue:GetTable", "glue:GetPartitions"], t, f"read {t[0]}.{t[1]}")
            self._table_location(t, access, statement, lambda loc, t=t: (
                need("s3:ListBucket", self.arn("s3", self.bucket(loc.bucket)), f"list {t[0]}.{t[1]}", {"s3:prefix": self.filled(loc.key)}),
                need("s3:GetObject", self.object_arn(loc), f"read {t[0]}.{t[1]}")))
        for t in access.writes:
            actions = ["glue:GetTable"] + (["glue:BatchCreatePartition"] if self._partitioned(t) else [])
            if t in access.reads:
                actions.append("glue:GetPartitions")
            table(actions, t, f"write {t[0]}.{t[1]}")
            if access.kind == "ctas" and not access.write_locations:
                continue  # Athena writes a CTAS without external_location under the results location
            self._table_location(t, access, statement, lambda loc, t=t: (
                need("s3:PutObject", self.object_arn(loc), f"write {t[0]}.{t[1]}"),
                *([need("s3:GetObject", self.object_arn(loc), f"read {t[0]}.{t[1]}")] if t in access.reads else [])))
        for uri in access.write_locations:
            loc = location_of(self.p, uri)
            need("s3:PutObject", self.object_arn(loc), f"write {self.filled(uri)}")

    def _partitioned(self, t: tuple[str, str]) -> bool:
        table = self.p.tables.get(t[1]) if t[0] == self.p.database else None
        return bool(table and table.partitioned_by)

    def _table_location(self, t: tuple[str, str], access: Any, statement: AthenaStatement, use: Any) -> None:
        db, name = t
        if db == self.p.database and name in self.p.tables:
            use(location_of(self.p, self.p.tables[name].location))
        elif t in access.table_locations:
            use(location_of(self.p, access.table_locations[t]))
        elif access.kind == "ctas" and access.write_locations:
            use(location_of(self.p, access.write_locations[0]))
        else:
            self.problems.append(
                f"{statement.where()}: {statement.label} uses table {db}.{name}, which is not among this pipeline's tables: "
                "its S3 location is unknown, so no generated grant covers it (add it to 'tables')")

    # -- waits, starts, notifications -------------------------------------------------------
    def _input(self, input_id: str, bucket: str, pattern: str, done_marker: str | None) -> None:
        where = f"input {input_id}"
        steps = [s.id for s in self.p.steps.values() if input_id in s.after]
        for key, what in ((pattern, "objects"), (done_marker, "done marker")):
            if not key:
                continue
            location = S3Location(bucket, self.filled(key))
            prefix = location.literal_prefix
            for principal in ("wait runner", "object_created"):
                self.need(principal, SHARED_ROLES[principal], "s3:ListBucket", self.arn("s3", self.bucket(bucket)), where,
                          f"list the input's {what} for step(s) {', '.join(steps)}", {"s3:prefix": prefix})
        activity = self.d.export("step-functions-resources", "WaitForDataActivityArn")
        self.need("wait runner", SHARED_ROLES["wait runner"], "states:GetActivityTask", activity, where, "take the wait task")
        schema = self.p.inputs[input_id].schema
        if schema is not None:
            location = S3Location(bucket, self.filled(pattern))
            example = self.arn("s3", f"{self.bucket(bucket)}/{location.literal_prefix}{EXAMPLE_OBJECT}")
            catalog, database = self.arn("glue", "catalog"), self.arn("glue", f"database/{self.p.database}")
            for principal in ("wait runner", "object_created"):
                role = SHARED_ROLES[principal]
                self.need(principal, role, "s3:GetObject", example, where, "read the released files' columns (schema check)")
                for table in (schema.table, *schema.evolve):
                    actions = ["glue:GetTable"] + (["glue:UpdateTable"] if schema.on_new_columns == "evolve" else [])
                    for resource in (catalog, database, self.arn("glue", f"table/{self.p.database}/{table}")):
                        self.need(principal, role, actions, resource, where, f"compare with (and evolve) table {table}")

    def _state_machine(self) -> None:
        machine = naming.state_machine_arn(self.prefix, self.p, partition=self.e.partition, region=self.e.region, account=self.e.account)
        stack = self.d.stacks[PIPELINE]
        substitutions = stack.properties("StateMachine").get("DefinitionSubstitutions") or {}
        publishes = "NotificationTopicArn" in substitutions  # only a definition that publishes itself needs the grant
        if not publishes:
            pass
        elif "NotificationTopic" in stack.resources("AWS::SNS::Topic"):
            topic = stack.ref("NotificationTopic")
            self.need("state machine", (PIPELINE, "StateMachineRole"), "sns:Publish", topic, "state machine", "notify a failure")
            if "NotificationKey" in stack.resources("AWS::KMS::Key"):
                key = stack.attribute("NotificationKey", "Arn")
                self.need("state machine", (PIPELINE, "StateMachineRole"), ["kms:GenerateDataKey", "kms:Decrypt"], key, "state machine", "publish to the encrypted topic")
        else:
            self.problems.append("state machine: the pipeline stack has no NotificationTopic for the failure path to notify")
        if self.p.schedule is not None:
            function = self.d.export("runner-resources", "PipelineTriggerFunctionArn")
            self.need("scheduler", (PIPELINE, "ScheduleRole"), "lambda:InvokeFunction", function, "schedule", "hand the scheduled time to the trigger function")
            self.need("pipeline trigger", SHARED_ROLES["pipeline trigger"], "states:ListExecutions", machine, "schedule",
                      "find the periods a scheduled run must catch up, or the date it already started")
        if self.p.trigger is not None or self.p.schedule is not None:
            self.need("pipeline trigger", SHARED_ROLES["pipeline trigger"], "states:StartExecution", machine, "trigger", "start the pipeline when triggered or scheduled")
        self._execution_ended(machine)

    def _execution_ended(self, machine: str) -> None:
        """The trigger function, when an execution ends: read it back, record its
        lineage (and the lineage table), look up Athena targets, publish the report."""
        principal, role, where = "pipeline trigger", SHARED_ROLES["pipeline trigger"], "execution ended"
        execution = machine.replace(":stateMachine:", ":execution:") + f":{RUN_DATE_EXAMPLE}"
        for action in ("states:DescribeExecution", "states:GetExecutionHistory", "states:DescribeStateMachineForExecution"):
            self.need(principal, role, action, execution, where, "read the ended execution back")
        key = f"_lineage/pipeline={self.p.name}/run_date={RUN_DATE_EXAMPLE}/{RUN_DATE_EXAMPLE}.json"
        self.need(principal, role, "s3:PutObject", self.arn("s3", f"{self.buckets['data']}/{key}"), where, "write the run's lineage")
        catalog, database = self.arn("glue", "catalog"), self.arn("glue", f"database/{self.p.database}")
        for resource in (catalog, database):
            self.need(principal, role, ["glue:GetDatabase", "glue:CreateDatabase"], resource, where, "create the lineage table's database")
        for resource in (catalog, database, self.arn("glue", f"table/{self.p.database}/etl_lineage")):
            self.need(principal, role, ["glue:GetTable", "glue:CreateTable"], resource, where, "create the lineage table")
        for table in self.p.tables:
            self.need(principal, role, "glue:GetTable", self.arn("glue", f"table/{self.p.database}/{table}"), where,
                      f"find where an Athena step wrote {table}")
        for work_group in sorted({s.athena.work_group or "primary" for s in self.p.steps.values() if s.athena}):
            self.need(principal, role, "athena:GetQueryResults", self.arn("athena", f"workgroup/{work_group}"), where, "read the rows an INSERT wrote")
        if any(s.athena for s in self.p.steps.values()):
            results = S3Location("${artifacts_bucket}", naming.results_prefix(self.p))
            self.need(principal, role, "s3:GetObject", self.object_arn(results, "query.csv"), where, "read the rows an INSERT wrote")
        stack = self.d.stacks[PIPELINE]
        if "NotificationTopic" in stack.resources("AWS::SNS::Topic"):
            self.need(principal, role, "sns:Publish", stack.ref("NotificationTopic"), where, "publish the run report")
            if "NotificationKey" in stack.resources("AWS::KMS::Key"):
                self.need(principal, role, ["kms:GenerateDataKey", "kms:Decrypt"], stack.attribute("NotificationKey", "Arn"), where,
                          "publish to the encrypted topic")


def policy_limit_problems(pipelines: Iterable[Pipeline], deployment: Deployment | None = None,
                          managed_policies_per_role: int = MANAGED_POLICIES_PER_ROLE) -> list[str]:
    """IAM's size limits over all the pipelines deployed on one runner stack: each
    managed policy a pipeline attaches fits 6,144 characters; each shared role holds
    at most ``managed_policies_per_role`` managed policies (IAM's default quota, 10:
    one per pipeline, so 10 pipelines per runner stack); its inline policies
    (the shared stack's own and any pipeline's ``AWS::IAM::Policy``) fit 10,240."""
    deployment = deployment or Deployment()
    roles = dict.fromkeys(SHARED_ROLES.values())
    owners: dict[tuple[str, str], str] = {}
    for principal, role in SHARED_ROLES.items():
        owners[role] = f"{owners[role]}/{principal}" if role in owners else principal
    problems: list[str] = []
    inline: dict[tuple[str, str], int] = {}
    managed: dict[tuple[str, str], int] = {}
    for pipeline in pipelines:
        template = render_pipeline_stack(pipeline, standard_placeholders(pipeline), prefix=deployment.prefix,
                                         trigger_rules=trigger_rules if pipeline.trigger else None)
        deployed = Deployed(pipeline, template, deployment)
        for role in roles:
            for stack, policy_id, document in deployed.attached(role, "AWS::IAM::ManagedPolicy"):
                size = policy_size(document)
                if stack == PIPELINE and size > MANAGED_POLICY_LIMIT:
                    problems.append(f"{pipeline.name}: its managed policy {policy_id} on the {owners[role]} role ({role[1]}) is {size:,} "
                                    f"characters, over IAM's limit of {MANAGED_POLICY_LIMIT:,}: split the pipeline")
            shared = deployed.managed_policy_count(role, [s for s in deployed.stacks if s != PIPELINE])
            managed[role] = managed.get(role, shared) + deployed.managed_policy_count(role, [PIPELINE])
            base = sum(policy_size(p["PolicyDocument"]) for p in deployed.stacks[role[0]].properties(role[1]).get("Policies") or [])
            base += sum(policy_size(d) for stack, _, d in deployed.attached(role, "AWS::IAM::Policy") if stack != PIPELINE)
            inline[role] = inline.get(role, base) + deployed.inline_policy_size(role) - base
    problems += [f"the {owners[role]} role ({role[1]}) would hold {count} managed policies (one per pipeline), over IAM's quota of "
                 f"{managed_policies_per_role} per role: raise the quota 'Managed policies per role' (up to 20) or deploy fewer pipelines "
                 "per runner stack" for role, count in managed.items() if count > managed_policies_per_role]
    problems += [f"the {owners[role]} role's ({role[1]}) inline policies would total {size:,} characters, over IAM's limit of "
                 f"{INLINE_POLICY_LIMIT:,}: attach the pipelines' grants as managed policies" for role, size in inline.items()
                 if size > INLINE_POLICY_LIMIT]
    return problems


def _params_file(templates_dir: Path, stack: str) -> dict[str, str]:
    path = templates_dir / f"{stack}-params.json"
    if not path.is_file():
        return {}
    items = json.loads(path.read_text(encoding="utf-8"))
    return {i["ParameterKey"]: i["ParameterValue"] for i in items if i.get("ParameterValue") != NO_DEFAULT}
