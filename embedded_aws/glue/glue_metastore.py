"""``--enable-glue-datacatalog``: Spark SQL sees the Glue Data Catalog as its metastore.

On Glue the flag makes the Data Catalog Spark's Hive metastore, so
``spark.sql("SELECT ... FROM db.table")``, ``spark.table`` and
``spark.catalog.listTables(db)`` see the catalog's tables. Locally, when a run
starts with the flag, every catalog database becomes a database of the run's
Spark catalog; an S3 table becomes a data source table (its format, schema
and partition columns from the catalog, its location the run's local S3
mirror) the first time a statement names it (``spark.sql``, ``spark.table``)
or its database's tables are listed, and its objects are downloaded when it
is named. Hive-style partition folders are discovered as Spark does. The
databases are dropped when the run ends. Views, and tables in formats local
Spark cannot read, are left out.
"""

from __future__ import annotations

import functools
import re
import sys
from typing import Any, Callable

from embedded_aws.glue.job_env import run_client
from embedded_aws.glue.s3_stage import S3Stage, is_s3_uri

_SPARK_FORMATS = {"parquet": "parquet", "orc": "orc", "json": "json", "csv": "csv"}
#: ``db.table`` (either part in backticks) in a statement or a table name.
_QUALIFIED = re.compile(r"`?([A-Za-z_][\w]*)`?\s*\.\s*`?([A-Za-z_][\w]*)`?")


class GlueMetastore:
    """The catalog's databases, and the tables a run names, registered in the run's Spark session.

    Databases are registered when the run starts (one GetDatabases); a table only
    when a statement names it or its database's tables are listed, so a large
    catalog costs nothing a run does not use.
    """

    def __init__(self, spark: Any, stage: S3Stage, glue: Any):
        self._spark = spark
        self._stage = stage
        self._glue = glue
        self._known: dict[str, str] = {}  # lower-case Glue database name -> its name
        self._seen: set[str] = set()  # "db.table" (lower case) already looked up
        self._listed: set[str] = set()  # databases whose tables are all registered
        self._databases: list[str] = []  # databases this run created in Spark
        self._tables: list[str] = []  # tables created in databases Spark already had ("default")

    def register(self) -> None:
        for page in self._glue.get_paginator("get_databases").paginate():
            for database in page.get("DatabaseList", []):
                name = database["Name"]
                self._known[name.lower()] = name
                if not self._spark.catalog.databaseExists(name):
                    self._spark.sql(f"CREATE DATABASE `{name}`")
                    self._databases.append(name)

    def fetch_named(self, text: str) -> None:
        """Register and download the catalog tables a statement or table name mentions (once per run)."""
        for database, table in _QUALIFIED.findall(text):
            key = f"{database}.{table}".lower()
            if database.lower() not in self._known or key in self._seen:
                continue
            self._seen.add(key)
            try:
                found = self._glue.get_table(DatabaseName=self._known[database.lower()], Name=table)["Table"]
            except self._glue.exceptions.EntityNotFoundException:
                continue  # Spark answers TABLE_OR_VIEW_NOT_FOUND, as on Glue
            location = self._register_table(self._known[database.lower()], found)
            if location:
                self._stage.for_read(location.rstrip("/") + "/")
                self._spark.catalog.refreshTable(f"`{self._known[database.lower()]}`.`{found['Name']}`")

    def list_database(self, database: str | None) -> None:
        """Register every table of a database before Spark lists them (objects are fetched when named)."""
        name = self._known.get((database or "").lower())
        if name is None or name in self._listed:
            return
        self._listed.add(name)
        for page in self._glue.get_paginator("get_tables").paginate(DatabaseName=name):
            for table in page.get("TableList", []):
                self._register_table(name, table)

    def _register_table(self, database: str, table: dict[str, Any]) -> str | None:
        """Declare a catalog table in Spark; its S3 location, or None if Spark SQL cannot read it locally."""
        from awsglue import _formats  # the job runtime is on sys.path during a run

        descriptor = table.get("StorageDescriptor") or {}
        location = descriptor.get("Location") or ""
        if table.get("TableType") == "VIRTUAL_VIEW" or not is_s3_uri(location):
            return None
        if self._spark.catalog.tableExists(f"`{database}`.`{table['Name']}`"):
            return location
        try:
            fmt, options = _formats.format_of_table(table)
            columns = [(c["Name"], _formats.spark_type(c["Type"]) or "string") for c in descriptor.get("Columns", [])]
            keys = [(k["Name"], _formats.spark_type(k["Type"]) or "string") for k in table.get("PartitionKeys") or []]
        except (NotImplementedError, ValueError):
            return None  # a format or type local Spark cannot read
        schema = ", ".join(f"`{name}` {kind}" for name, kind in columns + keys)
        spark_options = {}
        if fmt == "csv":
            quote = options.get("quoteChar", '"')
            spark_options = {"sep": options.get("separator", ","), "quote": "" if str(quote) == "-1" else quote,
                             "header": str(bool(options.get("withHeader"))).lower()}
        rendered = ", ".join(f"'{k}' '{_escape(v)}'" for k, v in spark_options.items())
        partitioned = f" PARTITIONED BY ({', '.join(f'`{k}`' for k, _ in keys)})" if keys else ""
        local = self._stage.local_path(location.rstrip("/") + "/")
        try:
            self._spark.sql(
                f"CREATE TABLE `{database}`.`{table['Name']}` ({schema}) USING {_SPARK_FORMATS[fmt]}"
                + (f" OPTIONS ({rendered})" if rendered else "")
                + f"{partitioned} LOCATION '{_escape(local)}'"
            )
        except Exception as exc:  # e.g. complex columns in a text table: Spark's CSV source cannot read them
            print(f"[local glue] catalog table {database}.{table['Name']} is not readable by Spark SQL locally: "
                  f"{str(exc).splitlines()[0]}", file=sys.stderr)
            return None
        if database not in self._databases:
            self._tables.append(f"`{database}`.`{table['Name']}`")
        return location

    def drop(self) -> None:
        for name in self._tables:
            try:
                self._spark.sql(f"DROP TABLE IF EXISTS {name}")
            except Exception:
                pass
        for name in self._databases:
            try:
                self._spark.sql(f"DROP DATABASE IF EXISTS `{name}` CASCADE")
            except Exception:
                pass


def _escape(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace("'", "\\'")


_ACTIVE: list[GlueMetastore] = []


def _watching(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def call(self: Any, text: Any, *args: Any, **kwargs: Any) -> Any:
        if _ACTIVE and isinstance(text, str):
            _ACTIVE[0].fetch_named(text)
        return original(self, text, *args, **kwargs)

    call.__embedded_glue__ = True  # type: ignore[attr-defined]
    return call


def _listing(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def call(self: Any, dbName: str | None = None, *args: Any, **kwargs: Any) -> Any:
        if _ACTIVE:
            _ACTIVE[0].list_database(dbName or self.currentDatabase())
        return original(self, dbName, *args, **kwargs)

    call.__embedded_glue__ = True  # type: ignore[attr-defined]
    return call


def install() -> None:
    """Watch ``spark.sql``, ``spark.table``, ``spark.read.table`` and ``spark.catalog.listTables`` (driver; idempotent)."""
    from pyspark.sql import SparkSession
    from pyspark.sql.catalog import Catalog
    from pyspark.sql.readwriter import DataFrameReader

    for cls, name in ((SparkSession, "sql"), (SparkSession, "table"), (DataFrameReader, "table")):
        if not getattr(getattr(cls, name), "__embedded_glue__", False):
            setattr(cls, name, _watching(getattr(cls, name)))
    if not getattr(Catalog.listTables, "__embedded_glue__", False):
        Catalog.listTables = _listing(Catalog.listTables)  # type: ignore[method-assign]


def start(spark: Any, stage: S3Stage, env: dict[str, str]) -> GlueMetastore:
    metastore = GlueMetastore(spark, stage, run_client("glue", env))
    _ACTIVE[:] = [metastore]
    metastore.register()
    return metastore


def stop() -> None:
    while _ACTIVE:
        _ACTIVE.pop().drop()


def enabled(argv: list[str]) -> bool:
    """Glue's rule: the argument is present (its value is "true" in practice)."""
    for i, value in enumerate(argv):
        if value == "--enable-glue-datacatalog":
            following = argv[i + 1] if i + 1 < len(argv) else ""
            return following.lower() != "false"
        if value.startswith("--enable-glue-datacatalog="):
            return value.split("=", 1)[1].lower() != "false"
    return False
