"""An input's schema in the pipeline file: what it accepts, what it refuses, and
what the wait state carries so the check needs nothing else."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from runners.pipelines import PipelineFileError, load_pipeline
from runners.pipelines.asl import render_state_machine
from runners.pipelines.permissions import check_permissions
from runners.pipelines.stack import render_pipeline_stack, standard_placeholders

BASE = """
pipeline: weekly
inputs:
  sales:
    pattern: raw/sales/run_date=${run_date}/*.csv
    schema: SCHEMA
tables:
  sales_raw:
    location: raw/sales/
    format: csv
    header: true
    columns: {day: date, amount: bigint}
  sales_copy:
    location: copy/sales/
    columns: {day: date, amount: bigint}
  sales_text:
    location: text/sales/
    format: text
    columns: {line: string}
steps:
  copy:
    after: [sales]
    athena: {sql: sql/q.sql}
"""


def load(tmp_path: Path, schema: str):
    (tmp_path / "pipelines").mkdir(exist_ok=True)
    (tmp_path / "sql").mkdir(exist_ok=True)
    (tmp_path / "sql" / "q.sql").write_text("SELECT 1\n")
    path = tmp_path / "pipelines" / "p.yaml"
    path.write_text(textwrap.dedent(BASE).lstrip().replace("SCHEMA", schema))
    return load_pipeline(path)


def problems(tmp_path: Path, schema: str) -> str:
    with pytest.raises(PipelineFileError) as caught:
        load(tmp_path, schema)
    return "\n".join(caught.value.problems)


def test_an_input_schema_names_its_table_policy_and_the_tables_downstream(tmp_path):
    pipeline = load(tmp_path, "{table: sales_raw, on_new_columns: evolve, evolve: [sales_copy]}")
    schema = pipeline.inputs["sales"].schema
    assert (schema.table, schema.on_new_columns, schema.evolve) == ("sales_raw", "evolve", ("sales_copy",))
    assert load(tmp_path, "{table: sales_raw}").inputs["sales"].schema.on_new_columns == "fail"  # the safe default


def test_the_wait_state_carries_the_expected_columns_and_policy(tmp_path):
    pipeline = load(tmp_path, "{table: sales_raw, on_new_columns: evolve, evolve: [sales_copy]}")
    wait = render_state_machine(pipeline).definition["States"]["Parallel 1"]["Branches"][0]["States"]["Wait For Sales"]
    assert wait["Parameters"]["Schema"] == {"Database": "${AthenaDatabase}", "Table": "sales_raw", "Format": "csv",
                                            "Columns": [["day", "date"], ["amount", "bigint"]], "OnNewColumns": "evolve",
                                            "Delimiter": ",", "Evolve": ["sales_copy"]}


@pytest.mark.parametrize("schema, message", [
    ("{table: nope}", "'nope' is not in this pipeline's tables"),
    ("{table: sales_copy, on_new_columns: evolve, evolve: [sales_copy]}", "'sales_copy' is the input's own table"),
    ("{table: sales_text}", "'sales_text' is text; input schemas are checked for csv, json, parquet tables"),
    ("{table: sales_raw, evolve: [sales_copy]}", "applies with on_new_columns: evolve"),
    ("{table: sales_raw, on_new_columns: ignore}", "'ignore' is not one of ['evolve', 'fail']"),
    ("{table: sales_raw, evolve: [nope], on_new_columns: evolve}", "'nope' is not in this pipeline's tables"),
])
def test_a_schema_that_cannot_be_checked_is_refused_naming_the_field(tmp_path, schema, message):
    text = problems(tmp_path, schema)
    assert message in text and "inputs.sales.schema" in text


def test_a_csv_table_without_a_header_cannot_be_checked(tmp_path):
    (tmp_path / "pipelines").mkdir()
    path_text = BASE.replace("    header: true\n", "")
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "q.sql").write_text("SELECT 1\n")
    path = tmp_path / "pipelines" / "p.yaml"
    path.write_text(textwrap.dedent(path_text).lstrip().replace("SCHEMA", "{table: sales_raw}"))
    with pytest.raises(PipelineFileError, match="csv without header: true"):
        load_pipeline(path)


def test_the_wait_runners_may_read_the_files_and_evolve_exactly_the_named_tables(tmp_path):
    pipeline = load(tmp_path, "{table: sales_raw, on_new_columns: evolve, evolve: [sales_copy]}")
    assert check_permissions(pipeline) == []
    template = render_pipeline_stack(pipeline, standard_placeholders(pipeline))
    grants = {s["Sid"]: s for s in template["Resources"]["ObjectCreatedPolicy"]["Properties"]["PolicyDocument"]["Statement"]}
    runner = {s["Sid"]: s for s in template["Resources"]["RunnerPolicy"]["Properties"]["PolicyDocument"]["Statement"]}
    assert {sid: runner["Wait" + sid]["Resource"] for sid in grants} == {sid: s["Resource"] for sid, s in grants.items()}  # the same for both roles
    evolved = [(r["Fn::Sub"] if isinstance(r["Fn::Sub"], str) else r["Fn::Sub"][0]) if isinstance(r, dict) else r
               for r in grants["EvolveTables"]["Resource"]]
    assert [r for r in evolved if ":table/" in str(r)] == [
        "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:table/weekly/sales_copy",
        "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:table/weekly/sales_raw"]
    assert grants["ReadInputHeads"]["Action"] == "s3:GetObject"
