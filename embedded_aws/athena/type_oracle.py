"""Operand types of a query's divisions and averages, inferred by sqlglot.

Trino keeps decimals decimal where DuckDB turns them into doubles
(``decimal / decimal``, ``avg(decimal)``), so the rewrite must know the
operands' types even when they come through a subquery, a CTE or VALUES.
sqlglot's optimizer does that inference (``qualify`` + ``annotate_types``)
given the catalog tables' columns. It runs on a copy of the query (it
rewrites names), and its answers are matched back to the original nodes by
their order; when the copy's shape differs, or the inference fails, there is
no answer and the rewrite falls back to what it can see locally.
"""

from __future__ import annotations

from typing import Mapping

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify

_OF_INTEREST = (exp.Div, exp.Avg)


def _schema_type(hive_type: str) -> str:
    try:
        return exp.DataType.build(hive_type, dialect="hive").sql(dialect="trino")
    except (SqlglotError, ValueError):
        return "UNKNOWN"


def operand_types(
    tree: exp.Expression, tables: Mapping[str, Mapping[str, str]]
) -> dict[int, tuple[str | None, ...]]:
    """``id(node)`` of each division / average in ``tree`` -> its operands' Trino type names (lower case)."""
    schema = {name: {column: _schema_type(kind) for column, kind in columns.items()} for name, columns in tables.items()}
    copy = tree.copy()
    try:
        annotated = annotate_types(
            qualify(copy, schema=schema or None, dialect="athena", validate_qualify_columns=False),
            schema=schema or None,
            dialect="athena",
        )
    except (SqlglotError, KeyError, ValueError, TypeError, AttributeError):
        return {}
    originals = [node for node in tree.dfs() if isinstance(node, _OF_INTEREST)]
    copies = [node for node in annotated.dfs() if isinstance(node, _OF_INTEREST)]
    if len(originals) != len(copies) or any(type(a) is not type(b) for a, b in zip(originals, copies)):
        return {}
    answers: dict[int, tuple[str | None, ...]] = {}
    for original, annotated_node in zip(originals, copies):
        operands = (annotated_node.this, annotated_node.expression) if isinstance(annotated_node, exp.Div) else (annotated_node.this,)
        answers[id(original)] = tuple(_name(operand) for operand in operands)
    return answers


def _name(node: exp.Expression | None) -> str | None:
    data_type = getattr(node, "type", None)
    if data_type is None or data_type.is_type(exp.DataType.Type.UNKNOWN):
        return None
    return data_type.sql(dialect="trino").lower()
