"""Table data in the embedded S3, as the local Athena reads it.

DuckDB cannot read the emulator's S3 (no httpfs here), so the objects under
a table's location are listed on moto's S3 backend in-process and copied
into a local cache that DuckDB reads. A copy is keyed by bucket, key and
ETag: a repeated query reads the same copy, a rewritten object gets a new
one.

Like Athena (Hive), listing skips what is not data: "folder" markers and
other zero-byte objects, Hadoop's ``_$folder$`` markers, and any path
component starting with ``_`` or ``.`` (``_SUCCESS``, ``_temporary/``,
``.part-0000.crc``), and Hadoop checksum files (``*.crc``).
"""

from __future__ import annotations

import atexit
import datetime
import hashlib
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from moto.s3.models import FakeDeleteMarker, s3_backends
from moto.utilities.utils import get_partition

from embedded_aws.s3.objects import S3LocationError, S3Uri


@dataclass(frozen=True)
class S3Object:
    """One object under a location: its key relative to the location, size and ETag."""

    bucket: str
    key: str
    relative_key: str
    size: int
    etag: str
    last_modified: datetime.datetime | None = None  # UTC, for "$file_modified_time"

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def folder_prefix(uri: S3Uri) -> str:
    """The key prefix of a location read as a folder (``joined`` -> ``joined/``)."""
    return uri.key if not uri.key or uri.key.endswith("/") else uri.key + "/"


def is_hidden(relative_key: str) -> bool:
    """True for keys Athena does not read as data (markers, ``_``/``.`` paths, checksums)."""
    if not relative_key or relative_key.endswith(("/", "_$folder$", ".crc")):
        return True
    return any(part.startswith(("_", ".")) for part in relative_key.split("/") if part)


def list_objects(account_id: str, region: str, location: str) -> list[S3Object]:
    """Every object under ``location`` (recursively), sorted by key; markers included."""
    uri = S3Uri.parse(location)
    backend = s3_backends[account_id][get_partition(region)]
    try:
        bucket = backend.get_bucket(uri.bucket)
    except Exception as exc:  # moto's MissingBucket
        raise S3LocationError(f"Cannot list {location}: the bucket {uri.bucket} does not exist") from exc
    prefix = folder_prefix(uri)
    for _ in range(5):  # a concurrent upload can change the key store while we copy it
        try:
            keys = list(bucket.keys.items())
            break
        except RuntimeError:
            continue
    else:
        keys = list(bucket.keys.items())
    found = []
    for name, key in keys:
        if not name.startswith(prefix) or isinstance(key, FakeDeleteMarker):
            continue
        with key.lock:
            etag = key.etag
            modified = key.last_modified
        if modified is not None and modified.tzinfo is None:
            modified = modified.replace(tzinfo=datetime.timezone.utc)
        found.append(S3Object(uri.bucket, name, name[len(prefix):], key.size, etag, modified))
    return sorted(found, key=lambda obj: obj.key)


def data_files(account_id: str, region: str, location: str) -> list[S3Object]:
    """The objects under ``location`` Athena would read: non-empty and not hidden."""
    return [obj for obj in list_objects(account_id, region, location) if obj.size > 0 and not is_hidden(obj.relative_key)]


def _suffix(key: str) -> str:
    """The file name's extensions (``.csv.gz``), which DuckDB uses to detect compression."""
    name = key.rsplit("/", 1)[-1]
    parts = name.split(".")[1:]
    suffix = "".join("." + part for part in parts[-2:] if part and len(part) <= 10 and part.isalnum())
    return suffix


class ObjectCache:
    """Local copies of S3 objects keyed by bucket, key and ETag (thread-safe)."""

    def __init__(self, directory: str | os.PathLike[str] | None = None):
        self._directory = Path(directory) if directory is not None else None
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}
        self.downloads = 0  # objects copied so far (for tests and curiosity)

    @property
    def directory(self) -> Path:
        with self._lock:
            if self._directory is None:
                self._directory = Path(tempfile.mkdtemp(prefix="etl-local-athena-"))
                atexit.register(shutil.rmtree, self._directory, True)
            self._directory.mkdir(parents=True, exist_ok=True)
            return self._directory

    def local_path(self, account_id: str, region: str, obj: S3Object) -> Path:
        """A local file with the object's bytes, copied from the embedded S3 on first use."""
        digest = hashlib.sha256(f"{obj.bucket}/{obj.key}\0{obj.etag}".encode()).hexdigest()[:40]
        path = self.directory / (digest + _suffix(obj.key))
        if path.exists():
            return path
        with self._lock:
            key_lock = self._key_locks.setdefault(digest, threading.Lock())
        with key_lock:
            if path.exists():
                return path
            body = self._read(account_id, region, obj)
            partial = path.with_name(path.name + f".{threading.get_ident()}.partial")
            partial.write_bytes(body)
            os.replace(partial, path)
            self.downloads += 1
        return path

    @staticmethod
    def _read(account_id: str, region: str, obj: S3Object) -> bytes:
        backend = s3_backends[account_id][get_partition(region)]
        try:
            key = backend.get_object(obj.bucket, obj.key)
        except Exception as exc:
            raise S3LocationError(f"Cannot read {obj.uri}: {exc}") from exc
        if key is None or isinstance(key, FakeDeleteMarker):
            raise S3LocationError(f"Cannot read {obj.uri}: the object no longer exists")
        return bytes(key.value)

    def clear(self) -> None:
        with self._lock:
            if self._directory is not None:
                shutil.rmtree(self._directory, ignore_errors=True)
                self._directory.mkdir(parents=True, exist_ok=True)
