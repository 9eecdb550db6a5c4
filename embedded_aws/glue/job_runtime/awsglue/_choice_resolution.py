"""``resolveChoice``: settle fields of several types (``cast:``, ``project:``, ``make_cols``, ``make_struct``, ``match_catalog``)."""

from __future__ import annotations

from typing import Any

from awsglue import _fields, _formats
from awsglue._fields import col, split_path

_ALIASES = {"bigint": "long", "integer": "int"}


def _spark(kind: str) -> str:
    spark_type = _formats.spark_type(kind)
    if spark_type is None:
        raise ValueError(f"cannot resolve a choice to {kind!r}")
    return spark_type


def resolve(frame: Any, specs: list[tuple[str, str]], choice: str, database: str | None, table_name: str | None,
            catalog_id: str | None) -> Any:
    if specs and choice:
        raise ValueError("resolveChoice takes either specs or choice, not both")
    if not specs and not choice:
        raise ValueError("resolveChoice needs specs or choice")
    if choice:
        targets = list(frame._choices) if choice != "match_catalog" else list(frame._df.columns)
        specs = [(name, choice) for name in targets]
    catalog_types: dict[str, str] = {}
    if any(action == "match_catalog" for _, action in specs):
        if not database or not table_name:
            raise ValueError("match_catalog needs database and table_name")
        from awsglue import _aws

        kwargs = {"CatalogId": catalog_id} if catalog_id else {}
        table = _aws.client("glue").get_table(DatabaseName=database, Name=table_name, **kwargs)["Table"]
        columns = (table.get("StorageDescriptor") or {}).get("Columns", []) + table.get("PartitionKeys", [])
        catalog_types = {c["Name"].lower(): c["Type"] for c in columns}

    df = frame._df
    choices = dict(frame._choices)
    for path, action in specs:
        parts = split_path(path)
        if not _fields.has_path(df.schema, parts):
            continue
        name = parts[0]
        is_choice = len(parts) == 1 and name in choices
        verb, _, kind = action.partition(":")
        kind = _ALIASES.get(kind.lower(), kind.lower())
        if verb == "match_catalog":
            target = catalog_types.get(name.lower())
            if target is None:
                continue
            verb, kind = "cast", target
        if is_choice:
            parts_by_type = _fields.choice_parts(name, choices[name])
            if verb == "cast":
                df = df.withColumn(name, col([name]).cast(_spark(kind)))
            elif verb == "project":
                value = parts_by_type.get(kind)
                if value is None:  # a type the field never has: no value survives
                    from pyspark.sql import functions as F

                    value = F.lit(None).cast(_spark(kind))
                df = df.withColumn(name, value)
            elif verb == "make_cols":
                position = df.columns.index(name)
                columns = [col([c]) for c in df.columns]
                split_columns = [value.alias(f"{name}_{t}") for t, value in parts_by_type.items()]
                df = df.select(*columns[:position], *split_columns, *columns[position + 1 :])
            elif verb == "make_struct":
                df = df.withColumn(name, _fields.choice_struct(name, choices[name]))
            else:
                raise ValueError(f"unknown resolveChoice action {action!r}")
            choices.pop(name)
        elif verb == "cast":
            if len(parts) == 1:
                df = df.withColumn(name, col(parts).cast(_spark(kind)))
            else:
                df = df.withColumn(name, col(parts[:1]).withField(_fields.quote(parts[1:]), col(parts).cast(_spark(kind))))
        elif verb not in ("project", "make_cols", "make_struct"):
            raise ValueError(f"unknown resolveChoice action {action!r}")
    return frame._with(df, choices)
