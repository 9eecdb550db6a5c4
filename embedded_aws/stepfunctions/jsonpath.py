"""JSONPath as AWS evaluates it: a definite path selects one value.

A path without a wildcard, slice, filter, union or ``..`` (e.g.
``$.books[0].title``) selects a single value; only indefinite paths give a
list (Jayway's rule, which Step Functions follows). moto wrapped any path
that passed an array index into a list.
"""

from __future__ import annotations

import re
from typing import Any

from jsonpath_ng.ext import parse as parse_json_path
from moto.stepfunctions.parser.asl.utils import json_path as moto_json_path

from embedded_aws.stepfunctions.rebind import rebind

# Jayway (the JSONPath flavour AWS follows): a path is indefinite if it has a
# deep scan, a wildcard, a filter, a slice or a union of indices or names.
_INDEFINITE = re.compile(r"\.\.|\*|\[\?|\[[^\]]*[:,][^\]]*\]")


def is_definite(path: str) -> bool:
    """Whether ``path`` can select at most one value."""
    outside_quotes = re.sub(r"'[^']*'|\"[^\"]*\"", "''", path)
    return _INDEFINITE.search(outside_quotes) is None


def extract_json(path: str, data: Any) -> Any:
    """The value at ``path`` (definite) or the list of values (indefinite).

    A definite path that selects nothing raises NoSuchJsonPathError (callers
    turn it into States.Runtime / ParameterPathFailure); an indefinite one
    gives an empty list.
    """
    matches = parse_json_path(path).find(data)
    if is_definite(path):
        if not matches:
            raise moto_json_path.NoSuchJsonPathError(json_path=path, data=data)
        return matches[0].value
    return [match.value for match in matches]


def install() -> None:
    """Every importer of moto's extract_json gets this one (idempotent)."""
    if moto_json_path.extract_json is not extract_json:
        import moto.stepfunctions.parser.asl.parse.preprocessor  # noqa: F401  (loads every importer)

        rebind(moto_json_path.extract_json, extract_json)
        moto_json_path.extract_json = extract_json
