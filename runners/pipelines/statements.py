"""Every statement the Athena runner runs for a pipeline: the generated DDL
(database, tables, refreshes around steps) and each Athena step's SQL.

The texts here are for reading what a statement touches (``sql_access``):
the database and pipeline name are filled in, buckets stay as the pipeline
file's ``${data_bucket}``/``${artifacts_bucket}`` so a location can be
mapped to the bucket it is in.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from . import naming, tables
from .model import Pipeline
from .sql_access import SqlAccess, sql_access

# the state machine's placeholders -> the pipeline file's variables
_PLACEHOLDERS = {
    "${DataBucket}": "${data_bucket}",
    "${ArtifactBucket}": "${artifacts_bucket}",
}


@dataclass(frozen=True)
class AthenaStatement:
    step: str | None  # the step it runs in or around; None: the pipeline's set-up
    label: str  # what the statement is, for messages
    sql: str
    database: str
    work_group: str | None = None

    @cached_property
    def access(self) -> SqlAccess:
        return sql_access(self.sql, self.database)

    def where(self) -> str:
        return f"step {self.step}" if self.step else "table set-up"


def athena_statements(pipeline: Pipeline) -> list[AthenaStatement]:
    found: list[AthenaStatement] = []
    if pipeline.tables:
        found.append(_generated(pipeline, None, "CREATE DATABASE", tables.create_database_sql(pipeline)))
        for table in pipeline.tables.values():
            found.append(_generated(pipeline, None, f"CREATE TABLE {table.name}", tables.create_table_sql(pipeline, table)))
    for step in pipeline.steps.values():
        for refresh in step.refresh:
            if refresh.action == "recreate":
                found.append(_generated(pipeline, step.id, f"DROP TABLE {refresh.table} ({refresh.when} the step)", tables.drop_table_sql(pipeline, refresh.table)))
                found.append(_generated(pipeline, step.id, f"CREATE TABLE {refresh.table} ({refresh.when} the step)", tables.create_table_sql(pipeline, refresh.table)))
            else:
                found.append(_generated(pipeline, step.id, f"MSCK REPAIR TABLE {refresh.table} ({refresh.when} the step)", tables.repair_partitions_sql(pipeline, refresh.table)))
        if step.athena is not None:
            sql = _fill(pipeline, step.athena.sql)
            found.append(AthenaStatement(step.id, step.athena.sql_path, sql, pipeline.database, step.athena.work_group))
    return found


def _generated(pipeline: Pipeline, step: str | None, label: str, sql: str) -> AthenaStatement:
    text = sql.replace(tables.DATABASE, pipeline.database)
    for placeholder, variable in _PLACEHOLDERS.items():
        text = text.replace(placeholder, variable)
    return AthenaStatement(step, label, _fill(pipeline, text), pipeline.database)


def _fill(pipeline: Pipeline, sql: str) -> str:
    return (sql.replace("${database}", pipeline.database).replace("${pipeline}", pipeline.name)
            .replace("${results_location}", f"s3://${{artifacts_bucket}}/{naming.results_prefix(pipeline)}"))
