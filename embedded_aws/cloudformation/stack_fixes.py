"""A deleted stack must not bring its resources back.

moto resolves a stack's outputs lazily through the stack's resource map,
and a resource missing from that map is created on first reference. After
DeleteStack the map is empty, so the next DescribeStacks of the deleted
stack (by stack id, as a waiter does) evaluates the outputs and re-creates
every resource they name: state machines, activities, jobs and so on
reappear. Here a deleted stack keeps no outputs (AWS lists none for it).
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.models import Stack


class _NoOutputs(dict):  # type: ignore[type-arg]
    """Stands in for moto's OutputMap: no outputs, no exports."""

    exports: list[Any] = []


_ORIGINAL_DELETE = Stack.delete


def delete(self: Stack) -> None:
    _ORIGINAL_DELETE(self)
    if self.status == "DELETE_COMPLETE":
        self.output_map = _NoOutputs()


delete.__wrapped__ = _ORIGINAL_DELETE  # type: ignore[attr-defined]  # compat checks moto's own


_INSTALLED = False


def install() -> None:
    global _INSTALLED
    if not _INSTALLED:
        Stack.delete = delete  # type: ignore[method-assign]
        _INSTALLED = True
