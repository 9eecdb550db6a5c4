"""Nothing enforces IAM on the embedded AWS, so a local run refuses a pipeline
whose steps need what its generated roles would deny on AWS: "works locally,
AccessDenied on AWS" cannot happen for what we generate."""

from __future__ import annotations

import shutil

import pytest

from runners.local.pipeline import LocalPipeline
from runners.pipelines import SAMPLE_PIPELINE, load_pipeline
from runners.pipelines.permissions import PipelinePermissionError, check_permissions

ROOT = SAMPLE_PIPELINE.parents[1]


def sample_without_a_write_grant(tmp_path):
    for folder in ("pipelines", "glue-scripts"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    path = tmp_path / "pipelines" / SAMPLE_PIPELINE.name
    text = path.read_text()
    assert "    writes: [processed/sales/]\n" in text
    path.write_text(text.replace("    writes: [processed/sales/]\n", ""))
    return path


def test_the_shipped_pipelines_need_nothing_their_roles_lack():
    assert check_permissions(load_pipeline(SAMPLE_PIPELINE)) == []


def test_a_step_writing_where_its_role_may_not_is_named(tmp_path):
    problems = check_permissions(load_pipeline(sample_without_a_write_grant(tmp_path)))
    assert problems and all("process_sales_data" in p for p in problems)
    assert any("s3:PutObject" in p and "processed/sales/" in p for p in problems)


def test_a_local_run_refuses_it_before_deploying_anything(aws, tmp_path):
    with pytest.raises(PipelinePermissionError, match="process_sales_data"):
        LocalPipeline(aws=aws, prefix="denied", pipeline=sample_without_a_write_grant(tmp_path)).start()
    assert "denied-sales-marketing" not in {m["name"] for m in aws_state_machines(aws)}


def aws_state_machines(aws):
    import boto3

    return boto3.client("stepfunctions", endpoint_url=aws.endpoint_url, region_name=aws.region).list_state_machines()["stateMachines"]
