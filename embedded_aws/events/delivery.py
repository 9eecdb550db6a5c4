"""Delivering events to rules' targets as EventBridge does, and the one way
the emulator's own services (S3, Step Functions) put events on a bus.

moto 5.2.5 matches patterns (``wildcard`` included) but: delivers to a
DISABLED rule's targets; applies InputTransformer templates by plain text
replacement (a string value lands unquoted, so ``{"key": <key>}`` is not
JSON and the delivery fails); ignores ``Input`` and ``InputPath``; and
raises in the middle of a delivery to a target it has no code for (SNS,
Lambda). Here:

* a rule delivers only while ENABLED, and only events matching its pattern;
* SQS, SNS and Lambda targets receive ``input_transformer.target_input`` (the
  event, ``Input``, ``InputPath`` or the InputTransformer's output);
* CloudWatch Logs, event bus, archive and API destination targets keep moto's
  delivery (without input settings);
* PutTargets refuses, with "not supported locally", a target of an
  event-pattern rule that would never be delivered (another service, or
  input settings on a moto-delivered target) and JSON paths the local
  evaluation cannot follow;
* a failed delivery is logged and never reaches the event's source (on AWS
  delivery is asynchronous; PutEvents and the S3 or Step Functions call that
  caused the event succeed regardless);
* the services' own events pass through ``faults`` (test-only: dropped,
  repeated or delayed on purpose, as best-effort delivery may do on AWS).
"""

from __future__ import annotations

import copy
import datetime
import json
import logging
import threading
import uuid
from typing import Any, Callable

from moto.core.utils import unix_time
from moto.events.models import EventsBackend, Rule, events_backends
from moto.utilities.arns import parse_arn

from embedded_aws.compat import EmulatorCompatibilityError, require_params
from embedded_aws.events import faults, input_transformer

log = logging.getLogger(__name__)

OWN_DELIVERY = ("sqs", "sns", "lambda")  # targets that get input_transformer.target_input
MOTO_DELIVERY = ("logs", "events")  # moto's own delivery, the whole event only
_INPUT_SETTINGS = ("Input", "InputPath", "InputTransformer")


def _iso(moment: Any) -> str:
    if isinstance(moment, (int, float)):
        moment = datetime.datetime.fromtimestamp(float(moment), tz=datetime.timezone.utc)
    if isinstance(moment, datetime.datetime):
        return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(moment)


def aws_event(event: dict[str, Any]) -> dict[str, Any]:
    """The event as targets see it: ``time`` in ISO 8601, no internal fields."""
    shaped = {k: v for k, v in event.items() if k != "ingestion-time"}
    shaped["time"] = _iso(event.get("time") or unix_time())
    return shaped


# --- PutTargets ------------------------------------------------------------------------------


def check_target(target: dict[str, Any]) -> None:
    """NotImplementedError for a target of an event-pattern rule the embedded AWS cannot deliver."""
    service = parse_arn(target["Arn"]).service
    customised = [name for name in _INPUT_SETTINGS if target.get(name) is not None]
    if service not in OWN_DELIVERY + MOTO_DELIVERY:
        raise NotImplementedError(f"EventBridge delivery to {service} targets ({target['Arn']}) is not supported locally; "
                                  f"supported: {', '.join(OWN_DELIVERY + MOTO_DELIVERY)}")
    if service in MOTO_DELIVERY and customised:
        raise NotImplementedError(f"{', '.join(customised)} on a {service} target is not supported locally "
                                  f"(only on {', '.join(OWN_DELIVERY)} targets)")
    if target.get("InputPath"):
        input_transformer.check_path(target["InputPath"])
    for path in ((target.get("InputTransformer") or {}).get("InputPathsMap") or {}).values():
        input_transformer.check_path(path)


_moto_put_targets: Callable[..., None] | None = None


def put_targets(self: EventsBackend, name: str, event_bus_arn: str | None, targets: list[dict[str, Any]]) -> None:
    bus = self.event_buses.get(self._normalize_event_bus_arn(event_bus_arn))
    rule = bus.rules.get(name) if bus is not None else None
    if rule is not None and rule.event_pattern.get_pattern():
        for target in targets:
            check_target(target)
    _moto_put_targets(self, name, event_bus_arn, targets)  # type: ignore[misc]


# --- delivery --------------------------------------------------------------------------------

_moto_send_to_targets: Callable[..., None] | None = None


def _deliver(rule: Rule, target: dict[str, Any], event: dict[str, Any], moto_event: dict[str, Any],
             ingestion_time: str, transform_input: bool) -> None:
    arn = parse_arn(target["Arn"])
    if arn.service not in OWN_DELIVERY:
        single = copy.copy(rule)
        single.targets = [target]
        _moto_send_to_targets(single, moto_event, transform_input)  # type: ignore[misc]
        return
    body = input_transformer.target_input(target, event, rule_name=rule.name, rule_arn=rule.arn, ingestion_time=ingestion_time)
    if arn.service == "sqs":
        from moto.sqs.models import sqs_backends

        group_id = (target.get("SqsParameters") or {}).get("MessageGroupId")
        sqs_backends[arn.account][arn.region].send_message(queue_name=arn.resource_id, message_body=body, group_id=group_id)
    elif arn.service == "sns":
        from moto.sns.models import sns_backends

        sns_backends[arn.account][arn.region].publish(message=body, arn=target["Arn"])
    else:
        from moto.awslambda.utils import get_backend

        function = get_backend(arn.account, arn.region).get_function(target["Arn"])
        try:
            payload: Any = json.loads(body)
        except json.JSONDecodeError:
            payload = body
        # Asynchronous invocation, as EventBridge invokes functions.
        threading.Thread(target=function._invoke_lambda, kwargs={"event": payload}, daemon=True).start()


def send_to_targets(self: Rule, original_event: dict[str, Any], transform_input: bool = True) -> None:
    """Deliver one event to this rule's targets if the rule is enabled and matches."""
    if str(self.state).upper() != "ENABLED":
        return
    event = aws_event(original_event)
    if not self.event_pattern.matches_event(event):
        return
    ingestion_time = _iso(original_event.get("ingestion-time") or unix_time())
    for target in list(self.targets):
        try:
            _deliver(self, target, event, original_event, ingestion_time, transform_input)
        except Exception as exc:  # noqa: BLE001 - a failed delivery never fails the event's source
            log.warning("EventBridge rule %s could not deliver to %s: %s: %s", self.name, target.get("Arn"), type(exc).__name__, exc)


def put_event(account_id: str, region: str, source: str, detail_type: str, detail: dict[str, Any],
              resources: list[str], bus: str = "default") -> str:
    """Put a service's event on a bus (how S3, Step Functions, Glue and Athena
    emit theirs); return its id. The test-only ``faults`` may drop, repeat or
    delay it."""
    now = unix_time()
    event = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account_id,
        "time": now,
        "region": region,
        "resources": list(resources),
        "detail": detail,
        "ingestion-time": now,
    }
    for delay in faults.FAULTS.plan(event):
        if delay > 0:
            timer = threading.Timer(delay, _to_rules, args=(account_id, region, bus, event))
            timer.daemon = True
            timer.start()
        else:
            _to_rules(account_id, region, bus, event)
    return event["id"]


def _to_rules(account_id: str, region: str, bus: str, event: dict[str, Any]) -> None:
    backend: EventsBackend = events_backends[account_id][region]
    event_bus = backend.event_buses.get(bus)
    for rule in list(event_bus.rules.values()) if event_bus is not None else []:
        rule.send_to_targets(copy.deepcopy(event))


# --- install -----------------------------------------------------------------------------------


def _check() -> None:
    problems: list[str] = []
    rule = Rule("probe", "123456789012", "us-east-1", None, '{"source": ["probe"]}', None, None, "default", None)
    backend = EventsBackend("us-east-1", "123456789012")
    for owner, names in ((rule, ("send_to_targets", "event_pattern", "state", "targets", "arn", "name")),
                         (backend, ("put_targets", "event_buses", "_normalize_event_bus_arn"))):
        for name in names:
            if not hasattr(owner, name):
                problems.append(f"moto.events.models.{type(owner).__name__}.{name} is missing (embedded_aws.events)")
    if not hasattr(rule.event_pattern, "matches_event") or not hasattr(rule.event_pattern, "get_pattern"):
        problems.append("moto.events.models.EventPattern has no matches_event/get_pattern (embedded_aws.events)")
    if "default" not in getattr(backend, "event_buses", {}):
        problems.append("moto's EventsBackend no longer creates the default bus (embedded_aws.events)")
    require_params(problems, getattr(Rule, "send_to_targets", None), "Rule.send_to_targets", "original_event", "transform_input")
    require_params(problems, getattr(EventsBackend, "put_targets", None), "EventsBackend.put_targets", "name", "event_bus_arn", "targets")
    from moto.sns.models import SNSBackend
    from moto.sqs.models import SQSBackend

    require_params(problems, SQSBackend.send_message, "SQSBackend.send_message", "queue_name", "message_body", "group_id")
    require_params(problems, SNSBackend.publish, "SNSBackend.publish", "message", "arn")
    if problems:
        raise EmulatorCompatibilityError(problems)


_INSTALLED = False


def install() -> None:
    """EventBridge delivery as AWS documents it (idempotent)."""
    global _INSTALLED, _moto_put_targets, _moto_send_to_targets
    if _INSTALLED:
        return
    _check()
    _moto_put_targets = EventsBackend.put_targets
    _moto_send_to_targets = Rule.send_to_targets
    EventsBackend.put_targets = put_targets  # type: ignore[method-assign]
    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]
    _INSTALLED = True
