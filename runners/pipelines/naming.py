"""The names a pipeline is deployed under, in one place.

Stacks, Glue jobs, the state machine, rules and schedules are named from the
stack prefix (``ETL_STACK_PREFIX``) and the pipeline's name, so a gate or a
trigger can name another pipeline's state machine, and a queue policy can
admit exactly the account's rules named ``<prefix>-*``.
"""

from __future__ import annotations

import hashlib

from .model import Pipeline, Step

DEFAULT_PREFIX = "etl-runner"
SHARED_STACKS = ("glue-resources", "step-functions-resources", "runner-resources")
PIPELINE_STACK_PREFIX = "pipeline-"
GLUE_SCRIPTS_PREFIX = "glue-scripts/"
ATHENA_RESULTS_PREFIX = "athena-results/"
DEFINITIONS_PREFIX = "state-machine/"

# AWS name limits
_MAX_RULE = 64
_MAX_SCHEDULE = 64
_MAX_STATE_MACHINE = 80
_MAX_JOB = 255
_MAX_MANAGED_POLICY = 128


def bounded(name: str, limit: int) -> str:
    """``name`` if it fits, else its start and a short hash of the whole (still unique)."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9].rstrip('-')}-{digest}"


def stack(pipeline: Pipeline | str) -> str:
    """The build's name of a pipeline's stack (``pipeline-<name>``); its CloudFormation
    name is ``<prefix>-pipeline-<name>``, so it cannot clash with a shared stack."""
    return PIPELINE_STACK_PREFIX + _name(pipeline)


def stack_name(prefix: str, pipeline: Pipeline | str) -> str:
    return f"{prefix}-{stack(pipeline)}"


def shared_stack_name(prefix: str, shared: str) -> str:
    assert shared in SHARED_STACKS, shared
    return f"{prefix}-{shared}"


def state_machine(prefix: str, pipeline: Pipeline | str) -> str:
    return bounded(f"{prefix}-{_name(pipeline)}", _MAX_STATE_MACHINE)


def state_machine_arn(prefix: str, pipeline: Pipeline | str, *, partition: str, region: str, account: str) -> str:
    return f"arn:{partition}:states:{region}:{account}:stateMachine:{state_machine(prefix, pipeline)}"


def glue_job(prefix: str, pipeline: Pipeline, step: Step) -> str:
    assert step.glue is not None
    return bounded(f"{prefix}-{pipeline.name}-{step.glue.job_name}", _MAX_JOB)


def gate_job(prefix: str, pipeline: Pipeline, job: str) -> str:
    """A gate names a Glue step of this pipeline by its id, or any job by its deployed name."""
    step = pipeline.steps.get(job)
    return glue_job(prefix, pipeline, step) if step is not None and step.glue is not None else job


def rule(prefix: str, pipeline: Pipeline | str, suffix: str) -> str:
    return bounded(f"{prefix}-{_name(pipeline)}-{suffix}", _MAX_RULE)


def schedule(prefix: str, pipeline: Pipeline | str) -> str:
    return bounded(f"{prefix}-{_name(pipeline)}", _MAX_SCHEDULE)


def shared_role_policy(prefix: str, pipeline: Pipeline | str, role: str) -> str:
    """Name of the managed policy a pipeline attaches to a shared role (``runner``,
    ``object-created``, ``pipeline-trigger``); managed policy names are the
    account's, so the prefix is part of it."""
    return bounded(f"{prefix}-{_name(pipeline)}-{role}", _MAX_MANAGED_POLICY)


def script_key(pipeline: Pipeline, step: Step) -> str:
    """Where the build uploads a Glue step's script in the artifact bucket."""
    assert step.glue is not None
    return f"{GLUE_SCRIPTS_PREFIX}{pipeline.name}/{step.glue.script.rsplit('/', 1)[-1]}"


def results_prefix(pipeline: Pipeline | str) -> str:
    """The pipeline's Athena results, under the artifact bucket's athena-results/."""
    return f"{ATHENA_RESULTS_PREFIX}{_name(pipeline)}/"


def _name(pipeline: Pipeline | str) -> str:
    return pipeline if isinstance(pipeline, str) else pipeline.name
