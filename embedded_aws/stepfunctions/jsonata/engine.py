"""Evaluate one JSONata expression the way Step Functions does.

Engine: ``jsonata-python`` (pure Python, Apache-2.0, actively released), a
port of jsonata-java, the engine LocalStack's interpreter (which moto copied)
was written against. It needs no JVM or Node, and it takes variable bindings
directly, so values never pass through expression text.

Step Functions specifics handled here:
* the Step Functions functions (``functions.FUNCTIONS``) are bound in every
  evaluation; ``$eval`` is not available (AWS: use ``$parse``);
* JSONata's "undefined" is told apart from JSON ``null`` (``UNDEFINED``), as
  Step Functions fails a field whose expression returns nothing;
* numbers come back as JSON numbers: a whole float (JSONata computes in
  doubles) is returned as an int, so ``1 + 1`` serialises as ``2``.
"""

from __future__ import annotations

import math
import sys
from typing import Any, Mapping

# jsonata-python raises the process-wide recursion limit to 10000 when it is
# imported; that would change every other thread of the emulator (and risks
# a C stack overflow instead of a RecursionError). Keep the process's limit:
# an expression nested too deeply then fails as an evaluation error.
_RECURSION_LIMIT = sys.getrecursionlimit()
from jsonata import Jsonata  # noqa: E402
from jsonata.utils import Utils  # noqa: E402

sys.setrecursionlimit(_RECURSION_LIMIT)

from embedded_aws.stepfunctions.jsonata import functions


class _Undefined:
    """JSONata's "no value" (a missing field, an empty sequence)."""

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED = _Undefined()


class EvaluationError(Exception):
    """The expression does not parse, fails while evaluating, or returns a non-JSON value."""


def _not_available(*_args: Any) -> Any:
    raise functions.FunctionError("$eval is not available in Step Functions; use $parse")


def _function_bindings() -> dict[str, Any]:
    bound = {
        name: Jsonata.JFunction(Jsonata.JLambda(implementation), signature)
        for name, (implementation, signature) in functions.FUNCTIONS.items()
    }
    bound["eval"] = Jsonata.JLambda(_not_available)
    return bound


_FUNCTIONS = _function_bindings()


def _to_json(value: Any) -> Any:
    """A Python JSON value from the engine's result (nulls, sequences, doubles)."""
    if value is Utils.NULL_VALUE or value is None:
        return None
    if isinstance(value, bool) or isinstance(value, (str, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise EvaluationError(f"the result is not a JSON number ({value})")
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, list):
        return [_to_json(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _to_json(item) for key, item in value.items()}
    raise EvaluationError("the result is a function or another value JSON cannot represent")


def evaluate(expression: str, variables: Mapping[str, Any]) -> Any:
    """The JSON value of ``expression`` with ``variables`` bound (names without ``$``).

    Returns ``UNDEFINED`` when the expression yields nothing; raises
    ``EvaluationError`` with a readable message when it cannot be evaluated.
    """
    try:
        # A fresh instance per evaluation: jsonata-python keeps per-thread state
        # pointing at the most recently constructed expression.
        compiled = Jsonata(expression)
        compiled.set_output_convert_nulls(False)
        result = compiled.evaluate(None, {**_FUNCTIONS, **variables})
    except EvaluationError:
        raise
    except RecursionError as error:
        raise EvaluationError("the expression recursed too deeply") from error
    except Exception as error:  # the engine raises JException, ValueError, ZeroDivisionError, ...
        raise EvaluationError(_message(error)) from error
    if result is None:
        return UNDEFINED
    return _to_json(result)


def _message(error: Exception) -> str:
    code = getattr(error, "error", None)
    text = str(error) or type(error).__name__
    if isinstance(error, ZeroDivisionError):
        return "Number out of range: division by zero"
    return f"{code}: {text}" if code and not text.startswith(str(code)) else text
