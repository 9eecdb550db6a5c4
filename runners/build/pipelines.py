"""Pipelines in the build: each pipeline file (``ETL_PIPELINES_DIR``, default
``pipelines/``) is rendered into its state machine definition and its stack
``pipeline-<name>``; its Glue scripts and definition are uploaded to the
artifact bucket; the permission check runs before anything is deployed.

The definition's key carries its content's hash, so a changed pipeline
changes the stack's ``StateMachineDefinitionS3Key`` and CloudFormation
updates the state machine; scripts keep one key per pipeline and file
(``glue-scripts/<pipeline>/<file>``), read by Glue at each run's start.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterable

from runners.build import artifacts
from runners.build.runner import TaskError
from runners.build.settings import BuildContext, BuildSettings
from runners.pipelines import naming
from runners.pipelines.loader import load_pipeline
from runners.pipelines.model import Pipeline
from runners.pipelines.source import PipelineFileError

Say = Callable[[str], None]


def render_definition(pipeline: Pipeline) -> Any:
    """The rendered state machine (``text``, ``placeholders``): runners.pipelines.asl."""
    from runners.pipelines.asl import render_state_machine

    return render_state_machine(pipeline)


def names(settings: BuildSettings, chosen: Iterable[str] = ()) -> list[str]:
    """The chosen pipelines (default: all), each checked to exist."""
    known = settings.pipeline_files()
    chosen = list(chosen)
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise TaskError(f"unknown pipeline(s) {', '.join(unknown)}; pipelines in {settings.pipelines_dir}: {', '.join(known) or '(none)'}")
    if not known:
        raise TaskError(f"no pipeline files (*.yaml) in {settings.pipelines_dir}")
    return chosen or list(known)


def load(settings: BuildSettings, name: str) -> Pipeline:
    path = settings.pipeline_files()[name]
    try:
        return load_pipeline(path)
    except PipelineFileError as exc:
        raise TaskError(f"pipeline {name} ({path}) is invalid:\n" + "\n".join(f"  {p}" for p in exc.problems)) from None


@dataclass
class RenderedPipeline:
    pipeline: Pipeline
    definition: str
    placeholders: frozenset[str]
    prefix: str

    @cached_property
    def template(self) -> dict[str, Any]:
        from runners.pipelines.stack import render_pipeline_stack

        return render_pipeline_stack(self.pipeline, self.placeholders, prefix=self.prefix)

    @cached_property
    def template_yaml(self) -> str:
        from runners.pipelines.stack import stack_yaml

        return stack_yaml(self.template)

    @property
    def definition_key(self) -> str:
        digest = hashlib.sha256(self.definition.encode("utf-8")).hexdigest()[:16]
        return f"{naming.DEFINITIONS_PREFIX}{self.pipeline.name}-{digest}.asl.json"

    def scripts(self) -> list[tuple[str, Path]]:
        """(key in the artifact bucket, file) of each Glue step's script."""
        return [(naming.script_key(self.pipeline, step), self.pipeline.script_path(step)) for step in self.pipeline.glue_steps]


_rendered: dict[tuple[str, ...], RenderedPipeline] = {}


def render(ctx: BuildContext, name: str) -> RenderedPipeline:
    """The pipeline's definition and stack (rendered once per content of its file, SQL and
    scripts, and prefix, within one build run)."""
    pipeline = load(ctx.settings, name)
    key = (str(pipeline.source), ctx.settings.stack_prefix, _digest(pipeline))
    if key not in _rendered:
        machine = render_definition(pipeline)
        json.loads(machine.text)  # a definition that is not JSON never leaves the build
        _rendered[key] = RenderedPipeline(pipeline, machine.text, frozenset(machine.placeholders), ctx.settings.stack_prefix)
    return _rendered[key]


def _digest(pipeline: Pipeline) -> str:
    digest = hashlib.sha256(Path(pipeline.source).read_bytes() if pipeline.source else b"")
    for step in pipeline.steps.values():
        if step.athena is not None:
            digest.update(step.athena.sql.encode("utf-8"))
        if step.glue is not None:
            digest.update(pipeline.script_path(step).read_bytes())
    return digest.hexdigest()


def write(rendered: RenderedPipeline, directory: Path) -> list[Path]:
    """``<directory>/<name>/definition.asl.json`` and ``template.yaml`` (for review, lint and scans)."""
    target = directory / rendered.pipeline.name
    target.mkdir(parents=True, exist_ok=True)
    definition = target / "definition.asl.json"
    template = target / "template.yaml"
    definition.write_text(rendered.definition, encoding="utf-8")
    template.write_text(rendered.template_yaml, encoding="utf-8")
    return [definition, template]


def check(ctx: BuildContext, rendered: Iterable[RenderedPipeline], *, offline: bool = False) -> None:
    """The permission check of each pipeline against its rendered stack, with the names it
    is deployed under; a TaskError lists every missing permission."""
    from runners.pipelines.cfn_resolve import Environment
    from runners.pipelines.permissions import Deployment, check_permissions, policy_limit_problems

    items = list(rendered)
    if offline:
        deployment = Deployment(prefix=ctx.settings.stack_prefix, templates_dir=ctx.settings.templates_dir)
    else:
        env = Environment(partition=_partition(ctx.region), region=ctx.region, account=ctx.account_id)
        deployment = Deployment(prefix=ctx.settings.stack_prefix, env=env, artifact_bucket=ctx.artifact_bucket, templates_dir=ctx.settings.templates_dir)
    problems: list[str] = []
    for item in items:
        problems += [f"{item.pipeline.name}: {p}" for p in check_permissions(item.pipeline, deployment=deployment, template=item.template)]
    problems += policy_limit_problems([item.pipeline for item in items], deployment)
    if problems:
        raise TaskError("the permission check failed (a step would be denied on AWS):\n" + "\n".join(f"  {p}" for p in problems))


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def upload(ctx: BuildContext, rendered: RenderedPipeline, say: Say) -> list[artifacts.Uploaded]:
    """The pipeline's Glue scripts and definition, to the artifact bucket."""
    bucket = artifacts.require_artifact_bucket(ctx)
    s3 = ctx.client("s3")
    done = []
    for key, path in rendered.scripts():
        item = artifacts.upload(s3, bucket, key, path.read_bytes(), content_type="text/x-python")
        say(f"uploaded {item.uri} ({item.size:,} bytes)")
        done.append(item)
    item = artifacts.upload(s3, bucket, rendered.definition_key, rendered.definition.encode("utf-8"), content_type="application/json", immutable=True)
    state = "already uploaded" if item.skipped else "uploaded"
    say(f"{state} {item.uri} ({item.size:,} bytes): the definition of pipeline {rendered.pipeline.name}")
    done.append(item)
    return done
