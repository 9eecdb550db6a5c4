"""Does a set of identity policies allow a request? IAM's evaluation, for the
statements our templates write.

* A request (action, resource, context keys) is allowed when some Allow
  statement matches it and no Deny statement does.
* ``Action``/``NotAction`` match case-insensitively with ``*`` and ``?``;
  ``Resource``/``NotResource`` match case-sensitively with ``*`` and ``?``
  (an action without resource types is requested on ``*``).
* Conditions: the string and ARN operators (``StringEquals``, ``StringLike``,
  ``ArnEquals``, ``ArnLike`` and their ``Not``/``IfExists`` forms) and
  ``Bool``. A key the request does not carry fails the condition (unless
  ``IfExists``), and an operator not listed here fails it too: the check
  then reports a missing permission rather than assume one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Mapping


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)


def allowed(statements: Iterable[Mapping[str, Any]], request: Request) -> bool:
    allow = False
    for statement in statements:
        if not _matches(statement, request):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow":
            allow = True
    return allow


def statements_of(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = document.get("Statement", [])
    return list(found) if isinstance(found, list) else [found]


def _matches(statement: Mapping[str, Any], request: Request) -> bool:
    if "Action" in statement:
        if not any(_like(pattern, request.action, case=False) for pattern in _list(statement["Action"])):
            return False
    elif "NotAction" in statement:
        if any(_like(pattern, request.action, case=False) for pattern in _list(statement["NotAction"])):
            return False
    else:
        return False
    if "Resource" in statement:
        if not any(_like(pattern, request.resource) for pattern in _list(statement["Resource"])):
            return False
    elif "NotResource" in statement:
        if any(_like(pattern, request.resource) for pattern in _list(statement["NotResource"])):
            return False
    else:
        return False
    return all(_condition(op, keys, request.context) for op, keys in (statement.get("Condition") or {}).items())


def _condition(operator: str, keys: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    for key, expected in keys.items():
        actual = _context_value(context, key)
        if actual is None:
            if if_exists:
                continue
            return False
        values = [str(v) for v in _list(expected)]
        if base in ("StringEquals", "ArnEquals"):
            ok = actual in values
        elif base == "StringEqualsIgnoreCase":
            ok = actual.lower() in {v.lower() for v in values}
        elif base in ("StringLike", "ArnLike"):
            ok = any(_like(v, actual) for v in values)
        elif base in ("StringNotEquals", "ArnNotEquals"):
            ok = actual not in values
        elif base in ("StringNotLike", "ArnNotLike"):
            ok = not any(_like(v, actual) for v in values)
        elif base == "Bool":
            ok = actual.lower() in {v.lower() for v in values}
        else:
            return False  # not modelled: assume the condition does not hold
        if not ok:
            return False
    return True


def _context_value(context: Mapping[str, str], key: str) -> str | None:
    for name, value in context.items():
        if name.lower() == key.lower():  # condition keys are case-insensitive
            return value
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _like(pattern: str, value: str, case: bool = True) -> bool:
    return _compiled(pattern, case).fullmatch(value) is not None


@lru_cache(maxsize=4096)
def _compiled(pattern: str, case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.S if case else re.S | re.I)
