"""JSONata fields that must produce a number or a string.

moto evaluates ``TimeoutSeconds``, ``HeartbeatSeconds``, a Wait's
``Seconds``, a Map's ``MaxConcurrency``/``ToleratedFailureCount``/
``ToleratedFailurePercentage``/``MaxItems`` with ``int(value)``: ``"x"``
failed as ``States.Runtime`` (ValueError), ``2.7`` became 2, a percentage
of 50.5 became 50 and a negative wait was accepted. A Fail state's
``Error``/``Cause`` expression returning a number crashed with
AttributeError. Here each field checks the value's type and range and
fails with ``States.QueryEvaluationError`` (the error AWS uses for an
expression whose value does not fit its field) naming field and value.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, NamedTuple

from moto.stepfunctions.parser.asl.component.common.string.string_expression import StringJSONata
from moto.stepfunctions.parser.asl.component.common.timeouts.heartbeat import HeartbeatSecondsJSONata
from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSecondsJSONata
from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.reader_config.max_items_decl import (
    MaxItemsStringJSONata,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.max_concurrency import MaxConcurrencyJSONata
from moto.stepfunctions.parser.asl.component.state.exec.state_map.tolerated_failure import (
    ToleratedFailureCountStringJSONata,
    ToleratedFailurePercentageStringJSONata,
)
from moto.stepfunctions.parser.asl.component.state.fail.cause_decl import Cause
from moto.stepfunctions.parser.asl.component.state.fail.error_decl import Error
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.seconds import SecondsJSONata
from moto.stepfunctions.parser.asl.eval.environment import Environment

from embedded_aws.compat import EmulatorCompatibilityError
from embedded_aws.stepfunctions.jsonata.failures import evaluation_failed, unexpected_type


class NumberField(NamedTuple):
    component: type
    method: str
    field: str
    minimum: float
    maximum: float | None = None
    whole: bool = True


NUMBER_FIELDS = (
    NumberField(TimeoutSecondsJSONata, "_eval_seconds", "TimeoutSeconds", 1),
    NumberField(HeartbeatSecondsJSONata, "_eval_seconds", "HeartbeatSeconds", 1),
    NumberField(SecondsJSONata, "_get_wait_seconds", "Seconds", 0),
    NumberField(MaxConcurrencyJSONata, "_eval_max_concurrency", "MaxConcurrency", 0),
    NumberField(ToleratedFailureCountStringJSONata, "_eval_tolerated_failure_count", "ToleratedFailureCount", 0),
    NumberField(ToleratedFailurePercentageStringJSONata, "_eval_tolerated_failure_percentage",
                "ToleratedFailurePercentage", 0, 100, whole=False),
    NumberField(MaxItemsStringJSONata, "_get_value", "MaxItems", 0),
)


def _number_method(spec: NumberField) -> Callable[[Any, Environment], float]:
    def evaluate(self: Any, env: Environment) -> float:
        self.string_jsonata.eval(env=env)
        value = env.stack.pop()
        expression = self.string_jsonata.expression
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not is_number or (spec.whole and float(value) != int(value)):
            expected = "integer" if spec.whole else "number"
            raise evaluation_failed(env, unexpected_type(expression, spec.field, expected, value), spec.field)
        if value < spec.minimum or (spec.maximum is not None and value > spec.maximum):
            upper = f" and at most {spec.maximum:g}" if spec.maximum is not None else ""
            raise evaluation_failed(
                env,
                f"The JSONata expression '{expression}' specified for the field '{spec.field}' returned {value:g}; "
                f"the value must be at least {spec.minimum:g}{upper}.",
                spec.field,
            )
        return int(value) if spec.whole else float(value)

    return evaluate


def _string_method(original: Callable[[Any, Environment], None], field: str) -> Callable[[Any, Environment], None]:
    def evaluate(self: Any, env: Environment) -> None:
        original(self, env)
        expression = self.string_expression
        if isinstance(expression, StringJSONata) and not isinstance(env.stack[-1], str):
            raise evaluation_failed(env, unexpected_type(expression.expression, field, "string", env.stack[-1]), field)

    return evaluate


_INSTALLED = False


def install() -> None:
    """Type-check the numeric and string JSONata fields (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    problems = []
    for spec in NUMBER_FIELDS:
        method = spec.component.__dict__.get(spec.method)
        if method is None:
            problems.append(f"{spec.component.__name__}.{spec.method} is missing")
        elif "self.string_jsonata.eval(env=env)" not in inspect.getsource(method):
            problems.append(f"{spec.component.__name__}.{spec.method} no longer evaluates string_jsonata")
    for component in (Error, Cause):
        if "_eval_body" not in component.__dict__ or "string_expression" not in component.__annotations__:
            problems.append(f"fail state {component.__name__} no longer evaluates a string_expression")
    if problems:
        raise EmulatorCompatibilityError(problems)
    for spec in NUMBER_FIELDS:
        setattr(spec.component, spec.method, _number_method(spec))
    Error._eval_body = _string_method(Error._eval_body, "Error")  # type: ignore[method-assign]
    Cause._eval_body = _string_method(Cause._eval_body, "Cause")  # type: ignore[method-assign]
    _INSTALLED = True
