"""Which workflow variables a state's expressions see.

* A state reads the variables of its own scope and of every outer scope
  (Map iterations and Parallel branches run in inner scopes).
* AWS: every expression of a state reads the variables as they were when
  the state was entered; what its Assign sets is visible from the next state
  on. moto commits an Assign at once, before evaluating Output (and a Choice
  rule's or Catcher's Output). So the first Assign of a state entry records
  the variables it is about to change, and later reads in that same state
  entry use that record. A state entry is told apart by its context-object
  "State" record, which moto replaces on every entry.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.variable_store import VariableStore


def variables_in_scope(store: VariableStore) -> dict[str, Any]:
    """Every variable a state can read: outer scopes, then its own."""
    return {**store._outer_scope, **store._inner_scope}  # type: ignore[attr-defined]


_BEFORE_ASSIGN = "_etl_local_variables_before_assign"  # on an Environment: (State record, variables)


def _state_entry(env: Environment) -> Any:
    return env.states.context_object.context_object_data.get("State")


def readable_variables(env: Environment) -> dict[str, Any]:
    """The variables expressions of the current state entry see."""
    recorded = env.__dict__.get(_BEFORE_ASSIGN)
    if recorded is not None and recorded[0] is _state_entry(env):
        return recorded[1]
    return variables_in_scope(env.variable_store)


def record_before_assign(env: Environment) -> None:
    """Called as an Assign starts: keep the variables as at state entry (once per entry)."""
    entry = _state_entry(env)
    recorded = env.__dict__.get(_BEFORE_ASSIGN)
    if recorded is None or recorded[0] is not entry:
        setattr(env, _BEFORE_ASSIGN, (entry, copy.deepcopy(variables_in_scope(env.variable_store))))


def assigned_variables(self: VariableStore) -> dict[str, str]:
    """``assignedVariables`` of a state-exited event: each value as JSON text
    (as JavaScript's JSON.stringify writes it: compact, non-ASCII kept).

    moto quotes a string value without escaping it (a quote, backslash or
    newline in it gave invalid JSON)."""
    return {
        name: json.dumps(self.get(name), separators=(",", ":"), ensure_ascii=False)
        for name in self._declaration_tracing  # type: ignore[attr-defined]
    }
