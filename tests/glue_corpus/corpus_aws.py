"""Drive the corpus through the embedded AWS exactly as a user drives AWS:
upload the script and data to S3, create a glueetl job (Glue 5.0), start it,
wait for its final state, read its outputs back from S3."""

from __future__ import annotations

import gzip
import io
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from support import ROLE_ARN, SCRIPT_BUCKET, client, ensure_bucket, results_location, unique

#: The corpus's data bucket; the Studio-style and plain DataFrame scripts name it literally, as such scripts do.
BUCKET = "etl-runner-test-glue-corpus"
SCRIPTS = Path(__file__).parent / "scripts"
FINAL = {"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED"}


@dataclass
class GlueCorpus:
    aws: Any
    bucket: str

    def __post_init__(self) -> None:
        ensure_bucket(self.bucket)
        ensure_bucket(SCRIPT_BUCKET)
        self.s3 = client("s3")
        self.glue = client("glue")
        self.athena = client("athena")

    # --- S3 ---------------------------------------------------------------------

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def upload(self, local: Path, key: str) -> str:
        self.s3.upload_file(str(local), self.bucket, key)
        return self.uri(key)

    def put(self, key: str, body: bytes) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)

    def keys(self, prefix: str) -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))

    def delete_prefix(self, prefix: str) -> None:
        keys = self.keys(prefix)
        for start in range(0, len(keys), 1000):
            self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in keys[start : start + 1000]]})

    def download(self, prefix: str, into: Path) -> list[Path]:
        """Every object under ``prefix`` as a local file (same relative layout)."""
        files = []
        for key in self.keys(prefix):
            target = into / key[len(prefix) :].lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            self.s3.download_file(self.bucket, key, str(target))
            files.append(target)
        return files

    def body(self, key: str) -> bytes:
        return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    # --- Glue jobs ----------------------------------------------------------------

    def create_job(self, script: str, default_arguments: dict[str, str] | None = None, command: str = "glueetl") -> str:
        """A glueetl job (Glue 5.0) running ``scripts/<script>`` unchanged; or a Python shell job (Python 3.9)."""
        name = unique(Path(script).stem.replace("_", "-"))
        key = f"glue-corpus/{name}/{script}"
        client("s3").put_object(Bucket=SCRIPT_BUCKET, Key=key, Body=(SCRIPTS / script).read_bytes())
        location = f"s3://{SCRIPT_BUCKET}/{key}"
        if command == "pythonshell":
            shape: dict[str, Any] = {"Command": {"Name": command, "ScriptLocation": location, "PythonVersion": "3.9"}, "GlueVersion": "3.0", "MaxCapacity": 0.0625}
        else:
            shape = {"Command": {"Name": command, "ScriptLocation": location, "PythonVersion": "3"}, "GlueVersion": "5.0", "WorkerType": "G.1X", "NumberOfWorkers": 2}
        self.glue.create_job(Name=name, Role=ROLE_ARN, DefaultArguments=default_arguments or {}, **shape)
        return name

    def start(self, job: str, arguments: dict[str, str] | None = None, timeout: float = 240.0) -> dict:
        """Start a run and follow it to its final state; the run as GetJobRun describes it."""
        run_id = self.glue.start_job_run(JobName=job, Arguments=arguments or {})["JobRunId"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
            if run["JobRunState"] in FINAL:
                return run
            time.sleep(0.1)
        raise AssertionError(f"run {run_id} of {job} not finished after {timeout}s")

    def succeed(self, job: str, arguments: dict[str, str] | None = None) -> dict:
        run = self.start(job, arguments)
        assert run["JobRunState"] == "SUCCEEDED", self.failure(job, run)
        return run

    def run_script(self, script: str, arguments: dict[str, str], default_arguments: dict[str, str] | None = None) -> tuple[str, dict]:
        job = self.create_job(script, default_arguments)
        return job, self.succeed(job, arguments)

    def failure(self, job: str, run: dict) -> str:
        stdout, stderr = self.aws.glue.run_logs(job, run["Id"])
        return f"{run['JobRunState']}: {run.get('ErrorMessage')}\n--- stderr ---\n{stderr[-6000:]}\n--- stdout ---\n{stdout[-2000:]}"

    # --- Athena -----------------------------------------------------------------------

    def athena_rows(self, sql: str, database: str) -> list[list[str | None]]:
        """Run a query on the embedded Athena; the data rows (header dropped) as strings."""
        query_id = self.athena.start_query_execution(
            QueryString=sql,
            QueryExecutionContext={"Database": database},
            ResultConfiguration={"OutputLocation": results_location(unique("glue-corpus"))},
        )["QueryExecutionId"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            execution = self.athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
            state = execution["Status"]["State"]
            if state in ("SUCCEEDED", "FAILED", "CANCELLED"):
                break
            time.sleep(0.1)
        assert state == "SUCCEEDED", execution["Status"]
        rows = self.athena.get_query_results(QueryExecutionId=query_id)["ResultSet"]["Rows"]
        return [[cell.get("VarCharValue") for cell in row["Data"]] for row in rows[1:]]


# --- the Data Catalog -------------------------------------------------------------------


def table_input(name: str, location: str, columns: list[tuple[str, str]], fmt: str, partition_keys: tuple[tuple[str, str], ...] = ()) -> dict:
    """A Glue table as a crawler would record it: csv (LazySimpleSerDe, header skipped), json (OpenX SerDe) or parquet."""
    text_in, text_out = "org.apache.hadoop.mapred.TextInputFormat", "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    formats = {
        "csv": (text_in, text_out, {"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe", "Parameters": {"field.delim": ","}}),
        "json": (text_in, text_out, {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe", "Parameters": {"paths": ",".join(c for c, _ in columns)}}),
        "parquet": (
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", "Parameters": {"serialization.format": "1"}},
        ),
    }
    input_format, output_format, serde = formats[fmt]
    parameters = {"classification": fmt}
    if fmt == "csv":
        parameters.update({"skip.header.line.count": "1", "delimiter": ","})
    return {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": parameters,
        "PartitionKeys": [{"Name": n, "Type": t} for n, t in partition_keys],
        "StorageDescriptor": {
            "Columns": [{"Name": n, "Type": t} for n, t in columns],
            "Location": location,
            "InputFormat": input_format,
            "OutputFormat": output_format,
            "SerdeInfo": serde,
        },
    }


# --- reading outputs back -------------------------------------------------------------


def parquet_files(directory: Path) -> list[Path]:
    """The data files a job wrote, each checked to really be Parquet (``_``-prefixed markers such as
    ``_SUCCESS`` are not data: Spark and Athena skip them too)."""
    files = sorted(p for p in directory.rglob("*") if p.is_file() and not p.name.startswith(("_", ".")))
    assert files, f"no files under {directory}"
    for path in files:
        assert path.read_bytes()[:4] == b"PAR1", f"{path.name} is not a Parquet file"
    return files


def parquet_relation(directory: Path, hive: bool = False) -> duckdb.DuckDBPyRelation:
    files = ", ".join(f"'{p}'" for p in parquet_files(directory))
    options = ", hive_partitioning = true, hive_types_autocast = false" if hive else ""
    return duckdb.sql(f"SELECT * FROM read_parquet([{files}]{options})")


def parquet_types(directory: Path) -> dict[str, str]:
    relation = parquet_relation(directory)
    return dict(zip(relation.columns, (str(t) for t in relation.types)))


def query_parquet(directory: Path, sql: str, hive: bool = False) -> list[tuple]:
    """``sql`` over the Parquet files as table ``t``."""
    return parquet_relation(directory, hive).query("t", sql).fetchall()


def json_lines(files: list[Path]) -> list[dict]:
    """Records of JSON Lines files (gzip ones decompressed)."""
    records = []
    for path in files:
        if path.name.startswith(("_", ".")):
            continue
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        records += [json.loads(line) for line in io.StringIO(data.decode()) if line.strip()]
    return records
