"""The SQL engine behind the local Athena: DuckDB, one connection per query.

This is the seam for later work: translating Athena's Trino dialect
(sqlglot) and exposing tables over the embedded S3 belong in
``SqlEngine.translate`` and ``SqlEngine.open_session``. The Athena engine
only relies on ``open_session`` / ``SqlSession.run`` / ``interrupt``.
"""

from __future__ import annotations

import datetime
import decimal
import re
from dataclasses import dataclass
from typing import Any, Sequence

import duckdb


class SqlError(Exception):
    """A query failed; the message is what Athena shows as StateChangeReason."""


class SqlCancelled(SqlError):
    """A query was interrupted by ``SqlSession.interrupt``."""


@dataclass(frozen=True)
class Column:
    """A result column with its Athena type name."""

    name: str
    athena_type: str
    precision: int = 0
    scale: int = 0


@dataclass(frozen=True)
class ResultTable:
    """A statement's result: columns and rows of Python values."""

    columns: list[Column]
    rows: list[tuple[Any, ...]]


_SIMPLE_TYPES = {
    "BOOLEAN": "boolean",
    "TINYINT": "tinyint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "bigint",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "bigint",
    "FLOAT": "float",
    "DOUBLE": "double",
    "VARCHAR": "varchar",
    "DATE": "date",
    "TIME": "time",
    "BLOB": "varbinary",
    "UUID": "varchar",
}
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


def athena_column(name: str, duckdb_type: Any) -> Column:
    """Map a DuckDB column type to the type name Athena reports."""
    text = str(duckdb_type).upper()
    if match := _DECIMAL.fullmatch(text):
        return Column(name, "decimal", int(match.group(1)), int(match.group(2)))
    if text.startswith("TIMESTAMP"):
        return Column(name, "timestamp")
    if text.endswith("[]"):
        return Column(name, "array")
    if text.startswith("STRUCT"):
        return Column(name, "row")
    if text.startswith("MAP"):
        return Column(name, "map")
    return Column(name, _SIMPLE_TYPES.get(text, "varchar"))


def athena_text(value: Any) -> str | None:
    """A value as Athena renders it in CSV results and GetQueryResults (None stays NULL)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ", timespec="milliseconds")
    return str(value)  # numbers, Decimal, date and time render as Athena shows them


_STRING = re.compile(r"'((?:[^']|'')*)'", re.DOTALL)
_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL_LITERAL = re.compile(r"[+-]?(\d+\.\d*|\.\d+)")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+")
_TYPED = re.compile(r"(DATE|TIMESTAMP)\s*'([^']*)'", re.IGNORECASE)


def parse_literal(text: str) -> Any:
    """A SQL literal's value, or ``text`` itself when it is not one literal."""
    stripped = text.strip()
    if match := _STRING.fullmatch(stripped):
        return match.group(1).replace("''", "'")
    if _INTEGER.fullmatch(stripped):
        return int(stripped)
    if _DECIMAL_LITERAL.fullmatch(stripped):
        return decimal.Decimal(stripped)
    if _FLOAT.fullmatch(stripped):
        return float(stripped)
    lowered = stripped.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    if match := _TYPED.fullmatch(stripped):
        kind, value = match.group(1).upper(), match.group(2)
        try:
            if kind == "DATE":
                return datetime.date.fromisoformat(value)
            return datetime.datetime.fromisoformat(value)
        except ValueError:
            return text
    return text


class SqlSession:
    """One DuckDB connection running one statement at a time."""

    def __init__(self, connection: duckdb.DuckDBPyConnection):
        self._connection = connection

    def run(self, sql: str, parameters: Sequence[Any] = ()) -> ResultTable:
        try:
            cursor = self._connection.execute(sql, list(parameters) if parameters else None)
            description = cursor.description or []
            rows = cursor.fetchall() if description else []
        except duckdb.InterruptException as exc:
            raise SqlCancelled(str(exc)) from exc
        except duckdb.Error as exc:
            raise SqlError(str(exc)) from exc
        columns = [athena_column(d[0], d[1]) for d in description]
        return ResultTable(columns=columns, rows=rows)

    def interrupt(self) -> None:
        """Ask the running statement to stop (safe from any thread)."""
        self._connection.interrupt()

    def close(self) -> None:
        self._connection.close()


class SqlEngine:
    """Opens sessions for Athena queries; the place for dialect and catalog work."""

    def translate(self, sql: str) -> str:
        """Athena (Trino) SQL to DuckDB SQL. Identity for now."""
        return sql

    def parameter_values(self, parameters: Sequence[str]) -> list[Any]:
        """Values to bind for Athena's ExecutionParameters, in order.

        Athena takes each parameter as a SQL literal (``'text'``, ``42``,
        ``DATE '2020-01-01'``), so a well-formed literal is bound as its
        typed value. Anything else is bound as plain text. Either way the
        value is bound, never spliced into the SQL.
        """
        return [parse_literal(text) for text in parameters or ()]

    def open_session(self, database: str | None) -> SqlSession:
        """A fresh in-memory connection; ``database`` is unused until tables over S3 exist."""
        return SqlSession(duckdb.connect())
