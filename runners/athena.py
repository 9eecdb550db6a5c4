"""Amazon Athena adapter: idempotent starts via ClientRequestToken, 50 statuses a call."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from botocore.exceptions import ClientError

from .adapter import RunRef, RunStatus, iso
from .errors import AthenaQueryFailedError, InvalidTaskInputError, JobStartFailedError, StartDeferred
from .retry import RetryPolicy, error_code
from .task_input import GATE_FIELD, DependencyGate, dependency_gate, optional_str, optional_str_list, reject_unknown_keys

SUCCEEDED = "SUCCEEDED"
INTERMEDIATE_STATES = frozenset({"QUEUED", "RUNNING"})
FAILURE_STATES = frozenset({"FAILED", "CANCELLED"})
TERMINAL_STATES = FAILURE_STATES | {SUCCEEDED}

BATCH_GET_LIMIT = 50
ENCRYPTION_OPTIONS = ("SSE_S3", "SSE_KMS", "CSE_KMS")
TASK_FIELDS = (
    "AthenaQueryString",
    "AthenaNamedQuery",
    "AthenaDatabase",
    "AthenaCatalog",
    "AthenaResultOutputLocation",
    "AthenaResultEncryptionOption",
    "AthenaResultKmsKey",
    "AthenaWorkGroup",
    "ExecutionParameters",
    GATE_FIELD,
)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class AthenaRequest:
    query_string: str | None
    named_query: str | None
    database: str | None
    catalog: str | None
    output_location: str | None
    encryption_option: str | None
    kms_key: str | None
    workgroup: str | None
    execution_parameters: list[str] | None
    gate: DependencyGate | None = None  # held by the lifecycle, never sent to Athena


class AthenaAdapter:
    kind = "athena"
    failure_error = AthenaQueryFailedError

    def __init__(self, athena_client: Any, retry: RetryPolicy = RetryPolicy()) -> None:
        self._athena = athena_client
        self._retry = retry

    def _call(self, fn: Any, **kwargs: Any) -> Any:
        return self._retry.call(fn, **kwargs)

    # -- input ---------------------------------------------------------------
    def parse(self, payload: dict[str, Any]) -> AthenaRequest:
        reject_unknown_keys(payload, TASK_FIELDS)
        query = optional_str(payload, "AthenaQueryString", max_len=262144)
        named = optional_str(payload, "AthenaNamedQuery", max_len=256)
        if (query is None) == (named is None):
            raise InvalidTaskInputError("exactly one of AthenaQueryString or AthenaNamedQuery is required")
        output = optional_str(payload, "AthenaResultOutputLocation", max_len=1024)
        if output is not None and not output.startswith("s3://"):
            raise InvalidTaskInputError(f"AthenaResultOutputLocation must be an s3:// URI, got {output!r}")
        encryption = optional_str(payload, "AthenaResultEncryptionOption", choices=ENCRYPTION_OPTIONS)
        kms_key = optional_str(payload, "AthenaResultKmsKey", max_len=2048)
        if kms_key and encryption not in ("SSE_KMS", "CSE_KMS"):
            raise InvalidTaskInputError("AthenaResultKmsKey needs AthenaResultEncryptionOption SSE_KMS or CSE_KMS")
        if encryption in ("SSE_KMS", "CSE_KMS") and not kms_key:
            raise InvalidTaskInputError(f"AthenaResultEncryptionOption {encryption} needs AthenaResultKmsKey")
        return AthenaRequest(
            query_string=query,
            named_query=named,
            database=optional_str(payload, "AthenaDatabase", max_len=255),
            catalog=optional_str(payload, "AthenaCatalog", max_len=255),
            output_location=output,
            encryption_option=encryption,
            kms_key=kms_key,
            workgroup=optional_str(payload, "AthenaWorkGroup", max_len=128),
            execution_parameters=optional_str_list(payload, "ExecutionParameters"),
            gate=dependency_gate(payload),
        )

    def group_of(self, request: AthenaRequest) -> str | None:
        return request.workgroup

    # -- start ---------------------------------------------------------------
    def start(self, task_id: str, request: AthenaRequest) -> str:
        query, database = request.query_string, request.database
        if request.named_query is not None:
            named = self._resolve_named_query(request.named_query, request.workgroup)
            query, database = named["QueryString"], database or named.get("Database")
        kwargs: dict[str, Any] = {"QueryString": query, "ClientRequestToken": task_id}
        context = {k: v for k, v in (("Database", database), ("Catalog", request.catalog)) if v}
        if context:
            kwargs["QueryExecutionContext"] = context
        result_config: dict[str, Any] = {}
        if request.output_location:
            result_config["OutputLocation"] = request.output_location
        if request.encryption_option:
            encryption = {"EncryptionOption": request.encryption_option}
            if request.kms_key:
                encryption["KmsKey"] = request.kms_key
            result_config["EncryptionConfiguration"] = encryption
        if result_config:
            kwargs["ResultConfiguration"] = result_config
        if request.workgroup:
            kwargs["WorkGroup"] = request.workgroup
        if request.execution_parameters:
            kwargs["ExecutionParameters"] = request.execution_parameters
        try:
            # Safe to retry: ClientRequestToken makes the start idempotent.
            return self._call(self._athena.start_query_execution, **kwargs)["QueryExecutionId"]
        except ClientError as exc:
            code, message = error_code(exc), exc.response.get("Error", {}).get("Message", str(exc))
            if code == "TooManyRequestsException":
                raise StartDeferred(f"{code}: {message}") from None
            if code in ("InvalidRequestException", "ResourceNotFoundException", "AccessDeniedException"):
                raise JobStartFailedError(f"Athena refused the query: {message}", errorCode=code) from None
            raise

    def _resolve_named_query(self, name_or_id: str, workgroup: str | None) -> dict[str, Any]:
        """The sample names queries by *name*; an id works too."""
        if _UUID.match(name_or_id):
            try:
                return self._call(self._athena.get_named_query, NamedQueryId=name_or_id)["NamedQuery"]
            except ClientError as exc:
                if error_code(exc) not in ("InvalidRequestException", "ResourceNotFoundException"):
                    raise
        kwargs: dict[str, Any] = {"WorkGroup": workgroup} if workgroup else {}
        paginator = self._athena.get_paginator("list_named_queries")
        for page in paginator.paginate(**kwargs):
            for named_id in page.get("NamedQueryIds", []):
                named = self._call(self._athena.get_named_query, NamedQueryId=named_id)["NamedQuery"]
                if named.get("Name") == name_or_id:
                    return named
        raise InvalidTaskInputError(f"no Athena named query called {name_or_id!r}", namedQuery=name_or_id)

    def find_started(self, task_id: str, request: AthenaRequest, since: datetime) -> str | None:
        return None  # start() is idempotent by ClientRequestToken

    # -- status --------------------------------------------------------------
    def statuses(self, runs: Sequence[RunRef]) -> dict[str, RunStatus]:
        ids = sorted({ref.run_id for ref in runs})
        result: dict[str, RunStatus] = {}
        for offset in range(0, len(ids), BATCH_GET_LIMIT):
            chunk = ids[offset : offset + BATCH_GET_LIMIT]
            response = self._call(self._athena.batch_get_query_execution, QueryExecutionIds=chunk)
            for execution in response.get("QueryExecutions", []):
                result[execution["QueryExecutionId"]] = to_status(execution)
            for unprocessed in response.get("UnprocessedQueryExecutionIds", []):
                if unprocessed.get("ErrorCode") in ("InvalidRequestException", "ResourceNotFoundException"):
                    qid = unprocessed["QueryExecutionId"]
                    result[qid] = RunStatus("NOT_FOUND", True, False, error_message=unprocessed.get("ErrorMessage") or f"query {qid} not found")
        return result

    def stop(self, run: RunRef) -> None:
        self._call(self._athena.stop_query_execution, QueryExecutionId=run.run_id)


def to_status(execution: dict[str, Any]) -> RunStatus:
    status = execution.get("Status", {})
    stats = execution.get("Statistics", {})
    state = status.get("State", "UNKNOWN")
    output = {
        "QueryExecutionId": execution.get("QueryExecutionId"),
        "State": state,
        "SubmissionDateTime": iso(status.get("SubmissionDateTime")),
        "CompletionDateTime": iso(status.get("CompletionDateTime")),
        "DataScannedInBytes": stats.get("DataScannedInBytes"),
        "EngineExecutionTimeInMillis": stats.get("EngineExecutionTimeInMillis"),
        "TotalExecutionTimeInMillis": stats.get("TotalExecutionTimeInMillis"),
        "QueryQueueTimeInMillis": stats.get("QueryQueueTimeInMillis"),
        "OutputLocation": execution.get("ResultConfiguration", {}).get("OutputLocation"),
        "Database": execution.get("QueryExecutionContext", {}).get("Database"),
        "WorkGroup": execution.get("WorkGroup"),
    }
    if status.get("StateChangeReason"):
        output["StateChangeReason"] = status["StateChangeReason"]
    terminal = state in TERMINAL_STATES
    return RunStatus(state, terminal, state == SUCCEEDED, output, status.get("StateChangeReason"))


def status_from_event(detail: dict[str, Any], ended: datetime | None, submitted: datetime | None, request: AthenaRequest | None) -> RunStatus:
    """A query's end as its "Athena Query State Change" event tells it,
    without a GetQueryExecution: id, state, work group, statement type, and
    the error of a FAILED query (``athenaError``). ``SubmissionDateTime`` is
    when the runner recorded the start, ``CompletionDateTime`` the event's
    time (to the second). ``OutputLocation`` is where the task asked for the
    results (``<location><id>.csv`` for DML, ``.txt`` otherwise), so it is
    absent when the task named none, and a work group that enforces its own
    location overrides it; statistics (DataScannedInBytes, ...) and the
    enforced location need a status call (``ETL_DESCRIBE_ON_EVENT``)."""
    state = str(detail.get("currentState", "UNKNOWN"))
    query_id = detail.get("queryExecutionId")
    output: dict[str, Any] = {
        "QueryExecutionId": query_id,
        "State": state,
        "SubmissionDateTime": iso(submitted),
        "CompletionDateTime": iso(ended),
        "StatementType": detail.get("statementType"),
        "WorkGroup": detail.get("workgroupName"),
    }
    if request is not None and request.output_location:
        suffix = ".csv" if detail.get("statementType") == "DML" else ".txt"
        output["OutputLocation"] = f"{request.output_location.rstrip('/')}/{query_id}{suffix}"
        output["Database"] = request.database
    message = (detail.get("athenaError") or {}).get("errorMessage")
    if message:
        output["StateChangeReason"] = message
    return RunStatus(state, state in TERMINAL_STATES, state == SUCCEEDED, output, message)
