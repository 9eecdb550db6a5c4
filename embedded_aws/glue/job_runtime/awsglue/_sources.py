"""Glue sources on S3: ``from_options`` (paths and a format) and ``from_catalog`` (a Data Catalog table).

Both list the files first (``_aws.list_files``), so job bookmarks, ``recurse``
and ``exclusions`` decide exactly which files Spark reads; ``s3://`` paths are
then read from the embedded S3 by the driver's path mapping.
"""

from __future__ import annotations

from typing import Any

from awsglue import _aws, _bookmarks, _fields, _formats
from awsglue._fields import col

_NUMBER_TYPES = {"bigint": "long", "int": "int", "integer": "int", "double": "double", "float": "double",
                 "smallint": "int", "tinyint": "int"}


def _empty(spark: Any, schema: str | None = None) -> Any:
    from pyspark.sql.types import StructType

    return spark.createDataFrame([], schema or StructType([]))


def _unprocessed(files: list[_aws.S3File], ctx: str) -> list[_aws.S3File]:
    session = _bookmarks.current()
    return session.unprocessed(ctx, files) if session is not None else files


def read_options(glue_context: Any, connection_type: str, connection_options: dict[str, Any], fmt: str | None,
                 format_options: dict[str, Any], ctx: str, dynamic: bool) -> tuple[Any, dict[str, tuple[str, ...]]]:
    if (connection_type or "").lower() != "s3":
        raise _formats.NotSupportedLocally(f"connection_type {connection_type!r}")
    paths = connection_options.get("paths") or ([connection_options["path"]] if connection_options.get("path") else [])
    if isinstance(paths, str):
        paths = [paths]
    if not paths:
        raise ValueError("connection_options needs 'paths' (a list of s3:// paths)")
    recurse = str(connection_options.get("recurse", False)).lower() == "true"
    files = _aws.list_files(paths, recurse, _aws.parse_exclusions(connection_options.get("exclusions")))
    files = _unprocessed(files, ctx)
    spark = glue_context.spark_session
    if not files:
        return _empty(spark), {}
    df = _formats.read_files(spark, [f.uri for f in files], fmt or "", format_options)
    if dynamic and _formats.normalise_format(fmt) == "csv":
        return _fields.infer_choices(df)
    return df, {}


def _catalog_table(database: str | None, table_name: str | None, catalog_id: str | None) -> dict[str, Any]:
    if not database or not table_name:
        raise ValueError("from_catalog needs database and table_name")
    kwargs = {"CatalogId": catalog_id} if catalog_id else {}
    table = _aws.client("glue").get_table(DatabaseName=database, Name=table_name, **kwargs)["Table"]
    if table.get("TableType") == "VIRTUAL_VIEW":
        raise _formats.NotSupportedLocally(f"reading the view {database}.{table_name} as a Glue source")
    return table


def _partitions(database: str, table: dict[str, Any], predicate: str, spark: Any,
                catalog_id: str | None) -> list[tuple[list[str], str]]:
    """(values, location) of the table's partitions that satisfy the push-down predicate."""
    keys = table.get("PartitionKeys") or []
    kwargs: dict[str, Any] = {"DatabaseName": database, "TableName": table["Name"]}
    if catalog_id:
        kwargs["CatalogId"] = catalog_id
    found = []
    for page in _aws.client("glue").get_paginator("get_partitions").paginate(**kwargs):
        for partition in page.get("Partitions", []):
            found.append((partition["Values"], (partition.get("StorageDescriptor") or {}).get("Location", "")))
    if not predicate or not found:
        return found
    schema = ", ".join(f"{_fields.quote([k['Name']])} string" for k in keys) + ", __i int"
    rows = [tuple(values) + (i,) for i, (values, _) in enumerate(found)]
    frame = spark.createDataFrame(rows, schema)
    frame = frame.select(*[col([k["Name"]]).cast(_formats.spark_type(k["Type"]) or "string").alias(k["Name"]) for k in keys], "__i")
    kept = {row["__i"] for row in frame.where(predicate).select("__i").collect()}
    return [p for i, p in enumerate(found) if i in kept]


def _typed(df: Any, columns: list[dict[str, Any]], fmt: str, dynamic: bool,
           keep: list[str]) -> tuple[Any, dict[str, tuple[str, ...]]]:
    """The catalog's columns in its order and types, then ``keep``; text that does not fit a number type is a choice."""
    from pyspark.sql import functions as F

    present = {c.lower(): c for c in df.columns}
    choices: dict[str, tuple[str, ...]] = {}
    if dynamic and fmt == "csv":
        numeric = [c for c in columns if c["Type"].lower() in _NUMBER_TYPES and c["Name"].lower() in present]
        if numeric:
            checks = []
            for i, c in enumerate(numeric):
                raw = col([present[c["Name"].lower()]])
                checks += [F.count(raw).alias(f"n{i}"), F.count(F.trim(raw).cast(_formats.spark_type(c["Type"]))).alias(f"k{i}")]
            counts = df.agg(*checks).first()
            for i, c in enumerate(numeric):
                if counts[f"k{i}"] < counts[f"n{i}"]:
                    choices[c["Name"]] = (_NUMBER_TYPES[c["Type"].lower()], "string")
    selected = []
    for c in columns:
        name, spark_type = c["Name"], _formats.spark_type(c["Type"])
        source = present.get(name.lower())
        if source is None:
            value = F.lit(None).cast(spark_type or "string")
        elif name in choices or spark_type is None:
            value = col([source])
        else:
            value = (F.trim(col([source])) if fmt == "csv" and spark_type != "string" else col([source])).cast(spark_type)
        selected.append(value.alias(name))
    return df.select(*selected, *[col([k]) for k in keep]), choices


def read_catalog(glue_context: Any, database: str | None, table_name: str | None, ctx: str, predicate: str,
                 additional_options: dict[str, Any], catalog_id: str | None,
                 dynamic: bool) -> tuple[Any, dict[str, tuple[str, ...]]]:
    spark = glue_context.spark_session
    table = _catalog_table(database, table_name, catalog_id)
    descriptor = table.get("StorageDescriptor") or {}
    columns = descriptor.get("Columns") or []
    keys = table.get("PartitionKeys") or []
    fmt, options = _formats.format_of_table(table)
    if fmt in ("parquet", "orc"):
        options = {**options, "mergeSchema": True}
    predicate = predicate or additional_options.get("catalogPartitionPredicate", "")
    if keys:
        assert database is not None
        places = _partitions(database, table, predicate, spark, catalog_id)
    else:
        places = [([], descriptor.get("Location", ""))]
    listed = [(values, f) for values, location in places if location
              for f in _aws.list_files([location.rstrip("/") + "/"], recurse=True)]
    wanted = {f.uri for f in _unprocessed([f for _, f in listed], ctx)}
    by_place: dict[tuple[str, ...], list[str]] = {}
    for values, f in listed:
        if f.uri in wanted:
            by_place.setdefault(tuple(values), []).append(f.uri)
    # Text is typed after reading (choices); JSON is read with the table's schema, so nested
    # fields match by name (Spark infers struct fields in alphabetical order).
    if fmt == "csv":
        read_schema: str | None = ", ".join(f"{_fields.quote([c['Name']])} string" for c in columns)
    elif fmt == "json":
        read_schema = ", ".join(f"{_fields.quote([c['Name']])} {_formats.spark_type(c['Type']) or 'string'}" for c in columns)
    else:
        read_schema = None
    frames = []
    for values, uris in by_place.items():
        frame = _formats.read_files(spark, uris, fmt, options, schema=read_schema)
        frames.append((values, frame))
    if not frames:
        schema = ", ".join(f"{_fields.quote([c['Name']])} {_formats.spark_type(c['Type']) or 'string'}" for c in columns + keys)
        return _empty(spark, schema), {}
    from pyspark.sql import functions as F

    raw = None
    for values, frame in frames:
        for key, value in zip(keys, values):
            frame = frame.withColumn(key["Name"], F.lit(value).cast(_formats.spark_type(key["Type"]) or "string"))
        raw = frame if raw is None else raw.unionByName(frame, allowMissingColumns=True)
    return _typed(raw, columns, fmt, dynamic, keep=[k["Name"] for k in keys])
