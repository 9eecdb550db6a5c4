import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F

args = getResolvedOptions(sys.argv, ["JOB_NAME", "source_path", "output_path"])

# getResolvedOptions has no defaults: optional parameters are read only when the run passes them.
defaults = {"min_amount": "0", "regions": "EU,US,APAC", "run_label": "adhoc"}
options = dict(defaults)
for name in defaults:
    if f"--{name}" in sys.argv:
        options.update(getResolvedOptions(sys.argv, [name]))
print(f"options: {options}")

glueContext = GlueContext(SparkContext.getOrCreate())
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

orders = spark.read.option("header", "true").option("inferSchema", "true").csv(args["source_path"])
selected = (
    orders.where(F.col("amount") >= float(options["min_amount"]))
    .where(F.col("region").isin(options["regions"].split(",")))
    .select("order_id", "region", "amount")
    .withColumn("run_label", F.lit(options["run_label"]))
)
selected.write.mode("overwrite").json(args["output_path"])
job.commit()
