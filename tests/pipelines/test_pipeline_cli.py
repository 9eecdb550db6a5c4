"""`etl-runner pipeline validate|render`: what a data engineer types first."""

from __future__ import annotations

import json
import subprocess
import sys

import yaml

from runners.pipelines import PROJECT_ROOT


def etl_runner(*args, cwd=PROJECT_ROOT):
    return subprocess.run([sys.executable, "-m", "runners.cli", *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_validate_checks_every_shipped_pipeline():
    result = etl_runner("pipeline", "validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "✓ sales_marketing.yaml: pipeline sales-marketing" in result.stdout
    assert "✓ orders_daily.yaml: pipeline orders-daily" in result.stdout and "starts on arrival of" in result.stdout


def test_validate_names_the_line_and_field_of_a_bad_file_and_exits_1(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("pipeline: bad\nsteps:\n  load:\n    glue:\n      script: glue-scripts/clean_orders.py\n      workers: many\n")
    result = etl_runner("pipeline", "validate", str(bad))
    assert result.returncode == 1
    assert "bad.yaml:6: steps.load.glue.workers: 'many' is not of type 'integer'" in result.stdout


def test_render_writes_the_state_machine_the_stack_and_the_ddl(tmp_path):
    result = etl_runner("pipeline", "render", "orders-daily", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "orders-daily"
    definition = json.loads((folder / "definition.asl.json").read_text())
    assert definition["StartAt"] == "Resolve Run Date"
    template = yaml.safe_load((folder / "template.yaml").read_text())
    types = {r["Type"] for r in template["Resources"].values()}
    assert {"AWS::Glue::Job", "AWS::StepFunctions::StateMachine", "AWS::Events::Rule", "AWS::IAM::Policy"} <= types
    assert "CREATE EXTERNAL TABLE IF NOT EXISTS" in (folder / "tables.sql").read_text()
