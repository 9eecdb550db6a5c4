"""Glue sinks on S3: write a frame in a format (always appending, as Glue does), and keep the catalog in step.

``enableUpdateCatalog`` (``getSink`` or ``additional_options``) creates the
table when missing and registers the partitions written; with
``updateBehavior`` ``UPDATE_IN_DATABASE`` (the default) new columns are added
to the table's schema, with ``LOG`` the schema is left as it is.
"""

from __future__ import annotations

from typing import Any

from awsglue import _aws, _formats
from awsglue._fields import col


def _hive_type(data_type: Any) -> str:
    return data_type.simpleString().replace("timestamp_ntz", "timestamp")


def _path_of(options: dict[str, Any]) -> str:
    path = options.get("path") or ""
    if not path:
        raise ValueError("an S3 sink needs connection_options {'path': 's3://...'}")
    if not path.startswith(_aws.S3_SCHEMES):
        raise ValueError(f"an S3 sink's path must be an s3:// URI, not {path!r}")
    return path


def write_options(glue_context: Any, df: Any, connection_type: str, connection_options: dict[str, Any],
                  fmt: str | None, format_options: dict[str, Any]) -> None:
    if (connection_type or "").lower() != "s3":
        raise _formats.NotSupportedLocally(f"connection_type {connection_type!r}")
    path = _path_of(connection_options)
    keys = list(connection_options.get("partitionKeys") or [])
    write(df, path, fmt or "", format_options, keys, connection_options.get("compression"))
    if str(connection_options.get("enableUpdateCatalog", False)).lower() == "true":
        update_catalog(df, path, fmt or "", format_options, keys, connection_options)


def write(df: Any, path: str, fmt: str, format_options: dict[str, Any], keys: list[str], compression: str | None) -> None:
    if not df.columns:
        return  # a frame without fields (an empty source): nothing to write
    _formats.write_frame(df, path, fmt, format_options, keys, compression)


def write_catalog(glue_context: Any, df: Any, database: str | None, table_name: str | None,
                  additional_options: dict[str, Any], catalog_id: str | None) -> None:
    """Append to a catalog table's location in its format, partitioned by its partition keys."""
    if not database or not table_name:
        raise ValueError("write_dynamic_frame.from_catalog needs database and table_name")
    kwargs = {"CatalogId": catalog_id} if catalog_id else {}
    table = _aws.client("glue").get_table(DatabaseName=database, Name=table_name, **kwargs)["Table"]
    descriptor = table.get("StorageDescriptor") or {}
    location = descriptor.get("Location") or ""
    fmt, options = _formats.format_of_table(table)
    keys = [k["Name"] for k in table.get("PartitionKeys") or []] or list(additional_options.get("partitionKeys") or [])
    columns = [c["Name"] for c in descriptor.get("Columns") or []]
    present = {c.lower(): c for c in df.columns}
    if fmt != "parquet" and columns:  # text formats are read by position: write the table's order
        from pyspark.sql import functions as F

        df = df.select(*[col([present[c.lower()]]).alias(c) if c.lower() in present else F.lit(None).alias(c)
                         for c in columns], *[col([present[k.lower()]]) for k in keys if k.lower() in present])
    text_options = {**options, "writeHeader": False} if fmt == "csv" else options
    write(df, location.rstrip("/") + "/", fmt, text_options, keys, additional_options.get("compression"))
    if str(additional_options.get("enableUpdateCatalog", False)).lower() == "true":
        update_catalog(df, location, fmt, options, keys,
                       {**additional_options, "catalogDatabase": database, "catalogTableName": table_name})


def update_catalog(df: Any, path: str, fmt: str, format_options: dict[str, Any], keys: list[str],
                   options: dict[str, Any]) -> None:
    """Create or update the sink's catalog table and add the partitions just written."""
    database = options.get("catalogDatabase") or options.get("database")
    table_name = options.get("catalogTableName") or options.get("tableName")
    if not database or not table_name:
        raise ValueError("enableUpdateCatalog needs catalogDatabase and catalogTableName (setCatalogInfo)")
    glue = _aws.client("glue")
    behavior = str(options.get("updateBehavior", "UPDATE_IN_DATABASE")).upper()
    data_fields = [f for f in df.schema.fields if f.name not in keys]
    key_fields = [next(f for f in df.schema.fields if f.name == k) for k in keys]
    columns = [{"Name": f.name.lower(), "Type": _hive_type(f.dataType)} for f in data_fields]
    partition_keys = [{"Name": f.name.lower(), "Type": _hive_type(f.dataType)} for f in key_fields]
    storage, parameters = _formats.storage_for(fmt, format_options)
    location = path.rstrip("/") + "/"
    try:
        existing = glue.get_table(DatabaseName=database, Name=table_name)["Table"]
    except glue.exceptions.EntityNotFoundException:
        existing = None
    if existing is None:
        glue.create_table(
            DatabaseName=database,
            TableInput={
                "Name": table_name,
                "TableType": "EXTERNAL_TABLE",
                "Parameters": parameters,
                "PartitionKeys": partition_keys,
                "StorageDescriptor": {**storage, "Columns": columns, "Location": location},
            },
        )
    elif behavior == "UPDATE_IN_DATABASE":
        descriptor = dict(existing.get("StorageDescriptor") or {})
        known = {c["Name"].lower() for c in descriptor.get("Columns", [])}
        merged = list(descriptor.get("Columns", [])) + [c for c in columns if c["Name"] not in known]
        table_input = {
            "Name": existing["Name"],
            "TableType": existing.get("TableType", "EXTERNAL_TABLE"),
            "Parameters": {**(existing.get("Parameters") or {}), **parameters},
            "PartitionKeys": existing.get("PartitionKeys") or partition_keys,
            "StorageDescriptor": {**descriptor, "Columns": merged},
        }
        glue.update_table(DatabaseName=database, TableInput=table_input)
    elif behavior != "LOG":
        raise ValueError(f"updateBehavior must be UPDATE_IN_DATABASE or LOG, not {behavior!r}")
    if keys:
        _add_partitions(glue, database, table_name, df, keys, location, storage, columns)


def _add_partitions(glue: Any, database: str, table_name: str, df: Any, keys: list[str], location: str,
                    storage: dict[str, Any], columns: list[dict[str, str]]) -> None:
    values = [[None if v is None else str(v) for v in row] for row in df.select(*[col([k]) for k in keys]).distinct().collect()]
    inputs = []
    for row in values:
        if any(v is None for v in row):
            continue  # Spark writes such rows under __HIVE_DEFAULT_PARTITION__, which Glue does not register
        suffix = "/".join(f"{k}={v}" for k, v in zip(keys, row))
        inputs.append({"Values": row, "StorageDescriptor": {**storage, "Columns": columns, "Location": location + suffix + "/"}})
    for start in range(0, len(inputs), 100):
        glue.batch_create_partition(DatabaseName=database, TableName=table_name, PartitionInputList=inputs[start : start + 100])
