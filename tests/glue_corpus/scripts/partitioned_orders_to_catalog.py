import sys
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from awsglue.context import GlueContext
from awsglue.job import Job

args = getResolvedOptions(sys.argv, ['JOB_NAME', 'database', 'source_table', 'target_table'])

sc = SparkContext()
glueContext = GlueContext(sc)
job = Job(glueContext)
job.init(args['JOB_NAME'], args)

source = glueContext.create_dynamic_frame.from_catalog(
    database=args['database'], table_name=args['source_table'], transformation_ctx="source")

last_transform = ApplyMapping.apply(frame=source, mappings=[
    ("order_id", "long", "order_id", "long"),
    ("customer_id", "long", "customer_id", "long"),
    ("region", "string", "region", "string"),
    ("amount", "double", "amount", "double"),
    ("status", "string", "status", "string"),
    ("order_date", "string", "order_date", "string"),
], transformation_ctx="last_transform")

# New partitions show up in the Data Catalog as soon as the job writes them: no crawler needed.
additionalOptions = {"enableUpdateCatalog": True}
additionalOptions["partitionKeys"] = ["order_date"]

sink = glueContext.write_dynamic_frame_from_catalog(
    frame=last_transform,
    database=args['database'],
    table_name=args['target_table'],
    transformation_ctx="write_sink",
    additional_options=additionalOptions)
job.commit()
