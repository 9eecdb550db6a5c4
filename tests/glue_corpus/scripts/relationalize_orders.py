import sys
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from awsglue.context import GlueContext
from awsglue.job import Job

args = getResolvedOptions(sys.argv, ['JOB_NAME', 'TempDir', 'source_path', 'target_path'])

glueContext = GlueContext(SparkContext.getOrCreate())
job = Job(glueContext)
job.init(args['JOB_NAME'], args)

orders = glueContext.create_dynamic_frame.from_options(
    connection_type="s3",
    connection_options={"paths": [args['source_path']]},
    format="json",
    transformation_ctx="orders")

# Flatten structs and pivot arrays out into their own tables for the warehouse.
dfc = Relationalize.apply(frame=orders, staging_path=args['TempDir'], name="orders", transformation_ctx="relationalize")
print("relationalized tables:", sorted(dfc.keys()))

for table_name in dfc.keys():
    table = dfc.select(table_name)
    print(table_name, table.count())
    glueContext.write_dynamic_frame.from_options(
        frame=table,
        connection_type="s3",
        connection_options={"path": args['target_path'] + table_name + "/"},
        format="parquet",
        transformation_ctx="write_" + table_name)

job.commit()
