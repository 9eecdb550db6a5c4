import sys
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from awsglue.context import GlueContext
from awsglue.job import Job

args = getResolvedOptions(sys.argv, ["JOB_NAME", "source_path", "target_path"])
sc = SparkContext.getOrCreate()
glueContext = GlueContext(sc)
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

raw = glueContext.create_dynamic_frame.from_options(
    connection_type="s3",
    connection_options={"paths": [args["source_path"]]},
    format="json",
    transformation_ctx="raw",
)

# The device gateway wraps each reading as a JSON document inside a string field.
unboxed = Unbox.apply(frame=raw, path="payload", format="json", transformation_ctx="unboxed")
unboxed.printSchema()

readings = ApplyMapping.apply(
    frame=unboxed,
    mappings=[
        ("event_id", "long", "event_id", "long"),
        ("received_at", "string", "received_at", "timestamp"),
        ("payload.device", "string", "device", "string"),
        ("payload.reading.temp_c", "double", "temp_c", "double"),
        ("payload.reading.humidity", "long", "humidity", "int"),
        ("payload.ok", "boolean", "ok", "boolean"),
    ],
    transformation_ctx="readings",
)

glueContext.write_dynamic_frame.from_options(
    frame=readings,
    connection_type="s3",
    connection_options={"path": args["target_path"]},
    format="parquet",
    transformation_ctx="sink",
)
job.commit()
