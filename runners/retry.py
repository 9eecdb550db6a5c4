"""Retrying transient AWS errors: jittered exponential backoff on an explicit list.

Only errors that say "try again" are retried; everything else surfaces at once
so a bad request fails its task instead of spinning.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

import structlog
from botocore.exceptions import ClientError, ConnectionClosedError, ConnectTimeoutError, EndpointConnectionError
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

log = structlog.get_logger(__name__)

T = TypeVar("T")

RETRYABLE_ERROR_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "RequestThrottled",
        "InternalServerException",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalServiceException",
    }
)

# Read timeouts are deliberately absent: a request may have been served, and
# the caller must decide whether repeating it is safe.
RETRYABLE_CONNECTION_ERRORS = (EndpointConnectionError, ConnectTimeoutError, ConnectionClosedError)


def error_code(exc: BaseException) -> str | None:
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code")
    return None


def is_transient(exc: BaseException) -> bool:
    """True for throttling, 5xx and connection failures."""
    if isinstance(exc, RETRYABLE_CONNECTION_ERRORS):
        return True
    if isinstance(exc, ClientError):
        if error_code(exc) in RETRYABLE_ERROR_CODES:
            return True
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return isinstance(status, int) and status >= 500
    return False


def _log_before_sleep(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.warning(
        "aws_call_retry",
        call=getattr(state.fn, "__qualname__", str(state.fn)),
        attempt=state.attempt_number,
        error=error_code(exc) if exc else None,
        error_type=type(exc).__name__ if exc else None,
        sleep_seconds=round(state.next_action.sleep, 3) if state.next_action else None,
    )


def call_with_retry(
    fn: Callable[..., T],
    *args: Any,
    max_attempts: int = 8,
    max_wait_seconds: float = 20.0,
    multiplier: float = 0.1,
    **kwargs: Any,
) -> T:
    """Call ``fn`` retrying transient errors with full-jitter exponential backoff."""
    retrying = Retrying(
        retry=retry_if_exception(is_transient),
        wait=wait_random_exponential(multiplier=multiplier, max=max_wait_seconds),
        stop=stop_after_attempt(max_attempts),
        before_sleep=_log_before_sleep,
        reraise=True,
    )
    return retrying(fn, *args, **kwargs)
