"""Plug ``engine`` into moto's Step Functions interpreter.

moto evaluates a ``{% ... %}`` string (``StringJSONata``) and a ``$var``
reference of a JSONPath state (``StringVariableSample``) by writing every
variable and ``$states`` into the expression text and handing it to an
engine that is missing (``_eval_jsonata = None``). Here both components
evaluate with their values bound directly:

* ``{% expr %}``: ``$states`` (input, context, result, errorOutput as the
  state has them) and every variable in scope (outer scopes first, the
  state's own scope wins) are bound; an error, an undefined result or a
  non-JSON result fails the state with ``States.QueryEvaluationError`` (with
  an ``EvaluationFailed`` history event), as on AWS;
* ``$var.path`` in a JSONPath state: the variable's value, then the rest of
  the reference as a JSONPath (``$order.items[0]``).

Also here: a Choice ``Condition`` that is not a boolean fails with
``States.QueryEvaluationError``; every expression of a state reads the
variables as they were when the state was entered (``scope``: moto let
``Output`` see the state's own ``Assign``); ``assignedVariables`` in the
history are valid JSON. The query-language rules of definitions
(``validation``) are checked by ``stepfunctions.validation``, the one
definition check. ``literals`` and ``typed_fields`` install from here too.

moto's engine hook is set too, so anything else in moto that still calls
``eval_jsonata_expression`` gets an answer rather than a TypeError.

Each patched internal is checked in ``_check`` (and in ``literals`` /
``typed_fields``) before anything is patched; a changed moto raises
``EmulatorCompatibilityError`` naming it.
"""

from __future__ import annotations

import copy
import json
import inspect
import re
from typing import Any, Callable

from moto.stepfunctions.parser.asl.component.common.assign.assign_decl import AssignDecl
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
from moto.stepfunctions.parser.asl.component.common.query_language import QueryLanguageMode
from moto.stepfunctions.parser.asl.component.common.string import string_expression
from moto.stepfunctions.parser.asl.component.state.choice.comparison.comparison import ConditionStringJSONata
from moto.stepfunctions.parser.asl.component.state.state import CommonStateField as State
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.states import States
from moto.stepfunctions.parser.asl.eval.variable_store import NoSuchVariable, VariableStore
from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata
from moto.stepfunctions.parser.asl.utils.json_path import extract_json

from embedded_aws import compat
from embedded_aws.compat import EmulatorCompatibilityError
from embedded_aws.stepfunctions.jsonata import engine, failures, literals, scope, typed_fields

_VARIABLE_REFERENCE = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)(.*)$", re.DOTALL)


def _eval_assign(self: AssignDecl, env: Environment) -> None:
    scope.record_before_assign(env)
    _ORIGINALS["assign"](self, env)


def evaluate_in_state(env: Environment, expression: str) -> Any:
    """The value of ``expression`` in the state being run, or a States.QueryEvaluationError."""
    bindings = {**scope.readable_variables(env), "states": env.states._states_data}  # type: ignore[attr-defined]
    field = failures.current_field(env)
    where = f" specified for the field '{field}'" if field else ""
    try:
        value = engine.evaluate(expression, bindings)
    except engine.EvaluationError as error:
        raise failures.evaluation_failed(
            env, f"The JSONata expression '{expression}'{where} threw an error during evaluation: {error}"
        ) from error
    if value is engine.UNDEFINED:
        raise failures.evaluation_failed(env, f"The JSONata expression '{expression}'{where} returned nothing (undefined).")
    return value


def _eval_string_jsonata(self: string_expression.StringJSONata, env: Environment) -> None:
    env.stack.append(evaluate_in_state(env, self.expression))


def _eval_string_variable_sample(self: string_expression.StringVariableSample, env: Environment) -> None:
    if self.query_language_mode == QueryLanguageMode.JSONata:
        env.stack.append(evaluate_in_state(env, self.expression))
        return
    match = _VARIABLE_REFERENCE.match(self.expression)
    if match is None:
        raise NoSuchVariable(variable_identifier=self.expression)
    name, path = match.groups()
    variables = scope.readable_variables(env)
    if name not in variables:
        raise NoSuchVariable(variable_identifier=name)
    value = variables[name]
    env.stack.append(copy.deepcopy(extract_json("$" + path, value) if path else value))


def _eval_condition(self: ConditionStringJSONata, env: Environment) -> None:
    """A Choice rule's ``Condition``: a boolean, else States.QueryEvaluationError."""
    self.string_jsonata.eval(env=env)
    result = env.stack[-1]
    if not isinstance(result, bool):
        raise failures.evaluation_failed(
            env,
            f"The JSONata expression '{self.string_jsonata.expression}' specified for the field 'Condition' "
            f"returned a non-boolean value ({json.dumps(result)}); a Condition must evaluate to true or false.",
        )


def _eval_text(expression: str) -> Any:
    """moto's ``eval_jsonata_expression`` hook: an expression with everything in its text."""
    value = engine.evaluate(expression, {})
    return None if value is engine.UNDEFINED else value


def _check() -> None:
    problems: list[str] = []
    for cls in (string_expression.StringJSONata, string_expression.StringVariableSample, ConditionStringJSONata,
                AssignDecl):
        if "_eval_body" not in cls.__dict__:
            problems.append(f"{cls.__name__}._eval_body is missing")
    if "string_jsonata" not in ConditionStringJSONata.__annotations__:
        problems.append("ConditionStringJSONata has no string_jsonata")
    if "expression" not in string_expression.StringJSONata.__annotations__:
        problems.append("StringJSONata has no expression")
    for name in ("expression", "query_language_mode"):
        if name not in string_expression.StringVariableSample.__annotations__:
            problems.append(f"StringVariableSample has no {name}")
    for name in ("_outer_scope", "_inner_scope", "_declaration_tracing"):
        if name not in VariableStore.__annotations__:
            problems.append(f"VariableStore has no {name}")
    if not hasattr(moto_jsonata, "_eval_jsonata"):
        problems.append("moto's jsonata module has no _eval_jsonata hook")
    for name in ("states", "variable_store", "stack", "event_manager", "event_history_context"):
        if name not in Environment.__annotations__ and not hasattr(Environment, name):
            problems.append(f"Environment has no {name}")
    try:
        if 'context_object_data["State"] = StateData(' not in inspect.getsource(State._eval_body):
            problems.append("State._eval_body no longer sets a new context-object State record on entry")
    except (OSError, TypeError):
        problems.append("State._eval_body: source unavailable")
    if not hasattr(Environment, "next_field_name"):
        problems.append("Environment.next_field_name is missing")
    compat.require_params(problems, FailureEvent.__init__, "FailureEvent.__init__", "env", "error_name", "event_type",
                          "event_details")
    try:
        if "self._states_data = " not in inspect.getsource(States.__init__):
            problems.append("States.__init__ no longer sets _states_data")
    except (OSError, TypeError):
        problems.append("States.__init__: source unavailable")
    if problems:
        raise EmulatorCompatibilityError(problems)


_ORIGINALS: dict[str, Callable[..., Any]] = {}


def install() -> None:
    """Evaluate JSONata and variable references with ``engine`` (idempotent)."""
    if _ORIGINALS:
        return
    _check()
    literals.install()
    typed_fields.install()
    _ORIGINALS["jsonata"] = string_expression.StringJSONata._eval_body
    _ORIGINALS["variable"] = string_expression.StringVariableSample._eval_body
    _ORIGINALS["condition"] = ConditionStringJSONata._eval_body
    ConditionStringJSONata._eval_body = _eval_condition  # type: ignore[method-assign]
    _ORIGINALS["assign"] = AssignDecl._eval_body
    _ORIGINALS["assigned_variables"] = VariableStore.get_assigned_variables
    VariableStore.get_assigned_variables = scope.assigned_variables  # type: ignore[method-assign]
    AssignDecl._eval_body = _eval_assign  # type: ignore[method-assign]
    string_expression.StringJSONata._eval_body = _eval_string_jsonata  # type: ignore[method-assign]
    string_expression.StringVariableSample._eval_body = _eval_string_variable_sample  # type: ignore[method-assign]
    moto_jsonata._eval_jsonata = _eval_text  # type: ignore[attr-defined]
