"""Which state machines are pipelines, and naming an execution.

A pipeline is a state machine. The local deployer names it
``<prefix>-<pipeline>`` (runners.local.deploy.state_machine_name); stacks on
AWS prefix it with the stack name, so the name ends with ``-<pipeline>``; a
state machine may also say it outright with the tag ``etl-runner:pipeline``.
``pipeline_name`` is the one rule; everything else here calls it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

PIPELINE_TAG = "etl-runner:pipeline"


@dataclass(frozen=True)
class PipelineRef:
    name: str  # the pipeline's name
    state_machine_name: str
    state_machine_arn: str


def pipeline_name(machine_name: str, prefix: str | None = None, known: Iterable[str] = ()) -> str | None:
    """The pipeline a state machine runs, by its name: with a prefix, only
    ``<prefix>-<pipeline>``; otherwise a known pipeline whose name ends the
    machine's name (``<anything>-<pipeline>``), else the machine's own name."""
    if prefix:
        return machine_name[len(prefix) + 1 :] if machine_name.startswith(prefix + "-") and len(machine_name) > len(prefix) + 1 else None
    for name in sorted(known, key=len, reverse=True):
        if machine_name == name or machine_name.endswith("-" + name):
            return name
    return None


def known_pipeline_names(folders: Iterable[Path] | None = None) -> set[str]:
    """Names of the pipeline files of this project (and of ./pipelines/): the
    ``pipeline:`` field, read without validating the whole file."""
    import yaml

    from runners.pipelines import PIPELINES_DIR, pipeline_files

    names: set[str] = set()
    candidates = list(folders) if folders is not None else [PIPELINES_DIR, Path.cwd() / "pipelines"]
    for folder in candidates:
        if not folder.is_dir():
            continue
        for path in pipeline_files(folder):
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError):
                continue
            if isinstance(data, dict) and isinstance(data.get("pipeline"), str):
                names.add(data["pipeline"])
    return names


def state_machines(sfn: Any) -> list[dict[str, Any]]:
    machines: list[dict[str, Any]] = []
    for page in sfn.get_paginator("list_state_machines").paginate():
        machines.extend(page["stateMachines"])
    return machines


def find_pipelines(sfn: Any, prefix: str | None = None, every_machine: bool = False, known: Iterable[str] | None = None) -> list[PipelineRef]:
    """Pipelines deployed in this account and region, by name. ``every_machine``:
    every state machine, named by itself when it matches no pipeline."""
    names = set(known) if known is not None else (set() if prefix else known_pipeline_names())
    found = []
    for machine in state_machines(sfn):
        name = pipeline_name(machine["name"], prefix, names)
        if name is None and every_machine and not prefix:
            name = machine["name"]
        if name is not None:
            found.append(PipelineRef(name, machine["name"], machine["stateMachineArn"]))
    return sorted(found, key=lambda p: (p.name, p.state_machine_name))


def find_pipeline(sfn: Any, name: str, prefix: str | None = None) -> PipelineRef:
    """One pipeline by its name, its state machine's name or ARN. Refuses to guess
    between several (say which, and that --prefix chooses)."""
    machines = state_machines(sfn)
    for machine in machines:
        if name == machine["stateMachineArn"] or (name == machine["name"] and not prefix):
            return PipelineRef(pipeline_name(machine["name"], None, [name]) or machine["name"], machine["name"], machine["stateMachineArn"])
    matches = [m for m in machines if pipeline_name(m["name"], prefix, [name]) == name]
    if not matches and not prefix:
        matches = [m for m in machines if _tagged(sfn, m["stateMachineArn"]) == name]
    if len(matches) == 1:
        return PipelineRef(name, matches[0]["name"], matches[0]["stateMachineArn"])
    if matches:
        listed = ", ".join(sorted(m["name"] for m in matches))
        raise ValueError(f"pipeline {name!r} is deployed more than once ({listed}): pass --prefix or the state machine's name")
    where = f" with prefix {prefix!r}" if prefix else ""
    others = ", ".join(sorted(m["name"] for m in machines)[:20]) or "none"
    raise ValueError(f"no pipeline {name!r}{where} among the state machines (found: {others})")


def _tagged(sfn: Any, arn: str) -> str | None:
    tags = sfn.list_tags_for_resource(resourceArn=arn).get("tags", [])
    return next((t["value"] for t in tags if t.get("key") == PIPELINE_TAG), None)


def execution_arn(sfn: Any, target: str, prefix: str | None = None) -> str:
    """An execution named by its ARN, by ``PIPELINE/EXECUTION_NAME``, or by a
    pipeline name alone (its latest execution)."""
    if ":execution:" in target:
        return target
    pipeline_part, _, execution_name = target.partition("/")
    pipeline = find_pipeline(sfn, pipeline_part, prefix)
    if execution_name:
        return execution_arn_for(pipeline.state_machine_arn, execution_name)
    latest = sfn.list_executions(stateMachineArn=pipeline.state_machine_arn, maxResults=1).get("executions", [])
    if not latest:
        raise ValueError(f"pipeline {pipeline.name} ({pipeline.state_machine_name}) has no executions yet")
    return latest[0]["executionArn"]


def execution_arn_for(state_machine_arn: str, execution_name: str) -> str:
    """arn:aws:states:R:A:stateMachine:M -> arn:aws:states:R:A:execution:M:NAME (as AWS builds it)."""
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + ":" + execution_name
