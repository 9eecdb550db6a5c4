"""Small corrections to moto's Step Functions API that workers and tests notice.

* StartExecution without a ``name``: AWS names the execution with a UUID;
  moto's executing backend names it ``None``, so a second unnamed execution
  of the same state machine collides (ExecutionAlreadyExists).
"""

from __future__ import annotations

import uuid

from moto.core.responses import ActionResult
from moto.stepfunctions import responses as sfn_responses


def start_execution(self: sfn_responses.StepFunctionResponse) -> ActionResult:
    execution = self.stepfunction_backend.start_execution(
        self._get_param("stateMachineArn"),
        self._get_param("name") or str(uuid.uuid4()),
        self._get_param("input", if_none="{}"),
    )
    return ActionResult({"executionArn": execution.execution_arn, "startDate": execution.start_date})


_INSTALLED = False


def install() -> None:
    """Apply the fixes to moto's StepFunctionResponse (idempotent)."""
    global _INSTALLED
    if not _INSTALLED:
        sfn_responses.StepFunctionResponse.start_execution = start_execution  # type: ignore[method-assign]
        _INSTALLED = True
