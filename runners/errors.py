"""One error hierarchy, mapped to Step Functions error names in one function.

A state machine catches these names in ``Catch``/``Retry``. The cause is
always readable JSON so a person (or a notification step) can see what went
wrong without opening the service console.
"""

from __future__ import annotations

import json
from typing import Any

# Step Functions limits: error 256 chars, cause 32,768 chars.
MAX_CAUSE_CHARS = 32768


class RunnerError(Exception):
    """Base of every error this service reports to Step Functions."""

    error_name = "RunnerError"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def cause(self) -> dict[str, Any]:
        return {"errorMessage": self.message, **self.details}


class InvalidTaskInputError(RunnerError):
    """The task input cannot be run: not JSON, wrong types, unknown job, too large."""

    error_name = "InvalidTaskInputError"


class JobStartFailedError(RunnerError):
    """The service refused to start the job or query for a reason retrying will not fix."""

    error_name = "JobStartFailedError"


class TaskNotRecordedError(RunnerError):
    """The task could not be recorded in DynamoDB, so it cannot be run safely
    (exactly once); it is failed at once rather than dropped with its token."""

    error_name = "TaskNotRecordedError"


class GlueJobFailedError(RunnerError):
    """The Glue job run ended in a state other than SUCCEEDED."""

    error_name = "GlueJobFailedError"


class AthenaQueryFailedError(RunnerError):
    """The Athena query ended in a state other than SUCCEEDED."""

    error_name = "AthenaQueryFailedError"


class DependencyGateTimeoutError(RunnerError):
    """The Glue jobs or state machines a step's ``DependencyGate`` waits for
    were still busy ``MaxWaitSeconds`` after the gate was first found closed;
    the cause names them."""

    error_name = "DependencyGateTimeoutError"


class DependencyGateCheckFailedError(RunnerError):
    """A step's ``DependencyGate`` cannot be checked: the service refused a
    status call for a reason a retry will not fix (AccessDenied, no such job
    or state machine)."""

    error_name = "DependencyGateCheckFailedError"


class StartDeferred(Exception):
    """Not an error: the service asked us to try the start again later
    (for example Glue ``ConcurrentRunsExceededException``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def to_sfn_failure(exc: BaseException) -> tuple[str, str]:
    """Map any exception to the (error, cause) pair sent with SendTaskFailure."""
    if isinstance(exc, RunnerError):
        name, cause = exc.error_name, exc.cause()
    else:
        # Unexpected: still a named, readable failure rather than a hung task.
        name, cause = "RunnerInternalError", {"errorMessage": str(exc), "errorType": type(exc).__name__}
    text = json.dumps(cause, default=str, sort_keys=True)
    if len(text) > MAX_CAUSE_CHARS:
        text = json.dumps({"errorMessage": cause.get("errorMessage", "")[:MAX_CAUSE_CHARS - 200], "truncated": True})
    return name, text
