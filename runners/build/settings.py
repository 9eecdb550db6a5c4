"""Settings of the build tasks: explicit value > environment variable > default.

The build's environment variable names are in ``runners.config`` with every
other one; ``build.py``'s help lists them. Region and endpoints
are the service's: ``AWS_REGION``/``AWS_DEFAULT_REGION`` and
``AWS_ENDPOINT_URL`` (so the tasks run unchanged against the embedded AWS).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping

import yaml

from runners.aws import AwsClients
from runners.build.image import DockerRunner, run_docker
from runners.build.runner import TaskError
from runners.config import (
    ENV_ARTIFACT_BUCKET,
    ENV_BUILD_DIR,
    ENV_PIPELINES_DIR,
    ENV_RUNNER_MODE,
    ENV_STACK_POLL_SECONDS,
    ENV_STACK_PREFIX,
    ENV_STACK_TIMEOUT_SECONDS,
    ENV_TEMPLATES_DIR,
    RUNNER_MODES,
    Settings,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


DEFAULT_STACK_PREFIX = "etl-runner"
PIPELINE_STACK_PREFIX = "pipeline-"  # runners.pipelines.naming.PIPELINE_STACK_PREFIX
NO_DEFAULT = "<NO-DEFAULT>"
# The template parameter naming the artifact bucket; the stack declaring it
# creates the bucket, the build uploads to it.
ARTIFACT_BUCKET_PARAMETER = "ArtifactBucketName"

# Every variable that changes what a BuildContext talks to or where it works.
CONTEXT_VARIABLES = (
    ENV_ARTIFACT_BUCKET,
    ENV_STACK_PREFIX,
    ENV_BUILD_DIR,
    ENV_TEMPLATES_DIR,
    ENV_PIPELINES_DIR,
    ENV_STACK_POLL_SECONDS,
    ENV_STACK_TIMEOUT_SECONDS,
    ENV_RUNNER_MODE,
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_PROFILE",
)


@dataclass(frozen=True)
class BuildSettings:
    """Where the build works and which AWS resources it names."""

    stack_prefix: str = DEFAULT_STACK_PREFIX
    artifact_bucket: str | None = None  # None: <prefix>-artifacts-<account>-<region>
    build_dir: Path = REPO_ROOT / "build"
    templates_dir: Path = REPO_ROOT / "cloudformation"
    pipelines_dir: Path = REPO_ROOT / "pipelines"
    stack_poll_seconds: float = 5.0
    stack_timeout_seconds: float = 3600.0
    runner_mode: str = "lambda"  # RUNNER_MODES: who runs the runners on AWS

    def __post_init__(self) -> None:
        if self.runner_mode not in RUNNER_MODES:
            raise ValueError(f"{ENV_RUNNER_MODE}={self.runner_mode!r}: expected one of {', '.join(RUNNER_MODES)}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "BuildSettings":
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        if env.get(ENV_STACK_PREFIX):
            values["stack_prefix"] = env[ENV_STACK_PREFIX]
        if env.get(ENV_ARTIFACT_BUCKET):
            values["artifact_bucket"] = env[ENV_ARTIFACT_BUCKET]
        if env.get(ENV_BUILD_DIR):
            values["build_dir"] = Path(env[ENV_BUILD_DIR]).resolve()
        if env.get(ENV_TEMPLATES_DIR):
            values["templates_dir"] = Path(env[ENV_TEMPLATES_DIR]).resolve()
        if env.get(ENV_PIPELINES_DIR):
            values["pipelines_dir"] = Path(env[ENV_PIPELINES_DIR]).resolve()
        if env.get(ENV_RUNNER_MODE):
            values["runner_mode"] = env[ENV_RUNNER_MODE]
        for name, var in (("stack_poll_seconds", ENV_STACK_POLL_SECONDS), ("stack_timeout_seconds", ENV_STACK_TIMEOUT_SECONDS)):
            if env.get(var):
                try:
                    values[name] = float(env[var])
                except ValueError:
                    raise ValueError(f"{var}={env[var]!r} is not a number") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def stack_name(self, stack: str) -> str:
        """``glue-resources`` -> ``etl-runner-glue-resources``."""
        return f"{self.stack_prefix}-{stack}"

    def template_path(self, stack: str) -> Path:
        return self.templates_dir / f"{stack}.yaml"

    def params_path(self, stack: str) -> Path:
        return self.templates_dir / f"{stack}-params.json"

    def template_stacks(self) -> list[str]:
        """The stacks with a template file: one per ``<templates_dir>/<stack>.yaml``."""
        if not self.templates_dir.is_dir():
            return []
        return sorted(path.stem for path in self.templates_dir.glob("*.yaml"))

    def pipeline_files(self) -> dict[str, Path]:
        """``{pipeline name: file}`` for every ``<pipelines_dir>/*.yaml`` (the name is the
        file's ``pipeline`` field; a file too broken to say is listed by its stem, and
        loading it names its problems)."""
        found: dict[str, Path] = {}
        if not self.pipelines_dir.is_dir():
            return found
        for path in sorted(self.pipelines_dir.glob("*.yaml")):
            found.setdefault(pipeline_name(path), path)
        return found

    def project_stacks(self) -> list[str]:
        """Every stack of the project: the template stacks, then one ``pipeline-<name>`` per pipeline file."""
        return self.template_stacks() + [PIPELINE_STACK_PREFIX + name for name in self.pipeline_files()]

    def pipeline_of(self, stack: str) -> str | None:
        """The pipeline a ``pipeline-<name>`` stack deploys (None for a template stack)."""
        if stack in self.template_stacks() or not stack.startswith(PIPELINE_STACK_PREFIX):
            return None
        name = stack.removeprefix(PIPELINE_STACK_PREFIX)
        return name if name in self.pipeline_files() else None

    @property
    def lambda_dir(self) -> Path:
        return self.build_dir / "lambda"


@dataclass
class BuildContext:
    """Settings plus the AWS clients (built on first use, via runners.aws)."""

    settings: BuildSettings
    service_settings: Settings = field(default_factory=Settings.from_env)
    # Every docker command of the image tasks goes through this (tests inject a recorder).
    docker: DockerRunner = run_docker

    @cached_property
    def aws(self) -> AwsClients:
        return AwsClients(self.service_settings)

    def client(self, service: str) -> Any:
        return self.aws.client(service)

    @property
    def region(self) -> str:
        return self.aws.region

    @cached_property
    def account_id(self) -> str:
        return self.client("sts").get_caller_identity()["Account"]

    def _artifact_bucket(self) -> tuple[str, str]:  # not cached: a params file may change
        if self.settings.artifact_bucket:
            return self.settings.artifact_bucket, ENV_ARTIFACT_BUCKET
        found = artifact_bucket_in_params_files(self.settings)
        if found:
            return found
        return f"{self.settings.stack_prefix}-artifacts-{self.account_id}-{self.region}", "the default name <prefix>-artifacts-<account>-<region>"

    @property
    def artifact_bucket(self) -> str:
        """ETL_ARTIFACT_BUCKET, else ArtifactBucketName from a params file,
        else <prefix>-artifacts-<account>-<region>."""
        return self._artifact_bucket()[0]

    @property
    def artifact_bucket_source(self) -> str:
        return self._artifact_bucket()[1]


def artifact_bucket_in_params_files(settings: BuildSettings) -> tuple[str, str] | None:
    """(name, params file) when a params file sets ArtifactBucketName. A
    malformed file is left to the stack tasks to report."""
    found: dict[str, str] = {}
    for stack in settings.project_stacks():
        path = settings.params_path(stack)
        try:
            items = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and item.get("ParameterKey") == ARTIFACT_BUCKET_PARAMETER:
                value = item.get("ParameterValue")
                if isinstance(value, str) and value and value != NO_DEFAULT:
                    found.setdefault(value, path.name)
    if len(found) > 1:
        raise TaskError(f"the params files name different artifact buckets: {', '.join(f'{name} ({file})' for name, file in found.items())}")
    return next(iter(found.items()), None)


def pipeline_name(path: Path) -> str:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return path.stem
    name = data.get("pipeline") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else path.stem


_current: tuple[tuple[str | None, ...], BuildContext] | None = None


def current_context() -> BuildContext:
    """The context for the current environment, shared by the tasks of one run
    (rebuilt when a relevant environment variable changes, e.g. between tests)."""
    global _current
    key = tuple(os.environ.get(var) for var in CONTEXT_VARIABLES)
    if _current is None or _current[0] != key:
        _current = (key, BuildContext(BuildSettings.from_env()))
    return _current[1]
