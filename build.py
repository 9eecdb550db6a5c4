#!/usr/bin/env python3
"""Configuration (environment variables; the AWS ones as for every boto3 tool):

  ETL_STACK_PREFIX           stack name prefix: stack X is "<prefix>-X" (default etl-runner)
  ETL_ARTIFACT_BUCKET        bucket for the Glue scripts, Lambda package and state machine
                             definitions (default: ArtifactBucketName from a params file, else
                             <prefix>-artifacts-<account id>-<region>); the stack declaring
                             ArtifactBucketName (glue-resources) creates it
  ETL_BUILD_DIR              where packagelambda and renderpipelines write (default build/)
  ETL_TEMPLATES_DIR          stack templates X.yaml and X-params.json (default cloudformation/)
  ETL_PIPELINES_DIR          pipeline files, one stack pipeline-<name> each (default pipelines/)
  ETL_STACK_POLL_SECONDS     seconds between stack progress checks (default 5)
  ETL_STACK_TIMEOUT_SECONDS  give up waiting for a stack operation after this (default 3600)
  ETL_RUNNER_MODE            lambda (default): the runner-resources Lambdas poll the activities
                             and read the job events queues; service: they stay idle and an ECS
                             service does it (runner-resources' RunnerMode parameter)
  AWS_REGION / AWS_DEFAULT_REGION, AWS_PROFILE, credentials: as for the AWS CLI
  AWS_ENDPOINT_URL           another endpoint, e.g. the embedded AWS (`etl-runner local up`)

Parameters the build sets when a template declares them (a params file may
leave them out or say "<NO-DEFAULT>"; another value there is an error):
  ArtifactBucketName             the artifact bucket (above)
  RunnerCodeS3Key, JobEventsCodeS3Key, ObjectCreatedCodeS3Key,
  PipelineTriggerCodeS3Key       the Lambda package's content-addressed key (deploylambda first)
  RunnerMode                     ETL_RUNNER_MODE (lambda or service)
  StateMachineDefinitionS3Key    a pipeline stack's rendered definition (uploaddefinition first)
  GlueStackName, StepFunctionsStackName, RunnerStackName
                                 the shared stacks' CloudFormation names, for their exports
  StackPrefix                    ETL_STACK_PREFIX (names the pipelines' trigger rules)
  ImageUri                       the runner image of these sources in ECR (runner-service;
                                 buildimage and pushimage first)
Every other "<NO-DEFAULT>" in a params file must be replaced before
createstack/updatestack run.

Deploying everything (shared stacks, then every pipeline; creates or updates):
  python build.py deploy
or step by step:
  python build.py createstack[glue-resources]             (artifact and data buckets)
  python build.py packagelambda deploylambda
  python build.py createstack[step-functions-resources] createstack[runner-resources]
  python build.py deploypipelines                         (every pipeline; or deploypipelines[NAME])
  python build.py startexecution[2026-11-16,pipeline=NAME]  or wait for its schedule or trigger

The always-on runner service instead of the scheduled Lambdas (ECS Fargate,
after the shared stacks; runner-resources with RunnerMode=service):
  python build.py buildimage pushimage rolloutservice
"""

from __future__ import annotations

import sys

from runners.build import artifacts, image, operations, package, rollout
from runners.build import pipelines as pipeline_ops
from runners.build import stacks as stack_ops
from runners.build.runner import TaskError, main, task
from runners.build.settings import REPO_ROOT, current_context


def say(message: str) -> None:
    print(message, flush=True)


@task()
def clean():
    """Delete the build directory (ETL_BUILD_DIR, default build/)."""
    import shutil

    build_dir = current_context().settings.build_dir
    shutil.rmtree(build_dir, ignore_errors=True)
    say(f"removed {build_dir}")


@task()
def packagelambda(*functions):
    """Build the Lambda package: one deterministic zip for all functions.

    functions: all_runners, job_events, object_created, pipeline_trigger (default:
    all); they share the zip and differ in their handler (runners.handlers.<fn>).
    The zip holds the runners package (without runners/local and runners/build)
    and pynamodb, structlog and tenacity copied from this environment (boto3 is
    in the Lambda runtime). Same sources and versions give the same bytes.
    """
    chosen = package.functions_from(functions)
    built = package.package_lambda(REPO_ROOT, current_context().settings.lambda_dir)
    say(f"built {built.path}: {built.size:,} bytes ({built.size / 1024:.0f} KiB), {built.entries} files, sha256 {built.sha256}")
    say("bundled " + ", ".join(f"{name} {version}" for name, version in built.bundled.items()))
    for name in chosen:
        say(f"  {name}: handler {package.HANDLERS[name]}")


@task(packagelambda)
def deploylambda(*functions):
    """Upload the Lambda package to the artifact bucket and print its S3 key and size.

    functions as for packagelambda (they share one zip, uploaded once). The key
    is lambda/etl-runner-<sha256 prefix>.zip, so a new package gets a new key
    and createstack/updatestack pass it to the stacks (RunnerCodeS3Key, ...).
    """
    package.functions_from(functions)
    artifacts.deploy_lambda(current_context(), say)


@task(deploylambda)
def updatelambda(*functions):
    """Point the deployed functions at the uploaded package (UpdateFunctionCode).

    functions as for packagelambda (default: all). Finds each function in the
    project's stacks by its handler. Note that the next updatestack sets the
    code the stack's LambdaCodeKey names (the same package if nothing changed).
    """
    operations.update_lambda_code(current_context(), package.functions_from(functions), say)


@task()
def renderpipelines(*pipelines):
    """Render pipelines and check their permissions, without AWS.

    pipelines: names (the files' "pipeline" field; default: every file in
    ETL_PIPELINES_DIR). Writes <build dir>/pipelines/<name>/definition.asl.json
    and template.yaml, then runs the permission check: every request a step
    makes at run time must be allowed by the roles the templates generate.
    """
    ctx = current_context()
    rendered = [pipeline_ops.render(ctx, name) for name in pipeline_ops.names(ctx.settings, pipelines)]
    for item in rendered:
        for path in pipeline_ops.write(item, ctx.settings.build_dir / "pipelines"):
            say(f"wrote {path}")
    pipeline_ops.check(ctx, rendered, offline=True)
    say(f"permission check passed: {', '.join(item.pipeline.name for item in rendered)}")


@task()
def deploygluescripts(*pipelines):
    """Upload the pipelines' Glue scripts to s3://<artifact bucket>/glue-scripts/<pipeline>/.

    pipelines: names (default: all).
    """
    ctx = current_context()
    bucket = artifacts.require_artifact_bucket(ctx)
    for name in pipeline_ops.names(ctx.settings, pipelines):
        for key, path in pipeline_ops.render(ctx, name).scripts():
            item = artifacts.upload(ctx.client("s3"), bucket, key, path.read_bytes(), content_type="text/x-python")
            say(f"uploaded {item.uri} ({item.size:,} bytes)")


@task()
def uploaddefinition(*pipelines):
    """Render the pipelines' state machines and upload them and their Glue scripts.

    pipelines: names (default: all). A definition's key carries its hash
    (state-machine/<pipeline>-<sha256 prefix>.asl.json); the pipeline's stack
    gets it as StateMachineDefinitionS3Key.
    """
    ctx = current_context()
    for name in pipeline_ops.names(ctx.settings, pipelines):
        pipeline_ops.upload(ctx, pipeline_ops.render(ctx, name), say)


@task()
def deploypipelines(*pipelines):
    """Deploy pipelines: permission check, uploads, then create or update each pipeline-<name> stack.

    pipelines: names (default: every file in ETL_PIPELINES_DIR). The shared
    stacks must exist (deploy creates them). Refuses, listing each missing
    permission, when a step would be denied on AWS.
    """
    ctx = current_context()
    chosen = pipeline_ops.names(ctx.settings, pipelines)
    rendered = [pipeline_ops.render(ctx, name) for name in chosen]
    # The runner roles carry every pipeline's grants, so their size is checked over all pipelines.
    everything = [pipeline_ops.render(ctx, name) for name in pipeline_ops.names(ctx.settings)]
    pipeline_ops.check(ctx, everything)
    for item in rendered:
        pipeline_ops.upload(ctx, item, say)
        stack_ops.deploy(ctx, f"pipeline-{item.pipeline.name}", say)


@task(packagelambda)
def deploy():
    """Deploy everything: the shared stacks in order (create or update), the Lambda package, then every pipeline.

    The same as createstack/updatestack[glue-resources], deploylambda,
    createstack/updatestack[step-functions-resources] and [runner-resources],
    then deploypipelines.
    """
    ctx = current_context()
    stack_ops.deploy(ctx, "glue-resources", say)
    artifacts.deploy_lambda(ctx, say)
    for stack in ("step-functions-resources", "runner-resources"):
        stack_ops.deploy(ctx, stack, say)
    deploypipelines()


@task()
def lockimage():
    """Write deploy/requirements-runtime.txt: the runtime dependencies' pins for the image.

    The closure of setup.cfg's install_requires (Python 3.12, Linux), at the
    versions installed in this environment; no test, local or build tools.
    """
    closure = image.runtime_closure(image.install_requires(REPO_ROOT / "setup.cfg"))
    path = REPO_ROOT / image.LOCK_FILE
    path.write_text(image.lock_text(closure), encoding="utf-8")
    say(f"wrote {path.relative_to(REPO_ROOT)}: {len(closure)} packages")


@task()
def buildimage():
    """Build the runner image for linux/amd64 (Fargate Spot runs only x86_64), tagged etl-runner:<content tag>.

    The tag is a hash of the package's sources, setup.cfg, pyproject.toml,
    README.md, the Dockerfile, .dockerignore and deploy/requirements-runtime.txt:
    the same sources give the same tag. Needs Docker with buildx (and QEMU
    emulation on an x86 machine).
    """
    tag = image.content_tag(REPO_ROOT)
    current_context().docker(image.build_command(REPO_ROOT, tag), None)
    say(f"built {image.LOCAL_IMAGE}:{tag} ({image.PLATFORM})")


@task()
def pushimage():
    """Push etl-runner:<content tag> to the ECR repository <ETL_STACK_PREFIX>-runner.

    Creates the repository when missing (scan on push, immutable tags,
    AES256 encryption), logs docker in with an ECR authorization token (on
    stdin, as `aws ecr get-login-password | docker login` does) and pushes;
    a tag already in ECR is the same image and is not pushed again.
    buildimage first.
    """
    ctx = current_context()
    ecr = ctx.client("ecr")
    repository = image.ensure_repository(ecr, image.repository_name(ctx.settings.stack_prefix), say)
    uri = image.push(ecr, repository, image.content_tag(REPO_ROOT), ctx.docker, say)
    say(f"ImageUri {uri}")


@task()
def rolloutservice():
    """Create or update the runner-service stack with the pushed image and wait.

    The stack's ImageUri is <ETL_STACK_PREFIX>-runner:<content tag> of these
    sources (pushimage first). Prints the stack's events, then the service's
    running tasks; a deployment the circuit breaker rolled back fails with
    the service's latest events, which name the cause.
    """
    rollout.rollout(current_context(), say)


def _stacks_or_error(names, action):
    if not names:
        known = current_context().settings.project_stacks()
        raise TaskError(f"name the stack(s) to {action}: {action}stack[STACK,...]; project stacks: {', '.join(known) or '(none)'}")
    return names


@task()
def createstack(*stacks):
    """Create stacks and wait, printing events as they come.

    stacks: names of cloudformation/<stack>.yaml, or pipeline-<name> for a
    pipeline's rendered stack (uploaddefinition first). Refuses while the
    stack's params file still has "<NO-DEFAULT>" values (naming them). On
    failure prints the failing resources' status reasons.
    """
    for stack in _stacks_or_error(stacks, "create"):
        stack_ops.create(current_context(), stack, say)


@task()
def updatestack(*stacks):
    """Update stacks from their template and params file and wait, printing events.

    Same parameter rules as createstack; "no changes" is not an error.
    """
    for stack in _stacks_or_error(stacks, "update"):
        stack_ops.update(current_context(), stack, say)


@task()
def deletestack(*stacks):
    """Delete stacks and wait, printing events. A missing stack is not an error."""
    for stack in _stacks_or_error(stacks, "delete"):
        stack_ops.delete(current_context(), stack, say)


@task()
def stackstatus(*stacks):
    """Show the status of the project's stacks (default: all of them)."""
    ctx = current_context()
    stack_ops.status(ctx, list(stacks) or ctx.settings.project_stacks(), say)


@task()
def enableschedule(name=None):
    """Enable a pipeline's schedule.

    name: the pipeline's name or the schedule's (default: the one
    AWS::Scheduler::Schedule of the project's stacks). Switched through the
    EventBridge Scheduler API (UpdateSchedule, all other settings kept),
    effective at once; an updatestack that changes the schedule resource
    applies the template's State.
    """
    operations.set_schedule_state(current_context(), name, "ENABLED", say)


@task()
def disableschedule(name=None):
    """Disable a pipeline's schedule (see enableschedule); executions already running go on."""
    operations.set_schedule_state(current_context(), name, "DISABLED", say)


@task()
def startexecution(run_date=None, pipeline=None):
    """Start a pipeline by hand with input {"runDate": run_date}.

    run_date: YYYY-MM-DD (default: this week's Monday). pipeline: its name
    (needed when more than one pipeline is deployed):
    startexecution[2026-11-16,pipeline=sales-marketing].
    """
    operations.start_execution(current_context(), run_date, say, pipeline)


@task()
def deletes3bucket(bucket, confirm=None):
    """DELETE ALL objects (every version) in an S3 bucket and THE BUCKET ITSELF.

    Asks for the bucket's name on a terminal; without one pass confirm=yes:
    deletes3bucket[my-bucket,confirm=yes].
    """
    if confirm != "yes":
        if not sys.stdin.isatty():
            raise TaskError(f"deleting {bucket} needs confirmation: deletes3bucket[{bucket},confirm=yes]")
        answer = input(f"This DELETES ALL DATA in s3://{bucket} and the bucket. Type its name to go on: ")
        if answer.strip() != bucket:
            raise TaskError("not confirmed; nothing deleted")
    count = artifacts.empty_and_delete_bucket(current_context().client("s3"), bucket, say)
    say(f"deleted bucket {bucket} ({count} object version(s)/marker(s))")


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
