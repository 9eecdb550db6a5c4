"""Hive column types as the Glue Data Catalog stores them, and their DuckDB twins.

Athena's DDL takes Hive types (``int``, ``decimal(10,2)``,
``struct<a:int,b:array<string>>``, ``map<string,int>``); Glue stores them in
lower case without spaces. sqlglot parses the type text; this module only
checks it is a Hive type, writes it back in Glue's form and maps it to
DuckDB (``STRUCT(a INTEGER, b VARCHAR[])``). ``from_duckdb`` goes the other
way, for tables a CTAS query creates from its result columns.
"""

from __future__ import annotations

import re
from typing import Any

from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

MAX_DECIMAL_PRECISION = 38

_T = exp.DataType.Type
# sqlglot type -> (Hive name, DuckDB name)
_PRIMITIVES: dict[Any, tuple[str, str]] = {
    _T.TEXT: ("string", "VARCHAR"),
    _T.INT: ("int", "INTEGER"),
    _T.BIGINT: ("bigint", "BIGINT"),
    _T.SMALLINT: ("smallint", "SMALLINT"),
    _T.TINYINT: ("tinyint", "TINYINT"),
    _T.DOUBLE: ("double", "DOUBLE"),
    _T.FLOAT: ("float", "FLOAT"),
    _T.BOOLEAN: ("boolean", "BOOLEAN"),
    _T.DATE: ("date", "DATE"),
    _T.DATETIME: ("timestamp", "TIMESTAMP"),
    _T.TIMESTAMP: ("timestamp", "TIMESTAMP"),
    _T.BINARY: ("binary", "BLOB"),
    _T.VARBINARY: ("binary", "BLOB"),
}
_SIZED = {_T.VARCHAR: "varchar", _T.CHAR: "char"}
_WORD = re.compile(r"[a-z_][a-z0-9_]*")
_HIVE_WORDS = {"string", "int", "integer", "bigint", "smallint", "tinyint", "double", "float", "boolean",
               "date", "timestamp", "binary", "varchar", "char", "decimal", "array", "map", "struct"}


class UnsupportedType(ValueError):
    """A column type the local Athena cannot declare or read."""


def _build(text: str) -> exp.DataType:
    lowered = re.sub(r"\s+", " ", text.strip().lower())
    # sqlglot knows many non-Hive types (uuid, json, ...); Hive's words only, outside struct field names.
    words = re.sub(r"(?<=[<,])\s*[a-z_][a-z0-9_]*\s*:", "", lowered.replace("`", ""))
    unknown = [w for w in _WORD.findall(words) if w not in _HIVE_WORDS]
    if unknown or not lowered:
        raise UnsupportedType(f"Unsupported column type: {text}")
    try:
        return exp.DataType.build(lowered, dialect="hive")
    except (ParseError, TokenError, ValueError):
        raise UnsupportedType(f"Unsupported column type: {text}") from None


def _params(node: exp.DataType) -> list[int]:
    return [int(p.this.this if isinstance(p.this, exp.Literal) else p.this) for p in node.expressions]


def _render(node: exp.DataType, text: str, duck: bool) -> str:
    kind = node.this
    if kind in _PRIMITIVES:
        return _PRIMITIVES[kind][1 if duck else 0]
    if kind in _SIZED:
        if duck:
            return "VARCHAR"
        sizes = _params(node)
        return f"{_SIZED[kind]}({sizes[0]})" if sizes else "string"
    if kind == _T.DECIMAL:
        sizes = _params(node) or [10, 0]
        precision, scale = sizes[0], (sizes[1] if len(sizes) > 1 else 0)
        if not 1 <= precision <= MAX_DECIMAL_PRECISION or scale > precision:
            raise UnsupportedType(f"Invalid decimal type {text}: precision must be 1-38 and scale <= precision")
        return f"DECIMAL({precision},{scale})" if duck else f"decimal({precision},{scale})"
    if kind == _T.ARRAY and len(node.expressions) == 1:
        inner = _render(node.expressions[0], text, duck)
        return f"{inner}[]" if duck else f"array<{inner}>"
    if kind == _T.MAP and len(node.expressions) == 2:
        key, value = (_render(e, text, duck) for e in node.expressions)
        return f"MAP({key}, {value})" if duck else f"map<{key},{value}>"
    if kind == _T.STRUCT and node.expressions:
        fields = []
        for field in node.expressions:
            if not isinstance(field, exp.ColumnDef) or not isinstance(field.args.get("kind"), exp.DataType):
                raise UnsupportedType(f"Unsupported column type: {text}")
            name = field.name.lower()
            inner = _render(field.args["kind"], text, duck)
            fields.append(f'"{name}" {inner}' if duck else f"{name}:{inner}")
        return f"STRUCT({', '.join(fields)})" if duck else f"struct<{','.join(fields)}>"
    raise UnsupportedType(f"Unsupported column type: {text}")


def normalize_type(text: str) -> str:
    """A Hive/Athena column type as Athena stores it in Glue (``integer`` -> ``int``)."""
    return _render(_build(text), text, duck=False)


def duckdb_type(hive_type: str) -> str:
    """The DuckDB type that holds values of a Hive type."""
    return _render(_build(hive_type), hive_type, duck=True)


def is_complex(hive_type: str) -> bool:
    return hive_type.strip().lower().startswith(("array", "map", "struct"))


def from_duckdb(duck_type: Any) -> str:
    """The Hive type Athena would give a result column of this DuckDB type (for CTAS)."""
    kind = str(getattr(duck_type, "id", "")).lower()
    text = str(duck_type).upper()
    if kind == "list":
        return f"array<{from_duckdb(duck_type.children[0][1])}>"
    if kind == "map":
        children = dict(duck_type.children)
        return f"map<{from_duckdb(children['key'])},{from_duckdb(children['value'])}>"
    if kind == "struct":
        return "struct<" + ",".join(f"{n.lower()}:{from_duckdb(t)}" for n, t in duck_type.children) + ">"
    if match := re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", text):
        return f"decimal({match.group(1)},{match.group(2)})"
    simple = {
        "BOOLEAN": "boolean", "TINYINT": "tinyint", "SMALLINT": "smallint", "INTEGER": "int",
        "BIGINT": "bigint", "HUGEINT": "bigint", "UTINYINT": "smallint", "USMALLINT": "int",
        "UINTEGER": "bigint", "UBIGINT": "bigint", "FLOAT": "float", "DOUBLE": "double",
        "VARCHAR": "string", "DATE": "date", "BLOB": "binary", "UUID": "string",
    }
    if text in simple:
        return simple[text]
    if text.startswith("TIMESTAMP"):
        return "timestamp"
    raise UnsupportedType(f"Unsupported column type: {text.lower()}")


def parse(hive_type: str) -> exp.DataType:
    """The sqlglot tree of a Hive type (for walking nested types)."""
    return _build(hive_type)


def struct_fields(node: exp.DataType) -> list[tuple[str, exp.DataType]]:
    """``(name, type)`` of a struct type's fields."""
    return [(f.name.lower(), f.args["kind"]) for f in node.expressions if isinstance(f, exp.ColumnDef)]
