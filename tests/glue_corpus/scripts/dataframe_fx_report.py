"""Daily revenue report in USD: plain Spark DataFrames, no DynamicFrames."""
import sys

from awsglue.context import GlueContext
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F

FX_RATES = "s3://etl-runner-test-glue-corpus/reference/fx_rates/fx_rates.csv"

args = getResolvedOptions(sys.argv, ["JOB_NAME", "orders_path", "report_path"])
glueContext = GlueContext(SparkContext.getOrCreate())
spark = glueContext.spark_session

orders = (
    spark.read.option("header", "true")
    .schema("order_id LONG, customer_id LONG, region STRING, order_date DATE, amount DOUBLE, status STRING")
    .csv(args["orders_path"])
)
rates = spark.read.option("header", "true").csv(FX_RATES).select("region", F.col("usd_rate").cast("double").alias("usd_rate"))

report = (
    orders.where(F.col("status") == "shipped")
    .join(rates, "region")
    .groupBy("order_date", "region")
    .agg(F.count("*").alias("orders"), F.round(F.sum(F.col("amount") * F.col("usd_rate")), 2).alias("revenue_usd"))
    .orderBy("order_date", "region")
)
report.show(truncate=False)
report.coalesce(1).write.mode("overwrite").parquet(args["report_path"])
