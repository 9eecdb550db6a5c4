"""Glue scripts as users write them run unchanged as jobs of the embedded Glue.

Each test writes a script the way the Glue console, Glue Studio or a data
engineer writes it (``import awsglue`` unconditionally, ``s3://`` paths from
arguments and literals), runs it with boto3 StartJobRun and checks what it
wrote with DuckDB, independently of Spark.
"""

from __future__ import annotations

import json

import pytest

from glue_runtime_support import put, put_parquet, read_output
from support import client, unique

CONSOLE_TEMPLATE = """
import sys
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from awsglue.context import GlueContext
from awsglue.job import Job

args = getResolvedOptions(sys.argv, ['JOB_NAME', 'source', 'target'])
sc = SparkContext()
glueContext = GlueContext(sc)
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args['JOB_NAME'], args)

orders = spark.read.option("header", True).csv(args['source'])
orders.createOrReplaceTempView("orders")
totals = spark.sql("SELECT customer, SUM(CAST(amount AS INT)) AS total FROM orders GROUP BY customer")
totals.write.mode("overwrite").parquet(args['target'])
spark.read.parquet("s3://{bucket}/literal/lookup/").write.mode("overwrite").parquet("s3://{bucket}/literal/copy/")
job.commit()
"""


def test_the_console_template_runs_with_s3_paths_from_arguments_and_literals(glue_jobs, bucket):
    prefix = unique("console")
    source = put(bucket, f"{prefix}/in/orders.csv", "customer,amount\nann,10\nbob,5\nann,7\n")
    put_parquet(bucket, "literal/lookup/part-0.parquet", "SELECT 'x' AS code, 1 AS n")

    script = CONSOLE_TEMPLATE.replace("{bucket}", bucket)
    glue_jobs.run_script(script, {"--source": source, "--target": f"s3://{bucket}/{prefix}/out/"})

    rows = sorted((r["customer"], r["total"]) for r in read_output(bucket, f"{prefix}/out/"))
    assert rows == [("ann", 17), ("bob", 5)]
    assert read_output(bucket, "literal/copy/") == [{"code": "x", "n": 1}]


def test_a_second_SparkContext_in_the_same_driver_is_the_running_one(glue_jobs):
    glue_jobs.run_script(
        """
        from pyspark.context import SparkContext
        from pyspark import SparkConf
        from awsglue.context import GlueContext
        sc = SparkContext()
        assert SparkContext.getOrCreate() is sc
        again = SparkContext(conf=SparkConf().set("spark.sql.shuffle.partitions", "3"))
        assert again is sc
        glue = GlueContext(SparkContext.getOrCreate())
        assert glue.spark_session.conf.get("spark.sql.shuffle.partitions") == "3"
        """
    )
    # settings of one job do not leak into the next
    glue_jobs.run_script(
        """
        from awsglue.context import GlueContext
        from pyspark.context import SparkContext
        spark = GlueContext(SparkContext.getOrCreate()).spark_session
        assert spark.conf.get("spark.sql.shuffle.partitions") != "3"
        """
    )


@pytest.mark.parametrize("command", ["glueetl", "pythonshell"])
def test_getResolvedOptions_resolves_as_glue_does(glue_jobs, command):
    glue_jobs.run_script(
        """
        import sys
        from awsglue.utils import getResolvedOptions
        args = getResolvedOptions(sys.argv, ["JOB_NAME", "day", "mode"])
        assert args["day"] == "2024-05-01", args
        assert args["mode"] == "full=yes", args
        assert args["job_bookmark_option"] == "job-bookmark-disable"
        assert args["JOB_RUN_ID"].startswith("jr_")
        assert "unrelated" not in args
        """,
        {"--day": "2024-05-01", "--mode": "full=yes", "--unrelated": "x"},
        command=command,
    )


def test_a_missing_argument_fails_the_run_with_glues_message(glue_jobs):
    run = glue_jobs.run_script(
        """
        import sys
        from awsglue.utils import getResolvedOptions
        getResolvedOptions(sys.argv, ["JOB_NAME", "day"])
        """,
        expect="FAILED",
    )
    assert run["ErrorMessage"] == "GlueArgumentError: the following arguments are required: --day"


def test_extra_py_files_from_s3_are_importable(glue_jobs, bucket):
    helper = put(bucket, unique("libs") + "/pricing.py", "def with_tax(x):\n    return round(x * 1.2, 2)\n")
    job = glue_jobs.create(
        """
        import pricing
        assert pricing.with_tax(10) == 12.0
        """,
        arguments={"--extra-py-files": helper},
    )
    glue_jobs.run(job)


def test_an_additional_python_module_that_is_not_installed_fails_the_run_naming_it(glue_jobs):
    job = glue_jobs.create("print('never runs')\n", arguments={"--additional-python-modules": "surely-not-a-real-module-xyz==1.0"})
    run = glue_jobs.run(job, expect="FAILED")
    assert "surely-not-a-real-module-xyz" in run["ErrorMessage"]
    assert "not supported locally" in run["ErrorMessage"]


def test_an_awsglue_installed_beside_the_emulator_does_not_shadow_the_local_one(glue_jobs, tmp_path, monkeypatch):
    """People pip-install an ``awsglue`` stub for IDE completion; jobs must still get the working one."""
    stub = tmp_path / "site" / "awsglue"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text("")
    (stub / "utils.py").write_text("raise ImportError('the IDE stub, not usable at run time')\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "site"))
    glue_jobs.run_script(
        """
        import sys
        from awsglue.utils import getResolvedOptions
        assert getResolvedOptions(sys.argv, ["JOB_NAME"])["JOB_NAME"]
        """,
        command="pythonshell",
    )
