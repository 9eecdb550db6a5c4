import sys
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from awsglue.context import GlueContext
from awsglue.job import Job

args = getResolvedOptions(sys.argv, ["JOB_NAME", "landing_path", "output_path"])

sc = SparkContext.getOrCreate()
glueContext = GlueContext(sc)
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

# The bookmark (keyed by this transformation_ctx) makes each run read only the files that landed since the last one.
landed = glueContext.create_dynamic_frame.from_options(
    connection_type="s3",
    connection_options={"paths": [args["landing_path"]], "recurse": True},
    format="json",
    transformation_ctx="landed_events",
)

new_events = landed.count()
print(f"new events: {new_events}")
if new_events > 0:
    events = ApplyMapping.apply(
        frame=landed,
        mappings=[
            ("event_id", "long", "event_id", "long"),
            ("user", "string", "user_id", "string"),
            ("action", "string", "action", "string"),
            ("batch", "string", "batch", "string"),
        ],
        transformation_ctx="events",
    )
    glueContext.write_dynamic_frame.from_options(
        frame=events,
        connection_type="s3",
        connection_options={"path": args["output_path"]},
        format="parquet",
        transformation_ctx="events_sink",
    )

job.commit()
