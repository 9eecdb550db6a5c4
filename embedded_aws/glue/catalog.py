"""The Glue Data Catalog as the local Athena sees it: moto's Glue backend, in-process.

Athena keeps its tables in the Glue Data Catalog, so the local Athena does
too: DDL statements create databases, tables and partitions on moto's Glue
backend of the query's account and region, and boto3 ``glue.get_table`` /
``get_partitions`` show them as AWS would. Tables created straight through
the Glue API (by a crawler, a stack, a test) are just as queryable.

Names are case-insensitive as in Athena: DDL stores them in lower case and
lookups fall back to a case-insensitive match. Every catalog change made by
the local Athena holds one process-wide lock.
"""

from __future__ import annotations

import datetime
import threading
from dataclasses import dataclass, field
from typing import Any

from moto.glue.models import GlueBackend, glue_backends

from embedded_aws.glue import hive_types

DEFAULT_DATABASE = "default"

PARQUET_INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
TEXT_INPUT_FORMAT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
LAZY_SIMPLE_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
OPEN_CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
OPENX_JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"
HIVE_JSON_SERDE = "org.apache.hive.hcatalog.data.JsonSerDe"
JSON_SERDES = (OPENX_JSON_SERDE, HIVE_JSON_SERDE)

_LOCK = threading.RLock()
# Fields GetTable adds that are not part of a TableInput.
_READ_ONLY_TABLE_FIELDS = {"DatabaseName", "CreateTime", "UpdateTime", "VersionId", "CatalogId", "CreatedBy", "IsRegisteredWithLakeFormation"}


class CatalogError(Exception):
    """A catalog object is missing or already exists."""

    def __init__(self, kind: str, name: str, problem: str):
        super().__init__(f"{kind} {name} {problem}")
        self.kind = kind
        self.name = name
        self.problem = problem


class NotFound(CatalogError):
    def __init__(self, kind: str, name: str):
        super().__init__(kind, name, "does not exist")


class AlreadyExists(CatalogError):
    def __init__(self, kind: str, name: str):
        super().__init__(kind, name, "already exists")


# --- Hive column types (see hive_types) -----------------------------------------

MAX_DECIMAL_PRECISION = hive_types.MAX_DECIMAL_PRECISION
UnsupportedType = hive_types.UnsupportedType
normalize_type = hive_types.normalize_type
duckdb_type = hive_types.duckdb_type


# --- snapshots of catalog objects ---------------------------------------------


@dataclass(frozen=True)
class ColumnDef:
    name: str
    type: str
    comment: str | None = None

    def as_glue(self) -> dict[str, Any]:
        column: dict[str, Any] = {"Name": self.name, "Type": self.type}
        if self.comment:
            column["Comment"] = self.comment
        return column


@dataclass(frozen=True)
class PartitionDef:
    values: tuple[str, ...]
    location: str


@dataclass(frozen=True)
class TableDef:
    """A read-only snapshot of a Glue table and its partitions."""

    database: str
    name: str
    columns: tuple[ColumnDef, ...]
    partition_keys: tuple[ColumnDef, ...]
    location: str
    input_format: str
    serde_library: str
    serde_parameters: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    table_type: str = "EXTERNAL_TABLE"
    partitions: tuple[PartitionDef, ...] = ()
    view_original_text: str = ""  # a VIRTUAL_VIEW's definition (Athena: "/* Presto View: <base64> */")
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # the Glue Table as stored

    @property
    def qualified_name(self) -> str:
        return f"{self.database}.{self.name}"

    @property
    def all_columns(self) -> tuple[ColumnDef, ...]:
        return self.columns + self.partition_keys


def _table_def(database: str, raw: dict[str, Any], partitions: list[dict[str, Any]]) -> TableDef:
    descriptor = raw.get("StorageDescriptor") or {}
    serde = descriptor.get("SerdeInfo") or {}
    return TableDef(
        database=database,
        name=raw["Name"],
        columns=tuple(
            ColumnDef(c["Name"], c.get("Type", "string"), c.get("Comment")) for c in descriptor.get("Columns") or []
        ),
        partition_keys=tuple(
            ColumnDef(c["Name"], c.get("Type", "string"), c.get("Comment")) for c in raw.get("PartitionKeys") or []
        ),
        location=descriptor.get("Location") or "",
        input_format=descriptor.get("InputFormat") or "",
        serde_library=serde.get("SerializationLibrary") or "",
        serde_parameters=dict(serde.get("Parameters") or {}),
        parameters=dict(raw.get("Parameters") or {}),
        table_type=raw.get("TableType") or "",
        view_original_text=raw.get("ViewOriginalText") or "",
        raw=raw,
        partitions=tuple(
            PartitionDef(
                tuple(str(v) for v in p.get("Values") or []),
                (p.get("StorageDescriptor") or {}).get("Location") or "",
            )
            for p in partitions
        ),
    )


def _ddl_time() -> str:
    return str(int(datetime.datetime.now(tz=datetime.timezone.utc).timestamp()))


# --- the catalog ------------------------------------------------------------------


class Catalog:
    """The Glue Data Catalog of one account and region, as Athena uses it."""

    def __init__(self, account_id: str, region: str):
        self.account_id = account_id
        self.region = region

    @property
    def _glue(self) -> GlueBackend:
        return glue_backends[self.account_id][self.region]

    # --- lookups -------------------------------------------------------------

    def _database_key(self, name: str) -> str | None:
        databases = self._glue.databases
        if name in databases:
            return name
        lowered = name.lower()
        return next((key for key in list(databases) if key.lower() == lowered), None)

    def _table_key(self, database_key: str, name: str) -> str | None:
        tables = self._glue.databases[database_key].tables
        if name in tables:
            return name
        lowered = name.lower()
        return next((key for key in list(tables) if key.lower() == lowered), None)

    def database_exists(self, name: str) -> bool:
        """True for a Glue database, and always for ``default`` (Athena's built-in one)."""
        return name.lower() == DEFAULT_DATABASE or self._database_key(name) is not None

    def databases(self) -> list[str]:
        with _LOCK:
            names = {key.lower() for key in list(self._glue.databases)} | {DEFAULT_DATABASE}
        return sorted(names)

    def tables(self, database: str) -> list[str]:
        with _LOCK:
            key = self._database_key(database)
            if key is None:
                if database.lower() == DEFAULT_DATABASE:
                    return []
                raise NotFound("Database", database)
            return sorted(name.lower() for name in list(self._glue.databases[key].tables))

    def table(self, database: str, name: str) -> TableDef:
        """A snapshot of table ``database.name`` with its partitions (NotFound if missing)."""
        with _LOCK:
            db_key = self._database_key(database)
            if db_key is None:
                if database.lower() == DEFAULT_DATABASE:
                    raise NotFound("Table", f"{database}.{name}")
                raise NotFound("Database", database)
            table_key = self._table_key(db_key, name)
            if table_key is None:
                raise NotFound("Table", f"{database}.{name}")
            fake = self._glue.databases[db_key].tables[table_key]
            raw = fake.as_dict()
            partitions = [p.as_dict() for p in list(fake.partitions.values())]
        return _table_def(db_key, raw, partitions)

    # --- changes -------------------------------------------------------------------

    def create_database(
        self, name: str, *, if_not_exists: bool = False, description: str | None = None,
        location: str | None = None, properties: dict[str, str] | None = None,
    ) -> bool:
        """Create a database; False when it exists and ``if_not_exists`` (AlreadyExists otherwise)."""
        with _LOCK:
            if self._database_key(name) is not None:
                if if_not_exists:
                    return False
                raise AlreadyExists("Database", name)
            database_input: dict[str, Any] = {"Name": name}
            if description:
                database_input["Description"] = description
            if location:
                database_input["LocationUri"] = location
            if properties:
                database_input["Parameters"] = dict(properties)
            self._glue.create_database(name, database_input)
            return True

    def _ensure_database(self, name: str) -> str:
        key = self._database_key(name)
        if key is not None:
            return key
        if name.lower() == DEFAULT_DATABASE:  # Athena's default database always exists
            self._glue.create_database(DEFAULT_DATABASE, {"Name": DEFAULT_DATABASE, "Description": "Default Hive database"})
            return DEFAULT_DATABASE
        raise NotFound("Database", name)

    def drop_database(self, name: str, *, if_exists: bool = False, cascade: bool = False) -> bool:
        with _LOCK:
            key = self._database_key(name)
            if key is None:
                if if_exists:
                    return False
                raise NotFound("Database", name)
            if self._glue.databases[key].tables and not cascade:
                raise CatalogError("Database", name, "is not empty. One or more tables exist.")
            self._glue.delete_database(key)
            return True

    def create_table(self, database: str, table_input: dict[str, Any], *, if_not_exists: bool = False) -> bool:
        """Create a table from a Glue TableInput; False when it exists and ``if_not_exists``."""
        with _LOCK:
            db_key = self._ensure_database(database)
            name = table_input["Name"]
            if self._table_key(db_key, name) is not None:
                if if_not_exists:
                    return False
                raise AlreadyExists("Table", f"{database}.{name}")
            parameters = dict(table_input.get("Parameters") or {})
            parameters.setdefault("transient_lastDdlTime", _ddl_time())
            self._glue.create_table(db_key, name, {**table_input, "Parameters": parameters})
            return True

    def set_table_parameters(self, database: str, name: str, parameters: dict[str, str]) -> None:
        """Add or change table properties (ALTER TABLE ... SET TBLPROPERTIES), as a new table version."""
        with _LOCK:
            db_key = self._database_key(database)
            table_key = self._table_key(db_key, name) if db_key is not None else None
            if table_key is None:
                if db_key is None and database.lower() != DEFAULT_DATABASE:
                    raise NotFound("Database", database)
                raise NotFound("Table", f"{database}.{name}")
            fake = self._glue.databases[db_key].tables[table_key]  # type: ignore[index]
            stored = fake.as_dict()
            table_input = {k: v for k, v in stored.items() if k not in _READ_ONLY_TABLE_FIELDS}
            table_input["Parameters"] = {**(stored.get("Parameters") or {}), **parameters, "transient_lastDdlTime": _ddl_time()}
            self._glue.update_table(db_key, table_key, table_input)  # type: ignore[arg-type]

    def replace_table(self, database: str, table_input: dict[str, Any]) -> None:
        """Create a table, or replace one of the same name (CREATE OR REPLACE VIEW)."""
        with _LOCK:
            self.drop_table(database, table_input["Name"], if_exists=True)
            self.create_table(database, table_input)

    def drop_table(self, database: str, name: str, *, if_exists: bool = False) -> bool:
        with _LOCK:
            db_key = self._database_key(database)
            table_key = self._table_key(db_key, name) if db_key is not None else None
            if table_key is None:
                if if_exists:
                    return False
                if db_key is None and database.lower() != DEFAULT_DATABASE:
                    raise NotFound("Database", database)
                raise NotFound("Table", f"{database}.{name}")
            self._glue.delete_table(db_key, table_key)  # type: ignore[arg-type]
            return True

    def add_partition(
        self, database: str, name: str, values: list[str], location: str, *, if_not_exists: bool = False
    ) -> bool:
        """Register a partition whose storage is the table's but at ``location``."""
        with _LOCK:
            db_key = self._database_key(database)
            table_key = self._table_key(db_key, name) if db_key is not None else None
            if table_key is None:
                raise NotFound("Table", f"{database}.{name}")
            fake = self._glue.databases[db_key].tables[table_key]  # type: ignore[index]
            if str(list(values)) in fake.partitions:
                if if_not_exists:
                    return False
                raise AlreadyExists("Partition", str(list(values)))
            descriptor = dict(fake.as_dict().get("StorageDescriptor") or {})
            descriptor["Location"] = location
            fake.create_partition(
                {"Values": list(values), "StorageDescriptor": descriptor, "Parameters": {"transient_lastDdlTime": _ddl_time()}}
            )
            return True

    def drop_partition(self, database: str, name: str, values: list[str], *, if_exists: bool = False) -> bool:
        with _LOCK:
            db_key = self._database_key(database)
            table_key = self._table_key(db_key, name) if db_key is not None else None
            if table_key is None:
                raise NotFound("Table", f"{database}.{name}")
            fake = self._glue.databases[db_key].tables[table_key]  # type: ignore[index]
            if str(list(values)) not in fake.partitions:
                if if_exists:
                    return False
                raise NotFound("Partition", str(list(values)))
            fake.delete_partition(list(values))  # type: ignore[arg-type]
            return True
