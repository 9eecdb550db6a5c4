"""The local Athena's table pieces without a server: Hive types, Hive text, projection, views."""

from __future__ import annotations

import datetime

import duckdb
import pytest
import sqlglot

from embedded_aws.athena import hive_text, java_dates, projection, views, write_options
from embedded_aws.athena.results import SqlError
from embedded_aws.glue import catalog as cat
from embedded_aws.glue import hive_types


@pytest.mark.parametrize(
    ("declared", "stored", "duck"),
    [
        ("INTEGER", "int", "INTEGER"),
        ("VARCHAR(10)", "varchar(10)", "VARCHAR"),
        ("decimal", "decimal(10,0)", "DECIMAL(10,0)"),
        ("array<string>", "array<string>", "VARCHAR[]"),
        ("map<string, int>", "map<string,int>", "MAP(VARCHAR, INTEGER)"),
        ("struct<City:string, zip:array<int>>", "struct<city:string,zip:array<int>>", 'STRUCT("city" VARCHAR, "zip" INTEGER[])'),
    ],
)
def test_hive_types_are_stored_as_glue_stores_them(declared, stored, duck):
    assert hive_types.normalize_type(declared) == stored
    assert hive_types.duckdb_type(declared) == duck


@pytest.mark.parametrize("text", ["money", "uuid", "array<money>", "decimal(39,2)", "struct<>"])
def test_non_hive_types_are_refused(text):
    with pytest.raises(hive_types.UnsupportedType):
        hive_types.normalize_type(text)


def test_result_types_map_back_to_hive_types():
    described = duckdb.connect().execute(
        "SELECT 1 a, 2::BIGINT b, 'x' c, 1.5::DECIMAL(4,2) d, [1] e, {'K': 1} f, map(['a'], [1.0]) g, DATE '2020-01-01' h"
    ).description
    assert [hive_types.from_duckdb(d[1]) for d in described] == [
        "int", "bigint", "string", "decimal(4,2)", "array<int>", "struct<k:int>", "map<string,decimal(2,1)>", "date",
    ]


def test_hive_text_round_trips_nested_values_through_duckdb():
    node = hive_types.parse("array<struct<n:int,tags:map<string,int>>>")
    separators = hive_text.separators({})
    connection = duckdb.connect()
    value = "[{'n': 1, 'tags': MAP {'a': 1, 'b': 2}}, {'n': NULL, 'tags': MAP {}}]"
    typed = f"CAST({value} AS {hive_types.duckdb_type('array<struct<n:int,tags:map<string,int>>>')})"
    text = connection.execute(f"SELECT {hive_text.render_sql(typed, node, separators)}").fetchone()[0]
    # Items at level 1 (\002), struct fields at 2 (\003), map entries at 3 (\004), key from value at 4 (\005).
    assert text == "1\x03a\x051\x04b\x052\x02\\N\x03"
    literal = "'" + text.replace("'", "''") + "'"
    parsed = connection.execute(f"SELECT {hive_text.parse_sql(literal, node, separators)}").fetchone()[0]
    assert parsed == [{"n": 1, "tags": {"a": 1, "b": 2}}, {"n": None, "tags": {}}]


def test_java_date_patterns():
    assert java_dates.to_strftime("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'") == "%Y-%m-%dT%H:%M:%S.%fZ"
    assert java_dates.precision("yyyyMM") == "MONTHS" and java_dates.precision("yyyy/MM/dd") == "DAYS"
    with pytest.raises(ValueError):
        java_dates.to_strftime("EEE yyyy")


def _projected(parameters: dict[str, str], keys: dict[str, str]) -> cat.TableDef:
    return cat.TableDef(
        database="db", name="t", columns=(cat.ColumnDef("v", "int"),),
        partition_keys=tuple(cat.ColumnDef(k, t) for k, t in keys.items()),
        location="s3://b/t", input_format=cat.TEXT_INPUT_FORMAT, serde_library=cat.LAZY_SIMPLE_SERDE,
        parameters={"projection.enabled": "true", **parameters},
    )


def _table_node(sql: str):
    return next(sqlglot.parse_one(sql, read="athena").find_all(sqlglot.exp.Table))


def test_projection_enumerates_integer_enum_and_date_values():
    table = _projected(
        {"projection.n.type": "integer", "projection.n.range": "8,10", "projection.n.digits": "2",
         "projection.r.type": "enum", "projection.r.values": "eu,us"},
        {"n": "string", "r": "string"},
    )
    projected = projection.apply(table, _table_node("SELECT * FROM t"), [])
    assert [p.values for p in projected.partitions] == [
        ("08", "eu"), ("08", "us"), ("09", "eu"), ("09", "us"), ("10", "eu"), ("10", "us")]
    assert projected.partitions[0].location == "s3://b/t/n=08/r=eu/"
    pinned = projection.apply(table, _table_node("SELECT * FROM t WHERE n = '09' AND r IN ('us')"), [])
    assert [p.values for p in pinned.partitions] == [("09", "us")]


def test_projection_dates_relative_to_now_in_utc():
    table = _projected(
        {"projection.d.type": "date", "projection.d.range": "NOW-2DAYS,NOW", "projection.d.format": "yyyy-MM-dd",
         "storage.location.template": "s3://b/logs/${d}/"},
        {"d": "string"},
    )
    today = datetime.datetime.now(tz=datetime.timezone.utc).date()
    projected = projection.apply(table, _table_node("SELECT * FROM t"), [])
    assert [p.values[0] for p in projected.partitions] == [
        (today - datetime.timedelta(days=n)).isoformat() for n in (2, 1, 0)]
    assert projected.partitions[-1].location == f"s3://b/logs/{today.isoformat()}/"


def test_projection_injected_needs_one_value():
    table = _projected({"projection.id.type": "injected"}, {"id": "string"})
    assert [p.values for p in projection.apply(table, _table_node("SELECT * FROM t WHERE id = 'x'"), []).partitions] == [("x",)]
    with pytest.raises(SqlError, match="^CONSTRAINT_VIOLATION"):
        projection.apply(table, _table_node("SELECT * FROM t"), [])


def test_presto_view_text_round_trips():
    definition = {"originalSql": "SELECT 1", "catalog": "awsdatacatalog", "schema": "db", "columns": []}
    encoded = views.encode(definition)
    assert encoded.startswith("/* Presto View: ") and encoded.endswith(" */")
    assert views.decode(encoded) == definition
    assert views.decode("/* not a view */") is None
    assert views.trino_type("struct<a:int,b:array<string>>") == "row(a integer,b array(varchar))"


def test_write_options_follow_the_ctas_and_unload_pages():
    def properties(text: str):
        return sqlglot.parse_one(f"CREATE TABLE t WITH ({text}) AS SELECT 1", read="athena").args["properties"]

    default = write_options.ctas_options(properties("external_location = 's3://b/x/'"))
    assert (default.format, default.compression, default.field_delimiter) == ("PARQUET", "GZIP", "\x01")
    text = write_options.ctas_options(properties("format = 'TEXTFILE', field_delimiter = ',', write_compression = 'NONE'"))
    assert (text.format, text.compression, text.extension) == ("TEXTFILE", "NONE", "")
    with pytest.raises(SqlError, match="^NOT_SUPPORTED: format 'ORC'"):
        write_options.ctas_options(properties("format = 'ORC'"))
    with pytest.raises(SqlError, match="^INVALID_TABLE_PROPERTY"):
        write_options.unload_options(properties("compression = 'GZIP'"), "s3://b/u/")  # format is required
    unload = write_options.unload_options(properties("format = 'JSON'"), "s3://b/u/")
    assert (unload.format, unload.compression, unload.extension) == ("JSON", "GZIP", ".gz")
