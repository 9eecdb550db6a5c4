"""Nightly compaction: thousands of tiny JSON files from the collectors become a few Parquet files per day."""
import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "source_path", "target_path"])
sc = SparkContext.getOrCreate()
glueContext = GlueContext(sc)
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

small_files = glueContext.create_dynamic_frame.from_options(
    connection_type="s3",
    connection_options={
        "paths": [args["source_path"]],
        "recurse": True,
        "groupFiles": "inPartition",
        "groupSize": "1048576",
        # collectors leave partial uploads behind as .tmp files
        "exclusions": "[\"**.tmp\"]",
    },
    format="json",
    transformation_ctx="small_files",
)
print(f"records: {small_files.count()}, partitions: {small_files.getNumPartitions()}")
small_files.show(5)

glueContext.write_dynamic_frame.from_options(
    frame=small_files.coalesce(1),
    connection_type="s3",
    connection_options={"path": args["target_path"], "partitionKeys": ["dt"]},
    format="glueparquet",
    format_options={"compression": "snappy"},
    transformation_ctx="compacted",
)
job.commit()
