"""StopExecution as on AWS, for moto's executing ("parser") backend.

moto 5.2.5 drops ``error`` and ``cause`` and only flags the interpreter as
stopped; the execution stays RUNNING until the state it is in returns on its
own. A Task waiting for an activity never returns, so the stop response has
no ``stopDate``, DescribeExecution keeps saying RUNNING and the history never
gets its ``ExecutionAborted`` event. And if the state did return, its
Retry/Catch handling or a late ``ExecutionFailed`` could still replace the
abort.

AWS ends the execution when the call is made. So StopExecution here does it
in the call, under the interpreter's state lock so that nothing can end the
execution in between:

* the history is sealed with ``ExecutionAborted`` (``previousEventId`` 0,
  details holding only the ``error``/``cause`` given, as AWS records them),
  and whatever the unwinding interpreter would still log is dropped;
* the execution becomes ABORTED with the stop date, ``error`` and ``cause``
  (DescribeExecution and ListExecutions show them) and moto's end-of-run
  bookkeeping leaves it that way;
* the interpreter is marked stopped (so every task token of the execution
  answers TaskTimedOut and a task nobody took yet is never handed out) and
  every wait on a callback, heartbeat or task start is woken, so its threads
  unwind instead of waiting out TimeoutSeconds.

Stopping an execution that has already ended changes nothing and answers
with its stop date (the API reference lists no error for that case, and it
is what moto answers too).
"""

from __future__ import annotations

import datetime
import inspect
import threading
import time
from typing import Any, Callable

from moto.core.responses import ActionResult
from moto.stepfunctions import responses as sfn_responses
from moto.stepfunctions.models import StepFunctionBackend
from moto.stepfunctions.parser.api import (
    ExecutionAbortedEventDetails,
    ExecutionStatus,
    ExecutionTimedOutEventDetails,
    HistoryEventType,
)
from moto.stepfunctions.parser.asl.eval.callback.callback import (
    ActivityCallbackEndpoint,
    ActivityTaskStartEndpoint,
    CallbackEndpoint,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext, EventManager
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

from embedded_aws import compat
from embedded_aws.compat import EmulatorCompatibilityError
from embedded_aws.stepfunctions import status_events

# How long a stop waits for an execution that is just starting (its
# interpreter not yet running) or just ending on its own (status not yet
# recorded). Both last milliseconds.
SETTLE_SECONDS = 5.0

_SEALED = "_etl_local_history_sealed"  # on an EventManager: no events after the terminal one
_STOPPED = "_etl_local_stopped"  # on an Execution: StopExecution has ended it
_SEAL_LOCK = threading.RLock()  # makes "sealed?" and "append" one step


# --- history sealing ------------------------------------------------------------

_moto_add_event: Callable[..., Any] | None = None


def _add_event(self: EventManager, *args: Any, **kwargs: Any) -> Any:
    """EventManager.add_event that records nothing once the history is sealed."""
    with _SEAL_LOCK:
        sealed = self.__dict__.get(_SEALED)
        if sealed is not None:
            return sealed
        return _moto_add_event(self, *args, **kwargs)  # type: ignore[misc]


def _seal(event_manager: EventManager, stop_date: datetime.datetime, error: str | None, cause: str | None) -> None:
    details = ExecutionAbortedEventDetails()
    if error is not None:
        details["error"] = error
    if cause is not None:
        details["cause"] = cause
    with _SEAL_LOCK:
        event_id = _moto_add_event(  # type: ignore[misc]
            event_manager,
            context=EventHistoryContext(previous_event_id=0),  # AWS: previousEventId 0
            event_type=HistoryEventType.ExecutionAborted,
            event_details=EventDetails(executionAbortedEventDetails=details),
            timestamp=stop_date,
        )
        setattr(event_manager, _SEALED, event_id)


# --- execution timeout ---------------------------------------------------------------

_moto_set_timed_out: Callable[[Environment], None] | None = None


def _set_timed_out(self: Environment) -> None:
    """An execution's TimeoutSeconds ends it at once: ``ExecutionTimedOut`` is
    recorded now and seals the history.

    moto only wrote the event when the state in flight finally returned (a
    task nobody takes: never), and whatever that state logged on its way out
    (ActivityTimedOut, ExecutionFailed) came first.
    """
    if not self.is_frame():
        with _SEAL_LOCK:
            if self.event_manager.__dict__.get(_SEALED) is None:
                event_id = _moto_add_event(  # type: ignore[misc]
                    self.event_manager,
                    context=self.event_history_context,
                    event_type=HistoryEventType.ExecutionTimedOut,
                    event_details=EventDetails(executionTimedOutEventDetails=ExecutionTimedOutEventDetails()),
                )
                setattr(self.event_manager, _SEALED, event_id)
    _moto_set_timed_out(self)  # type: ignore[misc]


# --- execution status ---------------------------------------------------------------

_moto_terminated: Callable[[BaseExecutionWorkerCommunication], None] | None = None


def _terminated(self: BaseExecutionWorkerCommunication) -> None:
    """Keep the status StopExecution gave (its event is out already); moto
    would restamp or replace it. Otherwise record the end and announce it."""
    if self.execution.__dict__.get(_STOPPED):
        return
    _moto_terminated(self)  # type: ignore[misc]
    status_events.emit(self.execution)


def reopen(execution: Execution, env: Environment) -> None:
    """Undo the seal of a stopped execution's history and status (RedriveExecution continues it)."""
    with _SEAL_LOCK:
        env.event_manager.__dict__.pop(_SEALED, None)
        execution.__dict__.pop(_STOPPED, None)


# --- StopExecution ------------------------------------------------------------------


def _abort(execution: Execution, env: Environment, error: str | None, cause: str | None) -> datetime.datetime:
    """End a running execution now. The caller holds ``env._state_mutex``."""
    stop_date = datetime.datetime.now(tz=datetime.timezone.utc)
    _seal(env.event_manager, stop_date, error, cause)
    setattr(execution, _STOPPED, True)
    execution.error = error
    execution.cause = cause
    execution.stop_date = stop_date
    execution.exec_status = ExecutionStatus.ABORTED
    # Last, so nothing sees the interpreter stopped before the above is true.
    env.set_stop(stop_date=stop_date, cause=cause, error=error)
    return stop_date


def _wake_waits(env: Environment) -> None:
    """End every callback, heartbeat and task-start wait of the execution."""
    for endpoint in list(env.callback_pool_manager._pool.values()):  # type: ignore[attr-defined]
        endpoint.interrupt_all()
        if isinstance(endpoint, ActivityCallbackEndpoint):
            endpoint.get_activity_task_start_endpoint()._next_activity_task_start_event.set()


def stop(execution: Execution, error: str | None, cause: str | None) -> datetime.datetime:
    """Stop ``execution`` as AWS does and return its stop date."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        if execution.exec_status != ExecutionStatus.RUNNING:
            return execution.stop_date  # already ended: nothing changes
        worker: ExecutionWorker | None = execution.exec_worker
        env = worker.env if worker is not None else None
        if env is not None:
            with env._state_mutex:  # type: ignore[attr-defined]
                stop_date = _abort(execution, env, error, cause) if env.is_running() else None
            if stop_date is not None:
                _wake_waits(env)
                status_events.emit(execution)
                return stop_date
        # Starting (no interpreter state yet) or ending on its own: look again shortly.
        if time.monotonic() >= deadline:
            return execution.stop_date or datetime.datetime.now(tz=datetime.timezone.utc)
        time.sleep(0.005)


_moto_stop_execution: Callable[[sfn_responses.StepFunctionResponse], ActionResult] | None = None


def stop_execution(self: sfn_responses.StepFunctionResponse) -> ActionResult:
    """StopExecution with ``error`` and ``cause``, ending the execution in the call."""
    execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
    if not isinstance(execution, Execution):  # moto's non-executing backend: its own stop
        return _moto_stop_execution(self)  # type: ignore[misc]
    stop_date = stop(execution, self._get_param("error"), self._get_param("cause"))
    return ActionResult({"stopDate": stop_date})


# --- install --------------------------------------------------------------------------


def _check() -> None:
    """Raise EmulatorCompatibilityError unless the moto internals used here are as expected."""
    problems: list[str] = []

    def params(func: Any, where: str, *names: str) -> None:
        compat.require_params(problems, func, where, *names)

    def source_mentions(func: Any, where: str, snippet: str) -> None:
        try:
            if snippet not in inspect.getsource(func):
                problems.append(f"{where} no longer contains {snippet!r}")
        except (OSError, TypeError):
            problems.append(f"{where}: source unavailable")

    response = sfn_responses.StepFunctionResponse
    for name in ("stop_execution", "stepfunction_backend", "_get_param"):
        if not hasattr(response, name):
            problems.append(f"StepFunctionResponse.{name} is missing")
    params(StepFunctionBackend.describe_execution, "StepFunctionBackend.describe_execution", "execution_arn")

    for name in ("exec_worker", "exec_status", "stop_date", "error", "cause"):
        if name not in Execution.__annotations__:
            problems.append(f"parser Execution has no {name}")
    if "env" not in ExecutionWorker.__annotations__:
        problems.append("ExecutionWorker has no env")
    if not hasattr(BaseExecutionWorkerCommunication, "terminated"):
        problems.append("BaseExecutionWorkerCommunication.terminated is missing")
    else:
        source_mentions(BaseExecutionWorkerCommunication.terminated, "BaseExecutionWorkerCommunication.terminated",
                        "_reflect_execution_status")
    if "execution" not in BaseExecutionWorkerCommunication.__annotations__:
        problems.append("BaseExecutionWorkerCommunication has no execution")

    for name in ("_state_mutex", "event_manager", "callback_pool_manager"):
        if name not in Environment.__annotations__:
            problems.append(f"Environment has no {name}")
    for name in ("is_running", "set_stop", "set_timed_out", "is_frame"):
        if not hasattr(Environment, name):
            problems.append(f"Environment.{name} is missing")
    params(Environment.set_stop, "Environment.set_stop", "stop_date", "cause", "error")
    source_mentions(Environment.set_stop, "Environment.set_stop", "self._state_mutex")

    params(EventManager.add_event, "EventManager.add_event", "context", "event_type", "event_details", "timestamp")
    params(EventHistoryContext.__init__, "EventHistoryContext.__init__", "previous_event_id")
    if "executionAbortedEventDetails" not in EventDetails.__annotations__:
        problems.append("EventDetails has no executionAbortedEventDetails")
    if not hasattr(HistoryEventType, "ExecutionAborted"):
        problems.append("HistoryEventType.ExecutionAborted is missing")

    if not hasattr(CallbackEndpoint, "interrupt_all"):
        problems.append("CallbackEndpoint.interrupt_all is missing")
    if not hasattr(ActivityCallbackEndpoint, "get_activity_task_start_endpoint"):
        problems.append("ActivityCallbackEndpoint.get_activity_task_start_endpoint is missing")
    if not isinstance(getattr(ActivityTaskStartEndpoint(), "_next_activity_task_start_event", None), threading.Event):
        problems.append("ActivityTaskStartEndpoint instances have no _next_activity_task_start_event")
    if problems:
        raise EmulatorCompatibilityError(problems)


_INSTALLED = False


def install() -> None:
    """Make StopExecution end executions as AWS does (idempotent)."""
    global _INSTALLED, _moto_add_event, _moto_terminated, _moto_stop_execution, _moto_set_timed_out
    if _INSTALLED:
        return
    _check()
    _moto_add_event = EventManager.add_event
    _moto_terminated = BaseExecutionWorkerCommunication.terminated
    _moto_stop_execution = sfn_responses.StepFunctionResponse.stop_execution
    EventManager.add_event = _add_event  # type: ignore[method-assign]
    _moto_set_timed_out = Environment.set_timed_out
    Environment.set_timed_out = _set_timed_out  # type: ignore[method-assign]
    BaseExecutionWorkerCommunication.terminated = _terminated  # type: ignore[method-assign]
    sfn_responses.StepFunctionResponse.stop_execution = stop_execution  # type: ignore[method-assign]
    _INSTALLED = True
