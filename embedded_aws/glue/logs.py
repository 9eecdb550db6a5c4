"""Glue job run output in the embedded CloudWatch Logs, as AWS Glue writes it.

AWS Glue's default (non-continuous) logging sends a job run's driver output
to CloudWatch Logs, one log stream per run named by the job run id::

    /aws-glue/jobs/output   <JobRunId>   the script's stdout
    /aws-glue/jobs/error    <JobRunId>   the script's stderr (a failed run's traceback)

``GetJobRun`` reports the root, ``LogGroupName: "/aws-glue/jobs"``. (Not
emulated: continuous logging, ``--enable-continuous-cloudwatch-log``, which on
Glue 4.0 and earlier writes ``/aws-glue/jobs/logs-v2`` streams
``<JobRunId>-driver`` / ``-executor``; Glue 5.0's real-time logging, which
puts stdout and stderr together in ``/output`` and system logs in ``/error``;
``--custom-logGroup-prefix``; log groups encrypted by a security
configuration.)

The local engine (``glue.engine``) writes each run's stdout and stderr to
``stdout.log`` / ``stderr.log`` in the run directory: Python shell runs
directly, glueetl runs through the warm Spark driver, which writes into the
same files (``glue.spark``). A ``RunLogPublisher`` per run follows those
files while the run runs (every ``poll_seconds``) and ships the last of them
when the run's process has exited, before the engine sets the final state:
a client that sees SUCCEEDED or FAILED finds all of the output in Logs.

Events go straight into moto's own Logs backend
(``logs_backends[account][region]``), so ``GetLogEvents``,
``FilterLogEvents`` and ``aws logs tail`` see them: the groups are created
if missing, the stream when the run starts; one event per line, stamped
with the time it was read, never earlier than the one before; a line longer
than CloudWatch's event limit is split into several events, and the events
are sent in batches within PutLogEvents' limits (count, bytes, 24 hours).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Iterator

from embedded_aws import compat
from embedded_aws.glue import engine as glue_engine

LOG_GROUP_NAME = "/aws-glue/jobs"  # JobRun.LogGroupName
OUTPUT_GROUP = f"{LOG_GROUP_NAME}/output"
ERROR_GROUP = f"{LOG_GROUP_NAME}/error"
#: (file in the run directory, log group it goes to)
RUN_OUTPUTS = (("stdout.log", OUTPUT_GROUP), ("stderr.log", ERROR_GROUP))

# PutLogEvents limits (CloudWatch Logs quotas).
EVENT_OVERHEAD_BYTES = 26
MAX_EVENT_BYTES = 262_144 - EVENT_OVERHEAD_BYTES  # one message, UTF-8
MAX_BATCH_BYTES = 1_048_576  # sum of (message bytes + 26)
MAX_BATCH_EVENTS = 10_000
MAX_BATCH_SPAN_MS = 24 * 3600 * 1000
#: How much of a log file one read takes (bounds memory on huge outputs).
READ_CHUNK_BYTES = 4 * 1024 * 1024

DEFAULT_POLL_SECONDS = 1.0

_log = logging.getLogger(__name__)


def split_message(message: str, limit: int = MAX_EVENT_BYTES) -> Iterator[str]:
    """``message`` in pieces of at most ``limit`` UTF-8 bytes, cut between characters."""
    encoded = message.encode("utf-8")
    if len(encoded) <= limit:
        yield message
        return
    start = 0
    while start < len(encoded):
        end = min(start + limit, len(encoded))
        while end < len(encoded) and (encoded[end] & 0xC0) == 0x80:  # inside a character
            end -= 1
        yield encoded[start:end].decode("utf-8")
        start = end


def batches(events: list[dict]) -> Iterator[list[dict]]:
    """Chronological ``events`` in PutLogEvents-sized batches."""
    batch: list[dict] = []
    size = 0
    for event in events:
        event_size = len(event["message"].encode("utf-8")) + EVENT_OVERHEAD_BYTES
        if batch and (
            len(batch) >= MAX_BATCH_EVENTS
            or size + event_size > MAX_BATCH_BYTES
            or event["timestamp"] - batch[0]["timestamp"] > MAX_BATCH_SPAN_MS
        ):
            yield batch
            batch, size = [], 0
        batch.append(event)
        size += event_size
    if batch:
        yield batch


def _logs_backend(account_id: str, region: str):  # type: ignore[no-untyped-def]
    from moto.logs.models import logs_backends

    return logs_backends[account_id][region]


def ensure_stream(account_id: str, region: str, group: str, stream: str) -> None:
    backend = _logs_backend(account_id, region)
    backend.ensure_log_group(group)
    backend.ensure_log_stream(group, stream)


def put_events(account_id: str, region: str, group: str, stream: str, events: list[dict]) -> None:
    """Put chronological events into a stream (created, with its group, if missing)."""
    ensure_stream(account_id, region, group, stream)
    backend = _logs_backend(account_id, region)
    for batch in batches(events):
        backend.put_log_events(group, stream, batch)


class _FileFollower:
    """One run output file shipped, line by line, to one log stream."""

    def __init__(self, path: Path, group: str):
        self.path = path
        self.group = group
        self._offset = 0
        self._pending = b""  # an unfinished last line
        self._last_ms = 0

    def _read_new(self) -> Iterator[bytes]:
        try:
            with self.path.open("rb") as fh:
                fh.seek(self._offset)
                while True:
                    data = fh.read(READ_CHUNK_BYTES)
                    if not data:
                        return
                    self._offset += len(data)
                    yield data
        except OSError:  # not written yet, or the run directory is gone
            return

    def new_events(self, final: bool) -> Iterator[list[dict]]:
        """Events for the lines written since the last call, a chunk at a time.

        An unfinished last line waits for its end unless ``final`` or it is
        already longer than one event may be.
        """
        for data in self._read_new():
            yield self._events(self._lines(data, final=False))
        if final and self._pending:
            yield self._events(self._lines(b"", final=True))

    def _lines(self, data: bytes, final: bool) -> list[bytes]:
        lines = (self._pending + data).split(b"\n")
        self._pending = b"" if final else lines.pop()
        if len(self._pending) > MAX_EVENT_BYTES:  # no end in sight: ship what fits
            lines.append(self._pending)
            self._pending = b""
        return lines

    def _events(self, lines: list[bytes]) -> list[dict]:
        now = max(int(time.time() * 1000), self._last_ms)
        self._last_ms = now
        events = []
        for line in lines:
            message = line.rstrip(b"\r").decode("utf-8", errors="replace")
            if message:  # CloudWatch has no empty events
                events.extend({"timestamp": now, "message": part} for part in split_message(message))
        return events


class RunLogPublisher:
    """Ships one Glue run's stdout and stderr files to its log streams."""

    def __init__(
        self,
        account_id: str,
        region: str,
        run_id: str,
        log_dir: Path,
        poll_seconds: float | None = DEFAULT_POLL_SECONDS,
    ):
        self.account_id = account_id
        self.region = region
        self.run_id = run_id
        self.poll_seconds = poll_seconds
        self._followers = [_FileFollower(log_dir / name, group) for name, group in RUN_OUTPUTS]
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Create the run's streams and follow its files (unless ``poll_seconds`` is None)."""
        for follower in self._followers:
            ensure_stream(self.account_id, self.region, follower.group, self.run_id)
        if self.poll_seconds is not None:
            self._thread = threading.Thread(
                target=self._follow, daemon=True, name=f"glue-logs-{self.run_id[:11]}"
            )
            self._thread.start()

    def finish(self) -> None:
        """Ship everything that is left, unfinished last lines included (idempotent)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self.publish(final=True)

    def publish(self, final: bool = False) -> None:
        with self._lock:
            for follower in self._followers:
                for events in follower.new_events(final):
                    if events:
                        put_events(self.account_id, self.region, follower.group, self.run_id, events)

    def _follow(self) -> None:
        assert self.poll_seconds is not None
        while not self._stop.wait(self.poll_seconds):
            try:
                self.publish()
            except Exception:  # never let a Logs hiccup end the follower; finish() retries
                _log.exception("shipping the output of Glue run %s to Logs failed", self.run_id)


class GlueRunLogs:
    """The engine hook: a publisher per live run."""

    def __init__(self, poll_seconds: float | None = DEFAULT_POLL_SECONDS):
        #: Seconds between reads of a live run's output (None: only when the run ends).
        self.poll_seconds = poll_seconds
        self._lock = threading.Lock()
        self._publishers: dict[glue_engine.GlueRun, RunLogPublisher] = {}

    def __call__(self, run: glue_engine.GlueRun, event: str) -> None:
        if event == "started" and run.log_dir is not None:
            publisher = RunLogPublisher(run.account_id, run.region, run.run_id, run.log_dir, self.poll_seconds)
            with self._lock:
                self._publishers[run] = publisher
            publisher.start()
        elif event == "ended":
            with self._lock:
                publisher = self._publishers.pop(run, None)
            if publisher is not None:
                publisher.finish()


_HOOK: GlueRunLogs | None = None


def hook() -> GlueRunLogs:
    """The installed hook (its ``poll_seconds`` can be changed)."""
    if _HOOK is None:
        raise RuntimeError("embedded_aws.glue.logs.install() has not been called")
    return _HOOK


def _check_moto() -> None:
    from moto.logs import models

    problems: list[str] = []
    backends = getattr(models, "logs_backends", None)
    if backends is None:
        problems.append("moto.logs.models.logs_backends is missing")
    backend_class = getattr(models, "LogsBackend", None)
    if backend_class is None:
        problems.append("moto.logs.models.LogsBackend is missing")
    else:
        compat.require_params(problems, compat._attr(problems, backend_class, "ensure_log_group", "LogsBackend"),
                       "LogsBackend.ensure_log_group", "log_group_name")
        compat.require_params(problems, compat._attr(problems, backend_class, "ensure_log_stream", "LogsBackend"),
                       "LogsBackend.ensure_log_stream", "log_group_name", "log_stream_name")
        compat.require_params(problems, compat._attr(problems, backend_class, "put_log_events", "LogsBackend"),
                       "LogsBackend.put_log_events", "log_group_name", "log_stream_name", "log_events")
    if problems:
        raise compat.EmulatorCompatibilityError(problems)


def install() -> GlueRunLogs:
    """Ship Glue run output to the embedded Logs (idempotent; after ``glue.engine.install``)."""
    global _HOOK
    if _HOOK is None:
        _check_moto()
        _HOOK = GlueRunLogs()
        glue_engine.engine().run_hooks.append(_HOOK)
    return _HOOK
