"""The functions Step Functions adds to JSONata (AWS: "JSONata functions
provided by Step Functions"): ``$partition``, ``$range``, ``$hash``,
``$random``, ``$uuid`` and ``$parse``.

Each is a plain Python callable; ``engine`` registers them with the JSONata
engine. A misuse raises ``FunctionError``, which the engine reports as
``States.QueryEvaluationError`` like any other evaluation error.
"""

from __future__ import annotations

import hashlib
import json
import random as _random
import uuid as _uuid
from typing import Any, Callable

HASH_ALGORITHMS: dict[str, Callable[[bytes], Any]] = {
    "MD5": hashlib.md5,
    "SHA-1": hashlib.sha1,
    "SHA-256": hashlib.sha256,
    "SHA-384": hashlib.sha384,
    "SHA-512": hashlib.sha512,
}


class FunctionError(ValueError):
    """A Step Functions JSONata function was called with unusable arguments."""


def _integer(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        raise FunctionError(f"{what} must be an integer, got {json.dumps(value)}")
    return int(value)


def partition(array: Any, chunk_size: Any) -> list[list[Any]]:
    """``$partition(array, chunkSize)``: the array cut into chunks; the last may be shorter."""
    if not isinstance(array, list):
        array = [array]
    size = _integer(chunk_size, "$partition chunk size")
    if size <= 0:
        raise FunctionError("$partition chunk size must be greater than 0")
    return [array[i : i + size] for i in range(0, len(array), size)]


def range_(start: Any, end: Any, step: Any = 1) -> list[int]:
    """``$range(start, end, step)``: start, start+step, ... up to and including end."""
    first, last, stride = (_integer(v, f"$range {n}") for v, n in ((start, "start"), (end, "end"), (step, "step")))
    if stride == 0:
        raise FunctionError("$range step must not be 0")
    return list(range(first, last + (1 if stride > 0 else -1), stride))


def hash_(data: Any, algorithm: Any) -> str:
    """``$hash(data, algorithm)``: hex digest; MD5, SHA-1, SHA-256, SHA-384 or SHA-512."""
    if not isinstance(data, str):
        raise FunctionError(f"$hash data must be a string, got {json.dumps(data)}")
    digest = HASH_ALGORITHMS.get(algorithm) if isinstance(algorithm, str) else None
    if digest is None:
        raise FunctionError(f"$hash algorithm must be one of {', '.join(HASH_ALGORITHMS)}, got {json.dumps(algorithm)}")
    return digest(data.encode("utf-8")).hexdigest()


def random(seed: Any = None) -> float:
    """``$random([seed])``: a number in [0, 1); the same seed gives the same number."""
    if seed is None:
        return _random.random()
    return _random.Random(_integer(seed, "$random seed")).random()


def uuid() -> str:
    """``$uuid()``: a version 4 UUID."""
    return str(_uuid.uuid4())


def parse(text: Any) -> Any:
    """``$parse(jsonString)``: the JSON value a string holds (Step Functions' stand-in for ``$eval``)."""
    if not isinstance(text, str):
        raise FunctionError(f"$parse argument must be a string, got {json.dumps(text)}")
    try:
        return json.loads(text)
    except ValueError as error:
        raise FunctionError(f"$parse argument is not valid JSON: {error}") from error


# name -> (implementation, JSONata signature)
FUNCTIONS: dict[str, tuple[Callable[..., Any], str]] = {
    "partition": (partition, "<an:a>"),
    "range": (range_, "<nnn?:a>"),
    "hash": (hash_, "<ss:s>"),
    "random": (random, "<n?:n>"),
    "uuid": (uuid, "<:s>"),
    "parse": (parse, "<s:x>"),
}
