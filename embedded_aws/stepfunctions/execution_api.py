"""DescribeExecution, ListExecutions and GetExecutionHistory answered as the API reference documents.

moto 5.2.5 deviations fixed here:

* DescribeExecution returned a bare string result as-is (``hello``), not as
  the JSON text AWS returns (``"hello"``); it had no ``inputDetails``,
  ``redriveCount``, ``redriveStatus``, ``redriveStatusReason``,
  ``redriveDate``.
* ListExecutions had no ``redriveFilter`` (REDRIVEN / NOT_REDRIVEN) and no
  ``redriveCount``/``redriveDate`` per execution.
* GetExecutionHistory ignored ``maxResults`` (default 100, at most 1000),
  ``nextToken``, ``reverseOrder`` and ``includeExecutionData`` (false: no
  ``input``/``output`` in the events).

Page tokens are opaque to clients; an unknown one answers InvalidToken.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from moto.core.responses import ActionResult
from moto.stepfunctions import responses as sfn_responses
from moto.stepfunctions.parser.backend.execution import Execution

from embedded_aws.stepfunctions import redrive
from embedded_aws.stepfunctions.errors import api_error

HISTORY_PAGE_DEFAULT = 100
PAGE_MAX = 1000
LIST_PAGE_DEFAULT = 100
_ENDED = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
_DATA_FIELDS = ("input", "output")


def _json_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# --- page tokens ---------------------------------------------------------------------------


def _encode_token(kind: str, offset: int, key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([kind, offset, key]).encode()).decode()


def _decode_token(token: str | None, kind: str, key: str) -> int:
    if not token:
        return 0
    try:
        found_kind, offset, found_key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        raise api_error("InvalidToken", f"Invalid Token: '{token}'")
    if found_kind != kind or found_key != key or not isinstance(offset, int) or offset < 0:
        raise api_error("InvalidToken", f"Invalid Token: '{token}'")
    return offset


def _page_size(value: Any, default: int) -> int:
    if value in (None, 0):
        return default
    if not 0 <= int(value) <= PAGE_MAX:
        raise api_error("ValidationException", f"1 validation error detected: Value '{value}' at 'maxResults' failed to satisfy "
                                  f"constraint: Member must have value less than or equal to {PAGE_MAX}")
    return int(value)


# --- DescribeExecution ------------------------------------------------------------------------


def describe(execution: Any) -> dict[str, Any]:
    """DescribeExecution's answer for one execution."""
    response: dict[str, Any] = {
        "executionArn": execution.execution_arn,
        "stateMachineArn": execution.state_machine_arn,
        "name": execution.name,
        "status": execution.status,
        "startDate": execution.start_date,
        "input": execution.execution_input,
        "inputDetails": {"included": True},
    }
    if execution.status in _ENDED and execution.stop_date is not None:
        response["stopDate"] = execution.stop_date
    if execution.status == "SUCCEEDED":
        output = execution.output
        response["output"] = _json_text(output) if isinstance(execution, Execution) or not isinstance(output, str) else output
        response["outputDetails"] = {"included": True}
    if execution.error is not None:
        response["error"] = execution.error
    if execution.cause is not None:
        response["cause"] = execution.cause
    if isinstance(execution, Execution):
        response.update(redrive.redrive_fields(execution))
    return response


def describe_execution(self: sfn_responses.StepFunctionResponse) -> ActionResult:
    return ActionResult(describe(self.stepfunction_backend.describe_execution(self._get_param("executionArn"))))


# --- ListExecutions ---------------------------------------------------------------------------


def _list_item(execution: Any, state_machine_arn: str) -> dict[str, Any]:
    item = {
        "executionArn": execution.execution_arn,
        "stateMachineArn": state_machine_arn,
        "name": execution.name,
        "status": execution.status,
        "startDate": execution.start_date,
    }
    if execution.status in _ENDED and execution.stop_date is not None:
        item["stopDate"] = execution.stop_date
    if isinstance(execution, Execution):
        item["redriveCount"] = redrive.redrive_count(execution)
        if redrive.redrive_date(execution) is not None:
            item["redriveDate"] = redrive.redrive_date(execution)
    return item


def list_executions(self: sfn_responses.StepFunctionResponse) -> ActionResult:
    arn = self._get_param("stateMachineArn")
    state_machine = self.stepfunction_backend.describe_state_machine(arn)
    status_filter = self._get_param("statusFilter")
    redrive_filter = self._get_param("redriveFilter")
    if redrive_filter not in (None, "REDRIVEN", "NOT_REDRIVEN"):
        raise api_error("ValidationException", f"1 validation error detected: Value '{redrive_filter}' at 'redriveFilter' failed "
                                  "to satisfy constraint: Member must satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]")
    executions = [
        e for e in state_machine.executions
        if (status_filter is None or e.status == status_filter)
        and (redrive_filter is None or (redrive.redrive_count(e) > 0) == (redrive_filter == "REDRIVEN"))
    ]
    executions.sort(key=lambda e: e.start_date, reverse=True)
    key = f"{arn}|{status_filter}|{redrive_filter}"
    offset = _decode_token(self._get_param("nextToken"), "executions", key)
    size = _page_size(self._get_int_param("maxResults"), LIST_PAGE_DEFAULT)
    page = executions[offset:offset + size]
    response: dict[str, Any] = {"executions": [_list_item(e, state_machine.arn) for e in page]}
    if offset + size < len(executions):
        response["nextToken"] = _encode_token("executions", offset + size, key)
    return ActionResult(response)


# --- GetExecutionHistory ------------------------------------------------------------------------


def _without_data(event: dict[str, Any]) -> dict[str, Any]:
    event = copy.deepcopy(event)
    for value in event.values():
        if isinstance(value, dict):
            for field in _DATA_FIELDS:
                value.pop(field, None)
    return event


def history_page(events: list[dict[str, Any]], arn: str, max_results: Any, token: str | None,
                 reverse: bool, include_data: bool) -> dict[str, Any]:
    """One page of an execution's history as GetExecutionHistory returns it."""
    ordered = list(reversed(events)) if reverse else list(events)
    key = f"{arn}|{reverse}"
    offset = _decode_token(token, "history", key)
    size = _page_size(max_results, HISTORY_PAGE_DEFAULT)
    page = ordered[offset:offset + size]
    response: dict[str, Any] = {"events": page if include_data else [_without_data(e) for e in page]}
    if offset + size < len(ordered):
        response["nextToken"] = _encode_token("history", offset + size, key)
    return response


def get_execution_history(self: sfn_responses.StepFunctionResponse) -> ActionResult:
    arn = self._get_param("executionArn")
    events = self.stepfunction_backend.get_execution_history(arn)["events"]
    include = self._get_param("includeExecutionData")
    return ActionResult(history_page(
        events, arn, self._get_int_param("maxResults"), self._get_param("nextToken"),
        bool(self._get_param("reverseOrder")), include is None or bool(include),
    ))


_INSTALLED = False


def install() -> None:
    """Replace moto's three execution read APIs (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    response = sfn_responses.StepFunctionResponse
    response.describe_execution = describe_execution  # type: ignore[method-assign]
    response.list_executions = list_executions  # type: ignore[method-assign]
    response.get_execution_history = get_execution_history  # type: ignore[method-assign]
    _INSTALLED = True
