"""Athena's error shapes: the AthenaError of a failed query, and Trino's wording.

A failed query's ``StateChangeReason`` starts with Trino's error name
(``COLUMN_NOT_FOUND: line 1:8: ...``). ``athena_error`` derives the
``AthenaError`` structure from it, using the categories and types of the
Athena error catalog (docs: "Athena error catalog"): category 1 SYSTEM,
2 USER, 3 OTHER; types such as 1006 syntax error, 1100 invalid argument,
1200 query not supported, 1301 entity not found, 1303 function not found.

``locate`` words a wrongly named column or function as Trino does, with
its ``line L:C:`` in the query.
"""

from __future__ import annotations

import re
from typing import Any

USER, SYSTEM = 2, 1

# Trino error name -> Athena error type, as Athena files them (the pairs the athena-local project
# measured against Athena on 2026-09-14; the rest use the catalog's type whose description fits,
# else 1000 "User error").
_TYPES = {
    "DIVISION_BY_ZERO": 1001,
    "HIVE_BAD_DATA": 1001,
    "TYPE_MISMATCH": 1002,
    "SYNTAX_ERROR": 1006,
    "COLUMN_NOT_FOUND": 1006,
    "CATALOG_NOT_FOUND": 1006,
    "INVALID_CAST_ARGUMENT": 1100,
    "NUMERIC_VALUE_OUT_OF_RANGE": 1100,
    "INVALID_PARAMETER_USAGE": 1100,
    "INVALID_FUNCTION_ARGUMENT": 1106,
    "TABLE_ALREADY_EXISTS": 1110,
    "NOT_SUPPORTED": 1200,
    "TABLE_NOT_FOUND": 1301,
    "SCHEMA_NOT_FOUND": 1301,
    "NOT_FOUND": 1301,
    "FUNCTION_NOT_FOUND": 1303,
}
_NAME = re.compile(r"([A-Z][A-Z_]+):")
RESULT_WRITE_FAILED = "Unable to write query results"
ENGINE_FAULT = "Local Athena engine error"


def athena_error(reason: str | None) -> dict[str, Any]:
    """The ``AthenaError`` of a FAILED query whose StateChangeReason is ``reason``."""
    reason = reason or ""
    if reason.startswith(RESULT_WRITE_FAILED):
        category, error_type = SYSTEM, 401
    elif reason.startswith(ENGINE_FAULT):
        category, error_type = SYSTEM, 200
    elif reason.startswith("FAILED: "):  # Hive DDL; Athena files its failures as system, "DDL task failed"
        category, error_type = SYSTEM, 1003
    else:
        match = _NAME.match(reason)
        category, error_type = USER, _TYPES.get(match.group(1), 1000) if match else 1000
    retryable = error_type == 401  # writing the results may well work the next time
    return {"ErrorCategory": category, "ErrorType": error_type, "Retryable": retryable, "ErrorMessage": reason}


_COLUMN = re.compile(r"COLUMN_NOT_FOUND: Column '([^']+)' cannot be resolved.*", re.DOTALL)
_FUNCTION = re.compile(r"FUNCTION_NOT_FOUND: Function '([^']+)' not registered")


def position(text: str, offset: int) -> str:
    """``line:column`` (1-based) of a character offset, as Trino reports positions."""
    line = text.count("\n", 0, offset) + 1
    return f"{line}:{offset - (text.rfind(chr(10), 0, offset) + 1) + 1}"


def _find(query: str, pattern: str) -> str:
    match = re.search(pattern, query, re.IGNORECASE)
    return f"line {position(query, match.start())}: " if match else ""


# DuckDB binder messages -> Trino's error name and wording (``{0}``... are the match's groups).
_BINDER = [
    (re.compile(r'column "([^"]+)" must appear in the GROUP BY clause'),
     "EXPRESSION_NOT_AGGREGATE: '{0}' must be an aggregate expression or appear in GROUP BY clause"),
    (re.compile(r'Ambiguous reference to column name "([^"]+)"'), "AMBIGUOUS_NAME: Column '{0}' is ambiguous"),
    (re.compile(r"No function matches the given name and argument types '(\w+)\((.*)\)'"),
     "FUNCTION_NOT_FOUND: Unexpected parameters ({1}) for function {0}"),
    (re.compile(r'best candidate function for the function call "([^\w\s(]+)\((\S+), (\S+)\)"'),
     "TYPE_MISMATCH: Cannot apply operator: {1} {0} {2}"),
    (re.compile(r"Cannot compare values of type (\S+) and type (\S+)"),
     "TYPE_MISMATCH: Cannot apply operator: {0} = {1}"),
]
_DUCKDB_TYPE_NAMES = {"integer_literal": "integer", "string_literal": "varchar", "int32": "integer", "int64": "bigint"}


def _trino_types(text: str) -> str:
    return ", ".join(_DUCKDB_TYPE_NAMES.get(t.strip().lower(), t.strip().lower()) for t in text.split(",") if t.strip())


def from_binder(message: str) -> str | None:
    """Trino's error for a DuckDB binder message, where the two mean the same; else None."""
    for pattern, wording in _BINDER:
        if match := pattern.search(message):
            groups = [match.group(1)] + [_trino_types(g) for g in match.groups()[1:]]
            if wording.startswith("TYPE_MISMATCH: Cannot apply operator: {0}"):
                groups = [_trino_types(g) for g in match.groups()]
            return wording.format(*groups)
    return None


_AMBIGUOUS = re.compile(r"AMBIGUOUS_NAME: Column '([^']+)' is ambiguous")
_NOT_AGGREGATE = re.compile(r"EXPRESSION_NOT_AGGREGATE: '([^']+)' must be .*")
_PARAMETERS = re.compile(r"FUNCTION_NOT_FOUND: Unexpected parameters \(.*\) for function (\w+)")


def _column_pattern(name: str) -> str:
    return rf'(?<![\w."]){re.escape(name)}(?![\w"])|"{re.escape(name)}"'


def locate(message: str, query: str) -> str:
    """Trino's wording, with ``line L:C:``, of a column or function the query names wrongly."""
    for pattern, name_is_function in ((_AMBIGUOUS, False), (_NOT_AGGREGATE, False), (_PARAMETERS, True)):
        if match := pattern.fullmatch(message):
            name = match.group(1)
            where = _find(query, rf"(?<![\w.]){re.escape(name)}\s*\(" if name_is_function else _column_pattern(name))
            kind, _, rest = message.partition(": ")
            return f"{kind}: {where}{rest}"
    if match := _COLUMN.fullmatch(message):
        name = match.group(1)
        where = _find(query, rf'(?<![\w."]){re.escape(name)}(?![\w"])|"{re.escape(name)}"')
        return (
            f"COLUMN_NOT_FOUND: {where}Column '{name}' cannot be resolved "
            "or requester is not authorized to access requested resources"
        )
    if match := _FUNCTION.fullmatch(message):
        where = _find(query, rf"(?<![\w.]){re.escape(match.group(1))}\s*\(")
        return f"FUNCTION_NOT_FOUND: {where}Function '{match.group(1)}' not registered"
    return message
