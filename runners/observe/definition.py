"""A state machine definition as a tree: every state with its type, the
Parallel or Map state it sits in, and its outgoing edges.

State names are unique in a whole state machine (branches included), so a
name identifies a state everywhere in the history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

CONTAINERS = ("Parallel", "Map")

# Edge kinds: how a state hands over to the next one.
NEXT, DEFAULT, CHOICE, CATCH = "next", "default", "choice", "catch"


@dataclass(frozen=True)
class Edge:
    target: str
    kind: str
    label: str = ""


@dataclass
class StateDef:
    name: str
    type: str
    spec: dict[str, Any]
    parent: str | None  # the enclosing Parallel or Map state
    depth: int
    branches: list["Flow"] = field(default_factory=list)  # a container's branches (a Map: its item processor)

    @property
    def is_container(self) -> bool:
        return self.type in CONTAINERS

    @property
    def edges(self) -> list[Edge]:
        return state_edges(self.spec)


@dataclass
class Flow:
    """One States dict with its StartAt: the top level or a branch."""

    start_at: str
    names: list[str]  # reading order


@dataclass
class Definition:
    flow: Flow
    states: dict[str, StateDef]  # every state, reading order
    comment: str = ""

    def ancestors(self, name: str) -> Iterator[str]:
        """The containers around a state, innermost first."""
        parent = self.states[name].parent if name in self.states else None
        while parent is not None:
            yield parent
            parent = self.states[parent].parent


def parse(definition: dict[str, Any] | str) -> Definition:
    import json

    data = json.loads(definition) if isinstance(definition, str) else definition
    states: dict[str, StateDef] = {}
    flow = _flow(data, None, 0, states)
    return Definition(flow, states, str(data.get("Comment", "")))


def _flow(block: dict[str, Any], parent: str | None, depth: int, states: dict[str, StateDef]) -> Flow:
    names = list(block.get("States", {}))
    for name, spec in block.get("States", {}).items():
        state = StateDef(name, str(spec.get("Type", "")), spec, parent, depth)
        states[name] = state
        for branch in spec.get("Branches", []):
            state.branches.append(_flow(branch, name, depth + 1, states))
        processor = spec.get("ItemProcessor") or spec.get("Iterator")
        if processor:
            state.branches.append(_flow(processor, name, depth + 1, states))
    return Flow(str(block.get("StartAt", names[0] if names else "")), names)


def state_edges(spec: dict[str, Any]) -> list[Edge]:
    """Where a state can go next: Next, Choice rules, Default and Catch (failure paths)."""
    edges: list[Edge] = []
    for index, choice in enumerate(spec.get("Choices", []) or []):
        if "Next" in choice:
            edges.append(Edge(choice["Next"], CHOICE, _choice_label(choice, index)))
    if "Default" in spec:
        edges.append(Edge(spec["Default"], DEFAULT, "default"))
    if "Next" in spec:
        edges.append(Edge(spec["Next"], NEXT))
    for catch in spec.get("Catch", []) or []:
        if "Next" in catch:
            edges.append(Edge(catch["Next"], CATCH, ", ".join(catch.get("ErrorEquals", []))))
    return edges


def _choice_label(choice: dict[str, Any], index: int) -> str:
    """A short label for a Choice rule: the variable and test it checks."""
    if choice.get("Comment"):
        return str(choice["Comment"])[:40]
    if "Condition" in choice:  # JSONata: an expression too long for a label
        return f"rule {index + 1}"
    variable = choice.get("Variable")
    tests = [k for k in choice if k not in ("Variable", "Next", "Comment", "Assign", "Output")]
    if variable and tests:
        value = choice[tests[0]]
        return f"{variable} {tests[0]} {json_short(value)}"[:40]
    return f"rule {index + 1}"


def json_short(value: Any) -> str:
    import json

    text = json.dumps(value)
    return text if len(text) <= 16 else text[:15] + "…"
