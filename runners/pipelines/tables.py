"""Athena DDL generated from a pipeline's table configuration (placeholders
``${AthenaDatabase}`` and ``${DataBucket}`` are filled at deploy time)."""

from __future__ import annotations

from .model import Pipeline, Table
from .templates import deploy_time

_STORED_AS = {"parquet": "PARQUET", "orc": "ORC"}


def create_database_sql(pipeline: Pipeline) -> str:
    return "CREATE DATABASE IF NOT EXISTS `${AthenaDatabase}`"


def qualified(table: Table) -> str:
    return f"`${{AthenaDatabase}}`.`{table.name}`"


def location(table: Table) -> str:
    text = deploy_time(table.location)
    if not text.startswith("s3://"):
        text = "s3://${DataBucket}/" + text.lstrip("/")
    return text if text.endswith("/") else text + "/"


def create_table_sql(pipeline: Pipeline, table: Table) -> str:
    columns = ", ".join(f"`{name}` {kind}" for name, kind in table.columns)
    sql = f"CREATE EXTERNAL TABLE IF NOT EXISTS {qualified(table)} ({columns})"
    if table.description:
        sql += " COMMENT '" + table.description.replace("'", "''") + "'"
    if table.partitioned_by:
        sql += " PARTITIONED BY (" + ", ".join(f"`{name}` {kind}" for name, kind in table.partitioned_by) + ")"
    if table.format in _STORED_AS:
        sql += f" STORED AS {_STORED_AS[table.format]}"
    elif table.format == "json":
        sql += " ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'"
    else:
        delimiter = (table.delimiter or ",").replace("'", "\\'")
        sql += f" ROW FORMAT DELIMITED FIELDS TERMINATED BY '{delimiter}' STORED AS TEXTFILE"
    sql += f" LOCATION '{location(table)}'"
    if table.header:
        sql += " TBLPROPERTIES ('skip.header.line.count'='1')"
    return sql


def drop_table_sql(table: Table) -> str:
    return f"DROP TABLE IF EXISTS {qualified(table)}"


def repair_partitions_sql(table: Table) -> str:
    return f"MSCK REPAIR TABLE {qualified(table)}"
