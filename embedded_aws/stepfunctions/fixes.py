"""Small corrections to moto's Step Functions API that workers and tests notice.

* StartExecution without a ``name``: AWS names the execution with a UUID;
  moto's executing backend names it ``None``, so a second unnamed execution
  of the same state machine collides (ExecutionAlreadyExists).
* Two StartExecution calls with one name at the same instant: moto checks
  the name, then adds the execution, so both could start. AWS starts one
  (execution names are what makes a run date start once), so starts are
  serialised here.
"""

from __future__ import annotations

import threading
import uuid

from moto.core.responses import ActionResult
from moto.stepfunctions import responses as sfn_responses


_START_LOCK = threading.Lock()


def start_execution(self: sfn_responses.StepFunctionResponse) -> ActionResult:
    with _START_LOCK:
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
