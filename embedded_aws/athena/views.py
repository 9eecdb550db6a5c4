"""Athena views: stored in the Glue Data Catalog as Athena stores them, expanded into queries.

Athena keeps a view as a Glue table of type ``VIRTUAL_VIEW`` whose
``ViewOriginalText`` is ``/* Presto View: <base64 JSON> */``; the JSON
holds the original SQL, its catalog and schema, and the output columns
with Trino types. ``ViewExpandedText`` is ``/* Presto View */`` and the
table parameters say ``presto_view = true``. Glue ``GetTable`` therefore
shows the view as on AWS, and a view made through Glue this way is
queryable here.

A query naming a view reads it as a subquery (``expand``), with the view's
unqualified tables resolved in the view's own schema.
"""

from __future__ import annotations

import base64
import json
import re
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from embedded_aws.athena.results import Column, ResultTable, SqlError
from embedded_aws.glue import catalog as cat
from embedded_aws.glue import hive_types

if TYPE_CHECKING:
    from embedded_aws.athena.session import SqlSession

VIRTUAL_VIEW = "VIRTUAL_VIEW"
CATALOG = "awsdatacatalog"
_PREFIX = "/* Presto View: "
_SUFFIX = " */"
_MAX_DEPTH = 16


def trino_type(hive_type: str) -> str:
    """The Trino name Athena's view JSON uses for a Hive type."""
    node = hive_types.parse(hive_type)
    return _trino(node)


def _trino(node: exp.DataType) -> str:
    kind = node.this
    if kind == exp.DataType.Type.ARRAY:
        return f"array({_trino(node.expressions[0])})"
    if kind == exp.DataType.Type.MAP:
        return f"map({_trino(node.expressions[0])},{_trino(node.expressions[1])})"
    if kind == exp.DataType.Type.STRUCT:
        return "row(" + ",".join(f"{n} {_trino(t)}" for n, t in hive_types.struct_fields(node)) + ")"
    hive = hive_types.normalize_type(node.sql(dialect="hive"))
    return {"int": "integer", "string": "varchar", "float": "real", "binary": "varbinary", "timestamp": "timestamp(3)"}.get(hive, hive)


def encode(definition: dict[str, Any]) -> str:
    return _PREFIX + base64.b64encode(json.dumps(definition).encode()).decode() + _SUFFIX


def decode(text: str) -> dict[str, Any] | None:
    """The JSON of a ``/* Presto View: ... */`` text; None for anything else."""
    text = text.strip()
    if not (text.startswith(_PREFIX) and text.endswith(_SUFFIX)):
        return None
    try:
        return json.loads(base64.b64decode(text[len(_PREFIX) : -len(_SUFFIX)]))
    except ValueError:
        return None


def is_view(table: cat.TableDef) -> bool:
    return table.table_type == VIRTUAL_VIEW


def definition_of(table: cat.TableDef) -> dict[str, Any]:
    found = decode(table.view_original_text)
    if found is None or not isinstance(found.get("originalSql"), str):
        raise SqlError(
            f"HIVE_VIEW_TRANSLATION_ERROR: View {table.qualified_name} is not an Athena (Presto) view; "
            "the local Athena engine cannot read its definition"
        )
    return found


# --- reading views ---------------------------------------------------------------------------


def _cte_names(tree: exp.Expression) -> set[str]:
    return {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}


def _parse(sql: str, name: str) -> exp.Expression:
    try:
        return sqlglot.parse_one(sql, read="athena")
    except (ParseError, TokenError) as exc:
        raise SqlError(f"HIVE_VIEW_TRANSLATION_ERROR: View {name} cannot be parsed: {str(exc).splitlines()[0]}") from None


def expand(tree: exp.Expression, catalog: cat.Catalog, database: str, depth: int = 0) -> exp.Expression:
    """``tree`` with every reference to a catalog view replaced by the view's query."""
    if depth > _MAX_DEPTH:
        raise SqlError("VIEW_IS_RECURSIVE: View is recursive or nested too deeply")
    ctes = _cte_names(tree)
    for table in list(tree.find_all(exp.Table)):
        if not isinstance(table.this, exp.Identifier) or (not table.db and table.name.lower() in ctes):
            continue
        if table.catalog and table.catalog.lower() != CATALOG:
            continue
        try:
            found = catalog.table((table.db or database).lower(), table.name)
        except cat.CatalogError:
            continue  # the SELECT translation reports missing tables with their position
        if not is_view(found):
            continue
        definition = definition_of(found)
        schema = str(definition.get("schema") or found.database)
        body = _parse(definition["originalSql"], found.qualified_name)
        for inner in list(body.find_all(exp.Table)):
            if isinstance(inner.this, exp.Identifier) and not inner.db and inner.name.lower() not in _cte_names(body):
                inner.set("db", exp.to_identifier(schema))
        body = expand(body, catalog, schema, depth + 1)
        _check_fresh(body, catalog, found)
        alias = table.alias or found.name
        table.replace(exp.Subquery(this=body, alias=exp.TableAlias(this=exp.to_identifier(alias))))
    return tree


def _check_fresh(body: exp.Expression, catalog: cat.Catalog, view: cat.TableDef) -> None:
    """A view whose tables are gone is stale: Athena fails it naming the view."""
    ctes = _cte_names(body)
    for table in body.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier) or (not table.db and table.name.lower() in ctes):
            continue
        try:
            catalog.table(table.db.lower(), table.name)
        except cat.CatalogError:
            raise SqlError(
                f"VIEW_IS_STALE: Failed analyzing stored view '{CATALOG}.{view.database}.{view.name}': "
                f"Table '{CATALOG}.{table.db.lower()}.{table.name.lower()}' does not exist"
            ) from None


# --- statements ---------------------------------------------------------------------------------


def _original_sql(query: str) -> str:
    """The text after ``AS`` of a CREATE VIEW, as written."""
    for token in sqlglot.tokenize(query, read="athena"):
        if token.text.upper() == "AS":
            return query[token.end + 1 :].strip().rstrip(";").strip()
    raise SqlError("SYNTAX_ERROR: line 1:1: CREATE VIEW needs AS followed by a query")


def _name(table: exp.Table, session: "SqlSession") -> tuple[str, str]:
    if table.catalog and table.catalog.lower() != CATALOG:
        raise SqlError(f"CATALOG_NOT_FOUND: Catalog '{table.catalog.lower()}' does not exist")
    return (table.db or session.database).lower(), table.name.lower()


def create_view(session: "SqlSession", query: str, tree: exp.Expression) -> ResultTable:
    """``CREATE [OR REPLACE] VIEW v AS SELECT ...``: checked by running it, stored in Glue."""
    catalog = session.catalog
    assert catalog is not None
    if not isinstance(tree, exp.Create) or tree.kind != "VIEW" or not isinstance(tree.expression, exp.Query):
        raise SqlError("SYNTAX_ERROR: line 1:1: expected CREATE [OR REPLACE] VIEW name AS query")
    if not isinstance(tree.this, exp.Table):
        raise SqlError("NOT_SUPPORTED: CREATE VIEW with a column list is not supported by Athena")
    database, name = _name(tree.this, session)
    if not catalog.database_exists(database):
        raise SqlError(f"SCHEMA_NOT_FOUND: line 1:13: Schema '{database}' does not exist")
    try:
        existing = catalog.table(database, name)
    except cat.NotFound:
        existing = None
    if existing is not None:
        if not is_view(existing):
            raise SqlError(f"TABLE_ALREADY_EXISTS: line 1:1: Table already exists: '{CATALOG}.{database}.{name}'")
        if not tree.args.get("replace"):
            raise SqlError(f"ALREADY_EXISTS: line 1:1: View already exists: '{CATALOG}.{database}.{name}'")
    invoker, comment = False, None
    for prop in (tree.args.get("properties") or exp.Properties()).expressions:
        if isinstance(prop, exp.SqlSecurityProperty):
            invoker = str(prop.this).upper() == "INVOKER"
        elif isinstance(prop, exp.SchemaCommentProperty):
            comment = prop.this.name
        else:
            raise SqlError(f"NOT_SUPPORTED: CREATE VIEW ... {prop.sql(dialect='athena')} is not supported")
    original = _original_sql(query)
    sql, _, references = session.prepare_select(f"SELECT * FROM ({original}) AS __athena_view LIMIT 0")
    session.run_prepared(sql, [], references)  # fails as the SELECT itself would
    duck = session.connection.execute(f"SELECT * FROM ({sql}) LIMIT 0").description or []
    columns = []
    for column in duck:
        try:
            columns.append((str(column[0]).lower(), hive_types.from_duckdb(column[1])))
        except hive_types.UnsupportedType as exc:
            raise SqlError(f"NOT_SUPPORTED: View column {column[0]}: {exc}") from None
    definition = {
        "originalSql": original,
        "catalog": CATALOG,
        "schema": database,
        "columns": [{"name": n, "type": trino_type(t)} for n, t in columns],
        "owner": "local",
        "runAsInvoker": invoker,
        "properties": {},
    }
    if comment is not None:
        definition["comment"] = comment
    table_input = {
        "Name": name,
        "Owner": "local",
        "Retention": 0,
        "TableType": VIRTUAL_VIEW,
        "Parameters": {"presto_view": "true", "comment": "Presto View"},
        "ViewOriginalText": encode(definition),
        "ViewExpandedText": "/* Presto View */",
        "StorageDescriptor": {
            "Columns": [{"Name": n, "Type": t} for n, t in columns],
            "Location": "",
            "SerdeInfo": {},
            "Compressed": False,
            "NumberOfBuckets": 0,
            "BucketColumns": [],
            "SortColumns": [],
            "Parameters": {},
            "StoredAsSubDirectories": False,
        },
        "PartitionKeys": [],
    }
    catalog.replace_table(database, table_input)
    return ResultTable([], [])


def drop_view(session: "SqlSession", tree: exp.Drop) -> ResultTable:
    catalog = session.catalog
    assert catalog is not None
    database, name = _name(tree.this if isinstance(tree.this, exp.Table) else tree.args["tables"][0], session)
    try:
        table = catalog.table(database, name)
    except cat.NotFound:
        table = None
    if table is None or not is_view(table):
        if tree.args.get("exists") and table is None:
            return ResultTable([], [])
        raise SqlError(f"VIEW_NOT_FOUND: line 1:1: View '{CATALOG}.{database}.{name}' does not exist")
    catalog.drop_table(database, name)
    return ResultTable([], [])


_SHOW_VIEWS = re.compile(r"^\s*SHOW\s+VIEWS(?:\s+(?:IN|FROM)\s+(\S+?))?(?:\s+LIKE\s+'([^']*)')?\s*;?\s*$", re.I)


def show_views(session: "SqlSession", query: str) -> ResultTable:
    """``SHOW VIEWS [IN db] [LIKE 'pattern']`` (``*`` and ``|`` as in SHOW TABLES)."""
    catalog = session.catalog
    assert catalog is not None
    match = _SHOW_VIEWS.match(query)
    if match is None:
        raise SqlError("SYNTAX_ERROR: line 1:1: expected SHOW VIEWS [IN database] [LIKE 'pattern']")
    from embedded_aws.athena.ddl import _like

    database = (match.group(1) or session.database).strip("`\"").lower()
    try:
        names = [n for n in catalog.tables(database) if is_view(catalog.table(database, n))]
    except cat.NotFound:
        raise SqlError(f"SCHEMA_NOT_FOUND: Schema '{database}' does not exist") from None
    return ResultTable([Column("views", "varchar")], [(n,) for n in _like(match.group(2), names)])
