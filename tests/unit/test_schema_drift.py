"""Schema drift of input files: what each format's columns are, and the verdict."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from runners.schema_drift import FileColumns, compare, merge, parse_expectation, read_csv, read_json_lines, read_parquet, snake_case, SchemaReadError
from runners.errors import InvalidTaskInputError
from runners.s3_waiter import wait_failure

TABLE = [("day", "date"), ("region", "string"), ("amount", "bigint")]


class FakeS3:
    """get_object with Range (first N bytes, or the last N with bytes=-N)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def get_object(self, Bucket: str, Key: str, Range: str) -> dict:
        spec = Range.removeprefix("bytes=")
        if spec.startswith("-"):
            body = self.data[-int(spec[1:]):]
        else:
            start, end = (int(x) for x in spec.split("-"))
            body = self.data[start:end + 1]
        return {"Body": io.BytesIO(body)}


def csv_columns(text: str) -> FileColumns:
    data = text.encode()
    return read_csv(FakeS3(data), "b", "k.csv", len(data), ",")


def test_a_csv_header_is_read_in_snake_case_with_sample_values():
    found = csv_columns("Day,Region,Forecasted Monthly Revenue\n2026-11-10,north,10\n")
    assert [n for n, _ in found.columns] == ["day", "region", "forecasted_monthly_revenue"]
    assert found.samples["forecasted_monthly_revenue"] == ["10"]
    assert snake_case("LeadName") == "lead_name"


def test_the_same_columns_are_no_drift_and_a_new_last_column_is_an_addition():
    assert compare(TABLE, csv_columns("day,region,amount\n2026-11-10,north,10\n"), "csv").describe() == ""
    drift = compare(TABLE, csv_columns("day,region,amount,channel\n2026-11-10,north,10,web\n"), "csv")
    assert drift.added == [("channel", "string")] and not drift.breaking


def test_a_removed_renamed_retyped_or_inserted_column_is_breaking_and_named():
    removed = compare(TABLE, csv_columns("day,region\n2026-11-10,north\n"), "csv")
    assert removed.removed == ["amount"] and removed.breaking
    renamed = compare(TABLE, csv_columns("day,region,revenue\n2026-11-10,north,10\n"), "csv")
    assert (renamed.removed, renamed.added) == (["amount"], [("revenue", "string")])
    retyped = compare(TABLE, csv_columns("day,region,amount\n2026-11-10,north,ten\n"), "csv")
    assert retyped.retyped == ["amount holds 'ten', not a bigint (the table's type)"] and retyped.breaking
    inserted = compare(TABLE, csv_columns("day,channel,region,amount\n2026-11-10,web,north,10\n"), "csv")
    assert inserted.reordered and inserted.breaking  # CSV maps by position: the columns after it would shift


def test_json_lines_compare_by_name_and_type_new_keys_by_their_values():
    data = b'{"day": "2026-11-10", "region": "north", "amount": 10, "score": 1.5}\n{"amount": 3, "region": "south", "day": "2026-11-11"}\n'
    found = read_json_lines(FakeS3(data), "b", "k.json", len(data))
    drift = compare(TABLE, found, "json")
    assert drift.added == [("score", "double")] and not drift.breaking
    data = b'{"day": "2026-11-10", "region": "north", "amount": "ten"}\n'
    assert compare(TABLE, read_json_lines(FakeS3(data), "b", "k.json", len(data)), "json").retyped


def test_a_parquet_footer_gives_the_columns_and_their_types(tmp_path: Path):
    duckdb = pytest.importorskip("duckdb")
    path = tmp_path / "part-0.parquet"
    duckdb.sql(f"COPY (SELECT DATE '2026-11-10' AS day, 'north' AS region, 10::BIGINT AS amount, 2.5::DECIMAL(12,2) AS price, "
               f"1::INTEGER AS qty, {{'a': 1}} AS extra) TO '{path}' (FORMAT PARQUET)")
    found = read_parquet(FakeS3(path.read_bytes()), "b", "part-0.parquet")
    assert found.columns == [("day", "date"), ("region", "string"), ("amount", "bigint"), ("price", "decimal(12,2)"), ("qty", "int"),
                             ("extra", "struct")]
    drift = compare(TABLE + [("qty", "bigint")], found, "parquet")  # int in the file reads as bigint
    assert drift.added == [("price", "decimal(12,2)"), ("extra", "struct")] and not drift.breaking
    assert compare([("amount", "int")], found, "parquet").retyped == ["amount is bigint in the file, int in the table"]
    with pytest.raises(SchemaReadError, match="not a Parquet file"):
        read_parquet(FakeS3(b"day,region\n" * 3), "b", "x.parquet")


def test_drift_of_several_files_is_merged_naming_each_file():
    a = compare(TABLE, csv_columns("day,region\n2026-11-10,north\n"), "csv")
    b = compare(TABLE, FileColumns("other.csv", [("day", None), ("region", None), ("amount", None), ("channel", None)]), "csv")
    total = merge([a, b])
    assert total.removed == ["amount"] and total.added == [("channel", "string")]
    assert total.files == {"k.csv": ["removed: amount"], "other.csv": ["added: channel"]}


def test_the_wait_task_schema_is_validated_and_drift_is_reported_as_schema_drift_error():
    good = {"Database": "db", "Table": "t", "Format": "csv", "Columns": [["a", "string"]], "OnNewColumns": "evolve", "Evolve": ["u"]}
    assert parse_expectation(good).evolve == ("u",)
    for bad, message in (({**good, "Format": "avro"}, "Format"), ({**good, "Columns": []}, "Columns"), ({**good, "Extra": 1}, "unknown"),
                         ({**good, "OnNewColumns": "ignore"}, "OnNewColumns")):
        with pytest.raises(InvalidTaskInputError, match=message):
            parse_expectation(bad)
    assert wait_failure("x", schemaDrift=True, removed=["a"]).error_name == "SchemaDriftError"
    assert wait_failure("cannot read").error_name == "DataWaitFailedError"
