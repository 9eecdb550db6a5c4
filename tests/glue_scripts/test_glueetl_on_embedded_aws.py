"""glueetl jobs on the embedded AWS run in local Spark (one warm driver),
read their s3:// inputs from and write their Parquet back to the embedded S3."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pipeline_expectations import GLUE_SCRIPTS, expected_join, expected_sales, parquet_files, read_parquet
from runners import sample_data
from support import ROLE_ARN, SCRIPT_BUCKET, client, ensure_bucket, make_glue_job, unique, wait_for

pytest.importorskip("pyspark")

DATA_BUCKET = "etl-runner-test-glueetl-data"
FINAL = {"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED"}

PRINT_PID = "import os\nprint('driver pid', os.getpid(), flush=True)\n"
QUICK = PRINT_PID + (
    "from pyspark.sql import SparkSession\n"
    "assert SparkSession.builder.getOrCreate().range(5).count() == 5\n"
)
SPIN = PRINT_PID + (
    "from pyspark.sql import SparkSession\n"
    "SparkSession.builder.getOrCreate().range(10**13).selectExpr('sum(id)').first()\n"
)


@pytest.fixture(scope="module")
def s3(embedded_aws):
    ensure_bucket(DATA_BUCKET)
    return client("s3")


@pytest.fixture(scope="module")
def glue(embedded_aws):
    return client("glue")


def _job_for(script: str, default_arguments: dict[str, str]) -> str:
    """A glueetl job running one of the repository's glue-scripts/."""
    ensure_bucket(SCRIPT_BUCKET)
    name = unique(Path(script).stem.replace("_", "-"))
    key = f"glue-scripts/{name}/{script}"
    client("s3").put_object(Bucket=SCRIPT_BUCKET, Key=key, Body=(GLUE_SCRIPTS / script).read_bytes())
    client("glue").create_job(
        Name=name,
        Role=ROLE_ARN,
        Command={"Name": "glueetl", "ScriptLocation": f"s3://{SCRIPT_BUCKET}/{key}", "PythonVersion": "3"},
        GlueVersion="5.0",
        DefaultArguments=default_arguments,
    )
    return name


def _run(glue, job: str, timeout: float = 180.0, **kwargs) -> tuple[dict, list[str]]:
    """Start a run, follow it to a final state; (the run, the states seen on the way)."""
    run_id = glue.start_job_run(JobName=job, **kwargs)["JobRunId"]
    return _follow(glue, job, run_id, timeout)


def _follow(glue, job: str, run_id: str, timeout: float = 180.0) -> tuple[dict, list[str]]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
        if not seen or seen[-1] != run["JobRunState"]:
            seen.append(run["JobRunState"])
        if run["JobRunState"] in FINAL:
            return run, seen
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} of {job} still {seen[-1]} after {timeout}s")


def _driver_pid(embedded_aws, job: str, run_id: str) -> int:
    stdout, _ = embedded_aws.glue.run_logs(job, run_id)
    return int(next(line.split()[-1] for line in stdout.splitlines() if line.startswith("driver pid")))


def _download(s3, prefix: str, into: Path) -> list[str]:
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=DATA_BUCKET, Prefix=prefix).get("Contents", [])]
    for key in keys:
        target = into / key[len(prefix):]
        target.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(DATA_BUCKET, key, str(target))
    return [key[len(prefix):] for key in keys]


def test_pipeline_reads_s3_inputs_and_writes_parquet_back(embedded_aws, s3, glue, tmp_path):
    files = sample_data.write_sample_files(tmp_path / "in", rows=20_000, seed=5)
    base = f"s3://{DATA_BUCKET}/{unique('run')}"
    prefix = base[len(f"s3://{DATA_BUCKET}/"):]
    s3.upload_file(str(files.sales), DATA_BUCKET, f"{prefix}/raw/sales/run_date=2024-01-01/sales.csv")
    s3.upload_file(str(files.marketing), DATA_BUCKET, f"{prefix}/raw/marketing/run_date=2024-01-01/marketing.csv")
    stale = f"{prefix}/processed/sales/part-00000-stale.snappy.parquet"
    s3.put_object(Bucket=DATA_BUCKET, Key=stale, Body=b"left over from an earlier run")

    sales_job = _job_for("process_sales_data.py", {"--input_path": f"{base}/nowhere/", "--output_path": f"{base}/processed/sales/"})
    run, seen = _run(glue, sales_job, Arguments={"--input_path": f"{base}/raw/sales/run_date=2024-01-01/"})
    assert run["JobRunState"] == "SUCCEEDED", embedded_aws.glue.run_logs(sales_job, run["Id"])
    assert "RUNNING" in seen and run["CompletedOn"] >= run["StartedOn"]

    written = _download(s3, f"{prefix}/processed/sales/", tmp_path / "sales")
    assert written and all(name.endswith(".parquet") for name in written), written  # no .crc, no _SUCCESS
    assert stale.rsplit("/", 1)[1] not in written  # overwrite replaced the old part files in S3 too
    assert read_parquet(tmp_path / "sales")[2] == expected_sales(files.sales)

    marketing_job = _job_for("process_marketing_data.py", {})
    run, _ = _run(glue, marketing_job, Arguments={
        "--input_path": f"{base}/raw/marketing/run_date=2024-01-01/marketing.csv",
        "--output_path": f"{base}/processed/marketing/",
    })
    assert run["JobRunState"] == "SUCCEEDED", embedded_aws.glue.run_logs(marketing_job, run["Id"])

    join_job = _job_for("join_marketing_and_sales_data.py", {"--sales_path": f"{base}/processed/sales/"})
    run, _ = _run(glue, join_job, Arguments={
        "--marketing_path": f"{base}/processed/marketing/",
        "--output_path": f"{base}/joined/",
    })
    assert run["JobRunState"] == "SUCCEEDED", embedded_aws.glue.run_logs(join_job, run["Id"])
    _download(s3, f"{prefix}/joined/", tmp_path / "joined")
    assert len(parquet_files(tmp_path / "joined")) == 1
    assert read_parquet(tmp_path / "joined", ordered=False)[2] == expected_join(files.sales, files.marketing)


def test_failing_script_reports_failed_with_its_error_line(glue):
    job = make_glue_job("raise ValueError('bad row 7')\n", command="glueetl")
    run, _ = _run(glue, job)
    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"] == "ValueError: bad row 7"


def test_spark_error_names_the_s3_path(glue):
    job = _job_for("process_sales_data.py", {})
    run, _ = _run(glue, job, Arguments={
        "--input_path": f"s3://{DATA_BUCKET}/missing/sales/",
        "--output_path": f"s3://{DATA_BUCKET}/missing/out/",
    })
    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"].startswith("AnalysisException: [PATH_NOT_FOUND]")
    assert f"s3://{DATA_BUCKET}/missing/sales" in run["ErrorMessage"]


def test_concurrent_runs_queue_in_one_warm_driver(embedded_aws, glue):
    job = make_glue_job(QUICK, command="glueetl", max_concurrent_runs=3)
    run_ids = [glue.start_job_run(JobName=job)["JobRunId"] for _ in range(3)]
    runs = [_follow(glue, job, run_id)[0] for run_id in run_ids]
    assert [run["JobRunState"] for run in runs] == ["SUCCEEDED"] * 3
    assert len({_driver_pid(embedded_aws, job, run_id) for run_id in run_ids}) == 1


def test_stop_cancels_the_spark_job_and_the_driver_stays_warm(embedded_aws, glue):
    spin = make_glue_job(SPIN, command="glueetl")
    run_id = glue.start_job_run(JobName=spin)["JobRunId"]
    wait_for(lambda: "driver pid" in embedded_aws.glue.run_logs(spin, run_id)[0], timeout=120, message="the script to start")
    time.sleep(0.5)
    stopped_at = time.monotonic()
    glue.batch_stop_job_run(JobName=spin, JobRunIds=[run_id])
    run, _ = _follow(glue, spin, run_id, timeout=30)
    assert run["JobRunState"] == "STOPPED"
    assert time.monotonic() - stopped_at < 10

    quick = make_glue_job(QUICK, command="glueetl")
    run, _ = _run(glue, quick)
    assert run["JobRunState"] == "SUCCEEDED"
    assert _driver_pid(embedded_aws, quick, run["Id"]) == _driver_pid(embedded_aws, spin, run_id)


def test_timeout_ends_a_spark_run(glue):
    job = make_glue_job(SPIN, command="glueetl", timeout=2)  # 2 "minutes" of 3 s in the test emulator
    run, _ = _run(glue, job)
    assert run["JobRunState"] == "TIMEOUT"


def test_a_crashing_script_cannot_take_down_the_emulator(embedded_aws, glue):
    crash = make_glue_job(PRINT_PID + "os._exit(3)\n", command="glueetl")
    run, _ = _run(glue, crash)
    assert run["JobRunState"] == "FAILED"
    assert "local Spark driver exited during the run" in run["ErrorMessage"]

    quick = make_glue_job(QUICK, command="glueetl")
    after, _ = _run(glue, quick)
    assert after["JobRunState"] == "SUCCEEDED"  # a new driver took over
    assert _driver_pid(embedded_aws, quick, after["Id"]) != _driver_pid(embedded_aws, crash, run["Id"])
