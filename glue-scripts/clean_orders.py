"""Clean Orders: one day's order exports, deduplicated and typed, as Parquet.

Runs unchanged on AWS Glue 5.0 (``glueetl``) and on the embedded AWS Glue.
The second example pipeline's job (pipelines/orders_daily.yaml).

Arguments (Glue style, ``--name value``):
  --input_path   folder of the day's CSV exports (header line; columns
                 order_id, customer_id, ordered_at, amount, currency, status)
  --output_path  where the Parquet result is written (overwritten)

Output: one row per order_id (the last export of an order wins, by
ordered_at), cancelled orders dropped:
  order_id     STRING
  customer_id  STRING
  ordered_at   TIMESTAMP  (ISO 8601 in the input)
  amount       DECIMAL(12,2)
  currency     STRING     upper case
An order whose amount is not a number, or that has no order_id, is dropped
and counted in the log.
"""

import logging
import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import Window
from pyspark.sql import functions as F

log = logging.getLogger("clean_orders")


def clean(orders):
    typed = orders.select(
        F.trim("order_id").alias("order_id"),
        F.trim("customer_id").alias("customer_id"),
        F.to_timestamp("ordered_at").alias("ordered_at"),
        F.col("amount").cast("decimal(12,2)").alias("amount"),
        F.upper(F.trim("currency")).alias("currency"),
        F.lower(F.trim("status")).alias("status"),
    )
    valid = typed.where(F.col("order_id").isNotNull() & (F.col("order_id") != "") & F.col("amount").isNotNull())
    latest = Window.partitionBy("order_id").orderBy(F.col("ordered_at").desc_nulls_last())
    deduplicated = valid.withColumn("_rank", F.row_number().over(latest)).where("_rank = 1").drop("_rank")
    return deduplicated.where(F.col("status") != "cancelled").drop("status")


def main():
    args = getResolvedOptions(sys.argv, ["JOB_NAME", "input_path", "output_path"])
    glue_context = GlueContext(SparkContext.getOrCreate())
    spark = glue_context.spark_session
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)

    orders = spark.read.option("header", "true").csv(args["input_path"] + "*.csv")
    total = orders.count()
    result = clean(orders).orderBy("order_id")
    kept = result.count()
    log.warning("clean_orders: %d input rows, %d orders kept", total, kept)
    result.coalesce(1).write.mode("overwrite").parquet(args["output_path"])
    job.commit()


if __name__ == "__main__":
    main()
