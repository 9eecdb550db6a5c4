"""Corrections to moto's ASL interpreter where it runs a state machine differently from AWS.

Each fix is one documented behaviour (Amazon States Language specification
and the Step Functions developer guide):

* A definite JSONPath (``$.books[0].title``: no wildcard, slice, filter,
  union or ``..``) selects one value; only indefinite paths give a list.
  moto wrapped any path that passed an array index into a list.
* A Choice state with no matching rule and no ``Default`` fails with
  ``States.NoChoiceMatched`` (moto: ``States.Runtime`` from a RuntimeError).
* A missed heartbeat is ``States.HeartbeatTimeout`` (a distinct, catchable
  error name), for activities (``ActivityTimedOut``) and callback tasks
  (``TaskTimedOut``); moto reported ``States.Timeout``. As documented, a
  Retry/Catch on ``States.Timeout`` still matches it (that name covers
  "ran longer than TimeoutSeconds, or failed to send a heartbeat").
* ``States.ALL`` matches every error except the terminal
  ``States.DataLimitExceeded`` and ``States.Runtime`` (moto matched all).
* A Wait with ``Timestamp``/``TimestampPath`` waits until that instant in UTC
  (RFC 3339, ``Z`` or a numeric offset), never less; moto compared a naive
  timestamp with the host's local clock and truncated to whole seconds.
* A Distributed Map accepts an integer ``ToleratedFailurePercentage`` (moto's
  grammar only took decimals) and fails with
  ``States.ExceedToleratedFailureThreshold`` once failed items exceed
  ``ToleratedFailureCount`` or ``ToleratedFailurePercentage`` (default: no
  failure tolerated); moto ignored both and always succeeded.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any, Callable

from jsonpath_ng.ext import parse as parse_json_path
from moto.stepfunctions.parser.api import (
    ExecutionFailedEventDetails,
    HistoryEventType,
)
from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.state.choice.state_choice import StateChoice
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.distributed_iteration_component import (
    DistributedIterationComponent,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap
from moto.stepfunctions.parser.asl.component.state.exec.state_map.tolerated_failure import (
    ToleratedFailureCountDecl,
    ToleratedFailureCountInt,
    ToleratedFailurePercentage,
    ToleratedFailurePercentageDecl,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask
from moto.stepfunctions.parser.asl.component.state.wait.wait_function import timestamp as wait_timestamp
from moto.stepfunctions.parser.asl.eval.callback.callback import HeartbeatTimeoutError
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import json_path as moto_json_path

from embedded_aws.stepfunctions.rebind import rebind


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


# --- JSONPath: definite paths select one value -----------------------------------------

# Jayway (the JSONPath flavour AWS follows): a path is indefinite if it has a
# deep scan, a wildcard, a filter, a slice or a union of indices or names.
_INDEFINITE = re.compile(r"\.\.|\*|\[\?|\[[^\]]*[:,][^\]]*\]")


def is_definite(path: str) -> bool:
    """Whether ``path`` can select at most one value."""
    outside_quotes = re.sub(r"'[^']*'|\"[^\"]*\"", "''", path)
    return _INDEFINITE.search(outside_quotes) is None


def extract_json(path: str, data: Any) -> Any:
    """The value at ``path`` (definite) or the list of values (indefinite).

    A definite path that selects nothing raises NoSuchJsonPathError (callers
    turn it into States.Runtime / ParameterPathFailure); an indefinite one
    gives an empty list.
    """
    matches = parse_json_path(path).find(data)
    if is_definite(path):
        if not matches:
            raise moto_json_path.NoSuchJsonPathError(json_path=path, data=data)
        return matches[0].value
    return [match.value for match in matches]


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


# --- Wait Timestamp ----------------------------------------------------------------------------

# RFC 3339 as the ASL specification profiles it: uppercase T, Z or a numeric offset.
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_timestamp(text: Any) -> datetime.datetime | None:
    """The aware UTC instant ``text`` names, or None if it is no valid timestamp."""
    if not isinstance(text, str) or not _RFC3339.match(text):
        return None
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(datetime.timezone.utc)
    except ValueError:
        return None


def _timestamp_from_string(timestamp: str) -> datetime.datetime | None:
    return parse_timestamp(timestamp)


def _wait_until(self: wait_timestamp.Timestamp, env: Environment) -> None:
    """Sleep until the timestamp (UTC) has passed, or the execution ends."""
    self.string.eval(env=env)
    text = env.stack.pop()
    deadline = parse_timestamp(text)
    if deadline is None:
        raise FailureEventException(self._create_failure_event(env, text))
    while env.is_running():
        remaining = (deadline - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
        if remaining <= 0:
            return
        env.program_state_event.wait(min(remaining, 1.0))


# --- Distributed Map failure tolerance --------------------------------------------------------

_NO_COUNT_LIMIT = 2**62
_NO_PERCENT_LIMIT = 100.0

_moto_map_from_state_props: Callable[..., None] | None = None
_moto_map_run: Callable[..., None] | None = None


def _map_from_state_props(self: StateMap, state_props: Any) -> None:
    """When only one threshold is given, the other does not limit (AWS: either one alone)."""
    _moto_map_from_state_props(self, state_props)  # type: ignore[misc]
    count_given = state_props.get(ToleratedFailureCountDecl) is not None
    percentage_given = state_props.get(ToleratedFailurePercentageDecl) is not None
    if percentage_given and not count_given:
        self.tolerated_failure_count_decl = ToleratedFailureCountInt(_NO_COUNT_LIMIT)
    if count_given and not percentage_given:
        self.tolerated_failure_percentage_decl = ToleratedFailurePercentage(_NO_PERCENT_LIMIT)


def exceeds_tolerance(failed: int, total: int, count: int, percentage: float) -> bool:
    """AWS: the Map Run fails when failed items exceed either threshold."""
    if failed == 0:
        return False
    return failed > count or (total > 0 and failed * 100.0 / total > percentage)


def _map_run(self: DistributedIterationComponent, env: Environment, eval_input: Any) -> None:
    _moto_map_run(self, env, eval_input)  # type: ignore[misc]
    counter = eval_input.map_run_record.item_counter
    failed = counter.failed.get() + counter.timed_out.get()
    total = counter.total.get()
    if exceeds_tolerance(failed, total, eval_input.tolerated_failure_count, eval_input.tolerated_failure_percentage):
        env.stack.pop()  # the partial results
        raise states_failure(
            env, StatesErrorNameType.StatesExceedToleratedFailureThreshold,
            "The specified tolerated failure threshold was exceeded",
        )


# --- definitions moto's grammar refuses --------------------------------------------------------

_moto_parse: Callable[[str], Any] | None = None


def _integer_percentages(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: float(value) if key == "ToleratedFailurePercentage" and type(value) is int else _integer_percentages(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_integer_percentages(item) for item in node]
    return node


def normalise_definition(definition: str) -> str:
    """The definition with integer ToleratedFailurePercentage written as decimals (same value)."""
    if "ToleratedFailurePercentage" not in definition:
        return definition
    try:
        return json.dumps(_integer_percentages(json.loads(definition)))
    except ValueError:
        return definition  # the parser reports the syntax error


def _parse(definition: str) -> Any:
    return _moto_parse(normalise_definition(definition))  # type: ignore[misc]


# --- install --------------------------------------------------------------------------------------

_INSTALLED = False


def install() -> None:
    """Apply every fix above (idempotent)."""
    global _INSTALLED, _moto_task_from_error, _moto_error_equals, _moto_map_from_state_props, _moto_map_run, _moto_parse
    if _INSTALLED:
        return
    import moto.stepfunctions.parser.asl.parse.preprocessor  # noqa: F401  (loads every interpreter module)

    rebind(moto_json_path.extract_json, extract_json)
    moto_json_path.extract_json = extract_json
    StateChoice._eval_state = _choice_eval_state  # type: ignore[method-assign]
    _moto_task_from_error = StateTask._from_error
    StateTask._from_error = _task_from_error  # type: ignore[method-assign]
    _moto_error_equals = ErrorEqualsDecl._eval_body
    ErrorEqualsDecl._eval_body = _error_equals  # type: ignore[method-assign]
    wait_timestamp.Timestamp._from_timestamp_string = staticmethod(_timestamp_from_string)  # type: ignore[method-assign]
    wait_timestamp.Timestamp._eval_body = _wait_until  # type: ignore[method-assign]
    _moto_map_from_state_props = StateMap.from_state_props
    StateMap.from_state_props = _map_from_state_props  # type: ignore[method-assign]
    _moto_map_run = DistributedIterationComponent._map_run
    _map_run.__wrapped__ = _moto_map_run  # type: ignore[attr-defined]  (compat reads moto's source through it)
    DistributedIterationComponent._map_run = _map_run  # type: ignore[method-assign]
    _moto_parse = AmazonStateLanguageParser.parse
    AmazonStateLanguageParser.parse = staticmethod(_parse)  # type: ignore[method-assign]
    _INSTALLED = True

