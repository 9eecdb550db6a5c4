"""The CloudFormation templates: the three shared stacks and the pipeline
stacks rendered from the example pipelines. Lint and security scan, plus the
contracts the rest of the project relies on (checked without any scanner).

cfn-lint and checkov live in their own venv (`make scan-tools` creates
.venv-scan from requirements-scan.txt) because their pins clash with moto's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from runners.pipelines.triggers import trigger_rules
from pipeline_examples import daily_orders
from runners.pipelines.asl import render_state_machine
from runners import config
from runners.pipelines.loader import load_pipeline
from runners.pipelines.stack import render_pipeline_stack, stack_yaml

REPO = Path(__file__).resolve().parents[2]
CFN_DIR = REPO / "cloudformation"
TEMPLATES = sorted(CFN_DIR.glob("*.yaml"))
SHARED = [path.stem for path in TEMPLATES]
# The deploy order: each stack imports only from the stacks before it; pipeline stacks come last.
DEPLOY_ORDER = ["glue-resources", "step-functions-resources", "runner-resources", "runner-service"]

# Parameters build.py fills for every template that declares them
# (runners.build.stacks.BUILD_PARAMETERS); params files leave them out.
BUILD_FILLED = {
    "ArtifactBucketName",
    "RunnerCodeS3Key",
    "JobEventsCodeS3Key",
    "ObjectCreatedCodeS3Key",
    "PipelineTriggerCodeS3Key",
    "StateMachineDefinitionS3Key",
    "GlueStackName",
    "StepFunctionsStackName",
    "RunnerStackName",
    "StackPrefix",
    "RunnerMode",
    "ImageUri",
}
# Cross-stack imports name the exporting stack by these parameters.
STACK_NAME_PARAMETERS = {"GlueStackName": "glue-resources", "StepFunctionsStackName": "step-functions-resources", "RunnerStackName": "runner-resources"}

# Actions that IAM cannot scope to a resource, so AWS requires Resource "*".
RESOURCE_STAR_ALLOWED = {
    # The task token names the task; these have no resource types.
    "states:SendTaskSuccess",
    "states:SendTaskFailure",
    "states:SendTaskHeartbeat",
    # Step Functions' vended log delivery to CloudWatch Logs.
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    # Docker's registry login; the pulls themselves are scoped to the repository.
    "ecr:GetAuthorizationToken",
}
MIN_SKIP_REASON_WORDS = 6


@lru_cache(maxsize=1)
def rendered_dir() -> Path:
    """The stacks of every shipped pipeline and of the tests' "daily orders" example,
    rendered as build.py renders them (pipeline-<name>.yaml, with its definition)."""
    folder = Path(tempfile.mkdtemp(prefix="rendered-stacks-"))
    pipelines = [load_pipeline(path) for path in sorted((REPO / "pipelines").glob("*.yaml"))]
    for pipeline in [*pipelines, daily_orders(folder / "project")]:
        machine = render_state_machine(pipeline)
        template = render_pipeline_stack(pipeline, machine.placeholders, trigger_rules=trigger_rules if pipeline.trigger else None)
        (folder / f"pipeline-{pipeline.name}.yaml").write_text(stack_yaml(template), encoding="utf-8")
        (folder / f"pipeline-{pipeline.name}.asl.json").write_text(machine.text, encoding="utf-8")
    return folder


def shipped_pipeline_stacks() -> list[str]:
    return sorted(f"pipeline-{load_pipeline(path).name}" for path in (REPO / "pipelines").glob("*.yaml"))


def rendered_paths() -> list[Path]:
    return sorted(rendered_dir().glob("pipeline-*.yaml"))


def template_paths() -> list[Path]:
    return TEMPLATES + rendered_paths()


def stacks() -> list[str]:
    return SHARED + [path.stem for path in rendered_paths()]


def pipeline_stacks() -> list[str]:
    return [path.stem for path in rendered_paths()]


# -- loading ------------------------------------------------------------------------------


class _TemplateLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (!Ref, !Sub, !GetAtt, ...)."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_TemplateLoader.add_multi_constructor("!", _construct_tag)


@lru_cache(maxsize=None)
def load(stack: str) -> dict[str, Any]:
    folder = CFN_DIR if stack in SHARED else rendered_dir()
    return yaml.load((folder / f"{stack}.yaml").read_text(encoding="utf-8"), Loader=_TemplateLoader)  # noqa: S506 (SafeLoader subclass)


def resources(stack: str, resource_type: str | None = None) -> dict[str, dict[str, Any]]:
    found = load(stack)["Resources"]
    return {name: r for name, r in found.items() if resource_type is None or r["Type"] == resource_type}


def all_resources(resource_type: str | None = None) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for stack in stacks():
        for name, resource in resources(stack, resource_type).items():
            yield stack, name, resource


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policy_documents() -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(stack, resource, kind, document) for every policy document in the templates."""
    for stack, name, resource in all_resources():
        props = resource.get("Properties", {})
        kind = resource["Type"]
        if kind == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                yield stack, name, "identity", policy["PolicyDocument"]
        elif kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            yield stack, name, "identity", props["PolicyDocument"]
        elif kind == "AWS::KMS::Key":
            yield stack, name, "resource", props["KeyPolicy"]
        elif kind in ("AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy"):
            yield stack, name, "resource", props["PolicyDocument"]


def statements() -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    for stack, name, kind, document in policy_documents():
        for statement in as_list(document["Statement"]):
            yield stack, name, kind, statement


def checkov_skips() -> list[tuple[str, str, str, str]]:
    """(stack, resource, check id, comment) of every checkov skip in the templates."""
    found = []
    for stack, name, resource in all_resources():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            found.append((stack, name, str(skip.get("id", "")), str(skip.get("comment", ""))))
    return found


# -- the scanners ---------------------------------------------------------------------------


def scan_tool(name: str) -> str:
    local = REPO / ".venv-scan" / "bin" / name
    if local.exists():
        return str(local)
    on_path = shutil.which(name)
    if on_path:
        return on_path
    pytest.fail(f"{name} is not installed: run `make scan-tools` (creates .venv-scan from requirements-scan.txt)")


def run(command: list[str], cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=240, check=False)


def checkov(directory: Path) -> list[dict[str, Any]]:
    """checkov's failed checks for the templates in ``directory``."""
    # --skip-download: no call to the Prisma Cloud API (guidelines, ID mapping).
    # Scan "." from inside the directory: checkov's secrets check (CKV_AWS_45)
    # also reads the file's path it records among a Lambda's environment
    # variables, and some checkout paths look like secrets to it.
    result = run(
        [scan_tool("checkov"), "-d", ".", "--framework", "cloudformation", "--compact", "--quiet", "--skip-download", "-o", "json"],
        cwd=directory,
    )
    assert result.returncode in (0, 1), f"checkov did not run:\n{result.stdout}\n{result.stderr}"
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    assert reports and all(r.get("summary", {}).get("parsing_errors", 0) == 0 for r in reports), result.stdout
    assert sum(r.get("summary", {}).get("resource_count", 0) for r in reports) > 0, f"checkov found no resources in {directory}"
    return [check for r in reports for check in r.get("results", {}).get("failed_checks", [])]


def test_cfn_lint_passes_clean() -> None:
    result = run([scan_tool("cfn-lint"), *[str(path.relative_to(REPO)) for path in TEMPLATES], *map(str, rendered_paths())])
    assert len(template_paths()) >= 5  # the shared three, the sample's and the tests' example
    assert result.returncode == 0, f"cfn-lint findings:\n{result.stdout}{result.stderr}"


@pytest.fixture(scope="module")
def all_templates_dir(tmp_path_factory) -> Path:
    """The shared and the rendered templates in one folder, for checkov."""
    folder = tmp_path_factory.mktemp("templates")
    for path in template_paths():
        shutil.copy(path, folder / path.name)
    return folder


def test_checkov_finds_no_high_findings(all_templates_dir) -> None:
    failed = checkov(all_templates_dir)
    # Without a Prisma Cloud API key checkov reports no severities: any
    # failed check without a low or medium severity counts as high.
    blocking = [f for f in failed if str(f.get("severity") or "UNKNOWN").upper() not in {"INFO", "LOW", "MEDIUM"}]
    assert not blocking, "checkov: " + "; ".join(f"{f['check_id']} {f['resource']} ({f['file_path']}): {f['check_name']}" for f in blocking)


def test_every_checkov_skip_has_a_written_reason() -> None:
    skips = checkov_skips()
    assert skips, "expected the documented skips (e.g. S3 access logging)"
    for stack, name, check_id, comment in skips:
        assert re.fullmatch(r"CKV2?_AWS_\d+", check_id), f"{stack}/{name}: bad check id {check_id!r}"
        assert len(comment.split()) >= MIN_SKIP_REASON_WORDS, f"{stack}/{name} skips {check_id} without a written reason: {comment!r}"
    for path in template_paths():  # inline suppressions, if anyone adds them
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.search(r"checkov:skip=([A-Z0-9_]+)(?::(.*))?", line)
            if match:
                assert len((match.group(2) or "").split()) >= MIN_SKIP_REASON_WORDS, f"{path.name}: {line.strip()} has no written reason"


def test_every_checkov_skip_is_needed(tmp_path: Path) -> None:
    """Without its skips each template fails exactly the skipped checks: no stale skip hides nothing."""
    for path in template_paths():
        template = load(path.stem)
        stripped = json.loads(json.dumps(template))
        for resource in stripped["Resources"].values():
            resource.get("Metadata", {}).pop("checkov", None)
        (tmp_path / f"{path.stem}.json").write_text(json.dumps(stripped), encoding="utf-8")
    failing = {(Path(f["file_path"]).stem, f["resource"].split(".", 1)[1], f["check_id"]) for f in checkov(tmp_path)}
    skipped = {(stack, name, check_id) for stack, name, check_id, _ in checkov_skips()}
    assert skipped - failing == set(), "skips of checks that pass anyway"
    assert failing - skipped == set(), "failed checks nobody skipped"


# -- contracts without a scanner ------------------------------------------------------------


def test_templates_are_plain_cloudformation_yaml() -> None:
    """CloudFormation rejects YAML aliases (and anchors serve nothing without them)."""
    for path in template_paths():
        events = yaml.parse(path.read_text(encoding="utf-8"), Loader=_TemplateLoader)
        aliases = [e for e in events if isinstance(e, yaml.AliasEvent) or getattr(e, "anchor", None)]
        assert not aliases, f"{path.name} uses YAML anchors or aliases"
        assert load(path.stem)["AWSTemplateFormatVersion"] == "2010-09-09"


def test_state_machines_come_from_the_rendered_definition() -> None:
    assert not list(CFN_DIR.glob("*.json.asl")) and all(not resources(s, "AWS::StepFunctions::StateMachine") for s in SHARED)
    for stack in pipeline_stacks():
        machines = resources(stack, "AWS::StepFunctions::StateMachine")
        assert len(machines) == 1
        props = next(iter(machines.values()))["Properties"]
        assert "Definition" not in props and "DefinitionString" not in props, "no second copy of the definition"
        location = props["DefinitionS3Location"]
        assert location["Bucket"] == {"Fn::ImportValue": {"Fn::Sub": "${GlueStackName}-ArtifactBucketName"}}
        assert location["Key"] == {"Ref": "StateMachineDefinitionS3Key"}
        definition = (rendered_dir() / f"{stack}.asl.json").read_text(encoding="utf-8")
        assert set(props["DefinitionSubstitutions"]) == set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", definition))


def test_params_files_name_only_declared_parameters() -> None:
    assert sorted(p.name for p in CFN_DIR.glob("*-params.json")) == sorted(f"{s}-params.json" for s in SHARED)
    for stack in SHARED:
        items = json.loads((CFN_DIR / f"{stack}-params.json").read_text(encoding="utf-8"))
        assert isinstance(items, list)
        for item in items:
            assert set(item) == {"ParameterKey", "ParameterValue"} and all(isinstance(v, str) for v in item.values()), item
        keys = [item["ParameterKey"] for item in items]
        declared = load(stack).get("Parameters", {})
        assert len(keys) == len(set(keys)), f"{stack}-params.json repeats a key"
        assert set(keys) <= set(declared), f"{stack}-params.json sets undeclared {sorted(set(keys) - set(declared))}"
        assert not set(keys) & BUILD_FILLED, f"{stack}-params.json sets parameters build.py fills"
        assert all(item["ParameterValue"] != "<NO-DEFAULT>" or "Default" not in declared[item["ParameterKey"]] for item in items)
        # Everything without a default is either the user's (in the file) or the build's.
        needed = {name for name, spec in declared.items() if "Default" not in spec}
        assert needed <= set(keys) | BUILD_FILLED, f"{stack}: {sorted(needed - set(keys) - BUILD_FILLED)} given nowhere"


def test_build_fills_the_parameters_the_templates_expect_from_it() -> None:
    try:
        from runners.build.stacks import BUILD_PARAMETERS
    except ImportError:
        pytest.skip("runners.build is not in this tree")
    assert BUILD_FILLED <= set(BUILD_PARAMETERS)
    declared = {name for stack in stacks() for name in load(stack).get("Parameters", {})}
    assert BUILD_FILLED <= declared, f"unused: {sorted(BUILD_FILLED - declared)}"


def test_cross_stack_imports_follow_the_deploy_order() -> None:
    assert sorted(SHARED) == sorted(DEPLOY_ORDER)
    exports: dict[str, set[str]] = {}
    for stack in stacks():
        for output in load(stack).get("Outputs", {}).values():
            if "Export" in output:
                assert stack in SHARED, f"{stack} exports {output['Export']}: pipeline stacks export nothing (deleting one never waits for another)"
                name = output["Export"]["Name"]["Fn::Sub"]
                assert name.startswith("${AWS::StackName}-"), name
                exports.setdefault(stack, set()).add(name.removeprefix("${AWS::StackName}-"))
    for stack in stacks():
        before = DEPLOY_ORDER[: DEPLOY_ORDER.index(stack)] if stack in SHARED else DEPLOY_ORDER
        parameters = load(stack).get("Parameters", {})
        for imported in _imports(load(stack)):
            match = re.fullmatch(r"\$\{(\w+)\}-(\w+)", imported)
            assert match and match.group(1) in STACK_NAME_PARAMETERS, f"{stack}: import {imported!r} is not ${{<stack name parameter>}}-<export>"
            assert match.group(1) in parameters, f"{stack} does not declare {match.group(1)}"
            source, export = STACK_NAME_PARAMETERS[match.group(1)], match.group(2)
            assert source in before, f"{stack} imports from {source}, which is not deployed before it"
            assert export in exports.get(source, set()), f"{stack} imports {export}, which {source} does not export"


def _imports(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Fn::ImportValue":
                yield value["Fn::Sub"]
            else:
                yield from _imports(value)
    elif isinstance(node, list):
        for value in node:
            yield from _imports(value)


def test_no_wildcard_actions_and_star_resources_only_where_aws_requires() -> None:
    for stack, name, kind, statement in statements():
        if statement["Effect"] != "Allow":
            continue  # a Deny (e.g. of insecure transport) may be broad
        actions = as_list(statement["Action"])
        assert "*" not in actions, f"{stack}/{name}: Action *"
        if kind == "identity":
            wildcards = [a for a in actions if a.endswith("*")]
            assert not wildcards, f"{stack}/{name}: wildcard actions {wildcards}"
            if "*" in as_list(statement["Resource"]):
                assert set(actions) <= RESOURCE_STAR_ALLOWED, f"{stack}/{name}: Resource * for {sorted(set(actions) - RESOURCE_STAR_ALLOWED)}"
        else:
            principal = statement["Principal"]
            assert principal != "*" and principal != {"AWS": "*"}, f"{stack}/{name}: Allow to everyone"


def test_no_aws_managed_policies() -> None:
    """Roles get exactly what the templates write (customer managed policies included), nothing AWS-wide."""
    for stack, name, resource in all_resources("AWS::IAM::Role"):
        arns = resource["Properties"].get("ManagedPolicyArns", [])
        assert not arns, f"{stack}/{name} attaches managed policies {arns}"


def test_buckets_are_encrypted_private_and_tls_only() -> None:
    for stack, name, bucket in all_resources("AWS::S3::Bucket"):
        props = bucket["Properties"]
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"], name
        assert all(props["PublicAccessBlockConfiguration"][k] is True for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")), name
        assert props["VersioningConfiguration"]["Status"] == "Enabled", name
        policies = [p for p in resources(stack, "AWS::S3::BucketPolicy").values() if p["Properties"]["Bucket"] == {"Ref": name}]
        assert len(policies) == 1, f"{name} has no bucket policy"
        denies = [s for s in policies[0]["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
        assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies), f"{name} allows plain HTTP"


def test_data_bucket_notifies_the_arrivals_queue_and_eventbridge() -> None:
    bucket = resources("glue-resources")["DataBucket"]["Properties"]
    (queue,) = bucket["NotificationConfiguration"]["QueueConfigurations"]
    assert queue["Event"] == "s3:ObjectCreated:*" and queue["Queue"] == {"Fn::GetAtt": ["ArrivalsQueue", "Arn"]}
    assert bucket["NotificationConfiguration"]["EventBridgeConfiguration"] == {"EventBridgeEnabled": True}  # trigger rules
    mapping = resources("runner-resources")["ObjectCreatedEventSource"]["Properties"]
    assert mapping["EventSourceArn"] == {"Fn::ImportValue": {"Fn::Sub": "${GlueStackName}-ArrivalsQueueArn"}}
    assert mapping["FunctionName"] == {"Ref": "ObjectCreatedFunction"}


def test_the_pipeline_triggers_queue_admits_only_the_accounts_rules_named_with_the_prefix() -> None:
    runner = resources("runner-resources")
    mapping = runner["PipelineTriggerEventSource"]["Properties"]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["PipelineTriggersQueue", "Arn"]} and mapping["FunctionName"] == {"Ref": "PipelineTriggerFunction"}
    assert runner["PipelineTriggersQueue"]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["PipelineTriggersDeadLetterQueue", "Arn"]}
    allow = runner["PipelineTriggersQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert allow["Principal"] == {"Service": "events.amazonaws.com"} and allow["Action"] == "sqs:SendMessage"
    assert allow["Condition"] == {
        "ArnLike": {"aws:SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/${StackPrefix}-*"}},
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
    }
    for stack in pipeline_stacks():
        for name, rule in resources(stack, "AWS::Events::Rule").items():
            assert rule["Properties"]["Name"].startswith("etl-runner-"), f"{stack}/{name}"  # the default prefix


def test_runner_roles_hold_no_pipeline_and_pipelines_grant_through_the_exported_role_names() -> None:
    runner = load("runner-resources")
    text = json.dumps(runner["Resources"])
    for pipeline_specific in ("glue:StartJobRun", "glue:GetTable", "s3:GetObject", "s3:ListBucket", "AthenaDatabase", "joined/", "aggregates/"):
        assert pipeline_specific not in text, pipeline_specific
    exported = {o["Export"]["Name"]["Fn::Sub"].removeprefix("${AWS::StackName}-"): o["Value"] for o in runner["Outputs"].values() if "Export" in o}
    # One runner role; the per-kind names stay exported (stacks rendered before import them) and name it too.
    for name in ("RunnerRoleName", "GlueRunnerRoleName", "AthenaRunnerRoleName", "WaitRunnerRoleName"):
        assert exported[name] == {"Ref": "RunnerRole"}, name
    assert exported["ObjectCreatedRoleName"] == {"Ref": "ObjectCreatedRole"} and exported["PipelineTriggerRoleName"] == {"Ref": "PipelineTriggerRole"}
    for stack in pipeline_stacks():
        for name, policy in resources(stack, "AWS::IAM::Policy").items():
            assert policy["Properties"]["Roles"] == [{"Ref": "StateMachineRole"}], f"{stack}/{name}: the shared roles get managed policies"
        for name, policy in resources(stack, "AWS::IAM::ManagedPolicy").items():
            (role,) = policy["Properties"]["Roles"]
            assert role["Fn::ImportValue"]["Fn::Sub"] in {"${RunnerStackName}-RunnerRoleName", "${RunnerStackName}-ObjectCreatedRoleName",
                                                          "${RunnerStackName}-PipelineTriggerRoleName"}, f"{stack}/{name}"


def test_one_runner_role_for_the_lambdas_and_the_service_tasks() -> None:
    runner = resources("runner-resources")
    assert not {"GlueRunnerRole", "AthenaRunnerRole", "WaitRunnerRole"} & set(runner)
    trust = runner["RunnerRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert {s["Principal"]["Service"] for s in trust} == {"lambda.amazonaws.com", "ecs-tasks.amazonaws.com"}
    ecs = next(s for s in trust if s["Principal"]["Service"] == "ecs-tasks.amazonaws.com")
    assert ecs["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    (policy,) = runner["RunnerRole"]["Properties"]["Policies"]
    grants = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert [i["Fn::ImportValue"]["Fn::Sub"] for i in grants["PollActivities"]["Resource"]] == [
        "${StepFunctionsStackName}-GlueRunnerActivityArn", "${StepFunctionsStackName}-AthenaRunnerActivityArn", "${StepFunctionsStackName}-WaitForDataActivityArn"]
    from runners.state import RUN_INDEX, SWEEP_INDEX

    assert grants["TaskIndexes"]["Action"] == "dynamodb:Query"
    assert grants["TaskIndexes"]["Resource"] == [{"Fn::Sub": f"${{{table}.Arn}}/index/{index}"}
                                                 for table in ("GlueTasksTable", "AthenaTasksTable", "DataWaitsTable") for index in (RUN_INDEX, SWEEP_INDEX)]
    assert grants["JobEventsQueues"]["Action"] == ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
    assert grants["JobEventsQueues"]["Resource"] == [{"Fn::GetAtt": ["GlueEventsQueue", "Arn"]}, {"Fn::GetAtt": ["AthenaEventsQueue", "Arn"]}]
    assert {"Ref": "RunnerRole"} in runner["ReportTaskResultsPolicy"]["Properties"]["Roles"]
    for name in ("RunnerFunction", "JobEventsFunction"):
        assert runner[name]["Properties"]["Role"] == {"Fn::GetAtt": ["RunnerRole", "Arn"]}, name


def test_job_events_rules_match_the_runners_patterns_and_feed_their_queues() -> None:
    from runners.job_events import EVENT_PATTERNS

    runner = resources("runner-resources")
    timeout = runner["JobEventsFunction"]["Properties"]["Timeout"]
    for kind, prefix in (("glue", "Glue"), ("athena", "Athena")):
        rule = runner[f"{prefix}JobEventsRule"]["Properties"]
        assert rule["EventPattern"] == EVENT_PATTERNS[kind], kind
        assert (rule.get("EventBusName", "default"), rule["State"]) == ("default", "ENABLED")
        assert rule["Targets"] == [{"Id": "job-events", "Arn": {"Fn::GetAtt": [f"{prefix}EventsQueue", "Arn"]}}]
        queue = runner[f"{prefix}EventsQueue"]["Properties"]
        assert queue["SqsManagedSseEnabled"] is True
        assert queue["VisibilityTimeout"] >= 6 * timeout  # Lambda's rule for an SQS event source
        assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": [f"{prefix}EventsDeadLetterQueue", "Arn"]}, "maxReceiveCount": 5}
        allow, deny = runner[f"{prefix}EventsQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
        assert (allow["Principal"], allow["Action"], allow["Resource"]) == (
            {"Service": "events.amazonaws.com"}, "sqs:SendMessage", {"Fn::GetAtt": [f"{prefix}EventsQueue", "Arn"]})
        assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [f"{prefix}JobEventsRule", "Arn"]}}}
        assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        mapping = runner[f"{prefix}JobEventsSource"]["Properties"]
        assert mapping["FunctionName"] == {"Ref": "JobEventsFunction"}
        assert mapping["EventSourceArn"] == {"Fn::GetAtt": [f"{prefix}EventsQueue", "Arn"]}
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"] and mapping["ScalingConfig"] == {"MaximumConcurrency": 2}
        assert mapping["MaximumBatchingWindowInSeconds"] <= 5
        assert mapping["Enabled"] == {"Fn::If": ["LambdaMode", True, False]}


def test_runner_mode_service_idles_the_lambdas_and_exports_what_the_service_stack_imports() -> None:
    template = load("runner-resources")
    assert template["Parameters"]["RunnerMode"]["AllowedValues"] == ["lambda", "service"]
    assert template["Parameters"]["RunnerMode"]["Default"] == "lambda"
    assert template["Conditions"]["LambdaMode"] == {"Fn::Equals": [{"Ref": "RunnerMode"}, "lambda"]}
    schedule = template["Resources"]["RunnerScheduleRule"]["Properties"]
    assert schedule["State"] == {"Fn::If": ["LambdaMode", {"Ref": "RunnerScheduleState"}, "DISABLED"]}
    assert schedule["Targets"] == [{"Id": "runner", "Arn": {"Fn::GetAtt": ["RunnerFunction", "Arn"]}}]
    exports = {o["Export"]["Name"]["Fn::Sub"]: o["Value"] for o in template["Outputs"].values() if "Export" in o}
    contract = {
        "${AWS::StackName}-RunnerRoleArn": {"Fn::GetAtt": ["RunnerRole", "Arn"]},
        "${AWS::StackName}-GlueTasksTableName": {"Ref": "GlueTasksTable"},
        "${AWS::StackName}-AthenaTasksTableName": {"Ref": "AthenaTasksTable"},
        "${AWS::StackName}-DataWaitsTableName": {"Ref": "DataWaitsTable"},
        "${AWS::StackName}-ObjectArrivalsTableName": {"Ref": "ObjectArrivalsTable"},
        "${AWS::StackName}-GlueEventsQueueUrl": {"Ref": "GlueEventsQueue"},
        "${AWS::StackName}-AthenaEventsQueueUrl": {"Ref": "AthenaEventsQueue"},
    }
    assert {name: exports.get(name) for name in contract} == contract


def test_every_log_group_has_retention_and_every_function_its_log_group() -> None:
    for _stack, name, group in all_resources("AWS::Logs::LogGroup"):
        assert "RetentionInDays" in group["Properties"], name
    for stack, name, function in all_resources("AWS::Lambda::Function"):
        log_group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert resources(stack)[log_group]["Type"] == "AWS::Logs::LogGroup", name


def test_tables_match_the_runners_models() -> None:
    tables = resources("runner-resources", "AWS::DynamoDB::Table")
    keys = {name: [(k["AttributeName"], k["KeyType"]) for k in t["Properties"]["KeySchema"]] for name, t in tables.items()}
    assert keys == {
        "GlueTasksTable": [("task_id", "HASH")],
        "AthenaTasksTable": [("task_id", "HASH")],
        "DataWaitsTable": [("task_id", "HASH")],
        "ObjectArrivalsTable": [("bucket", "HASH"), ("key", "RANGE")],
    }
    for name, table in tables.items():
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST", name
        assert props["SSESpecification"]["SSEEnabled"] is True, name
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, name
        assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}, name


def _model_indexes(model: Any) -> dict[str, dict[str, Any]]:
    """The pynamodb model's global secondary indexes in CloudFormation's terms."""
    from pynamodb.indexes import GlobalSecondaryIndex

    found = {}
    for index in vars(model).values():
        if not isinstance(index, GlobalSecondaryIndex):
            continue
        schema = index._get_schema()
        projection: dict[str, Any] = {"ProjectionType": index.Meta.projection.projection_type}
        if index.Meta.projection.non_key_attributes:
            projection["NonKeyAttributes"] = list(index.Meta.projection.non_key_attributes)
        found[index.Meta.index_name] = {"KeySchema": [{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in schema["key_schema"]],
                                        "Projection": projection}
    return found


def test_task_tables_carry_exactly_the_models_indexes() -> None:
    from runners.state import TaskRecord

    expected = _model_indexes(TaskRecord)
    assert set(expected) == {"run_id-index", "sweep-index"}
    attribute_types = {name: {"S": "S", "N": "N"}[attr.attr_type] for name, attr in TaskRecord.get_attributes().items()}
    for name, table in resources("runner-resources", "AWS::DynamoDB::Table").items():
        props = table["Properties"]
        if name == "ObjectArrivalsTable":
            assert "GlobalSecondaryIndexes" not in props
            continue
        declared = {i["IndexName"]: {"KeySchema": i["KeySchema"], "Projection": i["Projection"]} for i in props["GlobalSecondaryIndexes"]}
        assert declared == expected, name
        keys = {k["AttributeName"] for i in expected.values() for k in i["KeySchema"]} | {"task_id"}
        assert {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]} == {k: attribute_types[k] for k in keys}, name


def test_functions_use_real_handlers_and_known_settings() -> None:
    import runners.handlers

    known = {value for name, value in vars(config).items() if name.startswith("ENV_") and isinstance(value, str)}
    handlers = set()
    for _stack, name, function in all_resources("AWS::Lambda::Function"):
        props = function["Properties"]
        module, _, attribute = props["Handler"].rpartition(".")
        assert module == "runners.handlers", f"{name}: {props['Handler']}"
        assert callable(getattr(runners.handlers, attribute, None)), f"{name}: {props['Handler']}"
        handlers.add(attribute)
        assert props["Runtime"] == "python3.12"
        variables = set(props["Environment"]["Variables"])
        assert variables <= known, f"{name} sets {sorted(variables - known)}, which runners.config does not read"
        if attribute == "all_runners":
            assert {config.ENV_GLUE_ACTIVITY_ARN, config.ENV_ATHENA_ACTIVITY_ARN, config.ENV_WAIT_ACTIVITY_ARN, config.ENV_RUN_ONCE_BUDGET,
                    config.ENV_GLUE_EVENTS_QUEUE_URL, config.ENV_ATHENA_EVENTS_QUEUE_URL, config.ENV_SWEEP_INTERVAL} <= variables, name
        if attribute == "job_events":
            assert {config.ENV_GLUE_TABLE, config.ENV_ATHENA_TABLE} <= variables, name
    assert handlers == {"all_runners", "job_events", "object_created", "pipeline_trigger"}
    from runners.build.package import HANDLERS

    assert set(HANDLERS) == handlers  # the build packages exactly the deployed functions


def test_glue_jobs_run_their_pipelines_scripts() -> None:
    scripts = set()
    assert not any(resources(s, "AWS::Glue::Job") for s in SHARED)
    for stack in pipeline_stacks():
        for name, job in resources(stack, "AWS::Glue::Job").items():
            props = job["Properties"]
            assert props["Command"]["Name"] == "glueetl" and props["GlueVersion"] == "5.0", name
            assert props["JobRunQueuingEnabled"] is True and "MaxConcurrentRuns" in props["ExecutionProperty"], name
            assert props["SecurityConfiguration"] == {"Fn::ImportValue": {"Fn::Sub": "${GlueStackName}-GlueSecurityConfigurationName"}}
            location = props["Command"]["ScriptLocation"]["Fn::Sub"][0]
            assert location.startswith(f"s3://${{Bucket}}/glue-scripts/{stack.removeprefix('pipeline-')}/"), location
            if stack in shipped_pipeline_stacks():
                scripts.add(location.rsplit("/", 1)[1])
    assert scripts == {p.name for p in (REPO / "glue-scripts").glob("*.py")}  # the shipped pipelines run every script


def test_scan_tools_are_pinned() -> None:
    pins = (REPO / "requirements-scan.txt").read_text(encoding="utf-8")
    assert re.search(r"^cfn-lint==\d", pins, re.M) and re.search(r"^checkov==\d", pins, re.M)
    assert os.path.basename(scan_tool("checkov")) == "checkov"


def test_the_runner_service_runs_serve_all_read_only_non_root_on_x86_for_spot_and_drains() -> None:
    (task,) = resources("runner-service", "AWS::ECS::TaskDefinition").values()
    props = task["Properties"]
    assert (props["Cpu"], props["Memory"], props["NetworkMode"], props["RequiresCompatibilities"]) == ("256", "512", "awsvpc", ["FARGATE"])
    assert props["RuntimePlatform"] == {"CpuArchitecture": "X86_64", "OperatingSystemFamily": "LINUX"}, "Fargate Spot places only X86_64 tasks"
    assert props["TaskRoleArn"] == {"Fn::ImportValue": {"Fn::Sub": "${RunnerStackName}-RunnerRoleArn"}}
    (container,) = props["ContainerDefinitions"]
    assert container["Image"] == {"Ref": "ImageUri"} and container["Command"] == ["serve", "all"]
    assert re.fullmatch(r"[1-9][0-9]*:[1-9][0-9]*", container["User"]), "a numeric non-root user"
    assert container["ReadonlyRootFilesystem"] is True and container["Privileged"] is False
    assert container["MountPoints"] == [{"SourceVolume": "tmp", "ContainerPath": "/tmp", "ReadOnly": False}] and props["Volumes"] == [{"Name": "tmp"}]
    assert container["HealthCheck"]["Command"][:3] == ["CMD", "etl-runner", "health"]
    assert container["StopTimeout"] == {"Ref": "StopTimeoutSeconds"} and load("runner-service")["Parameters"]["StopTimeoutSeconds"]["MaxValue"] == 120
    environment = {e["Name"]: e["Value"] for e in container["Environment"]}
    known = {value for name, value in vars(config).items() if name.startswith("ENV_") and isinstance(value, str)}
    assert set(environment) <= known, f"the task sets {sorted(set(environment) - known)}, which runners.config does not read"
    assert environment[config.ENV_LOG_FORMAT] == "json" and environment[config.ENV_HEALTH_FILE].startswith("/tmp/")
    for kind in ("GLUE", "ATHENA", "WAIT"):
        assert f"ETL_{kind}_ACTIVITY_ARN" in environment and f"ETL_{kind}_TABLE" in environment
    assert {config.ENV_GLUE_EVENTS_QUEUE_URL, config.ENV_ATHENA_EVENTS_QUEUE_URL, config.ENV_ARRIVALS_TABLE} <= set(environment)
    logs = container["LogConfiguration"]
    assert logs["LogDriver"] == "awslogs" and logs["Options"]["awslogs-group"] == {"Ref": "LogGroup"}


def test_the_runner_service_deploys_safely_on_spot_or_on_demand() -> None:
    template = load("runner-service")
    (service,) = resources("runner-service", "AWS::ECS::Service").values()
    props = service["Properties"]
    deployment = props["DeploymentConfiguration"]
    assert deployment["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert (deployment["MinimumHealthyPercent"], deployment["MaximumPercent"]) == (100, 200)
    assert props["EnableExecuteCommand"] is False and props["DesiredCount"] == {"Ref": "DesiredCount"}
    assert template["Parameters"]["DesiredCount"]["Default"] == 1 and template["Parameters"]["UseFargateSpot"]["Default"] == "true"
    assert props["CapacityProviderStrategy"] == {"Fn::If": ["OnSpot", [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}], [{"CapacityProvider": "FARGATE", "Weight": 1}]]}
    (association,) = resources("runner-service", "AWS::ECS::ClusterCapacityProviderAssociations").values()
    assert association["Properties"]["CapacityProviders"] == ["FARGATE", "FARGATE_SPOT"] and service["DependsOn"] == "ClusterCapacityProviders"
    network = props["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network == {"Subnets": {"Ref": "Subnets"}, "SecurityGroups": [{"Ref": "TaskSecurityGroup"}], "AssignPublicIp": {"Ref": "AssignPublicIp"}}
    group = resources("runner-service")["TaskSecurityGroup"]["Properties"]
    assert "SecurityGroupIngress" not in group
    assert [(r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in group["SecurityGroupEgress"]] == [("tcp", 443, 443)]


def test_the_task_execution_role_pulls_only_the_runner_repository_and_writes_only_its_log_group() -> None:
    role = resources("runner-service")["ExecutionRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    (policy,) = role["Policies"]
    grants = {s["Sid"]: (sorted(as_list(s["Action"])), s["Resource"]) for s in policy["PolicyDocument"]["Statement"]}
    assert grants == {
        "RegistryLogin": (["ecr:GetAuthorizationToken"], "*"),
        "PullRunnerImage": (["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                            {"Fn::Sub": "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/${StackPrefix}-runner"}),
        "Logs": (["logs:CreateLogStream", "logs:PutLogEvents"], {"Fn::GetAtt": ["LogGroup", "Arn"]}),
    }
