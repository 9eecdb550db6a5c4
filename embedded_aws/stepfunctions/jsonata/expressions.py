"""Static checks of the ``{% ... %}`` expressions in a definition.

AWS refuses, when the state machine is created, a JSONata expression that
reads the (absent) context document at its top level: ``$`` or ``$$``, or an
unqualified field name such as ``{% title %}`` (AWS: use ``$states.input``).
Inside a path step, a predicate or a function body the context is an
element of the data, so names there are fine; this walker only follows the
parts of the expression that are evaluated against the top-level context.
"""

from __future__ import annotations

from typing import Any, Iterator

from embedded_aws.stepfunctions.jsonata.engine import Jsonata  # through the engine: it keeps the recursion limit

# Nested machines are checked on their own, with their own query language.
_NESTED = ("Branches", "ItemProcessor", "Iterator")


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")


def expressions_in(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(location, expression) for every ``{% %}`` string in a JSON value."""
    if is_expression(value):
        yield path, value[2:-2].strip()
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from expressions_in(item, f"{path}/{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from expressions_in(item, f"{path}[{i}]")


def state_expressions(state: dict[str, Any], path: str) -> Iterator[tuple[str, str]]:
    for key, value in state.items():
        if key not in _NESTED and key != "Comment":
            yield from expressions_in(value, f"{path}/{key}")


def _top_level_reads(node: Any, top: bool) -> Iterator[str]:
    if node is None or not hasattr(node, "type"):
        return
    kind = node.type
    if kind == "variable":
        if top and node.value in ("", "$"):
            yield "$" if node.value == "" else "$$"
        return
    if kind == "name":
        if top:
            yield node.value
        return
    if kind == "path":
        steps = node.steps or []
        for i, step in enumerate(steps):
            yield from _top_level_reads(step, top and i == 0)
        return
    if kind == "lambda":
        return  # its body runs against whatever context it is called with
    for attribute in ("lhs", "rhs", "procedure", "condition", "then", "_else"):
        yield from _top_level_reads(getattr(node, attribute, None), top)
    for attribute in ("expressions", "arguments"):
        for child in getattr(node, attribute, None) or []:
            yield from _top_level_reads(child, top)
    for pair in getattr(node, "lhs_object", None) or []:
        for child in pair:
            yield from _top_level_reads(child, top)


def top_level_problem(expression: str) -> str | None:
    """Why AWS refuses ``expression`` at creation, or None.

    An expression that does not parse is left to run time, where it fails
    with ``States.QueryEvaluationError``.
    """
    try:
        ast = Jsonata(expression).ast
    except Exception:  # noqa: BLE001 - any parse failure is a run-time matter here
        return None
    for read in _top_level_reads(ast, True):
        if read in ("$", "$$"):
            return f"The JSONata expression '{expression}' cannot use '{read}' at the top level; use $states.input"
        return (f"The JSONata expression '{expression}' uses the unqualified field name '{read}' at the top level; "
                f"use $states.input.{read}")
    return None
