"""Which deployed state machine a command operates on, and where its pipeline's data lives.

A pipeline's state machine is named ``<prefix>-<pipeline>`` (the stack
prefix: ``ETL_STACK_PREFIX``, default ``etl-runner``; ``local`` for
`etl-runner pipeline run`, ``etl-demo`` for the demo). ``--state-machine-arn``
overrides the lookup. The deployment's values a pipeline file refers to
(``${data_bucket}``, ``${artifacts_bucket}``, ``${database}``) are the state
machine's tags (``TAG_*``), which the local deployer and the pipeline stack
set; only ``--clean-up`` needs them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from runners.config import ENV_STACK_PREFIX

DEFAULT_PREFIX = "etl-runner"
TAG_PIPELINE = "etl-runner:pipeline"
TAG_DATA_BUCKET = "etl-runner:data-bucket"
TAG_ARTIFACTS_BUCKET = "etl-runner:artifacts-bucket"
TAG_DATABASE = "etl-runner:database"
# pipeline-file variable -> tag
VARIABLE_TAGS = {"data_bucket": TAG_DATA_BUCKET, "artifacts_bucket": TAG_ARTIFACTS_BUCKET, "database": TAG_DATABASE}


class TargetNotFound(ValueError):
    """No state machine for the pipeline (not deployed, or another prefix or region)."""


@dataclass(frozen=True)
class Target:
    """A deployed pipeline: its state machine and the values its file's templates take."""

    state_machine_arn: str
    variables: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.state_machine_arn.rsplit(":", 1)[-1]


def state_machine_name(prefix: str, pipeline: str) -> str:
    return f"{prefix}-{pipeline}"


def default_prefix() -> str:
    return os.environ.get(ENV_STACK_PREFIX) or DEFAULT_PREFIX


def deployment_tags(pipeline: str, data_bucket: str, artifacts_bucket: str, database: str) -> list[dict[str, str]]:
    """The tags a deployed state machine carries (TagResource's shape)."""
    values = {TAG_PIPELINE: pipeline, TAG_DATA_BUCKET: data_bucket, TAG_ARTIFACTS_BUCKET: artifacts_bucket, TAG_DATABASE: database}
    return [{"key": key, "value": value} for key, value in values.items()]


def find_target(sfn: Any, pipeline: str, prefix: str | None = None, state_machine_arn: str | None = None) -> Target:
    """The pipeline's state machine (by name, unless its ARN is given) and its deployment values."""
    if not state_machine_arn:
        wanted = state_machine_name(prefix or default_prefix(), pipeline)
        for page in sfn.get_paginator("list_state_machines").paginate():
            for machine in page["stateMachines"]:
                if machine["name"] == wanted:
                    state_machine_arn = machine["stateMachineArn"]
                    break
            if state_machine_arn:
                break
        if not state_machine_arn:
            raise TargetNotFound(f"no state machine named {wanted} in {sfn.meta.region_name} (not deployed? "
                                 f"give --prefix, ETL_STACK_PREFIX or --state-machine-arn)")
    tags = {t["key"]: t["value"] for t in sfn.list_tags_for_resource(resourceArn=state_machine_arn).get("tags", [])}
    variables = {name: tags[tag] for name, tag in VARIABLE_TAGS.items() if tag in tags}
    variables["pipeline"] = tags.get(TAG_PIPELINE, pipeline)
    return Target(state_machine_arn, variables)
