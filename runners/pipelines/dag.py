"""Dependencies between steps -> the nesting of sequences and Parallel states.

A series-parallel DAG (the usual shape: independent chains that meet) is
rendered exactly: every step waits for what it depends on and nothing else.
Any other DAG is rendered in stages that keep every dependency but may make a
step wait for a sibling it does not need; ``plan`` says so in ``approximate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

Block = Union[str, "Sequence", "Fork"]


@dataclass(frozen=True)
class Sequence:
    parts: tuple[Block, ...]


@dataclass(frozen=True)
class Fork:
    """Branches that run at the same time (a Parallel state)."""

    branches: tuple[Block, ...]


@dataclass
class Plan:
    block: Block
    approximate: list[str] = field(default_factory=list)  # nodes that wait for more than they need


def plan(order: list[str], after: dict[str, set[str]]) -> Plan:
    """``order``: every node, in file order (kept where the DAG allows);
    ``after``: node -> the nodes it depends on."""
    ancestors = _ancestors(order, after)
    notes: list[str] = []
    return Plan(_decompose(list(order), after, ancestors, notes), notes)


def _ancestors(order: list[str], after: dict[str, set[str]]) -> dict[str, set[str]]:
    result: dict[str, set[str]] = {}

    def of(node: str) -> set[str]:
        if node not in result:
            found: set[str] = set()
            for parent in after.get(node, ()):
                found |= {parent} | of(parent)
            result[node] = found
        return result[node]

    for node in order:
        of(node)
    return result


def _decompose(nodes: list[str], after: dict[str, set[str]], ancestors: dict[str, set[str]], notes: list[str]) -> Block:
    if len(nodes) == 1:
        return nodes[0]
    components = _components(nodes, after)
    if len(components) > 1:
        return Fork(tuple(_decompose(c, after, ancestors, notes) for c in components))
    head, tail = _series_split(nodes, ancestors, notes)
    parts: list[Block] = []
    for group in (head, tail):
        block = _decompose(group, after, ancestors, notes)
        parts.extend(block.parts if isinstance(block, Sequence) else (block,))
    return Sequence(tuple(parts))


def _components(nodes: list[str], after: dict[str, set[str]]) -> list[list[str]]:
    inside = set(nodes)
    neighbours: dict[str, set[str]] = {n: set() for n in nodes}
    for node in nodes:
        for parent in after.get(node, ()):
            if parent in inside:
                neighbours[node].add(parent)
                neighbours[parent].add(node)
    seen: set[str] = set()
    components = []
    for node in nodes:
        if node in seen:
            continue
        stack, members = [node], set()
        while stack:
            current = stack.pop()
            if current in members:
                continue
            members.add(current)
            stack.extend(neighbours[current] - members)
        seen |= members
        components.append([n for n in nodes if n in members])
    return components


def _series_split(nodes: list[str], ancestors: dict[str, set[str]], notes: list[str]) -> tuple[list[str], list[str]]:
    """Split a connected set into a head that must all finish before the tail.

    Exact when every tail node depends on every head node. Candidates: each
    node with its ancestors, and each level prefix (longest-path depth)."""
    inside = set(nodes)
    local = {n: ancestors[n] & inside for n in nodes}
    depth: dict[str, int] = {}
    for node in sorted(nodes, key=lambda n: len(local[n])):
        depth[node] = 1 + max((depth[p] for p in local[node]), default=-1)
    candidates: list[set[str]] = [local[n] | {n} for n in nodes]
    candidates += [{n for n in nodes if depth[n] < level} for level in range(1, max(depth.values()) + 1)]
    exact = [head for head in candidates if 0 < len(head) < len(nodes) and all(head <= local[t] for t in inside - head)]
    if exact:
        head = min(exact, key=len)
    else:
        head = {n for n in nodes if depth[n] == 0}
        notes.extend(sorted(t for t in inside - head if not head <= local[t]))
    return [n for n in nodes if n in head], [n for n in nodes if n not in head]
