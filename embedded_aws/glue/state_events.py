"""Glue Job State Change events on the default EventBridge bus.

As the Glue developer guide ("Automating AWS Glue with EventBridge")
documents: a job run that ends SUCCEEDED, FAILED, TIMEOUT or STOPPED puts
one event, source ``aws.glue``, detail-type ``Glue Job State Change``, empty
``resources``, and a ``detail`` of ``jobName``, ``severity``, ``state``,
``jobRunId`` and ``message``::

    SUCCEEDED  INFO   "Job run succeeded"
    FAILED     ERROR  the run's error message
    TIMEOUT    WARN   "Job run timed out"
    STOPPED    INFO   "Job run stopped"

No event is documented for the other states (STARTING, RUNNING, STOPPING,
WAITING) nor for ERROR and EXPIRED, so none is sent for them: a consumer
must find those ends by asking (GetJobRun). moto sends none of these events.
Delivery is best effort on AWS; ``embedded_aws.events.faults`` lets a test
lose, repeat or delay them.
"""

from __future__ import annotations

from typing import Any

from embedded_aws.events.emitter import EMITTER
from embedded_aws.glue import engine

SOURCE = "aws.glue"
DETAIL_TYPE = "Glue Job State Change"
SEVERITY_AND_MESSAGE = {
    engine.SUCCEEDED: ("INFO", "Job run succeeded"),
    engine.FAILED: ("ERROR", None),  # the run's own error message
    engine.TIMEOUT: ("WARN", "Job run timed out"),
    engine.STOPPED: ("INFO", "Job run stopped"),
}


def detail(run: engine.GlueRun) -> dict[str, Any]:
    """The event's ``detail`` for a run that has just ended."""
    severity, message = SEVERITY_AND_MESSAGE[run.state]
    return {
        "jobName": run.job.name,
        "severity": severity,
        "state": run.state,
        "jobRunId": run.run_id,
        "message": message if message is not None else (run.error_message or "Job run failed"),
    }


def on_state_change(run: engine.GlueRun, previous: str) -> None:
    if run.state in SEVERITY_AND_MESSAGE:
        EMITTER.emit(run.account_id, run.region, SOURCE, DETAIL_TYPE, detail(run), [])


def install() -> None:
    """Job runs that end put their event on EventBridge (idempotent)."""
    if on_state_change not in engine.state_listeners:
        engine.state_listeners.append(on_state_change)
