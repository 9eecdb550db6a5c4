"""Fixtures for the Glue scripts: one in-process local Spark, and the scripts run as Glue runs them."""

from __future__ import annotations

import os
import runpy
import shutil
import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest

from pipeline_expectations import GLUE_SCRIPTS, REFERENCE_MARKETING, REFERENCE_SALES


@pytest.fixture(scope="session")
def reference_data() -> tuple[Path, Path]:
    """(sales CSV, marketing CSV) of the public reference samples; the test skips without them."""
    if not (REFERENCE_SALES.is_file() and REFERENCE_MARKETING.is_file()):
        pytest.skip(f"reference data not found in {REFERENCE_SALES.parent.resolve()} (the product does not need it)")
    return REFERENCE_SALES, REFERENCE_MARKETING


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """A local[2] SparkSession in this process, shared by the script tests (Spark starts once)."""
    pytest.importorskip("pyspark")
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        pytest.skip("local Spark needs Java")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("glue-script-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def run_glue_script(spark) -> Callable[..., None]:
    """Run a script from glue-scripts/ as Glue would: ``__main__`` with ``--name value`` arguments."""

    from embedded_aws.glue.job_env import JOB_RUNTIME

    if str(JOB_RUNTIME) not in sys.path:
        sys.path.insert(0, str(JOB_RUNTIME))  # the local awsglue, as the embedded Glue's driver provides it

    def run(script: str, **arguments: object) -> None:
        argv = [str(GLUE_SCRIPTS / script), "--JOB_NAME", script]
        for name, value in arguments.items():
            argv += [f"--{name}", str(value)]
        saved = sys.argv
        sys.argv = argv
        try:
            runpy.run_path(argv[0], run_name="__main__")
        finally:
            sys.argv = saved

    return run
