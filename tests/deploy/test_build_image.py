"""The image tasks: buildimage, pushimage and rolloutservice's ImageUri.

Docker never runs here: the context's docker runner is replaced by a
recorder, so the exact command lines are checked. ECR is the embedded AWS's
(moto's), so the repository's settings and idempotence are real API answers.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber

from runners.build import image, rollout
from runners.build import stacks as stack_ops
from runners.build.runner import TaskError
from runners.build.settings import REPO_ROOT, current_context
from test_build_tasks import BUILD, Build, build  # noqa: F401  (the fixture)

MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                       "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1, "digest": "sha256:" + "a" * 64},
                       "layers": []})


class Docker:
    """Records docker commands (argv, stdin) instead of running them."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], bytes | None]] = []

    def __call__(self, argv: list[str], stdin: bytes | None) -> None:
        self.calls.append((argv, stdin))


@pytest.fixture
def docker(build, monkeypatch) -> Docker:
    recorder = Docker()
    monkeypatch.setattr(current_context(), "docker", recorder)
    return recorder


def ecr():
    return boto3.client("ecr")


def test_buildimage_builds_for_amd64_tagged_with_the_content_hash(build, docker):
    out = build.ok("buildimage")
    tag = image.content_tag(REPO_ROOT)
    assert docker.calls == [(["docker", "build", "--platform", "linux/amd64", "--file", str(REPO_ROOT / "Dockerfile"),
                              "--tag", f"etl-runner:{tag}", str(REPO_ROOT)], None)]
    assert f"built etl-runner:{tag} (linux/amd64)" in out


def test_pushimage_creates_a_scanned_immutable_encrypted_repository_logs_in_on_stdin_and_pushes(build, docker):
    out = build.ok("pushimage")
    name = f"{build.prefix}-runner"
    (repository,) = ecr().describe_repositories(repositoryNames=[name])["repositories"]
    assert repository["imageTagMutability"] == "IMMUTABLE" and repository["imageScanningConfiguration"]["scanOnPush"] is True
    assert repository["encryptionConfiguration"]["encryptionType"] == "AES256"
    tag = image.content_tag(REPO_ROOT)
    uri = f"{repository['repositoryUri']}:{tag}"
    registry = repository["repositoryUri"].split("/", 1)[0]
    assert docker.calls == [
        (["docker", "login", "--username", "AWS", "--password-stdin", registry], b"123456789012-auth-token"),
        (["docker", "tag", f"etl-runner:{tag}", uri], None),
        (["docker", "push", uri], None),
    ]
    assert all(b"auth-token" not in " ".join(argv).encode() for argv, _ in docker.calls), "the password never reaches a command line"
    assert f"ImageUri {uri}" in out and f"created ECR repository {name}" in out


def test_pushimage_is_idempotent_and_fixes_a_mutable_unscanned_repository(build, docker):
    name = f"{build.prefix}-runner"
    ecr().create_repository(repositoryName=name, imageTagMutability="MUTABLE", imageScanningConfiguration={"scanOnPush": False})
    out = build.ok("pushimage")
    (repository,) = ecr().describe_repositories(repositoryNames=[name])["repositories"]
    assert repository["imageTagMutability"] == "IMMUTABLE" and repository["imageScanningConfiguration"]["scanOnPush"] is True
    assert "tags made immutable" in out and "scan on push turned on" in out
    # Once the tag is in ECR (here put by hand: no docker), a second push does nothing.
    ecr().put_image(repositoryName=name, imageManifest=MANIFEST, imageTag=image.content_tag(REPO_ROOT))
    docker.calls.clear()
    out = build.ok("pushimage")
    assert docker.calls == [] and "is already in ECR: nothing to push" in out


def test_a_failing_docker_command_is_a_task_error_naming_it():
    with pytest.raises(TaskError, match=r"`false` failed with exit status 1"):
        image.run_docker(["false"])
    image.run_docker(["true"])


def test_run_docker_says_when_docker_is_missing(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(TaskError, match="not installed"):
        image.run_docker(["docker", "version"])


def test_the_image_uri_parameter_is_the_pushed_image_of_these_sources(build, docker):
    values = stack_ops.BuildValues(current_context(), "runner-service")
    with pytest.raises(TaskError, match=r"buildimage pushimage"):
        values.value("ImageUri")
    build.ok("pushimage")
    name = f"{build.prefix}-runner"
    ecr().put_image(repositoryName=name, imageManifest=MANIFEST, imageTag=image.content_tag(REPO_ROOT))
    uri = ecr().describe_repositories(repositoryNames=[name])["repositories"][0]["repositoryUri"]
    assert values.value("ImageUri") == f"{uri}:{image.content_tag(REPO_ROOT)}"


def test_a_rolled_back_rollout_fails_with_the_services_events(monkeypatch):
    """CloudFormation only says the service did not stabilize; the service's events say why."""
    ecs = boto3.client("ecs", region_name="us-east-1", endpoint_url="https://ecs.invalid")
    stubber = Stubber(ecs)
    stubber.add_response("describe_services", {"services": [{"serviceName": "svc", "events": [
        {"id": "2", "message": "(service svc) was unable to place a task: deployment circuit breaker rolled back the deployment"},
        {"id": "1", "message": "(service svc) task 1 stopped: Essential container in task exited (CannotPullContainerError)"},
    ]}]}, {"cluster": "cluster", "services": ["arn:svc"]})
    stubber.activate()

    class Context:
        def client(self, service):
            assert service == "ecs"
            return ecs

    def failed_update(ctx, stack, say):
        raise TaskError("update of p-runner-service ended UPDATE_ROLLBACK_COMPLETE\n  Service (AWS::ECS::Service) UPDATE_FAILED: did not stabilize")

    monkeypatch.setattr(stack_ops, "deploy", failed_update)
    monkeypatch.setattr(rollout, "service_of", lambda ctx: ("cluster", "arn:svc"))
    with pytest.raises(TaskError) as failure:
        rollout.rollout(Context(), print)  # type: ignore[arg-type]
    message = str(failure.value)
    assert message.startswith("update of p-runner-service ended UPDATE_ROLLBACK_COMPLETE")
    assert "circuit breaker rolled back" in message and "CannotPullContainerError" in message
    stubber.assert_no_pending_responses()
