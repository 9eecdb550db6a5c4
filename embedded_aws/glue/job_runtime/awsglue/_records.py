"""Record-shaping transforms of DynamicFrames: map, unnest, relationalize, unbox."""

from __future__ import annotations

import json
from typing import Any, Callable

from awsglue._fields import col, quote


def _reordered(df: Any, preferred: list[str]) -> Any:
    """Columns in ``preferred`` order first (those present), then the others as inferred."""
    present = [c for c in preferred if c in df.columns]
    rest = [c for c in df.columns if c not in present]
    return df.select(*[col([c]) for c in present + rest])


def map_records(df: Any, choices: dict[str, tuple[str, ...]], f: Callable[[Any], Any]) -> Any:
    """Apply ``f`` to every record; the result's fields are typed by inference over all records.

    Fields the input already had keep their type where the values still fit it.
    """
    from awsglue.dynamicframe import _json_default, _to_record

    spark = df.sparkSession
    original = {field.name: field.dataType for field in df.schema.fields}
    lines = df.rdd.map(lambda row: json.dumps(f(_to_record(row, choices)), default=_json_default))
    if lines.isEmpty():
        return df.limit(0)
    mapped = spark.read.json(lines)
    typed = []
    for name in mapped.columns:
        value = col([name])
        if name in original and name not in choices and original[name] != mapped.schema[name].dataType:
            value = value.cast(original[name])
        typed.append(value.alias(name))
    return _reordered(mapped.select(*typed), list(original))


def flatten_structs(df: Any, separator: str = ".") -> Any:
    """Nested struct fields as top-level columns named ``a.b.c`` (arrays stay as they are)."""
    from pyspark.sql import types as T

    columns = []

    def walk(parts: list[str], data_type: Any) -> None:
        if isinstance(data_type, T.StructType) and data_type.fields:
            for field in data_type.fields:
                walk(parts + [field.name], field.dataType)
        else:
            columns.append(col(parts).alias(separator.join(parts)))

    for field in df.schema.fields:
        walk([field.name], field.dataType)
    return df.select(*columns)


def relationalize(df: Any, root: str) -> dict[str, Any]:
    """Glue's Relationalize: a root table with structs flattened and each array moved to its own table.

    The root keeps, in place of an array ``a``, a number ``a`` that joins to the
    ``id`` of table ``<root>_a``, whose rows are ``id``, ``index`` (position in
    the array) and ``a.val`` (or ``a.val.<field>`` for arrays of structs);
    arrays inside those are split off the same way.
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    tables: dict[str, Any] = {}

    def split(frame: Any, table: str, prefix_depth: int) -> None:
        flat = flatten_structs(frame)
        arrays = [f.name for f in flat.schema.fields if isinstance(f.dataType, T.ArrayType)]
        if not arrays:
            tables[table] = flat
            return
        # Materialised once, so the root and its child tables agree on the generated ids.
        keyed = flat.withColumn("__row", F.monotonically_increasing_id() + F.lit(1)).localCheckpoint()
        for name in arrays:
            child_name = f"{table}_{name.replace('.', '_')}" if prefix_depth == 0 else f"{table}_{name.split('.', 1)[-1].replace('.', '_')}"
            exploded = keyed.select(
                col(["__row"]).alias("id"),
                F.posexplode(col([name])).alias("index", "val"),
            )
            child = exploded.select("id", "index", col(["val"]).alias(f"{name}.val"))
            split(child, child_name, prefix_depth + 1)
        replaced = keyed.select(
            *[
                (F.when(F.size(col([c])) > 0, col(["__row"])).cast("long").alias(c) if c in arrays else col([c]))
                for c in flat.columns
            ]
        )
        tables[table] = replaced

    split(df, root, 0)
    return tables


def unbox(df: Any, parts: list[str], fmt: str, options: dict[str, Any]) -> Any:
    """Parse a string field holding JSON (or delimited text) into a struct, typed from the data."""
    from pyspark.sql import functions as F

    from awsglue._formats import NotSupportedLocally

    text = col(parts)
    spark = df.sparkSession
    kind = (fmt or "").lower()
    if kind == "json":
        sample = df.select(text.alias("v")).where(F.col("v").isNotNull()).rdd.map(lambda r: r[0])
        if sample.isEmpty():
            return df
        schema = spark.read.json(sample).schema
        parsed = F.from_json(text, schema)
    elif kind == "csv":
        separator = options.get("separator", options.get("delimiter", ","))
        width = df.select(F.max(F.size(F.split(text, _regex_escape(separator), -1)))).first()[0] or 0
        pieces = F.split(text, _regex_escape(separator), -1)
        parsed = F.struct(*[pieces.getItem(i).alias(f"col{i}") for i in range(width)])
    else:
        raise NotSupportedLocally(f"Unbox with format {fmt!r}")
    if len(parts) == 1:
        return df.withColumn(parts[0], parsed)
    return df.withColumn(parts[0], col(parts[:1]).withField(quote(parts[1:]), parsed))


def _regex_escape(text: str) -> str:
    import re

    return re.escape(text)
