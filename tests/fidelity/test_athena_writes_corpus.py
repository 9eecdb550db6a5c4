"""Athena writes and tables corpus, built from the Amazon Athena documentation.

Statements modelled on the Athena user guide's pages on CTAS (``CREATE
TABLE AS`` and its table properties), ``INSERT INTO``, ``UNLOAD``, views,
the OpenX and Hive JSON SerDes, complex types, partition projection, the
``"$path"`` family of hidden columns and ``SHOW CREATE TABLE``/``VIEW``,
run in order through real boto3 calls against the embedded AWS.

Every expectation is computed independently of the engine: by hand from
the input data written below, or by reading the files a statement wrote
straight from S3 (with gzip / DuckDB, not through the local Athena).
"""

from __future__ import annotations

import base64
import gzip
import json
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Callable

import duckdb
import pytest

from support import client, ensure_bucket, results_location, unique

TERMINAL = ("SUCCEEDED", "FAILED", "CANCELLED")


class Env:
    """One database, one data bucket and one result location for the corpus."""

    def __init__(self) -> None:
        self.db = unique("wdb").replace("-", "_")
        self.bucket = unique("athena-writes")
        self.results = results_location(unique("athena-writes-results"))
        self.athena = client("athena")
        self.glue = client("glue")
        self.s3 = client("s3")
        self.last: dict[str, Any] = {}

    def put(self, key: str, body: bytes | str) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body.encode() if isinstance(body, str) else body)

    def keys(self, prefix: str) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix).get("Contents", [])
        return sorted(o["Key"] for o in listed)

    def body(self, key: str) -> bytes:
        return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def run(self, sql: str) -> dict:
        query_id = self.athena.start_query_execution(
            QueryString=sql.format(db=self.db, b=self.bucket),
            QueryExecutionContext={"Database": self.db},
            ResultConfiguration={"OutputLocation": self.results},
        )["QueryExecutionId"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            execution = self.athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
            if execution["Status"]["State"] in TERMINAL:
                self.last = execution
                return execution
            time.sleep(0.01)
        raise AssertionError(f"{sql!r} did not finish")

    def rows(self, query_id: str) -> list[list[str | None]]:
        result = self.athena.get_query_results(QueryExecutionId=query_id)
        self.last["UpdateCount"] = result.get("UpdateCount")
        return [[d.get("VarCharValue") for d in row["Data"]] for row in result["ResultSet"]["Rows"]]


def read_parquet(data: bytes, sql: str = "SELECT * FROM read_parquet('{path}')") -> list[tuple]:
    """``sql`` over the Parquet bytes ``data``, by DuckDB, from a temporary file."""
    with tempfile.NamedTemporaryFile(suffix=".parquet") as handle:
        handle.write(data)
        handle.flush()
        return duckdb.connect().execute(sql.format(path=handle.name)).fetchall()


METADATA = "SELECT compression FROM parquet_metadata('{path}')"


def parquet_rows(env: Env, prefix: str, order: str = "1") -> list[tuple]:
    """Rows of the Parquet files under ``prefix``, read by DuckDB straight from S3's bytes."""
    rows: list[tuple] = []
    for key in env.keys(prefix):
        data = env.body(key)
        if not data:
            continue
        rows += read_parquet(data)
    return sorted(rows, key=lambda r: tuple(str(v) for v in r))


def text_of(env: Env, key: str) -> str:
    data = env.body(key)
    return (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode()


@dataclass
class Case:
    """One statement: its expected rows (header first for SELECTs), error prefix, or a check."""

    category: str
    sql: str
    rows: list[list[str | None]] | None = None
    error: str | None = None
    check: Callable[[Env, dict], None] | None = None


OPENX_LINES = "\n".join([
    '{"id": 1, "Name": "Ann", "tags": ["a", "b"], "attrs": {"k1": 10}, "addr": {"City": "Paris", "Zip": "75001"}, "user.level": 3}',
    '{"id": 2, "Name": "Bob", "tags": [], "attrs": {"k2": 20, "K3": 30}, "addr": {"City": "Oslo", "Zip": null}}',
    "this line is not JSON",
    '{"id": 3, "name": "Cy", "tags": ["c"], "attrs": {}, "addr": null}',
]) + "\n"
# The nested JSON document of the Athena guide's "Deserializing Nested JSON" example, on one line.
COMPLEX_JSON = json.dumps({
    "DocId": "AWS",
    "User": {
        "Id": 1234, "Username": "bob1234", "Name": "Bob",
        "ShippingAddress": {"Address1": "123 Main St.", "Address2": None, "City": "Seattle", "State": "WA"},
        "Orders": [{"ItemId": 6789, "OrderDate": "11/11/2017"}, {"ItemId": 4352, "OrderDate": "12/12/2017"}],
    },
})
COMPLEX_JSON_DDL = """CREATE external TABLE complex_json (
   docid string,
   `user` struct<
               id:INT,
               username:string,
               name:string,
               shippingaddress:struct<
                                      address1:string,
                                      address2:string,
                                      city:string,
                                      state:string
                                      >,
               orders:array<
                            struct<
                                 itemid:INT,
                                  orderdate:string
                                  >
                              >
               >
   )
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
LOCATION 's3://{b}/complexjson/';"""
TEXT_LINES = "1\x01a\x02b\x01k\x03v\x02k2\x03v2\x01x\x0210\n2\x01\x01\x01y\x0220\n"


def seed(env: Env) -> None:
    ensure_bucket(env.bucket)
    env.put("openx/data.json", OPENX_LINES)
    env.put("hivejson/data.json", OPENX_LINES.replace("this line is not JSON\n", ""))
    env.put("badjson/data.json", '{"id": 1}\n{"id": \n')
    env.put("text/data.txt", TEXT_LINES)
    env.put("pint/n=1/a.csv", "10\n")
    env.put("pint/n=2/b.csv", "20\n")
    env.put("pint/n=5/c.csv", "50\n")  # outside the projected range: never read
    env.put("penum/eu/x.csv", "1\n")
    env.put("penum/us/y.csv", "2\n")
    env.put("penum/asia/z.csv", "4\n")  # not an enum value
    env.put("pdate/2024/01/02/a.csv", "5\n")
    env.put("pdate/2024/01/05/b.csv", "7\n")
    env.put("pdate/2024/01/09/c.csv", "100\n")  # after the range's end
    env.put("pinj/d1/a.csv", "3\n")
    env.put("pinj/d2/b.csv", "4\n")
    env.put("occupied/existing.csv", "1\n")
    env.put("complexjson/doc.json", COMPLEX_JSON + "\n")
    env.put("casejson/data.json", '{"userId": 7, "URL": "a", "Url": "b"}\n')
    env.put("tsjson/data.json", '{"ts": "2020-01-02T03:04:05.678Z"}\n{"ts": "2021-12-31T23:59:59"}\n')
    env.put("pdig/n=01/a.csv", "1\n")
    env.put("pdig/n=02/a.csv", "2\n")
    env.put("pdig/n=1/a.csv", "100\n")  # not a projected value when digits = 2
    env.put("pmon/month=2024-01/a.csv", "1\n")
    env.put("pmon/month=2024-03/a.csv", "3\n")
    env.put("pmon/month=2024-04/a.csv", "4\n")  # after the range's end
    env.put("stale/a.csv", "1\n")
    env.put("student/data.csv", "school,age,studytime\nGP,18,2\n")
    for year in range(2008, 2012):
        env.put(f"years/year={year}/a.csv", f"{year}\n")


def glue_table(env: Env, name: str) -> dict:
    return env.glue.get_table(DatabaseName=env.db, Name=name)["Table"]


def manifest_lists_written_files(prefix: str) -> Callable[[Env, dict], None]:
    def check(env: Env, execution: dict) -> None:
        query_id = execution["QueryExecutionId"]
        manifest = env.s3.get_object(
            Bucket=env.results.split("/")[2],
            Key="/".join(env.results.split("/")[3:]) + f"{query_id}-manifest.csv",
        )["Body"].read().decode()
        written = [line for line in manifest.splitlines() if line]
        assert written and all(f.startswith(f"s3://{env.bucket}/{prefix}") for f in written)
        assert sorted(written) == [f"s3://{env.bucket}/{k}" for k in env.keys(prefix)]
    return check


def _ctas_parquet(env: Env, execution: dict) -> None:
    table = glue_table(env, "c_parquet")
    descriptor = table["StorageDescriptor"]
    assert [(c["Name"], c["Type"]) for c in descriptor["Columns"]] == [("id", "int"), ("name", "string")]
    assert descriptor["SerdeInfo"]["SerializationLibrary"] == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    assert descriptor["InputFormat"] == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    assert descriptor["Location"] == f"s3://{env.bucket}/ctas/parquet/"
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert parquet_rows(env, "ctas/parquet/") == [(1, "a"), (2, "b"), (3, "c")]
    manifest_lists_written_files("ctas/parquet/")(env, execution)


def _update_count(expected: int) -> Callable[[Env, dict], None]:
    def check(env: Env, execution: dict) -> None:
        result = env.athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])
        assert result["UpdateCount"] == expected
    return check


def _ctas_partitioned(env: Env, execution: dict) -> None:
    table = glue_table(env, "c_sales")
    assert [(c["Name"], c["Type"]) for c in table["PartitionKeys"]] == [("region", "string")]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["id", "amount"]
    partitions = env.glue.get_partitions(DatabaseName=env.db, TableName="c_sales")["Partitions"]
    assert sorted((p["Values"], p["StorageDescriptor"]["Location"]) for p in partitions) == [
        (["eu"], f"s3://{env.bucket}/ctas/sales/region=eu/"),
        (["us"], f"s3://{env.bucket}/ctas/sales/region=us/"),
    ]
    assert parquet_rows(env, "ctas/sales/region=eu/") == [(1, 10), (2, 20)]
    assert parquet_rows(env, "ctas/sales/region=us/") == [(3, 5)]


def _ctas_json(env: Env, execution: dict) -> None:
    keys = env.keys("ctas/json/")
    assert keys and all(k.endswith(".gz") for k in keys)  # GZIP is the default write_compression
    lines = sorted((json.loads(line) for k in keys for line in text_of(env, k).splitlines()), key=json.dumps)
    assert lines == [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]
    assert glue_table(env, "c_json")["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == (
        "org.apache.hive.hcatalog.data.JsonSerDe"
    )


def _ctas_text(env: Env, execution: dict) -> None:
    keys = env.keys("ctas/text/")
    assert [text_of(env, k) for k in keys] == ["1|a\n2|b\n"]
    assert not keys[0].endswith(".gz")
    serde = glue_table(env, "c_text")["StorageDescriptor"]["SerdeInfo"]
    assert serde["SerializationLibrary"] == "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
    assert serde["Parameters"]["field.delim"] == "|"


def _ctas_text_complex(env: Env, execution: dict) -> None:
    """Hive's text layout: \\002 between items and struct fields, \\003 between a map key and value, \\004 one level down."""
    keys = env.keys("ctas/textc/")
    assert len(keys) == 1 and keys[0].endswith(".gz")  # GZIP is the default write_compression
    assert text_of(env, keys[0]) == "1\x01p\x02q\x01k1\x0310\x02k2\x0320\x01x\x022\x017\x03seven\n"
    columns = glue_table(env, "c_textc")["StorageDescriptor"]["Columns"]
    assert [c["Type"] for c in columns] == [
        "int", "array<string>", "map<string,int>", "struct<s:string,n:int>", "array<struct<n:int,word:string>>"]


def _ctas_json_complex(env: Env, execution: dict) -> None:
    lines = [json.loads(line) for k in env.keys("ctas/jsonc/") for line in text_of(env, k).splitlines()]
    assert lines == [{"id": 1, "letters": ["p", "q"], "m": {"K1": 10}, "r": {"s": "x", "n": 2}}]


def _zstd_file(env: Env) -> None:
    keys = env.keys("ctas/zstd/")
    assert len(keys) == 1 and keys[0].endswith(".zst")
    assert env.body(keys[0])[:4] == b"\x28\xb5\x2f\xfd"  # the Zstandard frame magic number


def _ctas_snappy(env: Env, execution: dict) -> None:
    """Example 4 of the CTAS examples page: Parquet with SNAPPY instead of the default GZIP."""
    codecs = {row[0] for row in read_parquet(env.body(env.keys("ctas/snappy/")[0]), METADATA)}
    assert codecs == {"SNAPPY"}
    assert glue_table(env, "c_snappy")["Parameters"]["parquet.compression"] == "SNAPPY"


def _ctas_two_keys(env: Env, execution: dict) -> None:
    partitions = env.glue.get_partitions(DatabaseName=env.db, TableName="ctas_csv_partitioned")["Partitions"]
    assert sorted(p["Values"] for p in partitions) == [["ID", "1"], ["MI", "1"], ["none", "0"]]
    assert {"/".join(k.split("/")[2:4]) for k in env.keys("ctas/csv_partitioned/")} == {
        "state=ID/key1=1", "state=MI/key1=1", "state=none/key1=0"}


def _nothing_written(env: Env, prefix: str) -> None:
    assert env.keys(prefix) == []


def _student_header(env: Env, execution: dict) -> None:
    """A table that skips one header line gets one in each file INSERT INTO writes."""
    written = [k for k in env.keys("student/") if k != "student/data.csv"]
    assert len(written) == 1
    assert text_of(env, written[0]) == "school,age,studytime\nMS,17,3\n"


def _ctas_default_location(env: Env, execution: dict) -> None:
    query_id = execution["QueryExecutionId"]
    location = glue_table(env, "c_default")["StorageDescriptor"]["Location"]
    assert location == f"{env.results}tables/{query_id}/"
    bucket, prefix = env.results.split("/")[2], "/".join(env.results.split("/")[3:])
    listed = env.s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}tables/{query_id}/").get("Contents", [])
    assert len(listed) == 1


def _ctas_no_data(env: Env, execution: dict) -> None:
    assert [c["Name"] for c in glue_table(env, "c_empty")["StorageDescriptor"]["Columns"]] == ["id", "name"]
    assert env.keys("ctas/empty/") == []


def _ctas_buckets(env: Env, execution: dict) -> None:
    descriptor = glue_table(env, "c_bucketed")["StorageDescriptor"]
    assert descriptor["NumberOfBuckets"] == 4 and descriptor["BucketColumns"] == ["id"]


def _ctas_complex(env: Env, execution: dict) -> None:
    columns = glue_table(env, "c_complex")["StorageDescriptor"]["Columns"]
    assert [(c["Name"], c["Type"]) for c in columns] == [
        ("id", "int"), ("arr", "array<int>"), ("m", "map<string,int>"), ("r", "struct<s:string,n:int>"),
    ]


def _insert_partition(env: Env, execution: dict) -> None:
    partitions = env.glue.get_partitions(DatabaseName=env.db, TableName="c_sales")["Partitions"]
    assert sorted(p["Values"][0] for p in partitions) == ["apac", "eu", "us"]
    assert parquet_rows(env, "ctas/sales/region=apac/") == [(4, 7)]


def _insert_projected(env: Env, execution: dict) -> None:
    """A projected table's rows go to the folder its storage.location.template names; Glue gets no partition."""
    assert len(env.keys("penum/eu/")) == 2
    assert env.glue.get_partitions(DatabaseName=env.db, TableName="penum")["Partitions"] == []


def _unload_json(env: Env, execution: dict) -> None:
    keys = env.keys("unload/json/")
    lines = sorted((json.loads(line) for k in keys for line in text_of(env, k).splitlines()), key=json.dumps)
    assert lines == [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": "c"}]
    assert not any(k.endswith(".gz") for k in keys)
    with pytest.raises(env.glue.exceptions.EntityNotFoundException):
        env.glue.get_table(DatabaseName=env.db, Name="json")


def _unload_partitioned(env: Env, execution: dict) -> None:
    keys = env.keys("unload/parts/")
    assert {k.split("/")[2] for k in keys} == {"region=eu", "region=us"}
    assert parquet_rows(env, "unload/parts/region=eu/") == [(1, 10), (2, 20)]


def _unload_text(env: Env, execution: dict) -> None:
    assert [text_of(env, k) for k in env.keys("unload/text/")] == ["1,a\n"]


def _unload_json_gzip(env: Env, execution: dict) -> None:
    """The UNLOAD page: Athena uses gzip for JSON and TEXTFILE."""
    keys = env.keys("unload/default/")
    assert keys and all(k.endswith(".gz") and env.body(k)[:2] == b"\x1f\x8b" for k in keys)
    ids = sorted(json.loads(line)["id"] for k in keys for line in text_of(env, k).splitlines())
    assert ids == [1, 2, 10]


def _unload_snappy(env: Env, execution: dict) -> None:
    keys = env.keys("unload/snappy/")
    codecs = {row[0] for row in read_parquet(env.body(keys[0]), METADATA)}
    assert codecs == {"SNAPPY"}


def _unload_text_partitioned(env: Env, execution: dict) -> None:
    keys = env.keys("unload/partitioned/")
    assert {k.split("/")[2] for k in keys} == {"key1=0", "key1=1"}
    odd = sorted(line for k in keys if "/key1=1/" in k for line in text_of(env, k).splitlines())
    assert odd == ["Boise\x01ID\x01Esto perpetua", "Lansing\x01MI\x01Si quaeris peninsulam amoenam circumspice"]


def _view_in_glue(env: Env, execution: dict) -> None:
    table = glue_table(env, "v_big")
    assert table["TableType"] == "VIRTUAL_VIEW"
    assert table["Parameters"]["presto_view"] == "true"
    text = table["ViewOriginalText"]
    assert text.startswith("/* Presto View: ") and text.endswith(" */")
    definition = json.loads(base64.b64decode(text[len("/* Presto View: "):-3]))
    assert definition["originalSql"] == "SELECT id, name FROM c_parquet WHERE id > 1"
    assert definition["catalog"] == "awsdatacatalog" and definition["schema"] == env.db
    assert definition["columns"] == [{"name": "id", "type": "integer"}, {"name": "name", "type": "varchar"}]
    assert table["ViewExpandedText"] == "/* Presto View */"


def _view_invoker(env: Env, execution: dict) -> None:
    """Trino's CREATE VIEW clauses: the comment and SECURITY INVOKER are kept in the Presto view JSON."""
    text = glue_table(env, "v_inv")["ViewOriginalText"]
    definition = json.loads(base64.b64decode(text[len("/* Presto View: "):-3]))
    assert definition["runAsInvoker"] is True and definition["comment"] == "ids above 4"
    assert definition["originalSql"] == "SELECT id FROM c_parquet WHERE id > 4"


def _show_create_round_trip(env: Env, execution: dict) -> None:
    lines = [row[0] for row in env.rows(execution["QueryExecutionId"])]
    text = "\n".join(lines)
    assert lines[0] == f"CREATE EXTERNAL TABLE `{env.db}.openx`("
    assert "  'org.openx.data.jsonserde.JsonSerDe' " in lines
    assert f"  's3://{env.bucket}/openx/'" in lines
    assert "'ignore.malformed.json'='true'" in text
    before = glue_table(env, "openx")["StorageDescriptor"]["Columns"]
    assert env.run("DROP TABLE openx")["Status"]["State"] == "SUCCEEDED"
    assert env.run(text)["Status"]["State"] == "SUCCEEDED"
    assert glue_table(env, "openx")["StorageDescriptor"]["Columns"] == before


def _show_create_text(env: Env, execution: dict) -> None:
    lines = [row[0] for row in env.rows(execution["QueryExecutionId"])]
    assert lines[:3] == [f"CREATE EXTERNAL TABLE `{env.db}.c_text`(", "  `id` int, ", "  `name` string)"]
    assert lines[3:5] == ["ROW FORMAT DELIMITED ", "  FIELDS TERMINATED BY '|' "]


def _show_create_recreates(env: Env, execution: dict, table: str) -> None:
    """The DDL SHOW CREATE TABLE prints (control characters as \\uXXXX) recreates the same table."""
    text = "\n".join(row[0] for row in env.rows(execution["QueryExecutionId"]))
    assert "  FIELDS TERMINATED BY '\\u0001' " in text.splitlines()
    before = glue_table(env, table)["StorageDescriptor"]
    assert env.run(f"DROP TABLE {table}")["Status"]["State"] == "SUCCEEDED"
    recreated = env.run(text)
    assert recreated["Status"]["State"] == "SUCCEEDED", recreated["Status"].get("StateChangeReason")
    after = glue_table(env, table)["StorageDescriptor"]
    for field in ("Columns", "Location", "InputFormat", "OutputFormat", "SerdeInfo"):
        assert after[field] == before[field], field


def _path_and_size(env: Env, execution: dict) -> None:
    rows = env.rows(execution["QueryExecutionId"])
    assert rows == [["$path", "$file_size"], [f"s3://{env.bucket}/openx/data.json", str(len(OPENX_LINES.encode()))]]


def _modified_time(env: Env, execution: dict) -> None:
    rows = env.rows(execution["QueryExecutionId"])
    modified = env.s3.head_object(Bucket=env.bucket, Key="openx/data.json")["LastModified"].timestamp()
    assert rows[0] == ["seconds"] and abs(float(rows[1][0]) - modified) < 2


OPENX_DDL = """CREATE EXTERNAL TABLE openx (
  id int, name string, tags array<string>, attrs map<string,int>, addr struct<city:string,zip:string>, level int)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true', 'mapping.level' = 'user.level')
LOCATION 's3://{b}/openx/'"""

CORPUS: list[Case] = [
    # --- DDL: JSON SerDes and complex types --------------------------------------------------
    Case("ddl", "CREATE DATABASE {db}", rows=[]),
    Case("ddl", OPENX_DDL, rows=[]),
    Case("ddl", "CREATE EXTERNAL TABLE hivejson (id int, name string, tags array<string>, addr struct<city:string,zip:string>) "
         "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe' LOCATION 's3://{b}/hivejson/'", rows=[]),
    Case("ddl", "CREATE EXTERNAL TABLE badjson (id int) ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe' "
         "LOCATION 's3://{b}/badjson/'", rows=[]),
    Case("ddl", "CREATE EXTERNAL TABLE textc (id int, tags array<string>, props map<string,string>, s struct<a:string,b:int>) "
         "ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\001' COLLECTION ITEMS TERMINATED BY '\\002' "
         "MAP KEYS TERMINATED BY '\\003' STORED AS TEXTFILE LOCATION 's3://{b}/text/'", rows=[]),
    # DDL in the layout Athena's own SHOW CREATE TABLE prints, `db.table` in one pair of backticks.
    Case("ddl", "CREATE EXTERNAL TABLE `{db}.student`(\n  `school` string, \n  `age` string, \n  `studytime` int)\n"
         "ROW FORMAT DELIMITED \n  FIELDS TERMINATED BY ',' \nSTORED AS INPUTFORMAT \n"
         "  'org.apache.hadoop.mapred.TextInputFormat' \nOUTPUTFORMAT \n"
         "  'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\nLOCATION\n  's3://{b}/student/'\n"
         "TBLPROPERTIES (\n  'has_encrypted_data'='false', \n  'skip.header.line.count'='1', \n"
         "  'transient_lastDdlTime'='1595149168')", rows=[]),
    Case("ddl", "SELECT school, studytime FROM student", rows=[["school", "studytime"], ["GP", "2"]]),
    Case("ddl", "INSERT INTO student VALUES ('MS', '17', 3)", check=_student_header),
    Case("ddl", "SELECT school, studytime FROM student ORDER BY school", rows=[["school", "studytime"], ["GP", "2"], ["MS", "3"]]),
    Case("ddl", "DESCRIBE openx", rows=[
        ["id", "int", ""], ["name", "string", ""], ["tags", "array<string>", ""], ["attrs", "map<string,int>", ""],
        ["addr", "struct<city:string,zip:string>", ""], ["level", "int", ""]]),
    # --- reading JSON and complex types ---------------------------------------------------------
    Case("json", "SELECT id, name FROM openx WHERE id IS NOT NULL ORDER BY id",
         rows=[["id", "name"], ["1", "Ann"], ["2", "Bob"], ["3", "Cy"]]),
    Case("json", "SELECT count(*) AS n, count(id) AS ids FROM openx", rows=[["n", "ids"], ["4", "3"]]),
    Case("json", "SELECT addr.city AS city, addr.zip AS zip FROM openx WHERE id = 1", rows=[["city", "zip"], ["Paris", "75001"]]),
    Case("json", "SELECT cardinality(tags) AS n, tags[2] AS second, attrs['k1'] AS k1 FROM openx WHERE id = 1",
         rows=[["n", "second", "k1"], ["2", "b", "10"]]),
    Case("json", "SELECT element_at(attrs, 'K3') AS k3, cardinality(tags) AS n FROM openx WHERE id = 2",
         rows=[["k3", "n"], ["30", "0"]]),
    Case("json", "SELECT level FROM openx WHERE id = 1", rows=[["level"], ["3"]]),
    Case("json", "SELECT id, addr.city AS city FROM hivejson ORDER BY id",
         rows=[["id", "city"], ["1", "Paris"], ["2", "Oslo"], ["3", None]]),
    Case("json", "SELECT count(*) FROM badjson", error="HIVE_CURSOR_ERROR: Row is not a valid JSON Object"),
    Case("json", COMPLEX_JSON_DDL, rows=[]),
    Case("json", 'SELECT docid, "user".name AS name, "user".shippingaddress.city AS city, '
         '"user".shippingaddress.address2 IS NULL AS no_address2, cardinality("user".orders) AS orders, '
         '"user".orders[2].itemid AS second_item FROM complex_json',
         rows=[["docid", "name", "city", "no_address2", "orders", "second_item"], ["AWS", "Bob", "Seattle", "true", "2", "4352"]]),
    Case("json", "CREATE EXTERNAL TABLE casejson (userid int, url1 string, url2 string) "
         "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' "
         'WITH SERDEPROPERTIES ("case.insensitive" = "FALSE", "mapping.userid" = "userId", "mapping.url1" = "URL", '
         '"mapping.url2" = "Url") LOCATION \'s3://{b}/casejson/\'', rows=[]),
    Case("json", "SELECT userid, url1, url2 FROM casejson", rows=[["userid", "url1", "url2"], ["7", "a", "b"]]),
    Case("json", "CREATE EXTERNAL TABLE dupjson (url string) ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' "
         "LOCATION 's3://{b}/casejson/'", rows=[]),
    Case("json", "SELECT url FROM dupjson", error='HIVE_CURSOR_ERROR: Row is not a valid JSON Object - JSONException: Duplicate key "url"'),
    Case("json", "CREATE EXTERNAL TABLE tsjson (ts timestamp) ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe' "
         "WITH SERDEPROPERTIES (\"timestamp.formats\"=\"yyyy-MM-dd'T'HH:mm:ss.SSS'Z',yyyy-MM-dd'T'HH:mm:ss\") "
         "LOCATION 's3://{b}/tsjson/'", rows=[]),
    Case("json", "SELECT year(ts) AS y, minute(ts) AS mi, second(ts) AS s FROM tsjson ORDER BY ts",
         rows=[["y", "mi", "s"], ["2020", "4", "5"], ["2021", "59", "59"]]),
    # Trino fails a subscript past an array's end or a missing map key; element_at answers NULL.
    Case("complex", "SELECT id, element_at(tags, 2) AS t2, element_at(props, 'k2') AS k2, s.a AS sa, s.b AS sb FROM textc ORDER BY id",
         rows=[["id", "t2", "k2", "sa", "sb"], ["1", "b", "v2", "x", "10"], ["2", None, None, "y", "20"]]),
    Case("complex", "SELECT cardinality(tags) AS n FROM textc WHERE id = 2", rows=[["n"], ["0"]]),
    # --- pseudo-columns ----------------------------------------------------------------------------
    Case("pseudo", 'SELECT DISTINCT "$path", "$file_size" FROM openx', check=_path_and_size),
    Case("pseudo", 'SELECT DISTINCT to_unixtime("$file_modified_time") AS seconds FROM openx', check=_modified_time),
    # --- partition projection ------------------------------------------------------------------------
    Case("projection", "CREATE EXTERNAL TABLE pint (v int) PARTITIONED BY (n int) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
         "LOCATION 's3://{b}/pint/' TBLPROPERTIES ('projection.enabled'='true', 'projection.n.type'='integer', "
         "'projection.n.range'='1,3')", rows=[]),
    Case("projection", "SELECT sum(v) AS total, count(*) AS n FROM pint", rows=[["total", "n"], ["30", "2"]]),
    Case("projection", "SELECT v FROM pint WHERE n = 2", rows=[["v"], ["20"]]),
    Case("pseudo", 'SELECT *, "$path" FROM pint WHERE n = 1', rows=[["v", "n", "$path"], ["10", "1", "s3://{b}/pint/n=1/a.csv"]]),
    Case("projection", "CREATE EXTERNAL TABLE penum (v int) PARTITIONED BY (region string) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
         "LOCATION 's3://{b}/penum/' TBLPROPERTIES ('projection.enabled'='true', 'projection.region.type'='enum', "
         "'projection.region.values'='eu,us', 'storage.location.template'='s3://{b}/penum/${{region}}/')", rows=[]),
    Case("projection", "SELECT region, v FROM penum ORDER BY region", rows=[["region", "v"], ["eu", "1"], ["us", "2"]]),
    Case("projection", "CREATE EXTERNAL TABLE pdate (v int) PARTITIONED BY (dt string) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
         "LOCATION 's3://{b}/pdate/' TBLPROPERTIES ('projection.enabled'='true', 'projection.dt.type'='date', "
         "'projection.dt.range'='2024/01/01,2024/01/05', 'projection.dt.format'='yyyy/MM/dd', "
         "'storage.location.template'='s3://{b}/pdate/${{dt}}/')", rows=[]),
    Case("projection", "SELECT sum(v) AS total FROM pdate", rows=[["total"], ["12"]]),
    Case("projection", "SELECT dt, v FROM pdate WHERE dt = '2024/01/05'", rows=[["dt", "v"], ["2024/01/05", "7"]]),
    Case("projection", "CREATE EXTERNAL TABLE pinj (v int) PARTITIONED BY (device string) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
         "LOCATION 's3://{b}/pinj/' TBLPROPERTIES ('projection.enabled'='true', 'projection.device.type'='injected', "
         "'storage.location.template'='s3://{b}/pinj/${{device}}/')", rows=[]),
    Case("projection", "SELECT v FROM pinj WHERE device = 'd2'", rows=[["v"], ["4"]]),
    Case("projection", "SELECT sum(v) FROM pinj", error="CONSTRAINT_VIOLATION"),
    Case("projection", "SELECT sum(v) FROM pinj WHERE device IN ('d1', 'd2')", error="CONSTRAINT_VIOLATION"),
    Case("projection", "CREATE EXTERNAL TABLE pdig (v int) PARTITIONED BY (n string) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
         "LOCATION 's3://{b}/pdig/' TBLPROPERTIES ('projection.enabled'='true', 'projection.n.type'=' INTEGER ', "
         "'projection.n.range'='1,2', 'projection.n.digits'='2')", rows=[]),
    Case("projection", "SELECT n, v FROM pdig ORDER BY n", rows=[["n", "v"], ["01", "1"], ["02", "2"]]),
    Case("projection", "CREATE EXTERNAL TABLE pmon (v int) PARTITIONED BY (month string) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
         "LOCATION 's3://{b}/pmon/' TBLPROPERTIES ('projection.enabled'='true', 'projection.month.type'='date', "
         "'projection.month.range'='2024-01,2024-03', 'projection.month.format'='yyyy-MM')", rows=[]),
    Case("projection", "SELECT month, v FROM pmon ORDER BY month", rows=[["month", "v"], ["2024-01", "1"], ["2024-03", "3"]]),
    Case("projection", "CREATE EXTERNAL TABLE years (v int) PARTITIONED BY (year int) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
         "LOCATION 's3://{b}/years/'", rows=[]),
    Case("projection", "SELECT count(*) AS n FROM years", rows=[["n"], ["0"]]),  # no partition registered yet
    Case("projection", "ALTER TABLE years SET TBLPROPERTIES ('projection.enabled' = 'true')", rows=[]),
    Case("projection", "SELECT count(*) FROM years", error="HIVE_METASTORE_ERROR: Table {db}.years is configured for "
         "partition projection, but the following partition columns are missing projection configuration: [year]"),
    Case("projection", "ALTER TABLE years SET TBLPROPERTIES ('projection.year.type' = 'integer', "
         "'projection.year.range' = '2010,2016')", rows=[]),
    Case("projection", "SELECT DISTINCT year FROM years ORDER BY year", rows=[["year"], ["2010"], ["2011"]]),
    Case("projection", "SHOW TBLPROPERTIES years('projection.year.range')", rows=[["2010,2016"]]),
    Case("projection", "ALTER TABLE years SET TBLPROPERTIES ('projection.enabled' = 'false')", rows=[]),
    Case("projection", "SELECT count(*) AS n FROM years", rows=[["n"], ["0"]]),  # back to the (empty) catalog
    Case("projection", "CREATE EXTERNAL TABLE phour (v int) PARTITIONED BY (h string) LOCATION 's3://{b}/phour/' "
         "TBLPROPERTIES ('projection.enabled'='true', 'projection.h.type'='date', "
         "'projection.h.range'='2024-01-01-00,2024-01-01-05', 'projection.h.format'='yyyy-MM-dd-HH')", rows=[]),
    Case("projection", "SELECT count(*) FROM phour", error="HIVE_METASTORE_ERROR"),
    # --- CTAS ---------------------------------------------------------------------------------------
    Case("ctas", "CREATE TABLE c_parquet WITH (format = 'PARQUET', external_location = 's3://{b}/ctas/parquet/') AS "
         "SELECT id, CAST(name AS varchar) AS name FROM (VALUES (1, 'a'), (2, 'b'), (3, 'c')) AS t(id, name)",
         check=lambda env, e: (_ctas_parquet(env, e), _update_count(3)(env, e))),
    Case("ctas", "SELECT count(*) AS n, max(name) AS top FROM c_parquet", rows=[["n", "top"], ["3", "c"]]),
    Case("ctas", "CREATE TABLE c_sales WITH (external_location = 's3://{b}/ctas/sales/', partitioned_by = ARRAY['region']) AS "
         "SELECT id, amount, CAST(region AS varchar) AS region FROM (VALUES (1, 10, 'eu'), (2, 20, 'eu'), (3, 5, 'us')) "
         "AS t(id, amount, region)", check=_ctas_partitioned),
    Case("ctas", "SELECT region, sum(amount) AS total FROM c_sales GROUP BY region ORDER BY region",
         rows=[["region", "total"], ["eu", "30"], ["us", "5"]]),
    Case("ctas", "CREATE TABLE c_json WITH (format = 'JSON', external_location = 's3://{b}/ctas/json/') AS "
         "SELECT id, name FROM c_parquet WHERE id < 3", check=_ctas_json),
    Case("ctas", "SELECT sum(id) AS s FROM c_json", rows=[["s"], ["3"]]),
    Case("ctas", "CREATE TABLE c_text WITH (format = 'TEXTFILE', field_delimiter = '|', write_compression = 'NONE', "
         "external_location = 's3://{b}/ctas/text/') AS SELECT id, name FROM c_parquet WHERE id < 3 ORDER BY id",
         check=_ctas_text),
    Case("ctas", "SELECT name FROM c_text WHERE id = 2", rows=[["name"], ["b"]]),
    Case("ctas", "CREATE TABLE c_zstd WITH (format = 'TEXTFILE', write_compression = 'ZSTD', "
         "external_location = 's3://{b}/ctas/zstd/') AS SELECT id, name FROM c_parquet WHERE id = 3",
         check=lambda env, e: _zstd_file(env)),
    Case("ctas", "SELECT id, name FROM c_zstd", rows=[["id", "name"], ["3", "c"]]),
    Case("ctas", "CREATE TABLE c_default AS SELECT 1 AS one", check=_ctas_default_location),
    Case("ctas", "CREATE TABLE c_empty WITH (external_location = 's3://{b}/ctas/empty/') AS SELECT id, name FROM c_parquet WITH NO DATA",
         check=_ctas_no_data),
    Case("ctas", "SELECT count(*) FROM c_empty", rows=[["_col0"], ["0"]]),
    Case("ctas", "CREATE TABLE c_bucketed WITH (external_location = 's3://{b}/ctas/bucketed/', bucketed_by = ARRAY['id'], "
         "bucket_count = 4) AS SELECT id, name FROM c_parquet", check=_ctas_buckets),
    Case("ctas", "CREATE TABLE c_complex WITH (external_location = 's3://{b}/ctas/complex/') AS SELECT 1 AS id, "
         "ARRAY[1, 2, 3] AS arr, MAP(ARRAY['a'], ARRAY[1]) AS m, CAST(ROW('x', 2) AS ROW(s varchar, n integer)) AS r",
         check=_ctas_complex),
    Case("ctas", "SELECT cardinality(arr) AS n, m['a'] AS a, r.s AS s FROM c_complex", rows=[["n", "a", "s"], ["3", "1", "x"]]),
    Case("ctas", "CREATE TABLE c_textc WITH (format = 'TEXTFILE', external_location = 's3://{b}/ctas/textc/') AS "
         "SELECT 1 AS id, ARRAY['p', 'q'] AS letters, MAP(ARRAY['k1', 'k2'], ARRAY[10, 20]) AS m, "
         "CAST(ROW('x', 2) AS ROW(s varchar, n integer)) AS r, "
         "ARRAY[CAST(ROW(7, 'seven') AS ROW(n integer, word varchar))] AS items", check=_ctas_text_complex),
    Case("ctas", "SELECT letters[2] AS q, m['k2'] AS k2, r.n AS n, items[1].word AS word, cardinality(items) AS c FROM c_textc",
         rows=[["q", "k2", "n", "word", "c"], ["q", "20", "2", "seven", "1"]]),
    Case("ctas", "CREATE TABLE c_jsonc WITH (format = 'JSON', external_location = 's3://{b}/ctas/jsonc/') AS "
         "SELECT 1 AS id, ARRAY['p', 'q'] AS letters, MAP(ARRAY['K1'], ARRAY[10]) AS m, "
         "CAST(ROW('x', 2) AS ROW(s varchar, n integer)) AS r", check=_ctas_json_complex),
    Case("ctas", "SELECT letters[1] AS p, m['K1'] AS k1, r.s AS s FROM c_jsonc", rows=[["p", "k1", "s"], ["p", "10", "x"]]),
    Case("ctas", "CREATE TABLE c_snappy\nWITH (\n      format = 'Parquet',\n      parquet_compression = 'SNAPPY',\n"
         "      external_location = 's3://{b}/ctas/snappy/')\nAS SELECT *\nFROM c_parquet;", check=_ctas_snappy),
    Case("ctas", "CREATE TABLE IF NOT EXISTS c_parquet AS SELECT 1 AS x", rows=[]),
    Case("ctas-error", "CREATE TABLE c_parquet AS SELECT 1 AS x", error="TABLE_ALREADY_EXISTS"),
    Case("ctas-error", "CREATE TABLE c_occupied WITH (external_location = 's3://{b}/occupied/') AS SELECT 1 AS x",
         error="HIVE_PATH_ALREADY_EXISTS"),
    Case("ctas-error", "CREATE TABLE c_orc WITH (format = 'ORC', external_location = 's3://{b}/ctas/orc/') AS SELECT 1 AS x",
         error="NOT_SUPPORTED"),
    Case("ctas-error", "CREATE TABLE c_avro WITH (format = 'AVRO', external_location = 's3://{b}/ctas/avro/') AS SELECT 1 AS x",
         error="NOT_SUPPORTED"),
    Case("ctas-error", "CREATE TABLE c_order WITH (external_location = 's3://{b}/ctas/order/', partitioned_by = ARRAY['p']) AS "
         "SELECT 1 AS p, 2 AS x", error="HIVE_COLUMN_ORDER_MISMATCH"),
    Case("ctas-error", "CREATE TABLE c_prop WITH (colour = 'red') AS SELECT 1 AS x", error="INVALID_TABLE_PROPERTY"),
    Case("ctas-error", "CREATE TABLE c_null WITH (external_location = 's3://{b}/ctas/null/') AS SELECT 1 AS id, NULL AS nothing",
         error="COLUMN_TYPE_UNKNOWN", check=lambda env, e: _nothing_written(env, "ctas/null/")),
    Case("ctas-error", "CREATE TABLE c_missing\nWITH (format = 'JSON')\nAS SELECT * FROM no_such_table",
         error="TABLE_NOT_FOUND: line 3:18: Table 'awsdatacatalog.{db}.no_such_table' does not exist"),
    Case("ctas-error", "CREATE TABLE c_unnamed WITH (external_location = 's3://{b}/ctas/unnamed/') AS SELECT 1 + 1",
         error="MISSING_COLUMN_NAME"),
    # --- INSERT INTO ------------------------------------------------------------------------------------
    Case("insert", "INSERT INTO c_parquet SELECT 4, 'd'", check=_update_count(1)),
    Case("insert", "SELECT count(*) AS n, sum(id) AS s FROM c_parquet", rows=[["n", "s"], ["4", "10"]]),
    Case("insert", "INSERT INTO c_parquet (id) VALUES (5)", check=_update_count(1)),
    Case("insert", "SELECT name IS NULL AS missing FROM c_parquet WHERE id = 5", rows=[["missing"], ["true"]]),
    Case("insert", "INSERT INTO c_sales SELECT 4, 7, 'apac'", check=_insert_partition),
    Case("insert", "SELECT region, sum(amount) AS total FROM c_sales GROUP BY region ORDER BY region",
         rows=[["region", "total"], ["apac", "7"], ["eu", "30"], ["us", "5"]]),
    Case("insert", "INSERT INTO c_json VALUES (10, 'j')", check=_update_count(1)),
    Case("insert", "SELECT name FROM c_json WHERE id = 10", rows=[["name"], ["j"]]),
    Case("insert-error", "INSERT INTO c_parquet VALUES ('x', 1)", error="TYPE_MISMATCH"),
    Case("insert-error", "INSERT INTO openx (id) VALUES (9)", error="HIVE_UNSUPPORTED_FORMAT"),
    Case("insert-error", "INSERT INTO c_bucketed SELECT 9, 'z'", error="NOT_SUPPORTED"),
    Case("insert", "CREATE EXTERNAL TABLE cities (id int, city string, state string, state_motto string) "
         "ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{b}/cities/'", rows=[]),
    Case("insert", "INSERT INTO cities VALUES (1,'Lansing','MI','Si quaeris peninsulam amoenam circumspice'),\n"
         "       (3,'Boise','ID','Esto perpetua')", check=_update_count(2)),
    Case("insert", "INSERT INTO cities (id, city) SELECT 4, 'Salem'", check=_update_count(1)),
    Case("insert", "SELECT id, city, state, state_motto FROM cities ORDER BY id", rows=[
        ["id", "city", "state", "state_motto"], ["1", "Lansing", "MI", "Si quaeris peninsulam amoenam circumspice"],
        ["3", "Boise", "ID", "Esto perpetua"], ["4", "Salem", None, None]]),
    Case("insert", "SELECT count(DISTINCT \"$path\") AS files FROM cities", rows=[["files"], ["2"]]),
    Case("insert", "CREATE TABLE c_notes WITH (external_location = 's3://{b}/ctas/notes/') AS "
         "SELECT 1 AS id, CAST(NULL AS varchar) AS note", rows=[]),
    Case("insert", "INSERT INTO c_notes VALUES (2, NULL)", check=_update_count(1)),  # NULL fits any column
    Case("insert", "SELECT count(*) AS n, count(note) AS notes FROM c_notes", rows=[["n", "notes"], ["2", "0"]]),
    Case("ctas", "CREATE TABLE ctas_csv_partitioned \nWITH (\n     format = 'TEXTFILE',  \n"
         "     external_location = 's3://{b}/ctas/csv_partitioned/', \n     partitioned_by = ARRAY['state', 'key1']) \n"
         "AS SELECT city AS name1, state_motto AS comment1, coalesce(state, 'none') AS state, CAST(id % 2 AS varchar) AS key1\n"
         "FROM cities", check=_ctas_two_keys),
    Case("ctas", "SELECT state, key1, name1 FROM ctas_csv_partitioned WHERE key1 = '1' ORDER BY name1",
         rows=[["state", "key1", "name1"], ["ID", "1", "Boise"], ["MI", "1", "Lansing"]]),
    Case("insert", "INSERT INTO penum SELECT 8, 'eu'", check=_insert_projected),
    Case("insert", "SELECT region, sum(v) AS total FROM penum GROUP BY region ORDER BY region",
         rows=[["region", "total"], ["eu", "9"], ["us", "2"]]),
    Case("insert-error", "INSERT INTO no_such_table VALUES (1)", error="TABLE_NOT_FOUND"),
    # --- UNLOAD ---------------------------------------------------------------------------------------------
    Case("unload", "UNLOAD (SELECT id, name FROM c_parquet WHERE id <= 3) TO 's3://{b}/unload/json/' "
         "WITH (format = 'JSON', compression = 'NONE')", check=_unload_json),
    Case("unload", "UNLOAD (SELECT id, amount, region FROM c_sales WHERE region <> 'apac') TO 's3://{b}/unload/parts/' "
         "WITH (format = 'PARQUET', partitioned_by = ARRAY['region'])", check=_unload_partitioned),
    Case("unload", "UNLOAD (SELECT id, name FROM c_parquet WHERE id = 1) TO 's3://{b}/unload/text/' "
         "WITH (format = 'TEXTFILE', field_delimiter = ',', compression = 'NONE')", check=_unload_text),
    Case("unload", "UNLOAD (SELECT * FROM c_json) \nTO 's3://{b}/unload/default/' \nWITH (format = 'JSON')",
         check=_unload_json_gzip),
    Case("unload", "UNLOAD (SELECT id, name FROM c_parquet) TO 's3://{b}/unload/snappy/' "
         "WITH (format = 'PARQUET',compression = 'SNAPPY')", check=_unload_snappy),
    Case("unload", "UNLOAD (SELECT city AS name1, state AS address1, state_motto AS comment1, CAST(id % 2 AS varchar) AS key1 "
         "FROM cities) TO 's3://{b}/unload/partitioned/' WITH (format = 'TEXTFILE', partitioned_by = ARRAY['key1'])",
         check=_unload_text_partitioned),
    Case("unload-error", "UNLOAD (SELECT 1 AS x) TO 's3://{b}/occupied/' WITH (format = 'PARQUET')",
         error="HIVE_PATH_ALREADY_EXISTS"),
    Case("unload-error", "UNLOAD (SELECT 1 AS x) TO 's3://{b}/unload/orc/' WITH (format = 'ORC')", error="NOT_SUPPORTED"),
    Case("unload-error", "UNLOAD (SELECT 1 AS x) TO 's3://{b}/unload/noformat/' WITH (compression = 'GZIP')",
         error="INVALID_TABLE_PROPERTY"),
    # --- views --------------------------------------------------------------------------------------------------
    Case("view", "CREATE VIEW v_big AS SELECT id, name FROM c_parquet WHERE id > 1", check=_view_in_glue),
    Case("view", "SELECT count(*) AS n FROM v_big", rows=[["n"], ["4"]]),
    Case("view", "CREATE VIEW v_big AS SELECT 1 AS x", error="ALREADY_EXISTS"),
    Case("view", "CREATE OR REPLACE VIEW v_big AS SELECT id FROM c_parquet WHERE id > 3", rows=[]),
    Case("view", "SELECT id FROM v_big ORDER BY id", rows=[["id"], ["4"], ["5"]]),
    Case("view", "CREATE VIEW v_top AS SELECT max(id) AS top FROM v_big", rows=[]),
    Case("view", "SELECT top FROM v_top", rows=[["top"], ["5"]]),
    Case("view", "SHOW CREATE VIEW v_top", rows=[
        ['CREATE VIEW "awsdatacatalog"."{db}"."v_top" SECURITY DEFINER AS'], ["SELECT max(id) AS top FROM v_big"]]),
    Case("view", "CREATE VIEW v_inv COMMENT 'ids above 4' SECURITY INVOKER AS SELECT id FROM c_parquet WHERE id > 4",
         check=_view_invoker),
    Case("view", "SELECT id FROM v_inv", rows=[["id"], ["5"]]),
    Case("view", "DROP VIEW v_inv", rows=[]),
    Case("view", "SHOW VIEWS", rows=[["v_big"], ["v_top"]]),
    Case("view", "SHOW VIEWS LIKE 'v_t*'", rows=[["v_top"]]),
    Case("view", "DESCRIBE v_top", rows=[["top", "int", ""]]),
    Case("view", "CREATE EXTERNAL TABLE stale_base (v int) LOCATION 's3://{b}/stale/'", rows=[]),
    Case("view", "CREATE VIEW v_stale AS SELECT v FROM stale_base", rows=[]),
    Case("view", "SELECT v FROM v_stale", rows=[["v"], ["1"]]),
    Case("view", "DROP TABLE stale_base", rows=[]),
    Case("view", "SELECT v FROM v_stale", error="VIEW_IS_STALE"),
    Case("view", "DROP TABLE v_top", error="FAILED: SemanticException [Error 10131]: To drop a view you need to use the DROP VIEW command."),
    Case("view", "DROP VIEW v_top", rows=[]),
    Case("view", "DROP VIEW IF EXISTS v_top", rows=[]),
    Case("view", "DROP VIEW v_top", error="VIEW_NOT_FOUND"),
    Case("view", "SELECT * FROM v_top", error="TABLE_NOT_FOUND"),
    # --- SHOW CREATE TABLE -------------------------------------------------------------------------------------------
    Case("show-create", "SHOW CREATE TABLE openx", check=_show_create_round_trip),
    Case("show-create", "SHOW CREATE TABLE v_big", error="NOT_SUPPORTED"),
    Case("show-create", "SHOW CREATE TABLE `{db}.c_text`", check=lambda env, e: _show_create_text(env, e)),
    Case("show-create", "SHOW CREATE TABLE c_zstd", check=lambda env, e: _show_create_recreates(env, e, "c_zstd")),
    Case("show-create", "SELECT id, name FROM c_zstd", rows=[["id", "name"], ["3", "c"]]),
]


@pytest.fixture(scope="module")
def env(embedded_aws) -> Env:
    environment = Env()
    seed(environment)
    return environment


def _expand(value: Any, env: Env) -> Any:
    if isinstance(value, str):
        return value.replace("{b}", env.bucket).replace("{db}", env.db)
    if isinstance(value, list):
        return [_expand(v, env) for v in value]
    return value


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 45


@pytest.mark.parametrize("case", CORPUS, ids=[f"{i:02d}-{c.category}" for i, c in enumerate(CORPUS)])
def test_statement(env: Env, case: Case) -> None:
    execution = env.run(case.sql)
    status = execution["Status"]
    if case.error is not None:
        assert status["State"] == "FAILED", f"{case.sql!r} should fail with {case.error}"
        assert status["StateChangeReason"].startswith(_expand(case.error, env)), status["StateChangeReason"]
        if case.check is not None:
            case.check(env, execution)
        return
    assert status["State"] == "SUCCEEDED", status.get("StateChangeReason")
    if case.rows is not None:
        assert env.rows(execution["QueryExecutionId"]) == _expand(case.rows, env)
    if case.check is not None:
        case.check(env, execution)


def test_ctas_in_a_work_group_that_enforces_its_result_location(env: Env) -> None:
    """The CTAS page: such a work group refuses external_location and keeps the table under tables/<query id>/."""
    group = unique("enforcing")
    location = results_location(unique("enforced"))
    env.athena.create_work_group(
        Name=group,
        Configuration={"ResultConfiguration": {"OutputLocation": location}, "EnforceWorkGroupConfiguration": True},
    )

    def run(sql: str) -> dict:
        query_id = env.athena.start_query_execution(
            QueryString=sql, WorkGroup=group, QueryExecutionContext={"Database": env.db}
        )["QueryExecutionId"]
        for _ in range(3000):
            execution = env.athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
            if execution["Status"]["State"] in TERMINAL:
                return execution
            time.sleep(0.01)
        raise AssertionError("query did not finish")

    assert run(f"CREATE DATABASE IF NOT EXISTS {env.db}")["Status"]["State"] == "SUCCEEDED"
    refused = run(f"CREATE TABLE wg_refused WITH (external_location = 's3://{env.bucket}/wg/') AS SELECT 1 AS x")
    assert refused["Status"]["State"] == "FAILED"
    assert refused["Status"]["StateChangeReason"].startswith("INVALID_TABLE_PROPERTY")
    created = run("CREATE TABLE wg_created AS SELECT 1 AS x")
    assert created["Status"]["State"] == "SUCCEEDED", created["Status"].get("StateChangeReason")
    table_location = glue_table(env, "wg_created")["StorageDescriptor"]["Location"]
    assert table_location == f"{location}tables/{created['QueryExecutionId']}/"
