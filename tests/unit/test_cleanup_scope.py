"""What --clean-up may delete for one run date: the run date's part of the
pipeline's declared outputs, nothing else; refused when it cannot tell."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from runners.operate.cleanup import Area, CleanUpRefused, period_outputs
from runners.pipelines import PIPELINES_DIR, load_pipeline

DEPLOYED = {"data_bucket": "data", "artifacts_bucket": "artifacts", "database": "db"}
DAY = "2026-01-05"


def uris(pipeline, run_date=DAY):
    return sorted(a.uri for a in period_outputs(pipeline, DEPLOYED, run_date).areas)


def test_the_sample_cleans_its_jobs_outputs_and_its_tables_partitions_of_the_date():
    sample = load_pipeline(PIPELINES_DIR / "sales_marketing.yaml")
    assert uris(sample) == [
        "s3://data/aggregates/sales_marketing_monthly/run_date=2026-01-05/",  # INSERT INTO by an Athena step
        "s3://data/joined/sales_marketing/run_date=2026-01-05/",
        "s3://data/processed/marketing/run_date=2026-01-05/",
        "s3://data/processed/sales/run_date=2026-01-05/",
    ]
    partitions = period_outputs(sample, DEPLOYED, DAY).partitions
    assert sorted((p.database, p.table, p.run_date) for p in partitions) == [
        ("db", "sales_marketing_joined", DAY), ("db", "sales_marketing_monthly", DAY)]


def test_inputs_are_never_outputs():
    orders = load_pipeline(PIPELINES_DIR / "orders_daily.yaml")
    assert uris(orders) == ["s3://data/clean/orders/run_date=2026-01-05/", "s3://data/marts/daily_revenue/run_date=2026-01-05/"]
    assert not any("landing/" in uri for uri in uris(orders))


def test_an_area_holds_its_date_only():
    area = Area("data", "clean/orders/run_date=2026-01-05", "step")
    assert area.holds("clean/orders/run_date=2026-01-05/part-0.parquet")
    assert area.holds("clean/orders/run_date=2026-01-05")
    assert not area.holds("clean/orders/run_date=2026-01-050/part-0.parquet")
    assert not area.holds("clean/orders/run_date=2026-01-06/part-0.parquet")
    inner = Area("data", "t", "table t", segment="run_date=2026-01-05")  # partitioned by (region, run_date)
    assert inner.holds("t/region=eu/run_date=2026-01-05/a.parquet")
    assert not inner.holds("t/region=eu/run_date=2026-01-06/a.parquet")
    assert not inner.holds("t/region=eu/run_date=2026-01-05")  # a file named like the segment is no partition


def write(tmp_path: Path, steps: str, tables: str = "") -> Path:
    (tmp_path / "pipelines" / "sql").mkdir(parents=True, exist_ok=True)
    (tmp_path / "glue-scripts").mkdir(exist_ok=True)
    (tmp_path / "glue-scripts" / "job.py").write_text("print('job')\n")
    for name, sql in {"insert_t.sql": "INSERT INTO ${database}.t SELECT 1, ?",
                      "insert_other.sql": "-- writes a table of another pipeline\nINSERT INTO other_db.other SELECT 1",
                      "unload.sql": "UNLOAD (SELECT 1) TO 's3://data/unloaded/' WITH (format = 'PARQUET')",
                      "select.sql": "SELECT 1"}.items():
        (tmp_path / "pipelines" / "sql" / name).write_text(sql)
    path = tmp_path / "pipelines" / "p.yaml"
    path.write_text("pipeline: p\n" + textwrap.dedent(tables) + textwrap.dedent(steps))
    return path


UNPARTITIONED_T = """
tables:
  t:
    location: t/
    columns: {a: int, b: string}
"""
T_BY_REGION_AND_DATE = """
tables:
  t:
    location: t/
    columns: {a: int}
    partitioned_by: {region: string, run_date: string}
"""


@pytest.mark.parametrize("steps, tables, problem", [
    # a writes prefix that no argument scopes and no run_date table lives at
    ("""
     steps:
       job:
         glue:
           script: glue-scripts/job.py
           arguments: {--output_path: "s3://${data_bucket}/out/"}
         writes: [out/]
     """, "", "writes s3://data/out/ has no run-date component"),
    # an argument under a prefix the step both reads and writes
    ("""
     steps:
       job:
         glue:
           script: glue-scripts/job.py
           arguments: {--path: "s3://${data_bucket}/work/${run_date}/"}
         reads: [work/]
         writes: [work/]
     """, "", "cannot tell whether it is an input or an output"),
    # an Athena step inserting into a table without a run_date partition
    ("""
     steps:
       load:
         athena: {sql: pipelines/sql/insert_t.sql, parameters: ["'${run_date}'"]}
     """, UNPARTITIONED_T, "not partitioned by run_date"),
    # ... into a table the pipeline does not declare
    ("""
     steps:
       load:
         athena: {sql: pipelines/sql/insert_other.sql}
     """, "", "not one of this pipeline's tables"),
    # ... or writing S3 another way
    ("""
     steps:
       export:
         athena: {sql: pipelines/sql/unload.sql}
     """, "", "UNLOAD statement writes"),
])
def test_clean_up_is_refused_when_a_periods_output_cannot_be_told_apart(tmp_path, steps, tables, problem):
    pipeline = load_pipeline(write(tmp_path, steps, tables))
    with pytest.raises(CleanUpRefused, match=problem) as refused:
        period_outputs(pipeline, DEPLOYED, DAY)
    assert "nothing was deleted" in str(refused.value)


def test_a_partition_that_is_not_the_first_is_found_by_its_path_segment(tmp_path):
    pipeline = load_pipeline(write(tmp_path, """
        steps:
          load:
            athena: {sql: pipelines/sql/insert_t.sql, parameters: ["'${run_date}'"]}
        """, T_BY_REGION_AND_DATE))
    (area,) = period_outputs(pipeline, DEPLOYED, DAY).areas
    assert (area.scope, area.segment) == ("t", "run_date=2026-01-05")


def test_a_writes_prefix_that_is_a_run_date_tables_location_is_scoped_by_the_table(tmp_path):
    pipeline = load_pipeline(write(tmp_path, """
        steps:
          job:
            glue:
              script: glue-scripts/job.py
            writes: [t/]
        """, """
        tables:
          t:
            location: t/
            columns: {a: int}
            partitioned_by: {run_date: string}
        """))
    assert uris(pipeline) == ["s3://data/t/run_date=2026-01-05/"]


def test_read_only_steps_and_unknown_deployments(tmp_path):
    pipeline = load_pipeline(write(tmp_path, """
        steps:
          ask:
            athena: {sql: pipelines/sql/select.sql}
        """))
    assert uris(pipeline) == []
    with pytest.raises(CleanUpRefused, match="data_bucket"):
        period_outputs(pipeline, {"database": "db"}, DAY)
