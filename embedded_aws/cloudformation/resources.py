"""CloudFormation resource types moto's CloudFormation skips, backed by the
same moto backends the embedded AWS API serves.

moto's CloudFormation finds resource types among the direct subclasses of
``CloudFormationModel`` (``moto.cloudformation.parsing.get_model_map``, the
last class of a type wins). Each class here is one such subclass; creating,
updating and deleting a stack calls them, and ``Ref`` / ``Fn::GetAtt`` read
``physical_resource_id`` / ``get_cfn_attribute``.

Types (Ref; GetAtt):

* ``AWS::StepFunctions::Activity`` (ARN; Name, Arn)
* ``AWS::StepFunctions::StateMachine`` (ARN; Name, Arn, StateMachineName):
  replaces moto's own, which ignores ``DefinitionS3Location``,
  ``DefinitionSubstitutions`` and ``LoggingConfiguration`` and creates the
  machine in the non-executing backend, invisible to an API that executes.
  Here the machine lives in the backend the API uses
  (``stepfunctions.responses.get_backend``), so it can be started.
* ``AWS::Glue::Job`` (name), ``AWS::Glue::SecurityConfiguration`` (name)
* ``AWS::S3::BucketPolicy`` (bucket name), ``AWS::SQS::QueuePolicy``,
  ``AWS::SNS::TopicPolicy`` (generated ids), ``AWS::SNS::Subscription``
  (subscription ARN)
* ``AWS::Scheduler::Schedule`` (name; Arn)
* ``AWS::Lambda::EventInvokeConfig`` (generated id)
* ``AWS::IAM::ManagedPolicy`` (ARN; PolicyArn, ...): in
  ``embedded_aws.cloudformation.managed_policies``, replacing moto's, which
  neither updates nor detaches on delete
* ``AWS::ECS::ClusterCapacityProviderAssociations`` (the cluster's name):
  the cluster's capacity providers and default strategy, as
  PutClusterCapacityProviders sets them; deleting it detaches them

Updates change the resource in place where AWS does, and replace it (create
the new one, delete the old one) when a name property changes.
"""

from __future__ import annotations

import json
import uuid
from contextlib import contextmanager
from datetime import datetime
from typing import Any, ClassVar, Iterator, Mapping

from moto.cloudformation.exceptions import CloudFormationError, UnformattedGetAttTemplateException, ValidationError
from moto.core.common_models import CloudFormationModel
from moto.core.utils import utcnow
from moto.glue.exceptions import AlreadyExistsException
from moto.glue.models import glue_backends
from moto.s3.models import s3_backends
from moto.scheduler.models import scheduler_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends
from moto.stepfunctions import models as _sfn_models  # noqa: F401  (moto's StateMachine must exist first)
from moto.stepfunctions import responses as sfn_responses
from moto.utilities.utils import get_partition

from embedded_aws.cloudformation import bucket_notifications as cfn_bucket_notifications
from embedded_aws.cloudformation import condition_updates as cfn_condition_updates
from embedded_aws.cloudformation import policy_conditions as cfn_policy_conditions
from embedded_aws.cloudformation import stack_fixes as cfn_stack_fixes
from embedded_aws.glue import engine as glue_engine

_NOT_FOUND_NAMES = ("NotFound", "DoesNotExist", "NoSuch", "Unknown")


def _is_not_found(exc: Exception) -> bool:
    return any(part in type(exc).__name__ for part in _NOT_FOUND_NAMES)


def _quietly_gone(action: Any, *args: Any, **kwargs: Any) -> None:
    """Run a delete; a resource that is already gone counts as deleted (as on AWS)."""
    try:
        action(*args, **kwargs)
    except Exception as exc:  # moto's not-found errors have no common base
        if not _is_not_found(exc):
            raise


def _api_tags(cfn_tags: Any) -> list[dict[str, str]]:
    """CloudFormation ``[{Key, Value}]`` to Step Functions ``[{key, value}]``."""
    return [{"key": t["Key"], "value": str(t["Value"])} for t in cfn_tags or []]


def _policy_text(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document)


def _cfn_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@contextmanager
def _as_stack_error(cls: type, logical_id: str) -> Iterator[None]:
    """A failing service call becomes a CloudFormation ValidationError naming the resource.

    Otherwise the service's own (e.g. JSON) error would reach the CloudFormation
    (XML) client as an unreadable 500.
    """
    try:
        yield
    except CloudFormationError:
        raise
    except Exception as exc:
        detail = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        raise ValidationError(
            message=f"{logical_id} ({cls.cloudformation_type()}): {type(exc).__name__}: {detail}"  # type: ignore[attr-defined]
        ) from exc


class _Resource:
    """Shared plumbing; each concrete class also derives from CloudFormationModel directly."""

    #: CloudFormation attribute -> Python attribute of the instance.
    ATTRIBUTES: ClassVar[Mapping[str, str]] = {}
    #: Property whose change means replacement (besides the name property).
    REPLACE_ON: ClassVar[tuple[str, ...]] = ()

    account_id: str
    region_name: str
    properties: dict[str, Any]

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRIBUTES

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name in self.ATTRIBUTES:
            return getattr(self, self.ATTRIBUTES[attribute_name])
        raise UnformattedGetAttTemplateException()

    def is_created(self) -> bool:
        return True

    @property
    def physical_resource_id(self) -> str:
        raise NotImplementedError

    # -- lifecycle: subclasses implement _create (classmethod), _update, _delete

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> Any:
        props = dict(cloudformation_json.get("Properties") or {})
        with _as_stack_error(cls, kwargs.get("LogicalId", resource_name)):
            return cls._create(resource_name, props, account_id, region_name)

    @classmethod
    def _create(cls, name: str, props: dict[str, Any], account_id: str, region_name: str) -> Any:
        raise NotImplementedError

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls, original_resource: Any, new_resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> Any:
        with _as_stack_error(cls, getattr(original_resource, "logical_resource_id", new_resource_name)):
            return cls._update_from(original_resource, new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def _update_from(
        cls, original_resource: Any, new_resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> Any:
        props = dict(cloudformation_json.get("Properties") or {})
        name_prop = cls.cloudformation_name_type()
        old = original_resource.properties
        replace = any(props.get(p) != old.get(p) for p in cls.REPLACE_ON)
        if name_prop:
            # A generated name stays; only an explicit new name replaces the resource.
            replace = replace or props.get(name_prop, old.get(name_prop)) != old.get(name_prop)
            name = props.get(name_prop) or original_resource.name
        else:
            name = new_resource_name
        if replace:
            original_resource._delete_first_if_same_name(name)
            new = cls._create(name, props, account_id, region_name)
            if not original_resource.deleted:
                original_resource.delete(account_id, region_name)
            return new
        original_resource._update(props)
        original_resource.properties = props
        return original_resource

    deleted = False

    def _delete_first_if_same_name(self, name: str) -> None:
        if getattr(self, "name", None) == name:
            self.delete(self.account_id, self.region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        self._delete()
        self.deleted = True

    def _update(self, props: dict[str, Any]) -> None:
        raise NotImplementedError

    def _delete(self) -> None:
        raise NotImplementedError

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        # Only reached when the instance's delete() could not run; the instance
        # path is the one stacks use, so nothing is known here but the id.
        return None


# -- Step Functions ---------------------------------------------------------------


def _sfn_backend(account_id: str, region_name: str) -> Any:
    """The backend the API serves (the executing one when execution is on)."""
    return sfn_responses.get_backend(account_id, region_name)


class CfnActivity(_Resource, CloudFormationModel):
    ATTRIBUTES = {"Name": "name", "Arn": "arn"}

    def __init__(self, account_id: str, region_name: str, props: dict[str, Any], name: str, arn: str):
        self.account_id, self.region_name, self.properties = account_id, region_name, props
        self.name, self.arn = name, arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::StepFunctions::Activity"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @classmethod
    def _create(cls, name: str, props: dict[str, Any], account_id: str, region_name: str) -> "CfnActivity":
        name = props.get("Name", name)
        activity = _sfn_backend(account_id, region_name).create_activity(name, tags=_api_tags(props.get("Tags")))
        return cls(account_id, region_name, props, name, activity.arn)

    def _update(self, props: dict[str, Any]) -> None:
        backend = _sfn_backend(self.account_id, self.region_name)
        tags = _api_tags(props.get("Tags"))
        if tags:
            backend.tag_resource(self.arn, tags)

    def _delete(self) -> None:
        _quietly_gone(_sfn_backend(self.account_id, self.region_name).delete_activity, self.arn)


def _definition(props: dict[str, Any], account_id: str) -> str:
    """DefinitionString / Definition / DefinitionS3Location, then DefinitionSubstitutions."""
    if "DefinitionString" in props:
        text = props["DefinitionString"]
    elif "Definition" in props:
        text = json.dumps(props["Definition"])
    elif "DefinitionS3Location" in props:
        location = props["DefinitionS3Location"]
        backend = s3_backends[account_id][get_partition("us-east-1")]
        key = backend.get_object(location["Bucket"], location["Key"], version_id=location.get("Version"))
        if key is None:
            raise ValueError(
                f"DefinitionS3Location s3://{location['Bucket']}/{location['Key']} does not exist"
            )
        text = key.value.decode("utf-8")
    else:
        raise ValueError("StateMachine needs DefinitionString, Definition or DefinitionS3Location")
    for name, value in (props.get("DefinitionSubstitutions") or {}).items():
        text = text.replace("${" + name + "}", _cfn_string(value))
    return text


def _logging_configuration(cfn: dict[str, Any] | None) -> dict[str, Any] | None:
    """CloudFormation's LoggingConfiguration in the API's (camelCase) shape."""
    if not cfn:
        return None
    result: dict[str, Any] = {
        "level": cfn.get("Level", "OFF"),
        "includeExecutionData": bool(cfn.get("IncludeExecutionData", False)),
    }
    destinations = [
        {"cloudWatchLogsLogGroup": {"logGroupArn": d["CloudWatchLogsLogGroup"]["LogGroupArn"]}}
        for d in cfn.get("Destinations") or []
        if "CloudWatchLogsLogGroup" in d
    ]
    if destinations:
        result["destinations"] = destinations
    return result


def _tracing_configuration(cfn: dict[str, Any] | None) -> dict[str, Any] | None:
    return {"enabled": bool(cfn.get("Enabled", False))} if cfn else None


class CfnStateMachine(_Resource, CloudFormationModel):
    ATTRIBUTES = {"Name": "name", "Arn": "arn", "StateMachineName": "name", "StateMachineRevisionId": "revision_id"}

    def __init__(self, account_id: str, region_name: str, props: dict[str, Any], name: str, arn: str):
        self.account_id, self.region_name, self.properties = account_id, region_name, props
        self.name, self.arn = name, arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::StepFunctions::StateMachine"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "StateMachineName"

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @property
    def revision_id(self) -> str:
        machine = _sfn_backend(self.account_id, self.region_name).describe_state_machine(self.arn)
        return str(getattr(machine, "revision_id", "") or "")

    @classmethod
    def _create(cls, name: str, props: dict[str, Any], account_id: str, region_name: str) -> "CfnStateMachine":
        name = props.get("StateMachineName", name)
        machine = _sfn_backend(account_id, region_name).create_state_machine(
            name=name,
            definition=_definition(props, account_id),
            roleArn=props.get("RoleArn", ""),
            tags=_api_tags(props.get("Tags")),
            loggingConfiguration=_logging_configuration(props.get("LoggingConfiguration")),
            tracingConfiguration=_tracing_configuration(props.get("TracingConfiguration")),
            sm_type=props.get("StateMachineType", "STANDARD"),
        )
        return cls(account_id, region_name, props, name, machine.arn)

    REPLACE_ON = ("StateMachineType",)

    def _update(self, props: dict[str, Any]) -> None:
        backend = _sfn_backend(self.account_id, self.region_name)
        backend.update_state_machine(
            self.arn,
            definition=_definition(props, self.account_id),
            role_arn=props.get("RoleArn"),
            logging_configuration=_logging_configuration(props.get("LoggingConfiguration")),
            tracing_configuration=_tracing_configuration(props.get("TracingConfiguration")),
        )
        tags = _api_tags(props.get("Tags"))
        if tags:
            backend.tag_resource(self.arn, tags)

    def _delete(self) -> None:
        _quietly_gone(_sfn_backend(self.account_id, self.region_name).delete_state_machine, self.arn)


# -- Glue ---------------------------------------------------------------------------

#: CloudFormation property -> (create_job keyword, FakeJob attribute)
_JOB_FIELDS = {
    "Description": "description",
    "LogUri": "log_uri",
    "Role": "role",
    "ExecutionProperty": "execution_property",
    "Command": "command",
    "DefaultArguments": "default_arguments",
    "NonOverridableArguments": "non_overridable_arguments",
    "Connections": "connections",
    "MaxRetries": "max_retries",
    "AllocatedCapacity": "allocated_capacity",
    "Timeout": "timeout",
    "MaxCapacity": "max_capacity",
    "SecurityConfiguration": "security_configuration",
    "NotificationProperty": "notification_property",
    "GlueVersion": "glue_version",
    "NumberOfWorkers": "number_of_workers",
    "WorkerType": "worker_type",
    "ExecutionClass": "execution_class",
}
_INT_FIELDS = {"MaxRetries", "AllocatedCapacity", "Timeout", "NumberOfWorkers"}


def _job_values(props: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for prop, field in _JOB_FIELDS.items():
        value = props.get(prop)
        if value is not None and prop in _INT_FIELDS:
            value = int(value)
        if value is not None and prop == "MaxCapacity":
            value = float(value)
        if value is not None and prop == "ExecutionProperty":
            value = {k: int(v) for k, v in value.items()}
        if value is not None and prop == "DefaultArguments":
            value = {k: _cfn_string(v) for k, v in value.items()}
        values[field] = value
    return values


class CfnGlueJob(_Resource, CloudFormationModel):
    ATTRIBUTES: ClassVar[Mapping[str, str]] = {}

    def __init__(self, account_id: str, region_name: str, props: dict[str, Any], name: str):
        self.account_id, self.region_name, self.properties = account_id, region_name, props
        self.name = name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Glue::Job"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @property
    def physical_resource_id(self) -> str:
        return self.name

    def _backend(self) -> Any:
        return glue_backends[self.account_id][self.region_name]

    @classmethod
    def _create(cls, name: str, props: dict[str, Any], account_id: str, region_name: str) -> "CfnGlueJob":
        name = props.get("Name", name)
        backend = glue_backends[account_id][region_name]
        if name in backend.jobs:
            raise AlreadyExistsException(f"Job {name} already exists")
        backend.create_job(
            name=name,
            tags=props.get("Tags") or {},
            code_gen_configuration_nodes=None,
            source_control_details=None,
            **_job_values(props),
        )
        resource = cls(account_id, region_name, props, name)
        resource._set_queuing(props)
        return resource

    def _set_queuing(self, props: dict[str, Any]) -> None:
        book = glue_engine.run_book(self._backend())
        if props.get("JobRunQueuingEnabled") is None:
            book.job_queuing.pop(self.name, None)
        else:
            book.job_queuing[self.name] = str(props["JobRunQueuingEnabled"]).lower() == "true"

    def _update(self, props: dict[str, Any]) -> None:
        # In place, as UpdateJob does: the job keeps its runs.
        job = self._backend().get_job(self.name)
        for field, value in _job_values(props).items():
            if field == "execution_property":
                value = value or {}
            elif field == "default_arguments":
                value = value or {}
            elif field == "execution_class":
                value = value or "STANDARD"
            setattr(job, field, value)
        job.last_modified_on = utcnow()
        if props.get("Tags"):
            self._backend().tag_resource(job.arn, props["Tags"])
        self._set_queuing(props)

    def _delete(self) -> None:
        self._backend().delete_job(self.name)
        glue_engine.run_book(self._backend()).job_queuing.pop(self.name, None)


class CfnGlueSecurityConfiguration(_Resource, CloudFormationModel):
    # Every property change replaces a security configuration on AWS.
    REPLACE_ON = ("EncryptionConfiguration",)

    def __init__(self, account_id: str, region_name: str, props: dict[str, Any], name: str):
        self.account_id, self.region_name, self.properties = account_id, region_name, props
        self.name = name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Glue::SecurityConfiguration"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def _create(cls, name: str, props: dict[str, Any], account_id: str, region_name: str) -> Any:
        name = props.get("Name", name)
        config = dict(props.get("EncryptionConfiguration") or {})
        if "S3Encryptions" in config:  # CloudFormation's plural, the API's S3Encryption
            config["S3Encryption"] = config.pop("S3Encryptions")
        glue_backends[account_id][region_name].create_security_configuration(name, config)
        return cls(account_id, region_name, props, name)

    def _update(self, props: dict[str, Any]) -> None:
        return None  # only EncryptionConfiguration/Name exist; both replace

    def _delete(self) -> None:
        _quietly_gone(glue_backends[self.account_id][self.region_name].delete_security_configuration, self.name)


# -- resource policies ------------------------------------------------------------


class CfnBucketPolicy(_Resource, CloudFormationModel):
    REPLACE_ON = ("Bucket",)

    def __init__(self, account_id: str, region_name: str, props: dict[str, Any]):
        self.account_id, self.region_name, self.properties = account_id, region_name, props
        self.bucket = props["Bucket"]

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::S3::BucketPolicy"

    @property
    def physical_resource_id(self) -> str:
        return self.bucket

    def _s3(self) -> Any:
        return s3_backends[self.account_id][get_partition(self.region_name)]

    @classmethod
    def _create(cls, name: str, props: dict[str, Any], account_id: str, region_name: str) -> Any:
        resource = cls(account_id, region_name, props)
        resource._update(props)
        return resource

    def _update(self, props: dict[str, Any]) -> None:
        self._s3().put_bucket_policy(self.bucket, _policy_text(props["PolicyDocument"]).encode("utf-8"))

    def _delete(self) -> None:
        _quietly_gone(self._s3().delete_bucket_policy, self.bucket)


class _PolicyAttachment(_Resource):
    """A policy document attached to a list of targets (queues, topics):
    applied to each on create and update, taken off dropped targets and on delete."""

    ATTRIBUTES = {"Id": "id"}
    TARGETS: ClassVar[str]
    ID_PREFIX: ClassVar[str]

    def __init__(self, account_id: str, region_name: str, props: dict[str, Any]):
        self.account_id, self.region_name, self.properties = account_id, region_name, props
        self.id = f"{self.ID_PREFIX}-{uuid.uuid4().hex[:12]}"

    @property
    def physical_resource_id(self) -> str:
        return self.id

    @classmethod
    def _create(cls, name: str, props: dict[str, Any], account_id: str, region_name: str) -> Any:
        resource = cls(account_id, region_name, props)
        resource._update(props)
        return resource

    def _update(self, props: dict[str, Any]) -> None:
        for target in set(self.properties.get(self.TARGETS) or []) - set(props.get(self.TARGETS) or []):
            self._detach(target)
        policy = _policy_text(props["PolicyDocument"])
        for target in props[self.TARGETS]:
            self._attach(target, policy)

    def _delete(self) -> None:
        for target in self.properties.get(self.TARGETS) or []:
            self._detach(target)

    def _attach(self, target: str, policy: str) -> None:
        raise NotImplementedError

    def _detach(self, target: str) -> None:
        raise NotImplementedError


def _queue_name(queue_url: str) -> str:
    return queue_url.rstrip("/").rsplit("/", 1)[-1]


class CfnQueuePolicy(_PolicyAttachment, CloudFormationModel):
    TARGETS = "Queues"
    ID_PREFIX = "queue-policy"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SQS::QueuePolicy"

    def _sqs(self) -> Any:
        return sqs_backends[self.account_id][self.region_name]

    def _attach(self, target: str, policy: str) -> None:
        # Only the Policy attribute: moto's setter leaves the others alone.
        self._sqs().set_queue_attributes(_queue_name(target), {"Policy": policy})

    def _detach(self, target: str) -> None:
        _quietly_gone(self._sqs().set_queue_attributes, _queue_name(target), {"Policy": ""})


class CfnTopicPolicy(_PolicyAttachment, CloudFormationModel):
    TARGETS = "Topics"
    ID_PREFIX = "topic-policy"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::TopicPolicy"

    def _sns(self) -> Any:
        return sns_backends[self.account_id][self.region_name]

    def _attach(self, target: str, policy: str) -> None:
        self._sns().set_topic_attribute(target, "policy", policy)

    def _detach(self, target: str) -> None:
        # AWS puts the topic's default policy back; moto's Topic builds it on creation.
        try:
            topic = self._sns().get_topic(target)
        except Exception as exc:
            if _is_not_found(exc):
                return
            raise
        default = topic._create_default_topic_policy(topic.sns_backend.region_name, topic.account_id, topic.name)
        topic.policy = json.dumps(default)


class CfnSubscription(_Resource, CloudFormationModel):
    ATTRIBUTES = {"Arn": "arn"}
    REPLACE_ON = ("TopicArn", "Protocol", "Endpoint")

    def __init__(self, account_id: str, region_name: str, props: dict[str, Any], arn: str):
        self.account_id, self.region_name, self.properties = account_id, region_name, props
        self.arn = arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::Subscription"

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @classmethod
    def _create(cls, name: str, props: dict[str, Any], account_id: str, region_name: str) -> Any:
        backend = sns_backends[account_id][region_name]
        subscription = backend.subscribe(props["TopicArn"], props.get("Endpoint"), props["Protocol"])
        resource = cls(account_id, region_name, props, subscription.arn)
        resource._update(props)
        return resource

    _ATTRIBUTE_PROPS = ("RawMessageDelivery", "FilterPolicyScope", "FilterPolicy", "RedrivePolicy", "DeliveryPolicy")

    def _update(self, props: dict[str, Any]) -> None:
        backend = sns_backends[self.account_id][self.region_name]
        for prop in self._ATTRIBUTE_PROPS:
            if prop in props:
                value = props[prop]
                value = value if isinstance(value, str) else json.dumps(value) if isinstance(value, dict) else _cfn_string(value)
                backend.set_subscription_attributes(self.arn, prop, value)

    def _delete(self) -> None:
        sns_backends[self.account_id][self.region_name].unsubscribe(self.arn)


# -- EventBridge Scheduler -------------------------------------------------------------


def _epoch(value: Any) -> Any:
    if value is None or isinstance(value, (int, float)):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def _schedule_values(props: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": props.get("Description"),
        "end_date": _epoch(props.get("EndDate")),
        "flexible_time_window": props["FlexibleTimeWindow"],
        "kms_key_arn": props.get("KmsKeyArn"),
        "schedule_expression": props["ScheduleExpression"],
        "schedule_expression_timezone": props.get("ScheduleExpressionTimezone"),
        "start_date": _epoch(props.get("StartDate")),
        "state": props.get("State", "ENABLED"),
        "target": json.loads(json.dumps(props["Target"])),
    }


class CfnSchedule(_Resource, CloudFormationModel):
    ATTRIBUTES = {"Arn": "arn"}
    REPLACE_ON = ("GroupName",)

    def __init__(self, account_id: str, region_name: str, props: dict[str, Any], name: str, group: str, arn: str):
        self.account_id, self.region_name, self.properties = account_id, region_name, props
        self.name, self.group, self.arn = name, group, arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Scheduler::Schedule"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @property
    def physical_resource_id(self) -> str:
        return self.name

    def _backend(self) -> Any:
        return scheduler_backends[self.account_id][self.region_name]

    @classmethod
    def _create(cls, name: str, props: dict[str, Any], account_id: str, region_name: str) -> Any:
        name = props.get("Name", name)[:64]
        group = props.get("GroupName") or "default"
        schedule = scheduler_backends[account_id][region_name].create_schedule(
            name=name,
            group_name=group,
            action_after_completion=props.get("ActionAfterCompletion"),
            **_schedule_values(props),
        )
        return cls(account_id, region_name, props, name, group, schedule.arn)

    def _update(self, props: dict[str, Any]) -> None:
        self._backend().update_schedule(name=self.name, group_name=self.group, **_schedule_values(props))

    def _delete(self) -> None:
        _quietly_gone(self._backend().delete_schedule, self.group, self.name)


# -- Lambda ------------------------------------------------------------------------------


class CfnEventInvokeConfig(_Resource, CloudFormationModel):
    REPLACE_ON = ("FunctionName", "Qualifier")
    _CONFIG_PROPS = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")

    def __init__(self, account_id: str, region_name: str, props: dict[str, Any]):
        self.account_id, self.region_name, self.properties = account_id, region_name, props
        self.id = f"{props['FunctionName']}-{uuid.uuid4().hex[:12]}"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::EventInvokeConfig"

    @property
    def physical_resource_id(self) -> str:
        return self.id

    def _lambda(self) -> Any:
        from moto.awslambda.models import lambda_backends

        return lambda_backends[self.account_id][self.region_name]

    def _function_name(self) -> str:
        name = self.properties["FunctionName"]
        qualifier = self.properties.get("Qualifier")
        return name if qualifier in (None, "$LATEST") else f"{name}:{qualifier}"

    @classmethod
    def _create(cls, name: str, props: dict[str, Any], account_id: str, region_name: str) -> Any:
        resource = cls(account_id, region_name, props)
        resource._put(props)
        return resource

    def _put(self, props: dict[str, Any]) -> None:
        config = {key: props[key] for key in self._CONFIG_PROPS if key in props}
        for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
            if key in config:
                config[key] = int(config[key])
        function = self._lambda().get_function(self._function_name())
        function.event_invoke_config = []  # one config per function and qualifier
        self._lambda().put_function_event_invoke_config(self._function_name(), config)

    def _update(self, props: dict[str, Any]) -> None:
        self._put(props)

    def _delete(self) -> None:
        try:
            function = self._lambda().get_function(self._function_name())
        except Exception as exc:
            if _is_not_found(exc):
                return
            raise
        function.event_invoke_config = []


# -- ECS ---------------------------------------------------------------------------------


def _capacity_provider_strategy(items: Any) -> list[dict[str, Any]]:
    """CloudFormation ``[{CapacityProvider, Weight, Base}]`` to the API's camelCase."""
    strategy = []
    for item in items or []:
        entry: dict[str, Any] = {"capacityProvider": item["CapacityProvider"]}
        for key in ("Weight", "Base"):
            if key in item:
                entry[key.lower()] = int(item[key])
        strategy.append(entry)
    return strategy


class CfnClusterCapacityProviderAssociations(_Resource, CloudFormationModel):
    """One per cluster; changing its cluster replaces it."""

    REPLACE_ON = ("Cluster",)

    def __init__(self, account_id: str, region_name: str, props: dict[str, Any]):
        self.account_id, self.region_name, self.properties = account_id, region_name, props
        self.cluster = str(props["Cluster"]).rsplit("/", 1)[-1]

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ECS::ClusterCapacityProviderAssociations"

    @property
    def physical_resource_id(self) -> str:
        return self.cluster

    def _ecs(self) -> Any:
        from moto.ecs.models import ecs_backends

        return ecs_backends[self.account_id][self.region_name]

    @classmethod
    def _create(cls, name: str, props: dict[str, Any], account_id: str, region_name: str) -> Any:
        resource = cls(account_id, region_name, props)
        resource._put(props)
        return resource

    def _put(self, props: dict[str, Any]) -> None:
        providers = [str(p) for p in props.get("CapacityProviders") or []]
        strategy = _capacity_provider_strategy(props.get("DefaultCapacityProviderStrategy"))
        unknown = [s["capacityProvider"] for s in strategy if s["capacityProvider"] not in providers]
        if unknown:
            raise ValueError(f"The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster: {unknown[0]}")
        self._ecs().put_cluster_capacity_providers(self.cluster, providers, strategy)

    def _update(self, props: dict[str, Any]) -> None:
        self._put(props)

    def _delete(self) -> None:
        _quietly_gone(self._ecs().put_cluster_capacity_providers, self.cluster, [], [])


# -----------------------------------------------------------------------------------------

MODELS: tuple[type, ...] = (
    CfnActivity,
    CfnStateMachine,
    CfnGlueJob,
    CfnGlueSecurityConfiguration,
    CfnBucketPolicy,
    CfnQueuePolicy,
    CfnTopicPolicy,
    CfnSubscription,
    CfnSchedule,
    CfnEventInvokeConfig,
    CfnClusterCapacityProviderAssociations,
)

_INSTALLED = False


def install() -> None:
    """Make moto's CloudFormation use these types (idempotent).

    The classes register themselves by being defined; moto caches its type
    map, so the caches are cleared, and the result is checked: each type
    must now resolve to the class here.
    """
    global _INSTALLED
    if _INSTALLED:
        return
    from moto.cloudformation import parsing

    cfn_policy_conditions.install()
    cfn_stack_fixes.install()
    cfn_bucket_notifications.install()
    cfn_condition_updates.install()
    from embedded_aws.cloudformation.managed_policies import CfnManagedPolicy  # defining it registers it

    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
    model_map = parsing.get_model_map()
    wrong = [m.cloudformation_type() for m in (*MODELS, CfnManagedPolicy) if model_map.get(m.cloudformation_type()) is not m]
    if wrong:
        raise RuntimeError(f"moto's CloudFormation does not resolve {wrong} to embedded_aws.cloudformation.resources")
    _INSTALLED = True
