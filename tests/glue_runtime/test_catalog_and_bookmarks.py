"""The catalog is one (jobs read what Athena DDL declares; Athena queries what jobs register),
and job bookmarks make a second run read only new files."""

from __future__ import annotations

import time

from glue_runtime_support import put, put_parquet, read_output
from support import client, unique

HEADER = """
import sys
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions
from awsglue.context import GlueContext
from awsglue.job import Job
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME"{extra}])
glueContext = GlueContext(SparkContext.getOrCreate())
job = Job(glueContext)
job.init(args["JOB_NAME"], args)
"""


def header(*names: str) -> str:
    return HEADER.replace("{extra}", "".join(f', "{n}"' for n in names))


def athena(sql: str, database: str = "default") -> list[list[str]]:
    athena = client("athena")
    query = athena.start_query_execution(
        QueryString=sql, QueryExecutionContext={"Database": database},
        ResultConfiguration={"OutputLocation": "s3://etl-runner-test-glue-runtime/athena-results/"},
    )["QueryExecutionId"]
    while True:
        state = athena.get_query_execution(QueryExecutionId=query)["QueryExecution"]["Status"]
        if state["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        time.sleep(0.05)
    assert state["State"] == "SUCCEEDED", state
    rows = athena.get_query_results(QueryExecutionId=query)["ResultSet"]["Rows"]
    return [[c.get("VarCharValue") for c in row["Data"]] for row in rows[1:]]


def test_a_studio_style_sink_creates_the_table_and_partitions_that_athena_then_queries(glue_jobs, bucket):
    prefix = unique("sink")
    database = prefix.replace("-", "_")
    client("glue").create_database(DatabaseInput={"Name": database})
    source = put(bucket, f"{prefix}/in/sales.csv", "day,region,amount\n2024-01-01,eu,5\n2024-01-01,us,7\n2024-01-02,eu,11\n")
    glue_jobs.run_script(
        header("source", "target", "database")
        + """
AmazonS3_node1 = glueContext.create_dynamic_frame.from_options(format_options={"quoteChar": "\\"", "withHeader": True, "separator": ",", "optimizePerformance": False}, connection_type="s3", format="csv", connection_options={"paths": [args["source"]], "recurse": True}, transformation_ctx="AmazonS3_node1")
ChangeSchema_node2 = ApplyMapping.apply(frame=AmazonS3_node1, mappings=[("day", "string", "day", "string"), ("region", "string", "region", "string"), ("amount", "long", "amount", "int")], transformation_ctx="ChangeSchema_node2")
AmazonS3_node3 = glueContext.getSink(path=args["target"], connection_type="s3", updateBehavior="UPDATE_IN_DATABASE", partitionKeys=["day"], enableUpdateCatalog=True, transformation_ctx="AmazonS3_node3")
AmazonS3_node3.setCatalogInfo(catalogDatabase=args["database"], catalogTableName="sales")
AmazonS3_node3.setFormat("glueparquet", compression="snappy")
AmazonS3_node3.writeFrame(ChangeSchema_node2)
job.commit()
""",
        {"--source": source, "--target": f"s3://{bucket}/{prefix}/sales/", "--database": database},
    )
    table = client("glue").get_table(DatabaseName=database, Name="sales")["Table"]
    assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == [("region", "string"), ("amount", "int")]
    assert [(k["Name"], k["Type"]) for k in table["PartitionKeys"]] == [("day", "string")]
    assert table["StorageDescriptor"]["Location"] == f"s3://{bucket}/{prefix}/sales/"
    partitions = client("glue").get_partitions(DatabaseName=database, TableName="sales")["Partitions"]
    assert sorted(p["Values"][0] for p in partitions) == ["2024-01-01", "2024-01-02"]
    assert athena("SELECT day, SUM(amount) FROM sales GROUP BY day ORDER BY day", database) == [["2024-01-01", "12"], ["2024-01-02", "11"]]


def test_from_catalog_reads_an_athena_declared_table_with_a_push_down_predicate(glue_jobs, bucket):
    prefix = unique("catalog")
    database = prefix.replace("-", "_")
    athena(f"CREATE DATABASE {database}")
    put(bucket, f"{prefix}/visits/dt=2024-03-01/a.csv", "1,home,3\n2,cart,4\n")
    put(bucket, f"{prefix}/visits/dt=2024-03-02/b.csv", "3,home,10\n")
    athena(
        f"CREATE EXTERNAL TABLE {database}.visits (id int, page string, seconds bigint) PARTITIONED BY (dt string) "
        f"ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{bucket}/{prefix}/visits/'",
        database,
    )
    athena(f"MSCK REPAIR TABLE {database}.visits", database)
    glue_jobs.run_script(
        header("database", "target")
        + """
visits = glueContext.create_dynamic_frame.from_catalog(database=args["database"], table_name="visits",
    push_down_predicate="dt = '2024-03-02'", transformation_ctx="visits")
assert visits.count() == 1, visits.count()
everything = glueContext.create_data_frame.from_catalog(database=args["database"], table_name="visits")
everything.createOrReplaceTempView("visits")
glueContext.spark_session.sql("SELECT dt, SUM(seconds) AS seconds, COUNT(*) AS n FROM visits GROUP BY dt").write.mode("overwrite").parquet(args["target"])
""",
        {"--database": database, "--target": f"s3://{bucket}/{prefix}/out/"},
    )
    rows = sorted((r["dt"], r["seconds"], r["n"]) for r in read_output(bucket, f"{prefix}/out/"))
    assert rows == [("2024-03-01", 7, 2), ("2024-03-02", 10, 1)]


BOOKMARKED = """
import sys
from awsglue.utils import getResolvedOptions
from awsglue.context import GlueContext
from awsglue.job import Job
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "source", "target"])
glueContext = GlueContext(SparkContext.getOrCreate())
job = Job(glueContext)
job.init(args["JOB_NAME"], args)
orders = glueContext.create_dynamic_frame.from_options(connection_type="s3", format="json",
    connection_options={"paths": [args["source"]], "recurse": True}, transformation_ctx="orders_source")
glueContext.write_dynamic_frame.from_options(frame=orders, connection_type="s3", format="json",
    connection_options={"path": args["target"]}, transformation_ctx="orders_sink")
job.commit()
"""


def test_a_bookmarked_job_reads_only_the_files_added_since_its_last_run(glue_jobs, bucket):
    prefix = unique("bookmark")
    glue = client("glue")
    arguments = {"--source": f"s3://{bucket}/{prefix}/in/", "--target": f"s3://{bucket}/{prefix}/out/",
                 "--job-bookmark-option": "job-bookmark-enable"}
    job = glue_jobs.create(BOOKMARKED, arguments=arguments)
    put(bucket, f"{prefix}/in/2024/01/a.json", '{"order": 1}\n{"order": 2}\n')
    first = glue_jobs.run(job)
    assert sorted(r["order"] for r in read_output(bucket, f"{prefix}/out/", "json")) == [1, 2]
    entry = glue.get_job_bookmark(JobName=job)["JobBookmarkEntry"]
    assert (entry["JobName"], entry["Version"], entry["Run"], entry["RunId"]) == (job, 1, 1, first["Id"])

    put(bucket, f"{prefix}/in/2024/02/b.json", '{"order": 3}\n')
    second = glue_jobs.run(job)
    # the sink appends: the second run added order 3 only (re-reading would duplicate 1 and 2)
    assert sorted(r["order"] for r in read_output(bucket, f"{prefix}/out/", "json")) == [1, 2, 3]
    entry = glue.get_job_bookmark(JobName=job)["JobBookmarkEntry"]
    assert (entry["Version"], entry["Run"], entry["RunId"], entry["PreviousRunId"]) == (2, 2, second["Id"], first["Id"])

    glue_jobs.run(job)  # nothing new: nothing written
    assert sorted(r["order"] for r in read_output(bucket, f"{prefix}/out/", "json")) == [1, 2, 3]

    glue.reset_job_bookmark(JobName=job)
    glue_jobs.run(job, {"--job-bookmark-option": "job-bookmark-disable"})  # reads everything again
    assert sorted(r["order"] for r in read_output(bucket, f"{prefix}/out/", "json")) == [1, 1, 2, 2, 3, 3]


def test_a_job_without_a_bookmark_has_none_to_get(glue_jobs):
    job = glue_jobs.create("print('hello')\n")
    glue = client("glue")
    try:
        glue.get_job_bookmark(JobName=job)
    except glue.exceptions.EntityNotFoundException as exc:
        assert f"Continuation for job {job} not found" in str(exc)
    else:
        raise AssertionError("GetJobBookmark answered for a job that never committed one")


def test_purge_s3_path_keeps_objects_younger_than_the_retention_period(glue_jobs, bucket):
    prefix = unique("purge")
    put(bucket, f"{prefix}/old/a.csv", "x\n")
    glue_jobs.run_script(
        header("path")
        + """
glueContext.purge_s3_path(args["path"])  # default retention: 168 hours -> nothing this young goes
import boto3
bucket, key = args["path"][5:].split("/", 1)
assert boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=key)["KeyCount"] == 1
glueContext.purge_s3_path(args["path"], {"retentionPeriod": 0})
assert boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=key)["KeyCount"] == 0
""",
        {"--path": f"s3://{bucket}/{prefix}/old/"},
    )


def test_with_the_glue_datacatalog_enabled_spark_sql_lists_and_reads_catalog_tables(glue_jobs, bucket):
    prefix = unique("metastore")
    database = prefix.replace("-", "_")
    glue = client("glue")
    glue.create_database(DatabaseInput={"Name": database})
    for name, rows in (("cities", "SELECT 'Oslo' AS city, 1 AS n UNION ALL SELECT 'Rome', 2"), ("empty", "SELECT 1 AS n")):
        put_parquet(bucket, f"{prefix}/{name}/part-0.parquet", rows)
        glue.create_table(DatabaseName=database, TableInput={
            "Name": name, "TableType": "EXTERNAL_TABLE", "Parameters": {"classification": "parquet"},
            "StorageDescriptor": {
                "Columns": [{"Name": "city", "Type": "string"}, {"Name": "n", "Type": "int"}][(0 if name == "cities" else 1):],
                "Location": f"s3://{bucket}/{prefix}/{name}/",
                "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
            },
        })
    job = glue_jobs.create(
        header("database")
        + """
spark = glueContext.spark_session
db = args["database"]
assert sorted(t.name for t in spark.catalog.listTables(db)) == ["cities", "empty"]
assert spark.table(f"{db}.empty").count() == 1
total = spark.sql(f"SELECT SUM(n) AS total FROM `{db}`.cities WHERE city <> 'Paris'").first()["total"]
assert total == 3, total
""",
        arguments={"--enable-glue-datacatalog": "true"},
    )
    glue_jobs.run(job, {"--database": database})
