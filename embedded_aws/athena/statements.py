"""Athena statements before they run: refusal of a malformed one, and their kind.

Athena parses a query when it is submitted: a statement that does not parse
never becomes an execution; ``StartQueryExecution`` answers
``InvalidRequestException`` with the parser's ``line L:C: mismatched input
'X'`` message and ``AthenaErrorCode`` ``MALFORMED_QUERY``. ``check_syntax``
does that for query statements (Hive DDL is left to its own parser), and for
the body of ``PREPARE name FROM ...``.

``substatement_type`` names a statement's kind as GetQueryExecution reports
it (``SELECT``, ``CREATE_TABLE_AS_SELECT``, ``ALTER_TABLE_ADD_PARTITION``,
...), from its leading keywords; an unknown kind is left out.
"""

from __future__ import annotations

import json
import re

import sqlglot
from moto.core.exceptions import JsonRESTError
from sqlglot.errors import ParseError, TokenError

from embedded_aws.athena.errors import position as _position


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


_PREPARE = re.compile(r"\s*PREPARE\s+\S+\s+FROM\s+", re.IGNORECASE)


def check_syntax(query: str) -> None:
    """Refuse, as Athena does at submission, a query statement that does not parse."""
    if prepare := _PREPARE.match(query):
        body = query[prepare.end() :]
        try:
            check_syntax(body)
        except MalformedQuery as exc:  # positions are the whole statement's
            raise MalformedQuery(_shift(exc.message, query[: prepare.end()])) from None
        return
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


# Leading words -> SubstatementType, for the kinds whose value was measured against Athena (the
# athena-local project, 2026-09-14 to 2026-09-23); other kinds are left out, as that project does.
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
    (("ALTER", "TABLE", "*", "ADD", "COLUMNS"), "ALTER_TABLE_ADD_COLUMN"),
    (("ALTER", "TABLE", "*", "ADD", "COLUMN"), "ALTER_TABLE_ADD_COLUMN"),
    (("ALTER", "TABLE", "*", "REPLACE", "COLUMNS"), "ALTER_TABLE_REPLACE_COLUMN"),
    (("ALTER", "TABLE", "*", "DROP", "COLUMN"), "ALTER_TABLE_DROP_COLUMN"),
    (("ALTER", "TABLE", "*", "ADD", "IF"), "ALTER_TABLE_ADD_PARTITION"),
    (("ALTER", "TABLE", "*", "ADD", "PARTITION"), "ALTER_TABLE_ADD_PARTITION"),
    (("ALTER", "TABLE", "*", "DROP", "IF"), "ALTER_TABLE_DROP_PARTITION"),
    (("ALTER", "TABLE", "*", "DROP", "PARTITION"), "ALTER_TABLE_DROP_PARTITION"),
    (("ALTER", "TABLE", "*", "RENAME", "TO"), "ALTER_TABLE_RENAME"),
    (("ALTER", "TABLE", "*", "SET", "TBLPROPERTIES"), "ALTER_TABLE_PROPERTIES"),
    (("ALTER", "TABLE", "*", "SET", "LOCATION"), "ALTER_TABLE_SET_LOCATION"),
    (("SHOW", "CREATE", "TABLE"), "SHOW_CREATE_TABLE"),
    (("SHOW", "TABLES"), "SHOW_TABLES"),
    (("SHOW", "DATABASES"), "SHOW_DATABASES"),
    (("SHOW", "SCHEMAS"), "SHOW_DATABASES"),
    (("SHOW", "COLUMNS"), "SHOW_COLUMNS"),
    (("SHOW", "FUNCTIONS"), "SHOW_FUNCTIONS"),
    (("SELECT",), "SELECT"),
    (("WITH",), "SELECT"),
    (("VALUES",), "SELECT"),
    (("TABLE",), "SELECT"),
    (("INSERT",), "INSERT"),
    (("UPDATE",), "UPDATE"),
    (("DELETE",), "DELETE"),
    (("MERGE",), "MERGE"),
    (("EXPLAIN",), "EXPLAIN"),
    (("DESCRIBE",), "DESCRIBE_TABLE"),
    (("DESC",), "DESCRIBE_TABLE"),
    (("VACUUM",), "VACUUM_TABLE"),
    (("OPTIMIZE",), "CREATE_TABLE_AS_SELECT"),
]


def substatement_type(query: str) -> str | None:
    """The statement's kind from its leading keywords (``SELECT``, ``CREATE_TABLE``, ...); None if unknown."""
    text = re.sub(r"--[^\n]*|/\*.*?\*/", " ", query, flags=re.DOTALL)
    words = tuple(re.findall(r"[`\"]?[\w.]+[`\"]?", text.lstrip(" \t\r\n("))[:5])
    upper = tuple(w.upper() for w in words)
    if upper[:2] == ("CREATE", "TABLE") and re.search(r"\bAS\s*\(?\s*(SELECT|WITH)\b", text, re.IGNORECASE):
        return "CREATE_TABLE_AS_SELECT"
    for prefix, name in _SUBSTATEMENTS:
        if len(upper) >= len(prefix) and all(p in ("*", w) for p, w in zip(prefix, upper)):
            return name
    return None




def _shift(message: str, prefix: str) -> str:
    """A ``line L:C:`` message of a statement's tail, positioned in the whole statement."""
    match = re.match(r"line (\d+):(\d+): (.*)", message, re.DOTALL)
    if not match:
        return message
    line, column = int(match.group(1)), int(match.group(2))
    lines_before = prefix.count("\n")
    if line == 1:
        column += len(prefix) - (prefix.rfind("\n") + 1)
    return f"line {line + lines_before}:{column}: {match.group(3)}"
