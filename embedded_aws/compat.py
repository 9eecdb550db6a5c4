"""Guard rail for the moto internals that the embedded AWS (``embedded_aws``) extends.

The emulator subclasses and patches private parts of moto (the Step
Functions interpreter, the Glue and Athena response classes, the S3
backend). A moto upgrade can change them silently, so ``install()`` calls
``check()`` first: it verifies the pinned version and the shape of every
internal we touch, and raises one ``EmulatorCompatibilityError`` listing
everything that changed.

Some extensions check their own internals when they install, with the same
error: Step Functions JSONata and variables
(``stepfunctions/jsonata/wiring.py``, ``literals.py``, ``typed_fields.py``:
moto's ``StringJSONata``/``StringVariableSample``/``ConditionStringJSONata``/
``AssignDecl`` evaluation, ``VariableStore`` scopes, the preprocessor's
string-literal decoding, the ``*JSONata`` number fields), ``stepfunctions/branch_errors.py`` (the
``CustomErrorName`` that Parallel branches and Map iterations use), ``stepfunctions/status_events.py``,
``events/delivery.py`` (moto's Rule and EventsBackend delivery), ``s3/eventbridge.py`` (moto's S3
EventBridge notification hook) and ``lambda_local`` (event source mappings, local invocation).
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

EXPECTED_MOTO_VERSION = "5.2.5"


class EmulatorCompatibilityError(RuntimeError):
    """moto is not the version, or not the shape, that embedded_aws was built on."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"embedded_aws needs moto=={EXPECTED_MOTO_VERSION} internals as they were; found:\n{lines}"
        )


Problems = list[str]


def _attr(problems: Problems, owner: Any, name: str, where: str) -> Any:
    value = getattr(owner, name, None)
    if value is None:
        problems.append(f"{where}.{name} is missing")
    return value


def require_params(problems: Problems, func: Any, where: str, *names: str) -> None:
    """``func`` must accept each of ``names`` as a parameter."""
    if func is None:
        return
    try:
        actual = inspect.signature(func).parameters
    except (TypeError, ValueError):
        problems.append(f"{where}: signature cannot be read")
        return
    missing = [n for n in names if n not in actual]
    if missing:
        problems.append(f"{where} no longer takes {missing} (has {list(actual)})")


def _source_mentions(problems: Problems, func: Any, where: str, snippet: str) -> None:
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):
        problems.append(f"{where}: source unavailable")
        return
    if snippet not in source:
        problems.append(f"{where} no longer contains {snippet!r}")


def _check_version(problems: Problems) -> None:
    import moto

    if moto.__version__ != EXPECTED_MOTO_VERSION:
        problems.append(f"moto.__version__ is {moto.__version__!r}, expected {EXPECTED_MOTO_VERSION!r}")


def _check_sfn(problems: Problems) -> None:
    from moto.core.config import default_user_config
    from moto.stepfunctions import responses
    from moto.stepfunctions.parser import models as parser_models
    from moto.stepfunctions.parser.api import ActivityDoesNotExist, TaskTimedOut
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import (
        state_task_activitiy,
        state_task_factory,
    )
    from moto.stepfunctions.parser.asl.eval.callback import callback
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.backend.activity import Activity, ActivityTask

    if "stepfunctions" not in default_user_config:
        problems.append("moto.core.config.default_user_config has no 'stepfunctions' section")
    require_params(problems, _attr(problems, responses, "get_backend", "stepfunctions.responses"),
            "stepfunctions.responses.get_backend", "account", "region")
    response = responses.StepFunctionResponse
    for name in ("send_task_failure", "send_task_success", "send_task_heartbeat", "describe_activity", "start_execution"):
        _attr(problems, response, name, "StepFunctionResponse")
    if not isinstance(inspect.getattr_static(response, "stepfunction_backend", None), property):
        problems.append("StepFunctionResponse.stepfunction_backend is no longer a property")

    backend = parser_models.StepFunctionsParserBackend
    for name in ("send_task_success", "send_task_failure", "send_task_heartbeat"):
        method = _attr(problems, backend, name, "StepFunctionsParserBackend")
        if method is not None:
            _source_mentions(problems, method, f"StepFunctionsParserBackend.{name}", "env.callback_pool_manager")
    require_params(problems, backend.send_task_failure, "StepFunctionsParserBackend.send_task_failure", "task_token", "error", "cause")
    require_params(problems, backend.start_execution, "StepFunctionsParserBackend.start_execution",
            "state_machine_arn", "name", "execution_input")

    # The factory's name may already point at our subclass; check moto's own class.
    _attr(problems, state_task_factory, "StateTaskActivity", "state_task_factory")
    task_cls = _attr(problems, state_task_activitiy, "StateTaskActivity", "state_task_activitiy")
    _source_mentions(problems, state_task_factory.state_task_for, "state_task_factory.state_task_for", "StateTaskActivity()")
    if task_cls is not None:
        require_params(problems, task_cls._eval_execution, "StateTaskActivity._eval_execution", "env")
        _source_mentions(problems, task_cls._eval_execution, "StateTaskActivity._eval_execution",
                         "callback_pool_manager.add_activity_task(")

    pool = callback.CallbackPoolManager(activity_store={})
    if not isinstance(getattr(pool, "_pool", None), dict):
        problems.append("CallbackPoolManager._pool is no longer a dict")
    require_params(problems, pool.add_activity_task, "CallbackPoolManager.add_activity_task",
            "callback_id", "activity_arn", "activity_input")

    endpoint = callback.ActivityCallbackEndpoint(callback_id="probe", activity_input="{}")
    for name in ("_outcome", "_activity_task_start_endpoint", "_heartbeat_endpoint", "_notify_event"):
        if not hasattr(endpoint, name):
            problems.append(f"ActivityCallbackEndpoint instances have no {name}")
    for name, params in {
        "notify": ("outcome",),
        "notify_heartbeat": (),
        "wait": ("timeout",),
        "setup_heartbeat_endpoint": ("heartbeat_seconds",),
        "notify_activity_task_start": ("worker_name",),
        "get_activity_task_start_endpoint": (),
    }.items():
        require_params(problems, _attr(problems, endpoint, name, "ActivityCallbackEndpoint"),
                f"ActivityCallbackEndpoint.{name}", *params)
    start = callback.ActivityTaskStartEndpoint()
    require_params(problems, start.wait, "ActivityTaskStartEndpoint.wait", "timeout_seconds")
    start.notify(callback.ActivityTaskStartOutcome(worker_name="probe"))
    if getattr(start, "_outcome", None) is None:
        problems.append("ActivityTaskStartEndpoint.notify no longer stores _outcome")
    require_params(problems, callback.HeartbeatEndpoint.__init__, "HeartbeatEndpoint.__init__", "heartbeat_seconds")
    _attr(problems, callback.HeartbeatEndpoint, "clear_and_wait", "HeartbeatEndpoint")

    for name in ("is_running", "callback_pool_manager", "aws_execution_details"):
        if name not in Environment.__annotations__ and not hasattr(Environment, name):
            problems.append(f"Environment has no {name}")
    require_params(problems, Activity.__init__, "parser Activity.__init__", "arn", "name", "creation_date")
    require_params(problems, ActivityTask.__init__, "parser ActivityTask.__init__", "task_token", "task_input")
    if "_tasks" not in Activity.__annotations__:
        problems.append("parser Activity no longer keeps its queue in _tasks")
    require_params(problems, TaskTimedOut.__init__, "TaskTimedOut.__init__", "message", "exception_type")
    del ActivityDoesNotExist  # imported only to prove it exists


def _check_sfn_interpreter(problems: Problems) -> None:
    """What the stepfunctions interpreter/integrations/redrive/validation/execution_api modules rely on."""
    from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
    from moto.stepfunctions.parser.asl.component.program.program import Program
    from moto.stepfunctions.parser.asl.component.state.choice.state_choice import StateChoice
    from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState as ExecuteState
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.distributed_iteration_component import (
        DistributedIterationComponent,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap
    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel.branches_decl import BranchesDecl
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk,
        state_task_service_callback,
        state_task_service_factory,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import Timestamp
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
    from moto.stepfunctions.parser.asl.utils import boto_client, json_path
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    for owner, names in (
        (json_path, ("extract_json", "NoSuchJsonPathError")),
        (boto_client, ("boto_client_for",)),
        (state_task_service_factory, ("state_task_service_for",)),
        (StateChoice, ("_eval_state",)),
        (StateTask, ("_from_error",)),
        (ErrorEqualsDecl, ("_eval_body",)),
        (Timestamp, ("_from_timestamp_string", "_create_failure_event")),
        (StateMap, ("from_state_props",)),
        (DistributedIterationComponent, ("_map_run",)),
        (CommonStateField, ("_eval_body",)),
        (BranchesDecl, ("_eval_body",)),
        (Program, ("_eval_body",)),
        (ExecuteState, ("_evaluate_with_timeout",)),
        (ExecutionWorker, ("_get_evaluation_entrypoint", "_execution_communication")),
        (StepFunctionsParserBackend, ("_validate_definition", "get_execution_history")),
        (state_task_service_callback.StateTaskServiceCallback, ("_eval_integration_pattern", "_after_eval_execution")),
        (state_task_service_aws_sdk.StateTaskServiceAwsSdk, ("_normalise_service_error_name",)),
    ):
        for name in names:
            if not hasattr(owner, name) and name not in getattr(owner, "__annotations__", {}):
                problems.append(f"{getattr(owner, '__name__', owner)}.{name} is missing")
    _source_mentions(problems, Preprocessor, "Preprocessor", "_query_language_per_scope: list[QueryLanguage] = []")
    _source_mentions(problems, ExecuteState._evaluate_with_timeout, "ExecuteState._evaluate_with_timeout",
                     "terminated_event.wait(timeout_seconds)")
    _source_mentions(problems, inspect.unwrap(DistributedIterationComponent._map_run), "DistributedIterationComponent._map_run",
                     "env.stack.append(outputs)")
    require_params(problems, AmazonStateLanguageParser.parse, "AmazonStateLanguageParser.parse", "definition")


def _check_glue(problems: Problems) -> None:
    from moto.glue import exceptions
    from moto.glue.models import FakeJob, GlueBackend
    from moto.glue.responses import GlueResponse

    for name in ("start_job_run", "get_job_run", "get_job_runs", "create_job", "_get_int_param", "_get_float_param"):
        _attr(problems, GlueResponse, name, "GlueResponse")
    if not isinstance(inspect.getattr_static(GlueResponse, "glue_backend", None), property):
        problems.append("GlueResponse.glue_backend is no longer a property")
    require_params(problems, GlueBackend.get_job, "GlueBackend.get_job", "name")
    require_params(problems, FakeJob.__init__, "FakeJob.__init__", "name", "command", "default_arguments",
            "non_overridable_arguments", "execution_property", "timeout", "glue_version", "worker_type",
            "number_of_workers", "max_capacity", "allocated_capacity", "security_configuration",
            "notification_property", "execution_class")
    _attr(problems, FakeJob, "as_dict", "FakeJob")
    require_params(problems, exceptions.ConcurrentRunsExceededException.__init__, "ConcurrentRunsExceededException", "msg")
    require_params(problems, exceptions.InvalidInputException.__init__, "InvalidInputException", "op", "msg")
    require_params(problems, exceptions.JobRunNotFoundException.__init__, "JobRunNotFoundException", "job_run")


def _check_athena(problems: Problems) -> None:
    from moto.athena.models import AthenaBackend
    from moto.athena.responses import AthenaResponse

    for name in ("start_query_execution", "get_query_execution", "get_query_results",
                 "stop_query_execution", "list_query_executions", "create_named_query", "get_named_query",
                 "create_prepared_statement", "get_prepared_statement"):  # replaced by athena/prepared.py
        _attr(problems, AthenaResponse, name, "AthenaResponse")
    from moto.athena import models as athena_models

    _attr(problems, athena_models, "athena_backends", "moto.athena.models")  # prepared.py: [account][region]
    if not isinstance(inspect.getattr_static(AthenaResponse, "athena_backend", None), property):
        problems.append("AthenaResponse.athena_backend is no longer a property")
    backend = AthenaBackend("us-east-1", "123456789012")
    group = getattr(backend, "work_groups", {}).get("primary")
    if group is None or not isinstance(getattr(group, "configuration", None), dict):
        problems.append("AthenaBackend.work_groups['primary'].configuration is no longer a dict")
    # Athena views live in the Glue table input (ViewOriginalText) as moto keeps it whole;
    # "$file_modified_time" reads S3 FakeKey.last_modified.
    from moto.glue.models import FakeTable
    from moto.s3.models import FakeKey

    view = FakeTable("db", "v", {"Name": "v", "TableType": "VIRTUAL_VIEW", "ViewOriginalText": "x"}, "123456789012")
    if view.as_dict().get("ViewOriginalText") != "x":
        problems.append("Glue FakeTable.as_dict no longer returns the table input's ViewOriginalText")
    if "self.last_modified" not in inspect.getsource(FakeKey.__init__):
        problems.append("S3 FakeKey no longer sets last_modified")


def _check_s3_and_server(problems: Problems) -> None:
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.s3 import models as s3_models

    _attr(problems, s3_models, "s3_backends", "moto.s3.models")
    require_params(problems, s3_models.S3Backend.get_object, "S3Backend.get_object", "bucket_name", "key_name")
    require_params(problems, s3_models.S3Backend.put_object, "S3Backend.put_object", "bucket_name", "key_name", "value")
    require_params(problems, ThreadedMotoServer.__init__, "ThreadedMotoServer.__init__", "ip_address", "port", "verbose")
    for name in ("start", "stop", "get_host_and_port"):
        _attr(problems, ThreadedMotoServer, name, "ThreadedMotoServer")
    if not hasattr(ThreadedMotoServer(verbose=False), "_server"):
        problems.append("ThreadedMotoServer instances have no _server")


def _check_cloudformation(problems: Problems) -> None:
    """What embedded_aws.cloudformation relies on: type discovery, lifecycle calls, backend methods."""
    from moto.cloudformation import models as cfn_models
    from moto.cloudformation import parsing
    from moto.glue.models import FakeJob, GlueBackend
    from moto.s3.models import FakeBucket
    from moto.scheduler.models import EventBridgeSchedulerBackend
    from moto.sns.models import SNSBackend, Topic
    from moto.sqs.models import SQSBackend
    from moto.stepfunctions.models import StepFunctionBackend

    for name in ("get_model_list", "get_model_map", "get_name_type_map"):
        if not hasattr(getattr(parsing, name, None), "cache_clear"):
            problems.append(f"cloudformation.parsing.{name} is no longer an lru_cache")
    _source_mentions(problems, parsing.get_model_list, "parsing.get_model_list", "CloudFormationModel.__subclasses__()")
    _source_mentions(problems, parsing.ResourceMap._delete_resource, "ResourceMap._delete_resource",
                     "parsed_resource.delete(self._account_id, self._region_name)")
    _source_mentions(problems, parsing.parse_and_update_resource, "parsing.parse_and_update_resource",
                     "original_resource=original_resource")
    _source_mentions(problems, cfn_models.Stack.delete, "cloudformation Stack.delete", "self.resource_map.delete()")
    _source_mentions(problems, inspect.getattr_static(cfn_models.Stack, "exports").fget,
                     "cloudformation Stack.exports", "self.output_map.exports")

    require_params(problems, StepFunctionBackend.create_activity, "StepFunctionBackend.create_activity", "name", "tags")
    require_params(problems, StepFunctionBackend.create_state_machine, "StepFunctionBackend.create_state_machine",
            "name", "definition", "roleArn", "tags", "loggingConfiguration", "tracingConfiguration", "sm_type")
    require_params(problems, StepFunctionBackend.update_state_machine, "StepFunctionBackend.update_state_machine",
            "arn", "definition", "role_arn", "logging_configuration", "tracing_configuration")
    for name in ("delete_activity", "delete_state_machine", "describe_state_machine", "tag_resource"):
        _attr(problems, StepFunctionBackend, name, "StepFunctionBackend")

    require_params(problems, GlueBackend.create_job, "GlueBackend.create_job", "name", "role", "command", "timeout",
            "execution_property", "default_arguments", "number_of_workers", "worker_type", "glue_version",
            "security_configuration", "tags", "code_gen_configuration_nodes", "source_control_details")
    require_params(problems, GlueBackend.create_security_configuration, "GlueBackend.create_security_configuration",
            "name", "configuration")
    for name in ("delete_job", "delete_security_configuration", "tag_resource"):
        _attr(problems, GlueBackend, name, "GlueBackend")
    for snippet in ("self.number_of_workers = ", "self.default_arguments = ", "self.last_modified_on = "):
        _source_mentions(problems, FakeJob.__init__, "FakeJob.__init__", snippet)

    _source_mentions(problems, FakeBucket.get_permission, "FakeBucket.get_permission", "IAMPolicy(self.policy.decode())")
    require_params(problems, SQSBackend.set_queue_attributes, "SQSBackend.set_queue_attributes", "queue_name", "attributes")
    require_params(problems, SNSBackend.set_topic_attribute, "SNSBackend.set_topic_attribute",
            "topic_arn", "attribute_name", "attribute_value")
    require_params(problems, SNSBackend.subscribe, "SNSBackend.subscribe", "topic_arn", "endpoint", "protocol")
    require_params(problems, SNSBackend.set_subscription_attributes, "SNSBackend.set_subscription_attributes",
            "arn", "name", "value")
    require_params(problems, Topic._create_default_topic_policy, "Topic._create_default_topic_policy",
            "region_name", "account_id", "name")
    require_params(problems, EventBridgeSchedulerBackend.create_schedule, "EventBridgeSchedulerBackend.create_schedule",
            "name", "group_name", "schedule_expression", "schedule_expression_timezone", "state",
            "flexible_time_window", "target", "action_after_completion")
    require_params(problems, EventBridgeSchedulerBackend.update_schedule, "EventBridgeSchedulerBackend.update_schedule",
            "name", "group_name", "schedule_expression", "state", "target")

    from moto.awslambda.models import LambdaBackend

    require_params(problems, LambdaBackend.put_function_event_invoke_config,
            "LambdaBackend.put_function_event_invoke_config", "function_name", "config")
    _source_mentions(problems, LambdaBackend.delete_function_event_invoke_config,
                     "LambdaBackend.delete_function_event_invoke_config", "fn.event_invoke_config = []")


_PROBES: tuple[Callable[[Problems], None], ...] = (
    _check_version,
    _check_sfn,
    _check_sfn_interpreter,
    _check_glue,
    _check_athena,
    _check_s3_and_server,
    _check_cloudformation,
)


def check() -> None:
    """Raise EmulatorCompatibilityError unless every extended moto internal is as expected."""
    problems: Problems = []
    for probe in _PROBES:
        try:
            probe(problems)
        except Exception as exc:  # an import or attribute error is itself the finding
            problems.append(f"{probe.__name__[len('_check_'):]}: {type(exc).__name__}: {exc}")
    if problems:
        raise EmulatorCompatibilityError(problems)
