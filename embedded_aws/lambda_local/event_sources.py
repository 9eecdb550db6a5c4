"""Lambda event source mappings from SQS queues, as Lambda's pollers run them.

moto delivers to a mapped function only at the instant a message is sent, from
inside the SendMessage request, and never again (a message sent before the
mapping existed, or one whose invocation failed, waits forever). Here each
enabled SQS mapping gets a poller, as on AWS: it long-polls the queue, invokes
the function with up to ``BatchSize`` records in the SQS event shape, deletes
the batch only when the invocation succeeded, and otherwise lets the messages
reappear after the queue's visibility timeout. Disabling or deleting the
mapping stops its poller.

With ``FunctionResponseTypes: ["ReportBatchItemFailures"]`` a successful
invocation may name the messages that failed (``{"batchItemFailures":
[{"itemIdentifier": messageId}, ...]}``): only the others are deleted. As
the Lambda developer guide says, an empty or null list (or no response)
means the whole batch succeeded, and a response that cannot be read (not
JSON, an item without an identifier, an identifier not in the batch) means
the whole batch failed.
"""

from __future__ import annotations

import inspect
import json
import threading
import time
from typing import Any

from moto.awslambda.models import EventSourceMapping, LambdaBackend
from moto.awslambda.utils import get_backend as lambda_backend
from moto.sqs.models import sqs_backends

from embedded_aws.compat import EmulatorCompatibilityError

POLL_WAIT_SECONDS = 1
IDLE_SECONDS = 0.5


class SqsEventSource:
    """The poller of one SQS event source mapping."""

    def __init__(self, esm: EventSourceMapping) -> None:
        self.esm = esm
        self.queue_name = esm.event_source_arn.rsplit(":", 1)[-1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"esm-{esm.uuid[:8]}", daemon=True)
        self.invocations = 0

    def start(self) -> "SqsEventSource":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _mapping_live(self) -> bool:
        backend = lambda_backend(self.esm.account_id, self.esm.region)
        return self.esm.uuid in backend._event_source_mappings

    def _run(self) -> None:
        while not self._stop.is_set() and self._mapping_live():
            if not self.esm.enabled:
                self._stop.wait(IDLE_SECONDS)
                continue
            try:
                self.poll_once()
            except Exception:  # noqa: BLE001 - a poller never dies; the messages stay queued
                self._stop.wait(IDLE_SECONDS)

    def poll_once(self) -> int:
        sqs = sqs_backends[self.esm.account_id][self.esm.region]
        queue = sqs.get_queue(self.queue_name)
        messages = sqs.receive_message(self.queue_name, int(self.esm.batch_size or 10), POLL_WAIT_SECONDS, int(queue.visibility_timeout))
        if not messages:
            return 0
        event = {"Records": [_record(message, queue.queue_arn, self.esm.region) for message in messages]}
        function = lambda_backend(self.esm.account_id, self.esm.region).get_function(self.esm.function_arn)
        result, errored, _ = function._invoke_lambda(event=event)
        self.invocations += 1
        if errored:
            return len(messages)
        failed = _failed_items(result, {m.id for m in messages}) if self._reports_item_failures() else set()
        if failed is None:
            return len(messages)
        for message in messages:
            if message.id not in failed:
                sqs.delete_message(self.queue_name, message.receipt_handle)
        return len(messages)

    def _reports_item_failures(self) -> bool:
        return "ReportBatchItemFailures" in (getattr(self.esm, "function_response_types", None) or [])


def _failed_items(result: Any, batch: set[str]) -> set[str] | None:
    """The message ids a function reported as failed; None if the whole batch failed."""
    try:
        response = json.loads(result) if isinstance(result, (str, bytes)) and result else result
    except json.JSONDecodeError:
        return None
    if not response:
        return set()
    if not isinstance(response, dict):
        return None
    items = response.get("batchItemFailures")
    if not items:
        return set()
    if not isinstance(items, list):
        return None
    failed: set[str] = set()
    for item in items:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, str) or identifier not in batch:
            return None
        failed.add(identifier)
    return failed


def _record(message: Any, queue_arn: str, region: str) -> dict[str, Any]:
    return {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": {
            "ApproximateReceiveCount": str(getattr(message, "approximate_receive_count", 1)),
            "SentTimestamp": str(getattr(message, "sent_timestamp", int(time.time() * 1000))),
            "SenderId": "embedded-aws",
            "ApproximateFirstReceiveTimestamp": str(getattr(message, "approximate_first_receive_timestamp", int(time.time() * 1000))),
        },
        "messageAttributes": {},
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


_POLLERS: dict[str, SqsEventSource] = {}
_LOCK = threading.Lock()


def stop_all() -> None:
    """Stop every poller (the embedded AWS stops or resets)."""
    with _LOCK:
        for poller in _POLLERS.values():
            poller.stop()
        _POLLERS.clear()


def _create_event_source_mapping(original: Any) -> Any:
    def create(self: LambdaBackend, spec: dict[str, Any]) -> EventSourceMapping:
        esm = original(self, spec)
        if ":sqs:" in esm.event_source_arn:
            # Take delivery away from moto's send-time path; our poller owns it.
            queue = sqs_backends[esm.account_id][esm.region].get_queue(esm.event_source_arn.rsplit(":", 1)[-1])
            queue.lambda_event_source_mappings.pop(esm.function_arn, None)
            with _LOCK:
                _POLLERS[esm.uuid] = SqsEventSource(esm).start()
        return esm

    create.__wrapped__ = original  # type: ignore[attr-defined]
    return create


def _check() -> None:
    missing = [f"moto.awslambda.models.LambdaBackend.{n} (embedded_aws.lambda_local)" for n in ("create_event_source_mapping", "get_function") if not hasattr(LambdaBackend, n)]
    if "self.function_response_types" not in inspect.getsource(EventSourceMapping.__init__):
        missing.append("moto.awslambda.models.EventSourceMapping.function_response_types (embedded_aws.lambda_local)")
    if missing:
        raise EmulatorCompatibilityError(missing)


def install() -> None:
    """SQS event source mappings get pollers (idempotent)."""
    _check()
    if not hasattr(LambdaBackend.create_event_source_mapping, "__wrapped__"):
        LambdaBackend.create_event_source_mapping = _create_event_source_mapping(LambdaBackend.create_event_source_mapping)  # type: ignore[method-assign]
