"""Athena SELECTs on DuckDB: Trino SQL translated by sqlglot, catalog tables as views over S3 data.

``prepare`` parses an Athena (Trino) query with sqlglot, checks every table
it names against the Glue Data Catalog and rewrites the query for DuckDB:

* each catalog table reference becomes a view ``__athena_tN`` (keeping its
  alias, or its name as alias), so every reference can read only its own
  partitions;
* Athena's ``?`` parameters become DuckDB's ``$1``, ``$2``, ... in their
  textual order, so they are bound, never spliced into the SQL;
* a few semantic differences are bridged where the operand types are
  known from the catalog: integer division truncates (``//``) and
  ``date_trunc`` of a date stays a date; unnamed result columns are called
  ``_col0``, ``_col1``, ... as in Athena.

``materialise`` then creates those views in the query's DuckDB connection
over local copies of the table's S3 objects (see ``athena_s3``). Partitions
are pruned for top-level ``WHERE`` conjuncts ``key = value`` / ``key IN
(...)`` (literals or parameters); only registered partitions are ever read,
as in Athena.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from embedded_aws.glue import catalog as cat
from embedded_aws.glue import hive_types
from embedded_aws.athena import hive_text, json_tables, pseudo_columns, trino_functions
from embedded_aws.athena import projection as partition_projection
from embedded_aws.athena import views as athena_views
from embedded_aws.athena.results import SqlCancelled, SqlError
from embedded_aws.athena.s3_tables import ObjectCache, S3Object, data_files
from embedded_aws.s3.objects import S3LocationError

CATALOG_NAME = "awsdatacatalog"
VIEW_PREFIX = "__athena_t"
_PARAMETER_MARK = ":__athena_p"
_INT_TYPES = {"tinyint", "smallint", "int", "integer", "bigint"}
_NO_NULL_STRING = "\x00no-null\x00"


# --- positions: Athena reports line:column of the original text ---------------------


@dataclass(frozen=True)
class _Source:
    """The original query and the rewritten text sqlglot parses (``?`` -> named marks)."""

    original: str
    rewritten: str
    marks: list[tuple[int, int]]  # (offset in rewritten text, extra characters added there)

    def position(self, rewritten_offset: int) -> str:
        """``line:column`` (1-based) in the original text of an offset in the rewritten one."""
        offset = rewritten_offset - sum(extra for at, extra in self.marks if at < rewritten_offset)
        offset = max(0, min(offset, len(self.original)))
        line = self.original.count("\n", 0, offset) + 1
        column = offset - (self.original.rfind("\n", 0, offset) + 1) + 1
        return f"{line}:{column}"


def _number_parameters(query: str) -> tuple[_Source, int]:
    """Replace each ``?`` parameter token with a numbered mark sqlglot keeps as a Placeholder."""
    try:
        tokens = sqlglot.tokenize(query, read="trino")
    except TokenError as exc:
        raise SqlError(f"SYNTAX_ERROR: line 1:1: {exc}") from None
    pieces: list[str] = []
    marks: list[tuple[int, int]] = []
    cursor = 0
    count = 0
    length = 0
    for token in tokens:
        if token.token_type != TokenType.PLACEHOLDER or token.text != "?":
            continue
        count += 1
        mark = f"{_PARAMETER_MARK}{count} "
        pieces.append(query[cursor : token.start])
        length += token.start - cursor
        marks.append((length, len(mark) - 1))
        pieces.append(mark)
        length += len(mark)
        cursor = token.end + 1
    pieces.append(query[cursor:])
    return _Source(query, "".join(pieces), marks), count


# --- references to catalog tables ---------------------------------------------------------


@dataclass
class TableReference:
    """One place a query names a catalog table, and the partitions it may read."""

    view: str
    table: cat.TableDef
    partitions: list[cat.PartitionDef] | None = None  # None: not partitioned
    files: list[S3Object] = field(default_factory=list)
    pseudo_columns: bool = False  # the query reads "$path", "$file_size" or "$file_modified_time"


@dataclass
class PreparedQuery:
    """A query ready for DuckDB: SQL with ``$n`` parameters and the views it needs."""

    sql: str
    parameter_count: int
    references: list[TableReference]
    varchar_widths: dict[int, int] = field(default_factory=dict)  # result column -> Trino's varchar(n)


def _start_of(table: exp.Table) -> int | None:
    starts = [
        part.meta.get("start")
        for part in (table.args.get("catalog"), table.args.get("db"), table.this)
        if isinstance(part, exp.Identifier) and part.meta.get("start") is not None
    ]
    return min(starts) if starts else None


def _cte_names(tree: exp.Expression) -> set[str]:
    return {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}


def _parse(source: _Source) -> exp.Expression:
    try:
        statements = [s for s in sqlglot.parse(source.rewritten, read="athena") if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = ""
        if first.get("line") is not None:
            line_start = 0
            for _ in range(int(first["line"]) - 1):
                line_start = source.rewritten.index("\n", line_start) + 1
            where = f"line {source.position(line_start + max(0, int(first.get('col', 1)) - 1))}: "
        description = first.get("description") or str(exc).splitlines()[0]
        raise SqlError(f"SYNTAX_ERROR: {where}{description}") from None
    except TokenError as exc:
        raise SqlError(f"SYNTAX_ERROR: {exc}") from None
    if len(statements) != 1:
        raise SqlError("SYNTAX_ERROR: Only one sql statement is allowed. Got: " + str(len(statements)))
    tree = statements[0]
    if isinstance(tree, exp.Insert):
        raise SqlError("NOT_SUPPORTED: INSERT INTO is not supported by the local Athena engine")
    if isinstance(tree, (exp.Update, exp.Delete, exp.Merge)):
        raise SqlError(f"NOT_SUPPORTED: {tree.key.upper()} is not supported by the local Athena engine")
    if not isinstance(tree, exp.Query):
        raise SqlError(
            "NOT_SUPPORTED: only SELECT queries and Hive DDL are supported by the local Athena engine"
        )
    return tree


def _resolve_tables(
    tree: exp.Expression, source: _Source, catalog: cat.Catalog, database: str
) -> list[tuple[exp.Table, cat.TableDef]]:
    ctes = _cte_names(tree)
    found: list[tuple[exp.Table, cat.TableDef]] = []
    for table in list(tree.find_all(exp.Table)):
        if not isinstance(table.this, exp.Identifier):
            continue  # a table function such as UNNEST or range(...)
        name, db, catalog_name = table.name, table.db, table.catalog
        if not db and name.lower() in ctes:
            continue
        start = _start_of(table)
        where = f"line {source.position(start)}: " if start is not None else ""
        if catalog_name and catalog_name.lower() != CATALOG_NAME:
            raise SqlError(f"CATALOG_NOT_FOUND: {where}Catalog '{catalog_name.lower()}' does not exist")
        schema = (db or database).lower()
        if schema == "information_schema":
            raise SqlError("NOT_SUPPORTED: information_schema is not supported by the local Athena engine")
        try:
            definition = catalog.table(schema, name)
        except cat.NotFound as exc:
            if exc.kind == "Database":
                raise SqlError(f"SCHEMA_NOT_FOUND: {where}Schema '{schema}' does not exist") from None
            raise SqlError(
                f"TABLE_NOT_FOUND: {where}Table '{CATALOG_NAME}.{schema}.{name.lower()}' does not exist"
            ) from None
        found.append((table, definition))
    return found


# --- partition pruning -------------------------------------------------------------------


def _conjuncts(condition: exp.Expression | None) -> list[exp.Expression]:
    if condition is None:
        return []
    if isinstance(condition, exp.And):
        return _conjuncts(condition.this) + _conjuncts(condition.expression)
    if isinstance(condition, exp.Paren):
        return _conjuncts(condition.this)
    return [condition]


def _sources_of(select: exp.Select) -> list[exp.Expression]:
    from_ = select.args.get("from_") or select.args.get("from")
    sources = [from_.this] if from_ is not None else []
    sources += [join.this for join in select.args.get("joins") or []]
    return sources


def _value_of(node: exp.Expression, parameters: list[Any]) -> tuple[bool, Any]:
    """(True, value) for a literal or bound parameter; (False, None) otherwise."""
    if isinstance(node, exp.Literal):
        if node.is_string:
            return True, node.this
        return (True, int(node.this)) if re.fullmatch(r"[+-]?\d+", node.this) else (False, None)
    if isinstance(node, exp.Placeholder) and str(node.this).startswith(_PARAMETER_MARK[1:]):
        index = int(str(node.this)[len(_PARAMETER_MARK) - 1 :]) - 1
        if 0 <= index < len(parameters):
            return True, parameters[index]
    if isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.DATE):
        return _value_of(node.this, parameters)
    return False, None


def _same_value(partition_value: str, key_type: str, wanted: Any) -> bool | None:
    """Whether a partition's value equals ``wanted``; None when unsure (no pruning)."""
    if key_type in ("string",) or key_type.startswith(("varchar", "char")):
        return partition_value == wanted if isinstance(wanted, str) else None
    if key_type in _INT_TYPES:
        if not isinstance(wanted, int) or isinstance(wanted, bool):
            return None
        try:
            return int(partition_value) == wanted
        except ValueError:
            return None
    if key_type == "date":
        return partition_value == str(wanted) if wanted is not None else None
    return None


def _prune(
    table_node: exp.Table, definition: cat.TableDef, parameters: list[Any]
) -> list[cat.PartitionDef]:
    """The registered partitions this reference can need, given its SELECT's WHERE conjuncts."""
    partitions = list(definition.partitions)
    select = table_node.parent_select
    if select is None or not isinstance(table_node.parent, (exp.From, exp.Join)):
        return partitions
    alias = table_node.alias_or_name.lower()
    alone = len(_sources_of(select)) == 1
    keys = {k.name.lower(): (i, k.type.lower()) for i, k in enumerate(definition.partition_keys)}
    where = select.args.get("where")
    for conjunct in _conjuncts(where.this if where is not None else None):
        column: exp.Expression | None = None
        candidates: list[exp.Expression] = []
        if isinstance(conjunct, exp.EQ):
            for side, other in ((conjunct.this, conjunct.expression), (conjunct.expression, conjunct.this)):
                if isinstance(side, exp.Column):
                    column, candidates = side, [other]
                    break
        elif isinstance(conjunct, exp.In) and isinstance(conjunct.this, exp.Column) and conjunct.expressions:
            column, candidates = conjunct.this, list(conjunct.expressions)
        if not isinstance(column, exp.Column) or column.name.lower() not in keys:
            continue
        qualifier = column.table.lower()
        if (qualifier and qualifier != alias) or (not qualifier and not alone):
            continue
        values = [_value_of(candidate, parameters) for candidate in candidates]
        if not all(known for known, _ in values):
            continue
        index, key_type = keys[column.name.lower()]
        kept = []
        for partition in partitions:
            verdicts = [_same_value(partition.values[index], key_type, value) for _, value in values]
            if any(v is None for v in verdicts) or any(verdicts):
                kept.append(partition)
        partitions = kept
    return partitions


# --- Athena semantics DuckDB lacks -------------------------------------------------------


def _column_type(column: exp.Column, references: dict[str, cat.TableDef]) -> str | None:
    """The catalog type of a column that belongs to a catalog table of its own SELECT."""
    select = column.parent_select
    if select is None:
        return None
    sources = _sources_of(select)
    aliases: dict[str, cat.TableDef] = {}
    for source in sources:
        if not isinstance(source, exp.Table):
            return None  # a subquery or function: its columns' types are unknown here
        definition = references.get(source.alias_or_name.lower())
        if definition is None:
            return None
        aliases[source.alias_or_name.lower()] = definition
    name = column.name.lower()
    qualifier = column.table.lower()
    owners = [d for a, d in aliases.items() if not qualifier or a == qualifier]
    types = {c.type.lower() for d in owners for c in d.all_columns if c.name.lower() == name}
    return types.pop() if len(types) == 1 else None


def _type_of(node: exp.Expression, references: dict[str, cat.TableDef]) -> str | None:
    """A small type inference: ``int``, ``date`` or None (unknown)."""
    if isinstance(node, exp.Paren):
        return _type_of(node.this, references)
    if isinstance(node, exp.Literal):
        return "int" if not node.is_string and re.fullmatch(r"\d+", node.this) else None
    if isinstance(node, exp.Column):
        found = _column_type(node, references)
        if found in _INT_TYPES:
            return "int"
        return "date" if found == "date" else None
    if isinstance(node, exp.Cast):
        if node.to.is_type(*exp.DataType.INTEGER_TYPES):
            return "int"
        return "date" if node.to.is_type(exp.DataType.Type.DATE) else None
    if isinstance(node, (exp.Count, exp.IntDiv)):
        return "int"
    if isinstance(node, exp.CurrentDate):
        return "date"
    if isinstance(node, (exp.Add, exp.Sub, exp.Mul, exp.Mod)):
        left, right = _type_of(node.this, references), _type_of(node.expression, references)
        return "int" if left == right == "int" else None
    if isinstance(node, (exp.Sum, exp.Min, exp.Max, exp.Neg, exp.Abs)):
        return "int" if _type_of(node.this, references) == "int" else None
    return None


def _athena_semantics(tree: exp.Expression, references: dict[str, cat.TableDef]) -> exp.Expression:
    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Div) and node.args.get("typed"):
            if _type_of(node.this, references) == _type_of(node.expression, references) == "int":
                return exp.IntDiv(this=node.this, expression=node.expression)
        if isinstance(node, (exp.TimestampTrunc, exp.DateTrunc)) and _type_of(node.this, references) == "date":
            if not isinstance(node.parent, exp.Cast):
                return exp.Cast(this=node, to=exp.DataType.build("DATE"))
        return node

    return tree.transform(fix, copy=False)


def _name_columns(tree: exp.Expression) -> None:
    """Athena calls unnamed result columns ``_col0``, ``_col1``, ..."""
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.this
    if not isinstance(select, exp.Select):
        return
    for index, projection in enumerate(list(select.expressions)):
        if isinstance(projection, (exp.Alias, exp.Column, exp.Star)):
            continue
        projection.replace(exp.alias_(projection.copy(), f"_col{index}", quoted=True))


def _rename_parameters(tree: exp.Expression) -> None:
    prefix = _PARAMETER_MARK[1:]
    for placeholder in list(tree.find_all(exp.Placeholder)):
        name = str(placeholder.this or "")
        if name.startswith(prefix):
            placeholder.set("this", name[len(prefix) :])


def prepare(query: str, parameters: list[Any], catalog: cat.Catalog, database: str) -> PreparedQuery:
    """Translate an Athena SELECT for DuckDB and find the catalog tables it reads."""
    source, count = _number_parameters(query)
    if count != len(parameters):
        raise SqlError(
            f"INVALID_PARAMETER_USAGE: Incorrect number of parameters: expected {count} but found {len(parameters)}"
        )
    tree = _parse(source)
    tree = athena_views.expand(tree, catalog, database)
    resolved = _resolve_tables(tree, source, catalog, database)
    pseudo = pseudo_columns.used(tree)
    if pseudo:
        pseudo_columns.expand_stars(tree, {t.alias_or_name.lower(): d for t, d in resolved})
    references: list[TableReference] = []
    by_alias: dict[str, cat.TableDef] = {}
    for number, (table, definition) in enumerate(resolved, start=1):
        if partition_projection.enabled(definition):
            definition = partition_projection.apply(definition, table, parameters)
        partitions = _prune(table, definition, parameters) if definition.partition_keys else None
        reference = TableReference(f"{VIEW_PREFIX}{number}", definition, partitions, pseudo_columns=pseudo)
        references.append(reference)
        alias = table.alias_or_name
        by_alias[alias.lower()] = definition
        _strip_qualified_columns(tree, definition)
        table.set("this", exp.to_identifier(reference.view, quoted=True))
        table.set("db", None)
        table.set("catalog", None)
        if not table.alias:
            table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
    tree = _athena_semantics(tree, by_alias)
    tables = {r.view: {c.name: c.type for c in r.table.all_columns} for r in references}
    rewriter = trino_functions.Rewriter(
        source.rewritten,
        lambda node: _type_of(node, by_alias),
        lambda column: _column_type(column, by_alias),
        tables,
        parameters,
    )
    tree = rewriter.rewrite(tree)
    _name_columns(tree)
    _rename_parameters(tree)
    return PreparedQuery(trino_functions.to_duckdb(tree), count, references, rewriter.varchar_widths)


def _strip_qualified_columns(tree: exp.Expression, definition: cat.TableDef) -> None:
    """``db.t.col`` -> ``t.col`` (the view keeps the table's name as alias)."""
    for column in tree.find_all(exp.Column):
        if column.args.get("db") is not None and column.db.lower() == definition.database.lower():
            column.set("db", None)
            column.set("catalog", None)


# --- views over cached S3 objects ----------------------------------------------------------


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _path_list(paths: list[str]) -> str:
    return "[" + ", ".join(_quote_string(p) for p in paths) + "]"


def _table_format(table: cat.TableDef) -> str:
    serde = table.serde_library.lower()
    input_format = table.input_format.lower()
    if "parquet" in serde or "parquet" in input_format:
        return "parquet"
    if table.serde_library == cat.OPEN_CSV_SERDE:
        return "opencsv"
    if table.serde_library in cat.JSON_SERDES:
        return "json"
    if table.serde_library == cat.LAZY_SIMPLE_SERDE or (not serde and "textinputformat" in input_format):
        return "text"
    raise SqlError(
        f"NOT_SUPPORTED: Table {table.qualified_name} uses SerDe '{table.serde_library or '?'}' "
        f"and InputFormat '{table.input_format or '?'}', which the local Athena engine cannot read "
        "(supported: Parquet, LazySimpleSerDe, OpenCSVSerde, JSON SerDes)"
    )


def _constant(value: str, hive_type: str) -> str:
    return f"CAST({_quote_string(value)} AS {cat.duckdb_type(hive_type)})"


def _parquet_select(connection: duckdb.DuckDBPyConnection, table: cat.TableDef, paths: list[str]) -> str:
    reader = f"read_parquet({_path_list(paths)}, union_by_name = true, hive_partitioning = false)"
    described = connection.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
    available = {str(row[0]).lower(): str(row[0]) for row in described}
    projections = []
    for column in table.columns:
        target = cat.duckdb_type(column.type)
        actual = available.get(column.name.lower())
        value = f"CAST({_quote_identifier(actual)} AS {target})" if actual else f"CAST(NULL AS {target})"
        projections.append(f"{value} AS {_quote_identifier(column.name)}")
    return projections_sql(projections) + f" FROM {reader}"


def projections_sql(projections: list[str]) -> str:
    return "SELECT " + (", ".join(projections) if projections else "NULL AS __athena_no_columns")


def _text_select(table: cat.TableDef, paths: list[str], kind: str) -> str:
    parameters = table.serde_parameters
    try:
        skip = int(table.parameters.get("skip.header.line.count", "0") or 0)
    except ValueError:
        raise SqlError(
            f"HIVE_INVALID_METADATA: Invalid skip.header.line.count of {table.qualified_name}: "
            f"{table.parameters.get('skip.header.line.count')}"
        ) from None
    if table.parameters.get("skip.footer.line.count", "0") not in ("0", ""):
        raise SqlError("NOT_SUPPORTED: skip.footer.line.count is not supported by the local Athena engine")
    if kind == "opencsv":
        delimiter = parameters.get("separatorChar", ",")
        quote = parameters.get("quoteChar", '"')
        escape = parameters.get("escapeChar", "\\")
        null_string = _NO_NULL_STRING  # OpenCSVSerde has no NULL: empty fields are ''
    else:
        delimiter = parameters.get("field.delim", parameters.get("serialization.format", "\x01"))
        if delimiter == "1" and "field.delim" not in parameters:
            delimiter = "\x01"
        quote = escape = ""
        null_string = parameters.get("serialization.null.format", "\\N")
    raw = {f"c{i}": "VARCHAR" for i in range(len(table.columns))}
    columns_struct = "{" + ", ".join(f"{_quote_string(k)}: 'VARCHAR'" for k in raw) + "}"
    reader = (
        f"read_csv({_path_list(paths)}, columns = {columns_struct}, auto_detect = false, header = false, "
        f"skip = {skip}, delim = {_quote_string(delimiter)}, quote = {_quote_string(quote)}, "
        f"escape = {_quote_string(escape)}, nullstr = {_quote_string(null_string)}, null_padding = true, "
        "strict_mode = false, hive_partitioning = false)"
    )
    projections = []
    for index, column in enumerate(table.columns):
        target = cat.duckdb_type(column.type)
        field_name = _quote_identifier(f"c{index}")
        if hive_types.is_complex(column.type):
            if kind == "opencsv":
                raise SqlError(f"NOT_SUPPORTED: OpenCSVSerde reads no complex types ({column.name} {column.type})")
            value = hive_text.parse_sql(field_name, hive_types.parse(column.type), hive_text.separators(parameters))
        elif target == "VARCHAR":
            value = field_name
        else:  # Hive reads a malformed or empty field of a typed column as NULL
            value = f"TRY_CAST(NULLIF(trim({field_name}), '') AS {target})"
        projections.append(f"{value} AS {_quote_identifier(column.name)}")
    return projections_sql(projections) + f" FROM {reader}"





def _empty_select(table: cat.TableDef, pseudo: bool = False) -> str:
    projections = [
        f"CAST(NULL AS {cat.duckdb_type(c.type)}) AS {_quote_identifier(c.name)}" for c in table.all_columns
    ]
    if pseudo:
        projections += pseudo_columns.null_projections()
    return projections_sql(projections) + " WHERE false"


def _listing(account_id: str, region: str, location: str) -> list[S3Object]:
    try:
        return data_files(account_id, region, location)
    except S3LocationError as exc:
        raise SqlError(f"HIVE_FILESYSTEM_ERROR: {exc}") from None


def materialise(
    connection: duckdb.DuckDBPyConnection,
    prepared: PreparedQuery,
    *,
    account_id: str,
    region: str,
    cache: ObjectCache,
    cancelled: Callable[[], bool] = lambda: False,
) -> int:
    """Create the query's views in ``connection``; returns the bytes of the files they read."""
    read: dict[tuple[str, str], int] = {}
    for reference in prepared.references:
        table = reference.table
        kind = _table_format(table)
        if reference.partitions is None:
            branches = [(table.location, [])]
        else:
            branches = [(p.location, list(p.values)) for p in reference.partitions]
        selects = []
        for location, values in branches:
            if cancelled():
                raise SqlCancelled("Query was cancelled by user")
            objects = _listing(account_id, region, location) if location else []
            if not objects:
                continue
            for obj in objects:
                read[(obj.bucket, obj.key)] = obj.size
            reference.files.extend(objects)
            # One read per branch, or one per file when the query wants the file's pseudo-columns.
            groups = [[obj] for obj in objects] if reference.pseudo_columns else [objects]
            for group in groups:
                paths = [str(cache.local_path(account_id, region, obj)) for obj in group]
                if kind == "parquet":
                    select = _parquet_select(connection, table, paths)
                elif kind == "json":
                    select = json_tables.json_select(table, paths)
                else:
                    select = _text_select(table, paths, kind)
                constants = [
                    f"{_constant(value, key.type)} AS {_quote_identifier(key.name)}"
                    for key, value in zip(table.partition_keys, values)
                ]
                if constants:
                    columns = ", ".join(_quote_identifier(c.name) for c in table.columns)
                    select = f"SELECT {columns + ', ' if columns else ''}{', '.join(constants)} FROM ({select})"
                if reference.pseudo_columns:
                    select = pseudo_columns.with_file_columns(select, group[0])
                selects.append(select)
        body = " UNION ALL ".join(selects) if selects else _empty_select(table, reference.pseudo_columns)
        connection.execute(f"CREATE TEMP VIEW {_quote_identifier(reference.view)} AS {body}")
    return sum(read.values())
