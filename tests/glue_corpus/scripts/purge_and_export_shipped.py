import sys
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from awsglue.context import GlueContext
from awsglue.job import Job

args = getResolvedOptions(sys.argv, ['JOB_NAME', 'source_path', 'export_path'])
sc = SparkContext()
glueContext = GlueContext(sc)
job = Job(glueContext)
job.init(args['JOB_NAME'], args)

# The partner picks up a full export every night: clear last night's files first.
glueContext.purge_s3_path(args['export_path'], options={"retentionPeriod": 0})

orders = glueContext.create_dynamic_frame.from_options(
    connection_type="s3",
    connection_options={"paths": [args['source_path']]},
    format="parquet",
    transformation_ctx="orders")
shipped = Filter.apply(frame=orders, f=lambda row: row["status"] == "shipped", transformation_ctx="shipped")
shipped = shipped.select_fields(["order_id", "region", "order_date", "amount"]).coalesce(1)

glueContext.write_dynamic_frame.from_options(
    frame=shipped,
    connection_type="s3",
    connection_options={"path": args['export_path'] + "csv/", "compression": "gzip"},
    format="csv",
    format_options={"separator": "|", "writeHeader": True},
    transformation_ctx="csv_export")
glueContext.write_dynamic_frame.from_options(
    frame=shipped,
    connection_type="s3",
    connection_options={"path": args['export_path'] + "json/", "compression": "gzip"},
    format="json",
    transformation_ctx="json_export")
job.commit()
