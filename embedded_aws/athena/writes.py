"""Athena statements that write data: CTAS, INSERT INTO and UNLOAD.

Each runs its SELECT like any query (``SqlSession.prepare_select``) into a
DuckDB temporary table, then DuckDB writes the files (Parquet, delimited
text or JSON; see ``write_options``), one set per partition, into the
embedded S3:

* CTAS writes to ``external_location`` or, as Athena does without it,
  ``<query result location>/tables/<query id>/``; the location must be
  empty (HIVE_PATH_ALREADY_EXISTS). The table and its partitions are then
  registered in the Glue Data Catalog with the format's SerDe.
* INSERT INTO appends files to the table's location (or its partitions'
  locations) and registers new partitions; the SELECT's columns must match
  the table's by position and type, partition columns last.
* UNLOAD writes to its ``TO`` location (empty unless partitioned) and
  registers nothing.

All three report the rows written as ``UpdateCount`` and list the files
written in ``<query id>-manifest.csv`` next to the query results, as
Athena does. Partition folders are Hive's ``key=value/``; at most 100
partitions per statement (HIVE_TOO_MANY_OPEN_PARTITIONS), as in Athena.
"""

from __future__ import annotations

import datetime
import functools
import re
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import sqlglot
from sqlglot import exp

from embedded_aws.athena import ddl as athena_ddl
from embedded_aws.athena import hive_text
from embedded_aws.athena import projection as partition_projection
from embedded_aws.athena.results import ResultTable, SqlError
from embedded_aws.athena.s3_tables import list_objects
from embedded_aws.athena.write_options import WriteOptions, ctas_options, unload_options
from embedded_aws.glue import catalog as cat
from embedded_aws.glue import hive_types
from embedded_aws.s3.objects import S3LocationError, S3Uri, write_object

if TYPE_CHECKING:
    from embedded_aws.athena.session import SqlSession

MAX_PARTITIONS = 100
HIVE_DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"
CATALOG = "awsdatacatalog"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _folder(location: str) -> str:
    return location if location.endswith("/") else location + "/"


# --- running the SELECT --------------------------------------------------------------------


class Staged:
    """A SELECT's rows in a DuckDB temporary table: names, Hive types, row count, bytes read."""

    def __init__(self, session: "SqlSession", name: str, scanned: int):
        self.session, self.name, self.scanned = session, name, scanned
        described = session.connection.execute(f"SELECT * FROM {name} LIMIT 0").description or []
        self.names = [str(d[0]).lower() for d in described]
        self.duck_types = {str(d[0]).lower(): d[1] for d in described}
        self.rows = int(session.connection.execute(f"SELECT count(*) FROM {name}").fetchone()[0])  # type: ignore[index]

    @classmethod
    def select(cls, session: "SqlSession", select_sql: str, parameters: Sequence[Any]) -> "Staged":
        """Run an Athena SELECT into a new temporary table."""
        sql, scanned, references = session.prepare_select(select_sql, parameters)
        name = f"__athena_write_{uuid.uuid4().hex[:12]}"
        session.run_prepared(f"CREATE TEMP TABLE {name} AS {sql}", parameters, references)
        return cls(session, name, scanned)

    def reshaped(self, projections: str) -> "Staged":
        """A new staged table of DuckDB ``projections`` over this one."""
        name = f"__athena_write_{uuid.uuid4().hex[:12]}"
        self.session.connection.execute(f"CREATE TEMP TABLE {name} AS SELECT {projections} FROM {self.name}")
        return Staged(self.session, name, self.scanned)

    def untyped(self, name: str) -> bool:
        """A bare NULL column (Trino's ``unknown`` type)."""
        return str(getattr(self.duck_types[name], "id", "")).lower() == "null"

    def hive_type(self, name: str) -> str:
        if self.untyped(name):  # SELECT NULL AS x: no type to store
            raise SqlError(f"COLUMN_TYPE_UNKNOWN: line 1:1: Column type is unknown: {name}")
        try:
            return hive_types.from_duckdb(self.duck_types[name])
        except hive_types.UnsupportedType as exc:
            raise SqlError(f"NOT_SUPPORTED: Unsupported column type for {name}: {exc}") from None

    def drop(self) -> None:
        self.session.connection.execute(f"DROP TABLE IF EXISTS {self.name}")


_QUERY_STARTS = ("SELECT", "WITH", "(")


def _select_text(query: exp.Expression, original: str | None = None, after: str | None = None) -> str:
    """The statement's query as written, kept at its line:column so errors point into the statement
    (the text before it blanked); sqlglot's rendering when it cannot be cut out.

    The query starts at the first top-level SELECT / WITH / ``(`` (after the keyword ``after``,
    if given); a CTAS's trailing ``WITH [NO] DATA`` and ``;`` are left out.
    """
    if original is None:
        return query.sql(dialect="athena")
    try:
        tokens = sqlglot.tokenize(original, read="athena")
    except sqlglot.errors.TokenError:
        return query.sql(dialect="athena")
    depth, start, seen_after = 0, None, after is None
    for index, token in enumerate(tokens):
        text = token.text.upper()
        if depth == 0 and start is None:
            if seen_after and text in _QUERY_STARTS and index > 0:
                start = token.start
                break
            if text == after:
                seen_after = True
        depth += token.text == "("
        depth -= token.text == ")"
    if start is None:
        return query.sql(dialect="athena")
    end = len(original)
    words = [t for t in tokens if t.start >= start]
    while words and words[-1].text == ";":
        end = words[-1].start
        words.pop()
    if len(words) >= 2 and words[-1].text.upper() == "DATA":
        cut = -3 if len(words) >= 3 and words[-2].text.upper() == "NO" else -2
        if len(words) >= -cut and words[cut].text.upper() == "WITH":
            end = words[cut].start
    blank = "".join(c if c == "\n" else " " for c in original[:start])
    return blank + original[start:end]


def _check_names(query: exp.Expression, names: list[str]) -> None:
    select = query.this if isinstance(query, exp.Subquery) else query
    while isinstance(select, exp.SetOperation):
        select = select.this
    if isinstance(select, exp.Select):
        for position, projection in enumerate(select.expressions, start=1):
            if not isinstance(projection, (exp.Alias, exp.Column, exp.Star)):
                raise SqlError(f"MISSING_COLUMN_NAME: line 1:1: Column name not specified at position {position}")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise SqlError(f"DUPLICATE_COLUMN_NAME: line 1:1: Column name '{name}' specified more than once")
        seen.add(name)


# --- writing files -------------------------------------------------------------------------------


def _partition_text(value: Any) -> str:
    if value is None:
        return HIVE_DEFAULT_PARTITION
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    return str(value)


def _projection(staged: Staged, name: str, options: WriteOptions) -> str:
    column = _quote(name)
    text = str(staged.duck_types[name]).upper()
    if text.startswith("TIMESTAMP WITH TIME ZONE"):
        column = f"CAST(timezone('UTC', {column}) AS TIMESTAMP)"
    if options.format == "TEXTFILE" and hive_types.is_complex(staged.hive_type(name)):
        node = hive_types.parse(staged.hive_type(name))
        separators = [options.field_delimiter, *hive_text.separators({})[1:]]
        column = hive_text.render_sql(column, node, separators)
    return f"{column} AS {_quote(name)}"


def _copy_options(options: WriteOptions) -> str:
    codec = options.duckdb_codec
    if options.format == "PARQUET":
        return f"FORMAT parquet, COMPRESSION {codec}"
    if options.format == "JSON":
        return f"FORMAT json, COMPRESSION {_string(codec)}"
    return (
        f"FORMAT csv, DELIMITER {_string(options.field_delimiter)}, HEADER {str(options.header).lower()}, QUOTE '', ESCAPE '', "
        f"NULLSTR '\\N', COMPRESSION {_string(codec)}"
    )


class Written:
    """What a statement wrote: files, and per partition its values and folder."""

    def __init__(self) -> None:
        self.files: list[str] = []
        self.partitions: list[tuple[list[str], str]] = []


def write_files(
    session: "SqlSession",
    staged: Staged,
    options: WriteOptions,
    location: str,
    partition_keys: list[str],
    locate: Callable[[tuple[str, ...]], str | None] = lambda values: None,
) -> Written:
    """Write the staged rows under ``location`` (``key=value/`` folders per partition, unless
    ``locate`` knows a partition's folder)."""
    catalog = session.catalog
    assert catalog is not None
    data_columns = [n for n in staged.names if n not in partition_keys]
    connection = session.connection
    written = Written()
    if partition_keys:
        keys = ", ".join(_quote(k) for k in partition_keys)
        groups = connection.execute(f"SELECT DISTINCT {keys} FROM {staged.name} ORDER BY {keys}").fetchall()
        if len(groups) > MAX_PARTITIONS:
            raise SqlError(
                f"HIVE_TOO_MANY_OPEN_PARTITIONS: Exceeded limit of {MAX_PARTITIONS} open writers for partitions/buckets"
            )
    else:
        groups = [()] if staged.rows else []
    projections = ", ".join(_projection(staged, n, options) for n in data_columns)
    with tempfile.TemporaryDirectory(prefix="etl-local-athena-write-") as scratch:
        for number, group in enumerate(groups):
            values = [_partition_text(v) for v in group]
            if partition_keys:
                folder = locate(tuple(values)) or _folder(location) + athena_ddl.partition_path(partition_keys, values)
                condition = " AND ".join(
                    f"{_quote(k)} IS NULL" if v is None
                    else f"{_quote(k)} = CAST({_string(_partition_text(v))} AS {staged.duck_types[k]})"
                    for k, v in zip(partition_keys, group)
                )
                select = f"SELECT {projections} FROM {staged.name} WHERE {condition}"
                written.partitions.append((values, folder))
            else:
                folder, select = _folder(location), f"SELECT {projections} FROM {staged.name}"
            local = Path(scratch) / f"part-{number}"
            connection.execute(f"COPY ({select}) TO {_string(str(local))} ({_copy_options(options)})")
            name = f"{session.query_id}_{uuid.uuid4().hex[:8]}_{number:05d}{options.extension}"
            uri = S3Uri.parse(folder).join(name)
            try:
                write_object(catalog.account_id, catalog.region, uri, local.read_bytes())
            except S3LocationError as exc:
                raise SqlError(f"HIVE_FILESYSTEM_ERROR: {exc}") from None
            written.files.append(str(uri))
    return written


def _ensure_empty(session: "SqlSession", location: str, what: str) -> None:
    catalog = session.catalog
    assert catalog is not None
    try:
        objects = list_objects(catalog.account_id, catalog.region, location)
    except S3LocationError as exc:
        raise SqlError(f"HIVE_FILESYSTEM_ERROR: {exc}") from None
    if any(not obj.key.endswith("/") for obj in objects):
        raise SqlError(f"HIVE_PATH_ALREADY_EXISTS: Target directory for {what} already exists: {location}")


def _write_manifest(session: "SqlSession", files: list[str]) -> None:
    catalog = session.catalog
    if session.output_location is None or catalog is None:
        return
    uri = S3Uri.parse(session.output_location).join(f"{session.query_id}-manifest.csv")
    body = "".join(f"{f}\n" for f in files).encode()
    try:
        write_object(catalog.account_id, catalog.region, uri, body)
    except S3LocationError as exc:
        raise SqlError(f"Unable to write the data manifest: {exc}") from None


# --- the Glue table a CTAS creates ------------------------------------------------------------


def storage_for(options: WriteOptions) -> tuple[str, dict[str, str], str, str, dict[str, str]]:
    """(SerDe, SerDe parameters, InputFormat, OutputFormat, table parameters) of a written format."""
    if options.format == "PARQUET":
        return (
            cat.PARQUET_SERDE, {"serialization.format": "1"}, cat.PARQUET_INPUT_FORMAT, cat.PARQUET_OUTPUT_FORMAT,
            {"parquet.compression": options.compression},
        )
    parameters = {"write.compression": options.compression}
    if options.format == "JSON":
        return cat.HIVE_JSON_SERDE, {}, cat.TEXT_INPUT_FORMAT, cat.TEXT_OUTPUT_FORMAT, parameters
    delimiter = options.field_delimiter
    return (
        cat.LAZY_SIMPLE_SERDE, {"field.delim": delimiter, "serialization.format": delimiter},
        cat.TEXT_INPUT_FORMAT, cat.TEXT_OUTPUT_FORMAT, parameters,
    )


def _table_input(name: str, staged: Staged, options: WriteOptions, location: str) -> dict[str, Any]:
    serde, serde_parameters, input_format, output_format, parameters = storage_for(options)
    columns = [{"Name": n, "Type": staged.hive_type(n)} for n in staged.names if n not in options.partitioned_by]
    keys = [{"Name": n, "Type": staged.hive_type(n)} for n in options.partitioned_by]
    return {
        "Name": name,
        "Owner": "hadoop",
        "Retention": 0,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"EXTERNAL": "TRUE", "has_encrypted_data": "false", **parameters},
        "StorageDescriptor": {
            "Columns": columns,
            "Location": location,
            "InputFormat": input_format,
            "OutputFormat": output_format,
            "Compressed": options.compression != "NONE",
            "NumberOfBuckets": options.bucket_count or -1,
            "SerdeInfo": {"SerializationLibrary": serde, "Parameters": serde_parameters},
            "BucketColumns": list(options.bucketed_by),
            "SortColumns": [],
            "Parameters": {},
            "StoredAsSubDirectories": False,
        },
        "PartitionKeys": keys,
    }


def _check_partition_columns(options: WriteOptions, names: list[str], keys: list[str]) -> None:
    if keys and names[-len(keys):] != keys:
        raise SqlError(
            "HIVE_COLUMN_ORDER_MISMATCH: Partition keys must be the last columns in the table and in the same "
            f"order as the table properties: [{', '.join(keys)}]"
        )
    if len(keys) == len(names) and names:
        raise SqlError("INVALID_TABLE_PROPERTY: Table contains only partition columns")
    missing = [b for b in options.bucketed_by if b not in names]
    if missing:
        raise SqlError(f"INVALID_TABLE_PROPERTY: Bucketing columns [{', '.join(missing)}] not present in schema")


def _table_name(table: exp.Table, session: "SqlSession") -> tuple[str, str]:
    if table.catalog and table.catalog.lower() != CATALOG:
        raise SqlError(f"CATALOG_NOT_FOUND: Catalog '{table.catalog.lower()}' does not exist")
    return (table.db or session.database).lower(), table.name.lower()


def create_table_as(
    session: "SqlSession", tree: exp.Create, parameters: Sequence[Any], original: str | None = None
) -> ResultTable:
    """``CREATE TABLE [IF NOT EXISTS] t [WITH (...)] AS SELECT ... [WITH [NO] DATA]``."""
    catalog = session.catalog
    assert catalog is not None
    database, name = _table_name(tree.this, session)
    properties = tree.args.get("properties")
    with_data = True
    if properties is not None:
        kept = []
        for prop in properties.expressions:
            if isinstance(prop, exp.WithDataProperty):
                with_data = not prop.args.get("no")
            else:
                kept.append(prop)
        properties = exp.Properties(expressions=kept)
    options = ctas_options(properties)
    if not catalog.database_exists(database):
        raise SqlError(f"SCHEMA_NOT_FOUND: line 1:14: Schema '{database}' does not exist")
    try:
        catalog.table(database, name)
    except cat.NotFound:
        pass
    else:
        if tree.args.get("exists"):
            return ResultTable([], [])
        raise SqlError(f"TABLE_ALREADY_EXISTS: line 1:1: Destination table '{CATALOG}.{database}.{name}' already exists")
    location = options.location
    if location is not None and session.enforced_output:
        # The Athena guide: a CTAS naming external_location fails in a work group that enforces its result location.
        raise SqlError(
            "INVALID_TABLE_PROPERTY: external_location cannot be used: the work group enforces its query result "
            "location, where Athena stores CTAS tables (tables/<query id>/)"
        )
    if location is None:
        if session.output_location is None:
            raise SqlError("HIVE_METASTORE_ERROR: No external_location and no query result location for the table")
        location = str(S3Uri.parse(session.output_location).join(f"tables/{session.query_id}/"))
    query = tree.expression
    select_sql = _select_text(query, original, after="AS")
    staged = Staged.select(session, select_sql, parameters)
    try:
        _check_names(query, staged.names)
        _check_partition_columns(options, staged.names, options.partitioned_by)
        table_input = _table_input(name, staged, options, location)  # (its column types are checked here)
        _ensure_empty(session, location, f"table '{database}.{name}'")
        written = write_files(session, staged, options, location, options.partitioned_by) if with_data else Written()
        rows = staged.rows if with_data else 0
    finally:
        staged.drop()
    try:
        catalog.create_table(database, table_input)
        for values, folder in written.partitions:
            catalog.add_partition(database, name, values, folder, if_not_exists=True)
    except cat.CatalogError as exc:
        raise athena_ddl.catalog_error(exc) from None
    _write_manifest(session, written.files)
    return ResultTable([], [], data_scanned_bytes=staged.scanned, update_count=rows)


# --- INSERT INTO ---------------------------------------------------------------------------------

_INTEGERS = ["tinyint", "smallint", "int", "bigint"]
_TRINO_NAMES = {"int": "integer", "string": "varchar", "float": "real", "binary": "varbinary"}


def _trino_name(hive_type: str) -> str:
    return _TRINO_NAMES.get(hive_type, hive_type)


def _family(hive_type: str) -> str:
    return "string" if hive_type == "string" or hive_type.startswith(("varchar", "char")) else hive_type.split("(")[0]


def _coercible(source: str, target: str) -> bool:
    """Trino's implicit coercions for INSERT (widening only; NULL's ``unknown`` fits anything)."""
    if source == target or source == "unknown":
        return True
    if _family(source) == _family(target) == "string":
        return True
    if source in _INTEGERS:
        if target in _INTEGERS:
            return _INTEGERS.index(source) <= _INTEGERS.index(target)
        return target in ("double", "float") or target.startswith("decimal")
    if source == "float":
        return target == "double"
    if source.startswith("decimal"):
        return target in ("double", "float") or target.startswith("decimal")
    if source == "date":
        return target == "timestamp"
    return False


def _table_options(table: cat.TableDef) -> WriteOptions:
    """How INSERT INTO writes a table's files: its format, SerDe settings and compression."""
    descriptor = table.raw.get("StorageDescriptor") or {}
    if (descriptor.get("NumberOfBuckets") or 0) > 0 or descriptor.get("BucketColumns"):
        raise SqlError(f"NOT_SUPPORTED: INSERT INTO is not supported on bucketed tables ({table.qualified_name})")
    serde = table.serde_library
    if serde == cat.PARQUET_SERDE or "parquet" in table.input_format.lower():
        codec = table.parameters.get("parquet.compression", table.parameters.get("write.compression", "GZIP")).upper()
        return WriteOptions(format="PARQUET", compression="NONE" if codec == "UNCOMPRESSED" else codec)
    codec = table.parameters.get("write.compression", "GZIP").upper()
    if serde == cat.HIVE_JSON_SERDE:
        return WriteOptions(format="JSON", compression=codec)
    if serde == cat.LAZY_SIMPLE_SERDE:
        delimiter = hive_text.separators(table.serde_parameters)[0]
        skip = table.parameters.get("skip.header.line.count", "0").strip() or "0"
        if skip not in ("0", "1"):  # Trino's Hive writer: one header line at most
            raise SqlError(
                "NOT_SUPPORTED: INSERT into Hive table with skip.header.line.count property greater than 1 is not supported"
            )
        if table.parameters.get("skip.footer.line.count", "0").strip() not in ("", "0"):
            raise SqlError("NOT_SUPPORTED: INSERT into Hive table with skip.footer.line.count property not supported")
        return WriteOptions(format="TEXTFILE", compression=codec, field_delimiter=delimiter, header=skip == "1")
    if serde == cat.OPENX_JSON_SERDE:
        # Athena writes JSON with the Hive JSON SerDe only (the INSERT INTO page's list of SerDes).
        output_format = descriptor.get("OutputFormat") or "?"
        raise SqlError(f"HIVE_UNSUPPORTED_FORMAT: Output format {output_format} with SerDe {serde} is not supported.")
    raise SqlError(
        f"NOT_SUPPORTED: INSERT INTO a table with SerDe '{serde or '?'}' is not supported by the local Athena engine "
        "(supported: Parquet, LazySimpleSerDe text, Hive JSON SerDe)"
    )


def insert_into(
    session: "SqlSession", tree: exp.Expression, parameters: Sequence[Any], original: str | None = None
) -> ResultTable:
    """``INSERT INTO t [(columns)] SELECT ... | VALUES ...``."""
    catalog = session.catalog
    assert catalog is not None
    if not isinstance(tree, exp.Insert) or tree.args.get("overwrite"):
        raise SqlError("NOT_SUPPORTED: INSERT OVERWRITE is not supported by Athena")
    target = tree.this
    listed: list[str] | None = None
    if isinstance(target, exp.Schema):
        listed = [c.name.lower() for c in target.expressions]
        target = target.this
    database, name = _table_name(target, session)
    try:
        table = catalog.table(database, name)
    except cat.NotFound as exc:
        if exc.kind == "Database":
            raise SqlError(f"SCHEMA_NOT_FOUND: line 1:13: Schema '{database}' does not exist") from None
        raise SqlError(f"TABLE_NOT_FOUND: line 1:13: Table '{CATALOG}.{database}.{name}' does not exist") from None
    if table.table_type == "VIRTUAL_VIEW":
        raise SqlError(f"NOT_SUPPORTED: Inserting into views is not supported: {database}.{name}")
    options = _table_options(table)
    source = tree.expression
    written_as = original if isinstance(source, exp.Query) and not isinstance(tree.this, exp.Schema) else None
    if isinstance(source, exp.Values):
        source = exp.select("*").from_(exp.Subquery(this=source, alias=exp.TableAlias(this=exp.to_identifier("v"))))
    elif not isinstance(source, exp.Query):
        raise SqlError("NOT_SUPPORTED: INSERT INTO needs a SELECT or VALUES")
    columns = [c.name.lower() for c in table.all_columns]
    types = {c.name.lower(): c.type for c in table.all_columns}
    targets = listed or columns
    unknown = [c for c in targets if c not in types]
    if unknown:
        raise SqlError(f"COLUMN_NOT_FOUND: line 1:1: Insert column name does not exist: {unknown[0]}")
    staged = Staged.select(session, _select_text(source, written_as), parameters)
    try:
        source_types = [staged.hive_type(n) if not staged.untyped(n) else "unknown" for n in staged.names]
        if len(source_types) != len(targets) or not all(
            _coercible(s, types[t]) for s, t in zip(source_types, targets)
        ):
            raise SqlError(
                "TYPE_MISMATCH: line 1:1: Insert query has mismatched column types: "
                f"Table: [{', '.join(_trino_name(types[t]) for t in targets)}], "
                f"Query: [{', '.join(_trino_name(s) for s in source_types)}]"
            )
        by_target = dict(zip(targets, staged.names))
        projections = ", ".join(
            f"CAST({_quote(by_target[c])} AS {cat.duckdb_type(types[c])}) AS {_quote(c)}" if c in by_target
            else f"CAST(NULL AS {cat.duckdb_type(types[c])}) AS {_quote(c)}"
            for c in columns
        )
        shaped = staged.reshaped(projections)  # the table's columns, in its order, of its types
        keys = [k.name.lower() for k in table.partition_keys]
        projected = partition_projection.enabled(table)
        known = {tuple(p.values): p.location for p in table.partitions}
        if projected:  # files go where reads will project the partition; the catalog is not consulted
            locate = functools.partial(partition_projection.location_of, table, keys)
        else:
            locate = known.get
        try:
            written = write_files(session, shaped, options, table.location, keys, locate)
        finally:
            shaped.drop()
    finally:
        staged.drop()
    for values, folder in written.partitions:
        if not projected and tuple(values) not in known:
            catalog.add_partition(table.database, table.name, values, folder, if_not_exists=True)
    _write_manifest(session, written.files)
    return ResultTable([], [], data_scanned_bytes=staged.scanned, update_count=staged.rows)


# --- UNLOAD ----------------------------------------------------------------------------------------


def _split_unload(query: str) -> tuple[str, str, str | None]:
    """(SELECT text, TO location, WITH properties text) of an UNLOAD statement."""
    start = re.match(r"(\s+|--[^\n]*\n|/\*.*?\*/)*UNLOAD\b", query, re.I | re.S)
    query = query[start.end():] if start else query
    tokens = sqlglot.tokenize(query, read="athena")  # (the tokenizer reads UNLOAD itself as a bare command)
    if start is None or not tokens or tokens[0].text != "(":
        raise SqlError("SYNTAX_ERROR: line 1:8: UNLOAD needs a parenthesised SELECT: UNLOAD (SELECT ...) TO 's3://...'")
    depth = 0
    for index, token in enumerate(tokens):
        depth += token.text == "("
        depth -= token.text == ")"
        if depth == 0:
            break
    else:
        raise SqlError("SYNTAX_ERROR: line 1:8: mismatched input: unbalanced parentheses")
    select = query[tokens[0].end + 1 : tokens[index].start]
    rest = tokens[index + 1 :]
    if len(rest) < 2 or rest[0].text.upper() != "TO" or rest[1].token_type.name != "STRING":
        raise SqlError("SYNTAX_ERROR: UNLOAD needs TO 's3://bucket/prefix/' after the SELECT")
    location = rest[1].text
    properties = None
    if len(rest) > 2:
        if rest[2].text.upper() != "WITH":
            raise SqlError(f"SYNTAX_ERROR: mismatched input '{rest[2].text}'. Expecting: 'WITH', <EOF>")
        properties = query[rest[2].end + 1 :].strip().rstrip(";")
    return select, location, properties


def unload(session: "SqlSession", query: str, parameters: Sequence[Any]) -> ResultTable:
    """``UNLOAD (SELECT ...) TO 's3://...' WITH (format = ..., ...)``."""
    select, location, properties_text = _split_unload(query)
    properties = None
    if properties_text:
        probe = sqlglot.parse_one(f"CREATE TABLE __unload WITH {properties_text} AS SELECT 1", read="athena")
        properties = probe.args.get("properties")
    try:
        S3Uri.parse(location)
    except S3LocationError:
        raise SqlError(f"INVALID_TABLE_PROPERTY: UNLOAD location must be an s3:// URI, got '{location}'") from None
    options = unload_options(properties, location)
    if not options.partitioned_by:
        _ensure_empty(session, location, "UNLOAD")
    staged = Staged.select(session, select, parameters)
    try:
        _check_partition_columns(options, staged.names, options.partitioned_by)
        written = write_files(session, staged, options, location, options.partitioned_by)
    finally:
        staged.drop()
    _write_manifest(session, written.files)
    return ResultTable([], [], data_scanned_bytes=staged.scanned, update_count=staged.rows)
