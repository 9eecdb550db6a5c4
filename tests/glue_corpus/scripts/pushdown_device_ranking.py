"""Top readings per device for the latest days, from a partitioned catalog table."""
import sys

from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import Window
from pyspark.sql import functions as F

args = getResolvedOptions(sys.argv, ["JOB_NAME", "database", "table_name", "since", "output_path"])

sc = SparkContext.getOrCreate()
glueContext = GlueContext(sc)
logger = glueContext.get_logger()
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

readings = glueContext.create_dynamic_frame.from_catalog(
    database=args["database"],
    table_name=args["table_name"],
    push_down_predicate=f"dt >= '{args['since']}'",
    transformation_ctx="readings",
)
logger.info(f"readings since {args['since']}: {readings.count()}")

df = readings.toDF()
by_device = Window.partitionBy("device").orderBy(F.col("value").desc(), F.col("dt"), F.col("reading_id"))
top = df.withColumn("rank", F.row_number().over(by_device)).where(F.col("rank") <= 2)

top_readings = DynamicFrame.fromDF(top.select("device", "dt", "reading_id", "value", "rank"), glueContext, "top_readings")
glueContext.write_dynamic_frame.from_options(
    frame=top_readings.repartition(1),
    connection_type="s3",
    connection_options={"path": args["output_path"]},
    format="json",
)
job.commit()
