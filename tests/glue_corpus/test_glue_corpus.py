"""Real-world-style AWS Glue 5.0 scripts run unchanged as glueetl jobs on the embedded AWS.

Each script in ``scripts/`` is an ordinary Glue script (it imports ``awsglue``
unconditionally and has no local-only branch). Each test uploads its inputs
and the script to the embedded S3, creates the job with boto3, runs it to
SUCCEEDED, reads what it wrote back from S3 and compares it with values
computed independently: DuckDB SQL over the same input files, or by hand.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zipfile
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

import corpus_data as data
from corpus_aws import BUCKET, json_lines, parquet_files, parquet_types, query_parquet, table_input
from support import unique

pytestmark = pytest.mark.timeout(600)


def _csv(path: Path) -> str:
    return f"read_csv('{path}', header = true, auto_detect = true)"


def _close(actual: list[tuple], expected: list[tuple]) -> None:
    """Row lists equal, floats to 1e-6."""
    assert len(actual) == len(expected), (actual, expected)
    for got, want in zip(actual, expected):
        assert len(got) == len(want), (got, want)
        for a, b in zip(got, want):
            if isinstance(b, float) and a is not None:
                assert a == pytest.approx(b, abs=1e-6), (got, want)
            else:
                assert a == b, (got, want)


ORDER_TABLE_COLUMNS = [("order_id", "bigint"), ("customer_id", "bigint"), ("region", "string"), ("order_date", "string"), ("amount", "double"), ("status", "string")]


@pytest.fixture
def prefix() -> str:
    return unique("corpus")


@pytest.fixture
def database(corpus) -> str:
    name = unique("corpus_db").replace("-", "_")
    corpus.glue.create_database(DatabaseInput={"Name": name})
    return name


@pytest.fixture(scope="module")
def orders_csv(tmp_path_factory) -> Path:
    return data.write_orders_csv(tmp_path_factory.mktemp("orders") / "orders.csv")


@pytest.fixture(scope="module")
def customers_csv(tmp_path_factory) -> Path:
    return data.write_customers_csv(tmp_path_factory.mktemp("customers") / "customers.csv")


# --- (1) the Glue console's script template ------------------------------------------------


def test_console_template_converts_csv_to_typed_parquet(corpus, prefix, orders_csv, tmp_path):
    source = corpus.upload(orders_csv, f"{prefix}/raw/orders/orders.csv")
    corpus.run_script("console_template_orders.py", {"--source_path": source.rsplit("/", 1)[0] + "/", "--target_path": corpus.uri(f"{prefix}/parquet/orders/")})

    out = tmp_path / "out"
    corpus.download(f"{prefix}/parquet/orders/", out)
    assert parquet_types(out) == {
        "order_id": "BIGINT", "customer_id": "BIGINT", "region": "VARCHAR",
        "order_date": "DATE", "amount": "DOUBLE", "order_status": "VARCHAR",
    }
    actual = query_parquet(out, "SELECT order_id, customer_id, region, order_date, amount, order_status FROM t ORDER BY order_id")
    expected = duckdb.sql(
        f"""SELECT order_id::BIGINT, customer_id::BIGINT, region, order_date::DATE, amount::DOUBLE, status
            FROM {_csv(orders_csv)} ORDER BY order_id"""
    ).fetchall()
    assert actual == expected


# --- (2) a Glue Studio visual job: partitioned glueparquet sink that creates its catalog table --------


def test_studio_job_writes_partitioned_glueparquet_and_creates_the_catalog_table(corpus, orders_csv, tmp_path):
    database, table, location = "corpus_studio", "sales_by_region", f"s3://{BUCKET}/studio/curated/sales_by_region/"
    corpus.delete_prefix("studio/")
    try:
        corpus.glue.create_database(DatabaseInput={"Name": database})
    except corpus.glue.exceptions.AlreadyExistsException:
        try:
            corpus.glue.delete_table(DatabaseName=database, Name=table)
        except corpus.glue.exceptions.EntityNotFoundException:
            pass
    corpus.upload(orders_csv, "studio/raw/orders/orders.csv")

    # The job parameters Glue Studio sets on a new visual job; the script must run with all of them.
    studio_defaults = {
        "--enable-metrics": "true",
        "--enable-spark-ui": "true",
        "--spark-event-logs-path": f"s3://{BUCKET}/studio/sparkHistoryLogs/",
        "--enable-job-insights": "true",
        "--enable-observability-metrics": "true",
        "--enable-glue-datacatalog": "true",
        "--job-bookmark-option": "job-bookmark-disable",
        "--job-language": "python",
        "--TempDir": f"s3://{BUCKET}/studio/temporary/",
    }
    corpus.run_script("studio_sales_by_region.py", {}, studio_defaults)

    expected = duckdb.sql(
        f"""SELECT region, order_date::DATE, count(*), round(sum(amount::DOUBLE), 2)
            FROM {_csv(orders_csv)} WHERE status = 'shipped' GROUP BY ALL ORDER BY 1, 2"""
    ).fetchall()
    out = tmp_path / "out"
    corpus.download("studio/curated/sales_by_region/", out)
    assert {f.relative_to(out).parts[0] for f in parquet_files(out)} == {f"region={r}" for r in {row[0] for row in expected}}
    actual = query_parquet(out, "SELECT region, order_date, orders, revenue FROM t ORDER BY 1, 2", hive=True)
    _close(actual, expected)

    described = corpus.glue.get_table(DatabaseName=database, Name=table)["Table"]
    assert described["StorageDescriptor"]["Location"].rstrip("/") == location.rstrip("/")
    assert [k["Name"] for k in described["PartitionKeys"]] == ["region"]
    assert {c["Name"]: c["Type"] for c in described["StorageDescriptor"]["Columns"]} == {"order_date": "date", "orders": "bigint", "revenue": "double"}
    assert described["Parameters"].get("classification") == "parquet"
    partitions = corpus.glue.get_partitions(DatabaseName=database, TableName=table)["Partitions"]
    assert sorted(p["Values"] for p in partitions) == [[r] for r in sorted({row[0] for row in expected})]
    for partition in partitions:
        assert partition["StorageDescriptor"]["Location"].rstrip("/") == location + f"region={partition['Values'][0]}"

    # The job's catalog update is what Athena sees.
    athena = corpus.athena_rows(f"SELECT region, sum(orders), round(sum(revenue), 2) FROM {table} GROUP BY region ORDER BY region", database)
    by_region = duckdb.sql(
        f"SELECT region, count(*), round(sum(amount::DOUBLE), 2) FROM {_csv(orders_csv)} WHERE status = 'shipped' GROUP BY 1 ORDER BY 1"
    ).fetchall()
    _close([(r, int(n), float(v)) for r, n, v in athena], by_region)


# --- (3) DynamicFrame-heavy: catalog JSON source, resolveChoice, nested apply_mapping, drop/rename/filter/map --


def test_dynamic_frame_cleanup_of_a_crawled_json_table(corpus, database, prefix, tmp_path):
    records = data.nested_orders(messy_amounts=True)
    corpus.upload(data.write_json_lines(tmp_path / "orders.json", records), f"{prefix}/raw/orders/part-0.json")
    columns = [
        ("order_id", "bigint"),
        ("customer", "struct<id:bigint,name:string,address:struct<city:string,country:string>>"),
        ("items", "array<struct<sku:string,qty:int,price:double>>"),
        ("tags", "array<string>"),
        ("amount", "string"),
        ("status", "string"),
        ("channel", "string"),
    ]
    corpus.glue.create_table(DatabaseName=database, TableInput=table_input("raw_orders", corpus.uri(f"{prefix}/raw/orders/"), columns, "json"))

    corpus.run_script("catalog_orders_cleanup.py", {"--database": database, "--orders_table": "raw_orders", "--output_path": corpus.uri(f"{prefix}/curated/")})

    def number(value: object) -> float | None:  # cast:double as Glue documents it: a non-number becomes null
        try:
            return float(value)  # type: ignore[arg-type]
        except ValueError:
            return None

    expected = []
    for r in records:
        if r["status"] == "cancelled":
            continue
        amount = number(r["amount"])
        band = "unknown" if amount is None else ("high" if amount >= 100 else "low")
        c = r["customer"]
        expected.append((r["order_id"], c["id"], c["name"], c["address"]["city"], c["address"]["country"], amount, r["status"], band))
    assert any(row[5] is None for row in expected) and any(isinstance(r["amount"], str) for r in records)

    out = tmp_path / "out"
    corpus.download(f"{prefix}/curated/", out)
    types = parquet_types(out)
    assert types == {
        "order_id": "BIGINT", "customer_id": "BIGINT", "customer_name": "VARCHAR", "city": "VARCHAR", "country": "VARCHAR",
        "amount": "DOUBLE", "order_status": "VARCHAR", "amount_band": "VARCHAR",
    }
    actual = query_parquet(out, "SELECT order_id, customer_id, customer_name, city, country, amount, order_status, amount_band FROM t ORDER BY order_id")
    _close(actual, sorted(expected))


# --- (4) bookmarks: a bookmarked incremental load ------------------------------------------------------


def test_bookmarked_job_reads_only_new_files_and_the_bookmark_apis_follow(corpus, prefix, tmp_path):
    landing = f"{prefix}/landing/clicks/"
    job = corpus.create_job(
        "bookmarked_events_load.py",
        {"--job-bookmark-option": "job-bookmark-enable", "--landing_path": corpus.uri(landing)},
    )

    def land(batch: str, start: int) -> set[int]:
        records = data.landed_events(batch, 5, start)
        corpus.upload(data.write_json_lines(tmp_path / f"{batch}.json", records), f"{landing}2024/03/{batch}.json")
        return {r["event_id"] for r in records}

    def run(label: str, **arguments: str) -> tuple[dict, set[int]]:
        output = f"{prefix}/out/{label}/"
        job_run = corpus.succeed(job, {"--output_path": corpus.uri(output), **arguments})
        files = corpus.download(output, tmp_path / label)
        ids = set() if not files else {row[0] for row in query_parquet(tmp_path / label, "SELECT event_id FROM t")}
        return job_run, ids

    a, b = land("a", 1), land("b", 101)
    _, read = run("first")
    assert read == a | b

    c = land("c", 201)
    second, read = run("second")
    assert read == c  # only the file that landed since the first run

    entry = corpus.glue.get_job_bookmark(JobName=job)["JobBookmarkEntry"]
    assert entry["JobName"] == job
    assert entry["RunId"] == second["Id"]
    json.loads(entry["JobBookmark"])  # the bookmark itself is a JSON document

    _, read = run("disabled", **{"--job-bookmark-option": "job-bookmark-disable"})
    assert read == a | b | c  # a run with bookmarks disabled processes the entire dataset...

    d = land("d", 301)
    _, read = run("paused", **{"--job-bookmark-option": "job-bookmark-pause"})
    assert read == d  # ...and left the bookmark where it was; a paused run reads what is new...
    _, read = run("after-pause")
    assert read == d  # ...without moving the bookmark either

    _, read = run("nothing-new")
    assert read == set()  # nothing landed: an empty frame, nothing written, the run still succeeds

    reset = corpus.glue.reset_job_bookmark(JobName=job)["JobBookmarkEntry"]
    assert reset["JobName"] == job
    _, read = run("after-reset")
    assert read == a | b | c | d

    with pytest.raises(corpus.glue.exceptions.EntityNotFoundException):
        corpus.glue.reset_job_bookmark(JobName=unique("no-such-job"))


# --- (5) a plain DataFrame job with a literal s3:// path ------------------------------------------------


def test_plain_dataframe_job_reads_argument_and_literal_s3_paths(corpus, prefix, orders_csv, tmp_path):
    fx = data.write_fx_rates_csv(tmp_path / "fx_rates.csv")
    corpus.upload(fx, "reference/fx_rates/fx_rates.csv")  # the path the script names literally
    corpus.upload(orders_csv, f"{prefix}/in/orders.csv")

    corpus.run_script("dataframe_fx_report.py", {"--orders_path": corpus.uri(f"{prefix}/in/orders.csv"), "--report_path": corpus.uri(f"{prefix}/report/")})

    out = tmp_path / "out"
    corpus.download(f"{prefix}/report/", out)
    assert len(parquet_files(out)) == 1  # coalesce(1)
    expected = duckdb.sql(
        f"""SELECT o.order_date::DATE, o.region, count(*), round(sum(o.amount::DOUBLE * f.usd_rate::DOUBLE), 2)
            FROM {_csv(orders_csv)} o JOIN read_csv('{fx}', header = true, all_varchar = true) f USING (region)
            WHERE o.status = 'shipped' GROUP BY ALL ORDER BY 1, 2"""
    ).fetchall()
    _close(query_parquet(out, "SELECT order_date, region, orders, revenue_usd FROM t ORDER BY 1, 2"), expected)


# --- (6) partitioned Parquet written through the catalog; Athena sees the new partitions -------------------


def test_write_from_catalog_adds_partitions_that_athena_queries(corpus, database, prefix, orders_csv, tmp_path):
    corpus.upload(orders_csv, f"{prefix}/raw/orders/orders.csv")
    corpus.glue.create_table(DatabaseName=database, TableInput=table_input("orders_csv", corpus.uri(f"{prefix}/raw/orders/"), ORDER_TABLE_COLUMNS, "csv"))
    warehouse = corpus.uri(f"{prefix}/warehouse/orders/")
    target_columns = [c for c in ORDER_TABLE_COLUMNS if c[0] != "order_date"]
    corpus.glue.create_table(
        DatabaseName=database,
        TableInput=table_input("orders", warehouse, target_columns, "parquet", partition_keys=(("order_date", "string"),)),
    )
    assert corpus.glue.get_partitions(DatabaseName=database, TableName="orders")["Partitions"] == []

    corpus.run_script("partitioned_orders_to_catalog.py", {"--database": database, "--source_table": "orders_csv", "--target_table": "orders"})

    dates = [row[0] for row in duckdb.sql(f"SELECT DISTINCT order_date::VARCHAR FROM {_csv(orders_csv)} ORDER BY 1").fetchall()]
    partitions = corpus.glue.get_partitions(DatabaseName=database, TableName="orders")["Partitions"]
    assert sorted(p["Values"] for p in partitions) == [[d] for d in dates]
    for partition in partitions:
        assert partition["StorageDescriptor"]["Location"].rstrip("/") == warehouse + f"order_date={partition['Values'][0]}"
    corpus.download(f"{prefix}/warehouse/orders/", tmp_path / "out")
    assert {f.relative_to(tmp_path / "out").parts[0] for f in parquet_files(tmp_path / "out")} == {f"order_date={d}" for d in dates}

    athena = corpus.athena_rows("SELECT order_date, count(*), round(sum(amount), 2), max(order_id) FROM orders GROUP BY order_date ORDER BY order_date", database)
    expected = duckdb.sql(
        f"SELECT order_date::VARCHAR, count(*), round(sum(amount::DOUBLE), 2), max(order_id) FROM {_csv(orders_csv)} GROUP BY 1 ORDER BY 1"
    ).fetchall()
    _close([(d, int(n), float(s), int(m)) for d, n, s, m in athena], expected)


# --- (7) Relationalize nested JSON into flat tables -----------------------------------------------------


def test_relationalize_pivots_arrays_into_child_tables(corpus, prefix, tmp_path):
    records = data.nested_orders(count=12, seed=41)
    source = corpus.upload(data.write_json_lines(tmp_path / "orders.json", records), f"{prefix}/raw/orders.json")

    corpus.run_script(
        "relationalize_orders.py",
        {"--source_path": source, "--target_path": corpus.uri(f"{prefix}/flat/")},
        {"--TempDir": corpus.uri(f"{prefix}/temp/")},
    )

    out = tmp_path / "out"
    corpus.download(f"{prefix}/flat/", out)
    assert sorted(p.name for p in out.iterdir()) == ["orders", "orders_items", "orders_tags"]
    root = query_parquet(
        out / "orders",
        'SELECT order_id, "customer.id", "customer.name", "customer.address.city", "customer.address.country", amount, status, channel FROM t ORDER BY order_id',
    )
    _close(root, [
        (r["order_id"], r["customer"]["id"], r["customer"]["name"], r["customer"]["address"]["city"], r["customer"]["address"]["country"], r["amount"], r["status"], r["channel"])
        for r in records
    ])

    # Each array element became a row of its child table, linked by the root's foreign key column and keeping its position.
    files_root = ", ".join(f"'{p}'" for p in parquet_files(out / "orders"))
    files_items = ", ".join(f"'{p}'" for p in parquet_files(out / "orders_items"))
    files_tags = ", ".join(f"'{p}'" for p in parquet_files(out / "orders_tags"))
    items = duckdb.sql(
        f"""SELECT r.order_id, i.index, i."items.val.sku", i."items.val.qty", i."items.val.price"
            FROM read_parquet([{files_root}]) r JOIN read_parquet([{files_items}]) i ON r.items = i.id ORDER BY 1, 2"""
    ).fetchall()
    _close(items, [(r["order_id"], n, it["sku"], it["qty"], it["price"]) for r in records for n, it in enumerate(r["items"])])
    tags = duckdb.sql(
        f"""SELECT r.order_id, g.index, g."tags.val"
            FROM read_parquet([{files_root}]) r JOIN read_parquet([{files_tags}]) g ON r.tags = g.id ORDER BY 1, 2"""
    ).fetchall()
    assert tags == [(r["order_id"], n, tag) for r in records for n, tag in enumerate(r["tags"])]


# --- (8) Join, SplitRows, SplitFields, SelectFromCollection ---------------------------------------------


def test_join_then_split_rows_and_fields(corpus, prefix, orders_csv, customers_csv, tmp_path):
    corpus.upload(orders_csv, f"{prefix}/in/orders/orders.csv")
    corpus.upload(customers_csv, f"{prefix}/in/customers/customers.csv")

    corpus.run_script(
        "join_and_split_orders.py",
        {
            "--orders_path": corpus.uri(f"{prefix}/in/orders/"),
            "--customers_path": corpus.uri(f"{prefix}/in/customers/"),
            "--target_path": corpus.uri(f"{prefix}/routed/"),
        },
    )

    joined = f"""SELECT o.*, c.name, c.segment, c.country FROM {_csv(orders_csv)} o
                 JOIN read_csv('{customers_csv}', header = true, quote = '"') c ON o.customer_id = c.cust_id"""
    out = tmp_path / "out"
    corpus.download(f"{prefix}/routed/", out)

    # Glue's CSV reader infers each value's type (integers as long, as in the ResolveChoice data-preparation example).
    assert parquet_types(out / "manager_feed") == {"order_id": "BIGINT", "name": "VARCHAR", "segment": "VARCHAR", "amount": "DOUBLE"}
    feed = query_parquet(out / "manager_feed", "SELECT order_id, name, segment, amount FROM t ORDER BY order_id")
    _close(feed, duckdb.sql(f"SELECT order_id, name, segment, amount::DOUBLE FROM ({joined}) WHERE amount >= 100 ORDER BY order_id").fetchall())
    assert any("," in row[1] for row in feed)  # quoted names kept whole

    other_columns = set(parquet_types(out / "other_orders"))
    assert other_columns == {"order_id", "customer_id", "region", "order_date", "amount", "status", "name", "segment", "country"}
    other = query_parquet(out / "other_orders", "SELECT order_id, customer_id, name, amount FROM t ORDER BY order_id")
    _close(other, duckdb.sql(f"SELECT order_id, customer_id, name, amount::DOUBLE FROM ({joined}) WHERE amount < 100 ORDER BY order_id").fetchall())


# --- (9) Unbox a JSON document held in a string column ---------------------------------------------------


def test_unbox_parses_a_json_string_column(corpus, prefix, tmp_path):
    events = data.sensor_events()
    source = corpus.upload(data.write_json_lines(tmp_path / "events.json", events), f"{prefix}/raw/events.json")

    corpus.run_script("unbox_sensor_payload.py", {"--source_path": source, "--target_path": corpus.uri(f"{prefix}/readings/")})

    out = tmp_path / "out"
    corpus.download(f"{prefix}/readings/", out)
    types = parquet_types(out)
    assert {k: v for k, v in types.items() if k != "received_at"} == {
        "event_id": "BIGINT", "device": "VARCHAR", "temp_c": "DOUBLE", "humidity": "INTEGER", "ok": "BOOLEAN",
    }
    assert types["received_at"].startswith("TIMESTAMP")
    actual = query_parquet(out, "SELECT event_id, epoch(received_at)::BIGINT, device, temp_c, humidity, ok FROM t ORDER BY event_id")
    expected = []
    for e in events:
        payload = json.loads(e["payload"])
        when = int(datetime.fromisoformat(e["received_at"].replace("Z", "+00:00")).timestamp())
        expected.append((e["event_id"], when, payload["device"], payload["reading"]["temp_c"], payload["reading"]["humidity"], payload["ok"]))
    _close(actual, expected)


# --- (10) purge_s3_path, then CSV and JSON exports with gzip ---------------------------------------------


def test_purge_then_export_gzip_csv_and_json(corpus, prefix, tmp_path):
    rows = data.order_rows(count=30, seed=8)
    local = tmp_path / "orders.parquet"
    values = ", ".join(f"({r['order_id']}, {r['customer_id']}, '{r['region']}', '{r['order_date']}', {r['amount']}, '{r['status']}')" for r in rows)
    data.write_parquet(
        local,
        f"""SELECT order_id::BIGINT AS order_id, customer_id::BIGINT AS customer_id, region, order_date, amount::DOUBLE AS amount, status
            FROM (VALUES {values}) v(order_id, customer_id, region, order_date, amount, status)""",
    )
    corpus.upload(local, f"{prefix}/in/orders.parquet")
    export = f"{prefix}/export/"
    stale = [f"{export}csv/run-old-part-r-00000.gz", f"{export}json/run-old-part-r-00000.gz", f"{export}README.txt"]
    for key in stale:
        corpus.put(key, b"from last night")

    corpus.run_script("purge_and_export_shipped.py", {"--source_path": corpus.uri(f"{prefix}/in/"), "--export_path": corpus.uri(export)})

    keys = corpus.keys(export)
    assert not set(stale) & set(keys)
    keys = [k for k in keys if not k.rsplit("/", 1)[1].startswith("_")]  # markers such as _SUCCESS are not data
    shipped = sorted((r["order_id"], r["region"], r["order_date"], r["amount"]) for r in rows if r["status"] == "shipped")

    csv_keys = [k for k in keys if k.startswith(f"{export}csv/")]
    assert len(csv_keys) == 1, keys  # coalesce(1)
    raw = corpus.body(csv_keys[0])
    assert raw[:2] == b"\x1f\x8b", "the CSV export is not gzip-compressed"
    reader = list(csv.reader(io.StringIO(gzip.decompress(raw).decode()), delimiter="|"))
    assert reader[0] == ["order_id", "region", "order_date", "amount"]
    _close(sorted((int(i), reg, d, float(a)) for i, reg, d, a in reader[1:]), shipped)

    json_keys = [k for k in keys if k.startswith(f"{export}json/")]
    assert json_keys and all(corpus.body(k)[:2] == b"\x1f\x8b" for k in json_keys)
    files = corpus.download(f"{export}json/", tmp_path / "json")
    records = json_lines(files)
    _close(sorted((r["order_id"], r["region"], r["order_date"], r["amount"]) for r in records), shipped)


# --- (11) create_data_frame.from_catalog and Spark SQL -----------------------------------------------------


def test_catalog_data_frames_joined_with_spark_sql(corpus, database, prefix, orders_csv, customers_csv, tmp_path):
    corpus.upload(orders_csv, f"{prefix}/raw/orders/orders.csv")
    # One catalog: a table made by Athena DDL is read by the Glue job like one made through the Glue API.
    corpus.athena_rows(
        f"""CREATE EXTERNAL TABLE orders (order_id bigint, customer_id bigint, region string, order_date string, amount double, status string)
            ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
            LOCATION '{corpus.uri(f"{prefix}/raw/orders/")}'
            TBLPROPERTIES ('skip.header.line.count' = '1')""",
        database,
    )
    customers_parquet = data.write_parquet(
        tmp_path / "customers.parquet",
        f"SELECT cust_id::BIGINT AS cust_id, name, segment, country FROM read_csv('{customers_csv}', header = true, quote = '\"')",
    )
    corpus.upload(customers_parquet, f"{prefix}/raw/customers/customers.parquet")
    customer_columns = [("cust_id", "bigint"), ("name", "string"), ("segment", "string"), ("country", "string")]
    corpus.glue.create_table(DatabaseName=database, TableInput=table_input("customers", corpus.uri(f"{prefix}/raw/customers/"), customer_columns, "parquet"))

    corpus.run_script(
        "catalog_sparksql_segments.py",
        {"--database": database, "--orders_table": "orders", "--customers_table": "customers", "--output_path": corpus.uri(f"{prefix}/segments/")},
    )

    out = tmp_path / "out"
    corpus.download(f"{prefix}/segments/", out)
    actual = query_parquet(out, "SELECT segment, region, orders, revenue, last_order_date::VARCHAR FROM t ORDER BY 1, 2", hive=True)
    expected = duckdb.sql(
        f"""SELECT c.segment, o.region, count(*), round(sum(o.amount::DOUBLE), 2), max(o.order_date)::VARCHAR
            FROM {_csv(orders_csv)} o JOIN '{customers_parquet}' c ON o.customer_id = c.cust_id
            WHERE o.status <> 'cancelled' GROUP BY ALL ORDER BY 1, 2"""
    ).fetchall()
    _close(actual, expected)


# --- (12) getResolvedOptions: required, optional and missing arguments --------------------------------------


def test_resolved_options_with_optional_arguments_and_a_missing_one(corpus, prefix, orders_csv, tmp_path):
    source = corpus.upload(orders_csv, f"{prefix}/in/orders.csv")
    job = corpus.create_job("optional_arguments_filter.py", {"--source_path": source, "--min_amount": "0"})
    table = _csv(orders_csv)

    corpus.succeed(job, {"--output_path": corpus.uri(f"{prefix}/all/")})
    records = json_lines(corpus.download(f"{prefix}/all/", tmp_path / "all"))
    expected = duckdb.sql(f"SELECT order_id, region, amount::DOUBLE, 'adhoc' FROM {table} ORDER BY 1").fetchall()
    _close(sorted((r["order_id"], r["region"], r["amount"], r["run_label"]) for r in records), expected)

    corpus.succeed(job, {"--output_path": corpus.uri(f"{prefix}/some/"), "--min_amount": "50", "--regions": "EU,APAC", "--run_label": "backfill"})
    records = json_lines(corpus.download(f"{prefix}/some/", tmp_path / "some"))
    expected = duckdb.sql(
        f"SELECT order_id, region, amount::DOUBLE, 'backfill' FROM {table} WHERE amount >= 50 AND region IN ('EU', 'APAC') ORDER BY 1"
    ).fetchall()
    _close(sorted((r["order_id"], r["region"], r["amount"], r["run_label"]) for r in records), expected)

    missing = corpus.start(job, {})
    assert missing["JobRunState"] == "FAILED"
    assert "the following arguments are required: --output_path" in missing["ErrorMessage"]


# --- (13) push_down_predicate on a partitioned catalog table, DataFrame window, fromDF -----------------------


def test_push_down_predicate_window_and_from_df(corpus, database, prefix, tmp_path):
    files = data.partitioned_readings(tmp_path / "readings")
    location = corpus.uri(f"{prefix}/readings/")
    columns = [("device", "string"), ("reading_id", "int"), ("value", "int")]
    corpus.glue.create_table(DatabaseName=database, TableInput=table_input("readings", location, columns, "json", partition_keys=(("dt", "string"),)))
    for day, path in files.items():
        corpus.upload(path, f"{prefix}/readings/dt={day}/readings.json")
    table = corpus.glue.get_table(DatabaseName=database, Name="readings")["Table"]
    corpus.glue.batch_create_partition(
        DatabaseName=database,
        TableName="readings",
        PartitionInputList=[
            {"Values": [day], "StorageDescriptor": {**table["StorageDescriptor"], "Location": f"{location}dt={day}/"}} for day in files
        ],
    )

    corpus.run_script(
        "pushdown_device_ranking.py",
        {"--database": database, "--table_name": "readings", "--since": "2024-03-02", "--output_path": corpus.uri(f"{prefix}/top/")},
    )

    records = json_lines(corpus.download(f"{prefix}/top/", tmp_path / "top"))
    actual = sorted((r["device"], r["rank"], r["dt"], r["reading_id"], r["value"]) for r in records)
    sources = ", ".join(f"'{p}'" for p in files.values())
    expected = duckdb.sql(
        f"""SELECT device, rank, dt, reading_id, value FROM (
                SELECT *, row_number() OVER (PARTITION BY device ORDER BY value DESC, dt, reading_id) AS rank
                FROM read_json([{sources}], hive_partitioning = true, hive_types_autocast = false) WHERE dt >= '2024-03-02')
            WHERE rank <= 2 ORDER BY 1, 2"""
    ).fetchall()
    assert actual == expected


# --- (14) choice types: make_cols and cast:long, money text parsed with Map --------------------------------


def test_choice_type_resolved_with_make_cols_and_cast(corpus, prefix, tmp_path):
    payments = data.write_payments_csv(tmp_path / "payments.csv")
    source = corpus.upload(payments, f"{prefix}/raw/payments.csv")

    corpus.run_script("payments_choice_cleanup.py", {"--source_path": source, "--target_path": corpus.uri(f"{prefix}/clean/")})

    with payments.open() as fh:
        rows = list(csv.DictReader(fh))
    out = tmp_path / "out"
    corpus.download(f"{prefix}/clean/", out)

    # make_cols: one column per type the values had, named <column>_<type>.
    assert parquet_types(out / "audit") == {"provider_id_long": "BIGINT", "provider_id_string": "VARCHAR", "provider_name": "VARCHAR"}
    audit = query_parquet(out / "audit", "SELECT provider_name, provider_id_long, provider_id_string FROM t ORDER BY provider_name")
    assert audit == sorted(
        (r["provider_name"], int(r["provider_id"]) if r["provider_id"].isdigit() else None, None if r["provider_id"].isdigit() else r["provider_id"])
        for r in rows
    )

    # cast:long: a value that is not a number becomes null.
    assert parquet_types(out / "report") == {"provider_id": "BIGINT", "provider_name": "VARCHAR", "state": "VARCHAR", "discharges": "INTEGER", "charges_usd": "DOUBLE"}
    report = query_parquet(out / "report", "SELECT provider_name, provider_id, state, discharges, charges_usd FROM t ORDER BY provider_name")
    _close(report, sorted(
        (r["provider_name"], int(r["provider_id"]) if r["provider_id"].isdigit() else None, r["state"], int(r["discharges"]), float(r["avg_charges"].lstrip("$").replace(",", "")))
        for r in rows
    ))


# --- (15) small-file compaction: groupFiles, exclusions, partitionKeys on from_options ---------------------


def test_compaction_groups_small_files_skips_exclusions_and_partitions_output(corpus, prefix, tmp_path):
    landing = f"{prefix}/collector/"
    expected = []
    for n in range(12):
        day = f"2024-04-0{1 + n % 3}"
        records = [{"dt": day, "host": f"h{n}", "seq": i, "latency_ms": (n * 7 + i * 13) % 250} for i in range(3)]
        expected += records
        corpus.upload(data.write_json_lines(tmp_path / f"f{n}.json", records), f"{landing}{day}/batch-{n:02d}.json")
    corpus.put(f"{landing}2024-04-01/batch-99.json.tmp", b'{"dt": "2024-04-01", "host": "partial", "se')

    corpus.run_script("compact_small_json_files.py", {"--source_path": corpus.uri(landing), "--target_path": corpus.uri(f"{prefix}/compacted/")})

    out = tmp_path / "out"
    corpus.download(f"{prefix}/compacted/", out)
    files = parquet_files(out)
    assert {f.relative_to(out).parts[0] for f in files} == {"dt=2024-04-01", "dt=2024-04-02", "dt=2024-04-03"}
    assert len(files) == 3  # coalesce(1): one file per day
    actual = query_parquet(out, "SELECT dt, host, seq, latency_ms FROM t ORDER BY ALL", hive=True)
    assert actual == sorted((r["dt"], r["host"], r["seq"], r["latency_ms"]) for r in expected)


# --- (16) Spark SQL over the Data Catalog as metastore (--enable-glue-datacatalog) -----------------------


def test_spark_sql_reads_catalog_tables_with_the_glue_metastore(corpus, database, prefix, customers_csv, tmp_path):
    customers = data.write_parquet(
        tmp_path / "customers.parquet",
        f"SELECT cust_id::BIGINT AS cust_id, name, segment, country FROM read_csv('{customers_csv}', header = true, quote = '\"')",
    )
    corpus.upload(customers, f"{prefix}/customers/customers.parquet")
    columns = [("cust_id", "bigint"), ("name", "string"), ("segment", "string"), ("country", "string")]
    corpus.glue.create_table(DatabaseName=database, TableInput=table_input("customers", corpus.uri(f"{prefix}/customers/"), columns, "parquet"))

    corpus.run_script(
        "sparksql_catalog_metastore.py",
        {"--database": database, "--output_path": corpus.uri(f"{prefix}/segments/")},
        {"--enable-glue-datacatalog": "true"},
    )

    out = tmp_path / "out"
    corpus.download(f"{prefix}/segments/", out)
    expected = duckdb.sql(f"SELECT segment, country, count(*) FROM '{customers}' GROUP BY ALL ORDER BY ALL").fetchall()
    assert query_parquet(out, "SELECT segment, country, customers FROM t ORDER BY ALL") == expected


# --- (17) the transform classes: UnnestFrame, RenameField (dotted names), DropFields, SelectFields; spigot ------


def test_transform_classes_and_spigot_sample(corpus, prefix, tmp_path):
    records = data.nested_orders(count=15, seed=61)
    source = corpus.upload(data.write_json_lines(tmp_path / "orders.json", records), f"{prefix}/raw/orders.json")

    corpus.run_script(
        "transform_classes_orders.py",
        {"--source_path": source, "--target_path": corpus.uri(f"{prefix}/selected/"), "--sample_path": corpus.uri(f"{prefix}/sample/")},
    )

    expected = sorted((r["order_id"], r["customer"]["name"], r["customer"]["address"]["city"], r["amount"], r["status"]) for r in records)
    out = tmp_path / "out"
    corpus.download(f"{prefix}/selected/", out)
    assert set(parquet_types(out)) == {"order_id", "customer_name", "city", "amount", "status"}
    _close(query_parquet(out, "SELECT order_id, customer_name, city, amount, status FROM t ORDER BY order_id"), expected)

    sample = json_lines(corpus.download(f"{prefix}/sample/", tmp_path / "sample"))
    assert len(sample) == 5  # topk
    assert {(s["order_id"], s["customer_name"], s["city"], s["amount"], s["status"]) for s in sample} <= set(expected)


# --- (18) a team library shipped with --extra-py-files, used on the driver and inside Map ----------------------


def test_extra_py_files_zip_is_importable_in_the_script_and_its_functions(corpus, prefix, orders_csv, tmp_path):
    library = tmp_path / "etl_common.zip"
    with zipfile.ZipFile(library, "w") as archive:
        for path in sorted((Path(__file__).parent / "libs").rglob("*.py")):
            archive.write(path, path.relative_to(Path(__file__).parent / "libs").as_posix())
    source = corpus.upload(orders_csv, f"{prefix}/in/orders.csv")

    corpus.run_script(
        "shared_library_enrichment.py",
        {"--source_path": source, "--target_path": corpus.uri(f"{prefix}/enriched/")},
        {"--extra-py-files": corpus.upload(library, f"{prefix}/libs/etl_common.zip")},
    )

    names = {"EU": "Europe", "US": "United States", "APAC": "Asia Pacific"}
    with orders_csv.open() as fh:
        expected = sorted((int(r["order_id"]), r["region"], names[r["region"]], round(float(r["amount"]) * 100)) for r in csv.DictReader(fh))
    out = tmp_path / "out"
    corpus.download(f"{prefix}/enriched/", out)
    assert query_parquet(out, "SELECT order_id, region, region_name, amount_cents FROM t ORDER BY order_id") == expected


# --- (19) a Python shell job: getResolvedOptions and boto3 against the same S3 ------------------------------------


def test_python_shell_job_uses_get_resolved_options_and_boto3(corpus, prefix):
    sizes = {f"{prefix}/landed/part-{n}.csv": 10 + n * 7 for n in range(4)}
    for key, size in sizes.items():
        corpus.put(key, b"x" * size)
    job = corpus.create_job("pythonshell_manifest.py", {"--bucket": BUCKET}, command="pythonshell")

    corpus.succeed(job, {"--prefix": f"{prefix}/landed/", "--manifest_key": f"{prefix}/manifest.json"})

    manifest = json.loads(corpus.body(f"{prefix}/manifest.json"))
    assert manifest == {
        "prefix": f"{prefix}/landed/",
        "files": [{"key": key, "size": size} for key, size in sorted(sizes.items())],
        "total_bytes": sum(sizes.values()),
    }


# --- (20) DynamicFrame methods: join, unnest, rename_field, select_fields, relationalize; write_dynamic_frame.from_catalog ---


def test_membership_history_with_frame_methods_written_through_the_catalog(corpus, database, prefix, tmp_path):
    files = data.membership_sources(tmp_path / "sources")
    for name, path in files.items():
        corpus.upload(path, f"{prefix}/sources/{name}/{path.name}")
    history_location = corpus.uri(f"{prefix}/warehouse/history/")
    columns = [("id", "string"), ("name", "string"), ("contacts", "bigint"), ("start_date", "string"), ("org_id", "string"), ("org_name", "string"), ("org_city", "string")]
    corpus.glue.create_table(DatabaseName=database, TableInput=table_input("membership_history", history_location, columns, "json"))

    corpus.run_script(
        "membership_history.py",
        {
            "--source_root": corpus.uri(f"{prefix}/sources/"),
            "--database": database,
            "--history_table": "membership_history",
            "--contacts_path": corpus.uri(f"{prefix}/warehouse/history_contacts/"),
        },
        {"--TempDir": corpus.uri(f"{prefix}/temp/")},
    )

    people = {p["id"]: p for p in map(json.loads, files["people"].read_text().splitlines())}
    orgs = {o["org_id"]: o for o in map(json.loads, files["orgs"].read_text().splitlines())}
    with files["memberships"].open() as fh:
        memberships = [m for m in csv.DictReader(fh) if m["person_id"] in people and m["org_ref"] in orgs]
    assert 0 < len(memberships) < 11  # some memberships name people who are not in the registry

    history = json_lines(corpus.download(f"{prefix}/warehouse/history/", tmp_path / "history"))
    assert sorted((h["id"], h["name"], h["start_date"], h["org_id"], h["org_name"], h["org_city"]) for h in history) == sorted(
        (m["person_id"], people[m["person_id"]]["name"], m["start_date"], m["org_ref"], orgs[m["org_ref"]]["org_name"], orgs[m["org_ref"]]["address"]["city"])
        for m in memberships
    )
    contacts = json_lines(corpus.download(f"{prefix}/warehouse/history_contacts/", tmp_path / "contacts"))
    by_key: dict[int, list[dict]] = {}
    for c in contacts:
        by_key.setdefault(c["id"], []).append(c)
    for h in history:
        rows = sorted(by_key[h["contacts"]], key=lambda c: c["index"])
        assert [(c["index"], c["contacts.val.type"], c["contacts.val.value"]) for c in rows] == [
            (n, c["type"], c["value"]) for n, c in enumerate(people[h["id"]]["contacts"])
        ]
