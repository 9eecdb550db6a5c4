"""Complex values (array, map, struct) in Hive's delimited text (LazySimpleSerDe).

Hive writes nested values with one separator per nesting level: fields
with ``field.delim``, then level 1 with ``collection.delim`` (default
``\\002``), level 2 with ``mapkey.delim`` (default ``\\003``), deeper levels
with ``\\004``, ``\\005``, ... An array's items and a struct's fields use
their level's separator; a map's entries use it and key/value the next one.
NULL inside a collection is ``\\N``.

``parse_sql`` builds the DuckDB expression that reads such a field;
``render_sql`` the one that writes a value so (for CTAS ... TEXTFILE).
"""

from __future__ import annotations

from sqlglot import exp

from embedded_aws.glue import hive_types

_T = exp.DataType.Type
_NULL = "\\N"


def separators(serde_parameters: dict[str, str]) -> list[str]:
    """Separators by nesting level (index 0: fields)."""
    field = serde_parameters.get("field.delim", serde_parameters.get("serialization.format", "\x01"))
    if field == "1" and "field.delim" not in serde_parameters:
        field = "\x01"
    return [
        field,
        serde_parameters.get("collection.delim", "\x02"),
        serde_parameters.get("mapkey.delim", "\x03"),
        *[chr(code) for code in range(4, 9)],
    ]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sep(seps: list[str], level: int) -> str:
    if level >= len(seps):
        raise ValueError("nesting too deep for Hive's text separators")
    return _literal(seps[level])


def parse_sql(value: str, node: exp.DataType, seps: list[str], level: int = 1) -> str:
    """DuckDB expression: the typed value of Hive text ``value`` (a VARCHAR expression)."""
    if node.this == _T.ARRAY:
        item = f"x{level}"
        inner = parse_sql(item, node.expressions[0], seps, level + 1)
        return (
            f"CASE WHEN {value} IS NULL THEN NULL WHEN {value} = '' THEN [] "
            f"ELSE list_transform(string_split({value}, {_sep(seps, level)}), lambda {item}: {inner}) END"
        )
    if node.this == _T.MAP:
        entry = f"e{level}"
        sep = _sep(seps, level + 1)
        key = parse_sql(f"split_part({entry}, {sep}, 1)", node.expressions[0], seps, level + 2)
        val = parse_sql(
            f"CASE WHEN strpos({entry}, {sep}) > 0 THEN substr({entry}, strpos({entry}, {sep}) + 1) END",
            node.expressions[1], seps, level + 2,
        )
        return (
            f"CASE WHEN {value} IS NULL THEN NULL WHEN {value} = '' THEN map() ELSE map_from_entries(list_transform("
            f"string_split({value}, {_sep(seps, level)}), lambda {entry}: {{'key': {key}, 'value': {val}}})) END"
        )
    if node.this == _T.STRUCT:
        sep = _sep(seps, level)
        parts = [
            f'"{name}" := {parse_sql(f"split_part({value}, {sep}, {index})", kind, seps, level + 1)}'
            for index, (name, kind) in enumerate(hive_types.struct_fields(node), start=1)
        ]
        return f"CASE WHEN {value} IS NULL THEN NULL ELSE struct_pack({', '.join(parts)}) END"
    duck = hive_types.duckdb_type(node.sql(dialect="hive"))
    if duck == "VARCHAR":
        return f"NULLIF({value}, {_literal(_NULL)})"
    return f"TRY_CAST(NULLIF(NULLIF(trim({value}), ''), {_literal(_NULL)}) AS {duck})"


def render_sql(value: str, node: exp.DataType, seps: list[str], level: int = 1) -> str:
    """DuckDB expression: ``value`` written as Hive text (NULL stays NULL at the top)."""
    if node.this == _T.ARRAY:
        item = f"x{level}"
        inner = _nested(render_sql(item, node.expressions[0], seps, level + 1))
        return f"array_to_string(list_transform({value}, lambda {item}: {inner}), {_sep(seps, level)})"
    if node.this == _T.MAP:
        entry = f"e{level}"
        key = _nested(render_sql(f"{entry}.key", node.expressions[0], seps, level + 2))
        val = _nested(render_sql(f"{entry}.value", node.expressions[1], seps, level + 2))
        return (
            f"array_to_string(list_transform(map_entries({value}), lambda {entry}: "
            f"{key} || {_sep(seps, level + 1)} || {val}), {_sep(seps, level)})"
        )
    if node.this == _T.STRUCT:
        parts = [
            _nested(render_sql(f'struct_extract({value}, {_literal(name)})', kind, seps, level + 1))
            for name, kind in hive_types.struct_fields(node)
        ]
        return f"CASE WHEN {value} IS NULL THEN NULL ELSE " + f" || {_sep(seps, level)} || ".join(parts) + " END"
    if node.this == _T.BOOLEAN:
        return f"CASE WHEN {value} THEN 'true' WHEN NOT {value} THEN 'false' END"
    return f"CAST({value} AS VARCHAR)"


def _nested(expression: str) -> str:
    return f"coalesce({expression}, {_literal(_NULL)})"
