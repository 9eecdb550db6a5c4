"""Reading a state machine definition: every state in reading order, and where
each puts its result. Used to follow and summarise any execution."""

from __future__ import annotations

from typing import Any, Iterator


def all_states(states: dict[str, Any], depth: int = 0) -> Iterator[tuple[str, dict[str, Any], int]]:
    """(name, state, nesting depth) for every state, branches included, in reading order."""
    for name, state in states.items():
        yield name, state, depth
        for branch in state.get("Branches", []):
            yield from all_states(branch["States"], depth + 1)
        iterator = state.get("ItemProcessor") or state.get("Iterator")
        if iterator:
            yield from all_states(iterator["States"], depth + 1)


def result_keys(definition: dict[str, Any]) -> dict[str, str]:
    """State name -> the top-level key its ResultPath writes (``$.salesJob`` -> ``salesJob``)."""
    keys = {}
    for name, state, _ in all_states(definition.get("States", {})):
        path = state.get("ResultPath")
        if isinstance(path, str) and path.startswith("$.") and "." not in path[2:] and "[" not in path:
            keys[name] = path[2:]
    return keys


def parent_states(definition: dict[str, Any]) -> dict[str, str]:
    """State name -> the Parallel or Map state whose branch holds it."""
    parents: dict[str, str] = {}

    def walk(states: dict[str, Any], parent: str | None) -> None:
        for name, state in states.items():
            if parent:
                parents[name] = parent
            for branch in state.get("Branches", []):
                walk(branch["States"], name)
            iterator = state.get("ItemProcessor") or state.get("Iterator")
            if iterator:
                walk(iterator["States"], name)

    walk(definition.get("States", {}), None)
    return parents
