"""Pipeline files: validated against the published schema and checked for what a
schema cannot say; every problem names the file, the line and the field."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import jsonschema
import pytest

from runners.pipelines import SAMPLE_PIPELINE, PipelineFileError, load_pipeline, pipeline_files
from runners.pipelines.loader import SCHEMA_PATH

ROOT = SAMPLE_PIPELINE.parents[1]


def write(tmp_path: Path, text: str, files: dict[str, str] | None = None) -> Path:
    (tmp_path / "pipelines").mkdir(exist_ok=True)
    for name, body in (files or {"glue-scripts/job.py": "print('job')\n", "sql/q.sql": "SELECT 1\n"}).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(body)
    path = tmp_path / "pipelines" / "p.yaml"
    path.write_text(textwrap.dedent(text).lstrip())
    return path


MINIMAL = """
pipeline: orders
steps:
  load_orders:
    glue:
      script: glue-scripts/job.py
"""


def problems(path: Path) -> list[str]:
    with pytest.raises(PipelineFileError) as caught:
        load_pipeline(path)
    return caught.value.problems


def test_the_published_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(json.loads(SCHEMA_PATH.read_text()))


def test_every_shipped_pipeline_validates():
    names = {load_pipeline(path).name for path in pipeline_files()}
    assert "sales-marketing" in names and len(names) >= 2


def test_a_minimal_pipeline_gets_sensible_defaults(tmp_path):
    pipeline = load_pipeline(write(tmp_path, MINIMAL))
    step = pipeline.steps["load_orders"]
    assert pipeline.database == "orders" and step.title == "Load Orders" and step.result == "loadOrders"
    assert step.glue.job_name == "LoadOrders" and step.glue.worker_type == "G.1X" and step.glue.workers == 2
    assert step.timeout_minutes > step.glue.timeout_minutes and step.retry.attempts == 2


def test_an_unknown_field_is_named_with_its_line(tmp_path):
    path = write(tmp_path, MINIMAL + "    retries: 3\n")
    (problem,) = problems(path)
    assert problem.startswith("p.yaml:6: steps.load_orders.retries: unknown field(s) 'retries'")
    assert "retry" in problem  # says what is allowed


def test_a_wrong_type_names_the_field_and_line(tmp_path):
    path = write(tmp_path, MINIMAL + "      workers: many\n")
    (problem,) = problems(path)
    assert problem.startswith("p.yaml:6: steps.load_orders.glue.workers:") and "'many'" in problem


def test_a_step_needs_exactly_one_of_glue_and_athena(tmp_path):
    path = write(tmp_path, "pipeline: orders\nsteps:\n  nothing:\n    after: []\n")
    assert any("steps.nothing" in p and "exactly one of: glue, athena" in p for p in problems(path))


def test_a_dependency_on_something_unknown_is_named(tmp_path):
    path = write(tmp_path, MINIMAL + "    after: [load_customers]\n")
    (problem,) = problems(path)
    assert problem.startswith("p.yaml:6: steps.load_orders.after[0]:") and "load_customers" in problem


def test_a_cycle_is_refused_and_spelled_out(tmp_path):
    path = write(tmp_path, """
        pipeline: orders
        steps:
          a:
            after: [b]
            glue: {script: glue-scripts/job.py}
          b:
            after: [a]
            glue: {script: glue-scripts/job.py, job_name: B2}
    """)
    assert any("cycle: a -> b -> a" in p for p in problems(path))


def test_a_missing_script_or_sql_file_is_named(tmp_path):
    path = write(tmp_path, MINIMAL.replace("job.py", "nope.py"))
    (problem,) = problems(path)
    assert "steps.load_orders.glue.script" in problem and "glue-scripts/nope.py does not exist" in problem


def test_run_time_values_never_go_into_sql_text(tmp_path):
    path = write(tmp_path, """
        pipeline: orders
        steps:
          count_orders:
            athena: {sql: sql/q.sql}
    """, {"sql/q.sql": "SELECT count(*) FROM t WHERE d = '${run_date}'\n"})
    (problem,) = problems(path)
    assert "steps.count_orders.athena.sql" in problem and "write ? and pass it in 'parameters'" in problem


def test_unknown_template_variables_are_named(tmp_path):
    path = write(tmp_path, MINIMAL + "      arguments: {--out: 's3://${data_bukket}/x/'}\n")
    (problem,) = problems(path)
    assert "steps.load_orders.glue.arguments.--out" in problem and "${data_bukket}" in problem


def test_duplicate_keys_are_refused_not_silently_overwritten(tmp_path):
    path = write(tmp_path, MINIMAL + "  load_orders:\n    glue: {script: glue-scripts/job.py}\n")
    (problem,) = problems(path)
    assert "p.yaml:6: steps.load_orders: defined twice" == problem


def test_a_schedule_time_zone_must_exist(tmp_path):
    path = write(tmp_path, MINIMAL + "schedule: {cron: '0 6 ? * MON *', timezone: Europe/Berlinn}\n")
    (problem,) = problems(path)
    assert "schedule.timezone" in problem and "Europe/Berlinn" in problem


def test_an_arrival_trigger_key_must_hold_the_run_date(tmp_path):
    path = write(tmp_path, MINIMAL + "trigger: {on_arrival: {key: landing/orders/_SUCCESS}}\n")
    assert any("trigger.on_arrival.key" in p for p in problems(path))


def test_a_refresh_names_a_configured_table(tmp_path):
    path = write(tmp_path, MINIMAL + "    refresh: [{table: orders, action: recreate}]\n")
    (problem,) = problems(path)
    assert "steps.load_orders.refresh[0].table" in problem and "'orders' is not in this pipeline's tables" in problem


def test_invalid_yaml_names_the_line(tmp_path):
    path = write(tmp_path, "pipeline: orders\nsteps:\n  a: [\n")
    (problem,) = problems(path)
    assert problem.startswith("p.yaml:") and "not valid YAML" in problem


def test_the_sample_copied_elsewhere_still_loads(tmp_path):
    for folder in ("pipelines", "glue-scripts"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    pipeline = load_pipeline(tmp_path / "pipelines" / SAMPLE_PIPELINE.name)
    assert pipeline.root == tmp_path and set(pipeline.inputs) == {"sales_data", "marketing_data"}
