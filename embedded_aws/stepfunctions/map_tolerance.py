"""Distributed Map failure thresholds as documented.

An integer ``ToleratedFailurePercentage`` is accepted (moto's grammar only
took decimals), and the Map Run fails with
``States.ExceedToleratedFailureThreshold`` once failed items exceed
``ToleratedFailureCount`` or ``ToleratedFailurePercentage``; with neither
given, no failure is tolerated. moto ignored both and always succeeded.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.distributed_iteration_component import (
    DistributedIterationComponent,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap
from moto.stepfunctions.parser.asl.component.state.exec.state_map.tolerated_failure import (
    ToleratedFailureCountDecl,
    ToleratedFailureCountInt,
    ToleratedFailurePercentage,
    ToleratedFailurePercentageDecl,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

from embedded_aws.stepfunctions.error_names import states_failure

_NO_COUNT_LIMIT = 2**62
_NO_PERCENT_LIMIT = 100.0

_moto_map_from_state_props: Callable[..., None] | None = None
_moto_map_run: Callable[..., None] | None = None


def _map_from_state_props(self: StateMap, state_props: Any) -> None:
    """When only one threshold is given, the other does not limit (AWS: either one alone)."""
    _moto_map_from_state_props(self, state_props)  # type: ignore[misc]
    count_given = state_props.get(ToleratedFailureCountDecl) is not None
    percentage_given = state_props.get(ToleratedFailurePercentageDecl) is not None
    if percentage_given and not count_given:
        self.tolerated_failure_count_decl = ToleratedFailureCountInt(_NO_COUNT_LIMIT)
    if count_given and not percentage_given:
        self.tolerated_failure_percentage_decl = ToleratedFailurePercentage(_NO_PERCENT_LIMIT)


def exceeds_tolerance(failed: int, total: int, count: int, percentage: float) -> bool:
    """AWS: the Map Run fails when failed items exceed either threshold."""
    if failed == 0:
        return False
    return failed > count or (total > 0 and failed * 100.0 / total > percentage)


def _map_run(self: DistributedIterationComponent, env: Environment, eval_input: Any) -> None:
    _moto_map_run(self, env, eval_input)  # type: ignore[misc]
    counter = eval_input.map_run_record.item_counter
    failed = counter.failed.get() + counter.timed_out.get()
    total = counter.total.get()
    if exceeds_tolerance(failed, total, eval_input.tolerated_failure_count, eval_input.tolerated_failure_percentage):
        env.stack.pop()  # the partial results
        raise states_failure(
            env, StatesErrorNameType.StatesExceedToleratedFailureThreshold,
            "The specified tolerated failure threshold was exceeded",
        )


# --- definitions moto's grammar refuses --------------------------------------------------------

_moto_parse: Callable[[str], Any] | None = None


def _integer_percentages(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: float(value) if key == "ToleratedFailurePercentage" and type(value) is int else _integer_percentages(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_integer_percentages(item) for item in node]
    return node


def normalise_definition(definition: str) -> str:
    """The definition with integer ToleratedFailurePercentage written as decimals (same value)."""
    if "ToleratedFailurePercentage" not in definition:
        return definition
    try:
        return json.dumps(_integer_percentages(json.loads(definition)))
    except ValueError:
        return definition  # the parser reports the syntax error


def _parse(definition: str) -> Any:
    return _moto_parse(normalise_definition(definition))  # type: ignore[misc]


_INSTALLED = False


def install() -> None:
    """Apply the thresholds and the definition normalisation (idempotent)."""
    global _INSTALLED, _moto_map_from_state_props, _moto_map_run, _moto_parse
    if _INSTALLED:
        return
    _moto_map_from_state_props = StateMap.from_state_props
    StateMap.from_state_props = _map_from_state_props  # type: ignore[method-assign]
    _moto_map_run = DistributedIterationComponent._map_run
    _map_run.__wrapped__ = _moto_map_run  # type: ignore[attr-defined]  (compat reads moto's source through it)
    DistributedIterationComponent._map_run = _map_run  # type: ignore[method-assign]
    _moto_parse = AmazonStateLanguageParser.parse
    AmazonStateLanguageParser.parse = staticmethod(_parse)  # type: ignore[method-assign]
    _INSTALLED = True
