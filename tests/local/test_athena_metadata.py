"""Athena's metadata APIs on the embedded AWS answer from the Glue Data Catalog.

Databases and tables are made the way a pipeline makes them (Athena DDL
through StartQueryExecution, one table straight through the Glue API), then
browsed the way SQL clients and awswrangler browse them: ListDataCatalogs,
GetDataCatalog, ListDatabases, GetDatabase, ListTableMetadata and
GetTableMetadata.
"""

from __future__ import annotations

import datetime
import time
import uuid
from dataclasses import dataclass

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

BUCKET = "local-athena-metadata"
RESULTS = f"s3://{BUCKET}/results/"
CATALOG = "AwsDataCatalog"


@dataclass(frozen=True)
class Names:
    db: str  # made by DDL: orders, order_lines, events (partitioned), plus visits through Glue
    glue_db: str  # made through the Glue API, with no tables


def _run(athena, sql: str, database: str = "default") -> None:
    query_id = athena.start_query_execution(
        QueryString=sql,
        QueryExecutionContext={"Database": database},
        ResultConfiguration={"OutputLocation": RESULTS},
    )["QueryExecutionId"]
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        status = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
        if status["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            assert status["State"] == "SUCCEEDED", status.get("StateChangeReason")
            return
        time.sleep(0.05)
    raise AssertionError(f"query never finished: {sql}")


def _error_code(excinfo: pytest.ExceptionInfo) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture(scope="module")
def athena(emulator):
    emulator.client("s3").create_bucket(Bucket=BUCKET)
    return emulator.client("athena")


@pytest.fixture(scope="module")
def glue(emulator):
    return emulator.client("glue")


@pytest.fixture(scope="module")
def names(athena, glue) -> Names:
    suffix = uuid.uuid4().hex[:8]
    db, glue_db = f"meta_{suffix}", f"crawled_{suffix}"
    _run(athena, f"CREATE DATABASE {db} COMMENT 'Sales data' WITH DBPROPERTIES ('owner'='etl')")
    _run(
        athena,
        "CREATE EXTERNAL TABLE orders (id bigint COMMENT 'order id', amount decimal(12,2)) "
        f"STORED AS PARQUET LOCATION 's3://{BUCKET}/orders/' TBLPROPERTIES ('classification'='parquet')",
        database=db,
    )
    _run(athena, f"CREATE EXTERNAL TABLE order_lines (id bigint) STORED AS PARQUET LOCATION 's3://{BUCKET}/lines/'", database=db)
    _run(
        athena,
        f"CREATE EXTERNAL TABLE {db}.events (id bigint, payload string) PARTITIONED BY (day string, hour int) "
        "ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
        f"STORED AS TEXTFILE LOCATION 's3://{BUCKET}/events/'",
    )
    glue.create_table(
        DatabaseName=db,
        TableInput={
            "Name": "visits",
            "TableType": "EXTERNAL_TABLE",
            "LastAccessTime": datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc),
            "Parameters": {"classification": "csv", "skip.header.line.count": "1"},
            "StorageDescriptor": {
                "Columns": [{"Name": "page", "Type": "string"}, {"Name": "hits", "Type": "int"}],
                "Location": f"s3://{BUCKET}/visits/",
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "SerdeInfo": {
                    "SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                    "Parameters": {"field.delim": ","},
                },
            },
        },
    )
    glue.create_database(DatabaseInput={"Name": glue_db, "Description": "from a crawler"})
    return Names(db=db, glue_db=glue_db)


def _all_databases(athena, catalog: str = CATALOG) -> list[dict]:
    pages = athena.get_paginator("list_databases").paginate(CatalogName=catalog)
    return [database for page in pages for database in page["DatabaseList"]]


def _table_names(athena, database: str, **kwargs: object) -> list[str]:
    listed = athena.list_table_metadata(CatalogName=CATALOG, DatabaseName=database, **kwargs)
    return [table["Name"] for table in listed["TableMetadataList"]]


# --- data catalogs --------------------------------------------------------------------


def test_aws_data_catalog_is_always_listed_first_and_created_catalogs_are_kept(athena, name):
    athena.create_data_catalog(
        Name=name,
        Type="LAMBDA",
        Description="DynamoDB catalog",
        Parameters={"function": "arn:aws:lambda:us-east-1:123456789012:function:dynamo"},
    )
    summaries = athena.list_data_catalogs()["DataCatalogsSummary"]
    assert summaries[0] == {"CatalogName": "AwsDataCatalog", "Type": "GLUE"}
    assert {"CatalogName": name, "Type": "LAMBDA"} in summaries
    assert [s["CatalogName"] for s in summaries].count("AwsDataCatalog") == 1

    paged, token, calls = [], None, 0
    while True:
        page = athena.list_data_catalogs(MaxResults=2, **({"NextToken": token} if token else {}))
        assert len(page["DataCatalogsSummary"]) <= 2
        paged += page["DataCatalogsSummary"]
        calls += 1
        token = page.get("NextToken")
        if not token:
            break
    assert paged == summaries and calls >= 1


def test_get_data_catalog_describes_aws_data_catalog_and_created_catalogs(emulator, athena, name):
    assert athena.get_data_catalog(Name="AwsDataCatalog")["DataCatalog"] == {
        "Name": "AwsDataCatalog",
        "Type": "GLUE",
        "Parameters": {"catalog-id": emulator.account_id},
    }
    parameters = {"metadata-function": "arn:aws:lambda:us-east-1:123456789012:function:meta"}
    athena.create_data_catalog(Name=name, Type="LAMBDA", Description="Lambda catalog", Parameters=parameters)
    assert athena.get_data_catalog(Name=name)["DataCatalog"] == {
        "Name": name,
        "Type": "LAMBDA",
        "Description": "Lambda catalog",
        "Parameters": parameters,
    }


def test_an_unknown_data_catalog_is_an_invalid_request(athena, names):
    with pytest.raises(athena.exceptions.InvalidRequestException):
        athena.get_data_catalog(Name="no_such_catalog")
    calls = [
        lambda: athena.list_databases(CatalogName="no_such_catalog"),
        lambda: athena.get_database(CatalogName="no_such_catalog", DatabaseName=names.db),
        lambda: athena.list_table_metadata(CatalogName="no_such_catalog", DatabaseName=names.db),
        lambda: athena.get_table_metadata(CatalogName="no_such_catalog", DatabaseName=names.db, TableName="orders"),
    ]
    for call in calls:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert _error_code(excinfo) == "InvalidRequestException"


# --- databases ----------------------------------------------------------------------------


def test_list_databases_shows_what_ddl_and_glue_created(athena, names):
    databases = {database["Name"]: database for database in _all_databases(athena)}
    assert databases[names.db] == {"Name": names.db, "Description": "Sales data", "Parameters": {"owner": "etl"}}
    assert databases[names.glue_db] == {"Name": names.glue_db, "Description": "from a crawler"}
    assert "default" in databases
    assert list(databases) == sorted(databases)


def test_list_databases_pages_with_max_results_and_next_token(athena, names):
    everything = [database["Name"] for database in _all_databases(athena)]
    paged, token = [], None
    while True:
        page = athena.list_databases(CatalogName=CATALOG, MaxResults=1, **({"NextToken": token} if token else {}))
        assert len(page["DatabaseList"]) == 1
        paged += [database["Name"] for database in page["DatabaseList"]]
        token = page.get("NextToken")
        if not token:
            break
    assert paged == everything and {names.db, names.glue_db} <= set(paged)
    only_names = athena.list_databases(CatalogName=CATALOG, AttributesToGet=["NAME"])["DatabaseList"]
    assert {"Name": names.db} in only_names


def test_a_dropped_database_disappears(athena, name):
    db = name.replace("-", "_")
    _run(athena, f"CREATE DATABASE {db}")
    assert db in [database["Name"] for database in _all_databases(athena)]
    _run(athena, f"DROP DATABASE {db}")
    assert db not in [database["Name"] for database in _all_databases(athena)]


def test_get_database_returns_name_description_and_parameters(athena, names):
    expected = {"Name": names.db, "Description": "Sales data", "Parameters": {"owner": "etl"}}
    assert athena.get_database(CatalogName=CATALOG, DatabaseName=names.db)["Database"] == expected
    assert athena.get_database(CatalogName=CATALOG, DatabaseName=names.db.upper())["Database"] == expected
    assert athena.get_database(CatalogName=CATALOG, DatabaseName="default")["Database"]["Name"] == "default"


def test_an_unknown_database_is_a_metadata_exception(athena):
    calls = [
        lambda: athena.get_database(CatalogName=CATALOG, DatabaseName="no_such_db"),
        lambda: athena.list_table_metadata(CatalogName=CATALOG, DatabaseName="no_such_db"),
        lambda: athena.get_table_metadata(CatalogName=CATALOG, DatabaseName="no_such_db", TableName="orders"),
    ]
    for call in calls:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert _error_code(excinfo) == "MetadataException"
        assert "no_such_db not found" in excinfo.value.response["Error"]["Message"]


def test_a_glue_data_catalog_created_for_this_account_reads_the_same_catalog(emulator, athena, names, name):
    athena.create_data_catalog(Name=name, Type="GLUE", Parameters={"catalog-id": emulator.account_id})
    assert names.db in [database["Name"] for database in _all_databases(athena, catalog=name)]
    assert "orders" in [t["Name"] for t in athena.list_table_metadata(CatalogName=name, DatabaseName=names.db)["TableMetadataList"]]


# --- tables ---------------------------------------------------------------------------------


def test_list_table_metadata_lists_ddl_and_glue_tables_by_name(athena, names):
    assert _table_names(athena, names.db) == ["events", "order_lines", "orders", "visits"]
    assert _table_names(athena, names.glue_db) == []


def test_table_metadata_has_athena_s_shape(athena, names):
    listed = athena.list_table_metadata(CatalogName=CATALOG, DatabaseName=names.db)["TableMetadataList"]
    orders = next(table for table in listed if table["Name"] == "orders")
    assert orders == athena.get_table_metadata(CatalogName=CATALOG, DatabaseName=names.db, TableName="orders")["TableMetadata"]
    assert set(orders) == {"Name", "CreateTime", "TableType", "Columns", "PartitionKeys", "Parameters"}
    assert isinstance(orders["CreateTime"], datetime.datetime)
    assert abs((datetime.datetime.now(datetime.timezone.utc) - orders["CreateTime"]).total_seconds()) < 600
    assert orders["TableType"] == "EXTERNAL_TABLE"
    assert orders["Columns"] == [
        {"Name": "id", "Type": "bigint", "Comment": "order id"},
        {"Name": "amount", "Type": "decimal(12,2)"},
    ]
    assert orders["PartitionKeys"] == []
    parameters = orders["Parameters"]
    assert parameters["EXTERNAL"] == "TRUE" and parameters["classification"] == "parquet"
    assert parameters["location"] == f"s3://{BUCKET}/orders/"
    assert parameters["inputformat"] == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    assert parameters["outputformat"] == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
    assert parameters["serde.serialization.lib"] == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    assert parameters["transient_lastDdlTime"].isdigit()


def test_a_partitioned_table_reports_its_partition_keys(athena, names):
    events = athena.get_table_metadata(CatalogName=CATALOG, DatabaseName=names.db, TableName="events")["TableMetadata"]
    assert events["Columns"] == [{"Name": "id", "Type": "bigint"}, {"Name": "payload", "Type": "string"}]
    assert events["PartitionKeys"] == [{"Name": "day", "Type": "string"}, {"Name": "hour", "Type": "int"}]
    assert events["Parameters"]["serde.param.field.delim"] == ","
    assert events["Parameters"]["serde.serialization.lib"] == "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"


def test_a_table_made_through_the_glue_api_is_described_too(athena, names):
    visits = athena.get_table_metadata(CatalogName=CATALOG, DatabaseName=names.db, TableName="VISITS")["TableMetadata"]
    assert visits["Name"] == "visits" and visits["TableType"] == "EXTERNAL_TABLE"
    assert visits["LastAccessTime"] == datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc)
    assert visits["Columns"] == [{"Name": "page", "Type": "string"}, {"Name": "hits", "Type": "int"}]
    assert visits["Parameters"] == {
        "classification": "csv",
        "skip.header.line.count": "1",
        "location": f"s3://{BUCKET}/visits/",
        "inputformat": "org.apache.hadoop.mapred.TextInputFormat",
        "outputformat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        "serde.serialization.lib": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
        "serde.param.field.delim": ",",
    }


def test_expression_filters_table_names_as_athena_patterns(athena, names):
    assert _table_names(athena, names.db, Expression="*order*") == ["order_lines", "orders"]
    assert _table_names(athena, names.db, Expression="order.*") == ["order_lines", "orders"]
    assert _table_names(athena, names.db, Expression="orders") == ["orders"]  # the whole name must match
    assert _table_names(athena, names.db, Expression="events|visits") == ["events", "visits"]
    assert _table_names(athena, names.db, Expression="EVENT*") == ["events"]
    assert _table_names(athena, names.db, Expression="ord[a-z]+") == ["orders"]
    assert _table_names(athena, names.db, Expression="nothing*") == []
    assert _table_names(athena, names.db, Expression="") == ["events", "order_lines", "orders", "visits"]


def test_list_table_metadata_pages_with_max_results_and_next_token(athena, names):
    first = athena.list_table_metadata(CatalogName=CATALOG, DatabaseName=names.db, MaxResults=3)
    assert [t["Name"] for t in first["TableMetadataList"]] == ["events", "order_lines", "orders"]
    second = athena.list_table_metadata(
        CatalogName=CATALOG, DatabaseName=names.db, MaxResults=3, NextToken=first["NextToken"]
    )
    assert [t["Name"] for t in second["TableMetadataList"]] == ["visits"] and "NextToken" not in second

    filtered = athena.get_paginator("list_table_metadata").paginate(
        CatalogName=CATALOG, DatabaseName=names.db, Expression="order*", PaginationConfig={"PageSize": 1}
    )
    assert [t["Name"] for page in filtered for t in page["TableMetadataList"]] == ["order_lines", "orders"]

    typed = athena.list_table_metadata(CatalogName=CATALOG, DatabaseName=names.db, AttributesToGet=["NAME", "TABLE_TYPE"])
    assert typed["TableMetadataList"][0] == {"Name": "events", "TableType": "EXTERNAL_TABLE"}


def test_a_dropped_table_disappears(athena, names):
    _run(athena, f"CREATE EXTERNAL TABLE scratch (a int) STORED AS PARQUET LOCATION 's3://{BUCKET}/scratch/'", database=names.db)
    assert "scratch" in _table_names(athena, names.db, Expression="scratch")
    _run(athena, "DROP TABLE scratch", database=names.db)
    assert _table_names(athena, names.db, Expression="scratch") == []


def test_an_unknown_table_is_a_metadata_exception(athena, names):
    with pytest.raises(ClientError) as excinfo:
        athena.get_table_metadata(CatalogName=CATALOG, DatabaseName=names.db, TableName="no_such_table")
    assert _error_code(excinfo) == "MetadataException"
    assert "no_such_table not found" in excinfo.value.response["Error"]["Message"]


def test_out_of_range_max_results_and_bad_tokens_are_invalid_requests(emulator, names):
    unchecked = emulator.client("athena", config=Config(parameter_validation=False))
    calls = [
        lambda: unchecked.list_data_catalogs(MaxResults=51),
        lambda: unchecked.list_databases(CatalogName=CATALOG, MaxResults=51),
        lambda: unchecked.list_table_metadata(CatalogName=CATALOG, DatabaseName=names.db, MaxResults=0),
        lambda: unchecked.list_databases(CatalogName=CATALOG, NextToken="not-a-token"),
        lambda: unchecked.list_table_metadata(CatalogName=CATALOG, DatabaseName=names.db, AttributesToGet=[]),
    ]
    for call in calls:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert _error_code(excinfo) == "InvalidRequestException"
