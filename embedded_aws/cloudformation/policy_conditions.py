"""Bucket policies with conditions, as the stacks' TLS-only policies need.

Our buckets carry the usual TLS-only statement (Deny ``s3:*`` to ``*`` when
``aws:SecureTransport`` is ``false``). moto's object-level check ignores a
bucket policy's ``Condition`` (it even turns an unmet condition into a
deny), so once CloudFormation applies such a policy, every object request
gets 403 and the embedded S3 is unusable.

Here the policy is evaluated with its conditions first:

* ``aws:SecureTransport`` is ``true``: the embedded endpoint stands in for
  AWS's TLS endpoints (clients reach it over loopback HTTP only because it
  is local), so TLS-only statements do not deny.
* A statement whose conditions hold stays, without its ``Condition``; one
  whose conditions do not hold is left out. Conditions on other keys, or
  with operators not handled here, cannot be evaluated for a request, so the
  statement is left out as well (moto would have applied it
  unconditionally). Statements without conditions go to moto unchanged.
"""

from __future__ import annotations

import json
from typing import Any

from moto.s3.models import FakeBucket

#: Request context of every request the embedded AWS serves.
REQUEST_CONTEXT = {"aws:securetransport": "true"}

_BOOL_OPERATORS = {"Bool", "BoolIfExists"}
_STRING_OPERATORS = {"StringEquals", "StringEqualsIgnoreCase", "StringNotEquals", "StringNotEqualsIgnoreCase"}


def _values(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in items]


def _condition_holds(condition: dict[str, Any]) -> bool | None:
    """True/False when every operator and key is known, None when it cannot be told."""
    for operator, tests in condition.items():
        if operator not in _BOOL_OPERATORS | _STRING_OPERATORS or not isinstance(tests, dict):
            return None
        for key, expected in tests.items():
            actual = REQUEST_CONTEXT.get(key.lower())
            if actual is None:
                return None
            wanted = [v.lower() for v in _values(expected)]
            matched = actual.lower() in wanted
            if operator.startswith("StringNot"):
                matched = not matched
            if not matched:
                return False
    return True


def effective_policy(policy: dict[str, Any]) -> dict[str, Any]:
    """The policy with conditional statements resolved against REQUEST_CONTEXT."""
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    kept = []
    for statement in statements:
        condition = statement.get("Condition")
        if not condition:
            kept.append(statement)
        elif _condition_holds(condition):
            kept.append({k: v for k, v in statement.items() if k != "Condition"})
    return {**policy, "Statement": kept}


_ORIGINAL = FakeBucket.get_permission


def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
    from moto.iam.access_control import IAMPolicy, PermissionResult

    if self.policy is None:
        return PermissionResult.NEUTRAL
    policy = effective_policy(json.loads(self.policy.decode()))
    if not policy["Statement"]:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource)


get_permission.__wrapped__ = _ORIGINAL  # type: ignore[attr-defined]  # compat checks moto's own


_INSTALLED = False


def install() -> None:
    global _INSTALLED
    if not _INSTALLED:
        FakeBucket.get_permission = get_permission  # type: ignore[method-assign]
        _INSTALLED = True
