"""One switch for all of the emulator's moto extensions."""

from __future__ import annotations

import threading

from embedded_aws import compat, server_errors
from embedded_aws.athena import engine as athena_engine
from embedded_aws.athena import metadata as athena_metadata
from embedded_aws.athena import state_events as athena_state_events
from embedded_aws.cloudformation import resources as cfn_resources
from embedded_aws.events import delivery as events_delivery
from embedded_aws.glue import engine as glue_engine
from embedded_aws.glue import logs as glue_logs
from embedded_aws.glue import state_events as glue_state_events
from embedded_aws.lambda_local import event_sources as lambda_event_sources
from embedded_aws.lambda_local import functions as lambda_functions
from embedded_aws.s3 import eventbridge as s3_eventbridge
from embedded_aws.stepfunctions import activities as sfn_activities
from embedded_aws.stepfunctions import execution_api as sfn_execution_api
from embedded_aws.stepfunctions import executions as sfn_executions
from embedded_aws.stepfunctions import branch_errors as sfn_branch_errors
from embedded_aws.stepfunctions import fixes as sfn_fixes
from embedded_aws.stepfunctions import integrations as sfn_integrations
from embedded_aws.stepfunctions import interpreter as sfn_interpreter
from embedded_aws.stepfunctions import redrive as sfn_redrive
from embedded_aws.stepfunctions import status_events as sfn_status_events
from embedded_aws.stepfunctions import validation as sfn_validation
from embedded_aws.stepfunctions.jsonata import wiring as sfn_jsonata

_LOCK = threading.Lock()
_INSTALLED = False


def install() -> None:
    """Check moto's shape, then install every extension (idempotent, thread-safe).

    Raises ``compat.EmulatorCompatibilityError`` before patching anything if
    moto is not the version and shape the extensions were written against.
    """
    global _INSTALLED
    with _LOCK:
        if _INSTALLED:
            return
        compat.check()
        sfn_activities.install()
        sfn_fixes.install()
        sfn_jsonata.install()
        sfn_branch_errors.install()
        sfn_interpreter.install()
        sfn_integrations.install()
        glue_engine.install()
        athena_engine.install()
        cfn_resources.install()
        sfn_executions.install()
        sfn_redrive.install()
        sfn_execution_api.install()
        sfn_validation.install()
        athena_metadata.install()
        glue_logs.install()
        server_errors.install()
        lambda_functions.install()
        lambda_event_sources.install()
        events_delivery.install()
        s3_eventbridge.install()
        sfn_status_events.install()
        glue_state_events.install()
        athena_state_events.install()
        _INSTALLED = True
