"""Step Functions Execution Status Change events on the default EventBridge bus.

As the Step Functions developer guide ("EventBridge events for Step Functions
execution status changes") documents: a Standard execution puts an event
when it starts (RUNNING) and when it ends (SUCCEEDED, FAILED, TIMED_OUT,
ABORTED); Express executions put none. The ``detail`` holds what
DescribeExecution says (executionArn, stateMachineArn, name, status,
startDate and stopDate in epoch milliseconds, input, output, error, cause)
with ``inputDetails``/``outputDetails``; if the escaped input and output
together exceed 248 KB the input is left out (``included: false``), and an
escaped output over 248 KB is left out too. moto emits none of these.

Where executions start and end: ``Execution.start`` (wrapped here), the end
of the interpreter (``executions._terminated``), StopExecution
(``executions.stop``) and RedriveExecution (``redrive.redrive``, which runs
the execution again: RUNNING, then its new end).
"""

from __future__ import annotations

import datetime
import inspect
import json
from typing import Any, Callable

from moto.stepfunctions.parser.api import ExecutionStatus, StateMachineType
from moto.stepfunctions.parser.backend.execution import Execution

from embedded_aws.compat import EmulatorCompatibilityError
from embedded_aws.events import delivery

SOURCE = "aws.states"
DETAIL_TYPE = "Step Functions Execution Status Change"
PAYLOAD_LIMIT = 248 * 1024


def _millis(moment: datetime.datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def _escaped_size(text: str | None) -> int:
    return 0 if text is None else len(json.dumps(text).encode("utf-8"))


def detail(execution: Any) -> dict[str, Any]:
    """The event's ``detail`` for the execution as it is now."""
    from embedded_aws.stepfunctions.execution_api import describe

    described = describe(execution)
    input_text: str | None = described["input"]
    output_text: str | None = described.get("output")
    input_details: dict[str, bool] | None = {"included": True}
    output_details: dict[str, bool] | None = {"included": True} if output_text is not None else None
    if _escaped_size(output_text) > PAYLOAD_LIMIT:
        output_text, output_details = None, {"included": False}
    if _escaped_size(input_text) + _escaped_size(output_text) > PAYLOAD_LIMIT:
        input_text, input_details = None, {"included": False}
    return {
        "executionArn": described["executionArn"],
        "stateMachineArn": described["stateMachineArn"],
        "name": described["name"],
        "status": described["status"],
        "startDate": _millis(described["startDate"]),
        "stopDate": _millis(described.get("stopDate")),
        "input": input_text,
        "inputDetails": input_details,
        "output": output_text,
        "outputDetails": output_details,
        "error": described.get("error"),
        "cause": described.get("cause"),
    }


def is_express(execution: Any) -> bool:
    """moto keeps a state machine's type in ``type`` (its ``sm_type`` always says STANDARD)."""
    kind = getattr(getattr(execution, "state_machine", None), "type", None) or getattr(execution, "sm_type", None)
    return str(getattr(kind, "value", kind)) == StateMachineType.EXPRESS.value


def emit(execution: Any) -> None:
    """Put the execution's current status on the default bus (Standard executions only)."""
    if is_express(execution):
        return
    delivery.put_event(execution.account_id, execution.region_name, SOURCE, DETAIL_TYPE, detail(execution),
                       [execution.exec_arn])


_moto_start: Callable[[Execution], None] | None = None


def _start(self: Execution) -> None:
    """RUNNING is announced before the interpreter runs, so it precedes the end's event."""
    self.exec_status = ExecutionStatus.RUNNING
    emit(self)
    _moto_start(self)  # type: ignore[misc]


def _check() -> None:
    problems: list[str] = []
    for name in ("start", "account_id", "region_name", "exec_arn", "exec_status", "state_machine"):
        if not hasattr(Execution, name) and name not in Execution.__annotations__:
            problems.append(f"parser Execution has no {name} (embedded_aws.stepfunctions.status_events)")
    from moto.stepfunctions import models as sfn_models

    if 'self.type = sm_type or "STANDARD"' not in inspect.getsource(sfn_models):
        problems.append("moto's StateMachine no longer keeps its type in .type (embedded_aws.stepfunctions.status_events)")
    if problems:
        raise EmulatorCompatibilityError(problems)


def install() -> None:
    """Standard executions put their status changes on EventBridge (idempotent)."""
    global _moto_start
    if _moto_start is not None:
        return
    _check()
    _moto_start = Execution.start
    Execution.start = _start  # type: ignore[method-assign]
