"""``SHOW CREATE TABLE`` and ``SHOW CREATE VIEW``: the DDL that recreates a catalog object.

A table is shown as Hive DDL in Hive's layout (the way Athena prints it),
one result row per line, so the text can be run again to recreate the
table. A view is shown as Trino's ``CREATE VIEW ... AS`` with the view's
original query.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from embedded_aws.athena.ddl import catalog_error
from embedded_aws.athena.results import Column, ResultTable, SqlError
from embedded_aws.athena.views import CATALOG, definition_of, is_view
from embedded_aws.glue import catalog as cat

if TYPE_CHECKING:
    from embedded_aws.athena.session import SqlSession

_STATEMENT = re.compile(r"^\s*SHOW\s+CREATE\s+(TABLE|VIEW)\s+(.+?)\s*;?\s*$", re.I | re.S)
_NAME = re.compile(r"(`[^`]+`|\"[^\"]+\"|[\w-]+)(?:\.(`[^`]+`|\"[^\"]+\"|[\w-]+))?")
_HIDDEN_PARAMETERS = {"EXTERNAL"}  # shown as CREATE EXTERNAL TABLE


_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\\": "\\\\", "'": "\\'"}


def _quote(text: str) -> str:
    """A Hive string literal; control characters as ``\\uXXXX`` (``'\\u0001'``), as Hive prints them."""
    return "'" + "".join(_ESCAPES.get(c, f"\\u{ord(c):04x}" if ord(c) < 0x20 else c) for c in text) + "'"


def _unquote(name: str) -> str:
    return name.strip("`\"").lower()


def _columns(columns: tuple[cat.ColumnDef, ...]) -> list[str]:
    lines = []
    for index, column in enumerate(columns):
        text = f"  `{column.name}` {column.type}"
        if column.comment:
            text += f" COMMENT {_quote(column.comment)}"
        lines.append(text + (", " if index < len(columns) - 1 else ")"))
    return lines


def _properties(parameters: dict[str, str]) -> list[str]:
    items = sorted(parameters.items())
    return [f"  {_quote(k)}={_quote(v)}" + (", " if i < len(items) - 1 else ")") for i, (k, v) in enumerate(items)]


_DELIMITERS = (
    ("field.delim", "FIELDS TERMINATED BY"),
    ("escape.delim", "ESCAPED BY"),
    ("collection.delim", "COLLECTION ITEMS TERMINATED BY"),
    ("mapkey.delim", "MAP KEYS TERMINATED BY"),
    ("line.delim", "LINES TERMINATED BY"),
    ("serialization.null.format", "NULL DEFINED AS"),
)


def _row_format(table: cat.TableDef) -> list[str]:
    """Hive's ROW FORMAT: DELIMITED for LazySimpleSerDe, else SERDE with its properties."""
    if table.serde_library == cat.LAZY_SIMPLE_SERDE:
        lines = ["ROW FORMAT DELIMITED "]
        for key, clause in _DELIMITERS:
            if key in table.serde_parameters:
                lines.append(f"  {clause} {_quote(table.serde_parameters[key])} ")
        return lines
    lines = ["ROW FORMAT SERDE ", f"  {_quote(table.serde_library)} "]
    if table.serde_parameters:
        lines.append("WITH SERDEPROPERTIES ( ")
        lines += _properties(table.serde_parameters)
    return lines


def table_ddl(table: cat.TableDef) -> list[str]:
    """Hive's SHOW CREATE TABLE lines for a Glue table (the layout Athena prints)."""
    lines = [f"CREATE EXTERNAL TABLE `{table.database}.{table.name}`("]
    lines += _columns(table.columns) if table.columns else ["  )"]
    comment = table.parameters.get("comment")
    if comment:
        lines.append(f"COMMENT {_quote(comment)}")
    if table.partition_keys:
        lines.append("PARTITIONED BY ( ")
        lines += _columns(table.partition_keys)
    lines += _row_format(table)
    descriptor = table.raw.get("StorageDescriptor") or {}
    lines += [
        "STORED AS INPUTFORMAT ",
        f"  {_quote(table.input_format)} ",
        "OUTPUTFORMAT ",
        f"  {_quote(descriptor.get('OutputFormat') or '')}",
        "LOCATION",
        f"  {_quote(table.location)}",
    ]
    parameters = {k: v for k, v in table.parameters.items() if k not in _HIDDEN_PARAMETERS and k != "comment"}
    if parameters:
        lines.append("TBLPROPERTIES (")
        lines += _properties(parameters)
    return lines


def view_ddl(table: cat.TableDef) -> list[str]:
    """Trino's SHOW CREATE VIEW: the quoted name, comment and security mode, then the view's query."""
    definition = definition_of(table)
    header = f'CREATE VIEW "{CATALOG}"."{table.database}"."{table.name}"'
    if definition.get("comment"):
        header += " COMMENT '" + str(definition["comment"]).replace("'", "''") + "'"
    header += f" SECURITY {'INVOKER' if definition.get('runAsInvoker') else 'DEFINER'} AS"
    return [header, *definition["originalSql"].splitlines()]


def show_create(session: "SqlSession", query: str) -> ResultTable:
    catalog = session.catalog
    assert catalog is not None
    match = _STATEMENT.match(query)
    if match is None:
        raise SqlError("SYNTAX_ERROR: line 1:1: expected SHOW CREATE TABLE name or SHOW CREATE VIEW name")
    kind = match.group(1).upper()
    name_match = _NAME.fullmatch(match.group(2))
    if name_match is None:
        raise SqlError(f"SYNTAX_ERROR: line 1:1: invalid name '{match.group(2)}'")
    if name_match.group(2):
        database, name = _unquote(name_match.group(1)), _unquote(name_match.group(2))
    elif "." in _unquote(name_match.group(1)):  # SHOW CREATE TABLE `db.table`, as the Athena docs write it
        database, name = _unquote(name_match.group(1)).split(".", 1)
    else:
        database, name = session.database, _unquote(name_match.group(1))
    try:
        table = catalog.table(database, name)
    except cat.CatalogError as exc:
        if kind == "VIEW":
            raise SqlError(f"VIEW_NOT_FOUND: line 1:1: View '{CATALOG}.{database}.{name}' does not exist") from None
        raise catalog_error(exc) from None
    if kind == "VIEW":
        if not is_view(table):
            raise SqlError(f"NOT_SUPPORTED: line 1:1: Relation '{CATALOG}.{database}.{name}' is a table, not a view")
        return ResultTable([Column("createview_stmt", "varchar")], [(line,) for line in view_ddl(table)])
    if is_view(table):
        raise SqlError(
            f"NOT_SUPPORTED: line 1:1: Relation '{CATALOG}.{database}.{name}' is a view, not a table; "
            "use SHOW CREATE VIEW"
        )
    return ResultTable([Column("createtab_stmt", "varchar")], [(line,) for line in table_ddl(table)])
