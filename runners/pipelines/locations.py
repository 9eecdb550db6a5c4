"""S3 locations in a pipeline file: a bare prefix is in the data bucket, an
``s3://`` URI names its bucket (``${data_bucket}``, ``${artifacts_bucket}``
or a bucket name)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .templates import TEMPLATE

DATA_BUCKET = "${data_bucket}"
_GLOB = re.compile(r"[*?\[]|\$\{")


@dataclass(frozen=True)
class S3Location:
    bucket: str  # "${data_bucket}", "${artifacts_bucket}" or a bucket name
    key: str  # key or prefix; may hold ${...} templates

    @property
    def literal_prefix(self) -> str:
        """The part of the key before any glob or template: every matching key starts with it."""
        match = _GLOB.search(self.key)
        return self.key if match is None else self.key[: match.start()]

    def key_pattern(self) -> str:
        """The key with templates and globs as IAM's ``*`` (for ``Resource`` and ``s3:prefix``)."""
        pattern = TEMPLATE.sub("*", self.key)
        pattern = re.sub(r"\[[^\]]*\]|\?", "?", pattern)
        return re.sub(r"\*+", "*", pattern)


def parse(location: str, default_bucket: str = DATA_BUCKET) -> S3Location:
    if location.startswith("s3://"):
        bucket, _, key = location[len("s3://"):].partition("/")
        return S3Location(bucket, key)
    return S3Location(default_bucket, location.lstrip("/"))


def prefix_pattern(location: S3Location) -> str:
    """Objects under a prefix, for an IAM ``Resource``: ``raw/sales/`` -> ``raw/sales/*``."""
    return location.key_pattern().rstrip("*") + "*"
