"""A ``States.*`` error raised inside a Parallel branch or a Map iteration
reaches the Parallel/Map state under its own name, as on AWS.

moto 5.2.5 rebuilds the error of a failed branch or iteration as a custom
error name, and custom names may not start with ``States.``: so a
``States.QueryEvaluationError`` (or ``States.Timeout``, ``States.TaskFailed``
...) inside a branch turned into ``States.Runtime`` ("Custom Error Names MUST
NOT begin with the prefix 'States.'") and no Catch naming the real error
could match. Here both places build the error name with ``error_name``:
a ``States.`` name becomes the matching ``StatesErrorName``.
"""

from __future__ import annotations

from typing import Any

from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import iteration_worker
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branches_decl

from embedded_aws.compat import EmulatorCompatibilityError

_PATCHED_MODULES = (branches_decl, iteration_worker)


class _ReservedErrorName(ErrorName):
    """A ``States.`` name moto's grammar does not list (matched by name only)."""


def error_name(error_name: Any) -> ErrorName:
    """The ErrorName for an error that ended a branch or an iteration."""
    if isinstance(error_name, str) and error_name.startswith("States."):
        try:
            return StatesErrorName.from_name(error_name)
        except ValueError:
            return _ReservedErrorName(error_name=error_name)
    return CustomErrorName(error_name=error_name)


_INSTALLED = False


def install() -> None:
    """Point the branch and iteration failure paths at ``error_name`` (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    problems = [f"{m.__name__} no longer uses CustomErrorName" for m in _PATCHED_MODULES
                if getattr(m, "CustomErrorName", None) is not CustomErrorName]
    if not hasattr(StatesErrorName, "from_name"):
        problems.append("StatesErrorName.from_name is missing")
    if problems:
        raise EmulatorCompatibilityError(problems)
    for module in _PATCHED_MODULES:
        module.CustomErrorName = error_name  # type: ignore[attr-defined]
    _INSTALLED = True
