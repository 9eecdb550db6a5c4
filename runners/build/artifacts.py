"""The artifact bucket: the Lambda package the stacks read (the pipelines'
scripts and definitions: ``runners.build.pipelines``), and emptying and
deleting buckets.

The artifact bucket must exist before the stacks (they read from it), so the
upload tasks create it when missing: public access blocked, default
encryption (SSE-S3) and a bucket policy that refuses requests without TLS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from botocore.exceptions import ClientError

from runners.build import package
from runners.build.runner import TaskError
from runners.build.settings import ARTIFACT_BUCKET_PARAMETER, BuildContext

Say = Callable[[str], None]



@dataclass(frozen=True)
class Uploaded:
    bucket: str
    key: str
    size: int
    skipped: bool  # already there with the same content

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def bucket_exists(s3: Any, bucket: str) -> bool:
    try:
        s3.head_bucket(Bucket=bucket)
        return True
    except ClientError as exc:
        code = _error_code(exc)
        if code in {"404", "NoSuchBucket", "NotFound"}:
            return False
        if code in {"403", "AccessDenied", "Forbidden"}:
            raise TaskError(f"bucket {bucket} exists but this account cannot use it (someone else's name?); set ETL_ARTIFACT_BUCKET") from None
        raise


def require_artifact_bucket(ctx: BuildContext) -> str:
    """The artifact bucket's name; a TaskError saying which stack creates it when missing."""
    bucket = ctx.artifact_bucket
    if bucket_exists(ctx.client("s3"), bucket):
        return bucket
    owners = [stack for stack in ctx.settings.template_stacks() if f"\n  {ARTIFACT_BUCKET_PARAMETER}:" in ctx.settings.template_path(stack).read_text(encoding="utf-8")]
    how = f"createstack[{owners[0]}] creates it" if owners else f"no project stack declares {ARTIFACT_BUCKET_PARAMETER} to create it"
    raise TaskError(f"artifact bucket {bucket} (from {ctx.artifact_bucket_source}) does not exist: {how}")


def object_size(s3: Any, bucket: str, key: str) -> int | None:
    """The object's size, or None when it does not exist."""
    try:
        return int(s3.head_object(Bucket=bucket, Key=key)["ContentLength"])
    except ClientError as exc:
        if _error_code(exc) in {"404", "NoSuchKey", "NotFound"}:
            return None
        raise


def upload(s3: Any, bucket: str, key: str, body: bytes, *, content_type: str, immutable: bool = False) -> Uploaded:
    """Put ``body`` at ``key``. An ``immutable`` (content-addressed) key that
    already exists with the same size is not uploaded again."""
    if immutable and object_size(s3, bucket, key) == len(body):
        return Uploaded(bucket, key, len(body), skipped=True)
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
    return Uploaded(bucket, key, len(body), skipped=False)


def empty_and_delete_bucket(s3: Any, bucket: str, say: Say) -> int:
    """Delete every object version, delete marker and unfinished upload, then
    the bucket. Returns how many versions and markers were deleted."""
    if not bucket_exists(s3, bucket):
        raise TaskError(f"bucket {bucket} does not exist")
    deleted = 0
    paginator = s3.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket):
        batch = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        for start in range(0, len(batch), 1000):
            chunk = batch[start : start + 1000]
            answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
            errors = answer.get("Errors", [])
            if errors:
                first = errors[0]
                raise TaskError(f"could not delete {len(errors)} object(s) from {bucket}, e.g. {first.get('Key')}: {first.get('Code')} {first.get('Message')}")
            deleted += len(chunk)
            say(f"deleted {deleted} object version(s)/marker(s) so far")
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        for item in page.get("Uploads", []):
            s3.abort_multipart_upload(Bucket=bucket, Key=item["Key"], UploadId=item["UploadId"])
    s3.delete_bucket(Bucket=bucket)
    return deleted


# -- the upload tasks --------------------------------------------------------------------


def deploy_lambda(ctx: BuildContext, say: Say) -> Uploaded:
    """Upload the package ``packagelambda`` built to its content-addressed key."""
    built = package.built_package(ctx.settings.lambda_dir)
    bucket = require_artifact_bucket(ctx)
    done = upload(ctx.client("s3"), bucket, built.s3_key, built.path.read_bytes(), content_type="application/zip", immutable=True)
    state = "already uploaded" if done.skipped else "uploaded"
    say(f"{state} {done.uri} ({done.size:,} bytes, {done.size / 1024:.0f} KiB)")
    return done
