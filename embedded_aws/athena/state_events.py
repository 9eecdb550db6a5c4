"""Athena Query State Change events on the default EventBridge bus.

As the Athena user guide ("Monitoring Athena queries with EventBridge
events") documents: whenever a query changes state Athena puts an event,
source ``aws.athena``, detail-type ``Athena Query State Change``, empty
``resources``, whose ``detail`` holds ``versionId`` ("0"), ``currentState``,
``previousState``, ``statementType`` (DDL, DML or UTILITY),
``queryExecutionId``, ``workgroupName`` and ``sequenceNumber`` (a string that
grows with each transition of one query; a repeated delivery keeps its
number). A query therefore announces QUEUED (sequence "1", no
``previousState``), RUNNING ("2") and its end ("3"); one cancelled while
queued goes QUEUED -> CANCELLED. A FAILED query's event also carries
``athenaError`` (``errorCategory``, ``errorType``, ``errorMessage``,
``retryable``), the query's AthenaError. moto sends none of these events.
Delivery is best effort on AWS; ``embedded_aws.events.faults`` lets a test
lose, repeat or delay them.
"""

from __future__ import annotations

from typing import Any

from embedded_aws.athena import engine
from embedded_aws.athena import errors as athena_errors
from embedded_aws.events.emitter import EMITTER

SOURCE = "aws.athena"
DETAIL_TYPE = "Athena Query State Change"


def detail(run: engine.QueryRun, previous: str | None) -> dict[str, Any]:
    """The event's ``detail`` for the query's state as it is now."""
    out: dict[str, Any] = {"versionId": "0", "currentState": run.state}
    if previous is not None:
        out["previousState"] = previous
    out.update({
        "statementType": run.statement_type,
        "queryExecutionId": run.query_id,
        "workgroupName": run.workgroup,
        "sequenceNumber": str(run.sequence),
    })
    if run.state == engine.FAILED:
        error = athena_errors.athena_error(run.reason)
        out["athenaError"] = {
            "errorCategory": error["ErrorCategory"],
            "errorType": error["ErrorType"],
            "errorMessage": error["ErrorMessage"],
            "retryable": error["Retryable"],
        }
    return out


def on_state_change(run: engine.QueryRun, previous: str | None) -> None:
    EMITTER.emit(run.account_id, run.region, SOURCE, DETAIL_TYPE, detail(run, previous), [])


def install() -> None:
    """Queries put their state changes on EventBridge (idempotent)."""
    if on_state_change not in engine.state_listeners:
        engine.state_listeners.append(on_state_change)
