"""A pipeline's tables as Athena DDL: the statements the state machine runs,
with the deploy-time placeholders it fills."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot

from runners.pipelines.loader import load_pipeline
from runners.pipelines.model import Pipeline, Step, Table
from runners.pipelines.tables import (create_database_sql, create_table_sql, ddl_type, drop_table_sql, location_uri,
                                      repair_partitions_sql)

ROOT = Path(__file__).resolve().parents[2]


def pipeline(*tables: Table) -> Pipeline:
    return Pipeline(name="p", database="p", steps={"s": Step("s", "S")}, tables={t.name: t for t in tables})


def test_the_samples_joined_table_is_partitioned_parquet_in_the_data_bucket():
    sample = load_pipeline(ROOT / "pipelines" / "sales_marketing.yaml")
    sql = create_table_sql(sample, "sales_marketing_joined")
    assert sql.startswith("CREATE EXTERNAL TABLE IF NOT EXISTS `${AthenaDatabase}`.`sales_marketing_joined` (`date` date, `forecasted_monthly_revenue` bigint, ")
    assert sql.endswith(") PARTITIONED BY (`run_date` string) STORED AS PARQUET LOCATION 's3://${DataBucket}/joined/sales_marketing/'")
    assert sql.count("`date` date") == 1 and "`paid_conversion` bigint)" in sql


def test_database_drop_and_repair_statements():
    table = Table("t", "t/", (("a", "int"),), partitioned_by=(("day", "string"),))
    p = pipeline(table)
    assert create_database_sql(p) == "CREATE DATABASE IF NOT EXISTS `${AthenaDatabase}`"
    assert drop_table_sql(p, "t") == "DROP TABLE IF EXISTS `${AthenaDatabase}`.`t`"
    assert repair_partitions_sql(p, table) == "MSCK REPAIR TABLE `${AthenaDatabase}`.`t`"


def test_repairing_a_table_without_partitions_or_naming_an_unknown_table_is_an_error():
    p = pipeline(Table("flat", "flat/", (("a", "int"),)))
    with pytest.raises(ValueError, match="'flat' has no partitions"):
        repair_partitions_sql(p, "flat")
    with pytest.raises(ValueError, match="'nope' is not a table of pipeline 'p'"):
        create_table_sql(p, "nope")


@pytest.mark.parametrize(
    ("table", "storage"),
    [
        (Table("c", "c/", (("a", "int"),), format="csv", header=True),
         "ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' STORED AS TEXTFILE LOCATION 's3://${DataBucket}/c/' TBLPROPERTIES ('skip.header.line.count'='1')"),
        (Table("x", "x/", (("a", "int"),), format="text", delimiter="|"),
         "ROW FORMAT DELIMITED FIELDS TERMINATED BY '|' STORED AS TEXTFILE LOCATION 's3://${DataBucket}/x/'"),
        (Table("x", "x/", (("a", "int"),), format="text", delimiter="\t"),
         "ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\t' STORED AS TEXTFILE LOCATION 's3://${DataBucket}/x/'"),
        (Table("j", "j/", (("a", "int"),), format="json"),
         "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' STORED AS TEXTFILE LOCATION 's3://${DataBucket}/j/'"),
        (Table("o", "o/", (("a", "int"),), format="orc"), "STORED AS ORC LOCATION 's3://${DataBucket}/o/'"),
    ],
)
def test_formats(table, storage):
    assert create_table_sql(pipeline(table), table) == f"CREATE EXTERNAL TABLE IF NOT EXISTS `${{AthenaDatabase}}`.`{table.name}` (`a` int) {storage}"


def test_locations_are_folders_in_the_data_bucket_or_given_uris_with_deploy_time_variables():
    assert location_uri(Table("t", "joined/x", (("a", "int"),))) == "s3://${DataBucket}/joined/x/"
    assert location_uri(Table("t", "s3://other-bucket/x/", (("a", "int"),))) == "s3://other-bucket/x/"
    assert location_uri(Table("t", "s3://${artifacts_bucket}/lookup/${pipeline}/", (("a", "int"),))) == "s3://${ArtifactBucket}/lookup/${PipelineName}/"


def test_types_are_written_as_hive_ddl_and_descriptions_become_comments():
    assert ddl_type("integer") == "int" and ddl_type("array<struct<n:integer,s:string>>") == "array<struct<n:int,s:string>>"
    table = Table("t", "t/", (("n", "integer"), ("price", "decimal(12, 2)")), description="Prices, in 'EUR'")
    sql = create_table_sql(pipeline(table), table)
    assert "(`n` int, `price` decimal(12, 2)) COMMENT 'Prices, in \\'EUR\\'' STORED AS PARQUET" in sql


def test_every_statement_parses_as_hive_ddl():
    tables = [
        Table("p", "p/", (("date", "date"), ("v", "bigint")), partitioned_by=(("run_date", "string"),)),
        Table("c", "c/", (("a", "int"),), format="csv", header=True, description="it's csv"),
        Table("j", "j/", (("a", "map<string,int>"),), format="json"),
    ]
    p = pipeline(*tables)
    for table in tables:
        for sql in (create_table_sql(p, table), drop_table_sql(p, table)):
            filled = sql.replace("${AthenaDatabase}", "db").replace("${DataBucket}", "bucket")
            tree = sqlglot.parse_one(filled, read="athena")
            assert tree.find(sqlglot.exp.Table).name == table.name
