"""Real Athena query executions for the embedded AWS, run by DuckDB.

moto records queries without running them. Here each StartQueryExecution
runs on its own thread and DuckDB connection (see ``sql_engine``) and moves
through Athena's states:

    QUEUED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED (StopQueryExecution)

Queries are Athena SQL: Hive DDL keeps databases, tables and partitions in
the embedded Glue Data Catalog, and SELECTs (Trino dialect, translated by
sqlglot) read catalog tables from the embedded S3 (see ``sql_engine``).
A finished DML query's rows are written, with a header row as Athena does,
to ``<OutputLocation>/<QueryExecutionId>.csv`` in the embedded S3; a DDL
statement's to ``<QueryExecutionId>.txt``. DataScannedInBytes is the size
of the table files a query read.
``ClientRequestToken`` makes StartQueryExecution idempotent, and
``BatchGetQueryExecution`` (missing from moto) is provided. Named queries,
work groups and data catalogs stay moto's.

Query books live on each moto Athena backend, so moto's reset drops them.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from moto.athena.models import AthenaBackend
from moto.athena.responses import AthenaResponse
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult, EmptyResult

from embedded_aws.backend_state import backend_state
from embedded_aws.s3.objects import S3LocationError, S3Uri, write_object
from embedded_aws.athena import errors as athena_errors
from embedded_aws.athena import prepared, result_metadata, statements
from embedded_aws.athena.session import (
    ResultTable,
    SqlCancelled,
    SqlEngine,
    SqlError,
    SqlSession,
    athena_text,
    first_keyword,
    is_ddl,
)

QUEUED = "QUEUED"
RUNNING = "RUNNING"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
CANCELLED = "CANCELLED"
TERMINAL_STATES = frozenset({SUCCEEDED, FAILED, CANCELLED})

MAX_BATCH_IDS = 50
MAX_RESULT_ROWS = 1000
DEFAULT_LIST_SIZE = 50
NO_OUTPUT_LOCATION = (
    "No output location provided. An output location is required either through "
    "the Workgroup result configuration setting or as an API input."
)
_UTILITY = frozenset({"PREPARE", "EXECUTE", "DEALLOCATE", "SHOW", "DESCRIBE", "DESC", "USE"})  # as Athena reports them


class InvalidRequestException(JsonRESTError):
    """Athena's client error for bad input and unknown ids."""

    code = 400

    def __init__(self, message: str):
        super().__init__("InvalidRequestException", message)


def _now() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.timezone.utc)


#: Called as listener(run, previous_state) when a query is submitted
#: (previous None) and after each change of its state, under the engine lock:
#: it must be quick (``athena.state_events`` only queues an EventBridge event).
state_listeners: list[Callable[["QueryRun", str | None], None]] = []


def _announce(run: "QueryRun", previous: str | None) -> None:
    run.sequence += 1
    for listener in list(state_listeners):
        try:
            listener(run, previous)
        except Exception:  # a listener must never break the query
            logging.getLogger(__name__).exception("Athena state listener %r failed", listener)


def _statement_type(sql: str) -> str:
    if first_keyword(sql) in _UTILITY:
        return "UTILITY"
    if is_ddl(sql):
        return "DDL"
    return "DML"


def _millis(start: float | None, end: float | None) -> int:
    if start is None:
        return 0
    return int(((end if end is not None else time.monotonic()) - start) * 1000)


@dataclass(eq=False)
class QueryRun:
    """One query execution. Mutated only under the engine lock."""

    query_id: str
    query: str
    account_id: str
    region: str
    workgroup: str
    context: dict[str, Any]
    result_configuration: dict[str, Any]
    output_uri: S3Uri
    execution_parameters: list[str]
    client_request_token: str | None
    statement_type: str
    enforced_output: bool = False  # the work group overrides client-side result settings
    state: str = QUEUED
    reason: str | None = None
    submitted: datetime.datetime = field(default_factory=_now)
    completed: datetime.datetime | None = None
    queued_at: float = field(default_factory=time.monotonic)
    started_at: float | None = None
    engine_done_at: float | None = None
    finished_at: float | None = None
    result: ResultTable | None = None
    data_scanned: int = 0
    session: SqlSession | None = None
    done: threading.Event = field(default_factory=threading.Event)
    #: States it has been in so far (its state change events' sequenceNumber).
    sequence: int = 0

    def move_to(self, state: str) -> None:
        """A non-terminal state change (QUEUED -> RUNNING)."""
        previous, self.state = self.state, state
        _announce(self, previous)

    def end(self, state: str, reason: str | None = None) -> None:
        previous = self.state
        self.state = state
        self.reason = reason
        self.completed = _now()
        self.finished_at = time.monotonic()
        _announce(self, previous)

    def describe(self) -> dict[str, Any]:
        """The execution as GetQueryExecution returns it."""
        status: dict[str, Any] = {"State": self.state, "SubmissionDateTime": self.submitted}
        if self.completed is not None:
            status["CompletionDateTime"] = self.completed
        if self.reason is not None:
            status["StateChangeReason"] = self.reason
        if self.state == FAILED:
            status["AthenaError"] = athena_errors.athena_error(self.reason)
        engine_end = self.engine_done_at or self.finished_at
        out: dict[str, Any] = {
            "QueryExecutionId": self.query_id,
            "Query": self.query,
            "StatementType": self.statement_type,
            "ResultConfiguration": {**self.result_configuration, "OutputLocation": str(self.output_uri)},
            "ResultReuseConfiguration": {"ResultReuseByAgeConfiguration": {"Enabled": False}},
            "QueryExecutionContext": self.context,
            "Status": status,
            "Statistics": {
                "EngineExecutionTimeInMillis": _millis(self.started_at, engine_end),
                "DataScannedInBytes": self.data_scanned,
                "TotalExecutionTimeInMillis": _millis(self.queued_at, self.finished_at),
                "QueryQueueTimeInMillis": _millis(self.queued_at, self.started_at),
                "ServicePreProcessingTimeInMillis": 0,
                "QueryPlanningTimeInMillis": 0,
                "ServiceProcessingTimeInMillis": _millis(self.engine_done_at, self.finished_at),
                "ResultReuseInformation": {"ReusedPreviousResult": False},
            },
            "WorkGroup": self.workgroup,
            "EngineVersion": {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"},
        }
        if (substatement := statements.substatement_type(self.query)) is not None:
            out["SubstatementType"] = substatement
        if self.execution_parameters:
            out["ExecutionParameters"] = list(self.execution_parameters)
        return out


class QueryBook:
    """Athena query executions of one (account, region)."""

    def __init__(self) -> None:
        self.runs: dict[str, QueryRun] = {}
        self.tokens: dict[str, str] = {}


def query_book(backend: AthenaBackend) -> QueryBook:
    return backend_state(backend, "athena_queries", QueryBook)


def _csv_field(text: str | None) -> str:
    # Athena quotes every value and leaves a NULL empty, so NULL and '' differ ("" is the empty text).
    return "" if text is None else '"' + text.replace('"', '""') + '"'


def _results_csv(table: ResultTable) -> bytes:
    lines = [",".join(_csv_field(column.name) for column in table.columns)]
    lines += [",".join(_csv_field(athena_text(v)) for v in row) for row in table.rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _results_txt(table: ResultTable) -> bytes:
    lines = ["\t".join(athena_text(v) or "" for v in row) for row in table.rows]
    return ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")


class AthenaEngine:
    """Runs Athena queries with DuckDB and answers the query execution APIs."""

    def __init__(self, sql_engine: SqlEngine | None = None):
        self.sql = sql_engine or SqlEngine()
        self._lock = threading.RLock()
        self._live: set[QueryRun] = set()

    # --- API ---------------------------------------------------------------

    def start_query_execution(
        self,
        backend: AthenaBackend,
        query: str,
        *,
        client_request_token: str | None = None,
        context: dict[str, Any] | None = None,
        result_configuration: dict[str, Any] | None = None,
        workgroup: str | None = None,
        execution_parameters: list[str] | None = None,
    ) -> str:
        book = query_book(backend)
        workgroup = workgroup or "primary"
        statements.check_syntax(query)  # Athena refuses a malformed query at once
        with self._lock:
            if client_request_token and client_request_token in book.tokens:
                existing = book.runs[book.tokens[client_request_token]]
                if existing.query != query:
                    raise InvalidRequestException("Idempotent parameters do not match")
                return existing.query_id
            result_configuration = self._effective_result_configuration(backend, workgroup, result_configuration or {})
            query_id = str(uuid.uuid4())
            statement_type = _statement_type(prepared.executed_query(backend, workgroup, query) or query)
            suffix = ".csv" if statement_type == "DML" else ".txt"
            try:
                output_uri = S3Uri.parse(result_configuration["OutputLocation"]).join(query_id + suffix)
            except S3LocationError as exc:
                raise InvalidRequestException(str(exc)) from exc
            run = QueryRun(
                query_id=query_id,
                query=query,
                account_id=backend.account_id,
                region=backend.region_name,
                workgroup=workgroup,
                context=dict(context or {}),
                result_configuration=result_configuration,
                output_uri=output_uri,
                execution_parameters=list(execution_parameters or []),
                client_request_token=client_request_token,
                statement_type=statement_type,
                enforced_output=self._enforces_output(backend, workgroup),
            )
            book.runs[query_id] = run
            if client_request_token:
                book.tokens[client_request_token] = query_id
            self._live.add(run)
            _announce(run, None)
            threading.Thread(target=self._execute, args=(run,), name=f"athena-{query_id[:8]}", daemon=True).start()
        return query_id

    def get_query_execution(self, backend: AthenaBackend, query_id: str) -> dict[str, Any]:
        with self._lock:
            return self._run(backend, query_id).describe()

    def batch_get_query_execution(self, backend: AthenaBackend, query_ids: list[str]) -> dict[str, Any]:
        if not query_ids or len(query_ids) > MAX_BATCH_IDS:
            raise InvalidRequestException(f"QueryExecutionIds must hold 1 to {MAX_BATCH_IDS} ids")
        found: list[dict[str, Any]] = []
        missing: list[dict[str, Any]] = []
        with self._lock:
            runs = query_book(backend).runs
            for query_id in query_ids:
                if query_id in runs:
                    found.append(runs[query_id].describe())
                else:
                    missing.append(
                        {
                            "QueryExecutionId": query_id,
                            "ErrorCode": "InvalidRequestException",
                            "ErrorMessage": f"QueryExecution {query_id} was not found",
                        }
                    )
        return {"QueryExecutions": found, "UnprocessedQueryExecutionIds": missing}

    def get_query_results(
        self,
        backend: AthenaBackend,
        query_id: str,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> dict[str, Any]:
        """Rows of a SUCCEEDED query (header first for DML), paged by MaxResults."""
        with self._lock:
            run = self._run(backend, query_id)
            if run.state in (QUEUED, RUNNING):
                raise InvalidRequestException(f"Query has not yet finished. Current state: {run.state}")
            if run.state != SUCCEEDED or run.result is None:
                raise InvalidRequestException(
                    f"Query did not finish successfully. Final query state: {run.state}"
                    + (f"\n{run.reason}" if run.reason else "")
                )
            table = run.result
            statement_type = run.statement_type
        page_size = max_results or MAX_RESULT_ROWS
        if not 1 <= page_size <= MAX_RESULT_ROWS:
            raise InvalidRequestException(f"MaxResults must be 1 to {MAX_RESULT_ROWS}")
        try:
            start = int(next_token) if next_token else 0
        except ValueError as exc:
            raise InvalidRequestException("Invalid NextToken") from exc

        header = [tuple(column.name for column in table.columns)] if statement_type == "DML" and table.columns else []
        rows = header + table.rows
        page = rows[start : start + page_size]
        out: dict[str, Any] = {
            "UpdateCount": table.update_count,
            "ResultSet": {
                "Rows": [{"Data": [self._datum(v) for v in row]} for row in page],
                "ResultSetMetadata": {
                    "ColumnInfo": [
                        {
                            "CatalogName": "hive",
                            "SchemaName": "",
                            "TableName": "",
                            "Name": column.name,
                            "Label": column.name,
                            "Type": column.athena_type,
                            "Precision": column.precision,
                            "Scale": column.scale,
                            "Nullable": "UNKNOWN",
                            "CaseSensitive": column.athena_type == "varchar",
                        }
                        for column in table.columns
                    ]
                },
            },
        }
        if start + page_size < len(rows):
            out["NextToken"] = str(start + page_size)
        return out

    def stop_query_execution(self, backend: AthenaBackend, query_id: str) -> None:
        """Cancel a queued or running query; a finished one is left as it is."""
        with self._lock:
            run = self._run(backend, query_id)
            self._cancel(run)

    def list_query_executions(
        self,
        backend: AthenaBackend,
        workgroup: str | None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> tuple[list[str], str | None]:
        workgroup = workgroup or "primary"
        with self._lock:
            ids = [r.query_id for r in reversed(list(query_book(backend).runs.values())) if r.workgroup == workgroup]
        start = int(next_token) if next_token and next_token.isdigit() else 0
        size = max_results or DEFAULT_LIST_SIZE
        page = ids[start : start + size]
        return page, (str(start + size) if start + size < len(ids) else None)

    def shutdown(self, wait_seconds: float = 5.0) -> None:
        """Cancel every query still queued or running."""
        with self._lock:
            live = list(self._live)
            for run in live:
                self._cancel(run)
        deadline = time.monotonic() + wait_seconds
        for run in live:
            run.done.wait(max(0.0, deadline - time.monotonic()))

    # --- internals -------------------------------------------------------------

    @staticmethod
    def _datum(value: Any) -> dict[str, str]:
        text = value if isinstance(value, str) else athena_text(value)
        return {} if text is None else {"VarCharValue": text}

    def _run(self, backend: AthenaBackend, query_id: str) -> QueryRun:
        run = query_book(backend).runs.get(query_id)
        if run is None:
            raise InvalidRequestException(f"QueryExecution {query_id} was not found")
        return run

    @staticmethod
    def _effective_result_configuration(
        backend: AthenaBackend, workgroup: str, requested: dict[str, Any]
    ) -> dict[str, Any]:
        """Athena's rule: an enforcing work group's settings win, else the request's, else the work group's."""
        group = backend.work_groups.get(workgroup)
        if group is None:
            raise InvalidRequestException(f"WorkGroup {workgroup} is not found.")
        config = group.configuration or {}
        group_result = {k: v for k, v in (config.get("ResultConfiguration") or {}).items() if v}
        if config.get("EnforceWorkGroupConfiguration") and group_result.get("OutputLocation"):
            effective = {**requested, **group_result}
        else:
            effective = {**group_result, **requested}
        if not effective.get("OutputLocation"):
            raise InvalidRequestException(NO_OUTPUT_LOCATION)
        return effective

    @staticmethod
    def _enforces_output(backend: AthenaBackend, workgroup: str) -> bool:
        group = backend.work_groups.get(workgroup)
        config = (group.configuration if group is not None else None) or {}
        return bool(config.get("EnforceWorkGroupConfiguration"))

    def _cancel(self, run: QueryRun) -> None:
        # Caller holds the lock.
        if run.state in TERMINAL_STATES:
            return
        run.end(CANCELLED, "Query was cancelled by user")
        if run.session is not None:
            threading.Thread(target=self._interrupt_until_done, args=(run, run.session), daemon=True).start()

    @staticmethod
    def _interrupt_until_done(run: QueryRun, session: SqlSession) -> None:
        # An interrupt that lands before DuckDB starts the statement is lost; repeat it.
        while True:
            try:
                session.interrupt()
            except Exception:
                return
            if run.done.wait(0.05):
                return

    def _execute(self, run: QueryRun) -> None:
        session: SqlSession | None = None
        try:
            with self._lock:
                if run.state != QUEUED:
                    return
                run.move_to(RUNNING)
                run.started_at = time.monotonic()
                session = self.sql.open_session(
                    run.context.get("Database"), account_id=run.account_id, region=run.region,
                    query_id=run.query_id, output_location=run.result_configuration["OutputLocation"],
                    enforced_output=run.enforced_output,
                )
                run.session = session
            try:
                table = prepared.run_statement(run, session.execute, self.sql.parameter_values)
            except SqlCancelled as exc:
                self._end(run, FAILED, str(exc))  # no-op when the user cancelled
                return
            except SqlError as exc:
                self._end(run, FAILED, str(exc))
                return
            with self._lock:
                if run.state != RUNNING:  # cancelled while DuckDB finished anyway
                    return
                run.engine_done_at = time.monotonic()
                run.data_scanned = table.data_scanned_bytes
            body = _results_csv(table) if run.statement_type == "DML" else _results_txt(table)
            try:
                write_object(run.account_id, run.region, run.output_uri, body)
                if run.statement_type == "DML" and table.columns:  # Athena's binary column metadata
                    metadata_uri = S3Uri(run.output_uri.bucket, run.output_uri.key + ".metadata")
                    write_object(run.account_id, run.region, metadata_uri, result_metadata.csv_metadata(table.columns))
            except S3LocationError as exc:
                self._end(run, FAILED, f"Unable to write query results: {exc}")
                return
            with self._lock:
                if run.state == RUNNING:
                    run.result = table
                    run.end(SUCCEEDED)
        except Exception as exc:  # an engine fault must still end the query
            self._end(run, FAILED, f"Local Athena engine error: {exc!r}")
        finally:
            with self._lock:
                self._live.discard(run)
                run.session = None
            run.done.set()
            if session is not None:
                session.close()

    def _end(self, run: QueryRun, state: str, reason: str | None) -> None:
        with self._lock:
            if run.state not in TERMINAL_STATES:
                run.end(state, reason)


# --- API actions, bound onto moto's AthenaResponse by install() ----------------

_ENGINE: AthenaEngine | None = None


def engine() -> AthenaEngine:
    """The process-wide engine (created by ``install``)."""
    if _ENGINE is None:
        raise RuntimeError("embedded_aws.athena.engine.install() has not been called")
    return _ENGINE


def start_query_execution(self: AthenaResponse) -> ActionResult:
    query_id = engine().start_query_execution(
        self.athena_backend,
        self._get_param("QueryString"),
        client_request_token=self._get_param("ClientRequestToken"),
        context=self._get_param("QueryExecutionContext"),
        result_configuration=self._get_param("ResultConfiguration"),
        workgroup=self._get_param("WorkGroup"),
        execution_parameters=self._get_param("ExecutionParameters"),
    )
    return ActionResult({"QueryExecutionId": query_id})


def get_query_execution(self: AthenaResponse) -> ActionResult:
    execution = engine().get_query_execution(self.athena_backend, self._get_param("QueryExecutionId"))
    return ActionResult({"QueryExecution": execution})


def batch_get_query_execution(self: AthenaResponse) -> ActionResult:
    ids = self._get_param("QueryExecutionIds") or []
    return ActionResult(engine().batch_get_query_execution(self.athena_backend, ids))


def get_query_results(self: AthenaResponse) -> ActionResult:
    return ActionResult(
        engine().get_query_results(
            self.athena_backend,
            self._get_param("QueryExecutionId"),
            max_results=self._get_int_param("MaxResults"),
            next_token=self._get_param("NextToken"),
        )
    )


def stop_query_execution(self: AthenaResponse) -> ActionResult:
    engine().stop_query_execution(self.athena_backend, self._get_param("QueryExecutionId"))
    return EmptyResult()


def list_query_executions(self: AthenaResponse) -> ActionResult:
    ids, token = engine().list_query_executions(
        self.athena_backend,
        self._get_param("WorkGroup"),
        max_results=self._get_int_param("MaxResults"),
        next_token=self._get_param("NextToken"),
    )
    result: dict[str, Any] = {"QueryExecutionIds": ids}
    if token:
        result["NextToken"] = token
    return ActionResult(result)


_MOTO_GET_NAMED_QUERY = AthenaResponse.get_named_query


def get_named_query(self: AthenaResponse) -> Any:
    """GetNamedQuery of an id that does not exist: AWS's InvalidRequestException
    (moto answers HTTP 500 with an AttributeError)."""
    query_id = self._get_param("NamedQueryId")
    if self.athena_backend.get_named_query(query_id) is None:
        raise InvalidRequestException(f"NamedQuery {query_id} was not found")
    return _MOTO_GET_NAMED_QUERY(self)


def install() -> AthenaEngine:
    """Bind DuckDB-backed query executions onto moto's Athena API (idempotent)."""
    global _ENGINE
    if _ENGINE is None:
        AthenaResponse.start_query_execution = start_query_execution  # type: ignore[method-assign]
        AthenaResponse.get_query_execution = get_query_execution  # type: ignore[method-assign]
        AthenaResponse.batch_get_query_execution = batch_get_query_execution  # type: ignore[attr-defined]
        AthenaResponse.get_query_results = get_query_results  # type: ignore[method-assign]
        AthenaResponse.stop_query_execution = stop_query_execution  # type: ignore[method-assign]
        AthenaResponse.list_query_executions = list_query_executions  # type: ignore[method-assign]
        AthenaResponse.get_named_query = get_named_query  # type: ignore[method-assign]
        prepared.install()
        _ENGINE = AthenaEngine()
    return _ENGINE
