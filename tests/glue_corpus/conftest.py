"""The Glue script corpus runs real glueetl jobs: it needs local Spark (pyspark and Java)."""

from __future__ import annotations

import os
import shutil

import pytest

from corpus_aws import BUCKET, GlueCorpus


@pytest.fixture(scope="module")
def corpus(embedded_aws) -> GlueCorpus:
    pytest.importorskip("pyspark")
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        pytest.skip("local Spark needs Java")
    return GlueCorpus(embedded_aws, BUCKET)
