"""A Glue step's job definition (CreateJob's fields), the one source for the
local deployer and the pipeline stack."""

from __future__ import annotations

from typing import Any

from .model import Step
from .templates import resolve


def job_definition(step: Step, role_arn: str, script_location: str, variables: dict[str, str], extra_arguments: dict[str, str] | None = None) -> dict[str, Any]:
    """``variables``: the deploy-time template values (job parameters may use them)."""
    assert step.glue is not None
    job = step.glue
    definition: dict[str, Any] = {
        "Role": role_arn,
        "Command": {"Name": "glueetl", "ScriptLocation": script_location, "PythonVersion": "3"},
        "GlueVersion": job.glue_version,
        "WorkerType": job.worker_type,
        "NumberOfWorkers": job.workers,
        "Timeout": job.timeout_minutes,
        "MaxRetries": 0,
        "ExecutionProperty": {"MaxConcurrentRuns": job.max_concurrent_runs},
        "DefaultArguments": {"--job-language": "python", **{k: resolve(v, variables) for k, v in job.job_parameters}, **(extra_arguments or {})},
    }
    if job.description:
        definition["Description"] = job.description
    return definition
