"""A serving worker's consumer of its kind's job state change events (SQS).

One thread long-polls the queue (20 s, up to 10 messages) and hands each
event to ``runners.job_events.handle_event``. What happens to the message
then:

    REPORTED, DONE        deleted
    NOT_FOUND, young      kept here and tried again (0.25, 1 and 3.25 s after,
                          and at once when this worker starts a run) for
                          EARLY_EVENT_SECONDS, then deleted
    NOT_FOUND, old        deleted: not the runner's run (or reported long ago)
    RETRY                 left in the queue, visible again after a few seconds
                          (after the reporter's lease if a report is under way)

A message is deleted only after its task is reported or found done, so a
worker killed while it handles one (``ETL_FAILPOINT=event_received``) leaves
it to come back, to itself or another worker, after the queue's visibility
timeout. Messages received while the worker stops are left alone: they come
back too.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from . import failpoints
from .job_events import EARLY_EVENT_SECONDS, Handled, JobEvent, handle_event, parse_event
from .retry import error_code

if TYPE_CHECKING:
    from .activity import TaskLifecycle

log = structlog.get_logger("runners.events_consumer")

LONG_POLL_SECONDS = 20  # SQS's longest
BATCH = 10  # SQS's largest
RETRY_VISIBILITY_SECONDS = 5
FIRST_RETRY_SECONDS = 0.25
RETRY_BACKOFF = 3.0  # an event of another job's run costs at most 4 index lookups


@dataclass(frozen=True)
class EventsQueue:
    """Where a kind's job events arrive: an SQS client and the queue's URL."""

    sqs: Any
    url: str


@dataclass
class _Early:
    """A message whose run has no task yet."""

    message: dict[str, Any]
    event: JobEvent
    first_seen: float
    next_try: float
    wait: float = FIRST_RETRY_SECONDS


@dataclass
class ConsumerStats:
    received: int = 0
    reported: int = 0
    done: int = 0
    let_go: int = 0  # NOT_FOUND for good
    retried: int = 0
    errors: int = 0


class EventConsumer:
    def __init__(self, lifecycle: "TaskLifecycle", queue: EventsQueue, clock: Any = time.monotonic) -> None:
        self.lifecycle = lifecycle
        self.queue = queue
        self.clock = clock
        self.stats = ConsumerStats()
        self._early: dict[str, _Early] = {}  # by message id
        self._poke = threading.Event()

    def poke(self) -> None:
        """A run just started here: an early event may have its task now."""
        self._poke.set()

    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop`` is set (a receive already open finishes first)."""
        backoff = 0.0
        while not stop.is_set():
            try:
                self._receive_once(stop)
                backoff = 0.0
            except Exception as exc:  # noqa: BLE001 - the consumer never dies; the sweep is behind it
                self.stats.errors += 1
                backoff = min(max(backoff * 2, 0.5), 20.0)
                log.warning("events_receive_failed", error=str(exc)[:300], error_code=error_code(exc), retry_in_seconds=backoff)
                stop.wait(backoff)

    def _receive_once(self, stop: threading.Event) -> None:
        wait = LONG_POLL_SECONDS
        if self._early:
            until = min(e.next_try for e in self._early.values()) - self.clock()
            if until > 0 and self._poke.wait(min(until, 1.0)):
                self._poke.clear()
                for early in self._early.values():
                    early.next_try = self.clock()
            wait = 0
        response = self.queue.sqs.receive_message(
            QueueUrl=self.queue.url, MaxNumberOfMessages=BATCH, WaitTimeSeconds=wait, AttributeNames=["ApproximateReceiveCount"],
        )
        if stop.is_set():
            return  # not handled, not deleted: they come back
        for message in response.get("Messages", []):
            self.stats.received += 1
            failpoints.hit("event_received")
            self._take(message)
        self._retry_early()

    def _take(self, message: dict[str, Any]) -> None:
        event = parse_event(message.get("Body", ""))
        if event is None:
            log.warning("events_message_ignored", message_id=message.get("MessageId"), reason="not a Glue or Athena state change event")
            self._delete(message)
            return
        self._settle(message, event, handle_event(self.lifecycle, event), first_seen=self.clock())

    def _settle(self, message: dict[str, Any], event: JobEvent, handled: Handled, first_seen: float) -> None:
        now = self.clock()
        if handled in (Handled.REPORTED, Handled.DONE):
            self.stats.reported += handled is Handled.REPORTED
            self.stats.done += handled is Handled.DONE
            self._early.pop(message["MessageId"], None)
            self._delete(message)
        elif handled is Handled.NOT_FOUND:
            early = self._early.get(message["MessageId"])
            wait = FIRST_RETRY_SECONDS if early is None else early.wait * RETRY_BACKOFF
            young = event.age_seconds(time.time()) < EARLY_EVENT_SECONDS + 2  # (event times are to the second)
            if young and now + wait - first_seen <= EARLY_EVENT_SECONDS:
                if early is None:
                    self._early[message["MessageId"]] = _Early(message, event, first_seen, now + wait, wait)
                else:
                    early.wait, early.next_try = wait, now + wait
                return
            self._early.pop(message["MessageId"], None)
            self.stats.let_go += 1
            log.debug("job_event_not_ours", kind=event.kind, run_id=event.run_id, state=event.state)
            self._delete(message)
        else:
            self.stats.retried += 1
            self._early.pop(message["MessageId"], None)
            self._later(message, self._retry_after(event))

    def _retry_early(self) -> None:
        now = self.clock()
        for message_id, early in list(self._early.items()):
            if early.next_try <= now:
                self._settle(early.message, early.event, handle_event(self.lifecycle, early.event), early.first_seen)

    def _retry_after(self, event: JobEvent) -> int:
        """Seconds until the message should come back: after the lease of a
        report under way, else a few seconds."""
        record = self.lifecycle.held_run(event.run_id)
        if record is not None and record.lease_until > time.time():
            return int(record.lease_until - time.time()) + 1
        return RETRY_VISIBILITY_SECONDS

    def _delete(self, message: dict[str, Any]) -> None:
        try:
            self.queue.sqs.delete_message(QueueUrl=self.queue.url, ReceiptHandle=message["ReceiptHandle"])
        except Exception as exc:  # noqa: BLE001 - it comes back and is found done
            log.warning("events_delete_failed", error=str(exc)[:300], error_code=error_code(exc))

    def _later(self, message: dict[str, Any], seconds: int) -> None:
        try:
            self.queue.sqs.change_message_visibility(QueueUrl=self.queue.url, ReceiptHandle=message["ReceiptHandle"],
                                                     VisibilityTimeout=max(0, min(seconds, 43200)))
        except Exception as exc:  # noqa: BLE001 - it comes back after the queue's own timeout
            log.warning("events_retry_later_failed", error=str(exc)[:300], error_code=error_code(exc))
