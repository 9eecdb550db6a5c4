"""Athena's error shapes: AthenaError of a failed query, and refusal of a malformed one.

A failed query's ``StateChangeReason`` starts with Trino's error name
(``COLUMN_NOT_FOUND: line 1:8: ...``). ``athena_error`` derives the
``AthenaError`` structure from it, using the categories and types of the
Athena error catalog (docs: "Athena error catalog"): category 1 SYSTEM,
2 USER, 3 OTHER; types such as 1006 syntax error, 1200 query not supported,
1301 entity not found, 1303 function not found.

Athena parses a query when it is submitted: a statement that does not parse
never becomes an execution, ``StartQueryExecution`` answers
``InvalidRequestException`` with the parser's ``line L:C: ...`` message and
``AthenaErrorCode`` ``MALFORMED_QUERY``. ``check_syntax`` does that for the
query statements (DDL is left to its own parser).
"""

from __future__ import annotations

import json
import re
from typing import Any

import sqlglot
from moto.core.exceptions import JsonRESTError
from sqlglot.errors import ParseError, TokenError

USER, SYSTEM = 2, 1

# Trino error name -> Athena error type (error catalog).
_TYPES = {
    "SYNTAX_ERROR": 1006,
    "COLUMN_NOT_FOUND": 1006,
    "MISSING_COLUMN_NAME": 1006,
    "AMBIGUOUS_NAME": 1006,
    "TYPE_MISMATCH": 1006,
    "SEMANTIC_ERROR": 1006,
    "EXPRESSION_NOT_AGGREGATE": 1006,
    "INVALID_LITERAL": 1006,
    "INVALID_PARAMETER_USAGE": 1006,
    "TABLE_NOT_FOUND": 1301,
    "SCHEMA_NOT_FOUND": 1301,
    "CATALOG_NOT_FOUND": 1301,
    "FUNCTION_NOT_FOUND": 1303,
    "NOT_SUPPORTED": 1200,
    "INVALID_FUNCTION_ARGUMENT": 1106,
    "DIVISION_BY_ZERO": 1001,
    "INVALID_CAST_ARGUMENT": 1001,
    "NUMERIC_VALUE_OUT_OF_RANGE": 1001,
    "HIVE_BAD_DATA": 1001,
    "HIVE_INVALID_METADATA": 1004,
    "HIVE_FILESYSTEM_ERROR": 1302,
    "NOT_FOUND": 1301,
    "FAILED": 1003,  # Hive DDL: "FAILED: SemanticException ..."
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
    else:
        match = _NAME.match(reason)
        category, error_type = USER, _TYPES.get(match.group(1), 1000) if match else 1000
    return {"ErrorCategory": category, "ErrorType": error_type, "Retryable": False, "ErrorMessage": reason}


class MalformedQuery(JsonRESTError):
    """StartQueryExecution's refusal of a statement that does not parse."""

    code = 400

    def __init__(self, message: str):
        super().__init__("InvalidRequestException", message)
        self.description = json.dumps(
            {
                "__type": "InvalidRequestException",
                "Message": message,
                "AthenaErrorCode": "MALFORMED_QUERY",
                "ErrorCode": "MALFORMED_QUERY",
            }
        )


# First words of the statements Athena knows; anything else is refused at 1:1.
STATEMENTS = frozenset(
    """SELECT WITH VALUES TABLE EXPLAIN PREPARE EXECUTE DEALLOCATE INSERT UNLOAD CREATE ALTER DROP
    DESCRIBE DESC SHOW MSCK USE DELETE UPDATE MERGE OPTIMIZE VACUUM REFRESH""".split()
)
_QUERIES = frozenset({"SELECT", "WITH", "VALUES", "TABLE"})
_WORD = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*(\(*)\s*([A-Za-z_]\w*|\S)?", re.DOTALL)


def _position(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    return f"{line}:{offset - (text.rfind(chr(10), 0, offset) + 1) + 1}"


def syntax_message(text: str, exc: ParseError) -> str:
    """Trino's ``line L:C: mismatched input 'X'`` for sqlglot's first parse error."""
    first = exc.errors[0] if exc.errors else {}
    line, col = int(first.get("line") or 1), int(first.get("col") or 1)
    highlight = first.get("highlight") or ""
    lines = text.split("\n")
    line = min(max(line, 1), len(lines))
    end = sum(len(x) + 1 for x in lines[: line - 1]) + col  # offset just after the highlighted token
    description = str(first.get("description") or "")
    if description.startswith("Invalid expression") or not description:
        start = max(0, end - len(highlight))
        return f"line {_position(text, start)}: mismatched input '{highlight}'"
    rest = text[end:]
    stripped = rest.lstrip()
    offset = end + (len(rest) - len(stripped))
    token = re.match(r"\w+|\S", stripped)
    return f"line {_position(text, offset)}: mismatched input '{token.group(0) if token else '<EOF>'}'"


def check_syntax(query: str) -> None:
    """Refuse, as Athena does at submission, a query statement that does not parse."""
    match = _WORD.match(query)
    word = (match.group(2) or "") if match else ""
    if word.upper() not in STATEMENTS:
        offset = match.start(2) if match and match.group(2) else 0
        shown = word if word else "<EOF>"
        raise MalformedQuery(f"line {_position(query, offset)}: mismatched input '{shown}'")
    if word.upper() not in _QUERIES:
        return
    try:
        sqlglot.parse(query, read="athena")
    except ParseError as exc:
        raise MalformedQuery(syntax_message(query, exc)) from None
    except TokenError as exc:
        raise MalformedQuery(f"line 1:1: {exc}") from None


# Leading words -> SubstatementType (the kind of statement, in Athena's upper snake case).
_SUBSTATEMENTS = [
    (("CREATE", "EXTERNAL", "TABLE"), "CREATE_TABLE"),
    (("CREATE", "TABLE"), "CREATE_TABLE"),
    (("CREATE", "OR", "REPLACE", "VIEW"), "CREATE_VIEW"),
    (("CREATE", "VIEW"), "CREATE_VIEW"),
    (("CREATE", "DATABASE"), "CREATE_DATABASE"),
    (("CREATE", "SCHEMA"), "CREATE_DATABASE"),
    (("DROP", "TABLE"), "DROP_TABLE"),
    (("DROP", "VIEW"), "DROP_VIEW"),
    (("DROP", "DATABASE"), "DROP_DATABASE"),
    (("DROP", "SCHEMA"), "DROP_DATABASE"),
    (("ALTER", "TABLE"), "ALTER_TABLE"),
    (("MSCK", "REPAIR", "TABLE"), "MSCK_REPAIR_TABLE"),
    (("SHOW", "CREATE", "TABLE"), "SHOW_CREATE_TABLE"),
    (("SHOW", "CREATE", "VIEW"), "SHOW_CREATE_VIEW"),
    (("SHOW", "TABLES"), "SHOW_TABLES"),
    (("SHOW", "DATABASES"), "SHOW_DATABASES"),
    (("SHOW", "SCHEMAS"), "SHOW_DATABASES"),
    (("SHOW", "PARTITIONS"), "SHOW_PARTITIONS"),
    (("SHOW", "COLUMNS"), "SHOW_COLUMNS"),
    (("SHOW", "VIEWS"), "SHOW_VIEWS"),
    (("DEALLOCATE", "PREPARE"), "DEALLOCATE"),
    (("SELECT",), "SELECT"),
    (("WITH",), "SELECT"),
    (("VALUES",), "SELECT"),
    (("TABLE",), "SELECT"),
    (("INSERT",), "INSERT"),
    (("UNLOAD",), "UNLOAD"),
    (("EXPLAIN",), "EXPLAIN"),
    (("DESCRIBE",), "DESCRIBE"),
    (("DESC",), "DESCRIBE"),
    (("PREPARE",), "PREPARE"),
    (("EXECUTE",), "EXECUTE"),
]


def substatement_type(query: str) -> str:
    """The statement's kind, from its leading keywords (``SELECT``, ``CREATE_TABLE``, ...)."""
    text = re.sub(r"--[^\n]*|/\*.*?\*/", " ", query, flags=re.DOTALL)
    words = tuple(re.findall(r"[A-Za-z_]+", text.lstrip(" \t\r\n("))[:4])
    upper = tuple(w.upper() for w in words)
    if upper[:2] == ("CREATE", "TABLE") and re.search(r"\bAS\s*\(?\s*(SELECT|WITH)\b", text, re.IGNORECASE):
        return "CREATE_TABLE_AS_SELECT"
    for prefix, name in _SUBSTATEMENTS:
        if upper[: len(prefix)] == prefix:
            return name
    return "_".join(upper[:2]) or "UNKNOWN"


_COLUMN = re.compile(r"COLUMN_NOT_FOUND: Column '([^']+)' cannot be resolved.*", re.DOTALL)
_FUNCTION = re.compile(r"FUNCTION_NOT_FOUND: Function '([^']+)' not registered")


def _find(query: str, pattern: str) -> str:
    match = re.search(pattern, query, re.IGNORECASE)
    return f"line {_position(query, match.start())}: " if match else ""


def locate(message: str, query: str) -> str:
    """Trino's wording, with ``line L:C:``, of a column or function the query names wrongly."""
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
