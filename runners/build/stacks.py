"""CloudFormation stacks: parameters, create/update/delete with readable
progress, and status.

Stack ``X`` is ``<templates>/X.yaml`` with ``<templates>/X-params.json`` (the
original sample's ``[{"ParameterKey": ..., "ParameterValue": ...}]``
format) and is named ``<prefix>-X`` in CloudFormation. A pipeline's stack
``pipeline-<name>`` is rendered from its pipeline file instead
(``runners.build.pipelines``); its params file is optional.

Parameter values come from two places:

* the params file, which the user edits; a value of ``<NO-DEFAULT>`` must be
  replaced before ``createstack``/``updatestack`` will run, and a template
  parameter without a default must be given there;
* the build, for the parameters in :data:`BUILD_PARAMETERS` that a template
  declares. These values follow from the build's settings and artifacts
  (the artifact bucket, the Lambda package's and the definition's
  content-addressed S3 keys, the other stacks' names), so they are computed
  at ``createstack``/``updatestack`` time. The params file may leave them
  out or say ``<NO-DEFAULT>``; a different value there is an error (two
  sources of truth). The one link the other way: when ``ETL_ARTIFACT_BUCKET``
  is not set, a params file's ``ArtifactBucketName`` names the bucket.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import timezone
from hashlib import sha256
from pathlib import Path
from typing import Any, Callable

from botocore.exceptions import ClientError

from runners.build import artifacts, image, package
from runners.build.runner import TaskError
from runners.build.settings import ARTIFACT_BUCKET_PARAMETER, NO_DEFAULT, PIPELINE_STACK_PREFIX, REPO_ROOT, BuildContext
from runners.retry import call_with_retry

Say = Callable[[str], None]

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
MAX_TEMPLATE_BODY_BYTES = 51_200  # larger templates go through the artifact bucket
STACK_TAG = "etl-runner:stack"

# Lambda code keys (the functions share one package).
PACKAGE_KEY_PARAMETERS = ("RunnerCodeS3Key", "JobEventsCodeS3Key", "ObjectCreatedCodeS3Key", "PipelineTriggerCodeS3Key")
DEFINITION_KEY_PARAMETER = "StateMachineDefinitionS3Key"
STACK_PREFIX_PARAMETER = "StackPrefix"
RUNNER_MODE_PARAMETER = "RunnerMode"
IMAGE_URI_PARAMETER = "ImageUri"
# Stack-name parameters, for the other stacks' exports: parameter -> project stack.
STACK_NAME_PARAMETERS = {
    "GlueStackName": "glue-resources",
    "StepFunctionsStackName": "step-functions-resources",
    "RunnerStackName": "runner-resources",
}

# Parameters the build fills when a template declares them.
BUILD_PARAMETERS: dict[str, str] = {
    ARTIFACT_BUCKET_PARAMETER: "the artifact bucket (ETL_ARTIFACT_BUCKET, else a params file's value, else <prefix>-artifacts-<account>-<region>)",
    **{name: "S3 key of the Lambda package (packagelambda + deploylambda first)" for name in PACKAGE_KEY_PARAMETERS},
    DEFINITION_KEY_PARAMETER: "S3 key of the pipeline's rendered definition (pipeline stacks only; uploaddefinition first)",
    STACK_PREFIX_PARAMETER: "the stack prefix (ETL_STACK_PREFIX, default etl-runner)",
    RUNNER_MODE_PARAMETER: "who runs the runners: lambda or service (ETL_RUNNER_MODE, default lambda)",
    IMAGE_URI_PARAMETER: "the runner image in ECR, <ETL_STACK_PREFIX>-runner:<content tag> (buildimage + pushimage first)",
    **{name: f"CloudFormation name of the {stack} stack (<ETL_STACK_PREFIX>-{stack})" for name, stack in STACK_NAME_PARAMETERS.items()},
}

SUCCESS = {"create": "CREATE_COMPLETE", "update": "UPDATE_COMPLETE", "delete": "DELETE_COMPLETE"}
_CANCELLED = ("Resource creation cancelled", "Resource update cancelled")


# -- parameters ---------------------------------------------------------------------------


def read_params_file(path: Path) -> dict[str, str]:
    """The params file as {key: value}, or a TaskError saying what is wrong."""
    if not path.is_file():
        raise TaskError(f"parameter file {path} is missing")
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise TaskError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(items, list):
        raise TaskError(f'{path} must be a JSON list of {{"ParameterKey": ..., "ParameterValue": ...}}')
    values: dict[str, str] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict) or set(item) != {"ParameterKey", "ParameterValue"} or not all(isinstance(v, str) for v in item.values()):
            raise TaskError(f'{path}: item {index} must be {{"ParameterKey": "<string>", "ParameterValue": "<string>"}}, got {json.dumps(item)}')
        if item["ParameterKey"] in values:
            raise TaskError(f"{path}: {item['ParameterKey']} is given twice")
        values[item["ParameterKey"]] = item["ParameterValue"]
    return values


class BuildValues:
    """The values of :data:`BUILD_PARAMETERS` for one stack, each computed (and checked) on demand."""

    def __init__(self, ctx: BuildContext, stack: str) -> None:
        self._ctx = ctx
        self._stack = stack

    def value(self, name: str) -> str:
        if name == ARTIFACT_BUCKET_PARAMETER:
            return self._ctx.artifact_bucket
        if name in PACKAGE_KEY_PARAMETERS:
            return self._uploaded(package.built_package(self._ctx.settings.lambda_dir).s3_key, "python build.py deploylambda")
        if name == DEFINITION_KEY_PARAMETER:
            pipeline = self._ctx.settings.pipeline_of(self._stack)
            if pipeline is None:
                raise TaskError(f"stack {self._stack} declares {DEFINITION_KEY_PARAMETER}, which the build fills only for pipeline stacks (pipeline-<name>)")
            from runners.build import pipelines

            return self._uploaded(pipelines.render(self._ctx, pipeline).definition_key, f"python build.py uploaddefinition[{pipeline}]")
        if name in STACK_NAME_PARAMETERS:
            return self._ctx.settings.stack_name(STACK_NAME_PARAMETERS[name])
        if name == STACK_PREFIX_PARAMETER:
            return self._ctx.settings.stack_prefix
        if name == RUNNER_MODE_PARAMETER:
            return self._ctx.settings.runner_mode
        if name == IMAGE_URI_PARAMETER:
            return self._pushed_image()
        raise KeyError(name)

    def _pushed_image(self) -> str:
        """The image of these sources, which must be in ECR already."""
        ecr = self._ctx.client("ecr")
        name = image.repository_name(self._ctx.settings.stack_prefix)
        tag = image.content_tag(REPO_ROOT)
        found = image.find_repository(ecr, name)
        if found is None or not image.image_exists(ecr, name, tag):
            raise TaskError(f"image {name}:{tag} (these sources) is not in ECR yet: run `python build.py buildimage pushimage` first")
        return image.Repository(name, found["repositoryUri"]).image_uri(tag)

    def _uploaded(self, key: str, fix: str) -> str:
        bucket = self._ctx.artifact_bucket
        s3 = self._ctx.client("s3")
        if not artifacts.bucket_exists(s3, bucket) or artifacts.object_size(s3, bucket, key) is None:
            raise TaskError(f"s3://{bucket}/{key} is not uploaded yet: run `{fix}` first")
        return key


@dataclass
class StackRequest:
    stack: str
    stack_name: str
    template: dict[str, str]  # TemplateBody or TemplateURL
    parameters: list[dict[str, str]]
    from_build: dict[str, str] = field(default_factory=dict)


def source_name(ctx: BuildContext, stack: str) -> str:
    """Where a stack's template comes from, for messages."""
    pipeline = ctx.settings.pipeline_of(stack)
    if pipeline is not None:
        return f"pipeline file {ctx.settings.pipeline_files()[pipeline].name} (rendered)"
    return ctx.settings.template_path(stack).name


def prepare(ctx: BuildContext, stack: str, say: Say) -> StackRequest:
    """Read and check a stack's template and parameters (no changes made)."""
    settings = ctx.settings
    known = settings.project_stacks()
    if stack not in known:
        raise TaskError(f"unknown stack {stack!r}: no {settings.template_path(stack)} and no pipeline file for it; project stacks: {', '.join(known) or '(none)'}")
    pipeline = settings.pipeline_of(stack)
    params_path = settings.params_path(stack)
    file_values = {} if pipeline is not None and not params_path.is_file() else read_params_file(params_path)
    template = _template_argument(ctx, stack, say)
    cfn = ctx.client("cloudformation")
    declared = {p["ParameterKey"]: p for p in cfn.get_template_summary(**template).get("Parameters", [])}
    source = source_name(ctx, stack)

    undeclared = sorted(set(file_values) - set(declared))
    if undeclared:
        raise TaskError(f"{params_path} sets {', '.join(undeclared)}, which {source} does not declare")
    from_build_names = sorted(set(declared) & set(BUILD_PARAMETERS))
    unset = sorted(name for name, value in file_values.items() if value == NO_DEFAULT and name not in from_build_names)
    unset += sorted(name for name, p in declared.items() if "DefaultValue" not in p and name not in file_values and name not in from_build_names)
    if unset:
        raise TaskError(
            f"stack {stack}: set {', '.join(unset)} in {params_path} first "
            f"(replace {NO_DEFAULT}; see the parameter descriptions in {source})"
        )
    values = BuildValues(ctx, stack)
    from_build = {name: values.value(name) for name in from_build_names}
    clashes = [f"{name}={file_values[name]!r} (the build uses {value!r})" for name, value in from_build.items() if file_values.get(name, NO_DEFAULT) not in (NO_DEFAULT, value)]
    if clashes:
        raise TaskError(f"{params_path} sets {', '.join(clashes)}: the build sets these; remove them from the file (or leave {NO_DEFAULT})")
    merged = {**file_values, **from_build}
    parameters = [{"ParameterKey": k, "ParameterValue": merged[k]} for k in sorted(merged)]
    return StackRequest(stack, settings.stack_name(stack), template, parameters, from_build)


def template_body(ctx: BuildContext, stack: str) -> bytes:
    pipeline = ctx.settings.pipeline_of(stack)
    if pipeline is not None:
        from runners.build import pipelines

        return pipelines.render(ctx, pipeline).template_yaml.encode("utf-8")
    return ctx.settings.template_path(stack).read_bytes()


def _template_argument(ctx: BuildContext, stack: str, say: Say) -> dict[str, str]:
    body = template_body(ctx, stack)
    if len(body) <= MAX_TEMPLATE_BODY_BYTES:
        return {"TemplateBody": body.decode("utf-8")}
    # CloudFormation takes larger templates only from S3.
    s3 = ctx.client("s3")
    bucket = artifacts.require_artifact_bucket(ctx)
    key = f"cloudformation/{stack}-{sha256(body).hexdigest()[:16]}.yaml"
    artifacts.upload(s3, bucket, key, body, content_type="text/yaml", immutable=True)
    say(f"template is {len(body)} bytes (> {MAX_TEMPLATE_BODY_BYTES}): using s3://{bucket}/{key}")
    return {"TemplateURL": f"https://{bucket}.s3.{ctx.region}.amazonaws.com/{key}"}


# -- describing -------------------------------------------------------------------------


def describe(cfn: Any, stack_name_or_id: str) -> dict[str, Any] | None:
    """The stack, or None when it does not exist."""
    try:
        return cfn.describe_stacks(StackName=stack_name_or_id)["Stacks"][0]
    except ClientError as exc:
        if "does not exist" in str(exc.response.get("Error", {}).get("Message", "")):
            return None
        raise


def newest_event_id(cfn: Any, stack_id: str) -> str | None:
    events = cfn.describe_stack_events(StackName=stack_id).get("StackEvents", [])
    return events[0]["EventId"] if events else None


def new_events(cfn: Any, stack_id: str, seen: set[str]) -> list[dict[str, Any]]:
    """Events not seen yet, oldest first (the API pages newest first)."""
    fresh: list[dict[str, Any]] = []
    for page in cfn.get_paginator("describe_stack_events").paginate(StackName=stack_id):
        for event in page.get("StackEvents", []):
            if event["EventId"] in seen:
                return list(reversed(fresh))
            fresh.append(event)
    return list(reversed(fresh))


def format_event(event: dict[str, Any]) -> str:
    stamp = event["Timestamp"].astimezone(timezone.utc).strftime("%H:%M:%S")
    reason = event.get("ResourceStatusReason") or ""
    line = f"  {stamp}  {event['ResourceStatus']:<28} {event.get('ResourceType', ''):<36} {event.get('LogicalResourceId', '')}"
    return f"{line}  {reason}".rstrip()


# -- operations -------------------------------------------------------------------------


def wait_for(
    cfn: Any,
    stack_id: str,
    operation: str,
    say: Say,
    *,
    seen: set[str],
    poll_seconds: float,
    timeout_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """Print the stack's events as they come until the operation ends; return
    the stack on success, raise a TaskError naming the failing resources otherwise."""
    started = clock()
    failed: list[dict[str, Any]] = []

    # Reads only, so transient errors (throttling in a long wait) are retried.
    def drain() -> None:
        for event in call_with_retry(new_events, cfn, stack_id, seen):
            seen.add(event["EventId"])
            say(format_event(event))
            if event["ResourceStatus"].endswith("_FAILED"):
                failed.append(event)

    while True:
        drain()
        stack = call_with_retry(cfn.describe_stacks, StackName=stack_id)["Stacks"][0]
        status = stack["StackStatus"]
        if not status.endswith("_IN_PROGRESS"):
            drain()  # events written between the two reads
            break
        if clock() - started > timeout_seconds:
            raise TaskError(f"{stack['StackName']} is still {status} after {timeout_seconds:.0f} s; it goes on in CloudFormation (stackstatus shows it)")
        sleep(poll_seconds)

    if status == SUCCESS[operation]:
        return stack
    raise TaskError(failure_message(stack, operation, failed))


def failure_message(stack: dict[str, Any], operation: str, failed: list[dict[str, Any]]) -> str:
    status = stack["StackStatus"]
    lines = [f"{operation} of {stack['StackName']} ended {status}"]
    if stack.get("StackStatusReason"):
        lines[0] += f": {stack['StackStatusReason']}"
    causes = [e for e in failed if e.get("LogicalResourceId") != stack["StackName"] and not str(e.get("ResourceStatusReason", "")).startswith(_CANCELLED)]
    causes = causes or [e for e in failed if e.get("LogicalResourceId") != stack["StackName"]]
    for event in causes:
        lines.append(f"  {event.get('LogicalResourceId')} ({event.get('ResourceType')}) {event['ResourceStatus']}: {event.get('ResourceStatusReason') or 'no reason given'}")
    if operation == "create" and status in {"ROLLBACK_COMPLETE", "ROLLBACK_FAILED"}:
        lines.append(f"  a stack in {status} cannot be updated: fix the cause, then deletestack and createstack again")
    if operation == "delete":
        lines.append("  a bucket that still holds objects cannot be deleted: empty it with deletes3bucket[BUCKET], then deletestack again")
    return "\n".join(lines)


def _wait(ctx: BuildContext, stack_id: str, operation: str, say: Say, seen: set[str]) -> dict[str, Any]:
    return wait_for(
        ctx.client("cloudformation"),
        stack_id,
        operation,
        say,
        seen=seen,
        poll_seconds=ctx.settings.stack_poll_seconds,
        timeout_seconds=ctx.settings.stack_timeout_seconds,
    )


def _announce(request: StackRequest, say: Say) -> None:
    for name, value in request.from_build.items():
        say(f"parameter {name} = {value} (set by the build)")


def _say_outputs(stack: dict[str, Any], say: Say) -> None:
    for output in sorted(stack.get("Outputs", []), key=lambda o: o["OutputKey"]):
        say(f"  output {output['OutputKey']} = {output['OutputValue']}")


def create(ctx: BuildContext, stack: str, say: Say) -> dict[str, Any]:
    request = prepare(ctx, stack, say)
    cfn = ctx.client("cloudformation")
    existing = describe(cfn, request.stack_name)
    if existing is not None:
        hint = "deletestack first" if existing["StackStatus"] == "ROLLBACK_COMPLETE" else f"use updatestack[{stack}]"
        raise TaskError(f"stack {request.stack_name} already exists ({existing['StackStatus']}): {hint}")
    _announce(request, say)
    say(f"creating stack {request.stack_name} from {source_name(ctx, stack)}")
    started = time.monotonic()
    stack_id = cfn.create_stack(
        StackName=request.stack_name,
        Parameters=request.parameters,
        Capabilities=CAPABILITIES,
        Tags=[{"Key": STACK_TAG, "Value": stack}],
        **request.template,
    )["StackId"]
    result = _wait(ctx, stack_id, "create", say, set())
    say(f"stack {request.stack_name}: {result['StackStatus']} in {time.monotonic() - started:.0f} s")
    _say_outputs(result, say)
    return result


def update(ctx: BuildContext, stack: str, say: Say) -> dict[str, Any] | None:
    """Update the stack; None when CloudFormation finds nothing to change."""
    request = prepare(ctx, stack, say)
    cfn = ctx.client("cloudformation")
    existing = describe(cfn, request.stack_name)
    if existing is None:
        raise TaskError(f"stack {request.stack_name} does not exist: use createstack[{stack}]")
    _announce(request, say)
    stack_id = existing["StackId"]
    seen = {event_id} if (event_id := newest_event_id(cfn, stack_id)) else set()
    say(f"updating stack {request.stack_name} from {source_name(ctx, stack)}")
    started = time.monotonic()
    try:
        cfn.update_stack(StackName=stack_id, Parameters=request.parameters, Capabilities=CAPABILITIES, Tags=[{"Key": STACK_TAG, "Value": stack}], **request.template)
    except ClientError as exc:
        if "No updates are to be performed" in str(exc.response.get("Error", {}).get("Message", "")):
            say(f"stack {request.stack_name}: no changes (template and parameters as deployed)")
            return None
        raise
    result = _wait(ctx, stack_id, "update", say, seen)
    say(f"stack {request.stack_name}: {result['StackStatus']} in {time.monotonic() - started:.0f} s")
    _say_outputs(result, say)
    return result


def deploy(ctx: BuildContext, stack: str, say: Say) -> dict[str, Any] | None:
    """Create the stack, or update it when it exists."""
    existing = describe(ctx.client("cloudformation"), ctx.settings.stack_name(stack))
    if existing is None:
        return create(ctx, stack, say)
    return update(ctx, stack, say)


def delete(ctx: BuildContext, stack: str, say: Say) -> bool:
    """Delete the stack; False when it did not exist. A ``pipeline-<name>`` stack can be
    deleted after its pipeline file is gone."""
    known = ctx.settings.project_stacks()
    if stack not in known and not stack.startswith(PIPELINE_STACK_PREFIX):
        raise TaskError(f"unknown stack {stack!r}; project stacks: {', '.join(known) or '(none)'}")
    cfn = ctx.client("cloudformation")
    name = ctx.settings.stack_name(stack)
    existing = describe(cfn, name)
    if existing is None:
        say(f"stack {name} does not exist: nothing to delete")
        return False
    stack_id = existing["StackId"]  # a deleted stack is found by id only
    seen = {event_id} if (event_id := newest_event_id(cfn, stack_id)) else set()
    say(f"deleting stack {name}")
    started = time.monotonic()
    cfn.delete_stack(StackName=stack_id)
    _wait(ctx, stack_id, "delete", say, seen)
    say(f"stack {name}: DELETE_COMPLETE in {time.monotonic() - started:.0f} s")
    return True


def status(ctx: BuildContext, stacks: list[str], say: Say) -> dict[str, str]:
    """Status of each project stack ('NOT CREATED' when absent)."""
    cfn = ctx.client("cloudformation")
    result: dict[str, str] = {}
    rows: list[tuple[str, str, str, str]] = []
    for stack in stacks:
        name = ctx.settings.stack_name(stack)
        found = describe(cfn, name)
        if found is None:
            result[stack] = "NOT CREATED"
            rows.append((stack, name, "NOT CREATED", ""))
            continue
        result[stack] = found["StackStatus"]
        when = (found.get("LastUpdatedTime") or found["CreationTime"]).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        rows.append((stack, name, found["StackStatus"], f"{when}  {found.get('StackStatusReason') or ''}".rstrip()))
    widths = [max([len(r[i]) for r in rows] + [len(h)]) for i, h in enumerate(("stack", "CloudFormation name", "status"))]
    say(f"{'stack':<{widths[0]}}  {'CloudFormation name':<{widths[1]}}  {'status':<{widths[2]}}  last change")
    for row in rows:
        say(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}".rstrip())
    return result


def project_resources(ctx: BuildContext, resource_type: str) -> list[tuple[str, str, str]]:
    """(stack name, logical id, physical id) of every resource of ``resource_type``
    in the project's existing stacks."""
    found: list[tuple[str, str, str]] = []
    for stack in ctx.settings.project_stacks():
        found.extend(resources_of(ctx, stack, resource_type))
    return found


def resources_of(ctx: BuildContext, stack: str, resource_type: str) -> list[tuple[str, str, str]]:
    """(stack name, logical id, physical id) of the stack's resources of ``resource_type`` (none when it does not exist)."""
    cfn = ctx.client("cloudformation")
    name = ctx.settings.stack_name(stack)
    if describe(cfn, name) is None:
        return []
    found: list[tuple[str, str, str]] = []
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=name):
        for summary in page.get("StackResourceSummaries", []):
            if summary.get("ResourceType") == resource_type and summary.get("PhysicalResourceId"):
                found.append((name, summary["LogicalResourceId"], summary["PhysicalResourceId"]))
    return found
