"""Retrying transient AWS errors: jittered exponential backoff on an explicit list.

Only errors that say "try again" are retried; everything else surfaces at once
so a bad request fails its task instead of spinning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, TypeVar

import structlog
from botocore.exceptions import ClientError, ConnectionClosedError, ConnectTimeoutError, EndpointConnectionError
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, stop_before_delay, wait_random_exponential

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
        # 501 Not Implemented is a final answer (the embedded AWS says so for an
        # action it does not support); other 5xx are worth another try.
        return isinstance(status, int) and status >= 500 and status != 501
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
    max_seconds: float | None = None,
    **kwargs: Any,
) -> T:
    """Call ``fn`` retrying transient errors with full-jitter exponential backoff.

    ``max_seconds`` bounds the whole call, sleeps included: no retry starts a
    sleep that would end past it."""
    stop = stop_after_attempt(max_attempts)
    if max_seconds is not None:
        stop = stop | stop_before_delay(max_seconds)
    retrying = Retrying(
        retry=retry_if_exception(is_transient),
        wait=wait_random_exponential(multiplier=multiplier, max=max_wait_seconds),
        stop=stop,
        before_sleep=_log_before_sleep,
        reraise=True,
    )
    return retrying(fn, *args, **kwargs)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one AWS call is retried before its caller hears of the error.

    Calls made on a worker's check or heartbeat thread use a short budget: the
    next cycle is their retry, and one task's trouble must not stall the
    others (head-of-line blocking). Calls where giving up costs more (recording
    a task we hold the token of) use a longer one."""

    max_attempts: int = 8
    max_seconds: float | None = 2.0

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return call_with_retry(fn, *args, max_attempts=self.max_attempts, max_seconds=self.max_seconds, **kwargs)
