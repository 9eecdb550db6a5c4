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
  their S3 objects (see ``athena_sql``).

The Athena engine relies on ``open_session`` / ``SqlSession.execute`` /
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
from embedded_aws.athena import statements as athena_statements
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
_FUNCTION_NOT_FOUND = re.compile(r"(?:Scalar|Aggregate|Table) Function with name (\S+) does not exist")


def _athena_message(exc: duckdb.Error, references: list[athena_sql.TableReference]) -> str:
    """DuckDB's message worded as Athena's error names where the meaning is the same."""
    text = str(exc).strip()
    for reference in references:
        text = text.replace(reference.view, reference.table.name)
    first_line = text.splitlines()[0] if text else type(exc).__name__
    if match := _COLUMN_NOT_FOUND.search(text):
        return f"COLUMN_NOT_FOUND: Column '{match.group(1)}' cannot be resolved ({first_line})"
    if match := _FUNCTION_NOT_FOUND.search(text):
        return f"FUNCTION_NOT_FOUND: Function '{match.group(1)}' not registered ({first_line})"
    if isinstance(exc, duckdb.ParserException):
        return f"SYNTAX_ERROR: {text}"
    if isinstance(exc, (duckdb.ConversionException, duckdb.InvalidInputException)) and references:
        return f"HIVE_BAD_DATA: {text}"
    if isinstance(exc, duckdb.ConversionException):
        return f"INVALID_CAST_ARGUMENT: {text}"
    if isinstance(exc, duckdb.BinderException):
        return f"SEMANTIC_ERROR: {text}"
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
        written = athena_statements.execute(self, query, parameters)
        if written is not None:  # CTAS, INSERT INTO, UNLOAD, views, SHOW CREATE
            return written
        if is_ddl(query):
            statement = athena_ddl.parse(query)
            context = athena_ddl.DdlContext(
                self._catalog, self._catalog.account_id, self._catalog.region, self._database
            )
            return athena_ddl.execute(statement, context)
        sql, scanned, references = self.prepare_select(query, parameters)
        table = self._run(sql, parameters, references)
        # Athena's identifiers are case-insensitive; result columns come back in lower case.
        columns = [dataclasses.replace(c, name=c.name.lower()) for c in table.columns]
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
        return prepared.sql, scanned, prepared.references

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
        columns = [athena_column(d[0], d[1]) for d in description]
        return ResultTable(columns=columns, rows=rows)

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
    return statements[0].sql(dialect="duckdb")


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
