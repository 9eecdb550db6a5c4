import sys
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from awsglue.context import GlueContext
from awsglue.job import Job

args = getResolvedOptions(sys.argv, ['JOB_NAME', 'source_path', 'target_path', 'sample_path'])
sc = SparkContext.getOrCreate()
glueContext = GlueContext(sc)
job = Job(glueContext)
job.init(args['JOB_NAME'], args)

raw = glueContext.create_dynamic_frame.from_options(
    connection_type="s3",
    connection_options={"paths": [args['source_path']]},
    format="json",
    transformation_ctx="raw")

# Structs become top-level fields named with dots: customer.name, customer.address.city, ...
unnested = UnnestFrame.apply(frame=raw, transformation_ctx="unnested")
renamed = RenameField.apply(frame=unnested, old_name="`customer.name`", new_name="customer_name", transformation_ctx="rename_name")
renamed = RenameField.apply(frame=renamed, old_name="`customer.address.city`", new_name="city", transformation_ctx="rename_city")
trimmed = DropFields.apply(frame=renamed, paths=["items", "tags", "channel"], transformation_ctx="trimmed")
selected = SelectFields.apply(frame=trimmed, paths=["order_id", "customer_name", "city", "amount", "status"], transformation_ctx="selected")

# Keep a small sample for the data stewards to eyeball.
selected = selected.spigot(args['sample_path'], options={"topk": 5})
print("errors:", selected.errorsCount())

glueContext.write_dynamic_frame.from_options(
    frame=selected,
    connection_type="s3",
    connection_options={"path": args['target_path']},
    format="parquet",
    transformation_ctx="sink")
job.commit()
