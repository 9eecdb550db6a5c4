"""Optimised Glue and Athena integrations, run against the embedded Glue and Athena.

What AWS documents ("Start an AWS Glue job with Step Functions", "Run Athena
queries with Step Functions", and the optimised-integrations pattern table):

* ``arn:aws:states:::glue:startJobRun`` answers ``{"JobRunId", "JobName"}``
  (JobName copied from the request); ``.sync`` waits for the run to end and
  answers the run as GetJobRun describes it (plus ``JobName``). No
  ``.waitForTaskToken`` and no ``.sync:2``.
* ``arn:aws:states:::athena:startQueryExecution`` answers
  ``{"QueryExecutionId"}``; ``.sync`` waits and answers the GetQueryExecution
  response (``{"QueryExecution": {...}}``). ``stopQueryExecution``,
  ``getQueryExecution`` and ``getQueryResults`` are request-response only.
* A ``.sync`` job that does not succeed fails the task with
  ``States.TaskFailed``; the cause is the JSON of what the job status call
  returned (Glue: the JobRun; Athena: the GetQueryExecution response). A
  service error (e.g. no such job) is ``Glue.<Code>`` / ``Athena.<Code>``.
* When the execution stops or the task times out while a ``.sync`` job runs,
  Step Functions stops the job (the IAM policy it generates grants
  ``glue:BatchStopJobRun`` and ``athena:stopQueryExecution`` for that).
* Timestamps in integration results are epoch milliseconds, as Step
  Functions serialises them.

Also here: service integrations reach *this* embedded AWS. moto builds their
clients for ``localhost:$MOTO_PORT`` (5000 unless set), so a state machine's
``sns:publish`` or ``aws-sdk:*`` task failed to connect unless the caller had
exported the port.
"""

from __future__ import annotations

import datetime
import functools
import re
from typing import Any, Callable, Final

import boto3
import botocore.session
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.state.exec.state_task.credentials import StateCredentials
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_factory
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
    StateTaskServiceAwsSdk,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import (
    ResourceCondition,
    ResourceRuntimePart,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
    StateTaskServiceCallback,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.utils import boto_client as moto_boto_client
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

from embedded_aws.stepfunctions.rebind import rebind

# How often a .sync task looks at its job (moto: every 0.5 s).
SYNC_POLL_SECONDS = 0.2
# A request-response call can be a whole synchronous Lambda invocation (up to 15 minutes).
LONGEST_CALL_SECONDS = 960


class IntegrationSettings:
    """Where service integrations send their calls (set by EmbeddedAws on start)."""

    endpoint_url: str | None = None


def boto_client_for(region: str, service: str, state_credentials: Any = None) -> BaseClient:
    """A client of the running embedded AWS, as the execution's role (dummy credentials)."""
    if IntegrationSettings.endpoint_url is None:
        return _moto_boto_client_for(region=region, service=service, state_credentials=state_credentials)  # type: ignore[misc]
    return boto3.session.Session().client(
        service_name=service,
        region_name=region,
        endpoint_url=IntegrationSettings.endpoint_url,
        aws_access_key_id="ak",
        aws_secret_access_key="sk",
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1}, read_timeout=LONGEST_CALL_SECONDS),
    )


_moto_boto_client_for: Callable[..., BaseClient] | None = None


def epoch_millis(value: Any) -> Any:
    """Every datetime inside ``value`` as epoch milliseconds (how Step Functions writes them)."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return int(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {key: epoch_millis(item) for key, item in value.items() if key != "ResponseMetadata"}
    if isinstance(value, list):
        return [epoch_millis(item) for item in value]
    return value


class _JobIntegration(StateTaskServiceCallback):
    """Request-response calls and a .sync poll loop shared by Glue and Athena."""

    #: boto3 service name and the error prefix AWS uses for its errors
    SERVICE: str = ""
    ERROR_PREFIX: str = ""
    #: lower-cased API action -> integration patterns allowed besides request-response
    ACTIONS: dict[str, set[str]] = {}

    def __init__(self) -> None:
        super().__init__(supported_integration_patterns={ResourceCondition.Sync})

    def _get_supported_parameters(self) -> set[str] | None:
        # Any request field the service model takes; boto3 validates them.
        return set() if self.resource.api_action.lower() in self.ACTIONS else None

    def _client(self, runtime: ResourceRuntimePart, credentials: StateCredentials) -> BaseClient:
        return boto_client_for(region=runtime.region, service=self.SERVICE, state_credentials=credentials)

    def _from_error(self, env: Environment, ex: Exception) -> FailureEvent:
        if isinstance(ex, ClientError):
            return self._task_failed(env, f"{self.ERROR_PREFIX}.{ex.response['Error']['Code']}",
                                     ex.response["Error"].get("Message", ""))
        return super()._from_error(env=env, ex=ex)

    def _task_failed(self, env: Environment, error: str, cause: str) -> FailureEvent:
        name = StatesErrorName(typ=StatesErrorNameType.StatesTaskFailed) if error == "States.TaskFailed" else CustomErrorName(error)
        return FailureEvent(
            env=env,
            error_name=name,
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(
                taskFailedEventDetails=TaskFailedEventDetails(
                    resource=self._get_sfn_resource(),
                    resourceType=self._get_sfn_resource_type(),
                    error=error,
                    cause=cause,
                )
            ),
        )

    def _eval_service_task(
        self, env: Environment, resource_runtime_part: ResourceRuntimePart,
        normalised_parameters: dict, state_credentials: StateCredentials,
    ) -> None:
        if self.heartbeat is not None and self.resource.condition == ResourceCondition.Sync:
            raise NotImplementedError(
                f"HeartbeatSeconds on a {self.resource.resource_arn} task is not supported locally "
                "(nothing can send its heartbeats); the job was not started"
            )
        client = self._client(resource_runtime_part, state_credentials)
        response = getattr(client, self._get_boto_service_action())(**normalised_parameters)
        env.stack.append(epoch_millis(self._shape_response(response, normalised_parameters)))

    def _shape_response(self, response: dict, request: dict) -> dict:
        return response

    # --- .sync ---------------------------------------------------------------------------

    SUCCEEDED: frozenset[str] = frozenset()
    ENDED: frozenset[str] = frozenset()

    def _status(self, client: BaseClient, started: dict) -> dict:
        """What the service says about the job now (the .sync result when it succeeded)."""
        raise NotImplementedError

    def _state_of(self, described: dict) -> str:
        raise NotImplementedError

    def _stop(self, client: BaseClient, started: dict) -> None:
        """Stop the job of an interrupted .sync task (execution stopped or task timed out)."""
        raise NotImplementedError

    def _eval_integration_pattern(
        self, env: Environment, resource_runtime_part: ResourceRuntimePart,
        normalised_parameters: dict, state_credentials: StateCredentials,
    ) -> None:
        """Wait for the job the request started; its final description is the result.

        The state's TimeoutSeconds ends the attempt's frame (moto's
        ExecuteState), as does stopping the execution: the loop then stops the job.
        """
        started = env.stack.pop()
        client = self._client(resource_runtime_part, state_credentials)
        while env.is_running():
            described = self._status(client, started)
            state = self._state_of(described)
            if state in self.SUCCEEDED:
                env.stack.append(epoch_millis(described))
                return
            if state in self.ENDED:
                raise FailureEventException(
                    self._task_failed(env, "States.TaskFailed", to_json_str(epoch_millis(described)))
                )
            env.program_state_event.wait(SYNC_POLL_SECONDS)
        try:
            self._stop(client, started)
        except ClientError:
            pass  # already ended or gone: nothing left to stop
        env.stack.append(started)  # the unwinding state discards it


class GlueIntegration(_JobIntegration):
    """``arn:aws:states:::glue:startJobRun[.sync]``."""

    SERVICE = "glue"
    ERROR_PREFIX = "Glue"
    ACTIONS = {"startjobrun": {ResourceCondition.Sync}}
    SUCCEEDED = frozenset({"SUCCEEDED"})
    ENDED = frozenset({"FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED"})

    def _shape_response(self, response: dict, request: dict) -> dict:
        return {"JobRunId": response["JobRunId"], "JobName": request.get("JobName")}

    def _status(self, client: BaseClient, started: dict) -> dict:
        run = client.get_job_run(JobName=started["JobName"], RunId=started["JobRunId"])["JobRun"]
        run.setdefault("JobName", started["JobName"])
        return run

    def _stop(self, client: BaseClient, started: dict) -> None:
        client.batch_stop_job_run(JobName=started["JobName"], JobRunIds=[started["JobRunId"]])

    def _state_of(self, described: dict) -> str:
        return described["JobRunState"]


class AthenaIntegration(_JobIntegration):
    """``arn:aws:states:::athena:startQueryExecution[.sync]`` and the request-response query APIs."""

    SERVICE = "athena"
    ERROR_PREFIX = "Athena"
    ACTIONS = {
        "startqueryexecution": {ResourceCondition.Sync},
        "stopqueryexecution": set(),
        "getqueryexecution": set(),
        "getqueryresults": set(),
    }
    SUCCEEDED = frozenset({"SUCCEEDED"})
    ENDED = frozenset({"FAILED", "CANCELLED"})

    def _status(self, client: BaseClient, started: dict) -> dict:
        return {"QueryExecution": client.get_query_execution(QueryExecutionId=started["QueryExecutionId"])["QueryExecution"]}

    def _stop(self, client: BaseClient, started: dict) -> None:
        client.stop_query_execution(QueryExecutionId=started["QueryExecutionId"])

    def _state_of(self, described: dict) -> str:
        return described["QueryExecution"]["Status"]["State"]


#: optimised service -> its integration (both refuse patterns AWS does not offer)
OPTIMISED: Final[dict[str, type[_JobIntegration]]] = {"glue": GlueIntegration, "athena": AthenaIntegration}


def allowed_patterns(service: str, action: str) -> set[str] | None:
    """Integration patterns AWS offers for ``service:action`` (None: not an optimised API we know)."""
    integration = OPTIMISED.get(service)
    if integration is None:
        return None
    patterns = integration.ACTIONS.get(action.lower())
    return None if patterns is None else {"", *patterns}


_moto_state_task_service_for: Callable[[str], Any] | None = None


def _state_task_service_for(service_name: str) -> Any:
    integration = OPTIMISED.get(service_name)
    if integration is not None:
        return integration()
    return _moto_state_task_service_for(service_name)  # type: ignore[misc]


_INSTALLED = False


def install() -> None:
    """Route integrations to the embedded AWS and install Glue/Athena (idempotent)."""
    global _INSTALLED, _moto_boto_client_for, _moto_state_task_service_for
    if _INSTALLED:
        return
    import moto.stepfunctions.parser.asl.parse.preprocessor  # noqa: F401  (loads every integration module)

    _moto_boto_client_for = moto_boto_client.boto_client_for
    rebind(_moto_boto_client_for, boto_client_for)
    _moto_state_task_service_for = state_task_service_factory.state_task_service_for
    rebind(_moto_state_task_service_for, _state_task_service_for)
    StateTaskServiceAwsSdk._normalise_service_error_name = staticmethod(_sdk_service_error_name)  # type: ignore[method-assign]
    _INSTALLED = True


# --- AWS SDK integration error names --------------------------------------------------------

# aws-sdk service names that are not a botocore name without its hyphens
_SFN_TO_BOTO = {"sfn": "stepfunctions", "states": "stepfunctions", "eventbridge": "events", "cloudwatchlogs": "logs"}
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


@functools.lru_cache(maxsize=None)
def sdk_error_service_name(service: str) -> str:
    """The PascalCase service name AWS prefixes to aws-sdk error names (``s3`` -> ``S3``,
    ``dynamodb`` -> ``DynamoDb``, ``acmpca`` -> ``AcmPca``, ``sfn`` -> ``Sfn``).

    AWS builds it from the service's SDK id the way the AWS SDK names its
    client classes: words of the service id, each capitalised.
    """
    session = botocore.session.get_session()
    by_plain_name = {name.replace("-", ""): name for name in session.get_available_services()}
    boto_name = _SFN_TO_BOTO.get(service) or by_plain_name.get(service)
    if boto_name is None:
        return service[:1].upper() + service[1:]
    service_id = session.get_service_model(boto_name).service_id
    return "".join(word.capitalize() for word in _WORD.findall(str(service_id)))


def _sdk_service_error_name(service_name: str) -> str:
    return sdk_error_service_name(service_name.lower())
