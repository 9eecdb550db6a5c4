"""A changed parameter updates the resources that see it through a condition.

moto's UpdateStack finds the resources to modify by comparing their template
text and, when only parameters changed, by looking for a ``Ref`` to a changed
parameter in the resource. A resource that sees the parameter through a
condition (``Fn::If: [SomeCondition, ...]``, the condition naming the
parameter) is left as it was, so e.g. a rule whose ``State`` depends on a
mode parameter never changes. On AWS it does: here such a resource is
modified too.
"""

from __future__ import annotations

from typing import Any, Callable

from moto.cloudformation.parsing import ResourceMap, get_references_from_template

_ORIGINAL: Callable[..., dict[str, Any]] | None = None


def conditions_of(node: Any) -> set[str]:
    """The conditions a template fragment uses (``Fn::If`` and nested ``Condition``)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Fn::If" and isinstance(value, list) and value and isinstance(value[0], str):
                found.add(value[0])
            elif key == "Condition" and isinstance(value, str):
                found.add(value)
            found |= conditions_of(value)
    elif isinstance(node, list):
        for item in node:
            found |= conditions_of(item)
    return found


def affected_conditions(conditions: dict[str, Any], changed_parameters: set[str]) -> set[str]:
    """The conditions whose value may change with the parameters (directly or through another condition)."""
    affected = {name for name, body in conditions.items() if changed_parameters & set(get_references_from_template(body))}
    while True:
        more = {name for name, body in conditions.items() if name not in affected and conditions_of(body) & affected}
        if not more:
            return affected
        affected |= more


def build_resource_diff(self: ResourceMap, other_template: dict[str, Any], parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    assert _ORIGINAL is not None
    actions = _ORIGINAL(self, other_template, parameters)
    if not parameters:
        return actions
    changed = {name for name in parameters if self.input_parameters.get(name) != parameters[name]}
    affected = affected_conditions(other_template.get("Conditions") or {}, changed)
    if not affected:
        return actions
    old = self._resource_json_map
    for name, resource in other_template["Resources"].items():
        properties = resource.get("Properties") if isinstance(resource, dict) else None
        if name in old and name not in actions["Modify"] and conditions_of(properties) & affected:
            actions["Modify"].append(name)
    return actions


def install() -> None:
    global _ORIGINAL
    if _ORIGINAL is None:
        _ORIGINAL = ResourceMap.build_resource_diff
        ResourceMap.build_resource_diff = build_resource_diff  # type: ignore[method-assign]
