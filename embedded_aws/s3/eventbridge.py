"""S3 events on EventBridge, in the shape of the S3 user guide's "EventBridge
event message structure".

When a bucket's notification configuration has ``EventBridgeConfiguration``,
S3 puts every event on the account's default bus. moto 5.2.5 sends them,
but: to the rules of every bus; with one fixed event id; ``eTag`` where AWS
writes ``etag``; the same ``sequencer`` for every event; ``reason``
"ObjectCreated" where AWS names the API (``PutObject``, ``POST Object``,
``CopyObject``, ``CompleteMultipartUpload``); ``version-id`` null for an
unversioned bucket; and without the rule's input settings. Here the event is
built as documented and delivered through ``embedded_aws.events.delivery``.

moto also announces its own inner steps: every new object is tagged through
the call that announces "Object Tags Added" (S3 announces tags set by
PutObjectTagging), and CompleteMultipartUpload stores the object through
PutObject (S3 announces one object created, by CompleteMultipartUpload).
The S3 API in flight (``_api``) tells which events S3 itself would send.
"""

from __future__ import annotations

import contextvars
import inspect
import secrets
import string
import threading
import time
from typing import Any, Callable

from moto.s3 import notifications
from moto.s3.models import S3Backend
from moto.s3.responses import S3Response

from embedded_aws.compat import EmulatorCompatibilityError
from embedded_aws.events import delivery

# The API that caused the event, as the detail's ``reason`` names it.
REASONS = {
    "s3:ObjectCreated:Put": "PutObject",
    "s3:ObjectCreated:Post": "POST Object",
    "s3:ObjectCreated:Copy": "CopyObject",
    "s3:ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
    "s3:ObjectRemoved:Delete": "DeleteObject",
    "s3:ObjectRemoved:DeleteMarkerCreated": "DeleteObject",
}
DELETION_TYPES = {
    "s3:ObjectRemoved:Delete": "Permanently Deleted",
    "s3:ObjectRemoved:DeleteMarkerCreated": "Delete Marker Created",
}
SOURCE_IP = "127.0.0.1"  # every request reaches the embedded AWS from this machine
TAGS_ADDED = "s3:ObjectTagging:Put"
PUT = "s3:ObjectCreated:Put"

_api: contextvars.ContextVar[str] = contextvars.ContextVar("embedded_aws_s3_api", default="")

_sequence_lock = threading.Lock()
_last_sequencer = 0


def _sequencer() -> str:
    """A hexadecimal value that grows with every event (AWS: compare per key, later is greater)."""
    global _last_sequencer
    with _sequence_lock:
        _last_sequencer = max(_last_sequencer + 1, time.time_ns())
        return f"{_last_sequencer:016X}"


def _request_id() -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))


def detail(account_id: str, bucket: Any, event_name: str, key: Any) -> dict[str, Any]:
    """The event's ``detail`` for ``event_name`` (moto's ``s3:...`` notification name)."""
    event_name = str(getattr(event_name, "value", event_name))
    created = event_name.startswith("s3:ObjectCreated:")
    removed = event_name.startswith("s3:ObjectRemoved:")
    obj: dict[str, Any] = {"key": key.name}
    if not removed:
        obj["size"] = key.size
    obj["etag"] = key.etag.replace('"', "")
    version = getattr(key, "version_id", None)
    if getattr(bucket, "is_versioned", False) and version not in (None, "null"):
        obj["version-id"] = version
    if created or removed:
        obj["sequencer"] = _sequencer()
    result: dict[str, Any] = {
        "version": "0",
        "bucket": {"name": bucket.name},
        "object": obj,
        "request-id": _request_id(),
        "requester": account_id,
        "source-ip-address": SOURCE_IP,
    }
    if event_name in REASONS:
        result["reason"] = REASONS[event_name]
    if event_name in DELETION_TYPES:
        result["deletion-type"] = DELETION_TYPES[event_name]
    return result


def send_event_bridge_message(account_id: str, bucket: Any, event_name: str, key: Any) -> None:
    """moto's hook for buckets with EventBridge notifications: one event on the default bus."""
    name = str(getattr(event_name, "value", event_name))
    if name == TAGS_ADDED and _api.get() != "PutObjectTagging":
        return  # moto tagging a new object
    if name == PUT and _api.get() == "CompleteMultipartUpload":
        return  # moto storing the completed upload
    detail_type = notifications._detail_type(event_name)
    delivery.put_event(account_id, bucket.region_name, "aws.s3", detail_type,
                       detail(account_id, bucket, event_name, key), [bucket.arn])


def _in_flight(api: str, original: Callable[..., Any]) -> Callable[..., Any]:
    """``original`` with ``api`` as the S3 API in flight while it runs."""
    def call(*args: Any, **kwargs: Any) -> Any:
        token = _api.set(api)
        try:
            return original(*args, **kwargs)
        finally:
            _api.reset(token)

    call.__wrapped__ = original  # type: ignore[attr-defined]
    return call


def _check() -> None:
    problems: list[str] = []
    if not hasattr(S3Response, "put_object_tagging"):
        problems.append("moto.s3.responses.S3Response.put_object_tagging is missing (embedded_aws.s3.eventbridge)")
    if "self.put_object(" not in inspect.getsource(S3Backend.complete_multipart_upload):
        problems.append("moto's S3Backend.complete_multipart_upload no longer stores through put_object (embedded_aws.s3.eventbridge)")
    for name in ("_send_event_bridge_message", "_detail_type", "send_event"):
        if not hasattr(notifications, name):
            problems.append(f"moto.s3.notifications.{name} is missing (embedded_aws.s3.eventbridge)")
    if hasattr(notifications, "send_event") and "_send_event_bridge_message(account_id, bucket, event_name, key)" not in inspect.getsource(notifications.send_event):
        problems.append("moto.s3.notifications.send_event no longer calls _send_event_bridge_message(account_id, bucket, event_name, key)")
    if problems:
        raise EmulatorCompatibilityError(problems)


def install() -> None:
    """S3's EventBridge events as documented (idempotent)."""
    if notifications._send_event_bridge_message is not send_event_bridge_message:
        _check()
        notifications._send_event_bridge_message = send_event_bridge_message  # type: ignore[assignment]
        S3Response.put_object_tagging = _in_flight("PutObjectTagging", S3Response.put_object_tagging)  # type: ignore[method-assign]
        S3Backend.complete_multipart_upload = _in_flight(  # type: ignore[method-assign]
            "CompleteMultipartUpload", S3Backend.complete_multipart_upload)
