"""The SQL engine behind the local Athena: DuckDB, one connection per query.

``SqlEngine.open_session`` gives each query its own DuckDB connection (to
one shared in-memory database, so temporary views and interrupts stay the
query's own) bound to the query's Glue Data Catalog (account, region,
database). ``SqlSession.execute`` runs one Athena statement on it:

* Hive DDL (``CREATE DATABASE``, ``CREATE EXTERNAL TABLE``, ``MSCK REPAIR
  TABLE``, ``ALTER TABLE ADD PARTITION``, ``SHOW ...``; see ``athena_ddl``)
  changes or reads the catalog;
* anything else is an Athena (Trino) query, translated by sqlglot, with its
  catalog tables materialised as DuckDB views over locally cached copies of
  their S3 objects (see ``athena_sql``), and Trino's function semantics
  (see ``trino_functions``).

Connections use Athena's session time zone, UTC. Result values come back
already rendered as Athena writes them, with Athena's column info (see
``trino_types``); DuckDB's errors are worded as Trino's where the meaning is
the same. The Athena engine relies on ``open_session`` / ``SqlSession.execute`` /
``interrupt`` / ``close``. ``SqlSession.run`` runs DuckDB SQL as it is.
"""

from __future__ import annotations

import atexit
import dataclasses
import re
import threading
from typing import Any, Callable, Sequence

import duckdb
import sqlglot
from sqlglot.errors import ParseError, TokenError

from embedded_aws.athena import ddl as athena_ddl
from embedded_aws.athena import sql as athena_sql
from embedded_aws.athena import errors as athena_errors
from embedded_aws.athena import trino_functions, trino_macros, trino_types
from embedded_aws.athena import write_statements
from embedded_aws.athena.results import (
    Column,
    ResultTable,
    SqlCancelled,
    SqlError,
    athena_column,
    athena_text,
    parse_literal,
)
from embedded_aws.athena.s3_tables import ObjectCache
from embedded_aws.glue.catalog import DEFAULT_DATABASE, Catalog

__all__ = [
    "Column",
    "ResultTable",
    "SqlCancelled",
    "SqlEngine",
    "SqlError",
    "SqlSession",
    "athena_column",
    "athena_text",
    "is_ddl",
    "parse_literal",
]

_LEADING_NOISE = re.compile(r"(\s+|--[^\n]*(\n|$)|/\*.*?\*/|\()*", re.DOTALL)
_DDL_VERBS = {"ALTER", "CREATE", "DESCRIBE", "DESC", "DROP", "MSCK", "SHOW"}


def first_keyword(sql: str) -> str:
    """The statement's first word in upper case, after comments and opening parentheses."""
    rest = sql[_LEADING_NOISE.match(sql).end() :]  # type: ignore[union-attr]
    match = re.match(r"[A-Za-z]+", rest)
    return match.group(0).upper() if match else ""


def is_ddl(sql: str) -> bool:
    """True for the statements Athena runs as DDL (results in ``<id>.txt``, no header row)."""
    return first_keyword(sql) in _DDL_VERBS


_COLUMN_NOT_FOUND = re.compile(r'Referenced column "([^"]+)" not found')
_OVERFLOW = re.compile(r"Overflow in (addition|subtraction|multiplication) of (\w+) \((.*)\)")
_CANNOT_CAST = re.compile(r"Could not convert string '(.*)' to (\w+)")
_TRINO_CAST_NAMES = {"INT8": "TINYINT", "INT16": "SMALLINT", "INT32": "INT", "INT64": "BIGINT", "BOOL": "BOOLEAN", "FLOAT": "REAL"}
_FUNCTION_NOT_FOUND = re.compile(r"(?:Scalar|Aggregate|Table) Function with name (\S+) does not exist")


def _athena_message(exc: duckdb.Error, references: list[athena_sql.TableReference]) -> str:
    """DuckDB's message worded as Athena's error names where the meaning is the same."""
    text = str(exc).strip()
    if (raised := trino_macros.engine_error(text)) is not None:
        return raised
    for reference in references:
        text = text.replace(reference.view, reference.table.name)
    first_line = text.splitlines()[0] if text else type(exc).__name__
    if match := _COLUMN_NOT_FOUND.search(text):
        return f"COLUMN_NOT_FOUND: Column '{match.group(1)}' cannot be resolved ({first_line})"
    if match := _FUNCTION_NOT_FOUND.search(text):
        name = match.group(1).lower()
        if name in trino_functions.TRINO_UNSUPPORTED:
            return f"NOT_SUPPORTED: Function '{name}' is not supported by the local Athena engine"
        return f"FUNCTION_NOT_FOUND: Function '{name}' not registered"
    if "Failed to parse format specifier" in first_line:  # a date_format/date_parse field DuckDB lacks
        return f"NOT_SUPPORTED: {first_line.split(': ', 1)[-1]} (local Athena engine)"
    if match := _OVERFLOW.search(first_line):
        kind = "integer" if match.group(2) == "INT32" else "bigint" if match.group(2) == "INT64" else match.group(2).lower()
        return f"NUMERIC_VALUE_OUT_OF_RANGE: {kind} {match.group(1)} overflow: {match.group(3)}"
    if isinstance(exc, duckdb.ParserException):
        return f"SYNTAX_ERROR: {text}"
    if isinstance(exc, (duckdb.ConversionException, duckdb.InvalidInputException)) and references:
        return f"HIVE_BAD_DATA: {text}"
    if isinstance(exc, duckdb.ConversionException):
        if match := _CANNOT_CAST.search(first_line):
            target = _TRINO_CAST_NAMES.get(match.group(2), match.group(2))
            return f"INVALID_CAST_ARGUMENT: Cannot cast '{match.group(1)}' to {target}"
        return f"INVALID_CAST_ARGUMENT: {first_line}"
    if isinstance(exc, duckdb.BinderException):
        return athena_errors.from_binder(first_line) or f"SEMANTIC_ERROR: {first_line}"
    return text


class SqlSession:
    """One DuckDB connection running one Athena statement at a time."""

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection | None = None,
        *,
        connect: Callable[[], duckdb.DuckDBPyConnection] = duckdb.connect,
        catalog: Catalog | None = None,
        database: str | None = None,
        cache: ObjectCache | None = None,
        query_id: str | None = None,
        output_location: str | None = None,
        enforced_output: bool = False,
    ):
        self.query_id = query_id or "local"  # names CTAS files and the default table folder
        self.output_location = output_location  # the query result folder (s3://...)
        self.enforced_output = enforced_output  # the work group enforces it: CTAS may not name a location
        self._opened: duckdb.DuckDBPyConnection | None = connection
        self._connect = connect
        self._open_lock = threading.Lock()
        self._catalog = catalog
        self._database = (database or DEFAULT_DATABASE).lower()
        self._cache = cache or ObjectCache()
        self._cancelled = False

    @property
    def _connection(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection, opened on first use (DDL never needs one)."""
        with self._open_lock:
            if self._opened is None:
                self._opened = self._connect()
                # Athena's session time zone is UTC; DuckDB's default is the machine's.
                self._opened.execute("SET TimeZone = 'UTC'")
                if self._connect is duckdb.connect:  # a private database (SqlEngine installs them once)
                    trino_macros.install_macros(self._opened)
            return self._opened

    def run(self, sql: str, parameters: Sequence[Any] = ()) -> ResultTable:
        """DuckDB SQL as it is (no translation, no catalog)."""
        return self._run(sql, parameters, [])

    def execute(self, query: str, parameters: Sequence[Any] = ()) -> ResultTable:
        """One Athena statement: DDL on the catalog, or a translated query over catalog tables."""
        if self._catalog is None:
            if is_ddl(query):
                raise SqlError("NOT_SUPPORTED: DDL needs a Glue Data Catalog (open the session with an account and region)")
            return self.run(translate(query), parameters)
        written = write_statements.execute(self, query, parameters)
        if written is not None:  # CTAS, INSERT INTO, UNLOAD, views, SHOW CREATE
            return written
        if is_ddl(query):
            statement = athena_ddl.parse(query)
            context = athena_ddl.DdlContext(
                self._catalog, self._catalog.account_id, self._catalog.region, self._database
            )
            return athena_ddl.execute(statement, context)
        try:
            return self._query(query, parameters)
        except SqlCancelled:
            raise
        except SqlError as exc:  # Trino's wording, with the line and column of the name
            raise SqlError(athena_errors.locate(str(exc), query)) from exc

    def _query(self, query: str, parameters: Sequence[Any]) -> ResultTable:
        sql, scanned, prepared = self._prepare(query, parameters)
        table = self._run(sql, parameters, prepared.references)
        # Athena's identifiers are case-insensitive; result columns come back in lower case.
        columns = [dataclasses.replace(c, name=c.name.lower()) for c in table.columns]
        for index, width in prepared.varchar_widths.items():  # a text literal is varchar(n) in Trino
            if index < len(columns) and columns[index].athena_type == "varchar":
                columns[index] = dataclasses.replace(columns[index], precision=width)
        return ResultTable(columns, table.rows, data_scanned_bytes=scanned)

    @property
    def catalog(self) -> Catalog | None:
        return self._catalog

    @property
    def database(self) -> str:
        return self._database

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        return self._connection

    def prepare_select(
        self, query: str, parameters: Sequence[Any] = ()
    ) -> tuple[str, int, list[athena_sql.TableReference]]:
        """An Athena SELECT made ready on this connection: (DuckDB SQL, bytes scanned, tables read)."""
        sql, scanned, prepared = self._prepare(query, parameters)
        return sql, scanned, prepared.references

    def _prepare(self, query: str, parameters: Sequence[Any]) -> tuple[str, int, Any]:
        assert self._catalog is not None
        prepared = athena_sql.prepare(query, list(parameters), self._catalog, self._database)
        try:
            scanned = athena_sql.materialise(
                self._connection,
                prepared,
                account_id=self._catalog.account_id,
                region=self._catalog.region,
                cache=self._cache,
                cancelled=lambda: self._cancelled,
            )
        except duckdb.InterruptException as exc:
            raise SqlCancelled(str(exc)) from exc
        except duckdb.Error as exc:
            raise SqlError(_athena_message(exc, prepared.references)) from exc
        return prepared.sql, scanned, prepared

    def run_prepared(
        self, sql: str, parameters: Sequence[Any], references: list[athena_sql.TableReference]
    ) -> ResultTable:
        """DuckDB SQL from ``prepare_select`` (errors worded as Athena's)."""
        return self._run(sql, parameters, references)

    def _run(
        self, sql: str, parameters: Sequence[Any], references: list[athena_sql.TableReference]
    ) -> ResultTable:
        if self._cancelled:
            raise SqlCancelled("Query was cancelled by user")
        try:
            cursor = self._connection.execute(sql, list(parameters) if parameters else None)
            description = cursor.description or []
            rows = cursor.fetchall() if description else []
        except duckdb.InterruptException as exc:
            raise SqlCancelled(str(exc)) from exc
        except duckdb.Error as exc:
            raise SqlError(_athena_message(exc, references)) from exc
        # Values are rendered as Athena writes them (see trino_types), once, here.
        types = [d[1] for d in description]
        columns = [trino_types.column_info(d[0], d[1]) for d in description]
        rendered = [tuple(trino_types.render(v, t) for v, t in zip(row, types)) for row in rows]
        return ResultTable(columns=columns, rows=rendered)

    def interrupt(self) -> None:
        """Ask the running statement to stop (safe from any thread)."""
        self._cancelled = True
        with self._open_lock:
            opened = self._opened
        if opened is not None:
            opened.interrupt()

    def close(self) -> None:
        with self._open_lock:
            opened, self._opened = self._opened, None
        if opened is not None:
            opened.close()


def translate(sql: str) -> str:
    """Athena (Trino) SQL to DuckDB SQL, without catalog tables (sqlglot)."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="athena") if s is not None]
    except (ParseError, TokenError) as exc:
        raise SqlError(f"SYNTAX_ERROR: {str(exc).splitlines()[0]}") from None
    if len(statements) != 1:
        raise SqlError("SYNTAX_ERROR: Only one sql statement is allowed. Got: " + str(len(statements)))
    tree = trino_functions.Rewriter(sql, lambda node: None).rewrite(statements[0])
    return trino_functions.to_duckdb(tree)


class SqlEngine:
    """Opens sessions for Athena queries; owns the local cache of S3 objects."""

    def __init__(self, cache: ObjectCache | None = None):
        self.cache = cache or ObjectCache()
        self._database: duckdb.DuckDBPyConnection | None = None
        self._database_lock = threading.Lock()

    def _connect(self) -> duckdb.DuckDBPyConnection:
        """A new connection to the engine's one in-memory DuckDB database.

        Opening a database takes ~10 ms, a connection to an open one almost
        nothing. Each query still has its own connection, so its temporary
        views and interrupts are its own.
        """
        with self._database_lock:
            if self._database is None:
                self._database = duckdb.connect()
                trino_macros.install_macros(self._database)
                atexit.register(self.close)
            return self._database.cursor()

    def close(self) -> None:
        """Close the shared database (the next query opens a new one)."""
        with self._database_lock:
            database, self._database = self._database, None
        if database is not None:
            atexit.unregister(self.close)
            database.close()

    def translate(self, sql: str) -> str:
        """Athena (Trino) SQL to DuckDB SQL (no catalog tables; see ``SqlSession.execute``)."""
        return translate(sql)

    def parameter_values(self, parameters: Sequence[str]) -> list[Any]:
        """Values to bind for Athena's ExecutionParameters, in order.

        Athena takes each parameter as a SQL literal (``'text'``, ``42``,
        ``DATE '2020-01-01'``), so a well-formed literal is bound as its
        typed value. Anything else is bound as plain text. Either way the
        value is bound, never spliced into the SQL.
        """
        return [parse_literal(text) for text in parameters or ()]

    def open_session(
        self,
        database: str | None,
        *,
        account_id: str | None = None,
        region: str | None = None,
        query_id: str | None = None,
        output_location: str | None = None,
        enforced_output: bool = False,
    ) -> SqlSession:
        """A fresh in-memory connection over the Glue Data Catalog of ``account_id``/``region``.

        Without an account and region the session has no catalog: queries
        are only translated, and DDL is refused.
        """
        catalog = Catalog(account_id, region) if account_id and region else None
        return SqlSession(
            connect=self._connect, catalog=catalog, database=database, cache=self.cache,
            query_id=query_id, output_location=output_location, enforced_output=enforced_output,
        )
