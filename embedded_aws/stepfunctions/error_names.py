"""Error names as AWS reports and matches them.

* A Choice state with no matching rule and no ``Default`` fails with
  ``States.NoChoiceMatched`` (moto: ``States.Runtime`` from a RuntimeError).
* A missed heartbeat is ``States.HeartbeatTimeout`` (a distinct, catchable
  name), for activities (``ActivityTimedOut``) and callback tasks
  (``TaskTimedOut``); moto reported ``States.Timeout``. As documented, a
  Retry/Catch on ``States.Timeout`` still matches it (that name covers "ran
  longer than TimeoutSeconds, or failed to send a heartbeat").
* ``States.ALL`` matches every error except the terminal
  ``States.DataLimitExceeded`` and ``States.Runtime`` (moto matched all).
"""

from __future__ import annotations

from typing import Callable

from moto.stepfunctions.parser.api import ExecutionFailedEventDetails, HistoryEventType
from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.state.choice.state_choice import StateChoice
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask
from moto.stepfunctions.parser.asl.eval.callback.callback import HeartbeatTimeoutError
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails


def states_failure(env: Environment, error: StatesErrorNameType, cause: str) -> FailureEventException:
    """An ``ExecutionFailed``-shaped failure with a ``States.*`` error name."""
    return FailureEventException(
        FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=error),
            event_type=HistoryEventType.ExecutionFailed,
            event_details=EventDetails(
                executionFailedEventDetails=ExecutionFailedEventDetails(error=error.to_name(), cause=cause)
            ),
        )
    )


# --- Choice without a match ---------------------------------------------------------------


def _choice_eval_state(self: StateChoice, env: Environment) -> None:
    for rule in self.choices_decl.rules:
        rule.eval(env)
        if env.stack.pop() is True:
            env.stack.append(rule.next_stmt.name)
            return
    if self.default_state is None:
        raise states_failure(
            env, StatesErrorNameType.StatesNoChoiceMatched,
            f"No Choice rule of state '{self.name}' matched its input and it has no Default.",
        )
    env.stack.append(self.default_state.state_name)


# --- heartbeat expiry ------------------------------------------------------------------------


def heartbeat_timed_out(env: Environment, event_type: HistoryEventType, details_field: str) -> FailureEvent:
    """The failure AWS records when a task's heartbeat is missed."""
    name = StatesErrorNameType.StatesHeartbeatTimeout
    return FailureEvent(
        env=env,
        error_name=StatesErrorName(typ=name),
        event_type=event_type,
        event_details=EventDetails(**{details_field: {"error": name.to_name()}}),
    )


_moto_task_from_error: Callable[..., FailureEvent] | None = None


def _task_from_error(self: StateTask, env: Environment, ex: Exception) -> FailureEvent:
    if isinstance(ex, HeartbeatTimeoutError):
        event = heartbeat_timed_out(env, HistoryEventType.TaskTimedOut, "taskTimedOutEventDetails")
        if hasattr(self, "_get_sfn_resource"):  # service tasks name their resource, as for States.Timeout
            details = event.event_details["taskTimedOutEventDetails"]  # type: ignore[index]
            details["resourceType"] = self._get_sfn_resource_type()
            details["resource"] = self._get_sfn_resource()
        return event
    return _moto_task_from_error(self, env, ex)  # type: ignore[misc]


_TIMEOUT = StatesErrorName(typ=StatesErrorNameType.StatesTimeout)
_HEARTBEAT = StatesErrorName(typ=StatesErrorNameType.StatesHeartbeatTimeout)
_ALL = StatesErrorName(typ=StatesErrorNameType.StatesALL)
_NOT_CAUGHT_BY_ALL = {
    StatesErrorNameType.StatesRuntime.to_name(),
    StatesErrorNameType.StatesStatesDataLimitExceeded.to_name(),
}
_moto_error_equals: Callable[..., None] | None = None


def _error_equals(self: ErrorEqualsDecl, env: Environment) -> None:
    error_name = env.stack[-1]
    name = getattr(error_name, "error_name", None)
    if name == _HEARTBEAT.error_name and _TIMEOUT in self.error_names:
        env.stack.pop()
        env.stack.append(True)
        return
    if name in _NOT_CAUGHT_BY_ALL and self.error_names == [_ALL]:
        env.stack.pop()
        env.stack.append(False)
        return
    _moto_error_equals(self, env)  # type: ignore[misc]


_INSTALLED = False


def install() -> None:
    """Apply the naming and matching rules above (idempotent)."""
    global _INSTALLED, _moto_task_from_error, _moto_error_equals
    if _INSTALLED:
        return
    StateChoice._eval_state = _choice_eval_state  # type: ignore[method-assign]
    _moto_task_from_error = StateTask._from_error
    StateTask._from_error = _task_from_error  # type: ignore[method-assign]
    _moto_error_equals = ErrorEqualsDecl._eval_body
    ErrorEqualsDecl._eval_body = _error_equals  # type: ignore[method-assign]
    _INSTALLED = True
