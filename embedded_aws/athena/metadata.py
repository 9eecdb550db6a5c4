"""Athena's metadata APIs answered from the embedded Glue Data Catalog.

SQL clients (JDBC/ODBC drivers, DBeaver, PyAthena) and awswrangler browse
Athena through ``ListDataCatalogs``, ``GetDataCatalog``, ``ListDatabases``,
``GetDatabase``, ``ListTableMetadata`` and ``GetTableMetadata``. moto keeps
its own list of databases (never filled, since the local Athena runs DDL
itself), answers ``AwsDataCatalog`` with nothing and lacks the table calls.
Here they read moto's Glue backend of the request's account and region, the
same catalog the local Athena's DDL writes to (``glue/catalog.py``) and
``glue.get_tables`` shows, so tables made through DDL and through the Glue
API both appear.

* ``AwsDataCatalog`` (type ``GLUE``) always exists; data catalogs created with
  ``CreateDataCatalog`` stay moto's and are listed after it. A ``GLUE`` data
  catalog created that way reads the Glue Data Catalog of its ``catalog-id``
  parameter (an account id; the caller's own when absent). The databases of
  other types (``LAMBDA``, ``HIVE``, ``FEDERATED``) stay moto's, and their
  tables cannot be read locally (``MetadataException``).
* Names are case-insensitive and listed in lower case, sorted, as Athena
  does; the ``default`` database always exists, as in ``glue/catalog.py``.
* ``TableMetadata.Parameters`` holds the table's Glue parameters plus its
  storage as Athena reports it: ``location``, ``inputformat``,
  ``outputformat``, ``serde.serialization.lib`` and ``serde.param.<key>``.
* ``Expression`` (ListTableMetadata) is Athena's table-name pattern: ``*``
  (or ``.*``) matches any characters, ``|`` separates alternatives, anything
  else is a regular expression; it must match the whole name, ignoring case.
* Pages hold ``MaxResults`` items (at most 50, ListDataCatalogs at least 2);
  ``NextToken`` is opaque and names the last item returned.
* Errors: an unknown data catalog is ``InvalidRequestException``; an unknown
  database or table is ``MetadataException`` (Glue's EntityNotFoundException,
  as Athena relays it).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Sequence, TypeVar

from moto.athena.exceptions import MetadataException
from moto.athena.models import AthenaBackend
from moto.athena.responses import AthenaResponse
from moto.core.responses import ActionResult
from moto.glue.models import GlueBackend, glue_backends

from embedded_aws.athena.engine import InvalidRequestException
from embedded_aws.glue.catalog import DEFAULT_DATABASE

AWS_DATA_CATALOG = "AwsDataCatalog"
GLUE = "GLUE"
MAX_PAGE = 50
DEFAULT_DATABASE_DESCRIPTION = "Default Hive database"  # what glue/catalog.py creates it with

T = TypeVar("T")


# --- errors ------------------------------------------------------------------------


def _unknown_catalog(name: str) -> InvalidRequestException:
    return InvalidRequestException(f"Catalog {name} does not exist")


def _entity_not_found(operation: str, what: str) -> MetadataException:
    return MetadataException(
        f"An error occurred (EntityNotFoundException) when calling the {operation} operation: "
        f"{what} not found. (Service: AmazonDataCatalog; Status Code: 400; "
        "Error Code: EntityNotFoundException)"
    )


def _required(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidRequestException(f"{name} is required")
    return value


# --- pagination ------------------------------------------------------------------


def _page_size(max_results: int | None, minimum: int = 1) -> int:
    if max_results is None:
        return MAX_PAGE
    if max_results < minimum:
        raise InvalidRequestException(
            f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to satisfy "
            f"constraint: Member must have value greater than or equal to {minimum}"
        )
    if max_results > MAX_PAGE:
        raise InvalidRequestException(
            f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to satisfy "
            f"constraint: Member must have value less than or equal to {MAX_PAGE}"
        )
    return max_results


def _encode_token(key: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": list(key)}).encode()).decode()


def _decode_token(token: str) -> tuple[Any, ...]:
    try:
        after = json.loads(base64.urlsafe_b64decode(token.encode()))["after"]
        if not isinstance(after, list):
            raise ValueError(after)
        return tuple(after)
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise InvalidRequestException("Invalid NextToken") from None


def _page(
    items: list[T], key: Callable[[T], tuple[Any, ...]], size: int, next_token: str | None
) -> tuple[list[T], str | None]:
    """One page of ``items`` (sorted by ``key``) after the item the token names."""
    if next_token:
        after = _decode_token(next_token)
        try:
            items = [item for item in items if key(item) > after]
        except TypeError:  # a token of another listing
            raise InvalidRequestException("Invalid NextToken") from None
    page = items[:size]
    return page, (_encode_token(key(page[-1])) if len(items) > size else None)


# --- the Expression of ListTableMetadata -------------------------------------------


def name_filter(expression: str | None) -> Callable[[str], bool]:
    """A predicate for Athena's table-name pattern (see the module docstring)."""
    if not expression:
        return lambda name: True
    alternatives = [re.sub(r"\.?\*", ".*", part.strip()) for part in expression.split("|")]
    try:
        pattern = re.compile("(?:" + "|".join(alternatives) + ")", re.IGNORECASE)
    except re.error as exc:
        raise InvalidRequestException(f"Invalid Expression {expression!r}: {exc}") from None
    return lambda name: pattern.fullmatch(name) is not None


# --- data catalogs ------------------------------------------------------------------


@dataclass(frozen=True)
class DataCatalogView:
    name: str
    type: str
    description: str | None
    parameters: dict[str, str]
    glue: GlueBackend | None  # the Glue Data Catalog it reads, None for non-Glue types

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Name": self.name, "Type": self.type}
        if self.description:
            out["Description"] = self.description
        if self.parameters:
            out["Parameters"] = dict(self.parameters)
        return out

    def summary(self) -> dict[str, Any]:
        return {"CatalogName": self.name, "Type": self.type}


def _aws_data_catalog(backend: AthenaBackend) -> DataCatalogView:
    return DataCatalogView(
        AWS_DATA_CATALOG,
        GLUE,
        None,
        {"catalog-id": backend.account_id},
        glue_backends[backend.account_id][backend.region_name],
    )


def _moto_catalog(backend: AthenaBackend, catalog: Any) -> DataCatalogView:
    parameters = {str(k): str(v) for k, v in dict(catalog.parameters or {}).items()}
    glue = None
    if str(catalog.type).upper() == GLUE:
        account = parameters.get("catalog-id") or backend.account_id
        glue = glue_backends[account][backend.region_name]
    return DataCatalogView(catalog.name, catalog.type, catalog.description, parameters, glue)


def data_catalogs(backend: AthenaBackend) -> list[DataCatalogView]:
    """AwsDataCatalog first, then moto's data catalogs by name."""
    created = [
        _moto_catalog(backend, catalog)
        for name, catalog in sorted(list(backend.data_catalogs.items()))
        if name.lower() != AWS_DATA_CATALOG.lower()
    ]
    return [_aws_data_catalog(backend), *created]


def data_catalog(backend: AthenaBackend, name: str | None) -> DataCatalogView:
    name = _required(name, "CatalogName")
    if name.lower() == AWS_DATA_CATALOG.lower():
        return _aws_data_catalog(backend)
    catalogs = dict(backend.data_catalogs)
    catalog = catalogs.get(name) or next((c for n, c in catalogs.items() if n.lower() == name.lower()), None)
    if catalog is None:
        raise _unknown_catalog(name)
    return _moto_catalog(backend, catalog)


# --- databases and tables of a Glue Data Catalog -------------------------------------


def _lookup(entries: dict[str, T], name: str) -> T | None:
    if name in entries:
        return entries[name]
    lowered = name.lower()
    return next((value for key, value in list(entries.items()) if key.lower() == lowered), None)


def _glue_databases(glue: GlueBackend) -> dict[str, Any]:
    """Lower-cased name -> moto FakeDatabase (None for the implicit ``default``)."""
    found: dict[str, Any] = {}
    for key, database in list(glue.databases.items()):
        found.setdefault(key.lower(), database)
    found.setdefault(DEFAULT_DATABASE, None)
    return found


def _database_dict(name: str, database: Any) -> dict[str, Any]:
    if database is None:
        return {"Name": name, "Description": DEFAULT_DATABASE_DESCRIPTION}
    raw = database.as_dict()
    out: dict[str, Any] = {"Name": name}
    if raw.get("Description"):
        out["Description"] = raw["Description"]
    if raw.get("Parameters"):
        out["Parameters"] = dict(raw["Parameters"])
    return out


def _glue_database(glue: GlueBackend, name: str, operation: str) -> Any:
    """The FakeDatabase ``name`` (None for an implicit ``default``); MetadataException if missing."""
    database = _lookup(dict(glue.databases), name)
    if database is None and name.lower() != DEFAULT_DATABASE:
        raise _entity_not_found(operation, f"Database {name}")
    return database


def _columns(raw: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    columns = []
    for column in raw or []:
        out = {"Name": column["Name"], "Type": column.get("Type", "string")}
        if column.get("Comment") is not None:
            out["Comment"] = column["Comment"]
        columns.append(out)
    return columns


def table_metadata(table: Any, names_only: frozenset[str] | None = None) -> dict[str, Any]:
    """Athena's TableMetadata of a moto FakeTable (only ``names_only`` attributes if given)."""
    raw = table.as_dict()
    out: dict[str, Any] = {"Name": table.name.lower()}
    if names_only is not None:
        if "TABLE_TYPE" in names_only and raw.get("TableType"):
            out["TableType"] = raw["TableType"]
        return out
    out["CreateTime"] = raw.get("CreateTime") or table.created_time
    if raw.get("LastAccessTime") is not None:
        out["LastAccessTime"] = raw["LastAccessTime"]
    if raw.get("TableType"):
        out["TableType"] = raw["TableType"]
    descriptor = raw.get("StorageDescriptor") or {}
    out["Columns"] = _columns(descriptor.get("Columns"))
    out["PartitionKeys"] = _columns(raw.get("PartitionKeys"))
    parameters = {str(k): str(v) for k, v in (raw.get("Parameters") or {}).items()}
    serde = descriptor.get("SerdeInfo") or {}
    storage = {
        "location": descriptor.get("Location"),
        "inputformat": descriptor.get("InputFormat"),
        "outputformat": descriptor.get("OutputFormat"),
        "serde.serialization.lib": serde.get("SerializationLibrary"),
    }
    storage.update({f"serde.param.{k}": v for k, v in (serde.get("Parameters") or {}).items()})
    parameters.update({k: str(v) for k, v in storage.items() if v is not None and v != ""})
    out["Parameters"] = dict(sorted(parameters.items()))
    return out


def _glue_of(catalog: DataCatalogView, operation: str) -> GlueBackend:
    if catalog.glue is None:
        raise MetadataException(
            f"The local Athena cannot call the {catalog.type} metastore of data catalog {catalog.name} "
            f"({operation} works on AWS)"
        )
    return catalog.glue


# --- API actions, bound onto moto's AthenaResponse by install() ----------------------

_MOTO_LIST_DATABASES = AthenaResponse.list_databases
_MOTO_GET_DATABASE = AthenaResponse.get_database


def list_data_catalogs(self: AthenaResponse) -> ActionResult:
    size = _page_size(self._get_int_param("MaxResults"), minimum=2)
    catalogs = data_catalogs(self.athena_backend)
    key: Callable[[DataCatalogView], tuple[Any, ...]] = lambda c: (int(c.name != AWS_DATA_CATALOG), c.name)
    page, token = _page(catalogs, key, size, self._get_param("NextToken"))
    result: dict[str, Any] = {"DataCatalogsSummary": [c.summary() for c in page]}
    if token:
        result["NextToken"] = token
    return ActionResult(result)


def get_data_catalog(self: AthenaResponse) -> ActionResult:
    catalog = data_catalog(self.athena_backend, self._get_param("Name"))
    return ActionResult({"DataCatalog": catalog.describe()})


def list_databases(self: AthenaResponse) -> Any:
    catalog = data_catalog(self.athena_backend, self._get_param("CatalogName"))
    if catalog.glue is None:
        return _MOTO_LIST_DATABASES(self)
    size = _page_size(self._get_int_param("MaxResults"))
    attributes = self._get_param("AttributesToGet") or []
    if any(a != "NAME" for a in attributes):
        raise InvalidRequestException("AttributesToGet accepts only NAME")
    databases = sorted(_glue_databases(catalog.glue).items())
    page, token = _page(databases, lambda entry: (entry[0],), size, self._get_param("NextToken"))
    listed = [{"Name": name} if attributes else _database_dict(name, db) for name, db in page]
    result: dict[str, Any] = {"DatabaseList": listed}
    if token:
        result["NextToken"] = token
    return ActionResult(result)


def get_database(self: AthenaResponse) -> Any:
    catalog = data_catalog(self.athena_backend, self._get_param("CatalogName"))
    if catalog.glue is None:
        return _MOTO_GET_DATABASE(self)
    name = _required(self._get_param("DatabaseName"), "DatabaseName")
    database = _glue_database(catalog.glue, name, "GetDatabase")
    return ActionResult({"Database": _database_dict(name.lower(), database)})


def list_table_metadata(self: AthenaResponse) -> ActionResult:
    catalog = data_catalog(self.athena_backend, self._get_param("CatalogName"))
    glue = _glue_of(catalog, "ListTableMetadata")
    size = _page_size(self._get_int_param("MaxResults"))
    attributes = self._get_param("AttributesToGet")
    names_only: frozenset[str] | None = None
    if attributes is not None:
        names_only = frozenset(attributes)
        if "NAME" not in names_only or not names_only <= {"NAME", "TABLE_TYPE"}:
            raise InvalidRequestException("AttributesToGet must be [NAME] or [NAME, TABLE_TYPE]")
    matches = name_filter(self._get_param("Expression"))
    name = _required(self._get_param("DatabaseName"), "DatabaseName")
    database = _glue_database(glue, name, "GetTables")
    tables: dict[str, Any] = {}
    for key, table in list(database.tables.items()) if database is not None else []:
        tables.setdefault(key.lower(), table)
    selected = sorted((n, t) for n, t in tables.items() if matches(n))
    page, token = _page(selected, lambda entry: (entry[0],), size, self._get_param("NextToken"))
    result: dict[str, Any] = {"TableMetadataList": [table_metadata(t, names_only) for _, t in page]}
    if token:
        result["NextToken"] = token
    return ActionResult(result)


def get_table_metadata(self: AthenaResponse) -> ActionResult:
    catalog = data_catalog(self.athena_backend, self._get_param("CatalogName"))
    glue = _glue_of(catalog, "GetTableMetadata")
    database_name = _required(self._get_param("DatabaseName"), "DatabaseName")
    table_name = _required(self._get_param("TableName"), "TableName")
    database = _glue_database(glue, database_name, "GetTable")
    table = _lookup(dict(database.tables), table_name) if database is not None else None
    if table is None:
        raise _entity_not_found("GetTable", f"Table {table_name}")
    return ActionResult({"TableMetadata": table_metadata(table)})


_INSTALLED = False


def install() -> None:
    """Bind the Glue-backed metadata actions onto moto's Athena API (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    AthenaResponse.list_data_catalogs = list_data_catalogs  # type: ignore[method-assign]
    AthenaResponse.get_data_catalog = get_data_catalog  # type: ignore[method-assign]
    AthenaResponse.list_databases = list_databases  # type: ignore[method-assign]
    AthenaResponse.get_database = get_database  # type: ignore[method-assign]
    AthenaResponse.list_table_metadata = list_table_metadata  # type: ignore[attr-defined]
    AthenaResponse.get_table_metadata = get_table_metadata  # type: ignore[attr-defined]
    _INSTALLED = True
