"""The local Athena's DDL parser and SELECT translation, without a server."""

from __future__ import annotations

import duckdb
import pytest

from embedded_aws.athena import ddl as athena_ddl
from embedded_aws.athena import sql as athena_sql
from embedded_aws.athena import trino_macros
from embedded_aws.glue import catalog as cat
from embedded_aws.athena.results import SqlError
from embedded_aws.athena.s3_tables import is_hidden


class FakeCatalog:
    """Just enough of ``catalog.Catalog`` for ``athena_sql.prepare``."""

    def __init__(self, *tables: cat.TableDef):
        self.tables = {(t.database, t.name): t for t in tables}

    def table(self, database: str, name: str) -> cat.TableDef:
        if database not in {d for d, _ in self.tables}:
            raise cat.NotFound("Database", database)
        try:
            return self.tables[(database, name.lower())]
        except KeyError:
            raise cat.NotFound("Table", f"{database}.{name}") from None


def table_def(name: str, columns: dict[str, str], keys: dict[str, str] | None = None, partitions=()) -> cat.TableDef:
    return cat.TableDef(
        database="db",
        name=name,
        columns=tuple(cat.ColumnDef(k, v) for k, v in columns.items()),
        partition_keys=tuple(cat.ColumnDef(k, v) for k, v in (keys or {}).items()),
        location=f"s3://b/{name}/",
        input_format=cat.PARQUET_INPUT_FORMAT,
        serde_library=cat.PARQUET_SERDE,
        partitions=tuple(cat.PartitionDef(tuple(values), f"s3://b/{name}/{i}/") for i, values in enumerate(partitions)),
    )


def test_create_external_table_becomes_the_glue_table_input_athena_stores():
    statement = athena_ddl.parse(
        "create external table if not exists `Sales`.Daily (\n"
        "  `Day` DATE comment 'the day', amount DECIMAL(12, 2), n INTEGER, s VARCHAR(10), f float)\n"
        "PARTITIONED BY (region string)\n"
        "ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' NULL DEFINED AS ''\n"
        "LOCATION 's3://bucket/daily/' TBLPROPERTIES ('skip.header.line.count'='1');"
    )
    assert statement.table == athena_ddl.TableName("sales", "daily") and statement.if_not_exists
    table_input = athena_ddl.table_input(statement)
    descriptor = table_input["StorageDescriptor"]
    assert [(c["Name"], c["Type"]) for c in descriptor["Columns"]] == [
        ("day", "date"), ("amount", "decimal(12,2)"), ("n", "int"), ("s", "varchar(10)"), ("f", "float"),
    ]
    assert descriptor["Columns"][0]["Comment"] == "the day"
    assert descriptor["SerdeInfo"] == {
        "SerializationLibrary": cat.LAZY_SIMPLE_SERDE,
        "Parameters": {"field.delim": "\t", "serialization.format": "\t", "escape.delim": "\\", "serialization.null.format": ""},
    }
    assert table_input["PartitionKeys"] == [{"Name": "region", "Type": "string"}]
    assert table_input["Parameters"] == {"EXTERNAL": "TRUE", "skip.header.line.count": "1"}


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("CREATE EXTERNAL TABLE t (a int) PARTITIONED BY (a string) LOCATION 's3://b/t/'", "Column repeated in partitioning columns: a"),
        ("CREATE EXTERNAL TABLE t (a int, A bigint) LOCATION 's3://b/t/'", "Duplicate column name: a"),
        ("CREATE EXTERNAL TABLE t (a int) LOCATION '/local/path'", "LOCATION must be an s3:// URI"),
        ("CREATE EXTERNAL TABLE t (a decimal(50,2)) LOCATION 's3://b/t/'", "Invalid decimal type"),
        ("CREATE EXTERNAL TABLE t (a int) STORED AS PARQUET LOCATION 's3://b/t/' EXTRA", "mismatched input 'EXTRA'"),
        ("CREATE EXTERNAL TABLE t (a int) ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.avro.AvroSerDe' LOCATION 's3://b/t/'", None),
        ("CREATE EXTERNAL TABLE t (a int) CLUSTERED BY (a) INTO 4 BUCKETS LOCATION 's3://b/t/'", "NOT_SUPPORTED: CLUSTERED BY"),
        ("ALTER TABLE t RENAME TO u", "NOT_SUPPORTED: ALTER TABLE ... RENAME"),
        ("SHOW FUNCTIONS", "NOT_SUPPORTED: SHOW FUNCTIONS"),
    ],
)
def test_ddl_is_strict(sql, message):
    with pytest.raises(SqlError) as excinfo:
        statement = athena_ddl.parse(sql)
        athena_ddl.table_input(statement)  # storage problems surface when the table input is built
    if message is None:
        assert str(excinfo.value).startswith("NOT_SUPPORTED: SerDe 'org.apache.hadoop.hive.serde2.avro.AvroSerDe'")
    else:
        assert message in str(excinfo.value)


def test_other_ddl_statements_parse():
    assert athena_ddl.parse("MSCK REPAIR TABLE db.t") == athena_ddl.RepairTable(athena_ddl.TableName("db", "t"))
    assert athena_ddl.parse("DROP SCHEMA IF EXISTS x CASCADE") == athena_ddl.DropDatabase("x", True, True)
    added = athena_ddl.parse("ALTER TABLE t ADD IF NOT EXISTS PARTITION (d='1') LOCATION 's3://b/1/' PARTITION (d = 2)")
    assert added == athena_ddl.AddPartitions(
        athena_ddl.TableName(None, "t"), True, [({"d": "1"}, "s3://b/1/"), ({"d": "2"}, None)]
    )
    assert athena_ddl.parse("SHOW TABLES IN db 'sales*|joined'") == athena_ddl.ShowTables("db", "sales*|joined")
    assert athena_ddl._like("sales*|joined", ["joined", "sales_a", "other"]) == ["joined", "sales_a"]
    assert athena_ddl.partition_path(["a", "b"], ["x y", "1:2/3"]) == "a=x y/b=1%3A2%2F3/"


def test_hidden_keys_are_not_data():
    assert [k for k in ["a.parquet", "_SUCCESS", "x/.a.crc", "b.crc", "_tmp/0/a", "k=v/", "k=v_$folder$", "d=1/p.csv"] if not is_hidden(k)] == [
        "a.parquet", "d=1/p.csv",
    ]


def test_parameters_keep_their_textual_order_whatever_sqlglot_does():
    catalog = FakeCatalog(table_def("t", {"a": "bigint", "b": "string"}))
    prepared = athena_sql.prepare("SELECT ? AS x FROM t WHERE b = ? LIMIT ?", ["p", "q", 3], catalog, "db")
    assert prepared.parameter_count == 3
    assert "$1 AS x" in prepared.sql and "b = $2" in prepared.sql and "LIMIT $3" in prepared.sql
    assert "'?'" in athena_sql.prepare("SELECT '?' AS q, ? AS p", [1], catalog, "db").sql


def test_partitions_are_pruned_on_simple_where_conjuncts():
    events = table_def("events", {"v": "bigint"}, {"day": "string", "hour": "int"}, [("d1", "1"), ("d1", "2"), ("d2", "1")])
    catalog = FakeCatalog(events)

    def kept(sql: str, parameters: list | None = None) -> list[list[tuple[str, ...]]]:
        prepared = athena_sql.prepare(sql, parameters or [], catalog, "db")
        return [[p.values for p in r.partitions or []] for r in prepared.references]

    everything = [("d1", "1"), ("d1", "2"), ("d2", "1")]
    assert kept("SELECT v FROM events") == [everything]
    assert kept("SELECT v FROM events WHERE day = ?", ["d1"]) == [[("d1", "1"), ("d1", "2")]]
    assert kept("SELECT v FROM events WHERE (hour = 1 AND v > 0) AND 'd2' = day") == [[("d2", "1")]]
    assert kept("SELECT v FROM events e WHERE e.hour IN (2, 3)") == [[("d1", "2")]]
    assert kept("SELECT v FROM events WHERE day = 'd1' OR hour = 1") == [everything]
    assert kept("SELECT v FROM events WHERE hour = '1'") == [everything]  # a type mismatch is not pruned
    # In a join an unqualified key may belong to either side; a qualified one prunes its own side only.
    assert kept("SELECT a.v FROM events a JOIN events b ON a.v = b.v WHERE day = 'd1'") == [everything, everything]
    assert kept("SELECT a.v FROM events a JOIN events b ON a.v = b.v WHERE b.day = 'd2'") == [everything, [("d2", "1")]]


def test_translation_follows_trino_where_types_are_known():
    catalog = FakeCatalog(table_def("t", {"n": "int", "x": "double", "d": "date", "ts": "timestamp"}))
    sql = athena_sql.prepare(
        "SELECT n / 2, x / 2, date_trunc('month', d), date_trunc('month', ts), count(*) / 2 AS half FROM t GROUP BY 1, 2, 3, 4",
        [], catalog, "db",
    ).sql
    assert "__TRINO_INT_DIV(n, 2)" in sql and "x / 2" in sql  # integer division, failing on zero
    assert "CAST(DATE_TRUNC('MONTH', d) AS DATE)" in sql and "CAST(DATE_TRUNC('MONTH', ts)" not in sql
    assert '"_col0"' in sql and "AS half" in sql
    con = duckdb.connect()
    trino_macros.install_macros(con)
    assert con.execute(athena_sql.prepare("SELECT 7 / 2, -7 / 2, 7.0 / 2", [], catalog, "db").sql).fetchall() == [
        (3, -3, 3.5)
    ]


def test_table_resolution_errors():
    catalog = FakeCatalog(table_def("t", {"a": "int"}))
    with pytest.raises(SqlError, match=r"^TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.db.u' does not exist$"):
        athena_sql.prepare("SELECT * FROM u", [], catalog, "db")
    with pytest.raises(SqlError, match=r"^CATALOG_NOT_FOUND: line 1:15: Catalog 'hive2' does not exist$"):
        athena_sql.prepare("SELECT * FROM hive2.db.t", [], catalog, "db")
    with pytest.raises(SqlError, match="^SYNTAX_ERROR: Only one sql statement"):
        athena_sql.prepare("SELECT 1; SELECT 2", [], catalog, "db")
    # A CTE's name shadows a table; table functions pass through.
    prepared = athena_sql.prepare("WITH u AS (SELECT 1 AS a) SELECT * FROM u, UNNEST(ARRAY[1, 2]) AS x(y)", [], catalog, "db")
    assert prepared.references == []
