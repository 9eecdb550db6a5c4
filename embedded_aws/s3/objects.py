"""In-process access to the embedded S3 (moto's S3 backend).

The emulator's own engines (Glue script loading, Athena result files) run
inside the server process, so they read and write objects directly on the
backend instead of making HTTP calls to themselves. Writes go through
``put_object`` so S3 event notifications still fire.
"""

from __future__ import annotations

from dataclasses import dataclass

from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition


class S3LocationError(ValueError):
    """An ``s3://`` URI is malformed or names a missing bucket/object."""


@dataclass(frozen=True)
class S3Uri:
    """A parsed ``s3://bucket/key`` location."""

    bucket: str
    key: str

    @classmethod
    def parse(cls, uri: str) -> "S3Uri":
        if not uri or not uri.startswith("s3://"):
            raise S3LocationError(f"Not an s3:// URI: {uri!r}")
        bucket, _, key = uri[len("s3://") :].partition("/")
        if not bucket:
            raise S3LocationError(f"No bucket in S3 URI: {uri!r}")
        return cls(bucket=bucket, key=key)

    def join(self, name: str) -> "S3Uri":
        """The object ``name`` inside this location treated as a folder."""
        prefix = self.key if not self.key or self.key.endswith("/") else self.key + "/"
        return S3Uri(self.bucket, prefix + name)

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def _backend(account_id: str, region: str):  # type: ignore[no-untyped-def]
    return s3_backends[account_id][get_partition(region)]


def read_object(account_id: str, region: str, uri: S3Uri) -> bytes:
    """Bytes of an object in the embedded S3; S3LocationError if it is missing."""
    try:
        key = _backend(account_id, region).get_object(uri.bucket, uri.key)
    except Exception as exc:  # moto raises MissingBucket / MissingKey
        raise S3LocationError(f"Cannot read {uri}: {exc}") from exc
    if key is None:
        raise S3LocationError(f"Cannot read {uri}: object does not exist")
    return bytes(key.value)


def write_object(account_id: str, region: str, uri: S3Uri, body: bytes) -> None:
    """Store an object in the embedded S3; S3LocationError if the bucket is missing."""
    try:
        _backend(account_id, region).put_object(uri.bucket, uri.key, body)
    except Exception as exc:
        raise S3LocationError(f"Cannot write {uri}: {exc}") from exc
