import sys
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from awsglue.context import GlueContext
from awsglue.job import Job

# Shipped with the job as --extra-py-files s3://.../etl_common.zip
from etl_common.cleaning import cents, region_name

args = getResolvedOptions(sys.argv, ['JOB_NAME', 'source_path', 'target_path'])
glueContext = GlueContext(SparkContext.getOrCreate())
job = Job(glueContext)
job.init(args['JOB_NAME'], args)

orders = glueContext.create_dynamic_frame.from_options(
    connection_type="s3",
    connection_options={"paths": [args['source_path']]},
    format="csv",
    format_options={"withHeader": True},
    transformation_ctx="orders")


def enrich(rec):
    rec["region_name"] = region_name(rec["region"])
    rec["amount_cents"] = cents(rec["amount"])
    return rec


enriched = Map.apply(frame=orders, f=enrich, transformation_ctx="enrich")
enriched = SelectFields.apply(frame=enriched, paths=["order_id", "region", "region_name", "amount_cents"], transformation_ctx="select")
glueContext.write_dynamic_frame.from_options(
    frame=enriched,
    connection_type="s3",
    connection_options={"path": args['target_path']},
    format="parquet",
    transformation_ctx="sink")
job.commit()
