"""Durable memory of S3 objects that have landed (DynamoDB, pynamodb).

Object-created notifications are written here by the handler whether or not a
wait exists yet, and whether or not any worker is up, so a file that lands
before the execution reaches its wait state is still known when it does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterator

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from .dynamo import bind, ensure_table


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str
    size: int
    etag: str

    def as_output(self) -> dict[str, object]:
        return {"Bucket": self.bucket, "Key": self.key, "Size": self.size, "ETag": self.etag}


class ArrivalRecord(Model):
    class Meta:
        table_name = "unbound"
        billing_mode = "PAY_PER_REQUEST"

    bucket = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)
    size = NumberAttribute(default=0)
    etag = UnicodeAttribute(default="")
    arrived_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute(null=True)


class ArrivalStore:
    def __init__(self, table_name: str, region: str, host: str | None, ttl_days: int = 14) -> None:
        self.model = bind(ArrivalRecord, table_name, region, host)
        self.table_name = table_name
        self._ttl = timedelta(days=ttl_days)

    def ensure_table(self) -> None:
        ensure_table(self.model)

    def record(self, obj: S3Object) -> None:
        """Idempotent: a repeated notification rewrites the same item."""
        now = datetime.now(timezone.utc)
        self.model(obj.bucket, obj.key, size=obj.size, etag=obj.etag, arrived_at=now, expires_at=now + self._ttl).save()

    def with_prefix(self, bucket: str, prefix: str) -> Iterator[S3Object]:
        condition = self.model.key.startswith(prefix) if prefix else None
        for item in self.model.query(bucket, condition, consistent_read=True):
            yield S3Object(item.bucket, item.key, int(item.size), item.etag)
