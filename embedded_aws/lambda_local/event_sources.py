"""Delivers S3 object-created notifications to the waiter handler, locally.

On AWS, S3 sends object-created events to an SQS queue that triggers the
``object_created`` Lambda. Locally the same queue exists on the embedded
server and this thread plays Lambda's event source mapping: it long-polls the
queue and calls the same handler code with the same SQS event shape. A message
is deleted only after the handler succeeded, so nothing is lost if it fails.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import structlog

log = structlog.get_logger("embedded_aws.lambda_local.event_sources")


class EventPump:
    def __init__(self, sqs_client: Any, queue_url: str, handler: Callable[[dict], Any], wait_seconds: int = 1) -> None:
        self._sqs = sqs_client
        self._queue_url = queue_url
        self._handler = handler
        self._wait_seconds = wait_seconds
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="s3-event-pump", daemon=True)
        self.delivered = 0

    def start(self) -> "EventPump":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=self._wait_seconds + 10)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.pump_once()
            except Exception as exc:  # noqa: BLE001 - keep delivering; messages stay queued
                log.warning("event_pump_failed", error=str(exc)[:300])
                self._stopping.wait(1.0)

    def pump_once(self) -> int:
        response = self._sqs.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=self._wait_seconds)
        messages = response.get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [{"messageId": m["MessageId"], "body": m["Body"], "eventSource": "aws:sqs"} for m in messages]}
        self._handler(event)
        self._sqs.delete_message_batch(
            QueueUrl=self._queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
        self.delivered += len(messages)
        return len(messages)
