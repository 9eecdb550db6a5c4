"""Definition checks for the query language of each state (AWS: CreateStateMachine
answers ``InvalidDefinition``).

AWS documents which fields belong to which query language: a JSONata state
has ``Arguments``/``Output`` and ``Condition`` instead of the five JSONPath
fields (``InputPath``, ``Parameters``, ``ResultSelector``, ``ResultPath``,
``OutputPath``) and the ``...Path`` variants; a JSONPath state cannot use
the JSONata-only fields; and a state machine whose top level is JSONata
cannot switch a state back to JSONPath. moto's parser accepts all of these
and then runs something else than AWS would, so they are refused here.
"""

from __future__ import annotations

from typing import Any, Iterator

from embedded_aws.stepfunctions.jsonata import expressions

JSONATA = "JSONata"
JSONPATH = "JSONPath"

# Fields a JSONata state (or its Catch/Choice rules) cannot have.
JSONPATH_ONLY_FIELDS = (
    "InputPath", "Parameters", "ResultSelector", "ResultPath", "OutputPath", "Result",
    "ItemsPath", "SecondsPath", "TimestampPath", "ErrorPath", "CausePath",
    "TimeoutSecondsPath", "HeartbeatSecondsPath", "MaxConcurrencyPath",
    "ToleratedFailurePercentagePath", "ToleratedFailureCountPath",
)
# Fields only a JSONata state can have.
JSONATA_ONLY_FIELDS = ("Arguments", "Output", "Items")
# Which state types have the data fields (AWS state reference and "Passing
# data between states with variables"); any other type refuses them.
FIELD_STATE_TYPES = {
    "Arguments": ("Task", "Parallel"),
    "Output": ("Task", "Parallel", "Map", "Pass", "Wait", "Choice", "Succeed"),
    "Assign": ("Task", "Parallel", "Map", "Pass", "Wait", "Choice"),
}
# Choice rule fields of the JSONPath comparison syntax.
_CHOICE_JSONPATH_FIELDS = ("Variable", "And", "Or", "Not")


# Step Functions reserves this variable name ($states).
RESERVED_VARIABLES = ("states",)


def _has_jsonata(value: Any) -> bool:
    return next(expressions.expressions_in(value, ""), None) is not None


def _machines(machine: dict[str, Any], path: str) -> Iterator[tuple[dict[str, Any], str]]:
    """The state machine and every nested one (Parallel branches, Map processors)."""
    yield machine, path
    for name, state in (machine.get("States") or {}).items():
        if not isinstance(state, dict):
            continue
        here = f"{path}/States/{name}"
        for i, branch in enumerate(state.get("Branches") or []):
            if isinstance(branch, dict):
                yield from _machines(branch, f"{here}/Branches[{i}]")
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                yield from _machines(state[key], f"{here}/{key}")


def _state_problems(name: str, state: dict[str, Any], language: str, top: str, path: str) -> Iterator[str]:
    declared = state.get("QueryLanguage")
    if declared is not None and declared not in (JSONATA, JSONPATH):
        yield f"The value of the field 'QueryLanguage' must be one of [JSONPath, JSONata] at {path}/QueryLanguage"
        return
    if declared == JSONPATH and top == JSONATA:
        yield (f"The QueryLanguage of a state cannot be JSONPath when the state machine's QueryLanguage is "
               f"JSONata at {path}/QueryLanguage")
    state_type = state.get("Type")
    for field, types in FIELD_STATE_TYPES.items():
        if field in state and isinstance(state_type, str) and state_type not in types:
            yield f"The field '{field}' is not supported by a {state_type} state at {path}/{field}"
    if language == JSONATA:
        for field in JSONPATH_ONLY_FIELDS:
            if field in state:
                yield f"The field '{field}' is not supported for the JSONata query language at {path}/{field}"
        for i, catcher in enumerate(state.get("Catch") or []):
            if isinstance(catcher, dict) and "ResultPath" in catcher:
                yield (f"The field 'ResultPath' is not supported for the JSONata query language "
                       f"at {path}/Catch[{i}]/ResultPath")
        for i, rule in enumerate(state.get("Choices") or []):
            if not isinstance(rule, dict):
                continue
            for field in _CHOICE_JSONPATH_FIELDS:
                if field in rule:
                    yield (f"The field '{field}' is not supported for the JSONata query language "
                           f"at {path}/Choices[{i}]/{field}")
            if "Condition" not in rule:
                yield f"These fields are required: [Condition] at {path}/Choices[{i}]"
        for location, expression in expressions.state_expressions(state, path):
            problem = expressions.top_level_problem(expression)
            if problem:
                yield f"{problem} at {location}"
    else:
        for field in JSONATA_ONLY_FIELDS:
            if field in state:
                yield f"The field '{field}' is not supported for the JSONPath query language at {path}/{field}"
        for i, rule in enumerate(state.get("Choices") or []):
            if isinstance(rule, dict) and ("Condition" in rule or "Output" in rule):
                field = "Condition" if "Condition" in rule else "Output"
                yield (f"The field '{field}' is not supported for the JSONPath query language "
                       f"at {path}/Choices[{i}]/{field}")
        for field, value in state.items():
            if field not in ("Comment", "QueryLanguage") and _has_jsonata(value):
                yield f"JSONata expressions are only supported in JSONata states at {path}/{field}"


def _assigned(state: dict[str, Any]) -> set[str]:
    """Names a state assigns: its Assign, its Choice rules' and its Catchers' Assign."""
    blocks = [state.get("Assign")]
    blocks += [rule.get("Assign") for rule in state.get("Choices") or [] if isinstance(rule, dict)]
    blocks += [catcher.get("Assign") for catcher in state.get("Catch") or [] if isinstance(catcher, dict)]
    return {key.removesuffix(".$") for block in blocks if isinstance(block, dict) for key in block}


def _outer_scope_problems(machine: dict[str, Any], path: str, outer: frozenset[str]) -> Iterator[str]:
    """Inner scopes (Map iterations, Parallel branches) may read outer variables but not assign them."""
    states = {n: s for n, s in (machine.get("States") or {}).items() if isinstance(s, dict)}
    here = outer | {name for state in states.values() for name in _assigned(state)}
    for name, state in states.items():
        for variable in sorted(_assigned(state) & outer):
            yield (f"The variable '{variable}' is assigned in an outer scope and cannot be assigned in an inner "
                   f"scope at {path}/States/{name}/Assign")
        inner: list[tuple[dict[str, Any], str]] = [
            (b, f"{path}/States/{name}/Branches[{i}]") for i, b in enumerate(state.get("Branches") or [])
        ]
        inner += [(state[k], f"{path}/States/{name}/{k}") for k in ("ItemProcessor", "Iterator") if k in state]
        for sub_machine, sub_path in inner:
            if isinstance(sub_machine, dict):
                yield from _outer_scope_problems(sub_machine, sub_path, here)


def problems(definition: dict[str, Any]) -> list[str]:
    """Every query-language problem of a parsed definition, as AWS words its schema errors."""
    top = definition.get("QueryLanguage", JSONPATH)
    if top not in (JSONATA, JSONPATH):
        return ["The value of the field 'QueryLanguage' must be one of [JSONPath, JSONata] at /QueryLanguage"]
    found: list[str] = []
    for machine, path in _machines(definition, ""):
        for name, state in (machine.get("States") or {}).items():
            if isinstance(state, dict):
                for variable in sorted(_assigned(state) & set(RESERVED_VARIABLES)):
                    found.append(f"The variable name '{variable}' is reserved at {path}/States/{name}/Assign")
        for name, state in (machine.get("States") or {}).items():
            if isinstance(state, dict):
                language = state.get("QueryLanguage", top)
                found.extend(_state_problems(name, state, language, top, f"{path}/States/{name}"))
    found.extend(_outer_scope_problems(definition, "", frozenset()))
    return found
