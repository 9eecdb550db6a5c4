"""Parsing and strict validation of activity task input.

Accepts what the original sample sent (a JSON object, or a JSON string that
holds one) and reports every problem as ``InvalidTaskInputError`` with a
message a data engineer can act on.

Each runner lists its own fields (``TASK_FIELDS`` in ``runners.glue``,
``runners.athena`` and ``runners.s3_waiter``). Glue and Athena tasks also
accept an optional ``DependencyGate`` (see ``dependency_gate``): other Glue
jobs and state machines that must be idle before the step starts::

    "DependencyGate": {
      "GlueJobs": ["job-name", ...],          # optional; busy while a run is STARTING, RUNNING, WAITING or STOPPING
      "StateMachines": ["arn:...:stateMachine:x", ...],  # optional; busy while an execution is RUNNING
      "ExcludeExecution": "arn:...:execution:x:y",       # optional; e.g. "$$.Execution.Id", so a pipeline may gate on itself
      "MaxWaitSeconds": 3600                   # required, 1..604800; then DependencyGateTimeoutError
    }

At least one of ``GlueJobs`` and ``StateMachines`` must name something.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterable

from .errors import InvalidTaskInputError


def load_task_input(raw: str | None, max_bytes: int) -> dict[str, Any]:
    """Decode the activity input into a dict, rejecting anything else.

    Every way the text can be wrong is the task's fault, never a transient
    error: too deep (RecursionError), numbers Python refuses (ValueError),
    broken Unicode. All of them raise ``InvalidTaskInputError``, so the task
    fails at once instead of being retried until its timeout."""
    if raw is None or raw.strip() == "":
        raise InvalidTaskInputError("task input is empty; expected a JSON object")
    _refuse_lone_surrogates(raw, "task input")
    size = len(raw.encode("utf-8"))
    if size > max_bytes:
        raise InvalidTaskInputError(f"task input is {size} bytes; the limit is {max_bytes}", sizeBytes=size, limitBytes=max_bytes)
    value = _decode(raw)
    # The sample's state machines sometimes pass the object as a JSON string.
    if isinstance(value, str):
        value = _decode(value)
    if not isinstance(value, dict):
        raise InvalidTaskInputError(f"task input must be a JSON object, got {type(value).__name__}")
    _refuse_lone_surrogates_within(value)
    return value


def _decode(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidTaskInputError(f"task input is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise InvalidTaskInputError("task input is nested too deeply to decode") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise InvalidTaskInputError(f"task input is not valid JSON: {str(exc)[:200]}") from None


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse_lone_surrogates(text: str, where: str) -> None:
    """JSON may escape half a surrogate pair (``\\ud800``); no AWS API can
    carry the resulting string, and DynamoDB cannot store it."""
    match = _LONE_SURROGATE.search(text)
    if match:
        raise InvalidTaskInputError(f"{where} holds an unpaired surrogate (U+{ord(match.group()):04X}) at character {match.start()}; it is not valid Unicode")


def _refuse_lone_surrogates_within(value: Any) -> None:
    stack: list[tuple[str, Any]] = [("task input", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            _refuse_lone_surrogates(item, path)
        elif isinstance(item, dict):
            for key, child in item.items():
                _refuse_lone_surrogates(key, f"a key of {path}")
                stack.append((key if path == "task input" else f"{path}.{key}", child))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", child) for i, child in enumerate(item))


def reject_unknown_keys(payload: dict[str, Any], allowed: Iterable[str]) -> None:
    allowed_set = set(allowed)
    unknown = sorted(set(payload) - allowed_set)
    if unknown:
        raise InvalidTaskInputError(
            f"unknown task input field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed_set))}"
        )


def optional_str(
    payload: dict[str, Any], key: str, *, max_len: int = 2048, choices: Iterable[str] | None = None, label: str | None = None,
) -> str | None:
    """``label``: how messages name the field (a nested one by its path)."""
    label = label or key
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or value == "":
        raise InvalidTaskInputError(f"{label} must be a non-empty string, got {_describe(value)}")
    if len(value) > max_len:
        raise InvalidTaskInputError(f"{label} is longer than {max_len} characters")
    if choices is not None:
        options = list(choices)
        if value not in options:
            raise InvalidTaskInputError(f"{label} must be one of {', '.join(options)}, got {value!r}")
    return value


def required_str(payload: dict[str, Any], key: str, **kwargs: Any) -> str:
    value = optional_str(payload, key, **kwargs)
    if value is None:
        raise InvalidTaskInputError(f"{key} is required")
    return value


def optional_int(payload: dict[str, Any], key: str, *, minimum: int, maximum: int, label: str | None = None) -> int | None:
    label = label or key
    value = payload.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidTaskInputError(f"{label} must be an integer, got {_describe(value)}")
    if not minimum <= value <= maximum:
        raise InvalidTaskInputError(f"{label} must be between {minimum} and {maximum}, got {value}")
    return value


def optional_str_map(payload: dict[str, Any], key: str) -> dict[str, str]:
    value = payload.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise InvalidTaskInputError(f"{key} must be an object of string values, got {_describe(value)}")
    return dict(value)


def optional_str_list(payload: dict[str, Any], key: str) -> list[str] | None:
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidTaskInputError(f"{key} must be a list of strings, got {_describe(value)}")
    return list(value)


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {json.dumps(value, default=str)[:60]}"


# -- DependencyGate --------------------------------------------------------------

GATE_FIELD = "DependencyGate"
GATE_KEYS = ("GlueJobs", "StateMachines", "ExcludeExecution", "MaxWaitSeconds")
MAX_GATE_WAIT_SECONDS = 604800  # seven days
# Each name costs one status call per check cycle (shared by every task gated on it).
MAX_GATE_NAMES = 50
MAX_GLUE_JOB_NAME = 255
_ARN_HEAD = r"arn:aws(?:-[a-z]+)*:states:[a-z0-9-]+:\d{12}"
# A state machine, or one of its versions or aliases (ListExecutions takes all three).
_STATE_MACHINE_ARN = re.compile(rf"^{_ARN_HEAD}:stateMachine:[^\s:]{{1,80}}(?::[^\s:]{{1,80}})?$")
_EXECUTION_ARN = re.compile(rf"^{_ARN_HEAD}:(?:execution|express):[^\s:]{{1,80}}:\S{{1,200}}$")


@dataclass(frozen=True)
class DependencyGate:
    """What must be idle before a step starts, and for how long it may wait."""

    glue_jobs: tuple[str, ...]
    state_machines: tuple[str, ...]
    exclude_execution: str | None
    max_wait_seconds: int

    @property
    def names(self) -> list[str]:
        return [*self.glue_jobs, *self.state_machines]


def dependency_gate(payload: dict[str, Any]) -> DependencyGate | None:
    """The task's ``DependencyGate``, validated; None if it has none."""
    value = payload.get(GATE_FIELD)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidTaskInputError(f"{GATE_FIELD} must be an object, got {_describe(value)}")
    unknown = sorted(set(value) - set(GATE_KEYS))
    if unknown:
        raise InvalidTaskInputError(f"unknown {GATE_FIELD} field(s) {', '.join(unknown)}; allowed: {', '.join(GATE_KEYS)}")
    glue_jobs = _gate_names(value, "GlueJobs", lambda name: len(name) <= MAX_GLUE_JOB_NAME, f"is longer than {MAX_GLUE_JOB_NAME} characters")
    machines = _gate_names(value, "StateMachines", _STATE_MACHINE_ARN.match, "must be a state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)")
    if not glue_jobs and not machines:
        raise InvalidTaskInputError(f"at least one of {GATE_FIELD}.GlueJobs or {GATE_FIELD}.StateMachines must name something to wait for")
    exclude = optional_str(value, "ExcludeExecution", max_len=2048, label=f"{GATE_FIELD}.ExcludeExecution")
    if exclude is not None and not _EXECUTION_ARN.match(exclude):
        raise InvalidTaskInputError(f"{GATE_FIELD}.ExcludeExecution must be an execution ARN (e.g. from $$.Execution.Id), got {exclude[:80]!r}")
    max_wait = optional_int(value, "MaxWaitSeconds", minimum=1, maximum=MAX_GATE_WAIT_SECONDS, label=f"{GATE_FIELD}.MaxWaitSeconds")
    if max_wait is None:
        raise InvalidTaskInputError(f"{GATE_FIELD}.MaxWaitSeconds is required")
    return DependencyGate(glue_jobs, machines, exclude, max_wait)


def _gate_names(gate: dict[str, Any], key: str, valid: Any, invalid: str) -> tuple[str, ...]:
    """A list of names, each checked, duplicates dropped (first kept)."""
    label = f"{GATE_FIELD}.{key}"
    value = gate.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidTaskInputError(f"{label} must be a list of strings, got {_describe(value)}")
    if len(value) > MAX_GATE_NAMES:
        raise InvalidTaskInputError(f"{label} holds {len(value)} names; at most {MAX_GATE_NAMES} are allowed")
    for index, name in enumerate(value):
        if not isinstance(name, str) or name == "":
            raise InvalidTaskInputError(f"{label}[{index}] must be a non-empty string, got {_describe(name)}")
        if not valid(name):
            raise InvalidTaskInputError(f"{label}[{index}] {invalid}, got {name[:80]!r}")
    return tuple(dict.fromkeys(value))
