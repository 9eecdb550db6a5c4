"""Pipeline files for tests of the generated stacks and permissions.

The sample (pipelines/sales_marketing.yaml) is shaped by its data; "daily
orders" here uses what the sample does not: a .done-marker trigger, a
dependency gate, a DDL refresh that recreates a table, JSON and partitioned
tables, job parameters in another bucket, a work group, UNLOAD, e-mail.

Written into a folder so the loader finds the scripts and SQL relative to it.
"""

from __future__ import annotations

from pathlib import Path

from runners.pipelines.loader import load_pipeline
from runners.pipelines.model import Pipeline

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "pipelines" / "sales_marketing.yaml"

DAILY_ORDERS = """\
pipeline: daily-orders
description: Daily orders, started by a .done marker, gated, refreshing its table.
database: orders
trigger:
  on_arrival:
    key: landing/orders/${run_date}/_SUCCESS.done
notify:
  email: [data-team@example.com]
  on: [FAILED, SUCCEEDED]
inputs:
  orders:
    pattern: landing/orders/${run_date}/*.json
    done_marker: landing/orders/${run_date}/_SUCCESS.done
tables:
  orders_raw:
    location: landing/orders/
    format: json
    columns: {id: bigint, amount: double, tags: array<string>}
  orders_daily:
    location: curated/orders_daily/
    columns: {id: bigint, amount: double}
    partitioned_by: {run_date: string}
steps:
  clean_orders:
    after: [orders]
    glue:
      script: glue-scripts/clean_orders.py
      arguments:
        --input_path: s3://${data_bucket}/landing/orders/${run_date}/
        --output_path: s3://${data_bucket}/curated/orders_daily/run_date=${run_date}/
      job_parameters:
        --lookup_path: s3://${artifacts_bucket}/lookups/${pipeline}/
      worker_type: G.2X
      workers: 4
      timeout_minutes: 30
      max_concurrent_runs: 2
    reads: [landing/orders/, "s3://${artifacts_bucket}/lookups/${pipeline}/"]
    writes: [curated/orders_daily/]
    wait_until_idle:
      glue_jobs: [etl-runner-sales-marketing-JoinMarketingAndSalesData]
      pipelines: [sales-marketing, daily-orders]
      max_wait_minutes: 30
    refresh:
      - {table: orders_daily, action: recreate, when: before}
      - {table: orders_daily, action: partitions}
  export_totals:
    after: [clean_orders]
    athena:
      sql: sql/export_totals.sql
      parameters: ["'${run_date}'"]
      work_group: etl
"""

EXPORT_TOTALS = """\
-- The day's totals, unloaded for the finance team.
UNLOAD (SELECT run_date, sum(amount) AS amount FROM ${database}.orders_daily WHERE run_date = ? GROUP BY 1)
TO 's3://${data_bucket}/exports/orders_totals/' WITH (format = 'PARQUET')
"""


def sample() -> Pipeline:
    return load_pipeline(SAMPLE)


def write_project(root: Path, files: dict[str, str] | None = None) -> Path:
    """A project folder with the daily-orders pipeline (and ``files`` on top); returns its pipeline file."""
    contents = {
        "pipelines/daily_orders.yaml": DAILY_ORDERS,
        "glue-scripts/clean_orders.py": "# a Glue script\n",
        "sql/export_totals.sql": EXPORT_TOTALS,
        **(files or {}),
    }
    for relative, text in contents.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pipelines" / "daily_orders.yaml"


def daily_orders(root: Path) -> Pipeline:
    return load_pipeline(write_project(root))




def with_stack(pipeline: Pipeline) -> tuple[Pipeline, dict]:
    """The pipeline and its stack as the build renders it (every standard placeholder, real trigger rules)."""
    from runners.pipelines.stack import render_pipeline_stack, standard_placeholders
    from runners.pipelines.triggers import trigger_rules

    return pipeline, render_pipeline_stack(pipeline, standard_placeholders(pipeline), trigger_rules=trigger_rules)
