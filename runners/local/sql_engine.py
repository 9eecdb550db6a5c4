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
    if isinstance(value, (datetime.date, datetime.time, decimal.Decimal)):
        return str(value)
    return str(value)


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
        """Athena ExecutionParameters are SQL literals ('abc', 42, DATE '2020-01-01')."""
        if not parameters:
            return []
        with duckdb.connect() as scratch:
            values = []
            for literal in parameters:
                try:
                    values.append(scratch.execute(f"SELECT {literal}").fetchone()[0])
                except duckdb.Error as exc:
                    raise SqlError(f"Invalid execution parameter {literal!r}: {exc}") from exc
            return values

    def open_session(self, database: str | None) -> SqlSession:
        """A fresh in-memory connection; ``database`` is unused until tables over S3 exist."""
        return SqlSession(duckdb.connect())
