"""Audit lineage: which source objects fed which job runs and queries of a
run, and what came out, kept as JSON lines an Athena table reads.

One file per execution, written when it ends (any status)::

    s3://<data bucket>/_lineage/pipeline=<pipeline>/run_date=<date>/<execution name>.json

Each line is one edge of one step of the run:

* ``edge = 'read'``: the step was fed by this source object (bucket, key,
  ETag, version id, size, and the wait that found it). A step is fed by every
  input whose wait comes before it, so a join's line names the raw files
  behind the processed data it read;
* ``edge = 'write'``: the step wrote this location / table partition (with the
  rows when the service reports them).

The table ``<database>.etl_lineage`` (created by the recorder when missing,
through the Glue Data Catalog) reads every pipeline's files under its own
prefix, with ``run_date`` as a projected partition, so no partition is ever
registered. Two questions, in SQL (``LINEAGE_QUERIES``): which files produced
this partition, and what did this source file feed.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from .execution_report import ExecutionReport

LINEAGE_PREFIX = "_lineage/"
TABLE = "etl_lineage"
COLUMNS = (
    ("pipeline", "string"), ("execution_arn", "string"), ("execution_name", "string"), ("execution_status", "string"),
    ("step", "string"), ("step_kind", "string"), ("step_status", "string"), ("run_id", "string"), ("job", "string"),
    ("started_at", "string"), ("ended_at", "string"), ("edge", "string"),
    ("source_bucket", "string"), ("source_key", "string"), ("source_etag", "string"), ("source_version_id", "string"),
    ("source_size", "bigint"), ("source_input", "string"),
    ("output_location", "string"), ("output_table", "string"), ("output_partition", "string"), ("output_rows", "bigint"),
    ("recorded_at", "string"),
)
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"

LINEAGE_QUERIES = {
    # Which source files produced this partition? (the write's step, and every file that fed it)
    "files_behind_partition": """
SELECT DISTINCT r.source_bucket, r.source_key, r.source_etag, r.source_size, w.step, w.run_id, w.execution_name
FROM {table} w
JOIN {table} r ON r.execution_arn = w.execution_arn AND r.step = w.step AND r.edge = 'read'
WHERE w.edge = 'write' AND w.output_location = ?
ORDER BY r.source_key""",
    # What did this source file feed? (every step it fed and what each wrote)
    "fed_by_file": """
SELECT DISTINCT r.run_date, r.step, r.step_kind, r.run_id, w.output_location, w.output_table, w.output_partition, w.output_rows
FROM {table} r
LEFT JOIN {table} w ON w.execution_arn = r.execution_arn AND w.step = r.step AND w.edge = 'write'
WHERE r.edge = 'read' AND r.source_bucket = ? AND r.source_key = ?
ORDER BY r.run_date, r.step""",
}


def lineage_key(pipeline: str, run_date: str | None, execution_name: str) -> str:
    return f"{LINEAGE_PREFIX}pipeline={pipeline}/run_date={run_date or 'unknown'}/{execution_name}.json"


def lineage_location(bucket: str, pipeline: str) -> str:
    return f"s3://{bucket}/{LINEAGE_PREFIX}pipeline={pipeline}/"


def records(report: ExecutionReport, recorded_at: datetime | None = None) -> list[dict[str, Any]]:
    """The run's edges, one dict per line (no ``run_date``: it is the partition)."""
    stamp = (recorded_at or datetime.now(timezone.utc)).isoformat()
    lines: list[dict[str, Any]] = []
    for task in report.work:
        base = {
            "pipeline": report.pipeline, "execution_arn": report.execution_arn, "execution_name": report.name,
            "execution_status": report.status, "step": task.state, "step_kind": task.kind, "step_status": task.status,
            "run_id": task.run_id, "job": task.job,
            "started_at": task.started.isoformat() if task.started else None,
            "ended_at": task.ended.isoformat() if task.ended else None, "recorded_at": stamp,
        }
        for obj in task.sources:
            lines.append({**base, "edge": "read", "source_bucket": obj.bucket, "source_key": obj.key, "source_etag": obj.etag,
                          "source_version_id": obj.version_id, "source_size": obj.size, "source_input": obj.input})
        for out in task.outputs:
            lines.append({**base, "edge": "write", "output_location": out.location, "output_table": out.table,
                          "output_partition": out.partition, "output_rows": out.rows})
    return lines


def write_lineage(s3: Any, bucket: str, report: ExecutionReport) -> str:
    """Write the run's lines (replacing an earlier write of the same execution); return the object's URI."""
    key = lineage_key(report.pipeline, report.run_date, report.name)
    body = "".join(json.dumps(line, sort_keys=True, default=str) + "\n" for line in records(report))
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode("utf-8"), ContentType="application/x-ndjson")
    return f"s3://{bucket}/{key}"


def table_input(bucket: str, pipeline: str) -> dict[str, Any]:
    """The Glue TableInput of ``etl_lineage``: JSON lines, ``run_date`` projected
    (dates from 2000-01-01 to now), located under the pipeline's prefix."""
    location = lineage_location(bucket, pipeline)
    return {
        "Name": TABLE,
        "Description": f"Audit lineage of pipeline {pipeline}: one line per source read and output written by each step of each run (etl-runner).",
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {
            "EXTERNAL": "TRUE", "classification": "json",
            "projection.enabled": "true",
            "projection.run_date.type": "date",
            "projection.run_date.format": "yyyy-MM-dd",
            "projection.run_date.range": "2000-01-01,NOW",
            "projection.run_date.interval": "1",
            "projection.run_date.interval.unit": "DAYS",
            "storage.location.template": location + "run_date=${run_date}/",
        },
        "PartitionKeys": [{"Name": "run_date", "Type": "string"}],
        "StorageDescriptor": {
            "Columns": [{"Name": name, "Type": kind} for name, kind in COLUMNS],
            "Location": location,
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            "SerdeInfo": {"SerializationLibrary": JSON_SERDE, "Parameters": {"ignore.malformed.json": "FALSE"}},
        },
    }


def ensure_table(glue: Any, database: str, bucket: str, pipeline: str) -> bool:
    """Create the database and ``etl_lineage`` if missing; True if the table was created."""
    try:
        glue.get_table(DatabaseName=database, Name=TABLE)
        return False
    except glue.exceptions.EntityNotFoundException:
        pass
    try:
        glue.create_database(DatabaseInput={"Name": database})
    except glue.exceptions.AlreadyExistsException:
        pass
    try:
        glue.create_table(DatabaseName=database, TableInput=table_input(bucket, pipeline))
    except glue.exceptions.AlreadyExistsException:
        return False
    return True


def query(name: str, database: str) -> str:
    """One of ``LINEAGE_QUERIES`` over ``<database>.etl_lineage`` (its ``?`` filled by ExecutionParameters)."""
    return LINEAGE_QUERIES[name].format(table=f'"{database}"."{TABLE}"').strip()
