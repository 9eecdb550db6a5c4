"""What an Athena query returns: result tables, Athena's type names, value rendering.

Shared by the SQL engine (``sql_engine``), the DDL statements
(``athena_ddl``) and the SELECT translation (``athena_sql``).
"""

from __future__ import annotations

import datetime
import decimal
import re
from dataclasses import dataclass
from typing import Any


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
    """A statement's result: columns, rows of Python values, and bytes of table data read."""

    columns: list[Column]
    rows: list[tuple[Any, ...]]
    data_scanned_bytes: int = 0
    update_count: int = 0  # rows written by CTAS, INSERT INTO or UNLOAD


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
_TYPED = re.compile(r"(DATE|TIMESTAMP|DECIMAL)\s*'([^']*)'", re.IGNORECASE)


def parse_literal(text: str) -> Any:
    """A SQL literal's value, or ``text`` itself when it is not one literal."""
    stripped = text.strip()
    if match := _STRING.fullmatch(stripped):
        return match.group(1).replace("''", "'")
    if _INTEGER.fullmatch(stripped):
        return int(stripped)
    if _DECIMAL_LITERAL.fullmatch(stripped):  # Athena reads 1.5 as a double (DECIMAL '1.5' is a decimal)
        return float(stripped)
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
            if kind == "DECIMAL":
                return decimal.Decimal(value.strip())
            return datetime.datetime.fromisoformat(value)
        except (ValueError, decimal.InvalidOperation):
            return text
    return text
