"""Fixtures for Glue scripts run as glueetl jobs on the embedded AWS (one warm Spark driver)."""

from __future__ import annotations

import pytest

from glue_runtime_support import DATA_BUCKET, GlueJobs
from support import ensure_bucket

pytest.importorskip("pyspark")


@pytest.fixture(scope="module")
def glue_jobs(embedded_aws) -> GlueJobs:
    ensure_bucket(DATA_BUCKET)
    return GlueJobs(embedded_aws)


@pytest.fixture(scope="module")
def bucket(embedded_aws) -> str:
    ensure_bucket(DATA_BUCKET)
    return DATA_BUCKET
