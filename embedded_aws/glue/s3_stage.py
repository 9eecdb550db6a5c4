"""The local stage of one Glue run's S3 data: s3:// paths as local files, synced both ways.

Local Spark has no S3 file system, so every ``s3://`` (``s3a://``, ``s3n://``)
path a script hands to Spark is served from a local mirror under
``<stage>/<bucket>/<key>``:

- **reads** download the path's prefix (once per run, or again after the run
  wrote it) and give Spark the mirror path; a glob (``s3://b/logs/*/x.json``)
  downloads the prefix before its first wildcard;
- **writes** first download the target prefix (so Spark's ``errorifexists``,
  ``append``, ``overwrite`` and dynamic partition overwrite see what S3 holds),
  let Spark write the mirror, then upload new or changed files and delete the
  objects whose files are gone.

Hadoop's local bookkeeping is never uploaded: ``*.crc`` checksum files,
``_SUCCESS`` markers and ``_temporary/`` directories. S3 stays the truth: the
mirrors are deleted when the run ends. The standard library and boto3 only (loaded when first needed).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from embedded_aws.glue.job_env import run_client

S3_SCHEMES = ("s3://", "s3a://", "s3n://")
_GLOB_CHARS = set("*?[{")


def is_s3_uri(value: object) -> bool:
    return isinstance(value, str) and value.startswith(S3_SCHEMES)


def split_uri(uri: str) -> tuple[str, str]:
    """(bucket, key) of an s3:// URI; the key may be empty or end with '/'."""
    scheme = next(s for s in S3_SCHEMES if uri.startswith(s))
    bucket, _, key = uri[len(scheme) :].partition("/")
    if not bucket or ".." in key.split("/"):
        raise ValueError(f"not a usable S3 location: {uri}")
    return bucket, key


def _is_hadoop_bookkeeping(relative: str) -> bool:
    parts = relative.split("/")
    return parts[-1].endswith(".crc") or parts[-1] == "_SUCCESS" or "_temporary" in parts


def _static_prefix(key: str) -> str:
    """The part of a key before its first path segment holding a glob character."""
    kept: list[str] = []
    for segment in key.split("/"):
        if _GLOB_CHARS & set(segment):
            break
        kept.append(segment)
    return "/".join(kept)


class S3Stage:
    """The mirror of the S3 prefixes one run reads and writes."""

    def __init__(self, stage: Path, env: dict[str, str]):
        self._stage = stage
        self._env = env
        self._client: Any = None
        #: Mirrored roots (bucket, key without trailing '/') and the files they held once synced.
        self._synced: dict[tuple[str, str], dict[Path, tuple[int, int]]] = {}

    # --- paths ------------------------------------------------------------------

    def local_path(self, uri: str) -> str:
        bucket, key = split_uri(uri)
        return str(self._stage / bucket / key) if key else str(self._stage / bucket)

    def to_uris(self, text: str) -> str:
        """Local mirror paths in ``text`` written back as s3:// URIs."""
        stage = str(self._stage) + "/"
        for local in ("file://" + stage, "file:" + stage, stage):
            text = text.replace(local, "s3://")
        return text

    # --- reads and writes ---------------------------------------------------------

    def for_read(self, uri: str) -> str:
        """The local path Spark reads for ``uri``, its objects downloaded."""
        bucket, key = split_uri(uri)
        root = (bucket, _static_prefix(key).rstrip("/"))
        if not self._covered(root):
            self._download(root)
        return self.local_path(uri)

    def before_write(self, uri: str) -> str:
        """The local path Spark writes for ``uri``, holding what S3 holds there now."""
        bucket, key = split_uri(uri)
        self._download((bucket, key.rstrip("/")))
        return self.local_path(uri)

    def after_write(self, uri: str) -> tuple[int, int]:
        """Upload what Spark wrote under ``uri`` and delete what it removed; (uploaded, deleted)."""
        bucket, key = split_uri(uri)
        root = (bucket, key.rstrip("/"))
        before = self._synced.get(root, {})
        local = self._root_path(root)
        now = self._files(local)
        bucket_dir = self._stage / bucket
        uploaded = deleted = 0
        for path, stamp in sorted(now.items()):
            relative = path.relative_to(bucket_dir).as_posix()
            if _is_hadoop_bookkeeping(relative) or before.get(path) == stamp:
                continue
            self._s3().upload_file(str(path), bucket, relative)
            uploaded += 1
        gone = [p.relative_to(bucket_dir).as_posix() for p in before if p not in now]
        gone = [relative for relative in gone if not _is_hadoop_bookkeeping(relative)]
        for start in range(0, len(gone), 1000):
            batch = [{"Key": relative} for relative in gone[start : start + 1000]]
            self._s3().delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
            deleted += len(batch)
        self._synced[root] = now
        # Reads of overlapping prefixes mirrored earlier are stale now: fetch them again.
        for other in [r for r in self._synced if r != root and r[0] == bucket and self._overlaps(r[1], root[1])]:
            del self._synced[other]
        return uploaded, deleted

    def discard(self) -> None:
        """Delete the local mirrors (the next run downloads again)."""
        for root in list(self._synced):
            local = self._root_path(root)
            if local.is_dir():
                shutil.rmtree(local, ignore_errors=True)
            elif local.exists():
                local.unlink()
        self._synced.clear()

    # --- internals --------------------------------------------------------------

    @staticmethod
    def _overlaps(a: str, b: str) -> bool:
        return not a or not b or a == b or a.startswith(b + "/") or b.startswith(a + "/")

    def _covered(self, root: tuple[str, str]) -> bool:
        bucket, key = root
        return any(b == bucket and (not k or key == k or key.startswith(k + "/")) for b, k in self._synced)

    def _root_path(self, root: tuple[str, str]) -> Path:
        bucket, key = root
        return self._stage / bucket / key if key else self._stage / bucket

    @staticmethod
    def _files(path: Path) -> dict[Path, tuple[int, int]]:
        if not path.exists():
            return {}
        found = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in found}

    def _download(self, root: tuple[str, str]) -> int:
        """Empty the root's mirror and fill it from S3; the number of objects."""
        bucket, key = root
        for other in [r for r in self._synced if r[0] == bucket and self._overlaps(r[1], key)]:
            del self._synced[other]  # re-mirrored below (or stale)
        local = self._root_path(root)
        if local.is_dir():
            shutil.rmtree(local)
        elif local.exists():
            local.unlink()
        count = 0
        for page in self._s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
            for obj in page.get("Contents", []):
                name = obj["Key"]
                if key and name != key and not name.startswith(key + "/"):
                    continue  # s3://b/data must not pull s3://b/data2
                target = self._stage / bucket / name
                if name.endswith("/"):
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                body = self._s3().get_object(Bucket=bucket, Key=name)["Body"]
                with open(target, "wb") as fh:
                    shutil.copyfileobj(body, fh)
                count += 1
        self._synced[root] = self._files(local)
        return count

    def _s3(self) -> Any:
        if self._client is None:
            self._client = run_client("s3", self._env)
        return self._client
