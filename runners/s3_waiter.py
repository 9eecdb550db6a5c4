"""Wait-for-data: an activity whose task ends when the named S3 objects exist.

The wait runs through the same task lifecycle as Glue and Athena (record,
heartbeat, report exactly once); this adapter only decides whether a wait is
satisfied. It is race-free by ordering: the worker records the wait *before*
it looks for arrivals, and the object-created handler records the arrival
*before* it checks the waits (``check_waits``). Whichever happens second sees
the other, and the lifecycle's conditional report claim releases the wait
once. Files that landed before the wait was recorded, or while no worker ran,
are in the arrivals table; ``start`` also lists S3 once, so even objects
written before notifications were set up count.

Files of another week never match: the key, prefix or pattern names the run
date (e.g. ``raw/sales/2026-11-16/``).

A wait with a ``Schema`` (rendered from the input's ``schema``) checks the
files it found before it releases (``runners.schema_drift``): drift the
pipeline does not evolve fails the wait with ``SchemaDriftError``, so no
step reads the files; new columns it evolves are added to the tables first,
and the wait's output says which (``SchemaChanges``).
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence
from urllib.parse import unquote_plus

from .adapter import RunRef, RunStatus
from .arrivals import ArrivalStore, S3Object
import structlog
from botocore.exceptions import BotoCoreError, ClientError

from .errors import InvalidTaskInputError, RunnerError
from .retry import error_code, is_transient
from .schema_drift import (
    MAX_FILES, SchemaDriftError, SchemaExpectation, SchemaReadError, add_columns, catalog_columns, catalog_table, compare, merge,
    parse_expectation, read_csv, read_json_lines, read_parquet,
)
from .task_input import optional_int, optional_str, reject_unknown_keys, required_str

log = structlog.get_logger(__name__)

TASK_FIELDS = ("Bucket", "Key", "Prefix", "Pattern", "DoneMarker", "MinimumObjects", "Schema")
SCHEMA_DRIFT = "SCHEMA_DRIFT"
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")


class DataWaitFailedError(RunnerError):
    """Reserved for waits that can never be satisfied (not raised for plain timeouts:
    the state's TimeoutSeconds ends those as States.Timeout)."""

    error_name = "DataWaitFailedError"


@dataclass(frozen=True)
class WaitRequest:
    bucket: str
    key: str | None = None
    prefix: str | None = None
    pattern: str | None = None
    done_marker: str | None = None
    minimum_objects: int = 1
    schema: SchemaExpectation | None = None

    @property
    def search_prefix(self) -> str:
        """The literal part every matching key starts with (one index query)."""
        if self.key is not None:
            return self.key
        if self.prefix is not None:
            return self.prefix
        assert self.pattern is not None
        return re.split(r"[*?\[]", self.pattern, maxsplit=1)[0]

    def matches(self, key: str) -> bool:
        if key == self.done_marker:
            return False
        if self.key is not None:
            return key == self.key
        if self.prefix is not None:
            return key.startswith(self.prefix) and not key.endswith("/")
        return fnmatch.fnmatchcase(key, self.pattern or "")


def wait_failure(message: str, **details: Any) -> RunnerError:
    """The error of a wait that ends badly: schema drift, or a check that cannot be done."""
    if details.get("schemaDrift"):
        return SchemaDriftError(message, **details)
    return DataWaitFailedError(message, **details)


class S3WaitAdapter:
    kind = "wait"
    failure_error = staticmethod(wait_failure)

    def __init__(self, s3_client: Any, arrivals: ArrivalStore, glue_client: Any = None) -> None:
        self._s3 = s3_client
        self._arrivals = arrivals
        self._glue = glue_client

    def parse(self, payload: dict[str, Any]) -> WaitRequest:
        reject_unknown_keys(payload, TASK_FIELDS)
        bucket = required_str(payload, "Bucket", max_len=63)
        if not _BUCKET.match(bucket):
            raise InvalidTaskInputError(f"Bucket {bucket!r} is not a valid S3 bucket name")
        key = optional_str(payload, "Key", max_len=1024)
        prefix = optional_str(payload, "Prefix", max_len=1024)
        pattern = optional_str(payload, "Pattern", max_len=1024)
        if sum(v is not None for v in (key, prefix, pattern)) != 1:
            raise InvalidTaskInputError("exactly one of Key, Prefix or Pattern is required")
        minimum = optional_int(payload, "MinimumObjects", minimum=1, maximum=10000) or 1
        if key is not None and minimum != 1:
            raise InvalidTaskInputError("MinimumObjects applies to Prefix or Pattern, not Key")
        schema = parse_expectation(payload["Schema"]) if payload.get("Schema") is not None else None
        return WaitRequest(bucket, key, prefix, pattern, optional_str(payload, "DoneMarker", max_len=1024), minimum, schema)

    def group_of(self, request: WaitRequest) -> str:
        return request.bucket

    def find_started(self, task_id: str, request: WaitRequest, since: datetime) -> str | None:
        return None  # start() only reads: repeating it is harmless

    def start(self, task_id: str, request: WaitRequest) -> str:
        """Nothing to launch; remember what S3 already holds (objects written
        before notifications existed), then the wait is 'running'."""
        for obj in self._list(request.bucket, request.search_prefix):
            self._arrivals.record(obj)
        if request.done_marker:
            for obj in self._list(request.bucket, request.done_marker):
                if obj.key == request.done_marker:
                    self._arrivals.record(obj)
        return f"wait-{task_id[:16]}"

    def _list(self, bucket: str, prefix: str) -> Iterable[S3Object]:
        paginator = self._s3.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield S3Object(bucket, item["Key"], int(item.get("Size", 0)), item.get("ETag", "").strip('"'))
        except self._s3.exceptions.NoSuchBucket:
            raise InvalidTaskInputError(f"bucket {bucket!r} does not exist", bucket=bucket) from None

    def statuses(self, runs: Sequence[RunRef]) -> dict[str, RunStatus]:
        result: dict[str, RunStatus] = {}
        for ref in runs:
            request: WaitRequest = ref.request
            found = [o for o in self._arrivals.with_prefix(request.bucket, request.search_prefix) if request.matches(o.key)]
            marker_ok = request.done_marker is None or any(True for o in self._arrivals.with_prefix(request.bucket, request.done_marker) if o.key == request.done_marker)
            if len(found) >= request.minimum_objects and marker_ok:
                objects = sorted(found, key=lambda o: o.key)
                output = {
                    "Bucket": request.bucket,
                    "Objects": [o.as_output() for o in objects],
                }
                status = self._checked(ref, request, objects, output) if request.schema is not None else None
                if status is not None:
                    result[ref.run_id] = status
                    continue
                output["ReleasedAt"] = datetime.now(timezone.utc).isoformat()
                result[ref.run_id] = RunStatus("RELEASED", True, True, output)
            else:
                result[ref.run_id] = RunStatus("WAITING", False, False)
        return result

    # -- schema ------------------------------------------------------------------
    def _checked(self, ref: RunRef, request: WaitRequest, objects: list[S3Object], output: dict[str, Any]) -> RunStatus | None:
        """None to release (``output`` then says what evolved), or the status to
        report instead: drift (terminal), or still waiting (the table to evolve is
        not created yet, or a transient error: the next check looks again)."""
        schema = request.schema
        assert schema is not None
        bound = log.bind(run_id=ref.run_id, table=f"{schema.database}.{schema.table}")
        try:
            table = catalog_table(self._glue, schema.database, schema.table) if self._glue is not None else None
            expected = catalog_columns(table) if table else list(schema.columns)
            checked = objects[:MAX_FILES]
            drift = merge(compare(expected, self._columns(request, obj), schema.format) for obj in checked)
            if drift.breaking or (drift.added and schema.on_new_columns != "evolve"):
                policy = "" if drift.breaking else " (the input's schema says on_new_columns: fail)"
                message = (f"the files of {schema.database}.{schema.table}'s input do not have its columns: {drift.describe()}{policy}; "
                           "no step has read them")
                bound.warning("schema_drift", drift=drift.describe(), files=len(drift.files))
                details = {"schemaDrift": True, "table": f"{schema.database}.{schema.table}", "added": [n for n, _ in drift.added],
                           "removed": drift.removed, "retyped": drift.retyped, "reordered": drift.reordered, "files": drift.files,
                           "checkedFiles": len(checked), "bucket": request.bucket}
                return RunStatus(SCHEMA_DRIFT, True, False, details, message)
            if drift.added:
                if table is None:
                    bound.info("schema_evolution_waits_for_table", added=[n for n, _ in drift.added])
                    return RunStatus("WAITING", False, False)
                evolved = {f"{schema.database}.{name}": add_columns(self._glue, schema.database, name, drift.added)
                           for name in (schema.table, *schema.evolve)}
                bound.info("schema_evolved", added=[n for n, _ in drift.added], tables=evolved)
                output["SchemaChanges"] = {"Table": f"{schema.database}.{schema.table}", "Added": [[n, t] for n, t in drift.added],
                                           "Evolved": evolved}
            return None
        except SchemaReadError as exc:
            return RunStatus("SCHEMA_UNREADABLE", True, False, {"table": f"{schema.database}.{schema.table}"}, str(exc))
        except (ClientError, BotoCoreError) as exc:
            if is_transient(exc) or error_code(exc) == "EntityNotFoundException":
                bound.warning("schema_check_deferred", error=str(exc)[:300], error_code=error_code(exc))
                return RunStatus("WAITING", False, False)
            return RunStatus("SCHEMA_UNCHECKABLE", True, False, {"table": f"{schema.database}.{schema.table}", "errorCode": error_code(exc)},
                             f"the input's schema cannot be checked: {error_code(exc)}: {str(exc)[:300]}")

    def _columns(self, request: WaitRequest, obj: S3Object) -> Any:
        schema = request.schema
        assert schema is not None
        if schema.format == "csv":
            return read_csv(self._s3, obj.bucket, obj.key, obj.size, schema.delimiter)
        if schema.format == "json":
            return read_json_lines(self._s3, obj.bucket, obj.key, obj.size)
        return read_parquet(self._s3, obj.bucket, obj.key)

    def stop(self, run: RunRef) -> None:
        """A wait launches nothing, so there is nothing to stop."""


def objects_from_event(event: dict[str, Any]) -> list[S3Object]:
    """S3 object-created records from an S3 event, or from SQS/SNS messages wrapping one."""
    objects: list[S3Object] = []
    for record in event.get("Records", []):
        if "s3" in record and str(record.get("eventName", "")).startswith("ObjectCreated"):
            s3 = record["s3"]
            objects.append(
                S3Object(
                    s3["bucket"]["name"],
                    unquote_plus(s3["object"]["key"]),
                    int(s3["object"].get("size", 0)),
                    str(s3["object"].get("eTag", "")).strip('"'),
                )
            )
        elif "body" in record or "Sns" in record:
            body = record.get("body") if "body" in record else record["Sns"].get("Message")
            try:
                inner = json.loads(body or "{}")
            except json.JSONDecodeError:
                continue
            if isinstance(inner, dict) and "Message" in inner and "Records" not in inner:
                try:
                    inner = json.loads(inner["Message"])
                except (json.JSONDecodeError, TypeError):
                    continue
            if isinstance(inner, dict):
                objects.extend(objects_from_event(inner))
    return objects
