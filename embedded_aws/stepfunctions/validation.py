"""State machine definition checks: InvalidDefinition on create/update, and ValidateStateMachineDefinition.

AWS refuses a definition whose structure is wrong with ``InvalidDefinition``
and a message listing each problem as ``CODE: message at /json/pointer``,
joined by ``", "``, e.g.::

    Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: X at /States/A/Next'

ValidateStateMachineDefinition returns the same problems as diagnostics
(``severity``, ``code``, ``message``, ``location``) with ``result`` OK/FAIL.
moto 5.2.5 accepted a Next to a missing state (the execution then failed at
run time), answered grammar errors with an empty error code, and had no
ValidateStateMachineDefinition. Its parser also kept the query-language
scope stack in a class-level list, so one refused definition left entries
behind and every later definition was refused until the server restarted
(and concurrent parses shared it); each parse now has its own stack.

The structural checks here (the ones AWS reports with a code) run first;
what they pass goes to moto's ASL grammar, whose refusals are reported as
SCHEMA_VALIDATION_FAILED with the parser's own wording.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from moto.core.responses import ActionResult
from moto.stepfunctions import responses as sfn_responses
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser, ASLParserException
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from embedded_aws.stepfunctions.jsonata.validation import problems as query_language_problems
from embedded_aws.stepfunctions import integrations
from embedded_aws.stepfunctions.errors import api_error

STATE_TYPES = ("Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map")
_WITHOUT_NEXT_OR_END = {"Succeed", "Fail", "Choice"}  # never have Next/End of their own
_MAX_DIAGNOSTICS = 100


@dataclass(frozen=True)
class Diagnostic:
    """One problem, as ValidateStateMachineDefinition reports it."""

    code: str
    message: str
    location: str
    severity: str = "ERROR"

    def as_api(self) -> dict[str, str]:
        return {"severity": self.severity, "code": self.code, "message": self.message, "location": self.location}

    def as_text(self) -> str:
        return f"{self.code}: {self.message} at {self.location}"


def _pointer(*parts: Any) -> str:
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "/" + "/".join(escaped)


# --- structure ------------------------------------------------------------------------------


def _machine(machine: Any, at: tuple[Any, ...], express: bool) -> Iterator[Diagnostic]:
    """Problems of one state machine or branch/ItemProcessor (``at``: its JSON pointer parts)."""
    if not isinstance(machine, dict):
        yield Diagnostic("SCHEMA_VALIDATION_FAILED", "Expected an object", _pointer(*at))
        return
    missing = [field for field in ("StartAt", "States") if field not in machine]
    if missing:
        yield Diagnostic("SCHEMA_VALIDATION_FAILED", f"These fields are required: [{', '.join(missing)}]", _pointer(*at))
        return
    states = machine["States"]
    if not isinstance(states, dict) or not states:
        yield Diagnostic("SCHEMA_VALIDATION_FAILED", "Field 'States' must be a non-empty object", _pointer(*at, "States"))
        return
    start = machine["StartAt"]
    if start not in states:
        yield Diagnostic("MISSING_TRANSITION_TARGET", f"Missing 'StartAt' target: {start}", _pointer(*at, "StartAt"))
    for name, state in states.items():
        yield from _state(name, state, states, (*at, "States", name), express)
    yield from _unreachable(start, states, at)


def _targets(state: dict[str, Any]) -> Iterator[tuple[str, str, tuple[Any, ...]]]:
    """(field, target, pointer parts relative to the state) of every transition."""
    if "Next" in state:
        yield "Next", state["Next"], ("Next",)
    if "Default" in state:
        yield "Default", state["Default"], ("Default",)
    for i, rule in enumerate(state.get("Choices") or []):
        if isinstance(rule, dict) and "Next" in rule:
            yield "Next", rule["Next"], ("Choices", i, "Next")
    for i, catcher in enumerate(state.get("Catch") or []):
        if isinstance(catcher, dict) and "Next" in catcher:
            yield "Next", catcher["Next"], ("Catch", i, "Next")


def _state(name: str, state: Any, states: dict[str, Any], at: tuple[Any, ...], express: bool) -> Iterator[Diagnostic]:
    if not isinstance(state, dict):
        yield Diagnostic("SCHEMA_VALIDATION_FAILED", "Expected an object", _pointer(*at))
        return
    kind = state.get("Type")
    if kind is None:
        yield Diagnostic("SCHEMA_VALIDATION_FAILED", "These fields are required: [Type]", _pointer(*at))
        return
    if kind not in STATE_TYPES:
        yield Diagnostic("SCHEMA_VALIDATION_FAILED",
                         f"Value is not a valid state type: {kind}. Valid types: [{', '.join(STATE_TYPES)}]",
                         _pointer(*at, "Type"))
        return
    for field, target, where in _targets(state):
        if not isinstance(target, str) or target not in states:
            yield Diagnostic("MISSING_TRANSITION_TARGET", f"Missing '{field}' target: {target}", _pointer(*at, *where))
    if kind not in _WITHOUT_NEXT_OR_END and ("Next" in state) == bool(state.get("End")):
        yield Diagnostic("SCHEMA_VALIDATION_FAILED", "Exactly one of these fields is required: [End, Next]", _pointer(*at))
    if kind == "Choice" and not state.get("Choices"):
        yield Diagnostic("SCHEMA_VALIDATION_FAILED", "These fields are required: [Choices]", _pointer(*at))
    if kind == "Task":
        yield from _resource(state.get("Resource"), at, express)
    if kind == "Parallel":
        for i, branch in enumerate(state.get("Branches") or []):
            yield from _machine(branch, (*at, "Branches", i), express)
    if kind == "Map":
        for field in ("ItemProcessor", "Iterator"):
            if field in state:
                yield from _machine(state[field], (*at, field), express)


def _resource(resource: Any, at: tuple[Any, ...], express: bool) -> Iterator[Diagnostic]:
    if not isinstance(resource, str):
        return  # JSONata or missing: the grammar decides
    unknown = Diagnostic(
        "SCHEMA_VALIDATION_FAILED",
        f"The resource provided {resource} is not recognized. The value is not a valid resource ARN, "
        "or the resource is not available in this region.",
        _pointer(*at, "Resource"),
    )
    parts = resource.split(":")
    if len(parts) >= 7 and parts[2] == "states" and parts[5] not in ("activity", "aws-sdk") and parts[3] == "" and parts[4] == "":
        service = parts[5]
        action, _, pattern = ":".join(parts[6:]).partition(".")
        allowed = integrations.allowed_patterns(service, action)
        if service in integrations.OPTIMISED and (allowed is None or pattern not in allowed):
            yield unknown
            return
        if express and pattern:
            yield Diagnostic("SCHEMA_VALIDATION_FAILED",
                             f"Express state machine does not support '.{pattern}' service integration",
                             _pointer(*at, "Resource"))
    elif express and ":activity:" in resource:
        yield Diagnostic("SCHEMA_VALIDATION_FAILED", "Express state machine does not support Activity ARN",
                         _pointer(*at, "Resource"))


def _unreachable(start: str, states: dict[str, Any], at: tuple[Any, ...]) -> Iterator[Diagnostic]:
    reached: set[str] = set()
    pending = [start]
    while pending:
        name = pending.pop()
        if name in reached or name not in states:
            continue
        reached.add(name)
        if isinstance(states[name], dict):
            pending.extend(target for _, target, _ in _targets(states[name]) if isinstance(target, str))
    for name in states:
        if name not in reached and start in states:
            yield Diagnostic("MISSING_TRANSITION_TARGET", f'State "{name}" is not reachable.', _pointer(*at, "States", name))


def diagnostics(definition: str, machine_type: str | None = None) -> list[Diagnostic]:
    """Every problem AWS would report for ``definition`` (empty: valid)."""
    try:
        document = json.loads(definition)
    except (TypeError, ValueError) as exc:
        return [Diagnostic("INVALID_JSON_DESCRIPTION", str(exc), "/")]
    found = list(_machine(document, (), machine_type == "EXPRESS"))
    if found:
        return found
    if isinstance(document, dict):  # the query-language rules (JSONata fields, variables)
        for problem in query_language_problems(document):
            message, _, location = problem.rpartition(" at ")
            found.append(Diagnostic("SCHEMA_VALIDATION_FAILED", message or problem, location or "/"))
        if found:
            return found
    try:
        AmazonStateLanguageParser.parse(definition)
    except ASLParserException as exc:  # the grammar refused it
        return [Diagnostic("SCHEMA_VALIDATION_FAILED", "; ".join(exc.errors) or "Invalid definition", "/")]
    except Exception as exc:  # moto's preprocessor refused it (e.g. a field of the other query language)
        return [Diagnostic("SCHEMA_VALIDATION_FAILED", str(exc.args[0] if exc.args else exc), "/")]
    return []


def check(definition: str, machine_type: str | None = None) -> None:
    """Raise InvalidDefinition (as AWS words it) unless ``definition`` is valid."""
    found = diagnostics(definition, machine_type)
    if found:
        listed = ", ".join(d.as_text() for d in found)
        raise api_error("InvalidDefinition", f"Invalid State Machine Definition: '{listed}'")


# --- API ----------------------------------------------------------------------------------------

_moto_create: Callable[..., ActionResult] | None = None
_moto_update: Callable[..., ActionResult] | None = None


def _validate_definition(definition: str) -> None:
    check(definition)


def create_state_machine(self: sfn_responses.StepFunctionResponse) -> ActionResult:
    check(self._get_param("definition"), self._get_param("type"))
    return _moto_create(self)  # type: ignore[misc]


def update_state_machine(self: sfn_responses.StepFunctionResponse) -> ActionResult:
    definition = self._get_param("definition")
    if definition is not None:
        machine = self.stepfunction_backend.describe_state_machine(self._get_param("stateMachineArn"))
        check(definition, getattr(machine, "type", None))
    return _moto_update(self)  # type: ignore[misc]


def validate_state_machine_definition(self: sfn_responses.StepFunctionResponse) -> ActionResult:
    """ValidateStateMachineDefinition: result OK/FAIL and diagnostics (ERROR first)."""
    definition = self._get_param("definition")
    if definition is None:
        raise api_error("ValidationException", "1 validation error detected: Value null at 'definition' "
                                               "failed to satisfy constraint: Member must not be null")
    limit = self._get_int_param("maxResults") or _MAX_DIAGNOSTICS
    wanted = self._get_param("severity") or "ERROR"
    found = [d for d in diagnostics(definition, self._get_param("type"))
             if wanted == "WARNING" or d.severity == "ERROR"]
    return ActionResult({
        "result": "FAIL" if any(d.severity == "ERROR" for d in found) else "OK",
        "diagnostics": [d.as_api() for d in found[:limit]],
        "truncated": len(found) > limit,
    })


# --- moto's parser: one scope stack per parse ------------------------------------------------

_moto_preprocessor_init: Callable[..., None] | None = None


def _preprocessor_init(self: Preprocessor, *args: Any, **kwargs: Any) -> None:
    _moto_preprocessor_init(self, *args, **kwargs)  # type: ignore[misc]
    self._query_language_per_scope = []


_INSTALLED = False


def install() -> None:
    """Validate definitions as AWS does (idempotent)."""
    global _INSTALLED, _moto_create, _moto_update, _moto_preprocessor_init
    if _INSTALLED:
        return
    _moto_preprocessor_init = Preprocessor.__init__
    Preprocessor.__init__ = _preprocessor_init  # type: ignore[method-assign]
    StepFunctionsParserBackend._validate_definition = staticmethod(_validate_definition)  # type: ignore[method-assign]
    response = sfn_responses.StepFunctionResponse
    _moto_create = response.create_state_machine
    _moto_update = response.update_state_machine
    response.create_state_machine = create_state_machine  # type: ignore[method-assign]
    response.update_state_machine = update_state_machine  # type: ignore[method-assign]
    response.validate_state_machine_definition = validate_state_machine_definition  # type: ignore[attr-defined]
    _INSTALLED = True

