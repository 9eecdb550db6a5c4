"""``States.QueryEvaluationError`` for the state being run, as AWS reports it:
an ``EvaluationFailed`` history event, then the state fails with that error
(Retry/Catch may name it)."""

from __future__ import annotations

import json
from typing import Any

from moto.stepfunctions.parser.api import EvaluationFailedEventDetails, HistoryEventType
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

# moto names the field being evaluated after its component class; only these
# are the ASL field names a user would recognise.
ASL_FIELDS = frozenset(
    "Arguments Output Assign Condition Items ItemSelector TimeoutSeconds HeartbeatSeconds Seconds Timestamp "
    "Error Cause MaxConcurrency ToleratedFailurePercentage ToleratedFailureCount MaxItems".split()
)


def current_field(env: Environment) -> str | None:
    field = env.next_field_name
    return field if field in ASL_FIELDS else None


def json_type(value: Any) -> str:
    """JSONata's name for the type of a JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def unexpected_type(expression: str, field: str, expected: str, value: Any) -> str:
    """The cause AWS gives when an expression's value has the wrong type for its field."""
    return (f"The JSONata expression '{expression}' specified for the field '{field}' returned an unexpected "
            f"result type. Expected '{expected}', but was '{json_type(value)}' for value: "
            f"{json.dumps(value, separators=(',', ':'), ensure_ascii=False)}")


def evaluation_failed(env: Environment, cause: str, field: str | None = None) -> FailureEventException:
    """The failure to raise; its EvaluationFailed event is already in the history."""
    error_name = StatesErrorName(typ=StatesErrorNameType.StatesQueryEvaluationError)
    details = EvaluationFailedEventDetails(error=error_name.error_name, cause=cause)
    field = field or current_field(env)
    if field:
        details["location"] = field
    failure = FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=error_name,
            event_type=HistoryEventType.EvaluationFailed,
            event_details=EventDetails(evaluationFailedEventDetails=details),
        )
    )
    env.event_manager.add_event(
        context=env.event_history_context,
        event_type=HistoryEventType.EvaluationFailed,
        event_details=EventDetails(evaluationFailedEventDetails=failure.get_evaluation_failed_event_details()),
    )
    return failure
