"""A pipeline's tables as Athena (Hive) DDL, generated from the pipeline file.

The statements keep the state machine's deploy-time placeholders
(``${AthenaDatabase}``, ``${DataBucket}``, ...), filled like
DefinitionSubstitutions, so one rendered definition serves every deployment.
Names are back-quoted (Hive DDL quoting), so a column called ``date`` or a
database called ``default`` needs no special care.
"""

from __future__ import annotations

import re

from .model import Pipeline, Table
from .templates import deploy_time

DATABASE = "${AthenaDatabase}"
DATA_BUCKET = "${DataBucket}"

# Hive DDL spells INTEGER as INT (Athena uses INTEGER only in DML).
_DDL_TYPE_WORDS = {"integer": "int"}
_DEFAULT_DELIMITER = ","
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"


def quote(identifier: str) -> str:
    """A Hive identifier in backquotes (a backquote inside is doubled)."""
    return "`" + identifier.replace("`", "``") + "`"


def qualified_name(table: Table | str) -> str:
    name = table if isinstance(table, str) else table.name
    return f"{quote(DATABASE)}.{quote(name)}"


def location_uri(table: Table) -> str:
    """The table's ``s3://`` location with placeholders: a bare prefix is in the
    data bucket; an ``s3://`` URI is taken as it is. Always ends with ``/``."""
    location = deploy_time(table.location)
    if not location.startswith("s3://"):
        location = f"s3://{DATA_BUCKET}/{location.lstrip('/')}"
    return location if location.endswith("/") else location + "/"


def create_database_sql(pipeline: Pipeline) -> str:
    """No comment: pipelines may share a database, and only the first CREATE would set it."""
    return f"CREATE DATABASE IF NOT EXISTS {quote(DATABASE)}"


def create_table_sql(pipeline: Pipeline, table: Table | str) -> str:
    """``CREATE EXTERNAL TABLE IF NOT EXISTS`` from the table's configuration."""
    table = _table(pipeline, table)
    parts = [f"CREATE EXTERNAL TABLE IF NOT EXISTS {qualified_name(table)} ({_columns(table.columns)})"]
    if table.description:
        parts.append(f"COMMENT {_literal(table.description)}")
    if table.partitioned_by:
        parts.append(f"PARTITIONED BY ({_columns(table.partitioned_by)})")
    parts.extend(_storage(table))
    parts.append(f"LOCATION {_literal(location_uri(table))}")
    if table.header:
        parts.append("TBLPROPERTIES ('skip.header.line.count'='1')")
    return " ".join(parts)


def drop_table_sql(pipeline: Pipeline, table: Table | str) -> str:
    """Drops the catalog entry only: the table is EXTERNAL, its data stays."""
    return f"DROP TABLE IF EXISTS {qualified_name(_table(pipeline, table))}"


def repair_partitions_sql(pipeline: Pipeline, table: Table | str) -> str:
    """Registers every ``key=value/`` folder under the location not yet in the catalog."""
    table = _table(pipeline, table)
    if not table.partitioned_by:
        raise ValueError(f"table {table.name!r} has no partitions to repair")
    return f"MSCK REPAIR TABLE {qualified_name(table)}"


def _table(pipeline: Pipeline, table: Table | str) -> Table:
    if isinstance(table, Table):
        return table
    try:
        return pipeline.tables[table]
    except KeyError:
        raise ValueError(f"{table!r} is not a table of pipeline {pipeline.name!r}") from None


def _columns(columns: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{quote(name)} {ddl_type(kind)}" for name, kind in columns)


def ddl_type(kind: str) -> str:
    """The pipeline file's type as Hive DDL writes it (``integer`` -> ``int``, also nested)."""
    return re.sub(r"[A-Za-z]+", lambda m: _DDL_TYPE_WORDS.get(m.group(0).lower(), m.group(0)), kind)


def _storage(table: Table) -> list[str]:
    if table.format == "parquet":
        return ["STORED AS PARQUET"]
    if table.format == "orc":
        return ["STORED AS ORC"]
    if table.format == "json":
        return [f"ROW FORMAT SERDE {_literal(JSON_SERDE)}", "STORED AS TEXTFILE"]
    if table.format in ("csv", "text"):
        delimiter = table.delimiter or _DEFAULT_DELIMITER
        return [f"ROW FORMAT DELIMITED FIELDS TERMINATED BY {_literal(delimiter)}", "STORED AS TEXTFILE"]
    raise ValueError(f"table {table.name!r}: unknown format {table.format!r}")


_ESCAPES = {"\\": "\\\\", "'": "\\'", "\t": "\\t", "\n": "\\n"}


def _literal(text: str) -> str:
    """A Hive string literal (backslash escapes, as Hive reads them)."""
    return "'" + "".join(_ESCAPES.get(char, char) for char in text) + "'"
