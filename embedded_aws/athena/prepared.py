"""Athena prepared statements: the six APIs and the PREPARE / EXECUTE / DEALLOCATE statements.

A prepared statement belongs to a work group: ``CreatePreparedStatement``
and ``PREPARE name FROM ...`` store one, ``EXECUTE name [USING v, ...]``
runs it with its ``?`` parameters bound (``USING`` values, else the query's
``ExecutionParameters``), and ``DeallocatePreparedStatement`` /
``DEALLOCATE PREPARE name`` remove it. Both paths share one book per
(account, region), keyed by (work group, name); moto's own book (keyed by
name only) is replaced.

Errors follow the API reference: an unknown work group or a bad argument is
``InvalidRequestException``; an unknown statement is
``ResourceNotFoundException`` for Get/Update/Delete, and a
``STATEMENT_NOT_FOUND`` (or ``INVALID_INPUT``) row in
``UnprocessedPreparedStatementNames`` for BatchGet. In SQL, an unknown statement fails the query with Trino's
``NOT_FOUND: Prepared statement not found: name``.
"""

from __future__ import annotations

import datetime
import json
import re
import threading
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from moto.athena.models import AthenaBackend, athena_backends
from moto.athena.responses import AthenaResponse
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult, EmptyResult

from embedded_aws.backend_state import backend_state
from embedded_aws.athena.results import ResultTable, SqlError, parse_literal

MAX_LIST = 50
MAX_BATCH = 256
_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_@:]{1,256}")  # the API reference's pattern
_PREPARE = re.compile(r"\s*PREPARE\s+(\S+)\s+FROM\s+(.*?)\s*;?\s*$", re.IGNORECASE | re.DOTALL)
_EXECUTE = re.compile(r"\s*EXECUTE\s+([^\s;]+)(?:\s+USING\s+(.*?))?\s*;?\s*$", re.IGNORECASE | re.DOTALL)
_DEALLOCATE = re.compile(r"\s*DEALLOCATE\s+PREPARE\s+([^\s;]+)\s*;?\s*$", re.IGNORECASE | re.DOTALL)


class InvalidRequest(JsonRESTError):
    code = 400

    def __init__(self, message: str):
        super().__init__("InvalidRequestException", message)


class ResourceNotFound(JsonRESTError):
    code = 400

    def __init__(self, message: str, name: str):
        super().__init__("ResourceNotFoundException", message)
        self.description = json.dumps(
            {"__type": "ResourceNotFoundException", "Message": message, "ResourceName": name}
        )


@dataclass
class PreparedStatement:
    name: str
    workgroup: str
    query: str
    description: str | None
    modified: datetime.datetime

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "StatementName": self.name,
            "QueryStatement": self.query,
            "WorkGroupName": self.workgroup,
            "LastModifiedTime": self.modified,
        }
        if self.description is not None:
            out["Description"] = self.description
        return out


class PreparedBook:
    """Prepared statements of one (account, region), by (work group, name)."""

    def __init__(self) -> None:
        self.statements: dict[tuple[str, str], PreparedStatement] = {}
        self.lock = threading.Lock()

    def put(self, workgroup: str, name: str, query: str, description: str | None) -> None:
        with self.lock:
            now = datetime.datetime.now(tz=datetime.timezone.utc)
            self.statements[(workgroup, name)] = PreparedStatement(name, workgroup, query, description, now)

    def get(self, workgroup: str, name: str) -> PreparedStatement | None:
        with self.lock:
            return self.statements.get((workgroup, name))

    def remove(self, workgroup: str, name: str) -> bool:
        with self.lock:
            return self.statements.pop((workgroup, name), None) is not None

    def in_group(self, workgroup: str) -> list[PreparedStatement]:
        with self.lock:
            return sorted((s for (g, _), s in self.statements.items() if g == workgroup), key=lambda s: s.name)


def book(backend: AthenaBackend) -> PreparedBook:
    return backend_state(backend, "athena_prepared_statements", PreparedBook)


# --- SQL statements --------------------------------------------------------------------


def _split_values(text: str) -> list[str]:
    """``'a, b', 1, DATE '2020-01-01'`` -> the literals, split on top-level commas."""
    values, current, quoted, depth = [], [], False, 0
    for char in text:
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            values.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    if "".join(current).strip():
        values.append("".join(current).strip())
    return values


def _using_value(text: str) -> Any:
    value = parse_literal(text)
    if isinstance(value, str) and value == text:  # not a literal: an expression
        raise SqlError(
            f"NOT_SUPPORTED: EXECUTE ... USING {text.strip()}: only literal values are supported by the local Athena engine"
        )
    return value


def executed_query(backend: AthenaBackend, workgroup: str, query: str) -> str | None:
    """The query an ``EXECUTE`` statement runs (None if it is not one, or names no statement)."""
    match = _EXECUTE.match(query)
    if match is None:
        return None
    statement = book(backend).get(workgroup, match.group(1))
    return statement.query if statement is not None else None


def run_statement(
    run: Any,
    execute: Callable[[str, Sequence[Any]], ResultTable],
    parameter_values: Callable[[Sequence[str]], list[Any]],
) -> ResultTable:
    """Run ``run.query``: PREPARE / EXECUTE / DEALLOCATE here, anything else by ``execute``."""
    backend = athena_backends[run.account_id][run.region]
    statements = book(backend)
    if match := _PREPARE.match(run.query):
        name, body = match.group(1), match.group(2)
        statements.put(run.workgroup, name, body, None)
        return ResultTable([], [])
    if match := _DEALLOCATE.match(run.query):
        if not statements.remove(run.workgroup, match.group(1)):
            raise SqlError(f"NOT_FOUND: Prepared statement not found: {match.group(1)}")
        return ResultTable([], [])
    if match := _EXECUTE.match(run.query):
        statement = statements.get(run.workgroup, match.group(1))
        if statement is None:
            raise SqlError(f"NOT_FOUND: Prepared statement not found: {match.group(1)}")
        if match.group(2):
            values = [_using_value(v) for v in _split_values(match.group(2))]
        else:
            values = parameter_values(run.execution_parameters)
        return execute(statement.query, values)
    return execute(run.query, parameter_values(run.execution_parameters))


# --- APIs --------------------------------------------------------------------------------


def _workgroup(response: AthenaResponse) -> str:
    name = response._get_param("WorkGroup")
    if not name or response.athena_backend.work_groups.get(name) is None:
        raise InvalidRequest(f"WorkGroup {name} is not found.")
    return name


def _statement_name(response: AthenaResponse) -> str:
    name = response._get_param("StatementName")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidRequest(f"Invalid StatementName: {name}")
    return name


def _not_found(name: str, workgroup: str) -> ResourceNotFound:
    return ResourceNotFound(f"Prepared statement {name} does not exist in work group {workgroup}", name)


def _query_statement(response: AthenaResponse) -> str:
    query = response._get_param("QueryStatement")
    if not isinstance(query, str) or not query.strip():
        raise InvalidRequest("QueryStatement is required")
    return query


def create_prepared_statement(self: AthenaResponse) -> ActionResult:
    workgroup, name = _workgroup(self), _statement_name(self)
    query = _query_statement(self)
    statements = book(self.athena_backend)
    if statements.get(workgroup, name) is not None:
        raise InvalidRequest(f"Prepared statement {name} already exists in work group {workgroup}")
    statements.put(workgroup, name, query, self._get_param("Description"))
    return EmptyResult()


def get_prepared_statement(self: AthenaResponse) -> ActionResult:
    workgroup, name = _workgroup(self), _statement_name(self)
    statement = book(self.athena_backend).get(workgroup, name)
    if statement is None:
        raise _not_found(name, workgroup)
    return ActionResult({"PreparedStatement": statement.describe()})


def update_prepared_statement(self: AthenaResponse) -> ActionResult:
    workgroup, name = _workgroup(self), _statement_name(self)
    query = _query_statement(self)
    statements = book(self.athena_backend)
    if statements.get(workgroup, name) is None:
        raise _not_found(name, workgroup)
    statements.put(workgroup, name, query, self._get_param("Description"))
    return EmptyResult()


def delete_prepared_statement(self: AthenaResponse) -> ActionResult:
    workgroup, name = _workgroup(self), _statement_name(self)
    if not book(self.athena_backend).remove(workgroup, name):
        raise _not_found(name, workgroup)
    return EmptyResult()


def list_prepared_statements(self: AthenaResponse) -> ActionResult:
    workgroup = _workgroup(self)
    size = self._get_int_param("MaxResults") or MAX_LIST
    if not 1 <= size <= MAX_LIST:
        raise InvalidRequest(f"MaxResults must be 1 to {MAX_LIST}")
    token = self._get_param("NextToken")
    statements = book(self.athena_backend).in_group(workgroup)
    start = 0
    if token:
        names = [s.name for s in statements]
        if token not in names:
            raise InvalidRequest("Invalid NextToken")
        start = names.index(token) + 1
    page = statements[start : start + size]
    out: dict[str, Any] = {
        "PreparedStatements": [{"StatementName": s.name, "LastModifiedTime": s.modified} for s in page]
    }
    if start + size < len(statements):
        out["NextToken"] = page[-1].name
    return ActionResult(out)


def batch_get_prepared_statement(self: AthenaResponse) -> ActionResult:
    workgroup = _workgroup(self)
    names = self._get_param("PreparedStatementNames") or []
    if not 1 <= len(names) <= MAX_BATCH:
        raise InvalidRequest(f"PreparedStatementNames must hold 1 to {MAX_BATCH} names")
    statements = book(self.athena_backend)
    found, missing = [], []
    for name in names:
        statement = statements.get(workgroup, name) if isinstance(name, str) and _NAME.fullmatch(name) else None
        if statement is not None:
            found.append(statement.describe())
            continue
        # The API reference names the reasons: INVALID_INPUT, STATEMENT_NOT_FOUND, UNAUTHORIZED.
        reason = "STATEMENT_NOT_FOUND" if isinstance(name, str) and _NAME.fullmatch(name) else "INVALID_INPUT"
        detail = (
            f"Prepared statement {name} does not exist in work group {workgroup}"
            if reason == "STATEMENT_NOT_FOUND"
            else f"Invalid prepared statement name: {name}"
        )
        missing.append({"StatementName": name, "ErrorCode": reason, "ErrorMessage": f"{reason} - {detail}"})
    return ActionResult({"PreparedStatements": found, "UnprocessedPreparedStatementNames": missing})


def install() -> None:
    """Bind the prepared-statement APIs onto moto's AthenaResponse (idempotent)."""
    AthenaResponse.create_prepared_statement = create_prepared_statement  # type: ignore[method-assign]
    AthenaResponse.get_prepared_statement = get_prepared_statement  # type: ignore[method-assign]
    AthenaResponse.update_prepared_statement = update_prepared_statement  # type: ignore[attr-defined]
    AthenaResponse.delete_prepared_statement = delete_prepared_statement  # type: ignore[attr-defined]
    AthenaResponse.list_prepared_statements = list_prepared_statements  # type: ignore[attr-defined]
    AthenaResponse.batch_get_prepared_statement = batch_get_prepared_statement  # type: ignore[attr-defined]
