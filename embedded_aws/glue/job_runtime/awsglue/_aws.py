"""boto3 clients of the run (the embedded AWS, through the run's environment) and S3 listings."""

from __future__ import annotations

import fnmatch
import functools
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

S3_SCHEMES = ("s3://", "s3a://", "s3n://")


@functools.lru_cache(maxsize=None)
def client(service: str) -> Any:
    import boto3

    return boto3.client(service)


def split_uri(uri: str) -> tuple[str, str]:
    scheme = next((s for s in S3_SCHEMES if uri.startswith(s)), None)
    if scheme is None:
        raise ValueError(f"not an S3 path: {uri!r}")
    bucket, _, key = uri[len(scheme) :].partition("/")
    return bucket, key


@dataclass(frozen=True)
class S3File:
    uri: str
    key: str
    size: int
    modified: datetime

    @property
    def modified_ms(self) -> int:
        return int(self.modified.timestamp() * 1000)


def _hidden(relative: str) -> bool:
    """Hadoop skips files and folders whose names start with '_' or '.'."""
    return any(part.startswith(("_", ".")) for part in relative.split("/") if part)


def list_files(paths: Iterable[str], recurse: bool = False, exclusions: Iterable[str] = ()) -> list[S3File]:
    """The data files under ``paths`` as Glue's S3 source lists them.

    A path naming an object is that object; a prefix lists the objects directly
    under it (all levels with ``recurse``); hidden files are skipped; a file whose
    ``s3://`` URI matches one of the ``exclusions`` glob patterns is left out.
    """
    patterns = list(exclusions)
    found: dict[str, S3File] = {}
    for path in paths:
        bucket, key = split_uri(path)
        s3 = client("s3")
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
            for obj in page.get("Contents", []):
                name = obj["Key"]
                if name.endswith("/"):
                    continue
                if name == key:
                    relative = name.rsplit("/", 1)[-1]
                elif not key or key.endswith("/"):
                    relative = name[len(key) :]
                elif name.startswith(key + "/"):
                    relative = name[len(key) + 1 :]
                else:
                    continue  # s3://b/data must not list s3://b/data2
                if _hidden(relative) or (not recurse and "/" in relative):
                    continue
                uri = f"s3://{bucket}/{name}"
                if any(fnmatch.fnmatchcase(uri, p) or fnmatch.fnmatchcase(name, p) for p in patterns):
                    continue
                found[uri] = S3File(uri, name, obj["Size"], obj["LastModified"])
    return sorted(found.values(), key=lambda f: f.uri)


def parse_exclusions(value: Any) -> list[str]:
    """``exclusions`` is a JSON list of glob patterns (a string), e.g. ``"[\\"**.txt\\"]"``."""
    if not value:
        return []
    patterns = json.loads(value) if isinstance(value, str) else list(value)
    return [p.replace("**", "*") for p in patterns]
