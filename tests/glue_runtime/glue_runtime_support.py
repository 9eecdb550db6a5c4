"""Helpers for Glue scripts run as glueetl jobs on the embedded AWS: create and run jobs, put inputs, read outputs."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path
from typing import Any

from support import ROLE_ARN, SCRIPT_BUCKET, client, ensure_bucket, unique

FINAL = {"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED"}
DATA_BUCKET = "etl-runner-test-glue-runtime"


def follow(job: str, run_id: str, timeout: float = 240.0) -> dict[str, Any]:
    glue = client("glue")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
        if run["JobRunState"] in FINAL:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} of {job} did not end within {timeout}s")


class GlueJobs:
    """Create Glue jobs from script text and run them to the end."""

    def __init__(self, aws: Any):
        self.aws = aws

    def create(self, script: str, *, command: str = "glueetl", arguments: dict[str, str] | None = None, name: str | None = None) -> str:
        ensure_bucket(SCRIPT_BUCKET)
        name = name or unique("glue-rt")
        key = f"glue-runtime/{name}.py"
        client("s3").put_object(Bucket=SCRIPT_BUCKET, Key=key, Body=textwrap.dedent(script).encode())
        client("glue").create_job(
            Name=name,
            Role=ROLE_ARN,
            Command={"Name": command, "ScriptLocation": f"s3://{SCRIPT_BUCKET}/{key}", "PythonVersion": "3"},
            GlueVersion="5.0" if command == "glueetl" else "1.0",
            DefaultArguments=arguments or {},
        )
        return name

    def run(self, job: str, arguments: dict[str, str] | None = None, expect: str = "SUCCEEDED") -> dict[str, Any]:
        run_id = client("glue").start_job_run(JobName=job, Arguments=arguments or {})["JobRunId"]
        run = follow(job, run_id)
        if run["JobRunState"] != expect:
            out, err = self.aws.glue.run_logs(job, run_id)
            raise AssertionError(f"{job} ended {run['JobRunState']} ({run.get('ErrorMessage')}), expected {expect}\n{out}\n{err[-4000:]}")
        return run

    def logs(self, job: str, run_id: str) -> tuple[str, str]:
        return self.aws.glue.run_logs(job, run_id)

    def run_script(self, script: str, arguments: dict[str, str] | None = None, expect: str = "SUCCEEDED", command: str = "glueetl") -> dict[str, Any]:
        return self.run(self.create(script, command=command), arguments, expect)


def put(bucket: str, key: str, body: str | bytes) -> str:
    client("s3").put_object(Bucket=bucket, Key=key, Body=body.encode() if isinstance(body, str) else body)
    return f"s3://{bucket}/{key}"


def read_output(bucket: str, prefix: str, fmt: str = "parquet") -> list[dict[str, Any]]:
    """Every row of the files under a prefix, read with DuckDB (independently of Spark)."""
    import tempfile

    import duckdb

    s3 = client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
    keys = [k for k in keys if not k.rsplit("/", 1)[-1].startswith(("_", "."))]
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, key in enumerate(keys):
            path = Path(tmp) / f"{i}-{key.rsplit('/', 1)[-1]}"
            path.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            paths.append(str(path))
        if not paths:
            return []
        reader = {"parquet": "read_parquet", "json": "read_json_auto", "csv": "read_csv_auto"}[fmt]
        relation = duckdb.sql(f"SELECT * FROM {reader}({paths!r})")
        return [dict(zip(relation.columns, row)) for row in relation.fetchall()]


def put_parquet(bucket: str, key: str, select_sql: str) -> str:
    """Write the rows of a DuckDB SELECT as one Parquet object."""
    import tempfile

    import duckdb

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.parquet"
        duckdb.sql(f"COPY ({select_sql}) TO '{path}' (FORMAT PARQUET)")
        return put(bucket, key, path.read_bytes())
